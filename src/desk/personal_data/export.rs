//! The copy of everything held about one requester (UU 27/2022 Pasal 7 and 32: access and a
//! copy; Pasal 13: in a structured, commonly used, machine-readable format): one ZIP with
//! `data.json`, the files of their tickets under `lampiran/<sha256>/<original name>`, a `BACA-SAYA.txt` and
//! `SHA256SUMS`.
//!
//! Staff appear by role only ("petugas"), never by name or username: staff are data subjects
//! too, and the requester never sees staff usernames on the tracking page either. Internal
//! notes on their tickets are included (they are data held about the requester's case), marked
//! `internal: true` so that the officer can withhold any that an exception of the law covers
//! before handing the pack over.

use std::io::Write;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{json, Value};
use zip::write::SimpleFileOptions;

use super::{find, may_handle, Key, Lookup};
use crate::db::personal_data::{self as db, HeldRequester};
use crate::db::{catalog as catalog_db, events as events_db, DbConn};
use crate::desk::scheduler::SYSTEM_NAME;
use crate::desk::view::utc;
use crate::desk::{Desk, DeskError, DeskResult};
use crate::domain::role::Actor;

/// A finished export and what it held, for the audit event.
#[derive(Debug, Clone)]
pub struct Exported {
    pub key_field: &'static str,
    pub requester_ids: Vec<String>,
    pub file_name: String,
    pub zip: Vec<u8>,
    pub counts: ExportCounts,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct ExportCounts {
    pub requesters: usize,
    pub tickets: usize,
    pub messages: usize,
    pub attachments: usize,
    pub mail_records: usize,
    pub notices: usize,
}

/// Builds the export (a read), then records who took it (a write): nothing is handed out that
/// is not in the audit log.
pub async fn export_audited(desk: &Desk, actor: Option<Actor>, lookup: Lookup) -> DeskResult<Exported> {
    may_handle(actor.as_ref())?;
    let d = desk.clone();
    let exported = desk.read(move |conn| build(&d, conn, &lookup)).await?;
    let (event, actor_id) = (audit_data(&exported), actor.map(|a| a.user_id));
    desk.writer.write(move |tx| tx.record(None, actor_id.as_deref(), "personal_data.exported", event)).await?;
    Ok(exported)
}

/// The same for the command line.
pub fn export_audited_blocking(desk: &Desk, lookup: Lookup) -> DeskResult<Exported> {
    let exported = desk.read_blocking(|conn| build(desk, conn, &lookup))?;
    let event = audit_data(&exported);
    desk.writer.write_blocking(move |tx| tx.record(None, None, "personal_data.exported", event))?;
    Ok(exported)
}

/// Which kind of key, which records, how much and the pack's fingerprint; never the data.
fn audit_data(e: &Exported) -> Value {
    json!({
        "by": e.key_field, "requester_ids": e.requester_ids, "counts": e.counts,
        "bytes": e.zip.len(), "sha256": crate::domain::report::sha256_hex(&e.zip),
    })
}

fn zip_error(e: impl std::fmt::Display) -> DeskError {
    DeskError::Internal(format!("personal data export: {e}"))
}

/// A file name that is safe in a ZIP on every system: no directories, no control characters.
fn safe_name(name: &str) -> String {
    let cleaned: String =
        name.chars()
            .map(|c| {
                if c.is_control() || matches!(c, '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|') {
                    '_'
                } else {
                    c
                }
            })
            .collect();
    let cleaned = cleaned.trim().trim_start_matches('.').chars().take(120).collect::<String>();
    if cleaned.is_empty() {
        "berkas".into()
    } else {
        cleaned
    }
}

fn time(at: chrono::NaiveDateTime) -> DateTime<Utc> {
    utc(at)
}

/// The pack for the requester a lookup names (all records that key finds).
pub fn build(desk: &Desk, conn: &mut DbConn, lookup: &Lookup) -> DeskResult<Exported> {
    let key = lookup.key()?;
    let held = find(conn, &key)?;
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let mut sums = Vec::new();
    let options = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    let mut add = |zip: &mut zip::ZipWriter<std::io::Cursor<Vec<u8>>>, name: &str, bytes: &[u8]| -> DeskResult<()> {
        zip.start_file(name, options).map_err(zip_error)?;
        zip.write_all(bytes).map_err(zip_error)?;
        sums.push(format!("{}  {name}\n", crate::domain::report::sha256_hex(bytes)));
        Ok(())
    };
    let (data, files, counts) = collect(desk, conn, &held)?;
    let mut added = std::collections::HashSet::new();
    for (path, sha256) in files {
        if !added.insert(path.clone()) {
            continue;
        }
        let bytes = crate::db::mail::blob(conn, &sha256)?
            .ok_or_else(|| DeskError::Internal(format!("stored file {sha256} is missing")))?;
        add(&mut zip, &path, &bytes)?;
    }
    let json = serde_json::to_vec_pretty(&data).map_err(zip_error)?;
    add(&mut zip, "data.json", &json)?;
    let readme = format!(
        "Salinan data pribadi pelapor (UU 27/2022 Pasal 7, 13 dan 32)\r\nDibuat: {}\r\n\r\n\
         data.json        semua data yang disimpan tentang pelapor: identitas, tiket, pesan, penilaian,\r\n\
         \x20                catatan e-mail, pemberitahuan, obrolan Telegram dan WhatsApp, tiket yang diikuti\r\n\
         lampiran/        berkas pada tiket-tiketnya, per SHA-256 dengan nama aslinya\r\n\
         SHA256SUMS       sidik setiap berkas\r\n\r\n\
         Petugas disebut menurut perannya saja. Pesan dengan \"internal\": true adalah catatan internal\r\n\
         petugas; periksa sebelum salinan ini diserahkan.\r\n",
        desk.now().with_timezone(&desk.zone).format("%d-%m-%Y %H.%M %Z"),
    );
    add(&mut zip, "BACA-SAYA.txt", readme.as_bytes())?;
    let sums: String = sums.concat();
    zip.start_file("SHA256SUMS", options).map_err(zip_error)?;
    zip.write_all(sums.as_bytes()).map_err(zip_error)?;
    let bytes = zip.finish().map_err(zip_error)?.into_inner();
    let stamp = desk.now().with_timezone(&desk.zone).format("%Y%m%d-%H%M");
    Ok(Exported {
        key_field: key.field(),
        requester_ids: held.iter().map(|r| r.row.id.clone()).collect(),
        file_name: format!("data-pribadi-{}-{stamp}.zip", short_id(&key, &held)),
        zip: bytes,
        counts,
    })
}

/// A name for the file that does not repeat the address or number it was asked by.
fn short_id(key: &Key, held: &[HeldRequester]) -> String {
    match key {
        Key::Ticket(number) => number.clone(),
        _ => held.first().map(|r| r.row.id.chars().rev().take(12).collect::<String>()).unwrap_or_default(),
    }
}

type Files = Vec<(String, String)>;

fn collect(desk: &Desk, conn: &mut DbConn, held: &[HeldRequester]) -> DeskResult<(Value, Files, ExportCounts)> {
    let requester_ids: Vec<String> = held.iter().map(|r| r.row.id.clone()).collect();
    let addresses: Vec<String> = held.iter().filter_map(|r| r.row.email.clone()).collect();
    let mut chats: Vec<String> = held.iter().filter_map(|r| r.row.telegram_id.clone()).collect();
    let contacts = super::whatsapp_contacts_of(conn, held.iter().filter_map(|r| r.row.phone.clone()))?;
    let telegram_chats = chats.clone();
    // Notices to their WhatsApp contacts are theirs too.
    chats.extend(contacts.iter().map(|c| c.wa_id.clone()));
    let accounts: Vec<String> = held.iter().filter_map(|r| r.row.user_id.clone()).collect();
    let tickets = db::tickets_of(conn, &requester_ids, false)?;
    let ticket_ids: Vec<String> = tickets.iter().map(|t| t.id.clone()).collect();
    let number_of = |id: &str| tickets.iter().find(|t| t.id == id).map(|t| t.number.clone());
    let messages = db::messages_of(conn, &ticket_ids)?;
    let attachments = db::attachments_of(conn, &ticket_ids)?;
    let ratings = db::csat_of(conn, &ticket_ids)?;
    let mut counts = ExportCounts { requesters: held.len(), tickets: tickets.len(), ..ExportCounts::default() };
    let mut files = Vec::new();

    let mut requesters = Vec::new();
    for r in held {
        let account = match r.row.user_id.as_deref() {
            Some(id) => catalog_db::user_by_id(conn, id)?.map(|u| {
                json!({ "username": u.username, "name": u.name, "email": u.email, "role": u.role,
                    "active": u.active, "created_at": time(u.created_at) })
            }),
            None => None,
        };
        requesters.push(json!({
            "id": r.row.id, "name": r.row.name, "email": r.row.email, "phone": r.row.phone,
            "telegram_id": r.row.telegram_id, "language": r.row.language, "created_at": time(r.row.created_at),
            "anonymised_at": r.anonymised_at.map(time), "account": account,
        }));
    }

    let mut ticket_docs = Vec::new();
    for t in &tickets {
        let own_messages: Vec<Value> = messages
            .iter()
            .filter(|m| m.ticket_id == t.id)
            .map(|m| {
                let theirs = match &m.author_id {
                    Some(author) => accounts.contains(author),
                    None => m.author_name != SYSTEM_NAME,
                };
                let from = match (&m.author_id, theirs) {
                    (_, true) => "pelapor",
                    (None, false) => "sistem",
                    (Some(_), false) => "petugas",
                };
                json!({ "from": from, "author": theirs.then_some(&m.author_name), "internal": m.internal,
                    "body": m.body, "channel": m.channel, "created_at": time(m.created_at) })
            })
            .collect();
        counts.messages += own_messages.len();
        let mut ticket_files = Vec::new();
        for a in attachments.iter().filter(|a| a.ticket_id == t.id) {
            let path = format!("lampiran/{}/{}", a.sha256, safe_name(&a.filename));
            ticket_files.push(json!({ "file": path, "name": a.filename, "content_type": a.content_type,
                "size_bytes": a.size_bytes, "sha256": a.sha256, "created_at": time(a.created_at) }));
            files.push((path, a.sha256.clone()));
        }
        counts.attachments += ticket_files.len();
        let rating = ratings.iter().find(|c| c.ticket_id == t.id).map(|c| {
            json!({ "rating": c.rating, "comment": c.comment, "requested_at": time(c.requested_at),
                "rated_at": c.rated_at.map(time) })
        });
        // The case's history: what happened when, without who on the desk did it.
        let history: Vec<Value> = events_db::for_ticket(conn, &t.id)?
            .into_iter()
            .filter(|e| e.kind.starts_with("ticket.") || e.kind.starts_with("csat.") || e.kind.starts_with("mail."))
            .map(|e| {
                let data: Value = serde_json::from_str(&e.data).unwrap_or(Value::Null);
                json!({ "event": e.kind, "at": time(e.created_at), "status": data.get("to_status") })
            })
            .collect();
        ticket_docs.push(json!({
            "number": t.number, "kind": t.kind, "title": t.title, "description": t.description,
            "unit": desk.names.unit_code(conn, &t.unit_id)?,
            "service": t.service_id.as_deref().map(|s| desk.names.service_code(conn, s)).transpose()?,
            "status": t.status, "tier": t.tier, "priority": t.priority, "impact": t.impact, "urgency": t.urgency,
            "classification": t.classification, "security_incident": t.security_incident, "channel": t.channel,
            "created_at": time(t.created_at), "updated_at": time(t.updated_at),
            "first_response_at": t.first_response_at.map(time), "resolved_at": t.resolved_at.map(time),
            "closed_at": t.closed_at.map(time), "messages": own_messages, "attachments": ticket_files,
            "satisfaction": rating, "history": history,
        }));
    }

    // Mail records that carried their address (in from them, out to them), with or without a ticket.
    let mail: Vec<Value> = db::mail_of(conn, &ticket_ids, &addresses)?
        .into_iter()
        .filter(|m| addresses.contains(&m.sender))
        .map(|m| {
            json!({ "direction": m.direction, "address": m.sender, "subject": m.subject, "outcome": m.outcome,
                "ticket": m.ticket_id.as_deref().and_then(&number_of), "mailbox": m.mailbox,
                "size_bytes": m.size_bytes, "at": time(m.created_at) })
        })
        .collect();
    counts.mail_records = mail.len();

    let recipients: Vec<String> = addresses.iter().chain(&chats).cloned().collect();
    let notices: Vec<Value> = db::outbox_of(conn, &[], &recipients)?
        .into_iter()
        .map(|n| {
            let mut payload: Value = serde_json::from_str(&n.payload).unwrap_or(Value::Null);
            if let Some(map) = payload.as_object_mut() {
                // Tokens are keys to the ticket, not data about the person.
                map.retain(|k, _| !k.ends_with("_token"));
            }
            json!({ "channel": n.channel, "to": n.recipient, "template": n.template,
                "ticket": n.ticket_id.as_deref().and_then(&number_of), "content": payload,
                "queued_at": time(n.created_at), "delivered_at": n.delivered_at.map(time) })
        })
        .collect();
    counts.notices = notices.len();

    // Tickets they follow (copied on a mail, added by staff, a merged report's requester): the
    // desk sends them its public news about those.
    let mut following = Vec::new();
    for f in crate::db::followers::followed_by(conn, &requester_ids, &addresses)? {
        if let Some(t) = crate::db::tickets::by_id(conn, &f.ticket_id)? {
            following.push(json!({
                "ticket": t.number, "title": t.title, "status": t.status,
                "as": if f.requester_id.is_some() { "requester" } else { "address" },
                "address": f.email, "since": time(f.created_at),
            }));
        }
    }
    let mut whatsapp = Vec::new();
    for c in &contacts {
        whatsapp.push(json!({
            "wa_id": c.wa_id, "phone": c.phone, "name": c.name,
            "conversation_state": serde_json::from_str::<Value>(&c.dialogue).ok(),
            "last_message_at": c.last_inbound_at.map(time), "stopped_at": c.opted_out_at.map(time),
            "moved_to": c.moved_to, "message_ids_kept": crate::db::whatsapp::message_count(conn, &c.wa_id)?,
        }));
    }
    let mut telegram = Vec::new();
    for chat in &telegram_chats {
        let Ok(chat_id) = chat.parse::<i64>() else { continue };
        let (dialogue, sent) = db::citizen_chat(conn, chat_id)?;
        telegram.push(json!({
            "chat_id": chat, "conversation_state": dialogue.and_then(|d| serde_json::from_str::<Value>(&d).ok()),
            "bot_messages_about_tickets": sent,
        }));
    }

    let data = json!({
        "generated_at": desk.now(),
        "controller": "Pemerintah Kota — Service Desk SPBE (meja)",
        "requesters": requesters,
        "tickets": ticket_docs,
        "mail": mail,
        "notices": notices,
        "telegram": telegram,
        "whatsapp": whatsapp,
        "following": following,
    });
    Ok((data, files, counts))
}

#[cfg(test)]
mod tests {
    use super::safe_name;

    #[test]
    fn file_names_cannot_leave_their_folder() {
        assert_eq!(safe_name("../../etc/passwd"), "_.._etc_passwd");
        assert_eq!(safe_name("KTP Dewi.pdf"), "KTP Dewi.pdf");
        assert_eq!(safe_name("\u{0}"), "_");
        assert_eq!(safe_name(" . "), "berkas");
    }
}

//! Erasing a requester's identity (UU 27/2022 Pasal 8 and 43 on request, Pasal 44 after the
//! retention period). What goes: the name, address, number, chat and language of the record;
//! their own words (ticket title and description, their messages, their rating's comment) and
//! files; the addresses and subjects of their mail records and quarantined mail; their Telegram
//! chat state; what notices to them carried (undelivered ones are not sent); tracking and rating
//! tokens; a citizen's own account. Their name, address and number are also taken out of what
//! staff wrote on their tickets and of knowledge-base articles made from their tickets.
//!
//! The audit log: events hold no free text (`domain::audit`). The free text of the events of
//! their tickets — reasons and notes staff typed, bounce subjects, the slug of an article made
//! from the ticket — lives apart and is erased here, whole; the events, their commitments to
//! those texts and the hash chain stay, and `audit verify` lists each erased text and when. The
//! event written here names the texts it erased (so an erasure nobody recorded is found as
//! tampering) and carries no personal data: its reason is kept apart as well, with their name
//! and contact taken out first.
//!
//! What stays: each ticket's number, kind, unit, service, tier, priority, classification,
//! status, channel, timestamps and SLA figures, and the rating, so every report over any period
//! gives the same figures before and after.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::{find, identifiers, may_handle, redact, Lookup, Needle, ANONYMOUS_NAME, REDACTED_TEXT, REDACTED_TITLE};
use crate::db::audit_texts;
use crate::db::catalog as catalog_db;
use crate::db::personal_data::{self as db, HeldRequester};
use crate::desk::catalog::check_text;
use crate::desk::scheduler::SYSTEM_NAME;
use crate::desk::{Desk, DeskResult, Tx};
use crate::domain::role::{Actor, Role};

/// What a recipient or sender address becomes once erased.
const ERASED_ADDRESS: &str = "dianonimkan";
const NOT_SENT: &str = "tidak dikirim: data pribadi pelapor dianonimkan";

/// `POST /personal-data/anonymise`: the requester (one key) and why.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnonymiseRequest {
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub telegram_id: Option<String>,
    #[serde(default)]
    pub ticket: Option<String>,
    pub reason: String,
}

impl AnonymiseRequest {
    pub fn lookup(&self) -> Lookup {
        Lookup {
            email: self.email.clone(),
            phone: self.phone.clone(),
            telegram_id: self.telegram_id.clone(),
            ticket: self.ticket.clone(),
        }
    }
}

/// What an erasure changed; counts only, so it can be shown, logged and audited.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Erased {
    /// Requester records erased now (records erased before are not counted again).
    pub requesters: usize,
    /// Their tickets, by number; they stay, without the identity.
    pub tickets: Vec<String>,
    /// Their own messages, emptied.
    pub messages_redacted: usize,
    /// Staff and system messages (and breach-notification notes) on their tickets from which
    /// their name or contact was taken out.
    pub messages_scrubbed: usize,
    pub attachments_removed: usize,
    /// Stored files deleted because nothing else refers to them any more.
    pub files_deleted: usize,
    pub ratings_scrubbed: usize,
    pub mail_records_scrubbed: usize,
    pub quarantined_mail_deleted: usize,
    pub notices_scrubbed: usize,
    /// Undelivered notices to them, settled without being sent.
    pub notices_cancelled: usize,
    pub telegram_chats_forgotten: usize,
    /// WhatsApp contacts of their numbers: conversation state, window, message ids.
    pub whatsapp_contacts_forgotten: usize,
    /// A citizen's own sign-in accounts, closed and made nameless.
    pub accounts_closed: usize,
    /// Free text of the audit events of their tickets, erased (the events stay).
    pub event_texts_erased: usize,
    /// Knowledge-base articles made from their tickets, without their name and contact now.
    pub articles_scrubbed: usize,
    /// The ids of those texts, for the audit event (not shown).
    #[serde(skip)]
    pub erased_text_ids: Vec<String>,
    /// Everything named had been anonymised already: nothing changed.
    pub already_anonymised: bool,
}

/// Anonymises the requester a request names, in this transaction, with its audit event.
/// Running it again changes nothing and writes no event.
pub fn anonymise(tx: &mut Tx, desk: &Desk, actor: Option<&Actor>, request: &AnonymiseRequest) -> DeskResult<Erased> {
    may_handle(actor)?;
    let key = request.lookup().key()?;
    check_text("reason", &request.reason, 2000)?;
    let held = find(tx.conn, &key)?;
    // The reason is written by staff and kept for ever in the audit log: the requester's own
    // name or address in it is taken out first.
    let reason = redact(request.reason.trim(), &identifiers(tx.conn, &held)?);
    let erased = erase(tx, desk, &held)?;
    if !erased.already_anonymised {
        tx.record(
            None,
            actor.map(|a| a.user_id.as_str()),
            "personal_data.anonymised",
            json!({
                "by": key.field(),
                "requester_ids": held.iter().map(|r| &r.row.id).collect::<Vec<_>>(),
                "tickets": erased.tickets,
                "counts": counts(&erased),
                "reason": reason,
                "retention": false,
                "texts_erased": erased.erased_text_ids,
            }),
        )?;
    }
    Ok(erased)
}

/// The counts of an erasure, for audit events.
pub(super) fn counts(e: &Erased) -> Value {
    json!({
        "requesters": e.requesters, "tickets": e.tickets.len(), "messages_redacted": e.messages_redacted,
        "messages_scrubbed": e.messages_scrubbed, "attachments_removed": e.attachments_removed,
        "files_deleted": e.files_deleted, "ratings_scrubbed": e.ratings_scrubbed,
        "mail_records_scrubbed": e.mail_records_scrubbed, "quarantined_mail_deleted": e.quarantined_mail_deleted,
        "notices_scrubbed": e.notices_scrubbed, "notices_cancelled": e.notices_cancelled,
        "telegram_chats_forgotten": e.telegram_chats_forgotten, "accounts_closed": e.accounts_closed,
        "whatsapp_contacts_forgotten": e.whatsapp_contacts_forgotten,
        "event_texts_erased": e.event_texts_erased, "articles_scrubbed": e.articles_scrubbed,
    })
}

/// Erases these requester records and what hangs on them. Idempotent: what is erased already
/// is left as it is and not counted.
pub(super) fn erase(tx: &mut Tx, desk: &Desk, held: &[HeldRequester]) -> DeskResult<Erased> {
    let now = tx.now.naive_utc();
    let needles = identifiers(tx.conn, held)?;
    let requester_ids: Vec<String> = held.iter().map(|r| r.row.id.clone()).collect();
    // A member of staff who once reported with their work address keeps it as staff.
    let mut addresses = Vec::new();
    for email in held.iter().filter_map(|r| r.row.email.clone()) {
        let staff = catalog_db::user_by_email(tx.conn, &email)?
            .and_then(|u| Role::parse(&u.role))
            .is_some_and(|role| role.is_staff());
        if !staff {
            addresses.push(email);
        }
    }
    let mut chats: Vec<String> = held.iter().filter_map(|r| r.row.telegram_id.clone()).collect();
    let whatsapp: Vec<String> = super::whatsapp_contacts_of(tx.conn, held.iter().filter_map(|r| r.row.phone.clone()))?
        .into_iter()
        .map(|c| c.wa_id)
        .collect();
    // Notices to their WhatsApp contacts are theirs like those to their chats.
    chats.extend(whatsapp.iter().cloned());
    let accounts: Vec<String> = held.iter().filter_map(|r| r.row.user_id.clone()).collect();
    // Following other tickets (copied on a mail, or a merged report's requester) ends too.
    crate::db::followers::forget(tx.conn, &requester_ids, &addresses)?;
    let tickets = db::tickets_of(tx.conn, &requester_ids, true)?;
    let ticket_ids: Vec<String> = tickets.iter().map(|t| t.id.clone()).collect();
    let mut erased = Erased { tickets: tickets.iter().map(|t| t.number.clone()).collect(), ..Erased::default() };

    // Their tickets keep every figure, not their words.
    for t in &tickets {
        if t.title != REDACTED_TITLE || t.description != REDACTED_TEXT || t.tracking_token_hash.is_some() {
            db::redact_tickets(tx.conn, std::slice::from_ref(&t.id), REDACTED_TITLE, REDACTED_TEXT)?;
        }
    }

    // Messages: theirs emptied; everybody else's without their name and contact.
    let mut own = Vec::new();
    for m in db::messages_of(tx.conn, &ticket_ids)? {
        let theirs = match &m.author_id {
            Some(author) => accounts.contains(author),
            None => m.author_name != SYSTEM_NAME,
        };
        if theirs {
            if m.author_id.is_some() || m.author_name != ANONYMOUS_NAME || m.body != REDACTED_TEXT {
                erased.messages_redacted += 1;
            }
            own.push(m.id);
        } else {
            let body = redact(&m.body, &needles);
            if body != m.body {
                db::set_message_body(tx.conn, &m.id, &body)?;
                erased.messages_scrubbed += 1;
            }
        }
    }
    if erased.messages_redacted > 0 {
        db::redact_messages(tx.conn, &own, ANONYMOUS_NAME, REDACTED_TEXT)?;
    }
    for (ticket_id, note) in db::breach_notes_of(tx.conn, &ticket_ids)? {
        let scrubbed = redact(&note, &needles);
        if scrubbed != note {
            db::set_breach_note(tx.conn, &ticket_id, &scrubbed)?;
            erased.messages_scrubbed += 1;
        }
    }

    // Files of the ticket itself (what they sent with the report, and documents made from it
    // that name them, such as the written incident notice) and of their messages; files staff
    // sent with their own messages stay.
    let files: Vec<_> = db::attachments_of(tx.conn, &ticket_ids)?
        .into_iter()
        .filter(|a| a.message_id.as_ref().is_none_or(|m| own.contains(m)))
        .collect();
    if !files.is_empty() {
        let ids: Vec<String> = files.iter().map(|a| a.id.clone()).collect();
        erased.attachments_removed = db::delete_attachments(tx.conn, &ids)?;
        let mut shas: Vec<String> = files.into_iter().map(|a| a.sha256).collect();
        shas.sort();
        shas.dedup();
        erased.files_deleted = db::delete_unreferenced_blobs(tx.conn, &shas)?;
    }

    // The free text of their tickets' audit events: erased whole (a commitment cannot be kept
    // to a text changed in part); the events and the chain stay.
    erased.erased_text_ids = audit_texts::unerased_of_tickets(tx.conn, &ticket_ids)?;
    erased.event_texts_erased = audit_texts::erase(tx.conn, &erased.erased_text_ids, now)?;
    erased.articles_scrubbed = crate::desk::kb::scrub_linked(tx, &ticket_ids, &needles)?;

    erased.ratings_scrubbed = db::csat_of(tx.conn, &ticket_ids)?.iter().filter(|c| c.comment.is_some()).count();
    db::scrub_csat(tx.conn, &ticket_ids)?;

    erase_mail(tx, &ticket_ids, &addresses, &mut erased)?;
    erase_notices(tx, &ticket_ids, &addresses, &chats, &needles, &mut erased)?;

    for chat in &chats {
        if let Ok(chat_id) = chat.parse::<i64>() {
            if db::forget_citizen_chat(tx.conn, chat_id)? > 0 {
                erased.telegram_chats_forgotten += 1;
            }
        }
    }

    erased.whatsapp_contacts_forgotten = crate::db::whatsapp::forget(tx.conn, &whatsapp)?;

    for account in &accounts {
        let username = format!("anonim-{}", account.replace('-', ""));
        if db::anonymise_requester_account(tx.conn, account, &username, ANONYMOUS_NAME, now)? > 0 {
            desk.names.forget_user(account);
            erased.accounts_closed += 1;
        }
    }

    for r in held.iter().filter(|r| r.anonymised_at.is_none()) {
        erased.requesters += db::anonymise_requester(tx.conn, &r.row.id, ANONYMOUS_NAME, now)?;
    }
    erased.already_anonymised =
        erased == Erased { tickets: erased.tickets.clone(), already_anonymised: false, ..Erased::default() };
    Ok(erased)
}

/// Mail records in and out: their address and the subject (their words, or the title) go; the
/// record stays, so the same message delivered again is still recognised and not taken in twice.
fn erase_mail(tx: &mut Tx, ticket_ids: &[String], addresses: &[String], erased: &mut Erased) -> DeskResult<()> {
    let records = db::mail_of(tx.conn, ticket_ids, addresses)?;
    let mut theirs = Vec::new();
    for mail in &records {
        let from_them = addresses.contains(&mail.sender);
        let sender = if from_them { ERASED_ADDRESS } else { mail.sender.as_str() };
        if sender != mail.sender || mail.subject != REDACTED_TITLE {
            db::redact_mail(tx.conn, &mail.id, sender, REDACTED_TITLE)?;
            erased.mail_records_scrubbed += 1;
        }
        if from_them || mail.ticket_id.is_some() {
            theirs.push(mail.id.clone());
        }
    }
    let quarantined = db::quarantined_among(tx.conn, &theirs)?;
    erased.quarantined_mail_deleted = db::delete_quarantined(tx.conn, &quarantined)?;
    Ok(())
}

/// Notices to them keep only the ticket number (and are not sent if still waiting); notices
/// to staff about their tickets lose the title and any name or contact.
fn erase_notices(
    tx: &mut Tx,
    ticket_ids: &[String],
    addresses: &[String],
    chats: &[String],
    needles: &[Needle],
    erased: &mut Erased,
) -> DeskResult<()> {
    let recipients: Vec<String> = addresses.iter().chain(chats).cloned().collect();
    let now = tx.now.naive_utc();
    for notice in db::outbox_of(tx.conn, ticket_ids, &recipients)? {
        let to_them = recipients.contains(&notice.recipient);
        let payload: Value = serde_json::from_str(&notice.payload).unwrap_or(Value::Null);
        let scrubbed = if to_them {
            let mut kept = serde_json::Map::new();
            for key in ["number", "status"] {
                if let Some(v) = payload.get(key) {
                    kept.insert(key.to_string(), v.clone());
                }
            }
            Value::Object(kept)
        } else {
            scrub_value(payload, needles)
        };
        let recipient = if to_them { ERASED_ADDRESS } else { notice.recipient.as_str() };
        let text = scrubbed.to_string();
        let settle = (to_them && notice.delivered_at.is_none()).then_some((now, NOT_SENT));
        if recipient != notice.recipient || text != notice.payload {
            db::scrub_notice(tx.conn, &notice.id, recipient, &text, settle)?;
            erased.notices_scrubbed += 1;
            if settle.is_some() {
                erased.notices_cancelled += 1;
            }
        }
    }
    Ok(())
}

/// A payload for staff (or a webhook) without the ticket's words, the requester or tokens.
fn scrub_value(value: Value, needles: &[Needle]) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .filter(|(k, _)| !k.ends_with("_token"))
                .map(|(k, v)| {
                    let v = match k.as_str() {
                        "title" | "subject" if v.is_string() => json!(REDACTED_TITLE),
                        "description" | "body" | "comment" | "text" if v.is_string() => json!(REDACTED_TEXT),
                        "requester" if v.is_object() => json!({ "name": ANONYMOUS_NAME }),
                        _ => scrub_value(v, needles),
                    };
                    (k, v)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(|v| scrub_value(v, needles)).collect()),
        Value::String(s) => Value::String(redact(&s, needles)),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn staff_payloads_lose_words_and_tokens() {
        let needles = [Needle { text: "Dewi".into(), whole_word: true }];
        let payload = json!({ "number": "SD-2026-000001", "title": "Akun Dewi", "csat_token": "abc",
            "note": "hubungi Dewi", "requester": { "name": "Dewi", "email": "d@x.id" }, "percent": 75 });
        let out = scrub_value(payload, &needles);
        assert_eq!(
            out,
            json!({ "number": "SD-2026-000001", "title": REDACTED_TITLE, "note": "hubungi [dianonimkan]",
                "requester": { "name": ANONYMOUS_NAME }, "percent": 75 })
        );
    }
}

//! The written incident notice (SPEC 6): reporter, description, chronology, impact and actions,
//! generated from the ticket as Markdown and as an A4 PDF, kept with the ticket as attachments
//! and recorded with their SHA-256 in the audit log. Producing it stops the 24-hour clock.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::json;

use super::view::utc;
use super::{Desk, DeskError, DeskResult, Tx};
use crate::db::catalog as catalog_db;
use crate::db::tickets as tickets_db;
use crate::domain::role::Role;

#[derive(Debug, Clone, Serialize)]
pub struct NoticeFile {
    pub file_name: String,
    pub content_type: &'static str,
    pub sha256: String,
    pub size_bytes: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct Notice {
    pub number: String,
    pub generated_at: DateTime<Utc>,
    pub files: Vec<NoticeFile>,
    /// Whether the 24-hour notice clock was met by this notice (or an earlier one).
    pub within_24_hours: Option<bool>,
    #[serde(skip)]
    pub markdown: String,
    #[serde(skip)]
    pub pdf: Vec<u8>,
}

fn sha256(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

fn level(text: &str) -> &str {
    match text {
        "high" => "tinggi",
        "medium" => "sedang",
        "low" => "rendah",
        other => other,
    }
}

/// Writes the notice of `number` now. Staff who may act on the ticket produce it; each call
/// makes a new version (the chronology grows), the first one stops the clock.
pub fn produce(tx: &mut Tx, desk: &Desk, actor: &crate::domain::role::Actor, number: &str) -> DeskResult<Notice> {
    if !matches!(actor.role, Role::AgentT1 | Role::AgentT2 | Role::Supervisor | Role::Admin) {
        return Err(DeskError::Forbidden(format!("a {} may not write incident notices", actor.role)));
    }
    let ticket = super::tickets::visible_ticket_for_update(tx.conn, actor, number)?;
    let t = &ticket.row;
    let incident = crate::db::incidents::get(tx.conn, &t.id)?
        .filter(|r| r.security_flagged_at.is_some() || r.breach_flagged_at.is_some())
        .ok_or_else(|| {
            DeskError::conflict("not_an_incident", format!("{number} is not flagged as a security incident"))
        })?;
    let zone = desk.zone;
    let when = |at: DateTime<Utc>| at.with_timezone(&zone).format("%d-%m-%Y %H.%M %Z").to_string();
    let requester = catalog_db::requester_by_id(tx.conn, &t.requester_id)?;
    let unit = catalog_db::unit_by_id(tx.conn, &t.unit_id)?.map(|u| u.name).unwrap_or_default();
    let service = match &t.service_id {
        Some(id) => catalog_db::service_by_id(tx.conn, id)?.map(|s| s.name),
        None => None,
    };
    let reporter = requester
        .as_ref()
        .map(|r| {
            let contact: Vec<&str> = [r.email.as_deref(), r.phone.as_deref()].into_iter().flatten().collect();
            if contact.is_empty() {
                r.name.clone()
            } else {
                format!("{} ({})", r.name, contact.join(", "))
            }
        })
        .unwrap_or_else(|| "—".into());
    let flagged = incident.security_flagged_at.or(incident.breach_flagged_at).map(utc).unwrap_or(utc(t.created_at));
    let due = crate::domain::incident::NoticeClock::IncidentNotice.due(flagged);
    let mut facts = vec![
        ("Nomor tiket".to_string(), t.number.clone()),
        ("Judul".to_string(), t.title.clone()),
        ("Perangkat Daerah".to_string(), unit.clone()),
        ("Layanan SPBE".to_string(), service.clone().unwrap_or_else(|| "—".into())),
        ("Pelapor".to_string(), reporter.clone()),
        ("Kanal".to_string(), t.channel.clone()),
        ("Dilaporkan".to_string(), when(utc(t.created_at))),
        ("Ditandai insiden".to_string(), when(flagged)),
        ("Batas pemberitahuan".to_string(), format!("{} (1×24 jam)", when(due))),
        ("Status tiket".to_string(), t.status.clone()),
    ];
    if let Some(at) = incident.breach_flagged_at {
        facts.push((
            "Kebocoran data pribadi".to_string(),
            format!(
                "ya, sejak {}; pemberitahuan kepada subjek data dan lembaga paling lambat {} (UU 27/2022 Pasal 46)",
                when(utc(at)),
                when(crate::domain::incident::NoticeClock::BreachNotice.due(utc(at)))
            ),
        ));
    }
    // Chronology: the audit events and the conversation, in order.
    let mut chronology: Vec<(DateTime<Utc>, String)> = Vec::new();
    for e in crate::db::events::for_ticket(tx.conn, &t.id)? {
        let who = match &e.actor_id {
            Some(id) => desk.names.username(tx.conn, id)?,
            None => "sistem".into(),
        };
        if e.kind == "message.added" {
            continue;
        }
        chronology.push((utc(e.created_at), format!("{} — {} ({who})", when(utc(e.created_at)), e.kind)));
    }
    let mut actions = Vec::new();
    for m in tickets_db::messages_for(tx.conn, &t.id, true)? {
        let who = match &m.author_id {
            Some(id) => desk.names.username(tx.conn, id)?,
            None => m.author_name.clone(),
        };
        let kind = if m.internal { "catatan internal" } else { "pesan" };
        chronology.push((utc(m.created_at), format!("{} — {kind} dari {who}", when(utc(m.created_at)))));
        if m.author_id.is_some() {
            actions.push(format!("{} ({who}, {kind}): {}", when(utc(m.created_at)), m.body.trim()));
        }
    }
    chronology.sort_by_key(|(at, _)| *at);
    let impact = format!(
        "Dampak {}, urgensi {}, prioritas {}. Layanan terdampak: {}. Klasifikasi informasi: {}.{}",
        level(&t.impact),
        level(&t.urgency),
        t.priority,
        service.as_deref().unwrap_or("belum ditentukan"),
        t.classification,
        if incident.breach_flagged_at.is_some() { " Melibatkan data pribadi." } else { "" }
    );
    if actions.is_empty() {
        actions.push("Belum ada tindakan yang dicatat.".into());
    }
    let sections = vec![
        ("1. Uraian insiden".to_string(), vec![t.description.trim().to_string()]),
        ("2. Kronologi".to_string(), chronology.into_iter().map(|(_, line)| line).collect()),
        ("3. Dampak".to_string(), vec![impact]),
        ("4. Tindakan yang telah dilakukan".to_string(), actions),
    ];
    let title = format!("Laporan Insiden Keamanan Informasi {}", t.number);
    let generated = tx.now;
    let mut markdown = format!("# {title}\n\n");
    for (label, value) in &facts {
        markdown.push_str(&format!("- **{label}:** {value}\n"));
    }
    for (heading, paragraphs) in &sections {
        markdown.push_str(&format!("\n## {heading}\n\n"));
        for p in paragraphs {
            markdown.push_str(&format!("{p}\n\n"));
        }
    }
    markdown.push_str(&format!(
        "---\nDibuat oleh meja pada {} oleh {} ({}).\n",
        when(generated),
        actor.name,
        actor.username
    ));
    let footer = format!("meja · {} · {}", t.number, unit);
    let pdf = crate::reports::pdf::render_text(&crate::reports::pdf::TextDocument {
        title: &title,
        facts: &facts,
        sections: &sections,
        footer: &footer,
        created: generated,
    });
    let stamp = generated.with_timezone(&zone).format("%Y%m%d-%H%M%S");
    let mut files = Vec::new();
    for (bytes, extension, content_type) in
        [(markdown.as_bytes(), "md", "text/markdown"), (pdf.as_slice(), "pdf", "application/pdf")]
    {
        let file_name = format!("laporan-insiden-{}-{stamp}.{extension}", t.number);
        // The notice is the desk's document (it names the reporter): internal, never sent out.
        let upload = super::attachments::Upload {
            filename: file_name.clone(),
            declared_type: content_type.into(),
            bytes: bytes.to_vec(),
        };
        super::attachments::attach(tx, &t.id, None, true, &upload)?;
        files.push(NoticeFile { file_name, content_type, sha256: sha256(bytes), size_bytes: bytes.len() });
    }
    let produced = super::incidents::mark_notice_produced(tx, &t.id)?;
    let within = produced
        .and_then(|r| Some(utc(r.notice_produced_at?) <= due))
        .filter(|_| incident.security_flagged_at.is_some());
    tx.record(
        Some(&t.id),
        Some(&actor.user_id),
        "incident.notice_generated",
        json!({
            "files": files.iter().map(|f| json!({ "file_name": f.file_name, "sha256": f.sha256 })).collect::<Vec<_>>(),
            "due": due,
            "within_24_hours": within,
        }),
    )?;
    Ok(Notice { number: t.number.clone(), generated_at: generated, files, within_24_hours: within, markdown, pdf })
}

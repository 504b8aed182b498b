//! The quarantine: mail the intake kept whole instead of taking in (too large, no sender, or
//! refused for any other reason), so nothing a citizen sent is lost. Admins and supervisors see
//! it, read a message as plain text, and make it a ticket of a unit they choose or discard it;
//! both are audited.

use serde::Serialize;
use serde_json::json;

use super::{mail_row, open_from_mail, original_message, outcome, store_parts, Ingested};
use crate::db::mail::{self as db, MailboxRow};
use crate::db::outbox::{self, OutboxRow};
use crate::db::tickets as tickets_db;
use crate::db::DbConn;
use crate::desk::{Desk, DeskError, DeskResult, Tx};
use crate::domain::mail::{analyse, sha256_key, IncomingMail};
use crate::domain::role::{Actor, Role};

/// Keeps `raw` whole with its record (`outcome`), the reason and an audit event; a message seen
/// before (same key) is answered as the duplicate it is.
fn store(
    tx: &mut Tx,
    mailbox: Option<&str>,
    raw: &[u8],
    mail: &IncomingMail,
    outcome_name: &str,
    reason: &str,
) -> DeskResult<Option<Ingested>> {
    if let Some(seen) = db::mail_by_key(tx.conn, &mail.key)? {
        return Ok(Some(outcome("duplicate", None, Some(format!("already taken in as {}", seen.outcome)))));
    }
    let row = mail_row(tx, mailbox, mail, raw.len(), None, outcome_name);
    db::insert_mail(tx.conn, &row)?;
    db::quarantine(tx.conn, &row.id, raw, reason)?;
    tx.record(
        None,
        None,
        "mail.quarantined",
        json!({ "mailbox": mailbox, "mail_id": row.id, "size": raw.len(), "reason": reason }),
    )?;
    Ok(None)
}

/// An analysed message the intake will not take in (it names no sender): kept for a person.
pub(super) fn keep(
    tx: &mut Tx,
    mailbox: Option<&str>,
    raw: &[u8],
    mail: &IncomingMail,
    reason: &str,
) -> DeskResult<Ingested> {
    if let Some(duplicate) = store(tx, mailbox, raw, mail, "refused", reason)? {
        return Ok(duplicate);
    }
    Ok(outcome("quarantined", None, Some(format!("kept for an operator: {reason}"))))
}

/// The little that can be said of a message that cannot be read as mail, so it still has a
/// record: its hash as key, no sender, the reason as subject.
fn unreadable(raw: &[u8], reason: &str) -> IncomingMail {
    IncomingMail {
        key: sha256_key(raw),
        fingerprint: sha256_key(raw),
        sender: None,
        sender_written: None,
        sender_name: None,
        cc: Vec::new(),
        subject: reason.chars().take(200).collect(),
        refers_to: Vec::new(),
        number_in_subject: None,
        automatic: None,
        bounce: false,
        body: String::from_utf8_lossy(&raw[..raw.len().min(4000)]).into_owned(),
        forwarded: Vec::new(),
        parts: Vec::new(),
        language: "id",
    }
}

/// A message the intake refused (unreadable, or a rule of the use case said no): kept whole
/// for an operator with the reason, so a mailbox never stalls on it and nothing a citizen sent
/// is lost. The sender is not answered: what went wrong is not theirs to fix. A mailbox that
/// does not exist (a mistyped MTA pipe) still keeps the message, with no mailbox.
pub fn quarantine_refused(tx: &mut Tx, desk: &Desk, mailbox: &str, raw: &[u8], reason: &str) -> DeskResult<Ingested> {
    let known = db::mailbox(tx.conn, mailbox)?.map(|m| m.name);
    let mail = analyse(raw, &desk.number_prefix).unwrap_or_else(|_| unreadable(raw, reason));
    if let Some(duplicate) = store(tx, known.as_deref(), raw, &mail, "refused", reason)? {
        return Ok(duplicate);
    }
    Ok(outcome("quarantined", None, Some(format!("kept for an operator: {reason}"))))
}

/// Too large to take in: kept whole for an operator and answered politely (unless a machine
/// sent it), so nothing a citizen sent is ever dropped.
pub(super) fn too_large(
    tx: &mut Tx,
    desk: &Desk,
    mailbox: &MailboxRow,
    raw: &[u8],
    max_bytes: usize,
) -> DeskResult<Ingested> {
    // Only the header section is read: the body is what is too large.
    let end = raw.windows(4).position(|w| w == b"\r\n\r\n").or_else(|| raw.windows(2).position(|w| w == b"\n\n"));
    let head = &raw[..end.unwrap_or(raw.len().min(64 * 1024))];
    let reason = format!("{} bytes is over the {max_bytes} byte limit", raw.len());
    let mut mail = analyse(head, &desk.number_prefix).unwrap_or_else(|_| unreadable(b"", &reason));
    // Without the body, a header-less message has no key of its own: the whole message is it.
    if mail.key.starts_with("sha256:") {
        mail.key = sha256_key(raw);
    }
    if let Some(duplicate) = store(tx, Some(&mailbox.name), raw, &mail, "quarantined", &reason)? {
        return Ok(duplicate);
    }
    if mail.automatic.is_none() {
        if let Some(to) = &mail.sender {
            let payload = json!({ "subject": mail.subject, "size_mb": raw.len() / (1024 * 1024), "limit_mb": max_bytes / (1024 * 1024), "mailbox": mailbox.address });
            outbox::insert(
                tx.conn,
                &OutboxRow::new(tx.now.naive_utc(), None, "email", to, "mail_too_large", &payload),
            )?;
        }
    }
    Ok(outcome("quarantined", None, Some(format!("{reason}: kept for an operator, the sender is told"))))
}

/// One entry as admins and supervisors see it.
#[derive(Debug, Clone, Serialize)]
pub struct QuarantineEntry {
    pub id: String,
    pub mailbox: Option<String>,
    pub sender: String,
    pub subject: String,
    pub reason: String,
    pub size_bytes: i64,
    pub received_at: chrono::DateTime<chrono::Utc>,
    /// `ticket` or `discarded`; absent while the entry waits for someone.
    pub settlement: Option<String>,
    pub settled_at: Option<chrono::DateTime<chrono::Utc>>,
    pub settled_by: Option<String>,
    /// The ticket it became.
    pub number: Option<String>,
}

fn require_overseer(actor: &Actor) -> DeskResult<()> {
    if matches!(actor.role, Role::Admin | Role::Supervisor) {
        Ok(())
    } else {
        Err(DeskError::Forbidden("the mail quarantine is for admins and supervisors".into()))
    }
}

fn entry_view(
    desk: &Desk,
    conn: &mut DbConn,
    (mail, q): (db::MailRow, db::QuarantineRow),
) -> DeskResult<QuarantineEntry> {
    let number = match &mail.ticket_id {
        Some(id) => tickets_db::by_id(conn, id)?.map(|t| t.number),
        None => None,
    };
    let settled_by = q.settled_by.as_deref().map(|id| desk.names.username(conn, id)).transpose()?;
    Ok(QuarantineEntry {
        id: mail.id,
        mailbox: mail.mailbox,
        sender: mail.sender,
        subject: mail.subject,
        reason: q.reason,
        size_bytes: mail.size_bytes,
        received_at: mail.created_at.and_utc(),
        settlement: q.settlement,
        settled_at: q.settled_at.map(|t| t.and_utc()),
        settled_by,
        number,
    })
}

/// The quarantine, newest first (at most 500): what waits, or everything.
pub fn list(desk: &Desk, conn: &mut DbConn, actor: &Actor, open_only: bool) -> DeskResult<Vec<QuarantineEntry>> {
    require_overseer(actor)?;
    db::quarantine_entries(conn, open_only, 500)?.into_iter().map(|e| entry_view(desk, conn, e)).collect()
}

pub fn entry(desk: &Desk, conn: &mut DbConn, actor: &Actor, id: &str) -> DeskResult<QuarantineEntry> {
    require_overseer(actor)?;
    let found = db::quarantine_entry(conn, id)?.ok_or_else(|| DeskError::not_found("quarantined mail", id))?;
    entry_view(desk, conn, found)
}

/// The message as it arrived, for reading as text (never rendered: it may be hostile HTML).
pub fn raw(conn: &mut DbConn, actor: &Actor, id: &str) -> DeskResult<Vec<u8>> {
    require_overseer(actor)?;
    db::quarantined(conn, id)?.ok_or_else(|| DeskError::not_found("quarantined mail", id))
}

/// Loads an entry that still waits, for settling.
fn waiting(tx: &mut Tx, id: &str) -> DeskResult<(db::MailRow, Vec<u8>)> {
    let (mail, q) = db::quarantine_entry(tx.conn, id)?.ok_or_else(|| DeskError::not_found("quarantined mail", id))?;
    if let Some(done) = q.settlement {
        return Err(DeskError::conflict("already_settled", format!("this message was already settled ({done})")));
    }
    let raw = db::quarantined(tx.conn, id)?.unwrap_or_default();
    Ok((mail, raw))
}

/// Makes a quarantined message a ticket of `unit`: its text (cut to fit if need be), its
/// attachments and the whole original as `pesan-asli.eml`; the sender is answered as for any
/// new ticket when their address can receive mail.
pub fn make_ticket(tx: &mut Tx, desk: &Desk, actor: &Actor, id: &str, unit: &str) -> DeskResult<Ingested> {
    require_overseer(actor)?;
    let unit_row = desk
        .names
        .unit_by_code(tx.conn, unit)?
        .ok_or_else(|| DeskError::invalid("unit", format!("no unit with code {unit}")))?;
    let (record, raw) = waiting(tx, id)?;
    let mut mail = analyse(&raw, &desk.number_prefix).unwrap_or_else(|_| unreadable(&raw, &record.subject));
    if mail.sender_written.is_none() {
        mail.sender_written = Some("(tanpa pengirim)".into());
    }
    let opened = open_from_mail(tx, desk, &unit_row.id, &mail, &raw)?;
    store_parts(
        tx,
        &opened.row.id,
        None,
        &mail,
        Some(opened.original.unwrap_or_else(|| original_message(&raw))),
        false,
    )?;
    db::set_mail_ticket(tx.conn, id, &opened.row.id, "created_from_quarantine")?;
    db::settle_quarantined(tx.conn, id, "ticket", &actor.user_id, tx.now.naive_utc())?;
    tx.record(
        Some(&opened.row.id),
        Some(&actor.user_id),
        "mail.quarantine_released",
        json!({ "mail_id": id, "unit": unit_row.code }),
    )?;
    Ok(outcome("created", Some(opened.row.number), Some("made a ticket from the quarantine".into())))
}

/// Discards a quarantined message: its bytes go, its record and the audit event stay.
pub fn discard(tx: &mut Tx, actor: &Actor, id: &str) -> DeskResult<()> {
    require_overseer(actor)?;
    waiting(tx, id)?;
    db::settle_quarantined(tx.conn, id, "discarded", &actor.user_id, tx.now.naive_utc())?;
    tx.record(None, Some(&actor.user_id), "mail.quarantine_discarded", json!({ "mail_id": id }))?;
    Ok(())
}

//! E-mail intake (SPEC section 5): one raw message in, and in the same transaction a new ticket,
//! a message on an existing one, a follow-up of a closed one, a recorded bounce, an ignored
//! autoreply or a quarantined oversized mail — and the record of the message, so the same
//! message delivered again (an IMAP session cut before the flag was set) changes nothing.

use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};

use super::catalog::check_email;
use super::tickets::{self, Author, NewMessage, NewTicket, RequesterInput, MAX_BODY, MAX_TITLE};
use super::{new_id, Desk, DeskError, DeskResult, Tx};
use crate::db::catalog as catalog_db;
use crate::db::mail::{self as db, AttachmentRow, MailRow, MailboxRow};
use crate::db::outbox::{self, OutboxRow};
use crate::db::tickets::{self as tickets_db, TicketRow};
use crate::domain::mail::{analyse, sha256_key, IncomingMail};
use crate::domain::role::{Actor, Role};
use crate::domain::ticket::{Channel, Kind, Level, Status};

/// SPEC 5: mail above this (25 MB) is quarantined and answered, never dropped.
pub const DEFAULT_MAX_MAIL_BYTES: usize = 25 * 1024 * 1024;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewMailbox {
    pub name: String,
    pub unit: String,
    pub address: String,
    #[serde(default)]
    pub imap_url: Option<String>,
}

/// A mailbox as shown: the IMAP URL is a secret (it carries a password) and is never shown back.
#[derive(Debug, Clone, Serialize)]
pub struct MailboxView {
    pub name: String,
    pub unit: String,
    pub address: String,
    pub imap: bool,
}

pub fn create_mailbox(tx: &mut Tx, desk: &Desk, actor: Option<&Actor>, input: NewMailbox) -> DeskResult<MailboxView> {
    if actor.is_some_and(|a| a.role != Role::Admin) {
        return Err(DeskError::Forbidden("only admins configure mailboxes".into()));
    }
    let name = input.name.trim().to_ascii_lowercase();
    if !(2..=40).contains(&name.len()) || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
        return Err(DeskError::invalid("name", "2-40 characters: letters, digits, '-' or '_'"));
    }
    let address = input.address.trim().to_ascii_lowercase();
    check_email("address", &address)?;
    if let Some(url) = &input.imap_url {
        let ok = url.starts_with("imaps://") || url.starts_with("imap://");
        if !ok {
            return Err(DeskError::invalid("imap_url", "must look like imaps://user:password@host:993/INBOX"));
        }
    }
    let unit = desk
        .names
        .unit_by_code(tx.conn, &input.unit)?
        .ok_or_else(|| DeskError::invalid("unit", format!("no unit with code {}", input.unit)))?;
    if db::mailbox(tx.conn, &name)?.is_some() {
        return Err(DeskError::conflict("already_exists", format!("mailbox {name} already exists")));
    }
    let row = MailboxRow {
        name: name.clone(),
        unit_id: unit.id.clone(),
        address: address.clone(),
        imap_url: input.imap_url.clone(),
        created_at: tx.now.naive_utc(),
    };
    db::insert_mailbox(tx.conn, &row)?;
    tx.record(
        None,
        actor.map(|a| a.user_id.as_str()),
        "mailbox.created",
        json!({ "mailbox": name, "unit": unit.code, "address": address, "imap": row.imap_url.is_some() }),
    )?;
    Ok(MailboxView { name, unit: unit.code, address, imap: row.imap_url.is_some() })
}

pub fn list_mailboxes(desk: &Desk, conn: &mut crate::db::DbConn) -> DeskResult<Vec<MailboxView>> {
    db::mailboxes_all(conn)?
        .into_iter()
        .map(|m| {
            Ok(MailboxView {
                unit: desk.names.unit_code(conn, &m.unit_id)?,
                name: m.name,
                address: m.address,
                imap: m.imap_url.is_some(),
            })
        })
        .collect()
}

/// What became of one message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Ingested {
    /// `created`, `appended`, `reopened`, `noted` (staff mail kept as an internal note),
    /// `follow_up`, `duplicate`, `ignored`, `bounce`, `quarantined`.
    pub outcome: String,
    pub number: Option<String>,
    pub detail: Option<String>,
}

fn outcome(outcome: &str, number: Option<String>, detail: Option<String>) -> Ingested {
    Ingested { outcome: outcome.into(), number, detail }
}

/// Takes one raw message addressed to `mailbox`. Everything it changes is one transaction with
/// its audit events; the caller marks the message processed on the mail server only after this
/// returned (a redelivery is then recognised by its Message-ID, or the hash of the raw bytes).
pub fn ingest(tx: &mut Tx, desk: &Desk, mailbox: &str, raw: &[u8]) -> DeskResult<Ingested> {
    let max_bytes = desk.mail_max_bytes;
    let mailbox = db::mailbox(tx.conn, mailbox)?
        .ok_or_else(|| DeskError::invalid("mailbox", format!("no mailbox {mailbox:?} (meja mailbox list)")))?;
    if raw.len() > max_bytes {
        return quarantine(tx, desk, &mailbox, raw, max_bytes);
    }
    let mail = analyse(raw, &desk.number_prefix).map_err(|e| DeskError::invalid("message", e))?;
    if let Some(seen) = db::mail_by_key(tx.conn, &mail.key)? {
        let number = seen.ticket_id.map(|id| tickets_db::by_id(tx.conn, &id)).transpose()?.flatten().map(|t| t.number);
        return Ok(outcome("duplicate", number, Some(format!("already taken in as {}", seen.outcome))));
    }
    if mail.bounce {
        let ticket = db::ticket_of_any(tx.conn, &mail.refers_to)?;
        let number = record(tx, &mailbox, &mail, raw.len(), ticket.as_deref(), "bounce")?;
        if let Some(id) = &ticket {
            tx.record(Some(id), None, "mail.bounced", json!({ "from": mail.sender, "subject": mail.subject }))?;
        }
        return Ok(outcome("bounce", number, Some("delivery status notification recorded".into())));
    }
    if let Some(reason) = mail.automatic.clone() {
        record(tx, &mailbox, &mail, raw.len(), None, "ignored")?;
        return Ok(outcome("ignored", None, Some(format!("written by a machine ({reason}): no ticket, no reply"))));
    }
    let sender = mail.sender.clone().unwrap_or_default();
    if let Some(thread) = thread_of(tx, &mail, &sender)? {
        return continue_thread(tx, desk, &mailbox, &mail, raw.len(), thread, &sender);
    }
    let opened = open_from_mail(tx, desk, &mailbox, &mail, &sender)?;
    let number = opened.number.clone();
    record(tx, &mailbox, &mail, raw.len(), Some(&opened.id), "created")?;
    store_parts(tx, &opened.id, None, &mail)?;
    Ok(outcome("created", Some(number), None))
}

/// Who writes on a thread.
enum Writer {
    /// The ticket's requester: a public message (reopens a resolved ticket, resumes a pending one).
    Requester,
    /// A member of staff who may see the ticket: kept as an internal note. Staff answer notices
    /// by mail ("ok, saya cek"); such text must never reach the citizen by accident.
    Staff(Actor),
}

/// The ticket a message continues: a Message-ID the desk has seen first, then a number in the
/// subject. Either must come from the ticket's requester, or from staff who may see the ticket
/// and write notes on it — a number typed in a subject is no key, so anyone else's mail becomes
/// a ticket of its own.
fn thread_of(tx: &mut Tx, mail: &IncomingMail, sender: &str) -> DeskResult<Option<(TicketRow, Writer)>> {
    let by_header = db::ticket_of_any(tx.conn, &mail.refers_to)?;
    let candidate = match by_header {
        Some(id) => tickets_db::by_id(tx.conn, &id)?,
        None => match &mail.number_in_subject {
            Some(number) => tickets_db::by_number(tx.conn, number)?,
            None => None,
        },
    };
    let Some(ticket) = candidate else { return Ok(None) };
    let requester = catalog_db::requester_by_id(tx.conn, &ticket.requester_id)?;
    if requester.and_then(|r| r.email).is_some_and(|e| e.eq_ignore_ascii_case(sender)) {
        return Ok(Some((ticket, Writer::Requester)));
    }
    let Some(actor) = staff_by_email(tx, sender)? else { return Ok(None) };
    let loaded = super::view::Ticket::load(tx.conn, ticket.clone())?;
    if actor.can_write_messages(&loaded.scope(), true) {
        Ok(Some((ticket, Writer::Staff(actor))))
    } else {
        Ok(None)
    }
}

fn staff_by_email(tx: &mut Tx, email: &str) -> DeskResult<Option<Actor>> {
    let user = catalog_db::user_by_email(tx.conn, email)?.filter(|u| u.active);
    Ok(user.and_then(|u| {
        let role = Role::parse(&u.role)?;
        role.is_staff().then_some(Actor { user_id: u.id, username: u.username, name: u.name, role, unit_id: u.unit_id })
    }))
}

fn continue_thread(
    tx: &mut Tx,
    desk: &Desk,
    mailbox: &MailboxRow,
    mail: &IncomingMail,
    size: usize,
    (ticket, writer): (TicketRow, Writer),
    sender: &str,
) -> DeskResult<Ingested> {
    let status = Status::parse(&ticket.status).unwrap_or(Status::Open);
    if matches!(writer, Writer::Requester) && matches!(status, Status::Closed | Status::Cancelled) {
        // SPEC 5: a reply to a closed ticket opens a new one linked to the old.
        let opened = open_from_mail(tx, desk, mailbox, mail, sender)?;
        db::link_tickets(tx.conn, &opened.id, &ticket.id, "follow_up_of", tx.now.naive_utc())?;
        tx.record(Some(&opened.id), None, "ticket.linked", json!({ "follow_up_of": ticket.number }))?;
        record(tx, mailbox, mail, size, Some(&opened.id), "follow_up")?;
        store_parts(tx, &opened.id, None, mail)?;
        return Ok(outcome("follow_up", Some(opened.number), Some(format!("{} is {status}", ticket.number))));
    }
    let locked = tickets_db::by_number_for_update(tx.conn, &ticket.number)?.unwrap_or(ticket);
    let loaded = super::view::Ticket::load(tx.conn, locked)?;
    let number = loaded.row.number.clone();
    let id = loaded.row.id.clone();
    let body = clip(&mail.body, MAX_BODY).unwrap_or_else(|| "(pesan kosong)".into());
    let reopened = matches!(writer, Writer::Requester) && status == Status::Resolved;
    let message = match &writer {
        Writer::Staff(actor) => {
            let note = NewMessage { body, internal: true, channel: Some(Channel::Email) };
            tickets::add_message(tx, desk, Author::User(actor), loaded, note)?
        }
        Writer::Requester => {
            let name = mail.sender_name.clone().unwrap_or_else(|| sender.to_string());
            tickets::add_message(tx, desk, Author::Requester { name }, loaded, NewMessage::by_email(body))?
        }
    };
    let kind = if reopened {
        "reopened"
    } else if matches!(writer, Writer::Staff(_)) {
        "noted"
    } else {
        "appended"
    };
    record(tx, mailbox, mail, size, Some(&id), kind)?;
    store_parts(tx, &id, Some(&message.id), mail)?;
    Ok(outcome(kind, Some(number), None))
}

fn clip(text: &str, max_chars: usize) -> Option<String> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return None;
    }
    if trimmed.chars().count() <= max_chars {
        return Some(trimmed.to_string());
    }
    let cut: String = trimmed.chars().take(max_chars - 40).collect();
    Some(format!("{cut}\n\n[… dipotong; pesan lengkap ada di arsip e-mail]"))
}

fn open_from_mail(
    tx: &mut Tx,
    desk: &Desk,
    mailbox: &MailboxRow,
    mail: &IncomingMail,
    sender: &str,
) -> DeskResult<TicketRow> {
    let unit = desk.names.unit_code(tx.conn, &mailbox.unit_id)?;
    let title = clip(&mail.subject, MAX_TITLE)
        .map(|t| t.chars().take(MAX_TITLE).collect())
        .unwrap_or_else(|| "(tanpa subjek)".into());
    let description = clip(&mail.body, MAX_BODY).unwrap_or_else(|| "(pesan tanpa teks; lihat lampiran)".into());
    let (security, breach) = crate::domain::incident::flags_in_subject(&mail.subject);
    let input = NewTicket {
        kind: Kind::Incident,
        title,
        description,
        unit: Some(unit),
        service: None,
        impact: Level::Medium,
        urgency: Level::Medium,
        requester: Some(RequesterInput {
            language: Some(mail.language.to_string()),
            ..RequesterInput::named(
                mail.sender_name.clone().unwrap_or_else(|| sender.to_string()).chars().take(200).collect::<String>(),
                Some(sender.to_string()),
            )
        }),
        classification: None,
        security_incident: Some(security),
        personal_data_breach: Some(breach),
        channel: Some(Channel::Email),
    };
    Ok(tickets::open_ticket(tx, desk, None, input)?.ticket.row)
}

/// Records the message (the deduplication key) with what became of it, and its audit event.
fn record(
    tx: &mut Tx,
    mailbox: &MailboxRow,
    mail: &IncomingMail,
    size: usize,
    ticket_id: Option<&str>,
    outcome: &str,
) -> DeskResult<Option<String>> {
    let row = MailRow {
        id: new_id(),
        message_key: mail.key.clone(),
        direction: "in".into(),
        mailbox: Some(mailbox.name.clone()),
        ticket_id: ticket_id.map(str::to_string),
        sender: mail.sender.clone().unwrap_or_default(),
        subject: mail.subject.chars().take(500).collect(),
        outcome: outcome.into(),
        size_bytes: size as i64,
        created_at: tx.now.naive_utc(),
    };
    db::insert_mail(tx.conn, &row)?;
    tx.record(
        ticket_id,
        None,
        "mail.received",
        json!({ "mailbox": mailbox.name, "outcome": outcome, "size": size, "attachments": mail.parts.len() }),
    )?;
    Ok(match ticket_id {
        Some(id) => tickets_db::by_id(tx.conn, id)?.map(|t| t.number),
        None => None,
    })
}

/// Attachments and inline images, each content stored once by its SHA-256.
fn store_parts(tx: &mut Tx, ticket_id: &str, message_id: Option<&str>, mail: &IncomingMail) -> DeskResult<()> {
    for part in &mail.parts {
        let sha = hex::encode(Sha256::digest(&part.content));
        db::put_blob(tx.conn, &sha, &part.content)?;
        db::insert_attachment(
            tx.conn,
            &AttachmentRow {
                id: new_id(),
                ticket_id: ticket_id.to_string(),
                message_id: message_id.map(str::to_string),
                filename: part.filename.chars().take(255).collect(),
                content_type: part.content_type.clone(),
                size_bytes: part.content.len() as i64,
                sha256: sha,
                inline_part: part.inline,
                created_at: tx.now.naive_utc(),
            },
        )?;
    }
    Ok(())
}

/// Keeps a message whole in the quarantine with its record and audit event, unless it was
/// seen before (`Err` carries the duplicate's outcome).
fn keep_in_quarantine(
    tx: &mut Tx,
    mailbox: &MailboxRow,
    raw: &[u8],
    key: String,
    (sender, subject): (Option<&str>, &str),
    outcome_name: &str,
    data: serde_json::Value,
) -> DeskResult<Result<(), Ingested>> {
    if let Some(seen) = db::mail_by_key(tx.conn, &key)? {
        return Ok(Err(outcome("duplicate", None, Some(format!("already taken in as {}", seen.outcome)))));
    }
    let row = MailRow {
        id: new_id(),
        message_key: key,
        direction: "in".into(),
        mailbox: Some(mailbox.name.clone()),
        ticket_id: None,
        sender: sender.unwrap_or_default().to_string(),
        subject: subject.chars().take(500).collect(),
        outcome: outcome_name.into(),
        size_bytes: raw.len() as i64,
        created_at: tx.now.naive_utc(),
    };
    db::insert_mail(tx.conn, &row)?;
    db::quarantine(tx.conn, &row.id, raw)?;
    let mut data = data;
    data["mailbox"] = json!(mailbox.name);
    data["mail_id"] = json!(row.id);
    tx.record(None, None, "mail.quarantined", data)?;
    Ok(Ok(()))
}

/// A message the intake refused (it named no readable sender, say): kept whole for an operator
/// with the reason, so a mailbox never stalls on it and nothing a citizen sent is lost. The
/// sender is not answered: what went wrong is not theirs to fix.
pub fn quarantine_refused(tx: &mut Tx, desk: &Desk, mailbox: &str, raw: &[u8], reason: &str) -> DeskResult<Ingested> {
    let mailbox = db::mailbox(tx.conn, mailbox)?
        .ok_or_else(|| DeskError::invalid("mailbox", format!("no mailbox {mailbox:?}")))?;
    let key = match analyse(raw, &desk.number_prefix) {
        Ok(mail) => mail.key,
        Err(_) => sha256_key(raw),
    };
    if let Err(duplicate) =
        keep_in_quarantine(tx, &mailbox, raw, key, (None, reason), "refused", json!({ "reason": reason }))?
    {
        return Ok(duplicate);
    }
    Ok(outcome("quarantined", None, Some(format!("kept for an operator: {reason}"))))
}

/// Too large to take in: kept whole for an operator and answered politely (unless a machine
/// sent it), so nothing a citizen sent is ever dropped.
fn quarantine(tx: &mut Tx, desk: &Desk, mailbox: &MailboxRow, raw: &[u8], max_bytes: usize) -> DeskResult<Ingested> {
    // Only the header section is read: the body is what is too large.
    let end = raw.windows(4).position(|w| w == b"\r\n\r\n").or_else(|| raw.windows(2).position(|w| w == b"\n\n"));
    let head = &raw[..end.unwrap_or(raw.len().min(64 * 1024))];
    let mail = analyse(head, &desk.number_prefix).ok();
    // Without the body, a header-less message has no key of its own: the whole message is it.
    let key =
        mail.as_ref().map(|m| m.key.clone()).filter(|k| !k.starts_with("sha256:")).unwrap_or_else(|| sha256_key(raw));
    let (sender, subject) = match &mail {
        Some(m) => (m.sender.as_deref(), m.subject.as_str()),
        None => (None, ""),
    };
    let data = json!({ "size": raw.len(), "limit": max_bytes });
    if let Err(duplicate) = keep_in_quarantine(tx, mailbox, raw, key, (sender, subject), "quarantined", data)? {
        return Ok(duplicate);
    }
    if let Some(m) = mail.as_ref().filter(|m| m.automatic.is_none()) {
        if let Some(to) = &m.sender {
            let payload = json!({ "subject": m.subject, "size_mb": raw.len() / (1024 * 1024), "limit_mb": max_bytes / (1024 * 1024), "mailbox": mailbox.address });
            outbox::insert(
                tx.conn,
                &OutboxRow::new(tx.now.naive_utc(), None, "email", to, "mail_too_large", &payload),
            )?;
        }
    }
    Ok(outcome(
        "quarantined",
        None,
        Some(format!(
            "{} bytes is over the {} byte limit: kept for an operator, the sender is told",
            raw.len(),
            max_bytes
        )),
    ))
}

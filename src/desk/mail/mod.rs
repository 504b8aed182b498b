//! E-mail intake (SPEC section 5): one raw message in, and in the same transaction a new ticket,
//! a message on an existing one, a follow-up of a closed one, a recorded bounce, an ignored
//! autoreply or a quarantined mail — and the record of the message, so the same message
//! delivered again (an IMAP session cut before the flag was set) changes nothing.
//!
//! Nothing that reaches the desk disappears: `take_in` (every intake path: IMAP, the MTA pipe,
//! the HTTP endpoint) keeps a message the use case refuses in the quarantine, where admins and
//! supervisors see it and make it a ticket or discard it (`quarantine`). Only a message the
//! desk could not store at all is answered with an error, so the mail server keeps it.

mod intake;
pub mod quarantine;

pub use intake::{take_in, take_in_blocking};
pub use quarantine::{quarantine_refused, QuarantineEntry};

use std::collections::HashSet;

use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};

use super::catalog::check_email;
use super::tickets::{self, Author, NewMessage, NewTicket, RequesterInput, MAX_BODY, MAX_TITLE};
use super::{new_id, Desk, DeskError, DeskResult, Tx};
use crate::db::catalog as catalog_db;
use crate::db::mail::{self as db, AttachmentRow, MailRow, MailboxRow};
use crate::db::tickets::{self as tickets_db, TicketRow};
use crate::domain::mail::{analyse, shorten_body, shorten_title, unique_name, IncomingMail, Part};
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
/// An `Err` that is not `Unavailable`/`Internal` is a refusal: `take_in` quarantines the message.
pub fn ingest(tx: &mut Tx, desk: &Desk, mailbox: &str, raw: &[u8]) -> DeskResult<Ingested> {
    let max_bytes = desk.mail_max_bytes;
    let mailbox = db::mailbox(tx.conn, mailbox)?
        .ok_or_else(|| DeskError::invalid("mailbox", format!("no mailbox {mailbox:?} (meja mailbox list)")))?;
    if raw.len() > max_bytes {
        return quarantine::too_large(tx, desk, &mailbox, raw, max_bytes);
    }
    let mut mail = analyse(raw, &desk.number_prefix).map_err(|e| DeskError::invalid("message", e))?;
    if let Some(seen) = seen_before(tx, &mut mail)? {
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
    if mail.sender_written.is_none() {
        return quarantine::keep(tx, Some(&mailbox.name), raw, &mail, "the message names no sender");
    }
    let sender = mail.sender.clone().unwrap_or_default();
    if let Some(thread) = thread_of(tx, &mail, &sender)? {
        return continue_thread(tx, desk, &mailbox, (&mail, raw), thread, &sender);
    }
    let opened = open_from_mail(tx, desk, &mailbox.unit_id, &mail, raw)?;
    let number = opened.row.number.clone();
    copied_follow(tx, &opened.row, &mail)?;
    record(tx, &mailbox, &mail, raw.len(), Some(&opened.row.id), "created")?;
    store_parts(tx, &opened.row.id, None, &mail, opened.original, false)?;
    Ok(outcome("created", Some(number), None))
}

/// The record of this message if the desk has taken it in before. Two messages that only share
/// a Message-ID (broken mailers and test tools reuse them) are not the same: the second gets
/// its own key, the ID with its fingerprint, so it is taken in and a redelivery of it is not.
fn seen_before(tx: &mut Tx, mail: &mut IncomingMail) -> DeskResult<Option<MailRow>> {
    let Some(seen) = db::mail_by_key(tx.conn, &mail.key)? else { return Ok(None) };
    let same = mail.key.starts_with("sha256:") || seen.fingerprint.as_deref().is_none_or(|f| f == mail.fingerprint);
    if same {
        return Ok(Some(seen));
    }
    mail.key = format!("{}#{}", mail.key, &mail.fingerprint[..16]);
    Ok(db::mail_by_key(tx.conn, &mail.key)?)
}

/// Who writes on a thread.
enum Writer {
    /// The ticket's requester: a public message (reopens a resolved ticket, resumes a pending one).
    /// `threaded`: the mail answers one the desk knows (In-Reply-To/References), so whom it
    /// copies may follow.
    Requester { threaded: bool },
    /// A follower of the ticket (Cc of an earlier mail, added by staff): a public message too.
    Follower,
    /// A member of staff who may see the ticket: kept as an internal note. Staff answer notices
    /// by mail ("ok, saya cek"); such text must never reach the citizen by accident.
    Staff(Actor),
}

/// The ticket a message continues: a Message-ID the desk has seen first, then a number in the
/// subject. Either must come from the ticket's requester, or from staff who may see the ticket
/// and write notes on it — a number typed in a subject is no key, so anyone else's mail becomes
/// a ticket of its own.
fn thread_of(tx: &mut Tx, mail: &IncomingMail, sender: &str) -> DeskResult<Option<(TicketRow, Writer)>> {
    if sender.is_empty() {
        return Ok(None);
    }
    let by_header = db::ticket_of_any(tx.conn, &mail.refers_to)?;
    let threaded = by_header.is_some();
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
        return Ok(Some((ticket, Writer::Requester { threaded })));
    }
    // Staff first: an officer who also follows the ticket still writes internal notes by mail.
    if let Some(actor) = staff_by_email(tx, sender)? {
        let loaded = super::view::Ticket::load(tx.conn, ticket.clone())?;
        return Ok(actor.can_write_messages(&loaded.scope(), true).then_some((ticket, Writer::Staff(actor))));
    }
    // A follower's answer counts only in a thread the desk started (its mail's Message-ID in
    // In-Reply-To or References): a number in a subject and a forged From are no key.
    if threaded && crate::desk::followers::follows_by_email(tx.conn, &ticket.id, sender)? {
        return Ok(Some((ticket, Writer::Follower)));
    }
    Ok(None)
}

fn staff_by_email(tx: &mut Tx, email: &str) -> DeskResult<Option<Actor>> {
    let user = catalog_db::user_by_email(tx.conn, email)?.filter(|u| u.active);
    Ok(user.as_ref().and_then(crate::desk::accounts::staff_actor))
}

fn continue_thread(
    tx: &mut Tx,
    desk: &Desk,
    mailbox: &MailboxRow,
    (mail, raw): (&IncomingMail, &[u8]),
    (ticket, writer): (TicketRow, Writer),
    sender: &str,
) -> DeskResult<Ingested> {
    let status = Status::parse(&ticket.status).unwrap_or(Status::Open);
    let public = matches!(writer, Writer::Requester { .. } | Writer::Follower);
    if public && matches!(status, Status::Closed | Status::Cancelled) {
        // SPEC 5: a reply to a closed ticket opens a new one linked to the old.
        let opened = open_from_mail(tx, desk, &mailbox.unit_id, mail, raw)?;
        let id = opened.row.id.clone();
        db::link_tickets(tx.conn, &id, &ticket.id, "follow_up_of", tx.now.naive_utc())?;
        tx.record(Some(&id), None, "ticket.linked", json!({ "follow_up_of": ticket.number }))?;
        record(tx, mailbox, mail, raw.len(), Some(&id), "follow_up")?;
        store_parts(tx, &id, None, mail, opened.original, false)?;
        return Ok(outcome("follow_up", Some(opened.row.number), Some(format!("{} is {status}", ticket.number))));
    }
    let locked = tickets_db::by_number_for_update(tx.conn, &ticket.number)?.unwrap_or(ticket);
    let loaded = super::view::Ticket::load(tx.conn, locked)?;
    let number = loaded.row.number.clone();
    let id = loaded.row.id.clone();
    let (body, original) = fitted_text(&mail.reply_text(), raw, "(pesan kosong)");
    let reopened = matches!(writer, Writer::Requester { .. }) && status == Status::Resolved;
    let message = match &writer {
        Writer::Staff(actor) => {
            let note =
                NewMessage { body, internal: true, channel: Some(Channel::Email), files: Vec::new(), minutes: None };
            tickets::add_message(tx, desk, Author::User(actor), loaded, note)?
        }
        Writer::Requester { .. } | Writer::Follower => {
            let name = mail.sender_name.clone().unwrap_or_else(|| sender.to_string());
            // Whom the requester copies follows, but only in a thread the desk started: a
            // forged From with the number in the subject must not subscribe anyone.
            if matches!(writer, Writer::Requester { threaded: true }) {
                copied_follow(tx, &loaded.row, mail)?;
            }
            let author =
                if matches!(writer, Writer::Follower) { Author::Follower { name } } else { Author::Requester { name } };
            tickets::add_message(tx, desk, author, loaded, NewMessage::by_email(body))?
        }
    };
    let kind = if reopened {
        "reopened"
    } else if matches!(writer, Writer::Staff(_)) {
        "noted"
    } else {
        "appended"
    };
    record(tx, mailbox, mail, raw.len(), Some(&id), kind)?;
    let internal = matches!(writer, Writer::Staff(_));
    store_parts(tx, &id, Some(&message.id), mail, original, internal)?;
    Ok(outcome(kind, Some(number), None))
}

/// Whom the requester copied (Cc) follows the ticket, apart from the desk's own addresses.
fn copied_follow(tx: &mut Tx, ticket: &TicketRow, mail: &IncomingMail) -> DeskResult<()> {
    if mail.cc.is_empty() {
        return Ok(());
    }
    let ours: Vec<String> = db::mailboxes_all(tx.conn)?.into_iter().map(|m| m.address).collect();
    crate::desk::followers::add_from_mail(tx, ticket, &mail.cc, &ours)
}

/// The text as a description or message: cut to the limit with a note when too long, the
/// whole original then kept beside it as `pesan-asli.eml`.
fn fitted_text(text: &str, raw: &[u8], when_empty: &str) -> (String, Option<Part>) {
    let text = text.trim();
    if text.is_empty() {
        return (when_empty.to_string(), None);
    }
    match shorten_body(text, MAX_BODY) {
        None => (text.to_string(), None),
        Some(cut) => (cut, Some(original_message(raw))),
    }
}

fn original_message(raw: &[u8]) -> Part {
    Part {
        filename: "pesan-asli.eml".into(),
        content_type: "message/rfc822".into(),
        content: raw.to_vec(),
        inline: false,
    }
}

/// A ticket opened from a mail, and the original message when its text had to be cut.
struct Opened {
    row: TicketRow,
    original: Option<Part>,
}

/// The requester a mail names: its address when the desk can answer it; otherwise nobody to
/// answer, and the sender as written in the name so staff see who wrote (`root@localhost`,
/// `budi@example.com.`) and no acknowledgement goes to an address that cannot receive it.
fn requester_of(mail: &IncomingMail) -> RequesterInput {
    let written = mail.sender_written.clone().unwrap_or_else(|| "(tanpa pengirim)".into());
    let deliverable = mail.sender.clone().filter(|s| check_email("sender", s).is_ok());
    let name = match (&deliverable, &mail.sender_name) {
        (Some(_), Some(name)) => name.clone(),
        (Some(address), None) => address.clone(),
        (None, Some(name)) if *name != written => format!("{name} <{written}>"),
        (None, _) => written,
    };
    RequesterInput {
        language: Some(mail.language.to_string()),
        ..RequesterInput::named(name.chars().take(200).collect::<String>(), deliverable)
    }
}

fn open_from_mail(tx: &mut Tx, desk: &Desk, unit_id: &str, mail: &IncomingMail, raw: &[u8]) -> DeskResult<Opened> {
    let unit = desk.names.unit_code(tx.conn, unit_id)?;
    let title = Some(shorten_title(&mail.subject, MAX_TITLE))
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| "(tanpa subjek)".into());
    let (description, original) = fitted_text(&mail.opening_text(), raw, "(pesan tanpa teks; lihat lampiran)");
    let (security, breach) = crate::domain::incident::flags_in_subject(&mail.subject);
    let input = NewTicket {
        kind: Kind::Incident,
        title,
        description,
        unit: Some(unit),
        service: None,
        impact: Level::Medium,
        urgency: Level::Medium,
        requester: Some(requester_of(mail)),
        classification: None,
        security_incident: Some(security),
        personal_data_breach: Some(breach),
        channel: Some(Channel::Email),
        follow_disruption: None,
    };
    let row = tickets::open_ticket(tx, desk, None, input)?.ticket.row;
    Ok(Opened { row, original })
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
    db::insert_mail(tx.conn, &mail_row(tx, Some(&mailbox.name), mail, size, ticket_id, outcome))?;
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

/// The record of an incoming message; the sender as written, so an odd address stays visible.
fn mail_row(
    tx: &Tx,
    mailbox: Option<&str>,
    mail: &IncomingMail,
    size: usize,
    ticket_id: Option<&str>,
    outcome: &str,
) -> MailRow {
    MailRow {
        id: new_id(),
        message_key: mail.key.clone(),
        direction: "in".into(),
        mailbox: mailbox.map(str::to_string),
        ticket_id: ticket_id.map(str::to_string),
        sender: mail.sender_written.clone().unwrap_or_default(),
        subject: mail.subject.chars().take(500).collect(),
        outcome: outcome.into(),
        size_bytes: size as i64,
        created_at: tx.now.naive_utc(),
        fingerprint: Some(mail.fingerprint.clone()),
    }
}

/// Attachments and inline images, each content stored once by its SHA-256, each under a name
/// no other file of the ticket has; `original` (the whole mail, when its text was cut) last.
fn store_parts(
    tx: &mut Tx,
    ticket_id: &str,
    message_id: Option<&str>,
    mail: &IncomingMail,
    original: Option<Part>,
    internal: bool,
) -> DeskResult<()> {
    let mut taken: HashSet<String> =
        db::attachment_names(tx.conn, ticket_id)?.into_iter().map(|n| n.to_lowercase()).collect();
    for part in mail.parts.iter().chain(original.as_ref()) {
        let sha = hex::encode(Sha256::digest(&part.content));
        db::put_blob(tx.conn, &sha, &part.content)?;
        db::insert_attachment(
            tx.conn,
            &AttachmentRow {
                id: new_id(),
                ticket_id: ticket_id.to_string(),
                message_id: message_id.map(str::to_string),
                filename: unique_name(&mut taken, &part.filename),
                content_type: part.content_type.clone(),
                size_bytes: part.content.len() as i64,
                sha256: sha,
                inline_part: part.inline,
                created_at: tx.now.naive_utc(),
                // A staff member's mailed note keeps its files (and the whole mail) inside.
                internal,
            },
        )?;
    }
    Ok(())
}

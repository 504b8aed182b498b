//! Mailboxes, the record of every message in and out, attachments and quarantined mail.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{attachments, blobs, mail_messages, mail_quarantine, mailboxes, ticket_links};
use super::DbConn;

#[derive(Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = mailboxes)]
pub struct MailboxRow {
    pub name: String,
    pub unit_id: String,
    pub address: String,
    pub imap_url: Option<String>,
    pub created_at: NaiveDateTime,
}

impl std::fmt::Debug for MailboxRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MailboxRow")
            .field("name", &self.name)
            .field("address", &self.address)
            .field("imap", &self.imap_url.as_ref().map(|_| "(set)"))
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = mail_messages)]
pub struct MailRow {
    pub id: String,
    pub message_key: String,
    pub direction: String,
    pub mailbox: Option<String>,
    pub ticket_id: Option<String>,
    pub sender: String,
    pub subject: String,
    pub outcome: String,
    pub size_bytes: i64,
    pub created_at: NaiveDateTime,
    /// Sender and date (or the raw bytes) of an incoming message: `None` on mail sent and on
    /// records older than the column.
    pub fingerprint: Option<String>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = attachments)]
pub struct AttachmentRow {
    pub id: String,
    pub ticket_id: String,
    pub message_id: Option<String>,
    pub filename: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub inline_part: bool,
    pub created_at: NaiveDateTime,
    /// Sent with an internal note, or a document of the desk: never shown to a requester.
    pub internal: bool,
}

pub fn insert_mailbox(conn: &mut DbConn, row: &MailboxRow) -> QueryResult<()> {
    diesel::insert_into(mailboxes::table).values(row).execute(conn).map(drop)
}

pub fn mailbox(conn: &mut DbConn, name: &str) -> QueryResult<Option<MailboxRow>> {
    mailboxes::table.find(name).select(MailboxRow::as_select()).first(conn).optional()
}

pub fn mailboxes_all(conn: &mut DbConn) -> QueryResult<Vec<MailboxRow>> {
    mailboxes::table.order(mailboxes::name.asc()).select(MailboxRow::as_select()).load(conn)
}

pub fn mail_by_key(conn: &mut DbConn, key: &str) -> QueryResult<Option<MailRow>> {
    mail_messages::table.filter(mail_messages::message_key.eq(key)).select(MailRow::as_select()).first(conn).optional()
}

/// The first of `keys` (Message-IDs) that the desk has seen with a ticket.
pub fn ticket_of_any(conn: &mut DbConn, keys: &[String]) -> QueryResult<Option<String>> {
    if keys.is_empty() {
        return Ok(None);
    }
    let found: Option<Option<String>> = mail_messages::table
        .filter(mail_messages::message_key.eq_any(keys))
        .filter(mail_messages::ticket_id.is_not_null())
        .filter(mail_messages::outcome.ne("sent_staff"))
        .order(mail_messages::created_at.desc())
        .select(mail_messages::ticket_id)
        .first(conn)
        .optional()?;
    Ok(found.flatten())
}

pub fn insert_mail(conn: &mut DbConn, row: &MailRow) -> QueryResult<()> {
    diesel::insert_into(mail_messages::table).values(row).execute(conn).map(drop)
}

pub fn mail_for_ticket(conn: &mut DbConn, ticket_id: &str) -> QueryResult<Vec<MailRow>> {
    mail_messages::table
        .filter(mail_messages::ticket_id.eq(ticket_id))
        .order(mail_messages::created_at.asc())
        .select(MailRow::as_select())
        .load(conn)
}

pub fn link_tickets(
    conn: &mut DbConn,
    ticket_id: &str,
    linked: &str,
    kind: &str,
    at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(ticket_links::table)
        .values((
            ticket_links::ticket_id.eq(ticket_id),
            ticket_links::linked_ticket_id.eq(linked),
            ticket_links::kind.eq(kind),
            ticket_links::created_at.eq(at),
        ))
        .execute(conn)
        .map(drop)
}

pub fn links_of(conn: &mut DbConn, ticket_id: &str) -> QueryResult<Vec<(String, String)>> {
    ticket_links::table
        .filter(ticket_links::ticket_id.eq(ticket_id))
        .select((ticket_links::linked_ticket_id, ticket_links::kind))
        .load(conn)
}

/// The tickets that link `ticket_id` with `kind` (an incident's problems).
pub fn linked_from(conn: &mut DbConn, ticket_id: &str, kind: &str) -> QueryResult<Vec<String>> {
    ticket_links::table
        .filter(ticket_links::linked_ticket_id.eq(ticket_id))
        .filter(ticket_links::kind.eq(kind))
        .select(ticket_links::ticket_id)
        .load(conn)
}

pub fn unlink_tickets(conn: &mut DbConn, ticket_id: &str, linked: &str, kind: &str) -> QueryResult<usize> {
    diesel::delete(
        ticket_links::table
            .filter(ticket_links::ticket_id.eq(ticket_id))
            .filter(ticket_links::linked_ticket_id.eq(linked))
            .filter(ticket_links::kind.eq(kind)),
    )
    .execute(conn)
}

/// The incidents linked to problem `ticket_id` before `before`.
pub fn incidents_linked_before(conn: &mut DbConn, ticket_id: &str, before: NaiveDateTime) -> QueryResult<Vec<String>> {
    ticket_links::table
        .filter(ticket_links::ticket_id.eq(ticket_id))
        .filter(ticket_links::kind.eq("incident"))
        .filter(ticket_links::created_at.lt(before))
        .select(ticket_links::linked_ticket_id)
        .load(conn)
}

/// Stores content once per SHA-256 (two writers storing the same logo at once: one wins, both
/// succeed).
pub fn put_blob(conn: &mut DbConn, sha256: &str, content: &[u8]) -> QueryResult<()> {
    let exists: Option<String> = blobs::table.find(sha256).select(blobs::sha256).first(conn).optional()?;
    if exists.is_some() {
        return Ok(());
    }
    let row = (blobs::sha256.eq(sha256), blobs::size_bytes.eq(content.len() as i64), blobs::content.eq(content));
    match conn {
        DbConn::Pg(c) => diesel::insert_into(blobs::table).values(row).on_conflict_do_nothing().execute(c)?,
        DbConn::Sqlite(c) => diesel::insert_or_ignore_into(blobs::table).values(row).execute(c)?,
    };
    Ok(())
}

pub fn blob(conn: &mut DbConn, sha256: &str) -> QueryResult<Option<Vec<u8>>> {
    blobs::table.find(sha256).select(blobs::content).first(conn).optional()
}

pub fn insert_attachment(conn: &mut DbConn, row: &AttachmentRow) -> QueryResult<()> {
    diesel::insert_into(attachments::table).values(row).execute(conn).map(drop)
}

pub fn attachments_of(conn: &mut DbConn, ticket_id: &str) -> QueryResult<Vec<AttachmentRow>> {
    attachments::table
        .filter(attachments::ticket_id.eq(ticket_id))
        .order(attachments::created_at.asc())
        .select(AttachmentRow::as_select())
        .load(conn)
}

pub fn quarantine(conn: &mut DbConn, mail_id: &str, raw: &[u8], reason: &str) -> QueryResult<()> {
    diesel::insert_into(mail_quarantine::table)
        .values((
            mail_quarantine::mail_id.eq(mail_id),
            mail_quarantine::raw.eq(raw),
            mail_quarantine::reason.eq(reason),
        ))
        .execute(conn)
        .map(drop)
}

pub fn quarantined(conn: &mut DbConn, mail_id: &str) -> QueryResult<Option<Vec<u8>>> {
    mail_quarantine::table.find(mail_id).select(mail_quarantine::raw).first(conn).optional()
}

/// A quarantine entry without its raw bytes: what the list shows.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = mail_quarantine)]
pub struct QuarantineRow {
    pub mail_id: String,
    pub reason: String,
    pub settled_at: Option<NaiveDateTime>,
    pub settled_by: Option<String>,
    pub settlement: Option<String>,
}

/// The quarantine, newest first: the open entries, or all of them.
pub fn quarantine_entries(
    conn: &mut DbConn,
    open_only: bool,
    limit: i64,
) -> QueryResult<Vec<(MailRow, QuarantineRow)>> {
    let mut query = mail_messages::table
        .inner_join(mail_quarantine::table.on(mail_quarantine::mail_id.eq(mail_messages::id)))
        .select((MailRow::as_select(), QuarantineRow::as_select()))
        .order(mail_messages::created_at.desc())
        .limit(limit)
        .into_boxed();
    if open_only {
        query = query.filter(mail_quarantine::settled_at.is_null());
    }
    query.load(conn)
}

pub fn quarantine_entry(conn: &mut DbConn, mail_id: &str) -> QueryResult<Option<(MailRow, QuarantineRow)>> {
    mail_messages::table
        .inner_join(mail_quarantine::table.on(mail_quarantine::mail_id.eq(mail_messages::id)))
        .filter(mail_messages::id.eq(mail_id))
        .select((MailRow::as_select(), QuarantineRow::as_select()))
        .first(conn)
        .optional()
}

/// Marks an entry settled. A discarded message's bytes go (it was judged not worth keeping,
/// and may hold personal data); one made a ticket keeps them, as the ticket's source.
pub fn settle_quarantined(
    conn: &mut DbConn,
    mail_id: &str,
    settlement: &str,
    by: &str,
    at: NaiveDateTime,
) -> QueryResult<()> {
    let target = mail_quarantine::table.find(mail_id);
    diesel::update(target)
        .set((
            mail_quarantine::settlement.eq(settlement),
            mail_quarantine::settled_by.eq(by),
            mail_quarantine::settled_at.eq(at),
        ))
        .execute(conn)?;
    if settlement == "discarded" {
        diesel::update(target).set(mail_quarantine::raw.eq(Vec::<u8>::new())).execute(conn)?;
    }
    Ok(())
}

/// The ticket a quarantined message became, and what the record now says of it.
pub fn set_mail_ticket(conn: &mut DbConn, mail_id: &str, ticket_id: &str, outcome: &str) -> QueryResult<()> {
    diesel::update(mail_messages::table.find(mail_id))
        .set((mail_messages::ticket_id.eq(ticket_id), mail_messages::outcome.eq(outcome)))
        .execute(conn)
        .map(drop)
}

/// The file names already on a ticket, lower case: a new file never takes one of them.
pub fn attachment_names(conn: &mut DbConn, ticket_id: &str) -> QueryResult<Vec<String>> {
    attachments::table.filter(attachments::ticket_id.eq(ticket_id)).select(attachments::filename).load(conn)
}

/// The Message-IDs of a ticket's mail in and out, oldest first: what a new mail refers to.
pub fn keys_for_ticket(conn: &mut DbConn, ticket_id: &str) -> QueryResult<Vec<String>> {
    mail_messages::table
        .filter(mail_messages::ticket_id.eq(ticket_id))
        .filter(mail_messages::message_key.not_like("sha256:%"))
        .order(mail_messages::created_at.asc())
        .select(mail_messages::message_key)
        .load(conn)
}

/// The first mailbox of a unit: its address is the sender of the unit's mail.
pub fn mailbox_of_unit(conn: &mut DbConn, unit_id: &str) -> QueryResult<Option<MailboxRow>> {
    mailboxes::table
        .filter(mailboxes::unit_id.eq(unit_id))
        .order(mailboxes::name.asc())
        .select(MailboxRow::as_select())
        .first(conn)
        .optional()
}

//! Everything the desk holds about one requester, found and erased (SPEC 6, UU 27/2022): their
//! records, tickets, messages, files, ratings, mail records, notices and Telegram chat.

use chrono::NaiveDateTime;
use diesel::dsl::{exists, not};
use diesel::prelude::*;

use super::catalog::RequesterRow;
use super::mail::{AttachmentRow, MailRow};
use super::outbox::OutboxRow;
use super::schema::{
    api_tokens, attachments, blobs, csat, mail_messages, mail_quarantine, messages, outbox, report_files, requesters,
    telegram_chats, telegram_messages, ticket_incidents, tickets, users,
};
use super::tickets::{MessageRow, TicketRow};
use super::DbConn;

/// A requester record with when (if ever) its identity was erased.
#[derive(Debug, Clone)]
pub struct HeldRequester {
    pub row: RequesterRow,
    pub anonymised_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Queryable)]
pub struct CsatRow {
    pub ticket_id: String,
    pub requested_at: NaiveDateTime,
    pub rating: Option<i32>,
    pub comment: Option<String>,
    pub rated_at: Option<NaiveDateTime>,
}

fn held(conn: &mut DbConn, ids: &[String]) -> QueryResult<Vec<HeldRequester>> {
    let rows: Vec<(RequesterRow, Option<NaiveDateTime>)> = requesters::table
        .filter(requesters::id.eq_any(ids))
        .order(requesters::id.asc())
        .select((RequesterRow::as_select(), requesters::anonymised_at))
        .load(conn)?;
    Ok(rows.into_iter().map(|(row, anonymised_at)| HeldRequester { row, anonymised_at }).collect())
}

pub fn requesters_by_ids(conn: &mut DbConn, ids: &[String]) -> QueryResult<Vec<HeldRequester>> {
    held(conn, ids)
}

/// Every requester record with this address (stored lower-case).
pub fn requesters_by_email(conn: &mut DbConn, email: &str) -> QueryResult<Vec<HeldRequester>> {
    let ids: Vec<String> = requesters::table.filter(requesters::email.eq(email)).select(requesters::id).load(conn)?;
    held(conn, &ids)
}

pub fn requesters_by_telegram(conn: &mut DbConn, chat: &str) -> QueryResult<Vec<HeldRequester>> {
    let ids: Vec<String> =
        requesters::table.filter(requesters::telegram_id.eq(chat)).select(requesters::id).load(conn)?;
    held(conn, &ids)
}

/// (id, phone) of every requester with a telephone number: numbers are stored as typed
/// (`+62 812-…`, `0812…`), so they are compared after normalising, outside SQL.
pub fn requester_phones(conn: &mut DbConn) -> QueryResult<Vec<(String, String)>> {
    let rows: Vec<(String, Option<String>)> = requesters::table
        .filter(requesters::phone.is_not_null())
        .select((requesters::id, requesters::phone))
        .load(conn)?;
    Ok(rows.into_iter().filter_map(|(id, phone)| phone.map(|p| (id, p))).collect())
}

/// The tickets these requesters reported, oldest first; locked on PostgreSQL when `lock`.
pub fn tickets_of(conn: &mut DbConn, requester_ids: &[String], lock: bool) -> QueryResult<Vec<TicketRow>> {
    macro_rules! query {
        () => {
            tickets::table
                .filter(tickets::requester_id.eq_any(requester_ids))
                .order((tickets::created_at.asc(), tickets::id.asc()))
                .select(TicketRow::as_select())
        };
    }
    match conn {
        DbConn::Pg(c) if lock => query!().for_update().load(c),
        DbConn::Pg(c) => query!().load(c),
        DbConn::Sqlite(c) => query!().load(c),
    }
}

pub fn messages_of(conn: &mut DbConn, ticket_ids: &[String]) -> QueryResult<Vec<MessageRow>> {
    messages::table
        .filter(messages::ticket_id.eq_any(ticket_ids))
        .order((messages::created_at.asc(), messages::id.asc()))
        .select(MessageRow::as_select())
        .load(conn)
}

pub fn attachments_of(conn: &mut DbConn, ticket_ids: &[String]) -> QueryResult<Vec<AttachmentRow>> {
    attachments::table
        .filter(attachments::ticket_id.eq_any(ticket_ids))
        .order((attachments::created_at.asc(), attachments::id.asc()))
        .select(AttachmentRow::as_select())
        .load(conn)
}

pub fn csat_of(conn: &mut DbConn, ticket_ids: &[String]) -> QueryResult<Vec<CsatRow>> {
    csat::table
        .filter(csat::ticket_id.eq_any(ticket_ids))
        .select((csat::ticket_id, csat::requested_at, csat::rating, csat::comment, csat::rated_at))
        .load(conn)
}

/// Mail records of these tickets, and those sent from or to these addresses (also mail that
/// became no ticket: ignored, quarantined), oldest first.
pub fn mail_of(conn: &mut DbConn, ticket_ids: &[String], addresses: &[String]) -> QueryResult<Vec<MailRow>> {
    let mut rows: Vec<MailRow> = mail_messages::table
        .filter(mail_messages::ticket_id.eq_any(ticket_ids))
        .select(MailRow::as_select())
        .load(conn)?;
    if !addresses.is_empty() {
        rows.extend(
            mail_messages::table
                .filter(mail_messages::sender.eq_any(addresses))
                .select(MailRow::as_select())
                .load(conn)?,
        );
    }
    rows.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.id.cmp(&b.id)));
    rows.dedup_by(|a, b| a.id == b.id);
    Ok(rows)
}

/// Which of these mail records are kept whole in the quarantine.
pub fn quarantined_among(conn: &mut DbConn, mail_ids: &[String]) -> QueryResult<Vec<String>> {
    mail_quarantine::table.filter(mail_quarantine::mail_id.eq_any(mail_ids)).select(mail_quarantine::mail_id).load(conn)
}

/// Notices of these tickets and notices to these recipients (addresses, chat ids).
pub fn outbox_of(conn: &mut DbConn, ticket_ids: &[String], recipients: &[String]) -> QueryResult<Vec<OutboxRow>> {
    super::outbox_queue::flush(conn)?;
    let mut rows: Vec<OutboxRow> =
        outbox::table.filter(outbox::ticket_id.eq_any(ticket_ids)).select(OutboxRow::as_select()).load(conn)?;
    if !recipients.is_empty() {
        rows.extend(
            outbox::table.filter(outbox::recipient.eq_any(recipients)).select(OutboxRow::as_select()).load(conn)?,
        );
    }
    rows.sort_by(|a, b| a.id.cmp(&b.id));
    rows.dedup_by(|a, b| a.id == b.id);
    Ok(rows)
}

/// A citizen's chat with the bot (not one linked to staff or to a unit's group): its dialogue
/// state and how many bot messages about tickets were sent to it.
pub fn citizen_chat(conn: &mut DbConn, chat_id: i64) -> QueryResult<(Option<String>, i64)> {
    let dialogue: Option<String> = telegram_chats::table
        .find(chat_id)
        .filter(telegram_chats::user_id.is_null())
        .filter(telegram_chats::unit_id.is_null())
        .select(telegram_chats::dialogue)
        .first(conn)
        .optional()?;
    let sent = telegram_messages::table.filter(telegram_messages::chat_id.eq(chat_id)).count().get_result(conn)?;
    Ok((dialogue, sent))
}

// ----- erasure -----

pub fn anonymise_requester(conn: &mut DbConn, id: &str, name: &str, at: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(requesters::table.find(id))
        .set((
            requesters::name.eq(name),
            requesters::email.eq(None::<String>),
            requesters::phone.eq(None::<String>),
            requesters::telegram_id.eq(None::<String>),
            requesters::language.eq(None::<String>),
            requesters::anonymised_at.eq(Some(at)),
        ))
        .execute(conn)
}

/// A citizen's own account (role `requester`): nameless, without address, unable to sign in,
/// its sessions and tokens revoked. Staff accounts are never touched here.
pub fn anonymise_requester_account(
    conn: &mut DbConn,
    user_id: &str,
    username: &str,
    name: &str,
    at: NaiveDateTime,
) -> QueryResult<usize> {
    let changed = diesel::update(users::table.find(user_id).filter(users::role.eq("requester")))
        .set((
            users::username.eq(username),
            users::name.eq(name),
            users::email.eq(None::<String>),
            // Not a PHC string: no password ever verifies against it.
            users::password_hash.eq("!anonymised"),
            users::active.eq(false),
        ))
        .execute(conn)?;
    if changed > 0 {
        diesel::update(
            api_tokens::table.filter(api_tokens::user_id.eq(user_id)).filter(api_tokens::revoked_at.is_null()),
        )
        .set(api_tokens::revoked_at.eq(at))
        .execute(conn)?;
    }
    Ok(changed)
}

pub fn redact_tickets(conn: &mut DbConn, ids: &[String], title: &str, description: &str) -> QueryResult<usize> {
    erasing_from_search(conn, |conn| {
        diesel::update(tickets::table.filter(tickets::id.eq_any(ids)))
            .set((
                tickets::title.eq(title),
                tickets::description.eq(description),
                tickets::tracking_token_hash.eq(None::<String>),
            ))
            .execute(conn)
    })
}

pub fn redact_messages(conn: &mut DbConn, ids: &[String], author_name: &str, body: &str) -> QueryResult<usize> {
    erasing_from_search(conn, |conn| {
        diesel::update(messages::table.filter(messages::id.eq_any(ids)))
            .set((
                messages::author_id.eq(None::<String>),
                messages::author_name.eq(author_name),
                messages::body.eq(body),
            ))
            .execute(conn)
    })
}

pub fn set_message_body(conn: &mut DbConn, id: &str, body: &str) -> QueryResult<usize> {
    erasing_from_search(conn, |conn| {
        diesel::update(messages::table.find(id)).set(messages::body.eq(body)).execute(conn)
    })
}

/// Runs a redaction with SQLite's full-text index in secure-delete mode, so the words removed
/// leave the index's pages now rather than at some later merge (and no backup keeps them).
/// Only here: in that mode every re-indexed message costs five times as much.
fn erasing_from_search<T>(conn: &mut DbConn, f: impl FnOnce(&mut DbConn) -> QueryResult<T>) -> QueryResult<T> {
    use diesel::connection::SimpleConnection;
    let sqlite = matches!(conn, DbConn::Sqlite(_));
    if sqlite {
        conn.batch_execute("INSERT INTO ticket_search (ticket_search, rank) VALUES ('secure-delete', 1)")?;
    }
    let result = f(conn);
    if sqlite {
        conn.batch_execute("INSERT INTO ticket_search (ticket_search, rank) VALUES ('secure-delete', 0)")?;
    }
    result
}

/// Staff's notes on how a personal-data breach was notified, per ticket (SPEC 6).
pub fn breach_notes_of(conn: &mut DbConn, ticket_ids: &[String]) -> QueryResult<Vec<(String, String)>> {
    let rows: Vec<(String, Option<String>)> = ticket_incidents::table
        .filter(ticket_incidents::ticket_id.eq_any(ticket_ids))
        .filter(ticket_incidents::breach_notified_note.is_not_null())
        .select((ticket_incidents::ticket_id, ticket_incidents::breach_notified_note))
        .load(conn)?;
    Ok(rows.into_iter().filter_map(|(id, note)| note.map(|n| (id, n))).collect())
}

pub fn set_breach_note(conn: &mut DbConn, ticket_id: &str, note: &str) -> QueryResult<usize> {
    diesel::update(ticket_incidents::table.find(ticket_id))
        .set(ticket_incidents::breach_notified_note.eq(note))
        .execute(conn)
}

pub fn delete_attachments(conn: &mut DbConn, ids: &[String]) -> QueryResult<usize> {
    diesel::delete(attachments::table.filter(attachments::id.eq_any(ids))).execute(conn)
}

/// Deletes stored content that no attachment and no archived report refers to any more;
/// how many blobs went.
pub fn delete_unreferenced_blobs(conn: &mut DbConn, shas: &[String]) -> QueryResult<usize> {
    let mut deleted = 0;
    for sha in shas {
        let by_attachment: bool =
            diesel::select(exists(attachments::table.filter(attachments::sha256.eq(sha)))).get_result(conn)?;
        let by_report: bool =
            diesel::select(exists(report_files::table.filter(report_files::sha256.eq(sha)))).get_result(conn)?;
        if !by_attachment && !by_report {
            deleted += diesel::delete(blobs::table.find(sha)).execute(conn)?;
        }
    }
    Ok(deleted)
}

/// Ratings stay (they are statistics); the comment and the link's token go.
pub fn scrub_csat(conn: &mut DbConn, ticket_ids: &[String]) -> QueryResult<usize> {
    diesel::update(csat::table.filter(csat::ticket_id.eq_any(ticket_ids)))
        .set((csat::comment.eq(None::<String>), csat::token_hash.eq("-")))
        .execute(conn)
}

pub fn redact_mail(conn: &mut DbConn, id: &str, sender: &str, subject: &str) -> QueryResult<usize> {
    diesel::update(mail_messages::table.find(id))
        .set((mail_messages::sender.eq(sender), mail_messages::subject.eq(subject)))
        .execute(conn)
}

pub fn delete_quarantined(conn: &mut DbConn, mail_ids: &[String]) -> QueryResult<usize> {
    diesel::delete(mail_quarantine::table.filter(mail_quarantine::mail_id.eq_any(mail_ids))).execute(conn)
}

/// Rewrites a notice's recipient and payload; `settle` marks an undelivered one as settled
/// with `note` (it will never be sent).
pub fn scrub_notice(
    conn: &mut DbConn,
    id: &str,
    recipient: &str,
    payload: &str,
    settle: Option<(NaiveDateTime, &str)>,
) -> QueryResult<usize> {
    super::outbox_queue::flush(conn)?;
    match settle {
        Some((at, note)) => diesel::update(outbox::table.find(id).filter(outbox::delivered_at.is_null()))
            .set((
                outbox::recipient.eq(recipient),
                outbox::payload.eq(payload),
                outbox::delivered_at.eq(at),
                outbox::last_error.eq(note),
            ))
            .execute(conn),
        None => diesel::update(outbox::table.find(id))
            .set((outbox::recipient.eq(recipient), outbox::payload.eq(payload)))
            .execute(conn),
    }
}

/// Forgets a citizen's chat: its dialogue state and the map of bot messages to tickets.
/// Chats linked to staff or to a unit's group are left alone.
pub fn forget_citizen_chat(conn: &mut DbConn, chat_id: i64) -> QueryResult<usize> {
    let chats = diesel::delete(
        telegram_chats::table
            .find(chat_id)
            .filter(telegram_chats::user_id.is_null())
            .filter(telegram_chats::unit_id.is_null()),
    )
    .execute(conn)?;
    let linked: bool = diesel::select(exists(
        telegram_chats::table
            .find(chat_id)
            .filter(telegram_chats::user_id.is_not_null().or(telegram_chats::unit_id.is_not_null())),
    ))
    .get_result(conn)?;
    let messages = if linked {
        0
    } else {
        diesel::delete(telegram_messages::table.filter(telegram_messages::chat_id.eq(chat_id))).execute(conn)?
    };
    Ok(chats + messages)
}

// ----- retention -----

/// Requester records not yet anonymised whose tickets are all closed or cancelled since before
/// `cutoff`, and who hold no active account; at most `limit`, locked on PostgreSQL (records
/// another process holds are skipped, so several processes split the work).
pub fn retention_due(conn: &mut DbConn, cutoff: NaiveDateTime, limit: i64) -> QueryResult<Vec<String>> {
    macro_rules! due {
        () => {
            requesters::table
                .filter(requesters::anonymised_at.is_null())
                .filter(exists(tickets::table.filter(tickets::requester_id.eq(requesters::id))))
                .filter(not(exists(
                    tickets::table.filter(tickets::requester_id.eq(requesters::id)).filter(
                        tickets::status
                            .ne_all(["closed", "cancelled"])
                            .or(tickets::closed_at.is_null())
                            .or(tickets::closed_at.ge(cutoff)),
                    ),
                )))
                .filter(not(exists(
                    users::table.filter(users::id.nullable().eq(requesters::user_id)).filter(users::active.eq(true)),
                )))
                .order(requesters::id.asc())
                .limit(limit)
                .select(requesters::id)
        };
    }
    match conn {
        DbConn::Pg(c) => due!().for_update().skip_locked().load(c),
        DbConn::Sqlite(c) => due!().load(c),
    }
}

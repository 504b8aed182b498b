//! Merged tickets (issue 15): which ticket carries a merged one's case, and the moves a merge
//! makes (messages, files, mail threads, Telegram messages, links).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{attachments, mail_messages, messages, telegram_messages, ticket_links, ticket_merges, tickets};
use super::DbConn;

pub fn record(conn: &mut DbConn, source: &str, target: &str, by: Option<&str>, at: NaiveDateTime) -> QueryResult<()> {
    diesel::insert_into(ticket_merges::table)
        .values((
            ticket_merges::source_id.eq(source),
            ticket_merges::target_id.eq(target),
            ticket_merges::merged_by.eq(by),
            ticket_merges::merged_at.eq(at),
        ))
        .execute(conn)
        .map(drop)
}

/// The number of the ticket this one was merged into.
pub fn merged_into(conn: &mut DbConn, source: &str) -> QueryResult<Option<String>> {
    ticket_merges::table
        .inner_join(tickets::table.on(tickets::id.eq(ticket_merges::target_id)))
        .filter(ticket_merges::source_id.eq(source))
        .select(tickets::number)
        .first(conn)
        .optional()
}

/// The numbers of the tickets merged into this one, oldest merge first.
pub fn merged_from(conn: &mut DbConn, target: &str) -> QueryResult<Vec<String>> {
    ticket_merges::table
        .inner_join(tickets::table.on(tickets::id.eq(ticket_merges::source_id)))
        .filter(ticket_merges::target_id.eq(target))
        .order(ticket_merges::merged_at.asc())
        .select(tickets::number)
        .load(conn)
}

/// Moves the desk's side of the conversation: staff messages with their files (the search
/// index follows by trigger), the mail threads (a reply to an old mail lands on the target), the
/// bot's messages (a reply to one does too) and the minutes recorded. The source requester's own
/// messages and files stay on the source: they are that person's words — the target's requester
/// is somebody else, and erasing or exporting that person's data finds them on their own ticket.
/// Returns (messages, files) moved.
pub fn move_conversation(conn: &mut DbConn, source: &str, target: &str) -> QueryResult<(usize, usize)> {
    let staff: Vec<String> = messages::table
        .filter(messages::ticket_id.eq(source))
        .filter(messages::author_id.is_not_null())
        .select(messages::id)
        .load(conn)?;
    let moved_files = diesel::update(
        attachments::table.filter(attachments::ticket_id.eq(source)).filter(attachments::message_id.eq_any(&staff)),
    )
    .set(attachments::ticket_id.eq(target))
    .execute(conn)?;
    let moved_messages = diesel::update(messages::table.filter(messages::id.eq_any(&staff)))
        .set(messages::ticket_id.eq(target))
        .execute(conn)?;
    diesel::update(mail_messages::table.filter(mail_messages::ticket_id.eq(source)))
        .set(mail_messages::ticket_id.eq(target))
        .execute(conn)?;
    diesel::update(telegram_messages::table.filter(telegram_messages::ticket_id.eq(source)))
        .set(telegram_messages::ticket_id.eq(target))
        .execute(conn)?;
    super::time_entries::move_to(conn, source, target)?;
    Ok((moved_messages, moved_files))
}

/// Moves the source's links (both directions) to the target, keeping one link per pair and
/// dropping a link between the two.
pub fn move_links(conn: &mut DbConn, source: &str, target: &str) -> QueryResult<usize> {
    let rows: Vec<(String, String, String, NaiveDateTime)> = ticket_links::table
        .filter(ticket_links::ticket_id.eq(source).or(ticket_links::linked_ticket_id.eq(source)))
        .select((ticket_links::ticket_id, ticket_links::linked_ticket_id, ticket_links::kind, ticket_links::created_at))
        .load(conn)?;
    diesel::delete(
        ticket_links::table.filter(ticket_links::ticket_id.eq(source).or(ticket_links::linked_ticket_id.eq(source))),
    )
    .execute(conn)?;
    let mut moved = 0;
    for (from, to, kind, at) in rows {
        let from = if from == source { target.to_string() } else { from };
        let to = if to == source { target.to_string() } else { to };
        if from == to {
            continue;
        }
        let exists: i64 = ticket_links::table
            .filter(ticket_links::ticket_id.eq(&from))
            .filter(ticket_links::linked_ticket_id.eq(&to))
            .count()
            .get_result(conn)?;
        if exists == 0 {
            diesel::insert_into(ticket_links::table)
                .values((
                    ticket_links::ticket_id.eq(&from),
                    ticket_links::linked_ticket_id.eq(&to),
                    ticket_links::kind.eq(&kind),
                    ticket_links::created_at.eq(at),
                ))
                .execute(conn)?;
            moved += 1;
        }
    }
    Ok(moved)
}

//! What the live console reads: audit events after a point, and who is typing a reply.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{events, ticket_typing, tickets, users};
use super::DbConn;

/// The newest event's sequence number (0 on an empty log).
pub fn last_seq(conn: &mut DbConn) -> QueryResult<i64> {
    Ok(events::table.select(diesel::dsl::max(events::seq)).first::<Option<i64>>(conn)?.unwrap_or(0))
}

/// An audit event about a ticket: (seq, kind, ticket id, actor id).
pub type TicketEvent = (i64, String, String, Option<String>);

/// Ticket events after `seq`, oldest first.
pub fn ticket_events_after(conn: &mut DbConn, seq: i64, limit: i64) -> QueryResult<Vec<TicketEvent>> {
    events::table
        .filter(events::seq.gt(seq))
        .filter(events::ticket_id.is_not_null())
        .order(events::seq.asc())
        .limit(limit)
        .select((events::seq, events::kind, events::ticket_id.assume_not_null(), events::actor_id))
        .load(conn)
}

/// Marks `user_id` as writing on the ticket now.
pub fn mark_typing(conn: &mut DbConn, ticket_id: &str, user_id: &str, at: NaiveDateTime) -> QueryResult<()> {
    diesel::delete(
        ticket_typing::table.filter(ticket_typing::ticket_id.eq(ticket_id)).filter(ticket_typing::user_id.eq(user_id)),
    )
    .execute(conn)?;
    diesel::insert_into(ticket_typing::table)
        .values((ticket_typing::ticket_id.eq(ticket_id), ticket_typing::user_id.eq(user_id), ticket_typing::at.eq(at)))
        .execute(conn)
        .map(drop)
}

/// Who started or went on typing after `since`: (ticket id, username, at).
pub fn typing_since(conn: &mut DbConn, since: NaiveDateTime) -> QueryResult<Vec<(String, String, NaiveDateTime)>> {
    ticket_typing::table
        .inner_join(users::table.on(users::id.eq(ticket_typing::user_id)))
        .filter(ticket_typing::at.gt(since))
        .select((ticket_typing::ticket_id, users::username, ticket_typing::at))
        .load(conn)
}

/// Forgets typing older than `before` (the table stays small).
pub fn forget_typing(conn: &mut DbConn, before: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(ticket_typing::table.filter(ticket_typing::at.lt(before))).execute(conn)
}

/// The ticket's number (for events the viewer's page names).
pub fn number_of(conn: &mut DbConn, ticket_id: &str) -> QueryResult<Option<String>> {
    tickets::table.find(ticket_id).select(tickets::number).first(conn).optional()
}

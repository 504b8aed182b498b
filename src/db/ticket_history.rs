//! Each ticket's facts over time (`ticket_history`). Triggers write it as tickets change (see
//! the migration); this module reads what the back-fill of older tickets needs and writes it.

use chrono::NaiveDateTime;
use diesel::dsl::{exists, not};
use diesel::prelude::*;

use super::schema::{ticket_history, ticket_history_start, tickets};
use super::DbConn;

/// One span of a ticket's facts, as the back-fill writes it.
#[derive(Debug, Clone, PartialEq, Insertable)]
#[diesel(table_name = ticket_history, treat_none_as_null = true)]
pub struct HistoryRow {
    pub ticket_id: String,
    pub valid_from: NaiveDateTime,
    pub valid_to: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub channel: String,
    pub unit_id: String,
    pub service_id: Option<String>,
    pub kind: String,
    pub tier: i32,
    pub status: String,
    pub active: bool,
    pub priority: String,
    pub classification: String,
    pub security_incident: bool,
    pub assignee_id: Option<String>,
    pub escalated: bool,
    pub first_response_at: Option<NaiveDateTime>,
    pub first_response_due: NaiveDateTime,
    pub resolution_due: NaiveDateTime,
    pub pending_since: Option<NaiveDateTime>,
    pub paused_seconds: i64,
    pub resolved_at: Option<NaiveDateTime>,
    pub closed_at: Option<NaiveDateTime>,
    pub backfilled: bool,
}

/// Tickets after id `after` with no history at all: those from before the history existed.
pub fn tickets_without_history(conn: &mut DbConn, after: &str, limit: i64) -> QueryResult<Vec<String>> {
    tickets::table
        .filter(tickets::id.gt(after))
        .filter(not(exists(ticket_history::table.filter(ticket_history::ticket_id.eq(tickets::id)))))
        .select(tickets::id)
        .order(tickets::id.asc())
        .limit(limit)
        .load(conn)
}

/// Writes back-filled spans; a span another process wrote first (same ticket and start) stays.
pub fn insert_spans(conn: &mut DbConn, rows: &[HistoryRow]) -> QueryResult<()> {
    match conn {
        DbConn::Pg(c) => diesel::insert_into(ticket_history::table).values(rows).on_conflict_do_nothing().execute(c),
        DbConn::Sqlite(c) => diesel::insert_or_ignore_into(ticket_history::table).values(rows).execute(c),
    }
    .map(drop)
}

/// The instant from which the history is exact (the back-fill's), `None` when it always was.
pub fn exact_from(conn: &mut DbConn) -> QueryResult<Option<NaiveDateTime>> {
    ticket_history_start::table
        .filter(ticket_history_start::backfilled_tickets.gt(0))
        .select(ticket_history_start::exact_from)
        .first(conn)
        .optional()
}

/// Whether the back-fill has run on this database.
pub fn backfill_done(conn: &mut DbConn) -> QueryResult<bool> {
    Ok(ticket_history_start::table.count().get_result::<i64>(conn)? > 0)
}

/// Records when the back-fill ran and how many tickets it reconstructed (the first run only).
pub fn record_backfill(conn: &mut DbConn, at: NaiveDateTime, tickets: i64) -> QueryResult<()> {
    let row = (
        ticket_history_start::id.eq(1),
        ticket_history_start::exact_from.eq(at),
        ticket_history_start::backfilled_tickets.eq(tickets),
    );
    match conn {
        DbConn::Pg(c) => {
            diesel::insert_into(ticket_history_start::table).values(row).on_conflict_do_nothing().execute(c)
        }
        DbConn::Sqlite(c) => diesel::insert_or_ignore_into(ticket_history_start::table).values(row).execute(c),
    }
    .map(drop)
}

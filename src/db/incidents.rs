//! The notice clocks of flagged tickets (`ticket_incidents`), beside the ticket row.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::ticket_incidents;
use super::DbConn;

#[derive(Debug, Clone, Default, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = ticket_incidents, treat_none_as_null = true)]
pub struct IncidentRow {
    pub ticket_id: String,
    pub security_flagged_at: Option<NaiveDateTime>,
    pub breach_flagged_at: Option<NaiveDateTime>,
    pub notice_produced_at: Option<NaiveDateTime>,
    pub breach_notified_at: Option<NaiveDateTime>,
    pub breach_notified_note: Option<String>,
    /// The next warning or breach instant of a running clock; the scheduler's index.
    pub next_at: Option<NaiveDateTime>,
}

pub fn get(conn: &mut DbConn, ticket_id: &str) -> QueryResult<Option<IncidentRow>> {
    ticket_incidents::table.find(ticket_id).select(IncidentRow::as_select()).first(conn).optional()
}

pub fn get_many(conn: &mut DbConn, ticket_ids: &[String]) -> QueryResult<Vec<IncidentRow>> {
    ticket_incidents::table
        .filter(ticket_incidents::ticket_id.eq_any(ticket_ids))
        .select(IncidentRow::as_select())
        .load(conn)
}

/// Writes the row whole (inserted the first time a ticket is flagged).
pub fn save(conn: &mut DbConn, row: &IncidentRow) -> QueryResult<()> {
    let updated = diesel::update(ticket_incidents::table.find(&row.ticket_id)).set(row).execute(conn)?;
    if updated == 0 {
        diesel::insert_into(ticket_incidents::table).values(row).execute(conn)?;
    }
    Ok(())
}

/// Clocks with a threshold due, locked on PostgreSQL so that two processes never fire one twice.
pub fn claim_due(conn: &mut DbConn, now: NaiveDateTime, limit: i64) -> QueryResult<Vec<IncidentRow>> {
    macro_rules! due {
        () => {
            ticket_incidents::table
                .filter(ticket_incidents::next_at.le(now))
                .order(ticket_incidents::next_at.asc())
                .limit(limit)
                .select(IncidentRow::as_select())
        };
    }
    match conn {
        DbConn::Pg(c) => due!().for_update().skip_locked().load(c),
        DbConn::Sqlite(c) => due!().load(c),
    }
}

/// Whether any clock has a threshold due: one probe of the partial index.
pub fn anything_due(conn: &mut DbConn, now: NaiveDateTime) -> QueryResult<bool> {
    let first: Option<String> = ticket_incidents::table
        .filter(ticket_incidents::next_at.le(now))
        .select(ticket_incidents::ticket_id)
        .first(conn)
        .optional()?;
    Ok(first.is_some())
}

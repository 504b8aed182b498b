//! Minutes agents record on tickets (issue 15).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::time_entries;
use super::DbConn;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = time_entries)]
pub struct TimeEntryRow {
    pub id: String,
    pub ticket_id: String,
    pub user_id: String,
    pub minutes: i32,
    pub message_id: Option<String>,
    pub action: Option<String>,
    pub created_at: NaiveDateTime,
}

pub fn insert(conn: &mut DbConn, row: &TimeEntryRow) -> QueryResult<()> {
    diesel::insert_into(time_entries::table).values(row).execute(conn).map(drop)
}

/// All minutes recorded on a ticket.
pub fn total_for(conn: &mut DbConn, ticket_id: &str) -> QueryResult<i64> {
    let minutes: Vec<i32> =
        time_entries::table.filter(time_entries::ticket_id.eq(ticket_id)).select(time_entries::minutes).load(conn)?;
    Ok(minutes.into_iter().map(i64::from).sum())
}

/// A merged ticket's minutes belong to the case that carries on.
pub fn move_to(conn: &mut DbConn, source: &str, target: &str) -> QueryResult<usize> {
    diesel::update(time_entries::table.filter(time_entries::ticket_id.eq(source)))
        .set(time_entries::ticket_id.eq(target))
        .execute(conn)
}

//! Side effects waiting to be delivered after their transaction committed.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::outbox;
use super::DbConn;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = outbox, treat_none_as_default_value = false)]
pub struct OutboxRow {
    pub id: String,
    pub channel: String,
    pub recipient: String,
    pub template: String,
    pub ticket_id: Option<String>,
    pub payload: String,
    pub created_at: NaiveDateTime,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub delivered_at: Option<NaiveDateTime>,
    pub last_error: Option<String>,
}

impl OutboxRow {
    /// A notice due now, not yet attempted.
    pub fn new(
        now: NaiveDateTime,
        ticket_id: Option<&str>,
        channel: &str,
        recipient: &str,
        template: &str,
        payload: &serde_json::Value,
    ) -> OutboxRow {
        OutboxRow {
            id: uuid::Uuid::now_v7().to_string(),
            channel: channel.to_string(),
            recipient: recipient.to_string(),
            template: template.to_string(),
            ticket_id: ticket_id.map(str::to_string),
            payload: payload.to_string(),
            created_at: now,
            attempts: 0,
            next_attempt_at: now,
            delivered_at: None,
            last_error: None,
        }
    }
}

pub fn insert(conn: &mut DbConn, row: &OutboxRow) -> QueryResult<()> {
    diesel::insert_into(outbox::table).values(row).execute(conn).map(drop)
}

pub fn insert_many(conn: &mut DbConn, rows: &[OutboxRow]) -> QueryResult<()> {
    super::insert_many!(conn, outbox::table, rows);
    Ok(())
}

pub fn for_ticket(conn: &mut DbConn, ticket_id: &str) -> QueryResult<Vec<OutboxRow>> {
    outbox::table
        .filter(outbox::ticket_id.eq(ticket_id))
        .order(outbox::created_at.asc())
        .select(OutboxRow::as_select())
        .load(conn)
}

pub fn count_undelivered(conn: &mut DbConn) -> QueryResult<i64> {
    outbox::table.filter(outbox::delivered_at.is_null()).count().get_result(conn)
}

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
    /// The far side's id of the delivered message (WhatsApp's `wamid`).
    pub remote_id: Option<String>,
    /// What the far side last said of it: sent, delivered, read, or failed with its code.
    pub remote_status: Option<String>,
    pub remote_status_at: Option<NaiveDateTime>,
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
            remote_id: None,
            remote_status: None,
            remote_status_at: None,
        }
    }
}

/// Queues a row: written when the writer's batch ends (`outbox_queue`), or at once outside one.
pub fn insert(conn: &mut DbConn, row: &OutboxRow) -> QueryResult<()> {
    super::outbox_queue::insert(conn, std::slice::from_ref(row))
}

pub fn insert_many(conn: &mut DbConn, rows: &[OutboxRow]) -> QueryResult<()> {
    super::outbox_queue::insert(conn, rows)
}

pub fn for_ticket(conn: &mut DbConn, ticket_id: &str) -> QueryResult<Vec<OutboxRow>> {
    super::outbox_queue::flush(conn)?;
    outbox::table
        .filter(outbox::ticket_id.eq(ticket_id))
        .order(outbox::created_at.asc())
        .select(OutboxRow::as_select())
        .load(conn)
}

pub fn count_undelivered(conn: &mut DbConn) -> QueryResult<i64> {
    super::outbox_queue::flush(conn)?;
    outbox::table.filter(outbox::delivered_at.is_null()).count().get_result(conn)
}

/// E-mail notices due now, oldest first, leased until `lease_until` (attempts counted) so that no
/// other process sends them meanwhile; on PostgreSQL rows another process holds are skipped.
pub fn claim_email(
    conn: &mut DbConn,
    now: NaiveDateTime,
    lease_until: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<OutboxRow>> {
    super::outbox_queue::flush(conn)?;
    claim(conn, "email", now, lease_until, limit)
}

/// The same for any channel; rows come in the order they were written (ids are time-ordered),
/// so a chat reads the bot's answers in order.
pub fn claim(
    conn: &mut DbConn,
    channel: &str,
    now: NaiveDateTime,
    lease_until: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<OutboxRow>> {
    super::outbox_queue::flush(conn)?;
    macro_rules! due {
        () => {
            outbox::table
                .filter(outbox::channel.eq(channel))
                .filter(outbox::delivered_at.is_null())
                .filter(outbox::next_attempt_at.le(now))
                .order((outbox::next_attempt_at.asc(), outbox::id.asc()))
                .limit(limit)
                .select(OutboxRow::as_select())
        };
    }
    let rows = match conn {
        DbConn::Pg(c) => due!().for_update().skip_locked().load(c)?,
        DbConn::Sqlite(c) => due!().load(c)?,
    };
    let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    diesel::update(outbox::table.filter(outbox::id.eq_any(&ids)))
        .set((outbox::next_attempt_at.eq(lease_until), outbox::attempts.eq(outbox::attempts + 1)))
        .execute(conn)?;
    Ok(rows)
}

/// Automatic mails (everything but agents' replies) delivered to `recipient` since `since`.
pub fn automatic_sent_since(conn: &mut DbConn, recipient: &str, since: NaiveDateTime) -> QueryResult<i64> {
    super::outbox_queue::flush(conn)?;
    outbox::table
        .filter(outbox::channel.eq("email"))
        .filter(outbox::recipient.eq(recipient))
        .filter(outbox::template.ne_all([
            "reply",
            "sla_warning",
            "sla_breached",
            "ticket_assigned",
            "ticket_escalated",
            "ticket_transferred",
            "ticket_unassigned",
            "incident_flagged",
            "incident_notice_warning",
            "incident_notice_breached",
        ]))
        .filter(outbox::delivered_at.ge(since))
        .filter(outbox::last_error.is_null())
        .count()
        .get_result(conn)
}

/// Delivered: the payload loses what was only for the mail (the tracking token).
pub fn mark_delivered(
    conn: &mut DbConn,
    id: &str,
    at: NaiveDateTime,
    payload: &str,
    note: Option<&str>,
) -> QueryResult<()> {
    super::outbox_queue::flush(conn)?;
    diesel::update(outbox::table.find(id))
        .set((outbox::delivered_at.eq(at), outbox::payload.eq(payload), outbox::last_error.eq(note)))
        .execute(conn)
        .map(drop)
}

/// Final failure: no more attempts, the reason kept, the tokens scrubbed.
pub fn give_up(conn: &mut DbConn, id: &str, error: &str, never: NaiveDateTime, payload: &str) -> QueryResult<()> {
    super::outbox_queue::flush(conn)?;
    diesel::update(outbox::table.find(id))
        .set((outbox::last_error.eq(error), outbox::next_attempt_at.eq(never), outbox::payload.eq(payload)))
        .execute(conn)
        .map(drop)
}

pub fn mark_failed(conn: &mut DbConn, id: &str, error: &str, retry_at: NaiveDateTime) -> QueryResult<()> {
    super::outbox_queue::flush(conn)?;
    diesel::update(outbox::table.find(id))
        .set((outbox::last_error.eq(error), outbox::next_attempt_at.eq(retry_at)))
        .execute(conn)
        .map(drop)
}

/// Marks every notice not yet delivered as settled without sending it, with `note` as the
/// reason: for the demo city, whose sixty days of seeded history must not be mailed out.
pub fn settle_all_pending(conn: &mut DbConn, at: NaiveDateTime, note: &str) -> QueryResult<usize> {
    super::outbox_queue::flush(conn)?;
    diesel::update(outbox::table.filter(outbox::delivered_at.is_null()))
        .set((outbox::delivered_at.eq(at), outbox::last_error.eq(note)))
        .execute(conn)
}

/// Undelivered rows of `channel` to `recipients`: (recipient, id, next attempt), to keep a
/// chat's messages in order when an older one waits for a retry.
pub fn undelivered_to(
    conn: &mut DbConn,
    channel: &str,
    recipients: &[String],
) -> QueryResult<Vec<(String, String, NaiveDateTime)>> {
    super::outbox_queue::flush(conn)?;
    outbox::table
        .filter(outbox::channel.eq(channel))
        .filter(outbox::delivered_at.is_null())
        .filter(outbox::recipient.eq_any(recipients))
        .select((outbox::recipient, outbox::id, outbox::next_attempt_at))
        .load(conn)
}

/// Puts a claimed row back until `until` without counting the claim as an attempt (it was held
/// behind an older message, not tried).
pub fn hold(conn: &mut DbConn, id: &str, until: NaiveDateTime) -> QueryResult<()> {
    super::outbox_queue::flush(conn)?;
    diesel::update(outbox::table.find(id))
        .set((outbox::next_attempt_at.eq(until), outbox::attempts.eq(outbox::attempts - 1)))
        .execute(conn)
        .map(drop)
}

/// The far side's id of a delivered row (a status callback finds the row by it).
pub fn set_remote_id(conn: &mut DbConn, id: &str, remote_id: &str) -> QueryResult<()> {
    super::outbox_queue::flush(conn)?;
    diesel::update(outbox::table.find(id)).set(outbox::remote_id.eq(remote_id)).execute(conn).map(drop)
}

pub fn by_id(conn: &mut DbConn, id: &str) -> QueryResult<Option<OutboxRow>> {
    super::outbox_queue::flush(conn)?;
    outbox::table.find(id).select(OutboxRow::as_select()).first(conn).optional()
}

/// Every row of a channel in the order written (benchmarks check delivery order with it).
pub fn for_channel_in_order(conn: &mut DbConn, channel: &str) -> QueryResult<Vec<OutboxRow>> {
    super::outbox_queue::flush(conn)?;
    outbox::table.filter(outbox::channel.eq(channel)).order(outbox::id.asc()).select(OutboxRow::as_select()).load(conn)
}

/// Rewrites a row's payload (a channel's progress within a row of several messages).
pub fn set_payload(conn: &mut DbConn, id: &str, payload: &str) -> QueryResult<()> {
    super::outbox_queue::flush(conn)?;
    diesel::update(outbox::table.find(id)).set(outbox::payload.eq(payload)).execute(conn).map(drop)
}

//! Webhook subscriptions, their delivery log, and the ticket facts a delivery carries.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{outbox, services, tickets, units, webhook_deliveries, webhooks};
use super::DbConn;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = webhooks, treat_none_as_default_value = false)]
pub struct WebhookRow {
    pub id: String,
    pub url: String,
    pub secret: String,
    /// Comma-separated event names, or `*`.
    pub events: String,
    pub active: bool,
    pub disabled_reason: Option<String>,
    pub created_at: NaiveDateTime,
    pub created_by: Option<String>,
}

impl WebhookRow {
    pub fn event_list(&self) -> Vec<String> {
        self.events.split(',').map(str::trim).filter(|e| !e.is_empty()).map(str::to_string).collect()
    }
}

/// One attempt to deliver one event to one webhook.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = webhook_deliveries, treat_none_as_default_value = false)]
pub struct DeliveryRow {
    pub id: String,
    pub webhook_id: String,
    pub outbox_id: String,
    pub event: String,
    pub ticket_number: Option<String>,
    pub attempt: i32,
    /// `delivered`, `retrying` or `given_up`.
    pub outcome: String,
    pub status_code: Option<i32>,
    pub response_excerpt: Option<String>,
    pub error: Option<String>,
    pub duration_ms: i64,
    pub attempted_at: NaiveDateTime,
    pub next_attempt_at: Option<NaiveDateTime>,
}

pub fn insert(conn: &mut DbConn, row: &WebhookRow) -> QueryResult<()> {
    diesel::insert_into(webhooks::table).values(row).execute(conn).map(drop)
}

pub fn by_id(conn: &mut DbConn, id: &str) -> QueryResult<Option<WebhookRow>> {
    webhooks::table.find(id).select(WebhookRow::as_select()).first(conn).optional()
}

/// Every webhook, oldest first.
pub fn all(conn: &mut DbConn) -> QueryResult<Vec<WebhookRow>> {
    webhooks::table.order((webhooks::created_at.asc(), webhooks::id.asc())).select(WebhookRow::as_select()).load(conn)
}

/// The active subscriptions as (id, events): what the writer matches events against.
pub fn active_subscriptions(conn: &mut DbConn) -> QueryResult<Vec<(String, String)>> {
    webhooks::table.filter(webhooks::active.eq(true)).select((webhooks::id, webhooks::events)).load(conn)
}

pub fn set_active(conn: &mut DbConn, id: &str, active: bool, reason: Option<&str>) -> QueryResult<usize> {
    diesel::update(webhooks::table.find(id))
        .set((webhooks::active.eq(active), webhooks::disabled_reason.eq(reason)))
        .execute(conn)
}

/// Removes a webhook with its delivery log.
pub fn delete(conn: &mut DbConn, id: &str) -> QueryResult<usize> {
    diesel::delete(webhook_deliveries::table.filter(webhook_deliveries::webhook_id.eq(id))).execute(conn)?;
    diesel::delete(webhooks::table.find(id)).execute(conn)
}

/// Settles the deliveries still queued for a webhook that is gone: they will not be sent.
pub fn settle_queued(conn: &mut DbConn, webhook_id: &str, at: NaiveDateTime, note: &str) -> QueryResult<usize> {
    super::outbox_queue::flush(conn)?;
    diesel::update(
        outbox::table
            .filter(outbox::channel.eq("webhook"))
            .filter(outbox::recipient.eq(webhook_id))
            .filter(outbox::delivered_at.is_null()),
    )
    .set((outbox::delivered_at.eq(at), outbox::last_error.eq(note)))
    .execute(conn)
}

/// Deliveries waiting for a webhook (queued or to be retried), per webhook id.
pub fn queued_counts(conn: &mut DbConn, now: NaiveDateTime) -> QueryResult<Vec<(String, i64)>> {
    super::outbox_queue::flush(conn)?;
    // Given-up rows wait a hundred years; they are not "queued".
    let horizon = now + chrono::Duration::days(365 * 50);
    outbox::table
        .filter(outbox::channel.eq("webhook"))
        .filter(outbox::delivered_at.is_null())
        .filter(outbox::next_attempt_at.lt(horizon))
        .group_by(outbox::recipient)
        .select((outbox::recipient, diesel::dsl::count_star()))
        .load(conn)
}

pub fn insert_delivery(conn: &mut DbConn, row: &DeliveryRow) -> QueryResult<()> {
    diesel::insert_into(webhook_deliveries::table).values(row).execute(conn).map(drop)
}

/// The newest attempts for a webhook, newest first.
pub fn deliveries(conn: &mut DbConn, webhook_id: &str, limit: i64) -> QueryResult<Vec<DeliveryRow>> {
    webhook_deliveries::table
        .filter(webhook_deliveries::webhook_id.eq(webhook_id))
        .order((webhook_deliveries::attempted_at.desc(), webhook_deliveries::id.desc()))
        .limit(limit)
        .select(DeliveryRow::as_select())
        .load(conn)
}

/// What a payload tells of a ticket, read in the transaction that recorded its event.
#[derive(Debug, Clone, Queryable)]
pub struct TicketFacts {
    pub id: String,
    pub number: String,
    pub kind: String,
    pub status: String,
    pub tier: i32,
    pub priority: String,
    pub classification: String,
    pub security_incident: bool,
    pub channel: String,
    pub escalated: bool,
    pub service_id: Option<String>,
    pub created_at: NaiveDateTime,
    pub first_response_due: NaiveDateTime,
    pub resolution_due: NaiveDateTime,
    pub first_response_at: Option<NaiveDateTime>,
    pub resolved_at: Option<NaiveDateTime>,
    pub closed_at: Option<NaiveDateTime>,
    pub unit: String,
}

pub fn ticket_facts(conn: &mut DbConn, ids: &[&str]) -> QueryResult<Vec<TicketFacts>> {
    tickets::table
        .inner_join(units::table)
        .filter(tickets::id.eq_any(ids))
        .select((
            tickets::id,
            tickets::number,
            tickets::kind,
            tickets::status,
            tickets::tier,
            tickets::priority,
            tickets::classification,
            tickets::security_incident,
            tickets::channel,
            tickets::escalated,
            tickets::service_id,
            tickets::created_at,
            tickets::first_response_due,
            tickets::resolution_due,
            tickets::first_response_at,
            tickets::resolved_at,
            tickets::closed_at,
            units::code,
        ))
        .load(conn)
}

/// Service codes by id.
pub fn service_codes(conn: &mut DbConn, ids: &[&str]) -> QueryResult<Vec<(String, String)>> {
    services::table.filter(services::id.eq_any(ids)).select((services::id, services::code)).load(conn)
}

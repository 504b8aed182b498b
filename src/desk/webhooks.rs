//! Webhooks (SPEC 5): admins subscribe an URL to ticket events; every event of a subscribed
//! kind becomes an outbox row (channel `webhook`) in the transaction that recorded it, so an
//! event is delivered if and only if its change committed. `crate::webhooks` delivers them.
//!
//! The writer matches each transaction's audit events against the active subscriptions, kept
//! in memory ([`Subscriptions`]) and reloaded after every change here and on every delivery
//! pass (a subscription made by another process counts here within seconds). With no
//! subscription, a write costs one read of an empty list.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::view::utc;
use super::writer::PendingEvent;
use super::{new_id, Desk, DeskError, DeskResult, Tx};
use crate::db::outbox::{self, OutboxRow};
use crate::db::webhooks::{self as db, DeliveryRow, TicketFacts, WebhookRow};
use crate::db::DbConn;
use crate::domain::role::{Actor, Role};
use crate::domain::ticket::Classification;
use crate::domain::webhook::{self as rules, PING};

/// The outbox channel of webhook deliveries; the row's recipient is the webhook's id.
pub const CHANNEL: &str = "webhook";
/// More subscriptions than a city needs would only slow every write.
const MAX_WEBHOOKS: usize = 50;

/// The active subscriptions, as the writer matches events against them.
#[derive(Debug, Default)]
pub struct Subscriptions {
    current: RwLock<Arc<Vec<Subscription>>>,
}

#[derive(Debug, Clone)]
struct Subscription {
    id: String,
    events: Vec<String>,
}

impl Subscriptions {
    fn snapshot(&self) -> Arc<Vec<Subscription>> {
        match self.current.read() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    fn replace(&self, rows: Vec<(String, String)>) {
        let list: Vec<Subscription> = rows
            .into_iter()
            .map(|(id, events)| Subscription {
                id,
                events: events.split(',').map(str::trim).filter(|e| !e.is_empty()).map(str::to_string).collect(),
            })
            .collect();
        match self.current.write() {
            Ok(mut guard) => *guard = Arc::new(list),
            Err(poisoned) => *poisoned.into_inner() = Arc::new(list),
        }
    }

    /// Rereads the active subscriptions.
    pub fn load(&self, conn: &mut DbConn) -> DeskResult<()> {
        self.replace(db::active_subscriptions(conn)?);
        Ok(())
    }
}

impl Desk {
    /// Rereads the active subscriptions (after a change, and on every delivery pass).
    pub fn reload_webhooks(&self) -> DeskResult<()> {
        let hooks = self.writer.webhooks.clone();
        self.read_blocking(|conn| hooks.load(conn))
    }

    /// The same from a request handler, after its change committed.
    pub async fn reload_webhooks_async(&self) -> DeskResult<()> {
        let hooks = self.writer.webhooks.clone();
        self.read(move |conn| hooks.load(conn)).await
    }
}

/// Called by the writer at the end of each change, inside its transaction: queues a delivery
/// for every recorded event that an active webhook subscribes to.
pub(crate) fn queue_deliveries(
    conn: &mut DbConn,
    now: DateTime<Utc>,
    events: &[PendingEvent],
    subscriptions: &Subscriptions,
) -> DeskResult<()> {
    if events.is_empty() {
        return Ok(());
    }
    let current = subscriptions.snapshot();
    if current.is_empty() {
        return Ok(());
    }
    let wanted: Vec<(&PendingEvent, &str, Vec<&str>)> = events
        .iter()
        .filter_map(|event| {
            let ticket = event.ticket_id.as_deref()?;
            if !rules::is_deliverable(&event.kind, &event.data) {
                return None;
            }
            let hooks: Vec<&str> =
                current.iter().filter(|s| rules::subscribes(&s.events, &event.kind)).map(|s| s.id.as_str()).collect();
            (!hooks.is_empty()).then_some((event, ticket, hooks))
        })
        .collect();
    if wanted.is_empty() {
        return Ok(());
    }
    let mut ids: Vec<&str> = wanted.iter().map(|(_, ticket, _)| *ticket).collect();
    ids.sort_unstable();
    ids.dedup();
    let facts: HashMap<String, TicketFacts> =
        db::ticket_facts(conn, &ids)?.into_iter().map(|t| (t.id.clone(), t)).collect();
    let service_ids: Vec<&str> = facts.values().filter_map(|t| t.service_id.as_deref()).collect();
    let services: HashMap<String, String> = if service_ids.is_empty() {
        HashMap::new()
    } else {
        db::service_codes(conn, &service_ids)?.into_iter().collect()
    };
    let mut rows = Vec::new();
    for (event, ticket_id, hooks) in wanted {
        let Some(ticket) = facts.get(ticket_id) else { continue };
        let service = ticket.service_id.as_ref().and_then(|id| services.get(id)).map(String::as_str);
        let confidential = ticket_confidential(ticket);
        let data = rules::public_data(&event.data, confidential);
        let payload = payload(&new_id(), &event.kind, event.at, ticket_json(ticket, service, confidential), data);
        for hook in hooks {
            rows.push(OutboxRow::new(now.naive_utc(), Some(ticket_id), CHANNEL, hook, &event.kind, &payload));
        }
    }
    outbox::insert_many(conn, &rows)?;
    Ok(())
}

fn ticket_confidential(ticket: &TicketFacts) -> bool {
    ticket.classification == Classification::Confidential.as_str()
}

/// The body of a delivery: `{id, event, occurred_at, ticket, data}`.
fn payload(id: &str, event: &str, at: NaiveDateTime, ticket: Value, data: Value) -> Value {
    json!({ "id": id, "event": event, "occurred_at": utc(at), "ticket": ticket, "data": data })
}

/// A ticket as a payload tells it: its state and codes, never its requester, title or text;
/// of a confidential ticket only the number and status (SPEC 2).
fn ticket_json(t: &TicketFacts, service: Option<&str>, confidential: bool) -> Value {
    if confidential {
        return json!({ "number": t.number, "status": t.status, "classification": t.classification });
    }
    json!({
        "number": t.number, "status": t.status, "kind": t.kind, "tier": t.tier, "priority": t.priority,
        "unit": t.unit, "service": service, "channel": t.channel, "classification": t.classification,
        "security_incident": t.security_incident, "escalated": t.escalated, "created_at": utc(t.created_at),
        "first_response_due": utc(t.first_response_due), "resolution_due": utc(t.resolution_due),
        "first_response_at": t.first_response_at.map(utc), "resolved_at": t.resolved_at.map(utc),
        "closed_at": t.closed_at.map(utc),
    })
}

// ---------------------------------------------------------------------------------------------
// Administration

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewWebhook {
    pub url: String,
    pub events: Vec<String>,
    /// Chosen by the caller, or generated when absent.
    #[serde(default)]
    pub secret: Option<String>,
}

/// A webhook as shown: never its secret.
#[derive(Debug, Clone, Serialize)]
pub struct WebhookView {
    pub id: String,
    pub url: String,
    pub events: Vec<String>,
    pub active: bool,
    pub disabled_reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub created_by: Option<String>,
    /// Deliveries waiting to be sent or retried.
    pub queued: i64,
}

/// The answer to a creation: the only time the secret is shown.
#[derive(Debug, Clone, Serialize)]
pub struct CreatedWebhook {
    #[serde(flatten)]
    pub webhook: WebhookView,
    pub secret: String,
}

/// One attempt of the delivery log.
#[derive(Debug, Clone, Serialize)]
pub struct DeliveryView {
    pub id: String,
    /// The `X-Meja-Delivery` header: the same for every attempt of one delivery.
    pub delivery: String,
    pub event: String,
    pub ticket: Option<String>,
    pub attempt: i32,
    pub outcome: String,
    pub status_code: Option<i32>,
    pub response_excerpt: Option<String>,
    pub error: Option<String>,
    pub duration_ms: i64,
    pub attempted_at: DateTime<Utc>,
    pub next_attempt_at: Option<DateTime<Utc>>,
}

/// A test delivery queued.
#[derive(Debug, Clone, Serialize)]
pub struct Queued {
    pub delivery: String,
    pub event: &'static str,
}

pub fn require_admin(actor: &Actor) -> DeskResult<()> {
    if actor.role == Role::Admin {
        Ok(())
    } else {
        Err(DeskError::Forbidden("webhooks are for admins and their integration tokens".into()))
    }
}

fn view(desk: &Desk, conn: &mut DbConn, row: WebhookRow, queued: i64) -> DeskResult<WebhookView> {
    let created_by = match &row.created_by {
        Some(id) => Some(desk.names.username(conn, id)?),
        None => None,
    };
    Ok(WebhookView {
        events: row.event_list(),
        id: row.id,
        url: row.url,
        active: row.active,
        disabled_reason: row.disabled_reason,
        created_at: utc(row.created_at),
        created_by,
        queued,
    })
}

fn find(conn: &mut DbConn, id: &str) -> DeskResult<WebhookRow> {
    db::by_id(conn, id)?.ok_or_else(|| DeskError::not_found("webhook", id))
}

pub fn create(tx: &mut Tx, desk: &Desk, actor: &Actor, input: NewWebhook) -> DeskResult<CreatedWebhook> {
    require_admin(actor)?;
    let url = rules::check_url(&input.url).map_err(|e| DeskError::invalid("url", e))?;
    let events = rules::parse_events(&input.events).map_err(|e| DeskError::invalid("events", e))?;
    let secret = match input.secret {
        Some(s) => {
            rules::check_secret(&s).map_err(|e| DeskError::invalid("secret", e))?;
            s
        }
        None => super::auth::random_secret(32),
    };
    if db::all(tx.conn)?.len() >= MAX_WEBHOOKS {
        return Err(DeskError::conflict("too_many_webhooks", format!("at most {MAX_WEBHOOKS} webhooks")));
    }
    let row = WebhookRow {
        id: new_id(),
        url: url.to_string(),
        secret: secret.clone(),
        events: events.join(","),
        active: true,
        disabled_reason: None,
        created_at: tx.now.naive_utc(),
        created_by: Some(actor.user_id.clone()),
    };
    db::insert(tx.conn, &row)?;
    tx.record(
        None,
        Some(&actor.user_id),
        "webhook.created",
        json!({ "webhook_id": row.id, "url": row.url, "events": events }),
    )?;
    Ok(CreatedWebhook { webhook: view(desk, tx.conn, row, 0)?, secret })
}

pub fn list(desk: &Desk, conn: &mut DbConn, actor: &Actor) -> DeskResult<Vec<WebhookView>> {
    require_admin(actor)?;
    let queued: HashMap<String, i64> = db::queued_counts(conn, desk.now().naive_utc())?.into_iter().collect();
    db::all(conn)?
        .into_iter()
        .map(|row| {
            let waiting = queued.get(&row.id).copied().unwrap_or(0);
            view(desk, conn, row, waiting)
        })
        .collect()
}

pub fn show(desk: &Desk, conn: &mut DbConn, actor: &Actor, id: &str) -> DeskResult<WebhookView> {
    require_admin(actor)?;
    let row = find(conn, id)?;
    let queued = db::queued_counts(conn, desk.now().naive_utc())?
        .into_iter()
        .find(|(hook, _)| *hook == row.id)
        .map_or(0, |(_, n)| n);
    view(desk, conn, row, queued)
}

/// Removes a webhook and its delivery log; what was still queued for it is not sent.
pub fn delete(tx: &mut Tx, actor: &Actor, id: &str) -> DeskResult<()> {
    require_admin(actor)?;
    let row = find(tx.conn, id)?;
    let settled = db::settle_queued(tx.conn, &row.id, tx.now.naive_utc(), "not sent: the webhook was deleted")?;
    db::delete(tx.conn, &row.id)?;
    tx.record(
        None,
        Some(&actor.user_id),
        "webhook.deleted",
        json!({ "webhook_id": row.id, "url": row.url, "unsent": settled }),
    )?;
    Ok(())
}

/// Switches deliveries on or off. Events while off are not queued; deliveries already queued
/// are given up when their turn comes.
pub fn set_active(tx: &mut Tx, desk: &Desk, actor: &Actor, id: &str, active: bool) -> DeskResult<WebhookView> {
    require_admin(actor)?;
    let row = find(tx.conn, id)?;
    if row.active != active {
        let reason = (!active).then(|| format!("switched off by {}", actor.username));
        db::set_active(tx.conn, &row.id, active, reason.as_deref())?;
        let kind = if active { "webhook.enabled" } else { "webhook.disabled" };
        tx.record(None, Some(&actor.user_id), kind, json!({ "webhook_id": row.id, "url": row.url }))?;
    }
    let row = find(tx.conn, id)?;
    view(desk, tx.conn, row, 0)
}

/// Queues a `ping` to one webhook, to see its receiver answer (and check the signature).
pub fn ping(tx: &mut Tx, actor: &Actor, id: &str) -> DeskResult<Queued> {
    require_admin(actor)?;
    let row = find(tx.conn, id)?;
    if !row.active {
        return Err(DeskError::conflict("webhook_inactive", "the webhook is switched off; switch it on first"));
    }
    let body = payload(
        &new_id(),
        PING,
        tx.now.naive_utc(),
        Value::Null,
        json!({ "webhook_id": row.id, "events": row.event_list() }),
    );
    let delivery = OutboxRow::new(tx.now.naive_utc(), None, CHANNEL, &row.id, PING, &body);
    outbox::insert(tx.conn, &delivery)?;
    tx.record(None, Some(&actor.user_id), "webhook.tested", json!({ "webhook_id": row.id, "delivery": delivery.id }))?;
    Ok(Queued { delivery: delivery.id, event: PING })
}

/// The newest attempts of the delivery log, newest first.
pub fn deliveries(conn: &mut DbConn, actor: &Actor, id: &str, limit: i64) -> DeskResult<Vec<DeliveryView>> {
    require_admin(actor)?;
    let row = find(conn, id)?;
    if !(1..=500).contains(&limit) {
        return Err(DeskError::invalid("limit", "1 to 500"));
    }
    Ok(db::deliveries(conn, &row.id, limit)?.into_iter().map(delivery_view).collect())
}

fn delivery_view(d: DeliveryRow) -> DeliveryView {
    DeliveryView {
        id: d.id,
        delivery: d.outbox_id,
        event: d.event,
        ticket: d.ticket_number,
        attempt: d.attempt,
        outcome: d.outcome,
        status_code: d.status_code,
        response_excerpt: d.response_excerpt,
        error: d.error,
        duration_ms: d.duration_ms,
        attempted_at: utc(d.attempted_at),
        next_attempt_at: d.next_attempt_at.map(utc),
    }
}

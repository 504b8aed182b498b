//! Delivering the outbox rows of channel `webhook` (SPEC 5): each one is POSTed to its
//! webhook's URL with the exact JSON body stored in the outbox, signed with the webhook's
//! secret (`X-Meja-Signature: sha256=<hex HMAC-SHA256(secret, body)>`).
//!
//! A pass leases the due rows in one transaction (attempts counted, `SKIP LOCKED` on
//! PostgreSQL, so several processes never send one row twice at once), sends outside any
//! transaction — the webhooks in parallel, each webhook's rows in order — and records each
//! result as soon as the receiver answered (queued to the writer while the next request goes
//! out), so a crash resends at most the requests in flight, with the same `X-Meja-Delivery`.
//! Every attempt lands in the delivery log. A 2xx answer delivers; 410 Gone switches the
//! webhook off (the receiver says it is gone for good); anything else, or no answer within
//! 10 seconds, is retried after 1, 5, 15 minutes, 1, 3 and 12 hours, then given up. After a
//! failure the webhook's later rows of the pass wait a minute instead of being tried: a
//! receiver that is down costs one request per pass, not one per event.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use serde::Serialize;
use serde_json::Value;

use crate::db::outbox::{self, OutboxRow};
use crate::db::webhooks::{self as db, DeliveryRow, WebhookRow};
use crate::desk::webhooks::CHANNEL;
use crate::desk::{new_id, Desk, DeskError, DeskResult, Tx};
use crate::domain::webhook::{self as rules, SIGNATURE_HEADER};

/// Long enough for a batch to one slow receiver (10 s each) to finish before another process
/// may take the same rows.
const LEASE: chrono::Duration = chrono::Duration::minutes(20);
const BATCH: i64 = 100;
const TIMEOUT: Duration = Duration::from_secs(10);
/// Webhooks served at once.
const PARALLEL: usize = 8;
/// How long a webhook's later rows wait after one of them failed in a pass.
const HOLD: chrono::Duration = chrono::Duration::minutes(1);
/// How much of an answer is read (the log keeps 500 characters of it).
const READ_BYTES: usize = 4096;

/// The HTTP side: one client, kept for the life of the process.
#[derive(Clone)]
pub struct Sender {
    client: reqwest::Client,
}

impl Sender {
    pub fn new() -> anyhow::Result<Sender> {
        let client = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .connect_timeout(TIMEOUT)
            // A redirect is an answer to fix at the subscription, not one to follow blindly.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("meja-webhooks/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Sender { client })
    }
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Delivered {
    pub sent: usize,
    pub retrying: usize,
    pub given_up: usize,
    /// Not tried this pass: behind a failed row of the same webhook.
    pub held: usize,
}

impl Delivered {
    pub fn is_empty(&self) -> bool {
        *self == Delivered::default()
    }
}

/// One row to send, with what its webhook needs.
struct Outgoing {
    row: OutboxRow,
    url: String,
    secret: String,
    ticket: Option<String>,
}

enum Outcome {
    Answered { status: u16, excerpt: String, ms: i64 },
    Failed { error: String, ms: i64 },
    Held,
}

/// One pass over the due deliveries.
pub async fn deliver_due(desk: &Desk, sender: &Sender) -> DeskResult<Delivered> {
    let (groups, mut report) = desk.writer.write(lease).await?;
    if groups.is_empty() {
        return Ok(report);
    }
    let results: Vec<DeskResult<(Delivered, Vec<Recorded>, bool)>> = futures_util::stream::iter(groups)
        .map(|group| send_group(desk, sender, group))
        .buffer_unordered(PARALLEL)
        .collect()
        .await;
    let mut pending = Vec::new();
    let mut switched_off = false;
    for result in results {
        let (one, recorded, gone) = result?;
        report.sent += one.sent;
        report.retrying += one.retrying;
        report.given_up += one.given_up;
        report.held += one.held;
        pending.extend(recorded);
        switched_off |= gone;
    }
    for done in pending {
        done.await.map_err(|_| DeskError::Unavailable("the delivery record was not committed".into()))??;
    }
    if switched_off {
        let d = desk.clone();
        tokio::task::spawn_blocking(move || d.reload_webhooks())
            .await
            .map_err(|e| DeskError::Internal(format!("reload task failed: {e}")))??;
    }
    Ok(report)
}

/// The same, for the command line (`meja jobs --once`) and the tests: passes until nothing
/// is due now.
pub fn deliver_due_blocking(desk: &Desk, sender: &Sender) -> DeskResult<Delivered> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| DeskError::Internal(format!("cannot start a runtime: {e}")))?;
    runtime.block_on(async {
        let mut total = Delivered::default();
        loop {
            let one = deliver_due(desk, sender).await?;
            total.sent += one.sent;
            total.retrying += one.retrying;
            total.given_up += one.given_up;
            total.held += one.held;
            if one.sent + one.retrying + one.given_up == 0 {
                return Ok(total);
            }
        }
    })
}

type Recorded = tokio::sync::oneshot::Receiver<DeskResult<()>>;

/// Leases the due rows and groups them per webhook, in order. Rows of a webhook that is gone
/// or switched off are settled here.
fn lease(tx: &mut Tx) -> DeskResult<(Vec<Vec<Outgoing>>, Delivered)> {
    let now = tx.now.naive_utc();
    let rows = outbox::claim(tx.conn, CHANNEL, now, now + LEASE, BATCH)?;
    let mut hooks: HashMap<String, Option<WebhookRow>> = HashMap::new();
    let mut groups: Vec<Vec<Outgoing>> = Vec::new();
    let mut group_of: HashMap<String, usize> = HashMap::new();
    let mut report = Delivered::default();
    for row in rows {
        if !hooks.contains_key(&row.recipient) {
            let hook = db::by_id(tx.conn, &row.recipient)?;
            hooks.insert(row.recipient.clone(), hook);
        }
        let ticket = ticket_number(&row.payload);
        match hooks.get(&row.recipient).and_then(Option::as_ref) {
            None => {
                outbox::mark_delivered(tx.conn, &row.id, now, &row.payload, Some("not sent: the webhook was deleted"))?;
            }
            Some(hook) if !hook.active => {
                let note = "not sent: the webhook is switched off";
                outbox::give_up(tx.conn, &row.id, note, far_future(tx), &row.payload)?;
                log(tx, &row, ticket, "given_up", None, None, Some(note.to_string()), 0, None)?;
                report.given_up += 1;
            }
            Some(hook) => {
                let index = *group_of.entry(hook.id.clone()).or_insert_with(|| {
                    groups.push(Vec::new());
                    groups.len() - 1
                });
                let out = Outgoing { url: hook.url.clone(), secret: hook.secret.clone(), ticket, row };
                if let Some(group) = groups.get_mut(index) {
                    group.push(out);
                }
            }
        }
    }
    Ok((groups, report))
}

fn ticket_number(payload: &str) -> Option<String> {
    let value: Value = serde_json::from_str(payload).ok()?;
    value["ticket"]["number"].as_str().map(str::to_string)
}

/// Sends one webhook's rows in order; after a failure the rest wait for the next pass.
/// Returns the counts, the pending records, and whether the receiver said 410 Gone.
async fn send_group(
    desk: &Desk,
    sender: &Sender,
    group: Vec<Outgoing>,
) -> DeskResult<(Delivered, Vec<Recorded>, bool)> {
    let mut report = Delivered::default();
    let mut recorded = Vec::with_capacity(group.len());
    let mut failed = false;
    let mut gone = false;
    for out in group {
        let outcome = if failed { Outcome::Held } else { send(sender, &out).await };
        match &outcome {
            Outcome::Answered { status, .. } if (200..300).contains(status) => report.sent += 1,
            Outcome::Answered { status: 410, .. } => {
                gone = true;
                failed = true;
                report.given_up += 1;
            }
            Outcome::Held => report.held += 1,
            _ => {
                failed = true;
                let attempt = usize::try_from(out.row.attempts).unwrap_or(0) + 1;
                if rules::retry_after(attempt).is_some() {
                    report.retrying += 1;
                } else {
                    report.given_up += 1;
                }
            }
        }
        recorded.push(desk.writer.enqueue(move |tx| record(tx, out, outcome))?);
    }
    Ok((report, recorded, gone))
}

async fn send(sender: &Sender, out: &Outgoing) -> Outcome {
    let body = out.row.payload.clone().into_bytes();
    let signature = rules::signature(&out.secret, &body);
    let started = Instant::now();
    let request = sender
        .client
        .post(&out.url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header("X-Meja-Event", &out.row.template)
        .header("X-Meja-Delivery", &out.row.id)
        .header(SIGNATURE_HEADER, signature)
        .body(body);
    let elapsed = |started: Instant| i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
    match request.send().await {
        Ok(mut response) => {
            let status = response.status().as_u16();
            let mut read = Vec::new();
            while read.len() < READ_BYTES {
                match response.chunk().await {
                    Ok(Some(chunk)) => read.extend_from_slice(&chunk),
                    _ => break,
                }
            }
            let excerpt = rules::excerpt(&String::from_utf8_lossy(&read));
            Outcome::Answered { status, excerpt, ms: elapsed(started) }
        }
        Err(e) => {
            let error = if e.is_timeout() {
                format!("no answer within {} s", TIMEOUT.as_secs())
            } else if e.is_connect() {
                format!("cannot connect: {}", source_chain(&e))
            } else {
                source_chain(&e)
            };
            Outcome::Failed { error, ms: elapsed(started) }
        }
    }
}

/// An error with its causes, short enough for a delivery row.
fn source_chain(e: &dyn std::error::Error) -> String {
    crate::desk::error::with_causes(e).chars().take(500).collect()
}

fn far_future(tx: &Tx) -> chrono::NaiveDateTime {
    (tx.now + chrono::Duration::days(365 * 100)).naive_utc()
}

#[allow(clippy::too_many_arguments)]
fn log(
    tx: &mut Tx,
    row: &OutboxRow,
    ticket: Option<String>,
    outcome: &str,
    status: Option<u16>,
    excerpt: Option<String>,
    error: Option<String>,
    ms: i64,
    next: Option<chrono::NaiveDateTime>,
) -> DeskResult<()> {
    db::insert_delivery(
        tx.conn,
        &DeliveryRow {
            id: new_id(),
            webhook_id: row.recipient.clone(),
            outbox_id: row.id.clone(),
            event: row.template.clone(),
            ticket_number: ticket,
            attempt: row.attempts + 1,
            outcome: outcome.to_string(),
            status_code: status.map(i32::from),
            response_excerpt: excerpt.filter(|e| !e.is_empty()),
            error,
            duration_ms: ms,
            attempted_at: tx.now.naive_utc(),
            next_attempt_at: next,
        },
    )?;
    Ok(())
}

fn record(tx: &mut Tx, out: Outgoing, outcome: Outcome) -> DeskResult<()> {
    let now = tx.now.naive_utc();
    let row = &out.row;
    // Deleted while the request was in flight: the deletion settled the row and removed the
    // webhook's log, so there is nothing left to record (a log row would point at no webhook
    // and fail the whole pass).
    if db::by_id(tx.conn, &row.recipient)?.is_none() {
        return Ok(());
    }
    let (status, excerpt, error, ms) = match outcome {
        Outcome::Held => {
            outbox::hold(tx.conn, &row.id, now + HOLD)?;
            return Ok(());
        }
        Outcome::Answered { status, excerpt, ms } if (200..300).contains(&status) => {
            outbox::mark_delivered(tx.conn, &row.id, now, &row.payload, None)?;
            return log(tx, row, out.ticket, "delivered", Some(status), Some(excerpt), None, ms, None);
        }
        Outcome::Answered { status: 410, excerpt, ms } => {
            let why = "the receiver answered 410 Gone";
            outbox::give_up(tx.conn, &row.id, why, far_future(tx), &row.payload)?;
            db::set_active(tx.conn, &row.recipient, false, Some(why))?;
            tx.record(
                None,
                None,
                "webhook.disabled",
                serde_json::json!({ "webhook_id": row.recipient, "reason": why }),
            )?;
            tracing::warn!(webhook = %row.recipient, "webhook switched off: its receiver answered 410 Gone");
            return log(tx, row, out.ticket, "given_up", Some(410), Some(excerpt), Some(why.into()), ms, None);
        }
        Outcome::Answered { status, excerpt, ms } => (Some(status), Some(excerpt), format!("HTTP {status}"), ms),
        Outcome::Failed { error, ms } => (None, None, error, ms),
    };
    let attempt = usize::try_from(row.attempts).unwrap_or(0) + 1;
    match rules::retry_after(attempt) {
        Some(wait) => {
            let next = now + chrono::Duration::seconds(wait);
            outbox::mark_failed(tx.conn, &row.id, &error, next)?;
            log(tx, row, out.ticket, "retrying", status, excerpt, Some(error), ms, Some(next))
        }
        None => {
            let note = format!("gave up after {attempt} attempts: {error}");
            outbox::give_up(tx.conn, &row.id, &note, far_future(tx), &row.payload)?;
            tracing::warn!(webhook = %row.recipient, delivery = %row.id, error = %note, "webhook delivery given up");
            log(tx, row, out.ticket, "given_up", status, excerpt, Some(error), ms, None)
        }
    }
}

/// The delivery loop of `meja serve` / `meja jobs`: a pass every two seconds (at once again
/// after a pass that sent something), rereading the subscriptions first.
pub async fn run(desk: Desk, sender: Arc<Sender>, mut stop: tokio::sync::watch::Receiver<bool>) {
    tracing::info!("webhook delivery started");
    loop {
        let d = desk.clone();
        if let Ok(Err(e)) = tokio::task::spawn_blocking(move || d.reload_webhooks()).await {
            tracing::warn!(error = %e, "could not reload the webhook subscriptions; using the previous ones");
        }
        let busy = match deliver_due(&desk, &sender).await {
            Ok(r) if !r.is_empty() => {
                tracing::info!(
                    sent = r.sent,
                    retrying = r.retrying,
                    given_up = r.given_up,
                    held = r.held,
                    "webhook delivery"
                );
                r.sent + r.retrying + r.given_up > 0
            }
            Ok(_) => false,
            Err(e) => {
                tracing::error!(error = %e, "webhook delivery pass failed");
                false
            }
        };
        if busy && !*stop.borrow() {
            continue;
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(2)) => {}
            _ = stop.changed() => break,
        }
        if *stop.borrow() {
            break;
        }
    }
}

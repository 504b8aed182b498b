//! Delivering the outbox rows of channel `webhook` (SPEC 5): each one is POSTed to its
//! webhook's URL with the exact JSON body stored in the outbox, signed with the webhook's
//! secret (`X-Meja-Signature: sha256=<hex HMAC-SHA256(secret, body)>`).
//!
//! The shared dispatcher (`crate::delivery`) leases, sends and records: the webhooks in
//! parallel, each webhook's rows in order, a crash resending at most the requests in flight,
//! with the same `X-Meja-Delivery`. Every attempt lands in the delivery log. A 2xx answer delivers; 410 Gone switches the
//! webhook off (the receiver says it is gone for good); anything else, or no answer within
//! 10 seconds, is retried after 1, 5, 15 minutes, 1, 3 and 12 hours, then given up. After a
//! failure the webhook's later rows of the pass wait a minute instead of being tried: a
//! receiver that is down costs one request per pass, not one per event.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::db::outbox::OutboxRow;
use crate::db::webhooks::{self as db, DeliveryRow};
pub use crate::delivery::Delivered;
use crate::delivery::{self, Attempt, Composed, Retry, Settled};
use crate::desk::{new_id, Desk, DeskError, DeskResult, Tx};
use crate::domain::webhook::{self as rules, SIGNATURE_HEADER};

const TIMEOUT: Duration = Duration::from_secs(10);
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

/// One row to send, with what its webhook needs.
pub struct Outgoing {
    url: String,
    secret: String,
    ticket: Option<String>,
}

impl delivery::Channel for Sender {
    type Message = Outgoing;
    type Composer = ();
    const NAME: &'static str = crate::desk::webhooks::CHANNEL;
    /// Long enough for a batch to one slow receiver (10 s each) to finish before another
    /// process may take the same rows.
    const LEASE: chrono::Duration = chrono::Duration::minutes(20);
    const BATCH: i64 = 100;
    const PARALLEL: usize = 8;
    const IN_ORDER: bool = true;
    const WAIT_FOR_OLDER: bool = false;
    const HOLD: Duration = Duration::from_secs(60);

    fn backoff(attempt: usize) -> Option<Duration> {
        rules::retry_after(attempt).map(|s| Duration::from_secs(s as u64))
    }

    fn composer(&self) {}

    /// Rows of a webhook that is gone or switched off are settled here.
    fn compose(_: &(), tx: &mut Tx, row: &OutboxRow) -> DeskResult<Composed<Outgoing>> {
        let ticket = ticket_number(&row.payload);
        Ok(match db::by_id(tx.conn, &row.recipient)? {
            None => Composed::Skip("not sent: the webhook was deleted".into()),
            Some(hook) if !hook.active => {
                let note = "not sent: the webhook is switched off";
                log(tx, row, ticket, "given_up", None, None, Some(note.to_string()), 0, None)?;
                Composed::GiveUp(note.into())
            }
            Some(hook) => Composed::Send(Outgoing { url: hook.url, secret: hook.secret, ticket }),
        })
    }

    async fn send(&self, row: &OutboxRow, out: &Outgoing) -> Attempt {
        send(self, row, out).await
    }

    /// Deleted while the request was in flight: the deletion settled the row and removed the
    /// webhook's log, so there is nothing left to record (a log row would point at no webhook).
    fn still_wanted(tx: &mut Tx, row: &OutboxRow) -> DeskResult<bool> {
        Ok(db::by_id(tx.conn, &row.recipient)?.is_some())
    }

    fn recorded(tx: &mut Tx, row: &OutboxRow, out: Outgoing, attempt: &Attempt, settled: &Settled) -> DeskResult<()> {
        let error = attempt.result.as_ref().err().map(|(e, _)| e.clone());
        if attempt.status == Some(410) {
            let why = "the receiver answered 410 Gone";
            db::set_active(tx.conn, &row.recipient, false, Some(why))?;
            tx.record(
                None,
                None,
                "webhook.disabled",
                serde_json::json!({ "webhook_id": row.recipient, "reason": why }),
            )?;
            tracing::warn!(webhook = %row.recipient, "webhook switched off: its receiver answered 410 Gone");
        }
        let (outcome, next) = match settled {
            Settled::Delivered => ("delivered", None),
            Settled::Retrying(at) => ("retrying", Some(*at)),
            Settled::GivenUp(_) => ("given_up", None),
        };
        log(tx, row, out.ticket, outcome, attempt.status, attempt.excerpt.clone(), error, attempt.ms, next)
    }
}

/// One pass over the due deliveries; the subscriptions are reread when one was switched off.
pub async fn deliver_due(desk: &Desk, sender: &Sender) -> DeskResult<Delivered> {
    let report = delivery::deliver_due(desk, sender).await?;
    if report.given_up > 0 {
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
    let report = delivery::deliver_all_blocking(desk, sender)?;
    if report.given_up > 0 {
        desk.reload_webhooks()?;
    }
    Ok(report)
}

fn ticket_number(payload: &str) -> Option<String> {
    let value: Value = serde_json::from_str(payload).ok()?;
    value["ticket"]["number"].as_str().map(str::to_string)
}

async fn send(sender: &Sender, row: &OutboxRow, out: &Outgoing) -> Attempt {
    let body = row.payload.clone().into_bytes();
    let signature = rules::signature(&out.secret, &body);
    let started = Instant::now();
    let request = sender
        .client
        .post(&out.url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header("X-Meja-Event", &row.template)
        .header("X-Meja-Delivery", &row.id)
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
            let result = match status {
                200..=299 => Ok(None),
                // The receiver says it is gone for good: the webhook is switched off.
                410 => Err(("the receiver answered 410 Gone".to_string(), Retry::Never)),
                _ => Err((format!("HTTP {status}"), Retry::Backoff)),
            };
            Attempt { result, status: Some(status), excerpt: Some(excerpt), ms: elapsed(started) }
        }
        Err(e) => {
            let error = if e.is_timeout() {
                format!("no answer within {} s", TIMEOUT.as_secs())
            } else if e.is_connect() {
                format!("cannot connect: {}", source_chain(&e))
            } else {
                source_chain(&e)
            };
            Attempt { result: Err((error, Retry::Backoff)), status: None, excerpt: None, ms: elapsed(started) }
        }
    }
}

/// An error with its causes, short enough for a delivery row.
fn source_chain(e: &dyn std::error::Error) -> String {
    crate::desk::error::with_causes(e).chars().take(500).collect()
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

/// The delivery loop of `meja serve` / `meja jobs`: a pass every two seconds (at once again
/// after a pass that sent something), rereading the subscriptions first.
pub async fn run(desk: Desk, sender: Arc<Sender>, stop: tokio::sync::watch::Receiver<bool>) {
    // A failed reload keeps the previous subscriptions (the dispatcher logs it).
    delivery::run(desk, sender, None, Some(|desk: &Desk| desk.reload_webhooks()), stop).await
}

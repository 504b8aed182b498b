//! The one outbox dispatcher (SPEC 5): every channel's rows — e-mail, Telegram, WhatsApp,
//! webhooks — go through the same lease → send → record → back-off loop, and a channel only
//! says how a row becomes a message and how a message is sent ([`Channel`]).
//!
//! A pass leases the due rows of one channel in one transaction (attempts counted,
//! `SKIP LOCKED` on PostgreSQL, so several processes never send one row twice at once) and
//! composes them there. In-order channels group the rows per recipient, and a row behind an
//! older row of its recipient that still waits (for a retry, or in another process's lease) is
//! held until then. Groups are sent side by side, each group's rows one after the other; after a
//! failure the group's later rows are held (a recipient that is down costs one attempt a
//! pass). Each result is recorded as soon as the far side answered (queued to the writer while
//! the next message goes out), so a crash resends at most the messages in flight.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::time::{Duration, Instant};

use chrono::NaiveDateTime;
use futures_util::StreamExt;
use serde::Serialize;

use crate::db::outbox::{self, OutboxRow};
use crate::desk::{Desk, DeskError, DeskResult, Tx};

/// What a pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Delivered {
    pub sent: usize,
    pub retrying: usize,
    pub given_up: usize,
    /// Settled without sending (a notice the channel has no form for, a daily limit).
    pub skipped: usize,
    /// Not tried this pass: behind a failed or waiting row of the same recipient.
    pub held: usize,
}

impl Delivered {
    pub fn is_empty(&self) -> bool {
        *self == Delivered::default()
    }

    /// Whether the pass did anything that makes another pass at once worth it.
    pub fn busy(&self) -> bool {
        self.sent + self.given_up + self.skipped > 0
    }

    fn add(&mut self, other: Delivered) {
        self.sent += other.sent;
        self.retrying += other.retrying;
        self.given_up += other.given_up;
        self.skipped += other.skipped;
        self.held += other.held;
    }
}

/// What a leased row becomes.
pub enum Composed<M> {
    Send(M),
    /// Settled as delivered without sending, with the reason.
    Skip(String),
    /// Settled as given up without sending, with the reason.
    GiveUp(String),
}

/// Why a send failed, and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Retry {
    /// Again after the channel's back-off for this attempt.
    Backoff,
    /// Again after the far side's own wait (Telegram's `retry_after`).
    After(Duration),
    /// Never: the far side refused the message itself.
    Never,
}

/// One attempt: its result, and what the far side said (for logs that keep it).
#[derive(Debug, Clone)]
pub struct Attempt {
    /// The far side's id of the message when it was accepted, or the failure.
    pub result: Result<Option<String>, (String, Retry)>,
    pub status: Option<u16>,
    pub excerpt: Option<String>,
    pub ms: i64,
}

impl Attempt {
    pub fn sent(remote_id: Option<String>) -> Attempt {
        Attempt { result: Ok(remote_id), status: None, excerpt: None, ms: 0 }
    }

    pub fn failed(error: impl Into<String>, retry: Retry) -> Attempt {
        Attempt { result: Err((error.into(), retry)), status: None, excerpt: None, ms: 0 }
    }
}

/// Waits of the chat channels (Telegram, WhatsApp) after the 1st, 2nd… failure: quick at
/// first (a blip), then up to half a day (an outage of the far side); then the row is given up.
const CHAT_BACKOFF_SECONDS: [u64; 8] = [30, 120, 600, 1800, 3600, 3 * 3600, 6 * 3600, 12 * 3600];

pub fn chat_backoff(attempt: usize) -> Option<Duration> {
    attempt.checked_sub(1).and_then(|i| CHAT_BACKOFF_SECONDS.get(i)).map(|s| Duration::from_secs(*s))
}

/// What the pass decided for a row; the record turns it into [`Settled`] on the desk's clock.
enum Plan {
    Deliver,
    Retry(Duration),
    GiveUp(String),
    Hold(Duration),
}

/// How a row's attempt ended, as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Settled {
    Delivered,
    /// Failed, tried again at the given time.
    Retrying(NaiveDateTime),
    GivenUp(String),
}

/// One outbox channel: how its rows become messages and how a message is sent.
pub trait Channel: Send + Sync + 'static {
    type Message: Send + 'static;
    /// What composing needs of the channel's settings (it runs on the writer's thread).
    type Composer: Send + 'static;
    /// The outbox `channel` column.
    const NAME: &'static str;
    /// How long a leased row is reserved for this process.
    const LEASE: chrono::Duration;
    const BATCH: i64;
    /// Recipients (or, for unordered channels, rows) served at once.
    const PARALLEL: usize;
    /// Whether a recipient gets its rows in the order they were written.
    const IN_ORDER: bool;
    /// Whether a row also waits for an older row of its recipient from an earlier pass (one
    /// backing off, or leased by another process). Chats: yes, a conversation read out of
    /// order is nonsense. Webhooks: no — a receiver that refuses one event must not hold every
    /// later one (and the admin's test ping) for hours.
    const WAIT_FOR_OLDER: bool = true;
    /// How long a recipient's later rows wait after one failed in a pass without a wait of
    /// its own.
    const HOLD: Duration;

    /// The wait after the `attempt`-th failure (1-based); `None` gives the row up.
    fn backoff(attempt: usize) -> Option<Duration>;

    fn composer(&self) -> Self::Composer;

    /// In the lease transaction.
    fn compose(composer: &Self::Composer, tx: &mut Tx, row: &OutboxRow) -> DeskResult<Composed<Self::Message>>;

    fn send(&self, row: &OutboxRow, message: &Self::Message) -> impl Future<Output = Attempt> + Send;

    /// The payload kept once the row is final (e-mail drops its tokens).
    fn final_payload(row: &OutboxRow) -> String {
        row.payload.clone()
    }

    /// Whether the row is still wanted when its result comes back (a webhook deleted meanwhile
    /// settled it already).
    fn still_wanted(_tx: &mut Tx, _row: &OutboxRow) -> DeskResult<bool> {
        Ok(true)
    }

    /// The channel's own records, in the transaction that settles the row.
    fn recorded(
        _tx: &mut Tx,
        _row: &OutboxRow,
        _message: Self::Message,
        _attempt: &Attempt,
        _settled: &Settled,
    ) -> DeskResult<()> {
        Ok(())
    }
}

type Leased<M> = Vec<Vec<(OutboxRow, M)>>;

/// One pass over the channel's due rows.
pub async fn deliver_due<C: Channel>(desk: &Desk, channel: &C) -> DeskResult<Delivered>
where
    C::Message: Sync,
{
    deliver_batch(desk, channel, C::BATCH).await
}

/// One pass over at most `limit` due rows.
pub async fn deliver_batch<C: Channel>(desk: &Desk, channel: &C, limit: i64) -> DeskResult<Delivered>
where
    C::Message: Sync,
{
    let (groups, mut report) = lease(desk, channel, limit).await?;
    if groups.is_empty() {
        return Ok(report);
    }
    let results: Vec<DeskResult<(Delivered, Vec<Recorded>)>> = futures_util::stream::iter(groups)
        .map(|group| send_group(desk, channel, group))
        .buffer_unordered(C::PARALLEL.max(1))
        .collect()
        .await;
    let mut pending = Vec::new();
    for result in results {
        let (one, recorded) = result?;
        report.add(one);
        pending.extend(recorded);
    }
    for done in pending {
        done.await.map_err(|_| DeskError::Unavailable("the delivery record was not committed".into()))??;
    }
    Ok(report)
}

/// Passes until nothing more is due now, on a runtime of its own: for the command line
/// (`meja jobs --once`) and the tests, outside any runtime.
pub fn deliver_all_blocking<C: Channel>(desk: &Desk, channel: &C) -> DeskResult<Delivered>
where
    C::Message: Sync,
{
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| DeskError::Internal(format!("cannot start a runtime: {e}")))?;
    runtime.block_on(async {
        let mut total = Delivered::default();
        loop {
            let one = deliver_due(desk, channel).await?;
            total.add(one);
            // Until a pass finds nothing more to settle (failures wait for their time).
            if one.sent + one.given_up + one.skipped == 0 {
                return Ok(total);
            }
        }
    })
}

type Recorded = tokio::sync::oneshot::Receiver<DeskResult<()>>;

async fn lease<C: Channel>(desk: &Desk, channel: &C, limit: i64) -> DeskResult<(Leased<C::Message>, Delivered)> {
    let composer = channel.composer();
    desk.writer.write(move |tx| lease_in::<C>(tx, &composer, limit)).await
}

fn lease_in<C: Channel>(
    tx: &mut Tx,
    composer: &C::Composer,
    limit: i64,
) -> DeskResult<(Leased<C::Message>, Delivered)> {
    let now = tx.now.naive_utc();
    let rows = outbox::claim(tx.conn, C::NAME, now, now + C::LEASE, limit)?;
    let mut report = Delivered::default();
    // A recipient whose older row still waits (a retry, another process's lease) gets nothing
    // newer before it.
    let waiting: Vec<(String, String, NaiveDateTime)> = if C::IN_ORDER && C::WAIT_FOR_OLDER && !rows.is_empty() {
        let claimed: HashSet<&str> = rows.iter().map(|r| r.id.as_str()).collect();
        let mut recipients: Vec<String> = rows.iter().map(|r| r.recipient.clone()).collect();
        recipients.sort();
        recipients.dedup();
        // A given-up row waits for nothing (its next attempt is a century away): it holds no one.
        let horizon = now + chrono::Duration::days(30);
        outbox::undelivered_to(tx.conn, C::NAME, &recipients)?
            .into_iter()
            .filter(|(_, id, at)| !claimed.contains(id.as_str()) && *at < horizon)
            .collect()
    } else {
        Vec::new()
    };
    let mut groups: Vec<Vec<(OutboxRow, C::Message)>> = Vec::new();
    let mut group_of: HashMap<String, usize> = HashMap::new();
    for row in rows {
        if C::IN_ORDER {
            let blocker =
                waiting.iter().filter(|(to, id, _)| *to == row.recipient && *id < row.id).map(|(_, _, at)| *at).max();
            if let Some(until) = blocker {
                outbox::hold(tx.conn, &row.id, until.max(now) + chrono::Duration::seconds(1))?;
                report.held += 1;
                continue;
            }
        }
        match C::compose(composer, tx, &row)? {
            Composed::Send(message) => {
                let index = match (C::IN_ORDER, group_of.get(&row.recipient)) {
                    (true, Some(index)) => *index,
                    _ => {
                        groups.push(Vec::new());
                        group_of.insert(row.recipient.clone(), groups.len() - 1);
                        groups.len() - 1
                    }
                };
                groups[index].push((row, message));
            }
            Composed::Skip(why) => {
                outbox::mark_delivered(tx.conn, &row.id, now, &C::final_payload(&row), Some(&why))?;
                report.skipped += 1;
            }
            Composed::GiveUp(why) => {
                outbox::give_up(tx.conn, &row.id, &why, far_future(now), &C::final_payload(&row))?;
                tracing::warn!(channel = C::NAME, outbox = %row.id, reason = %why, "notice given up");
                report.given_up += 1;
            }
        }
    }
    // Claimed by due time; a recipient's rows go in the order they were written.
    for group in &mut groups {
        group.sort_by(|a, b| a.0.id.cmp(&b.0.id));
    }
    Ok((groups, report))
}

async fn send_group<C: Channel>(
    desk: &Desk,
    channel: &C,
    group: Vec<(OutboxRow, C::Message)>,
) -> DeskResult<(Delivered, Vec<Recorded>)>
where
    C::Message: Sync,
{
    let mut report = Delivered::default();
    let mut recorded = Vec::with_capacity(group.len());
    // After a failure the recipient's later rows wait (for the far side's own wait if it gave one).
    let mut held: Option<Duration> = None;
    for (row, message) in group {
        let attempt = match held {
            Some(_) => None,
            None => {
                let started = Instant::now();
                let mut attempt = channel.send(&row, &message).await;
                if attempt.ms == 0 {
                    attempt.ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
                }
                Some(attempt)
            }
        };
        let plan = match &attempt {
            None => {
                report.held += 1;
                Plan::Hold(held.unwrap_or(C::HOLD))
            }
            Some(Attempt { result: Ok(_), .. }) => {
                report.sent += 1;
                Plan::Deliver
            }
            Some(Attempt { result: Err((error, retry)), .. }) => {
                let number = usize::try_from(row.attempts).unwrap_or(0) + 1;
                let wait = match retry {
                    Retry::Never => None,
                    Retry::After(wait) => Some(*wait),
                    Retry::Backoff => C::backoff(number),
                };
                held = Some(match retry {
                    Retry::After(wait) => *wait,
                    _ => C::HOLD,
                });
                match wait {
                    Some(wait) => {
                        report.retrying += 1;
                        Plan::Retry(wait)
                    }
                    None => {
                        report.given_up += 1;
                        Plan::GiveUp(format!("gave up after {number} attempt(s): {error}"))
                    }
                }
            }
        };
        recorded.push(desk.writer.enqueue(move |tx| record::<C>(tx, row, message, attempt, plan))?);
    }
    Ok((report, recorded))
}

fn far_future(now: NaiveDateTime) -> NaiveDateTime {
    now + chrono::Duration::days(365 * 100)
}

fn record<C: Channel>(
    tx: &mut Tx,
    row: OutboxRow,
    message: C::Message,
    attempt: Option<Attempt>,
    plan: Plan,
) -> DeskResult<()> {
    let now = tx.now.naive_utc();
    if !C::still_wanted(tx, &row)? {
        return Ok(());
    }
    let after = |wait: Duration| now + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::minutes(1));
    let settled = match plan {
        Plan::Deliver => Settled::Delivered,
        Plan::Retry(wait) => Settled::Retrying(after(wait)),
        Plan::GiveUp(note) => Settled::GivenUp(note),
        Plan::Hold(wait) => {
            outbox::hold(tx.conn, &row.id, after(wait))?;
            return Ok(());
        }
    };
    match &settled {
        Settled::Delivered => outbox::mark_delivered(tx.conn, &row.id, now, &C::final_payload(&row), None)?,
        Settled::Retrying(at) => {
            let error = match &attempt {
                Some(Attempt { result: Err((error, _)), .. }) => error.as_str(),
                _ => "failed",
            };
            outbox::mark_failed(tx.conn, &row.id, error, *at)?;
        }
        Settled::GivenUp(note) => {
            outbox::give_up(tx.conn, &row.id, note, far_future(now), &C::final_payload(&row))?;
            tracing::warn!(channel = C::NAME, outbox = %row.id, error = %note, "notice given up");
        }
    }
    match &attempt {
        Some(attempt) => {
            if let (Ok(Some(remote)), Settled::Delivered) = (&attempt.result, &settled) {
                outbox::set_remote_id(tx.conn, &row.id, remote)?;
            }
            C::recorded(tx, &row, message, attempt, &settled)
        }
        None => Ok(()),
    }
}

/// The delivery loop of `meja serve` / `meja jobs` for one channel (`before_pass` runs first,
/// off the runtime's threads): a pass when `wake` rings
/// or every two seconds, and the next one at once after a pass that did something, so a backlog
/// drains at the far side's pace.
pub async fn run<C: Channel>(
    desk: Desk,
    channel: std::sync::Arc<C>,
    wake: Option<std::sync::Arc<tokio::sync::Notify>>,
    before_pass: Option<fn(&Desk) -> DeskResult<()>>,
    mut stop: tokio::sync::watch::Receiver<bool>,
) where
    C::Message: Sync,
{
    tracing::info!(channel = C::NAME, "delivery started");
    let never = std::sync::Arc::new(tokio::sync::Notify::new());
    let wake = wake.unwrap_or(never);
    loop {
        if let Some(prepare) = before_pass {
            let d = desk.clone();
            match tokio::task::spawn_blocking(move || prepare(&d)).await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => tracing::warn!(channel = C::NAME, error = %e, "preparing the delivery pass failed"),
                Err(e) => tracing::warn!(channel = C::NAME, error = %e, "preparing the delivery pass failed"),
            }
        }
        let busy = match deliver_due(&desk, channel.as_ref()).await {
            Ok(r) if !r.is_empty() => {
                tracing::info!(
                    channel = C::NAME,
                    sent = r.sent,
                    retrying = r.retrying,
                    given_up = r.given_up,
                    skipped = r.skipped,
                    held = r.held,
                    "delivery"
                );
                r.busy()
            }
            Ok(_) => false,
            Err(e) => {
                tracing::error!(channel = C::NAME, error = %e, "delivery pass failed");
                false
            }
        };
        if busy && !*stop.borrow() {
            continue;
        }
        tokio::select! {
            _ = wake.notified() => {}
            _ = tokio::time::sleep(Duration::from_secs(2)) => {}
            _ = stop.changed() => break,
        }
        if *stop.borrow() {
            break;
        }
    }
}

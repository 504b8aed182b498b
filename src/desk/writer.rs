//! The writers: every state change of this process runs here, in batches.
//!
//! Requests that arrive while a transaction commits are gathered and run together in the next
//! one (group commit), each inside a savepoint so one failure does not undo the others
//! (`batch`: new tickets share one, and run again should a neighbour fail). Releasing one
//! savepoint and opening the next go to the database as one statement string: on PostgreSQL
//! every statement is a round trip, and a ticket takes only a handful.
//! Audit events are chained when the batch ends: the writer locks the chain head, links the
//! batch's events to it, moves the head and commits — one commit for the whole batch.
//!
//! SQLite has one writer per process, and it takes the database's write lock when the batch
//! starts (so a batch never has to upgrade a read lock). PostgreSQL has several writers with a
//! connection each; they work on their batches in parallel and queue only for the chain head,
//! which they hold from the moment they link their events until they commit. Tickets are
//! locked (`FOR UPDATE`) when loaded for a change, and numbers come from per-year sequences, so
//! parallel batches and several processes never lose an update or draw the same number.

use std::panic::AssertUnwindSafe;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, NaiveDateTime, Utc};
use tokio::sync::oneshot;

use super::error::{DeskError, DeskResult};
use crate::clock::Clock;
use crate::db::hot::HotCache;
use crate::db::{audit_texts, outbox_queue};
use crate::db::{DbConn, DbUrl};
use crate::domain::audit;

mod batch;
mod link;
use batch::{run_batch, Finish, Job, Run};
use link::Link;

/// Most jobs one transaction takes; bounds the latency a batch adds.
const MAX_BATCH: usize = 256;
/// Jobs waiting beyond this are refused with 503 rather than queued without limit.
const QUEUE_DEPTH: usize = 4096;

/// An audit event written by a use case, linked into the chain when its batch ends.
#[derive(Debug, Clone)]
pub struct PendingEvent {
    pub ticket_id: Option<String>,
    pub actor_id: Option<String>,
    pub kind: String,
    pub data: serde_json::Value,
    pub at: NaiveDateTime,
}

/// The transaction a use case runs in: the connection, the instant the change happens, and
/// the audit events it records.
pub struct Tx<'a> {
    pub conn: &'a mut DbConn,
    pub now: DateTime<Utc>,
    /// The lists every new ticket reads (group chats, open disruptions), kept by the writers.
    pub hot: Arc<HotCache>,
    events: Vec<PendingEvent>,
}

impl Tx<'_> {
    /// Records an audit event; it is written in this transaction, or not at all. The free-text
    /// fields its kind has (`domain::audit::FREE_TEXT_FIELDS`) are kept apart from it.
    pub fn record(
        &mut self,
        ticket_id: Option<&str>,
        actor_id: Option<&str>,
        kind: &str,
        data: serde_json::Value,
    ) -> DeskResult<()> {
        self.record_with_text(ticket_id, actor_id, kind, data, &[])
    }

    /// The same, with more fields of `data` that hold free text: each string among them is
    /// stored as an erasable text of its own and the event keeps only a reference to it.
    pub fn record_with_text(
        &mut self,
        ticket_id: Option<&str>,
        actor_id: Option<&str>,
        kind: &str,
        mut data: serde_json::Value,
        text_fields: &[&str],
    ) -> DeskResult<()> {
        let mut fields: Vec<&str> = audit::free_text_fields(kind).to_vec();
        for field in text_fields {
            if !fields.contains(field) {
                fields.push(field);
            }
        }
        let at = self.now.naive_utc();
        let conn = &mut *self.conn;
        audit::separate_texts(&mut data, &fields, |text| {
            let row = new_text(ticket_id, text, at);
            let reference = audit::text_ref(&row.id, &row.sha256);
            audit_texts::insert(conn, &row)?;
            Ok::<_, DeskError>(reference)
        })?;
        self.events.push(PendingEvent {
            ticket_id: ticket_id.map(str::to_string),
            actor_id: actor_id.map(str::to_string),
            kind: kind.to_string(),
            data,
            at: self.now.naive_utc(),
        });
        Ok(())
    }
}

/// A text to keep apart from its event, committed to with a fresh salt.
pub(crate) fn new_text(ticket_id: Option<&str>, text: &str, at: NaiveDateTime) -> audit_texts::TextRow {
    let salt = super::auth::random_secret(16);
    audit_texts::TextRow {
        id: super::new_id(),
        ticket_id: ticket_id.map(str::to_string),
        sha256: audit::text_commitment(&salt, text),
        salt: Some(salt),
        body: Some(text.to_string()),
        created_at: at,
        erased_at: None,
    }
}

/// What the writers' queue carries: work, or the request to finish and close the connection.
enum Msg {
    Job(Job),
    Stop,
}

#[derive(Clone)]
pub struct Writer {
    jobs: SyncSender<Msg>,
    /// The active webhook subscriptions: each change queues the deliveries of its events.
    pub webhooks: Arc<super::webhooks::Subscriptions>,
    pub hot: Arc<HotCache>,
    stats: Arc<WriterStats>,
    threads: Arc<Mutex<Vec<std::thread::JoinHandle<()>>>>,
}

#[derive(Debug, Default)]
pub struct WriterStats {
    pub batches: std::sync::atomic::AtomicU64,
    pub jobs: std::sync::atomic::AtomicU64,
    pub failed_commits: std::sync::atomic::AtomicU64,
    /// Writer connections found dead (a restart or failover of the database): each writer
    /// checks its own connection before its next batch when this moved.
    pub lost_connections: std::sync::atomic::AtomicU64,
}

impl Writer {
    /// Opens the writers' connections and starts their threads: one on SQLite, `parallel` on
    /// PostgreSQL.
    pub fn start(url: &DbUrl, clock: Arc<dyn Clock>, parallel: usize) -> DeskResult<Writer> {
        let count = match url {
            DbUrl::Sqlite(_) => 1,
            DbUrl::Postgres(_) => parallel.max(1),
        };
        let (jobs, queue) = sync_channel::<Msg>(QUEUE_DEPTH);
        let queue = Arc::new(Mutex::new(queue));
        let stats = Arc::new(WriterStats::default());
        let hot = Arc::new(HotCache::default());
        let mut threads = Vec::with_capacity(count);
        for n in 0..count {
            let conn = url.connect_writer()?;
            let shared = Shared { queue: queue.clone(), clock: clock.clone(), stats: stats.clone(), hot: hot.clone() };
            let url = url.clone();
            let handle = std::thread::Builder::new()
                .name(format!("meja-writer-{n}"))
                .spawn(move || run(conn, url, shared))
                .map_err(|e| DeskError::Internal(format!("cannot start a writer thread: {e}")))?;
            threads.push(handle);
        }
        Ok(Writer { jobs, webhooks: Arc::default(), hot, stats, threads: Arc::new(Mutex::new(threads)) })
    }

    /// Finishes the queued work, closes the writers' connections and waits for their threads.
    /// A command-line process calls this before exiting: a database client library torn down
    /// by the exit while a writer thread still closes its connection can crash the process.
    pub fn shutdown(&self) {
        let handles: Vec<_> = match self.threads.lock() {
            Ok(mut guard) => guard.drain(..).collect(),
            Err(poisoned) => poisoned.into_inner().drain(..).collect(),
        };
        for _ in &handles {
            let _ = self.jobs.send(Msg::Stop);
        }
        for handle in handles {
            let _ = handle.join();
        }
    }

    pub fn stats(&self) -> &WriterStats {
        &self.stats
    }

    /// Queues `f`; `reply` receives its outcome once the batch has committed (or failed).
    fn submit<T, F, R>(&self, f: F, reply: R) -> DeskResult<()>
    where
        T: Send + 'static,
        F: FnOnce(&mut Tx) -> DeskResult<T> + Send + 'static,
        R: FnOnce(DeskResult<T>) + Send + 'static,
    {
        let (webhooks, hot) = (self.webhooks.clone(), self.hot.clone());
        self.queue(Job::Once(Box::new(move |conn, now| {
            let (result, events) = execute(f, conn, now, &webhooks, &hot);
            let succeeded = result.is_ok();
            Run { finish: Box::new(move |committed| reply(answer(result, committed))), events, succeeded }
        })))
    }

    /// The same for a change that may run again (`batch`): only its last run answers.
    fn submit_repeatable<T, F, R>(&self, f: F, reply: R) -> DeskResult<()>
    where
        T: Send + 'static,
        F: Fn(&mut Tx) -> DeskResult<T> + Send + 'static,
        R: FnOnce(DeskResult<T>) + Send + 'static,
    {
        let (webhooks, hot) = (self.webhooks.clone(), self.hot.clone());
        let reply = Arc::new(Mutex::new(Some(reply)));
        self.queue(Job::Repeatable(Box::new(move |conn, now| {
            let (result, events) = execute(&f, conn, now, &webhooks, &hot);
            let succeeded = result.is_ok();
            let reply = reply.clone();
            let finish: Finish = Box::new(move |committed| {
                let reply = reply.lock().map_or_else(|poisoned| poisoned.into_inner().take(), |mut slot| slot.take());
                if let Some(reply) = reply {
                    reply(answer(result, committed));
                }
            });
            Run { finish, events, succeeded }
        })))
    }

    fn queue(&self, job: Job) -> DeskResult<()> {
        match self.jobs.try_send(Msg::Job(job)) {
            Ok(()) => Ok(()),
            Err(TrySendError::Full(_)) => Err(DeskError::Unavailable("the desk is overloaded; retry shortly".into())),
            Err(TrySendError::Disconnected(_)) => Err(DeskError::Unavailable("the writer has stopped".into())),
        }
    }

    /// Runs `f` as one transaction (with its audit events) and waits for the commit.
    pub async fn write<T, F>(&self, f: F) -> DeskResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Tx) -> DeskResult<T> + Send + 'static,
    {
        let (reply, receiver) = oneshot::channel();
        self.submit(f, move |outcome| {
            let _ = reply.send(outcome);
        })?;
        receiver.await.map_err(|_| dropped())?
    }

    /// Queues a change now and hands back the receiver of its outcome, so that the caller can
    /// go on (send the next message) while the writer commits this one with whatever else is
    /// queued.
    pub fn enqueue<T, F>(&self, f: F) -> DeskResult<oneshot::Receiver<DeskResult<T>>>
    where
        T: Send + 'static,
        F: FnOnce(&mut Tx) -> DeskResult<T> + Send + 'static,
    {
        let (reply, receiver) = oneshot::channel();
        self.submit(f, move |outcome| {
            let _ = reply.send(outcome);
        })?;
        Ok(receiver)
    }

    /// Runs `f` as `write` does, in a batch where it may share its savepoint with other
    /// repeatable changes (a round trip less each on PostgreSQL) and so may run more than once:
    /// `f` must do nothing but database work through `tx`, which is rolled back before a rerun.
    pub async fn write_repeatable<T, F>(&self, f: F) -> DeskResult<T>
    where
        T: Send + 'static,
        F: Fn(&mut Tx) -> DeskResult<T> + Send + 'static,
    {
        self.enqueue_repeatable(f)?.await.map_err(|_| dropped())?
    }

    /// `enqueue` for a repeatable change (`write_repeatable`).
    pub fn enqueue_repeatable<T, F>(&self, f: F) -> DeskResult<oneshot::Receiver<DeskResult<T>>>
    where
        T: Send + 'static,
        F: Fn(&mut Tx) -> DeskResult<T> + Send + 'static,
    {
        let (reply, receiver) = oneshot::channel();
        self.submit_repeatable(f, move |outcome| {
            let _ = reply.send(outcome);
        })?;
        Ok(receiver)
    }

    /// The same, blocking the calling thread: for the command line, start-up and seeding.
    pub fn write_blocking<T, F>(&self, f: F) -> DeskResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Tx) -> DeskResult<T> + Send + 'static,
    {
        let (reply, receiver) = std::sync::mpsc::sync_channel(1);
        self.submit(f, move |outcome| {
            let _ = reply.send(outcome);
        })?;
        receiver.recv().map_err(|_| dropped())?
    }
}

/// Runs a use case in the batch's transaction and queues the webhook deliveries of its events;
/// a failed one's events go with its savepoint.
fn execute<T>(
    f: impl FnOnce(&mut Tx) -> DeskResult<T>,
    conn: &mut DbConn,
    now: DateTime<Utc>,
    webhooks: &super::webhooks::Subscriptions,
    hot: &Arc<HotCache>,
) -> (DeskResult<T>, Vec<PendingEvent>) {
    let mut tx = Tx { conn, now, hot: hot.clone(), events: Vec::new() };
    let result = f(&mut tx).and_then(|value| {
        super::webhooks::queue_deliveries(tx.conn, now, &tx.events, webhooks)?;
        Ok(value)
    });
    let events = if result.is_ok() { tx.events } else { Vec::new() };
    (result, events)
}

/// A job's answer once its batch has committed, or failed to.
fn answer<T>(result: DeskResult<T>, committed: bool) -> DeskResult<T> {
    if committed {
        result
    } else {
        result.and(Err(dropped()))
    }
}

fn dropped() -> DeskError {
    DeskError::Unavailable("the change could not be committed; nothing was saved, please retry".into())
}

/// How long an idle writer waits for work before it reads the notifications that arrived
/// (`db::hot`) and finds out whether its connection still stands.
const IDLE_DRAIN: Duration = Duration::from_millis(500);

/// What the writer does next.
enum Next {
    /// Run these jobs; stop after them when the flag is set.
    Batch(Vec<Job>, bool),
    /// Nothing came for a while.
    Idle,
    Stop,
}

/// Takes the next batch off the shared queue: waits for one job, then takes what is waiting.
fn next_batch(queue: &Mutex<Receiver<Msg>>) -> Next {
    let Ok(queue) = queue.lock() else { return Next::Stop };
    let first = match queue.recv_timeout(IDLE_DRAIN) {
        Ok(Msg::Job(job)) => job,
        Ok(Msg::Stop) | Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => return Next::Stop,
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => return Next::Idle,
    };
    let mut batch = Vec::with_capacity(16);
    batch.push(first);
    while batch.len() < MAX_BATCH {
        match queue.try_recv() {
            Ok(Msg::Job(job)) => batch.push(job),
            Ok(Msg::Stop) => return Next::Batch(batch, true),
            Err(_) => break,
        }
    }
    Next::Batch(batch, false)
}

/// What the writer threads share: the queue, the clock, the counters and the cache.
struct Shared {
    queue: Arc<Mutex<Receiver<Msg>>>,
    clock: Arc<dyn Clock>,
    stats: Arc<WriterStats>,
    hot: Arc<HotCache>,
}

fn run(mut conn: DbConn, url: DbUrl, shared: Shared) {
    use std::sync::atomic::Ordering::Relaxed;
    let Shared { queue, clock, stats, hot } = shared;
    hot.listen(&mut conn);
    let mut link = Link::new(conn, url, stats.lost_connections.load(Relaxed));
    let mut sequences_ready_for = None;
    let mut stopping = false;
    while !stopping {
        let (batch, stop) = match next_batch(&queue) {
            Next::Batch(batch, stop) => (batch, stop),
            Next::Idle => {
                // Changes made elsewhere are heard while idle too; a connection found broken
                // is reopened by the next batch.
                if let Some(conn) = link.conn.as_mut() {
                    if !hot.drain(conn) {
                        link.conn = None;
                    }
                }
                continue;
            }
            Next::Stop => break,
        };
        stopping = stop;
        stats.batches.fetch_add(1, Relaxed);
        stats.jobs.fetch_add(batch.len() as u64, Relaxed);
        let Some(conn) = link.get(&stats.lost_connections, &hot) else {
            // The database is unreachable: the dropped jobs answer their callers at once
            // (503, nothing saved) instead of waiting for it.
            stats.failed_commits.fetch_add(1, Relaxed);
            drop(batch);
            continue;
        };
        let now = clock.now();
        let year = chrono::Datelike::year(&now);
        if sequences_ready_for != Some(year) {
            match crate::db::tickets::ensure_number_sequences(conn, year) {
                Ok(()) => sequences_ready_for = Some(year),
                Err(e) => tracing::error!(error = %e, "cannot prepare the ticket number sequences"),
            }
        }
        let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| run_batch(conn, batch, now)));
        match outcome {
            Ok((finishers, committed)) => {
                if committed {
                    // The batch's own changes come back as notifications with the commit: the
                    // callers are answered only after the cache has forgotten what they changed.
                    hot.committed(conn);
                } else {
                    // A rolled-back batch may have read rows that never committed.
                    hot.invalidate();
                    stats.failed_commits.fetch_add(1, Relaxed);
                    link.check(&stats.lost_connections, &hot);
                }
                for finish in finishers {
                    finish(committed);
                }
            }
            Err(_) => {
                // A bug panicked inside a transaction. The dropped reply channels tell the
                // waiting requests; start again on a fresh connection.
                stats.failed_commits.fetch_add(1, Relaxed);
                tracing::error!("writer batch panicked; reconnecting");
                outbox_queue::abandon_batch();
                link.conn = None;
                hot.deaf();
            }
        }
    }
}

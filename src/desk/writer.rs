//! The single writer: every state change of this process runs here, in batches.
//!
//! Requests that arrive while a transaction commits are gathered and run together in the next
//! one (group commit), each inside its own savepoint so one failure does not undo the others.
//! The batch first locks the audit chain head, which makes the chain and the ticket numbers
//! safe across several processes too, then commits once: one fsync for the whole batch.

use std::panic::AssertUnwindSafe;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TrySendError};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use diesel::Connection;
use tokio::sync::oneshot;

use super::error::{DeskError, DeskResult};
use crate::clock::Clock;
use crate::db::events::{self, ChainHead, EventRow};
use crate::db::{DbConn, DbUrl};

/// Most jobs one transaction takes; bounds the latency a batch adds.
const MAX_BATCH: usize = 256;
/// Jobs waiting beyond this are refused with 503 rather than queued without limit.
const QUEUE_DEPTH: usize = 4096;

/// The transaction a use case runs in: the connection, the audit chain, and the instant the
/// change happens.
pub struct Tx<'a> {
    pub conn: &'a mut DbConn,
    chain: &'a mut ChainHead,
    pub now: DateTime<Utc>,
}

impl Tx<'_> {
    /// Appends an audit event to the chain, in this transaction.
    pub fn record(
        &mut self,
        ticket_id: Option<&str>,
        actor_id: Option<&str>,
        kind: &str,
        data: serde_json::Value,
    ) -> DeskResult<EventRow> {
        Ok(events::append(self.conn, self.chain, ticket_id, actor_id, kind, &data, self.now.naive_utc())?)
    }
}

type Finish = Box<dyn FnOnce(bool) + Send>;
type Job = Box<dyn FnOnce(&mut DbConn, &mut ChainHead, DateTime<Utc>) -> Finish + Send>;

#[derive(Clone)]
pub struct Writer {
    jobs: SyncSender<Job>,
    stats: Arc<WriterStats>,
}

#[derive(Debug, Default)]
pub struct WriterStats {
    pub batches: std::sync::atomic::AtomicU64,
    pub jobs: std::sync::atomic::AtomicU64,
    pub failed_commits: std::sync::atomic::AtomicU64,
}

impl Writer {
    /// Opens the writer's own connection and starts its thread.
    pub fn start(url: &DbUrl, clock: Arc<dyn Clock>) -> DeskResult<Writer> {
        let conn = url.connect_writer()?;
        let (jobs, queue) = sync_channel::<Job>(QUEUE_DEPTH);
        let stats = Arc::new(WriterStats::default());
        let thread_stats = stats.clone();
        let url = url.clone();
        std::thread::Builder::new()
            .name("meja-writer".into())
            .spawn(move || run(conn, url, queue, clock, thread_stats))
            .map_err(|e| DeskError::Internal(format!("cannot start the writer thread: {e}")))?;
        Ok(Writer { jobs, stats })
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
        let job: Job = Box::new(move |conn, chain, now| {
            let before = chain.clone();
            let result = conn.transaction::<T, DeskError, _>(|conn| {
                let mut tx = Tx { conn, chain, now };
                f(&mut tx)
            });
            if result.is_err() {
                // The savepoint was rolled back; so are the events it appended.
                *chain = before;
            }
            Box::new(move |committed| {
                let outcome = if committed {
                    result
                } else {
                    result.and(Err(DeskError::Unavailable(
                        "the change could not be committed; nothing was saved, please retry".into(),
                    )))
                };
                reply(outcome);
            })
        });
        match self.jobs.try_send(job) {
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
        receiver.await.map_err(|_| {
            DeskError::Unavailable("the change could not be committed; nothing was saved, please retry".into())
        })?
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
        receiver.recv().map_err(|_| {
            DeskError::Unavailable("the change could not be committed; nothing was saved, please retry".into())
        })?
    }
}

fn run(mut conn: DbConn, url: DbUrl, queue: Receiver<Job>, clock: Arc<dyn Clock>, stats: Arc<WriterStats>) {
    use std::sync::atomic::Ordering::Relaxed;
    while let Ok(first) = queue.recv() {
        let mut batch = Vec::with_capacity(16);
        batch.push(first);
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        stats.batches.fetch_add(1, Relaxed);
        stats.jobs.fetch_add(batch.len() as u64, Relaxed);
        let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| run_batch(&mut conn, batch, clock.now())));
        match outcome {
            Ok((finishers, committed)) => {
                if !committed {
                    stats.failed_commits.fetch_add(1, Relaxed);
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
                match url.connect_writer() {
                    Ok(fresh) => conn = fresh,
                    Err(e) => tracing::error!(error = %e, "writer cannot reconnect"),
                }
            }
        }
    }
}

fn run_batch(conn: &mut DbConn, batch: Vec<Job>, now: DateTime<Utc>) -> (Vec<Finish>, bool) {
    let mut finishers: Vec<Finish> = Vec::with_capacity(batch.len());
    let result = conn.transaction::<(), diesel::result::Error, _>(|conn| {
        let mut chain = events::lock_chain_head(conn)?;
        let start = chain.clone();
        for job in batch {
            finishers.push(job(conn, &mut chain, now));
        }
        if chain != start {
            events::save_chain_head(conn, &chain)?;
        }
        Ok(())
    });
    if let Err(e) = &result {
        tracing::error!(error = %e, "writer transaction failed");
    }
    (finishers, result.is_ok())
}

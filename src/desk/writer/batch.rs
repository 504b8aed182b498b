//! One writer batch: its jobs in one transaction, each kept or undone through a savepoint.
//!
//! A job that runs once (`Job::Once`, most changes) gets a savepoint of its own. Repeatable
//! jobs (`Job::Repeatable`: a new ticket, the hot path) that follow one another share one: on
//! PostgreSQL each savepoint is a round trip, a fifth of a new ticket's. Should one of them
//! fail, the shared savepoint is rolled back, which also undoes the others' writes; those then
//! run again, each alone, before the batch goes on. A repeatable job therefore must do nothing
//! but database work through its transaction, and give the same answer when run again.

use chrono::{DateTime, Utc};
use diesel::connection::SimpleConnection;
use diesel::Connection;

use super::PendingEvent;
use crate::db::{events, outbox_queue, DbConn};

/// Answers a job's caller once the batch has committed (`true`) or failed.
pub(super) type Finish = Box<dyn FnOnce(bool) + Send>;

/// One run of a job: how to answer its caller, the audit events it recorded, and whether it
/// succeeded (on failure its writes are rolled back with its savepoint).
pub(super) struct Run {
    pub(super) finish: Finish,
    pub(super) events: Vec<PendingEvent>,
    pub(super) succeeded: bool,
}

type Once = Box<dyn FnOnce(&mut DbConn, DateTime<Utc>) -> Run + Send>;
type Repeat = Box<dyn FnMut(&mut DbConn, DateTime<Utc>) -> Run + Send>;

pub(super) enum Job {
    Once(Once),
    Repeatable(Repeat),
}

/// What the batch has done so far.
struct Progress {
    recorded: Vec<PendingEvent>,
    finishers: Vec<Finish>,
    /// Repeatable jobs that succeeded since the savepoint was set: kept when the next one is
    /// set or the batch ends, run again if one of them fails.
    sharing: Vec<(Repeat, Run)>,
    /// A job has written (and kept its writes) since the savepoint was set.
    savepoint_used: bool,
}

impl Progress {
    fn keep(&mut self, run: Run) {
        self.recorded.extend(run.events);
        self.finishers.push(run.finish);
    }

    /// Keeps what ran since the savepoint and sets the next one.
    fn next_savepoint(&mut self, conn: &mut DbConn) -> diesel::QueryResult<()> {
        for (_, run) in std::mem::take(&mut self.sharing) {
            self.keep(run);
        }
        conn.batch_execute("RELEASE SAVEPOINT meja_job; SAVEPOINT meja_job")?;
        outbox_queue::begin_job();
        self.savepoint_used = false;
        Ok(())
    }

    /// Undoes everything since the savepoint; rolling back keeps the savepoint, so the next
    /// job starts inside it.
    fn roll_back(&mut self, conn: &mut DbConn, failed: Run) -> diesel::QueryResult<()> {
        // Kept first: should the rollback itself fail, the caller still hears its own error.
        self.finishers.push(failed.finish);
        conn.batch_execute("ROLLBACK TO SAVEPOINT meja_job")?;
        outbox_queue::job_failed();
        self.savepoint_used = false;
        Ok(())
    }

    fn run_once(
        &mut self,
        conn: &mut DbConn,
        job: impl FnOnce(&mut DbConn, DateTime<Utc>) -> Run,
        now: DateTime<Utc>,
    ) -> diesel::QueryResult<()> {
        if self.savepoint_used {
            self.next_savepoint(conn)?;
        }
        let run = job(conn, now);
        if run.succeeded {
            self.keep(run);
            self.savepoint_used = true;
            Ok(())
        } else {
            self.roll_back(conn, run)
        }
    }

    fn run_repeatable(&mut self, conn: &mut DbConn, mut job: Repeat, now: DateTime<Utc>) -> diesel::QueryResult<()> {
        // After a job that ran once, a savepoint of the repeatable jobs' own.
        if self.savepoint_used && self.sharing.is_empty() {
            self.next_savepoint(conn)?;
        }
        let run = job(conn, now);
        if run.succeeded {
            self.sharing.push((job, run));
            self.savepoint_used = true;
            return Ok(());
        }
        self.roll_back(conn, run)?;
        // The rollback also undid the jobs that shared the savepoint: each runs again, alone.
        // What their first run would have answered is dropped unsent.
        for (job, _undone) in std::mem::take(&mut self.sharing) {
            self.run_once(conn, job, now)?;
        }
        Ok(())
    }
}

/// Runs the batch in one transaction, links its events into the audit chain and commits;
/// hands back how to answer each job and whether the batch committed.
pub(super) fn run_batch(conn: &mut DbConn, batch: Vec<Job>, now: DateTime<Utc>) -> (Vec<Finish>, bool) {
    let mut progress = Progress {
        recorded: Vec::new(),
        finishers: Vec::with_capacity(batch.len()),
        sharing: Vec::new(),
        savepoint_used: false,
    };
    let result = in_batch_transaction(conn, |conn| {
        outbox_queue::begin_batch();
        outbox_queue::begin_job();
        for job in batch {
            match job {
                Job::Once(job) => progress.run_once(conn, job, now)?,
                Job::Repeatable(job) => progress.run_repeatable(conn, job, now)?,
            }
        }
        // The last savepoint is released by the commit.
        for (_, run) in std::mem::take(&mut progress.sharing) {
            progress.keep(run);
        }
        // The batch's notices, in one insert, with the statement that locks the chain head
        // when there are events to link. Should it fail, the whole batch is answered 503
        // (nothing saved) rather than only the job that queued a bad row; rows are built by
        // meja, and only their ticket is a foreign key (tickets are never deleted).
        if progress.recorded.is_empty() {
            outbox_queue::finish_batch(conn)?;
        } else {
            let mut head = events::queue_and_lock_chain_head(conn, &outbox_queue::take_batch())?;
            events::append_and_move_head(
                conn,
                &mut head,
                progress
                    .recorded
                    .iter()
                    .map(|e| (e.ticket_id.as_deref(), e.actor_id.as_deref(), e.kind.as_str(), &e.data, e.at)),
            )?;
        }
        Ok(())
    });
    if let Err(e) = &result {
        tracing::error!(error = %e, "writer transaction failed");
        outbox_queue::abandon_batch();
    }
    // A batch that failed midway answers its unfinished jobs by dropping them (503).
    let mut finishers = progress.finishers;
    finishers.extend(progress.sharing.into_iter().map(|(_, run)| run.finish));
    (finishers, result.is_ok())
}

/// Runs `body` in one transaction that starts inside the first job's savepoint (`meja_job`).
/// On PostgreSQL the `BEGIN` and the savepoint go as one statement string, a round trip less
/// per batch; diesel still knows the transaction, so whatever a job nests in it becomes a
/// savepoint. SQLite's batch first takes the write lock, by locking the chain head.
fn in_batch_transaction<F>(conn: &mut DbConn, body: F) -> diesel::QueryResult<()>
where
    F: FnOnce(&mut DbConn) -> diesel::QueryResult<()>,
{
    use diesel::connection::{AnsiTransactionManager, TransactionManager};
    type Manager = <DbConn as Connection>::TransactionManager;
    match conn {
        DbConn::Pg(pg) => {
            if let Err(error) = AnsiTransactionManager::begin_transaction_sql(pg, "BEGIN; SAVEPOINT meja_job") {
                // The BEGIN may have gone through without the savepoint; diesel does not
                // count such a transaction, so it is ended here.
                let _ = pg.batch_execute("ROLLBACK");
                return Err(error);
            }
        }
        DbConn::Sqlite(_) => {
            return conn.transaction(|conn| {
                events::lock_chain_head(conn)?;
                conn.batch_execute("SAVEPOINT meja_job")?;
                body(conn)
            })
        }
    }
    // As diesel's own `transaction` ends one: a failed commit is rolled back by diesel, and
    // the body's error is the one told when the rollback succeeds.
    match body(conn) {
        Ok(()) => Manager::commit_transaction(conn),
        Err(error) => match Manager::rollback_transaction(conn) {
            Ok(()) | Err(diesel::result::Error::BrokenTransactionManager) => Err(error),
            Err(rollback_error) => Err(rollback_error),
        },
    }
}

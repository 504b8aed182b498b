//! Outbox rows written by a writer's batch wait in memory and go to the database in one
//! multi-row insert when the batch ends: on PostgreSQL every statement is a round trip, and a
//! new ticket's acknowledgement would otherwise be one of its few.
//!
//! The rows are kept per writer thread. A job's rows count only if the job succeeds (like its
//! audit events). Anything in the batch that reads or changes outbox rows first writes what
//! is waiting (`flush`, called by every such function in `db`), so a later job — or the same
//! one — sees the database as if each row had been inserted at once. Rows written that way
//! inside a job that then fails are rolled back with its savepoint; the earlier jobs' rows
//! among them are put back in the queue, so they are written at the end after all.
//!
//! Outside a writer's batch (the command line, tests holding a connection) rows are inserted
//! at once.

use std::cell::RefCell;

use diesel::prelude::*;

use super::outbox::OutboxRow;
use super::DbConn;

#[derive(Default)]
struct Queue {
    /// True while this thread runs a writer's batch.
    batching: bool,
    rows: Vec<OutboxRow>,
    /// Where the running job's rows start in `rows`.
    job_start: usize,
    /// Earlier jobs' rows written by a flush during the running job.
    flushed_for_earlier: Vec<OutboxRow>,
}

thread_local! {
    static QUEUE: RefCell<Queue> = RefCell::new(Queue::default());
}

/// The writer starts a batch: rows wait from now on.
pub fn begin_batch() {
    QUEUE.with(|q| *q.borrow_mut() = Queue { batching: true, ..Queue::default() });
}

/// The writer starts a job.
pub fn begin_job() {
    QUEUE.with(|q| {
        let mut q = q.borrow_mut();
        q.job_start = q.rows.len();
        q.flushed_for_earlier.clear();
    });
}

/// The job failed and its savepoint was rolled back: its own rows are dropped, and earlier
/// jobs' rows it had written are queued again.
pub fn job_failed() {
    QUEUE.with(|q| {
        let mut q = q.borrow_mut();
        let start = q.job_start;
        q.rows.truncate(start);
        let again = std::mem::take(&mut q.flushed_for_earlier);
        q.rows.extend(again);
        q.job_start = q.rows.len();
    });
}

/// The batch ends (before its commit): writes every waiting row.
pub fn finish_batch(conn: &mut DbConn) -> QueryResult<()> {
    insert_now(conn, &take_batch())
}

/// The batch ends: hands over the waiting rows, for the caller to write before the commit
/// (`events::queue_and_lock_chain_head`).
pub fn take_batch() -> Vec<OutboxRow> {
    QUEUE.with(|q| {
        let mut q = q.borrow_mut();
        q.batching = false;
        q.job_start = 0;
        q.flushed_for_earlier.clear();
        std::mem::take(&mut q.rows)
    })
}

/// The batch failed: nothing of it is written.
pub fn abandon_batch() {
    QUEUE.with(|q| *q.borrow_mut() = Queue::default());
}

/// Queues `rows` during a writer's batch, inserts them at once otherwise.
pub fn insert(conn: &mut DbConn, rows: &[OutboxRow]) -> QueryResult<()> {
    let waiting = QUEUE.with(|q| {
        let mut q = q.borrow_mut();
        if q.batching {
            q.rows.extend_from_slice(rows);
        }
        q.batching
    });
    if waiting {
        Ok(())
    } else {
        insert_now(conn, rows)
    }
}

/// Writes what waits, before a read or change of outbox rows in the batch.
pub fn flush(conn: &mut DbConn) -> QueryResult<()> {
    let rows = QUEUE.with(|q| {
        let mut q = q.borrow_mut();
        if q.rows.is_empty() {
            return Vec::new();
        }
        let rows = std::mem::take(&mut q.rows);
        let earlier = rows[..q.job_start].to_vec();
        q.flushed_for_earlier.extend(earlier);
        q.job_start = 0;
        rows
    });
    insert_now(conn, &rows)
}

/// Writes `rows` now, with multi-row inserts.
pub fn insert_now(conn: &mut DbConn, rows: &[OutboxRow]) -> QueryResult<()> {
    use super::schema::outbox;
    super::insert_many!(conn, outbox::table, rows);
    Ok(())
}

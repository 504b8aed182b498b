//! Two small lists every new ticket reads inside the writer's transaction and that change
//! only when staff or an alert change them: the units' Telegram group chats and the open
//! disruptions. On PostgreSQL each read is a round trip, so the writers keep them, and
//! PostgreSQL says when they change: triggers on the two tables `NOTIFY meja_cache` (migration
//! `2026-12-21-000001_write_path`), every writer connection `LISTEN`s, and a writer drains
//! what arrived before each batch, after each commit — its own changes included — and every
//! half second while idle, without a round trip (the client library only reads what is
//! already on the socket). A change committed by another process is seen from the next batch
//! that starts after it arrives, as a transaction starting then would see it.
//!
//! Within a batch that changes either table itself, reads go to the database (the cache
//! holds committed rows only). SQLite reads in-process and keeps no copy.
//!
//! Who a bearer token belongs to is not kept: a token switched off in one process must stop
//! working in every other at once (issue 14), and only a read of the database can promise
//! that across processes.

use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use diesel::connection::SimpleConnection;
use diesel::prelude::*;

use super::disruptions::DisruptionRow;
use super::schema::telegram_chats;
use super::DbConn;

/// The channel the migration's triggers notify on.
const CHANNEL: &str = "meja_cache";

thread_local! {
    /// Whether this thread is a writer whose connection listens: only then may it trust the
    /// cache (a connection that does not listen would not hear of changes).
    static LISTENING: Cell<bool> = const { Cell::new(false) };
    /// Whether the batch this thread is running has changed the cached tables.
    static CHANGED_IN_BATCH: Cell<bool> = const { Cell::new(false) };
}

/// Called by the functions that write the group chats or the disruptions: for the rest of
/// this batch, reads of them bypass the cache.
pub fn changed() {
    CHANGED_IN_BATCH.with(|c| c.set(true));
}

/// Whether the batch this thread ran changed the cached tables.
fn changed_in_batch() -> bool {
    CHANGED_IN_BATCH.with(Cell::get)
}

type Slot<T> = Mutex<Option<(u64, Arc<T>)>>;

/// The cached lists, valid while `generation` has not moved since they were read.
#[derive(Debug, Default)]
pub struct HotCache {
    generation: AtomicU64,
    group_chats: Slot<Vec<(String, i64)>>,
    open_disruptions: Slot<Vec<DisruptionRow>>,
}

impl HotCache {
    /// Forgets every cached list.
    pub fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    /// Starts listening on a new writer connection (PostgreSQL); the calling writer thread
    /// uses the cache only if that worked. What was cached may have changed while no
    /// connection listened, so it is forgotten.
    pub fn listen(&self, conn: &mut DbConn) {
        let listening = match conn {
            DbConn::Pg(_) => match conn.batch_execute(&format!("LISTEN {CHANNEL}")) {
                Ok(()) => true,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot listen for catalogue changes; reading them from the database");
                    false
                }
            },
            DbConn::Sqlite(_) => false,
        };
        self.invalidate();
        LISTENING.with(|l| l.set(listening));
    }

    /// The writer's connection is gone: until a new one listens, this thread reads through.
    pub fn deaf(&self) {
        LISTENING.with(|l| l.set(false));
        self.invalidate();
    }

    /// After a commit: the batch's own changes are forgotten at once, whether or not this
    /// writer's connection hears its own notification, then what arrived is read.
    pub fn committed(&self, conn: &mut DbConn) {
        if changed_in_batch() {
            self.invalidate();
        }
        // A broken connection is found (and replaced) before the next batch.
        let _ = self.drain(conn);
    }

    /// Reads the notifications that have arrived on `conn` (never waits): any one means a
    /// cached list changed. Starts the batch's own record of changes afresh. False when the
    /// connection is broken: the writer then stops trusting the cache and opens a new one.
    pub fn drain(&self, conn: &mut DbConn) -> bool {
        CHANGED_IN_BATCH.with(|c| c.set(false));
        let DbConn::Pg(c) = conn else { return true };
        let mut heard = false;
        for notification in c.notifications_iter() {
            match notification {
                Ok(n) if n.channel == CHANNEL => heard = true,
                Ok(_) => {}
                Err(_) => {
                    self.deaf();
                    return false;
                }
            }
        }
        if heard {
            self.invalidate();
        }
        true
    }

    /// The group chats of `unit_id`.
    pub fn group_chats(&self, conn: &mut DbConn, unit_id: &str) -> QueryResult<Vec<i64>> {
        let all = self.read(&self.group_chats, conn, |conn| {
            telegram_chats::table
                .filter(telegram_chats::unit_id.is_not_null())
                .filter(telegram_chats::user_id.is_null())
                .select((telegram_chats::unit_id.assume_not_null(), telegram_chats::chat_id))
                .order(telegram_chats::chat_id.asc())
                .load(conn)
        })?;
        Ok(all.iter().filter(|(unit, _)| unit == unit_id).map(|(_, chat)| *chat).collect())
    }

    /// Every disruption not ended by staff, as `disruptions::open` reads it.
    pub fn open_disruptions(&self, conn: &mut DbConn) -> QueryResult<Arc<Vec<DisruptionRow>>> {
        self.read(&self.open_disruptions, conn, super::disruptions::open)
    }

    fn read<T>(
        &self,
        slot: &Slot<T>,
        conn: &mut DbConn,
        load: impl FnOnce(&mut DbConn) -> QueryResult<T>,
    ) -> QueryResult<Arc<T>> {
        let cacheable = LISTENING.with(Cell::get) && !changed_in_batch();
        if !cacheable {
            return load(conn).map(Arc::new);
        }
        // The generation is read before the rows: a change notified while they are read
        // leaves them marked with the older generation, so they are read again next time.
        let generation = self.generation.load(Ordering::Acquire);
        if let Ok(guard) = slot.lock() {
            if let Some((_, value)) = guard.as_ref().filter(|(at, _)| *at == generation) {
                return Ok(value.clone());
            }
        }
        let value = Arc::new(load(conn)?);
        if let Ok(mut guard) = slot.lock() {
            *guard = Some((generation, value.clone()));
        }
        Ok(value)
    }
}

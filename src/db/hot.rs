//! What nearly every request reads and that changes only when staff or an alert change it:
//! the units' Telegram group chats and the open disruptions (read by every new ticket inside
//! the writer's transaction) and who a bearer token belongs to (read by every API request).
//! On PostgreSQL each read is a round trip, so meja keeps them, and PostgreSQL says when they
//! change: triggers on the tables `NOTIFY meja_cache` (migration
//! `2026-12-21-000001_write_path`), every writer connection `LISTEN`s, and a writer drains
//! what arrived before each batch, after each commit — its own changes included — and every
//! half second while idle, without a round trip (the client library only reads what is
//! already on the socket). A change committed by another process is seen from the next batch
//! that starts after it arrives, as a transaction starting then would see it; a revoked token
//! or a disabled account stops working in the other processes within half a second, in this
//! one at once.
//!
//! Within a batch that changes the group chats or the disruptions itself, reads of them go to
//! the database (the cache holds committed rows only). SQLite reads in-process and keeps no
//! copy.

use std::cell::Cell;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use chrono::NaiveDateTime;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;

use super::disruptions::DisruptionRow;
use super::schema::telegram_chats;
use super::DbConn;
use crate::domain::role::Actor;

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

/// Tokens kept at most; past this the map starts afresh.
const MAX_TOKENS: usize = 10_000;

/// Who a token belongs to, as read at `generation`, and until when it is valid.
#[derive(Debug, Clone)]
struct KnownToken {
    generation: u64,
    actor: Actor,
    token_id: String,
    expires_at: NaiveDateTime,
}

/// The cached lists, valid while `generation` has not moved since they were read.
#[derive(Debug, Default)]
pub struct HotCache {
    generation: AtomicU64,
    group_chats: Slot<Vec<(String, i64)>>,
    open_disruptions: Slot<Vec<DisruptionRow>>,
    /// By the SHA-256 of the token.
    tokens: Mutex<HashMap<String, KnownToken>>,
    /// Writer threads, and those of them whose connection listens: other threads trust the
    /// cache only while every writer listens (any one of them may be the one to drain).
    writers: AtomicUsize,
    listening: AtomicUsize,
}

impl HotCache {
    /// The writers this process runs.
    pub fn set_writers(&self, count: usize) {
        self.writers.store(count, Ordering::Release);
    }

    /// The generation now: read it before reading what is to be kept.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// True while every writer listens, so that no change can go unheard.
    fn heard_by_all(&self) -> bool {
        let writers = self.writers.load(Ordering::Acquire);
        writers > 0 && self.listening.load(Ordering::Acquire) == writers
    }

    /// Who `token_hash` belongs to, if known, unchanged since and not expired at `now`.
    pub fn token(&self, token_hash: &str, now: NaiveDateTime) -> Option<(Actor, String)> {
        if !self.heard_by_all() {
            return None;
        }
        let generation = self.generation();
        let map = self.tokens.lock().ok()?;
        let known = map.get(token_hash)?;
        (known.generation == generation && now < known.expires_at)
            .then(|| (known.actor.clone(), known.token_id.clone()))
    }

    /// Keeps who `token_hash` belongs to, as read from the database at `generation`.
    pub fn remember_token(
        &self,
        generation: u64,
        token_hash: &str,
        actor: &Actor,
        token_id: &str,
        expires_at: NaiveDateTime,
    ) {
        if !self.heard_by_all() {
            return;
        }
        if let Ok(mut map) = self.tokens.lock() {
            if map.len() >= MAX_TOKENS {
                map.clear();
            }
            let known = KnownToken { generation, actor: actor.clone(), token_id: token_id.to_string(), expires_at };
            map.insert(token_hash.to_string(), known);
        }
    }

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
        self.set_listening(listening);
    }

    /// The writer's connection is gone: until a new one listens, this thread reads through.
    pub fn deaf(&self) {
        self.set_listening(false);
        self.invalidate();
    }

    fn set_listening(&self, now: bool) {
        let before = LISTENING.with(|l| l.replace(now));
        match (before, now) {
            (false, true) => {
                self.listening.fetch_add(1, Ordering::AcqRel);
            }
            (true, false) => {
                self.listening.fetch_sub(1, Ordering::AcqRel);
            }
            _ => {}
        }
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

//! The writer's database connection and what keeps it alive.

use std::time::{Duration, Instant};

use diesel::r2d2::R2D2Connection;

use crate::db::hot::HotCache;
use crate::db::{DbConn, DbUrl};

/// The writer's connection, opened again after it broke: a restart or failover of the
/// database server leaves the old one dead, and without this every later change would fail
/// until meja itself was restarted.
pub(super) struct Link {
    pub(super) conn: Option<DbConn>,
    url: DbUrl,
    /// No reconnection attempt before this instant, so that an outage costs one failed
    /// connect per interval rather than one per batch.
    retry_at: Instant,
    /// The count of lost writer connections this one has answered to.
    lost_seen: u64,
}

/// Pause between attempts to reach a database that is down.
const RECONNECT_EVERY: Duration = Duration::from_millis(500);

impl Link {
    pub(super) fn new(conn: DbConn, url: DbUrl, lost_seen: u64) -> Link {
        Link { conn: Some(conn), url, retry_at: Instant::now(), lost_seen }
    }

    /// The connection, reopened first if it was lost; `None` while the database is unreachable.
    /// When another writer has found its connection dead since this one last looked, this
    /// one's is pinged first: after a database restart every old connection is dead, and a
    /// batch must not be the one to find out (its callers would get 503 after recovery).
    /// What arrived on the connection is read first (`db::hot`): changes other processes made
    /// to what the cache keeps, or a connection that broke while idle.
    pub(super) fn get(&mut self, lost: &std::sync::atomic::AtomicU64, hot: &HotCache) -> Option<&mut DbConn> {
        if let Some(conn) = self.conn.as_mut() {
            if !hot.drain(conn) {
                tracing::info!("writer connection broke while idle; reopening it");
                self.conn = None;
            }
        }
        let now_lost = lost.load(std::sync::atomic::Ordering::Relaxed);
        if now_lost != self.lost_seen {
            self.lost_seen = now_lost;
            if let Some(conn) = self.conn.as_mut() {
                if conn.is_broken() || crate::db::ping(conn).is_err() {
                    tracing::info!("writer connection found dead after another writer's; reopening it");
                    self.conn = None;
                    hot.deaf();
                }
            }
        }
        if self.conn.is_none() && Instant::now() >= self.retry_at {
            match self.url.connect_writer() {
                Ok(mut conn) => {
                    tracing::info!("writer connection reopened");
                    hot.listen(&mut conn);
                    self.conn = Some(conn);
                }
                Err(e) => {
                    tracing::warn!(error = %e, "writer cannot reach the database; changes are refused with 503 meanwhile");
                    self.retry_at = Instant::now() + RECONNECT_EVERY;
                }
            }
        }
        self.conn.as_mut()
    }

    /// After a failed commit: keeps the connection if it still answers, drops it otherwise
    /// (reopened by the next batch) and tells the other writers to check theirs.
    pub(super) fn check(&mut self, lost: &std::sync::atomic::AtomicU64, hot: &HotCache) {
        if let Some(conn) = self.conn.as_mut() {
            if conn.is_broken() || crate::db::ping(conn).is_err() {
                tracing::warn!("writer connection lost; reopening it");
                self.conn = None;
                hot.deaf();
                crate::db::suspect_connections();
                self.lost_seen = lost.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
            }
        }
    }
}

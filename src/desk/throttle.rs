//! The abuse limits, one limiter for all of them: the sign-in throttle (also second-factor
//! codes), public reports, knowledge-base reads and votes, Telegram floods.
//!
//! Two shapes. A fixed window (`RateLimiter`): at most `max` events per key per window. A
//! backoff (`Backoff`): failures past a few free ones make each further attempt wait longer —
//! 1 s, 2 s, 4 s … up to a cap — and are forgotten after a quiet time. Counting sign-in
//! failures per account made a weapon of it (five wrong passwords from anyone locked the admin
//! out), so the throttle counts per (account, address) and per address: the owner signing in
//! from an address with no failures is never slowed, an attacker's address is.
//!
//! Where counts live: on PostgreSQL, in the database (`rate_counters`, one atomic upsert per
//! count), so every `meja serve` behind a load balancer enforces the same limits as one; on
//! SQLite, which runs one process, in this process's memory. Times come from the desk's clock.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};

use super::auth::sha256_hex;
use super::Desk;
use crate::db::limits::{self as db, CounterRow, Restart};
use crate::db::DbUrl;

/// One counter: how many, since when, last when.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counter {
    pub count: u32,
    pub first_at: DateTime<Utc>,
    pub last_at: DateTime<Utc>,
}

impl From<CounterRow> for Counter {
    fn from(r: CounterRow) -> Self {
        Counter {
            count: u32::try_from(r.count).unwrap_or(u32::MAX),
            first_at: r.first_at.and_utc(),
            last_at: r.last_at.and_utc(),
        }
    }
}

/// Counters shared through the database lose entries untouched for a day, pruned now and then.
const PRUNE_EVERY: u64 = 1_000;

/// The counters of one limit (`bucket`), in memory or in the database.
#[derive(Debug)]
struct Counters {
    bucket: &'static str,
    memory: Mutex<HashMap<String, Counter>>,
    bumps: AtomicU64,
}

fn shared(desk: &Desk) -> bool {
    matches!(desk.url, DbUrl::Postgres(_))
}

impl Counters {
    fn new(bucket: &'static str) -> Counters {
        Counters { bucket, memory: Mutex::new(HashMap::new()), bumps: AtomicU64::new(0) }
    }

    async fn read(&self, desk: &Desk, key: &str) -> Option<Counter> {
        if !shared(desk) {
            return self.memory.lock().ok()?.get(key).copied();
        }
        let (bucket, hash) = (self.bucket, sha256_hex(key));
        match desk.read(move |conn| Ok(db::read(conn, bucket, &hash)?)).await {
            Ok(found) => found.map(Counter::from),
            Err(e) => {
                // Failing open: a database that cannot be read fails the request anyway.
                tracing::warn!(bucket, error = %e, "limit counter unreadable");
                None
            }
        }
    }

    async fn bump(&self, desk: &Desk, key: &str, restart: Restart, now: DateTime<Utc>) -> Option<Counter> {
        if !shared(desk) {
            let mut map = self.memory.lock().ok()?;
            if map.len() > 50_000 {
                // Forget what no longer counts for this limit (its window or quiet time).
                let horizon = match restart {
                    Restart::WindowBegunBy(at) | Restart::QuietSince(at) => at,
                };
                map.retain(|_, c| c.last_at.naive_utc() > horizon);
            }
            let entry = map.entry(key.to_string()).or_insert(Counter { count: 0, first_at: now, last_at: now });
            let stale = match restart {
                Restart::WindowBegunBy(at) => entry.first_at.naive_utc() <= at,
                Restart::QuietSince(at) => entry.last_at.naive_utc() <= at,
            };
            if stale || entry.count == 0 {
                *entry = Counter { count: 0, first_at: now, last_at: now };
            }
            entry.count += 1;
            entry.last_at = now;
            return Some(*entry);
        }
        let (bucket, hash) = (self.bucket, sha256_hex(key));
        let prune = self.bumps.fetch_add(1, Ordering::Relaxed) % PRUNE_EVERY == 0;
        let at = now.naive_utc();
        let result = desk
            .read(move |conn| {
                if prune {
                    db::prune(conn, at - Duration::days(1))?;
                }
                Ok(db::bump(conn, bucket, &hash, at, restart)?)
            })
            .await;
        match result {
            Ok(row) => Some(row.into()),
            Err(e) => {
                tracing::warn!(bucket, error = %e, "limit counter not counted");
                None
            }
        }
    }

    async fn clear(&self, desk: &Desk, key: &str) {
        if !shared(desk) {
            if let Ok(mut map) = self.memory.lock() {
                map.remove(key);
            }
            return;
        }
        let (bucket, hash) = (self.bucket, sha256_hex(key));
        if let Err(e) = desk.read(move |conn| Ok(db::clear(conn, bucket, &hash)?)).await {
            tracing::warn!(bucket, error = %e, "limit counter not cleared");
        }
    }
}

/// At most `max` events per key in a fixed window.
#[derive(Debug)]
pub struct RateLimiter {
    counters: Counters,
    max: u32,
    window: Duration,
}

/// Seconds still to wait when `counter` has used up its window at `now`.
fn window_wait(counter: Option<Counter>, max: u32, window: Duration, now: DateTime<Utc>) -> Option<u64> {
    let c = counter?;
    let ends = c.first_at + window;
    (c.count >= max && ends > now).then(|| (ends - now).num_seconds().max(1) as u64)
}

impl RateLimiter {
    pub fn new(bucket: &'static str, max: u32, window: std::time::Duration) -> Self {
        let window = Duration::from_std(window).unwrap_or(Duration::hours(1));
        RateLimiter { counters: Counters::new(bucket), max, window }
    }

    /// Seconds to wait when `key` has used up its window, else `None`.
    pub async fn blocked_for(&self, desk: &Desk, key: &str) -> Option<u64> {
        window_wait(self.counters.read(desk, key).await, self.max, self.window, desk.now())
    }

    pub async fn hit(&self, desk: &Desk, key: &str) {
        let now = desk.now();
        self.counters.bump(desk, key, Restart::WindowBegunBy((now - self.window).naive_utc()), now).await;
    }

    pub async fn clear(&self, desk: &Desk, key: &str) {
        self.counters.clear(desk, key).await;
    }
}

/// Failures that cost nothing, then doubling waits up to `cap`; forgotten `forget_after` the
/// last failure.
#[derive(Debug)]
pub struct Backoff {
    counters: Counters,
    free: u32,
    cap: Duration,
    forget_after: Duration,
}

/// Where a key stands: the failures counted and the seconds still to wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Standing {
    pub failures: u32,
    pub wait_secs: u64,
}

fn backoff_delay(free: u32, cap: Duration, failures: u32) -> Duration {
    match failures.checked_sub(free) {
        None | Some(0) => Duration::zero(),
        Some(over) => Duration::seconds(1i64 << (over - 1).min(20)).min(cap),
    }
}

/// Where `counter` leaves its key at `now`: `Some` while it must wait.
fn backoff_wait(
    counter: Option<Counter>,
    free: u32,
    cap: Duration,
    forget: Duration,
    now: DateTime<Utc>,
) -> Option<Standing> {
    let c = counter?;
    // Another process's clock may run a little ahead: a failure "in the future" is one now.
    let since = (now - c.last_at).max(Duration::zero());
    if since >= forget {
        return None;
    }
    let left = backoff_delay(free, cap, c.count) - since;
    (left > Duration::zero()).then(|| Standing { failures: c.count, wait_secs: left.num_seconds().max(1) as u64 })
}

impl Backoff {
    pub fn new(bucket: &'static str, free: u32, cap: std::time::Duration) -> Backoff {
        Backoff {
            counters: Counters::new(bucket),
            free,
            cap: Duration::from_std(cap).unwrap_or(Duration::minutes(15)),
            forget_after: Duration::minutes(15),
        }
    }

    /// `Some` when `key` must wait before its next attempt.
    pub async fn waiting(&self, desk: &Desk, key: &str) -> Option<Standing> {
        let counter = self.counters.read(desk, key).await;
        backoff_wait(counter, self.free, self.cap, self.forget_after, desk.now())
    }

    /// Counts a failure; returns the count.
    pub async fn failed(&self, desk: &Desk, key: &str) -> u32 {
        let now = desk.now();
        let restart = Restart::QuietSince((now - self.forget_after).naive_utc());
        self.counters.bump(desk, key, restart, now).await.map_or(0, |c| c.count)
    }

    pub async fn succeeded(&self, desk: &Desk, key: &str) {
        self.counters.clear(desk, key).await;
    }
}

/// The two counts a sign-in (or a second-factor code) is judged by.
#[derive(Debug)]
pub struct SignInThrottle {
    /// Per account and address: 5 free failures.
    pub pair: Backoff,
    /// Per address, whatever the account: 20 free failures (one address trying many accounts).
    pub address: Backoff,
}

impl Default for SignInThrottle {
    fn default() -> Self {
        let cap = std::time::Duration::from_secs(15 * 60);
        SignInThrottle { pair: Backoff::new("signin.pair", 5, cap), address: Backoff::new("signin.address", 20, cap) }
    }
}

impl SignInThrottle {
    fn pair_key(account: &str, address: &str) -> String {
        format!("{}\u{0}{address}", account.to_lowercase())
    }

    /// Why this attempt must wait, with the figures for the sign-in log; `None`: go ahead.
    pub async fn check(&self, desk: &Desk, account: &str, address: &str) -> Option<(Standing, String)> {
        if let Some(s) = self.pair.waiting(desk, &Self::pair_key(account, address)).await {
            let why =
                format!("slowed: {} failures for this account from this address; wait {} s", s.failures, s.wait_secs);
            return Some((s, why));
        }
        self.address.waiting(desk, address).await.map(|s| {
            let why = format!("slowed: {} failures from this address; wait {} s", s.failures, s.wait_secs);
            (s, why)
        })
    }

    pub async fn failed(&self, desk: &Desk, account: &str, address: &str) -> (u32, u32) {
        (self.pair.failed(desk, &Self::pair_key(account, address)).await, self.address.failed(desk, address).await)
    }

    pub async fn succeeded(&self, desk: &Desk, account: &str, address: &str) {
        self.pair.succeeded(desk, &Self::pair_key(account, address)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_780_000_000 + seconds, 0).expect("time")
    }

    fn counter(count: u32, first: i64, last: i64) -> Option<Counter> {
        Some(Counter { count, first_at: at(first), last_at: at(last) })
    }

    #[test]
    fn waits_double_up_to_the_cap() {
        let cap = Duration::seconds(900);
        assert_eq!(backoff_delay(5, cap, 5), Duration::zero());
        assert_eq!(backoff_delay(5, cap, 6), Duration::seconds(1));
        assert_eq!(backoff_delay(5, cap, 8), Duration::seconds(4));
        assert_eq!(backoff_delay(5, cap, 40), cap);
    }

    #[test]
    fn a_backoff_waits_after_the_free_failures_and_forgets() {
        let (cap, forget) = (Duration::seconds(900), Duration::minutes(15));
        assert_eq!(backoff_wait(counter(5, 0, 10), 5, cap, forget, at(10)), None, "five failures are free");
        assert_eq!(
            backoff_wait(counter(6, 0, 10), 5, cap, forget, at(10)),
            Some(Standing { failures: 6, wait_secs: 1 })
        );
        assert_eq!(
            backoff_wait(counter(8, 0, 10), 5, cap, forget, at(12)),
            Some(Standing { failures: 8, wait_secs: 2 })
        );
        assert_eq!(backoff_wait(counter(8, 0, 10), 5, cap, forget, at(14)), None, "the wait is over");
        assert_eq!(backoff_wait(counter(30, 0, 10), 5, cap, forget, at(10 + 900)), None, "forgotten after 15 minutes");
        assert_eq!(
            backoff_wait(counter(2, 0, 10), 5, cap, forget, at(8)),
            None,
            "a clock behind another's waits no more"
        );
        assert_eq!(
            backoff_wait(counter(6, 0, 10), 5, cap, forget, at(8)),
            Some(Standing { failures: 6, wait_secs: 1 })
        );
    }

    #[test]
    fn a_window_refuses_past_its_max_until_it_ends() {
        let hour = Duration::hours(1);
        assert_eq!(window_wait(counter(9, 0, 100), 10, hour, at(100)), None);
        assert_eq!(window_wait(counter(10, 0, 100), 10, hour, at(100)), Some(3500));
        assert_eq!(window_wait(counter(10, 0, 100), 10, hour, at(3600)), None, "a new window");
        assert_eq!(window_wait(None, 10, hour, at(0)), None);
    }
}

//! The sign-in throttle. Counting failures per account made a weapon of it: five wrong
//! passwords from anyone locked the admin out, even against the right password. So failures are
//! counted per (account, address) and per address, and past a few free ones each further
//! attempt must wait longer — 1 s, 2 s, 4 s … up to 15 minutes — instead of a lock: the owner
//! signing in from an address with no failures is never slowed, an attacker's address is.
//! Counted in this process (a later issue moves the counts to the database for several).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failures that cost nothing, then doubling waits up to `cap`; forgotten `forget_after` the
/// last failure.
#[derive(Debug)]
pub struct Backoff {
    free: u32,
    cap: Duration,
    forget_after: Duration,
    failures: Mutex<HashMap<String, (u32, Instant)>>,
}

/// Where a key stands: the failures counted and the seconds still to wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Standing {
    pub failures: u32,
    pub wait_secs: u64,
}

impl Backoff {
    pub fn new(free: u32, cap: Duration) -> Backoff {
        Backoff { free, cap, forget_after: Duration::from_secs(15 * 60), failures: Mutex::new(HashMap::new()) }
    }

    fn delay(&self, failures: u32) -> Duration {
        match failures.checked_sub(self.free) {
            None | Some(0) => Duration::ZERO,
            Some(over) => Duration::from_secs(1u64 << (over - 1).min(20)).min(self.cap),
        }
    }

    /// `Some` when `key` must wait before its next attempt.
    pub fn waiting(&self, key: &str) -> Option<Standing> {
        let map = self.failures.lock().ok()?;
        let (count, last) = map.get(key)?;
        let since = last.elapsed();
        if since >= self.forget_after {
            return None;
        }
        let left = self.delay(*count).checked_sub(since).filter(|d| !d.is_zero())?;
        Some(Standing { failures: *count, wait_secs: left.as_secs().max(1) })
    }

    /// Counts a failure; returns the count.
    pub fn failed(&self, key: &str) -> u32 {
        let Ok(mut map) = self.failures.lock() else { return 0 };
        if map.len() > 50_000 {
            let forget = self.forget_after;
            map.retain(|_, (_, last)| last.elapsed() < forget);
        }
        let entry = map.entry(key.to_string()).or_insert((0, Instant::now()));
        if entry.1.elapsed() >= self.forget_after {
            entry.0 = 0;
        }
        entry.0 += 1;
        entry.1 = Instant::now();
        entry.0
    }

    pub fn succeeded(&self, key: &str) {
        if let Ok(mut map) = self.failures.lock() {
            map.remove(key);
        }
    }
}

/// The two counts a sign-in is judged by.
#[derive(Debug)]
pub struct SignInThrottle {
    /// Per account and address: 5 free failures.
    pub pair: Backoff,
    /// Per address, whatever the account: 20 free failures (one address trying many accounts).
    pub address: Backoff,
}

impl Default for SignInThrottle {
    fn default() -> Self {
        let cap = Duration::from_secs(15 * 60);
        SignInThrottle { pair: Backoff::new(5, cap), address: Backoff::new(20, cap) }
    }
}

impl SignInThrottle {
    fn pair_key(account: &str, address: &str) -> String {
        format!("{}\u{0}{address}", account.to_lowercase())
    }

    /// Why this attempt must wait, with the figures for the sign-in log; `None`: go ahead.
    pub fn check(&self, account: &str, address: &str) -> Option<(Standing, String)> {
        if let Some(s) = self.pair.waiting(&Self::pair_key(account, address)) {
            let why =
                format!("slowed: {} failures for this account from this address; wait {} s", s.failures, s.wait_secs);
            return Some((s, why));
        }
        self.address.waiting(address).map(|s| {
            let why = format!("slowed: {} failures from this address; wait {} s", s.failures, s.wait_secs);
            (s, why)
        })
    }

    pub fn failed(&self, account: &str, address: &str) -> (u32, u32) {
        (self.pair.failed(&Self::pair_key(account, address)), self.address.failed(address))
    }

    pub fn succeeded(&self, account: &str, address: &str) {
        self.pair.succeeded(&Self::pair_key(account, address));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_slow_the_pair_not_the_account() {
        let t = SignInThrottle::default();
        for _ in 0..5 {
            t.failed("admin", "203.0.113.9");
        }
        assert_eq!(t.check("admin", "203.0.113.9"), None, "five failures are free");
        t.failed("admin", "203.0.113.9");
        let (standing, why) = t.check("admin", "203.0.113.9").expect("slowed");
        assert_eq!(standing, Standing { failures: 6, wait_secs: 1 });
        assert!(why.contains("6 failures"));
        assert_eq!(t.check("admin", "198.51.100.7"), None, "the owner elsewhere is not slowed");
        t.succeeded("admin", "203.0.113.9");
        assert_eq!(t.check("admin", "203.0.113.9"), None);
    }

    #[test]
    fn waits_double_up_to_the_cap() {
        let b = Backoff::new(5, Duration::from_secs(900));
        assert_eq!(b.delay(5), Duration::ZERO);
        assert_eq!(b.delay(6), Duration::from_secs(1));
        assert_eq!(b.delay(8), Duration::from_secs(4));
        assert_eq!(b.delay(40), Duration::from_secs(900));
    }

    #[test]
    fn one_address_trying_many_accounts_is_slowed() {
        let t = SignInThrottle::default();
        for i in 0..21 {
            t.failed(&format!("user{i}"), "203.0.113.9");
        }
        assert!(t.check("someone-new", "203.0.113.9").is_some());
        assert!(t.check("someone-new", "198.51.100.7").is_none());
    }
}

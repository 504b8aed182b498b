//! `meja bench sign-in` and `meja bench token-check`: the cost of signing in (through the
//! directory when `MEJA_LDAP_*` is set, else the local Argon2 password) and of the bearer-token
//! check every API request and console page makes.

use std::time::{Duration, Instant};

use crate::desk::{auth, Desk};

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1]
}

/// Prints p50, p95 and max in milliseconds, or in microseconds for what takes less than one.
fn print_times(what: &str, mut times: Vec<Duration>) {
    times.sort_unstable();
    let (p50, p95) = (percentile(&times, 0.50), percentile(&times, 0.95));
    let max = times.last().copied().unwrap_or_default();
    let (scale, unit, places) = if p95 < Duration::from_millis(1) { (1e6, "µs", 1) } else { (1e3, "ms", 2) };
    println!(
        "{what}: {} runs, p50 {:.places$} {unit}, p95 {:.places$} {unit}, max {:.places$} {unit}",
        times.len(),
        p50.as_secs_f64() * scale,
        p95.as_secs_f64() * scale,
        max.as_secs_f64() * scale,
    );
}

/// Signs `username` in `runs` times, each through the whole first step (throttle, the
/// directory or Argon2, the account brought up to date, the sign-in log queued).
pub fn sign_in(desk: &Desk, username: &str, password: &str, runs: usize) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let name = username.to_string();
    let known = desk.read_blocking(move |conn| Ok(crate::db::catalog::user_by_username(conn, &name)?))?;
    let method = match known.map(|u| u.auth_source) {
        Some(source) if source == "local" => "local password (Argon2id)",
        _ if desk.ldap.is_some() => "the directory (LDAP)",
        _ => "local password (Argon2id)",
    };
    let mut times = Vec::with_capacity(runs);
    runtime.block_on(async {
        // The first sign-in makes the account; it is not what a person waits for every day.
        auth::check_password(desk, username, password, "127.0.0.1").await?;
        for _ in 0..runs {
            let started = Instant::now();
            auth::check_password(desk, username, password, "127.0.0.1").await?;
            times.push(started.elapsed());
        }
        Ok::<_, crate::desk::DeskError>(())
    })?;
    print_times(&format!("sign-in of {username} by {method}"), times);
    Ok(())
}

/// Times the token check as a lone request makes it (hash, hand-over to the checking thread,
/// one indexed lookup of token and person, the answer back), and for comparison the same check
/// as a read of its own on the pool (what every request did before checks were grouped);
/// concurrent requests share the lookup, which this does not show (`benches/load.py` does).
pub fn token_check(desk: &Desk, runs: usize) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    crate::desk::catalog::ensure_admin(desk, None)?;
    let admin = desk
        .read_blocking(|conn| Ok(crate::db::catalog::user_by_username(conn, "admin")?))?
        .ok_or_else(|| anyhow::anyhow!("no admin account"))?;
    let issued = runtime.block_on(auth::issue_session(desk, admin, "127.0.0.1", Some("meja bench")))?;
    let mut grouped = Vec::with_capacity(runs);
    let mut alone = Vec::with_capacity(runs);
    for _ in 0..runs {
        let started = Instant::now();
        let found = runtime.block_on(desk.token_checks.check(&issued.token))?;
        grouped.push(started.elapsed());
        anyhow::ensure!(found.is_some(), "the token was not found");
        let (token, now) = (issued.token.clone(), desk.now());
        let started = Instant::now();
        let found = runtime.block_on(desk.read(move |conn| auth::authenticate(conn, &token, now)))?;
        alone.push(started.elapsed());
        anyhow::ensure!(found.is_some(), "the token was not found");
    }
    print_times("token check", grouped);
    print_times("the same as a read of its own on the pool", alone);
    Ok(())
}

/// Times one check and one count of an abuse limit (what a public report or a sign-in adds):
/// in memory on SQLite, an indexed read and an upsert of `rate_counters` on PostgreSQL.
pub fn limit_check(desk: &Desk, runs: usize) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let limiter = crate::desk::throttle::RateLimiter::new("bench.limit", u32::MAX, Duration::from_secs(3600));
    let mut times = Vec::with_capacity(runs);
    runtime.block_on(async {
        for i in 0..runs {
            // A hundred addresses, as a busy portal has.
            let key = format!("198.51.100.{}", i % 100);
            let started = Instant::now();
            let _ = limiter.blocked_for(desk, &key).await;
            limiter.hit(desk, &key).await;
            times.push(started.elapsed());
        }
    });
    let store = if matches!(desk.url, crate::db::DbUrl::Postgres(_)) { "database" } else { "memory" };
    print_times(&format!("limit check and count ({store})"), times);
    Ok(())
}

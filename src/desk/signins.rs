//! The sign-in log (OWASP ASVS 7.2): every sign-in, success or failure — who, when, from which
//! address, by which method (`password`, `totp`, `recovery`), and the outcome (`ok`, `failed`,
//! `refused`) with the reason. Written beside the sign-in without making it wait; kept
//! `signin_log_days` (365 by default) and read by admins.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use super::{new_id, Desk, DeskError, DeskResult};
use crate::db::signins::{self as db, SigninRow};
use crate::db::DbConn;
use crate::domain::role::{Actor, Role};

pub struct Attempt<'a> {
    pub username: &'a str,
    pub user_id: Option<&'a str>,
    pub address: &'a str,
    pub method: &'static str,
    pub outcome: &'static str,
    pub reason: Option<&'a str>,
}

/// Queues the entry with the writer and goes on: a sign-in never waits for its log line.
pub fn record(desk: &Desk, attempt: Attempt<'_>) {
    let row = SigninRow {
        id: new_id(),
        at: desk.now().naive_utc(),
        username: attempt.username.chars().take(100).collect(),
        user_id: attempt.user_id.map(str::to_string),
        address: attempt.address.chars().take(64).collect(),
        method: attempt.method.into(),
        outcome: attempt.outcome.into(),
        reason: attempt.reason.map(str::to_string),
    };
    if let Err(e) = desk.writer.enqueue(move |tx| Ok(db::insert(tx.conn, &row)?)) {
        tracing::warn!(error = %e, "sign-in log entry not written");
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct SigninView {
    pub at: DateTime<Utc>,
    #[serde(flatten)]
    pub row: SigninRow,
}

/// The newest entries (at most 1,000), of one username or of everyone: admins only.
pub fn list(conn: &mut DbConn, actor: &Actor, username: Option<&str>) -> DeskResult<Vec<SigninView>> {
    if actor.role != Role::Admin {
        return Err(DeskError::Forbidden("the sign-in log is for admins".into()));
    }
    Ok(db::list(conn, username, 1000)?.into_iter().map(|row| SigninView { at: row.at.and_utc(), row }).collect())
}

/// Drops entries older than `days`; run hourly by the jobs.
pub async fn prune(desk: &Desk, days: i64) -> DeskResult<usize> {
    let cutoff = (desk.now() - Duration::days(days)).naive_utc();
    desk.writer.write(move |tx| Ok(db::prune_before(tx.conn, cutoff)?)).await
}

/// The hourly pruning of `meja serve` / `meja jobs`.
pub async fn prune_periodically(desk: Desk, days: i64, mut stop: tokio::sync::watch::Receiver<bool>) {
    loop {
        if let Err(e) = prune(&desk, days).await {
            tracing::warn!(error = %e, "sign-in log: old entries not pruned");
        }
        tokio::select! {
            _ = tokio::time::sleep(std::time::Duration::from_secs(3600)) => {}
            _ = stop.changed() => return,
        }
        if *stop.borrow() {
            return;
        }
    }
}

//! The retention job (UU 27/2022 Pasal 44: personal data is destroyed once its retention period
//! has passed): requesters whose tickets are all closed or cancelled for longer than
//! `retention_days` are anonymised, in batches of one transaction and one audit event each.
//! Several processes may run it at once: on PostgreSQL each claims its batch with
//! `FOR UPDATE SKIP LOCKED`; on SQLite the writer holds the database; and the erasure itself is
//! idempotent, so a record seen twice changes once.
//!
//! A requester who still holds an active sign-in account is left alone: the account is the
//! citizen's own, and is closed by an explicit request (or deactivated by an admin) instead.

use std::time::Duration;

use serde::Serialize;
use serde_json::json;

use super::anonymise::{counts, erase};
use crate::db::personal_data as db;
use crate::desk::{Desk, DeskResult, Tx};

/// Requester records per transaction.
pub const DEFAULT_BATCH: i64 = 100;
/// How often `meja serve` and `meja jobs` look for what has become due.
pub const INTERVAL: Duration = Duration::from_secs(3600);

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct RetentionReport {
    pub requesters: usize,
    pub tickets: usize,
    pub batches: usize,
}

/// One batch: how many requester records it claimed and what it erased.
pub fn pass(tx: &mut Tx, desk: &Desk, days: i64, batch: i64) -> DeskResult<(usize, RetentionReport)> {
    if days <= 0 {
        return Ok((0, RetentionReport::default()));
    }
    let cutoff = tx.now - chrono::Duration::days(days);
    let ids = db::retention_due(tx.conn, cutoff.naive_utc(), batch)?;
    if ids.is_empty() {
        return Ok((0, RetentionReport::default()));
    }
    let held = db::requesters_by_ids(tx.conn, &ids)?;
    let erased = erase(tx, desk, &held)?;
    tx.record(
        None,
        None,
        "personal_data.anonymised",
        json!({
            "by": "retention", "retention": true, "retention_days": days, "closed_before": cutoff,
            "requester_ids": ids, "counts": counts(&erased), "texts_erased": erased.erased_text_ids,
        }),
    )?;
    Ok((ids.len(), RetentionReport { requesters: erased.requesters, tickets: erased.tickets.len(), batches: 1 }))
}

fn add(total: &mut RetentionReport, one: RetentionReport) {
    total.requesters += one.requesters;
    total.tickets += one.tickets;
    total.batches += one.batches;
}

/// Batches until nothing is due; for `meja jobs --once` and the tests.
pub fn run_blocking(desk: &Desk, days: i64, batch: i64) -> DeskResult<RetentionReport> {
    let mut total = RetentionReport::default();
    loop {
        let d = desk.clone();
        let (claimed, report) = desk.writer.write_blocking(move |tx| pass(tx, &d, days, batch))?;
        add(&mut total, report);
        if claimed < batch.max(1) as usize {
            return Ok(total);
        }
    }
}

pub async fn run(desk: &Desk, days: i64, batch: i64) -> DeskResult<RetentionReport> {
    let mut total = RetentionReport::default();
    loop {
        let d = desk.clone();
        let (claimed, report) = desk.writer.write(move |tx| pass(tx, &d, days, batch)).await?;
        add(&mut total, report);
        if claimed < batch.max(1) as usize {
            return Ok(total);
        }
    }
}

/// The job of `meja serve` / `meja jobs`: a run at start and every [`INTERVAL`]; off when
/// `retention_days` is 0.
pub async fn run_periodically(desk: Desk, days: i64, mut stop: tokio::sync::watch::Receiver<bool>) {
    if days <= 0 {
        tracing::info!("retention_days is 0: requesters are anonymised on request only");
        return;
    }
    tracing::info!(retention_days = days, "personal-data retention job started");
    loop {
        match run(&desk, days, DEFAULT_BATCH).await {
            Ok(r) if r.requesters > 0 => {
                tracing::info!(requesters = r.requesters, tickets = r.tickets, "retention: requesters anonymised")
            }
            Ok(_) => {}
            Err(e) => tracing::error!(error = %e, "retention pass failed; retrying next interval"),
        }
        tokio::select! {
            _ = tokio::time::sleep(INTERVAL) => {}
            _ = stop.changed() => break,
        }
        if *stop.borrow() {
            break;
        }
    }
}

//! The SLA scheduler: fires each warning and breach once, when its instant has come.
//!
//! Each ticket carries `sla_next_at`, the earliest threshold of its running clocks that has not
//! fired, behind a partial index. A pass claims the tickets whose instant has come (on
//! PostgreSQL with `FOR UPDATE SKIP LOCKED`, so several processes split a burst instead of
//! repeating it), records each crossed threshold in `sla_alerts` (primary key ticket, target,
//! percent: the once-only guarantee), writes its audit event and notices, escalates where the
//! policy says so and moves `sla_next_at` on, all in the writer's transaction. A process that
//! dies mid-pass loses nothing: its transaction rolls back and the next pass (of any process)
//! finds the same tickets still due.

use std::collections::HashMap;
use std::sync::atomic::AtomicU64;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::json;

use super::sla::clock_inputs;
use super::view::utc;
use super::{new_id, Desk, DeskResult, Tx};
use crate::db::catalog::{self as catalog_db};
use crate::db::outbox::{self, OutboxRow};
use crate::db::sla::{self as db, AlertRow};
use crate::db::tickets::{self as tickets_db, MessageRow, TicketRow};
use crate::domain::role::Role;
use crate::domain::sla::alerts::{plan, thresholds, SlaTarget, Threshold};
use crate::domain::sla::SlaRules;
use crate::domain::ticket::{Channel, Classification, Priority};

/// Tickets per transaction: large enough to amortise the commit, small enough that a burst
/// does not hold the writer (and the API's changes queued behind it) for long.
pub const DEFAULT_BATCH: i64 = 250;

/// Who signs the notes the desk writes by itself.
pub const SYSTEM_NAME: &str = "Sistem meja";

/// What the scheduler of this process has done, for `/metrics`.
pub struct SchedulerStats {
    pub passes: AtomicU64,
    pub failed_passes: AtomicU64,
    pub warnings: AtomicU64,
    pub breaches: AtomicU64,
    pub escalations: AtomicU64,
    /// Unix seconds of the last pass that completed, 0 before the first.
    pub last_pass: AtomicU64,
}

pub static STATS: SchedulerStats = SchedulerStats {
    passes: AtomicU64::new(0),
    failed_passes: AtomicU64::new(0),
    warnings: AtomicU64::new(0),
    breaches: AtomicU64::new(0),
    escalations: AtomicU64::new(0),
    last_pass: AtomicU64::new(0),
};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct SweepReport {
    /// Resolved tickets closed after their quiet period (SPEC 2).
    pub closed: usize,
    pub tickets: usize,
    pub warnings: usize,
    pub breaches: usize,
    pub escalations: usize,
    pub notices: usize,
}

impl SweepReport {
    /// The notice clocks of security incidents and personal-data breaches count with the rest.
    fn add_incidents(&mut self, f: super::incidents::Fired) {
        self.warnings += f.warnings;
        self.breaches += f.breaches;
        self.notices += f.notices;
    }

    fn add(&mut self, other: SweepReport) {
        self.closed += other.closed;
        self.tickets += other.tickets;
        self.warnings += other.warnings;
        self.breaches += other.breaches;
        self.escalations += other.escalations;
        self.notices += other.notices;
    }
}

/// Runs passes until nothing is due. `parallel` batches run at once (PostgreSQL writers work
/// in parallel and `SKIP LOCKED` keeps their claims apart; on SQLite they simply queue).
pub async fn sweep(desk: &Desk, batch: i64, parallel: usize) -> DeskResult<SweepReport> {
    let d = desk.clone();
    let closed = desk.writer.write(move |tx| super::auto_close::close_due(tx, &d)).await?;
    let mut total = SweepReport { closed, ..SweepReport::default() };
    total.add_incidents(super::incidents::fire_all_due_async(desk, batch).await?);
    let now = desk.now().naive_utc();
    if !desk.read(move |conn| Ok(db::anything_due(conn, now)?)).await? {
        return Ok(total);
    }
    loop {
        let handles: Vec<_> = (0..parallel.max(1))
            .map(|_| {
                let desk = desk.clone();
                let rules = desk.rules();
                tokio::spawn(async move {
                    let d = desk.clone();
                    desk.writer.write(move |tx| fire_batch(tx, &d, &rules, batch)).await
                })
            })
            .collect();
        let mut claimed = 0;
        for handle in handles {
            let (report, n) =
                handle.await.map_err(|e| super::DeskError::Internal(format!("SLA batch task: {e}")))??;
            claimed += n;
            total.add(report);
        }
        if claimed == 0 || claimed < batch as usize * parallel.max(1) {
            return Ok(total);
        }
    }
}

/// The same pass, blocking: for `meja jobs --once`, the demo seed and benchmarks.
pub fn sweep_blocking(desk: &Desk, batch: i64) -> DeskResult<SweepReport> {
    let d = desk.clone();
    let closed = desk.writer.write_blocking(move |tx| super::auto_close::close_due(tx, &d))?;
    let mut total = SweepReport { closed, ..SweepReport::default() };
    total.add_incidents(super::incidents::fire_all_due(desk, batch)?);
    let now = desk.now().naive_utc();
    if !desk.read_blocking(|conn| Ok(db::anything_due(conn, now)?))? {
        return Ok(total);
    }
    loop {
        let d = desk.clone();
        let rules = desk.rules();
        let (report, claimed) = desk.writer.write_blocking(move |tx| fire_batch(tx, &d, &rules, batch))?;
        total.add(report);
        if claimed < batch as usize {
            return Ok(total);
        }
    }
}

/// The scheduler loop of `meja serve` and `meja jobs`: a pass every `interval` (and at once on
/// start), rereading the rules first so edits from other processes apply.
pub async fn run(
    desk: Desk,
    interval: Duration,
    batch: i64,
    parallel: usize,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    tracing::info!(interval_seconds = interval.as_secs_f64(), "SLA scheduler started");
    loop {
        let d = desk.clone();
        match tokio::task::spawn_blocking(move || d.reload_rules()).await {
            Ok(Err(e)) => tracing::warn!(error = %e, "could not reload SLA rules; using the previous ones"),
            Err(e) => tracing::warn!(error = %e, "rule reload task failed"),
            Ok(Ok(())) => super::holidays::warn_daily(&desk),
        }
        let started = std::time::Instant::now();
        let result = sweep(&desk, batch, parallel).await;
        match &result {
            Ok(r) => {
                STATS.passes.fetch_add(1, Relaxed);
                STATS.warnings.fetch_add(r.warnings as u64, Relaxed);
                STATS.breaches.fetch_add(r.breaches as u64, Relaxed);
                STATS.escalations.fetch_add(r.escalations as u64, Relaxed);
                STATS.last_pass.store(Utc::now().timestamp().max(0) as u64, Relaxed);
            }
            Err(_) => {
                STATS.failed_passes.fetch_add(1, Relaxed);
            }
        }
        match result {
            Ok(r) if r.tickets > 0 => tracing::info!(
                tickets = r.tickets,
                warnings = r.warnings,
                breaches = r.breaches,
                escalations = r.escalations,
                notices = r.notices,
                elapsed_ms = started.elapsed().as_millis() as u64,
                "SLA pass"
            ),
            Ok(_) => tracing::debug!(elapsed_us = started.elapsed().as_micros() as u64, "SLA pass: nothing due"),
            Err(e) => tracing::error!(error = %e, "SLA pass failed; retrying next tick"),
        }
        tokio::select! {
            _ = tokio::time::sleep(interval) => {}
            _ = stop.changed() => break,
        }
        if *stop.borrow() {
            break;
        }
    }
    tracing::info!("SLA scheduler stopped");
}

/// Recipients looked up once per batch: a burst touches few units and people.
#[derive(Default)]
struct Directory {
    emails_of_user: HashMap<String, Option<String>>,
    queue_of: HashMap<(String, i32), Vec<String>>,
    heads_of: HashMap<String, Vec<String>>,
    tier2_queue: Option<Vec<String>>,
}

impl Directory {
    fn user_email(&mut self, tx: &mut Tx, user_id: &str) -> DeskResult<Option<String>> {
        if let Some(hit) = self.emails_of_user.get(user_id) {
            return Ok(hit.clone());
        }
        let email = catalog_db::user_by_id(tx.conn, user_id)?.filter(|u| u.active).and_then(|u| u.email);
        self.emails_of_user.insert(user_id.to_string(), email.clone());
        Ok(email)
    }

    /// The queue a ticket sits in: the unit's shared mailbox, or else its agents of that tier.
    fn queue(&mut self, tx: &mut Tx, unit_id: &str, tier: i32) -> DeskResult<Vec<String>> {
        let key = (unit_id.to_string(), tier);
        if let Some(hit) = self.queue_of.get(&key) {
            return Ok(hit.clone());
        }
        let list = if tier == 2 {
            if self.tier2_queue.is_none() {
                let unit = catalog_db::tier2_unit(tx.conn)?;
                let list = match unit.and_then(|u| u.email) {
                    Some(mailbox) => vec![mailbox],
                    None => emails(catalog_db::active_users_with_role(tx.conn, Role::AgentT2.as_str(), None)?),
                };
                self.tier2_queue = Some(list);
            }
            self.tier2_queue.clone().unwrap_or_default()
        } else {
            match catalog_db::unit_by_id(tx.conn, unit_id)?.and_then(|u| u.email) {
                Some(mailbox) => vec![mailbox],
                None => emails(catalog_db::active_users_with_role(tx.conn, Role::AgentT1.as_str(), Some(unit_id))?),
            }
        };
        self.queue_of.insert(key, list.clone());
        Ok(list)
    }

    fn heads(&mut self, tx: &mut Tx, unit_id: &str) -> DeskResult<Vec<String>> {
        if let Some(hit) = self.heads_of.get(unit_id) {
            return Ok(hit.clone());
        }
        let list = emails(catalog_db::active_users_with_role(tx.conn, Role::UnitHead.as_str(), Some(unit_id))?);
        self.heads_of.insert(unit_id.to_string(), list.clone());
        Ok(list)
    }
}

fn emails(users: Vec<catalog_db::UserRow>) -> Vec<String> {
    users.into_iter().filter_map(|u| u.email).collect()
}

/// What a batch writes besides the tickets and events, inserted together at its end with
/// multi-row inserts (a burst of breaches is thousands of rows).
#[derive(Default)]
struct Writes {
    alerts: Vec<AlertRow>,
    notices: Vec<OutboxRow>,
    notes: Vec<MessageRow>,
}

impl Writes {
    fn notice(&mut self, tx: &Tx, row: &TicketRow, recipient: &str, template: &str, payload: serde_json::Value) {
        self.notices.push(OutboxRow::new(tx.now.naive_utc(), Some(&row.id), "email", recipient, template, &payload));
    }
}

/// One transaction's worth: returns what fired and how many tickets were claimed.
fn fire_batch(tx: &mut Tx, desk: &Desk, rules: &SlaRules, batch: i64) -> DeskResult<(SweepReport, usize)> {
    let rows = db::claim_due(tx.conn, tx.now.naive_utc(), batch)?;
    let claimed = rows.len();
    if rows.is_empty() {
        return Ok((SweepReport::default(), 0));
    }
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let mut fired: HashMap<String, Vec<(SlaTarget, u32)>> = HashMap::new();
    for (ticket, target, percent) in db::fired_for(tx.conn, &ids)? {
        if let (Some(target), Ok(percent)) = (SlaTarget::parse(&target), u32::try_from(percent)) {
            fired.entry(ticket).or_default().push((target, percent));
        }
    }
    let mut report = SweepReport::default();
    let mut directory = Directory::default();
    let mut writes = Writes::default();
    for row in rows {
        let already = fired.remove(&row.id).unwrap_or_default();
        fire_ticket(tx, desk, rules, row, already, &mut directory, &mut report, &mut writes)?;
    }
    // The claimed rows are locked (PostgreSQL) or the database is (SQLite), so nobody else can
    // have fired these; should it happen anyway, the primary key refuses the duplicate and this
    // batch is undone whole, to be redone from what is then recorded.
    let inserted = db::insert_alerts(tx.conn, &writes.alerts)?;
    if inserted != writes.alerts.len() {
        return Err(super::DeskError::conflict(
            "alert_already_fired",
            format!(
                "{} of {} alerts were already recorded; the batch is retried",
                writes.alerts.len() - inserted,
                writes.alerts.len()
            ),
        ));
    }
    outbox::insert_many(tx.conn, &writes.notices)?;
    super::telegram_links::queue_mirrored(tx, &writes.notices)?;
    tickets_db::insert_messages(tx.conn, &writes.notes)?;
    Ok((report, claimed))
}

#[allow(clippy::too_many_arguments)]
fn fire_ticket(
    tx: &mut Tx,
    desk: &Desk,
    rules: &SlaRules,
    mut row: TicketRow,
    mut fired: Vec<(SlaTarget, u32)>,
    directory: &mut Directory,
    report: &mut SweepReport,
    writes: &mut Writes,
) -> DeskResult<()> {
    report.tickets += 1;
    let priority = Priority::parse(&row.priority).unwrap_or(Priority::P4);
    let (targets, calendar) = rules.for_priority(priority);
    let all = thresholds(&calendar, &targets.warn_percents, &clock_inputs(&row))?;
    let due = plan(&all, &fired, tx.now);
    for threshold in &due.fire {
        writes.alerts.push(AlertRow {
            ticket_id: row.id.clone(),
            target: threshold.target.as_str().to_string(),
            percent: threshold.percent as i32,
            due_at: due_of(&row, threshold.target).naive_utc(),
            fired_at: tx.now.naive_utc(),
        });
        fired.push((threshold.target, threshold.percent));
        announce(tx, &row, threshold, targets.notify_unit_head, directory, report, writes)?;
        if threshold.is_breach()
            && threshold.target == SlaTarget::Resolution
            && targets.escalate_to_tier2
            && row.tier == 1
        {
            escalate_on_breach(tx, desk, &mut row, directory, report, writes)?;
        }
    }
    let next = all.iter().filter(|t| !fired.contains(&(t.target, t.percent))).map(|t| t.at).min();
    row.sla_next_at = next.map(|t| t.naive_utc());
    tickets_db::save(tx.conn, &row)?;
    Ok(())
}

fn due_of(row: &TicketRow, target: SlaTarget) -> DateTime<Utc> {
    match target {
        SlaTarget::FirstResponse => utc(row.first_response_due),
        SlaTarget::Resolution => utc(row.resolution_due),
    }
}

/// The audit event and the notices of one threshold: the assignee, or the unit's queue when
/// nobody holds the ticket; on a breach also the unit head when the policy says so.
fn announce(
    tx: &mut Tx,
    row: &TicketRow,
    threshold: &Threshold,
    notify_unit_head: bool,
    directory: &mut Directory,
    report: &mut SweepReport,
    writes: &mut Writes,
) -> DeskResult<()> {
    let due = due_of(row, threshold.target);
    let (kind, template) = if threshold.is_breach() {
        report.breaches += 1;
        ("sla.breached", "sla_breached")
    } else {
        report.warnings += 1;
        ("sla.warning", "sla_warning")
    };
    tx.record(
        Some(&row.id),
        None,
        kind,
        json!({ "target": threshold.target.as_str(), "percent": threshold.percent, "due": due, "at": threshold.at }),
    )?;
    // A confidential ticket is for its assignee, tier 2 and supervisors only (SPEC 2): its
    // notices carry no title and go to no one else (not the unit's queue, not its head).
    let confidential = row.classification == Classification::Confidential.as_str();
    let mut payload = json!({
        "number": row.number, "priority": row.priority,
        "target": threshold.target.as_str(), "percent": threshold.percent, "due": due,
    });
    if !confidential {
        payload["title"] = json!(row.title);
    }
    let mut recipients = match &row.assignee_id {
        Some(id) => directory.user_email(tx, id)?.into_iter().collect(),
        None => Vec::new(),
    };
    if recipients.is_empty() {
        let tier = if confidential { 2 } else { row.tier };
        recipients = directory.queue(tx, &row.unit_id, tier)?;
    }
    if threshold.is_breach() && notify_unit_head && !confidential {
        recipients.extend(directory.heads(tx, &row.unit_id)?);
    }
    recipients.sort();
    recipients.dedup();
    for to in recipients {
        writes.notice(tx, row, &to, template, payload.clone());
        report.notices += 1;
    }
    Ok(())
}

/// SPEC 4: a resolution breach moves a tier-1 ticket to tier 2 with a system note (Pontianak
/// Pasal 51(9): what tier 1 cannot solve goes to tier 2).
fn escalate_on_breach(
    tx: &mut Tx,
    desk: &Desk,
    row: &mut TicketRow,
    directory: &mut Directory,
    report: &mut SweepReport,
    writes: &mut Writes,
) -> DeskResult<()> {
    let due = utc(row.resolution_due).with_timezone(&desk.zone);
    let reason = format!(
        "Eskalasi otomatis ke Tier 2: batas waktu penyelesaian {} terlampaui.",
        due.format("%d-%m-%Y %H:%M %Z")
    );
    row.tier = 2;
    row.escalated = true;
    row.tier1_assignee_id = row.assignee_id.take();
    row.updated_at = tx.now.naive_utc();
    writes.notes.push(MessageRow {
        id: new_id(),
        ticket_id: row.id.clone(),
        author_id: None,
        author_name: SYSTEM_NAME.to_string(),
        internal: true,
        body: reason.clone(),
        channel: Channel::Api.as_str().into(),
        created_at: tx.now.naive_utc(),
    });
    tx.record(
        Some(&row.id),
        None,
        "ticket.escalated",
        json!({ "from_status": row.status, "to_status": row.status, "reason": reason, "automatic": true }),
    )?;
    for to in directory.queue(tx, &row.unit_id, 2)? {
        writes.notice(tx, row, &to, "ticket_escalated", json!({ "number": row.number, "automatic": true }));
        report.notices += 1;
    }
    report.escalations += 1;
    Ok(())
}

//! Security incidents and personal-data breaches (SPEC 6): the flags, the immediate notices to
//! tier 2 and the supervisors whatever the ticket's tier, the 24-hour and 72-hour notice clocks
//! (fired exactly once, like the SLA clocks), and the written incident notice.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::view::utc;
use super::{DeskError, DeskResult, Tx};
use crate::db::catalog as catalog_db;
use crate::db::incidents::{self as db, IncidentRow};
use crate::db::outbox::{self, OutboxRow};
use crate::db::sla::{self as sla_db, AlertRow};
use crate::db::tickets::{self as tickets_db, TicketRow};
use crate::db::DbConn;
use crate::domain::incident::{self, Clock, NoticeClock, BREACH};
use crate::domain::role::{Actor, Role};

/// `POST /tickets/{number}/flag`: either flag, or both. A flag is never taken back: an
/// incident that turns out harmless is resolved with that finding, and its record stays.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlagInput {
    #[serde(default)]
    pub security_incident: bool,
    #[serde(default)]
    pub personal_data_breach: bool,
    /// What prompted the flag, kept in the audit event.
    #[serde(default)]
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ClockView {
    pub flagged_at: DateTime<Utc>,
    pub due: DateTime<Utc>,
    /// `running`, `met` or `breached`.
    pub state: &'static str,
    pub met_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct IncidentView {
    /// The written incident notice, due 24 hours after the flag (BSSN 1/2024).
    pub incident_notice: Option<ClockView>,
    /// Notifying data subjects and the authority, due 72 hours after the flag (UU 27/2022 Pasal 46).
    pub breach_notice: Option<ClockView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub breach_notified_note: Option<String>,
}

fn clocks_of(row: &IncidentRow) -> Vec<Clock> {
    let mut clocks = Vec::new();
    if let Some(at) = row.security_flagged_at {
        clocks.push(Clock {
            which: NoticeClock::IncidentNotice,
            flagged_at: utc(at),
            met_at: row.notice_produced_at.map(utc),
        });
    }
    if let Some(at) = row.breach_flagged_at {
        clocks.push(Clock {
            which: NoticeClock::BreachNotice,
            flagged_at: utc(at),
            met_at: row.breach_notified_at.map(utc),
        });
    }
    clocks
}

pub fn view_of(row: &IncidentRow, now: DateTime<Utc>) -> IncidentView {
    let clock_view =
        |c: &Clock| ClockView { flagged_at: c.flagged_at, due: c.due(), state: c.state(now), met_at: c.met_at };
    let clocks = clocks_of(row);
    IncidentView {
        incident_notice: clocks.iter().find(|c| c.which == NoticeClock::IncidentNotice).map(clock_view),
        breach_notice: clocks.iter().find(|c| c.which == NoticeClock::BreachNotice).map(clock_view),
        breach_notified_note: row.breach_notified_note.clone(),
    }
}

pub fn view(conn: &mut DbConn, ticket_id: &str, now: DateTime<Utc>) -> DeskResult<Option<IncidentView>> {
    Ok(db::get(conn, ticket_id)?.map(|r| view_of(&r, now)))
}

/// Tier 2's queue (its mailbox, or else its agents) and every supervisor: they hear of every
/// incident whatever the ticket's tier (SPEC 6), and of its notice clocks. The assignee too.
fn recipients(tx: &mut Tx, ticket: &TicketRow) -> DeskResult<Vec<String>> {
    let mut to: Vec<String> = match catalog_db::tier2_unit(tx.conn)?.and_then(|u| u.email) {
        Some(mailbox) => vec![mailbox],
        None => catalog_db::active_users_with_role(tx.conn, Role::AgentT2.as_str(), None)?
            .into_iter()
            .filter_map(|u| u.email)
            .collect(),
    };
    to.extend(
        catalog_db::active_users_with_role(tx.conn, Role::Supervisor.as_str(), None)?
            .into_iter()
            .filter_map(|u| u.email),
    );
    if let Some(id) = &ticket.assignee_id {
        to.extend(catalog_db::user_by_id(tx.conn, id)?.filter(|u| u.active).and_then(|u| u.email));
    }
    to.sort();
    to.dedup();
    Ok(to)
}

fn payload(ticket: &TicketRow, extra: serde_json::Value) -> serde_json::Value {
    let mut payload = json!({ "number": ticket.number, "priority": ticket.priority });
    // A confidential ticket's title stays out of mail, as with SLA notices.
    if ticket.classification != "confidential" {
        payload["title"] = json!(ticket.title);
    }
    if let (Some(target), Some(source)) = (payload.as_object_mut(), extra.as_object()) {
        for (k, v) in source {
            target.insert(k.clone(), v.clone());
        }
    }
    payload
}

fn queue_notices(tx: &mut Tx, ticket: &TicketRow, template: &str, data: serde_json::Value) -> DeskResult<usize> {
    let rows: Vec<OutboxRow> = recipients(tx, ticket)?
        .iter()
        .map(|to| {
            OutboxRow::new(tx.now.naive_utc(), Some(&ticket.id), "email", to, template, &payload(ticket, data.clone()))
        })
        .collect();
    if !rows.is_empty() {
        outbox::insert_many(tx.conn, &rows)?;
        super::telegram_links::queue_mirrored(tx, &rows)?;
    }
    Ok(rows.len())
}

fn reschedule(row: &mut IncidentRow, fired: &[(NoticeClock, u32)], now: DateTime<Utc>) {
    let (due, next) = incident::plan(&clocks_of(row), fired, now);
    // A threshold already crossed and not fired is due now: the next pass takes it.
    row.next_at = due.first().map(|t| t.at).or(next).map(|t| t.naive_utc());
}

fn fired_of(conn: &mut DbConn, ticket_id: &str) -> DeskResult<Vec<(NoticeClock, u32)>> {
    Ok(sla_db::fired(conn, ticket_id)?
        .into_iter()
        .filter_map(|(t, p)| Some((NoticeClock::parse(&t)?, u32::try_from(p).ok()?)))
        .collect())
}

/// Sets the flags on `ticket` (in the caller's transaction): starts their clocks, records the
/// event and tells tier 2 and the supervisors at once. Flags already set are left as they are.
pub fn raise(
    tx: &mut Tx,
    ticket: &mut TicketRow,
    actor_id: Option<&str>,
    security_incident: bool,
    personal_data_breach: bool,
    reason: Option<&str>,
) -> DeskResult<bool> {
    // A leak of personal data is a security incident too: both clocks run (SPEC 6).
    let security_incident = security_incident || personal_data_breach;
    let mut row = db::get(tx.conn, &ticket.id)?
        .unwrap_or_else(|| IncidentRow { ticket_id: ticket.id.clone(), ..IncidentRow::default() });
    let now = tx.now.naive_utc();
    let new_security = security_incident && row.security_flagged_at.is_none();
    let new_breach = personal_data_breach && row.breach_flagged_at.is_none();
    if !new_security && !new_breach {
        return Ok(false);
    }
    if new_security {
        row.security_flagged_at = Some(now);
        ticket.security_incident = true;
    }
    if new_breach {
        row.breach_flagged_at = Some(now);
    }
    let fired = fired_of(tx.conn, &ticket.id)?;
    reschedule(&mut row, &fired, tx.now);
    db::save(tx.conn, &row)?;
    let data = json!({
        "security_incident": new_security,
        "personal_data_breach": new_breach,
        "incident_notice_due": row.security_flagged_at.filter(|_| new_security).map(|at| NoticeClock::IncidentNotice.due(utc(at))),
        "breach_notice_due": row.breach_flagged_at.filter(|_| new_breach).map(|at| NoticeClock::BreachNotice.due(utc(at))),
        "reason": reason,
    });
    tx.record(Some(&ticket.id), actor_id, "incident.flagged", data.clone())?;
    queue_notices(tx, ticket, "incident_flagged", data)?;
    Ok(true)
}

/// A member of staff flags a ticket they may see (SPEC 6: "or set later by staff").
pub fn flag(tx: &mut Tx, actor: &Actor, number: &str, input: FlagInput) -> DeskResult<IncidentView> {
    if !actor.role.is_staff() {
        return Err(DeskError::Forbidden("flags are set by staff".into()));
    }
    if !input.security_incident && !input.personal_data_breach {
        return Err(DeskError::invalid("security_incident", "set security_incident or personal_data_breach to true"));
    }
    if let Some(reason) = &input.reason {
        super::catalog::check_text("reason", reason, 2_000)?;
    }
    let ticket = super::tickets::visible_ticket_for_update(tx.conn, actor, number)?;
    let mut row = ticket.row;
    if raise(
        tx,
        &mut row,
        Some(&actor.user_id),
        input.security_incident,
        input.personal_data_breach,
        input.reason.as_deref(),
    )? {
        row.updated_at = tx.now.naive_utc();
        tickets_db::save(tx.conn, &row)?;
    }
    let incident = db::get(tx.conn, &row.id)?.ok_or_else(|| DeskError::Internal("flag without its clocks".into()))?;
    Ok(view_of(&incident, tx.now))
}

/// Who may raise and who may clear the flags (decided with issue 13): any member of staff who
/// can see a ticket, unit heads included, may flag it — reporting early is the point, and a
/// head of a Perangkat Daerah is often the first to hear of a leak. A flag is never taken back
/// silently: only a supervisor or an admin clears it, with a reason, audited as
/// `incident.cleared`; the notice clocks stop and the ticket is no longer counted as an
/// incident in later reports (the events keep that it was flagged, and when, and why not).
pub fn clear(tx: &mut Tx, actor: &Actor, number: &str, reason: &str) -> DeskResult<IncidentView> {
    if !matches!(actor.role, Role::Supervisor | Role::Admin) {
        return Err(DeskError::Forbidden("only a supervisor or an admin clears an incident flag".into()));
    }
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(DeskError::invalid("reason", "say why the flag was wrong"));
    }
    super::catalog::check_text("reason", reason, 2_000)?;
    let ticket = super::tickets::visible_ticket_for_update(tx.conn, actor, number)?;
    let mut ticket = ticket.row;
    let mut row = db::get(tx.conn, &ticket.id)?
        .filter(|r| r.security_flagged_at.is_some() || r.breach_flagged_at.is_some())
        .ok_or_else(|| DeskError::conflict("not_flagged", format!("{number} is not flagged")))?;
    let data = json!({
        "security_incident": row.security_flagged_at.is_some(),
        "personal_data_breach": row.breach_flagged_at.is_some(),
        "flagged_at": row.security_flagged_at.or(row.breach_flagged_at).map(utc),
        "reason": reason,
    });
    row.security_flagged_at = None;
    row.breach_flagged_at = None;
    row.next_at = None;
    db::save(tx.conn, &row)?;
    ticket.security_incident = false;
    ticket.updated_at = tx.now.naive_utc();
    tickets_db::save(tx.conn, &ticket)?;
    tx.record(Some(&ticket.id), Some(&actor.user_id), "incident.cleared", data)?;
    Ok(view_of(&row, tx.now))
}

/// The data subjects and the authority were told of a personal-data breach: stops its clock.
pub fn record_breach_notified(tx: &mut Tx, actor: &Actor, number: &str, note: &str) -> DeskResult<IncidentView> {
    if !matches!(actor.role, Role::AgentT1 | Role::AgentT2 | Role::Supervisor | Role::Admin) {
        return Err(DeskError::Forbidden(format!("a {} may not record notifications", actor.role)));
    }
    super::catalog::check_text("note", note, 5_000)?;
    let ticket = super::tickets::visible_ticket_for_update(tx.conn, actor, number)?;
    let mut row = db::get(tx.conn, &ticket.row.id)?.filter(|r| r.breach_flagged_at.is_some()).ok_or_else(|| {
        DeskError::conflict("not_a_breach", format!("{number} is not flagged as a personal-data breach"))
    })?;
    if row.breach_notified_at.is_some() {
        return Err(DeskError::conflict(
            "already_notified",
            format!("the notification of {number} is recorded already"),
        ));
    }
    row.breach_notified_at = Some(tx.now.naive_utc());
    row.breach_notified_note = Some(note.trim().to_string());
    let fired = fired_of(tx.conn, &row.ticket_id)?;
    reschedule(&mut row, &fired, tx.now);
    db::save(tx.conn, &row)?;
    let due = row.breach_flagged_at.map(|at| NoticeClock::BreachNotice.due(utc(at)));
    tx.record(
        Some(&row.ticket_id),
        Some(&actor.user_id),
        "incident.breach_notified",
        json!({ "note": note.trim(), "due": due, "in_time": due.is_some_and(|d| tx.now <= d) }),
    )?;
    Ok(view_of(&row, tx.now))
}

/// The written notice was produced (`notice::produce`): stops the 24-hour clock, once.
pub fn mark_notice_produced(tx: &mut Tx, ticket_id: &str) -> DeskResult<Option<IncidentRow>> {
    let Some(mut row) = db::get(tx.conn, ticket_id)? else { return Ok(None) };
    if row.notice_produced_at.is_none() {
        row.notice_produced_at = Some(tx.now.naive_utc());
        let fired = fired_of(tx.conn, ticket_id)?;
        reschedule(&mut row, &fired, tx.now);
        db::save(tx.conn, &row)?;
    }
    Ok(Some(row))
}

#[derive(Debug, Default, Clone, Copy)]
pub struct Fired {
    pub claimed: usize,
    pub warnings: usize,
    pub breaches: usize,
    pub notices: usize,
}

/// One batch of the scheduler's pass: fires every crossed threshold of the claimed clocks once
/// (the alert's primary key is the guarantee, as for SLA clocks), with its event and notices.
pub fn fire_due(tx: &mut Tx, batch: i64) -> DeskResult<Fired> {
    let rows = db::claim_due(tx.conn, tx.now.naive_utc(), batch)?;
    let mut out = Fired { claimed: rows.len(), ..Fired::default() };
    let mut alerts = Vec::new();
    for mut row in rows {
        let mut fired = fired_of(tx.conn, &row.ticket_id)?;
        let (due, _) = incident::plan(&clocks_of(&row), &fired, tx.now);
        let Some(ticket) = tickets_db::by_id(tx.conn, &row.ticket_id)? else { continue };
        for t in due {
            let clock_due = clocks_of(&row).iter().find(|c| c.which == t.which).map(Clock::due).unwrap_or(t.at);
            alerts.push(AlertRow {
                ticket_id: row.ticket_id.clone(),
                target: t.which.as_str().to_string(),
                percent: t.percent as i32,
                due_at: clock_due.naive_utc(),
                fired_at: tx.now.naive_utc(),
            });
            fired.push((t.which, t.percent));
            let (kind, template) = if t.percent >= BREACH {
                out.breaches += 1;
                ("incident.notice_breached", "incident_notice_breached")
            } else {
                out.warnings += 1;
                ("incident.notice_warning", "incident_notice_warning")
            };
            let data = json!({ "clock": t.which.as_str(), "percent": t.percent, "due": clock_due, "at": t.at });
            tx.record(Some(&row.ticket_id), None, kind, data.clone())?;
            out.notices += queue_notices(tx, &ticket, template, data)?;
        }
        reschedule(&mut row, &fired, tx.now);
        db::save(tx.conn, &row)?;
    }
    let inserted = sla_db::insert_alerts(tx.conn, &alerts)?;
    if inserted != alerts.len() {
        return Err(DeskError::conflict(
            "alert_already_fired",
            "an incident alert was recorded already; the batch is retried",
        ));
    }
    Ok(out)
}

fn add(total: &mut Fired, f: Fired) {
    total.claimed += f.claimed;
    total.warnings += f.warnings;
    total.breaches += f.breaches;
    total.notices += f.notices;
}

/// The pass of `meja serve`/`meja jobs`: batches until nothing is due.
pub async fn fire_all_due_async(desk: &super::Desk, batch: i64) -> DeskResult<Fired> {
    let mut total = Fired::default();
    let now = desk.now().naive_utc();
    if !desk.read(move |conn| Ok(db::anything_due(conn, now)?)).await? {
        return Ok(total);
    }
    loop {
        let f = desk.writer.write(move |tx| fire_due(tx, batch)).await?;
        add(&mut total, f);
        if f.claimed < batch as usize {
            return Ok(total);
        }
    }
}

/// The same, blocking: for `meja jobs --once` and the demo seed.
pub fn fire_all_due(desk: &super::Desk, batch: i64) -> DeskResult<Fired> {
    let mut total = Fired::default();
    let now = desk.now().naive_utc();
    if !desk.read_blocking(|conn| Ok(db::anything_due(conn, now)?))? {
        return Ok(total);
    }
    loop {
        let f = desk.writer.write_blocking(move |tx| fire_due(tx, batch))?;
        add(&mut total, f);
        if f.claimed < batch as usize {
            return Ok(total);
        }
    }
}

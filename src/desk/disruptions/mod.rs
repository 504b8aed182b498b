//! Status gangguan: staff declare a disruption of a service (an outage or planned maintenance),
//! publish updates and end it; the tickets that follow it hear each update on their channel.
//! Perwal Semarang 27/2021 Pasal 39(3)d, Surakarta 8/2022 Pasal 28(3)d: the desk "memantau dan
//! menginformasikan status gangguan dan permintaan layanan".

pub mod alerts;
pub mod figures;
pub mod intake;
pub mod status;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::tickets::{notify_requester, open_ticket, visible_ticket_for_update, NewTicket, RequesterInput};
use super::view::utc;
use super::{new_id, Desk, DeskError, DeskResult, Tx};
use crate::db::catalog::{self as catalog_db, ServiceRow};
use crate::db::disruptions::{self as db, DisruptionRow, UpdateRow};
use crate::db::outbox::{self, OutboxRow};
use crate::db::tickets as tickets_db;
use crate::domain::disruption::{effective_end, is_current, overlaps, DisruptionState, ServiceState};
use crate::domain::role::{Actor, Role};
use crate::domain::ticket::{Kind, Level};

pub const MAX_TITLE: usize = 200;
pub const MAX_UPDATE: usize = 5_000;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewDisruption {
    /// The service's code.
    pub service: String,
    pub state: DisruptionState,
    /// The public title ("SIMPUS tidak dapat diakses").
    pub title: String,
    /// The first public update; a default sentence when absent.
    #[serde(default)]
    pub update: Option<String>,
    /// The ticket it is declared from (usually a problem); without one, an outage opens a
    /// problem ticket of its own so that reports can be linked to it.
    #[serde(default)]
    pub ticket: Option<String>,
    /// When it began (an outage: now when absent) or begins (maintenance: required).
    #[serde(default)]
    pub starts_at: Option<DateTime<Utc>>,
    /// The expected recovery; a maintenance window's planned end (required for maintenance).
    #[serde(default)]
    pub expected_end: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewUpdate {
    pub body: String,
    #[serde(default)]
    pub state: Option<DisruptionState>,
    #[serde(default)]
    pub expected_end: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EndDisruption {
    /// The closing public update; a default sentence when absent.
    #[serde(default)]
    pub update: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct UpdateView {
    pub at: DateTime<Utc>,
    pub body: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DisruptionView {
    pub id: String,
    pub service: String,
    pub service_name: String,
    pub unit: String,
    pub state: String,
    pub state_label: String,
    pub title: String,
    /// `current`, `scheduled` (maintenance ahead) or `ended`.
    pub phase: String,
    pub starts_at: DateTime<Utc>,
    pub expected_end: Option<DateTime<Utc>>,
    pub ended_at: Option<DateTime<Utc>>,
    pub duration_minutes: i64,
    /// The problem ticket's number (staff views only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub followers: Option<usize>,
    pub updates: Vec<UpdateView>,
}

/// Where a disruption stands at `now`.
pub fn phase(row: &DisruptionRow, now: DateTime<Utc>) -> &'static str {
    let end = end_of(row);
    let now = now.naive_utc();
    if is_current(row.starts_at, end, now) {
        "current"
    } else if row.starts_at > now {
        "scheduled"
    } else {
        "ended"
    }
}

pub(crate) fn state_of(row: &DisruptionRow) -> DisruptionState {
    DisruptionState::parse(&row.state).unwrap_or(DisruptionState::MajorOutage)
}

pub(crate) fn end_of(row: &DisruptionRow) -> Option<chrono::NaiveDateTime> {
    effective_end(state_of(row), row.planned_end_at, row.ended_at)
}

/// The view of one disruption; for staff (`reader`) it adds the source, the follower count and
/// the problem ticket's number when the reader may see that ticket (numbers are not probed).
pub fn view_of(
    conn: &mut crate::db::DbConn,
    row: &DisruptionRow,
    updates: Vec<UpdateRow>,
    reader: Option<&Actor>,
    language: &str,
    now: DateTime<Utc>,
) -> DeskResult<DisruptionView> {
    let staff = reader.is_some();
    let service = catalog_db::service_by_id(conn, &row.service_id)?
        .ok_or_else(|| DeskError::Internal("disruption of a missing service".into()))?;
    let unit = catalog_db::unit_by_id(conn, &service.unit_id)?.map(|u| u.code).unwrap_or_default();
    let problem = match (&row.problem_ticket_id, reader) {
        (Some(id), Some(actor)) => match tickets_db::by_id(conn, id)? {
            Some(t) => {
                let ticket = crate::desk::view::Ticket::load(conn, t)?;
                actor.can_read(&ticket.scope()).then(|| ticket.row.number.clone())
            }
            None => None,
        },
        _ => None,
    };
    let followers = if staff { Some(db::followers(conn, &row.id)?.len()) } else { None };
    let state = ServiceState::from(state_of(row));
    let until = end_of(row).map(|e| e.min(now.naive_utc())).unwrap_or(now.naive_utc());
    Ok(DisruptionView {
        id: row.id.clone(),
        service: service.code,
        service_name: service.name,
        unit,
        state: row.state.clone(),
        state_label: state.label(language).to_string(),
        title: row.title.clone(),
        phase: phase(row, now).to_string(),
        starts_at: utc(row.starts_at),
        expected_end: row.planned_end_at.map(utc),
        ended_at: row.ended_at.map(utc),
        duration_minutes: (until - row.starts_at).num_minutes().max(0),
        problem,
        source: staff.then(|| row.source.clone()),
        followers,
        updates: updates
            .into_iter()
            .map(|u| UpdateView { at: utc(u.created_at), body: u.body, state: u.state })
            .collect(),
    })
}

/// Who may declare, update and end disruptions of a service: like ticket actions, the
/// service's own tier 1, tier 2, supervisors (and admins, who may do everything).
fn check_may_manage(actor: &Actor, service: &ServiceRow) -> DeskResult<()> {
    let allowed = match actor.role {
        Role::AgentT2 | Role::Supervisor | Role::Admin => true,
        Role::AgentT1 => actor.unit_id.as_deref() == Some(service.unit_id.as_str()),
        Role::UnitHead | Role::Requester => false,
    };
    if allowed {
        Ok(())
    } else {
        Err(DeskError::Forbidden(format!("a {} may not manage disruptions of {}", actor.role, service.code)))
    }
}

fn check_text(field: &str, text: &str, max: usize) -> DeskResult<String> {
    let text = text.trim();
    if text.is_empty() {
        return Err(DeskError::invalid(field, "must not be empty"));
    }
    if text.chars().count() > max {
        return Err(DeskError::invalid(field, format!("at most {max} characters")));
    }
    Ok(text.to_string())
}

/// Declares a disruption, audited, with its first public update.
pub fn declare(tx: &mut Tx, desk: &Desk, actor: &Actor, input: NewDisruption) -> DeskResult<DisruptionView> {
    let title = check_text("title", &input.title, MAX_TITLE)?;
    let service = catalog_db::service_by_code(tx.conn, input.service.trim())?
        .filter(|s| s.active)
        .ok_or_else(|| DeskError::invalid("service", format!("no active service with code {}", input.service)))?;
    check_may_manage(actor, &service)?;
    let now = tx.now;
    let (starts, end) = match input.state {
        DisruptionState::Maintenance => {
            let starts = input
                .starts_at
                .ok_or_else(|| DeskError::invalid("starts_at", "a maintenance window needs its start"))?;
            let end = input
                .expected_end
                .ok_or_else(|| DeskError::invalid("expected_end", "a maintenance window needs its planned end"))?;
            (starts, Some(end))
        }
        _ => {
            let starts = input.starts_at.unwrap_or(now);
            if starts > now + Duration::minutes(1) {
                return Err(DeskError::invalid(
                    "starts_at",
                    "an outage cannot begin in the future; announce planned work as maintenance",
                ));
            }
            (starts, input.expected_end)
        }
    };
    if end.is_some_and(|e| e <= starts) {
        return Err(DeskError::invalid("expected_end", "must be after the start"));
    }
    let open = db::open(tx.conn)?;
    for other in open.iter().filter(|d| d.service_id == service.id) {
        let other_end = end_of(other);
        match input.state {
            DisruptionState::Maintenance if state_of(other) == DisruptionState::Maintenance => {
                let (Some(other_end), Some(end)) = (other_end, end) else { continue };
                if overlaps(starts.naive_utc(), end.naive_utc(), other.starts_at, other_end) {
                    return Err(DeskError::conflict(
                        "maintenance_overlaps",
                        format!(
                            "{} already has maintenance from {} to {} ({}); change that window instead",
                            service.code,
                            utc(other.starts_at),
                            utc(other_end),
                            other.id
                        ),
                    ));
                }
            }
            DisruptionState::PartialOutage | DisruptionState::MajorOutage
                if state_of(other) != DisruptionState::Maintenance
                    && is_current(other.starts_at, other_end, now.naive_utc()) =>
            {
                return Err(DeskError::conflict(
                    "already_disrupted",
                    format!("{} is already disrupted ({}); publish an update to it instead", service.code, other.id),
                ));
            }
            _ => {}
        }
    }
    let problem = match (&input.ticket, input.state) {
        (Some(number), _) => Some(problem_from_ticket(tx, desk, actor, number, &service, &title)?),
        (None, DisruptionState::Maintenance) => None,
        (None, state) => {
            let id = open_problem(tx, desk, Some(actor), &service, &title, state)?;
            // Tier 2 declares what it will work itself: the problem waits at its tier.
            if actor.role == Role::AgentT2 {
                escalate_new_problem(tx, Some(actor), &id, "gangguan diumumkan Tier 2")?;
            }
            Some(id)
        }
    };
    let row = DisruptionRow {
        id: new_id(),
        service_id: service.id.clone(),
        state: input.state.as_str().into(),
        title,
        problem_ticket_id: problem.clone(),
        source: "staff".into(),
        starts_at: starts.naive_utc(),
        planned_end_at: end.map(|e| e.naive_utc()),
        ended_at: None,
        created_by: Some(actor.user_id.clone()),
        created_at: now.naive_utc(),
        updated_at: now.naive_utc(),
    };
    let first = match input.update {
        Some(text) => check_text("update", &text, MAX_UPDATE)?,
        None if input.state == DisruptionState::Maintenance => {
            "Pemeliharaan terjadwal; layanan mungkin tidak dapat diakses selama jendela waktu ini.".to_string()
        }
        None => "Gangguan sudah kami ketahui dan sedang ditangani.".to_string(),
    };
    record_declared(tx, Some(actor), &row, &service, first)?;
    let updates = db::updates_of(tx.conn, std::slice::from_ref(&row.id))?;
    view_of(tx.conn, &row, updates, Some(actor), "id", now)
}

/// Writes a new disruption with its first update and audit event (staff or monitoring).
pub(crate) fn record_declared(
    tx: &mut Tx,
    actor: Option<&Actor>,
    row: &DisruptionRow,
    service: &ServiceRow,
    first_update: String,
) -> DeskResult<()> {
    db::insert(tx.conn, row)?;
    let update = UpdateRow {
        id: new_id(),
        disruption_id: row.id.clone(),
        state: Some(row.state.clone()),
        body: first_update,
        created_by: actor.map(|a| a.user_id.clone()),
        created_at: tx.now.naive_utc(),
    };
    db::insert_update(tx.conn, &update)?;
    tx.record(
        row.problem_ticket_id.as_deref(),
        actor.map(|a| a.user_id.as_str()),
        "disruption.declared",
        json!({
            "disruption": row.id, "service": service.code, "state": row.state, "title": row.title,
            "starts_at": utc(row.starts_at), "expected_end": row.planned_end_at.map(utc), "source": row.source,
        }),
    )
}

/// The problem a disruption declared from `number` hangs on: the ticket itself when it is a
/// problem; otherwise a new problem that the ticket is linked to as an incident.
fn problem_from_ticket(
    tx: &mut Tx,
    desk: &Desk,
    actor: &Actor,
    number: &str,
    service: &ServiceRow,
    title: &str,
) -> DeskResult<String> {
    let number = number.trim().to_uppercase();
    let ticket = visible_ticket_for_update(tx.conn, actor, &number)
        .map_err(|_| DeskError::invalid("ticket", format!("no ticket {number} that you can see")))?;
    if !actor.can_write_messages(&ticket.scope(), true) {
        return Err(DeskError::invalid("ticket", format!("you may not work on {number}")));
    }
    if ticket.row.kind == Kind::Problem.as_str() {
        return Ok(ticket.row.id);
    }
    if ticket.row.kind != Kind::Incident.as_str() {
        return Err(DeskError::invalid("ticket", format!("{number} is neither a problem nor an incident")));
    }
    let problem = open_problem(tx, desk, Some(actor), service, title, DisruptionState::MajorOutage)?;
    intake::link_as_incident(tx, Some(actor.user_id.as_str()), &problem, &ticket.row)?;
    Ok(problem)
}

/// Opens the problem ticket of a disruption at the service's unit.
pub(crate) fn open_problem(
    tx: &mut Tx,
    desk: &Desk,
    actor: Option<&Actor>,
    service: &ServiceRow,
    title: &str,
    state: DisruptionState,
) -> DeskResult<String> {
    let reporter = match actor {
        Some(a) => RequesterInput::named(a.name.clone(), None),
        None => RequesterInput::named("Pemantauan layanan", None),
    };
    let input = NewTicket {
        kind: Kind::Problem,
        title: title.to_string(),
        description: format!("Gangguan layanan {} ({}): {title}", service.name, service.code),
        unit: None,
        service: Some(service.code.clone()),
        impact: Level::High,
        urgency: if state == DisruptionState::MajorOutage { Level::High } else { Level::Medium },
        requester: Some(reporter),
        classification: None,
        security_incident: None,
        personal_data_breach: None,
        channel: Some(crate::domain::ticket::Channel::Api),
        follow_disruption: Some(false),
    };
    // A tier-1 agent of another unit cannot open tickets there; declaring on a service it may
    // manage is its own unit's anyway, and tier 2, supervisors and admins may open anywhere.
    let opened = open_ticket(tx, desk, actor, input)?;
    Ok(opened.ticket.row.id)
}

/// Moves a problem just opened for a disruption to tier 2, audited, and tells tier 2's address:
/// monitoring's problems and those tier 2 declares are tier 2's to work.
pub(crate) fn escalate_new_problem(
    tx: &mut Tx,
    actor: Option<&Actor>,
    ticket_id: &str,
    reason: &str,
) -> DeskResult<tickets_db::TicketRow> {
    let mut ticket = tickets_db::by_id(tx.conn, ticket_id)?
        .ok_or_else(|| DeskError::Internal("the new problem ticket is gone".into()))?;
    ticket.tier = 2;
    ticket.escalated = true;
    ticket.updated_at = tx.now.naive_utc();
    tickets_db::save(tx.conn, &ticket)?;
    tx.record(
        Some(&ticket.id),
        actor.map(|a| a.user_id.as_str()),
        "ticket.escalated",
        json!({ "from_status": ticket.status, "to_status": ticket.status, "reason": reason, "automatic": actor.is_none() }),
    )?;
    if let Some(email) = catalog_db::tier2_unit(tx.conn)?.and_then(|u| u.email) {
        let payload = json!({ "number": ticket.number });
        let notice =
            OutboxRow::new(tx.now.naive_utc(), Some(&ticket.id), "email", &email, "ticket_escalated", &payload);
        outbox::insert(tx.conn, &notice)?;
    }
    Ok(ticket)
}

/// Loads a disruption that `actor` may manage, locked for the change.
fn managed(tx: &mut Tx, actor: &Actor, id: &str) -> DeskResult<(DisruptionRow, ServiceRow)> {
    let row = db::by_id_for_update(tx.conn, id)?.ok_or_else(|| DeskError::not_found("disruption", id))?;
    let service = catalog_db::service_by_id(tx.conn, &row.service_id)?
        .ok_or_else(|| DeskError::Internal("disruption of a missing service".into()))?;
    check_may_manage(actor, &service)?;
    Ok((row, service))
}

/// Publishes an update (and maybe a new state or expected end); followers hear it.
pub fn publish_update(tx: &mut Tx, actor: &Actor, id: &str, input: NewUpdate) -> DeskResult<DisruptionView> {
    let body = check_text("body", &input.body, MAX_UPDATE)?;
    let (mut row, service) = managed(tx, actor, id)?;
    if let Some(ended) = row.ended_at {
        return Err(DeskError::conflict(
            "disruption_ended",
            format!("this disruption ended at {}; declare a new one if the service fails again", utc(ended)),
        ));
    }
    if let Some(state) = input.state {
        let was_maintenance = state_of(&row) == DisruptionState::Maintenance;
        if was_maintenance != (state == DisruptionState::Maintenance) {
            return Err(DeskError::invalid(
                "state",
                "maintenance stays maintenance and an outage stays an outage; end it and declare the other",
            ));
        }
        row.state = state.as_str().into();
    }
    if let Some(end) = input.expected_end {
        if end.naive_utc() <= row.starts_at {
            return Err(DeskError::invalid("expected_end", "must be after the start"));
        }
        row.planned_end_at = Some(end.naive_utc());
    }
    row.updated_at = tx.now.naive_utc();
    db::save(tx.conn, &row)?;
    add_update(
        tx,
        Some(actor),
        &row,
        &service,
        body,
        input.state.map(|s| s.as_str().to_string()),
        "disruption.updated",
    )?;
    let updates = db::updates_of(tx.conn, std::slice::from_ref(&row.id))?;
    view_of(tx.conn, &row, updates, Some(actor), "id", tx.now)
}

/// Ends a disruption with a closing update; followers hear it.
pub fn end(tx: &mut Tx, actor: &Actor, id: &str, input: EndDisruption) -> DeskResult<DisruptionView> {
    let (row, service) = managed(tx, actor, id)?;
    if let Some(ended) = row.ended_at {
        return Err(DeskError::conflict(
            "disruption_ended",
            format!("this disruption already ended at {}", utc(ended)),
        ));
    }
    let body = match input.update {
        Some(text) => check_text("update", &text, MAX_UPDATE)?,
        None => "Layanan sudah kembali normal.".to_string(),
    };
    let row = finish(tx, Some(actor), row, &service, body)?;
    let updates = db::updates_of(tx.conn, std::slice::from_ref(&row.id))?;
    view_of(tx.conn, &row, updates, Some(actor), "id", tx.now)
}

/// Sets the end of a running disruption (a window not yet begun is called off at once).
pub(crate) fn finish(
    tx: &mut Tx,
    actor: Option<&Actor>,
    mut row: DisruptionRow,
    service: &ServiceRow,
    body: String,
) -> DeskResult<DisruptionRow> {
    let now = tx.now.naive_utc();
    row.ended_at = Some(now.max(row.starts_at));
    row.updated_at = now;
    db::save(tx.conn, &row)?;
    add_update(tx, actor, &row, service, body, None, "disruption.ended")?;
    Ok(row)
}

/// Stores a public update, audits it, and queues it to every follower's channel.
fn add_update(
    tx: &mut Tx,
    actor: Option<&Actor>,
    row: &DisruptionRow,
    service: &ServiceRow,
    body: String,
    state: Option<String>,
    event: &str,
) -> DeskResult<()> {
    let update = UpdateRow {
        id: new_id(),
        disruption_id: row.id.clone(),
        state,
        body: body.clone(),
        created_by: actor.map(|a| a.user_id.clone()),
        created_at: tx.now.naive_utc(),
    };
    db::insert_update(tx.conn, &update)?;
    tx.record(
        row.problem_ticket_id.as_deref(),
        actor.map(|a| a.user_id.as_str()),
        event,
        json!({ "disruption": row.id, "service": service.code, "state": row.state, "update": update.id }),
    )?;
    let ended = row.ended_at.is_some();
    for ticket_id in db::followers(tx.conn, &row.id)? {
        let Some(ticket) = tickets_db::by_id(tx.conn, &ticket_id)? else { continue };
        notify_requester(
            tx,
            &ticket,
            "disruption_update",
            json!({
                "number": ticket.number, "service": service.name, "disruption_title": row.title,
                "update": body, "ended": ended,
            }),
        )?;
    }
    Ok(())
}

/// Disruptions for the console: running and announced ones, then those ended in 90 days.
pub fn list_for_staff(
    conn: &mut crate::db::DbConn,
    actor: &Actor,
    now: DateTime<Utc>,
) -> DeskResult<Vec<DisruptionView>> {
    let since = (now - Duration::days(90)).naive_utc();
    let mut rows = db::open(conn)?;
    rows.extend(db::overlapping(conn, since, now.naive_utc())?.into_iter().filter(|r| r.ended_at.is_some()));
    rows.sort_by(|a, b| (a.ended_at.is_some(), b.starts_at).cmp(&(b.ended_at.is_some(), a.starts_at)));
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let mut updates = db::updates_of(conn, &ids)?;
    let mut views = Vec::with_capacity(rows.len());
    for row in &rows {
        let (mine, rest): (Vec<_>, Vec<_>) = updates.into_iter().partition(|u| u.disruption_id == row.id);
        updates = rest;
        views.push(view_of(conn, row, mine, Some(actor), "id", now)?);
    }
    Ok(views)
}

/// One disruption for staff.
pub fn show(conn: &mut crate::db::DbConn, actor: &Actor, id: &str, now: DateTime<Utc>) -> DeskResult<DisruptionView> {
    let row = db::by_id(conn, id)?.ok_or_else(|| DeskError::not_found("disruption", id))?;
    let updates = db::updates_of(conn, std::slice::from_ref(&row.id))?;
    view_of(conn, &row, updates, Some(actor), "id", now)
}

/// Ends the running outages declared with a problem when the problem is resolved: the
/// resolution is their closing public update.
pub(crate) fn end_with_problem(tx: &mut Tx, actor: &Actor, problem_id: &str, resolution: &str) -> DeskResult<()> {
    for row in db::running_of_problem(tx.conn, problem_id)? {
        if state_of(&row) == DisruptionState::Maintenance {
            continue;
        }
        let Some(service) = catalog_db::service_by_id(tx.conn, &row.service_id)? else { continue };
        finish(tx, Some(actor), row, &service, resolution.to_string())?;
    }
    Ok(())
}

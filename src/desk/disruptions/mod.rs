//! Status gangguan: staff declare a disruption of a service (an outage or planned maintenance),
//! publish updates and end it; the tickets that follow it hear each update on their channel.
//! Perwal Semarang 27/2021 Pasal 39(3)d, Surakarta 8/2022 Pasal 28(3)d: the desk "memantau dan
//! menginformasikan status gangguan dan permintaan layanan".

pub mod alerts;
pub mod figures;
pub mod intake;
pub mod problems;
pub mod status;
pub mod view;

pub(crate) use problems::{escalate_new_problem, open_problem, problem_from_ticket};
pub use view::{end_of, list_for_staff, phase, show, state_of, view_of, DisruptionView, UpdateView};

use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;
use serde_json::json;

use super::tickets::notify_requester;
use super::view::utc;
use super::{new_id, Desk, DeskError, DeskResult, Tx};
use crate::db::catalog::{self as catalog_db, ServiceRow};
use crate::db::disruptions::{self as db, DisruptionRow, UpdateRow};
use crate::db::tickets as tickets_db;
use crate::domain::disruption::{is_current, overlaps, DisruptionState};
use crate::domain::role::{Actor, Role};

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
    // Declarations (and alerts) for one service wait for each other: two cannot both find it
    // undisrupted and declare an outage each.
    db::lock_service(tx.conn, &service.id)?;
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
    check_no_clash(tx, &service, None, input.state, starts, end)?;
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

/// Refuses a second running outage of one service, and maintenance windows of one service that
/// overlap; `except` is the disruption being changed.
fn check_no_clash(
    tx: &mut Tx,
    service: &ServiceRow,
    except: Option<&str>,
    state: DisruptionState,
    starts: DateTime<Utc>,
    end: Option<DateTime<Utc>>,
) -> DeskResult<()> {
    let now = tx.now;
    let open = db::open(tx.conn)?;
    for other in open.iter().filter(|d| d.service_id == service.id && Some(d.id.as_str()) != except) {
        let other_end = end_of(other);
        match state {
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
    Ok(())
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
    let state = Some(row.state.clone());
    add_update(tx, actor, row, service, first_update, state, "disruption.declared")
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
        if state_of(&row) == DisruptionState::Maintenance {
            check_no_clash(tx, &service, Some(&row.id), DisruptionState::Maintenance, utc(row.starts_at), Some(end))?;
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
    // Planned work that ran out on its own ended at its window's end, however late staff say so.
    let until = match (state_of(&row), row.planned_end_at) {
        (DisruptionState::Maintenance, Some(planned)) => now.min(planned),
        _ => now,
    };
    row.ended_at = Some(until.max(row.starts_at));
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
        json!({
            "disruption": row.id, "service": service.code, "state": row.state, "title": row.title, "update": update.id,
            "starts_at": utc(row.starts_at), "expected_end": row.planned_end_at.map(utc), "source": row.source,
        }),
    )?;
    let ended = row.ended_at.is_some();
    for ticket_id in db::followers(tx.conn, &row.id)? {
        // A report closed, cancelled or answered already hears nothing more of the disruption.
        let Some(ticket) = tickets_db::by_id(tx.conn, &ticket_id)?.filter(|t| t.active) else { continue };
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

/// Ends the running outages declared with a problem when the problem is resolved. The closing
/// update is a fixed sentence: a problem's resolution is written for staff, not for the page.
pub(crate) fn end_with_problem(tx: &mut Tx, actor: &Actor, problem_id: &str) -> DeskResult<()> {
    for row in db::running_of_problem(tx.conn, problem_id)? {
        if state_of(&row) == DisruptionState::Maintenance {
            continue;
        }
        let Some(service) = catalog_db::service_by_id(tx.conn, &row.service_id)? else { continue };
        let closing = "Penyebab gangguan sudah diatasi; layanan kembali normal.".to_string();
        finish(tx, Some(actor), row, &service, closing)?;
    }
    Ok(())
}

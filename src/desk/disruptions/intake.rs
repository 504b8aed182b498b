//! A disruption meets the reports about it: a new incident on a disrupted service is linked to
//! the disruption's problem (SPEC 2) and may follow it; resolving the problem resolves them.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::json;

use super::{end_of, state_of};
use crate::db::disruptions as db;
use crate::db::mail as links_db;
use crate::db::tickets::{self as tickets_db, TicketRow};
use crate::desk::tickets::{act, add_pause, recompute_resolution_due, ActionRequest};
use crate::desk::view::utc;
use crate::desk::{Desk, DeskResult, Tx};
use crate::domain::disruption::{is_current, DisruptionState, ServiceState};
use crate::domain::role::{Actor, Role};
use crate::domain::ticket::{Kind, Priority, Status};

/// What a requester is told of the known disruption their report joined.
#[derive(Debug, Clone, Serialize)]
pub struct KnownDisruption {
    pub id: String,
    pub title: String,
    pub state_label: String,
    pub since: DateTime<Utc>,
    pub following: bool,
}

/// The current outage of a service, if any (maintenance does not count: a report during
/// planned work is told of the window but stays a ticket of its own).
pub fn current_outage(tx: &mut Tx, service_id: &str) -> DeskResult<Option<db::DisruptionRow>> {
    let now = tx.now.naive_utc();
    Ok(tx
        .hot
        .open_disruptions(tx.conn)?
        .iter()
        .find(|d| {
            d.service_id == service_id
                && state_of(d) != DisruptionState::Maintenance
                && is_current(d.starts_at, end_of(d), now)
        })
        .cloned())
}

/// Links a new incident on a disrupted service to the disruption's problem and, when its
/// requester wants, makes the ticket follow the disruption.
pub fn join_current(tx: &mut Tx, ticket: &TicketRow, follow: bool) -> DeskResult<Option<KnownDisruption>> {
    if ticket.kind != Kind::Incident.as_str() {
        return Ok(None);
    }
    let Some(service_id) = &ticket.service_id else { return Ok(None) };
    let Some(disruption) = current_outage(tx, service_id)? else { return Ok(None) };
    if let Some(problem) = &disruption.problem_ticket_id {
        link_as_incident(tx, None, problem, ticket)?;
    }
    if follow {
        db::follow(tx.conn, &disruption.id, &ticket.id, tx.now.naive_utc())?;
    }
    tx.record(
        Some(&ticket.id),
        None,
        "disruption.joined",
        json!({ "disruption": disruption.id, "following": follow }),
    )?;
    Ok(Some(KnownDisruption {
        id: disruption.id.clone(),
        title: disruption.title.clone(),
        state_label: ServiceState::from(state_of(&disruption)).label("id").to_string(),
        since: utc(disruption.starts_at),
        following: follow,
    }))
}

/// Links `incident` to the problem, audited on the problem; linking twice is once.
pub(crate) fn link_as_incident(
    tx: &mut Tx,
    actor_id: Option<&str>,
    problem_id: &str,
    incident: &TicketRow,
) -> DeskResult<()> {
    // Two tickets are linked once, whatever the kind of the link already there.
    let existing = links_db::links_of(tx.conn, problem_id)?;
    if existing.iter().any(|(id, _)| id == &incident.id) {
        return Ok(());
    }
    links_db::link_tickets(tx.conn, problem_id, &incident.id, "incident", tx.now.naive_utc())?;
    tx.record(Some(problem_id), actor_id, "ticket.linked", json!({ "incident": incident.number }))
}

/// Resolves the problem's linked incidents that are still new, open or pending with the
/// problem's resolution; each requester is told (and asked for a rating) as on any resolve.
/// Linking needed the right to work both tickets; resolving them through the problem is the
/// problem owner's act even where the incident sits in another unit, so it runs with a
/// supervisor's reach, recorded under the actor's own name.
pub(crate) fn resolve_linked(
    tx: &mut Tx,
    desk: &Desk,
    actor: &Actor,
    problem: &TicketRow,
    resolution: &str,
) -> DeskResult<Vec<String>> {
    let through_problem = Actor { role: Role::Supervisor, ..actor.clone() };
    let mut resolved = Vec::new();
    for (id, kind) in links_db::links_of(tx.conn, &problem.id)? {
        if kind != "incident" {
            continue;
        }
        let Some(mut incident) = tickets_db::by_id_for_update(tx.conn, &id)? else { continue };
        let status = Status::parse(&incident.status).unwrap_or(Status::Closed);
        if !matches!(status, Status::New | Status::Open | Status::Pending) {
            continue;
        }
        // The status machine resolves only open tickets: a new one is taken up and a pending
        // one resumed first (its pause counted), without telling the requester twice.
        if status != Status::Open {
            let priority = Priority::parse(&incident.priority).unwrap_or(Priority::P3);
            if let Some(since) = incident.pending_since.take() {
                add_pause(desk, &mut incident, priority, utc(since), tx.now);
                recompute_resolution_due(desk, &mut incident, priority)?;
            }
            incident.status = Status::Open.as_str().into();
            incident.updated_at = tx.now.naive_utc();
            tickets_db::save(tx.conn, &incident)?;
            tx.record(
                Some(&incident.id),
                Some(&actor.user_id),
                if status == Status::New { "ticket.started" } else { "ticket.resumed" },
                json!({ "from_status": status.as_str(), "to_status": "open", "problem": problem.number }),
            )?;
        }
        let request = ActionRequest::Resolve { resolution: resolution.to_string(), resolve_linked: false };
        act(tx, desk, &through_problem, &incident.number, request)?;
        resolved.push(incident.number);
    }
    Ok(resolved)
}

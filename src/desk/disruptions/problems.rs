//! The problem ticket a disruption hangs on (SPEC 2): the ticket it is declared from, or one
//! opened for it; monitoring's and tier 2's go to tier 2.

use serde_json::json;

use crate::db::catalog::{self as catalog_db, ServiceRow};
use crate::db::outbox::{self, OutboxRow};
use crate::db::tickets as tickets_db;
use crate::desk::tickets::{open_ticket, visible_ticket_for_update, NewTicket, RequesterInput};
use crate::desk::{Desk, DeskError, DeskResult, Tx};
use crate::domain::disruption::DisruptionState;
use crate::domain::role::Actor;
use crate::domain::ticket::{Kind, Level};

/// The problem a disruption declared from `number` hangs on: the ticket itself when it is a
/// problem; otherwise a new problem that the ticket is linked to as an incident.
pub(crate) fn problem_from_ticket(
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
    if actor.role == crate::domain::role::Role::AgentT2 {
        escalate_new_problem(tx, Some(actor), &problem, "gangguan diumumkan Tier 2")?;
    }
    super::intake::link_as_incident(tx, Some(actor.user_id.as_str()), &problem, &ticket.row)?;
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

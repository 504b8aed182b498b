//! Problems and their incidents (SPEC 2: a `problem` ticket can link many incidents).

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::tickets::{visible_ticket, visible_ticket_for_update};
use super::view::Ticket;
use super::{DeskError, DeskResult, Tx};
use crate::db::mail as links_db;
use crate::db::DbConn;
use crate::domain::role::{Actor, Role};
use crate::domain::ticket::{Kind, Status};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewLink {
    /// The incident's number.
    pub incident: String,
}

#[derive(Debug, Serialize)]
pub struct Links {
    pub problem: String,
    pub incidents: Vec<String>,
}

/// A linked ticket as the problem and incident pages list it.
#[derive(Debug, Clone, Serialize)]
pub struct LinkedTicket {
    pub number: String,
    pub title: String,
    pub status: Status,
}

/// `GET /tickets/{number}/links`: a problem's incidents, an incident's problems, each with its
/// status; tickets the viewer may not see are left out.
#[derive(Debug, Clone, Serialize)]
pub struct LinkedTickets {
    pub incidents: Vec<LinkedTicket>,
    pub problems: Vec<LinkedTicket>,
}

fn seen(conn: &mut DbConn, actor: &Actor, ids: Vec<String>) -> DeskResult<Vec<LinkedTicket>> {
    let mut out = Vec::new();
    for id in ids {
        let Some(row) = crate::db::tickets::by_id(conn, &id)? else { continue };
        let t = Ticket::load(conn, row)?;
        if actor.can_read(&t.scope()) {
            out.push(LinkedTicket { number: t.row.number.clone(), title: t.row.title.clone(), status: t.status });
        }
    }
    out.sort_by(|a, b| a.number.cmp(&b.number));
    Ok(out)
}

pub fn linked(conn: &mut DbConn, actor: &Actor, number: &str) -> DeskResult<LinkedTickets> {
    let ticket = visible_ticket(conn, actor, number)?;
    if !actor.role.is_staff() {
        return Err(DeskError::Forbidden("links between tickets are for staff".into()));
    }
    let incidents: Vec<String> = links_db::links_of(conn, &ticket.row.id)?
        .into_iter()
        .filter(|(_, k)| k == "incident")
        .map(|(id, _)| id)
        .collect();
    let problems = links_db::linked_from(conn, &ticket.row.id, "incident")?;
    Ok(LinkedTickets { incidents: seen(conn, actor, incidents)?, problems: seen(conn, actor, problems)? })
}

/// Unlinks an incident from a problem, audited on the problem; who may link may unlink.
pub fn unlink_incident(tx: &mut Tx, actor: &Actor, problem: &str, incident: &str) -> DeskResult<Links> {
    let problem = linkable_problem(tx, actor, problem)?;
    let number = incident.trim().to_uppercase();
    // An incident the actor may not see is not found here either.
    let removed = match visible_ticket(tx.conn, actor, &number) {
        Ok(t) => links_db::unlink_tickets(tx.conn, &problem.row.id, &t.row.id, "incident")?,
        Err(DeskError::NotFound { .. }) => 0,
        Err(other) => return Err(other),
    };
    if removed == 0 {
        return Err(DeskError::not_found("link to", &number));
    }
    tx.record(Some(&problem.row.id), Some(&actor.user_id), "ticket.unlinked", json!({ "incident": number }))?;
    incidents_of(tx, &problem.row.id, &problem.row.number)
}

/// The problem ticket a link changes, when the actor may change its links.
fn linkable_problem(tx: &mut Tx, actor: &Actor, number: &str) -> DeskResult<Ticket> {
    if !matches!(actor.role, Role::AgentT1 | Role::AgentT2 | Role::Supervisor | Role::Admin) {
        return Err(DeskError::Forbidden(format!("a {} may not link tickets", actor.role)));
    }
    let problem = visible_ticket_for_update(tx.conn, actor, number)?;
    if problem.row.kind != Kind::Problem.as_str() {
        return Err(DeskError::invalid("number", format!("{} is not a problem ticket", problem.row.number)));
    }
    if !actor.can_write_messages(&problem.scope(), true) {
        return Err(DeskError::not_found("ticket", &problem.row.number));
    }
    Ok(problem)
}

/// Links an incident to a problem, audited on the problem. Staff who may work both tickets
/// only: a tier-1 agent links within its unit, as everywhere else.
pub fn link_incident(tx: &mut Tx, actor: &Actor, problem: &str, input: NewLink) -> DeskResult<Links> {
    let problem = linkable_problem(tx, actor, problem)?;
    let number = input.incident.trim().to_uppercase();
    let incident = visible_ticket_for_update(tx.conn, actor, &number).map_err(|e| match e {
        DeskError::NotFound { .. } => DeskError::invalid("incident", format!("no ticket {number} that you can see")),
        other => other,
    })?;
    if !actor.can_write_messages(&incident.scope(), true) {
        return Err(DeskError::invalid("incident", format!("you may not work on {number}")));
    }
    if incident.row.kind != Kind::Incident.as_str() {
        return Err(DeskError::invalid("incident", format!("{number} is not an incident")));
    }
    let existing = links_db::links_of(tx.conn, &problem.row.id)?;
    if !existing.iter().any(|(id, kind)| id == &incident.row.id && kind == "incident") {
        links_db::link_tickets(tx.conn, &problem.row.id, &incident.row.id, "incident", tx.now.naive_utc())?;
        tx.record(Some(&problem.row.id), Some(&actor.user_id), "ticket.linked", json!({ "incident": number }))?;
    }
    incidents_of(tx, &problem.row.id, &problem.row.number)
}

fn incidents_of(tx: &mut Tx, problem_id: &str, number: &str) -> DeskResult<Links> {
    let mut incidents = Vec::new();
    for (id, kind) in links_db::links_of(tx.conn, problem_id)? {
        if kind == "incident" {
            if let Some(t) = crate::db::tickets::by_id(tx.conn, &id)? {
                incidents.push(t.number);
            }
        }
    }
    incidents.sort();
    Ok(Links { problem: number.to_string(), incidents })
}

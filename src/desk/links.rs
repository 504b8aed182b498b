//! Problems and their incidents (SPEC 2: a `problem` ticket can link many incidents).

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::tickets::visible_ticket_for_update;
use super::{DeskError, DeskResult, Tx};
use crate::db::mail as links_db;
use crate::domain::role::{Actor, Role};
use crate::domain::ticket::Kind;

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

/// Links an incident to a problem, audited on the problem. Staff who may work both tickets
/// only: a tier-1 agent links within its unit, as everywhere else.
pub fn link_incident(tx: &mut Tx, actor: &Actor, problem: &str, input: NewLink) -> DeskResult<Links> {
    if !matches!(actor.role, Role::AgentT1 | Role::AgentT2 | Role::Supervisor | Role::Admin) {
        return Err(DeskError::Forbidden(format!("a {} may not link tickets", actor.role)));
    }
    let problem = visible_ticket_for_update(tx.conn, actor, problem)?;
    if problem.row.kind != Kind::Problem.as_str() {
        return Err(DeskError::invalid("number", format!("{} is not a problem ticket", problem.row.number)));
    }
    if !actor.can_write_messages(&problem.scope(), true) {
        return Err(DeskError::not_found("ticket", &problem.row.number));
    }
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

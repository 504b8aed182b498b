//! The back-fill of `ticket_history` for tickets older than it (issue 17): their unit, tier,
//! priority, status and assignee over time, replayed from the audit events, so that reports of
//! periods before the history began still read the facts as they then stood as nearly as the
//! log allows.
//!
//! The replay starts from what `ticket.created` recorded and applies each event's own words
//! (`to_status`, `to_unit`, `to_priority`, `to`, escalation and return). What the events do
//! not carry (the due times, the paused seconds, the first response) is taken from the ticket
//! as it is now; the last span is the ticket now, exactly. Runs at start-up after the
//! migrations; tickets written since have their history from the triggers and are skipped. The
//! spans of one ticket are computed from its events alone, so two processes starting at once
//! write the same rows and the second write is ignored.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::Connection;
use serde_json::Value;

use super::{DeskError, DeskResult};
use crate::db::catalog as catalog_db;
use crate::db::events;
use crate::db::ticket_history::{self as db, HistoryRow};
use crate::db::tickets::{self as tickets_db, TicketRow};
use crate::db::DbConn;

const PAGE: i64 = 200;

/// Reconstructs the history of every ticket that has none, once per database; returns how
/// many.
pub fn backfill(conn: &mut DbConn, now: DateTime<Utc>) -> DeskResult<i64> {
    if db::backfill_done(conn)? {
        return Ok(0);
    }
    let mut names = Names::default();
    let mut done = 0;
    let mut after = String::new();
    loop {
        let ids = db::tickets_without_history(conn, &after, PAGE)?;
        let Some(last) = ids.last() else { break };
        after = last.clone();
        conn.transaction::<_, DeskError, _>(|conn| {
            for id in &ids {
                let Some(ticket) = tickets_db::by_id(conn, id)? else { continue };
                let events = events::for_ticket(conn, id)?;
                let changes: Vec<Change> = events
                    .iter()
                    .map(|e| Change {
                        kind: e.kind.clone(),
                        data: serde_json::from_str(&e.data).unwrap_or(Value::Null),
                        at: e.created_at,
                    })
                    .collect();
                let spans = replay(&ticket, &changes, &mut |lookup| names.resolve(conn, lookup))?;
                db::insert_spans(conn, &spans)?;
            }
            Ok(())
        })?;
        done += ids.len() as i64;
    }
    db::record_backfill(conn, now.naive_utc(), done)?;
    Ok(done)
}

/// One audit event of a ticket, as the replay reads it.
#[derive(Debug, Clone)]
pub struct Change {
    pub kind: String,
    pub data: Value,
    pub at: NaiveDateTime,
}

/// A name in an event that the replay needs as an id.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Lookup {
    Unit(String),
    User(String),
}

#[derive(Default)]
struct Names(HashMap<Lookup, Option<String>>);

impl Names {
    fn resolve(&mut self, conn: &mut DbConn, lookup: Lookup) -> DeskResult<Option<String>> {
        if let Some(id) = self.0.get(&lookup) {
            return Ok(id.clone());
        }
        let id = match &lookup {
            Lookup::Unit(code) => catalog_db::unit_by_code(conn, code)?.map(|u| u.id),
            Lookup::User(name) => catalog_db::user_by_username(conn, name)?.map(|u| u.id),
        };
        self.0.insert(lookup, id.clone());
        Ok(id)
    }
}

const ACTIVE: [&str; 3] = ["new", "open", "pending"];

/// The spans of `ticket`'s facts, from its creation to now, replayed from `changes` (its
/// events in order). A name that no longer resolves (a unit renamed since) keeps the fact as
/// it was.
pub fn replay(
    ticket: &TicketRow,
    changes: &[Change],
    resolve: &mut dyn FnMut(Lookup) -> DeskResult<Option<String>>,
) -> DeskResult<Vec<HistoryRow>> {
    let mut facts = span_of(ticket, ticket.created_at);
    // Until an event says otherwise, a ticket starts new, at tier 1, unassigned, in the unit
    // and at the priority `ticket.created` names.
    facts.tier = 1;
    facts.escalated = false;
    facts.assignee_id = None;
    facts.resolved_at = None;
    facts.closed_at = None;
    facts.pending_since = None;
    facts.status = changes
        .iter()
        .find_map(|c| c.data.get("from_status").and_then(Value::as_str).map(str::to_string))
        .unwrap_or_else(|| ticket.status.clone());
    facts.active = ACTIVE.contains(&facts.status.as_str());
    let mut tier1_assignee: Option<String> = None;
    let mut spans: Vec<HistoryRow> = Vec::new();
    push(&mut spans, facts.clone(), ticket.created_at);
    for change in changes {
        let text = |key: &str| change.data.get(key).and_then(Value::as_str).map(str::to_string);
        let before = facts.clone();
        match change.kind.as_str() {
            "ticket.created" => {
                if let Some(id) = text("unit").map(Lookup::Unit).map(&mut *resolve).transpose()?.flatten() {
                    facts.unit_id = id;
                }
                if let Some(p) = text("priority") {
                    facts.priority = p;
                }
                if let Some(t) = change.data.get("tier").and_then(Value::as_i64) {
                    facts.tier = t as i32;
                }
            }
            "ticket.transferred" => {
                if let Some(id) = text("to_unit").map(Lookup::Unit).map(&mut *resolve).transpose()?.flatten() {
                    facts.unit_id = id;
                }
                facts.assignee_id = None;
                tier1_assignee = None;
            }
            "ticket.priority_changed" => {
                if let Some(p) = text("to_priority") {
                    facts.priority = p;
                }
            }
            "ticket.escalated" => {
                facts.tier = 2;
                facts.escalated = true;
                tier1_assignee = facts.assignee_id.take();
            }
            "ticket.returned" => {
                facts.tier = 1;
                facts.assignee_id = tier1_assignee.take();
            }
            "ticket.assigned" | "ticket.started" => {
                if let Some(id) = text("to").map(Lookup::User).map(&mut *resolve).transpose()?.flatten() {
                    facts.assignee_id = Some(id);
                }
            }
            "ticket.unassigned" => facts.assignee_id = None,
            // A requester's reply reopens a resolved ticket or resumes a pending one (SPEC 2).
            "message.added" if change.data["reopened"] == true || change.data["resumed"] == true => {
                if change.data["reopened"] == true {
                    facts.resolved_at = None;
                }
                facts.pending_since = None;
                facts.status = "open".into();
                facts.active = true;
            }
            _ => {}
        }
        if let Some(status) = text("to_status") {
            match change.kind.as_str() {
                "ticket.resolved" => facts.resolved_at = Some(change.at),
                "ticket.reopened" => facts.resolved_at = None,
                "ticket.closed" | "ticket.cancelled" => facts.closed_at = Some(change.at),
                _ => {}
            }
            facts.pending_since = if status == "pending" { facts.pending_since.or(Some(change.at)) } else { None };
            facts.active = ACTIVE.contains(&status.as_str());
            facts.status = status;
        }
        if facts != before {
            push(&mut spans, facts.clone(), change.at);
        }
    }
    // The ticket as it is now ends the history exactly, whatever the replay missed.
    if let Some(last) = spans.last_mut() {
        *last = span_of(ticket, last.valid_from);
    }
    Ok(spans)
}

/// Adds a span starting at `at`, closing the one before; two at one instant keep the later.
fn push(spans: &mut Vec<HistoryRow>, mut facts: HistoryRow, at: NaiveDateTime) {
    if spans.last().is_some_and(|s| s.valid_from >= at) {
        spans.pop();
    }
    if let Some(previous) = spans.last_mut() {
        previous.valid_to = Some(at);
    }
    facts.valid_from = at;
    facts.valid_to = None;
    spans.push(facts);
}

/// The ticket's current facts as a span starting at `from`.
fn span_of(t: &TicketRow, from: NaiveDateTime) -> HistoryRow {
    HistoryRow {
        ticket_id: t.id.clone(),
        valid_from: from,
        valid_to: None,
        created_at: t.created_at,
        channel: t.channel.clone(),
        unit_id: t.unit_id.clone(),
        service_id: t.service_id.clone(),
        kind: t.kind.clone(),
        tier: t.tier,
        status: t.status.clone(),
        active: t.active,
        priority: t.priority.clone(),
        classification: t.classification.clone(),
        security_incident: t.security_incident,
        assignee_id: t.assignee_id.clone(),
        escalated: t.escalated,
        first_response_at: t.first_response_at,
        first_response_due: t.first_response_due,
        resolution_due: t.resolution_due,
        pending_since: t.pending_since,
        paused_seconds: t.paused_seconds,
        resolved_at: t.resolved_at,
        closed_at: t.closed_at,
        backfilled: true,
    }
}

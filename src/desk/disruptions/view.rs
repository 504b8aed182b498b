//! What staff and the public see of a disruption: its phase, its state in words, its
//! duration and updates; the problem's number only for those who may see that ticket.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use crate::db::catalog as catalog_db;
use crate::db::disruptions::{self as db, DisruptionRow, UpdateRow};
use crate::db::tickets as tickets_db;
use crate::desk::view::utc;
use crate::desk::{DeskError, DeskResult};
use crate::domain::disruption::{effective_end, is_current, DisruptionState, ServiceState};
use crate::domain::role::Actor;

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

/// Whether it never affected anything: a window called off before it began.
pub fn called_off(row: &DisruptionRow) -> bool {
    end_of(row).is_some_and(|e| e <= row.starts_at)
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

pub fn state_of(row: &DisruptionRow) -> DisruptionState {
    DisruptionState::parse(&row.state).unwrap_or(DisruptionState::MajorOutage)
}

pub fn end_of(row: &DisruptionRow) -> Option<chrono::NaiveDateTime> {
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
        // When it ended: as staff ended it, or a maintenance window that ran out on its own.
        ended_at: end_of(row).filter(|e| *e <= now.naive_utc()).map(utc),
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

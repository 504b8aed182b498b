//! The public status page: every active service by unit with its state, the current and
//! announced disruptions, and 90 days of history with an uptime figure per service.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use super::{end_of, state_of, view_of, DisruptionView};
use crate::db::catalog as catalog_db;
use crate::db::disruptions as db;
use crate::db::DbConn;
use crate::desk::{DeskError, DeskResult};
use crate::domain::disruption::{seconds_within, uptime_percent, DisruptionState, ServiceState};

/// The history the page shows and the uptime figure covers.
pub const WINDOW_DAYS: i64 = 90;

#[derive(Debug, Clone, Serialize)]
pub struct ServiceStatus {
    pub code: String,
    pub name: String,
    pub state: String,
    pub state_label: String,
    /// The disruption behind the state, when not normal.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disruption: Option<String>,
    pub uptime_90d: f64,
    pub disruptions_90d: usize,
    pub downtime_minutes_90d: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct UnitStatus {
    pub code: String,
    pub name: String,
    pub services: Vec<ServiceStatus>,
}

#[derive(Debug, Clone, Serialize)]
pub struct StatusPage {
    pub generated_at: DateTime<Utc>,
    pub window_days: i64,
    /// `normal` when every service is.
    pub overall: String,
    pub current: Vec<DisruptionView>,
    pub scheduled: Vec<DisruptionView>,
    pub units: Vec<UnitStatus>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ServiceHistory {
    pub code: String,
    pub name: String,
    pub unit: String,
    pub state: String,
    pub state_label: String,
    pub uptime_90d: f64,
    pub window_days: i64,
    pub disruptions: Vec<DisruptionView>,
}

/// Outage seconds and count per service within the window, from ended and running outages.
fn outage_totals(
    conn: &mut DbConn,
    open: &[db::DisruptionRow],
    from: DateTime<Utc>,
    now: DateTime<Utc>,
) -> DeskResult<HashMap<String, (i64, usize)>> {
    let (from, to) = (from.naive_utc(), now.naive_utc());
    let mut totals: HashMap<String, (i64, usize)> = HashMap::new();
    let running = open
        .iter()
        .filter(|d| state_of(d) != DisruptionState::Maintenance && d.starts_at <= to)
        .map(|d| (d.service_id.clone(), d.starts_at, None));
    let spans = db::outage_spans_ended_since(conn, from)?
        .into_iter()
        .filter(|(_, starts, ended)| ended.is_none_or(|e| e > *starts));
    for (service, starts, ended) in spans.chain(running) {
        let entry = totals.entry(service).or_default();
        entry.0 += seconds_within(starts, ended, from, to);
        entry.1 += 1;
    }
    Ok(totals)
}

/// The state a service shows: the worst of its current disruptions.
fn worst_current<'a>(
    service_id: &str,
    current: &'a [db::DisruptionRow],
) -> Option<(&'a db::DisruptionRow, ServiceState)> {
    current
        .iter()
        .filter(|d| d.service_id == service_id)
        .map(|d| (d, ServiceState::from(state_of(d))))
        .max_by_key(|(_, s)| s.severity())
}

/// The whole page. `language` picks the state labels (`id` or `en`).
pub fn page(conn: &mut DbConn, now: DateTime<Utc>, language: &str) -> DeskResult<StatusPage> {
    let window = Duration::days(WINDOW_DAYS);
    let open = db::open(conn)?;
    let (current, scheduled): (Vec<_>, Vec<_>) = open
        .iter()
        .filter(|d| end_of(d).is_none_or(|e| e > now.naive_utc()))
        .cloned()
        .partition(|d| d.starts_at <= now.naive_utc());
    let totals = outage_totals(conn, &open, now - window, now)?;
    let units = catalog_db::list_units(conn)?;
    let services = catalog_db::list_services(conn, None)?;
    let mut by_unit: Vec<UnitStatus> = Vec::new();
    let mut overall = ServiceState::Normal;
    for unit in units.iter().filter(|u| u.active) {
        let mut list = Vec::new();
        for service in services.iter().filter(|s| s.active && s.unit_id == unit.id) {
            let worst = worst_current(&service.id, &current);
            let state = worst.map(|(_, s)| s).unwrap_or(ServiceState::Normal);
            if state.severity() > overall.severity() {
                overall = state;
            }
            let (down, count) = totals.get(&service.id).copied().unwrap_or((0, 0));
            list.push(ServiceStatus {
                code: service.code.clone(),
                name: service.name.clone(),
                state: state.as_str().into(),
                state_label: state.label(language).into(),
                disruption: worst.map(|(d, _)| d.id.clone()),
                uptime_90d: uptime_percent(down, window),
                disruptions_90d: count,
                downtime_minutes_90d: down / 60,
            });
        }
        if !list.is_empty() {
            by_unit.push(UnitStatus { code: unit.code.clone(), name: unit.name.clone(), services: list });
        }
    }
    let ids: Vec<String> = current.iter().chain(&scheduled).map(|d| d.id.clone()).collect();
    let updates = db::updates_of(conn, &ids)?;
    let public = |conn: &mut DbConn, rows: &[db::DisruptionRow]| -> DeskResult<Vec<DisruptionView>> {
        rows.iter()
            .map(|row| {
                let mine = updates.iter().filter(|u| u.disruption_id == row.id).cloned().collect();
                view_of(conn, row, mine, None, language, now)
            })
            .collect()
    };
    Ok(StatusPage {
        generated_at: now,
        window_days: WINDOW_DAYS,
        overall: overall.as_str().into(),
        current: public(conn, &current)?,
        scheduled: public(conn, &scheduled)?,
        units: by_unit,
    })
}

/// One service's 90 days: every disruption with its updates and duration.
pub fn service_history(
    conn: &mut DbConn,
    code: &str,
    now: DateTime<Utc>,
    language: &str,
) -> DeskResult<ServiceHistory> {
    let service = catalog_db::service_by_code(conn, code)?
        .filter(|s| s.active)
        .ok_or_else(|| DeskError::not_found("service", code))?;
    let unit = catalog_db::unit_by_id(conn, &service.unit_id)?.map(|u| u.code).unwrap_or_default();
    let window = Duration::days(WINDOW_DAYS);
    let rows: Vec<_> = db::of_service_since(conn, &service.id, (now - window).naive_utc())?
        .into_iter()
        .filter(|d| end_of(d).is_none_or(|e| e >= (now - window).naive_utc()))
        .filter(|d| !super::view::called_off(d))
        .collect();
    let ids: Vec<String> = rows.iter().map(|d| d.id.clone()).collect();
    let updates = db::updates_of(conn, &ids)?;
    let from = (now - window).naive_utc();
    let mut down = 0;
    let mut worst = ServiceState::Normal;
    let mut disruptions = Vec::with_capacity(rows.len());
    for row in &rows {
        let end = end_of(row);
        let state = state_of(row);
        if state != DisruptionState::Maintenance && row.starts_at <= now.naive_utc() {
            down += seconds_within(row.starts_at, row.ended_at, from, now.naive_utc());
        }
        let is_now = crate::domain::disruption::is_current(row.starts_at, end, now.naive_utc());
        if is_now && ServiceState::from(state).severity() > worst.severity() {
            worst = ServiceState::from(state);
        }
        let mine = updates.iter().filter(|u| u.disruption_id == row.id).cloned().collect();
        disruptions.push(view_of(conn, row, mine, None, language, now)?);
    }
    Ok(ServiceHistory {
        code: service.code,
        name: service.name,
        unit,
        state: worst.as_str().into(),
        state_label: worst.label(language).into(),
        uptime_90d: uptime_percent(down, window),
        window_days: WINDOW_DAYS,
        disruptions,
    })
}

/// One public update as the Atom feed carries it.
#[derive(Debug, Clone)]
pub struct FeedItem {
    pub update_id: String,
    pub service: String,
    pub service_name: String,
    pub state_label: String,
    pub title: String,
    pub body: String,
    pub at: DateTime<Utc>,
}

/// The newest public updates, newest first (Bahasa Indonesia labels: the updates are written
/// in it). Announced maintenance is news too; everything here is public.
pub fn recent_updates(conn: &mut DbConn, limit: i64) -> DeskResult<Vec<FeedItem>> {
    let mut services: HashMap<String, (String, String)> = HashMap::new();
    let mut items = Vec::new();
    for (update, disruption) in db::recent_updates(conn, limit)? {
        if !services.contains_key(&disruption.service_id) {
            let s = catalog_db::service_by_id(conn, &disruption.service_id)?
                .ok_or_else(|| DeskError::Internal("disruption of a missing service".into()))?;
            services.insert(disruption.service_id.clone(), (s.code, s.name));
        }
        let (code, name) = services[&disruption.service_id].clone();
        let state = update.state.as_deref().and_then(DisruptionState::parse).unwrap_or_else(|| state_of(&disruption));
        items.push(FeedItem {
            update_id: update.id,
            service: code,
            service_name: name,
            state_label: ServiceState::from(state).label("id").into(),
            title: disruption.title,
            body: update.body,
            at: crate::desk::view::utc(update.created_at),
        });
    }
    Ok(items)
}

/// The outages going on now, for the portal's notice (lighter than the whole page).
pub fn current_outages(conn: &mut DbConn, now: DateTime<Utc>, language: &str) -> DeskResult<Vec<DisruptionView>> {
    let rows: Vec<_> = db::open(conn)?
        .into_iter()
        .filter(|d| state_of(d) != DisruptionState::Maintenance)
        .filter(|d| crate::domain::disruption::is_current(d.starts_at, end_of(d), now.naive_utc()))
        .collect();
    rows.iter().map(|row| view_of(conn, row, Vec::new(), None, language, now)).collect()
}

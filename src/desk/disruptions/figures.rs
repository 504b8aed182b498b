//! Disruptions in numbers, for the periodic report (SPEC 8 section 7) and the supervisor's
//! dashboard: per service, how many, how long down, how long in maintenance, and how many
//! tickets were linked to their problems. The status page's uptime sums the same spans.

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, Utc};

use super::{end_of, state_of};
use crate::db::catalog as catalog_db;
use crate::db::disruptions as db;
use crate::db::mail as links_db;
use crate::db::DbConn;
use crate::desk::DeskResult;
use crate::domain::disruption::{seconds_within, DisruptionState, ServiceDisruptions};

/// Per service of `unit_id` (or every unit), the disruptions that overlap `[from, to)`, their
/// time clipped to it, worst first. `to` is the period's end or, for a period still running,
/// the moment of the report, so a past period always gives the same figures.
pub fn per_service(
    conn: &mut DbConn,
    unit_id: Option<&str>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> DeskResult<Vec<ServiceDisruptions>> {
    let (from, to) = (from.naive_utc(), to.naive_utc());
    let mut by_service: BTreeMap<String, (ServiceDisruptions, HashSet<String>)> = BTreeMap::new();
    for row in db::overlapping(conn, from, to)? {
        let end = end_of(&row);
        // Declared after `to` (a past outage recorded late): not part of a report already made.
        if row.starts_at >= to
            || row.created_at >= to
            || end.is_some_and(|e| e <= from)
            || super::view::called_off(&row)
        {
            continue;
        }
        let Some(service) = catalog_db::service_by_id(conn, &row.service_id)? else { continue };
        if unit_id.is_some_and(|u| u != service.unit_id) {
            continue;
        }
        if !by_service.contains_key(&service.id) {
            let unit = catalog_db::unit_by_id(conn, &service.unit_id)?.map(|u| u.code).unwrap_or_default();
            let figures = ServiceDisruptions {
                service: service.code.clone(),
                name: service.name.clone(),
                unit,
                disruptions: 0,
                outage_minutes: 0,
                maintenance_minutes: 0,
                linked_tickets: 0,
            };
            by_service.insert(service.id.clone(), (figures, HashSet::new()));
        }
        let Some((figures, linked)) = by_service.get_mut(&service.id) else { continue };
        figures.disruptions += 1;
        let minutes = seconds_within(row.starts_at, end, from, to) / 60;
        if state_of(&row) == DisruptionState::Maintenance {
            figures.maintenance_minutes += minutes;
        } else {
            figures.outage_minutes += minutes;
        }
        if let Some(problem) = &row.problem_ticket_id {
            linked.extend(links_db::incidents_linked_before(conn, problem, to)?);
        }
    }
    let mut list: Vec<ServiceDisruptions> = by_service
        .into_values()
        .map(|(mut figures, linked)| {
            figures.linked_tickets = linked.len() as i64;
            figures
        })
        .collect();
    list.sort_by(|a, b| b.outage_minutes.cmp(&a.outage_minutes).then_with(|| a.service.cmp(&b.service)));
    Ok(list)
}

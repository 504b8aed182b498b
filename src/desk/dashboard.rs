//! The supervisor dashboard (SPEC 7): backlog, open breaches, this month's resolution SLA
//! compliance and escalation rate per unit, and the tickets nearing breach across the city.
//! Supervisors and admins see every unit; a unit head sees their own.

use chrono::{Datelike, Duration, TimeZone};

use super::view::{self, Ticket, TicketView};
use super::{Desk, DeskError, DeskResult};
use crate::db::{catalog, dashboard as db, tickets as tickets_db, DbConn};
use crate::domain::role::{Actor, Role};

/// How far ahead "nearing breach" looks.
pub const NEARING_HOURS: i64 = 8;

#[derive(Debug, Clone, Default)]
pub struct UnitLine {
    pub code: String,
    pub name: String,
    pub backlog: i64,
    pub breaches: i64,
    pub opened: i64,
    pub escalated: i64,
    pub resolved: i64,
    pub resolved_in_time: i64,
}

impl UnitLine {
    /// Resolution compliance this month, in whole percent; none when nothing was resolved.
    pub fn compliance(&self) -> Option<i64> {
        (self.resolved > 0).then(|| (100 * self.resolved_in_time + self.resolved / 2) / self.resolved)
    }

    pub fn escalation_rate(&self) -> Option<i64> {
        (self.opened > 0).then(|| (100 * self.escalated + self.opened / 2) / self.opened)
    }
}

pub struct Dashboard {
    pub units: Vec<UnitLine>,
    pub total: UnitLine,
    pub nearing: Vec<TicketView>,
    /// The first instant of this month in the city's zone.
    pub month_start: chrono::DateTime<chrono::Utc>,
    /// From November: the coming year and the calendars that have no holiday in it.
    pub holidays_missing: Option<(i32, Vec<String>)>,
    /// This month's disruptions per service (the unit's own for a unit head).
    pub disruptions: Vec<crate::domain::disruption::ServiceDisruptions>,
}

pub fn build(desk: &Desk, conn: &mut DbConn, actor: &Actor) -> DeskResult<Dashboard> {
    let only_unit = match actor.role {
        Role::Supervisor | Role::Admin => None,
        Role::UnitHead => Some(actor.unit_id.clone().ok_or_else(|| DeskError::Forbidden("no unit".into()))?),
        _ => return Err(DeskError::Forbidden("the dashboard is for supervisors and unit heads".into())),
    };
    let now = desk.now();
    let local = now.with_timezone(&desk.zone);
    let month_start = desk
        .zone
        .with_ymd_and_hms(local.year(), local.month(), 1, 0, 0, 0)
        .earliest()
        .map_or(now, |t| t.with_timezone(&chrono::Utc));
    let mut units: Vec<UnitLine> = catalog::list_units(conn)?
        .into_iter()
        .filter(|u| only_unit.as_deref().is_none_or(|id| id == u.id))
        .map(|u| UnitLine { code: u.code, name: u.name, ..UnitLine::default() })
        .collect();
    let ids: std::collections::HashMap<String, usize> = {
        let rows = catalog::list_units(conn)?;
        rows.into_iter().filter_map(|u| units.iter().position(|l| l.code == u.code).map(|i| (u.id, i))).collect()
    };
    for f in db::backlog(conn, now)? {
        if let Some(&i) = ids.get(&f.unit_id) {
            units[i].backlog = f.a;
            units[i].breaches = f.b;
        }
    }
    for f in db::opened_since(conn, month_start)? {
        if let Some(&i) = ids.get(&f.unit_id) {
            units[i].opened = f.a;
            units[i].escalated = f.b;
        }
    }
    for f in db::resolved_since(conn, month_start)? {
        if let Some(&i) = ids.get(&f.unit_id) {
            units[i].resolved = f.a;
            units[i].resolved_in_time = f.b;
        }
    }
    let total = units.iter().fold(UnitLine::default(), |t, u| UnitLine {
        backlog: t.backlog + u.backlog,
        breaches: t.breaches + u.breaches,
        opened: t.opened + u.opened,
        escalated: t.escalated + u.escalated,
        resolved: t.resolved + u.resolved,
        resolved_in_time: t.resolved_in_time + u.resolved_in_time,
        ..t
    });
    let with_confidential = only_unit.is_none();
    let numbers = db::nearing_breach(
        conn,
        now,
        now + Duration::hours(NEARING_HOURS),
        only_unit.as_deref(),
        with_confidential,
        15,
    )?;
    let mut nearing = Vec::with_capacity(numbers.len());
    for n in numbers {
        if let Some(row) = tickets_db::by_number(conn, &n.number)? {
            let ticket = Ticket::load(conn, row)?;
            if actor.can_read(&ticket.scope()) {
                nearing.push(view::ticket_view(desk, conn, &ticket, Some(actor), false)?);
            }
        }
    }
    let holidays_missing = super::holidays::missing_next_year(desk);
    let disruptions = super::disruptions::figures::per_service(conn, only_unit.as_deref(), month_start, now)?;
    Ok(Dashboard { units, total, nearing, month_start, holidays_missing, disruptions })
}

//! Computing a report (SPEC section 8): who may read which, and the figures from the
//! database's aggregates plus the business-time arithmetic of the SLA calendars.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Offset, TimeZone, Utc};

use super::{Desk, DeskError, DeskResult};
use crate::db::catalog::{self as catalog_db, UnitRow};
use crate::db::reports::{self as q, Window};
use crate::db::DbConn;
use crate::domain::report::stats::{mean_rating, percent};
use crate::domain::report::{
    Agent, Breaches, Counted, Csat, Durations, Incident, KindChannel, Outcomes, Period, PeriodInfo, PrioritySla,
    Problem, Report, Scope, Sla, TargetFigures, Tiers, Volume, AGE_BUCKETS,
};
use crate::domain::role::{Actor, Role};
use crate::domain::ticket::Priority;

/// Whose report, as decided by [`authorize`].
#[derive(Debug, Clone)]
pub struct Audience {
    /// `None`: the whole city.
    pub unit: Option<UnitRow>,
    /// SPEC 8.8: per-agent figures only for supervisors and unit heads (and the scheduled
    /// reports, which go to them).
    pub with_agents: bool,
    /// Confidential tickets in the lists (security incidents, problems): for readers who may
    /// see them everywhere (tier 2, supervisors, admins).
    pub with_confidential: bool,
}

/// Decides which report `actor` may read for `unit` (a unit code, `all`, or none for the
/// actor's own scope). Supervisors and admins read every unit and the city; a unit head or
/// agent reads its own unit only.
pub fn authorize(conn: &mut DbConn, actor: &Actor, unit: Option<&str>) -> DeskResult<Audience> {
    let requested = match unit.map(str::trim).filter(|u| !u.is_empty()) {
        None => None,
        Some(code) if code.eq_ignore_ascii_case("all") => Some(None),
        Some(code) => Some(Some(
            catalog_db::unit_by_code(conn, code)?
                .ok_or_else(|| DeskError::invalid("unit", format!("no unit with code {code}")))?,
        )),
    };
    match actor.role {
        Role::Supervisor | Role::Admin => Ok(Audience {
            unit: requested.unwrap_or(None),
            with_agents: actor.role == Role::Supervisor,
            with_confidential: true,
        }),
        Role::UnitHead | Role::AgentT1 | Role::AgentT2 => {
            let own = match &actor.unit_id {
                Some(id) => catalog_db::unit_by_id(conn, id)?,
                None => None,
            }
            .ok_or_else(|| DeskError::Forbidden("you belong to no unit".into()))?;
            match requested {
                None => {}
                Some(Some(unit)) if unit.id == own.id => {}
                Some(_) => {
                    return Err(DeskError::Forbidden(format!(
                        "a {} reads the reports of {} only",
                        actor.role, own.code
                    )))
                }
            }
            Ok(Audience {
                unit: Some(own),
                with_agents: actor.role == Role::UnitHead,
                with_confidential: actor.role == Role::AgentT2,
            })
        }
        Role::Requester => Err(DeskError::Forbidden("reports are for staff".into())),
    }
}

/// The audience of an archived report: per-agent figures included (it goes to supervisors and
/// unit heads); confidential tickets listed only in the city-wide one (Diskominfo's).
pub fn audience_of(conn: &mut DbConn, unit: Option<&str>) -> DeskResult<Audience> {
    let unit = match unit {
        None => None,
        Some(code) => Some(
            catalog_db::unit_by_code(conn, code)?
                .ok_or_else(|| DeskError::invalid("unit", format!("no unit with code {code}")))?,
        ),
    };
    let with_confidential = unit.is_none();
    Ok(Audience { unit, with_agents: true, with_confidential })
}

fn utc(t: chrono::NaiveDateTime) -> DateTime<Utc> {
    t.and_utc()
}

/// What the queries of `audience`'s report over `period` cover, judged at the period's end (or
/// now, while it runs).
pub fn window(desk: &Desk, audience: &Audience, period: &Period) -> Window {
    let (start, end) = period.bounds(desk.zone);
    Window {
        unit_id: audience.unit.as_ref().map(|u| u.id.clone()),
        with_confidential: audience.with_confidential,
        start,
        end,
        as_of: end.min(desk.now()).max(start),
        utc_offset_seconds: desk.zone.offset_from_utc_datetime(&start.naive_utc()).fix().local_minus_utc(),
    }
}

/// Computes the report of `audience` over `period`, every query in one read transaction (a
/// repeatable-read snapshot on PostgreSQL), so its tables agree with each other.
pub fn compute(desk: &Desk, conn: &mut DbConn, audience: &Audience, period: &Period) -> DeskResult<Report> {
    use diesel::connection::{Connection, SimpleConnection};
    conn.transaction::<_, DeskError, _>(|conn| {
        if let DbConn::Pg(_) = conn {
            conn.batch_execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")?;
        }
        compute_in(desk, conn, audience, period)
    })
}

fn compute_in(desk: &Desk, conn: &mut DbConn, audience: &Audience, period: &Period) -> DeskResult<Report> {
    let zone = desk.zone;
    let w = window(desk, audience, period);
    let (start, end, as_of) = (w.start, w.end, w.as_of);
    let scope = match &audience.unit {
        Some(u) => Scope { code: u.code.clone(), name: u.name.clone() },
        None => Scope { code: "all".into(), name: "Seluruh Perangkat Daerah".into() },
    };

    // Lists are sorted here, not by the databases, whose collations differ.
    let mut by_kind_channel: Vec<KindChannel> = q::by_kind_channel(conn, &w)?
        .into_iter()
        .map(|g| KindChannel { kind: g.a, channel: g.b, count: g.n })
        .collect();
    by_kind_channel.sort_by(|x, y| (&x.kind, &x.channel).cmp(&(&y.kind, &y.channel)));
    let total = by_kind_channel.iter().map(|k| k.count).sum();
    let counted = |rows: Vec<q::Grouped>| -> Vec<Counted> {
        let mut items: Vec<Counted> = rows
            .into_iter()
            .map(|g| {
                let label = if g.a.is_empty() { "(tanpa layanan)".to_string() } else { g.b };
                Counted { key: g.a, label, count: g.n }
            })
            .collect();
        items.sort_by(|x, y| y.count.cmp(&x.count).then_with(|| x.key.cmp(&y.key)));
        items
    };
    let by_service = counted(q::by_service(conn, &w, None)?);
    let mut top_services = counted(q::by_service(conn, &w, Some("incident"))?);
    top_services.truncate(10);
    let days: HashMap<String, i64> = q::per_day(conn, &w)?.into_iter().map(|g| (g.a, g.n)).collect();
    let per_day = period
        .days_in()
        .map(|d| {
            let key = d.to_string();
            let count = days.get(&key).copied().unwrap_or(0);
            Counted { label: key.clone(), key, count }
        })
        .collect();

    let finished: HashMap<String, i64> = q::finished(conn, &w)?.into_iter().map(|g| (g.a, g.n)).collect();
    let backlog_rows = q::backlog(conn, &w)?;
    let mut by_age: HashMap<&str, i64> = HashMap::new();
    let mut open_assigned: HashMap<String, i64> = HashMap::new();
    for row in &backlog_rows {
        *by_age.entry(row.a.as_str()).or_default() += row.n;
        if !row.b.is_empty() {
            *open_assigned.entry(row.b.clone()).or_default() += row.n;
        }
    }
    let outcomes = Outcomes {
        resolved: q::resolved(conn, &w)?,
        closed: finished.get("closed").copied().unwrap_or(0),
        cancelled: finished.get("cancelled").copied().unwrap_or(0),
        backlog: backlog_rows.iter().map(|r| r.n).sum(),
        backlog_by_age: AGE_BUCKETS
            .iter()
            .map(|(key, label)| Counted {
                key: (*key).into(),
                label: (*label).into(),
                count: by_age.get(key).copied().unwrap_or(0),
            })
            .collect(),
    };

    let sla = sla_figures(desk, conn, &w)?;
    let tiers = tier_figures(desk, conn, &w, total)?;
    let security_incidents = q::security_incidents(conn, &w)?
        .into_iter()
        .map(|r| {
            use crate::domain::incident::{Clock, NoticeClock};
            // Figures as of the period's end, so that a past period keeps its numbers.
            let as_of = |at: Option<chrono::NaiveDateTime>| at.map(utc).filter(|t| *t <= w.as_of);
            let notice = Clock {
                which: NoticeClock::IncidentNotice,
                flagged_at: r.security_flagged_at.map_or(utc(r.created_at), utc),
                met_at: as_of(r.notice_produced_at),
            };
            let breach = r.breach_flagged_at.map(|at| Clock {
                which: NoticeClock::BreachNotice,
                flagged_at: utc(at),
                met_at: as_of(r.breach_notified_at),
            });
            Incident {
                number: r.number,
                unit: r.unit,
                priority: r.priority,
                status: r.status,
                reported_at: utc(r.created_at),
                notice_due: notice.due(),
                notice_produced_at: notice.met_at,
                notice_state: notice.state(w.as_of).to_string(),
                personal_data_breach: breach.is_some(),
                breach_notice_due: breach.map(|b| b.due()),
                breach_notified_at: breach.and_then(|b| b.met_at),
                breach_notice_state: breach.map(|b| b.state(w.as_of).to_string()),
                first_response_at: r.first_response_at.map(utc),
                resolved_at: r.resolved_at.map(utc),
            }
        })
        .collect();
    let csat = csat_figures(q::csat(conn, &w)?);
    let mut problems: Vec<Problem> = Vec::new();
    for row in q::problems(conn, &w)? {
        if problems.last().is_none_or(|p| p.number != row.number) {
            problems.push(Problem {
                number: row.number.clone(),
                status: row.status.clone(),
                opened_at: utc(row.created_at),
                linked_incidents: Vec::new(),
            });
        }
        if let (Some(p), false) = (problems.last_mut(), row.incident.is_empty()) {
            p.linked_incidents.push(row.incident);
        }
    }
    let agents = if audience.with_agents { Some(agent_figures(conn, &w, open_assigned)?) } else { None };
    let disruptions =
        crate::desk::disruptions::figures::per_service(conn, w.unit_id.as_deref(), w.start, w.end.min(w.as_of))?;

    Ok(Report {
        scope,
        period: PeriodInfo {
            label: period.label.clone(),
            title: period.title(),
            first_day: period.first_day,
            last_day: period.last_day,
            zone: zone.name().to_string(),
            start,
            end,
            as_of,
            history_exact_from: crate::db::ticket_history::exact_from(conn)?.map(utc).filter(|at| *at > start),
        },
        volume: Volume { total, by_kind_channel, by_service, per_day },
        outcomes,
        sla,
        tiers,
        security_incidents,
        csat,
        top_services,
        problems,
        disruptions,
        agents,
    })
}

fn sla_figures(desk: &Desk, conn: &mut DbConn, w: &Window) -> DeskResult<Sla> {
    let rules = desk.rules();
    let counts: HashMap<String, q::PriorityCounts> =
        q::sla_per_priority(conn, w)?.into_iter().map(|c| (c.priority.clone(), c)).collect();
    let mut first_response: HashMap<String, Vec<i64>> = HashMap::new();
    let mut resolution: HashMap<String, Vec<i64>> = HashMap::new();
    for t in q::timings(conn, w)? {
        let Some(priority) = Priority::parse(&t.priority) else { continue };
        let (_, calendar) = rules.for_priority(priority);
        let created = utc(t.created_at);
        if let Some(at) = t.first_response_at.map(utc).filter(|at| *at < w.as_of) {
            first_response.entry(t.priority.clone()).or_default().push(calendar.business_seconds_between(created, at));
        }
        if let Some(at) = t.resolved_at.map(utc).filter(|at| *at < w.as_of) {
            // The time spent pending (waiting on the requester) is not the desk's.
            let seconds = (calendar.business_seconds_between(created, at) - t.paused_seconds).max(0);
            resolution.entry(t.priority).or_default().push(seconds);
        }
    }
    let per_priority = Priority::ALL
        .iter()
        .map(|p| {
            let key = p.as_str();
            let c = counts.get(key);
            let tickets = c.map_or(0, |c| c.tickets);
            let figures = |met: i64, breached: i64, seconds: Option<Vec<i64>>| TargetFigures {
                met,
                breached,
                running: tickets - met - breached,
                compliance_percent: percent(met, met + breached),
                business_minutes: Durations::of_seconds(seconds.unwrap_or_default()),
            };
            PrioritySla {
                priority: key.into(),
                tickets,
                first_response: figures(
                    c.map_or(0, |c| c.fr_met),
                    c.map_or(0, |c| c.fr_breached),
                    first_response.remove(key),
                ),
                resolution: figures(
                    c.map_or(0, |c| c.res_met),
                    c.map_or(0, |c| c.res_breached),
                    resolution.remove(key),
                ),
            }
        })
        .collect();
    let mut breaches = Breaches::default();
    for g in q::breaches(conn, w)? {
        match g.a.as_str() {
            "first_response" => breaches.first_response += g.n,
            "resolution" => breaches.resolution += g.n,
            _ => {}
        }
    }
    Ok(Sla { per_priority, breaches })
}

fn tier_figures(desk: &Desk, conn: &mut DbConn, w: &Window, opened: i64) -> DeskResult<Tiers> {
    let rules = desk.rules();
    // Escalated before `as_of`: a later (automatic) escalation does not change a closed period.
    let mut escalated = 0;
    let mut first_action = Vec::new();
    let mut resolution = Vec::new();
    let events = q::escalated_events(conn, w)?;
    let mut i = 0;
    while i < events.len() {
        let ticket = &events[i].ticket_id;
        let end = events[i..].iter().position(|e| &e.ticket_id != ticket).map_or(events.len(), |n| i + n);
        let group = &events[i..end];
        i = end;
        let Some(at) = group.iter().position(|e| e.kind == "ticket.escalated") else { continue };
        escalated += 1;
        let escalated_at = utc(group[at].created_at);
        let Some(priority) = Priority::parse(&group[at].priority) else { continue };
        let (_, calendar) = rules.for_priority(priority);
        let after = &group[at + 1..];
        if let Some(e) = after.iter().find(|e| e.role == "agent_t2") {
            first_action.push(calendar.business_seconds_between(escalated_at, utc(e.created_at)));
        }
        if let Some(e) = after.iter().find(|e| e.kind == "ticket.resolved") {
            resolution.push(calendar.business_seconds_between(escalated_at, utc(e.created_at)));
        }
    }
    Ok(Tiers {
        opened,
        escalated,
        escalation_rate_percent: percent(escalated, opened),
        tier2_first_action: Durations::of_seconds(first_action),
        tier2_resolution: Durations::of_seconds(resolution),
        returned: q::events_of_kind(conn, w, "ticket.returned")?,
    })
}

fn csat_figures(rows: Vec<q::Grouped>) -> Csat {
    let mut csat = Csat::default();
    for row in rows {
        csat.requested += row.n;
        if let Ok(rating @ 1..=5) = row.a.parse::<usize>() {
            csat.distribution[rating - 1] += row.n;
            csat.responses += row.n;
        }
    }
    csat.response_rate_percent = percent(csat.responses, csat.requested);
    csat.mean = mean_rating(&csat.distribution);
    csat
}

fn agent_figures(conn: &mut DbConn, w: &Window, open_assigned: HashMap<String, i64>) -> DeskResult<Vec<Agent>> {
    let mut measures: BTreeMap<String, [i64; 5]> = BTreeMap::new();
    for row in q::agent_activity(conn, w)? {
        let slot = match row.measure.as_str() {
            "resolved" => 0,
            "public" => 1,
            "minutes" => 4,
            _ => 2,
        };
        measures.entry(row.user_id).or_default()[slot] += row.n;
    }
    for (user, n) in open_assigned {
        measures.entry(user).or_default()[3] += n;
    }
    let units: HashMap<String, String> = catalog_db::list_units(conn)?.into_iter().map(|u| (u.id, u.code)).collect();
    let mut agents = Vec::new();
    for (user_id, [resolved, public_replies, internal_notes, open, minutes_spent]) in measures {
        let Some(user) = catalog_db::user_by_id(conn, &user_id)? else { continue };
        // Requesters with accounts write public messages too; the table is about staff.
        if matches!(Role::parse(&user.role), Some(Role::Requester) | None) {
            continue;
        }
        agents.push(Agent {
            unit: user.unit_id.as_ref().and_then(|u| units.get(u)).cloned().unwrap_or_default(),
            username: user.username,
            name: user.name,
            resolved,
            public_replies,
            internal_notes,
            open_assigned: open,
            minutes_spent,
        });
    }
    agents.sort_by(|a, b| a.unit.cmp(&b.unit).then(a.username.cmp(&b.username)));
    Ok(agents)
}

/// The period a request names: `period` (`2026-11`, `2026-Q4` …), or `from` and `to` (dates,
/// both included), or the current month in the city's zone.
pub fn requested_period(desk: &Desk, period: Option<&str>, from: Option<&str>, to: Option<&str>) -> DeskResult<Period> {
    let date = |field: &str, text: &str| {
        chrono::NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
            .map_err(|_| DeskError::invalid(field, format!("{text:?} is not a date (YYYY-MM-DD)")))
    };
    match (period.filter(|p| !p.trim().is_empty()), from, to) {
        (Some(_), Some(_), _) | (Some(_), _, Some(_)) => {
            Err(DeskError::invalid("period", "give either period or from/to, not both"))
        }
        (Some(p), None, None) => Period::parse(p).map_err(|e| DeskError::invalid("period", e)),
        (None, Some(f), Some(t)) => {
            Period::range(date("from", f)?, date("to", t)?).map_err(|e| DeskError::invalid("to", e))
        }
        (None, Some(_), None) => Err(DeskError::invalid("to", "from needs to (the last day, included)")),
        (None, None, Some(_)) => Err(DeskError::invalid("from", "to needs from (the first day)")),
        (None, None, None) => Ok(Period::month_of(desk.now().with_timezone(&desk.zone).date_naive())),
    }
}

/// The report `actor` asked for, with its generation time and data fingerprint.
pub fn generate(
    desk: &Desk,
    conn: &mut DbConn,
    actor: &Actor,
    unit: Option<&str>,
    period: &Period,
) -> DeskResult<crate::domain::report::ReportDocument> {
    let audience = authorize(conn, actor, unit)?;
    let report = compute(desk, conn, &audience, period)?;
    Ok(crate::domain::report::ReportDocument::new(report, desk.now()))
}

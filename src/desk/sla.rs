//! SLA rules in the database: calendars, holidays and policies, their edits (each audited), the
//! per-ticket schedule the scheduler reads, and recomputing open tickets when rules change.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::view::utc;
use super::{Desk, DeskError, DeskResult, Tx};
use crate::db::sla::{self as db, CalendarRow, HolidayRow, PolicyRow};
use crate::db::tickets::{self as tickets_db, TicketRow};
use crate::db::DbConn;
use crate::domain::role::{Actor, Role};
use crate::domain::sla::alerts::{thresholds, ClockInputs, SlaTarget};
use crate::domain::sla::calendar::{format_week, parse_week, Calendar};
use crate::domain::sla::clock::due_times;
use crate::domain::sla::holidays::HolidayList;
use crate::domain::sla::policy::{format_warn_percents, parse_warn_percents, Calendars, Policy, SlaRules, Targets};
use crate::domain::ticket::Priority;

/// Loads the calendars (with their holidays) and the policy from the database.
pub fn load_rules(conn: &mut DbConn) -> DeskResult<SlaRules> {
    let mut holidays: HashMap<String, Vec<NaiveDate>> = HashMap::new();
    for h in db::holidays_all(conn)? {
        holidays.entry(h.calendar).or_default().push(h.day);
    }
    let calendars = db::calendars_all(conn)?
        .into_iter()
        .map(|row| {
            let mut calendar = calendar_from_row(&row)?;
            calendar.holidays = holidays.remove(&row.name).unwrap_or_default().into_iter().collect();
            Ok(calendar)
        })
        .collect::<DeskResult<Vec<_>>>()?;
    let mut policy = Policy::default();
    for row in db::policies_all(conn)? {
        let Some(priority) = Priority::parse(&row.priority) else { continue };
        *policy.targets_mut(priority) = Targets {
            first_response_minutes: row.first_response_minutes,
            resolution_minutes: row.resolution_minutes,
            calendar: row.calendar,
            warn_percents: parse_warn_percents(&row.warn_percents).map_err(DeskError::Internal)?,
            notify_unit_head: row.notify_unit_head,
            escalate_to_tier2: row.escalate_to_tier2,
        };
    }
    Ok(SlaRules { policy, calendars: Calendars::new(calendars) })
}

fn calendar_from_row(row: &CalendarRow) -> DeskResult<Calendar> {
    let zone: Tz = row.zone.parse().map_err(|_| DeskError::Internal(format!("calendar {}: bad zone", row.name)))?;
    let days: BTreeMap<String, Vec<String>> = serde_json::from_str(&row.week)
        .map_err(|e| DeskError::Internal(format!("calendar {}: bad week: {e}", row.name)))?;
    let week = parse_week(&days).map_err(|e| DeskError::Internal(format!("calendar {}: {e}", row.name)))?;
    Ok(Calendar { name: row.name.clone(), zone, week, holidays: Default::default() })
}

// ---------------------------------------------------------------------------------------------
// The schedule of one ticket

/// The clocks of a ticket as the alert arithmetic sees them.
pub fn clock_inputs(row: &TicketRow) -> ClockInputs {
    ClockInputs {
        created_at: utc(row.created_at),
        first_response_due: utc(row.first_response_due),
        resolution_due: utc(row.resolution_due),
        paused_seconds: row.paused_seconds,
        first_response_running: row.active && row.first_response_at.is_none(),
        resolution_running: row.active && row.pending_since.is_none() && row.resolved_at.is_none(),
    }
}

pub fn parse_fired(fired: Vec<(String, i32)>) -> Vec<(SlaTarget, u32)> {
    fired.into_iter().filter_map(|(t, p)| Some((SlaTarget::parse(&t)?, u32::try_from(p).ok()?))).collect()
}

/// Sets `sla_next_at`: the earliest threshold of a running clock that has not fired. It may be
/// in the past (a change that reopens an overdue ticket): the next pass fires it at once.
/// `fired` is `None` to read it from the database.
pub fn reschedule(
    conn: &mut DbConn,
    rules: &SlaRules,
    row: &mut TicketRow,
    fired: Option<&[(SlaTarget, u32)]>,
) -> DeskResult<()> {
    let loaded;
    let fired = match fired {
        Some(f) => f,
        None => {
            loaded = parse_fired(db::fired(conn, &row.id)?);
            &loaded
        }
    };
    row.sla_next_at = next_instant(rules, row, fired)?.map(|t| t.naive_utc());
    Ok(())
}

fn next_instant(rules: &SlaRules, row: &TicketRow, fired: &[(SlaTarget, u32)]) -> DeskResult<Option<DateTime<Utc>>> {
    let inputs = clock_inputs(row);
    if !inputs.first_response_running && !inputs.resolution_running {
        return Ok(None);
    }
    let priority = Priority::parse(&row.priority).unwrap_or(Priority::P4);
    let (targets, calendar) = rules.for_priority(priority);
    let all = thresholds(&calendar, &targets.warn_percents, &inputs)?;
    Ok(all.iter().filter(|t| !fired.contains(&(t.target, t.percent))).map(|t| t.at).min())
}

/// Both due times from the creation instant, the current targets of the priority and the
/// pauses so far: at opening and on a priority change (SPEC 4).
pub fn recompute_dues(rules: &SlaRules, row: &mut TicketRow, priority: Priority) -> DeskResult<()> {
    let (targets, calendar) = rules.for_priority(priority);
    let (first, resolution) = due_times(&calendar, targets, utc(row.created_at), row.paused_seconds)?;
    row.first_response_due = first.naive_utc();
    row.resolution_due = resolution.naive_utc();
    Ok(())
}

/// The resolution due time only: resume and reopen move it by the pause; the first-response
/// target is not paused and keeps its deadline.
pub fn recompute_resolution_due(rules: &SlaRules, row: &mut TicketRow, priority: Priority) -> DeskResult<()> {
    let (targets, calendar) = rules.for_priority(priority);
    let (_, resolution) = due_times(&calendar, targets, utc(row.created_at), row.paused_seconds)?;
    row.resolution_due = resolution.naive_utc();
    Ok(())
}

/// Measures again, on `calendar`, the business time the ticket's resolution clock has been
/// stopped (pending, or resolved before a reopen), from its audit events. `paused_seconds` is
/// counted on the calendar of the priority at the time; when the priority moves to another
/// calendar (P3 on jam-kerja to P1 on 24x7) or the calendar's holidays change, "keeping the
/// pauses" means keeping the periods, not the number. A pause still running is not included
/// (it is added when it ends), as in `paused_seconds`.
pub fn remeasure_pauses(conn: &mut DbConn, calendar: &Calendar, row: &mut TicketRow) -> DeskResult<()> {
    if row.paused_seconds == 0 {
        return Ok(());
    }
    let mut total = 0;
    let mut since: Option<chrono::NaiveDateTime> = None;
    for event in crate::db::events::for_ticket(conn, &row.id)? {
        let ends_pause = match event.kind.as_str() {
            "ticket.pending" | "ticket.resolved" => {
                since.get_or_insert(event.created_at);
                false
            }
            "ticket.resumed" | "ticket.reopened" | "ticket.cancelled" => true,
            "message.added" => {
                let data: serde_json::Value = serde_json::from_str(&event.data).unwrap_or_default();
                data["resumed"] == true || data["reopened"] == true
            }
            _ => false,
        };
        if ends_pause {
            if let Some(start) = since.take() {
                total += calendar.business_seconds_between(utc(start), utc(event.created_at));
            }
        }
    }
    row.paused_seconds = total;
    Ok(())
}

/// After a change to a calendar or a policy: every open ticket counting in it gets its due
/// times recomputed and rescheduled, with an audit event when a deadline moved. `from` limits
/// the work to tickets with a deadline on or after that instant (a holiday cannot move a
/// deadline that falls before it).
fn recompute_open_tickets(
    tx: &mut Tx,
    rules: &SlaRules,
    priorities: &[Priority],
    from: Option<DateTime<Utc>>,
    reason: &str,
) -> DeskResult<usize> {
    if priorities.is_empty() {
        return Ok(0);
    }
    let names: Vec<String> = priorities.iter().map(|p| p.as_str().to_string()).collect();
    let mut moved = 0;
    let rows = db::active_tickets_for_update(tx.conn, &names, from.map(|f| f.naive_utc()))?;
    let mut fired: HashMap<String, Vec<(SlaTarget, u32)>> = HashMap::new();
    for chunk in rows.chunks(1000) {
        let ids: Vec<String> = chunk.iter().map(|r| r.id.clone()).collect();
        for (ticket, target, percent) in db::fired_for(tx.conn, &ids)? {
            if let (Some(target), Ok(percent)) = (SlaTarget::parse(&target), u32::try_from(percent)) {
                fired.entry(ticket).or_default().push((target, percent));
            }
        }
    }
    for mut row in rows {
        let before = (row.first_response_due, row.resolution_due, row.sla_next_at, row.paused_seconds);
        let priority = Priority::parse(&row.priority).unwrap_or(Priority::P4);
        let (_, calendar) = rules.for_priority(priority);
        remeasure_pauses(tx.conn, &calendar, &mut row)?;
        recompute_dues(rules, &mut row, priority)?;
        // A first response already given keeps the deadline it was measured against.
        if row.first_response_at.is_some() {
            row.first_response_due = before.0;
        }
        let already = fired.remove(&row.id).unwrap_or_default();
        reschedule(tx.conn, rules, &mut row, Some(&already))?;
        if before == (row.first_response_due, row.resolution_due, row.sla_next_at, row.paused_seconds) {
            continue;
        }
        // The ticket's history dates the new due times by this.
        row.updated_at = tx.now.naive_utc();
        tickets_db::save(tx.conn, &row)?;
        if (before.0, before.1) != (row.first_response_due, row.resolution_due) {
            moved += 1;
            tx.record(
                Some(&row.id),
                None,
                "sla.recomputed",
                json!({
                    "reason": reason,
                    "first_response_due": utc(row.first_response_due),
                    "resolution_due": utc(row.resolution_due),
                }),
            )?;
        }
    }
    Ok(moved)
}

fn priorities_on(rules: &SlaRules, calendar: &str) -> Vec<Priority> {
    Priority::ALL.iter().copied().filter(|p| rules.policy.targets(*p).calendar == calendar).collect()
}

// ---------------------------------------------------------------------------------------------
// Views

#[derive(Debug, Clone, Serialize)]
pub struct HolidayView {
    pub date: NaiveDate,
    pub label: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct CalendarView {
    pub name: String,
    pub zone: String,
    pub week: BTreeMap<String, Vec<String>>,
    pub weekly_minutes: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub holidays: Option<Vec<HolidayView>>,
}

fn calendar_view(row: &CalendarRow, holidays: Option<Vec<HolidayRow>>) -> DeskResult<CalendarView> {
    let calendar = calendar_from_row(row)?;
    Ok(CalendarView {
        name: row.name.clone(),
        zone: row.zone.clone(),
        week: format_week(&calendar.week),
        weekly_minutes: calendar.weekly_seconds() / 60,
        holidays: holidays.map(|list| list.into_iter().map(|h| HolidayView { date: h.day, label: h.label }).collect()),
    })
}

pub fn list_calendars(conn: &mut DbConn) -> DeskResult<Vec<CalendarView>> {
    db::calendars_all(conn)?.iter().map(|row| calendar_view(row, None)).collect()
}

/// One calendar with its holidays (of one year, when given).
pub fn show_calendar(conn: &mut DbConn, name: &str, year: Option<i32>) -> DeskResult<CalendarView> {
    let row = db::calendar(conn, name)?.ok_or_else(|| DeskError::not_found("calendar", name))?;
    let (from, to) = match year {
        Some(y) => (NaiveDate::from_ymd_opt(y, 1, 1), NaiveDate::from_ymd_opt(y, 12, 31)),
        None => (None, None),
    };
    let holidays = db::holidays_of(conn, name, from, to)?;
    calendar_view(&row, Some(holidays))
}

#[derive(Debug, Clone, Serialize)]
pub struct PolicyView {
    pub priority: Priority,
    pub first_response_minutes: i64,
    pub resolution_minutes: i64,
    pub calendar: String,
    pub warn_percents: Vec<u32>,
    pub notify_unit_head: bool,
    pub escalate_to_tier2: bool,
}

fn policy_view(priority: Priority, t: &Targets) -> PolicyView {
    PolicyView {
        priority,
        first_response_minutes: t.first_response_minutes,
        resolution_minutes: t.resolution_minutes,
        calendar: t.calendar.clone(),
        warn_percents: t.warn_percents.clone(),
        notify_unit_head: t.notify_unit_head,
        escalate_to_tier2: t.escalate_to_tier2,
    }
}

pub fn list_policies(conn: &mut DbConn) -> DeskResult<Vec<PolicyView>> {
    let rules = load_rules(conn)?;
    Ok(Priority::ALL.iter().copied().map(|p| policy_view(p, rules.policy.targets(p))).collect())
}

/// `meja sla due`: the due instant of `minutes` business minutes from `start` on a calendar.
pub fn due(conn: &mut DbConn, calendar: &str, start: DateTime<Utc>, minutes: i64) -> DeskResult<DateTime<Tz>> {
    if minutes < 0 {
        return Err(DeskError::invalid("minutes", "must be zero or more"));
    }
    let rules = load_rules(conn)?;
    let cal = rules.calendars.find(calendar).ok_or_else(|| unknown_calendar(&rules, calendar))?;
    Ok(cal.add_business_minutes(start, minutes)?.with_timezone(&cal.zone))
}

fn unknown_calendar(rules: &SlaRules, name: &str) -> DeskError {
    DeskError::invalid("calendar", format!("no calendar {name:?} (there are: {})", rules.calendars.names().join(", ")))
}

// ---------------------------------------------------------------------------------------------
// Edits: admins and supervisors (SPEC 1: supervisors configure SLA); `None` is the command line.

fn check_may_configure(actor: Option<&Actor>) -> DeskResult<()> {
    match actor {
        None => Ok(()),
        Some(a) if matches!(a.role, Role::Admin | Role::Supervisor) => Ok(()),
        Some(a) => Err(DeskError::Forbidden(format!("a {} may not change calendars or SLA policies", a.role))),
    }
}

fn check_calendar_name(name: &str) -> DeskResult<()> {
    let ok = (2..=40).contains(&name.len())
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !name.starts_with('-');
    if ok {
        Ok(())
    } else {
        Err(DeskError::invalid("name", "2-40 characters: lowercase letters, digits and '-' (like jam-kerja-wita)"))
    }
}

fn parse_zone(zone: &str) -> DeskResult<Tz> {
    zone.trim().parse::<Tz>().map_err(|_| {
        DeskError::invalid(
            "zone",
            format!("{zone:?} is not an IANA time zone (Asia/Jakarta, Asia/Makassar, Asia/Jayapura)"),
        )
    })
}

fn check_week(days: &BTreeMap<String, Vec<String>>) -> DeskResult<String> {
    let week = parse_week(days).map_err(|e| DeskError::invalid("week", e))?;
    let calendar = Calendar { week, ..Calendar::jam_kerja() };
    if calendar.weekly_seconds() == 0 {
        return Err(DeskError::invalid("week", "a calendar needs some working time in the week"));
    }
    serde_json::to_string(&format_week(&calendar.week)).map_err(|e| DeskError::Internal(e.to_string()))
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewCalendar {
    pub name: String,
    pub zone: String,
    /// Copy the weekly hours and the holidays of this calendar (`jam-kerja` when neither this nor
    /// `week` is given).
    #[serde(default)]
    pub like: Option<String>,
    #[serde(default)]
    pub week: Option<BTreeMap<String, Vec<String>>>,
}

pub fn create_calendar(tx: &mut Tx, actor: Option<&Actor>, input: NewCalendar) -> DeskResult<CalendarView> {
    check_may_configure(actor)?;
    let name = input.name.trim().to_string();
    check_calendar_name(&name)?;
    let zone = parse_zone(&input.zone)?;
    if db::calendar(tx.conn, &name)?.is_some() {
        return Err(DeskError::conflict("already_exists", format!("calendar {name} already exists")));
    }
    // A calendar made like another (jam-kerja by default) takes its hours and its holidays:
    // a Makassar desk keeps the national holidays and cuti bersama.
    let (week, source) = match (&input.week, &input.like) {
        (Some(days), _) => (check_week(days)?, None),
        (None, like) => {
            let source = like.as_deref().unwrap_or("jam-kerja");
            let week = db::calendar(tx.conn, source)?
                .ok_or_else(|| DeskError::invalid("like", format!("no calendar {source:?} to copy the hours of")))?
                .week;
            (week, Some(source.to_string()))
        }
    };
    let now = tx.now.naive_utc();
    let row = CalendarRow { name: name.clone(), zone: zone.name().to_string(), week, created_at: now, updated_at: now };
    db::insert_calendar(tx.conn, &row)?;
    let mut copied = 0;
    if let Some(source) = &source {
        for holiday in db::holidays_of(tx.conn, source, None, None)? {
            db::insert_holiday(tx.conn, &db::HolidayRow { calendar: name.clone(), ..holiday })?;
            copied += 1;
        }
    }
    tx.record(
        None,
        actor.map(|a| a.user_id.as_str()),
        "calendar.created",
        json!({ "calendar": name, "zone": row.zone, "like": input.like, "holidays_copied": copied }),
    )?;
    let holidays = db::holidays_of(tx.conn, &name, None, None)?;
    calendar_view(&row, Some(holidays))
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalendarPatch {
    #[serde(default)]
    pub zone: Option<String>,
    #[serde(default)]
    pub week: Option<BTreeMap<String, Vec<String>>>,
}

/// Changes a calendar's zone or hours; open tickets counting in it are recomputed.
pub fn update_calendar(
    tx: &mut Tx,
    actor: Option<&Actor>,
    name: &str,
    patch: CalendarPatch,
) -> DeskResult<CalendarView> {
    check_may_configure(actor)?;
    let mut row = db::calendar(tx.conn, name)?.ok_or_else(|| DeskError::not_found("calendar", name))?;
    if let Some(zone) = &patch.zone {
        row.zone = parse_zone(zone)?.name().to_string();
    }
    if let Some(days) = &patch.week {
        row.week = check_week(days)?;
    }
    row.updated_at = tx.now.naive_utc();
    db::save_calendar(tx.conn, &row)?;
    let rules = load_rules(tx.conn)?;
    let moved = recompute_open_tickets(tx, &rules, &priorities_on(&rules, name), None, "calendar hours changed")?;
    tx.record(
        None,
        actor.map(|a| a.user_id.as_str()),
        "calendar.changed",
        json!({ "calendar": name, "zone": row.zone, "week": serde_json::from_str::<serde_json::Value>(&row.week).ok(), "tickets_recomputed": moved }),
    )?;
    calendar_view(&row, None)
}

#[derive(Debug, Clone, Serialize)]
pub struct HolidayChange {
    pub calendar: String,
    pub added: usize,
    pub relabelled: usize,
    pub unchanged: usize,
    pub removed: usize,
    pub tickets_recomputed: usize,
    pub warnings: Vec<String>,
}

fn require_calendar(tx: &mut Tx, name: &str) -> DeskResult<()> {
    match db::calendar(tx.conn, name)? {
        Some(_) => Ok(()),
        None => Err(DeskError::invalid("calendar", format!("no calendar {name:?}"))),
    }
}

/// Adds holidays (or relabels existing dates) in one transaction; deadlines of open tickets
/// that reach the earliest date are recomputed.
pub fn add_holidays(
    tx: &mut Tx,
    actor: Option<&Actor>,
    calendar: &str,
    list: HolidayList,
) -> DeskResult<HolidayChange> {
    check_may_configure(actor)?;
    require_calendar(tx, calendar)?;
    if list.days.is_empty() {
        return Err(DeskError::invalid("holidays", "no dates given"));
    }
    let mut change = HolidayChange {
        calendar: calendar.to_string(),
        added: 0,
        relabelled: 0,
        unchanged: 0,
        removed: 0,
        tickets_recomputed: 0,
        warnings: list.warnings,
    };
    let mut added_days = Vec::new();
    for (day, label) in list.days {
        if !(2000..=2100).contains(&chrono::Datelike::year(&day)) {
            return Err(DeskError::invalid("date", format!("{day} is outside the years 2000-2100")));
        }
        let label = label.trim().to_string();
        if label.is_empty() || label.chars().count() > 200 {
            return Err(DeskError::invalid("label", format!("{day}: a label of 1-200 characters is required")));
        }
        let row = HolidayRow { calendar: calendar.to_string(), day, label };
        match db::holiday(tx.conn, calendar, day)? {
            None => {
                db::insert_holiday(tx.conn, &row)?;
                change.added += 1;
                added_days.push(day);
            }
            Some(existing) if existing.label != row.label => {
                db::relabel_holiday(tx.conn, &row)?;
                change.relabelled += 1;
            }
            Some(_) => change.unchanged += 1,
        }
    }
    if let Some(first) = added_days.iter().min() {
        change.tickets_recomputed = recompute_after_holiday_change(tx, calendar, *first, "holiday added")?;
    }
    tx.record(
        None,
        actor.map(|a| a.user_id.as_str()),
        "calendar.holidays_added",
        json!({ "calendar": calendar, "dates": added_days, "relabelled": change.relabelled, "tickets_recomputed": change.tickets_recomputed }),
    )?;
    Ok(change)
}

pub fn remove_holiday(tx: &mut Tx, actor: Option<&Actor>, calendar: &str, day: NaiveDate) -> DeskResult<HolidayChange> {
    check_may_configure(actor)?;
    require_calendar(tx, calendar)?;
    if db::delete_holiday(tx.conn, calendar, day)? == 0 {
        return Err(DeskError::not_found("holiday", format!("{calendar} {day}")));
    }
    let moved = recompute_after_holiday_change(tx, calendar, day, "holiday removed")?;
    tx.record(
        None,
        actor.map(|a| a.user_id.as_str()),
        "calendar.holiday_removed",
        json!({ "calendar": calendar, "date": day, "tickets_recomputed": moved }),
    )?;
    Ok(HolidayChange {
        calendar: calendar.to_string(),
        added: 0,
        relabelled: 0,
        unchanged: 0,
        removed: 1,
        tickets_recomputed: moved,
        warnings: vec![],
    })
}

fn recompute_after_holiday_change(tx: &mut Tx, calendar: &str, day: NaiveDate, reason: &str) -> DeskResult<usize> {
    let rules = load_rules(tx.conn)?;
    // A deadline before the start of that day (in any zone) cannot move.
    let from = day.and_hms_opt(0, 0, 0).and_then(|t| t.and_utc().checked_sub_signed(chrono::Duration::hours(14)));
    recompute_open_tickets(tx, &rules, &priorities_on(&rules, calendar), from, reason)
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyPatch {
    #[serde(default)]
    pub first_response_minutes: Option<i64>,
    #[serde(default)]
    pub resolution_minutes: Option<i64>,
    #[serde(default)]
    pub calendar: Option<String>,
    #[serde(default)]
    pub warn_percents: Option<Vec<u32>>,
    #[serde(default)]
    pub notify_unit_head: Option<bool>,
    #[serde(default)]
    pub escalate_to_tier2: Option<bool>,
}

/// A year of business minutes is plenty for any target.
const MAX_TARGET_MINUTES: i64 = 60 * 24 * 366;

/// Changes the policy of one priority. Open tickets of that priority count against the new
/// targets from now on: their due times are recomputed from creation, keeping their pauses.
pub fn set_policy(
    tx: &mut Tx,
    actor: Option<&Actor>,
    priority: Priority,
    patch: PolicyPatch,
) -> DeskResult<PolicyView> {
    check_may_configure(actor)?;
    let mut rules = load_rules(tx.conn)?;
    let mut t = rules.policy.targets(priority).clone();
    for (field, value) in
        [("first_response_minutes", patch.first_response_minutes), ("resolution_minutes", patch.resolution_minutes)]
    {
        if let Some(v) = value {
            if !(1..=MAX_TARGET_MINUTES).contains(&v) {
                return Err(DeskError::invalid(field, format!("must be 1..{MAX_TARGET_MINUTES} business minutes")));
            }
        }
    }
    if let Some(v) = patch.first_response_minutes {
        t.first_response_minutes = v;
    }
    if let Some(v) = patch.resolution_minutes {
        t.resolution_minutes = v;
    }
    if t.first_response_minutes > t.resolution_minutes {
        return Err(DeskError::invalid("first_response_minutes", "cannot be longer than the resolution target"));
    }
    if let Some(name) = patch.calendar {
        if rules.calendars.find(&name).is_none() {
            return Err(unknown_calendar(&rules, &name));
        }
        t.calendar = name;
    }
    if let Some(percents) = patch.warn_percents {
        t.warn_percents = parse_warn_percents(&format_warn_percents(&percents))
            .map_err(|e| DeskError::invalid("warn_percents", e))?;
    }
    if let Some(v) = patch.notify_unit_head {
        t.notify_unit_head = v;
    }
    if let Some(v) = patch.escalate_to_tier2 {
        t.escalate_to_tier2 = v;
    }
    let row = PolicyRow {
        priority: priority.as_str().to_string(),
        first_response_minutes: t.first_response_minutes,
        resolution_minutes: t.resolution_minutes,
        calendar: t.calendar.clone(),
        warn_percents: format_warn_percents(&t.warn_percents),
        notify_unit_head: t.notify_unit_head,
        escalate_to_tier2: t.escalate_to_tier2,
        updated_at: tx.now.naive_utc(),
    };
    if db::save_policy(tx.conn, &row)? == 0 {
        return Err(DeskError::Internal(format!("no policy row for {priority}")));
    }
    *rules.policy.targets_mut(priority) = t.clone();
    let moved = recompute_open_tickets(tx, &rules, &[priority], None, "SLA policy changed")?;
    let view = policy_view(priority, &t);
    tx.record(
        None,
        actor.map(|a| a.user_id.as_str()),
        "sla.policy_changed",
        json!({ "policy": view, "tickets_recomputed": moved }),
    )?;
    Ok(view)
}

impl Desk {
    /// The SLA rules this process uses: a snapshot, swapped whole when they change.
    pub fn rules(&self) -> std::sync::Arc<SlaRules> {
        match self.rules.read() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Rereads the rules from the database: after an edit here, and on every scheduler pass
    /// (so edits made by another process or the command line arrive within one pass).
    pub fn reload_rules(&self) -> DeskResult<()> {
        let fresh = self.read_blocking(load_rules)?;
        match self.rules.write() {
            Ok(mut guard) => *guard = std::sync::Arc::new(fresh),
            Err(poisoned) => *poisoned.into_inner() = std::sync::Arc::new(fresh),
        }
        Ok(())
    }
}

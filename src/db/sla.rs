//! Calendars, holidays, SLA policies, fired alerts and the scheduler's claim on due tickets.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::schema::{calendars, holidays, sla_alerts, sla_policies, tickets};
use super::tickets::TicketRow;
use super::DbConn;

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = calendars)]
pub struct CalendarRow {
    pub name: String,
    pub zone: String,
    /// JSON: `{"mon": ["07:30-12:00", ...], ...}`.
    pub week: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = holidays)]
pub struct HolidayRow {
    pub calendar: String,
    pub day: NaiveDate,
    pub label: String,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = sla_policies)]
pub struct PolicyRow {
    pub priority: String,
    pub first_response_minutes: i64,
    pub resolution_minutes: i64,
    pub calendar: String,
    pub warn_percents: String,
    pub notify_unit_head: bool,
    pub escalate_to_tier2: bool,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = sla_alerts, treat_none_as_default_value = false)]
pub struct AlertRow {
    pub ticket_id: String,
    pub target: String,
    pub percent: i32,
    pub due_at: NaiveDateTime,
    pub fired_at: NaiveDateTime,
}

pub fn calendars_all(conn: &mut DbConn) -> QueryResult<Vec<CalendarRow>> {
    calendars::table.order(calendars::name.asc()).select(CalendarRow::as_select()).load(conn)
}

pub fn calendar(conn: &mut DbConn, name: &str) -> QueryResult<Option<CalendarRow>> {
    calendars::table.find(name).select(CalendarRow::as_select()).first(conn).optional()
}

pub fn insert_calendar(conn: &mut DbConn, row: &CalendarRow) -> QueryResult<()> {
    diesel::insert_into(calendars::table).values(row).execute(conn).map(drop)
}

pub fn save_calendar(conn: &mut DbConn, row: &CalendarRow) -> QueryResult<()> {
    diesel::update(calendars::table.find(&row.name)).set(row).execute(conn).map(drop)
}

pub fn holidays_all(conn: &mut DbConn) -> QueryResult<Vec<HolidayRow>> {
    holidays::table.order((holidays::calendar.asc(), holidays::day.asc())).select(HolidayRow::as_select()).load(conn)
}

/// A calendar's holidays, optionally within `[from, to]`.
pub fn holidays_of(
    conn: &mut DbConn,
    calendar: &str,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> QueryResult<Vec<HolidayRow>> {
    let mut query = holidays::table.filter(holidays::calendar.eq(calendar)).into_boxed();
    if let Some(from) = from {
        query = query.filter(holidays::day.ge(from));
    }
    if let Some(to) = to {
        query = query.filter(holidays::day.le(to));
    }
    query.order(holidays::day.asc()).select(HolidayRow::as_select()).load(conn)
}

pub fn holiday(conn: &mut DbConn, calendar: &str, day: NaiveDate) -> QueryResult<Option<HolidayRow>> {
    holidays::table.find((calendar, day)).select(HolidayRow::as_select()).first(conn).optional()
}

pub fn insert_holiday(conn: &mut DbConn, row: &HolidayRow) -> QueryResult<()> {
    diesel::insert_into(holidays::table).values(row).execute(conn).map(drop)
}

pub fn relabel_holiday(conn: &mut DbConn, row: &HolidayRow) -> QueryResult<()> {
    diesel::update(holidays::table.find((&row.calendar, row.day)))
        .set(holidays::label.eq(&row.label))
        .execute(conn)
        .map(drop)
}

pub fn delete_holiday(conn: &mut DbConn, calendar: &str, day: NaiveDate) -> QueryResult<usize> {
    diesel::delete(holidays::table.find((calendar, day))).execute(conn)
}

pub fn policies_all(conn: &mut DbConn) -> QueryResult<Vec<PolicyRow>> {
    sla_policies::table.order(sla_policies::priority.asc()).select(PolicyRow::as_select()).load(conn)
}

pub fn save_policy(conn: &mut DbConn, row: &PolicyRow) -> QueryResult<usize> {
    diesel::update(sla_policies::table.find(&row.priority)).set(row).execute(conn)
}

/// `(target, percent)` of every alert already fired for a ticket.
pub fn fired(conn: &mut DbConn, ticket_id: &str) -> QueryResult<Vec<(String, i32)>> {
    sla_alerts::table
        .filter(sla_alerts::ticket_id.eq(ticket_id))
        .select((sla_alerts::target, sla_alerts::percent))
        .load(conn)
}

pub fn alerts_for(conn: &mut DbConn, ticket_id: &str) -> QueryResult<Vec<AlertRow>> {
    sla_alerts::table
        .filter(sla_alerts::ticket_id.eq(ticket_id))
        .order(sla_alerts::fired_at.asc())
        .select(AlertRow::as_select())
        .load(conn)
}

/// `(ticket, target, percent)` of every alert already fired for some tickets.
pub fn fired_for(conn: &mut DbConn, ticket_ids: &[String]) -> QueryResult<Vec<(String, String, i32)>> {
    sla_alerts::table
        .filter(sla_alerts::ticket_id.eq_any(ticket_ids))
        .select((sla_alerts::ticket_id, sla_alerts::target, sla_alerts::percent))
        .load(conn)
}

/// Records alerts with multi-row inserts, skipping any that already fired; returns how many
/// were new.
pub fn insert_alerts(conn: &mut DbConn, rows: &[AlertRow]) -> QueryResult<usize> {
    let mut inserted = 0;
    for chunk in rows.chunks(super::events::INSERT_CHUNK) {
        inserted += match conn {
            DbConn::Pg(c) => {
                diesel::insert_into(sla_alerts::table).values(chunk).on_conflict_do_nothing().execute(c)?
            }
            DbConn::Sqlite(c) => diesel::insert_or_ignore_into(sla_alerts::table).values(chunk).execute(c)?,
        };
    }
    Ok(inserted)
}

/// Records an alert unless it already fired; `false` means another process got there first
/// and this one must not announce it again.
pub fn insert_alert(conn: &mut DbConn, row: &AlertRow) -> QueryResult<bool> {
    let inserted = match conn {
        DbConn::Pg(c) => diesel::insert_into(sla_alerts::table).values(row).on_conflict_do_nothing().execute(c)?,
        DbConn::Sqlite(c) => diesel::insert_or_ignore_into(sla_alerts::table).values(row).execute(c)?,
    };
    Ok(inserted == 1)
}

/// The tickets whose next SLA instant has come, earliest first, read through the partial index
/// on `sla_next_at`. On PostgreSQL the rows are locked and rows another process holds are
/// skipped, so several `meja` processes share a burst without waiting on or repeating each
/// other; on SQLite the writer already holds the database's write lock.
pub fn claim_due(conn: &mut DbConn, now: NaiveDateTime, limit: i64) -> QueryResult<Vec<TicketRow>> {
    // A macro, not a closure: the selection's type depends on the backend.
    macro_rules! due {
        () => {
            tickets::table
                .filter(tickets::sla_next_at.le(now))
                .order(tickets::sla_next_at.asc())
                .limit(limit)
                .select(TicketRow::as_select())
        };
    }
    match conn {
        DbConn::Pg(c) => due!().for_update().skip_locked().load(c),
        DbConn::Sqlite(c) => due!().load(c),
    }
}

/// Whether any ticket's next SLA instant has come: one probe of the partial index, on a read
/// connection, so an idle pass costs no write transaction.
pub fn anything_due(conn: &mut DbConn, now: NaiveDateTime) -> QueryResult<bool> {
    let first: Option<String> =
        tickets::table.filter(tickets::sla_next_at.le(now)).select(tickets::id).first(conn).optional()?;
    Ok(first.is_some())
}

/// The earliest instant the scheduler is waiting for, if any.
pub fn next_instant(conn: &mut DbConn) -> QueryResult<Option<NaiveDateTime>> {
    tickets::table
        .filter(tickets::sla_next_at.is_not_null())
        .select(tickets::sla_next_at)
        .order(tickets::sla_next_at.asc())
        .first::<Option<NaiveDateTime>>(conn)
        .optional()
        .map(Option::flatten)
}

/// Active tickets of some priorities, locked for the change on PostgreSQL (in id order, so two
/// such changes cannot deadlock); with `from`, only those with a deadline at or after it (the
/// ones a holiday on that day can move).
pub fn active_tickets_for_update(
    conn: &mut DbConn,
    priorities: &[String],
    from: Option<NaiveDateTime>,
) -> QueryResult<Vec<TicketRow>> {
    // A macro, not a closure: the selection's type depends on the backend.
    macro_rules! open_tickets {
        () => {{
            let query = tickets::table
                .filter(tickets::active.eq(true))
                .filter(tickets::priority.eq_any(priorities))
                .order(tickets::id.asc())
                .select(TicketRow::as_select());
            let far_past =
                chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default().and_time(chrono::NaiveTime::MIN);
            let since = from.unwrap_or(far_past);
            query.filter(tickets::resolution_due.ge(since).or(tickets::first_response_due.ge(since)))
        }};
    }
    match conn {
        DbConn::Pg(c) => open_tickets!().for_update().load(c),
        DbConn::Sqlite(c) => open_tickets!().load(c),
    }
}

pub fn count_alerts(conn: &mut DbConn) -> QueryResult<i64> {
    sla_alerts::table.count().get_result(conn)
}

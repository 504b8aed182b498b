//! Disruptions of services, their public updates and followers, and monitoring's alerts.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{alerts, disruption_followers, disruption_updates, disruptions, service_alert_tickets, services};
use super::DbConn;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = disruptions, treat_none_as_default_value = false)]
pub struct DisruptionRow {
    pub id: String,
    pub service_id: String,
    pub state: String,
    pub title: String,
    pub problem_ticket_id: Option<String>,
    /// `staff` or `alert`: an alert's resolution ends only what an alert declared.
    pub source: String,
    pub starts_at: NaiveDateTime,
    pub planned_end_at: Option<NaiveDateTime>,
    pub ended_at: Option<NaiveDateTime>,
    pub created_by: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = disruption_updates, treat_none_as_default_value = false)]
pub struct UpdateRow {
    pub id: String,
    pub disruption_id: String,
    pub state: Option<String>,
    pub body: String,
    pub created_by: Option<String>,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = alerts, treat_none_as_default_value = false)]
pub struct AlertRow {
    pub fingerprint: String,
    /// `alertmanager` or `generic`.
    pub source: String,
    pub service_label: String,
    pub service_id: Option<String>,
    /// `firing` or `resolved`.
    pub status: String,
    pub summary: String,
    /// The alert's labels as JSON, kept for the admin who maps an unknown service.
    pub labels: String,
    pub ticket_id: Option<String>,
    pub received: i64,
    pub first_seen_at: NaiveDateTime,
    pub status_changed_at: NaiveDateTime,
    pub last_received_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = service_alert_tickets, treat_none_as_default_value = false)]
pub struct AlertTicketRow {
    pub service_id: String,
    pub ticket_id: String,
    pub disruption_id: Option<String>,
    pub last_alert_at: NaiveDateTime,
}

pub fn insert(conn: &mut DbConn, row: &DisruptionRow) -> QueryResult<()> {
    super::hot::changed();
    diesel::insert_into(disruptions::table).values(row).execute(conn).map(drop)
}

/// Saves what changes over a disruption's life: state, title, expected end, end.
pub fn save(conn: &mut DbConn, row: &DisruptionRow) -> QueryResult<()> {
    super::hot::changed();
    diesel::update(disruptions::table.find(&row.id))
        .set((
            disruptions::state.eq(&row.state),
            disruptions::title.eq(&row.title),
            disruptions::planned_end_at.eq(row.planned_end_at),
            disruptions::ended_at.eq(row.ended_at),
            disruptions::problem_ticket_id.eq(&row.problem_ticket_id),
            disruptions::updated_at.eq(row.updated_at),
        ))
        .execute(conn)
        .map(drop)
}

pub fn by_id(conn: &mut DbConn, id: &str) -> QueryResult<Option<DisruptionRow>> {
    disruptions::table.find(id).select(DisruptionRow::as_select()).first(conn).optional()
}

/// The disruption locked for a change (PostgreSQL; SQLite's batch holds the write lock).
pub fn by_id_for_update(conn: &mut DbConn, id: &str) -> QueryResult<Option<DisruptionRow>> {
    match conn {
        DbConn::Pg(c) => {
            disruptions::table.find(id).select(DisruptionRow::as_select()).for_update().first(c).optional()
        }
        DbConn::Sqlite(c) => disruptions::table.find(id).select(DisruptionRow::as_select()).first(c).optional(),
    }
}

/// Every disruption not ended by staff: current ones, announced maintenance, and windows whose
/// planned end passed (the caller tells those apart). Few at any time.
pub fn open(conn: &mut DbConn) -> QueryResult<Vec<DisruptionRow>> {
    disruptions::table
        .filter(disruptions::ended_at.is_null())
        .order((disruptions::starts_at.asc(), disruptions::id.asc()))
        .select(DisruptionRow::as_select())
        .load(conn)
}

/// The service's disruptions that still counted at or after `since`, newest first.
pub fn of_service_since(conn: &mut DbConn, service_id: &str, since: NaiveDateTime) -> QueryResult<Vec<DisruptionRow>> {
    disruptions::table
        .filter(disruptions::service_id.eq(service_id))
        .filter(disruptions::ended_at.is_null().or(disruptions::ended_at.ge(since)))
        .order((disruptions::starts_at.desc(), disruptions::id.desc()))
        .select(DisruptionRow::as_select())
        .load(conn)
}

/// Outage spans (service, start, end) ended at or after `since`: what the uptime figures sum.
/// Three columns only, so the status page reads ten thousand past disruptions quickly.
pub fn outage_spans_ended_since(
    conn: &mut DbConn,
    since: NaiveDateTime,
) -> QueryResult<Vec<(String, NaiveDateTime, Option<NaiveDateTime>)>> {
    disruptions::table
        .filter(disruptions::ended_at.ge(since))
        .filter(disruptions::state.ne("maintenance"))
        .select((disruptions::service_id, disruptions::starts_at, disruptions::ended_at))
        .load(conn)
}

/// Disruptions that overlap `[from, to)`, oldest first: the period report's section.
pub fn overlapping(conn: &mut DbConn, from: NaiveDateTime, to: NaiveDateTime) -> QueryResult<Vec<DisruptionRow>> {
    disruptions::table
        .filter(disruptions::starts_at.lt(to))
        .filter(disruptions::ended_at.is_null().or(disruptions::ended_at.gt(from)))
        .order((disruptions::starts_at.asc(), disruptions::id.asc()))
        .select(DisruptionRow::as_select())
        .load(conn)
}

/// The latest change to any disruption or update: the status page's cache key.
pub fn last_change(conn: &mut DbConn) -> QueryResult<(Option<NaiveDateTime>, i64)> {
    let changed = disruptions::table.select(diesel::dsl::max(disruptions::updated_at)).first(conn)?;
    let count = disruptions::table.count().get_result(conn)?;
    Ok((changed, count))
}

/// Disruptions declared with a problem ticket, still running.
pub fn running_of_problem(conn: &mut DbConn, ticket_id: &str) -> QueryResult<Vec<DisruptionRow>> {
    disruptions::table
        .filter(disruptions::problem_ticket_id.eq(ticket_id))
        .filter(disruptions::ended_at.is_null())
        .select(DisruptionRow::as_select())
        .load(conn)
}

pub fn insert_update(conn: &mut DbConn, row: &UpdateRow) -> QueryResult<()> {
    diesel::insert_into(disruption_updates::table).values(row).execute(conn).map(drop)
}

/// Updates of the given disruptions, newest first.
pub fn updates_of(conn: &mut DbConn, ids: &[String]) -> QueryResult<Vec<UpdateRow>> {
    disruption_updates::table
        .filter(disruption_updates::disruption_id.eq_any(ids))
        .order((disruption_updates::created_at.desc(), disruption_updates::id.desc()))
        .select(UpdateRow::as_select())
        .load(conn)
}

/// The newest updates across all disruptions, with their disruption: the Atom feed.
pub fn recent_updates(conn: &mut DbConn, limit: i64) -> QueryResult<Vec<(UpdateRow, DisruptionRow)>> {
    disruption_updates::table
        .inner_join(disruptions::table.on(disruptions::id.eq(disruption_updates::disruption_id)))
        .order((disruption_updates::created_at.desc(), disruption_updates::id.desc()))
        .limit(limit)
        .select((UpdateRow::as_select(), DisruptionRow::as_select()))
        .load(conn)
}

/// Adds a follower; following twice is one follower.
pub fn follow(conn: &mut DbConn, disruption_id: &str, ticket_id: &str, at: NaiveDateTime) -> QueryResult<bool> {
    let known = disruption_followers::table
        .filter(disruption_followers::disruption_id.eq(disruption_id))
        .filter(disruption_followers::ticket_id.eq(ticket_id))
        .count()
        .get_result::<i64>(conn)?;
    if known > 0 {
        return Ok(false);
    }
    diesel::insert_into(disruption_followers::table)
        .values((
            disruption_followers::disruption_id.eq(disruption_id),
            disruption_followers::ticket_id.eq(ticket_id),
            disruption_followers::created_at.eq(at),
        ))
        .execute(conn)?;
    Ok(true)
}

pub fn followers(conn: &mut DbConn, disruption_id: &str) -> QueryResult<Vec<String>> {
    disruption_followers::table
        .filter(disruption_followers::disruption_id.eq(disruption_id))
        .order(disruption_followers::created_at.asc())
        .select(disruption_followers::ticket_id)
        .load(conn)
}

/// Whether monitoring may declare a disruption on the service (its `alert_declares` setting).
pub fn alert_declares(conn: &mut DbConn, service_id: &str) -> QueryResult<bool> {
    services::table.find(service_id).select(services::alert_declares).first(conn)
}

pub fn set_alert_declares(conn: &mut DbConn, service_id: &str, on: bool) -> QueryResult<()> {
    diesel::update(services::table.find(service_id)).set(services::alert_declares.eq(on)).execute(conn).map(drop)
}

/// Services whose alerts declare disruptions.
pub fn services_declaring(conn: &mut DbConn) -> QueryResult<Vec<String>> {
    services::table.filter(services::alert_declares.eq(true)).select(services::id).load(conn)
}

pub fn alert(conn: &mut DbConn, fingerprint: &str) -> QueryResult<Option<AlertRow>> {
    alerts::table.find(fingerprint).select(AlertRow::as_select()).first(conn).optional()
}

pub fn insert_alert(conn: &mut DbConn, row: &AlertRow) -> QueryResult<()> {
    diesel::insert_into(alerts::table).values(row).execute(conn).map(drop)
}

pub fn save_alert(conn: &mut DbConn, row: &AlertRow) -> QueryResult<()> {
    diesel::update(alerts::table.find(&row.fingerprint))
        .set((
            alerts::service_id.eq(&row.service_id),
            alerts::status.eq(&row.status),
            alerts::summary.eq(&row.summary),
            alerts::labels.eq(&row.labels),
            alerts::ticket_id.eq(&row.ticket_id),
            alerts::received.eq(row.received),
            alerts::status_changed_at.eq(row.status_changed_at),
            alerts::last_received_at.eq(row.last_received_at),
        ))
        .execute(conn)
        .map(drop)
}

/// Alerts of a service still firing.
pub fn firing_of_service(conn: &mut DbConn, service_id: &str) -> QueryResult<i64> {
    alerts::table.filter(alerts::service_id.eq(service_id)).filter(alerts::status.eq("firing")).count().get_result(conn)
}

/// The newest alerts, those for unknown services first when asked.
pub fn recent_alerts(conn: &mut DbConn, unknown_only: bool, limit: i64) -> QueryResult<Vec<AlertRow>> {
    let mut query = alerts::table.select(AlertRow::as_select()).into_boxed();
    if unknown_only {
        query = query.filter(alerts::service_id.is_null());
    }
    query.order((alerts::last_received_at.desc(), alerts::fingerprint.asc())).limit(limit).load(conn)
}

/// Serialises changes to one service's disruptions and monitoring ticket on PostgreSQL: parallel
/// alerts and declarations for a service wait here for each other instead of both opening a
/// ticket or an outage. `FOR NO KEY UPDATE`, so that tickets and alerts that merely refer to the
/// service (their foreign keys take a KEY SHARE lock) are not held up. SQLite's batch already
/// holds the database's write lock.
pub fn lock_service(conn: &mut DbConn, service_id: &str) -> QueryResult<()> {
    if let DbConn::Pg(c) = conn {
        services::table.find(service_id).select(services::id).for_no_key_update().first::<String>(c)?;
    }
    Ok(())
}

/// The service's monitoring ticket; call [`lock_service`] first.
pub fn alert_ticket(conn: &mut DbConn, service_id: &str) -> QueryResult<Option<AlertTicketRow>> {
    service_alert_tickets::table.find(service_id).select(AlertTicketRow::as_select()).first(conn).optional()
}

pub fn put_alert_ticket(conn: &mut DbConn, row: &AlertTicketRow) -> QueryResult<()> {
    diesel::delete(service_alert_tickets::table.find(&row.service_id)).execute(conn)?;
    diesel::insert_into(service_alert_tickets::table).values(row).execute(conn).map(drop)
}

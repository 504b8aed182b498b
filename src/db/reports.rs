//! The report's queries (SPEC section 8): aggregates computed by the database, the same SQL on
//! SQLite and PostgreSQL except where the dialects differ (the local day of a timestamp).
//!
//! The statements embed their values as literals: every value is typed (an instant we
//! formatted, a unit id read from the database and checked to be a UUID), so nothing a user
//! typed reaches the SQL text, and each query has the one plan its literals suggest.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text, Timestamp};

use super::DbConn;

/// Which tickets a report covers and the instants it is judged at.
#[derive(Debug, Clone)]
pub struct Window {
    /// `None` for the whole city.
    pub unit_id: Option<String>,
    /// Lists of tickets (security incidents, problems) leave confidential ones out unless the
    /// reader may see them (SPEC 2: the assignee, tier 2, supervisors and admins).
    pub with_confidential: bool,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub as_of: DateTime<Utc>,
    /// The zone's offset from UTC at the period start, for grouping by local day.
    pub utc_offset_seconds: i32,
}

#[derive(Debug, QueryableByName)]
pub struct Grouped {
    #[diesel(sql_type = Text)]
    pub a: String,
    #[diesel(sql_type = Text)]
    pub b: String,
    #[diesel(sql_type = BigInt)]
    pub n: i64,
}

#[derive(Debug, QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(Debug, QueryableByName)]
pub struct PriorityCounts {
    #[diesel(sql_type = Text)]
    pub priority: String,
    #[diesel(sql_type = BigInt)]
    pub tickets: i64,
    #[diesel(sql_type = BigInt)]
    pub fr_met: i64,
    #[diesel(sql_type = BigInt)]
    pub fr_breached: i64,
    #[diesel(sql_type = BigInt)]
    pub res_met: i64,
    #[diesel(sql_type = BigInt)]
    pub res_breached: i64,
}

/// What the business-time figures are computed from (the calendar arithmetic is Rust's).
#[derive(Debug, QueryableByName)]
pub struct Timing {
    #[diesel(sql_type = Text)]
    pub priority: String,
    #[diesel(sql_type = Timestamp)]
    pub created_at: NaiveDateTime,
    #[diesel(sql_type = Nullable<Timestamp>)]
    pub first_response_at: Option<NaiveDateTime>,
    #[diesel(sql_type = Nullable<Timestamp>)]
    pub resolved_at: Option<NaiveDateTime>,
    #[diesel(sql_type = BigInt)]
    pub paused_seconds: i64,
}

#[derive(Debug, QueryableByName)]
pub struct EscalatedEvent {
    #[diesel(sql_type = Text)]
    pub ticket_id: String,
    #[diesel(sql_type = Text)]
    pub priority: String,
    #[diesel(sql_type = Text)]
    pub kind: String,
    #[diesel(sql_type = Text)]
    pub role: String,
    #[diesel(sql_type = Timestamp)]
    pub created_at: NaiveDateTime,
}

#[derive(Debug, QueryableByName)]
pub struct IncidentRow {
    #[diesel(sql_type = Text)]
    pub number: String,
    #[diesel(sql_type = Text)]
    pub unit: String,
    #[diesel(sql_type = Text)]
    pub priority: String,
    #[diesel(sql_type = Text)]
    pub status: String,
    #[diesel(sql_type = Timestamp)]
    pub created_at: NaiveDateTime,
    #[diesel(sql_type = Nullable<Timestamp>)]
    pub first_response_at: Option<NaiveDateTime>,
    #[diesel(sql_type = Nullable<Timestamp>)]
    pub resolved_at: Option<NaiveDateTime>,
    #[diesel(sql_type = Nullable<Timestamp>)]
    pub security_flagged_at: Option<NaiveDateTime>,
    #[diesel(sql_type = Nullable<Timestamp>)]
    pub breach_flagged_at: Option<NaiveDateTime>,
    #[diesel(sql_type = Nullable<Timestamp>)]
    pub notice_produced_at: Option<NaiveDateTime>,
    #[diesel(sql_type = Nullable<Timestamp>)]
    pub breach_notified_at: Option<NaiveDateTime>,
}

#[derive(Debug, QueryableByName)]
pub struct ProblemRow {
    #[diesel(sql_type = Text)]
    pub number: String,
    #[diesel(sql_type = Text)]
    pub status: String,
    #[diesel(sql_type = Timestamp)]
    pub created_at: NaiveDateTime,
    #[diesel(sql_type = Text)]
    pub incident: String,
}

#[derive(Debug, QueryableByName)]
pub struct AgentRow {
    #[diesel(sql_type = Text)]
    pub user_id: String,
    #[diesel(sql_type = Text)]
    pub measure: String,
    #[diesel(sql_type = BigInt)]
    pub n: i64,
}

impl Window {
    /// `AND <alias>.classification <> 'confidential'` for readers who may not see those.
    fn visible(&self, alias: &str) -> String {
        if self.with_confidential {
            String::new()
        } else {
            format!(" AND {alias}.classification <> 'confidential'")
        }
    }

    fn is_pg(conn: &DbConn) -> bool {
        matches!(conn, DbConn::Pg(_))
    }

    fn ts(conn: &DbConn, t: DateTime<Utc>) -> String {
        let text = t.naive_utc().format("%Y-%m-%d %H:%M:%S%.f");
        if Self::is_pg(conn) {
            format!("TIMESTAMP '{text}'")
        } else {
            format!("'{text}'")
        }
    }

    /// `AND <alias>.unit_id = '…'` for a unit report, nothing for the city.
    fn unit(&self, alias: &str) -> String {
        match &self.unit_id {
            // Ids are UUIDs written by meja; anything else cannot be a unit and matches nothing.
            Some(id) if id.chars().all(|c| c.is_ascii_hexdigit() || c == '-') => {
                format!(" AND {alias}.unit_id = '{id}'")
            }
            Some(_) => " AND 1 = 0".into(),
            None => String::new(),
        }
    }

    /// ` JOIN ticket_history <facts> ON …`: the facts of ticket `<ticket>` as they stood at
    /// `as_of` (its unit, tier, priority, status, assignee and clocks). Every figure reads
    /// these, never the ticket's current columns, so a change after the period's end moves
    /// nothing in its report (SPEC 8).
    fn facts(&self, conn: &DbConn, ticket: &str, facts: &str) -> String {
        let at = Self::ts(conn, self.as_of);
        format!(
            " JOIN ticket_history {facts} ON {facts}.ticket_id = {ticket}.id AND {facts}.valid_from <= {at} \
             AND ({facts}.valid_to IS NULL OR {facts}.valid_to > {at})"
        )
    }

    /// The facts (`<facts>`, a `ticket_history` row) at `as_of` of the tickets opened in the
    /// period that were then in the report's unit. Found through the history's own
    /// `created_at` index: no probe into `tickets` per ticket.
    fn opened_facts(&self, conn: &DbConn, facts: &str) -> String {
        let at = Self::ts(conn, self.as_of);
        format!(
            "{facts}.created_at >= {} AND {facts}.created_at < {} AND {facts}.valid_from <= {at} \
             AND ({facts}.valid_to IS NULL OR {facts}.valid_to > {at}){}",
            Self::ts(conn, self.start),
            Self::ts(conn, self.end),
            self.unit(facts)
        )
    }

    fn between(&self, conn: &DbConn, column: &str) -> String {
        format!("{column} >= {} AND {column} < {}", Self::ts(conn, self.start), Self::ts(conn, self.end))
    }
}

pub(super) fn load<R: QueryableByName<diesel::sqlite::Sqlite> + QueryableByName<diesel::pg::Pg> + 'static>(
    conn: &mut DbConn,
    sql: &str,
) -> QueryResult<Vec<R>> {
    match conn {
        DbConn::Sqlite(c) => diesel::sql_query(sql).load(c),
        DbConn::Pg(c) => diesel::sql_query(sql).load(c),
    }
}

fn count(conn: &mut DbConn, sql: &str) -> QueryResult<i64> {
    Ok(load::<Count>(conn, sql)?.first().map_or(0, |c| c.n))
}

pub fn by_kind_channel(conn: &mut DbConn, w: &Window) -> QueryResult<Vec<Grouped>> {
    let sql = format!(
        "SELECT f.kind AS a, f.channel AS b, COUNT(*) AS n FROM ticket_history f WHERE {} \
         GROUP BY f.kind, f.channel ORDER BY f.kind, f.channel",
        w.opened_facts(conn, "f")
    );
    load(conn, &sql)
}

/// Tickets per service (`a` code, `b` name; empty for tickets without a service); `kind`
/// narrows to one kind. Unordered: the caller sorts, so both databases give the same order
/// whatever their collation.
pub fn by_service(conn: &mut DbConn, w: &Window, kind: Option<&str>) -> QueryResult<Vec<Grouped>> {
    let kind = match kind {
        Some(k) if k.chars().all(|c| c.is_ascii_lowercase() || c == '_') => format!(" AND f.kind = '{k}'"),
        Some(_) => " AND 1 = 0".into(),
        None => String::new(),
    };
    let sql = format!(
        "SELECT COALESCE(s.code, '') AS a, COALESCE(s.name, '') AS b, COUNT(*) AS n \
         FROM ticket_history f LEFT JOIN services s ON s.id = f.service_id WHERE {}{kind} \
         GROUP BY s.code, s.name",
        w.opened_facts(conn, "f")
    );
    load(conn, &sql)
}

/// Tickets per local day (`a` = `YYYY-MM-DD`); days without tickets are absent.
pub fn per_day(conn: &mut DbConn, w: &Window) -> QueryResult<Vec<Grouped>> {
    let offset = w.utc_offset_seconds;
    let day = if Window::is_pg(conn) {
        format!("to_char(f.created_at + interval '{offset} seconds', 'YYYY-MM-DD')")
    } else {
        format!("substr(datetime(f.created_at, '{offset:+} seconds'), 1, 10)")
    };
    let sql = format!(
        "SELECT {day} AS a, '' AS b, COUNT(*) AS n FROM ticket_history f WHERE {} GROUP BY 1 ORDER BY 1",
        w.opened_facts(conn, "f")
    );
    load(conn, &sql)
}

/// Resolutions during the period (a ticket resolved, reopened and resolved again counts twice,
/// as in the per-agent table).
pub fn resolved(conn: &mut DbConn, w: &Window) -> QueryResult<i64> {
    events_of_kind(conn, w, "ticket.resolved")
}

/// Closed and cancelled during the period (`a` = status). Closing and cancelling are final, so
/// the ticket's own `closed_at` finds them through its index.
pub fn finished(conn: &mut DbConn, w: &Window) -> QueryResult<Vec<Grouped>> {
    let sql = format!(
        "SELECT f.status AS a, '' AS b, COUNT(*) AS n FROM tickets t{} WHERE {} AND {}{} \
         GROUP BY f.status ORDER BY f.status",
        w.facts(conn, "t", "f"),
        w.between(conn, "t.closed_at"),
        w.between(conn, "f.closed_at"),
        w.unit("f")
    );
    load(conn, &sql)
}

/// `SELECT <columns> FROM ticket_history h JOIN tickets t …` for the tickets new, open or
/// pending at `as_of` (with `h` their facts then): spans still current, found through the
/// partial index on their status, and spans that ended after `as_of`, through their end. One
/// `OR` over both would read the whole history.
fn standing(w: &Window, conn: &DbConn, columns: &str, filter: &str) -> String {
    let at = Window::ts(conn, w.as_of);
    let from = format!("SELECT {columns} FROM ticket_history h JOIN tickets t ON t.id = h.ticket_id");
    let open = "h.status IN ('new', 'open', 'pending')";
    format!(
        "{from} WHERE h.valid_to IS NULL AND {open} AND h.valid_from <= {at}{filter} \
         UNION ALL {from} WHERE h.valid_to IS NOT NULL AND h.valid_to > {at} AND {open} AND h.valid_from <= {at}{filter}"
    )
}

/// The backlog at `as_of`: tickets opened before it and new, open or pending then, grouped by
/// age bucket (`a`) and assignee then (`b`, empty if none).
pub fn backlog(conn: &mut DbConn, w: &Window) -> QueryResult<Vec<Grouped>> {
    let as_of = Window::ts(conn, w.as_of);
    let age = |days: i64| Window::ts(conn, w.as_of - chrono::Duration::days(days));
    let filter = format!(" AND t.created_at < {as_of}{}", w.unit("h"));
    let standing = standing(w, conn, "t.created_at, COALESCE(h.assignee_id, '') AS assignee", &filter);
    let sql = format!(
        "SELECT CASE WHEN b.created_at >= {d1} THEN '0-1' WHEN b.created_at >= {d3} THEN '1-3' \
         WHEN b.created_at >= {d7} THEN '3-7' WHEN b.created_at >= {d30} THEN '7-30' ELSE '>30' END AS a, \
         b.assignee AS b, COUNT(*) AS n FROM ({standing}) b GROUP BY 1, 2 ORDER BY 1, 2",
        d1 = age(1),
        d3 = age(3),
        d7 = age(7),
        d30 = age(30),
    );
    load(conn, &sql)
}

/// First-response and resolution compliance per priority of the tickets opened in the period
/// (cancelled ones are not measured), judged at `as_of`. A resolution clock paused before its
/// due time is not breached while it stays paused.
pub fn sla_per_priority(conn: &mut DbConn, w: &Window) -> QueryResult<Vec<PriorityCounts>> {
    let as_of = Window::ts(conn, w.as_of);
    let sql = format!(
        "SELECT f.priority AS priority, COUNT(*) AS tickets, \
         COUNT(CASE WHEN f.first_response_at < {as_of} AND f.first_response_at <= f.first_response_due THEN 1 END) AS fr_met, \
         COUNT(CASE WHEN f.first_response_due < {as_of} AND (f.first_response_at IS NULL OR f.first_response_at > f.first_response_due) THEN 1 END) AS fr_breached, \
         COUNT(CASE WHEN f.resolved_at < {as_of} AND f.resolved_at <= f.resolution_due THEN 1 END) AS res_met, \
         COUNT(CASE WHEN f.resolution_due < {as_of} AND (f.resolved_at IS NULL OR f.resolved_at > f.resolution_due) \
           AND NOT (f.resolved_at IS NULL AND f.pending_since IS NOT NULL AND f.pending_since <= f.resolution_due) THEN 1 END) AS res_breached \
         FROM ticket_history f WHERE {} AND f.status <> 'cancelled' GROUP BY f.priority ORDER BY f.priority",
        w.opened_facts(conn, "f")
    );
    load(conn, &sql)
}

/// The timestamps the business-time figures are computed from.
pub fn timings(conn: &mut DbConn, w: &Window) -> QueryResult<Vec<Timing>> {
    let as_of = Window::ts(conn, w.as_of);
    let sql = format!(
        "SELECT f.priority, f.created_at, f.first_response_at, f.resolved_at, f.paused_seconds FROM ticket_history f \
         WHERE {} AND f.status <> 'cancelled' AND (f.first_response_at < {as_of} OR f.resolved_at < {as_of}) \
         ORDER BY f.created_at, f.ticket_id",
        w.opened_facts(conn, "f")
    );
    load(conn, &sql)
}

/// Breach alerts whose due time fell in the period, per target (`a`): those fired by `as_of`,
/// and those fired later (the scheduler was down) for a due time that stood at `as_of`. An
/// alert fired later for a deadline that a re-prioritisation moved into the period is not one of
/// its breaches; one fired in time stays counted whatever moved the due time afterwards.
pub fn breaches(conn: &mut DbConn, w: &Window) -> QueryResult<Vec<Grouped>> {
    let sql = format!(
        "SELECT a.target AS a, '' AS b, COUNT(*) AS n FROM sla_alerts a JOIN tickets t ON t.id = a.ticket_id{} \
         WHERE a.percent = 100 AND {}{} AND (a.fired_at < {} OR a.due_at = CASE a.target \
         WHEN 'first_response' THEN f.first_response_due ELSE f.resolution_due END) GROUP BY a.target ORDER BY a.target",
        w.facts(conn, "t", "f"),
        w.between(conn, "a.due_at"),
        w.unit("f"),
        Window::ts(conn, w.as_of)
    );
    load(conn, &sql)
}

/// Audit events of one kind during the period, on the report's tickets.
pub fn events_of_kind(conn: &mut DbConn, w: &Window, kind: &str) -> QueryResult<i64> {
    if !kind.chars().all(|c| c.is_ascii_lowercase() || c == '.' || c == '_') {
        return Ok(0);
    }
    let sql = format!(
        "SELECT COUNT(*) AS n FROM events e JOIN tickets t ON t.id = e.ticket_id{} WHERE e.kind = '{kind}' AND {}{}",
        w.facts(conn, "t", "f"),
        w.between(conn, "e.created_at"),
        w.unit("f")
    );
    count(conn, &sql)
}

/// The events (before `as_of`) of escalated tickets opened in the period, in order, with the
/// role of whoever caused each.
pub fn escalated_events(conn: &mut DbConn, w: &Window) -> QueryResult<Vec<EscalatedEvent>> {
    let sql = format!(
        "SELECT e.ticket_id, f.priority, e.kind, COALESCE(u.role, '') AS role, e.created_at \
         FROM ticket_history f JOIN events e ON e.ticket_id = f.ticket_id LEFT JOIN users u ON u.id = e.actor_id \
         WHERE {} AND f.escalated = TRUE AND e.created_at < {} ORDER BY e.ticket_id, e.seq",
        w.opened_facts(conn, "f"),
        Window::ts(conn, w.as_of)
    );
    load(conn, &sql)
}

pub fn security_incidents(conn: &mut DbConn, w: &Window) -> QueryResult<Vec<IncidentRow>> {
    let sql = format!(
        "SELECT t.number, u.code AS unit, f.priority, f.status, f.created_at, f.first_response_at, f.resolved_at, \
         i.security_flagged_at, i.breach_flagged_at, i.notice_produced_at, i.breach_notified_at \
         FROM ticket_history f JOIN tickets t ON t.id = f.ticket_id JOIN units u ON u.id = f.unit_id \
         LEFT JOIN ticket_incidents i ON i.ticket_id = t.id WHERE {} AND f.security_incident = TRUE{} \
         ORDER BY t.created_at, t.number",
        w.opened_facts(conn, "f"),
        w.visible("f")
    );
    load(conn, &sql)
}

/// Ratings asked for during the period, per rating (`a`: `1`..`5`, or empty when unanswered by
/// `as_of`).
pub fn csat(conn: &mut DbConn, w: &Window) -> QueryResult<Vec<Grouped>> {
    let as_of = Window::ts(conn, w.as_of);
    let sql = format!(
        "SELECT COALESCE(CAST(CASE WHEN c.rated_at < {as_of} THEN c.rating END AS TEXT), '') AS a, '' AS b, \
         COUNT(*) AS n FROM csat c JOIN tickets t ON t.id = c.ticket_id{} WHERE {}{} GROUP BY 1 ORDER BY 1",
        w.facts(conn, "t", "f"),
        w.between(conn, "c.requested_at"),
        w.unit("f")
    );
    load(conn, &sql)
}

/// Problems opened in the period or still open at its end, one row per incident linked by then
/// (`incident` empty when none is).
pub fn problems(conn: &mut DbConn, w: &Window) -> QueryResult<Vec<ProblemRow>> {
    let as_of = Window::ts(conn, w.as_of);
    let still_open = standing(
        w,
        conn,
        "t.id",
        &format!(
            " AND h.kind = 'problem' AND t.created_at < {}{}{}",
            Window::ts(conn, w.end),
            w.unit("h"),
            w.visible("h")
        ),
    );
    // A linked incident that was confidential at `as_of` is left out for readers who may not see it.
    let hidden = if w.with_confidential {
        String::new()
    } else {
        format!(
            " AND NOT EXISTS (SELECT 1 FROM ticket_history fi WHERE fi.ticket_id = i.id AND fi.valid_from <= {as_of} \
             AND (fi.valid_to IS NULL OR fi.valid_to > {as_of}) AND fi.classification = 'confidential')"
        )
    };
    let sql = format!(
        "SELECT t.number, f.status, t.created_at, COALESCE(i.number, '') AS incident FROM ( \
         SELECT f.ticket_id AS id FROM ticket_history f WHERE f.kind = 'problem' AND {opened}{visible} \
         UNION SELECT s.id FROM ({still_open}) s) problem JOIN tickets t ON t.id = problem.id{facts} \
         LEFT JOIN ticket_links l ON l.ticket_id = t.id AND l.kind = 'incident' AND l.created_at < {as_of} \
         LEFT JOIN tickets i ON i.id = l.linked_ticket_id{hidden} \
         ORDER BY t.created_at, t.number, i.number",
        facts = w.facts(conn, "t", "f"),
        opened = w.opened_facts(conn, "f"),
        visible = w.visible("f"),
    );
    load(conn, &sql)
}

/// Per staff member: `resolved` (resolutions during the period), `public` and `internal`
/// (messages written during the period) and `minutes` (time recorded during the period) on the
/// report's tickets.
pub fn agent_activity(conn: &mut DbConn, w: &Window) -> QueryResult<Vec<AgentRow>> {
    let facts = w.facts(conn, "t", "f");
    let sql = format!(
        "SELECT e.actor_id AS user_id, 'resolved' AS measure, COUNT(*) AS n FROM events e \
         JOIN tickets t ON t.id = e.ticket_id{facts} WHERE e.kind = 'ticket.resolved' AND e.actor_id IS NOT NULL AND {}{} \
         GROUP BY e.actor_id \
         UNION ALL SELECT m.author_id AS user_id, CASE WHEN m.internal = TRUE THEN 'internal' ELSE 'public' END AS measure, \
         COUNT(*) AS n FROM messages m JOIN tickets t ON t.id = m.ticket_id{facts} \
         WHERE m.author_id IS NOT NULL AND {}{} GROUP BY m.author_id, m.internal \
         UNION ALL SELECT te.user_id AS user_id, 'minutes' AS measure, SUM(te.minutes) AS n FROM time_entries te \
         JOIN tickets t ON t.id = te.ticket_id{facts} WHERE {}{} GROUP BY te.user_id",
        w.between(conn, "e.created_at"),
        w.unit("f"),
        w.between(conn, "m.created_at"),
        w.unit("f"),
        w.between(conn, "te.created_at"),
        w.unit("f"),
    );
    load(conn, &sql)
}

//! The supervisor dashboard's figures (SPEC 7): per unit, the backlog and open breaches now,
//! and this month's volume, resolution compliance and escalations. Grouped by the database;
//! each query starts from an index (active tickets, `created_at`, `resolved_at`).

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

use super::reports::load;
use super::DbConn;

#[derive(Debug, QueryableByName)]
pub struct UnitFigure {
    #[diesel(sql_type = Text)]
    pub unit_id: String,
    #[diesel(sql_type = BigInt)]
    pub a: i64,
    #[diesel(sql_type = BigInt)]
    pub b: i64,
}

#[derive(Debug, QueryableByName)]
pub struct Number {
    #[diesel(sql_type = Text)]
    pub number: String,
}

fn ts(conn: &DbConn, t: DateTime<Utc>) -> String {
    let text = t.naive_utc().format("%Y-%m-%d %H:%M:%S%.f");
    match conn {
        DbConn::Pg(_) => format!("TIMESTAMP '{text}'"),
        DbConn::Sqlite(_) => format!("'{text}'"),
    }
}

fn truth(conn: &DbConn) -> &'static str {
    match conn {
        DbConn::Pg(_) => "TRUE",
        DbConn::Sqlite(_) => "1",
    }
}

/// Active tickets (a) and those of them past a due time now (b), per unit.
pub fn backlog(conn: &mut DbConn, now: DateTime<Utc>) -> QueryResult<Vec<UnitFigure>> {
    let (now, yes) = (ts(conn, now), truth(conn));
    let sql = format!(
        "SELECT t.unit_id AS unit_id, COUNT(*) AS a, \
         SUM(CASE WHEN (t.first_response_at IS NULL AND t.first_response_due < {now}) \
           OR (t.pending_since IS NULL AND t.resolution_due < {now}) \
           OR (t.pending_since IS NOT NULL AND t.pending_since > t.resolution_due) THEN 1 ELSE 0 END) AS b \
         FROM tickets t WHERE t.active = {yes} GROUP BY t.unit_id"
    );
    load(conn, &sql)
}

/// Tickets opened since `start` (a) and how many of them went to tier 2 (b), per unit.
pub fn opened_since(conn: &mut DbConn, start: DateTime<Utc>) -> QueryResult<Vec<UnitFigure>> {
    let (start, yes) = (ts(conn, start), truth(conn));
    let sql = format!(
        "SELECT t.unit_id AS unit_id, COUNT(*) AS a, SUM(CASE WHEN t.escalated = {yes} THEN 1 ELSE 0 END) AS b \
         FROM tickets t WHERE t.created_at >= {start} GROUP BY t.unit_id"
    );
    load(conn, &sql)
}

/// Tickets resolved since `start` (a) and how many within their resolution due time (b).
pub fn resolved_since(conn: &mut DbConn, start: DateTime<Utc>) -> QueryResult<Vec<UnitFigure>> {
    let start = ts(conn, start);
    let sql = format!(
        "SELECT t.unit_id AS unit_id, COUNT(*) AS a, \
         SUM(CASE WHEN t.resolved_at <= t.resolution_due THEN 1 ELSE 0 END) AS b \
         FROM tickets t WHERE t.resolved_at >= {start} GROUP BY t.unit_id"
    );
    load(conn, &sql)
}

/// Running tickets whose resolution falls due between now and `until`, soonest first.
/// `unit_id` narrows to one unit; confidential tickets are left out unless `with_confidential`.
pub fn nearing_breach(
    conn: &mut DbConn,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
    unit_id: Option<&str>,
    with_confidential: bool,
    limit: i64,
) -> QueryResult<Vec<Number>> {
    let (from, to, yes) = (ts(conn, now), ts(conn, until), truth(conn));
    let unit = match unit_id {
        Some(id) if id.chars().all(|c| c.is_ascii_hexdigit() || c == '-') => format!(" AND t.unit_id = '{id}'"),
        Some(_) => " AND 1 = 0".to_string(),
        None => String::new(),
    };
    let confidential = if with_confidential { "" } else { " AND t.classification <> 'confidential'" };
    let sql = format!(
        "SELECT t.number AS number FROM tickets t WHERE t.active = {yes} AND t.pending_since IS NULL \
         AND t.resolution_due >= {from} AND t.resolution_due < {to}{unit}{confidential} \
         ORDER BY t.resolution_due LIMIT {limit}"
    );
    load(conn, &sql)
}

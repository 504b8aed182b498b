//! The shared counters behind the abuse limits on PostgreSQL: one atomic statement per count, so
//! several processes count together without a lock held across a request.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text, Timestamp};

use super::schema::rate_counters;
use super::DbConn;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Queryable, QueryableByName)]
pub struct CounterRow {
    #[diesel(sql_type = BigInt)]
    pub count: i64,
    #[diesel(sql_type = Timestamp)]
    pub first_at: NaiveDateTime,
    #[diesel(sql_type = Timestamp)]
    pub last_at: NaiveDateTime,
}

/// When a counter starts again from one.
#[derive(Debug, Clone, Copy)]
pub enum Restart {
    /// Its window, begun at `first_at`, began at or before this instant (a fixed window).
    WindowBegunBy(NaiveDateTime),
    /// Its last count was at or before this instant (failures forgotten after a quiet time).
    QuietSince(NaiveDateTime),
}

pub fn read(conn: &mut DbConn, bucket: &str, key_hash: &str) -> QueryResult<Option<CounterRow>> {
    rate_counters::table
        .find((bucket, key_hash))
        .select((rate_counters::count, rate_counters::first_at, rate_counters::last_at))
        .first(conn)
        .optional()
}

/// Counts one more at `now` and returns the counter as it is after.
pub fn bump(
    conn: &mut DbConn,
    bucket: &str,
    key_hash: &str,
    now: NaiveDateTime,
    restart: Restart,
) -> QueryResult<CounterRow> {
    let (column, cutoff) = match restart {
        Restart::WindowBegunBy(at) => ("first_at", at),
        Restart::QuietSince(at) => ("last_at", at),
    };
    let stale = format!("rate_counters.{column} <= $4");
    // A process whose clock runs behind must not move the last count back (shortening waits).
    let latest = match conn {
        DbConn::Pg(_) => "GREATEST",
        DbConn::Sqlite(_) => "MAX",
    };
    let sql = format!(
        "INSERT INTO rate_counters (bucket, key_hash, count, first_at, last_at) VALUES ($1, $2, 1, $3, $3) \
         ON CONFLICT (bucket, key_hash) DO UPDATE SET \
         count = CASE WHEN {stale} THEN 1 ELSE rate_counters.count + 1 END, \
         first_at = CASE WHEN {stale} THEN EXCLUDED.first_at ELSE rate_counters.first_at END, \
         last_at = {latest}(rate_counters.last_at, EXCLUDED.last_at) \
         RETURNING count, first_at, last_at"
    );
    let sql = match conn {
        DbConn::Pg(_) => sql,
        // SQLite numbers its parameters ?1, ?2 … (used by the tests of this module only).
        DbConn::Sqlite(_) => sql.replace('$', "?"),
    };
    diesel::sql_query(sql)
        .bind::<Text, _>(bucket)
        .bind::<Text, _>(key_hash)
        .bind::<Timestamp, _>(now)
        .bind::<Timestamp, _>(cutoff)
        .get_result(conn)
}

pub fn clear(conn: &mut DbConn, bucket: &str, key_hash: &str) -> QueryResult<()> {
    diesel::delete(rate_counters::table.find((bucket, key_hash))).execute(conn).map(drop)
}

/// Forgets counters untouched since `before` (every limit forgets within a day).
pub fn prune(conn: &mut DbConn, before: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(rate_counters::table.filter(rate_counters::last_at.lt(before))).execute(conn)
}

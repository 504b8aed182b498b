//! The archive of generated reports, their files and supervisors' review notes.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::schema::{report_files, report_reviews, reports};
use super::DbConn;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = reports, treat_none_as_null = true)]
pub struct ReportRow {
    pub id: String,
    pub scope: String,
    pub unit_id: Option<String>,
    pub period: String,
    pub first_day: NaiveDate,
    pub last_day: NaiveDate,
    pub generated_at: NaiveDateTime,
    pub generated_by: Option<String>,
    pub data_sha256: String,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = report_files)]
pub struct ReportFileRow {
    pub report_id: String,
    pub format: String,
    pub file_name: String,
    pub sha256: String,
    pub size_bytes: i64,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = report_reviews)]
pub struct ReviewRow {
    pub id: String,
    pub report_id: String,
    pub author_id: String,
    pub note: String,
    pub created_at: NaiveDateTime,
}

/// Inserts the report unless its scope and period are archived already; false if they were
/// (another process won the race, or it ran before).
pub fn insert_if_new(conn: &mut DbConn, row: &ReportRow) -> QueryResult<bool> {
    let inserted = match conn {
        DbConn::Sqlite(c) => diesel::insert_into(reports::table).values(row).on_conflict_do_nothing().execute(c)?,
        DbConn::Pg(c) => diesel::insert_into(reports::table).values(row).on_conflict_do_nothing().execute(c)?,
    };
    Ok(inserted == 1)
}

pub fn find(conn: &mut DbConn, scope: &str, period: &str) -> QueryResult<Option<ReportRow>> {
    reports::table
        .filter(reports::scope.eq(scope))
        .filter(reports::period.eq(period))
        .select(ReportRow::as_select())
        .first(conn)
        .optional()
}

pub fn by_id(conn: &mut DbConn, id: &str) -> QueryResult<Option<ReportRow>> {
    reports::table.find(id).select(ReportRow::as_select()).first(conn).optional()
}

pub fn count_for_period(conn: &mut DbConn, period: &str) -> QueryResult<i64> {
    reports::table.filter(reports::period.eq(period)).count().get_result(conn)
}

/// Archived reports overlapping `[first, last]`, newest period first; `scopes` narrows them.
pub fn list(
    conn: &mut DbConn,
    first: Option<NaiveDate>,
    last: Option<NaiveDate>,
    scopes: Option<&[String]>,
    limit: Option<i64>,
) -> QueryResult<Vec<ReportRow>> {
    let mut query = reports::table.select(ReportRow::as_select()).into_boxed();
    if let Some(first) = first {
        query = query.filter(reports::last_day.ge(first));
    }
    if let Some(last) = last {
        query = query.filter(reports::first_day.le(last));
    }
    if let Some(scopes) = scopes {
        query = query.filter(reports::scope.eq_any(scopes));
    }
    if let Some(limit) = limit {
        query = query.limit(limit);
    }
    query.order((reports::first_day.desc(), reports::scope.asc())).load(conn)
}

pub fn insert_file(conn: &mut DbConn, row: &ReportFileRow) -> QueryResult<()> {
    diesel::insert_into(report_files::table).values(row).execute(conn).map(|_| ())
}

pub fn files_of(conn: &mut DbConn, report_id: &str) -> QueryResult<Vec<ReportFileRow>> {
    report_files::table
        .filter(report_files::report_id.eq(report_id))
        .select(ReportFileRow::as_select())
        .order(report_files::format.asc())
        .load(conn)
}

pub fn insert_review(conn: &mut DbConn, row: &ReviewRow) -> QueryResult<()> {
    diesel::insert_into(report_reviews::table).values(row).execute(conn).map(|_| ())
}

pub fn reviews_of(conn: &mut DbConn, report_id: &str) -> QueryResult<Vec<ReviewRow>> {
    report_reviews::table
        .filter(report_reviews::report_id.eq(report_id))
        .select(ReviewRow::as_select())
        .order((report_reviews::created_at.asc(), report_reviews::id.asc()))
        .load(conn)
}

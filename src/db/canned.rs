//! Canned replies (issue 15).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{canned_replies, canned_reply_files};
use super::DbConn;

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = canned_replies, treat_none_as_null = true, treat_none_as_default_value = false)]
pub struct CannedRow {
    pub id: String,
    /// `None`: city-wide.
    pub unit_id: Option<String>,
    pub title: String,
    pub body: String,
    /// `pend` or `resolve`, applied with the reply.
    pub action: Option<String>,
    pub uses: i64,
    pub created_by: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

pub fn insert(conn: &mut DbConn, row: &CannedRow) -> QueryResult<()> {
    diesel::insert_into(canned_replies::table).values(row).execute(conn).map(drop)
}

pub fn save(conn: &mut DbConn, row: &CannedRow) -> QueryResult<()> {
    diesel::update(canned_replies::table.find(&row.id)).set(row).execute(conn).map(drop)
}

pub fn delete(conn: &mut DbConn, id: &str) -> QueryResult<usize> {
    diesel::delete(canned_replies::table.find(id)).execute(conn)
}

pub fn by_id(conn: &mut DbConn, id: &str) -> QueryResult<Option<CannedRow>> {
    canned_replies::table.find(id).select(CannedRow::as_select()).first(conn).optional()
}

/// City-wide replies and those of `units` (every unit's when `units` is `None`), by title.
pub fn list(conn: &mut DbConn, units: Option<&[String]>) -> QueryResult<Vec<CannedRow>> {
    let mut query = canned_replies::table.select(CannedRow::as_select()).into_boxed();
    if let Some(units) = units {
        query = query.filter(canned_replies::unit_id.is_null().or(canned_replies::unit_id.eq_any(units.to_vec())));
    }
    query.order((canned_replies::title.asc(), canned_replies::id.asc())).load(conn)
}

/// Counts one use, in the transaction that sends the reply.
pub fn count_use(conn: &mut DbConn, id: &str) -> QueryResult<()> {
    diesel::update(canned_replies::table.find(id))
        .set(canned_replies::uses.eq(canned_replies::uses + 1))
        .execute(conn)
        .map(drop)
}

/// A file kept with a canned reply.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = canned_reply_files)]
pub struct CannedFileRow {
    pub id: String,
    pub canned_reply_id: String,
    pub filename: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub created_at: NaiveDateTime,
}

pub fn insert_file(conn: &mut DbConn, row: &CannedFileRow) -> QueryResult<()> {
    diesel::insert_into(canned_reply_files::table).values(row).execute(conn).map(drop)
}

pub fn files_of(conn: &mut DbConn, canned_reply_id: &str) -> QueryResult<Vec<CannedFileRow>> {
    canned_reply_files::table
        .filter(canned_reply_files::canned_reply_id.eq(canned_reply_id))
        .order((canned_reply_files::created_at.asc(), canned_reply_files::filename.asc()))
        .select(CannedFileRow::as_select())
        .load(conn)
}

pub fn delete_file(conn: &mut DbConn, id: &str) -> QueryResult<usize> {
    diesel::delete(canned_reply_files::table.find(id)).execute(conn)
}

pub fn delete_files_of(conn: &mut DbConn, canned_reply_id: &str) -> QueryResult<usize> {
    diesel::delete(canned_reply_files::table.filter(canned_reply_files::canned_reply_id.eq(canned_reply_id)))
        .execute(conn)
}

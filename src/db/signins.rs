//! The sign-in log.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use super::schema::signins;
use super::DbConn;

#[derive(Debug, Clone, Queryable, Selectable, Insertable, Serialize)]
#[diesel(table_name = signins)]
pub struct SigninRow {
    #[serde(skip)]
    pub id: String,
    #[serde(skip)]
    pub at: NaiveDateTime,
    pub username: String,
    #[serde(skip)]
    pub user_id: Option<String>,
    pub address: String,
    pub method: String,
    pub outcome: String,
    pub reason: Option<String>,
}

pub fn insert(conn: &mut DbConn, row: &SigninRow) -> QueryResult<()> {
    diesel::insert_into(signins::table).values(row).execute(conn).map(drop)
}

/// The newest first, of one username or of everyone.
pub fn list(conn: &mut DbConn, username: Option<&str>, limit: i64) -> QueryResult<Vec<SigninRow>> {
    let mut query = signins::table.select(SigninRow::as_select()).order(signins::at.desc()).limit(limit).into_boxed();
    if let Some(u) = username {
        query = query.filter(signins::username.eq(u.to_string()));
    }
    query.load(conn)
}

pub fn prune_before(conn: &mut DbConn, cutoff: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(signins::table.filter(signins::at.lt(cutoff))).execute(conn)
}

//! Single-use password reset links, kept as SHA-256 hashes.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::password_resets;
use super::DbConn;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = password_resets)]
pub struct ResetRow {
    pub id: String,
    pub user_id: String,
    pub token_hash: String,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub used_at: Option<NaiveDateTime>,
}

pub fn insert(conn: &mut DbConn, row: &ResetRow) -> QueryResult<()> {
    diesel::insert_into(password_resets::table).values(row).execute(conn).map(drop)
}

pub fn by_hash(conn: &mut DbConn, token_hash: &str) -> QueryResult<Option<ResetRow>> {
    password_resets::table
        .filter(password_resets::token_hash.eq(token_hash))
        .select(ResetRow::as_select())
        .first(conn)
        .optional()
}

/// How many links a person was sent since `since`: a bound on mail anyone can trigger.
pub fn sent_since(conn: &mut DbConn, user_id: &str, since: NaiveDateTime) -> QueryResult<i64> {
    password_resets::table
        .filter(password_resets::user_id.eq(user_id))
        .filter(password_resets::created_at.ge(since))
        .count()
        .get_result(conn)
}

/// Uses one link, and spends every other open link of the person with it.
pub fn use_all_of(conn: &mut DbConn, user_id: &str, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(
        password_resets::table.filter(password_resets::user_id.eq(user_id)).filter(password_resets::used_at.is_null()),
    )
    .set(password_resets::used_at.eq(now))
    .execute(conn)
}

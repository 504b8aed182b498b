//! API tokens: only their SHA-256 is stored, so a leaked database does not leak sessions.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{api_tokens, users};
use super::DbConn;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = api_tokens)]
pub struct TokenRow {
    pub id: String,
    pub user_id: String,
    pub token_hash: String,
    pub label: String,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub revoked_at: Option<NaiveDateTime>,
    /// Where the session began (the client address) and in which browser.
    pub address: Option<String>,
    pub user_agent: Option<String>,
    /// When it was last used, to within five minutes.
    pub last_used_at: Option<NaiveDateTime>,
}

pub fn insert(conn: &mut DbConn, row: &TokenRow) -> QueryResult<()> {
    diesel::insert_into(api_tokens::table).values(row).execute(conn).map(drop)
}

/// Who a live token belongs to: only what every request needs (the token check runs on each
/// one, so it reads six columns, not the person's whole row with hashes and secrets).
#[derive(Debug, Clone, Queryable)]
pub struct TokenOwner {
    pub token_hash: String,
    pub token_id: String,
    pub user_id: String,
    pub username: String,
    pub name: String,
    pub role: String,
    pub unit_id: Option<String>,
}

/// The owners of those of `token_hashes` that are live (not revoked, not expired, their
/// person active), in one indexed read: concurrent requests' checks go together
/// (`desk::token_checks`).
pub fn owners_of_tokens(
    conn: &mut DbConn,
    token_hashes: &[String],
    now: NaiveDateTime,
) -> QueryResult<Vec<TokenOwner>> {
    api_tokens::table
        .inner_join(users::table)
        .filter(api_tokens::token_hash.eq_any(token_hashes))
        .filter(api_tokens::revoked_at.is_null())
        .filter(api_tokens::expires_at.gt(now))
        .filter(users::active.eq(true))
        .select((
            api_tokens::token_hash,
            api_tokens::id,
            users::id,
            users::username,
            users::name,
            users::role,
            users::unit_id,
        ))
        .load(conn)
}

/// The owner of one live token.
pub fn owner_of_token(conn: &mut DbConn, token_hash: &str, now: NaiveDateTime) -> QueryResult<Option<TokenOwner>> {
    Ok(owners_of_tokens(conn, &[token_hash.to_string()], now)?.pop())
}

pub fn revoke(conn: &mut DbConn, token_id: &str, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(api_tokens::table.find(token_id).filter(api_tokens::revoked_at.is_null()))
        .set(api_tokens::revoked_at.eq(now))
        .execute(conn)
}

pub fn revoke_all_for_user(conn: &mut DbConn, user_id: &str, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(api_tokens::table.filter(api_tokens::user_id.eq(user_id)).filter(api_tokens::revoked_at.is_null()))
        .set(api_tokens::revoked_at.eq(now))
        .execute(conn)
}

/// Ends every session and token of a person but `keep` (the one they are using now).
pub fn revoke_all_for_user_except(
    conn: &mut DbConn,
    user_id: &str,
    keep: Option<&str>,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    let open = api_tokens::table.filter(api_tokens::user_id.eq(user_id)).filter(api_tokens::revoked_at.is_null());
    match keep {
        Some(id) => {
            diesel::update(open.filter(api_tokens::id.ne(id))).set(api_tokens::revoked_at.eq(now)).execute(conn)
        }
        None => diesel::update(open).set(api_tokens::revoked_at.eq(now)).execute(conn),
    }
}

pub fn touch(conn: &mut DbConn, token_id: &str, now: NaiveDateTime) -> QueryResult<()> {
    diesel::update(api_tokens::table.find(token_id)).set(api_tokens::last_used_at.eq(now)).execute(conn).map(drop)
}

/// A person's live sessions and tokens, newest first.
pub fn live_of(conn: &mut DbConn, user_id: &str, now: NaiveDateTime) -> QueryResult<Vec<TokenRow>> {
    api_tokens::table
        .filter(api_tokens::user_id.eq(user_id))
        .filter(api_tokens::revoked_at.is_null())
        .filter(api_tokens::expires_at.gt(now))
        .order(api_tokens::created_at.desc())
        .select(TokenRow::as_select())
        .load(conn)
}

pub fn by_id(conn: &mut DbConn, token_id: &str) -> QueryResult<Option<TokenRow>> {
    api_tokens::table.find(token_id).select(TokenRow::as_select()).first(conn).optional()
}

/// The newest tokens (sign-in sessions and integration tokens alike), each with its owner's
/// username, for the administration page.
pub fn list_recent(conn: &mut DbConn, limit: i64) -> QueryResult<Vec<(TokenRow, String)>> {
    api_tokens::table
        .inner_join(users::table)
        .order((api_tokens::created_at.desc(), api_tokens::id.desc()))
        .limit(limit)
        .select((TokenRow::as_select(), users::username))
        .load(conn)
}

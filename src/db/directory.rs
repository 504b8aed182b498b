//! Directory group mappings and single sign-ons in progress.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{directory_group_mappings, oidc_logins};
use super::DbConn;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = directory_group_mappings)]
pub struct MappingRow {
    pub id: String,
    pub position: i32,
    pub group_name: String,
    pub role: String,
    pub unit_id: Option<String>,
    pub created_at: NaiveDateTime,
}

/// In the order they are tried.
pub fn mappings(conn: &mut DbConn) -> QueryResult<Vec<MappingRow>> {
    directory_group_mappings::table
        .select(MappingRow::as_select())
        .order(directory_group_mappings::position.asc())
        .load(conn)
}

pub fn replace_mappings(conn: &mut DbConn, rows: &[MappingRow]) -> QueryResult<()> {
    diesel::delete(directory_group_mappings::table).execute(conn)?;
    for row in rows {
        diesel::insert_into(directory_group_mappings::table).values(row).execute(conn)?;
    }
    Ok(())
}

#[derive(Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = oidc_logins)]
pub struct OidcLoginRow {
    pub state_hash: String,
    pub nonce: String,
    pub pkce_verifier: String,
    pub next_path: Option<String>,
    pub created_at: NaiveDateTime,
}

pub fn insert_oidc_login(conn: &mut DbConn, row: &OidcLoginRow) -> QueryResult<()> {
    diesel::insert_into(oidc_logins::table).values(row).execute(conn).map(drop)
}

/// Takes the sign-on a callback's state names: found once, then gone.
pub fn take_oidc_login(conn: &mut DbConn, state_hash: &str) -> QueryResult<Option<OidcLoginRow>> {
    let row = oidc_logins::table.find(state_hash).select(OidcLoginRow::as_select()).first(conn).optional()?;
    if row.is_some() {
        diesel::delete(oidc_logins::table.find(state_hash)).execute(conn)?;
    }
    Ok(row)
}

/// Sign-ons begun before `before` and never finished.
pub fn prune_oidc_logins(conn: &mut DbConn, before: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(oidc_logins::table.filter(oidc_logins::created_at.lt(before))).execute(conn)
}

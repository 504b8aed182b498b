//! Saved views: a person's named queue filters (issue 15).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::saved_views;
use super::DbConn;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = saved_views)]
pub struct SavedViewRow {
    pub id: String,
    pub user_id: String,
    pub name: String,
    pub query: String,
    pub created_at: NaiveDateTime,
}

pub fn of_user(conn: &mut DbConn, user_id: &str) -> QueryResult<Vec<SavedViewRow>> {
    saved_views::table
        .filter(saved_views::user_id.eq(user_id))
        .order((saved_views::created_at.asc(), saved_views::name.asc()))
        .select(SavedViewRow::as_select())
        .load(conn)
}

pub fn insert(conn: &mut DbConn, row: &SavedViewRow) -> QueryResult<()> {
    diesel::insert_into(saved_views::table).values(row).execute(conn).map(drop)
}

pub fn set_query(conn: &mut DbConn, id: &str, query: &str) -> QueryResult<()> {
    diesel::update(saved_views::table.find(id)).set(saved_views::query.eq(query)).execute(conn).map(drop)
}

pub fn delete(conn: &mut DbConn, id: &str) -> QueryResult<usize> {
    diesel::delete(saved_views::table.find(id)).execute(conn)
}

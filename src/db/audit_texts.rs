//! The free text of audit events (`domain::audit`), and the record of one-time upgrades of the
//! audit log.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{audit_texts, audit_upgrades, events};
use super::DbConn;

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = audit_texts, treat_none_as_default_value = false)]
pub struct TextRow {
    pub id: String,
    pub ticket_id: Option<String>,
    pub sha256: String,
    pub salt: Option<String>,
    /// `None` once erased.
    pub body: Option<String>,
    pub created_at: NaiveDateTime,
    pub erased_at: Option<NaiveDateTime>,
}

pub fn insert(conn: &mut DbConn, row: &TextRow) -> QueryResult<()> {
    diesel::insert_into(audit_texts::table).values(row).execute(conn).map(drop)
}

pub fn insert_all(conn: &mut DbConn, rows: &[TextRow]) -> QueryResult<()> {
    super::insert_many!(conn, audit_texts::table, rows);
    Ok(())
}

pub fn by_ids(conn: &mut DbConn, ids: &[String]) -> QueryResult<Vec<TextRow>> {
    let mut rows = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(super::events::INSERT_CHUNK) {
        rows.extend(audit_texts::table.filter(audit_texts::id.eq_any(chunk)).select(TextRow::as_select()).load(conn)?);
    }
    Ok(rows)
}

/// The ids of the texts of these tickets' events not erased yet.
pub fn unerased_of_tickets(conn: &mut DbConn, ticket_ids: &[String]) -> QueryResult<Vec<String>> {
    let mut ids = Vec::new();
    for chunk in ticket_ids.chunks(super::events::INSERT_CHUNK) {
        ids.extend(
            audit_texts::table
                .filter(audit_texts::ticket_id.eq_any(chunk))
                .filter(audit_texts::erased_at.is_null())
                .order(audit_texts::id.asc())
                .select(audit_texts::id)
                .load::<String>(conn)?,
        );
    }
    Ok(ids)
}

/// Erases texts: the words and the salt go, the commitment and the instant of erasure stay.
pub fn erase(conn: &mut DbConn, ids: &[String], at: NaiveDateTime) -> QueryResult<usize> {
    let mut n = 0;
    for chunk in ids.chunks(super::events::INSERT_CHUNK) {
        n += diesel::update(audit_texts::table.filter(audit_texts::id.eq_any(chunk)))
            .set((
                audit_texts::body.eq(None::<String>),
                audit_texts::salt.eq(None::<String>),
                audit_texts::erased_at.eq(Some(at)),
            ))
            .execute(conn)?;
    }
    Ok(n)
}

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = audit_upgrades, treat_none_as_default_value = false)]
pub struct UpgradeRow {
    pub name: String,
    pub done_at: NaiveDateTime,
    pub from_seq: Option<i64>,
    pub to_seq: Option<i64>,
    pub old_head_hash: Option<String>,
    pub new_head_hash: Option<String>,
    pub texts_moved: i64,
}

pub fn upgrade(conn: &mut DbConn, name: &str) -> QueryResult<Option<UpgradeRow>> {
    audit_upgrades::table.find(name).select(UpgradeRow::as_select()).first(conn).optional()
}

pub fn insert_upgrade(conn: &mut DbConn, row: &UpgradeRow) -> QueryResult<()> {
    diesel::insert_into(audit_upgrades::table).values(row).execute(conn).map(drop)
}

/// Rewrites one event's data and links (the upgrade that moves old free text out).
pub fn relink_event(conn: &mut DbConn, seq: i64, data: &str, prev_hash: &str, hash: &str) -> QueryResult<()> {
    diesel::update(events::table.find(seq))
        .set((events::data.eq(data), events::prev_hash.eq(prev_hash), events::hash.eq(hash)))
        .execute(conn)
        .map(drop)
}

//! Saved views (issue 15): a person names the queue's current filter; it becomes a tab with its
//! count. Views are personal: nobody else sees, changes or deletes them.

use serde::Serialize;
use serde_json::json;

use super::{new_id, DeskError, DeskResult, Tx};
use crate::db::saved_views::{self as db, SavedViewRow};
use crate::db::DbConn;
use crate::domain::role::Actor;

/// Enough tabs for a working day's worth of filters, few enough to fit a row.
pub const MAX_VIEWS: usize = 20;
const MAX_NAME: usize = 60;
const MAX_QUERY: usize = 2000;

#[derive(Debug, Clone, Serialize)]
pub struct SavedView {
    pub id: String,
    pub name: String,
    /// The console's query string of the filter.
    pub query: String,
}

impl From<SavedViewRow> for SavedView {
    fn from(r: SavedViewRow) -> Self {
        SavedView { id: r.id, name: r.name, query: r.query }
    }
}

pub fn list(conn: &mut DbConn, actor: &Actor) -> DeskResult<Vec<SavedView>> {
    staff_only(actor)?;
    Ok(db::of_user(conn, &actor.user_id)?.into_iter().map(SavedView::from).collect())
}

fn staff_only(actor: &Actor) -> DeskResult<()> {
    if actor.role.is_staff() {
        Ok(())
    } else {
        Err(DeskError::Forbidden("saved views are part of the console".into()))
    }
}

/// Saves the filter under the name; a view of the same name gets the new filter. The query
/// string is kept as given, without a page cursor (a tab always opens on the first page).
pub fn save(tx: &mut Tx, actor: &Actor, name: &str, query: &str) -> DeskResult<(SavedView, bool)> {
    staff_only(actor)?;
    let name = name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME {
        return Err(DeskError::invalid("name", format!("1 to {MAX_NAME} characters")));
    }
    let query: String = query
        .trim()
        .trim_start_matches('?')
        .split('&')
        .filter(|pair| !pair.is_empty() && !pair.starts_with("cursor="))
        .collect::<Vec<_>>()
        .join("&");
    if query.len() > MAX_QUERY || query.chars().any(char::is_control) {
        return Err(DeskError::invalid("query", format!("a queue query string of at most {MAX_QUERY} characters")));
    }
    let existing = db::of_user(tx.conn, &actor.user_id)?;
    if let Some(same) = existing.iter().find(|v| v.name.eq_ignore_ascii_case(name)) {
        db::set_query(tx.conn, &same.id, &query)?;
        tx.record(None, Some(&actor.user_id), "saved_view.saved", json!({ "name": same.name }))?;
        return Ok((SavedView { id: same.id.clone(), name: same.name.clone(), query }, false));
    }
    if existing.len() >= MAX_VIEWS {
        return Err(DeskError::invalid("name", format!("at most {MAX_VIEWS} saved views; delete one first")));
    }
    let row = SavedViewRow {
        id: new_id(),
        user_id: actor.user_id.clone(),
        name: name.to_string(),
        query,
        created_at: tx.now.naive_utc(),
    };
    db::insert(tx.conn, &row)?;
    tx.record(None, Some(&actor.user_id), "saved_view.saved", json!({ "name": row.name }))?;
    Ok((row.into(), true))
}

/// Deletes one of the actor's own views; anybody else's is "not found".
pub fn delete(tx: &mut Tx, actor: &Actor, id: &str) -> DeskResult<()> {
    staff_only(actor)?;
    let view = db::of_user(tx.conn, &actor.user_id)?
        .into_iter()
        .find(|v| v.id == id)
        .ok_or_else(|| DeskError::not_found("saved view", id))?;
    db::delete(tx.conn, &view.id)?;
    tx.record(None, Some(&actor.user_id), "saved_view.deleted", json!({ "name": view.name }))
}

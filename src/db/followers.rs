//! A ticket's followers (CC, issue 15): addresses, staff users and requesters who hear of its
//! public replies and status changes.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::ticket_followers;
use super::DbConn;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = ticket_followers)]
pub struct FollowerRow {
    pub id: String,
    pub ticket_id: String,
    pub email: Option<String>,
    pub user_id: Option<String>,
    pub requester_id: Option<String>,
    pub added_by: Option<String>,
    pub created_at: NaiveDateTime,
}

pub fn of_ticket(conn: &mut DbConn, ticket_id: &str) -> QueryResult<Vec<FollowerRow>> {
    ticket_followers::table
        .filter(ticket_followers::ticket_id.eq(ticket_id))
        .order((ticket_followers::created_at.asc(), ticket_followers::id.asc()))
        .select(FollowerRow::as_select())
        .load(conn)
}

pub fn insert(conn: &mut DbConn, row: &FollowerRow) -> QueryResult<()> {
    diesel::insert_into(ticket_followers::table).values(row).execute(conn).map(drop)
}

pub fn delete(conn: &mut DbConn, id: &str) -> QueryResult<usize> {
    diesel::delete(ticket_followers::table.find(id)).execute(conn)
}

/// Moves a merged ticket's followers to the target (skipping who already follows it, and the
/// target's own requester).
pub fn move_to(conn: &mut DbConn, source: &str, target: &str, target_requester: &str) -> QueryResult<()> {
    let existing = of_ticket(conn, target)?;
    for f in of_ticket(conn, source)? {
        let already = f.requester_id.as_deref() == Some(target_requester)
            || existing.iter().any(|e| {
                (e.email.is_some() && e.email == f.email)
                    || (e.user_id.is_some() && e.user_id == f.user_id)
                    || (e.requester_id.is_some() && e.requester_id == f.requester_id)
            });
        if already {
            delete(conn, &f.id)?;
        } else {
            diesel::update(ticket_followers::table.find(&f.id))
                .set(ticket_followers::ticket_id.eq(target))
                .execute(conn)?;
        }
    }
    Ok(())
}

/// What these requesters and addresses follow (personal-data export), oldest first.
pub fn followed_by(conn: &mut DbConn, requester_ids: &[String], addresses: &[String]) -> QueryResult<Vec<FollowerRow>> {
    ticket_followers::table
        .filter(ticket_followers::requester_id.eq_any(requester_ids).or(ticket_followers::email.eq_any(addresses)))
        .order(ticket_followers::created_at.asc())
        .select(FollowerRow::as_select())
        .load(conn)
}

/// Forgets these requesters and addresses as followers of any ticket (personal data erasure).
pub fn forget(conn: &mut DbConn, requester_ids: &[String], addresses: &[String]) -> QueryResult<usize> {
    diesel::delete(
        ticket_followers::table
            .filter(ticket_followers::requester_id.eq_any(requester_ids).or(ticket_followers::email.eq_any(addresses))),
    )
    .execute(conn)
}

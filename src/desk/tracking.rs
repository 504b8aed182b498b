//! The citizen's side of a ticket, known by its number and tracking token (SPEC 3): reading
//! it, answering on it, and whether a rating is still asked for.

use diesel::prelude::*;

use super::tickets::{self, Author, NewMessage};
use super::{view, Desk, DeskResult, Tx};
use crate::db::schema::csat;
use crate::db::DbConn;
use crate::domain::ticket::{Channel, Status};

/// The ticket as its requester sees it, and whether it may still be rated.
pub fn show(conn: &mut DbConn, number: &str, token: &str) -> DeskResult<(view::PublicTicketView, bool)> {
    let ticket = tickets::tracked_ticket(conn, number, token)?;
    let rating: Option<Option<i32>> = csat::table.find(&ticket.row.id).select(csat::rating).first(conn).optional()?;
    let may_rate = matches!(ticket.status, Status::Resolved | Status::Closed) && matches!(rating, Some(None));
    Ok((view::public_view(conn, &ticket)?, may_rate))
}

/// The requester's message on the tracking page or through the public API (a reply reopens a
/// resolved ticket and resumes a pending one).
pub fn reply(tx: &mut Tx, desk: &Desk, number: &str, token: &str, body: String) -> DeskResult<view::MessageView> {
    let ticket = tickets::tracked_ticket_for_update(tx.conn, number, token)?;
    let name = crate::db::catalog::requester_by_id(tx.conn, &ticket.row.requester_id)?
        .map(|r| r.name)
        .unwrap_or_else(|| "Pelapor".into());
    let input = NewMessage { body, internal: false, channel: Some(Channel::Web), files: Vec::new(), minutes: None };
    tickets::add_message(tx, desk, Author::Requester { name }, ticket, input)
}

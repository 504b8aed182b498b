//! Customer satisfaction (SPEC 2): when a ticket is resolved its requester is asked for a rating
//! of 1 to 5 and a comment; one rating per ticket. The link in the resolution mail carries a
//! token of its own (stored hashed); the tracking token of the ticket is accepted too.

use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::auth::{random_secret, sha256_hex};
use super::{DeskError, DeskResult, Tx};
use crate::db::schema::csat;
use crate::db::tickets::{self as tickets_db, TicketRow};
use crate::domain::ticket::Status;

/// A token for the rating link, unless the ticket was rated already (then `None`: no link).
pub fn request(tx: &mut Tx, ticket: &TicketRow) -> DeskResult<Option<String>> {
    let rated: Option<Option<i32>> = csat::table.find(&ticket.id).select(csat::rating).first(tx.conn).optional()?;
    if matches!(rated, Some(Some(_))) {
        return Ok(None);
    }
    let token = random_secret(20);
    let now = tx.now.naive_utc();
    if rated.is_some() {
        diesel::update(csat::table.find(&ticket.id))
            .set((csat::token_hash.eq(sha256_hex(&token)), csat::requested_at.eq(now)))
            .execute(tx.conn)?;
    } else {
        diesel::insert_into(csat::table)
            .values((
                csat::ticket_id.eq(&ticket.id),
                csat::token_hash.eq(sha256_hex(&token)),
                csat::requested_at.eq(now),
            ))
            .execute(tx.conn)?;
    }
    Ok(Some(token))
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rating {
    pub rating: i32,
    #[serde(default)]
    pub comment: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Rated {
    pub number: String,
    pub rating: i32,
}

fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Records the requester's rating. Unknown number or wrong token: "not found", as for tracking.
pub fn rate(tx: &mut Tx, number: &str, token: &str, input: Rating) -> DeskResult<Rated> {
    if !(1..=5).contains(&input.rating) {
        return Err(DeskError::invalid("rating", "must be 1 to 5"));
    }
    let comment = input.comment.map(|c| c.trim().to_string()).filter(|c| !c.is_empty());
    if comment.as_ref().is_some_and(|c| c.chars().count() > 2000) {
        return Err(DeskError::invalid("comment", "at most 2000 characters"));
    }
    let ticket =
        tickets_db::by_number_for_update(tx.conn, number)?.ok_or_else(|| DeskError::not_found("ticket", number))?;
    let row: Option<(String, Option<i32>)> =
        csat::table.find(&ticket.id).select((csat::token_hash, csat::rating)).first(tx.conn).optional()?;
    let given = sha256_hex(token);
    let by_csat = row.as_ref().is_some_and(|(hash, _)| same(hash, &given));
    let by_tracking = ticket.tracking_token_hash.as_deref().is_some_and(|h| same(h, &given));
    if !(by_csat || by_tracking) {
        return Err(DeskError::not_found("ticket", number));
    }
    record(tx, ticket, row.map(|(_, rating)| rating), input.rating, comment)
}

/// The rating of the requester of `ticket`, already identified by its channel (the Telegram
/// chat the ticket came from).
pub fn rate_as_requester(tx: &mut Tx, ticket: TicketRow, rating: i32) -> DeskResult<Rated> {
    if !(1..=5).contains(&rating) {
        return Err(DeskError::invalid("rating", "must be 1 to 5"));
    }
    let row: Option<Option<i32>> = csat::table.find(&ticket.id).select(csat::rating).first(tx.conn).optional()?;
    record(tx, ticket, row, rating, None)
}

/// `asked`: the ticket's rating row (none if never asked), with its rating if given.
fn record(
    tx: &mut Tx,
    ticket: TicketRow,
    asked: Option<Option<i32>>,
    rating: i32,
    comment: Option<String>,
) -> DeskResult<Rated> {
    let number = ticket.number.as_str();
    let status = Status::parse(&ticket.status).unwrap_or(Status::Open);
    let Some(already) = asked.filter(|_| matches!(status, Status::Resolved | Status::Closed)) else {
        return Err(DeskError::conflict(
            "not_resolved",
            format!("ticket {number} is {status}; it can be rated once resolved"),
        ));
    };
    if already.is_some() {
        return Err(DeskError::conflict("already_rated", format!("ticket {number} has been rated already")));
    }
    diesel::update(csat::table.find(&ticket.id))
        .set((csat::rating.eq(rating), csat::comment.eq(&comment), csat::rated_at.eq(tx.now.naive_utc())))
        .execute(tx.conn)?;
    tx.record(Some(&ticket.id), None, "csat.rated", json!({ "rating": rating, "comment": comment.is_some() }))?;
    Ok(Rated { number: ticket.number, rating })
}

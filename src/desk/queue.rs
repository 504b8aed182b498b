//! `GET /tickets`: the scoped, filtered, cursor-paginated queue.

use serde::{Deserialize, Serialize};

use super::view::{self, Ticket, TicketView};
use super::{Desk, DeskError, DeskResult};
use crate::db::tickets::{self as db, ListScope, TicketFilter};
use crate::db::{catalog, DbConn};
use crate::domain::role::{Actor, Role};
use crate::domain::ticket::{Kind, Priority, Status};

pub const DEFAULT_PAGE: i64 = 50;
pub const MAX_PAGE: i64 = 200;

/// Query parameters as they arrive; each is checked and named when wrong.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueueQuery {
    pub status: Option<String>,
    pub unit: Option<String>,
    pub tier: Option<String>,
    pub priority: Option<String>,
    pub breached: Option<String>,
    pub assignee: Option<String>,
    pub kind: Option<String>,
    pub service: Option<String>,
    pub q: Option<String>,
    pub cursor: Option<String>,
    pub limit: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Page {
    pub items: Vec<TicketView>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

fn parse_bool(field: &str, text: &str) -> DeskResult<bool> {
    match text {
        "true" | "1" | "yes" => Ok(true),
        "false" | "0" | "no" => Ok(false),
        _ => Err(DeskError::invalid(field, "must be true or false")),
    }
}

fn build_filter(conn: &mut DbConn, actor: &Actor, q: &QueueQuery) -> DeskResult<TicketFilter> {
    let mut filter = TicketFilter { limit: DEFAULT_PAGE, ..TicketFilter::default() };
    if let Some(statuses) = q.status.as_deref().filter(|s| !s.is_empty()) {
        for name in statuses.split(',').map(str::trim) {
            let status = if name == "active" {
                filter.statuses.extend([Status::New, Status::Open, Status::Pending]);
                continue;
            } else {
                Status::parse(name).ok_or_else(|| {
                    DeskError::invalid(
                        "status",
                        format!("unknown status {name:?}; one of {}, or active", Status::names().join(", ")),
                    )
                })?
            };
            filter.statuses.push(status);
        }
    }
    if let Some(code) = q.unit.as_deref().filter(|s| !s.is_empty()) {
        let unit = catalog::unit_by_code(conn, code)?
            .ok_or_else(|| DeskError::invalid("unit", format!("no unit with code {code}")))?;
        filter.unit_id = Some(unit.id);
    }
    if let Some(tier) = q.tier.as_deref().filter(|s| !s.is_empty()) {
        filter.tier = Some(match tier {
            "1" => 1,
            "2" => 2,
            _ => return Err(DeskError::invalid("tier", "must be 1 or 2")),
        });
    }
    if let Some(p) = q.priority.as_deref().filter(|s| !s.is_empty()) {
        filter.priority =
            Some(Priority::parse(p).ok_or_else(|| DeskError::invalid("priority", "must be one of P1, P2, P3, P4"))?);
    }
    if let Some(b) = q.breached.as_deref().filter(|s| !s.is_empty()) {
        filter.breached = Some(parse_bool("breached", b)?);
    }
    if let Some(who) = q.assignee.as_deref().filter(|s| !s.is_empty()) {
        let id = if who == "me" {
            actor.user_id.clone()
        } else {
            catalog::user_by_username(conn, who)?
                .ok_or_else(|| DeskError::invalid("assignee", format!("no user {who}")))?
                .id
        };
        filter.assignee_id = Some(id);
    }
    if let Some(kind) = q.kind.as_deref().filter(|s| !s.is_empty()) {
        filter.kind = Some(
            Kind::parse(kind)
                .ok_or_else(|| DeskError::invalid("kind", format!("must be one of {}", Kind::names().join(", "))))?,
        );
    }
    if let Some(code) = q.service.as_deref().filter(|s| !s.is_empty()) {
        let service = catalog::service_by_code(conn, code)?
            .ok_or_else(|| DeskError::invalid("service", format!("no service with code {code}")))?;
        filter.service_id = Some(service.id);
    }
    if let Some(text) = q.q.as_deref() {
        if text.chars().count() > 200 {
            return Err(DeskError::invalid("q", "must be at most 200 characters"));
        }
        filter.text = Some(text.to_string());
    }
    if let Some(cursor) = q.cursor.as_deref().filter(|s| !s.is_empty()) {
        uuid::Uuid::parse_str(cursor)
            .map_err(|_| DeskError::invalid("cursor", "is not a cursor from a previous page"))?;
        filter.before_id = Some(cursor.to_string());
    }
    if let Some(limit) = q.limit.as_deref().filter(|s| !s.is_empty()) {
        let n: i64 = limit.parse().map_err(|_| DeskError::invalid("limit", "must be a number"))?;
        if !(1..=MAX_PAGE).contains(&n) {
            return Err(DeskError::invalid("limit", format!("must be between 1 and {MAX_PAGE}")));
        }
        filter.limit = n;
    }
    Ok(filter)
}

pub fn list(desk: &Desk, conn: &mut DbConn, actor: &Actor, q: &QueueQuery) -> DeskResult<Page> {
    let filter = build_filter(conn, actor, q)?;
    let requester_id = if actor.role == Role::Requester {
        catalog::find_requester(conn, Some(&actor.user_id), None, None)?.map(|r| r.id)
    } else {
        None
    };
    let scope = ListScope { actor: actor.clone(), requester_id };
    // One more than asked tells whether there is a next page.
    let mut probe = filter.clone();
    probe.limit = filter.limit + 1;
    let mut rows = db::list(conn, &scope, &probe, desk.now().naive_utc())?;
    let has_more = rows.len() as i64 > filter.limit;
    rows.truncate(filter.limit as usize);
    let next_cursor = if has_more { rows.last().map(|r| r.id.clone()) } else { None };
    let requester_user = (actor.role == Role::Requester).then(|| actor.user_id.clone());
    let items = rows
        .into_iter()
        .map(|row| {
            let ticket = Ticket::from_row(row, requester_user.clone())?;
            view::ticket_view(desk, conn, &ticket, Some(actor), false)
        })
        .collect::<DeskResult<Vec<_>>>()?;
    Ok(Page { items, next_cursor })
}

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
/// A search's cursor: this, then how many matches the pages before showed (`s50`).
const SEARCH_CURSOR: &str = "s";
/// A search pages through its first 2,000 results at most; past them, more words narrow it.
const MAX_SEARCH_OFFSET: i64 = 2_000;
/// A search looks through at most this many windows of matches (the newest 20,000): a word
/// common in the city but rare in the reader's scope would otherwise walk every match.
const MAX_SEARCH_WINDOWS: i64 = 10;

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
        // Anything typed is searched as words; quotes, operators and pages of text included.
        filter.words = crate::domain::search::words(text);
        filter.search_internal = actor.role.is_staff();
    }
    if let Some(cursor) = q.cursor.as_deref().filter(|s| !s.is_empty()) {
        let not_a_cursor = || DeskError::invalid("cursor", "is not a cursor from a previous page");
        match cursor.strip_prefix(SEARCH_CURSOR) {
            // A search's pages are ranked: its cursor counts the matches already shown.
            Some(offset) if !filter.words.is_empty() => {
                filter.offset = offset
                    .parse::<i64>()
                    .ok()
                    .filter(|n| (0..=MAX_SEARCH_OFFSET).contains(n))
                    .ok_or_else(not_a_cursor)?;
            }
            _ => {
                uuid::Uuid::parse_str(cursor).map_err(|_| not_a_cursor())?;
                filter.before_id = Some(cursor.to_string());
            }
        }
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

/// How many tickets a queue filter finds: exact for filters, at most [`COUNT_SEARCH_UP_TO`]
/// (then `more`) for a search, whose matches are ranked rather than counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Count {
    pub count: i64,
    pub more: bool,
}

pub const COUNT_SEARCH_UP_TO: i64 = 100;

pub fn count(desk: &Desk, conn: &mut DbConn, actor: &Actor, q: &QueueQuery) -> DeskResult<Count> {
    let filter = build_filter(conn, actor, q)?;
    if filter.words.is_empty() {
        let requester_id = if actor.role == Role::Requester {
            catalog::find_requester(conn, Some(&actor.user_id), None, None, &[])?.map(|r| r.id)
        } else {
            None
        };
        let scope = ListScope { actor: actor.clone(), requester_id };
        return Ok(Count { count: db::count_filtered(conn, &scope, &filter, desk.now().naive_utc())?, more: false });
    }
    let capped = QueueQuery { limit: Some(COUNT_SEARCH_UP_TO.to_string()), cursor: None, ..q.clone() };
    let page = list(desk, conn, actor, &capped)?;
    Ok(Count { count: page.items.len() as i64, more: page.next_cursor.is_some() })
}

pub fn list(desk: &Desk, conn: &mut DbConn, actor: &Actor, q: &QueueQuery) -> DeskResult<Page> {
    let filter = build_filter(conn, actor, q)?;
    let requester_id = if actor.role == Role::Requester {
        catalog::find_requester(conn, Some(&actor.user_id), None, None, &[])?.map(|r| r.id)
    } else {
        None
    };
    let scope = ListScope { actor: actor.clone(), requester_id };
    // One more than asked tells whether there is a next page.
    let mut rows = if filter.words.is_empty() {
        let mut probe = filter.clone();
        probe.limit = filter.limit + 1;
        db::list(conn, &scope, &probe, desk.now().naive_utc())?
    } else {
        let typed = q.q.as_deref().unwrap_or_default().trim().to_uppercase();
        match by_number(conn, &scope, &filter, desk.now().naive_utc(), &typed)? {
            Some(found) => found.into_iter().skip(filter.offset as usize).collect(),
            None => search(conn, &scope, &filter, desk.now().naive_utc())?,
        }
    };
    let has_more = rows.len() as i64 > filter.limit;
    rows.truncate(filter.limit as usize);
    let next_cursor = match (has_more, filter.words.is_empty()) {
        (false, _) => None,
        (true, true) => rows.last().map(|r| r.id.clone()),
        (true, false) => Some(format!("{SEARCH_CURSOR}{}", filter.offset + filter.limit))
            .filter(|_| filter.offset + filter.limit <= MAX_SEARCH_OFFSET),
    };
    let requester_user = (actor.role == Role::Requester).then(|| actor.user_id.clone());
    let items = rows
        .into_iter()
        .map(|row| {
            let ticket = Ticket::from_row(row, requester_user.clone())?;
            let mut view = view::ticket_view(desk, conn, &ticket, Some(actor), false)?;
            if !filter.words.is_empty() {
                view.highlight = Some(highlight(conn, &ticket, &filter)?);
            }
            Ok(view)
        })
        .collect::<DeskResult<Vec<_>>>()?;
    Ok(Page { items, next_cursor })
}

/// A search for exactly a ticket's number finds that ticket (if the reader may see it and it
/// passes the filters) and nothing else: it is how an agent goes to a ticket, and it needs no
/// full-text index. `None` when no ticket has that number; an empty list when the reader may not
/// see it (as if there were none). Searching the number's digits alone also finds the tickets
/// that mention it.
fn by_number(
    conn: &mut DbConn,
    scope: &ListScope,
    filter: &TicketFilter,
    now: chrono::NaiveDateTime,
    typed: &str,
) -> DeskResult<Option<Vec<db::TicketRow>>> {
    if typed.is_empty() || typed.chars().any(char::is_whitespace) {
        return Ok(None);
    }
    let Some(row) = db::by_number(conn, typed)? else { return Ok(None) };
    let visible = !db::ids_among(conn, scope, filter, now, vec![row.id.clone()])?.is_empty();
    Ok(Some(if visible { vec![row] } else { Vec::new() }))
}

/// A search's page (and one more, to tell whether there is a next): matches are taken in
/// windows of the newest `SEARCH_WINDOW`, each ranked best first, then kept if the reader may
/// see them and they pass the other filters; windows follow one another until the page is full
/// or `MAX_SEARCH_WINDOWS` have been read. A word in fewer than `SEARCH_WINDOW` tickets is ranked
/// over all its matches.
fn search(
    conn: &mut DbConn,
    scope: &ListScope,
    filter: &TicketFilter,
    now: chrono::NaiveDateTime,
) -> DeskResult<Vec<db::TicketRow>> {
    let wanted = (filter.offset + filter.limit + 1) as usize;
    let mut found: Vec<String> = Vec::new();
    let mut memo = db::SearchMemo::default();
    for window in 0..MAX_SEARCH_WINDOWS {
        let requester = (scope.actor.role == Role::Requester).then(|| scope.requester_id.clone().unwrap_or_default());
        let hits = db::search_window(conn, filter, requester.as_deref(), window, &mut memo)?;
        let last = (hits.len() as i64) < db::SEARCH_WINDOW;
        let scores: std::collections::HashMap<String, f64> = hits.into_iter().collect();
        let mut ids = db::ids_among(conn, scope, filter, now, scores.keys().cloned().collect())?;
        let score = |id: &String| scores.get(id).copied().unwrap_or(f64::MAX);
        ids.sort_by(|a, b| score(a).total_cmp(&score(b)).then_with(|| b.cmp(a)));
        found.extend(ids);
        if last || found.len() >= wanted {
            break;
        }
    }
    let page: Vec<String> =
        found.into_iter().skip(filter.offset as usize).take(wanted - filter.offset as usize).collect();
    Ok(db::by_ids_in_order(conn, &page)?)
}

/// Where `filter`'s words matched `ticket`: its title marked, and an excerpt of the description
/// or else of the newest message the reader may see that matches.
fn highlight(conn: &mut DbConn, ticket: &Ticket, filter: &TicketFilter) -> DeskResult<view::Highlight> {
    use crate::domain::search::{excerpt, highlight};
    const WIDTH: usize = 160;
    let words = &filter.words;
    let mut found = excerpt(&ticket.row.description, words, WIDTH);
    if found.is_none() {
        let messages = db::messages_for(conn, &ticket.row.id, filter.search_internal)?;
        found = messages.iter().rev().find_map(|m| excerpt(&m.body, words, WIDTH));
    }
    Ok(view::Highlight { title: highlight(&ticket.row.title, words), excerpt: found })
}

//! Tickets, their numbers and their messages.

use chrono::NaiveDateTime;
use diesel::connection::SimpleConnection;
use diesel::dsl::not;
use diesel::prelude::*;

use super::schema::{messages, ticket_counters, tickets};
pub use super::ticket_search::{search_window, SearchMemo, SEARCH_WINDOW};
use super::DbConn;
use crate::domain::number::{format_number, number_stem};
use crate::domain::role::{Actor, Role};
use crate::domain::ticket::{Classification, Kind, Priority, Status};

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = tickets, treat_none_as_null = true, treat_none_as_default_value = false)]
pub struct TicketRow {
    pub id: String,
    pub number: String,
    pub kind: String,
    pub title: String,
    pub description: String,
    pub unit_id: String,
    pub service_id: Option<String>,
    pub tier: i32,
    pub status: String,
    pub active: bool,
    pub impact: String,
    pub urgency: String,
    pub priority: String,
    pub classification: String,
    pub security_incident: bool,
    pub channel: String,
    pub requester_id: String,
    pub tracking_token_hash: Option<String>,
    pub assignee_id: Option<String>,
    pub tier1_assignee_id: Option<String>,
    pub escalated: bool,
    pub created_by: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub first_response_at: Option<NaiveDateTime>,
    pub first_response_due: NaiveDateTime,
    pub resolution_due: NaiveDateTime,
    pub pending_since: Option<NaiveDateTime>,
    pub paused_seconds: i64,
    pub resolved_at: Option<NaiveDateTime>,
    pub closed_at: Option<NaiveDateTime>,
    /// When the scheduler should next look at this ticket's SLA clocks.
    pub sla_next_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = messages, treat_none_as_default_value = false)]
pub struct MessageRow {
    pub id: String,
    pub ticket_id: String,
    pub author_id: Option<String>,
    pub author_name: String,
    pub internal: bool,
    pub body: String,
    pub channel: String,
    pub created_at: NaiveDateTime,
}

#[derive(QueryableByName)]
struct Seq {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    last_seq: i64,
}

/// Inserts a new ticket with the next number of `year`. SQLite draws it first (no round
/// trips there); PostgreSQL draws it in the insert itself: one statement instead of two.
pub fn insert_numbered(conn: &mut DbConn, row: &mut TicketRow, prefix: &str, year: i32) -> QueryResult<()> {
    match conn {
        DbConn::Pg(c) => {
            let stem = number_stem(prefix, year);
            row.number = stem.clone();
            row.number = diesel::insert_into(tickets::table).values(&*row).returning(tickets::number).get_result(c)?;
            if row.number == stem {
                // The trigger is missing (a database not migrated by this version): refuse
                // rather than store a number every later ticket would collide with.
                return Err(diesel::result::Error::QueryBuilderError(
                    "the database did not number the ticket (trigger tickets_derived_bi missing)".into(),
                ));
            }
            Ok(())
        }
        DbConn::Sqlite(c) => {
            row.number = format_number(prefix, year, next_seq(c, year)?);
            insert(conn, row)
        }
    }
}

/// Next number in `year`'s counter on SQLite: a row bumped in the writer's transaction (one
/// writer per process, and the database's write lock is held from the batch's start), so
/// numbers have no gaps. PostgreSQL draws from a sequence per year inside the insert
/// (`insert_numbered`): parallel writers and processes never wait for each other, and a
/// change that fails after drawing leaves a gap.
fn next_seq(c: &mut diesel::SqliteConnection, year: i32) -> QueryResult<i64> {
    let bumped: Option<Seq> =
        diesel::sql_query("UPDATE ticket_counters SET last_seq = last_seq + 1 WHERE year = ? RETURNING last_seq")
            .bind::<diesel::sql_types::Integer, _>(year)
            .get_result(c)
            .optional()?;
    if let Some(seq) = bumped {
        return Ok(seq.last_seq);
    }
    diesel::insert_into(ticket_counters::table)
        .values((ticket_counters::year.eq(year), ticket_counters::last_seq.eq(1i64)))
        .execute(c)?;
    Ok(1)
}

/// Creates the number sequences of the years around `year` on PostgreSQL (a no-op on SQLite).
/// Runs outside any transaction; another process creating the same sequence at the same moment
/// is harmless.
pub fn ensure_number_sequences(conn: &mut DbConn, year: i32) -> QueryResult<()> {
    let DbConn::Pg(c) = conn else { return Ok(()) };
    for y in [year - 1, year, year + 1] {
        let start: i64 =
            ticket_counters::table.find(y).select(ticket_counters::last_seq).first(c).optional()?.unwrap_or(0) + 1;
        if let Err(e) = c.batch_execute(&format!("CREATE SEQUENCE IF NOT EXISTS ticket_number_{y} START WITH {start}"))
        {
            tracing::debug!(error = %e, year = y, "number sequence not created (probably created concurrently)");
        }
    }
    Ok(())
}

/// Loads a ticket to change it, locking its row until the transaction ends so that two
/// writers (or processes) never apply changes over each other.
pub fn by_number_for_update(conn: &mut DbConn, number: &str) -> QueryResult<Option<TicketRow>> {
    match conn {
        DbConn::Pg(c) => tickets::table
            .filter(tickets::number.eq(number))
            .select(TicketRow::as_select())
            .for_update()
            .first(c)
            .optional(),
        // SQLite: the batch already holds the database's write lock.
        DbConn::Sqlite(c) => {
            tickets::table.filter(tickets::number.eq(number)).select(TicketRow::as_select()).first(c).optional()
        }
    }
}

pub fn insert(conn: &mut DbConn, row: &TicketRow) -> QueryResult<()> {
    diesel::insert_into(tickets::table).values(row).execute(conn).map(drop)
}

pub fn save(conn: &mut DbConn, row: &TicketRow) -> QueryResult<()> {
    diesel::update(tickets::table.find(&row.id)).set(row).execute(conn).map(drop)
}

pub fn by_number(conn: &mut DbConn, number: &str) -> QueryResult<Option<TicketRow>> {
    tickets::table.filter(tickets::number.eq(number)).select(TicketRow::as_select()).first(conn).optional()
}

/// Resolved tickets resolved before `cutoff`, oldest first, locked on PostgreSQL (rows another
/// process holds are skipped).
pub fn resolved_before(conn: &mut DbConn, cutoff: NaiveDateTime, limit: i64) -> QueryResult<Vec<TicketRow>> {
    macro_rules! due {
        () => {
            tickets::table
                .filter(tickets::status.eq("resolved"))
                .filter(tickets::resolved_at.lt(cutoff))
                .order(tickets::resolved_at.asc())
                .limit(limit)
                .select(TicketRow::as_select())
        };
    }
    match conn {
        DbConn::Pg(c) => due!().for_update().skip_locked().load(c),
        DbConn::Sqlite(c) => due!().load(c),
    }
}

/// Whether any ticket was opened before `at` (the desk was in use then).
/// Open tickets (not resolved, closed or cancelled) a person is assigned to, or was assigned
/// to at tier 1 before an escalation.
pub fn open_assigned_to(conn: &mut DbConn, user_id: &str) -> QueryResult<Vec<TicketRow>> {
    tickets::table
        .filter(tickets::assignee_id.eq(user_id).or(tickets::tier1_assignee_id.eq(user_id)))
        .filter(tickets::status.ne_all(["resolved", "closed", "cancelled"]))
        .select(TicketRow::as_select())
        .load(conn)
}

pub fn any_created_before(conn: &mut DbConn, at: NaiveDateTime) -> QueryResult<bool> {
    tickets::table
        .filter(tickets::created_at.lt(at))
        .select(tickets::id)
        .first::<String>(conn)
        .optional()
        .map(|t| t.is_some())
}

pub fn by_id(conn: &mut DbConn, id: &str) -> QueryResult<Option<TicketRow>> {
    tickets::table.find(id).select(TicketRow::as_select()).first(conn).optional()
}

/// The ticket locked for a change (PostgreSQL; SQLite's batch holds the write lock).
pub fn by_id_for_update(conn: &mut DbConn, id: &str) -> QueryResult<Option<TicketRow>> {
    match conn {
        DbConn::Pg(c) => tickets::table.find(id).select(TicketRow::as_select()).for_update().first(c).optional(),
        DbConn::Sqlite(c) => tickets::table.find(id).select(TicketRow::as_select()).first(c).optional(),
    }
}

/// Filters of `GET /tickets`; all optional and combined with AND.
#[derive(Debug, Clone, Default)]
pub struct TicketFilter {
    pub statuses: Vec<Status>,
    pub unit_id: Option<String>,
    pub tier: Option<i32>,
    pub priority: Option<Priority>,
    pub breached: Option<bool>,
    pub assignee_id: Option<String>,
    pub kind: Option<Kind>,
    pub service_id: Option<String>,
    /// Search words (`domain::search::words`): every one must match, best matches first.
    pub words: Vec<String>,
    /// Whether the search also reads internal notes (staff only).
    pub search_internal: bool,
    /// Newest first; the page starts after this id.
    pub before_id: Option<String>,
    /// A search's pages are ranked, not by id: the page starts after this many.
    pub offset: i64,
    pub limit: i64,
}

/// What the scope rules allow the actor to list, resolved to ids.
#[derive(Debug, Clone)]
pub struct ListScope {
    pub actor: Actor,
    /// For requesters: the requester record of their account, if any.
    pub requester_id: Option<String>,
}

type BoxedTickets<'a> = tickets::BoxedQuery<'a, super::MultiBackend>;

/// The SQL form of `Actor::can_read`; the scope-matrix test keeps the two in step.
fn apply_scope<'a>(mut query: BoxedTickets<'a>, scope: &ListScope) -> BoxedTickets<'a> {
    let actor = &scope.actor;
    let confidential = Classification::Confidential.as_str();
    match actor.role {
        Role::Admin | Role::Supervisor => query,
        Role::AgentT1 | Role::UnitHead => {
            let unit = actor.unit_id.clone().unwrap_or_default();
            query = query.filter(tickets::unit_id.eq(unit));
            query.filter(tickets::classification.ne(confidential).or(tickets::assignee_id.eq(actor.user_id.clone())))
        }
        Role::AgentT2 => query.filter(tickets::tier.eq(2).or(tickets::escalated.eq(true))),
        Role::Requester => match &scope.requester_id {
            Some(id) => query.filter(tickets::requester_id.eq(id.clone())),
            None => query.filter(tickets::id.eq("")),
        },
    }
}

/// One page of the queue, newest first (search words are not looked at: see [`search_window`]).
pub fn list(
    conn: &mut DbConn,
    scope: &ListScope,
    filter: &TicketFilter,
    now: NaiveDateTime,
) -> QueryResult<Vec<TicketRow>> {
    filtered(scope, filter, now).order(tickets::id.desc()).limit(filter.limit).select(TicketRow::as_select()).load(conn)
}

/// How many tickets `scope` and `filter` let through (the words aside).
pub fn count_filtered(
    conn: &mut DbConn,
    scope: &ListScope,
    filter: &TicketFilter,
    now: NaiveDateTime,
) -> QueryResult<i64> {
    filtered(scope, filter, now).count().get_result(conn)
}

/// The ids of those of `ids` that `scope` and `filter` let through (a search's matches, in any
/// order): ids only, so that a window of matches costs an index probe each, not a row each.
pub fn ids_among(
    conn: &mut DbConn,
    scope: &ListScope,
    filter: &TicketFilter,
    now: NaiveDateTime,
    ids: Vec<String>,
) -> QueryResult<Vec<String>> {
    filtered(scope, filter, now).filter(tickets::id.eq_any(ids)).select(tickets::id).load(conn)
}

/// The tickets of `ids`, in that order (those that exist).
pub fn by_ids_in_order(conn: &mut DbConn, ids: &[String]) -> QueryResult<Vec<TicketRow>> {
    let mut rows: Vec<TicketRow> =
        tickets::table.filter(tickets::id.eq_any(ids)).select(TicketRow::as_select()).load(conn)?;
    rows.sort_by_key(|r| ids.iter().position(|id| *id == r.id));
    Ok(rows)
}

/// The queue's query: the scope, then every filter but the search words.
fn filtered<'a>(scope: &ListScope, filter: &TicketFilter, now: NaiveDateTime) -> BoxedTickets<'a> {
    let mut query = apply_scope(tickets::table.into_boxed(), scope);
    let active_set = [Status::New, Status::Open, Status::Pending];
    if !filter.statuses.is_empty() {
        let mut wanted: Vec<Status> = filter.statuses.clone();
        wanted.sort_by_key(|s| s.as_str());
        wanted.dedup();
        let mut active_sorted = active_set.to_vec();
        active_sorted.sort_by_key(|s| s.as_str());
        if wanted == active_sorted {
            // "The open queue": served by the (…, active, id) indexes.
            query = query.filter(tickets::active.eq(true));
        } else {
            let names: Vec<String> = wanted.iter().map(|s| s.as_str().to_string()).collect();
            query = query.filter(tickets::status.eq_any(names));
        }
    }
    if let Some(unit) = &filter.unit_id {
        query = query.filter(tickets::unit_id.eq(unit.clone()));
    }
    if let Some(tier) = filter.tier {
        query = query.filter(tickets::tier.eq(tier));
    }
    if let Some(priority) = filter.priority {
        query = query.filter(tickets::priority.eq(priority.as_str()));
    }
    if let Some(assignee) = &filter.assignee_id {
        query = query.filter(tickets::assignee_id.eq(assignee.clone()));
    }
    if let Some(kind) = filter.kind {
        query = query.filter(tickets::kind.eq(kind.as_str()));
    }
    if let Some(service) = &filter.service_id {
        query = query.filter(tickets::service_id.eq(service.clone()));
    }
    if let Some(breached) = filter.breached {
        // Each term is written so that it is never NULL, which keeps NOT(...) exact.
        // A cancelled ticket's clocks stopped when it was cancelled, as the detail view says.
        let cancelled = tickets::status.eq("cancelled").and(tickets::closed_at.is_not_null());
        let first_response_late = tickets::first_response_at
            .is_null()
            .and(tickets::active.eq(true))
            .and(tickets::first_response_due.lt(now))
            .or(tickets::first_response_at
                .is_not_null()
                .and(tickets::first_response_at.gt(tickets::first_response_due.nullable())))
            .or(tickets::first_response_at
                .is_null()
                .and(cancelled)
                .and(tickets::closed_at.gt(tickets::first_response_due.nullable())));
        let resolution_late = tickets::resolved_at
            .is_null()
            .and(tickets::pending_since.is_null())
            .and(tickets::active.eq(true))
            .and(tickets::resolution_due.lt(now))
            .or(tickets::pending_since.is_not_null().and(tickets::pending_since.gt(tickets::resolution_due.nullable())))
            .or(tickets::resolved_at.is_not_null().and(tickets::resolved_at.gt(tickets::resolution_due.nullable())))
            .or(tickets::resolved_at
                .is_null()
                .and(cancelled)
                .and(tickets::closed_at.gt(tickets::resolution_due.nullable())));
        let late = first_response_late.or(resolution_late);
        query = if breached { query.filter(late) } else { query.filter(not(late)) };
    }
    if let Some(before) = &filter.before_id {
        query = query.filter(tickets::id.lt(before.clone()));
    }
    query
}

pub fn insert_messages(conn: &mut DbConn, rows: &[MessageRow]) -> QueryResult<()> {
    super::insert_many!(conn, messages::table, rows);
    Ok(())
}

pub fn insert_message(conn: &mut DbConn, row: &MessageRow) -> QueryResult<()> {
    diesel::insert_into(messages::table).values(row).execute(conn).map(drop)
}

pub fn messages_for(conn: &mut DbConn, ticket_id: &str, include_internal: bool) -> QueryResult<Vec<MessageRow>> {
    let mut query = messages::table
        .filter(messages::ticket_id.eq(ticket_id.to_string()))
        .select(MessageRow::as_select())
        .into_boxed();
    if !include_internal {
        query = query.filter(messages::internal.eq(false));
    }
    query.order((messages::created_at.asc(), messages::id.asc())).load(conn)
}

pub fn count(conn: &mut DbConn) -> QueryResult<i64> {
    tickets::table.count().get_result(conn)
}

pub fn message_by_id(conn: &mut DbConn, id: &str) -> QueryResult<Option<MessageRow>> {
    messages::table.find(id).select(MessageRow::as_select()).first(conn).optional()
}

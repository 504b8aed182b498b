//! Ticket use cases: open (intake.rs), act (the status machine, actions.rs), write messages,
//! read and list.

use chrono::{DateTime, Datelike, Utc};
use serde::Deserialize;
use serde_json::json;

use super::catalog::{check_email, check_text};
use super::view::{self, utc, Ticket, TicketView};
use super::{new_id, sla, Desk, DeskError, DeskResult, Tx};
use crate::db::catalog::{self as catalog_db, RequesterRow};
use crate::db::outbox::{self, OutboxRow};
use crate::db::tickets::{self as db, MessageRow, TicketRow};
use crate::db::DbConn;
use crate::domain::role::{Actor, Role};
use crate::domain::ticket::{
    next_status, priority_of, required_tier, Action, Channel, Classification, Kind, Level, Status,
};

mod actions;
pub mod bulk;
mod intake;
pub mod merge;

pub use actions::{act, act_with_time, ActionRequest};
pub(crate) use intake::{add_pause, notify_requester, queue_notice, recompute_resolution_due, whatsapp_contacts};
pub use intake::{open_ticket, validate_new_ticket, Opened};

pub const MAX_TITLE: usize = 200;
pub const MAX_BODY: usize = 20_000;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequesterInput {
    pub name: String,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub telegram_id: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    /// `id` or `en`; the language of the desk's mails (Bahasa Indonesia when unknown).
    #[serde(default)]
    pub language: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewTicket {
    pub kind: Kind,
    pub title: String,
    pub description: String,
    #[serde(default)]
    pub unit: Option<String>,
    #[serde(default)]
    pub service: Option<String>,
    pub impact: Level,
    pub urgency: Level,
    #[serde(default)]
    pub requester: Option<RequesterInput>,
    #[serde(default)]
    pub classification: Option<Classification>,
    #[serde(default)]
    pub security_incident: Option<bool>,
    /// A breach of personal data (UU 27/2022): its own 72-hour clock; it is a security incident too.
    #[serde(default)]
    pub personal_data_breach: Option<bool>,
    #[serde(default)]
    pub channel: Option<Channel>,
    /// An incident on a service known to be disrupted is linked to the disruption's problem;
    /// its requester hears each public update of the disruption unless this is `false`.
    #[serde(default)]
    pub follow_disruption: Option<bool>,
}

/// The public form: impact and urgency are the desk's judgement, not the citizen's, so they
/// default to medium; the requester is required.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewPublicTicket {
    pub kind: Kind,
    pub title: String,
    pub description: String,
    #[serde(default)]
    pub unit: Option<String>,
    #[serde(default)]
    pub service: Option<String>,
    #[serde(default)]
    pub impact: Option<Level>,
    #[serde(default)]
    pub urgency: Option<Level>,
    pub requester: RequesterInput,
    /// A citizen may say it is a security incident or a leak of personal data (SPEC 6).
    #[serde(default)]
    pub security_incident: Option<bool>,
    #[serde(default)]
    pub personal_data_breach: Option<bool>,
    #[serde(default)]
    pub follow_disruption: Option<bool>,
}

impl RequesterInput {
    /// A requester known by name and, optionally, e-mail address.
    pub fn named(name: impl Into<String>, email: Option<String>) -> Self {
        RequesterInput { name: name.into(), email, telegram_id: None, phone: None, language: None }
    }
}

impl From<NewPublicTicket> for NewTicket {
    fn from(p: NewPublicTicket) -> Self {
        NewTicket {
            kind: p.kind,
            title: p.title,
            description: p.description,
            unit: p.unit,
            service: p.service,
            impact: p.impact.unwrap_or(Level::Medium),
            urgency: p.urgency.unwrap_or(Level::Medium),
            // A Telegram chat is tied to a requester only by the Telegram channel itself: a web
            // form naming somebody's chat id must not take over their chat.
            requester: Some(RequesterInput { telegram_id: None, ..p.requester }),
            classification: None,
            security_incident: p.security_incident,
            personal_data_breach: p.personal_data_breach,
            channel: Some(Channel::Web),
            follow_disruption: p.follow_disruption,
        }
    }
}

/// Loads a ticket the actor may see; anything else is "not found" so numbers cannot be probed.
pub fn visible_ticket(conn: &mut DbConn, actor: &Actor, number: &str) -> DeskResult<Ticket> {
    let row = db::by_number(conn, number)?.ok_or_else(|| DeskError::not_found("ticket", number))?;
    check_visible(conn, actor, number, row)
}

/// The same inside a change: the row stays locked until the change commits.
pub fn visible_ticket_for_update(conn: &mut DbConn, actor: &Actor, number: &str) -> DeskResult<Ticket> {
    let row = db::by_number_for_update(conn, number)?.ok_or_else(|| DeskError::not_found("ticket", number))?;
    check_visible(conn, actor, number, row)
}

fn check_visible(conn: &mut DbConn, actor: &Actor, number: &str, row: TicketRow) -> DeskResult<Ticket> {
    let ticket = Ticket::load(conn, row)?;
    if actor.can_read(&ticket.scope()) {
        Ok(ticket)
    } else {
        Err(DeskError::not_found("ticket", number))
    }
}

fn conflict_with_allowed(ticket: &Ticket, actor: &Actor, detail: String) -> DeskError {
    DeskError::Conflict {
        code: "transition_not_allowed",
        detail,
        allowed: Some(ticket.allowed_actions(actor).iter().map(|a| a.as_str().to_string()).collect()),
    }
}

fn internal_note(tx: &mut Tx, ticket_id: &str, actor: &Actor, body: String) -> DeskResult<MessageRow> {
    let row = MessageRow {
        id: new_id(),
        ticket_id: ticket_id.to_string(),
        author_id: Some(actor.user_id.clone()),
        author_name: actor.name.clone(),
        internal: true,
        body,
        channel: Channel::Api.as_str().into(),
        created_at: tx.now.naive_utc(),
    };
    db::insert_message(tx.conn, &row)?;
    Ok(row)
}

fn public_reply(tx: &mut Tx, row: &mut TicketRow, actor: &Actor, body: String) -> DeskResult<MessageRow> {
    let message = MessageRow {
        id: new_id(),
        ticket_id: row.id.clone(),
        author_id: Some(actor.user_id.clone()),
        author_name: actor.name.clone(),
        internal: false,
        body,
        channel: Channel::Api.as_str().into(),
        created_at: tx.now.naive_utc(),
    };
    db::insert_message(tx.conn, &message)?;
    // SPEC 4: the first public reply of an agent meets the first-response target.
    if actor.role.is_staff() && row.first_response_at.is_none() {
        row.first_response_at = Some(tx.now.naive_utc());
    }
    Ok(message)
}

/// Who may be assigned a ticket: its unit's tier-1 agents at tier 1, tier-2 agents at tier 2,
/// supervisors always.
fn may_work(user: &crate::db::catalog::UserRow, ticket: &Ticket) -> bool {
    match Role::parse(&user.role) {
        Some(Role::Supervisor) => true,
        Some(Role::AgentT1) => ticket.row.tier == 1 && user.unit_id.as_deref() == Some(ticket.row.unit_id.as_str()),
        Some(Role::AgentT2) => ticket.row.tier == 2,
        _ => false,
    }
}

/// The active staff `assign` accepts for this ticket now, as (username, name).
pub fn assignable_staff(conn: &mut DbConn, ticket: &Ticket) -> DeskResult<Vec<(String, String)>> {
    Ok(catalog_db::list_users(conn, None)?
        .into_iter()
        .filter(|u| u.active && may_work(u, ticket))
        .map(|u| (u.username, u.name))
        .collect())
}

fn assignee_for(tx: &mut Tx, ticket: &Ticket, username: &str) -> DeskResult<crate::db::catalog::UserRow> {
    let user = catalog_db::user_by_username(tx.conn, username)?
        .filter(|u| u.active)
        .ok_or_else(|| DeskError::invalid("username", format!("no active user {username}")))?;
    let role = Role::parse(&user.role).unwrap_or(Role::Requester);
    if !may_work(&user, ticket) {
        return Err(DeskError::invalid(
            "username",
            format!("{username} ({role}) cannot work this ticket at tier {}", ticket.row.tier),
        ));
    }
    Ok(user)
}

/// A reply or an internal note, with the files sent with it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewMessage {
    pub body: String,
    #[serde(default)]
    pub internal: bool,
    /// Where it came from; set by the channels, never by an API caller.
    #[serde(skip)]
    pub channel: Option<Channel>,
    /// Files sent with it (multipart forms); internal with an internal note.
    #[serde(skip)]
    pub files: Vec<super::attachments::Upload>,
    /// Minutes the agent spent, recorded with the message (staff only).
    #[serde(default)]
    pub minutes: Option<i32>,
}

impl NewMessage {
    /// A public message that arrived by e-mail.
    pub fn by_email(body: String) -> Self {
        NewMessage { body, internal: false, channel: Some(Channel::Email), files: Vec::new(), minutes: None }
    }
}

/// Who writes a message: a signed-in user, or the citizen holding the tracking token.
pub enum Author<'a> {
    User(&'a Actor),
    Requester {
        name: String,
    },
    /// A follower's mailed answer (issue 15): a public message that, unlike the requester's,
    /// neither reopens nor resumes the ticket.
    Follower {
        name: String,
    },
}

/// Adds a public reply or an internal note. A requester's reply reopens a resolved ticket and
/// resumes a pending one (SPEC 2: pending means waiting on the requester).
pub fn add_message(
    tx: &mut Tx,
    desk: &Desk,
    author: Author,
    ticket: Ticket,
    input: NewMessage,
) -> DeskResult<view::MessageView> {
    // A message may be only files; without files it needs text.
    if input.files.is_empty() || !input.body.trim().is_empty() {
        check_text("body", &input.body, MAX_BODY)?;
    }
    super::attachments::check_uploads(&input.files, desk.attachment_max_bytes)?;
    let staff_actor = match &author {
        Author::User(a) => Some(*a),
        Author::Requester { .. } | Author::Follower { .. } => None,
    };
    super::time_spent::check(staff_actor, input.minutes)?;
    let mut row = ticket.row.clone();
    let (author_id, author_name, is_staff) = match &author {
        Author::User(a) => {
            if !a.can_write_messages(&ticket.scope(), input.internal) {
                return Err(DeskError::Forbidden(if input.internal {
                    format!("a {} may not add internal notes to this ticket", a.role)
                } else {
                    format!("a {} may not reply to this ticket", a.role)
                }));
            }
            (Some(a.user_id.clone()), a.name.clone(), a.role.is_staff())
        }
        Author::Requester { name } | Author::Follower { name } => {
            if input.internal {
                return Err(DeskError::invalid("internal", "requesters cannot write internal notes"));
            }
            (None, name.clone(), false)
        }
    };
    if matches!(ticket.status, Status::Closed | Status::Cancelled) && !is_staff {
        return Err(DeskError::conflict(
            "ticket_closed",
            format!("ticket {} is {}; please open a new report", row.number, ticket.status),
        ));
    }
    let message = MessageRow {
        id: new_id(),
        ticket_id: row.id.clone(),
        author_id: author_id.clone(),
        author_name,
        internal: input.internal,
        body: input.body.trim().to_string(),
        channel: input.channel.unwrap_or(Channel::Api).as_str().into(),
        created_at: tx.now.naive_utc(),
    };
    db::insert_message(tx.conn, &message)?;
    let mut files = Vec::with_capacity(input.files.len());
    for upload in &input.files {
        files.push(super::attachments::attach(tx, &row.id, Some(&message.id), input.internal, upload)?);
    }
    let mut data = json!({ "message_id": message.id, "internal": input.internal });
    if let (Some(minutes), Some(actor)) = (input.minutes, staff_actor) {
        super::time_spent::record(tx, &row.id, actor, minutes, Some(&message.id), None)?;
        data["minutes"] = json!(minutes);
    }
    if !files.is_empty() {
        data["attachments"] = files
            .iter()
            .map(|f| json!({ "id": f.id, "filename": f.filename, "sha256": f.sha256, "size": f.size_bytes }))
            .collect();
    }
    if is_staff && !input.internal && row.first_response_at.is_none() {
        row.first_response_at = Some(tx.now.naive_utc());
        data["first_response"] = json!(true);
    }
    if matches!(author, Author::Requester { .. }) {
        match ticket.status {
            Status::Resolved => {
                if let Some(resolved) = row.resolved_at.take() {
                    add_pause(desk, &mut row, ticket.priority, utc(resolved), tx.now);
                }
                recompute_resolution_due(desk, &mut row, ticket.priority)?;
                row.status = Status::Open.as_str().into();
                data["reopened"] = json!(true);
            }
            Status::Pending => {
                if let Some(since) = row.pending_since.take() {
                    add_pause(desk, &mut row, ticket.priority, utc(since), tx.now);
                }
                recompute_resolution_due(desk, &mut row, ticket.priority)?;
                row.status = Status::Open.as_str().into();
                data["resumed"] = json!(true);
            }
            _ => {}
        }
    }
    row.active = Status::parse(&row.status).is_some_and(Status::is_active);
    row.updated_at = tx.now.naive_utc();
    sla::reschedule(tx.conn, &desk.rules(), &mut row, None)?;
    db::save(tx.conn, &row)?;
    tx.record(Some(&row.id), author_id.as_deref(), "message.added", data)?;
    if is_staff && !input.internal {
        let payload = json!({ "number": row.number, "message_id": message.id,
                              "attachments": super::attachments::notice_files(&files) });
        notify_requester(tx, &row, "reply", payload)?;
    }
    view::message_view(desk, tx.conn, message)
}

/// The ticket for the holder of its number and tracking token, or "not found".
pub fn tracked_ticket(conn: &mut DbConn, number: &str, token: &str) -> DeskResult<Ticket> {
    tracked(conn, number, token, false)
}

/// The same inside a change (a citizen's reply): the row stays locked until the change commits.
pub fn tracked_ticket_for_update(conn: &mut DbConn, number: &str, token: &str) -> DeskResult<Ticket> {
    tracked(conn, number, token, true)
}

fn tracked(conn: &mut DbConn, number: &str, token: &str, lock: bool) -> DeskResult<Ticket> {
    let row = if lock { db::by_number_for_update(conn, number)? } else { db::by_number(conn, number)? };
    let row = row.ok_or_else(|| DeskError::not_found("ticket", number))?;
    let given = super::auth::sha256_hex(token);
    let matches =
        row.tracking_token_hash.as_deref().is_some_and(|stored| constant_time_eq(stored.as_bytes(), given.as_bytes()));
    if !matches {
        return Err(DeskError::not_found("ticket", number));
    }
    Ticket::load(conn, row)
}

pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

pub fn detail(desk: &Desk, conn: &mut DbConn, actor: &Actor, number: &str) -> DeskResult<TicketView> {
    let ticket = visible_ticket(conn, actor, number)?;
    let mut view = view::ticket_view(desk, conn, &ticket, Some(actor), true)?;
    let include_internal = actor.role.is_staff();
    let messages = db::messages_for(conn, &ticket.row.id, include_internal)?
        .into_iter()
        .map(|m| view::message_view(desk, conn, m))
        .collect::<DeskResult<Vec<_>>>()?;
    view.messages = Some(messages);
    if actor.role.is_staff() {
        view.time_spent_minutes = Some(crate::db::time_entries::total_for(conn, &ticket.row.id)?);
    }
    view.merge = Some(view::MergeFacts {
        merged_into: crate::db::merges::merged_into(conn, &ticket.row.id)?,
        merged_from: crate::db::merges::merged_from(conn, &ticket.row.id)?,
    });
    Ok(view)
}

pub fn timeline(desk: &Desk, conn: &mut DbConn, actor: &Actor, number: &str) -> DeskResult<Vec<view::EventView>> {
    let ticket = visible_ticket(conn, actor, number)?;
    if !actor.role.is_staff() {
        return Err(DeskError::Forbidden("the audit timeline is for staff".into()));
    }
    crate::db::events::for_ticket(conn, &ticket.row.id)?.into_iter().map(|e| view::event_view(desk, conn, e)).collect()
}

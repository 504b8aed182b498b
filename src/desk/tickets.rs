//! Ticket use cases: open, act (the status machine), write messages, read and list.

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
use crate::domain::number::format_number;
use crate::domain::role::{Actor, Role};
use crate::domain::ticket::{
    next_status, priority_of, required_tier, Action, Channel, Classification, Kind, Level, Status,
};

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

/// The body of `POST /tickets/{number}/{action}`, one shape per action.
#[derive(Debug, Clone)]
pub enum ActionRequest {
    Assign {
        username: String,
    },
    Start,
    Pend {
        reason: Option<String>,
    },
    Resume,
    /// `resolve_linked`: a problem also resolves its linked incidents that are still new, open
    /// or pending, with the same resolution (SPEC 2).
    Resolve {
        resolution: String,
        resolve_linked: bool,
    },
    Close,
    Reopen {
        reason: Option<String>,
    },
    Cancel {
        reason: String,
    },
    Escalate {
        reason: String,
    },
    Return {
        note: String,
    },
    Transfer {
        unit: String,
        reason: Option<String>,
    },
    Priority {
        impact: Level,
        urgency: Level,
    },
}

impl ActionRequest {
    pub fn action(&self) -> Action {
        match self {
            ActionRequest::Assign { .. } => Action::Assign,
            ActionRequest::Start => Action::Start,
            ActionRequest::Pend { .. } => Action::Pend,
            ActionRequest::Resume => Action::Resume,
            ActionRequest::Resolve { .. } => Action::Resolve,
            ActionRequest::Close => Action::Close,
            ActionRequest::Reopen { .. } => Action::Reopen,
            ActionRequest::Cancel { .. } => Action::Cancel,
            ActionRequest::Escalate { .. } => Action::Escalate,
            ActionRequest::Return { .. } => Action::Return,
            ActionRequest::Transfer { .. } => Action::Transfer,
            ActionRequest::Priority { .. } => Action::Priority,
        }
    }

    /// Text fields are checked before the transaction.
    pub fn validate(&self) -> DeskResult<()> {
        let optional =
            |field: &str, text: &Option<String>| text.as_deref().map_or(Ok(()), |t| check_text(field, t, MAX_BODY));
        match self {
            ActionRequest::Resolve { resolution, .. } => check_text("resolution", resolution, MAX_BODY),
            ActionRequest::Cancel { reason } | ActionRequest::Escalate { reason } => {
                check_text("reason", reason, MAX_BODY)
            }
            ActionRequest::Return { note } => check_text("note", note, MAX_BODY),
            ActionRequest::Pend { reason }
            | ActionRequest::Reopen { reason }
            | ActionRequest::Transfer { reason, .. } => optional("reason", reason),
            _ => Ok(()),
        }
    }
}

fn clean_optional(text: Option<String>) -> Option<String> {
    text.map(|t| t.trim().to_string()).filter(|t| !t.is_empty())
}

fn validate_new_ticket(input: &NewTicket) -> DeskResult<()> {
    check_text("title", &input.title, MAX_TITLE)?;
    check_text("description", &input.description, MAX_BODY)?;
    if let Some(r) = &input.requester {
        check_text("requester.name", &r.name, 200)?;
        if let Some(email) = r.email.as_deref().filter(|e| !e.trim().is_empty()) {
            check_email("requester.email", email.trim())?;
        }
        if let Some(phone) = r.phone.as_deref().filter(|p| !p.trim().is_empty()) {
            super::requesters::check_phone("requester.phone", phone)?;
        }
        if let Some(chat) = r.telegram_id.as_deref().filter(|c| !c.trim().is_empty()) {
            if chat.len() > 32 || !chat.chars().all(|c| c.is_ascii_digit() || c == '-') {
                return Err(DeskError::invalid("requester.telegram_id", "is not a Telegram chat id"));
            }
        }
    }
    Ok(())
}

/// The local year of the city, for numbering: a ticket opened at 23:30 WIB on 31 December
/// belongs to that year.
fn local_year(desk: &Desk, at: DateTime<Utc>) -> i32 {
    at.with_timezone(&desk.zone).year()
}

/// Resume and reopen: the resolution clock moves by the pause, the first response does not.
pub(crate) fn recompute_resolution_due(
    desk: &Desk,
    row: &mut TicketRow,
    priority: crate::domain::ticket::Priority,
) -> DeskResult<()> {
    sla::recompute_resolution_due(&desk.rules(), row, priority)
}

/// Business time between `from` and `now` on the resolution calendar, added to the pauses.
pub(crate) fn add_pause(
    desk: &Desk,
    row: &mut TicketRow,
    priority: crate::domain::ticket::Priority,
    from: DateTime<Utc>,
    now: DateTime<Utc>,
) -> i64 {
    let rules = desk.rules();
    let (_, calendar) = rules.for_priority(priority);
    let paused = calendar.business_seconds_between(from, now);
    row.paused_seconds += paused;
    paused
}

fn queue_notice(
    tx: &mut Tx,
    ticket: &TicketRow,
    channel: &str,
    recipient: &str,
    template: &str,
    payload: serde_json::Value,
) -> DeskResult<()> {
    let row = OutboxRow::new(tx.now.naive_utc(), Some(&ticket.id), channel, recipient, template, &payload);
    outbox::insert(tx.conn, &row)?;
    // Staff who linked Telegram get the notice there too.
    super::telegram_links::queue_mirrored(tx, std::slice::from_ref(&row))
}

/// Tells the requester on the channels it gave us. Delivery happens after commit.
pub(crate) fn notify_requester(
    tx: &mut Tx,
    ticket: &TicketRow,
    template: &str,
    payload: serde_json::Value,
) -> DeskResult<()> {
    match catalog_db::requester_by_id(tx.conn, &ticket.requester_id)? {
        Some(requester) => notify(tx, ticket, &requester, template, payload),
        None => Ok(()),
    }
}

fn notify(
    tx: &mut Tx,
    ticket: &TicketRow,
    requester: &RequesterRow,
    template: &str,
    payload: serde_json::Value,
) -> DeskResult<()> {
    if let Some(email) = &requester.email {
        queue_notice(tx, ticket, "email", email, template, payload.clone())?;
    }
    if let Some(chat) = &requester.telegram_id {
        queue_notice(tx, ticket, "telegram", chat, template, payload)?;
    }
    Ok(())
}

/// The requester of a new ticket: the account's own record, else one found by e-mail address
/// or Telegram chat, else a new one. A found record keeps its identity unless the change comes
/// from staff or from the requester signed in (then it is audited, `requester.updated`): a
/// report without a sign-in can name anybody's address (issue 20). Missing contact details are
/// filled in only on the same terms.
fn find_or_create_requester(
    tx: &mut Tx,
    actor: Option<&Actor>,
    input: Option<RequesterInput>,
) -> DeskResult<RequesterRow> {
    let account = actor.filter(|a| a.role == Role::Requester);
    let input = match (input, account) {
        (Some(i), _) => i,
        (None, Some(a)) => RequesterInput::named(a.name.clone(), None),
        (None, None) => {
            return Err(DeskError::invalid("requester", "who reports the problem is required: requester.name at least"))
        }
    };
    let email = clean_optional(input.email).map(|e| e.to_lowercase());
    let phone = clean_optional(input.phone);
    let telegram = clean_optional(input.telegram_id);
    let name = input.name.trim().to_string();
    let user_id = account.map(|a| a.user_id.clone());
    let language = super::requesters::parse_language("requester.language", input.language.as_deref())?;
    if let Some(mut existing) =
        catalog_db::find_requester(tx.conn, user_id.as_deref(), email.as_deref(), telegram.as_deref())?
    {
        let entitled = actor
            .filter(|a| a.role.is_staff() || existing.user_id.as_deref().is_some_and(|own| own == a.user_id.as_str()));
        let Some(actor) = entitled else { return Ok(existing) };
        if existing.email.is_none() && email.is_some() {
            existing.email = email;
            catalog_db::update_requester(tx.conn, &existing)?;
            tx.record(
                None,
                Some(&actor.user_id),
                "requester.updated",
                json!({ "requester_id": existing.id, "fields": ["email"], "via": "ticket" }),
            )?;
        }
        // An existing chat link is never replaced through another channel's details.
        if existing.telegram_id.is_none() && telegram.is_some() {
            existing.telegram_id = telegram;
            catalog_db::update_requester(tx.conn, &existing)?;
            tx.record(
                None,
                Some(&actor.user_id),
                "requester.updated",
                json!({ "requester_id": existing.id, "fields": ["telegram_id"], "via": "ticket" }),
            )?;
        }
        super::requesters::apply(tx, actor, &mut existing, Some(name), phone.map(Some), language, "ticket")?;
        return Ok(existing);
    }
    let row = RequesterRow {
        id: new_id(),
        name,
        email,
        phone,
        telegram_id: telegram,
        user_id,
        created_at: tx.now.naive_utc(),
        language,
    };
    catalog_db::insert_requester(tx.conn, &row)?;
    Ok(row)
}

/// The result of opening a ticket: the citizen's tracking token is shown once, never stored.
#[derive(Debug, Clone)]
pub struct Opened {
    pub ticket: Ticket,
    pub tracking_token: Option<String>,
    pub requester: RequesterRow,
    /// The known disruption of the ticket's service it was linked to, if any.
    pub disruption: Option<super::disruptions::intake::KnownDisruption>,
}

/// Opens a ticket at tier 1 of its unit with its SLA clocks running. `actor` is `None` for
/// the public portal.
pub fn open_ticket(tx: &mut Tx, desk: &Desk, actor: Option<&Actor>, input: NewTicket) -> DeskResult<Opened> {
    validate_new_ticket(&input)?;
    let input_breach = input.personal_data_breach.unwrap_or(false);
    if actor.is_some_and(|a| a.role.is_staff()) && input.requester.is_none() {
        return Err(DeskError::invalid("requester", "who reports the problem is required: requester.name at least"));
    }
    let service = match &input.service {
        Some(code) => Some(
            desk.names
                .service_by_code(tx.conn, code)?
                .filter(|s| s.active)
                .ok_or_else(|| DeskError::invalid("service", format!("no active service with code {code}")))?,
        ),
        None => None,
    };
    let unit = match (&input.unit, &service) {
        (Some(code), _) => desk
            .names
            .unit_by_code(tx.conn, code)?
            .filter(|u| u.active)
            .ok_or_else(|| DeskError::invalid("unit", format!("no active unit with code {code}")))?,
        (None, Some(s)) => desk
            .names
            .unit_by_id(tx.conn, &s.unit_id)?
            .ok_or_else(|| DeskError::Internal("service without unit".into()))?,
        (None, None) => {
            let own = actor.filter(|a| a.role.is_staff()).and_then(|a| a.unit_id.clone());
            match own {
                Some(id) => desk
                    .names
                    .unit_by_id(tx.conn, &id)?
                    .ok_or_else(|| DeskError::Internal("actor's unit is gone".into()))?,
                // The city-wide desk: tier 1 of the tier-2 unit receives and routes.
                None => catalog_db::tier2_unit(tx.conn)?.ok_or_else(|| {
                    DeskError::invalid("unit", "unit or service is required (no city-wide desk is configured)")
                })?,
            }
        }
    };
    if let Some(s) = &service {
        if s.unit_id != unit.id {
            return Err(DeskError::invalid(
                "service",
                format!("service {} does not belong to unit {}", s.code, unit.code),
            ));
        }
    }
    if let Some(a) = actor {
        if matches!(a.role, Role::AgentT1 | Role::UnitHead) && a.unit_id.as_deref() != Some(unit.id.as_str()) {
            return Err(DeskError::Forbidden(format!(
                "a tier-1 desk opens tickets for its own unit; open it here and transfer it to {}",
                unit.code
            )));
        }
    }
    let channel = match (actor, input.channel) {
        // The public portal says web; the e-mail intake says email.
        (None, given) => given.unwrap_or(Channel::Web),
        (Some(a), Some(c)) if a.role.is_staff() => c,
        (Some(a), _) if a.role == Role::Requester => Channel::Web,
        _ => Channel::Api,
    };
    let requester = find_or_create_requester(tx, actor, input.requester)?;
    let priority = priority_of(input.impact, input.urgency);
    let year = local_year(desk, tx.now);
    let number = format_number(&desk.number_prefix, year, db::next_seq(tx.conn, year)?);
    let tracking_token = actor.is_none().then(|| super::auth::random_secret(20));
    let classification = input.classification.unwrap_or(Classification::Internal);
    let now = tx.now.naive_utc();
    let mut row = TicketRow {
        id: new_id(),
        number,
        kind: input.kind.as_str().into(),
        title: input.title.trim().to_string(),
        description: input.description.trim().to_string(),
        unit_id: unit.id.clone(),
        service_id: service.as_ref().map(|s| s.id.clone()),
        tier: 1,
        status: Status::New.as_str().into(),
        active: true,
        impact: input.impact.as_str().into(),
        urgency: input.urgency.as_str().into(),
        priority: priority.as_str().into(),
        classification: classification.as_str().into(),
        security_incident: input.security_incident.unwrap_or(false) || input.personal_data_breach.unwrap_or(false),
        channel: channel.as_str().into(),
        requester_id: requester.id.clone(),
        tracking_token_hash: tracking_token.as_deref().map(super::auth::sha256_hex),
        assignee_id: None,
        tier1_assignee_id: None,
        escalated: false,
        created_by: actor.map(|a| a.user_id.clone()),
        created_at: now,
        updated_at: now,
        first_response_at: None,
        first_response_due: now,
        resolution_due: now,
        pending_since: None,
        paused_seconds: 0,
        resolved_at: None,
        closed_at: None,
        sla_next_at: None,
    };
    // A confidential ticket is visible to its assignee only (besides tier 2 and supervisors):
    // the agent who records one keeps it, rather than losing sight of it at once.
    if classification == Classification::Confidential {
        if let Some(a) = actor.filter(|a| matches!(a.role, Role::AgentT1 | Role::AgentT2)) {
            row.assignee_id = Some(a.user_id.clone());
        }
    }
    let rules = desk.rules();
    sla::recompute_dues(&rules, &mut row, priority)?;
    sla::reschedule(tx.conn, &rules, &mut row, Some(&[]))?;
    db::insert(tx.conn, &row)?;
    desk.names.remember_unit(&unit.id, &unit.code);
    tx.record(
        Some(&row.id),
        actor.map(|a| a.user_id.as_str()),
        "ticket.created",
        json!({
            "number": row.number, "kind": row.kind, "unit": unit.code,
            "service": service.as_ref().map(|s| &s.code), "tier": 1, "priority": row.priority,
            "classification": row.classification, "channel": row.channel,
            "security_incident": row.security_incident,
            "first_response_due": utc(row.first_response_due), "resolution_due": utc(row.resolution_due),
        }),
    )?;
    // SPEC 6: a flag at intake starts its notice clock and tells tier 2 and the supervisors now.
    let (security, breach) = (row.security_incident, input_breach);
    if security || breach {
        super::incidents::raise(tx, &mut row, actor.map(|a| a.user_id.as_str()), security, breach, None)?;
    }
    super::telegram_links::queue_new_ticket(tx, &row)?;
    // A report on a service known to be down joins the disruption's problem (SPEC 2), and the
    // acknowledgement says the disruption is known.
    let disruption = super::disruptions::intake::join_current(tx, &row, input.follow_disruption.unwrap_or(true))?;
    // The tracking token travels in the acknowledgement (and is scrubbed once it is sent).
    notify(
        tx,
        &row,
        &requester,
        "ticket_received",
        json!({ "number": row.number, "tracking_token": tracking_token, "disruption": disruption }),
    )?;
    let ticket = Ticket::from_row(row, requester.user_id.clone())?;
    Ok(Opened { ticket, tracking_token, requester, disruption })
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

/// Checks that `username` may hold the ticket at its tier and unit.
/// Stores a file sent with a ticket or message: the content once by SHA-256, its type sniffed
/// from the bytes (SPEC 2), the name cut to 255 characters.
pub fn attach(
    tx: &mut Tx,
    ticket_id: &str,
    message_id: Option<&str>,
    filename: &str,
    declared_type: &str,
    content: &[u8],
) -> DeskResult<()> {
    use sha2::Digest;
    let sha = hex::encode(sha2::Sha256::digest(content));
    crate::db::mail::put_blob(tx.conn, &sha, content)?;
    crate::db::mail::insert_attachment(
        tx.conn,
        &crate::db::mail::AttachmentRow {
            id: new_id(),
            ticket_id: ticket_id.to_string(),
            message_id: message_id.map(str::to_string),
            filename: filename.chars().filter(|c| !c.is_control()).take(255).collect(),
            content_type: crate::domain::mail::sniff_type(content, declared_type),
            size_bytes: content.len() as i64,
            sha256: sha,
            inline_part: false,
            created_at: tx.now.naive_utc(),
        },
    )?;
    Ok(())
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

/// Runs one action of the status machine with its audit event and notices.
pub fn act(tx: &mut Tx, desk: &Desk, actor: &Actor, number: &str, request: ActionRequest) -> DeskResult<Ticket> {
    request.validate()?;
    let action = request.action();
    let ticket = visible_ticket_for_update(tx.conn, actor, number)?;
    let status = ticket.status;
    let Some(next) = next_status(status, action) else {
        return Err(conflict_with_allowed(&ticket, actor, format!("cannot {action} a ticket that is {status}")));
    };
    if let Some(tier) = required_tier(action) {
        if ticket.row.tier != tier {
            return Err(conflict_with_allowed(
                &ticket,
                actor,
                format!("cannot {action} a ticket at tier {}", ticket.row.tier),
            ));
        }
    }
    if !actor.may(&ticket.scope(), action) {
        return Err(DeskError::Forbidden(format!("a {} may not {action} this ticket", actor.role)));
    }
    let now = tx.now;
    let mut row = ticket.row.clone();
    let mut priority = ticket.priority;
    let mut data = json!({ "from_status": status.as_str(), "to_status": next.as_str() });
    let request_after = request.clone();
    match request {
        ActionRequest::Assign { username } => {
            let user = assignee_for(tx, &ticket, &username)?;
            data["from"] = json!(row.assignee_id.as_ref().map(|id| desk.names.username(tx.conn, id)).transpose()?);
            data["to"] = json!(user.username);
            row.assignee_id = Some(user.id.clone());
            match &user.email {
                Some(email) => {
                    queue_notice(tx, &row, "email", email, "ticket_assigned", json!({ "number": row.number }))?
                }
                // Staff without an address still hear of it on the Telegram chats they linked.
                None => {
                    for chat in crate::db::telegram::chats_of_user(tx.conn, &user.id)? {
                        let payload = json!({ "number": row.number });
                        let notice = OutboxRow::new(
                            tx.now.naive_utc(),
                            Some(&row.id),
                            "telegram",
                            &chat.to_string(),
                            "ticket_assigned",
                            &payload,
                        );
                        outbox::insert(tx.conn, &notice)?;
                    }
                }
            }
        }
        ActionRequest::Start => {
            if row.assignee_id.is_none() && matches!(actor.role, Role::AgentT1 | Role::AgentT2) {
                row.assignee_id = Some(actor.user_id.clone());
                data["to"] = json!(actor.username);
            }
        }
        ActionRequest::Pend { reason } => {
            row.pending_since = Some(now.naive_utc());
            data["reason"] = json!(reason);
            notify_requester(tx, &row, "ticket_pending", json!({ "number": row.number }))?;
        }
        ActionRequest::Resume => {
            if let Some(since) = row.pending_since.take() {
                let paused = add_pause(desk, &mut row, priority, utc(since), now);
                data["paused_minutes"] = json!(paused / 60);
            }
            recompute_resolution_due(desk, &mut row, priority)?;
            data["resolution_due"] = json!(utc(row.resolution_due));
        }
        ActionRequest::Resolve { resolution, resolve_linked } => {
            if resolve_linked && row.kind != Kind::Problem.as_str() {
                return Err(DeskError::invalid("resolve_linked", format!("{} is not a problem ticket", row.number)));
            }
            let message = public_reply(tx, &mut row, actor, resolution.trim().to_string())?;
            row.resolved_at = Some(now.naive_utc());
            data["message_id"] = json!(message.id);
            // SPEC 2: the requester is asked for a rating (once per ticket) with the resolution.
            let csat_token = super::csat::request(tx, &row)?;
            notify_requester(
                tx,
                &row,
                "ticket_resolved",
                json!({ "number": row.number, "message_id": message.id, "csat_token": csat_token }),
            )?;
        }
        ActionRequest::Close => {
            row.closed_at = Some(now.naive_utc());
        }
        ActionRequest::Reopen { reason } => {
            // SPEC 4: a reopen resumes the resolution clock with the time already used; the
            // time spent resolved does not count.
            if let Some(resolved) = row.resolved_at.take() {
                add_pause(desk, &mut row, priority, utc(resolved), now);
            }
            recompute_resolution_due(desk, &mut row, priority)?;
            data["reason"] = json!(reason);
            data["resolution_due"] = json!(utc(row.resolution_due));
        }
        ActionRequest::Cancel { reason } => {
            row.closed_at = Some(now.naive_utc());
            // The clock stops here as it would on resume-then-stop: a pause ending with the
            // cancellation moves the due time by its length, so that a ticket cancelled while
            // pending is judged on the time it was actually worked (list and detail agree).
            if let Some(since) = row.pending_since.take() {
                add_pause(desk, &mut row, priority, utc(since), now);
                recompute_resolution_due(desk, &mut row, priority)?;
                data["resolution_due"] = json!(utc(row.resolution_due));
            }
            data["reason"] = json!(reason);
            notify_requester(tx, &row, "ticket_cancelled", json!({ "number": row.number, "reason": reason }))?;
        }
        ActionRequest::Escalate { reason } => {
            // Pontianak Pasal 51(9): what tier 1 cannot solve goes to tier 2 at Diskominfo.
            row.tier = 2;
            row.escalated = true;
            row.tier1_assignee_id = row.assignee_id.take();
            internal_note(tx, &row.id, actor, format!("Eskalasi ke Tier 2: {}", reason.trim()))?;
            data["reason"] = json!(reason.trim());
            if let Some(unit) = catalog_db::tier2_unit(tx.conn)?.and_then(|u| u.email) {
                queue_notice(tx, &row, "email", &unit, "ticket_escalated", json!({ "number": row.number }))?;
            }
        }
        ActionRequest::Return { note } => {
            row.tier = 1;
            row.assignee_id = row.tier1_assignee_id.take();
            internal_note(tx, &row.id, actor, format!("Dikembalikan ke Tier 1: {}", note.trim()))?;
            data["note"] = json!(note.trim());
        }
        ActionRequest::Transfer { unit, reason } => {
            let target = catalog_db::unit_by_code(tx.conn, &unit)?
                .filter(|u| u.active)
                .ok_or_else(|| DeskError::invalid("unit", format!("no active unit with code {unit}")))?;
            if target.id == row.unit_id {
                return Err(DeskError::invalid("unit", format!("the ticket is already at {unit}")));
            }
            data["from_unit"] = json!(desk.names.unit_code(tx.conn, &row.unit_id)?);
            data["to_unit"] = json!(target.code);
            data["reason"] = json!(reason);
            if let Some(service) = &row.service_id {
                let belongs = catalog_db::service_by_id(tx.conn, service)?.is_some_and(|s| s.unit_id == target.id);
                if !belongs {
                    row.service_id = None;
                }
            }
            row.unit_id = target.id.clone();
            row.assignee_id = None;
            row.tier1_assignee_id = None;
            if let Some(email) = &target.email {
                queue_notice(tx, &row, "email", email, "ticket_transferred", json!({ "number": row.number }))?;
            }
        }
        ActionRequest::Priority { impact, urgency } => {
            let new_priority = priority_of(impact, urgency);
            data["from_priority"] = json!(priority.as_str());
            data["to_priority"] = json!(new_priority.as_str());
            priority = new_priority;
            row.impact = impact.as_str().into();
            row.urgency = urgency.as_str().into();
            row.priority = priority.as_str().into();
            // SPEC 4: recompute both due times from creation with the new targets, keeping
            // the pauses (measured again if the new priority counts in another calendar).
            let rules = desk.rules();
            let (old, new) = (rules.for_priority(ticket.priority).1, rules.for_priority(priority).1);
            if old.name != new.name {
                sla::remeasure_pauses(tx.conn, &new, &mut row)?;
            }
            sla::recompute_dues(&rules, &mut row, priority)?;
            data["first_response_due"] = json!(utc(row.first_response_due));
            data["resolution_due"] = json!(utc(row.resolution_due));
        }
    }
    row.status = next.as_str().into();
    row.active = next.is_active();
    row.updated_at = now.naive_utc();
    sla::reschedule(tx.conn, &desk.rules(), &mut row, None)?;
    db::save(tx.conn, &row)?;
    tx.record(Some(&row.id), Some(&actor.user_id), &format!("ticket.{}", event_name(action)), data)?;
    if let ActionRequest::Resolve { resolution, resolve_linked } = &request_after {
        if row.kind == Kind::Problem.as_str() {
            // Linked reports are answered first: their requesters then hear the resolution,
            // not also the disruption's end.
            if *resolve_linked {
                super::disruptions::intake::resolve_linked(tx, desk, actor, &row, resolution.trim())?;
            }
            super::disruptions::end_with_problem(tx, actor, &row.id)?;
        }
    }
    if status != next && !matches!(action, Action::Resolve | Action::Pend | Action::Cancel) {
        notify_requester(tx, &row, "ticket_status", json!({ "number": row.number, "status": next.as_str() }))?;
    }
    Ticket::from_row(row, ticket.requester_user_id)
}

fn event_name(action: Action) -> &'static str {
    match action {
        Action::Assign => "assigned",
        Action::Start => "started",
        Action::Pend => "pending",
        Action::Resume => "resumed",
        Action::Resolve => "resolved",
        Action::Close => "closed",
        Action::Reopen => "reopened",
        Action::Cancel => "cancelled",
        Action::Escalate => "escalated",
        Action::Return => "returned",
        Action::Transfer => "transferred",
        Action::Priority => "priority_changed",
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewMessage {
    pub body: String,
    #[serde(default)]
    pub internal: bool,
    /// Where it came from; set by the channels, never by an API caller.
    #[serde(skip)]
    pub channel: Option<Channel>,
}

impl NewMessage {
    /// A public message that arrived by e-mail.
    pub fn by_email(body: String) -> Self {
        NewMessage { body, internal: false, channel: Some(Channel::Email) }
    }
}

/// Who writes a message: a signed-in user, or the citizen holding the tracking token.
pub enum Author<'a> {
    User(&'a Actor),
    Requester { name: String },
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
    check_text("body", &input.body, MAX_BODY)?;
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
        Author::Requester { name } => {
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
    let mut data = json!({ "message_id": message.id, "internal": input.internal });
    if is_staff && !input.internal && row.first_response_at.is_none() {
        row.first_response_at = Some(tx.now.naive_utc());
        data["first_response"] = json!(true);
    }
    if !is_staff {
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
        notify_requester(tx, &row, "reply", json!({ "number": row.number, "message_id": message.id }))?;
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
    Ok(view)
}

pub fn timeline(desk: &Desk, conn: &mut DbConn, actor: &Actor, number: &str) -> DeskResult<Vec<view::EventView>> {
    let ticket = visible_ticket(conn, actor, number)?;
    if !actor.role.is_staff() {
        return Err(DeskError::Forbidden("the audit timeline is for staff".into()));
    }
    crate::db::events::for_ticket(conn, &ticket.row.id)?.into_iter().map(|e| view::event_view(desk, conn, e)).collect()
}

//! What the API shows of tickets, messages and events.

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Serialize;

use super::{Desk, DeskError, DeskResult};
use crate::db::catalog::RequesterRow;
use crate::db::events::EventRow;
use crate::db::tickets::{MessageRow, TicketRow};
use crate::db::{catalog, DbConn};
use crate::domain::role::{Actor, TicketScope};
use crate::domain::sla::clock::{first_response_status, resolution_status};
use crate::domain::sla::{TargetState, TargetStatus};
use crate::domain::ticket::{possible_actions, Action, Channel, Classification, Kind, Level, Priority, Status};

pub fn utc(at: NaiveDateTime) -> DateTime<Utc> {
    at.and_utc()
}

fn column<T>(value: &str, parse: fn(&str) -> Option<T>, what: &str) -> DeskResult<T> {
    parse(value).ok_or_else(|| DeskError::Internal(format!("stored {what} {value:?} is not known")))
}

/// A stored ticket with its text columns parsed into the domain's types.
#[derive(Debug, Clone)]
pub struct Ticket {
    pub row: TicketRow,
    pub kind: Kind,
    pub status: Status,
    pub impact: Level,
    pub urgency: Level,
    pub priority: Priority,
    pub classification: Classification,
    pub channel: Channel,
    /// The account of the requester, for requester-role scopes.
    pub requester_user_id: Option<String>,
}

impl Ticket {
    pub fn from_row(row: TicketRow, requester_user_id: Option<String>) -> DeskResult<Ticket> {
        Ok(Ticket {
            kind: column(&row.kind, Kind::parse, "kind")?,
            status: column(&row.status, Status::parse, "status")?,
            impact: column(&row.impact, Level::parse, "impact")?,
            urgency: column(&row.urgency, Level::parse, "urgency")?,
            priority: column(&row.priority, Priority::parse, "priority")?,
            classification: column(&row.classification, Classification::parse, "classification")?,
            channel: column(&row.channel, Channel::parse, "channel")?,
            requester_user_id,
            row,
        })
    }

    pub fn load(conn: &mut DbConn, row: TicketRow) -> DeskResult<Ticket> {
        let requester_user = catalog::requester_by_id(conn, &row.requester_id)?.and_then(|r| r.user_id);
        Ticket::from_row(row, requester_user)
    }

    pub fn scope(&self) -> TicketScope<'_> {
        TicketScope {
            unit_id: &self.row.unit_id,
            tier: self.row.tier,
            escalated: self.row.escalated,
            classification: self.classification,
            assignee_id: self.row.assignee_id.as_deref(),
            requester_user_id: self.requester_user_id.as_deref(),
        }
    }

    /// What `actor` may do with this ticket now: the 409 answer lists these.
    pub fn allowed_actions(&self, actor: &Actor) -> Vec<Action> {
        possible_actions(self.status, self.row.tier).into_iter().filter(|a| actor.may(&self.scope(), *a)).collect()
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct TargetView {
    pub due: DateTime<Utc>,
    pub state: crate::domain::sla::TargetState,
    pub remaining_minutes: Option<i64>,
}

impl From<TargetStatus> for TargetView {
    fn from(t: TargetStatus) -> Self {
        TargetView { due: t.due, state: t.state, remaining_minutes: t.remaining_minutes }
    }
}

/// The state of each target at a glance: `sla.state.resolution == "paused"`.
#[derive(Debug, Clone, Serialize)]
pub struct SlaStates {
    pub first_response: TargetState,
    pub resolution: TargetState,
}

#[derive(Debug, Clone, Serialize)]
pub struct SlaView {
    pub first_response_due: DateTime<Utc>,
    pub resolution_due: DateTime<Utc>,
    pub state: SlaStates,
    pub first_response: TargetView,
    pub resolution: TargetView,
    pub calendar: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct RequesterView {
    /// For `PATCH /requesters/{id}`.
    pub id: String,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub telegram_id: Option<String>,
}

impl From<RequesterRow> for RequesterView {
    fn from(r: RequesterRow) -> Self {
        RequesterView { id: r.id, name: r.name, email: r.email, phone: r.phone, telegram_id: r.telegram_id }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct TicketView {
    pub number: String,
    pub kind: Kind,
    pub title: String,
    pub description: String,
    pub status: Status,
    pub tier: i32,
    pub priority: Priority,
    pub impact: Level,
    pub urgency: Level,
    pub classification: Classification,
    pub security_incident: bool,
    /// A personal-data breach (UU 27/2022), with its own 72-hour clock in `incident`.
    pub personal_data_breach: bool,
    /// The notice clocks of a security incident or personal-data breach (SPEC 6).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub incident: Option<super::incidents::IncidentView>,
    pub channel: Channel,
    pub unit: String,
    pub service: Option<String>,
    pub assignee: Option<String>,
    pub escalated: bool,
    pub requester: Option<RequesterView>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub first_response_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub sla: SlaView,
    pub allowed_actions: Vec<Action>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub messages: Option<Vec<MessageView>>,
    /// In a search's results: where the words matched.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub highlight: Option<Highlight>,
    /// In a ticket's own view: `merged_into` and `merged_from`.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub merge: Option<MergeFacts>,
    /// In a ticket's own view for staff: the minutes agents recorded on it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_spent_minutes: Option<i64>,
}

/// Where a merged ticket's case went, and which tickets were merged into this one.
#[derive(Debug, Clone, Serialize)]
pub struct MergeFacts {
    /// The number of the ticket this one was merged into.
    pub merged_into: Option<String>,
    /// The numbers of the tickets merged into this one.
    pub merged_from: Vec<String>,
}

/// Where a search's words matched a ticket, as HTML: the text escaped, each matching word in
/// `<mark>`.
#[derive(Debug, Clone, Serialize)]
pub struct Highlight {
    /// The title, matching words marked.
    pub title: String,
    /// Some 160 characters around the first match in the description or, failing that, in a
    /// message the reader may see; absent when only the number or title matched.
    pub excerpt: Option<String>,
}

/// What a requester's own account sees of its ticket: what the tracking page shows (number,
/// title, status, unit, dates, the public conversation) and their own words and details. The
/// desk's handling — tier, priority, classification, assignee, SLA clocks, incident flags,
/// clocks and notes — is staff business (issue 20).
#[derive(Debug, Clone, Serialize)]
pub struct RequesterTicketView {
    pub number: String,
    pub kind: Kind,
    pub title: String,
    pub description: String,
    pub status: Status,
    pub unit: String,
    pub service: Option<String>,
    pub requester: Option<RequesterView>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub allowed_actions: Vec<Action>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub messages: Option<Vec<MessageView>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub highlight: Option<Highlight>,
    /// Where the case went when merged (the requester is told by notice too).
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub merge: Option<MergeFacts>,
}

impl From<TicketView> for RequesterTicketView {
    fn from(v: TicketView) -> Self {
        RequesterTicketView {
            number: v.number,
            kind: v.kind,
            title: v.title,
            description: v.description,
            status: v.status,
            unit: v.unit,
            service: v.service,
            requester: v.requester,
            created_at: v.created_at,
            updated_at: v.updated_at,
            resolved_at: v.resolved_at,
            closed_at: v.closed_at,
            allowed_actions: v.allowed_actions,
            messages: v.messages,
            highlight: v.highlight,
            merge: v.merge,
        }
    }
}

/// A ticket as the viewer's role may see it.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum SeenTicket {
    Staff(Box<TicketView>),
    Requester(Box<RequesterTicketView>),
}

pub fn as_seen_by(actor: &Actor, view: TicketView) -> SeenTicket {
    if actor.role.is_staff() {
        SeenTicket::Staff(Box::new(view))
    } else {
        SeenTicket::Requester(Box::new(view.into()))
    }
}

pub fn sla_view(desk: &Desk, t: &Ticket, now: DateTime<Utc>) -> SlaView {
    let rules = desk.rules();
    let (_, calendar) = rules.for_priority(t.priority);
    let calendar = calendar.as_ref();
    let r = &t.row;
    // A cancelled ticket stops both clocks where it was cancelled.
    let cancelled_at = (t.status == Status::Cancelled).then(|| r.closed_at.map(utc)).flatten();
    let first_stop = r.first_response_at.map(utc).or(cancelled_at);
    let resolution_stop = r.resolved_at.map(utc).or(cancelled_at);
    let first_response = first_response_status(calendar, utc(r.first_response_due), first_stop, now);
    let resolution = resolution_status(calendar, utc(r.resolution_due), resolution_stop, r.pending_since.map(utc), now);
    SlaView {
        first_response_due: first_response.due,
        resolution_due: resolution.due,
        state: SlaStates { first_response: first_response.state, resolution: resolution.state },
        first_response: first_response.into(),
        resolution: resolution.into(),
        calendar: calendar.name.clone(),
    }
}

/// The full staff view of a ticket. `with_requester` is false in lists, to keep them light.
pub fn ticket_view(
    desk: &Desk,
    conn: &mut DbConn,
    t: &Ticket,
    actor: Option<&Actor>,
    with_requester: bool,
) -> DeskResult<TicketView> {
    let requester = if with_requester { catalog::requester_by_id(conn, &t.row.requester_id)? } else { None };
    ticket_view_with(desk, conn, t, actor, requester)
}

/// The same, with the requester already at hand (no second read).
pub fn ticket_view_with(
    desk: &Desk,
    conn: &mut DbConn,
    t: &Ticket,
    actor: Option<&Actor>,
    requester: Option<RequesterRow>,
) -> DeskResult<TicketView> {
    let r = &t.row;
    let requester = requester.map(RequesterView::from);
    let service = match &r.service_id {
        Some(id) => Some(desk.names.service_code(conn, id)?),
        None => None,
    };
    let assignee = match &r.assignee_id {
        Some(id) => Some(desk.names.username(conn, id)?),
        None => None,
    };
    // Only flagged tickets have clocks: lists of ordinary tickets pay no extra read. Their
    // notes and clocks, and who works the ticket, are for staff only, whatever the view.
    let staff = actor.is_some_and(|a| a.role.is_staff());
    let incident = if r.security_incident && staff { super::incidents::view(conn, &r.id, desk.now())? } else { None };
    let assignee = assignee.filter(|_| staff);
    Ok(TicketView {
        number: r.number.clone(),
        kind: t.kind,
        title: r.title.clone(),
        description: r.description.clone(),
        status: t.status,
        tier: r.tier,
        priority: t.priority,
        impact: t.impact,
        urgency: t.urgency,
        classification: t.classification,
        security_incident: r.security_incident,
        personal_data_breach: incident.as_ref().is_some_and(|i| i.breach_notice.is_some()),
        incident,
        channel: t.channel,
        unit: desk.names.unit_code(conn, &r.unit_id)?,
        service,
        assignee,
        escalated: r.escalated,
        requester,
        created_at: utc(r.created_at),
        updated_at: utc(r.updated_at),
        first_response_at: r.first_response_at.map(utc),
        resolved_at: r.resolved_at.map(utc),
        closed_at: r.closed_at.map(utc),
        sla: sla_view(desk, t, desk.now()),
        allowed_actions: actor.map(|a| t.allowed_actions(a)).unwrap_or_default(),
        messages: None,
        highlight: None,
        merge: None,
        time_spent_minutes: None,
    })
}

#[derive(Debug, Clone, Serialize)]
pub struct MessageView {
    pub id: String,
    pub author: String,
    pub internal: bool,
    pub body: String,
    pub channel: String,
    pub created_at: DateTime<Utc>,
}

pub fn message_view(desk: &Desk, conn: &mut DbConn, m: MessageRow) -> DeskResult<MessageView> {
    let author = match &m.author_id {
        Some(id) => desk.names.username(conn, id)?,
        None => m.author_name.clone(),
    };
    Ok(MessageView {
        id: m.id,
        author,
        internal: m.internal,
        body: m.body,
        channel: m.channel,
        created_at: utc(m.created_at),
    })
}

/// What a citizen with the tracking token sees: no internal notes, no staff usernames.
#[derive(Debug, Clone, Serialize)]
pub struct PublicTicketView {
    pub number: String,
    pub title: String,
    pub kind: Kind,
    pub status: Status,
    pub unit: String,
    pub unit_name: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub messages: Vec<PublicMessageView>,
    /// The ticket's public files (never those of internal notes or the desk's own documents),
    /// downloadable at `/api/v1/public/tickets/{number}/attachments/{id}?token=`.
    pub attachments: Vec<super::attachments::AttachmentView>,
    /// When the report was merged into another: the number that now carries the case.
    pub merged_into: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PublicMessageView {
    pub id: String,
    /// "Anda" for the requester's own messages, else the desk's name.
    pub from: String,
    pub from_requester: bool,
    pub body: String,
    pub created_at: DateTime<Utc>,
}

pub fn public_view(conn: &mut DbConn, t: &Ticket) -> DeskResult<PublicTicketView> {
    let r = &t.row;
    let unit =
        catalog::unit_by_id(conn, &r.unit_id)?.ok_or_else(|| DeskError::Internal("ticket without unit".into()))?;
    let messages = crate::db::tickets::messages_for(conn, &r.id, false)?
        .into_iter()
        .map(|m| PublicMessageView {
            id: m.id,
            from_requester: m.author_id.is_none(),
            from: if m.author_id.is_none() { m.author_name } else { format!("Service Desk {}", unit.name) },
            body: m.body,
            created_at: utc(m.created_at),
        })
        .collect();
    Ok(PublicTicketView {
        number: r.number.clone(),
        title: r.title.clone(),
        kind: t.kind,
        status: t.status,
        unit: unit.code,
        unit_name: unit.name,
        created_at: utc(r.created_at),
        updated_at: utc(r.updated_at),
        resolved_at: r.resolved_at.map(utc),
        messages,
        attachments: super::attachments::public_files(conn, t)?.into_iter().map(Into::into).collect(),
        merged_into: crate::db::merges::merged_into(conn, &r.id)?,
    })
}

#[derive(Debug, Clone, Serialize)]
pub struct EventView {
    pub seq: i64,
    pub kind: String,
    pub actor: Option<String>,
    pub at: DateTime<Utc>,
    /// The event's data with its free text put back in place (or the erased marker).
    pub data: serde_json::Value,
    /// The fields whose text was erased by an anonymisation, and when.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub texts_erased: Vec<ErasedField>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ErasedField {
    pub field: String,
    pub erased_at: DateTime<Utc>,
}

/// What an erased text reads as.
pub const ERASED_TEXT: &str = super::personal_data::REDACTED_TEXT;

pub fn event_view(desk: &Desk, conn: &mut DbConn, e: EventRow) -> DeskResult<EventView> {
    let actor = match &e.actor_id {
        Some(id) => Some(desk.names.username(conn, id)?),
        None => None,
    };
    let mut data = serde_json::from_str(&e.data).unwrap_or(serde_json::Value::String(e.data));
    let refs = crate::domain::audit::text_refs(&data);
    let mut texts_erased = Vec::new();
    if !refs.is_empty() {
        let ids: Vec<String> = refs.iter().map(|r| r.id.clone()).collect();
        let texts = crate::db::audit_texts::by_ids(conn, &ids)?;
        for r in refs {
            let text = texts.iter().find(|t| t.id == r.id);
            let shown = match text.and_then(|t| t.body.clone()) {
                Some(body) => body,
                None => {
                    if let Some(at) = text.and_then(|t| t.erased_at) {
                        texts_erased.push(ErasedField { field: r.field.clone(), erased_at: utc(at) });
                    }
                    ERASED_TEXT.to_string()
                }
            };
            data[r.field.as_str()] = serde_json::Value::String(shown);
        }
    }
    Ok(EventView { seq: e.seq, kind: e.kind, actor, at: utc(e.created_at), data, texts_erased })
}

//! The ticket page of the console: facts and SLA, the timeline of messages and events, the
//! reply and note boxes, attachments and every action the viewer may take now; and the form
//! an agent fills in for a caller on the phone.

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::console::{sla_badge, SlaBadge};
use super::i18n::Lang;
use super::session::Staff;
use super::{ok, see_other, when, Frame, OrPage, PageError};
use crate::db::mail as mail_db;
use crate::desk::tickets::{self, ActionRequest};
use crate::desk::view::TicketView;
use crate::desk::Desk;
use crate::domain::ticket::{Action, Level};

pub struct Entry {
    pub at: String,
    pub class: &'static str,
    pub who: String,
    pub what: String,
    pub body: Option<String>,
    /// Files sent with the message.
    pub files: Vec<AttachmentLink>,
}

#[derive(Clone)]
pub struct AttachmentLink {
    pub id: String,
    pub name: String,
    pub size: String,
    pub content_type: String,
    /// Sent with an internal note or a document of the desk: the requester never gets it.
    pub internal: bool,
}

impl From<&crate::db::mail::AttachmentRow> for AttachmentLink {
    fn from(a: &crate::db::mail::AttachmentRow) -> Self {
        AttachmentLink {
            id: a.id.clone(),
            name: a.filename.clone(),
            size: super::file_size(a.size_bytes),
            content_type: a.content_type.clone(),
            internal: a.internal,
        }
    }
}

pub struct ActionForm {
    pub code: &'static str,
    pub label: &'static str,
    /// Which fields the form asks for.
    pub needs: &'static str,
}

#[derive(Template)]
#[template(path = "ticket.html")]
struct TicketPage {
    f: Frame,
    t: TicketView,
    status: &'static str,
    kind: &'static str,
    /// A problem's resolve form offers to resolve its linked incidents too.
    is_problem: bool,
    channel: &'static str,
    classification: &'static str,
    impact: &'static str,
    urgency: &'static str,
    created: String,
    updated: String,
    first_due: String,
    resolution_due: String,
    first_state: &'static str,
    resolution_state: &'static str,
    badge: SlaBadge,
    timeline: Vec<Entry>,
    attachments: Vec<AttachmentLink>,
    /// The largest file the reply and note forms take, in words.
    max_file: String,
    actions: Vec<ActionForm>,
    assignable: Vec<(String, String)>,
    units: Vec<(String, String)>,
    levels: Vec<(&'static str, &'static str)>,
    may_write: bool,
    /// The canned replies the viewer may use, filled in for this ticket.
    canned: Vec<CannedChoice>,
    may_make_article: bool,
    /// Supervisors and admins: the requester's personal data box (export, anonymise).
    may_handle_personal_data: bool,
    incident_clocks: Vec<IncidentClock>,
    /// Who follows the ticket, whether the viewer does, and whether it may be merged.
    followers: Vec<FollowerLine>,
    following: bool,
    /// The viewer's username (the follow button).
    me: String,
    may_merge: bool,
    merged_into: Option<String>,
    merged_from: Vec<String>,
    /// A problem's incidents, an incident's problems: (number, title, status in words).
    linked_incidents: Vec<(String, String, &'static str)>,
    linked_problems: Vec<(String, String, &'static str)>,
    /// The WhatsApp window of the requester's number, in words.
    chat_facts: Vec<String>,
}

/// A follower as the page lists it: the username or address that names it (removal's key).
struct FollowerLine {
    key: String,
    name: Option<String>,
    /// The requester of a merged ticket stays: removing it is not offered.
    removable: bool,
}

/// A canned reply in the reply form's picker: the text is already filled in for the ticket.
struct CannedChoice {
    id: String,
    title: String,
    text: String,
    action: Option<&'static str>,
}

/// One notice clock as the ticket page shows it.
pub struct IncidentClock {
    pub label: &'static str,
    pub due: String,
    pub state: &'static str,
    pub class: &'static str,
    pub met: Option<String>,
}

fn needs(action: Action) -> &'static str {
    match action {
        Action::Assign => "user",
        Action::Resolve => "resolution",
        Action::Cancel | Action::Escalate => "reason",
        Action::Pend | Action::Reopen => "optional_reason",
        Action::Return => "note",
        Action::Transfer => "unit",
        Action::Priority => "priority",
        Action::Start | Action::Resume | Action::Close => "",
    }
}

pub async fn show(
    desk: web::Data<Desk>,
    req: HttpRequest,
    staff: Staff,
    number: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let l = staff.lang;
    let d = desk.get_ref().clone();
    let actor = staff.actor.clone();
    let number = number.into_inner();
    let now = desk.now();
    let (t, events, files, assignable, units, canned, people, sent) = desk
        .read(move |conn| {
            let t = tickets::detail(&d, conn, &actor, &number)?;
            let events = tickets::timeline(&d, conn, &actor, &number)?;
            let ticket = tickets::visible_ticket(conn, &actor, &number)?;
            let files = mail_db::attachments_of(conn, &ticket.row.id)?;
            let assignable = if t.allowed_actions.contains(&Action::Assign) {
                tickets::assignable_staff(conn, &ticket)?
            } else {
                Vec::new()
            };
            let units = if t.allowed_actions.contains(&Action::Transfer) {
                crate::desk::catalog::intake_units(conn)?.into_iter().map(|u| (u.code, u.name)).collect()
            } else {
                Vec::new()
            };
            let canned = if actor.role != crate::domain::role::Role::Requester {
                crate::desk::canned::filled_for(&d, conn, &actor, &ticket)?
            } else {
                Vec::new()
            };
            let people = (
                crate::desk::links::linked(conn, &actor, &number)?,
                crate::desk::followers::list(conn, &actor, &number)?,
                crate::desk::followers::is_following(conn, &ticket, &actor)?,
                tickets::merge::may_merge(&actor, &ticket),
            );
            // What the desk sent and the far side said of it (staff only).
            let sent = if actor.role.is_staff() {
                Some(crate::desk::deliveries::of_ticket(conn, &actor, &number, now)?)
            } else {
                None
            };
            Ok((t, events, files, assignable, units, canned, people, sent))
        })
        .await
        .or_page(l)?;
    let zone = desk.zone;
    // Messages and events in one timeline; a message's own "message.added" event is not
    // repeated.
    let mut timeline: Vec<(chrono::DateTime<chrono::Utc>, Entry)> = Vec::new();
    for m in t.messages.iter().flatten() {
        let what = if m.internal { l.t("ticket.internal") } else { l.t("ticket.public") };
        timeline.push((
            m.created_at,
            Entry {
                at: when(zone, m.created_at),
                class: if m.internal { "note" } else { "msg" },
                who: m.author.clone(),
                what: format!("{what} · {}", m.channel),
                body: Some(m.body.clone()).filter(|b| !b.is_empty()),
                files: files
                    .iter()
                    .filter(|f| f.message_id.as_deref() == Some(m.id.as_str()))
                    .map(Into::into)
                    .collect(),
            },
        ));
    }
    for e in events.iter().filter(|e| e.kind != "message.added") {
        let (what, body) = super::ticket_timeline::describe(l, &e.kind, &e.data);
        timeline.push((
            e.at,
            Entry {
                at: when(zone, e.at),
                class: "event",
                who: e.actor.clone().unwrap_or_else(|| l.t("ticket.system").to_string()),
                what,
                body,
                files: Vec::new(),
            },
        ));
    }
    let (chat_facts, chat_lines) = sent.map(|d| super::ticket_timeline::chat_facts(l, zone, &d)).unwrap_or_default();
    for (at, channel, what) in chat_lines {
        let entry =
            Entry { at: when(zone, at), class: "event", who: channel.to_string(), what, body: None, files: Vec::new() };
        timeline.push((at, entry));
    }
    timeline.sort_by_key(|(at, _)| *at);
    let actions = t
        .allowed_actions
        .iter()
        .map(|a| ActionForm { code: a.as_str(), label: l.action(*a), needs: needs(*a) })
        .collect();
    let may_write = staff.is(&[
        crate::domain::role::Role::AgentT1,
        crate::domain::role::Role::AgentT2,
        crate::domain::role::Role::Supervisor,
        crate::domain::role::Role::Admin,
    ]) && !t.allowed_actions.is_empty();
    let incident_clocks = t
        .incident
        .iter()
        .flat_map(|i| {
            [(l.t("incident.notice_clock"), &i.incident_notice), (l.t("incident.breach_clock"), &i.breach_notice)]
        })
        .filter_map(|(label, clock)| {
            clock.as_ref().map(|c| IncidentClock {
                label,
                due: when(zone, c.due),
                state: l.t(&format!("incident.{}", c.state)),
                class: match c.state {
                    "met" => "ok",
                    "breached" => "late",
                    _ => "warn",
                },
                met: c.met_at.map(|at| when(zone, at)),
            })
        })
        .collect();
    let may_make_article = may_write
        && matches!(t.status, crate::domain::ticket::Status::Resolved | crate::domain::ticket::Status::Closed);
    let (linked, followers, following, may_merge) = people;
    let words = |items: Vec<crate::desk::links::LinkedTicket>| -> Vec<(String, String, &'static str)> {
        items.into_iter().map(|i| (i.number, i.title, l.status(i.status))).collect()
    };
    let (linked_incidents, linked_problems) = (words(linked.incidents), words(linked.problems));
    let (merged_into, merged_from) =
        t.merge.as_ref().map(|m| (m.merged_into.clone(), m.merged_from.clone())).unwrap_or_default();
    let page = TicketPage {
        linked_incidents,
        linked_problems,
        chat_facts,
        followers: followers
            .into_iter()
            .map(|p| FollowerLine {
                key: p.username.clone().or_else(|| p.email.clone()).unwrap_or_default(),
                removable: p.kind != "requester",
                name: p.name,
            })
            .collect(),
        me: staff.actor.username.clone(),
        following,
        may_merge,
        merged_into,
        merged_from,
        f: Frame::staff(&req, &staff, format!("{} · {}", t.number, t.title), "queue"),
        status: l.status(t.status),
        kind: l.kind(t.kind),
        is_problem: t.kind == crate::domain::ticket::Kind::Problem,
        channel: l.channel(t.channel),
        classification: l.classification(t.classification),
        impact: l.level(t.impact),
        urgency: l.level(t.urgency),
        created: when(zone, t.created_at),
        updated: when(zone, t.updated_at),
        first_due: when(zone, t.sla.first_response_due),
        resolution_due: when(zone, t.sla.resolution_due),
        first_state: l.sla_state(t.sla.state.first_response),
        resolution_state: l.sla_state(t.sla.state.resolution),
        badge: sla_badge(&desk, l, &t),
        timeline: timeline.into_iter().map(|(_, e)| e).collect(),
        attachments: files.iter().map(AttachmentLink::from).collect(),
        max_file: super::file_size(desk.attachment_max_bytes as i64),
        actions,
        assignable,
        units,
        levels: Level::ALL.iter().map(|v| (v.as_str(), l.level(*v))).collect(),
        may_write,
        canned: canned
            .into_iter()
            .map(|(v, text)| CannedChoice {
                action: match v.action.as_deref() {
                    Some("pend") => Some(l.t("bulk.pend")),
                    Some("resolve") => Some(l.t("bulk.resolve")),
                    _ => None,
                },
                id: v.id,
                title: v.title,
                text,
            })
            .collect(),
        may_make_article,
        may_handle_personal_data: staff.is(&[crate::domain::role::Role::Supervisor, crate::domain::role::Role::Admin]),
        incident_clocks,
        t,
    };
    ok(&page)
}

/// An action's fields as the console's forms send them (the ticket page's, and the queue's
/// bulk form).
#[derive(Default, Deserialize)]
pub struct ActionFormData {
    pub(super) csrf: String,
    #[serde(default)]
    pub(super) username: String,
    #[serde(default)]
    pub(super) reason: String,
    #[serde(default)]
    pub(super) resolution: String,
    #[serde(default)]
    pub(super) note: String,
    #[serde(default)]
    pub(super) unit: String,
    #[serde(default)]
    pub(super) impact: String,
    #[serde(default)]
    pub(super) urgency: String,
    /// The checkbox on a problem: resolve its linked incidents too.
    #[serde(default)]
    pub(super) resolve_linked: Option<String>,
    /// Minutes spent on the action (optional).
    #[serde(default)]
    pub(super) minutes: String,
}

pub(super) fn request_for(l: Lang, action: Action, f: ActionFormData) -> Result<ActionRequest, PageError> {
    let optional = |s: String| Some(s).filter(|s| !s.trim().is_empty());
    let level = |field: &str, v: &str| {
        Level::parse(v).ok_or_else(|| PageError::invalid(l, format!("{field}: must be high, medium or low")))
    };
    Ok(match action {
        Action::Assign => ActionRequest::Assign { username: f.username },
        Action::Start => ActionRequest::Start,
        Action::Pend => ActionRequest::Pend { reason: optional(f.reason) },
        Action::Resume => ActionRequest::Resume,
        Action::Resolve => {
            ActionRequest::Resolve { resolution: f.resolution, resolve_linked: f.resolve_linked.is_some() }
        }
        Action::Close => ActionRequest::Close,
        Action::Reopen => ActionRequest::Reopen { reason: optional(f.reason) },
        Action::Cancel => ActionRequest::Cancel { reason: f.reason },
        Action::Escalate => ActionRequest::Escalate { reason: f.reason },
        Action::Return => ActionRequest::Return { note: f.note },
        Action::Transfer => ActionRequest::Transfer { unit: f.unit, reason: optional(f.reason) },
        Action::Priority => {
            ActionRequest::Priority { impact: level("impact", &f.impact)?, urgency: level("urgency", &f.urgency)? }
        }
    })
}

pub async fn act(
    desk: web::Data<Desk>,
    req: HttpRequest,
    staff: Staff,
    path: web::Path<(String, String)>,
    form: web::Form<ActionFormData>,
) -> Result<HttpResponse, PageError> {
    staff.check(&req, &form.csrf)?;
    let l = staff.lang;
    let (number, action) = path.into_inner();
    let action = Action::parse(&action).ok_or_else(|| PageError::not_found(l))?;
    let form = form.into_inner();
    let minutes = crate::web::upload::minutes(Some(&form.minutes))
        .map_err(|e| PageError::invalid(l, format!("{}: {}", e.field, e.detail)))?;
    let request = request_for(l, action, form)?;
    let d = desk.get_ref().clone();
    let actor = staff.actor.clone();
    let n = number.clone();
    desk.writer.write(move |tx| tickets::act_with_time(tx, &d, &actor, &n, request, minutes)).await.or_page(l)?;
    // After a transfer or an escalation the ticket may leave the actor's scope: back to the
    // queue rather than to a page that would now say "not found".
    let d = desk.get_ref().clone();
    let actor = staff.actor.clone();
    let n = number.clone();
    let still_visible = desk.read(move |conn| Ok(tickets::detail(&d, conn, &actor, &n).is_ok())).await.or_page(l)?;
    Ok(see_other(if still_visible {
        format!("/konsol/tiket/{}?ok=1", super::urlencode(&number))
    } else {
        "/konsol?ok=1".to_string()
    }))
}

#[derive(Deserialize)]
pub struct FlagForm {
    csrf: String,
    #[serde(default)]
    security_incident: Option<String>,
    #[serde(default)]
    personal_data_breach: Option<String>,
    #[serde(default)]
    reason: String,
}

/// Flags the ticket as a security incident or personal-data breach (SPEC 6).
pub async fn flag(
    desk: web::Data<Desk>,
    req: HttpRequest,
    staff: Staff,
    number: web::Path<String>,
    form: web::Form<FlagForm>,
) -> Result<HttpResponse, PageError> {
    staff.check(&req, &form.csrf)?;
    let f = form.into_inner();
    let input = crate::desk::incidents::FlagInput {
        security_incident: f.security_incident.is_some(),
        personal_data_breach: f.personal_data_breach.is_some(),
        reason: Some(f.reason).filter(|r| !r.trim().is_empty()),
    };
    let (actor, number) = (staff.actor.clone(), number.into_inner());
    let n = number.clone();
    desk.writer.write(move |tx| crate::desk::incidents::flag(tx, &actor, &n, input)).await.or_page(staff.lang)?;
    Ok(see_other(format!("/konsol/tiket/{}?ok=1#insiden", super::urlencode(&number))))
}

/// Writes the incident notice (PDF and Markdown, kept as attachments of the ticket).
pub async fn incident_notice(
    desk: web::Data<Desk>,
    req: HttpRequest,
    staff: Staff,
    number: web::Path<String>,
    form: web::Form<super::session::CsrfForm>,
) -> Result<HttpResponse, PageError> {
    staff.check(&req, &form.csrf)?;
    let (actor, number) = (staff.actor.clone(), number.into_inner());
    let (d, n) = (desk.get_ref().clone(), number.clone());
    desk.writer.write(move |tx| crate::desk::incident_notice::produce(tx, &d, &actor, &n)).await.or_page(staff.lang)?;
    Ok(see_other(format!("/konsol/tiket/{}?ok=1#lampiran", super::urlencode(&number))))
}

#[derive(Deserialize)]
pub struct NotifiedForm {
    csrf: String,
    note: String,
}

/// Records that the data subjects and the authority were told of a personal-data breach.
pub async fn breach_notified(
    desk: web::Data<Desk>,
    req: HttpRequest,
    staff: Staff,
    number: web::Path<String>,
    form: web::Form<NotifiedForm>,
) -> Result<HttpResponse, PageError> {
    staff.check(&req, &form.csrf)?;
    let f = form.into_inner();
    let (actor, number) = (staff.actor.clone(), number.into_inner());
    let n = number.clone();
    desk.writer
        .write(move |tx| crate::desk::incidents::record_breach_notified(tx, &actor, &n, &f.note))
        .await
        .or_page(staff.lang)?;
    Ok(see_other(format!("/konsol/tiket/{}?ok=1#insiden", super::urlencode(&number))))
}

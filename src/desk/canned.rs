//! Canned replies (balasan siap pakai, issue 15): per unit (managed by its agents and head) and
//! city-wide (managed by tier 2 and supervisors), picked on a ticket, filled in with its facts
//! and sent as a reply, optionally with an action (pend or resolve) in the same transaction.

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::catalog::check_text;
use super::tickets::{self, ActionRequest, Author, NewMessage, MAX_BODY, MAX_TITLE};
use super::view::{utc, Ticket};
use super::{new_id, Desk, DeskError, DeskResult, Tx};
use crate::db::canned::{self as db, CannedRow};
use crate::db::DbConn;
use crate::domain::canned::{fill, unknown_placeholder, Facts, PLACEHOLDERS};
use crate::domain::role::{Actor, Role};

/// What a canned reply applies with the reply.
pub const ACTIONS: [&str; 2] = ["pend", "resolve"];

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewCanned {
    pub title: String,
    pub body: String,
    /// A unit's code; absent: city-wide.
    #[serde(default)]
    pub unit: Option<String>,
    #[serde(default)]
    pub action: Option<String>,
}

/// A change: every field optional; `action: null` removes the action.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CannedPatch {
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub body: Option<String>,
    #[serde(default, with = "double_option")]
    pub action: Option<Option<String>>,
}

/// Tells "absent" from "null" for `action`.
mod double_option {
    use serde::{Deserialize, Deserializer};
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
        Option::<String>::deserialize(d).map(Some)
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct CannedView {
    pub id: String,
    pub title: String,
    pub body: String,
    /// The unit's code; `null`: city-wide.
    pub unit: Option<String>,
    pub action: Option<String>,
    pub uses: i64,
    /// Whether the viewer may change or delete it.
    pub editable: bool,
    pub updated_at: String,
    /// Files sent with every message that uses it.
    pub files: Vec<super::canned_files::CannedFile>,
}

fn check_fields(title: &str, body: &str, action: Option<&str>) -> DeskResult<()> {
    check_text("title", title, MAX_TITLE)?;
    check_text("body", body, MAX_BODY)?;
    if let Some(unknown) = unknown_placeholder(body) {
        return Err(DeskError::invalid(
            "body",
            format!(
                "unknown placeholder {unknown}; known: {}",
                PLACEHOLDERS.map(|p| format!("{{{{{p}}}}}")).join(", ")
            ),
        ));
    }
    if let Some(action) = action.filter(|a| !ACTIONS.contains(a)) {
        return Err(DeskError::invalid("action", format!("{action:?} is not pend or resolve")));
    }
    Ok(())
}

/// The units whose replies `actor` reads: `None` for every unit.
fn readable_units(actor: &Actor) -> DeskResult<Option<Vec<String>>> {
    match actor.role {
        Role::AgentT1 | Role::UnitHead => Ok(Some(actor.unit_id.iter().cloned().collect())),
        Role::AgentT2 | Role::Supervisor | Role::Admin => Ok(None),
        Role::Requester => Err(DeskError::Forbidden("canned replies are for the desk's staff".into())),
    }
}

/// Whether `actor` manages replies of `unit_id` (`None`: city-wide).
fn may_manage(actor: &Actor, unit_id: Option<&str>) -> bool {
    match (actor.role, unit_id) {
        (Role::Supervisor | Role::Admin, _) => true,
        (Role::AgentT2, None) => true,
        (Role::AgentT1 | Role::UnitHead, Some(unit)) => actor.unit_id.as_deref() == Some(unit),
        _ => false,
    }
}

fn may_read(actor: &Actor, row: &CannedRow) -> bool {
    match readable_units(actor) {
        Ok(None) => true,
        Ok(Some(units)) => row.unit_id.as_ref().is_none_or(|u| units.contains(u)),
        Err(_) => false,
    }
}

pub(super) fn view_of(desk: &Desk, conn: &mut DbConn, actor: &Actor, row: CannedRow) -> DeskResult<CannedView> {
    view(desk, conn, actor, row)
}

fn view(desk: &Desk, conn: &mut DbConn, actor: &Actor, row: CannedRow) -> DeskResult<CannedView> {
    let unit = match &row.unit_id {
        Some(id) => desk.names.unit_by_id(conn, id)?.map(|u| u.code),
        None => None,
    };
    let files = super::canned_files::files_of(conn, &row.id)?;
    Ok(CannedView {
        editable: may_manage(actor, row.unit_id.as_deref()),
        files,
        id: row.id,
        title: row.title,
        body: row.body,
        unit,
        action: row.action,
        uses: row.uses,
        updated_at: utc(row.updated_at).to_rfc3339(),
    })
}

/// The replies `actor` may use: city-wide ones and their unit's (every unit's for tier 2,
/// supervisors and admins), by title.
pub fn list(desk: &Desk, conn: &mut DbConn, actor: &Actor) -> DeskResult<Vec<CannedView>> {
    let units = readable_units(actor)?;
    db::list(conn, units.as_deref())?.into_iter().map(|row| view(desk, conn, actor, row)).collect()
}

/// One reply `actor` may read; anything else is "not found".
fn readable(conn: &mut DbConn, actor: &Actor, id: &str) -> DeskResult<CannedRow> {
    readable_units(actor)?;
    db::by_id(conn, id)?.filter(|row| may_read(actor, row)).ok_or_else(|| DeskError::not_found("canned reply", id))
}

pub(super) fn manageable(conn: &mut DbConn, actor: &Actor, id: &str) -> DeskResult<CannedRow> {
    let row = readable(conn, actor, id)?;
    if !may_manage(actor, row.unit_id.as_deref()) {
        return Err(DeskError::Forbidden(match row.unit_id {
            None => "city-wide canned replies are managed by tier 2 and supervisors".into(),
            Some(_) => "a unit's canned replies are managed by its agents and head".into(),
        }));
    }
    Ok(row)
}

pub fn create(tx: &mut Tx, desk: &Desk, actor: &Actor, input: NewCanned) -> DeskResult<CannedView> {
    readable_units(actor)?;
    let action = input.action.filter(|a| !a.trim().is_empty());
    check_fields(&input.title, &input.body, action.as_deref())?;
    let unit_id = match input.unit.as_deref().map(str::trim).filter(|u| !u.is_empty()) {
        Some(code) => Some(
            desk.names
                .unit_by_code(tx.conn, code)?
                .ok_or_else(|| DeskError::invalid("unit", format!("no unit with code {code}")))?
                .id,
        ),
        None => None,
    };
    if !may_manage(actor, unit_id.as_deref()) {
        return Err(DeskError::Forbidden(match unit_id {
            None => "city-wide canned replies are made by tier 2 and supervisors; name your unit".into(),
            Some(_) => "a unit's canned replies are made by its own agents and head".into(),
        }));
    }
    let now = tx.now.naive_utc();
    let row = CannedRow {
        id: new_id(),
        unit_id,
        title: input.title.trim().to_string(),
        body: input.body.trim().to_string(),
        action,
        uses: 0,
        created_by: Some(actor.user_id.clone()),
        created_at: now,
        updated_at: now,
    };
    db::insert(tx.conn, &row)?;
    tx.record(
        None,
        Some(&actor.user_id),
        "canned_reply.created",
        json!({ "canned_reply_id": row.id, "title": row.title, "unit_id": row.unit_id, "action": row.action }),
    )?;
    view(desk, tx.conn, actor, row)
}

pub fn update(tx: &mut Tx, desk: &Desk, actor: &Actor, id: &str, patch: CannedPatch) -> DeskResult<CannedView> {
    let mut row = manageable(tx.conn, actor, id)?;
    let mut fields = Vec::new();
    if let Some(title) = patch.title {
        row.title = title.trim().to_string();
        fields.push("title");
    }
    if let Some(body) = patch.body {
        row.body = body.trim().to_string();
        fields.push("body");
    }
    if let Some(action) = patch.action {
        row.action = action.filter(|a| !a.trim().is_empty());
        fields.push("action");
    }
    check_fields(&row.title, &row.body, row.action.as_deref())?;
    if row.action.as_deref() == Some("resolve") && !db::files_of(tx.conn, &row.id)?.is_empty() {
        return Err(DeskError::invalid(
            "action",
            "a canned reply with files cannot resolve (the resolution is sent without files); remove its files first",
        ));
    }
    row.updated_at = tx.now.naive_utc();
    db::save(tx.conn, &row)?;
    tx.record(
        None,
        Some(&actor.user_id),
        "canned_reply.updated",
        json!({ "canned_reply_id": row.id, "fields": fields }),
    )?;
    view(desk, tx.conn, actor, row)
}

pub fn delete(tx: &mut Tx, actor: &Actor, id: &str) -> DeskResult<()> {
    let row = manageable(tx.conn, actor, id)?;
    db::delete_files_of(tx.conn, &row.id)?;
    db::delete(tx.conn, &row.id)?;
    tx.record(
        None,
        Some(&actor.user_id),
        "canned_reply.deleted",
        json!({ "canned_reply_id": row.id, "title": row.title, "unit_id": row.unit_id }),
    )
}

/// The facts the placeholders stand for on `ticket`, replied to by `actor`.
pub fn facts(desk: &Desk, conn: &mut DbConn, actor: &Actor, ticket: &Ticket) -> DeskResult<Facts> {
    let requester = crate::db::catalog::requester_by_id(conn, &ticket.row.requester_id)?;
    let service = match &ticket.row.service_id {
        Some(id) => crate::db::catalog::service_by_id(conn, id)?.map(|s| s.name),
        None => None,
    };
    let unit = desk.names.unit_by_id(conn, &ticket.row.unit_id)?.map(|u| u.name);
    Ok(Facts {
        nomor: ticket.row.number.clone(),
        nama_pelapor: requester.map(|r| r.name).unwrap_or_default(),
        layanan: service.unwrap_or_default(),
        unit: unit.unwrap_or_default(),
        petugas: actor.name.clone(),
    })
}

/// A reply `actor` may use, filled in for `ticket`: the console shows it before sending.
pub fn filled_for(
    desk: &Desk,
    conn: &mut DbConn,
    actor: &Actor,
    ticket: &Ticket,
) -> DeskResult<Vec<(CannedView, String)>> {
    let facts = facts(desk, conn, actor, ticket)?;
    Ok(list(desk, conn, actor)?
        .into_iter()
        .map(|v| {
            let text = fill(&v.body, &facts);
            (v, text)
        })
        .collect())
}

/// Adds a message to `number`, from a canned reply when `canned_reply` names one: without a
/// body the filled-in text is sent, with one the agent's edited text is; the reply's action
/// follows in the same transaction (pend after the message; resolve *is* the message, as the
/// resolution), and its use is counted. Without `canned_reply` this is a plain message.
pub fn add_message(
    tx: &mut Tx,
    desk: &Desk,
    actor: &Actor,
    number: &str,
    mut input: NewMessage,
    canned_reply: Option<&str>,
) -> DeskResult<crate::desk::view::MessageView> {
    let ticket = tickets::visible_ticket_for_update(tx.conn, actor, number)?;
    let Some(id) = canned_reply.map(str::trim).filter(|id| !id.is_empty()) else {
        return tickets::add_message(tx, desk, Author::User(actor), ticket, input);
    };
    let row = readable(tx.conn, actor, id).map_err(|e| match e {
        DeskError::NotFound { .. } => DeskError::invalid("canned_reply", format!("no canned reply {id} for you")),
        other => other,
    })?;
    if input.body.trim().is_empty() {
        input.body = fill(&row.body, &facts(desk, tx.conn, actor, &ticket)?);
    }
    input.files.extend(super::canned_files::as_uploads(tx.conn, &row.id)?);
    db::count_use(tx.conn, &row.id)?;
    match row.action.as_deref() {
        // Resolving posts the resolution as the public reply and sends it with the rating
        // request: the text goes once, in that message. An internal note cannot resolve: the
        // resolution always reaches the requester.
        Some("resolve") => {
            if input.internal {
                return Err(DeskError::invalid(
                    "internal",
                    "this canned reply resolves the ticket, and a resolution is sent to the requester; send it as a reply",
                ));
            }
            if !input.files.is_empty() {
                return Err(DeskError::invalid(
                    "files",
                    "this canned reply resolves the ticket; send the files in a reply first, then resolve",
                ));
            }
            let minutes = input.minutes;
            let resolve = ActionRequest::Resolve { resolution: input.body, resolve_linked: false };
            let resolved = tickets::act_with_time(tx, desk, actor, number, resolve, minutes)?;
            let message = crate::db::tickets::messages_for(tx.conn, &resolved.row.id, false)?
                .into_iter()
                .max_by(|a, b| a.created_at.cmp(&b.created_at).then_with(|| a.id.cmp(&b.id)))
                .ok_or_else(|| DeskError::Internal("a resolution without its message".into()))?;
            crate::desk::view::message_view(desk, tx.conn, message)
        }
        Some("pend") => {
            let message = tickets::add_message(tx, desk, Author::User(actor), ticket, input)?;
            tickets::act(tx, desk, actor, number, ActionRequest::Pend { reason: None })?;
            Ok(message)
        }
        _ => tickets::add_message(tx, desk, Author::User(actor), ticket, input),
    }
}

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::Deserialize;

use crate::desk::queue::{self, QueueQuery};
use crate::desk::tickets::{self, ActionRequest, NewMessage, NewTicket};
use crate::desk::{view, Desk};
use crate::domain::ticket::{Action, Level};
use crate::web::errors::{ApiError, ApiResult};
use crate::web::extract::{parse_json, ApiJson, Authenticated, RawBody};
use crate::web::upload::{self, Fields, JsonOrForm};

#[tracing::instrument(skip_all, fields(user = %user.actor.username))]
pub async fn open(desk: web::Data<Desk>, user: Authenticated, body: ApiJson<NewTicket>) -> ApiResult<HttpResponse> {
    let actor = user.actor;
    let d = desk.get_ref().clone();
    let view = desk
        .writer
        .write_repeatable(move |tx| {
            let opened = tickets::open_ticket(tx, &d, Some(&actor), body.0.clone())?;
            let view = view::ticket_view_with(&d, tx.conn, &opened.ticket, Some(&actor), Some(opened.requester))?;
            Ok((view.number.clone(), view::as_seen_by(&actor, view)))
        })
        .await?;
    crate::web::metrics::TICKETS_OPENED.inc();
    let (number, view) = view;
    Ok(HttpResponse::Created().insert_header(("Location", format!("/api/v1/tickets/{number}"))).json(view))
}

pub async fn list(
    desk: web::Data<Desk>,
    user: Authenticated,
    query: web::Query<QueueQuery>,
) -> ApiResult<HttpResponse> {
    let d = desk.get_ref().clone();
    let page = desk
        .read(move |conn| {
            let page = queue::list(&d, conn, &user.actor, &query)?;
            let items: Vec<_> = page.items.into_iter().map(|t| view::as_seen_by(&user.actor, t)).collect();
            Ok(serde_json::json!({ "items": items, "next_cursor": page.next_cursor }))
        })
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

pub async fn detail(desk: web::Data<Desk>, user: Authenticated, number: web::Path<String>) -> ApiResult<HttpResponse> {
    let d = desk.get_ref().clone();
    let view = desk
        .read(move |conn| Ok(view::as_seen_by(&user.actor, tickets::detail(&d, conn, &user.actor, &number)?)))
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

pub async fn events(desk: web::Data<Desk>, user: Authenticated, number: web::Path<String>) -> ApiResult<HttpResponse> {
    let d = desk.get_ref().clone();
    let events = desk.read(move |conn| tickets::timeline(&d, conn, &user.actor, &number)).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "items": events })))
}

/// `POST /tickets/{number}/messages`: `body`, `internal`, and `canned_reply` (a canned
/// reply's id: without `body` its filled-in text is sent, with `body` the edited text is), as
/// JSON or as `multipart/form-data` with files in parts named `files`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MessageBody {
    #[serde(default)]
    body: Option<String>,
    #[serde(default)]
    internal: bool,
    #[serde(default)]
    canned_reply: Option<String>,
    /// Minutes spent, recorded with the message.
    #[serde(default)]
    minutes: Option<i32>,
}

impl MessageBody {
    /// The same fields from a multipart form; an unknown field is refused as in JSON.
    fn from_form(form: &Fields) -> Result<MessageBody, ApiError> {
        if let Some((name, _)) =
            form.text.iter().find(|(n, _)| !["body", "internal", "canned_reply", "minutes"].contains(&n.as_str()))
        {
            return Err(ApiError::bad_field(
                StatusCode::UNPROCESSABLE_ENTITY,
                name.clone(),
                format!("unknown field `{name}`, expected `body`, `internal`, `canned_reply`, `minutes` or `files`"),
            ));
        }
        Ok(MessageBody {
            body: form.get("body").map(str::to_string),
            internal: upload::flag(form.get("internal")),
            canned_reply: form.get("canned_reply").filter(|v| !v.trim().is_empty()).map(str::to_string),
            minutes: upload::minutes(form.get("minutes"))?,
        })
    }
}

#[tracing::instrument(skip_all, fields(user = %user.actor.username, number = %number))]
pub async fn add_message(
    desk: web::Data<Desk>,
    user: Authenticated,
    number: web::Path<String>,
    body: JsonOrForm<MessageBody>,
) -> ApiResult<HttpResponse> {
    let (MessageBody { body, internal, canned_reply, minutes }, files) = match body {
        JsonOrForm::Json(b) => (b, Vec::new()),
        JsonOrForm::Form(form) => (MessageBody::from_form(&form)?, form.files),
    };
    if body.is_none() && canned_reply.is_none() && files.is_empty() {
        return Err(ApiError::bad_field(StatusCode::BAD_REQUEST, "body", "missing field `body` (or `canned_reply`)"));
    }
    let input = NewMessage { body: body.unwrap_or_default(), internal, channel: None, files, minutes };
    let d = desk.get_ref().clone();
    let number = number.into_inner();
    let message = desk
        .writer
        .write(move |tx| crate::desk::canned::add_message(tx, &d, &user.actor, &number, input, canned_reply.as_deref()))
        .await?;
    Ok(HttpResponse::Created().json(message))
}

/// `GET /tickets/{number}/attachments`: every file of the ticket the caller may see.
pub async fn attachments(
    desk: web::Data<Desk>,
    user: Authenticated,
    number: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let items = desk.read(move |conn| crate::desk::attachments::list(conn, &user.actor, &number)).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "items": items })))
}

/// `GET /tickets/{number}/attachments/{id}`: the file itself, as a download.
pub async fn attachment(
    desk: web::Data<Desk>,
    user: Authenticated,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let (number, id) = path.into_inner();
    let (file, bytes) =
        desk.read(move |conn| crate::desk::attachments::download(conn, &user.actor, &number, &id)).await?;
    Ok(download(file, bytes))
}

/// A stored file as a download, never rendered inline (a hostile HTML or SVG file cannot run
/// in the desk's origin).
pub fn download(file: crate::db::mail::AttachmentRow, bytes: Vec<u8>) -> HttpResponse {
    use actix_web::http::header;
    let name = crate::desk::attachments::download_name(&file.filename);
    HttpResponse::Ok()
        .content_type(file.content_type)
        .insert_header((header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")))
        .insert_header((header::CONTENT_SECURITY_POLICY, "default-src 'none'; sandbox"))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .body(bytes)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AssignBody {
    username: String,
}
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NoBody {}
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OptionalReason {
    #[serde(default)]
    reason: Option<String>,
}
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ResolveBody {
    resolution: String,
    #[serde(default)]
    resolve_linked: bool,
}
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReasonBody {
    reason: String,
}
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReturnBody {
    note: String,
}
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TransferBody {
    unit: String,
    #[serde(default)]
    reason: Option<String>,
}
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PriorityBody {
    impact: Level,
    urgency: Level,
}

/// Every action's body may also carry `minutes` (time spent, issue 15): taken out here so that
/// each action's own fields are still checked strictly.
fn take_minutes(body: &[u8]) -> Result<(Option<i32>, Vec<u8>), ApiError> {
    let Ok(serde_json::Value::Object(mut fields)) = serde_json::from_slice::<serde_json::Value>(body) else {
        return Ok((None, body.to_vec()));
    };
    let Some(value) = fields.remove("minutes") else { return Ok((None, body.to_vec())) };
    let minutes = match value {
        serde_json::Value::Null => None,
        v => Some(v.as_i64().and_then(|m| i32::try_from(m).ok()).ok_or_else(|| {
            ApiError::bad_field(StatusCode::UNPROCESSABLE_ENTITY, "minutes", "a whole number of minutes")
        })?),
    };
    Ok((minutes, serde_json::Value::Object(fields).to_string().into_bytes()))
}

/// Parses the body that belongs to `action`.
pub fn parse_action(action: Action, body: &[u8]) -> Result<ActionRequest, ApiError> {
    Ok(match action {
        Action::Assign => ActionRequest::Assign { username: parse_json::<AssignBody>(body)?.username },
        Action::Start => parse_json::<NoBody>(body).map(|_| ActionRequest::Start)?,
        Action::Pend => ActionRequest::Pend { reason: parse_json::<OptionalReason>(body)?.reason },
        Action::Resume => parse_json::<NoBody>(body).map(|_| ActionRequest::Resume)?,
        Action::Resolve => {
            let b = parse_json::<ResolveBody>(body)?;
            ActionRequest::Resolve { resolution: b.resolution, resolve_linked: b.resolve_linked }
        }
        Action::Close => parse_json::<NoBody>(body).map(|_| ActionRequest::Close)?,
        Action::Reopen => ActionRequest::Reopen { reason: parse_json::<OptionalReason>(body)?.reason },
        Action::Cancel => ActionRequest::Cancel { reason: parse_json::<ReasonBody>(body)?.reason },
        Action::Escalate => ActionRequest::Escalate { reason: parse_json::<ReasonBody>(body)?.reason },
        Action::Return => ActionRequest::Return { note: parse_json::<ReturnBody>(body)?.note },
        Action::Transfer => {
            let b = parse_json::<TransferBody>(body)?;
            ActionRequest::Transfer { unit: b.unit, reason: b.reason }
        }
        Action::Priority => {
            let b = parse_json::<PriorityBody>(body)?;
            ActionRequest::Priority { impact: b.impact, urgency: b.urgency }
        }
    })
}

#[tracing::instrument(skip_all, fields(user = %user.actor.username, number = %path.0, action = %path.1))]
pub async fn act(
    desk: web::Data<Desk>,
    user: Authenticated,
    path: web::Path<(String, String)>,
    body: RawBody,
) -> ApiResult<HttpResponse> {
    let (number, action_name) = path.into_inner();
    let action = Action::parse(&action_name).ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "unknown_action",
            "Unknown action",
            format!("{action_name:?} is not an action; one of {}", Action::names().join(", ")),
        )
    })?;
    let (minutes, body) = take_minutes(&body.0)?;
    let request = parse_action(action, &body)?;
    let d = desk.get_ref().clone();
    let actor = user.actor;
    let view = desk
        .writer
        .write(move |tx| {
            let ticket = tickets::act_with_time(tx, &d, &actor, &number, request, minutes)?;
            Ok(view::as_seen_by(&actor, view::ticket_view(&d, tx.conn, &ticket, Some(&actor), true)?))
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// `GET /tickets/{number}/links`: a problem's incidents, an incident's problems, with statuses.
pub async fn links(desk: web::Data<Desk>, user: Authenticated, number: web::Path<String>) -> ApiResult<HttpResponse> {
    let linked = desk.read(move |conn| crate::desk::links::linked(conn, &user.actor, &number)).await?;
    Ok(HttpResponse::Ok().json(linked))
}

/// `DELETE /tickets/{number}/links/{incident}`: unlink an incident from a problem.
pub async fn unlink(
    desk: web::Data<Desk>,
    user: Authenticated,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let (number, incident) = path.into_inner();
    let links =
        desk.writer.write(move |tx| crate::desk::links::unlink_incident(tx, &user.actor, &number, &incident)).await?;
    Ok(HttpResponse::Ok().json(links))
}

/// `POST /tickets/{number}/links {"incident": "SD-2026-000041"}`: link an incident to a problem.
pub async fn link(
    desk: web::Data<Desk>,
    user: Authenticated,
    number: web::Path<String>,
    body: ApiJson<crate::desk::links::NewLink>,
) -> ApiResult<HttpResponse> {
    let (actor, number) = (user.actor, number.into_inner());
    let links = desk.writer.write(move |tx| crate::desk::links::link_incident(tx, &actor, &number, body.0)).await?;
    Ok(HttpResponse::Created().json(links))
}

/// `GET /tickets/{number}/deliveries`: what was sent about the ticket and what became of it.
pub async fn deliveries(
    desk: web::Data<Desk>,
    user: Authenticated,
    number: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let now = desk.now();
    let found = desk.read(move |conn| crate::desk::deliveries::of_ticket(conn, &user.actor, &number, now)).await?;
    Ok(HttpResponse::Ok().json(found))
}

//! Mailboxes (admin) and the inbound e-mail endpoint: a raw RFC 5322 message in the body.

use actix_web::{web, HttpResponse};
use serde::Deserialize;

use crate::desk::mail::{self, quarantine, NewMailbox};
use crate::desk::{Desk, DeskError};
use crate::domain::role::Role;
use crate::web::errors::ApiResult;
use crate::web::extract::{ApiJson, Authenticated, RawBody};

/// The largest body the inbound endpoint reads: above the quarantine limit, so an oversized
/// mail is still taken in whole (and quarantined) rather than refused at the door.
pub const INBOUND_BODY_LIMIT: usize = 64 * 1024 * 1024;

fn require_admin(user: &Authenticated) -> Result<(), DeskError> {
    if user.actor.role == Role::Admin {
        Ok(())
    } else {
        Err(DeskError::Forbidden("mailboxes and mail intake are for admins and their integration tokens".into()))
    }
}

pub async fn list_mailboxes(desk: web::Data<Desk>, user: Authenticated) -> ApiResult<HttpResponse> {
    require_admin(&user)?;
    let d = desk.clone();
    let items = desk.read(move |conn| mail::list_mailboxes(&d, conn)).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "items": items })))
}

pub async fn create_mailbox(
    desk: web::Data<Desk>,
    user: Authenticated,
    body: ApiJson<NewMailbox>,
) -> ApiResult<HttpResponse> {
    let (d, actor) = (desk.clone(), user.actor);
    let created = desk.writer.write(move |tx| mail::create_mailbox(tx, &d, Some(&actor), body.0)).await?;
    Ok(HttpResponse::Created().json(created))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InboundQuery {
    mailbox: String,
}

/// `POST /api/v1/channels/email/inbound?mailbox=dinkes` with the raw message as the body.
pub async fn inbound(
    desk: web::Data<Desk>,
    user: Authenticated,
    query: web::Query<InboundQuery>,
    body: RawBody,
) -> ApiResult<HttpResponse> {
    require_admin(&user)?;
    if body.0.is_empty() {
        return Err(DeskError::invalid("body", "the raw RFC 5322 message is required").into());
    }
    let result = mail::take_in(&desk, &query.into_inner().mailbox, body.0.to_vec()).await?;
    let status = if matches!(result.outcome.as_str(), "created" | "follow_up") {
        actix_web::http::StatusCode::CREATED
    } else {
        actix_web::http::StatusCode::OK
    };
    Ok(HttpResponse::build(status).json(result))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuarantineQuery {
    /// `true`: settled entries too (made a ticket or discarded).
    #[serde(default)]
    all: bool,
}

/// `GET /api/v1/mail/quarantine`: what waits for a person (admins and supervisors).
pub async fn quarantine_list(
    desk: web::Data<Desk>,
    user: Authenticated,
    query: web::Query<QuarantineQuery>,
) -> ApiResult<HttpResponse> {
    let (d, actor, open_only) = (desk.clone(), user.actor, !query.all);
    let items = desk.read(move |conn| quarantine::list(&d, conn, &actor, open_only)).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "items": items })))
}

pub async fn quarantine_entry(
    desk: web::Data<Desk>,
    user: Authenticated,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let (d, actor, id) = (desk.clone(), user.actor, id.into_inner());
    let entry = desk.read(move |conn| quarantine::entry(&d, conn, &actor, &id)).await?;
    Ok(HttpResponse::Ok().json(entry))
}

/// The message as it arrived, as plain text: never rendered (it may be hostile HTML), never
/// sniffed into anything else by the browser.
pub async fn quarantine_raw(
    desk: web::Data<Desk>,
    user: Authenticated,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let (actor, id) = (user.actor, id.into_inner());
    let raw = desk.read(move |conn| quarantine::raw(conn, &actor, &id)).await?;
    Ok(raw_as_text(&raw))
}

/// A raw message for reading: lossy UTF-8 text under headers that forbid any rendering.
pub fn raw_as_text(raw: &[u8]) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .insert_header(("Content-Security-Policy", "default-src 'none'; sandbox"))
        .insert_header(("Content-Disposition", "inline"))
        .body(String::from_utf8_lossy(raw).into_owned())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MakeTicket {
    unit: String,
}

/// `POST /api/v1/mail/quarantine/{id}/ticket` with `{"unit": "dinkes"}`.
pub async fn quarantine_make_ticket(
    desk: web::Data<Desk>,
    user: Authenticated,
    id: web::Path<String>,
    body: ApiJson<MakeTicket>,
) -> ApiResult<HttpResponse> {
    let (d, actor, id, unit) = (desk.clone(), user.actor, id.into_inner(), body.0.unit);
    let made = desk.writer.write(move |tx| quarantine::make_ticket(tx, &d, &actor, &id, &unit)).await?;
    Ok(HttpResponse::Created().json(made))
}

/// `POST /api/v1/mail/quarantine/{id}/discard`: the bytes go, the record and audit event stay.
pub async fn quarantine_discard(
    desk: web::Data<Desk>,
    user: Authenticated,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let (actor, id) = (user.actor, id.into_inner());
    desk.writer.write(move |tx| quarantine::discard(tx, &actor, &id)).await?;
    Ok(HttpResponse::NoContent().finish())
}

//! Mailboxes (admin) and the inbound e-mail endpoint: a raw RFC 5322 message in the body.

use actix_web::{web, HttpResponse};
use serde::Deserialize;

use crate::desk::mail::{self, NewMailbox};
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

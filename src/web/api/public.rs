//! The citizen's side: report without an account, follow with the number and tracking token.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use crate::desk::tickets::{self, NewPublicTicket};
use crate::desk::{view, Desk, DeskError};
use crate::web::errors::ApiResult;
use crate::web::extract::{client_address, ApiJson};

#[tracing::instrument(skip_all)]
pub async fn open(desk: web::Data<Desk>, req: HttpRequest, body: ApiJson<NewPublicTicket>) -> ApiResult<HttpResponse> {
    let client = client_address(&req);
    if let Some(wait) = desk.auth.public_intake.blocked_for(&desk, &client).await {
        return Err(DeskError::TooManyRequests {
            detail: "too many reports from this address; please wait or call the desk".into(),
            retry_after_secs: wait,
        }
        .into());
    }
    desk.auth.public_intake.hit(&desk, &client).await;
    let input: tickets::NewTicket = body.0.into();
    tickets::validate_new_ticket(&input)?;
    let d = desk.get_ref().clone();
    let (view, token, disruption) = desk
        .writer
        .write_repeatable(move |tx| {
            let opened = tickets::open_ticket(tx, &d, None, input.clone())?;
            Ok((view::public_view(tx.conn, &opened.ticket)?, opened.tracking_token, opened.disruption))
        })
        .await?;
    crate::web::metrics::TICKETS_OPENED.inc();
    let token = token.unwrap_or_default();
    Ok(HttpResponse::Created().json(json!({
        "number": view.number,
        "tracking_token": token,
        "tracking_url": format!("/lacak/{}?token={}", view.number, token),
        "status": view.status,
        "unit": view.unit,
        "unit_name": view.unit_name,
        "disruption": disruption,
    })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenQuery {
    token: String,
}

pub async fn track(
    desk: web::Data<Desk>,
    number: web::Path<String>,
    query: web::Query<TokenQuery>,
) -> ApiResult<HttpResponse> {
    let view = desk
        .read(move |conn| {
            let ticket = tickets::tracked_ticket(conn, &number, &query.token)?;
            view::public_view(conn, &ticket)
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublicReply {
    body: String,
}

pub async fn reply(
    desk: web::Data<Desk>,
    number: web::Path<String>,
    query: web::Query<TokenQuery>,
    body: ApiJson<PublicReply>,
) -> ApiResult<HttpResponse> {
    let d = desk.get_ref().clone();
    let (number, token) = (number.into_inner(), query.into_inner().token);
    let message =
        desk.writer.write(move |tx| crate::desk::tracking::reply(tx, &d, &number, &token, body.0.body)).await?;
    Ok(HttpResponse::Created().json(json!({ "body": message.body, "created_at": message.created_at })))
}

/// `GET /public/tickets/{number}/attachments/{id}?token=`: a public file of the ticket.
pub async fn attachment(
    desk: web::Data<Desk>,
    path: web::Path<(String, String)>,
    query: web::Query<TokenQuery>,
) -> ApiResult<HttpResponse> {
    let (number, id) = path.into_inner();
    let (file, bytes) =
        desk.read(move |conn| crate::desk::attachments::public_download(conn, &number, &query.token, &id)).await?;
    Ok(super::tickets::download(file, bytes))
}

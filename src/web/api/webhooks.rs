//! Webhook subscriptions over the API (admins and their integration tokens): create (the
//! secret shown once), list, switch on or off, delete, read the delivery log, send a ping.

use actix_web::{web, HttpResponse};
use serde::Deserialize;

use crate::desk::webhooks::{self, NewWebhook};
use crate::desk::Desk;
use crate::web::errors::ApiResult;
use crate::web::extract::{ApiJson, Authenticated};

/// Changes take effect in this process at once (other processes reread within seconds).
async fn reload(desk: &Desk) -> ApiResult<()> {
    Ok(desk.reload_webhooks_async().await?)
}

pub async fn list(desk: web::Data<Desk>, user: Authenticated) -> ApiResult<HttpResponse> {
    let d = desk.get_ref().clone();
    let items = desk.read(move |conn| webhooks::list(&d, conn, &user.actor)).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "items": items })))
}

pub async fn create(desk: web::Data<Desk>, user: Authenticated, body: ApiJson<NewWebhook>) -> ApiResult<HttpResponse> {
    let (d, actor) = (desk.get_ref().clone(), user.actor);
    let created = desk.writer.write(move |tx| webhooks::create(tx, &d, &actor, body.0)).await?;
    reload(&desk).await?;
    Ok(HttpResponse::Created().json(created))
}

pub async fn show(desk: web::Data<Desk>, user: Authenticated, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let (d, id) = (desk.get_ref().clone(), id.into_inner());
    let hook = desk.read(move |conn| webhooks::show(&d, conn, &user.actor, &id)).await?;
    Ok(HttpResponse::Ok().json(hook))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Patch {
    active: bool,
}

pub async fn update(
    desk: web::Data<Desk>,
    user: Authenticated,
    id: web::Path<String>,
    body: ApiJson<Patch>,
) -> ApiResult<HttpResponse> {
    let (d, actor, id, active) = (desk.get_ref().clone(), user.actor, id.into_inner(), body.0.active);
    let hook = desk.writer.write(move |tx| webhooks::set_active(tx, &d, &actor, &id, active)).await?;
    reload(&desk).await?;
    Ok(HttpResponse::Ok().json(hook))
}

pub async fn delete(desk: web::Data<Desk>, user: Authenticated, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let (actor, id) = (user.actor, id.into_inner());
    desk.writer.write(move |tx| webhooks::delete(tx, &actor, &id)).await?;
    reload(&desk).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeliveriesQuery {
    limit: Option<i64>,
}

pub async fn deliveries(
    desk: web::Data<Desk>,
    user: Authenticated,
    id: web::Path<String>,
    query: web::Query<DeliveriesQuery>,
) -> ApiResult<HttpResponse> {
    let (id, limit) = (id.into_inner(), query.limit.unwrap_or(50));
    let items = desk.read(move |conn| webhooks::deliveries(conn, &user.actor, &id, limit)).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "items": items })))
}

pub async fn test(desk: web::Data<Desk>, user: Authenticated, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let (actor, id) = (user.actor, id.into_inner());
    let queued = desk.writer.write(move |tx| webhooks::ping(tx, &actor, &id)).await?;
    Ok(HttpResponse::Accepted().json(queued))
}

//! `/api/v1/canned-replies`: the desk's canned replies (balasan siap pakai).

use actix_web::{web, HttpResponse};

use crate::desk::canned::{self, CannedPatch, NewCanned};
use crate::desk::Desk;
use crate::web::errors::ApiResult;
use crate::web::extract::{ApiJson, Authenticated};

pub async fn list(desk: web::Data<Desk>, user: Authenticated) -> ApiResult<HttpResponse> {
    let d = desk.get_ref().clone();
    let items = desk.read(move |conn| canned::list(&d, conn, &user.actor)).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "items": items })))
}

pub async fn create(desk: web::Data<Desk>, user: Authenticated, body: ApiJson<NewCanned>) -> ApiResult<HttpResponse> {
    let d = desk.get_ref().clone();
    let view = desk.writer.write(move |tx| canned::create(tx, &d, &user.actor, body.0)).await?;
    Ok(HttpResponse::Created().insert_header(("Location", format!("/api/v1/canned-replies/{}", view.id))).json(view))
}

pub async fn update(
    desk: web::Data<Desk>,
    user: Authenticated,
    id: web::Path<String>,
    body: ApiJson<CannedPatch>,
) -> ApiResult<HttpResponse> {
    let d = desk.get_ref().clone();
    let view = desk.writer.write(move |tx| canned::update(tx, &d, &user.actor, &id, body.0)).await?;
    Ok(HttpResponse::Ok().json(view))
}

pub async fn delete(desk: web::Data<Desk>, user: Authenticated, id: web::Path<String>) -> ApiResult<HttpResponse> {
    desk.writer.write(move |tx| canned::delete(tx, &user.actor, &id)).await?;
    Ok(HttpResponse::NoContent().finish())
}

//! `GET/POST /api/v1/saved-views`, `DELETE /api/v1/saved-views/{id}`: the caller's own named
//! queue filters (the console's query strings).

use actix_web::{web, HttpResponse};
use serde::Deserialize;

use crate::desk::saved_views;
use crate::desk::Desk;
use crate::web::errors::ApiResult;
use crate::web::extract::{ApiJson, Authenticated};

pub async fn list(desk: web::Data<Desk>, user: Authenticated) -> ApiResult<HttpResponse> {
    let items = desk.read(move |conn| saved_views::list(conn, &user.actor)).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "items": items })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewView {
    name: String,
    #[serde(default)]
    query: String,
}

/// 201 for a new view, 200 when a view of that name got the new filter.
pub async fn save(desk: web::Data<Desk>, user: Authenticated, body: ApiJson<NewView>) -> ApiResult<HttpResponse> {
    let (view, created) =
        desk.writer.write(move |tx| saved_views::save(tx, &user.actor, &body.0.name, &body.0.query)).await?;
    Ok(if created { HttpResponse::Created().json(view) } else { HttpResponse::Ok().json(view) })
}

pub async fn delete(desk: web::Data<Desk>, user: Authenticated, id: web::Path<String>) -> ApiResult<HttpResponse> {
    desk.writer.write(move |tx| saved_views::delete(tx, &user.actor, &id)).await?;
    Ok(HttpResponse::NoContent().finish())
}

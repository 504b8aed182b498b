//! A ticket's followers: `GET/POST /tickets/{number}/followers`,
//! `DELETE /tickets/{number}/followers/{email or username}`.

use actix_web::{web, HttpResponse};

use crate::desk::followers::{self, NewFollower};
use crate::desk::Desk;
use crate::web::errors::ApiResult;
use crate::web::extract::{ApiJson, Authenticated};

pub async fn list(desk: web::Data<Desk>, user: Authenticated, number: web::Path<String>) -> ApiResult<HttpResponse> {
    let items = desk.read(move |conn| followers::list(conn, &user.actor, &number)).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "items": items })))
}

/// 201 with the new follower, or 200 with the existing one when already following.
pub async fn add(
    desk: web::Data<Desk>,
    user: Authenticated,
    number: web::Path<String>,
    body: ApiJson<NewFollower>,
) -> ApiResult<HttpResponse> {
    let (view, created) = desk.writer.write(move |tx| followers::add(tx, &user.actor, &number, body.0)).await?;
    Ok(if created { HttpResponse::Created().json(view) } else { HttpResponse::Ok().json(view) })
}

pub async fn remove(
    desk: web::Data<Desk>,
    user: Authenticated,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let (number, key) = path.into_inner();
    desk.writer.write(move |tx| followers::remove(tx, &user.actor, &number, &key)).await?;
    Ok(HttpResponse::NoContent().finish())
}

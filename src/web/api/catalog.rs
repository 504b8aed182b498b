use actix_web::{web, HttpResponse};
use serde::Deserialize;

use crate::desk::catalog::{self, NewService, NewUnit, NewUser};
use crate::desk::Desk;
use crate::web::errors::ApiResult;
use crate::web::extract::{ApiJson, Authenticated};

pub async fn list_units(desk: web::Data<Desk>, _user: Authenticated) -> ApiResult<HttpResponse> {
    let units = desk.read(catalog::list_units).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "items": units })))
}

#[tracing::instrument(skip_all, fields(code = %body.0.code))]
pub async fn create_unit(
    desk: web::Data<Desk>,
    user: Authenticated,
    body: ApiJson<NewUnit>,
) -> ApiResult<HttpResponse> {
    catalog::require_admin(&user.actor)?;
    let actor_id = user.actor.user_id;
    let unit = desk.writer.write(move |tx| catalog::create_unit(tx, Some(&actor_id), body.0)).await?;
    Ok(HttpResponse::Created().json(unit))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceQuery {
    unit: Option<String>,
}

pub async fn list_services(
    desk: web::Data<Desk>,
    _user: Authenticated,
    query: web::Query<ServiceQuery>,
) -> ApiResult<HttpResponse> {
    let d = desk.clone();
    let unit = query.into_inner().unit;
    let services = desk.read(move |conn| catalog::list_services(&d, conn, unit.as_deref())).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "items": services })))
}

#[tracing::instrument(skip_all, fields(code = %body.0.code))]
pub async fn create_service(
    desk: web::Data<Desk>,
    user: Authenticated,
    body: ApiJson<NewService>,
) -> ApiResult<HttpResponse> {
    catalog::require_admin(&user.actor)?;
    let actor_id = user.actor.user_id;
    let service = desk.writer.write(move |tx| catalog::create_service(tx, Some(&actor_id), body.0)).await?;
    Ok(HttpResponse::Created().json(service))
}

pub async fn list_users(desk: web::Data<Desk>, user: Authenticated) -> ApiResult<HttpResponse> {
    let d = desk.clone();
    let users = desk.read(move |conn| catalog::list_users(&d, conn, &user.actor)).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "items": users })))
}

#[tracing::instrument(skip_all, fields(username = %body.0.username))]
pub async fn create_user(
    desk: web::Data<Desk>,
    user: Authenticated,
    body: ApiJson<NewUser>,
) -> ApiResult<HttpResponse> {
    catalog::require_admin(&user.actor)?;
    let created = catalog::add_user(&desk, Some(&user.actor), body.0).await?;
    Ok(HttpResponse::Created().json(created))
}

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use crate::desk::{auth, Desk, DeskError};
use crate::web::errors::ApiResult;
use crate::web::extract::{client_address, ApiJson, Authenticated};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Credentials {
    username: String,
    password: String,
}

#[tracing::instrument(skip_all, fields(username = %body.0.username))]
pub async fn issue_token(
    desk: web::Data<Desk>,
    req: HttpRequest,
    body: ApiJson<Credentials>,
) -> ApiResult<HttpResponse> {
    let Credentials { username, password } = body.0;
    if username.is_empty() || password.is_empty() {
        return Err(
            DeskError::invalid(if username.is_empty() { "username" } else { "password" }, "must not be empty").into()
        );
    }
    let issued = auth::login(&desk, &username, &password, &client_address(&req)).await?;
    Ok(HttpResponse::Ok().json(issued))
}

/// Revokes the token used for this request (log out).
pub async fn revoke_token(desk: web::Data<Desk>, user: Authenticated) -> ApiResult<HttpResponse> {
    auth::revoke_token(&desk, &user.actor, &user.token_id).await?;
    Ok(HttpResponse::NoContent().finish())
}

pub async fn me(desk: web::Data<Desk>, user: Authenticated) -> ApiResult<HttpResponse> {
    let actor = user.actor;
    let unit_id = actor.unit_id.clone();
    let d = desk.clone();
    let unit = desk.read(move |conn| unit_id.map(|id| d.names.unit_code(conn, &id)).transpose()).await?;
    Ok(HttpResponse::Ok().json(json!({
        "username": actor.username, "name": actor.name, "role": actor.role, "unit": unit,
    })))
}

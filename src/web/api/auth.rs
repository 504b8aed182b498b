use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use crate::desk::{auth, two_factor, Desk, DeskError};
use crate::web::errors::ApiResult;
use crate::web::extract::{client_address, ApiJson, Authenticated};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Credentials {
    username: String,
    password: String,
    /// The second factor: a six-digit TOTP code or a recovery code.
    #[serde(default)]
    totp: Option<String>,
}

#[tracing::instrument(skip_all, fields(username = %body.0.username))]
pub async fn issue_token(
    desk: web::Data<Desk>,
    req: HttpRequest,
    body: ApiJson<Credentials>,
) -> ApiResult<HttpResponse> {
    let Credentials { username, password, totp } = body.0;
    if username.is_empty() || password.is_empty() {
        return Err(
            DeskError::invalid(if username.is_empty() { "username" } else { "password" }, "must not be empty").into()
        );
    }
    let agent = req.headers().get(actix_web::http::header::USER_AGENT).and_then(|v| v.to_str().ok());
    let issued = auth::login(&desk, &username, &password, &client_address(&req), totp.as_deref(), agent).await?;
    Ok(HttpResponse::Ok().json(issued))
}

/// Revokes the token used for this request (log out).
pub async fn revoke_token(desk: web::Data<Desk>, user: Authenticated) -> ApiResult<HttpResponse> {
    auth::revoke_token(&desk, &user.actor, &user.token_id).await?;
    Ok(HttpResponse::NoContent().finish())
}

pub async fn me(desk: web::Data<Desk>, user: Authenticated) -> ApiResult<HttpResponse> {
    let actor = user.actor;
    let unit = match actor.unit_id.as_deref() {
        Some(id) => Some(desk.unit_code(id).await?),
        None => None,
    };
    Ok(HttpResponse::Ok().json(json!({
        "username": actor.username, "name": actor.name, "role": actor.role, "unit": unit,
    })))
}

/// Whose second factor a call concerns: the signed-in person, or, without a token, the account
/// named with its password (a role that must enrol has no token until it has).
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct TotpBody {
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    password: Option<String>,
    #[serde(default)]
    code: Option<String>,
}

async fn totp_owner(
    desk: &Desk,
    req: &HttpRequest,
    user: Option<Authenticated>,
    body: &TotpBody,
) -> Result<String, DeskError> {
    if let Some(u) = user {
        return Ok(u.actor.user_id);
    }
    match (&body.username, &body.password) {
        (Some(username), Some(password)) => {
            Ok(auth::check_password(desk, username, password, &client_address(req)).await?.id)
        }
        _ => Err(DeskError::Unauthorized("sign in, or give username and password".into())),
    }
}

/// `POST /api/v1/auth/totp`: begins an enrolment → `{otpauth_uri, secret}`.
pub async fn totp_begin(
    desk: web::Data<Desk>,
    req: HttpRequest,
    user: Option<Authenticated>,
    body: Option<ApiJson<TotpBody>>,
) -> ApiResult<HttpResponse> {
    let body = body.map(|b| b.0).unwrap_or_default();
    let owner = totp_owner(&desk, &req, user, &body).await?;
    let enrolment = two_factor::begin(&desk, &owner).await?;
    Ok(HttpResponse::Ok().json(enrolment))
}

/// `POST /api/v1/auth/totp/confirm` `{code}` → `{recovery_codes: [ten strings]}`.
pub async fn totp_confirm(
    desk: web::Data<Desk>,
    req: HttpRequest,
    user: Option<Authenticated>,
    body: ApiJson<TotpBody>,
) -> ApiResult<HttpResponse> {
    let body = body.0;
    let owner = totp_owner(&desk, &req, user, &body).await?;
    let code = body.code.clone().ok_or_else(|| DeskError::invalid("code", "the six digits the app shows"))?;
    let codes = two_factor::confirm(&desk, &owner, &code).await?;
    Ok(HttpResponse::Ok().json(json!({ "recovery_codes": codes })))
}

/// `DELETE /api/v1/auth/totp`: turns one's own second factor off.
pub async fn totp_disable(desk: web::Data<Desk>, user: Authenticated) -> ApiResult<HttpResponse> {
    two_factor::disable(&desk, &user.actor.user_id, &user.actor.user_id).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SigninQuery {
    #[serde(default)]
    user: Option<String>,
}

/// `GET /api/v1/auth/signins?user=`: the sign-in log, newest first (admins).
pub async fn signins(
    desk: web::Data<Desk>,
    user: Authenticated,
    query: web::Query<SigninQuery>,
) -> ApiResult<HttpResponse> {
    let (actor, who) = (user.actor, query.into_inner().user);
    let items = desk.read(move |conn| crate::desk::signins::list(conn, &actor, who.as_deref())).await?;
    Ok(HttpResponse::Ok().json(json!({ "items": items })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionQuery {
    /// Admins: another person's sessions.
    #[serde(default)]
    user: Option<String>,
}

/// `GET /api/v1/auth/sessions`: one's live sessions and tokens (`?user=` for admins).
pub async fn sessions(
    desk: web::Data<Desk>,
    user: Authenticated,
    query: web::Query<SessionQuery>,
) -> ApiResult<HttpResponse> {
    let (actor, current, who, now) = (user.actor, user.token_id, query.into_inner().user, desk.now());
    let items = desk.read(move |conn| crate::desk::sessions::list(conn, &actor, &current, who.as_deref(), now)).await?;
    Ok(HttpResponse::Ok().json(json!({ "items": items })))
}

/// `DELETE /api/v1/auth/sessions`: signs out everywhere else (`?user=`: an admin, everywhere).
pub async fn end_sessions(
    desk: web::Data<Desk>,
    user: Authenticated,
    query: web::Query<SessionQuery>,
) -> ApiResult<HttpResponse> {
    let (actor, current, who) = (user.actor, user.token_id, query.into_inner().user);
    let ended =
        desk.writer.write(move |tx| crate::desk::sessions::end_others(tx, &actor, &current, who.as_deref())).await?;
    Ok(HttpResponse::Ok().json(json!({ "ended": ended })))
}

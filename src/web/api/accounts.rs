//! People, units and services over their lifetime (admins), and passwords (everyone).

use actix_web::{web, HttpResponse};

use crate::desk::accounts::{self, CatalogPatch, UserPatch};
use crate::desk::password_reset::{self, ResetConfirm, ResetRequest};
use crate::desk::passwords::{self, PasswordChange, TemporaryPassword};
use crate::desk::Desk;
use crate::web::errors::ApiResult;
use crate::web::extract::{ApiJson, Authenticated};

/// `PATCH /api/v1/users/{username}`: any of name, email, phone, role, unit, nip, language, active.
#[tracing::instrument(skip_all, fields(username = %username))]
pub async fn update_user(
    desk: web::Data<Desk>,
    user: Authenticated,
    username: web::Path<String>,
    body: ApiJson<UserPatch>,
) -> ApiResult<HttpResponse> {
    let (d, actor, username) = (desk.get_ref().clone(), user.actor, username.into_inner());
    let view = desk.writer.write(move |tx| accounts::update_user(tx, &d, Some(&actor), &username, body.0)).await?;
    Ok(HttpResponse::Ok().json(view))
}

/// `POST /api/v1/users/{username}/password` `{password?}`: a temporary password (made up and
/// returned once when absent), to be changed at the next sign-in.
pub async fn set_temporary_password(
    desk: web::Data<Desk>,
    user: Authenticated,
    username: web::Path<String>,
    body: Option<ApiJson<TemporaryPassword>>,
) -> ApiResult<HttpResponse> {
    let input = body.map(|b| b.0).unwrap_or_default();
    let set = passwords::set_temporary(&desk, Some(&user.actor), &username, input).await?;
    Ok(HttpResponse::Ok().json(set))
}

/// `DELETE /api/v1/users/{username}/totp`: an admin turns off a person's second factor (a
/// lost phone and lost recovery codes); a required role enrols again at the next sign-in.
pub async fn reset_two_factor(
    desk: web::Data<Desk>,
    user: Authenticated,
    username: web::Path<String>,
) -> ApiResult<HttpResponse> {
    if user.actor.role != crate::domain::role::Role::Admin {
        return Err(
            crate::desk::DeskError::Forbidden("only an admin turns off another person's second factor".into()).into()
        );
    }
    let name = username.into_inner();
    let target = name.clone();
    let found = desk.read(move |conn| Ok(crate::db::catalog::user_by_username(conn, &target)?)).await?;
    let person = found.ok_or_else(|| crate::desk::DeskError::not_found("user", &name))?;
    crate::desk::two_factor::disable(&desk, &person.id, &user.actor.user_id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `POST /api/v1/auth/password` `{current, new}` with a token; `{username, current, new}`
/// without one, only while the account's temporary password waits to be changed.
pub async fn change_password(
    desk: web::Data<Desk>,
    user: Option<Authenticated>,
    body: ApiJson<PasswordChange>,
) -> ApiResult<HttpResponse> {
    let (actor, token) = match &user {
        Some(u) => (Some(&u.actor), Some(u.token_id.as_str())),
        None => (None, None),
    };
    passwords::change(&desk, actor, token, body.0).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `POST /api/v1/auth/password-reset` `{login}`: 202 whether or not the account exists.
pub async fn request_reset(desk: web::Data<Desk>, body: ApiJson<ResetRequest>) -> ApiResult<HttpResponse> {
    password_reset::request(&desk, body.0).await?;
    Ok(HttpResponse::Accepted().json(serde_json::json!({
        "detail": "if the account exists and has an e-mail address, a link valid 30 minutes is on its way"
    })))
}

/// `POST /api/v1/auth/password-reset/confirm` `{token, new}`.
pub async fn confirm_reset(desk: web::Data<Desk>, body: ApiJson<ResetConfirm>) -> ApiResult<HttpResponse> {
    password_reset::confirm(&desk, body.0).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `PATCH /api/v1/units/{code}`: name, email, active.
pub async fn update_unit(
    desk: web::Data<Desk>,
    user: Authenticated,
    code: web::Path<String>,
    body: ApiJson<CatalogPatch>,
) -> ApiResult<HttpResponse> {
    let (d, actor, code) = (desk.get_ref().clone(), user.actor, code.into_inner());
    let view = desk.writer.write(move |tx| accounts::update_unit(tx, &d, &actor, &code, body.0)).await?;
    Ok(HttpResponse::Ok().json(view))
}

/// `PATCH /api/v1/services/{code}`: name, active.
pub async fn update_service(
    desk: web::Data<Desk>,
    user: Authenticated,
    code: web::Path<String>,
    body: ApiJson<CatalogPatch>,
) -> ApiResult<HttpResponse> {
    let (d, actor, code) = (desk.get_ref().clone(), user.actor, code.into_inner());
    let view = desk.writer.write(move |tx| accounts::update_service(tx, &d, &actor, &code, body.0)).await?;
    Ok(HttpResponse::Ok().json(view))
}

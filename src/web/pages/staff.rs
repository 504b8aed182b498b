//! Signing in and out, and linking a Telegram account or a unit's group.

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::i18n::Lang;
use super::session::{self, Staff, SESSION_COOKIE};
use super::{ok, see_other, when, Frame, OrPage, PageError};
use crate::desk::telegram_links::{self, LinkCode};
use crate::desk::two_factor::{self, Requirement};
use crate::desk::{auth, Desk, DeskError};
use crate::domain::role::Role;
use crate::web::extract::client_address;

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    f: Frame,
    error: Option<&'static str>,
    next: String,
    username: String,
    csrf: String,
    /// "Masuk dengan SSO", when the desk has a single sign-on.
    sso_href: Option<String>,
}

/// The sign-in page, with an error when a sign-in failed.
pub(super) fn login_page(
    desk: &Desk,
    req: &HttpRequest,
    error: Option<&'static str>,
    status: actix_web::http::StatusCode,
    next: &str,
    username: &str,
) -> HttpResponse {
    let l = Lang::from_request(req);
    let (csrf, cookie) = session::public_csrf(req);
    let page = LoginPage {
        f: Frame::public(req, l.t("login.title"), "login"),
        error,
        next: next.to_string(),
        username: username.to_string(),
        csrf,
        sso_href: desk.oidc.as_ref().map(|_| format!("/masuk/sso?lanjut={}", super::urlencode(next))),
    };
    let mut response = super::html(status, &page);
    if let Some(c) = cookie {
        let _ = response.add_cookie(&c);
    }
    response
}

#[derive(Deserialize)]
pub struct NextQuery {
    #[serde(default)]
    pub lanjut: Option<String>,
}

/// Only a path of the console: a login link must not send anyone to another site.
pub fn safe_next(next: Option<&str>) -> String {
    next.and_then(super::redirect::local_path).filter(|n| n.starts_with("/konsol")).unwrap_or_else(|| "/konsol".into())
}

pub async fn login_form(
    desk: web::Data<Desk>,
    req: HttpRequest,
    q: web::Query<NextQuery>,
) -> Result<HttpResponse, PageError> {
    let next = safe_next(q.lanjut.as_deref());
    Ok(login_page(&desk, &req, None, actix_web::http::StatusCode::OK, &next, ""))
}

#[derive(Deserialize)]
pub struct LoginForm {
    username: String,
    password: String,
    #[serde(default)]
    next: Option<String>,
    /// The sign-in form's token: another site cannot sign a browser into an account of its
    /// choosing (login CSRF).
    #[serde(default)]
    csrf: String,
}

pub async fn login(desk: web::Data<Desk>, req: HttpRequest, form: web::Form<LoginForm>) -> HttpResponse {
    let l = Lang::from_request(&req);
    let form = form.into_inner();
    let next = safe_next(form.next.as_deref());
    if let Err(e) = session::check_public_csrf(&req, &form.csrf, l) {
        return e.into_response();
    }
    let refuse = |error: &'static str, status| login_page(&desk, &req, Some(error), status, &next, &form.username);
    let client = client_address(&req);
    let checked = auth::check_password(&desk, form.username.trim(), &form.password, &client).await;
    match checked {
        Ok(user) if user.role == Role::Requester.as_str() => {
            refuse(l.t("login.requester"), actix_web::http::StatusCode::FORBIDDEN)
        }
        Ok(user) => after_first_factor(&desk, &req, user, &form.csrf, &next).await,
        Err(DeskError::Refused { code: "password_change_required", .. }) => {
            super::password::temporary_page(&req, form.username.trim(), &form.csrf, None)
        }
        Err(DeskError::TooManyRequests { .. }) => {
            refuse(l.t("login.throttled"), actix_web::http::StatusCode::TOO_MANY_REQUESTS)
        }
        Err(DeskError::DirectoryUnavailable(_)) => {
            refuse(l.t("login.directory_down"), actix_web::http::StatusCode::SERVICE_UNAVAILABLE)
        }
        Err(DeskError::Refused { code: "account_not_mapped", .. }) => {
            refuse(l.t("login.not_mapped"), actix_web::http::StatusCode::FORBIDDEN)
        }
        Err(DeskError::Refused { code: "local_account", .. }) => {
            refuse(l.t("login.failed"), actix_web::http::StatusCode::UNAUTHORIZED)
        }
        Err(DeskError::Unauthorized(_)) | Err(DeskError::Invalid { .. }) => {
            refuse(l.t("login.failed"), actix_web::http::StatusCode::UNAUTHORIZED)
        }
        Err(e) => PageError::from_desk(l, e).into_response(),
    }
}

/// The steps after a right password or a single sign-on: the second factor where the account
/// has or needs one, else the session.
pub(super) async fn after_first_factor(
    desk: &Desk,
    req: &HttpRequest,
    user: crate::db::catalog::UserRow,
    csrf: &str,
    next: &str,
) -> HttpResponse {
    match two_factor::requirement(desk, &user) {
        Requirement::Code => super::second_factor::code_step(desk, req, &user, csrf, next).await,
        Requirement::Enrolment => super::second_factor::enrol_step(desk, req, &user, csrf, next).await,
        Requirement::None => {
            match auth::issue_session(desk, user, &client_address(req), session::user_agent(req)).await {
                Ok(issued) => session::start_session(desk, req, issued, see_other(next)),
                Err(e) => PageError::from_desk(Lang::from_request(req), e).into_response(),
            }
        }
    }
}

/// Signs out: the session's token is revoked, not only forgotten by the browser.
pub async fn logout(
    desk: web::Data<Desk>,
    req: HttpRequest,
    staff: Staff,
    form: web::Form<super::session::CsrfForm>,
) -> Result<HttpResponse, PageError> {
    staff.check(&req, &form.csrf)?;
    auth::revoke_token(&desk, &staff.actor, &staff.token_id).await.or_page(staff.lang)?;
    // A person of the single sign-on signs out at the provider too, and comes back to /masuk.
    let mut target = "/masuk".to_string();
    if let Some(sso) = &desk.oidc {
        let id = staff.actor.user_id.clone();
        let person = desk.read(move |conn| Ok(crate::db::catalog::user_by_id(conn, &id)?)).await.or_page(staff.lang)?;
        if person.is_some_and(|p| p.auth_source == "oidc") {
            if let Some(url) = sso.logout_url(&session::public_url(&req)).await {
                target = url;
            }
        }
    }
    let mut response = see_other(target);
    let mut gone = session::cookie(&req, SESSION_COOKIE, String::new(), 0);
    gone.make_removal();
    let _ = response.add_cookie(&gone);
    Ok(response)
}

#[derive(Template)]
#[template(path = "telegram.html")]
struct TelegramPage {
    f: Frame,
    code: Option<LinkCode>,
    expires: String,
    may_link_group: bool,
    units: Vec<(String, String)>,
}

async fn telegram_page(
    desk: &Desk,
    req: &HttpRequest,
    staff: &Staff,
    code: Option<LinkCode>,
) -> Result<HttpResponse, PageError> {
    let l = staff.lang;
    let may_link_group = staff.is(&[Role::Supervisor, Role::Admin, Role::UnitHead]);
    let units = if staff.is(&[Role::Supervisor, Role::Admin]) {
        desk.read(crate::desk::catalog::list_units).await.or_page(l)?.into_iter().map(|u| (u.code, u.name)).collect()
    } else {
        staff.unit_code.iter().map(|c| (c.clone(), c.clone())).collect()
    };
    let expires = code.as_ref().map(|c| when(desk.zone, c.expires_at)).unwrap_or_default();
    ok(&TelegramPage { f: Frame::staff(req, staff, l.t("tg.title"), "telegram"), code, expires, may_link_group, units })
}

pub async fn telegram_form(desk: web::Data<Desk>, req: HttpRequest, staff: Staff) -> Result<HttpResponse, PageError> {
    telegram_page(&desk, &req, &staff, None).await
}

#[derive(Deserialize)]
pub struct CodeForm {
    csrf: String,
    #[serde(default)]
    unit: Option<String>,
}

pub async fn telegram_code(
    desk: web::Data<Desk>,
    req: HttpRequest,
    staff: Staff,
    form: web::Form<CodeForm>,
) -> Result<HttpResponse, PageError> {
    staff.check(&req, &form.csrf)?;
    let actor = staff.actor.clone();
    let unit = form.into_inner().unit.filter(|u| !u.is_empty());
    let code = desk
        .writer
        .write(move |tx| telegram_links::issue_code(tx, &actor, unit.as_deref()))
        .await
        .or_page(staff.lang)?;
    telegram_page(&desk, &req, &staff, Some(code)).await
}

trait IntoResponse {
    fn into_response(self) -> HttpResponse;
}

impl IntoResponse for PageError {
    fn into_response(self) -> HttpResponse {
        actix_web::ResponseError::error_response(&self)
    }
}

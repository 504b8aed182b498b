//! Passwords in the console: a signed-in person changes theirs (`/konsol/sandi`), and a person
//! signing in with a temporary password an admin gave changes it before anything else
//! (`/masuk/ganti-sandi`), then lands in the console signed in.

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::i18n::Lang;
use super::session::{self, Staff};
use super::{see_other, when, Frame, OrPage, PageError};
use crate::desk::password_reset;
use crate::desk::passwords::{self, PasswordChange};
use crate::desk::{auth, Desk, DeskError};
use crate::web::extract::client_address;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/konsol/sandi", web::get().to(own_form));
    cfg.route("/konsol/sandi", web::post().to(change_own));
    cfg.route("/konsol/sesi/akhiri", web::post().to(end_other_sessions));
    cfg.route("/masuk/ganti-sandi", web::post().to(change_temporary));
    cfg.route("/masuk/lupa", web::get().to(forgot_form));
    cfg.route("/masuk/lupa", web::post().to(forgot));
    cfg.route("/masuk/sandi-baru", web::get().to(reset_form));
    cfg.route("/masuk/sandi-baru", web::post().to(reset));
}

#[derive(Template)]
#[template(path = "password_reset.html")]
pub struct ResetPage {
    pub f: Frame,
    pub csrf: String,
    /// `ask`: the form for a username; `sent`: the same answer for everyone; `set`: the form
    /// for a new password with the link's token; `done`.
    pub step: &'static str,
    pub token: String,
    pub error: Option<String>,
    pub min_length: usize,
}

fn reset_page(req: &HttpRequest, step: &'static str, token: String, error: Option<String>) -> HttpResponse {
    let l = Lang::from_request(req);
    let (csrf, cookie) = session::public_csrf(req);
    let status = if error.is_some() {
        actix_web::http::StatusCode::UNPROCESSABLE_ENTITY
    } else {
        actix_web::http::StatusCode::OK
    };
    let page = ResetPage {
        f: Frame::public(req, l.t("reset.title"), "login"),
        csrf,
        step,
        token,
        error,
        min_length: passwords::MIN_LENGTH,
    };
    let mut response = super::html(status, &page);
    if let Some(c) = cookie {
        let _ = response.add_cookie(&c);
    }
    response
}

pub async fn forgot_form(req: HttpRequest) -> HttpResponse {
    reset_page(&req, "ask", String::new(), None)
}

#[derive(Deserialize)]
pub struct ForgotForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    login: String,
}

pub async fn forgot(desk: web::Data<Desk>, req: HttpRequest, form: web::Form<ForgotForm>) -> HttpResponse {
    let l = Lang::from_request(&req);
    if let Err(e) = session::check_public_csrf(&req, &form.csrf, l) {
        return actix_web::ResponseError::error_response(&e);
    }
    let asked = password_reset::request(&desk, password_reset::ResetRequest { login: form.login.clone() }).await;
    match asked {
        // The same page whether or not the account exists.
        Ok(()) => reset_page(&req, "sent", String::new(), None),
        Err(DeskError::Invalid { .. }) => {
            reset_page(&req, "ask", String::new(), Some(l.t("reset.login_needed").into()))
        }
        Err(e) => actix_web::ResponseError::error_response(&PageError::from_desk(l, e)),
    }
}

#[derive(Deserialize)]
pub struct TokenQuery {
    #[serde(default)]
    token: String,
}

pub async fn reset_form(req: HttpRequest, q: web::Query<TokenQuery>) -> HttpResponse {
    reset_page(&req, "set", q.into_inner().token, None)
}

#[derive(Deserialize)]
pub struct ResetForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    token: String,
    #[serde(default)]
    new: String,
    #[serde(default)]
    repeat: String,
}

pub async fn reset(desk: web::Data<Desk>, req: HttpRequest, form: web::Form<ResetForm>) -> HttpResponse {
    let l = Lang::from_request(&req);
    if let Err(e) = session::check_public_csrf(&req, &form.csrf, l) {
        return actix_web::ResponseError::error_response(&e);
    }
    let form = form.into_inner();
    if form.new != form.repeat {
        return reset_page(&req, "set", form.token, Some(l.t("password.mismatch").into()));
    }
    let input = password_reset::ResetConfirm { token: form.token.clone(), new: form.new };
    match password_reset::confirm(&desk, input).await {
        Ok(()) => reset_page(&req, "done", String::new(), None),
        Err(DeskError::Invalid { field, detail }) if field == "token" => {
            reset_page(&req, "ask", String::new(), Some(format!("{}: {detail}", l.t("reset.link_refused"))))
        }
        Err(e) => match refusal(l, &e) {
            Some(error) => reset_page(&req, "set", form.token, Some(error)),
            None => actix_web::ResponseError::error_response(&PageError::from_desk(l, e)),
        },
    }
}

#[derive(Template)]
#[template(path = "password.html")]
pub struct PasswordPage {
    pub f: Frame,
    /// Signing in with a temporary password: the username rides along, the form posts to
    /// `/masuk/ganti-sandi` with the public form token.
    pub temporary: bool,
    pub username: String,
    pub csrf: String,
    pub error: Option<String>,
    pub done: bool,
    pub min_length: usize,
    /// The person's live sessions and tokens (their own page only).
    pub sessions: Vec<SessionLine>,
}

pub struct SessionLine {
    pub label: String,
    pub began: String,
    pub last_used: String,
    pub address: String,
    pub browser: String,
    pub current: bool,
}

async fn session_lines(desk: &Desk, staff: &Staff) -> Result<Vec<SessionLine>, PageError> {
    let (actor, current, now) = (staff.actor.clone(), staff.token_id.clone(), desk.now());
    let list = desk
        .read(move |conn| crate::desk::sessions::list(conn, &actor, &current, None, now))
        .await
        .or_page(staff.lang)?;
    Ok(list
        .into_iter()
        .map(|s| SessionLine {
            label: s.label,
            began: when(desk.zone, s.created_at),
            last_used: s.last_used_at.map(|t| when(desk.zone, t)).unwrap_or_else(|| "—".into()),
            address: s.address.unwrap_or_else(|| "—".into()),
            browser: s.browser.unwrap_or_else(|| "—".into()),
            current: s.current,
        })
        .collect())
}

#[derive(Deserialize)]
pub struct DoneQuery {
    #[serde(default)]
    ok: Option<String>,
}

pub async fn own_form(
    desk: web::Data<Desk>,
    req: HttpRequest,
    staff: Staff,
    q: web::Query<DoneQuery>,
) -> Result<HttpResponse, PageError> {
    let sessions = session_lines(&desk, &staff).await?;
    let page = PasswordPage {
        f: Frame::staff(&req, &staff, staff.lang.t("password.title"), "password"),
        temporary: false,
        username: staff.actor.username.clone(),
        csrf: staff.csrf.clone(),
        error: None,
        done: q.ok.is_some(),
        min_length: passwords::MIN_LENGTH,
        sessions,
    };
    super::ok(&page)
}

#[derive(Deserialize)]
pub struct ChangeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    current: String,
    #[serde(default)]
    new: String,
    #[serde(default)]
    repeat: String,
}

/// The words of a refusal on this page: the policy's own reason, or a wrong current password.
fn refusal(l: Lang, e: &DeskError) -> Option<String> {
    match e {
        DeskError::Invalid { detail, .. } => Some(format!("{}: {detail}", l.t("password.refused"))),
        DeskError::Unauthorized(_) => Some(l.t("password.wrong_current").to_string()),
        _ => None,
    }
}

pub async fn change_own(
    desk: web::Data<Desk>,
    req: HttpRequest,
    staff: Staff,
    form: web::Form<ChangeForm>,
) -> Result<HttpResponse, PageError> {
    staff.check(&req, &form.csrf)?;
    let l = staff.lang;
    let form = form.into_inner();
    let result = if form.new != form.repeat {
        Err(DeskError::invalid("repeat", l.t("password.mismatch")))
    } else {
        let input = PasswordChange { username: None, current: form.current, new: form.new };
        passwords::change(&desk, Some(&staff.actor), Some(&staff.token_id), input).await
    };
    match result {
        Ok(()) => Ok(see_other("/konsol/sandi?ok=1")),
        Err(e) => match refusal(l, &e) {
            Some(error) => Ok(super::html(
                actix_web::http::StatusCode::UNPROCESSABLE_ENTITY,
                &PasswordPage {
                    f: Frame::staff(&req, &staff, l.t("password.title"), "password"),
                    temporary: false,
                    username: staff.actor.username.clone(),
                    csrf: staff.csrf.clone(),
                    error: Some(error),
                    done: false,
                    min_length: passwords::MIN_LENGTH,
                    sessions: Vec::new(),
                },
            )),
            None => Err(PageError::from_desk(l, e)),
        },
    }
}

/// The page shown instead of the console when the password just typed is a temporary one.
pub fn temporary_page(req: &HttpRequest, username: &str, csrf: &str, error: Option<String>) -> HttpResponse {
    let l = Lang::from_request(req);
    let page = PasswordPage {
        f: Frame::public(req, l.t("password.title"), "login"),
        temporary: true,
        username: username.to_string(),
        csrf: csrf.to_string(),
        error,
        done: false,
        min_length: passwords::MIN_LENGTH,
        sessions: Vec::new(),
    };
    super::html(actix_web::http::StatusCode::FORBIDDEN, &page)
}

pub async fn change_temporary(desk: web::Data<Desk>, req: HttpRequest, form: web::Form<ChangeForm>) -> HttpResponse {
    let l = Lang::from_request(&req);
    if let Err(e) = session::check_public_csrf(&req, &form.csrf, l) {
        return actix_web::ResponseError::error_response(&e);
    }
    let form = form.into_inner();
    if form.new != form.repeat {
        return temporary_page(&req, &form.username, &form.csrf, Some(l.t("password.mismatch").to_string()));
    }
    let input = PasswordChange { username: Some(form.username.clone()), current: form.current, new: form.new.clone() };
    if let Err(e) = passwords::change(&desk, None, None, input).await {
        return match refusal(l, &e) {
            Some(error) => temporary_page(&req, &form.username, &form.csrf, Some(error)),
            None => actix_web::ResponseError::error_response(&PageError::from_desk(l, e)),
        };
    }
    // Changed: sign in with the new password, as the person meant to in the first place.
    match auth::login(&desk, &form.username, &form.new, &client_address(&req), None, session::user_agent(&req)).await {
        Ok(issued) => session::start_session(&desk, &req, issued, see_other("/konsol")),
        Err(_) => see_other("/masuk"),
    }
}

/// "Keluar dari perangkat lain": every other session and token of this person ends.
pub async fn end_other_sessions(
    desk: web::Data<Desk>,
    req: HttpRequest,
    staff: Staff,
    form: web::Form<session::CsrfForm>,
) -> Result<HttpResponse, PageError> {
    staff.check(&req, &form.csrf)?;
    let (actor, current) = (staff.actor.clone(), staff.token_id.clone());
    desk.writer
        .write(move |tx| crate::desk::sessions::end_others(tx, &actor, &current, None))
        .await
        .or_page(staff.lang)?;
    Ok(see_other("/konsol/sandi?ok=1"))
}

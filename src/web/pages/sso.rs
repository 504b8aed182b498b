//! "Masuk dengan SSO": the console's side of the single sign-on. `/masuk/sso` begins it (the
//! state goes into a short-lived cookie as well as the database) and sends the browser to the
//! provider; `/masuk/sso/callback` finishes it: the account is made or brought up to date from
//! the claims, then the second factor or the session follows as after a password. Every
//! outcome is in the sign-in log with method `oidc`.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::i18n::Lang;
use super::session;
use super::staff::{after_first_factor, login_page, safe_next, NextQuery};
use super::{see_other, PageError};
use crate::desk::signins::{self, Attempt};
use crate::desk::{directory, Desk, DeskError};
use crate::domain::role::Role;
use crate::web::extract::client_address;

/// Holds the state of the sign-on this browser began (SameSite=Lax: it comes back on the
/// provider's top-level redirect, never on another site's request).
const STATE_COOKIE: &str = "meja_sso";

pub async fn start(desk: web::Data<Desk>, req: HttpRequest, q: web::Query<NextQuery>) -> HttpResponse {
    let l = Lang::from_request(&req);
    let Some(sso) = desk.oidc.clone() else {
        return actix_web::ResponseError::error_response(&PageError::new(
            StatusCode::NOT_FOUND,
            l,
            l.t("error.not_found"),
        ));
    };
    let next = safe_next(q.lanjut.as_deref());
    match sso.begin(&desk, Some(next.clone())).await {
        Ok(begun) => {
            let mut response = see_other(begun.authorize_url);
            let _ = response.add_cookie(&session::cookie(&req, STATE_COOKIE, begun.state, 1));
            response
        }
        Err(_) => login_page(&desk, &req, Some(l.t("login.sso_down")), StatusCode::SERVICE_UNAVAILABLE, &next, ""),
    }
}

#[derive(Deserialize)]
pub struct Callback {
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    state: Option<String>,
    #[serde(default)]
    error: Option<String>,
}

pub async fn callback(desk: web::Data<Desk>, req: HttpRequest, q: web::Query<Callback>) -> HttpResponse {
    let l = Lang::from_request(&req);
    let Some(sso) = desk.oidc.clone() else {
        return actix_web::ResponseError::error_response(&PageError::new(
            StatusCode::NOT_FOUND,
            l,
            l.t("error.not_found"),
        ));
    };
    let client = client_address(&req);
    let log = |username: &str, user_id: Option<&str>, outcome: &'static str, reason: &str| {
        let attempt = Attempt { username, user_id, address: &client, method: "oidc", outcome, reason: Some(reason) };
        signins::record(&desk, attempt);
    };
    let refuse = |error: &'static str, status: StatusCode| {
        let mut response = login_page(&desk, &req, Some(error), status, "/konsol", "");
        let mut gone = session::cookie(&req, STATE_COOKIE, String::new(), 0);
        gone.make_removal();
        let _ = response.add_cookie(&gone);
        response
    };
    let (Some(code), Some(state)) = (q.code.as_deref(), q.state.as_deref()) else {
        let why = match &q.error {
            Some(e) => format!("the provider answered {}", e.chars().take(100).collect::<String>()),
            None => "a callback without code and state".into(),
        };
        log("", None, "failed", &why);
        return refuse(l.t("login.sso_failed"), StatusCode::UNAUTHORIZED);
    };
    let browser_state = req.cookie(STATE_COOKIE).map(|c| c.value().to_string());
    let finished = match sso.finish(&desk, state, browser_state.as_deref(), code).await {
        Ok(f) => f,
        Err(DeskError::DirectoryUnavailable(why)) => {
            log("", None, "failed", &why);
            return refuse(l.t("login.sso_down"), StatusCode::SERVICE_UNAVAILABLE);
        }
        Err(e) => {
            log("", None, "failed", &e.to_string());
            return refuse(l.t("login.sso_failed"), StatusCode::UNAUTHORIZED);
        }
    };
    let person = finished.person;
    let d = desk.get_ref().clone();
    let provisioned = {
        let person = person.clone();
        desk.writer.write(move |tx| directory::provision(tx, &d, &person)).await
    };
    let user = match provisioned {
        Ok(user) => user,
        Err(e) => {
            log(&person.username, None, "refused", &e.to_string());
            let (message, status) = match e {
                DeskError::Refused { code: "account_not_mapped", .. } => ("login.not_mapped", StatusCode::FORBIDDEN),
                DeskError::Refused { code: "local_account", .. } => ("login.sso_local", StatusCode::FORBIDDEN),
                _ => ("login.failed", StatusCode::UNAUTHORIZED),
            };
            return refuse(l.t(message), status);
        }
    };
    if user.role == Role::Requester.as_str() {
        log(&user.username, Some(&user.id), "refused", "a requester account has no console");
        return refuse(l.t("login.requester"), StatusCode::FORBIDDEN);
    }
    log(&user.username, Some(&user.id), "ok", "signed in through the provider");
    let next = safe_next(finished.next.as_deref());
    let (csrf, csrf_cookie) = session::public_csrf(&req);
    let mut response = after_first_factor(&desk, &req, user, &csrf, &next).await;
    if let Some(c) = csrf_cookie {
        let _ = response.add_cookie(&c);
    }
    let mut gone = session::cookie(&req, STATE_COOKIE, String::new(), 0);
    gone.make_removal();
    let _ = response.add_cookie(&gone);
    response
}

//! Two-factor sign-in in the console: the code after the password (`/masuk/kode`), enrolment
//! for a role that must have a second factor before anything else (`/masuk/daftar-2fa`), and a
//! person's own page to turn it on or off (`/konsol/2fa`). Between the password and the second
//! step the form carries a single-use challenge, never the password.

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::i18n::Lang;
use super::session::{self, Staff};
use super::{see_other, Frame, OrPage, PageError};
use crate::db::catalog::UserRow;
use crate::desk::{auth, two_factor, Desk, DeskError};
use crate::web::extract::client_address;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/masuk/kode", web::post().to(sign_in_code));
    cfg.route("/masuk/daftar-2fa", web::post().to(sign_in_enrol));
    cfg.route("/konsol/2fa", web::get().to(own));
    cfg.route("/konsol/2fa/mulai", web::post().to(own_begin));
    cfg.route("/konsol/2fa/konfirmasi", web::post().to(own_confirm));
    cfg.route("/konsol/2fa/matikan", web::post().to(own_disable));
}

#[derive(Template)]
#[template(path = "two_factor.html")]
pub struct TwoFactorPage {
    pub f: Frame,
    /// `code`: the second step of a sign-in; `enrol`: the QR code and a code to confirm;
    /// `codes`: the recovery codes, shown once; `status`: a person's own page.
    pub step: &'static str,
    pub csrf: String,
    /// The sign-in's challenge (empty on a person's own page).
    pub challenge: String,
    pub next: String,
    pub qr_svg: String,
    pub secret: String,
    pub recovery_codes: Vec<String>,
    pub enabled: bool,
    pub error: Option<String>,
    /// Where the form of `enrol` posts.
    pub action: &'static str,
}

impl TwoFactorPage {
    fn new(f: Frame, step: &'static str, csrf: String) -> Self {
        TwoFactorPage {
            f,
            step,
            csrf,
            challenge: String::new(),
            next: "/konsol".into(),
            qr_svg: String::new(),
            secret: String::new(),
            recovery_codes: Vec::new(),
            enabled: false,
            error: None,
            action: "/konsol/2fa/konfirmasi",
        }
    }
}

fn with_status(status: actix_web::http::StatusCode, page: &TwoFactorPage) -> HttpResponse {
    super::html(status, page)
}

/// After a right password, for an account with a second factor: the code page.
pub async fn code_step(desk: &Desk, req: &HttpRequest, user: &UserRow, csrf: &str, next: &str) -> HttpResponse {
    let l = Lang::from_request(req);
    match two_factor::start_challenge(desk, &user.id).await {
        Ok(challenge) => {
            let mut page =
                TwoFactorPage::new(Frame::public(req, l.t("twofa.title"), "login"), "code", csrf.to_string());
            page.challenge = challenge;
            page.next = next.to_string();
            with_status(actix_web::http::StatusCode::OK, &page)
        }
        Err(e) => actix_web::ResponseError::error_response(&PageError::from_desk(l, e)),
    }
}

/// After a right password, for a role that must enrol: the enrolment page, before anything.
pub async fn enrol_step(desk: &Desk, req: &HttpRequest, user: &UserRow, csrf: &str, next: &str) -> HttpResponse {
    let l = Lang::from_request(req);
    let started = async {
        let challenge = two_factor::start_challenge(desk, &user.id).await?;
        let enrolment = two_factor::begin(desk, &user.id).await?;
        Ok::<_, DeskError>((challenge, enrolment))
    };
    match started.await {
        Ok((challenge, enrolment)) => {
            let mut page =
                TwoFactorPage::new(Frame::public(req, l.t("twofa.enrol_title"), "login"), "enrol", csrf.to_string());
            page.challenge = challenge;
            page.next = next.to_string();
            page.qr_svg = enrolment.qr_svg;
            page.secret = enrolment.secret;
            page.action = "/masuk/daftar-2fa";
            with_status(actix_web::http::StatusCode::OK, &page)
        }
        Err(e) => actix_web::ResponseError::error_response(&PageError::from_desk(l, e)),
    }
}

#[derive(Deserialize)]
pub struct StepForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    challenge: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    next: String,
}

fn signed_in(desk: &Desk, req: &HttpRequest, issued: auth::IssuedToken, next: &str) -> HttpResponse {
    session::start_session(desk, req, issued, see_other(super::staff::safe_next(Some(next))))
}

pub async fn sign_in_code(desk: web::Data<Desk>, req: HttpRequest, form: web::Form<StepForm>) -> HttpResponse {
    let l = Lang::from_request(&req);
    if let Err(e) = session::check_public_csrf(&req, &form.csrf, l) {
        return actix_web::ResponseError::error_response(&e);
    }
    let Ok(Some(user)) = two_factor::challenge_user(&desk, &form.challenge, false).await else {
        return see_other("/masuk?lanjut=/konsol");
    };
    match auth::check_second_factor(&desk, &user, Some(&form.code), &client_address(&req)).await {
        Ok(()) => {
            let _ = two_factor::challenge_user(&desk, &form.challenge, true).await;
            match auth::issue_session(&desk, user, &client_address(&req), session::user_agent(&req)).await {
                Ok(issued) => signed_in(&desk, &req, issued, &form.next),
                Err(e) => actix_web::ResponseError::error_response(&PageError::from_desk(l, e)),
            }
        }
        Err(e) => {
            let mut page =
                TwoFactorPage::new(Frame::public(&req, l.t("twofa.title"), "login"), "code", form.csrf.clone());
            page.challenge = form.challenge.clone();
            page.next = form.next.clone();
            page.error = Some(match e {
                DeskError::TooManyRequests { .. } => l.t("login.throttled").to_string(),
                _ => l.t("twofa.wrong_code").to_string(),
            });
            with_status(actix_web::http::StatusCode::UNAUTHORIZED, &page)
        }
    }
}

pub async fn sign_in_enrol(desk: web::Data<Desk>, req: HttpRequest, form: web::Form<StepForm>) -> HttpResponse {
    let l = Lang::from_request(&req);
    if let Err(e) = session::check_public_csrf(&req, &form.csrf, l) {
        return actix_web::ResponseError::error_response(&e);
    }
    let Ok(Some(user)) = two_factor::challenge_user(&desk, &form.challenge, false).await else {
        return see_other("/masuk?lanjut=/konsol");
    };
    match two_factor::confirm(&desk, &user.id, &form.code).await {
        Ok(codes) => {
            let _ = two_factor::challenge_user(&desk, &form.challenge, true).await;
            let issued = match auth::issue_session(&desk, user, &client_address(&req), session::user_agent(&req)).await
            {
                Ok(issued) => issued,
                Err(e) => return actix_web::ResponseError::error_response(&PageError::from_desk(l, e)),
            };
            let mut page =
                TwoFactorPage::new(Frame::public(&req, l.t("twofa.codes_title"), "login"), "codes", form.csrf.clone());
            page.recovery_codes = codes;
            page.next = super::staff::safe_next(Some(&form.next));
            session::start_session(&desk, &req, issued, with_status(actix_web::http::StatusCode::OK, &page))
        }
        Err(e) => {
            // A wrong code: the same enrolment again, with a fresh secret and QR code.
            let again = enrol_step(&desk, &req, &user, &form.csrf, &form.next).await;
            match e {
                DeskError::Invalid { .. } => {
                    tracing::info!(user = %user.username, "enrolment code refused; shown again");
                    again
                }
                other => actix_web::ResponseError::error_response(&PageError::from_desk(l, other)),
            }
        }
    }
}

async fn own_page(
    desk: &Desk,
    req: &HttpRequest,
    staff: &Staff,
    error: Option<String>,
) -> Result<HttpResponse, PageError> {
    let l = staff.lang;
    let id = staff.actor.user_id.clone();
    let user = desk.read(move |conn| Ok(crate::db::catalog::user_by_id(conn, &id)?)).await.or_page(l)?;
    let mut page =
        TwoFactorPage::new(Frame::staff(req, staff, l.t("twofa.title"), "password"), "status", staff.csrf.clone());
    page.enabled = user.is_some_and(|u| u.totp_secret.is_some());
    page.error = error;
    super::ok(&page)
}

pub async fn own(desk: web::Data<Desk>, req: HttpRequest, staff: Staff) -> Result<HttpResponse, PageError> {
    own_page(&desk, &req, &staff, None).await
}

pub async fn own_begin(
    desk: web::Data<Desk>,
    req: HttpRequest,
    staff: Staff,
    form: web::Form<super::session::CsrfForm>,
) -> Result<HttpResponse, PageError> {
    staff.check(&req, &form.csrf)?;
    let l = staff.lang;
    let enrolment = two_factor::begin(&desk, &staff.actor.user_id).await.or_page(l)?;
    let mut page = TwoFactorPage::new(
        Frame::staff(&req, &staff, l.t("twofa.enrol_title"), "password"),
        "enrol",
        staff.csrf.clone(),
    );
    page.qr_svg = enrolment.qr_svg;
    page.secret = enrolment.secret;
    super::ok(&page)
}

pub async fn own_confirm(
    desk: web::Data<Desk>,
    req: HttpRequest,
    staff: Staff,
    form: web::Form<StepForm>,
) -> Result<HttpResponse, PageError> {
    staff.check(&req, &form.csrf)?;
    let l = staff.lang;
    match two_factor::confirm(&desk, &staff.actor.user_id, &form.code).await {
        Ok(codes) => {
            let mut page = TwoFactorPage::new(
                Frame::staff(&req, &staff, l.t("twofa.codes_title"), "password"),
                "codes",
                staff.csrf.clone(),
            );
            page.recovery_codes = codes;
            super::ok(&page)
        }
        Err(DeskError::Invalid { .. }) => own_page(&desk, &req, &staff, Some(l.t("twofa.wrong_code").into())).await,
        Err(e) => Err(PageError::from_desk(l, e)),
    }
}

pub async fn own_disable(
    desk: web::Data<Desk>,
    req: HttpRequest,
    staff: Staff,
    form: web::Form<super::session::CsrfForm>,
) -> Result<HttpResponse, PageError> {
    staff.check(&req, &form.csrf)?;
    two_factor::disable(&desk, &staff.actor.user_id, &staff.actor.user_id).await.or_page(staff.lang)?;
    Ok(see_other("/konsol/2fa"))
}

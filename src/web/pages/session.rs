//! Staff sessions and CSRF protection for the pages.
//!
//! A session is an API token (same table, same expiry and revocation) kept in an HttpOnly,
//! SameSite=Lax cookie, Secure when the desk is served over TLS. Every staff form carries a
//! CSRF token derived from the session token, so a forged form from another site cannot
//! supply it; public forms use a random cookie echoed in a hidden field (double submit).
//! On top of that, a POST whose `Origin` names another host is refused.

use std::future::Future;
use std::pin::Pin;

use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpRequest};

use super::i18n::Lang;
use super::PageError;
use crate::desk::{auth, Desk};
use crate::domain::role::{Actor, Role};

pub const SESSION_COOKIE: &str = "meja_sesi";
pub const PUBLIC_CSRF_COOKIE: &str = "meja_csrf";

/// Page settings shared by every handler.
#[derive(Debug, Clone, Default)]
pub struct PageSettings {
    /// Cookies get `Secure` when the public URL is https (the desk behind a TLS proxy).
    pub secure_cookies: bool,
    /// `MEJA_PUBLIC_URL` without a trailing slash: absolute links are built from it, never from
    /// the request's `Host` or `X-Forwarded-Host`, which anyone can set.
    pub public_url: String,
}

/// Puts a new session's cookie on `response`: the one place a sign-in becomes a session.
pub fn start_session(
    desk: &crate::desk::Desk,
    req: &HttpRequest,
    issued: auth::IssuedToken,
    mut response: actix_web::HttpResponse,
) -> actix_web::HttpResponse {
    let days = (issued.expires_at - desk.now()).num_days().max(1);
    let _ = response.add_cookie(&cookie(req, SESSION_COOKIE, issued.token, days));
    response
}

/// The browser's own name for itself, kept with a new session.
pub fn user_agent(req: &HttpRequest) -> Option<&str> {
    req.headers().get(header::USER_AGENT).and_then(|v| v.to_str().ok())
}

/// The desk's public address for absolute links.
pub fn public_url(req: &HttpRequest) -> String {
    req.app_data::<web::Data<PageSettings>>().map_or_else(|| "http://127.0.0.1:8080".into(), |s| s.public_url.clone())
}

/// A cookie as the pages set them: whole site, HttpOnly, SameSite=Lax.
pub fn cookie(req: &HttpRequest, name: &'static str, value: String, max_age_days: i64) -> Cookie<'static> {
    let secure = req.app_data::<web::Data<PageSettings>>().is_some_and(|s| s.secure_cookies);
    Cookie::build(name, value)
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .max_age(actix_web::cookie::time::Duration::days(max_age_days))
        .finish()
}

pub fn csrf_for_session(token: &str) -> String {
    auth::sha256_hex(&format!("meja-csrf:{token}"))[..40].to_string()
}

fn same_origin(req: &HttpRequest) -> bool {
    let Some(origin) = req.headers().get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return true; // Older browsers and same-origin GET forms send none; the token decides.
    };
    // The configured public address, or the host the client itself asked for. Not
    // `X-Forwarded-Host`: actix believes it from anyone, so it could vouch for a foreign origin.
    if origin.trim_end_matches('/') == public_url(req) {
        return true;
    }
    let host = req.headers().get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or_default();
    origin.split("://").nth(1).is_some_and(|o| !host.is_empty() && o == host)
}

fn equal(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Checks the token of a public form against its cookie.
pub fn check_public_csrf(req: &HttpRequest, field: &str, lang: Lang) -> Result<(), PageError> {
    let cookie = req.cookie(PUBLIC_CSRF_COOKIE);
    match cookie {
        Some(c) if !field.is_empty() && equal(c.value(), field) && same_origin(req) => Ok(()),
        _ => Err(PageError::csrf(lang)),
    }
}

/// The public form token of this visitor, and the cookie to set when it is new.
pub fn public_csrf(req: &HttpRequest) -> (String, Option<Cookie<'static>>) {
    match req.cookie(PUBLIC_CSRF_COOKIE) {
        Some(c) if c.value().len() == 32 => (c.value().to_string(), None),
        _ => {
            let value =
                auth::random_secret(24).chars().filter(char::is_ascii_alphanumeric).take(32).collect::<String>();
            let value = format!("{value:0<32}");
            (value.clone(), Some(cookie(req, PUBLIC_CSRF_COOKIE, value, 1)))
        }
    }
}

/// A form that carries nothing but its token (sign-out, revoke, "create from this ticket"…).
#[derive(serde::Deserialize)]
pub struct CsrfForm {
    /// Missing is the same as wrong: refused by the check.
    #[serde(default)]
    pub csrf: String,
}

/// The signed-in member of staff behind the session cookie.
pub struct Staff {
    pub actor: Actor,
    pub token_id: String,
    pub csrf: String,
    pub lang: Lang,
    /// The code of the actor's unit, for the pages' defaults.
    pub unit_code: Option<String>,
}

impl Staff {
    /// Refuses a form whose token does not belong to this session.
    pub fn check(&self, req: &HttpRequest, field: &str) -> Result<(), PageError> {
        if equal(&self.csrf, field) && same_origin(req) {
            Ok(())
        } else {
            Err(PageError::csrf(self.lang))
        }
    }

    pub fn is(&self, roles: &[Role]) -> bool {
        roles.contains(&self.actor.role)
    }

    pub fn require(&self, roles: &[Role]) -> Result<(), PageError> {
        if self.is(roles) {
            Ok(())
        } else {
            Err(PageError::forbidden(self.lang))
        }
    }
}

impl FromRequest for Staff {
    type Error = PageError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, PageError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let desk = req.app_data::<web::Data<Desk>>().cloned();
        let token = req.cookie(SESSION_COOKIE).map(|c| c.value().to_string());
        let lang = Lang::from_request(req);
        let back = req.uri().path_and_query().map(|p| p.as_str().to_string()).unwrap_or_else(|| "/konsol".into());
        Box::pin(async move {
            let login = || PageError::redirect(format!("/masuk?lanjut={}", super::urlencode(&back)));
            let (Some(desk), Some(token)) = (desk, token) else {
                return Err(login());
            };
            let found = desk.token_checks.check(&token).await.map_err(|e| PageError::from_desk(lang, e))?;
            let Some((actor, token_id)) = found else {
                return Err(login());
            };
            let unit_code = match actor.unit_id.as_deref() {
                Some(id) => Some(desk.unit_code(id).await.map_err(|e| PageError::from_desk(lang, e))?),
                None => None,
            };
            auth::note_use(&desk, &token_id);
            if !actor.role.is_staff() {
                return Err(PageError::forbidden(lang));
            }
            Ok(Staff { actor, token_id, csrf: csrf_for_session(&token), lang, unit_code })
        })
    }
}

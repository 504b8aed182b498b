//! Server-rendered pages (SPEC 5 web, 7): the citizens' portal, the staff console, the
//! supervisor dashboard, reports and administration. Templates live in `web/templates` and
//! are compiled in (askama); styles and the one small script in `web/static` are embedded.
//! Handlers call the same `desk` use cases as the API, with the same scopes.

pub mod admin;
pub mod admin_directory;
pub mod admin_people;
pub mod admin_quarantine;
pub mod admin_signins;
pub mod admin_sla;
pub mod admin_webhooks;
pub mod admin_whatsapp;
pub mod assets;
pub mod bulk;
pub mod canned;
pub mod console;
pub mod dashboard;
pub mod disruptions;
pub mod i18n;
pub mod i18n_channels;
pub mod i18n_status;
pub mod i18n_workbench;
pub mod kb;
pub mod live;
pub mod new_ticket;
pub mod password;
pub mod personal_data;
pub mod portal;
pub mod redirect;
pub mod reports;
pub mod saved_views;
pub mod second_factor;
pub mod session;
pub mod sso;
pub mod staff;
pub mod status;
pub mod ticket;
pub mod ticket_files;
pub mod ticket_links;
pub mod ticket_people;
pub mod ticket_timeline;

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse, ResponseError};
use askama::Template;
use chrono::{DateTime, Utc};

use crate::desk::DeskError;
use crate::domain::role::Role;
use i18n::Lang;
use session::Staff;

/// No inline script or style anywhere: the CSP allows only the desk's own files.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; img-src 'self' data:; style-src 'self'; \
     script-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'";

/// What the layout needs on every page.
pub struct Frame {
    pub l: Lang,
    pub title: String,
    /// The menu entry to mark as current.
    pub active: &'static str,
    pub staff: Option<StaffNav>,
    /// One line of news for the top of the page ("Tersimpan.").
    pub flash: Option<String>,
    /// Where the language switch returns to.
    pub here: String,
}

pub struct StaffNav {
    pub name: String,
    pub role: &'static str,
    pub csrf: String,
    pub supervises: bool,
    pub admin: bool,
    /// Supervisors edit SLA policies and calendars (as in the API) without being admins.
    pub configures_sla: bool,
    pub works_tickets: bool,
}

impl Frame {
    pub fn public(req: &HttpRequest, title: impl Into<String>, active: &'static str) -> Frame {
        Frame { l: Lang::from_request(req), title: title.into(), active, staff: None, flash: None, here: here(req) }
    }

    pub fn staff(req: &HttpRequest, staff: &Staff, title: impl Into<String>, active: &'static str) -> Frame {
        let role = staff.actor.role;
        Frame {
            l: staff.lang,
            title: title.into(),
            active,
            staff: Some(StaffNav {
                name: staff.actor.name.clone(),
                role: staff.lang.role(role),
                csrf: staff.csrf.clone(),
                supervises: matches!(role, Role::Supervisor | Role::Admin | Role::UnitHead),
                admin: role == Role::Admin,
                configures_sla: role == Role::Supervisor,
                works_tickets: matches!(role, Role::AgentT1 | Role::AgentT2 | Role::Supervisor | Role::Admin),
            }),
            flash: flash(req, staff.lang),
            here: here(req),
        }
    }
}

fn here(req: &HttpRequest) -> String {
    req.uri().path_and_query().map(|p| p.as_str().to_string()).unwrap_or_else(|| "/".into())
}

/// `?ok=1` after a post/redirect/get says the change was saved.
fn flash(req: &HttpRequest, lang: Lang) -> Option<String> {
    req.query_string().split('&').any(|p| p == "ok=1").then(|| lang.t("ticket.saved").to_string())
}

/// A rendered page with the security headers of the pages.
pub fn html(status: StatusCode, page: &impl Template) -> HttpResponse {
    match page.render() {
        Ok(body) => HttpResponse::build(status)
            .content_type("text/html; charset=utf-8")
            .insert_header((header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY))
            .body(body),
        Err(e) => {
            tracing::error!(error = %e, "template");
            HttpResponse::InternalServerError().body("template error")
        }
    }
}

pub fn ok(page: &impl Template) -> Result<HttpResponse, PageError> {
    Ok(html(StatusCode::OK, page))
}

/// Post/redirect/get. A location that cannot be a header (CR/LF) goes home rather than
/// failing the answer.
pub fn see_other(location: impl Into<String>) -> HttpResponse {
    let location = location.into();
    let location = match header::HeaderValue::from_str(&location) {
        Ok(value) => value,
        Err(_) => header::HeaderValue::from_static("/"),
    };
    HttpResponse::SeeOther().insert_header((header::LOCATION, location)).finish()
}

pub fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => (b as char).to_string(),
            other => format!("%{other:02X}"),
        })
        .collect()
}

/// Dates as people here write them: 30-11-2026 14.05 in the city's zone.
/// A file's size as people read it.
pub fn file_size(bytes: i64) -> String {
    match bytes {
        b if b >= 1_048_576 => format!("{:.1} MB", b as f64 / 1_048_576.0),
        b if b >= 1024 => format!("{} KB", b / 1024),
        b => format!("{b} B"),
    }
}

pub fn when(zone: chrono_tz::Tz, at: DateTime<Utc>) -> String {
    at.with_timezone(&zone).format("%d-%m-%Y %H.%M").to_string()
}

/// A failed page: rendered in the visitor's language, never with internals.
#[derive(Debug)]
pub struct PageError {
    pub status: StatusCode,
    pub lang: Lang,
    pub detail: String,
    pub location: Option<String>,
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    f: Frame,
    heading: &'a str,
    detail: &'a str,
}

impl PageError {
    fn new(status: StatusCode, lang: Lang, detail: impl Into<String>) -> PageError {
        PageError { status, lang, detail: detail.into(), location: None }
    }

    pub fn redirect(location: String) -> PageError {
        PageError { status: StatusCode::SEE_OTHER, lang: Lang::Id, detail: String::new(), location: Some(location) }
    }

    pub fn csrf(lang: Lang) -> PageError {
        PageError::new(StatusCode::FORBIDDEN, lang, lang.t("error.csrf"))
    }

    pub fn forbidden(lang: Lang) -> PageError {
        PageError::new(StatusCode::FORBIDDEN, lang, lang.t("error.forbidden"))
    }

    pub fn not_found(lang: Lang) -> PageError {
        PageError::new(StatusCode::NOT_FOUND, lang, lang.t("error.not_found"))
    }

    pub fn invalid(lang: Lang, detail: impl Into<String>) -> PageError {
        PageError::new(StatusCode::UNPROCESSABLE_ENTITY, lang, detail)
    }

    pub fn from_desk(lang: Lang, e: DeskError) -> PageError {
        match e {
            DeskError::Invalid { field, detail } => PageError::invalid(lang, format!("{field}: {detail}")),
            DeskError::NotFound { .. } => PageError::not_found(lang),
            DeskError::Conflict { detail, .. } => PageError::new(StatusCode::CONFLICT, lang, detail),
            DeskError::Forbidden(_)
            | DeskError::Refused { .. }
            | DeskError::Unauthorized(_)
            | DeskError::SecondFactorRequired(_) => PageError::forbidden(lang),
            DeskError::TooManyRequests { .. } => {
                PageError::new(StatusCode::TOO_MANY_REQUESTS, lang, lang.t("error.too_many"))
            }
            DeskError::Unavailable(_) => PageError::new(StatusCode::SERVICE_UNAVAILABLE, lang, lang.t("error.busy")),
            DeskError::DirectoryUnavailable(_) => {
                PageError::new(StatusCode::SERVICE_UNAVAILABLE, lang, lang.t("login.directory_down"))
            }
            DeskError::Internal(cause) => {
                tracing::error!(%cause, "page");
                PageError::new(StatusCode::INTERNAL_SERVER_ERROR, lang, lang.t("error.busy"))
            }
        }
    }
}

/// `desk_call().or_page(lang)?`
pub trait OrPage<T> {
    fn or_page(self, lang: Lang) -> Result<T, PageError>;
}

impl<T> OrPage<T> for Result<T, DeskError> {
    fn or_page(self, lang: Lang) -> Result<T, PageError> {
        self.map_err(|e| PageError::from_desk(lang, e))
    }
}

impl std::fmt::Display for PageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.status, self.detail)
    }
}

impl ResponseError for PageError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        if let Some(location) = &self.location {
            return see_other(location.clone());
        }
        let l = self.lang;
        let heading = match self.status {
            StatusCode::NOT_FOUND => l.t("error.not_found"),
            StatusCode::UNPROCESSABLE_ENTITY => l.t("error.invalid"),
            StatusCode::CONFLICT => l.t("error.conflict"),
            StatusCode::FORBIDDEN => l.t("error.forbidden"),
            _ => l.t("error.title"),
        };
        let page = ErrorPage {
            f: Frame { l, title: heading.to_string(), active: "", staff: None, flash: None, here: "/".into() },
            heading,
            detail: &self.detail,
        };
        html(self.status, &page)
    }
}

/// Sets the language cookie and returns to the page the visitor was on: only a path of this
/// site (`?ke=//evil.example`, `?ke=/%09/evil.example` and CR/LF go home instead).
pub async fn switch_language(req: HttpRequest, code: web::Path<String>) -> HttpResponse {
    let value = if code.as_str() == "en" { "en" } else { "id" };
    let back = redirect::query_value(req.query_string(), "ke")
        .and_then(|target| redirect::local_path(&target))
        .unwrap_or_else(|| "/".into());
    let mut response = see_other(back);
    let _ = response.add_cookie(&session::cookie(&req, i18n::LANG_COOKIE, value.into(), 365));
    response
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    // Articles run to 100 KB of Markdown; a bad form is a page in the visitor's language.
    cfg.app_data(
        web::FormConfig::default()
            .limit(256 * 1024)
            .error_handler(|err, req| PageError::invalid(Lang::from_request(req), format!("form: {err}")).into()),
    );
    cfg.route("/", web::get().to(portal::home));
    cfg.route("/lapor", web::post().to(portal::submit));
    cfg.route("/bantuan", web::get().to(kb::public_search));
    cfg.route("/bantuan/{slug}", web::get().to(kb::public_article));
    cfg.route("/bantuan/{slug}/nilai", web::post().to(kb::public_vote));
    cfg.route("/bahasa/{code}", web::get().to(switch_language));
    cfg.route("/static/{file}", web::get().to(assets::serve));
    cfg.route("/favicon.ico", web::get().to(assets::no_icon));
    cfg.route("/masuk", web::get().to(staff::login_form));
    cfg.route("/masuk", web::post().to(staff::login));
    cfg.route("/masuk/sso", web::get().to(sso::start));
    cfg.route("/masuk/sso/callback", web::get().to(sso::callback));
    cfg.route("/keluar", web::post().to(staff::logout));
    cfg.route("/konsol", web::get().to(console::queue));
    cfg.route("/konsol/massal", web::post().to(bulk::apply));
    cfg.route("/konsol/balasan", web::get().to(canned::list));
    cfg.route("/konsol/balasan", web::post().to(canned::create));
    cfg.route("/konsol/balasan/{id}", web::get().to(canned::edit_form));
    cfg.route("/konsol/balasan/{id}", web::post().to(canned::update));
    cfg.route("/konsol/balasan/{id}/hapus", web::post().to(canned::delete));
    cfg.route("/konsol/balasan/{id}/lampiran", web::post().to(canned::add_files));
    cfg.route("/konsol/balasan/{id}/lampiran/{file}/hapus", web::post().to(canned::remove_file));
    cfg.route("/konsol/tiket-baru", web::get().to(new_ticket::new_form));
    cfg.route("/konsol/tiket-baru", web::post().to(new_ticket::create));
    cfg.route("/konsol/tiket/{number}", web::get().to(ticket::show));
    cfg.route("/konsol/tiket/{number}/pesan", web::post().to(ticket_files::add_message));
    cfg.route("/konsol/tiket/{number}/pengikut", web::post().to(ticket_people::add));
    cfg.route("/konsol/tiket/{number}/pengikut/hapus", web::post().to(ticket_people::remove));
    cfg.route("/konsol/tiket/{number}/gabung", web::post().to(ticket_people::merge));
    cfg.route("/konsol/tampilan", web::post().to(saved_views::save));
    cfg.route("/konsol/langsung", web::get().to(live::stream));
    cfg.route("/konsol/tiket/{number}/mengetik", web::post().to(live::typing));
    cfg.route("/konsol/tampilan/hapus", web::post().to(saved_views::delete));
    cfg.route("/konsol/tiket/{number}/tautan", web::post().to(ticket_links::link));
    cfg.route("/konsol/tiket/{number}/tautan/hapus", web::post().to(ticket_links::unlink));
    cfg.route("/konsol/tiket/{number}/tindakan/{action}", web::post().to(ticket::act));
    cfg.route("/konsol/tiket/{number}/lampiran/{id}", web::get().to(ticket_files::attachment));
    cfg.route("/konsol/tiket/{number}/insiden", web::post().to(ticket::flag));
    cfg.route("/konsol/tiket/{number}/laporan-insiden", web::post().to(ticket::incident_notice));
    cfg.route("/konsol/tiket/{number}/pemberitahuan-data", web::post().to(ticket::breach_notified));
    cfg.route("/konsol/tiket/{number}/artikel", web::post().to(kb::from_ticket));
    cfg.route("/konsol/tiket/{number}/data-pribadi", web::get().to(personal_data::export));
    cfg.route("/konsol/tiket/{number}/anonimkan", web::post().to(personal_data::anonymise));
    cfg.route("/konsol/telegram", web::get().to(staff::telegram_form));
    cfg.route("/konsol/telegram", web::post().to(staff::telegram_code));
    cfg.route("/konsol/dasbor", web::get().to(dashboard::show));
    cfg.route("/konsol/laporan", web::get().to(reports::page));
    cfg.route("/konsol/laporan/unduh", web::get().to(reports::download));
    cfg.route("/konsol/laporan/arsip/{id}/{format}", web::get().to(reports::archived));
    cfg.route("/konsol/laporan/bukti", web::get().to(reports::evidence));
    cfg.route("/konsol/laporan/kepatuhan", web::get().to(reports::compliance));
    cfg.route("/konsol/artikel", web::get().to(kb::staff_list));
    cfg.route("/konsol/artikel/baru", web::get().to(kb::new_form));
    cfg.route("/konsol/artikel/baru", web::post().to(kb::create));
    cfg.route("/konsol/artikel/{slug}", web::get().to(kb::edit_form));
    cfg.route("/konsol/artikel/{slug}", web::post().to(kb::update));
    cfg.configure(admin::routes);
    cfg.configure(admin_directory::routes);
    cfg.configure(password::routes);
    cfg.configure(second_factor::routes);
    cfg.configure(status::routes);
    cfg.configure(disruptions::routes);
}

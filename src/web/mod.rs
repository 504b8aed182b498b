//! HTTP: the JSON API, health and metrics. Handlers parse, call a `desk` use case and
//! render; they never touch SQL.

pub mod api;
pub mod csat_page;
pub mod errors;
pub mod extract;
pub mod metrics;
pub mod openapi;
pub mod pages;
pub mod telegram_webhook;
pub mod tracking_page;
pub mod upload;
pub mod whatsapp_webhook;

use actix_web::http::StatusCode;
use actix_web::middleware::DefaultHeaders;
use actix_web::{web, HttpRequest};

use errors::ApiError;

fn not_found(req: &HttpRequest) -> ApiError {
    ApiError::not_found(format!("no such endpoint: {} {}", req.method(), req.path()))
}

/// Machines get problem documents (`/api/…` and the channels' webhooks); people get pages in
/// the layout, in their language, with a way back.
fn for_machines(req: &HttpRequest) -> bool {
    let path = req.path();
    ["/api/", "/telegram/", "/whatsapp/", "/healthz", "/metrics"].iter().any(|p| path.starts_with(p))
}

/// Everything the app serves; used by `Application::build` and by tests.
pub fn configure(cfg: &mut web::ServiceConfig, body_limit: usize) {
    cfg.app_data(web::PayloadConfig::new(body_limit))
        .app_data(web::QueryConfig::default().error_handler(|err, req| {
            let detail = err.to_string();
            if !for_machines(req) {
                return pages::PageError::invalid(pages::i18n::Lang::from_request(req), detail).into();
            }
            let field = detail.split('`').nth(1).map(str::to_string).unwrap_or_else(|| "query".to_string());
            ApiError::bad_field(StatusCode::BAD_REQUEST, field, detail).into()
        }))
        .app_data(web::PathConfig::default().error_handler(|err, _req| ApiError::not_found(err.to_string()).into()))
        .route("/healthz", web::get().to(metrics::healthz))
        .route("/metrics", web::get().to(metrics::metrics))
        .route("/nilai/{number}", web::get().to(csat_page::form))
        .route("/nilai/{number}", web::post().to(csat_page::submit))
        .route("/telegram/webhook", web::post().to(telegram_webhook::receive))
        .route("/whatsapp/webhook", web::get().to(whatsapp_webhook::verify))
        .route("/whatsapp/webhook", web::post().to(whatsapp_webhook::receive))
        .route("/lacak/{number}", web::get().to(tracking_page::show))
        .route("/lacak/{number}", web::post().to(tracking_page::reply))
        .configure(api::routes)
        .configure(pages::routes);
}

/// Headers every answer carries unless it set its own: among them the pages' strict
/// Content-Security-Policy, so a page written anywhere (the rating page, an error) has it too;
/// answers that need another (sandboxed raw mail, the no-script report) set theirs.
pub fn security_headers() -> DefaultHeaders {
    DefaultHeaders::new()
        .add((actix_web::http::header::CONTENT_SECURITY_POLICY, pages::CONTENT_SECURITY_POLICY))
        .add(("X-Content-Type-Options", "nosniff"))
        .add(("X-Frame-Options", "DENY"))
        .add(("Referrer-Policy", "same-origin"))
        .add(("Cache-Control", "no-store"))
}

pub async fn fallback(req: HttpRequest) -> actix_web::HttpResponse {
    if for_machines(&req) {
        actix_web::ResponseError::error_response(&not_found(&req))
    } else {
        actix_web::ResponseError::error_response(&pages::PageError::not_found(pages::i18n::Lang::from_request(&req)))
    }
}

/// `HEAD` answers wherever `GET` does (RFC 9110 9.3.2): routed as `GET`, answered without the
/// body (monitoring probes and link checkers ask with `HEAD`).
pub async fn head_as_get(
    mut req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody + 'static>,
) -> Result<actix_web::dev::ServiceResponse<actix_web::body::BoxBody>, actix_web::Error> {
    let head = req.method() == actix_web::http::Method::HEAD;
    if head {
        req.head_mut().method = actix_web::http::Method::GET;
    }
    let response = next.call(req).await?;
    Ok(if head { response.map_body(|_, _| actix_web::body::BoxBody::new(())) } else { response.map_into_boxed_body() })
}

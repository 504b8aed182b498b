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

use actix_web::http::StatusCode;
use actix_web::middleware::DefaultHeaders;
use actix_web::{web, HttpRequest};

use errors::ApiError;

fn not_found(req: &HttpRequest) -> ApiError {
    ApiError::not_found(format!("no such endpoint: {} {}", req.method(), req.path()))
}

/// Everything the app serves; used by `Application::build` and by tests.
pub fn configure(cfg: &mut web::ServiceConfig, body_limit: usize) {
    cfg.app_data(web::PayloadConfig::new(body_limit))
        .app_data(web::QueryConfig::default().error_handler(|err, _req| {
            let detail = err.to_string();
            let field = detail.split('`').nth(1).map(str::to_string).unwrap_or_else(|| "query".to_string());
            ApiError::bad_field(StatusCode::BAD_REQUEST, field, detail).into()
        }))
        .app_data(web::PathConfig::default().error_handler(|err, _req| ApiError::not_found(err.to_string()).into()))
        .route("/healthz", web::get().to(metrics::healthz))
        .route("/metrics", web::get().to(metrics::metrics))
        .route("/nilai/{number}", web::get().to(csat_page::form))
        .route("/nilai/{number}", web::post().to(csat_page::submit))
        .route("/telegram/webhook", web::post().to(telegram_webhook::receive))
        .route("/lacak/{number}", web::get().to(tracking_page::show))
        .route("/lacak/{number}", web::post().to(tracking_page::reply))
        .configure(api::routes)
        .configure(pages::routes);
}

pub fn security_headers() -> DefaultHeaders {
    DefaultHeaders::new()
        .add(("X-Content-Type-Options", "nosniff"))
        .add(("X-Frame-Options", "DENY"))
        .add(("Referrer-Policy", "same-origin"))
        .add(("Cache-Control", "no-store"))
}

pub async fn fallback(req: HttpRequest) -> actix_web::HttpResponse {
    actix_web::ResponseError::error_response(&not_found(&req))
}

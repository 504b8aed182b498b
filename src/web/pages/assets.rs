//! The stylesheet and script, compiled into the binary: nothing to deploy beside it.

use actix_web::http::header;
use actix_web::{web, HttpResponse};

const CSS: &str = include_str!("../../../web/static/meja.css");
const JS: &str = include_str!("../../../web/static/meja.js");

pub async fn serve(file: web::Path<String>) -> HttpResponse {
    let (body, kind) = match file.as_str() {
        "meja.css" => (CSS, "text/css; charset=utf-8"),
        "meja.js" => (JS, "text/javascript; charset=utf-8"),
        _ => return HttpResponse::NotFound().finish(),
    };
    HttpResponse::Ok().content_type(kind).insert_header((header::CACHE_CONTROL, "public, max-age=3600")).body(body)
}

/// Browsers ask for `/favicon.ico` whatever the page says; the desk has no icon to give.
pub async fn no_icon() -> HttpResponse {
    HttpResponse::NoContent().insert_header((header::CACHE_CONTROL, "public, max-age=86400")).finish()
}

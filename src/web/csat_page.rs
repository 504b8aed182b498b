//! The rating page linked from the resolution mail (`/nilai/{number}?token=…`): five choices and
//! a comment, in Bahasa Indonesia, no script. The staff console and portal come with their own
//! pages; this one is what a citizen needs to answer the mail today.

use actix_web::{web, HttpResponse};
use serde::Deserialize;

use crate::desk::csat::{self, Rating};
use crate::desk::{Desk, DeskError};
use crate::web::errors::ApiResult;

pub(super) fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

pub(super) fn page(title: &str, body: &str) -> HttpResponse {
    HttpResponse::Ok().content_type("text/html; charset=utf-8").body(format!(
        "<!DOCTYPE html><html lang=\"id\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title}</title><link rel=\"stylesheet\" href=\"/static/meja.css\"></head><body><main>{body}</main></body></html>"
    ))
}

#[derive(Deserialize)]
pub struct TokenQuery {
    token: String,
}

pub async fn form(number: web::Path<String>, query: web::Query<TokenQuery>) -> HttpResponse {
    let (number, token) = (escape(&number), escape(&query.token));
    let choices: String = (1..=5)
        .map(|n| {
            let label = ["", "Sangat buruk", "Buruk", "Cukup", "Baik", "Sangat baik"][n];
            format!("<label><input type=\"radio\" name=\"rating\" value=\"{n}\" required> {n} — {label}</label>")
        })
        .collect();
    page(
        "Penilaian layanan",
        &format!(
            "<h1>Penilaian layanan</h1><p>Tiket <strong>{number}</strong> telah diselesaikan. Bagaimana pelayanan kami?</p>\
             <form method=\"post\" action=\"/nilai/{number}\"><input type=\"hidden\" name=\"token\" value=\"{token}\">\
             <fieldset><legend>Nilai</legend>{choices}</fieldset>\
             <label for=\"comment\">Komentar (boleh dikosongkan)</label><textarea id=\"comment\" name=\"comment\" maxlength=\"2000\"></textarea>\
             <button type=\"submit\">Kirim penilaian</button></form>"
        ),
    )
}

#[derive(Deserialize)]
pub struct RatingForm {
    token: String,
    rating: i32,
    #[serde(default)]
    comment: Option<String>,
}

pub async fn submit(desk: web::Data<Desk>, number: web::Path<String>, form: web::Form<RatingForm>) -> HttpResponse {
    let (number, form) = (number.into_inner(), form.into_inner());
    let shown = escape(&number);
    let input = Rating { rating: form.rating, comment: form.comment };
    let result = desk.writer.write(move |tx| csat::rate(tx, &number, &form.token, input)).await;
    match result {
        Ok(_) => page("Terima kasih", &format!("<h1>Terima kasih</h1><p>Penilaian Anda untuk tiket {shown} telah kami terima.</p>")),
        Err(DeskError::Conflict { detail, .. }) if detail.contains("rated already") => {
            page("Sudah dinilai", &format!("<h1>Sudah dinilai</h1><p>Tiket {shown} sudah pernah dinilai. Terima kasih.</p>"))
        }
        Err(DeskError::NotFound { .. }) => HttpResponse::NotFound()
            .content_type("text/html; charset=utf-8")
            .body("<!DOCTYPE html><html lang=\"id\"><body><h1>Tautan tidak dikenal</h1><p>Periksa kembali tautan dari e-mail Anda.</p></body></html>"),
        Err(e) => HttpResponse::BadRequest()
            .content_type("text/html; charset=utf-8")
            .body(format!("<!DOCTYPE html><html lang=\"id\"><body><h1>Belum dapat disimpan</h1><p>{}</p></body></html>", escape(&e.to_string()))),
    }
}

#[derive(Deserialize)]
pub struct ApiTokenQuery {
    token: String,
}

/// `POST /api/v1/public/tickets/{number}/csat?token=…` with `{rating, comment?}`.
pub async fn api_rate(
    desk: web::Data<Desk>,
    number: web::Path<String>,
    query: web::Query<ApiTokenQuery>,
    body: crate::web::extract::ApiJson<Rating>,
) -> ApiResult<HttpResponse> {
    let (number, token) = (number.into_inner(), query.into_inner().token);
    let rated = desk.writer.write(move |tx| csat::rate(tx, &number, &token, body.0)).await?;
    Ok(HttpResponse::Created().json(rated))
}

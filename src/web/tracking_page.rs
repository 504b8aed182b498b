//! The tracking page every acknowledgement links to (`/lacak/{number}?token=…`): status, the
//! conversation, a reply box and, once resolved, the rating form. No script; the token in the
//! link is the citizen's only credential (no cookie, so no cross-site request can borrow it).

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use serde::Deserialize;

use super::csat_page::{escape, page};
use crate::desk::{tracking, Desk, DeskError};
use crate::domain::ticket::Status;

#[derive(Deserialize)]
pub struct TokenQuery {
    token: String,
}

fn status_label(status: Status) -> &'static str {
    match status {
        Status::New => "Baru — menunggu petugas",
        Status::Open => "Sedang ditangani",
        Status::Pending => "Menunggu jawaban Anda",
        Status::Resolved => "Selesai",
        Status::Closed => "Ditutup",
        Status::Cancelled => "Dibatalkan",
    }
}

fn not_found() -> HttpResponse {
    HttpResponse::NotFound().content_type("text/html; charset=utf-8").body(
        "<!DOCTYPE html><html lang=\"id\"><head><meta charset=\"utf-8\"><title>Tiket tidak ditemukan</title></head><body>\
         <h1>Tiket tidak ditemukan</h1><p>Periksa kembali nomor dan tautan dari e-mail atau pesan Anda.</p></body></html>",
    )
}

pub async fn show(desk: web::Data<Desk>, number: web::Path<String>, query: web::Query<TokenQuery>) -> HttpResponse {
    let (number, token) = (number.into_inner(), query.into_inner().token);
    let zone = desk.zone;
    let t = token.clone();
    let found = desk.read(move |conn| tracking::show(conn, &number, &t)).await;
    let (view, may_rate) = match found {
        Ok(found) => found,
        Err(DeskError::NotFound { .. }) => return not_found(),
        Err(e) => {
            tracing::error!(error = %e, "tracking page");
            return HttpResponse::ServiceUnavailable().body("Layanan sedang sibuk; coba lagi sebentar.");
        }
    };
    let when = |t: chrono::DateTime<chrono::Utc>| t.with_timezone(&zone).format("%d-%m-%Y %H.%M").to_string();
    let number = escape(&view.number);
    let token = escape(&token);
    let mut body = format!(
        "<h1>Tiket {number}</h1><p><strong>{}</strong></p><dl><dt>Status</dt><dd>{}</dd><dt>Unit</dt><dd>{}</dd>\
         <dt>Dilaporkan</dt><dd>{}</dd><dt>Diperbarui</dt><dd>{}</dd></dl><h2>Percakapan</h2>",
        escape(&view.title),
        status_label(view.status),
        escape(&view.unit_name),
        when(view.created_at),
        when(view.updated_at),
    );
    if view.messages.is_empty() {
        body.push_str("<p>Belum ada balasan.</p>");
    }
    for m in &view.messages {
        let from = if m.from_requester { "Anda".to_string() } else { escape(&m.from) };
        body.push_str(&format!(
            "<article><p><strong>{from}</strong> · {}</p><p>{}</p></article>",
            when(m.created_at),
            escape(&m.body).replace('\n', "<br>")
        ));
    }
    if matches!(view.status, Status::Closed | Status::Cancelled) {
        body.push_str("<p>Tiket ini sudah ditutup. Untuk masalah baru, laporkan kembali.</p>");
    } else {
        body.push_str(&format!(
            "<h2>Tambahkan informasi</h2><form method=\"post\" action=\"/lacak/{number}\">\
             <input type=\"hidden\" name=\"token\" value=\"{token}\">\
             <label for=\"body\">Pesan Anda</label><textarea id=\"body\" name=\"body\" required maxlength=\"20000\"></textarea>\
             <button type=\"submit\">Kirim</button></form>"
        ));
    }
    if may_rate {
        let choices: String = (1..=5)
            .map(|n| format!("<label><input type=\"radio\" name=\"rating\" value=\"{n}\" required> {n}</label>"))
            .collect();
        body.push_str(&format!(
            "<h2>Penilaian layanan</h2><form method=\"post\" action=\"/nilai/{number}\">\
             <input type=\"hidden\" name=\"token\" value=\"{token}\"><fieldset><legend>Nilai 1 (sangat buruk) sampai 5 (sangat baik)</legend>{choices}</fieldset>\
             <label for=\"comment\">Komentar (boleh dikosongkan)</label><textarea id=\"comment\" name=\"comment\" maxlength=\"2000\"></textarea>\
             <button type=\"submit\">Kirim penilaian</button></form>"
        ));
    }
    page(&format!("Tiket {number}"), &body)
}

#[derive(Deserialize)]
pub struct ReplyForm {
    token: String,
    body: String,
}

/// A reply from the page, then back to the page (post/redirect/get).
pub async fn reply(desk: web::Data<Desk>, number: web::Path<String>, form: web::Form<ReplyForm>) -> HttpResponse {
    let (number, form) = (number.into_inner(), form.into_inner());
    let d = desk.get_ref().clone();
    let (n, token) = (number.clone(), form.token.clone());
    let result = desk.writer.write(move |tx| tracking::reply(tx, &d, &n, &token, form.body)).await;
    match result {
        Ok(_) => {
            let back = format!("/lacak/{}?token={}", urlencode(&number), urlencode(&form.token));
            HttpResponse::SeeOther().insert_header((header::LOCATION, back)).finish()
        }
        Err(DeskError::NotFound { .. }) => not_found(),
        Err(DeskError::Invalid { detail, .. }) => {
            HttpResponse::BadRequest().content_type("text/html; charset=utf-8").body(format!(
                "<!DOCTYPE html><html lang=\"id\"><body><h1>Pesan belum terkirim</h1><p>{}</p></body></html>",
                escape(&detail)
            ))
        }
        Err(e) => {
            tracing::error!(error = %e, "tracking page reply");
            HttpResponse::ServiceUnavailable().body("Layanan sedang sibuk; coba lagi sebentar.")
        }
    }
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            other => format!("%{other:02X}"),
        })
        .collect()
}

//! `POST /telegram/webhook`: updates pushed by Telegram in webhook mode
//! (`MEJA_TELEGRAM_WEBHOOK_URL`), checked by the secret token Telegram echoes back.

use std::sync::Arc;

use actix_web::{web, HttpRequest, HttpResponse};
use meja_telegram::teloxide::types::Update;

use crate::desk::Desk;
use crate::telegram::{runner, Telegram};

pub async fn receive(
    desk: web::Data<Desk>,
    telegram: web::Data<Option<Arc<Telegram>>>,
    req: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    let Some(telegram) = telegram.get_ref().as_ref() else { return HttpResponse::NotFound().finish() };
    let given = req.headers().get("X-Telegram-Bot-Api-Secret-Token").and_then(|v| v.to_str().ok()).unwrap_or("");
    if !telegram.webhook_secret_matches(given) {
        return HttpResponse::Unauthorized().finish();
    }
    let Ok(update) = serde_json::from_slice::<Update>(&body) else {
        // Telegram resends what is not acknowledged: an update we cannot read is dropped, logged.
        tracing::warn!(bytes = body.len(), "telegram webhook: an update that does not parse");
        return HttpResponse::Ok().finish();
    };
    if runner::handle_with_retries(desk.get_ref(), telegram, &update).await {
        HttpResponse::Ok().finish()
    } else {
        // Not recorded: Telegram posts it again later.
        HttpResponse::ServiceUnavailable().finish()
    }
}

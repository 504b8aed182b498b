//! `/whatsapp/webhook`: Meta's verification handshake (`GET`) and the signed notifications
//! (`POST`) of the WhatsApp Cloud API. A POST whose `X-Hub-Signature-256` does not sign its
//! raw bytes is refused with 401 and stores nothing; a signed one answers 200 only once all
//! it carried is committed, 503 (never 500) when that failed, so Meta sends it again.

use std::sync::Arc;

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use crate::desk::Desk;
use crate::whatsapp::{intake, WhatsApp};

#[derive(Deserialize)]
pub struct Handshake {
    #[serde(rename = "hub.mode")]
    mode: Option<String>,
    #[serde(rename = "hub.verify_token")]
    verify_token: Option<String>,
    #[serde(rename = "hub.challenge")]
    challenge: Option<String>,
}

pub async fn verify(whatsapp: web::Data<Option<Arc<WhatsApp>>>, query: web::Query<Handshake>) -> HttpResponse {
    let Some(whatsapp) = whatsapp.get_ref().as_ref() else { return HttpResponse::NotFound().finish() };
    let Handshake { mode, verify_token, challenge } = query.into_inner();
    match (mode.as_deref(), verify_token, challenge) {
        (Some("subscribe"), Some(token), Some(challenge)) if whatsapp.verify_token_matches(&token) => {
            tracing::info!("whatsapp: webhook verified by Meta");
            HttpResponse::Ok().content_type("text/plain").body(challenge)
        }
        _ => {
            tracing::warn!("whatsapp: a verification handshake with a wrong token or mode");
            HttpResponse::Forbidden().finish()
        }
    }
}

pub async fn receive(
    desk: web::Data<Desk>,
    whatsapp: web::Data<Option<Arc<WhatsApp>>>,
    req: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    let Some(whatsapp) = whatsapp.get_ref().as_ref() else { return HttpResponse::NotFound().finish() };
    let signature = req.headers().get("X-Hub-Signature-256").and_then(|v| v.to_str().ok());
    if !whatsapp.signed(&body, signature) {
        tracing::warn!(
            bytes = body.len(),
            signed = signature.is_some(),
            "whatsapp webhook: bad or missing signature; refused"
        );
        return HttpResponse::Unauthorized().finish();
    }
    match intake::handle_body(desk.get_ref(), whatsapp, &body).await {
        Ok(handled) => {
            tracing::debug!(
                messages = handled.messages,
                repeated = handled.repeated,
                statuses = handled.statuses,
                "whatsapp webhook"
            );
            HttpResponse::Ok().finish()
        }
        Err(e) => {
            tracing::error!(error = %e, "whatsapp webhook not recorded; Meta will send it again");
            HttpResponse::ServiceUnavailable().finish()
        }
    }
}

//! The WhatsApp channel inside `meja serve` (issue 16), over Meta's WhatsApp Business Cloud
//! API: signed webhooks in ([`intake`]), each message handled once in one writer transaction
//! by the shared conversation, and everything the desk says delivered through the outbox by
//! the shared dispatcher ([`delivery`]): free-form inside the contact's 24-hour window,
//! templates outside it.

pub mod delivery;
pub mod intake;

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use crate::config::{Settings, Template};
use crate::desk::throttle::RateLimiter;
use crate::desk::Desk;

/// How long after a contact's last message free-form messages may go (Meta's customer
/// service window).
pub const WINDOW: chrono::Duration = chrono::Duration::hours(24);
const TIMEOUT: Duration = Duration::from_secs(20);

/// The Cloud API client and what the channel's loops share.
pub struct WhatsApp {
    client: reqwest::Client,
    /// `{api_url}/{api_version}`.
    base: String,
    token: String,
    phone_number_id: String,
    app_secret: String,
    verify_token: String,
    pub templates: std::collections::BTreeMap<String, Template>,
    pub max_file_bytes: u64,
    pub messages_per_minute: u32,
    /// `MEJA_PUBLIC_URL` without a trailing slash (tracking links).
    pub public_url: String,
    pub limiter: RateLimiter,
    /// Contacts told in the last minute that they write too fast.
    pub warned: RateLimiter,
    /// Rings the delivery loop when a message queued answers.
    pub wake: Arc<tokio::sync::Notify>,
}

/// What the Cloud API answered: the HTTP status and the JSON body (`Null` when it was none).
pub struct Answer {
    pub status: u16,
    pub body: Value,
}

impl WhatsApp {
    /// `None` without `MEJA_WHATSAPP_TOKEN`.
    pub fn from_settings(settings: &Settings) -> anyhow::Result<Option<Arc<WhatsApp>>> {
        let w = &settings.whatsapp;
        let Some(token) = &w.token else { return Ok(None) };
        let client = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .connect_timeout(TIMEOUT)
            .user_agent(concat!("meja/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Some(Arc::new(WhatsApp {
            client,
            base: format!("{}/{}", w.api_url.trim_end_matches('/'), w.api_version.trim_matches('/')),
            token: token.expose().to_string(),
            phone_number_id: w.phone_number_id.clone(),
            app_secret: w.app_secret.as_ref().map(|s| s.expose().to_string()).unwrap_or_default(),
            verify_token: w.verify_token.as_ref().map(|s| s.expose().to_string()).unwrap_or_default(),
            templates: w.templates.clone(),
            max_file_bytes: w.max_file_bytes,
            messages_per_minute: w.messages_per_minute.max(1),
            public_url: settings.public_url.trim_end_matches('/').to_string(),
            limiter: RateLimiter::new("whatsapp.messages", w.messages_per_minute.max(1), Duration::from_secs(60)),
            warned: RateLimiter::new("whatsapp.warned", 1, Duration::from_secs(60)),
            wake: Arc::new(tokio::sync::Notify::new()),
        })))
    }

    /// What the admin page shows (never a secret).
    pub fn phone_number_id(&self) -> &str {
        &self.phone_number_id
    }

    /// `{api_url}/{api_version}`.
    pub fn api(&self) -> &str {
        &self.base
    }

    /// Whether a webhook POST is Meta's: the signature over the raw bytes.
    pub fn signed(&self, body: &[u8], header: Option<&str>) -> bool {
        meja_whatsapp::signature::verify(self.app_secret.as_bytes(), body, header)
    }

    /// The verification handshake: the challenge when the token matches (constant time).
    pub fn verify_token_matches(&self, given: &str) -> bool {
        use subtle::ConstantTimeEq;
        !self.verify_token.is_empty() && bool::from(given.as_bytes().ct_eq(self.verify_token.as_bytes()))
    }

    async fn answer(response: reqwest::Response) -> Answer {
        let status = response.status().as_u16();
        let body = response.bytes().await.ok().and_then(|b| serde_json::from_slice(&b).ok()).unwrap_or(Value::Null);
        Answer { status, body }
    }

    /// `POST /{phone-number-id}/messages`.
    pub async fn send(&self, message: &Value) -> reqwest::Result<Answer> {
        let url = format!("{}/{}/messages", self.base, self.phone_number_id);
        let response = self
            .client
            .post(url)
            .bearer_auth(&self.token)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(message.to_string())
            .send()
            .await?;
        Ok(Self::answer(response).await)
    }

    /// `POST /{phone-number-id}/media`: a file the desk sends, uploaded first; its media id.
    pub async fn upload(&self, name: &str, content_type: &str, bytes: Vec<u8>) -> reqwest::Result<Answer> {
        let url = format!("{}/{}/media", self.base, self.phone_number_id);
        let part = reqwest::multipart::Part::bytes(bytes).file_name(name.to_string()).mime_str(content_type)?;
        let form = reqwest::multipart::Form::new()
            .text("messaging_product", "whatsapp")
            .text("type", content_type.to_string())
            .part("file", part);
        let response = self.client.post(url).bearer_auth(&self.token).multipart(form).send().await?;
        Ok(Self::answer(response).await)
    }

    /// A file a contact sent: its address from `GET /{media-id}`, then the bytes (with the
    /// token), at most `max_file_bytes`. `Ok(Err(size))` when it is too large.
    pub async fn fetch_media(&self, media_id: &str) -> anyhow::Result<Result<(String, Vec<u8>), u64>> {
        let url = format!("{}/{}", self.base, media_id);
        let meta = Self::answer(self.client.get(url).bearer_auth(&self.token).send().await?).await;
        if meta.status != 200 {
            anyhow::bail!("media {media_id}: HTTP {} {}", meta.status, meta.body);
        }
        let size = meta.body["file_size"].as_u64().unwrap_or(0);
        if size > self.max_file_bytes {
            return Ok(Err(size));
        }
        let Some(address) = meta.body["url"].as_str() else { anyhow::bail!("media {media_id}: no url") };
        let mime = meta.body["mime_type"].as_str().unwrap_or("application/octet-stream").to_string();
        let mut response = self.client.get(address).bearer_auth(&self.token).send().await?.error_for_status()?;
        let mut bytes = Vec::new();
        while let Some(chunk) = response.chunk().await? {
            bytes.extend_from_slice(&chunk);
            if bytes.len() as u64 > self.max_file_bytes {
                return Ok(Err(bytes.len() as u64));
            }
        }
        Ok(Ok((mime, bytes)))
    }
}

/// Starts delivery (messages come in through the webhook).
pub fn start(
    desk: &Desk,
    whatsapp: Arc<WhatsApp>,
    stop: tokio::sync::watch::Receiver<bool>,
) -> Vec<tokio::task::JoinHandle<()>> {
    vec![actix_web::rt::spawn(delivery::run(desk.clone(), whatsapp, stop))]
}

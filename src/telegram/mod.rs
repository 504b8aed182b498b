//! The Telegram channel inside `meja serve` (SPEC 5): long polling of the Bot API, each update
//! handled once in one writer transaction by the `meja-telegram` dialogue, and everything the
//! bot says delivered through the outbox.

pub mod delivery;
pub mod runner;

use meja_telegram::teloxide;
use std::sync::Arc;
use std::time::Duration;

use teloxide::Bot;

use crate::config::Settings;
use crate::desk::auth::RateLimiter;
use crate::desk::Desk;

/// Updates one chat may send per minute before the bot stops answering it for a while.
pub const CHAT_UPDATES_PER_MINUTE: u32 = 30;

/// The bot and what its loops share.
pub struct Telegram {
    pub bot: Bot,
    pub max_file_bytes: u64,
    pub limiter: RateLimiter,
    /// Chats told in the last minute that they write too fast.
    pub warned: RateLimiter,
    /// Rings the delivery loop when an update queued answers.
    pub wake: Arc<tokio::sync::Notify>,
    /// Webhook mode: the public URL Telegram posts updates to (no polling then).
    pub webhook_url: Option<String>,
    /// `MEJA_PUBLIC_URL` without a trailing slash (tracking links).
    pub public_url: String,
    /// What Telegram must echo in `X-Telegram-Bot-Api-Secret-Token`.
    webhook_secret: String,
}

impl Telegram {
    /// `None` without `MEJA_TELEGRAM_TOKEN`.
    pub fn from_settings(settings: &Settings) -> anyhow::Result<Option<Arc<Telegram>>> {
        let Some(token) = &settings.telegram_token else { return Ok(None) };
        let mut bot = Bot::new(token.expose());
        if let Some(url) = &settings.telegram_api_url {
            bot = bot.set_api_url(url.parse().map_err(|e| anyhow::anyhow!("MEJA_TELEGRAM_API_URL: {e}"))?);
        }
        Ok(Some(Arc::new(Telegram {
            bot,
            max_file_bytes: settings.telegram_max_file_bytes,
            limiter: RateLimiter::new("telegram.updates", CHAT_UPDATES_PER_MINUTE, Duration::from_secs(60)),
            warned: RateLimiter::new("telegram.warned", 1, Duration::from_secs(60)),
            wake: Arc::new(tokio::sync::Notify::new()),
            webhook_url: settings.telegram_webhook_url.clone(),
            public_url: settings.public_url.trim_end_matches('/').to_string(),
            // Derived from the token: the same on every process, never the token itself.
            webhook_secret: crate::domain::report::sha256_hex(format!("meja-webhook:{}", token.expose()).as_bytes())
                [..48]
                .to_string(),
        })))
    }

    pub fn webhook_secret_matches(&self, given: &str) -> bool {
        given.len() == self.webhook_secret.len()
            && given.bytes().zip(self.webhook_secret.bytes()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
    }

    /// Tells Telegram where to post updates (webhook mode).
    pub async fn register_webhook(&self) -> anyhow::Result<()> {
        use teloxide::payloads::SetWebhookSetters;
        use teloxide::prelude::Requester;
        let Some(url) = &self.webhook_url else { return Ok(()) };
        self.bot.set_webhook(url.parse()?).secret_token(self.webhook_secret.clone()).await?;
        Ok(())
    }
}

/// Starts delivery, and polling unless Telegram posts updates to the webhook.
pub fn start(
    desk: &Desk,
    telegram: Arc<Telegram>,
    stop: tokio::sync::watch::Receiver<bool>,
) -> Vec<tokio::task::JoinHandle<()>> {
    let mut tasks = vec![actix_web::rt::spawn(delivery::run(desk.clone(), telegram.clone(), stop.clone()))];
    if telegram.webhook_url.is_some() {
        let mut stop = stop;
        tasks.push(actix_web::rt::spawn(async move {
            // Until Telegram accepts it: no updates arrive before.
            let mut wait = Duration::from_secs(5);
            loop {
                match telegram.register_webhook().await {
                    Ok(()) => {
                        tracing::info!("telegram: webhook registered");
                        break;
                    }
                    Err(e) => tracing::error!(error = %e, retry_in = wait.as_secs(), "telegram: setWebhook failed"),
                }
                tokio::select! {
                    _ = tokio::time::sleep(wait) => {}
                    _ = stop.changed() => break,
                }
                wait = (wait * 2).min(Duration::from_secs(300));
            }
        }));
    } else {
        tasks.push(actix_web::rt::spawn(runner::run(desk.clone(), telegram, stop)));
    }
    tasks
}

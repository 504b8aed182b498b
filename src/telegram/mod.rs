//! The Telegram channel inside `meja serve` (SPEC 5): long polling of the Bot API, each update
//! handled once in one writer transaction by the `meja-telegram` dialogue, and everything the
//! bot says delivered through the outbox.

pub mod delivery;
pub mod port;
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
    pub wake: tokio::sync::Notify,
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
            limiter: RateLimiter::new(CHAT_UPDATES_PER_MINUTE, Duration::from_secs(60)),
            warned: RateLimiter::new(1, Duration::from_secs(60)),
            wake: tokio::sync::Notify::new(),
        })))
    }
}

/// Starts polling and delivery on the current runtime.
pub fn start(
    desk: &Desk,
    telegram: Arc<Telegram>,
    stop: tokio::sync::watch::Receiver<bool>,
) -> Vec<tokio::task::JoinHandle<()>> {
    vec![
        actix_web::rt::spawn(runner::run(desk.clone(), telegram.clone(), stop.clone())),
        actix_web::rt::spawn(delivery::run(desk.clone(), telegram, stop)),
    ]
}

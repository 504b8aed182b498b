//! Long polling: fetch updates, handle each once, acknowledge by moving the offset.

use meja_telegram::teloxide;
use std::sync::Arc;
use std::time::Duration;

use meja_telegram::input::{from_update, Incoming};
use meja_telegram::{FileRef, Input, Out};
use teloxide::net::Download;
use teloxide::payloads::GetUpdatesSetters;
use teloxide::prelude::Requester;
use teloxide::types::{ChatId, FileId, MessageId, Update};

use super::Telegram;
use crate::conversation::{port::TxPort, Contact, Flood, APOLOGY, TOO_FAST};
use crate::db::telegram as db;
use crate::desk::{Desk, DeskError, DeskResult, Tx};

/// Seconds a `getUpdates` call waits for news.
const LONG_POLL: u32 = 25;
/// Failed attempts after which an update is answered with an apology and let go.
const MAX_ATTEMPTS: u32 = 3;

/// Writes the bot's answers to `chat_id` into the outbox, in order.
fn queue(tx: &mut Tx, chat_id: i64, outs: &[Out]) -> DeskResult<()> {
    crate::conversation::queue_answers(tx, "telegram", &chat_id.to_string(), outs)
}

/// Fetches a photo or document the citizen sent, within the size limit.
async fn fetch(telegram: &Telegram, incoming: &mut Incoming) -> anyhow::Result<Option<(String, Vec<u8>)>> {
    let Some(remote) = incoming.file.take() else { return Ok(None) };
    if remote.size > telegram.max_file_bytes {
        incoming.input = Input::TooLarge { size: remote.size };
        return Ok(None);
    }
    let file = telegram.bot.get_file(FileId(remote.file_id.clone())).await?;
    let mut bytes = Vec::with_capacity(remote.size.min(telegram.max_file_bytes) as usize);
    telegram.bot.download_file(&file.path, &mut bytes).await?;
    if bytes.len() as u64 > telegram.max_file_bytes {
        incoming.input = Input::TooLarge { size: bytes.len() as u64 };
        return Ok(None);
    }
    let sha256 = crate::domain::report::sha256_hex(&bytes);
    // The type from the bytes, as for mail attachments (what Telegram says is the sender's word).
    let content_type = crate::domain::mail::sniff_type(&bytes, &remote.content_type);
    incoming.input =
        Input::File(FileRef { name: remote.name, content_type, sha256: sha256.clone(), size: bytes.len() as u64 });
    Ok(Some((sha256, bytes)))
}

async fn wants_file(desk: &Desk, incoming: &Incoming) -> anyhow::Result<bool> {
    if !incoming.sender.private {
        return Ok(false);
    }
    let chat = incoming.chat_id;
    let stored = desk.read(move |conn| Ok(db::dialogue_unlocked(conn, chat)?)).await?;
    let dialogue: meja_telegram::Dialogue = stored.and_then(|s| serde_json::from_str(&s).ok()).unwrap_or_default();
    Ok(dialogue.wants_file())
}

/// Handles one update: once, in one transaction, answers queued in the outbox. Returns
/// whether it was new.
pub async fn handle_update(desk: &Desk, telegram: &Telegram, update: &Update) -> anyhow::Result<bool> {
    let update_id = i64::from(update.id.0);
    let Some(mut incoming) = from_update(update) else {
        let d = desk.clone();
        return Ok(d.writer.write(move |tx| Ok(db::first_time(tx.conn, update_id, tx.now.naive_utc())?)).await?);
    };
    let chat = incoming.chat_id;
    // One warning per minute to a flooding chat; the rest is dropped unanswered.
    let Flood { flooding, warn } =
        Flood::check(desk, &telegram.limiter, &telegram.warned, &format!("telegram:{chat}")).await;
    // A file is fetched only when the chat's dialogue is waiting for one; otherwise the
    // dialogue hears that a file came, and nothing is downloaded or stored.
    if incoming.file.is_some() && !flooding && !wants_file(desk, &incoming).await? {
        incoming.file = None;
        incoming.input = Input::Offered;
    }
    let blob = if flooding { None } else { fetch(telegram, &mut incoming).await? };
    let d = desk.clone();
    let public_url = telegram.public_url.clone();
    let sender = incoming.sender.clone();
    let input = incoming.input.clone();
    let new = desk
        .writer
        .write(move |tx| {
            if !db::first_time(tx.conn, update_id, tx.now.naive_utc())? {
                return Ok(false);
            }
            if flooding {
                if warn {
                    queue(tx, chat, &[Out::text(TOO_FAST)])?;
                }
                return Ok(true);
            }
            if let Some((sha256, bytes)) = &blob {
                crate::db::mail::put_blob(tx.conn, sha256, bytes)?;
            }
            let mut port = TxPort { tx, desk: &d, contact: Contact::Telegram { chat }, public_url: &public_url };
            let outs = meja_telegram::handle(&mut port, meja_telegram::Style::TELEGRAM, &sender, input)
                .map_err(|e| DeskError::Internal(e.to_string()))?;
            queue(tx, chat, &outs)?;
            Ok(true)
        })
        .await?;
    if let (Some(id), true) = (&incoming.callback_id, new) {
        // The spinner on the button stops; a used keyboard goes (page turns keep theirs).
        let _ = telegram.bot.answer_callback_query(teloxide::types::CallbackQueryId(id.clone())).await;
        let turning = matches!(&incoming.input, Input::Callback { data } if data.contains("_page:"));
        if let (Some(message), false) = (incoming.callback_message, turning) {
            let _ = telegram.bot.edit_message_reply_markup(ChatId(chat), MessageId(message as i32)).await;
        }
    }
    telegram.wake.notify_one();
    Ok(new)
}

/// One `getUpdates` call and its updates; returns the next offset. Chats are handled side by
/// side (the writer commits their transactions together), each chat's updates in order.
pub async fn poll_once(desk: &Desk, telegram: &Telegram, offset: i32, wait: u32) -> anyhow::Result<i32> {
    let updates = telegram.bot.get_updates().offset(offset).timeout(wait).await?;
    let mut chats: Vec<(Option<i64>, Vec<&Update>)> = Vec::new();
    for update in &updates {
        let chat = from_update(update).map(|i| i.chat_id);
        match chats.iter_mut().find(|(c, _)| c.is_some() && *c == chat) {
            Some((_, list)) => list.push(update),
            None => chats.push((chat, vec![update])),
        }
    }
    // Each chat stops at its first update that could not be handled (the database is down):
    // the offset then stays before it, so Telegram delivers it again.
    let unhandled: Vec<Option<u32>> = futures_util::future::join_all(chats.iter().map(|(_, list)| async move {
        for update in list {
            if !handle_with_retries(desk, telegram, update).await {
                return Some(update.id.0);
            }
        }
        None
    }))
    .await;
    let next = match unhandled.into_iter().flatten().min() {
        Some(first) => first as i32,
        None => updates.iter().map(|u| u.id.0 as i32 + 1).fold(offset, i32::max),
    };
    Ok(next)
}

/// Handles an update, retrying a failure twice before letting it go with an apology; false
/// when even that could not be recorded (the update must come again).
pub async fn handle_with_retries(desk: &Desk, telegram: &Telegram, update: &Update) -> bool {
    for attempt in 1..=MAX_ATTEMPTS {
        match handle_update(desk, telegram, update).await {
            Ok(_) => return true,
            Err(e) => {
                tracing::warn!(update = update.id.0, attempt, error = %e, "telegram update not handled");
                if attempt < MAX_ATTEMPTS {
                    tokio::time::sleep(Duration::from_secs(u64::from(attempt))).await;
                }
            }
        }
    }
    give_up(desk, update).await
}

/// An update that keeps failing is let go with an apology, so it cannot stall the others.
async fn give_up(desk: &Desk, update: &Update) -> bool {
    let update_id = i64::from(update.id.0);
    let chat = from_update(update).map(|i| i.chat_id);
    let result = desk
        .writer
        .write(move |tx| {
            if db::first_time(tx.conn, update_id, tx.now.naive_utc())? {
                if let Some(chat) = chat {
                    queue(tx, chat, &[Out::text(APOLOGY)])?;
                }
            }
            Ok(())
        })
        .await;
    match result {
        Ok(()) => true,
        Err(e) => {
            tracing::error!(error = %e, update = update_id, "telegram update not handled; Telegram will deliver it again");
            false
        }
    }
}

/// Polls until stopped. It starts without an offset: Telegram then delivers every update not
/// yet acknowledged, and those handled before a restart are recognised and skipped.
pub async fn run(desk: Desk, telegram: Arc<Telegram>, mut stop: tokio::sync::watch::Receiver<bool>) {
    // A webhook left from webhook mode would make getUpdates fail.
    if let Err(e) = telegram.bot.delete_webhook().await {
        tracing::warn!(error = %e, "telegram: deleteWebhook failed");
    }
    let mut offset = 0;
    tracing::info!("telegram: polling");
    loop {
        tokio::select! {
            polled = poll_once(&desk, &telegram, offset, LONG_POLL) => match polled {
                Ok(next) => offset = next,
                Err(e) => {
                    tracing::warn!(error = %e, "telegram: getUpdates failed; retrying in 5 s");
                    tokio::select! {
                        _ = tokio::time::sleep(Duration::from_secs(5)) => {}
                        _ = stop.changed() => break,
                    }
                }
            },
            _ = stop.changed() => break,
        }
    }
}

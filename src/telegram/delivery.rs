//! The outbox rows of channel `telegram`: the bot's answers and the ticket notices of
//! requesters who came by Telegram, sent in order per chat, honouring `retry_after`.

use meja_telegram::teloxide;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use meja_telegram::render::{fit, keyboard};
use meja_telegram::Out;
use serde::Serialize;
use serde_json::Value;
use teloxide::payloads::{SendDocumentSetters, SendMessageSetters, SendPhotoSetters};
use teloxide::prelude::Requester;
use teloxide::types::{ChatId, InputFile};
use teloxide::RequestError;

use super::Telegram;
use crate::db::outbox::{self, OutboxRow};
use crate::db::telegram as db;
use crate::db::tickets as tickets_db;
use crate::desk::{Desk, DeskError, DeskResult, Tx};

/// How long a claimed row is reserved for this process.
const LEASE: chrono::Duration = chrono::Duration::minutes(5);
const ATTEMPTS: i32 = 8;
const BATCH: i64 = 200;

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Delivered {
    pub sent: usize,
    pub retrying: usize,
    pub given_up: usize,
    pub skipped: usize,
}

/// What goes to a chat: a text (with buttons), or a file sent with a reply.
enum Message {
    Text(Out),
    File { name: String, content_type: String, bytes: Vec<u8>, caption: String },
}

/// What a row becomes on Telegram; `None` for notices the chat does not get.
fn compose(tx: &mut Tx, row: &OutboxRow) -> DeskResult<Option<Message>> {
    let payload: Value = serde_json::from_str(&row.payload).unwrap_or_default();
    if row.template == "bot_message" {
        return Ok(serde_json::from_value(payload).ok().map(Message::Text));
    }
    if row.template == "reply_file" {
        let file = &payload["file"];
        let (Some(name), Some(sha256)) = (file["file_name"].as_str(), file["sha256"].as_str()) else {
            return Ok(None);
        };
        let Some(bytes) = crate::db::mail::blob(tx.conn, sha256)? else { return Ok(None) };
        return Ok(Some(Message::File {
            name: name.to_string(),
            content_type: file["content_type"].as_str().unwrap_or_default().to_string(),
            bytes,
            caption: format!("Lampiran · {}", payload["number"].as_str().unwrap_or_default()),
        }));
    }
    // The dialogue itself confirms a report with its number.
    if row.template == "ticket_received" {
        return Ok(None);
    }
    let Some(ticket) = (match &row.ticket_id {
        Some(id) => tickets_db::by_id(tx.conn, id)?,
        None => None,
    }) else {
        return Ok(None);
    };
    let message = match payload["message_id"].as_str() {
        Some(id) => tickets_db::message_by_id(tx.conn, id)?.map(|m| m.body),
        None => None,
    };
    Ok(meja_telegram::texts::notice(&row.template, &payload, &ticket.number, &ticket.title, message.as_deref())
        .map(Message::Text))
}

enum Outcome {
    Sent(i64),
    Retry(Duration, String),
    /// Not tried: behind an earlier message of the same chat.
    Held(Duration),
    GiveUp(String),
}

/// Sends what is due, in order per chat. A 429 keeps its chat's later messages for the next
/// pass after `retry_after`; other chats go on.
pub async fn deliver_due(desk: &Desk, telegram: &Telegram) -> DeskResult<Delivered> {
    let claimed = desk
        .writer
        .write(|tx| {
            let now = tx.now.naive_utc();
            let rows = outbox::claim(tx.conn, "telegram", now, now + LEASE, BATCH)?;
            // A chat whose older message waits for a retry gets nothing newer before it.
            let claimed: HashSet<&str> = rows.iter().map(|r| r.id.as_str()).collect();
            let mut recipients: Vec<String> = rows.iter().map(|r| r.recipient.clone()).collect();
            recipients.sort();
            recipients.dedup();
            let waiting: Vec<(String, String, chrono::NaiveDateTime)> =
                outbox::undelivered_to(tx.conn, "telegram", &recipients)?
                    .into_iter()
                    .filter(|(_, id, _)| !claimed.contains(id.as_str()))
                    .collect();
            let mut out = Vec::with_capacity(rows.len());
            let mut skipped = 0;
            for row in &rows {
                let blocker = waiting
                    .iter()
                    .filter(|(to, id, _)| *to == row.recipient && *id < row.id)
                    .map(|(_, _, at)| *at)
                    .max();
                if let Some(until) = blocker {
                    outbox::hold(tx.conn, &row.id, until.max(now) + chrono::Duration::seconds(1))?;
                    continue;
                }
                match compose(tx, row)? {
                    Some(message) => out.push((row.clone(), message)),
                    None => {
                        let payload = crate::email::outbound::scrubbed(&row.payload);
                        outbox::mark_delivered(tx.conn, &row.id, now, &payload, Some("not sent on Telegram"))?;
                        skipped += 1;
                    }
                }
            }
            Ok((out, skipped))
        })
        .await?;
    let (rows, skipped) = claimed;
    let mut report = Delivered { skipped, ..Delivered::default() };
    if rows.is_empty() {
        return Ok(report);
    }
    let mut held: HashMap<String, Duration> = HashMap::new();
    // Each outcome is recorded as soon as Telegram answered (queued to the writer while the
    // next message goes out), so a crash resends at most the message in flight, not the batch.
    let mut recorded = Vec::with_capacity(rows.len());
    for (row, message) in rows {
        let outcome = match held.get(&row.recipient) {
            Some(wait) => Outcome::Held(*wait),
            None => send(telegram, &row, &message).await,
        };
        if let Outcome::Retry(wait, _) | Outcome::Held(wait) = &outcome {
            held.insert(row.recipient.clone(), *wait);
        }
        match &outcome {
            Outcome::Sent(_) => report.sent += 1,
            Outcome::Retry(..) | Outcome::Held(_) => report.retrying += 1,
            Outcome::GiveUp(_) => report.given_up += 1,
        }
        recorded.push(desk.writer.enqueue(move |tx| record(tx, row, outcome))?);
    }
    for done in recorded {
        done.await.map_err(|_| DeskError::Unavailable("the delivery record was not committed".into()))??;
    }
    Ok(report)
}

/// Telegram shows JPEG and PNG up to 10 MB as photos; everything else goes as a document.
const PHOTO_LIMIT: usize = 10 * 1024 * 1024;

async fn send(telegram: &Telegram, row: &OutboxRow, message: &Message) -> Outcome {
    let Ok(chat) = row.recipient.parse::<i64>() else {
        return Outcome::GiveUp(format!("not a chat id: {}", row.recipient));
    };
    let sent = match message {
        Message::Text(out) => {
            let mut request = telegram.bot.send_message(ChatId(chat), fit(&out.text));
            if let Some(markup) = keyboard(out) {
                request = request.reply_markup(markup);
            }
            request.await
        }
        Message::File { name, content_type, bytes, caption } => {
            let document = || InputFile::memory(bytes.clone()).file_name(name.clone());
            if matches!(content_type.as_str(), "image/jpeg" | "image/png") && bytes.len() <= PHOTO_LIMIT {
                match telegram.bot.send_photo(ChatId(chat), document()).caption(caption.clone()).await {
                    // Telegram refuses some pictures as photos (odd sizes): as a document they go.
                    Err(RequestError::Api(_)) => {
                        telegram.bot.send_document(ChatId(chat), document()).caption(caption.clone()).await
                    }
                    other => other,
                }
            } else {
                telegram.bot.send_document(ChatId(chat), document()).caption(caption.clone()).await
            }
        }
    };
    match sent {
        Ok(sent) => Outcome::Sent(i64::from(sent.id.0)),
        Err(RequestError::RetryAfter(seconds)) => Outcome::Retry(seconds.duration(), "429: retry after".into()),
        // Telegram refused the message itself (a 4xx): sending it again cannot help.
        Err(RequestError::Api(e)) => Outcome::GiveUp(format!("telegram: {e}")),
        Err(e) if row.attempts >= ATTEMPTS => Outcome::GiveUp(format!("telegram: {e}")),
        Err(e) => {
            Outcome::Retry(Duration::from_secs(30 * u64::from(row.attempts.max(1) as u32)), format!("telegram: {e}"))
        }
    }
}

fn record(tx: &mut Tx, row: OutboxRow, outcome: Outcome) -> DeskResult<()> {
    let now = tx.now.naive_utc();
    match outcome {
        Outcome::Sent(message_id) => {
            outbox::mark_delivered(tx.conn, &row.id, now, &row.payload, None)?;
            if let (Some(ticket), Ok(chat)) = (&row.ticket_id, row.recipient.parse::<i64>()) {
                db::record_message(tx.conn, chat, message_id, ticket, now)?;
            }
        }
        Outcome::Retry(wait, why) => {
            let at = now + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::seconds(30));
            outbox::mark_failed(tx.conn, &row.id, &why, at)?;
        }
        Outcome::Held(wait) => {
            let at = now + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::seconds(30));
            outbox::hold(tx.conn, &row.id, at)?;
        }
        Outcome::GiveUp(why) => {
            outbox::give_up(tx.conn, &row.id, &why, now + chrono::Duration::days(36500), &row.payload)?;
        }
    }
    Ok(())
}

/// Delivers whenever an update queued answers, and every two seconds for notices.
pub async fn run(desk: Desk, telegram: Arc<Telegram>, mut stop: tokio::sync::watch::Receiver<bool>) {
    loop {
        match deliver_due(&desk, &telegram).await {
            Ok(r) if r.sent + r.retrying + r.given_up + r.skipped > 0 => {
                tracing::debug!(sent = r.sent, retrying = r.retrying, given_up = r.given_up, "telegram delivery");
                continue;
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "telegram delivery failed; retrying"),
        }
        tokio::select! {
            _ = telegram.wake.notified() => {}
            _ = tokio::time::sleep(Duration::from_secs(2)) => {}
            _ = stop.changed() => break,
        }
    }
}

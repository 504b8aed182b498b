//! The outbox rows of channel `telegram`: the bot's answers and the ticket notices of
//! requesters who came by Telegram, sent by the shared dispatcher in order per chat,
//! honouring `retry_after`.

use meja_telegram::teloxide;
use std::sync::Arc;
use std::time::Duration;

use meja_telegram::render::{fit, keyboard};
use meja_telegram::Out;
use serde_json::Value;
use teloxide::payloads::{SendDocumentSetters, SendMessageSetters, SendPhotoSetters};
use teloxide::prelude::Requester;
use teloxide::types::{ChatId, InputFile};
use teloxide::RequestError;

use super::Telegram;
use crate::db::outbox::OutboxRow;
use crate::db::telegram as db;
use crate::db::tickets as tickets_db;
use crate::delivery::{self, Attempt, Composed, Delivered, Retry, Settled};
use crate::desk::{Desk, DeskResult, Tx};

/// What goes to a chat: a text (with buttons), or a file sent with a reply.
pub enum Message {
    Text(Out),
    File { name: String, content_type: String, bytes: Vec<u8>, caption: String },
}

/// What a row becomes on Telegram; `None` for notices the chat does not get.
fn message_of(tx: &mut Tx, row: &OutboxRow) -> DeskResult<Option<Message>> {
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
    // The requester's own notices speak its language; staff and groups hear Bahasa Indonesia.
    let requester = crate::db::catalog::requester_by_id(tx.conn, &ticket.requester_id)?;
    let own = requester.filter(|r| r.telegram_id.as_deref() == Some(row.recipient.as_str()));
    let lang = crate::conversation::language_of(own.as_ref());
    Ok(meja_telegram::texts::notice_in(
        lang,
        &row.template,
        &payload,
        &ticket.number,
        &ticket.title,
        message.as_deref(),
    )
    .map(Message::Text))
}

impl delivery::Channel for Telegram {
    type Message = Message;
    type Composer = ();
    const NAME: &'static str = "telegram";
    const LEASE: chrono::Duration = chrono::Duration::minutes(5);
    const BATCH: i64 = 200;
    /// Telegram allows about 30 messages a second to different chats.
    const PARALLEL: usize = 8;
    const IN_ORDER: bool = true;
    const HOLD: Duration = Duration::from_secs(30);

    fn backoff(attempt: usize) -> Option<Duration> {
        delivery::chat_backoff(attempt)
    }

    fn composer(&self) {}

    fn compose(_: &(), tx: &mut Tx, row: &OutboxRow) -> DeskResult<Composed<Message>> {
        Ok(match message_of(tx, row)? {
            Some(message) => Composed::Send(message),
            None => Composed::Skip("not sent on Telegram".into()),
        })
    }

    async fn send(&self, row: &OutboxRow, message: &Message) -> Attempt {
        send(self, row, message).await
    }

    fn final_payload(row: &OutboxRow) -> String {
        crate::email::outbound::scrubbed(&row.payload)
    }

    fn recorded(tx: &mut Tx, row: &OutboxRow, _: Message, attempt: &Attempt, settled: &Settled) -> DeskResult<()> {
        // The chat's reply to a notice lands on the notice's ticket.
        if let (Settled::Delivered, Ok(Some(id))) = (settled, &attempt.result) {
            if let (Some(ticket), Ok(chat), Ok(message)) = (&row.ticket_id, row.recipient.parse(), id.parse()) {
                db::record_message(tx.conn, chat, message, ticket, tx.now.naive_utc())?;
            }
        }
        Ok(())
    }
}

/// One pass: what is due, in order per chat. A 429 keeps its chat's later messages for the
/// next pass after `retry_after`; other chats go on.
pub async fn deliver_due(desk: &Desk, telegram: &Telegram) -> DeskResult<Delivered> {
    delivery::deliver_due(desk, telegram).await
}

/// Telegram shows JPEG and PNG up to 10 MB as photos; everything else goes as a document.
const PHOTO_LIMIT: usize = 10 * 1024 * 1024;

async fn send(telegram: &Telegram, row: &OutboxRow, message: &Message) -> Attempt {
    let Ok(chat) = row.recipient.parse::<i64>() else {
        return Attempt::failed(format!("not a chat id: {}", row.recipient), Retry::Never);
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
        Ok(sent) => Attempt::sent(Some(sent.id.0.to_string())),
        Err(RequestError::RetryAfter(seconds)) => Attempt::failed("429: retry after", Retry::After(seconds.duration())),
        // Telegram refused the message itself (a 4xx): sending it again cannot help.
        Err(RequestError::Api(e)) => Attempt::failed(format!("telegram: {e}"), Retry::Never),
        Err(e) => Attempt::failed(format!("telegram: {e}"), Retry::Backoff),
    }
}

/// Delivers whenever an update queued answers, and every two seconds for notices.
pub async fn run(desk: Desk, telegram: Arc<Telegram>, stop: tokio::sync::watch::Receiver<bool>) {
    let wake = telegram.wake.clone();
    delivery::run(desk, telegram, Some(wake), None, stop).await
}

//! The desk side of the shared conversation (`meja-conversation`): one [`port::TxPort`] for
//! every chat channel, told apart only by the [`Contact`] whose message is handled — where its
//! state is kept, which requester it is, which of the desk's messages it can answer.

pub mod port;

use meja_conversation::{Dialogue, Lang, Out};

use crate::db::catalog::RequesterRow;
use crate::db::outbox::{self, OutboxRow};
use crate::db::tickets::TicketRow;
use crate::db::{telegram as telegram_db, whatsapp as whatsapp_db, DbConn};
use crate::desk::throttle::RateLimiter;
use crate::desk::{Desk, DeskError, DeskResult, Tx};
use crate::domain::ticket::Channel;

/// Said to a contact whose message could not be handled after retries (it is let go).
pub const APOLOGY: &str = "Maaf, pesan Anda tidak dapat kami proses saat ini. Silakan coba lagi beberapa saat lagi.";
/// Said once a minute to a contact that writes too fast.
pub const TOO_FAST: &str = "Pesan Anda terlalu cepat. Tunggu sebentar lalu coba lagi.";

/// Writes the conversation's answers to `recipient` on `channel` into the outbox, in order.
pub fn queue_answers(tx: &mut Tx, channel: &str, recipient: &str, outs: &[Out]) -> DeskResult<()> {
    let now = tx.now.naive_utc();
    for out in outs {
        let ticket = match &out.ticket {
            Some(number) => crate::db::tickets::by_number(tx.conn, number)?.map(|t| t.id),
            None => None,
        };
        let payload = serde_json::to_value(out).map_err(|e| DeskError::Internal(e.to_string()))?;
        // Written one by one: the ids are time-ordered, which keeps the answers in order.
        outbox::insert(tx.conn, &OutboxRow::new(now, ticket.as_deref(), channel, recipient, "bot_message", &payload))?;
    }
    Ok(())
}

/// Whether a contact writes too fast: then one warning a minute, the rest recorded unanswered.
#[derive(Debug, Clone, Copy)]
pub struct Flood {
    pub flooding: bool,
    pub warn: bool,
}

impl Flood {
    /// Counts one message of `key` (shared by every process) and says what to do with it.
    pub async fn check(desk: &Desk, limiter: &RateLimiter, warned: &RateLimiter, key: &str) -> Flood {
        let flooding = limiter.blocked_for(desk, key).await.is_some();
        limiter.hit(desk, key).await;
        let warn = flooding && warned.blocked_for(desk, key).await.is_none();
        if warn {
            warned.hit(desk, key).await;
        }
        Flood { flooding, warn }
    }
}

/// The language of a requester's own notices (`None`: not the requester's chat).
pub fn language_of(requester: Option<&RequesterRow>) -> Lang {
    match requester.and_then(|r| r.language.as_deref()) {
        Some("en") => Lang::En,
        _ => Lang::Id,
    }
}

/// A requester record that is a telephone number and nothing else (made by WhatsApp or by
/// staff on the phone): the only kind a WhatsApp contact is, or is told about. A number typed
/// next to an address on the portal may be anybody's.
pub fn phone_only(requester: &RequesterRow) -> bool {
    requester.email.is_none() && requester.telegram_id.is_none() && requester.user_id.is_none()
}

/// Who is talking to the desk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Contact {
    /// A Telegram chat (private, or a unit's group).
    Telegram { chat: i64 },
    /// A WhatsApp contact: Meta's `wa_id` and the E.164 number it stands for.
    WhatsApp { wa_id: String, phone: String },
}

impl Contact {
    pub fn channel(&self) -> Channel {
        match self {
            Contact::Telegram { .. } => Channel::Telegram,
            Contact::WhatsApp { .. } => Channel::WhatsApp,
        }
    }

    /// Whether a requester record is this contact's own.
    pub fn owns(&self, requester: &RequesterRow) -> bool {
        match self {
            Contact::Telegram { chat } => requester.telegram_id.as_deref() == Some(chat.to_string().as_str()),
            Contact::WhatsApp { phone, .. } => {
                phone_only(requester)
                    && requester.phone.as_deref().and_then(crate::domain::phone::e164).as_deref()
                        == Some(phone.as_str())
            }
        }
    }

    /// The stored state of the conversation, locked for this transaction; a state written by an
    /// older version that no longer parses starts over.
    pub fn dialogue(&self, conn: &mut DbConn) -> diesel::QueryResult<Dialogue> {
        let stored = match self {
            Contact::Telegram { chat } => telegram_db::dialogue(conn, *chat)?,
            Contact::WhatsApp { wa_id, .. } => whatsapp_db::contact_for_update(conn, wa_id)?.map(|c| c.dialogue),
        };
        Ok(stored.and_then(|s| serde_json::from_str(&s).ok()).unwrap_or_default())
    }

    pub fn save_dialogue(
        &self,
        conn: &mut DbConn,
        dialogue: &str,
        at: chrono::NaiveDateTime,
    ) -> diesel::QueryResult<()> {
        match self {
            Contact::Telegram { chat } => telegram_db::save_dialogue(conn, *chat, dialogue, at),
            Contact::WhatsApp { wa_id, .. } => whatsapp_db::save_dialogue(conn, wa_id, dialogue, at),
        }
    }

    /// The contact's own tickets, newest first.
    pub fn tickets(&self, conn: &mut DbConn, limit: i64) -> diesel::QueryResult<Vec<TicketRow>> {
        match self {
            Contact::Telegram { chat } => telegram_db::tickets_of_chat(conn, *chat, limit),
            Contact::WhatsApp { phone, .. } => {
                whatsapp_db::tickets_of_phone(conn, &crate::domain::phone::stored_forms(phone), limit)
            }
        }
    }

    /// The ticket id a message the desk sent to this contact was about.
    pub fn ticket_of_message(&self, conn: &mut DbConn, message: &str) -> diesel::QueryResult<Option<String>> {
        match self {
            Contact::Telegram { chat } => match message.parse::<i64>() {
                Ok(id) => telegram_db::ticket_of_message(conn, *chat, id),
                Err(_) => Ok(None),
            },
            Contact::WhatsApp { wa_id, .. } => whatsapp_db::ticket_of_message(conn, wa_id, message),
        }
    }
}

//! What arrives from Telegram, reduced to what the shared conversation understands.

use teloxide::types::{Message, Update, UpdateKind};

use crate::{Input, Lang, Sender};

/// English for people whose Telegram speaks English; Bahasa Indonesia for everybody else.
fn lang_of(user: Option<&teloxide::types::User>) -> Lang {
    match user.and_then(|u| u.language_code.as_deref()) {
        Some(code) if code.starts_with("en") => Lang::En,
        _ => Lang::Id,
    }
}

/// A file still on Telegram's servers: the runner fetches it before the dialogue sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteFile {
    pub file_id: String,
    pub name: String,
    pub content_type: String,
    pub size: u64,
}

/// One update as the runner handles it.
#[derive(Debug, Clone)]
pub struct Incoming {
    pub update_id: i64,
    /// The chat, as Telegram numbers it (`sender.chat` is the same as text).
    pub chat_id: i64,
    pub sender: Sender,
    pub input: Input,
    /// A photo or document to fetch first (then `input` becomes [`Input::File`]).
    pub file: Option<RemoteFile>,
    /// The callback query to answer, for button presses.
    pub callback_id: Option<String>,
    /// The message a pressed button belongs to (its keyboard is removed once used).
    pub callback_message: Option<i64>,
}

fn sender_of(message: &Message) -> Sender {
    let user = message.from.as_ref();
    Sender {
        chat: message.chat.id.0.to_string(),
        private: message.chat.is_private(),
        name: user.map_or_else(|| "Pengguna Telegram".to_string(), |u| u.full_name()),
        lang: lang_of(user),
    }
}

fn parse_command(text: &str) -> Option<(String, String)> {
    let rest = text.strip_prefix('/')?;
    let (head, args) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
    let name = head.split('@').next().unwrap_or("").to_lowercase();
    (!name.is_empty()).then(|| (name, args.trim().to_string()))
}

fn message_input(message: &Message) -> (Input, Option<RemoteFile>) {
    if let Some(text) = message.text() {
        let reply_to = message.reply_to_message().map(|m| m.id.0.to_string());
        if let Some((name, args)) = parse_command(text) {
            return (Input::Command { name, args, reply_to }, None);
        }
        return (Input::Text { text: text.to_string(), reply_to }, None);
    }
    if let Some(document) = message.document() {
        let file = RemoteFile {
            file_id: document.file.id.0.clone(),
            name: document.file_name.clone().unwrap_or_else(|| "dokumen".into()),
            content_type: document.mime_type.as_ref().map_or("application/octet-stream".into(), |m| m.to_string()),
            size: u64::from(document.file.size),
        };
        return (Input::TooLarge { size: file.size }, Some(file));
    }
    if let Some(photo) = message.photo().and_then(|sizes| sizes.iter().max_by_key(|p| p.width * p.height)) {
        let file = RemoteFile {
            file_id: photo.file.id.0.clone(),
            name: "foto.jpg".into(),
            content_type: "image/jpeg".into(),
            size: u64::from(photo.file.size),
        };
        return (Input::TooLarge { size: file.size }, Some(file));
    }
    if let Some(place) = message.location() {
        let reply_to = message.reply_to_message().map(|m| m.id.0.to_string());
        let text = crate::texts::location(place.latitude, place.longitude, None, None);
        return (Input::Location { text, reply_to }, None);
    }
    let what = if message.sticker().is_some() {
        "stiker"
    } else if message.voice().is_some() || message.audio().is_some() {
        "pesan suara"
    } else if message.video().is_some() || message.video_note().is_some() {
        "video"
    } else if message.contact().is_some() {
        "kontak"
    } else {
        "pesan ini"
    };
    (Input::Unsupported(what), None)
}

/// The update as the dialogue sees it; `None` for what the desk ignores (channel posts,
/// reactions, other bots' traffic).
pub fn from_update(update: &Update) -> Option<Incoming> {
    let update_id = i64::from(update.id.0);
    match &update.kind {
        UpdateKind::Message(message) => {
            if message.from.as_ref().is_some_and(|u| u.is_bot) {
                return None;
            }
            let (input, file) = message_input(message);
            Some(Incoming {
                update_id,
                chat_id: message.chat.id.0,
                sender: sender_of(message),
                input,
                file,
                callback_id: None,
                callback_message: None,
            })
        }
        UpdateKind::EditedMessage(message) => Some(Incoming {
            update_id,
            chat_id: message.chat.id.0,
            sender: sender_of(message),
            input: Input::Edited,
            file: None,
            callback_id: None,
            callback_message: None,
        }),
        UpdateKind::CallbackQuery(query) => {
            let message = query.message.as_ref()?;
            let chat = message.chat();
            Some(Incoming {
                update_id,
                chat_id: chat.id.0,
                sender: Sender {
                    chat: chat.id.0.to_string(),
                    private: chat.is_private(),
                    name: query.from.full_name(),
                    lang: lang_of(Some(&query.from)),
                },
                input: Input::Callback { data: query.data.clone().unwrap_or_default() },
                file: None,
                callback_id: Some(query.id.0.clone()),
                callback_message: Some(i64::from(message.id().0)),
            })
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::parse_command;

    #[test]
    fn commands_lose_the_bot_name() {
        assert_eq!(parse_command("/status@mejabot SD-2026-000001"), Some(("status".into(), "SD-2026-000001".into())));
        assert_eq!(parse_command("/LAPOR"), Some(("lapor".into(), String::new())));
        assert_eq!(parse_command("/"), None);
        assert_eq!(parse_command("halo"), None);
    }
}

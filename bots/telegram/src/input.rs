//! What arrives from Telegram, reduced to what the dialogue understands.

use teloxide::types::{Message, Update, UpdateKind};

use crate::FileRef;

/// Who wrote, in which chat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sender {
    pub chat_id: i64,
    pub private: bool,
    pub user_id: i64,
    pub name: String,
}

/// One thing a chat said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// `/lapor`, `/status SD-2026-000042` (the `@botname` suffix removed), and the message it
    /// answers if it is a reply.
    Command { name: String, args: String, reply_to: Option<i64> },
    /// Text, and the message it answers if it is a reply.
    Text { text: String, reply_to: Option<i64> },
    /// An inline button was pressed.
    Callback { data: String },
    /// A photo or document, stored by the desk.
    File(FileRef),
    /// A file over the size the desk accepts.
    TooLarge { size: u64 },
    /// A photo or document sent when the dialogue was not asking for one (not fetched).
    Offered,
    /// An edited message: not processed again.
    Edited,
    /// Stickers, locations, voice… what the desk cannot take.
    Unsupported(&'static str),
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
        chat_id: message.chat.id.0,
        private: message.chat.is_private(),
        user_id: user.map_or(message.chat.id.0, |u| u.id.0 as i64),
        name: user.map_or_else(|| "Pengguna Telegram".to_string(), |u| u.full_name()),
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
        let reply_to = message.reply_to_message().map(|m| i64::from(m.id.0));
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
    let what = if message.sticker().is_some() {
        "stiker"
    } else if message.location().is_some() {
        "lokasi"
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
                sender: sender_of(message),
                input,
                file,
                callback_id: None,
                callback_message: None,
            })
        }
        UpdateKind::EditedMessage(message) => Some(Incoming {
            update_id,
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
                sender: Sender {
                    chat_id: chat.id.0,
                    private: chat.is_private(),
                    user_id: query.from.id.0 as i64,
                    name: query.from.full_name(),
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

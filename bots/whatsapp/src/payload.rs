//! Meta's webhook payloads (`entry[].changes[].value`) turned into what the desk handles:
//! messages as the conversation's [`Input`] with what the channel itself must do (fetch a
//! file, BERHENTI, a changed number), and the status callbacks of sent messages. Each message
//! is read on its own, so one odd message never loses the others of its payload.

use serde::Deserialize;
use serde_json::Value;

use crate::{Input, Lang, Sender};

#[derive(Debug, Deserialize)]
struct Notification {
    #[serde(default)]
    entry: Vec<Entry>,
}

#[derive(Debug, Deserialize)]
struct Entry {
    #[serde(default)]
    changes: Vec<Change>,
}

#[derive(Debug, Deserialize)]
struct Change {
    #[serde(default)]
    field: String,
    #[serde(default)]
    value: ChangeValue,
}

#[derive(Debug, Default, Deserialize)]
struct ChangeValue {
    #[serde(default)]
    contacts: Vec<ContactInfo>,
    #[serde(default)]
    messages: Vec<Value>,
    #[serde(default)]
    statuses: Vec<Value>,
}

#[derive(Debug, Deserialize)]
struct ContactInfo {
    #[serde(default)]
    wa_id: String,
    #[serde(default)]
    profile: Profile,
}

#[derive(Debug, Default, Deserialize)]
struct Profile {
    #[serde(default)]
    name: String,
}

/// A photo, document or voice note still on Meta's servers: fetched by id before the
/// conversation sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Media {
    pub id: String,
    pub name: String,
    pub mime_type: String,
    /// What Meta says the file weighs, when it says (not in every payload).
    pub size: Option<u64>,
}

/// What the channel does itself, before (or instead of) the conversation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Special {
    /// BERHENTI: no more messages except answers to the contact's own new reports.
    Stop,
    /// MULAI: messages again.
    Resume,
    /// Meta's `system` message: the person moved to a new WhatsApp number.
    ChangedNumber { new_wa_id: String },
    /// Reactions and the like: recorded, not answered.
    Ignore(&'static str),
}

/// One message from a contact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Incoming {
    /// Meta's message id (`wamid…`): the same id never makes two messages.
    pub id: String,
    pub wa_id: String,
    pub sender: Sender,
    /// Seconds since the epoch, as Meta stamped it.
    pub timestamp: i64,
    pub input: Input,
    /// A file to fetch first (then `input` becomes [`Input::File`] or [`Input::TooLarge`]).
    pub media: Option<Media>,
    pub special: Option<Special>,
    /// The message type as Meta named it (for logs).
    pub kind: String,
}

/// A status callback for a message the desk sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    pub id: String,
    /// `sent`, `delivered`, `read` or `failed`.
    pub status: String,
    pub recipient: String,
    pub timestamp: i64,
    pub error_code: Option<i64>,
    pub error_title: Option<String>,
}

/// Everything one webhook POST carried.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Events {
    pub messages: Vec<Incoming>,
    pub statuses: Vec<Status>,
    /// Messages that could not be read at all (no id or sender): logged by the desk.
    pub unreadable: usize,
}

/// Reads a webhook body. An error only when the body is not a notification at all.
pub fn parse(body: &[u8]) -> Result<Events, serde_json::Error> {
    let notification: Notification = serde_json::from_slice(body)?;
    let mut events = Events::default();
    for change in notification.entry.into_iter().flat_map(|e| e.changes) {
        if change.field != "messages" {
            continue;
        }
        let names: Vec<(String, String)> =
            change.value.contacts.into_iter().map(|c| (c.wa_id, c.profile.name)).collect();
        for message in &change.value.messages {
            match incoming(message, &names) {
                Some(m) => events.messages.push(m),
                None => events.unreadable += 1,
            }
        }
        for status in &change.value.statuses {
            match status_of(status) {
                Some(s) => events.statuses.push(s),
                None => events.unreadable += 1,
            }
        }
    }
    Ok(events)
}

fn text_of(v: &Value) -> Option<String> {
    v.as_str().map(str::to_string)
}

fn timestamp(v: &Value) -> i64 {
    v.as_str().and_then(|s| s.parse().ok()).or_else(|| v.as_i64()).unwrap_or(0)
}

fn status_of(v: &Value) -> Option<Status> {
    let error = v["errors"].as_array().and_then(|e| e.first());
    Some(Status {
        id: text_of(&v["id"])?,
        status: text_of(&v["status"])?,
        recipient: text_of(&v["recipient_id"]).unwrap_or_default(),
        timestamp: timestamp(&v["timestamp"]),
        error_code: error.and_then(|e| e["code"].as_i64()),
        error_title: error.and_then(|e| text_of(&e["title"]).or_else(|| text_of(&e["message"]))),
    })
}

/// What a typed word means on WhatsApp, where there are no `/commands`.
fn typed(text: &str, reply_to: Option<String>) -> (Input, Option<Special>) {
    let words = text.trim().to_lowercase();
    let command = |name: &str, args: &str| Input::Command { name: name.into(), args: args.into(), reply_to: None };
    let (head, rest) = words.split_once(char::is_whitespace).unwrap_or((words.as_str(), ""));
    match (head, rest.trim()) {
        ("berhenti" | "stop", "") => (command("berhenti", ""), Some(Special::Stop)),
        ("mulai", "") => (command("bantuan", ""), Some(Special::Resume)),
        ("lapor", "") => (command("lapor", ""), None),
        ("batal", "") => (command("batal", ""), None),
        ("bantuan" | "help" | "menu" | "?", "") => (command("bantuan", ""), None),
        ("report", "") => (command("lapor", ""), None),
        ("cancel", "") => (command("batal", ""), None),
        ("tiketku", "") | ("tiket", "saya") | ("my", "tickets") => (command("tiketku", ""), None),
        ("status", number) => (command("status", number), None),
        _ => (Input::Text { text: text.to_string(), reply_to }, None),
    }
}

fn incoming(m: &Value, names: &[(String, String)]) -> Option<Incoming> {
    let id = text_of(&m["id"])?;
    let wa_id = text_of(&m["from"])?;
    let name = names
        .iter()
        .find(|(w, _)| *w == wa_id)
        .map(|(_, n)| n.clone())
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| "Pengguna WhatsApp".to_string());
    let kind = text_of(&m["type"]).unwrap_or_default();
    let reply_to = text_of(&m["context"]["id"]);
    let mut media = None;
    let mut special = None;
    let file = |part: &Value, default_name: &str| Media {
        id: text_of(&part["id"]).unwrap_or_default(),
        name: text_of(&part["filename"]).filter(|n| !n.trim().is_empty()).unwrap_or_else(|| default_name.to_string()),
        mime_type: text_of(&part["mime_type"]).unwrap_or_else(|| "application/octet-stream".into()),
        size: part["file_size"].as_u64(),
    };
    let input = match kind.as_str() {
        "text" => {
            let (input, s) = typed(m["text"]["body"].as_str().unwrap_or(""), reply_to);
            special = s;
            input
        }
        "interactive" => {
            let reply = &m["interactive"];
            let picked = text_of(&reply["button_reply"]["id"]).or_else(|| text_of(&reply["list_reply"]["id"]));
            Input::Callback { data: picked.unwrap_or_default() }
        }
        // A quick-reply button of a template message.
        "button" => Input::Callback { data: text_of(&m["button"]["payload"]).unwrap_or_default() },
        "image" => {
            media = Some(file(&m["image"], "foto.jpg"));
            Input::Offered
        }
        "document" => {
            media = Some(file(&m["document"], "dokumen"));
            Input::Offered
        }
        "audio" => {
            let voice = m["audio"]["voice"].as_bool().unwrap_or(false);
            media = Some(file(&m["audio"], if voice { "pesan-suara.ogg" } else { "audio" }));
            Input::Offered
        }
        "location" => {
            let place = &m["location"];
            let text = crate::texts::location(
                place["latitude"].as_f64().unwrap_or(0.0),
                place["longitude"].as_f64().unwrap_or(0.0),
                place["name"].as_str(),
                place["address"].as_str(),
            );
            Input::Location { text, reply_to }
        }
        "system" => {
            let system = &m["system"];
            let moved = text_of(&system["new_wa_id"]).or_else(|| text_of(&system["wa_id"]));
            match (system["type"].as_str(), moved) {
                (Some("user_changed_number" | "customer_changed_number"), Some(new_wa_id)) => {
                    special = Some(Special::ChangedNumber { new_wa_id });
                }
                _ => special = Some(Special::Ignore("system")),
            }
            Input::Edited
        }
        "reaction" => {
            special = Some(Special::Ignore("reaction"));
            Input::Unsupported("reaksi")
        }
        "sticker" => Input::Unsupported("stiker"),
        "contacts" => Input::Unsupported("kontak"),
        "video" => Input::Unsupported("video"),
        _ => Input::Unsupported("pesan ini"),
    };
    Some(Incoming {
        id,
        // WhatsApp says nothing of a person's language: Indonesian numbers hear Bahasa
        // Indonesia, numbers from abroad English.
        sender: Sender {
            chat: wa_id.clone(),
            private: true,
            name,
            lang: if wa_id.starts_with("62") { Lang::Id } else { Lang::En },
        },
        wa_id,
        timestamp: timestamp(&m["timestamp"]),
        input,
        media,
        special,
        kind,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn notification(value: Value) -> Vec<u8> {
        serde_json::to_vec(&json!({
            "object": "whatsapp_business_account",
            "entry": [{ "id": "WABA", "changes": [{ "field": "messages", "value": value }] }]
        }))
        .expect("json")
    }

    #[test]
    fn messages_commands_files_and_statuses() {
        let body = notification(json!({
            "messaging_product": "whatsapp",
            "metadata": { "display_phone_number": "6281100000000", "phone_number_id": "PNID" },
            "contacts": [{ "profile": { "name": "Siti" }, "wa_id": "6281234567890" }],
            "messages": [
                { "from": "6281234567890", "id": "wamid.1", "timestamp": "1700000000", "type": "text", "text": { "body": "Status sd-2026-000042" } },
                { "from": "6281234567890", "id": "wamid.2", "timestamp": "1700000001", "type": "text", "text": { "body": "Sudah saya coba" }, "context": { "from": "6281100000000", "id": "wamid.OUT" } },
                { "from": "6281234567890", "id": "wamid.3", "timestamp": "1700000002", "type": "interactive", "interactive": { "type": "list_reply", "list_reply": { "id": "unit:DINKES", "title": "Dinas Kesehatan" } } },
                { "from": "6281234567890", "id": "wamid.4", "timestamp": "1700000003", "type": "audio", "audio": { "id": "MEDIA4", "mime_type": "audio/ogg; codecs=opus", "voice": true } },
                { "from": "6281234567890", "id": "wamid.5", "timestamp": "1700000004", "type": "text", "text": { "body": "BERHENTI" } },
                { "from": "6281234567890", "id": "wamid.6", "timestamp": "1700000005", "type": "reaction", "reaction": { "message_id": "wamid.OUT", "emoji": "👍" } },
                { "from": "6281234567890", "id": "wamid.7", "timestamp": "1700000006", "type": "system", "system": { "body": "Siti changed from 6281234567890 to 6289999999999", "new_wa_id": "6289999999999", "type": "user_changed_number" } },
                { "id": "wamid.broken" }
            ],
            "statuses": [{ "id": "wamid.OUT", "status": "failed", "timestamp": "1700000009", "recipient_id": "6281234567890",
                           "errors": [{ "code": 131047, "title": "Re-engagement message" }] }]
        }));
        let events = parse(&body).expect("parses");
        assert_eq!(events.unreadable, 1);
        let m = &events.messages;
        assert_eq!(m[0].sender.name, "Siti");
        assert_eq!(m[0].input, Input::Command { name: "status".into(), args: "sd-2026-000042".into(), reply_to: None });
        assert_eq!(m[1].input, Input::Text { text: "Sudah saya coba".into(), reply_to: Some("wamid.OUT".into()) });
        assert_eq!(m[2].input, Input::Callback { data: "unit:DINKES".into() });
        assert_eq!(m[3].media.as_ref().map(|f| f.name.as_str()), Some("pesan-suara.ogg"));
        assert_eq!(m[4].special, Some(Special::Stop));
        assert_eq!(m[5].special, Some(Special::Ignore("reaction")));
        assert_eq!(m[6].special, Some(Special::ChangedNumber { new_wa_id: "6289999999999".into() }));
        assert_eq!(events.statuses[0].error_code, Some(131047));
        assert!(parse(b"not json").is_err());
        assert_eq!(parse(b"{}").expect("an empty notification").messages.len(), 0);
    }

    #[test]
    fn typed_words() {
        assert_eq!(
            typed("tiket saya", None).0,
            Input::Command { name: "tiketku".into(), args: "".into(), reply_to: None }
        );
        assert_eq!(typed(" Batal ", None).0, Input::Command { name: "batal".into(), args: "".into(), reply_to: None });
        assert!(matches!(typed("berhenti dulu ya", None).0, Input::Text { .. }), "only the bare word stops");
    }
}

//! The conversation's answers as Cloud API message bodies, within Meta's limits: at most three
//! reply buttons of 20 characters; a list of at most ten rows in all, row titles of 24
//! characters (the whole label then goes to the row's description, 72), a list button of 20;
//! an interactive body of 1,024 characters and a text of 4,096.

use serde_json::{json, Value};

use crate::{Button, Out};

pub const MAX_BUTTONS: usize = 3;
pub const BUTTON_TITLE: usize = 20;
pub const MAX_ROWS: usize = 10;
pub const ROW_TITLE: usize = 24;
pub const ROW_DESCRIPTION: usize = 72;
pub const INTERACTIVE_BODY: usize = 1024;
pub const TEXT_BODY: usize = 4096;

fn cut(text: &str, limit: usize) -> String {
    if text.chars().count() <= limit {
        return text.to_string();
    }
    let mut short: String = text.chars().take(limit.saturating_sub(1)).collect();
    short.push('…');
    short
}

fn envelope(to: &str, kind: &str, body: Value) -> Value {
    let mut message =
        json!({ "messaging_product": "whatsapp", "recipient_type": "individual", "to": to, "type": kind });
    message[kind] = body;
    message
}

fn text_message(to: &str, text: &str) -> Value {
    let body = if text.chars().count() > TEXT_BODY {
        format!("{}\n\n(Pesan dipotong; selengkapnya di halaman tiket.)", cut(text, TEXT_BODY - 60))
    } else {
        text.to_string()
    };
    envelope(to, "text", json!({ "body": body, "preview_url": false }))
}

fn buttons(choices: &[&Button]) -> Value {
    let buttons: Vec<Value> = choices
        .iter()
        .map(|b| json!({ "type": "reply", "reply": { "id": b.data, "title": cut(&b.label, BUTTON_TITLE) } }))
        .collect();
    json!({ "buttons": buttons })
}

fn list(choices: &[&Button]) -> Value {
    let rows: Vec<Value> = choices
        .iter()
        .take(MAX_ROWS)
        .map(|b| {
            let mut row = json!({ "id": b.data, "title": cut(&b.label, ROW_TITLE) });
            // A label cut short is shown whole under it.
            if b.label.chars().count() > ROW_TITLE {
                row["description"] = json!(cut(&b.label, ROW_DESCRIPTION));
            }
            row
        })
        .collect();
    json!({ "button": "Pilih", "sections": [{ "title": "Pilihan", "rows": rows }] })
}

/// The messages that say `out` to `to` (one; two when the text is too long for an interactive
/// body and goes first on its own).
pub fn messages(to: &str, out: &Out) -> Vec<Value> {
    let choices: Vec<&Button> = out.buttons.iter().flatten().collect();
    if choices.is_empty() {
        return vec![text_message(to, &out.text)];
    }
    let fits_buttons = choices.len() <= MAX_BUTTONS && choices.iter().all(|b| b.label.chars().count() <= BUTTON_TITLE);
    let (kind, action) = if fits_buttons { ("button", buttons(&choices)) } else { ("list", list(&choices)) };
    let mut sent = Vec::new();
    let body = if out.text.chars().count() > INTERACTIVE_BODY {
        sent.push(text_message(to, &out.text));
        "Pilih:".to_string()
    } else {
        out.text.clone()
    };
    sent.push(envelope(to, "interactive", json!({ "type": kind, "body": { "text": body }, "action": action })));
    sent
}

/// A pre-approved template message (outside the 24-hour window), its body parameters as text.
pub fn template(to: &str, name: &str, language: &str, parameters: &[String]) -> Value {
    let parameters: Vec<Value> = parameters.iter().map(|p| json!({ "type": "text", "text": cut(p, 1024) })).collect();
    let components =
        if parameters.is_empty() { json!([]) } else { json!([{ "type": "body", "parameters": parameters }]) };
    envelope(to, "template", json!({ "name": name, "language": { "code": language }, "components": components }))
}

/// A file uploaded to Meta (by its media id), as a picture or a document.
pub fn media(to: &str, image: bool, media_id: &str, file_name: &str, caption: &str) -> Value {
    if image {
        envelope(to, "image", json!({ "id": media_id, "caption": caption }))
    } else {
        envelope(to, "document", json!({ "id": media_id, "filename": file_name, "caption": caption }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_within_metas_limits() {
        let confirm = Out::text("Kirim laporan ini?")
            .with_buttons(vec![vec![Button::new("✔ Kirim", "kirim"), Button::new("✖ Batal", "batal")]]);
        let sent = messages("628123", &confirm);
        assert_eq!(sent.len(), 1);
        assert_eq!(sent[0]["interactive"]["type"], "button");
        assert_eq!(sent[0]["interactive"]["action"]["buttons"][1]["reply"]["id"], "batal");

        let units: Vec<Vec<Button>> = (0..10)
            .map(|i| vec![Button::new(format!("Dinas Pekerjaan Umum dan Penataan Ruang {i}"), format!("unit:U{i}"))])
            .collect();
        let sent = messages("628123", &Out::text("Unit?").with_buttons(units));
        let rows = sent[0]["interactive"]["action"]["sections"][0]["rows"].as_array().expect("rows");
        assert_eq!(sent[0]["interactive"]["type"], "list");
        assert_eq!(rows.len(), 10);
        assert!(rows.iter().all(|r| r["title"].as_str().expect("title").chars().count() <= ROW_TITLE));
        assert!(rows[0]["description"].as_str().expect("whole name").starts_with("Dinas Pekerjaan Umum"));

        let long = Out::text("x".repeat(2000)).with_buttons(vec![vec![Button::new("Lanjut ▶", "lanjut")]]);
        let sent = messages("628123", &long);
        assert_eq!((sent.len(), sent[0]["type"].as_str()), (2, Some("text")), "a long text goes first on its own");

        let t = template("628123", "meja_balasan", "id", &["SD-2026-000001".into()]);
        assert_eq!(t["template"]["components"][0]["parameters"][0]["text"], "SD-2026-000001");
        assert_eq!(messages("628123", &Out::text("halo"))[0]["text"]["body"], "halo");
    }
}

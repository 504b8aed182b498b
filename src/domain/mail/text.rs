//! The words of a mail: every text part in order, the HTML when the text part is empty, the
//! forwarded message's text, cleaned of control characters and cut to the desk's limits.

use mail_parser::decoders::html::html_to_text;
use mail_parser::{Message, PartType};

use super::charset::part_text;

/// Text as the desk stores it: no control characters but line breaks and tabs (a form feed
/// pasted from a PDF would otherwise make the text unusable).
pub fn clean_text(text: &str, keep_lines: bool) -> String {
    text.chars()
        .map(|c| if c == '\r' || (!keep_lines && c == '\n') { ' ' } else { c })
        .filter(|c| !c.is_control() || (keep_lines && (*c == '\n' || *c == '\t')))
        .collect()
}

/// Every text body part of the message in the order the sender wrote them (Apple Mail puts text
/// and inline pictures in turn), each decoded again if its charset was missing or wrong. When the
/// text parts hold nothing (an empty `text/plain` beside the real `text/html`), the HTML parts.
pub fn body_of(message: &Message<'_>, tld: Option<&str>) -> String {
    let raw = message.raw_message();
    let read = |parts: &mut dyn Iterator<Item = &mail_parser::MessagePart<'_>>| -> Vec<String> {
        parts
            .filter_map(|part| match &part.body {
                PartType::Text(text) => Some(part_text(raw, part, text, tld)),
                PartType::Html(html) => Some(html_to_text(&part_text(raw, part, html, tld))),
                _ => None,
            })
            .map(|t| t.trim_end().to_string())
            .filter(|t| !t.trim().is_empty())
            .collect()
    };
    let mut texts = read(&mut message.text_bodies());
    if texts.is_empty() {
        texts = read(&mut message.html_bodies());
    }
    texts.join("\n\n")
}

/// The text of messages forwarded as attachments (`message/rfc822`), each under a short header,
/// so a forward that opens a ticket keeps what was forwarded in the ticket's description.
pub fn forwarded_texts(message: &Message<'_>, tld: Option<&str>) -> Vec<String> {
    message
        .attachments()
        .filter_map(|part| part.message())
        .map(|inner| {
            let from = inner
                .from()
                .and_then(|a| a.first())
                .map(|a| match (a.name(), a.address()) {
                    (Some(n), Some(e)) => format!("{n} <{e}>"),
                    (n, e) => n.or(e).unwrap_or("").to_string(),
                })
                .unwrap_or_default();
            let subject = inner.subject().unwrap_or("");
            let body = body_of(inner, tld);
            let header = format!("---------- Pesan terusan ----------\nDari: {from}\nSubjek: {subject}");
            clean_text(&format!("{header}\n\n{body}"), true).trim().to_string()
        })
        .collect()
}

/// Cuts the quoted history mail programs put under a reply, so a ticket does not repeat itself.
/// Only for replies on an existing ticket: a forward that opens a ticket keeps all its text.
pub fn cut_quoted_reply(body: &str) -> String {
    let mut kept = Vec::new();
    for line in body.lines() {
        let t = line.trim();
        let lower = t.to_ascii_lowercase();
        let starts_history = (lower.starts_with("on ") && lower.ends_with("wrote:"))
            || (lower.starts_with("pada ") && lower.ends_with("menulis:"))
            || lower.starts_with("-----original message-----")
            || lower.starts_with("----- pesan asli -----")
            || (lower.starts_with("from:")
                && !kept.is_empty()
                && kept.last().is_some_and(|l: &&str| l.trim().is_empty()));
        if starts_history {
            break;
        }
        if t.starts_with('>') {
            continue;
        }
        kept.push(line);
    }
    let text = kept.join("\n").trim().to_string();
    if text.is_empty() {
        body.trim().to_string()
    } else {
        text
    }
}

/// The note under a description cut to fit: the whole mail is kept as its original `.eml`.
pub const CUT_NOTE: &str = "\n\n[… dipotong; pesan lengkap terlampir sebagai pesan-asli.eml]";

/// A body cut so that it and the note together fit `max_chars`; `None` when it fits as it is.
pub fn shorten_body(text: &str, max_chars: usize) -> Option<String> {
    if text.chars().count() <= max_chars {
        return None;
    }
    let room = max_chars.saturating_sub(CUT_NOTE.chars().count());
    let cut: String = text.chars().take(room).collect();
    Some(format!("{}{CUT_NOTE}", cut.trim_end()))
}

/// A subject cut to `max_chars` on a word, with "…": a title, never a body's note.
pub fn shorten_title(subject: &str, max_chars: usize) -> String {
    let subject = subject.trim();
    if subject.chars().count() <= max_chars {
        return subject.to_string();
    }
    let room: String = subject.chars().take(max_chars.saturating_sub(1)).collect();
    // On the last space, unless that throws away most of the room (one very long word).
    let cut = match room.rfind(char::is_whitespace) {
        Some(at) if at >= room.len() / 2 => &room[..at],
        _ => room.as_str(),
    };
    format!("{}…", cut.trim_end())
}

/// English or Bahasa Indonesia: `Content-Language` if the mail program says so, else the
/// common words of each language in the text.
pub fn guess_language(content_language: Option<&str>, text: &str) -> &'static str {
    if let Some(lang) = content_language.map(|l| l.trim().to_ascii_lowercase()) {
        if lang.starts_with("en") {
            return "en";
        }
        if lang.starts_with("id") || lang.starts_with("in") {
            return "id";
        }
    }
    const EN: &[&str] =
        &["the", "and", "is", "my", "please", "not", "with", "have", "this", "can", "you", "for", "thank"];
    const ID: &[&str] =
        &["yang", "dan", "tidak", "saya", "mohon", "dengan", "sudah", "untuk", "ini", "bisa", "terima", "kasih", "di"];
    let (mut en, mut id) = (0, 0);
    for word in text.split(|c: char| !c.is_alphabetic()).filter(|w| !w.is_empty()).take(400) {
        let w = word.to_lowercase();
        en += usize::from(EN.contains(&w.as_str()));
        id += usize::from(ID.contains(&w.as_str()));
    }
    if en >= 3 && en > 2 * id {
        "en"
    } else {
        "id"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_history_is_cut() {
        let body = "Sudah saya coba, masih error.\n\nOn Mon, 23 Nov 2026 at 09:00, Desk <desk@kota.go.id> wrote:\n> Mohon dicoba lagi.\n";
        assert_eq!(cut_quoted_reply(body), "Sudah saya coba, masih error.");
        assert_eq!(cut_quoted_reply("> only quotes"), "> only quotes");
    }

    #[test]
    fn languages() {
        assert_eq!(guess_language(None, "My account is locked and I cannot log in, please help. Thank you"), "en");
        assert_eq!(guess_language(None, "Akun saya terkunci dan tidak bisa masuk, mohon bantuan. Terima kasih"), "id");
        assert_eq!(guess_language(Some("en-US"), "Halo"), "en");
        assert_eq!(guess_language(None, "OK"), "id");
    }

    #[test]
    fn a_shortened_body_with_its_note_fits() {
        let long = "kata ".repeat(10_000);
        let cut = shorten_body(&long, 20_000).expect("cut");
        assert!(cut.chars().count() <= 20_000, "{} chars", cut.chars().count());
        assert!(cut.ends_with(CUT_NOTE));
        assert_eq!(shorten_body("pendek", 20_000), None);
        // Multi-byte text counts characters, not bytes.
        let wide = "网".repeat(25_000);
        assert!(shorten_body(&wide, 20_000).expect("cut").chars().count() <= 20_000);
    }

    #[test]
    fn a_long_subject_is_cut_on_a_word() {
        let subject = format!("Aplikasi SIMPUS {}tidak bisa dibuka", "sangat ".repeat(40));
        let title = shorten_title(&subject, 200);
        assert!(title.chars().count() <= 200);
        assert!(title.ends_with("sangat…"), "{title}");
        assert!(!title.contains("dipotong"));
        let one_word = "x".repeat(300);
        assert_eq!(shorten_title(&one_word, 200).chars().count(), 200);
        assert_eq!(shorten_title("  Printer rusak ", 200), "Printer rusak");
    }
}

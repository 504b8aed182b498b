//! Reading an incoming e-mail for the desk (SPEC section 5): who sent it, what it answers, whether
//! a machine wrote it, what it says and what it carries. Pure: the intake decides what to do.
//! Real-world mail is untidy (raw 8-bit headers, wrong charsets, text split around pictures,
//! odd sender addresses, Message-IDs reused by broken mailers); each is read as well as it can
//! be rather than refused, because a refused mail is a citizen's report lost.

mod charset;
mod parts;
mod text;

use mail_parser::{HeaderValue, MessageParser, MimeHeaders};
use sha2::{Digest, Sha256};

pub use parts::{name_for_type, sniff_type, unique_name};
pub use text::{cut_quoted_reply, guess_language, shorten_body, shorten_title, CUT_NOTE};

/// What the desk needs from one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncomingMail {
    /// The Message-ID without angle brackets, or `sha256:<hex>` of the raw message.
    pub key: String,
    /// Tells two messages that share a Message-ID apart: the SHA-256 of the sender and the
    /// `Date` header (of the raw bytes when there is no date). Broken mailers and test tools
    /// reuse Message-IDs; only the same ID from the same sender at the same time is a redelivery.
    pub fingerprint: String,
    /// The sender's address, lower case, when it has an `@`; deliverable or not is the desk's call.
    pub sender: Option<String>,
    /// The sender as written in the mail (`root@localhost`, `budi@example.com.`, a bare name):
    /// what the desk records when it cannot answer the address. `None`: the mail names no sender.
    pub sender_written: Option<String>,
    pub sender_name: Option<String>,
    /// The addresses in Cc, lower case (they follow a ticket the mail opens or answers).
    pub cc: Vec<String>,
    pub subject: String,
    /// In-Reply-To and References, nearest first.
    pub refers_to: Vec<String>,
    /// A ticket number written in the subject as `[SD-2026-000042]`.
    pub number_in_subject: Option<String>,
    /// Why no ticket and no reply may come of it (an autoresponder, a list, a mailer daemon).
    pub automatic: Option<String>,
    /// A delivery status notification; `refers_to` then also holds the bounced Message-IDs.
    pub bounce: bool,
    /// All the text, every text part in order (HTML converted when there is no text), nothing
    /// cut: a new ticket keeps what was written. `reply_text()` cuts quoted history for replies.
    pub body: String,
    /// The text of messages forwarded as attachments, each under a short header.
    pub forwarded: Vec<String>,
    pub parts: Vec<Part>,
    /// `en` when the mail is written in English (the desk then answers in English), else `id`.
    pub language: &'static str,
}

impl IncomingMail {
    /// The text of a reply on an existing ticket: the quoted history under it cut.
    pub fn reply_text(&self) -> String {
        cut_quoted_reply(&self.body)
    }

    /// The text of a mail that opens a ticket: the body and whatever it forwarded.
    pub fn opening_text(&self) -> String {
        let mut pieces: Vec<&str> = Vec::new();
        if !self.body.trim().is_empty() {
            pieces.push(self.body.trim());
        }
        pieces.extend(self.forwarded.iter().map(String::as_str));
        pieces.join("\n\n")
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    pub filename: String,
    pub content_type: String,
    pub content: Vec<u8>,
    /// An inline image of the HTML body rather than an attachment.
    pub inline: bool,
}

fn strip_brackets(id: &str) -> String {
    id.trim().trim_start_matches('<').trim_end_matches('>').trim().to_string()
}

fn ids(value: &HeaderValue<'_>) -> Vec<String> {
    match value {
        HeaderValue::TextList(list) => list.iter().map(|s| strip_brackets(s)).collect(),
        HeaderValue::Text(text) => text.split_whitespace().map(strip_brackets).collect(),
        _ => Vec::new(),
    }
}

pub fn sha256_key(raw: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(raw)))
}

/// Finds `[PREFIX-YYYY-NNNNNN]` in a subject; typed by hand it may be lower case or spaced.
pub fn number_in(subject: &str, prefix: &str) -> Option<String> {
    let mut rest = subject;
    while let Some(open) = rest.find('[') {
        let after = &rest[open + 1..];
        let Some(close) = after.find(']') else { break };
        let candidate = after[..close].trim().to_ascii_uppercase().replace(' ', "");
        if let Some(tail) = candidate.strip_prefix(prefix).and_then(|t| t.strip_prefix('-')) {
            let mut pieces = tail.splitn(2, '-');
            let (year, seq) = (pieces.next().unwrap_or(""), pieces.next().unwrap_or(""));
            let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
            if year.len() == 4 && digits(year) && seq.len() >= 6 && digits(seq) {
                return Some(format!("{prefix}-{year}-{seq}"));
            }
        }
        rest = &after[close + 1..];
    }
    None
}

/// Senders that are machines by their address (SPEC 5). A `no-reply` sender is not one of them:
/// web forms send from such addresses with the citizen in Reply-To.
fn is_daemon(address: &str) -> bool {
    let local = address.split('@').next().unwrap_or("").to_ascii_lowercase();
    matches!(local.as_str(), "mailer-daemon" | "postmaster")
}

/// SPEC 5 loop protection: `Auto-Submitted` other than `no`, `Precedence: bulk|junk|list`,
/// `X-Autoreply`/`X-Autorespond`, `List-Id`, mailer daemons.
fn automatic_reason(header: &dyn Fn(&str) -> Option<String>, sender: Option<&str>) -> Option<String> {
    if let Some(v) = header("Auto-Submitted").map(|v| v.trim().to_ascii_lowercase()) {
        if !v.starts_with("no") {
            return Some(format!("Auto-Submitted: {v}"));
        }
    }
    if let Some(v) = header("Precedence").map(|v| v.trim().to_ascii_lowercase()) {
        if matches!(v.as_str(), "bulk" | "junk" | "list") {
            return Some(format!("Precedence: {v}"));
        }
    }
    for name in ["X-Autoreply", "X-Autorespond", "X-Autoresponse", "List-Id"] {
        if header(name).is_some() {
            return Some(format!("{name} present"));
        }
    }
    sender.filter(|s| is_daemon(s)).map(|s| format!("sent by {s}"))
}

/// The Message-IDs a delivery status notification reports on: those of the returned message
/// or headers, not the notification's own.
fn bounced_ids(raw: &[u8], own: Option<&str>) -> Vec<String> {
    let text = String::from_utf8_lossy(raw);
    let mut out = Vec::new();
    for line in text.lines() {
        let lower = line.to_ascii_lowercase();
        if let Some(rest) = lower.strip_prefix("message-id:") {
            let original = &line[line.len() - rest.len()..];
            let id = strip_brackets(original);
            if !id.is_empty() && Some(id.as_str()) != own && !out.contains(&id) {
                out.push(id);
            }
            if out.len() >= MAX_REFERENCES {
                break;
            }
        }
    }
    out
}

/// The most Message-IDs a message may refer to: a real thread has a few dozen; a hostile header
/// with a million would make the look-up slow.
const MAX_REFERENCES: usize = 100;

fn push_unique(list: &mut Vec<String>, seen: &mut std::collections::HashSet<String>, id: String) {
    if list.len() < MAX_REFERENCES && !id.is_empty() && seen.insert(id.clone()) {
        list.push(id);
    }
}

/// The sender: a form that sends in the name of the citizen puts the citizen in Reply-To; a
/// mail with no From may still say `Sender`. The address as written, and the display name.
fn with_address<'a>(list: Option<&'a mail_parser::Address<'a>>) -> Option<&'a mail_parser::Addr<'a>> {
    list.and_then(|a| a.first()).filter(|a| a.address().is_some())
}

fn sender_of(message: &mail_parser::Message<'_>) -> (Option<String>, Option<String>) {
    let from = with_address(message.reply_to())
        .or_else(|| with_address(message.from()))
        .or_else(|| with_address(message.sender()))
        .or_else(|| message.from().and_then(|a| a.first()));
    let name = from
        .and_then(|a| a.name())
        .map(|n| text::clean_text(n, false).trim().chars().take(200).collect::<String>())
        .filter(|n| !n.is_empty());
    let written = from
        .and_then(|a| a.address())
        .map(|a| text::clean_text(a, false).trim().to_string())
        .filter(|a| !a.is_empty())
        .or_else(|| {
            // No address the parser could read: whatever the From line says is still a sender.
            let raw = message.header_raw("From").map(|v| text::clean_text(v, false).trim().to_string());
            raw.filter(|r| !r.is_empty())
        })
        .map(|w| w.chars().take(254).collect());
    (written, name)
}

pub fn analyse(raw: &[u8], number_prefix: &str) -> Result<IncomingMail, String> {
    let tld = charset::country_domain_in_raw(raw);
    let tld = tld.as_deref();
    let fixed = charset::utf8_headers(raw, tld);
    let bytes = fixed.as_deref().unwrap_or(raw);
    let message = MessageParser::default().parse(bytes).ok_or("not an RFC 5322 message")?;
    let has_headers = message.from().is_some()
        || message.subject().is_some()
        || message.message_id().is_some()
        || message.header_raw("From").is_some();
    if message.headers().is_empty() || !has_headers {
        return Err("not an RFC 5322 message: no From, Subject or Message-ID header".into());
    }
    let (sender_written, sender_name) = sender_of(&message);
    let sender = sender_written
        .as_deref()
        .map(|a| a.trim_matches(['<', '>']).to_lowercase())
        .filter(|a| a.contains('@') && !a.contains(char::is_whitespace));
    let own_id = message.message_id().map(strip_brackets).filter(|id| !id.is_empty());
    let key = own_id.clone().unwrap_or_else(|| sha256_key(raw));
    let fingerprint = match message.header_raw("Date") {
        Some(date) => {
            let who = sender_written.as_deref().unwrap_or("").to_lowercase();
            hex::encode(Sha256::digest(format!("{who}\n{}", date.trim())))
        }
        None => hex::encode(Sha256::digest(raw)),
    };
    let subject = text::clean_text(message.subject().unwrap_or(""), false).trim().to_string();
    let mut refers_to = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for id in ids(message.in_reply_to()) {
        push_unique(&mut refers_to, &mut seen, id);
    }
    for id in ids(message.references()).into_iter().rev() {
        push_unique(&mut refers_to, &mut seen, id);
    }
    let header = |name: &str| message.header_raw(name).map(str::to_string);
    let content_type = message.content_type();
    let bounce = content_type.is_some_and(|ct| {
        ct.ctype().eq_ignore_ascii_case("multipart")
            && ct.subtype().is_some_and(|s| s.eq_ignore_ascii_case("report"))
            && ct.attribute("report-type").is_some_and(|r| r.eq_ignore_ascii_case("delivery-status"))
    }) || sender.as_deref().is_some_and(|s| s.starts_with("mailer-daemon@"));
    if bounce {
        for id in bounced_ids(raw, own_id.as_deref()) {
            push_unique(&mut refers_to, &mut seen, id);
        }
    }
    let automatic = automatic_reason(&header, sender.as_deref());
    let body = text::clean_text(&text::body_of(&message, tld), true).trim().to_string();
    let forwarded = text::forwarded_texts(&message, tld);
    let parts = parts::parts_of(&message, tld);
    let language = guess_language(message.header_raw("Content-Language"), &format!("{subject} {body}"));
    Ok(IncomingMail {
        language,
        key,
        fingerprint,
        sender,
        sender_written,
        sender_name,
        cc: message
            .cc()
            .into_iter()
            .flat_map(|list| list.iter())
            .filter_map(|a| a.address())
            .map(|a| text::clean_text(a, false).trim().to_lowercase())
            .filter(|a| a.contains('@') && !a.contains(char::is_whitespace))
            .collect(),
        number_in_subject: number_in(&subject, number_prefix),
        subject,
        refers_to,
        automatic,
        bounce,
        body,
        forwarded,
        parts,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_in_subjects() {
        assert_eq!(number_in("Re: [SD-2026-000042] Printer", "SD"), Some("SD-2026-000042".into()));
        assert_eq!(number_in("tolong cek [ sd-2026-000042 ]", "SD"), Some("SD-2026-000042".into()));
        assert_eq!(number_in("[Penting] [SD-2026-1234567]", "SD"), Some("SD-2026-1234567".into()));
        assert_eq!(number_in("SD-2026-000042 tanpa kurung", "SD"), None);
        assert_eq!(number_in("[XX-2026-000042]", "SD"), None);
        assert_eq!(number_in("[SD-26-000042]", "SD"), None);
    }

    #[test]
    fn autoresponder_and_daemons_are_machines() {
        let raw = b"From: Budi <budi@example.com>\r\nTo: desk@kota.go.id\r\nSubject: Out of office\r\nAuto-Submitted: auto-replied\r\nMessage-ID: <a1@example.com>\r\n\r\nSaya sedang cuti.\r\n";
        let mail = analyse(raw, "SD").expect("parses");
        assert_eq!(mail.automatic.as_deref(), Some("Auto-Submitted: auto-replied"));
        assert_eq!(mail.key, "a1@example.com");
        let raw = b"From: MAILER-DAEMON@mx.example.com\r\nSubject: failure\r\n\r\nx\r\n";
        let mail = analyse(raw, "SD").expect("parses");
        assert!(mail.automatic.is_some() && mail.bounce);
        assert!(mail.key.starts_with("sha256:"));
        let raw = b"From: Budi <budi@example.com>\r\nSubject: Halo\r\nAuto-Submitted: no\r\n\r\nHalo\r\n";
        assert_eq!(analyse(raw, "SD").expect("parses").automatic, None);
    }

    #[test]
    fn hostile_headers_are_bounded_and_text_is_cleaned() {
        let refs: String = (0..5000).map(|i| format!("<r{i}@x> ")).collect();
        let raw = format!(
            "From: A <a@example.com>\r\nSubject: Hal\u{0c}aman\r\nReferences: {refs}\r\n\r\nIsi\u{0c} teks\r\n"
        );
        let mail = analyse(raw.as_bytes(), "SD").expect("parses");
        assert_eq!(mail.refers_to.len(), MAX_REFERENCES);
        assert_eq!(mail.subject, "Halaman");
        assert_eq!(mail.body, "Isi teks");
        let raw = b"From: No Reply <no-reply@forms.kota.go.id>\r\nReply-To: Siti <siti@example.com>\r\nSubject: Formulir\r\n\r\nIsi\r\n";
        let mail = analyse(raw, "SD").expect("parses");
        assert_eq!((mail.sender.as_deref(), mail.automatic.as_deref()), (Some("siti@example.com"), None));
    }

    #[test]
    fn garbage_is_refused() {
        assert!(analyse(b"", "SD").is_err());
        assert!(analyse(b"bukan e-mail", "SD").is_err());
    }
}

#[cfg(test)]
mod real_world_tests;

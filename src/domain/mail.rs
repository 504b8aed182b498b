//! Reading an incoming e-mail for the desk (SPEC section 5): who sent it, what it answers, whether
//! a machine wrote it, what it says and what it carries. Pure: the intake decides what to do.

use mail_parser::{HeaderValue, MessageParser, MimeHeaders};
use sha2::{Digest, Sha256};

/// What the desk needs from one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncomingMail {
    /// The Message-ID without angle brackets, or `sha256:<hex>` of the raw message.
    pub key: String,
    pub sender: Option<String>,
    pub sender_name: Option<String>,
    pub subject: String,
    /// In-Reply-To and References, nearest first.
    pub refers_to: Vec<String>,
    /// A ticket number written in the subject as `[SD-2026-000042]`.
    pub number_in_subject: Option<String>,
    /// Why no ticket and no reply may come of it (an autoresponder, a list, a mailer daemon).
    pub automatic: Option<String>,
    /// A delivery status notification; `refers_to` then also holds the bounced Message-IDs.
    pub bounce: bool,
    /// The text, from the text part or the HTML converted to text, replies' quotes cut.
    pub body: String,
    pub parts: Vec<Part>,
    /// `en` when the mail is written in English (the desk then answers in English), else `id`.
    pub language: &'static str,
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
    match sender {
        Some(s) if is_daemon(s) => Some(format!("sent by {s}")),
        None => Some("no sender address".into()),
        _ => None,
    }
}

/// Cuts the quoted history mail programs put under a reply, so a ticket does not repeat itself.
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

/// The type of an attachment from its first bytes (SPEC 2: sniffed, not taken on trust). A type
/// the bytes contradict (a "PDF" that is not one) becomes `application/octet-stream`.
pub fn sniff_type(content: &[u8], declared: &str) -> String {
    let declared = declared.trim().to_ascii_lowercase();
    let magic: &[(&[u8], usize, &str)] = &[
        (b"%PDF-", 0, "application/pdf"),
        (b"\x89PNG\r\n\x1a\n", 0, "image/png"),
        (b"\xff\xd8\xff", 0, "image/jpeg"),
        (b"GIF87a", 0, "image/gif"),
        (b"GIF89a", 0, "image/gif"),
        (b"RIFF", 0, "image/webp"),
        (b"ftyp", 4, "video/mp4"),
        (b"PK\x03\x04", 0, "application/zip"),
    ];
    let found =
        magic.iter().find(|(sig, at, _)| content.len() >= at + sig.len() && &content[*at..at + sig.len()] == *sig);
    match found {
        // Office documents and OpenDocument files are zip archives: keep their precise type.
        Some((_, _, "application/zip"))
            if declared.contains("openxmlformats")
                || declared.contains("opendocument")
                || declared.ends_with("+zip") =>
        {
            declared
        }
        Some((_, _, "image/webp")) if content.len() >= 12 && &content[8..12] != b"WEBP" => {
            "application/octet-stream".into()
        }
        Some((_, _, kind)) => (*kind).to_string(),
        None => {
            let claims_magic = magic.iter().any(|(_, _, kind)| *kind == declared);
            if claims_magic || declared.is_empty() {
                "application/octet-stream".into()
            } else {
                declared
            }
        }
    }
}

/// The most Message-IDs a message may refer to: a real thread has a few dozen; a hostile header
/// with a million would make the look-up slow.
const MAX_REFERENCES: usize = 100;

/// Text as the desk stores it: no control characters but line breaks and tabs (a form feed
/// pasted from a PDF would otherwise make the text unusable).
fn clean_text(text: &str, keep_lines: bool) -> String {
    text.chars()
        .map(|c| if c == '\r' || (!keep_lines && c == '\n') { ' ' } else { c })
        .filter(|c| !c.is_control() || (keep_lines && (*c == '\n' || *c == '\t')))
        .collect()
}

fn push_unique(list: &mut Vec<String>, seen: &mut std::collections::HashSet<String>, id: String) {
    if list.len() < MAX_REFERENCES && !id.is_empty() && seen.insert(id.clone()) {
        list.push(id);
    }
}

pub fn analyse(raw: &[u8], number_prefix: &str) -> Result<IncomingMail, String> {
    let message = MessageParser::default().parse(raw).ok_or("not an RFC 5322 message")?;
    let has_headers = message.from().is_some() || message.subject().is_some() || message.message_id().is_some();
    if message.headers().is_empty() || !has_headers {
        return Err("not an RFC 5322 message: no From, Subject or Message-ID header".into());
    }
    // A form that sends in the name of the citizen puts the citizen in Reply-To.
    let from = message
        .reply_to()
        .and_then(|a| a.first())
        .filter(|a| a.address().is_some())
        .or_else(|| message.from().and_then(|a| a.first()));
    let sender = from.and_then(|a| a.address()).map(|a| a.trim().to_ascii_lowercase()).filter(|a| a.contains('@'));
    let sender_name = from
        .and_then(|a| a.name())
        .map(|n| clean_text(n, false).trim().chars().take(200).collect::<String>())
        .filter(|n| !n.is_empty());
    let own_id = message.message_id().map(strip_brackets).filter(|id| !id.is_empty());
    let key = own_id.clone().unwrap_or_else(|| sha256_key(raw));
    let subject = clean_text(message.subject().unwrap_or(""), false).trim().to_string();
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
    let text = message.body_text(0).map(|t| t.to_string()).unwrap_or_default();
    let body = cut_quoted_reply(&clean_text(&text, true));
    let parts = message
        .attachments()
        .map(|p| {
            let ct = p.content_type();
            let declared = match ct {
                Some(ct) => format!("{}/{}", ct.ctype(), ct.subtype().unwrap_or("octet-stream")).to_ascii_lowercase(),
                None => "application/octet-stream".into(),
            };
            let content_type =
                if p.is_message() { "message/rfc822".to_string() } else { sniff_type(p.contents(), &declared) };
            let inline = p.content_id().is_some() && p.content_disposition().is_none_or(|d| d.is_inline());
            Part {
                // A forwarded message is kept as an .eml attachment.
                filename: p.attachment_name().map(str::to_string).unwrap_or_else(|| {
                    if p.is_message() {
                        "pesan-terusan.eml".into()
                    } else {
                        "lampiran".into()
                    }
                }),
                content_type,
                content: p.contents().to_vec(),
                inline,
            }
        })
        .collect();
    let language = guess_language(message.header_raw("Content-Language"), &format!("{subject} {body}"));
    Ok(IncomingMail {
        language,
        key,
        sender,
        sender_name,
        number_in_subject: number_in(&subject, number_prefix),
        subject,
        refers_to,
        automatic,
        bounce,
        body,
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
    fn quoted_history_is_cut() {
        let body = "Sudah saya coba, masih error.\n\nOn Mon, 23 Nov 2026 at 09:00, Desk <desk@kota.go.id> wrote:\n> Mohon dicoba lagi.\n";
        assert_eq!(cut_quoted_reply(body), "Sudah saya coba, masih error.");
        assert_eq!(cut_quoted_reply("> only quotes"), "> only quotes");
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
    fn languages() {
        assert_eq!(guess_language(None, "My account is locked and I cannot log in, please help. Thank you"), "en");
        assert_eq!(guess_language(None, "Akun saya terkunci dan tidak bisa masuk, mohon bantuan. Terima kasih"), "id");
        assert_eq!(guess_language(Some("en-US"), "Halo"), "en");
        assert_eq!(guess_language(None, "OK"), "id");
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
    fn attachment_types_are_sniffed() {
        assert_eq!(sniff_type(b"%PDF-1.7 ...", "application/octet-stream"), "application/pdf");
        assert_eq!(sniff_type(b"MZ\x90\x00 not a pdf", "application/pdf"), "application/octet-stream");
        assert_eq!(
            sniff_type(b"PK\x03\x04....", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        );
        assert_eq!(sniff_type(b"PK\x03\x04....", "image/png"), "application/zip");
        assert_eq!(sniff_type(b"plain words", "text/plain"), "text/plain");
        assert_eq!(sniff_type(b"\x00\x00\x00\x18ftypmp42", "video/mp4"), "video/mp4");
    }

    #[test]
    fn garbage_is_refused() {
        assert!(analyse(b"", "SD").is_err());
        assert!(analyse(b"bukan e-mail", "SD").is_err());
    }
}

//! Text whose bytes do not say, or misstate, their charset. Old Chinese, Japanese, Russian and
//! Windows mail programs write raw 8-bit headers and attachment names with no charset, and some
//! declare UTF-8 over GBK bytes. The parser then shows replacement characters; here the bytes
//! are decoded again: in the declared charset when they are valid in it, else in the charset a
//! detector guesses (chardetng, the detector Firefox uses), helped by the sender's country
//! domain.

use chardetng::EncodingDetector;
use encoding_rs::Encoding;
use mail_parser::decoders::{base64::base64_decode, quoted_printable::quoted_printable_decode};
use mail_parser::{MessageParser, MessagePart, MimeHeaders};

pub const REPLACEMENT: char = '\u{FFFD}';

/// The sender's country-code domain (`cn`, `jp`, `ru`): chardetng weighs its guess by it.
pub fn country_domain(sender: Option<&str>) -> Option<String> {
    let domain = sender?.rsplit('@').next()?.trim_end_matches('.');
    let tld = domain.rsplit('.').next()?.to_ascii_lowercase();
    (tld.len() == 2 && tld.bytes().all(|b| b.is_ascii_alphabetic())).then_some(tld)
}

/// Decodes `bytes`: in the declared charset when they are valid in it, as UTF-8 when they are
/// valid UTF-8, else in the detector's guess. Never fails; the worst is a wrong guess.
pub fn decode(bytes: &[u8], declared: Option<&str>, tld: Option<&str>) -> String {
    if let Some(encoding) = declared.and_then(|label| Encoding::for_label(label.trim().as_bytes())) {
        if let Some(text) = encoding.decode_without_bom_handling_and_without_replacement(bytes) {
            return text.into_owned();
        }
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        return text.to_string();
    }
    let mut detector = EncodingDetector::new();
    detector.feed(bytes, true);
    let guessed = detector.guess(tld.map(str::as_bytes), true);
    guessed.decode_without_bom_handling(bytes).0.into_owned()
}

/// The end of a header section: the offset of the blank line, or the whole input.
fn header_end(raw: &[u8]) -> usize {
    let crlf = raw.windows(4).position(|w| w == b"\r\n\r\n").map(|p| p + 2);
    let lf = raw.windows(2).position(|w| w == b"\n\n").map(|p| p + 1);
    match (crlf, lf) {
        (Some(a), Some(b)) => a.min(b),
        (a, b) => a.or(b).unwrap_or(raw.len()),
    }
}

/// The message with its header section re-encoded as UTF-8 (which the parser reads as RFC 6532
/// allows) when it holds raw 8-bit bytes that are not UTF-8; `None` when nothing needs doing.
pub fn utf8_headers(raw: &[u8], tld: Option<&str>) -> Option<Vec<u8>> {
    let end = header_end(raw);
    let head = &raw[..end];
    if std::str::from_utf8(head).is_ok() {
        return None;
    }
    let mut fixed = decode(head, None, tld).into_bytes();
    fixed.extend_from_slice(&raw[end..]);
    Some(fixed)
}

/// The sender's domain as a hint, read from the raw `From:` line before the parser runs (its
/// address part is ASCII even when the name is not).
pub fn country_domain_in_raw(raw: &[u8]) -> Option<String> {
    let head = &raw[..header_end(raw)];
    let from = head.split(|b| *b == b'\n').find(|line| line.len() > 5 && line[..5].eq_ignore_ascii_case(b"from:"))?;
    let text = String::from_utf8_lossy(from);
    let address = text.rsplit('<').next().unwrap_or(&text);
    let address = address.split(['>', ' ', '\r']).find(|t| t.contains('@'))?;
    country_domain(Some(address))
}

/// The bytes of a part's body as sent, before any charset: the transfer encoding undone.
fn transfer_decoded(raw_message: &[u8], part: &MessagePart<'_>) -> Option<Vec<u8>> {
    let body = raw_message.get(part.offset_body as usize..part.offset_end as usize)?;
    match part.encoding {
        mail_parser::Encoding::Base64 => base64_decode(body),
        mail_parser::Encoding::QuotedPrintable => quoted_printable_decode(body),
        mail_parser::Encoding::None => Some(body.to_vec()),
    }
}

/// A text part's text, decoded again when the parser had to put in replacement characters
/// (bytes not valid in the declared charset, or no charset and not UTF-8).
pub fn part_text(raw_message: &[u8], part: &MessagePart<'_>, parsed: &str, tld: Option<&str>) -> String {
    if !parsed.contains(REPLACEMENT) {
        return parsed.to_string();
    }
    let Some(bytes) = transfer_decoded(raw_message, part) else { return parsed.to_string() };
    // The bytes may carry a real U+FFFD; only a decoding that removes them all is better.
    let declared = part.content_type().and_then(|ct| ct.attribute("charset"));
    let again = decode(&bytes, declared, tld);
    if again.contains(REPLACEMENT) && !bytes.windows(3).any(|w| w == "\u{FFFD}".as_bytes()) {
        parsed.to_string()
    } else {
        again
    }
}

/// A part's file name, read again from its raw header when the parser had to put in
/// replacement characters (a name in raw 8-bit bytes).
pub fn part_name(raw_message: &[u8], part: &MessagePart<'_>, tld: Option<&str>) -> Option<String> {
    let name = part.attachment_name()?;
    if !name.contains(REPLACEMENT) {
        return Some(name.to_string());
    }
    let head = raw_message.get(part.offset_header as usize..part.offset_body as usize)?;
    let mut fixed = decode(head, None, tld).into_bytes();
    fixed.extend_from_slice(b"\r\n\r\n");
    let reparsed = MessageParser::default().parse(&fixed)?;
    let again = reparsed.root_part().attachment_name()?.to_string();
    Some(if again.contains(REPLACEMENT) { name.to_string() } else { again })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declared_charset_first_then_detection() {
        let (gbk, _, _) = encoding_rs::GBK.encode("打印机无法连接网络，请帮忙处理。谢谢");
        assert_eq!(decode(&gbk, Some("gbk"), None), "打印机无法连接网络，请帮忙处理。谢谢");
        // Declared UTF-8, but GBK bytes: the detector decides.
        assert_eq!(decode(&gbk, Some("utf-8"), Some("cn")), "打印机无法连接网络，请帮忙处理。谢谢");
        let (cp1251, _, _) = encoding_rs::WINDOWS_1251.encode("Принтер не работает, помогите пожалуйста");
        assert_eq!(decode(&cp1251, None, Some("ru")), "Принтер не работает, помогите пожалуйста");
        assert_eq!(decode("sudah benar".as_bytes(), None, None), "sudah benar");
    }

    #[test]
    fn raw_eight_bit_headers_become_utf8() {
        let (sjis, _, _) = encoding_rs::SHIFT_JIS.encode("プリンターが動きません");
        let mut raw = b"From: Taro <taro@example.jp>\r\nSubject: ".to_vec();
        raw.extend_from_slice(&sjis);
        raw.extend_from_slice(b"\r\n\r\nbody\r\n");
        assert_eq!(country_domain_in_raw(&raw).as_deref(), Some("jp"));
        let fixed = utf8_headers(&raw, Some("jp")).expect("re-encoded");
        let message = MessageParser::default().parse(&fixed).expect("parses");
        assert_eq!(message.subject(), Some("プリンターが動きません"));
        assert_eq!(utf8_headers(b"Subject: biasa\r\n\r\nx", None), None);
    }
}

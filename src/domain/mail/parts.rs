//! What a mail carries: attachments and inline pictures, their types sniffed from the bytes and
//! each with a name a person can open, never the same name twice on one ticket.

use std::collections::HashSet;

use mail_parser::{Message, MimeHeaders};

use super::charset::part_name;
use super::Part;

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

/// A name for a part that came without one, from its type: what the citizen would call it.
pub fn name_for_type(content_type: &str) -> String {
    let (stem, extension) = match content_type {
        "image/jpeg" => ("gambar", "jpg"),
        "image/png" => ("gambar", "png"),
        "image/gif" => ("gambar", "gif"),
        "image/webp" => ("gambar", "webp"),
        "application/pdf" => ("dokumen", "pdf"),
        "application/zip" => ("arsip", "zip"),
        "video/mp4" => ("video", "mp4"),
        "message/rfc822" => ("pesan-terusan", "eml"),
        "text/plain" => ("teks", "txt"),
        "text/html" => ("halaman", "html"),
        "text/calendar" => ("undangan", "ics"),
        t if t.contains("wordprocessingml") => ("dokumen", "docx"),
        t if t.contains("spreadsheetml") => ("lembar-kerja", "xlsx"),
        t if t.starts_with("image/") => ("gambar", "img"),
        t if t.starts_with("audio/") => ("suara", "audio"),
        _ => ("lampiran", "bin"),
    };
    format!("{stem}.{extension}")
}

/// `name`, or `name (2).ext`, `name (3).ext` … whichever `taken` does not hold yet; the chosen
/// name is added to `taken`. Two files called `image.png` from one phone stay two files.
pub fn unique_name(taken: &mut HashSet<String>, name: &str) -> String {
    let mut candidate = name.to_string();
    let (stem, extension) = match name.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() && ext.len() <= 8 => (stem, format!(".{ext}")),
        _ => (name, String::new()),
    };
    let mut n = 2;
    while !taken.insert(candidate.to_lowercase()) {
        candidate = format!("{stem} ({n}){extension}");
        n += 1;
    }
    candidate
}

/// A file name as stored: no path, no control characters, at most 255 characters.
fn clean_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let cleaned: String = base.chars().filter(|c| !c.is_control()).collect();
    cleaned.trim().trim_matches('.').chars().take(255).collect()
}

/// The message's attachments and inline pictures, names decoded, missing names made up, and
/// names made distinct within the message (the ticket's own names are checked when stored).
pub fn parts_of(message: &Message<'_>, tld: Option<&str>) -> Vec<Part> {
    let raw = message.raw_message();
    let mut taken = HashSet::new();
    message
        .attachments()
        .map(|p| {
            let declared = match p.content_type() {
                Some(ct) => format!("{}/{}", ct.ctype(), ct.subtype().unwrap_or("octet-stream")).to_ascii_lowercase(),
                None => "application/octet-stream".into(),
            };
            let content_type =
                if p.is_message() { "message/rfc822".to_string() } else { sniff_type(p.contents(), &declared) };
            let inline = p.content_id().is_some() && p.content_disposition().is_none_or(|d| d.is_inline());
            let name = part_name(raw, p, tld).map(|n| clean_name(&n)).filter(|n| !n.is_empty());
            let name = name.unwrap_or_else(|| name_for_type(&content_type));
            Part { filename: unique_name(&mut taken, &name), content_type, content: p.contents().to_vec(), inline }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn names_are_made_up_and_made_distinct() {
        assert_eq!(name_for_type("image/jpeg"), "gambar.jpg");
        assert_eq!(name_for_type("application/pdf"), "dokumen.pdf");
        let mut taken = HashSet::new();
        assert_eq!(unique_name(&mut taken, "image.png"), "image.png");
        assert_eq!(unique_name(&mut taken, "IMAGE.png"), "IMAGE (2).png");
        assert_eq!(unique_name(&mut taken, "image.png"), "image (3).png");
        assert_eq!(unique_name(&mut taken, "README"), "README");
        assert_eq!(unique_name(&mut taken, "README"), "README (2)");
        assert_eq!(clean_name("C:\\Users\\budi\\surat.pdf"), "surat.pdf");
        assert_eq!(clean_name(" .. "), "");
    }
}

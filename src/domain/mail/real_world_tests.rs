//! Mails of the kinds real mail programs send, written here (the corpus they were found in is
//! not ours to ship): each class of untidiness the intake must read rather than refuse.

use super::*;

fn with_bytes(head: &str, eight_bit: &[u8], tail: &str) -> Vec<u8> {
    let mut raw = head.as_bytes().to_vec();
    raw.extend_from_slice(eight_bit);
    raw.extend_from_slice(tail.as_bytes());
    raw
}

#[test]
fn raw_eight_bit_subject_and_body_without_charset_are_detected() {
    let (gbk, _, _) = encoding_rs::GBK.encode("系统无法登录");
    let (gbk_body, _, _) = encoding_rs::GBK.encode("您好，我们的系统从昨天开始无法登录，请尽快处理。");
    let mut raw = with_bytes("From: Li <li@example.cn>\r\nSubject: ", &gbk, "\r\nMessage-ID: <c1@example.cn>\r\n");
    raw.extend_from_slice(b"Content-Type: text/plain\r\n\r\n");
    raw.extend_from_slice(&gbk_body);
    let mail = analyse(&raw, "SD").expect("parses");
    assert_eq!(mail.subject, "系统无法登录");
    assert_eq!(mail.body, "您好，我们的系统从昨天开始无法登录，请尽快处理。");
}

#[test]
fn a_wrong_declared_charset_falls_back_to_detection() {
    let (cp1251, _, _) = encoding_rs::WINDOWS_1251.encode("Здравствуйте, сайт не открывается уже второй день.");
    let raw = with_bytes(
        "From: Ivan <ivan@example.ru>\r\nSubject: Sait\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n",
        &cp1251,
        "\r\n",
    );
    let mail = analyse(&raw, "SD").expect("parses");
    assert_eq!(mail.body, "Здравствуйте, сайт не открывается уже второй день.");
}

#[test]
fn an_attachment_name_in_raw_bytes_is_decoded() {
    let (sjis, _, _) = encoding_rs::SHIFT_JIS.encode("請求書.pdf");
    let head = "From: Taro <taro@example.jp>\r\nSubject: file\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nTerlampir.\r\n--b\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=\"";
    let raw = with_bytes(head, &sjis, "\"\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n--b--\r\n");
    let mail = analyse(&raw, "SD").expect("parses");
    assert_eq!(mail.parts.len(), 1);
    assert_eq!(mail.parts[0].filename, "請求書.pdf");
    assert_eq!(mail.parts[0].content_type, "application/pdf");
}

#[test]
fn text_around_inline_pictures_is_kept_in_order() {
    let raw = b"From: Sri <sri@example.com>\r\nSubject: Layar error\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"m\"\r\n\r\n--m\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\nPertama, layar ini muncul:\r\n--m\r\nContent-Type: image/png\r\nContent-Disposition: inline\r\nContent-Transfer-Encoding: base64\r\n\r\niVBORw0KGgo=\r\n--m\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\nKedua, setelah saya klik OK muncul ini:\r\n--m\r\nContent-Type: image/png\r\nContent-Disposition: inline\r\nContent-Transfer-Encoding: base64\r\n\r\niVBORw0KGgo=\r\n--m\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\nMohon bantuannya.\r\n--m--\r\n";
    let mail = analyse(raw, "SD").expect("parses");
    let first = mail.body.find("Pertama").expect("first text");
    let second = mail.body.find("Kedua").expect("second text");
    let third = mail.body.find("Mohon bantuannya").expect("third text");
    assert!(first < second && second < third, "{}", mail.body);
    // Two pictures without names: named from their type, never the same name twice.
    let names: Vec<&str> = mail.parts.iter().map(|p| p.filename.as_str()).collect();
    assert_eq!(names, ["gambar.png", "gambar (2).png"]);
}

#[test]
fn an_empty_text_part_beside_html_uses_the_html() {
    let raw = b"From: Web <warga@example.com>\r\nSubject: Lapor\r\nMIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=\"a\"\r\n\r\n--a\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\r\n--a\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>Jalan di <b>RT 05</b> rusak parah.</p>\r\n--a--\r\n";
    let mail = analyse(raw, "SD").expect("parses");
    assert!(mail.body.contains("Jalan di RT 05 rusak parah."), "{:?}", mail.body);
}

#[test]
fn a_forward_keeps_its_forwarded_text() {
    let inline = b"From: Kepala <kepala@example.com>\r\nSubject: Fwd: keluhan\r\n\r\nTolong ditindaklanjuti.\r\n\r\n-----Original Message-----\r\nFrom: Warga <warga@example.com>\r\nSubject: keluhan\r\n\r\nAir PDAM mati tiga hari.\r\n";
    let mail = analyse(inline, "SD").expect("parses");
    assert!(mail.opening_text().contains("Air PDAM mati tiga hari."));
    assert!(!mail.reply_text().contains("Air PDAM"), "a reply cuts the quoted history");
    let attached = b"From: Kepala <kepala@example.com>\r\nSubject: Fwd: keluhan\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"f\"\r\n\r\n--f\r\nContent-Type: text/plain\r\n\r\nLihat di bawah.\r\n--f\r\nContent-Type: message/rfc822\r\n\r\nFrom: Warga <warga@example.com>\r\nSubject: keluhan\r\n\r\nLampu jalan padam.\r\n--f--\r\n";
    let mail = analyse(attached, "SD").expect("parses");
    let text = mail.opening_text();
    assert!(text.contains("Lihat di bawah.") && text.contains("Lampu jalan padam."), "{text}");
    assert_eq!(mail.parts[0].filename, "pesan-terusan.eml");
}

#[test]
fn unusual_senders_are_recorded_as_written() {
    for (from, written) in [
        ("From: Budi <budi@example.com.>", "budi@example.com."),
        ("From: root@localhost", "root@localhost"),
        ("From: Admin <admin@intranet>", "admin@intranet"),
    ] {
        let raw = format!("{from}\r\nSubject: Tes\r\n\r\nIsi\r\n");
        let mail = analyse(raw.as_bytes(), "SD").expect("parses");
        assert_eq!(mail.sender_written.as_deref(), Some(written), "{from}");
        assert_eq!(mail.automatic, None, "{from}");
    }
    let raw = b"From: \"budi santoso\"@example.com\r\nSubject: Tes\r\n\r\nIsi\r\n";
    let mail = analyse(raw, "SD").expect("parses");
    assert!(mail.sender_written.as_deref().is_some_and(|w| w.contains("example.com")), "{mail:?}");
    let raw = b"Subject: Tanpa pengirim\r\nMessage-ID: <n1@x>\r\n\r\nIsi\r\n";
    let mail = analyse(raw, "SD").expect("parses");
    assert_eq!((mail.sender.as_deref(), mail.sender_written.as_deref()), (None, None));
}

#[test]
fn a_shared_message_id_is_told_apart_by_sender_and_date() {
    let one = b"From: a@example.com\r\nDate: Mon, 23 Nov 2026 08:00:00 +0700\r\nMessage-ID: <same@tool>\r\nSubject: A\r\n\r\nA\r\n";
    let again = b"From: a@example.com\r\nDate: Mon, 23 Nov 2026 08:00:00 +0700\r\nMessage-ID: <same@tool>\r\nSubject: A\r\nX-Extra: relayed\r\n\r\nA\r\n";
    let other = b"From: b@example.com\r\nDate: Mon, 23 Nov 2026 09:00:00 +0700\r\nMessage-ID: <same@tool>\r\nSubject: B\r\n\r\nB\r\n";
    let [one, again, other] = [&one[..], &again[..], &other[..]].map(|r| analyse(r, "SD").expect("parses"));
    assert_eq!(one.key, other.key);
    assert_eq!(one.fingerprint, again.fingerprint);
    assert_ne!(one.fingerprint, other.fingerprint);
}

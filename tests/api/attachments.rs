//! Staff attachments (issue 15): files with replies and notes, through the API and the
//! console; who sees them (scopes, internal notes, the tracking token); what is refused.

use serde_json::{json, Value};

use crate::both_databases;
use crate::helpers::{answer, multipart_files, Browser, TestApp, PASSWORD};

both_databases!(files_reach_the_requester_and_stay_in_scope, bad_files_are_refused_whole, the_console_sends_files);

const PDF: &[u8] = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";
const PNG: &[u8] = &[
    0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, b'I', b'H', b'D', b'R', 0, 0, 0, 1, 0, 0, 0, 1, 8,
    2, 0, 0, 0, 0x90, 0x77, 0x53, 0xde,
];

/// A ticket reported on the portal's API, with its tracking token.
fn public_ticket(app: &TestApp) -> (String, String) {
    let r = app.post(
        "/api/v1/public/tickets",
        json!({ "kind": "incident", "title": "Aplikasi SIMPUS lambat", "description": "Sejak pagi.",
                "unit": "DINKES", "requester": { "name": "Siti", "email": "siti@example.com" } }),
        None,
    );
    assert_eq!(r.status, 201, "{:?}", r.body);
    (r.str("number").to_string(), r.str("tracking_token").to_string())
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

fn files_reach_the_requester_and_stay_in_scope(app: &TestApp) {
    let city = app.city();
    let (t1, other_unit, head) = (city.t("t1_dinkes"), city.t("t1_disdik"), city.t("head_dinkes"));
    let (number, token) = public_ticket(app);
    let messages = format!("/api/v1/tickets/{number}/messages");

    // A reply with two files (the declared types are wrong: the bytes decide).
    let r = app.post_form(
        &messages,
        &[("body", "Panduan dan tangkapan layar terlampir.")],
        &[("files", "panduan.pdf", "application/octet-stream", PDF), ("files", "layar.png", "text/plain", PNG)],
        Some(t1),
    );
    assert_eq!(r.status, 201, "{:?}", r.body);
    let reply_id = r.str("id").to_string();
    // A note with a file, and a note that is a file only.
    let r = app.post_form(
        &messages,
        &[("body", "Log server."), ("internal", "true")],
        &[("files", "server.log", "text/plain", b"ERROR 500 at 08:01")],
        Some(t1),
    );
    assert_eq!(r.status, 201, "{:?}", r.body);
    assert_eq!(r.body["internal"], json!(true));
    let r = app.post_form(&messages, &[("internal", "1")], &[("files", "dump.txt", "text/plain", b"x")], Some(head));
    assert_eq!(r.status, 201, "a unit head writes notes with files: {:?}", r.body);

    // Staff of the unit list every file; another unit does not even see the ticket.
    let list = app.get(&format!("/api/v1/tickets/{number}/attachments"), Some(t1));
    assert_eq!(list.status, 200, "{:?}", list.body);
    let items = list.items();
    let names: Vec<&str> = items.iter().filter_map(|i| i["filename"].as_str()).collect();
    assert_eq!(names, vec!["panduan.pdf", "layar.png", "server.log", "dump.txt"]);
    let pdf = items.iter().find(|i| i["filename"] == "panduan.pdf").cloned().unwrap_or(Value::Null);
    assert_eq!(
        (pdf["content_type"].as_str(), pdf["size"].as_u64(), pdf["message_id"].as_str()),
        (Some("application/pdf"), Some(PDF.len() as u64), Some(reply_id.as_str()))
    );
    assert_eq!(pdf["sha256"].as_str(), Some(sha256_hex(PDF).as_str()));
    let png_type = items.iter().find(|i| i["filename"] == "layar.png").map(|i| i["content_type"].clone());
    assert_eq!(png_type, Some(json!("image/png")), "sniffed from the bytes");
    let log_id = items.iter().find(|i| i["filename"] == "server.log").and_then(|i| i["id"].as_str()).unwrap_or("");
    let pdf_id = pdf["id"].as_str().unwrap_or_default();
    assert_eq!(app.get(&format!("/api/v1/tickets/{number}/attachments"), Some(other_unit)).status, 404);

    // Downloads: the bytes, as an attachment; outside the scope "not found", as the ticket.
    let (status, kind, disposition, bytes) =
        app.download(&format!("/api/v1/tickets/{number}/attachments/{pdf_id}"), Some(t1));
    assert_eq!((status, kind.as_str(), bytes.as_slice()), (200, "application/pdf", PDF));
    assert!(disposition.starts_with("attachment;") && disposition.contains("panduan.pdf"), "{disposition}");
    assert_eq!(app.download(&format!("/api/v1/tickets/{number}/attachments/{pdf_id}"), Some(other_unit)).0, 404);
    assert_eq!(app.download(&format!("/api/v1/tickets/{number}/attachments/nope"), Some(t1)).0, 404);
    assert_eq!(app.download(&format!("/api/v1/tickets/{number}/attachments/{pdf_id}"), None).0, 401);

    // The requester, with the tracking token, sees the public files only and downloads them.
    let view = app.get(&format!("/api/v1/public/tickets/{number}?token={token}"), None);
    assert_eq!(view.status, 200, "{:?}", view.body);
    let public: Vec<String> = view.body["attachments"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .filter_map(|a| a["filename"].as_str().map(str::to_string))
        .collect();
    assert_eq!(public, vec!["panduan.pdf", "layar.png"]);
    let public_file = |id: &str, token: &str| {
        app.download(&format!("/api/v1/public/tickets/{number}/attachments/{id}?token={token}"), None)
    };
    let (status, _, _, bytes) = public_file(pdf_id, &token);
    assert_eq!((status, bytes.as_slice()), (200, PDF));
    assert_eq!(public_file(log_id, &token).0, 404, "a note's file is not public");
    assert_eq!(public_file(pdf_id, "salah").0, 404, "the token is the key");
    // The tracking page links them; the note's file is not there.
    let page = answer(ureq::get(&format!("{}/lacak/{number}?token={token}", app.base)).call());
    assert!(page.body.contains("panduan.pdf") && page.body.contains("data-public-file"), "{}", page.body);
    assert!(!page.body.contains("server.log") && !page.body.contains("dump.txt"), "internal files stay inside");

    // The reply's e-mail carries the public files, no other notice carries a note's.
    let outbox = app.outbox_of(&number);
    let reply_mail: Vec<Value> = outbox
        .iter()
        .filter(|r| r.channel == "email" && r.template == "reply")
        .map(|r| serde_json::from_str(&r.payload).unwrap_or(Value::Null))
        .collect();
    assert_eq!(reply_mail.len(), 1, "one reply mail");
    let mailed: Vec<&str> =
        reply_mail[0]["attachments"].as_array().into_iter().flatten().filter_map(|f| f["file_name"].as_str()).collect();
    assert_eq!(mailed, vec!["panduan.pdf", "layar.png"]);
    assert!(!outbox.iter().any(|r| r.payload.contains("server.log")), "a note's file is never sent");
    // The audit event names the files.
    let events = app.get(&format!("/api/v1/tickets/{number}/events"), Some(t1)).items();
    let added = events
        .iter()
        .find(|e| e["kind"] == "message.added" && e["data"]["message_id"] == json!(reply_id))
        .cloned()
        .unwrap_or(Value::Null);
    assert_eq!(added["data"]["attachments"].as_array().map(Vec::len), Some(2), "{added}");

    // A requester account sees the public files of its own ticket, never the notes'.
    let warga = city.t("warga");
    let own = app.ticket(warga, json!({ "requester": null }));
    let r = app.post_form(
        &format!("/api/v1/tickets/{own}/messages"),
        &[("body", "Terlampir")],
        &[("files", "a.pdf", "application/pdf", PDF)],
        Some(t1),
    );
    assert_eq!(r.status, 201, "{:?}", r.body);
    app.post_form(
        &format!("/api/v1/tickets/{own}/messages"),
        &[("internal", "true")],
        &[("files", "b.txt", "text/plain", b"rahasia")],
        Some(t1),
    );
    let seen: Vec<Value> = app.get(&format!("/api/v1/tickets/{own}/attachments"), Some(warga)).items();
    assert_eq!(seen.iter().filter_map(|i| i["filename"].as_str()).collect::<Vec<_>>(), vec!["a.pdf"]);
    let hidden = app.get(&format!("/api/v1/tickets/{own}/attachments"), Some(t1)).items();
    let hidden_id = hidden.iter().find(|i| i["filename"] == "b.txt").and_then(|i| i["id"].as_str()).unwrap_or("");
    assert_eq!(app.download(&format!("/api/v1/tickets/{own}/attachments/{hidden_id}"), Some(warga)).0, 404);
    // A requester may not write a note, with or without files.
    let r = app.post_form(
        &format!("/api/v1/tickets/{own}/messages"),
        &[("internal", "true")],
        &[("files", "c.txt", "text/plain", b"x")],
        Some(warga),
    );
    assert_eq!(r.status, 403, "{:?}", r.body);
}

/// (field, file name, type, bytes), as `post_form` takes it.
type FilePart<'a> = (&'a str, &'a str, &'a str, &'a [u8]);

fn bad_files_are_refused_whole(app: &TestApp) {
    let city = app.city();
    let t1 = city.t("t1_dinkes");
    let number = app.ticket(t1, json!({}));
    let messages = format!("/api/v1/tickets/{number}/messages");
    let count = |app: &TestApp| {
        let t = app.get(&format!("/api/v1/tickets/{number}"), Some(t1));
        let files = app.get(&format!("/api/v1/tickets/{number}/attachments"), Some(t1)).items().len();
        (t.body["messages"].as_array().map_or(0, Vec::len), files)
    };
    let before = count(app);
    let big = vec![b'a'; 10 * 1024 * 1024 + 1];
    let eleven: Vec<(&str, String)> = (0..11).map(|i| ("files", format!("f{i}.txt"))).collect();
    let eleven: Vec<(&str, &str, &str, &[u8])> =
        eleven.iter().map(|(f, n)| (*f, n.as_str(), "text/plain", b"isi".as_slice())).collect();
    // (what, form fields, files, the field the refusal names)
    type Case<'a> = (&'a str, Vec<(&'a str, &'a str)>, Vec<FilePart<'a>>, &'a str);
    let cases: Vec<Case> = vec![
        (
            "an empty file",
            vec![("body", "Lihat lampiran")],
            vec![("files", "kosong.pdf", "application/pdf", b"")],
            "files",
        ),
        (
            "a file over 10 MB, even after a good one",
            vec![("body", "Lihat")],
            vec![("files", "ok.pdf", "application/pdf", PDF), ("files", "besar.bin", "application/octet-stream", &big)],
            "files",
        ),
        ("eleven files", vec![("body", "Banyak")], eleven, "files"),
        ("an unknown field", vec![("body", "Halo"), ("urgent", "1")], vec![], "urgent"),
        ("neither text nor file", vec![("internal", "false")], vec![], "body"),
    ];
    for (what, fields, files, field) in cases {
        let r = app.post_form(&messages, &fields, &files, Some(t1));
        assert!(matches!(r.status, 400 | 422), "{what}: {} {:?}", r.status, r.body);
        assert_eq!(r.field(), Some(field), "{what}: {:?}", r.body);
        assert_eq!(count(app), before, "{what}: nothing written");
    }
    let big_detail = app.post_form(&messages, &[], &[("files", "besar.bin", "application/pdf", &big)], Some(t1));
    assert!(big_detail.str("detail").contains("besar.bin"), "names the file: {:?}", big_detail.body);
}

fn the_console_sends_files(app: &TestApp) {
    let city = app.city();
    let number = app.ticket(city.t("t1_dinkes"), json!({}));
    let browser = Browser::sign_in(app, "t1_dinkes", PASSWORD);
    let path = format!("/konsol/tiket/{number}");
    let csrf = browser.csrf(&path);
    let page = browser.get(&path);
    assert!(page.body.contains("enctype=\"multipart/form-data\"") && page.body.contains("name=\"files\""));
    let post = |fields: &[(&str, &str)], files: &[(&str, &str, &str, &[u8])]| {
        let (kind, body) = multipart_files(fields, files);
        answer(
            browser
                .agent
                .post(&format!("{}{path}/pesan", browser.base))
                .set("Cookie", &browser.cookie)
                .set("Content-Type", &kind)
                .send_bytes(&body),
        )
    };
    let sent = post(
        &[("csrf", &csrf), ("body", "Silakan unduh panduan.")],
        &[("files", "panduan.pdf", "application/pdf", PDF), ("files", "", "application/octet-stream", b"")],
    );
    assert_eq!(sent.status, 303, "{}", sent.body);
    let noted = post(&[("csrf", &csrf), ("internal", "1")], &[("files", "log.txt", "text/plain", b"trace")]);
    assert_eq!(noted.status, 303, "{}", noted.body);
    let page = browser.get(&path);
    assert!(page.body.contains("panduan.pdf") && page.body.contains("log.txt"), "{}", page.body);
    let files = app.get(&format!("/api/v1/tickets/{number}/attachments"), Some(city.t("t1_dinkes"))).items();
    assert_eq!(files.len(), 2, "the empty file input adds nothing: {files:?}");
    // The download link works for the session; a forged form without its token does nothing.
    let id = files[0]["id"].as_str().unwrap_or_default();
    let download = browser.get(&format!("{path}/lampiran/{id}"));
    assert_eq!((download.status, download.body.as_bytes()), (200, PDF));
    let forged = post(&[("body", "Palsu")], &[("files", "palsu.pdf", "application/pdf", PDF)]);
    assert_eq!(forged.status, 403, "{}", forged.body);
    assert_eq!(app.get(&format!("/api/v1/tickets/{number}/attachments"), Some(city.t("t1_dinkes"))).items().len(), 2);
}

//! Issue 13's e-mail classes end to end, on both databases: every kind of untidy real-world mail
//! (written here; the corpus it was found in is not ours to ship) becomes a ticket with all of
//! its text, and what the desk will not take in lands in the quarantine, where a supervisor
//! reads it as text and makes it a ticket or discards it.

use serde_json::json;

use crate::both_databases;
use crate::email::{detail, inbound, setup};
use crate::helpers::{Browser, TestApp, PASSWORD};

fn created(app: &TestApp, token: &str, raw: &[u8]) -> String {
    let r = inbound(app, token, raw);
    assert_eq!((r.status, r.body["outcome"].clone()), (201, json!("created")), "{:?}", r.body);
    r.str("number").to_string()
}

/// The file names of a ticket's attachments, oldest first.
fn attachment_names(app: &TestApp, number: &str) -> Vec<String> {
    let id = app.ticket_row(number).id;
    let parts =
        app.desk.read_blocking(move |conn| Ok(meja::db::mail::attachments_of(conn, &id)?)).expect("attachments");
    parts.into_iter().map(|p| p.filename).collect()
}

both_databases!(
    long_bodies_and_subjects_fit_with_the_original_kept,
    unusual_senders_become_tickets_without_acknowledgement,
    undeclared_and_wrong_charsets_are_detected,
    all_the_text_in_order_and_unique_attachment_names,
    a_reused_message_id_is_not_a_duplicate,
    the_quarantine_is_worked_by_supervisors
);

fn long_bodies_and_subjects_fit_with_the_original_kept(app: &TestApp) {
    let city = setup(app);
    let (admin, agent) = (city.t("admin"), city.t("t1_dinkes"));
    let subject = format!("Laporan gangguan {}selesai", "jaringan puskesmas ".repeat(15));
    let body = "Kronologi kejadian di puskesmas hari ini. ".repeat(800);
    let raw = format!(
        "From: Siti <siti@example.com>\r\nSubject: {subject}\r\nMessage-ID: <long-1@example.com>\r\n\r\n{body}\r\n"
    );
    let number = created(app, admin, raw.as_bytes());
    let t = detail(app, agent, &number);
    let title = t["title"].as_str().unwrap_or("");
    assert!(title.chars().count() <= 200 && title.ends_with('…'), "{title}");
    let kept = title.trim_end_matches('…');
    assert!(subject.starts_with(kept) && subject[kept.len()..].starts_with(' '), "cut on a word: {title}");
    assert!(!title.contains("dipotong"));
    let description = t["description"].as_str().unwrap_or("");
    assert!(description.chars().count() <= 20_000, "{}", description.chars().count());
    assert!(description.starts_with("Kronologi kejadian") && description.contains("pesan-asli.eml"));
    assert!(attachment_names(app, &number).contains(&"pesan-asli.eml".to_string()));
}

fn unusual_senders_become_tickets_without_acknowledgement(app: &TestApp) {
    let city = setup(app);
    let (admin, agent) = (city.t("admin"), city.t("t1_dinkes"));
    for (i, from) in
        ["Budi <budi@example.com.>", "root@localhost", "Admin Server <admin@intranet>", "\"budi santoso\"@example.com"]
            .iter()
            .enumerate()
    {
        let raw =
            format!("From: {from}\r\nSubject: Tes pengirim {i}\r\nMessage-ID: <odd-{i}@x>\r\n\r\nServer mati.\r\n");
        let number = created(app, admin, raw.as_bytes());
        let t = detail(app, agent, &number);
        assert!(t["requester"]["email"].is_null(), "{from}: {:?}", t["requester"]);
        let name = t["requester"]["name"].as_str().unwrap_or("");
        assert!(!name.is_empty(), "{from}");
        // No acknowledgement is queued to an address that cannot receive it.
        assert!(app.outbox_of(&number).iter().all(|o| o.channel != "email"), "{from}");
    }
    let t = detail(app, agent, &created(app, admin, b"From: root@localhost\r\nSubject: x\r\n\r\ny\r\n"));
    assert!(t["requester"]["name"].as_str().unwrap_or("").contains("root@localhost"), "{:?}", t["requester"]);
    // No sender at all: kept in the quarantine, not dropped and not a ticket.
    let before = app.ticket_count();
    let r = inbound(app, admin, b"Subject: Tanpa pengirim\r\nMessage-ID: <nosender@x>\r\n\r\nIsi\r\n");
    assert_eq!((r.status, r.body["outcome"].clone()), (200, json!("quarantined")), "{:?}", r.body);
    assert_eq!(app.ticket_count(), before);
    let q = app.get("/api/v1/mail/quarantine", Some(admin));
    assert!(q.items().iter().any(|e| e["subject"] == "Tanpa pengirim" && e["reason"] == "the message names no sender"));
}

fn undeclared_and_wrong_charsets_are_detected(app: &TestApp) {
    let city = setup(app);
    let (admin, agent) = (city.t("admin"), city.t("t1_dinkes"));
    let mut raw = b"From: Li <li@example.cn>\r\nSubject: ".to_vec();
    raw.extend_from_slice(&encoding_rs::GBK.encode("系统无法登录").0);
    raw.extend_from_slice(b"\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n");
    raw.extend_from_slice(&encoding_rs::GBK.encode("您好，系统从昨天开始无法登录，请尽快处理。").0);
    raw.extend_from_slice(b"\r\n--b\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=\"");
    raw.extend_from_slice(&encoding_rs::GBK.encode("截图说明.pdf").0);
    raw.extend_from_slice(b"\"\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n--b--\r\n");
    let number = created(app, admin, &raw);
    let t = detail(app, agent, &number);
    assert_eq!(t["title"], "系统无法登录");
    assert_eq!(t["description"], "您好，系统从昨天开始无法登录，请尽快处理。");
    assert_eq!(attachment_names(app, &number), ["截图说明.pdf"]);
    let mut raw = b"From: Ivan <ivan@example.ru>\r\nSubject: =?koi8-r?B?8NLJzsTF0g==?=\r\n\r\n".to_vec();
    raw.extend_from_slice(&encoding_rs::WINDOWS_1251.encode("Принтер не печатает, помогите пожалуйста.").0);
    let t = detail(app, agent, &created(app, admin, &raw));
    assert_eq!(t["description"], "Принтер не печатает, помогите пожалуйста.");
    assert!(!t["title"].as_str().unwrap_or("").contains('\u{FFFD}'));
}

fn all_the_text_in_order_and_unique_attachment_names(app: &TestApp) {
    let city = setup(app);
    let (admin, agent) = (city.t("admin"), city.t("t1_dinkes"));
    let apple = b"From: Sri <sri@example.com>\r\nSubject: Layar error\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"m\"\r\n\r\n--m\r\nContent-Type: text/plain\r\n\r\nPertama muncul ini:\r\n--m\r\nContent-Type: image/png\r\nContent-Disposition: inline\r\nContent-Transfer-Encoding: base64\r\n\r\niVBORw0KGgoAAAANSUhEUg==\r\n--m\r\nContent-Type: text/plain\r\n\r\nLalu muncul ini:\r\n--m\r\nContent-Type: image/png\r\nContent-Disposition: inline\r\nContent-Transfer-Encoding: base64\r\n\r\niVBORw0KGgoAAAANSUhEUgAB\r\n--m\r\nContent-Type: text/plain\r\n\r\nTerima kasih.\r\n--m--\r\n";
    let number = created(app, admin, apple);
    let t = detail(app, agent, &number);
    let d = t["description"].as_str().unwrap_or("");
    let at = |s: &str| d.find(s).unwrap_or_else(|| panic!("{s:?} missing from {d:?}"));
    assert!(at("Pertama") < at("Lalu") && at("Lalu") < at("Terima kasih"));
    assert_eq!(attachment_names(app, &number), ["gambar.png", "gambar (2).png"]);
    // A reply carrying another unnamed picture: a third name, not a second "gambar.png".
    let reply = format!("From: Sri <sri@example.com>\r\nSubject: Re: [{number}] Layar error\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"r\"\r\n\r\n--r\r\nContent-Type: text/plain\r\n\r\nSatu lagi.\r\n--r\r\nContent-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n\r\niVBORw0KGgoAAAANSUhEUgAC\r\n--r--\r\n");
    let r = inbound(app, admin, reply.as_bytes());
    assert_eq!(r.body["outcome"], "appended", "{:?}", r.body);
    assert_eq!(attachment_names(app, &number), ["gambar.png", "gambar (2).png", "gambar (3).png"]);
    // An empty text part beside the HTML: the HTML's words.
    let html = b"From: Web <warga@example.com>\r\nSubject: Lapor\r\nMIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=\"a\"\r\n\r\n--a\r\nContent-Type: text/plain\r\n\r\n\r\n--a\r\nContent-Type: text/html\r\n\r\n<p>Jalan di <b>RT 05</b> rusak.</p>\r\n--a--\r\n";
    let t = detail(app, agent, &created(app, admin, html));
    assert!(t["description"].as_str().unwrap_or("").contains("Jalan di RT 05 rusak."), "{}", t["description"]);
    // A forward that opens a ticket keeps what was forwarded.
    let fwd = b"From: Kepala <kepala@example.com>\r\nSubject: Fwd: keluhan\r\n\r\nMohon ditindaklanjuti.\r\n\r\n-----Original Message-----\r\nFrom: Warga <warga@example.com>\r\nSubject: keluhan\r\n\r\nAir PDAM mati tiga hari di RW 02.\r\n";
    let t = detail(app, agent, &created(app, admin, fwd));
    assert!(t["description"].as_str().unwrap_or("").contains("Air PDAM mati tiga hari di RW 02."));
}

fn a_reused_message_id_is_not_a_duplicate(app: &TestApp) {
    let city = setup(app);
    let admin = city.t("admin");
    let one = b"From: a@example.com\r\nDate: Mon, 23 Nov 2026 08:00:00 +0700\r\nMessage-ID: <same@tool>\r\nSubject: Pertama\r\n\r\nA\r\n";
    let other = b"From: b@example.com\r\nDate: Mon, 23 Nov 2026 09:00:00 +0700\r\nMessage-ID: <same@tool>\r\nSubject: Kedua\r\n\r\nB\r\n";
    let first = created(app, admin, one);
    let second = created(app, admin, other);
    assert_ne!(first, second);
    // The same message delivered again (a relay added a header) is the duplicate.
    let mut again = b"X-Relayed: yes\r\n".to_vec();
    again.extend_from_slice(one);
    assert_eq!(inbound(app, admin, &again).body["outcome"], "duplicate");
    assert_eq!(inbound(app, admin, other).body["outcome"], "duplicate");
}

fn the_quarantine_is_worked_by_supervisors(app: &TestApp) {
    let city = setup(app);
    let (admin, sup, agent) = (city.t("admin"), city.t("sup_kominfo"), city.t("t1_dinkes"));
    let hostile =
        b"Subject: <script>alert(1)</script>\r\nContent-Type: text/html\r\n\r\n<img src=x onerror=alert(2)>\r\n";
    assert_eq!(inbound(app, admin, hostile).body["outcome"], "quarantined");
    assert_eq!(inbound(app, admin, b"Subject: Kedua\r\n\r\nbuang saya\r\n").body["outcome"], "quarantined");
    // Only admins and supervisors see it.
    assert_eq!(app.get("/api/v1/mail/quarantine", Some(agent)).status, 403);
    assert_eq!(app.get("/api/v1/mail/quarantine", Some(city.t("head_dinkes"))).status, 403);
    let items = app.get("/api/v1/mail/quarantine", Some(sup)).items();
    assert_eq!(items.len(), 2, "{items:?}");
    let hostile_id = items.iter().find(|e| e["subject"] == "<script>alert(1)</script>").expect("listed")["id"]
        .as_str()
        .unwrap_or("")
        .to_string();
    let keep_id =
        items.iter().find(|e| e["subject"] == "Kedua").expect("listed")["id"].as_str().unwrap_or("").to_string();
    for e in &items {
        assert!(e["size_bytes"].as_i64().unwrap_or(0) > 0 && e["received_at"].is_string() && e["reason"].is_string());
    }
    // The raw message is text under a sandbox: never rendered.
    let raw = app.raw("GET", &format!("/api/v1/mail/quarantine/{hostile_id}/raw"), None, Some(sup));
    assert_eq!(raw.status, 200);
    let browser = Browser::sign_in(app, "sup_kominfo", PASSWORD);
    let page = browser
        .agent
        .get(&format!("{}/konsol/admin/karantina/{hostile_id}/mentah", browser.base))
        .set("Cookie", &browser.cookie)
        .call()
        .expect("raw page");
    assert_eq!(page.status(), 200);
    let header = |name: &str| page.header(name).unwrap_or_default().to_string();
    assert!(header("Content-Type").starts_with("text/plain"), "{}", header("Content-Type"));
    assert_eq!(header("X-Content-Type-Options"), "nosniff");
    assert!(header("Content-Security-Policy").contains("sandbox"));
    assert!(page.into_string().unwrap_or_default().contains("<img src=x onerror=alert(2)>"), "shown as text");
    // The console lists it with its sender, subject, reason, size and date, escaped.
    let list = browser.get("/konsol/admin/karantina");
    assert_eq!(list.status, 200);
    assert!(list.body.contains("&#60;script&#62;alert(1)") && !list.body.contains("<script>alert(1)"), "{}", list.body);
    assert!(list.body.contains("the message names no sender"));
    // A unit head may not.
    assert_eq!(Browser::sign_in(app, "head_dinkes", PASSWORD).get("/konsol/admin/karantina").status, 403);
    // Made a ticket of a chosen unit, through the console form.
    let csrf = browser.csrf("/konsol/admin/karantina");
    let made =
        browser.post(&format!("/konsol/admin/karantina/{keep_id}/tiket"), &[("csrf", &csrf), ("unit", "DISDIK")]);
    assert_eq!(made.status, 303, "{}", made.body);
    let number = made.location.trim_start_matches("/konsol/tiket/").to_string();
    let t = detail(app, sup, &number);
    assert_eq!((t["unit"].clone(), t["title"].clone()), (json!("DISDIK"), json!("Kedua")));
    assert!(attachment_names(app, &number).contains(&"pesan-asli.eml".to_string()));
    assert_eq!(
        app.post(&format!("/api/v1/mail/quarantine/{keep_id}/ticket"), json!({ "unit": "DINKES" }), Some(sup)).status,
        409
    );
    // Discarded through the API: the bytes go, the record and the audit event stay.
    assert_eq!(app.post(&format!("/api/v1/mail/quarantine/{hostile_id}/discard"), json!({}), Some(agent)).status, 403);
    assert_eq!(app.post(&format!("/api/v1/mail/quarantine/{hostile_id}/discard"), json!({}), Some(sup)).status, 204);
    assert!(app.get("/api/v1/mail/quarantine", Some(sup)).items().is_empty(), "nothing waits");
    let all = app.get("/api/v1/mail/quarantine?all=true", Some(sup)).items();
    assert_eq!(all.len(), 2);
    assert!(all.iter().any(|e| e["settlement"] == "discarded" && e["settled_by"] == "sup_kominfo"));
    assert!(all.iter().any(|e| e["settlement"] == "ticket" && e["number"] == number.as_str()));
    let kinds: Vec<String> = app.all_events().into_iter().map(|e| e.kind).collect();
    assert!(kinds.contains(&"mail.quarantine_released".to_string()));
    assert!(kinds.contains(&"mail.quarantine_discarded".to_string()));
    let gone = app.raw("GET", &format!("/api/v1/mail/quarantine/{hostile_id}/raw"), None, Some(sup));
    assert_eq!(gone.body, json!(""), "a discarded message's bytes are gone");
}

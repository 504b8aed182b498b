//! Canned replies (issue 15): managed per unit and city-wide, filled in and sent on a ticket,
//! their action applied with the reply.

use serde_json::json;

use crate::both_databases;
use crate::helpers::{Browser, TestApp, PASSWORD};

both_databases!(
    canned_replies_are_scoped_and_checked,
    a_canned_reply_is_filled_in_sent_and_acts,
    console_picks_a_canned_reply,
    console_manages_canned_replies,
    a_canned_reply_carries_its_files
);

fn make(app: &TestApp, token: &str, body: serde_json::Value) -> String {
    let r = app.post("/api/v1/canned-replies", body.clone(), Some(token));
    assert_eq!(r.status, 201, "{body}: {:?}", r.body);
    r.str("id").to_string()
}

fn canned_replies_are_scoped_and_checked(app: &TestApp) {
    let city = app.city();
    let (t1, t1_disdik, t2, head) =
        (city.t("t1_dinkes"), city.t("t1_disdik"), city.t("t2_kominfo"), city.t("head_dinkes"));
    let own =
        make(app, t1, json!({ "title": "Sudah diterima", "body": "Laporan {{nomor}} kami terima.", "unit": "DINKES" }));
    let citywide = make(
        app,
        t2,
        json!({ "title": "Gangguan jaringan kota", "body": "Jaringan kota sedang diperbaiki.", "action": "pend" }),
    );
    // Tier 1 makes its unit's replies, not the city's nor another unit's.
    let r = app.post("/api/v1/canned-replies", json!({ "title": "Kota", "body": "Teks" }), Some(t1));
    assert_eq!(r.status, 403, "{:?}", r.body);
    let r = app.post("/api/v1/canned-replies", json!({ "title": "Lain", "body": "Teks", "unit": "DISDIK" }), Some(t1));
    assert_eq!(r.status, 403, "{:?}", r.body);
    // Each sees the city's and their unit's.
    let titles = |token: &str| -> Vec<String> {
        let r = app.get("/api/v1/canned-replies", Some(token));
        assert_eq!(r.status, 200, "{:?}", r.body);
        r.items().iter().map(|i| i["title"].as_str().unwrap_or_default().to_string()).collect()
    };
    assert_eq!(titles(t1), vec!["Gangguan jaringan kota", "Sudah diterima"]);
    assert_eq!(titles(t1_disdik), vec!["Gangguan jaringan kota"]);
    assert_eq!(titles(t2).len(), 2);
    assert_eq!(app.get("/api/v1/canned-replies", Some(city.t("warga"))).status, 403);
    // Another unit's reply is not found; the unit's head manages its unit's; tier 2 the city's.
    assert_eq!(
        app.patch(&format!("/api/v1/canned-replies/{own}"), json!({ "title": "X" }), Some(t1_disdik)).status,
        404
    );
    assert_eq!(app.patch(&format!("/api/v1/canned-replies/{own}"), json!({ "title": "X" }), Some(t2)).status, 403);
    assert_eq!(app.patch(&format!("/api/v1/canned-replies/{citywide}"), json!({ "title": "X" }), Some(t1)).status, 403);
    let r = app.patch(
        &format!("/api/v1/canned-replies/{own}"),
        json!({ "title": "Laporan diterima", "action": "resolve" }),
        Some(head),
    );
    assert_eq!((r.status, r.str("title"), r.str("action")), (200, "Laporan diterima", "resolve"), "{:?}", r.body);
    let r = app.patch(&format!("/api/v1/canned-replies/{own}"), json!({ "action": null }), Some(t1));
    assert_eq!((r.status, r.body["action"].clone()), (200, json!(null)), "{:?}", r.body);
    // Bad input names the field; nothing is saved.
    for (body, field) in [
        (json!({ "title": "Salah", "body": "Halo {{nama}}", "unit": "DINKES" }), "body"),
        (json!({ "title": "Salah", "body": "Halo", "unit": "DINKES", "action": "close" }), "action"),
        (json!({ "title": "  ", "body": "Halo", "unit": "DINKES" }), "title"),
        (json!({ "title": "Salah", "body": "Halo", "unit": "NOPE" }), "unit"),
    ] {
        let r = app.post("/api/v1/canned-replies", body.clone(), Some(t1));
        assert_eq!((r.status, r.field()), (422, Some(field)), "{body}: {:?}", r.body);
    }
    let r = app.patch(&format!("/api/v1/canned-replies/{own}"), json!({ "body": "{{tidak_ada}}" }), Some(t1));
    assert_eq!((r.status, r.field()), (422, Some("body")), "{:?}", r.body);
    assert!(
        r.body["detail"].as_str().unwrap_or_default().contains("{{nama_pelapor}}"),
        "lists the known ones: {:?}",
        r.body
    );
    assert_eq!(titles(t1).len(), 2);
    // Deleting: audited, then gone.
    assert_eq!(app.delete(&format!("/api/v1/canned-replies/{citywide}"), Some(t1)).status, 403);
    assert_eq!(app.delete(&format!("/api/v1/canned-replies/{citywide}"), Some(t2)).status, 204);
    assert_eq!(titles(t1), vec!["Laporan diterima"]);
    let kinds: Vec<String> =
        app.all_events().iter().map(|e| e.kind.clone()).filter(|k| k.starts_with("canned_reply.")).collect();
    assert_eq!(kinds.iter().filter(|k| *k == "canned_reply.created").count(), 2, "{kinds:?}");
    assert!(kinds.contains(&"canned_reply.updated".to_string()) && kinds.contains(&"canned_reply.deleted".to_string()));
}

fn a_canned_reply_is_filled_in_sent_and_acts(app: &TestApp) {
    let city = app.city();
    let t1 = city.t("t1_dinkes");
    let greeting = make(
        app,
        t1,
        json!({ "title": "Salam", "body": "Yth. {{nama_pelapor}}, laporan {{nomor}} tentang {{layanan}} di {{unit}} kami tangani. Salam, {{petugas}}", "unit": "DINKES" }),
    );
    let fixed = make(
        app,
        t1,
        json!({ "title": "Selesai", "body": "Masalah {{layanan}} sudah diatasi.", "unit": "DINKES", "action": "resolve" }),
    );
    let number = app.ticket(t1, json!({ "service": "SIMPUS" }));
    let messages = |n: &str| {
        app.get(&format!("/api/v1/tickets/{n}"), Some(t1)).body["messages"].as_array().cloned().unwrap_or_default()
    };

    // Without a body: the filled-in text.
    let r = app.post(&format!("/api/v1/tickets/{number}/messages"), json!({ "canned_reply": greeting }), Some(t1));
    assert_eq!(r.status, 201, "{:?}", r.body);
    let sent = r.str("body").to_string();
    assert!(sent.starts_with(&format!("Yth. Budi Santoso, laporan {number} tentang SIMPUS di ")), "{sent}");
    assert!(!sent.contains("{{"), "{sent}");
    // With a body: the agent's edited text.
    let r = app.post(
        &format!("/api/v1/tickets/{number}/messages"),
        json!({ "canned_reply": greeting, "body": "Teks yang diubah petugas." }),
        Some(t1),
    );
    assert_eq!((r.status, r.str("body")), (201, "Teks yang diubah petugas."), "{:?}", r.body);
    let uses = app
        .get("/api/v1/canned-replies", Some(t1))
        .items()
        .iter()
        .find(|i| i["id"] == json!(greeting))
        .map(|i| i["uses"].clone());
    assert_eq!(uses, Some(json!(2)), "usage counted");

    // An action the status machine refuses now (resolving a new ticket): nothing is sent.
    let fresh = app.ticket(t1, json!({ "service": "SIMPUS" }));
    let before = messages(&fresh).len();
    let r = app.post(&format!("/api/v1/tickets/{fresh}/messages"), json!({ "canned_reply": fixed }), Some(t1));
    assert_eq!(r.status, 409, "{:?}", r.body);
    assert_eq!(messages(&fresh).len(), before, "the reply is not sent without its action");
    // Once started, the reply resolves it with its text as the resolution.
    assert_eq!(app.act(&number, "start", json!({}), t1).status, 200);
    let replies_before = app.outbox_of(&number).iter().filter(|o| o.template == "reply").count();
    let r = app.post(&format!("/api/v1/tickets/{number}/messages"), json!({ "canned_reply": fixed }), Some(t1));
    assert_eq!(r.status, 201, "{:?}", r.body);
    let ticket = app.get(&format!("/api/v1/tickets/{number}"), Some(t1));
    assert_eq!(ticket.str("status"), "resolved", "{:?}", ticket.body);
    // The resolution is the reply: sent once, one resolution notice.
    let sent = messages(&number).iter().filter(|m| m["body"] == json!("Masalah SIMPUS sudah diatasi.")).count();
    assert_eq!(sent, 1, "the text is posted once");
    let notices = app.outbox_of(&number);
    let reply_notices = notices.iter().filter(|o| o.template == "reply").count();
    assert_eq!(notices.iter().filter(|o| o.template == "ticket_resolved").count(), 1);
    assert_eq!(reply_notices, replies_before, "no extra reply notice beside the resolution");
    // A resolving canned reply cannot go as an internal note (its text would reach the requester).
    let other_ticket = app.ticket(t1, json!({}));
    assert_eq!(app.act(&other_ticket, "start", json!({}), t1).status, 200);
    let r = app.post(
        &format!("/api/v1/tickets/{other_ticket}/messages"),
        json!({ "canned_reply": fixed, "internal": true }),
        Some(t1),
    );
    assert_eq!((r.status, r.field()), (422, Some("internal")), "{:?}", r.body);
    assert_eq!(app.get(&format!("/api/v1/tickets/{other_ticket}"), Some(t1)).str("status"), "open");

    // Another unit's reply, or an unknown id, is refused by name.
    let other = make(app, city.t("t1_disdik"), json!({ "title": "Disdik", "body": "Teks", "unit": "DISDIK" }));
    for id in [other.as_str(), "tidak-ada"] {
        let r = app.post(&format!("/api/v1/tickets/{fresh}/messages"), json!({ "canned_reply": id }), Some(t1));
        assert_eq!((r.status, r.field()), (422, Some("canned_reply")), "{id}: {:?}", r.body);
    }
    // Neither body nor canned reply: malformed, as before.
    let r = app.post(&format!("/api/v1/tickets/{fresh}/messages"), json!({ "internal": true }), Some(t1));
    assert_eq!(r.status, 400, "{:?}", r.body);
}

fn console_picks_a_canned_reply(app: &TestApp) {
    let city = app.city();
    let t1 = city.t("t1_dinkes");
    let id = make(
        app,
        t1,
        json!({ "title": "Salam", "body": "Yth. {{nama_pelapor}}, laporan {{nomor}} kami terima.", "unit": "DINKES" }),
    );
    let number = app.ticket(t1, json!({}));
    let browser = Browser::sign_in(app, "t1_dinkes", PASSWORD);
    let page = browser.get(&format!("/konsol/tiket/{number}"));
    assert_eq!(page.status, 200);
    let filled = format!("data-text=\"Yth. Budi Santoso, laporan {number} kami terima.\"");
    assert!(page.body.contains(&filled), "the picker carries the filled-in text: {}", page.body);
    let csrf = browser.csrf(&format!("/konsol/tiket/{number}"));
    // Without script: the reply box left empty sends the canned text.
    let page =
        browser.post(&format!("/konsol/tiket/{number}/pesan"), &[("csrf", &csrf), ("canned_reply", &id), ("body", "")]);
    assert_eq!(page.status, 303, "{}", page.body);
    let detail = app.get(&format!("/api/v1/tickets/{number}"), Some(t1));
    let bodies: Vec<&str> =
        detail.body["messages"].as_array().into_iter().flatten().filter_map(|m| m["body"].as_str()).collect();
    assert!(bodies.contains(&format!("Yth. Budi Santoso, laporan {number} kami terima.").as_str()), "{bodies:?}");
}

fn console_manages_canned_replies(app: &TestApp) {
    let city = app.city();
    let t1 = city.t("t1_dinkes");
    let browser = Browser::sign_in(app, "t1_dinkes", PASSWORD);
    let page = browser.get("/konsol/balasan");
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("{{nama_pelapor}}"), "the placeholders are listed");
    assert!(!page.body.contains("<option value=\"\">Seluruh kota"), "tier 1 is not offered the city-wide scope");
    let csrf = browser.csrf("/konsol/balasan");
    let made = browser.post(
        "/konsol/balasan",
        &[
            ("csrf", &csrf),
            ("title", "Printer"),
            ("body", "Printer {{unit}} sudah diganti."),
            ("unit", "DINKES"),
            ("action", ""),
        ],
    );
    assert_eq!(made.status, 303, "{}", made.body);
    // Another unit's scope, forged into the form: refused.
    let forged = browser.post("/konsol/balasan", &[("csrf", &csrf), ("title", "X"), ("body", "Y"), ("unit", "DISDIK")]);
    assert_eq!(forged.status, 403, "{}", forged.body);
    let bad =
        browser.post("/konsol/balasan", &[("csrf", &csrf), ("title", "X"), ("body", "{{salah}}"), ("unit", "DINKES")]);
    assert_eq!(bad.status, 422, "{}", bad.body);
    let items = app.get("/api/v1/canned-replies", Some(t1)).items();
    assert_eq!(items.len(), 1, "{items:?}");
    let id = items[0]["id"].as_str().unwrap_or_default().to_string();
    let edit = browser.get(&format!("/konsol/balasan/{id}"));
    assert!(edit.status == 200 && edit.body.contains("Printer {{unit}} sudah diganti."), "{}", edit.body);
    let changed = browser.post(
        &format!("/konsol/balasan/{id}"),
        &[("csrf", &csrf), ("title", "Printer diganti"), ("body", "Sudah diganti."), ("action", "resolve")],
    );
    assert_eq!(changed.status, 303, "{}", changed.body);
    let items = app.get("/api/v1/canned-replies", Some(t1)).items();
    assert_eq!((items[0]["title"].clone(), items[0]["action"].clone()), (json!("Printer diganti"), json!("resolve")));
    // Another unit's agent cannot open it for editing.
    let other = Browser::sign_in(app, "t1_disdik", PASSWORD);
    assert_eq!(other.get(&format!("/konsol/balasan/{id}")).status, 404);
    assert_eq!(browser.post(&format!("/konsol/balasan/{id}/hapus"), &[("csrf", &csrf)]).status, 303);
    assert!(app.get("/api/v1/canned-replies", Some(t1)).items().is_empty());
}

fn a_canned_reply_carries_its_files(app: &TestApp) {
    let city = app.city();
    let (t1, other) = (city.t("t1_dinkes"), city.t("t1_disdik"));
    let pdf: &[u8] = b"%PDF-1.4\n%%EOF\n";
    let id =
        make(app, t1, json!({ "title": "Panduan", "body": "Panduan untuk {{nomor}} terlampir.", "unit": "DINKES" }));
    let files = format!("/api/v1/canned-replies/{id}/files");
    let r = app.post_form(&files, &[], &[("files", "panduan.pdf", "application/pdf", pdf)], Some(t1));
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body["files"][0]["filename"], "panduan.pdf");
    // Another unit's agent may not; JSON is not a file; an empty file is refused.
    assert_eq!(app.post_form(&files, &[], &[("files", "x.pdf", "application/pdf", pdf)], Some(other)).status, 404);
    assert_eq!(app.post(&files, json!({}), Some(t1)).status, 415);
    let r = app.post_form(&files, &[], &[("files", "kosong.pdf", "application/pdf", b"")], Some(t1));
    assert_eq!((r.status, r.field()), (422, Some("files")), "{:?}", r.body);
    // A reply with files cannot become a resolving one.
    let r = app.patch(&format!("/api/v1/canned-replies/{id}"), json!({ "action": "resolve" }), Some(t1));
    assert_eq!((r.status, r.field()), (422, Some("action")), "{:?}", r.body);

    // Used on a ticket: the message carries the files, and so does the requester's mail.
    let number = app.ticket(t1, json!({}));
    let r = app.post(&format!("/api/v1/tickets/{number}/messages"), json!({ "canned_reply": id }), Some(t1));
    assert_eq!(r.status, 201, "{:?}", r.body);
    let message = r.str("id").to_string();
    let attached = app.get(&format!("/api/v1/tickets/{number}/attachments"), Some(t1)).items();
    assert_eq!(attached.len(), 1, "{attached:?}");
    assert_eq!(
        (attached[0]["filename"].as_str(), attached[0]["message_id"].as_str()),
        (Some("panduan.pdf"), Some(message.as_str()))
    );
    let mail = app.outbox_of(&number).into_iter().find(|o| o.template == "reply").expect("the reply mail");
    assert!(mail.payload.contains("panduan.pdf"), "{}", mail.payload);

    // Removed from the reply: later uses carry nothing; the console manages them too.
    let file = app.get("/api/v1/canned-replies", Some(t1)).items()[0]["files"][0]["id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let r = app.delete(&format!("{files}/{file}"), Some(t1));
    assert_eq!((r.status, r.body["files"].clone()), (200, json!([])), "{:?}", r.body);
    let browser = Browser::sign_in(app, "t1_dinkes", PASSWORD);
    let page = format!("/konsol/balasan/{id}");
    let csrf = browser.csrf(&page);
    let (kind, body) =
        crate::helpers::multipart_files(&[("csrf", &csrf)], &[("files", "formulir.pdf", "application/pdf", pdf)]);
    let sent = crate::helpers::answer(
        browser
            .agent
            .post(&format!("{}{page}/lampiran", browser.base))
            .set("Cookie", &browser.cookie)
            .set("Content-Type", &kind)
            .send_bytes(&body),
    );
    assert_eq!(sent.status, 303, "{}", sent.body);
    assert!(browser.get(&page).body.contains("data-canned-file=\"formulir.pdf\""));
}

//! The WhatsApp channel end to end against the local fake of Meta's Cloud API, on both
//! databases: Meta's handshake, signed webhooks (a bad signature stores nothing), a citizen's
//! whole report with a photo through lists and reply buttons, one requester with the number
//! given by phone, the agent's reply pushed, the citizen's quoted reply on the ticket, notes
//! never sent, status callbacks on the timeline, a resent webhook, the rating, templates
//! outside the 24-hour window (and after Meta's 131047), rate limits retried by code,
//! BERHENTI and MULAI, odd input and floods.

use std::sync::Arc;

use meja::config::{Secret, Settings, Template};
use meja::whatsapp::{delivery, WhatsApp};
use serde_json::{json, Value};

use crate::fake_whatsapp::{
    choices, meta_bytes, post, post_raw, status, words, Citizen, FakeWhatsApp, APP_SECRET, PHONE_NUMBER_ID, TOKEN,
    VERIFY_TOKEN, VERSION,
};
use crate::helpers::{monday_0800, spawn_app_with, Backend, TestApp};

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";

fn configure(settings: &mut Settings, fake_url: &str) {
    let w = &mut settings.whatsapp;
    w.token = Some(Secret::new(TOKEN));
    w.phone_number_id = PHONE_NUMBER_ID.into();
    w.app_secret = Some(Secret::new(APP_SECRET));
    w.verify_token = Some(Secret::new(VERIFY_TOKEN));
    w.api_url = fake_url.into();
    w.api_version = VERSION.into();
    for (notice, name) in [
        ("received", "meja_diterima"),
        ("reply", "meja_balasan"),
        ("status", "meja_status"),
        ("resolved", "meja_selesai"),
    ] {
        w.templates.insert(notice.into(), Template { name: name.into(), language: "id".into() });
    }
}

fn app_with_whatsapp(backend: Backend, fake: &FakeWhatsApp) -> Option<(TestApp, Arc<WhatsApp>)> {
    let url = fake.url.clone();
    let app = spawn_app_with(backend, monday_0800(), move |s| configure(s, &url))?;
    let mut settings = Settings::default();
    configure(&mut settings, &fake.url);
    let whatsapp = WhatsApp::from_settings(&settings).expect("settings").expect("configured");
    Some((app, whatsapp))
}

/// Everything due, sent.
async fn deliver(app: &TestApp, wa: &WhatsApp) -> meja::delivery::Delivered {
    let mut total = meja::delivery::Delivered::default();
    loop {
        let r = delivery::deliver_due(&app.desk, wa).await.expect("deliver");
        total.sent += r.sent;
        total.retrying += r.retrying;
        total.given_up += r.given_up;
        total.skipped += r.skipped;
        if r.sent + r.given_up + r.skipped == 0 || r.retrying > 0 {
            return total;
        }
    }
}

fn say(app: &TestApp, payload: &Value) {
    assert_eq!(post(&app.base, payload), 200, "the webhook takes {payload}");
}

fn detail(app: &TestApp, token: &str, number: &str) -> Value {
    let r = app.get(&format!("/api/v1/tickets/{number}"), Some(token));
    assert_eq!(r.status, 200, "{:?}", r.body);
    r.body
}

#[test]
fn a_report_on_whatsapp_sqlite() {
    a_report_on_whatsapp(Backend::Sqlite);
}

#[test]
fn a_report_on_whatsapp_postgres() {
    a_report_on_whatsapp(Backend::Postgres);
}

fn a_report_on_whatsapp(backend: Backend) {
    let fake = FakeWhatsApp::start();
    let Some((app, wa)) = app_with_whatsapp(backend, &fake) else { return };
    let city = app.city();
    let agent = city.t("t1_dinkes");
    let rt = actix_web::rt::System::new();

    // Meta's handshake.
    let shake =
        app.get("/whatsapp/webhook?hub.mode=subscribe&hub.verify_token=verify-me&hub.challenge=1158201444", None);
    assert_eq!((shake.status, shake.body.as_i64()), (200, Some(1158201444)), "{:?}", shake.body);
    assert_eq!(app.get("/whatsapp/webhook?hub.mode=subscribe&hub.verify_token=nope&hub.challenge=1", None).status, 403);

    // The same person reported by telephone before, the number written as people write it.
    let by_phone = app.open_ticket(
        agent,
        json!({ "requester": { "name": "Siti Aminah", "phone": "0812-3456-7890" }, "channel": "phone" }),
    );
    assert_eq!(by_phone.status, 201, "{:?}", by_phone.body);
    let earlier = by_phone.str("number").to_string();
    let siti = Citizen::new("6281234567890", "Siti");

    // Somebody types Siti's number next to their own address on the portal: that record is
    // never hers on WhatsApp (her tracking link must not go to that address).
    let stranger = app.post(
        "/api/v1/public/tickets",
        json!({ "kind": "incident", "title": "Laporan orang lain", "description": "Bukan Siti.", "unit": "DINKES",
                "requester": { "name": "Orang Lain", "email": "orang.lain@example.com", "phone": "+62 812 3456 7890" } }),
        None,
    );
    assert_eq!(stranger.status, 201, "{:?}", stranger.body);
    let strangers = stranger.str("number").to_string();

    // A bad or missing signature is refused and stores nothing.
    let first = siti.text("Halo, SIMPUS error terus");
    assert_eq!(post_raw(&app.base, &meta_bytes(&first), Some("sha256=00ff")), 401);
    assert_eq!(post_raw(&app.base, &meta_bytes(&first), None), 401);
    let forged = meja_whatsapp::signature::sign(b"not-the-secret", &meta_bytes(&first));
    assert_eq!(post_raw(&app.base, &meta_bytes(&first), Some(&forged)), 401);
    rt.block_on(deliver(&app, &wa));
    assert!(fake.sent_to(&siti.wa_id).is_empty(), "nothing came of unsigned posts");

    // Any first message starts the guided report: units as a list.
    say(&app, &first);
    rt.block_on(deliver(&app, &wa));
    let (_, ask) = fake.last_to(&siti.wa_id);
    assert_eq!(ask["interactive"]["type"], "list", "{ask}");
    let units = choices(&ask);
    assert!(units.len() <= 10 && units.contains(&"unit:DINKES".to_string()), "{units:?}");
    say(&app, &siti.pick("unit:DINKES"));
    rt.block_on(deliver(&app, &wa));
    assert!(choices(&fake.last_to(&siti.wa_id).1).contains(&"svc:SIMPUS".to_string()));
    say(&app, &siti.pick("svc:SIMPUS"));
    rt.block_on(deliver(&app, &wa));
    assert!(words(&fake.last_to(&siti.wa_id).1).contains("Jenis laporan"));
    say(&app, &siti.pick("kind:incident"));
    say(&app, &siti.text("SIMPUS menampilkan error 500 sejak pagi di Puskesmas Jebres."));
    fake.add_media("MEDIA-1", "image/png", PNG);
    say(&app, &siti.image("MEDIA-1"));
    rt.block_on(deliver(&app, &wa));
    let (_, attach) = fake.last_to(&siti.wa_id);
    assert!(words(&attach).contains("Lampiran diterima (1)"), "{attach}");
    assert_eq!(attach["interactive"]["type"], "button", "Lanjut and Batal are reply buttons");
    say(&app, &siti.pick("lanjut"));
    rt.block_on(deliver(&app, &wa));
    assert_eq!(choices(&fake.last_to(&siti.wa_id).1), vec!["kirim", "batal"]);
    say(&app, &siti.pick("kirim"));
    rt.block_on(deliver(&app, &wa));
    let (_, done) = fake.last_to(&siti.wa_id);
    let text = words(&done);
    let number =
        text.split_whitespace().find(|w| w.starts_with("SD-")).expect("a number").trim_end_matches('.').to_string();
    assert!(text.contains("status ") && text.contains("tiket saya"), "commands as typed on WhatsApp: {text}");

    let ticket = detail(&app, agent, &number);
    assert_eq!(ticket["channel"], "whatsapp");
    assert_eq!(ticket["requester"]["phone"], "0812-3456-7890", "kept as first written");
    assert_eq!(
        ticket["requester"]["id"],
        detail(&app, agent, &earlier)["requester"]["id"],
        "one requester across channels"
    );
    let files = app.get(&format!("/api/v1/tickets/{number}/attachments"), Some(agent)).items();
    assert_eq!((files.len(), files[0]["content_type"].as_str()), (1, Some("image/png")), "{files:?}");

    assert!(text.contains("/lacak/") && text.contains("token="), "the report ends with its tracking link: {text}");
    assert_ne!(ticket["requester"]["id"], detail(&app, agent, &strangers)["requester"]["id"]);
    assert!(app.outbox_of(&number).iter().all(|r| r.channel != "email"), "nothing goes to the stranger's address");

    // "tiket saya" lists both: the number is one person (the stranger's report is not hers).
    say(&app, &siti.text("tiket saya"));
    rt.block_on(deliver(&app, &wa));
    let mine = words(&fake.last_to(&siti.wa_id).1);
    assert!(mine.contains(&number) && mine.contains(&earlier) && !mine.contains(&strangers), "{mine}");

    // The agent's reply is pushed; a note never is.
    assert_eq!(
        app.post(
            &format!("/api/v1/tickets/{number}/messages"),
            json!({ "body": "Catatan: cek server", "internal": true }),
            Some(agent)
        )
        .status,
        201
    );
    assert_eq!(
        app.post(
            &format!("/api/v1/tickets/{number}/messages"),
            json!({ "body": "Mohon coba masuk lagi sekarang." }),
            Some(agent)
        )
        .status,
        201
    );
    rt.block_on(deliver(&app, &wa));
    let sent = fake.sent_to(&siti.wa_id);
    assert!(!sent.iter().any(|(_, m)| words(m).contains("cek server")), "internal notes stay inside");
    let (reply_id, reply) = sent.last().cloned().expect("the reply");
    assert!(words(&reply).contains("Mohon coba masuk lagi sekarang."), "{reply}");

    // A reply with a file: the text, then the file uploaded to Meta and sent as a document.
    let pdf: &[u8] = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n";
    let r = app.post_form(
        &format!("/api/v1/tickets/{number}/messages"),
        &[("body", "Panduan terlampir.")],
        &[("files", "panduan.pdf", "application/pdf", pdf)],
        Some(agent),
    );
    assert_eq!(r.status, 201, "{:?}", r.body);
    rt.block_on(deliver(&app, &wa));
    let (_, document) = fake.last_to(&siti.wa_id);
    assert_eq!(
        (document["type"].as_str(), document["document"]["filename"].as_str()),
        (Some("document"), Some("panduan.pdf")),
        "{document}"
    );
    assert_eq!(fake.uploads().last().map(|(name, _)| name.as_str()), Some("panduan.pdf"));

    // The citizen quotes it: a public message on the ticket, once though Meta sends it twice.
    let answer = siti.quoting(&reply_id, "Sudah bisa, terima kasih!");
    say(&app, &answer);
    say(&app, &answer);
    let messages = detail(&app, agent, &number)["messages"].as_array().cloned().unwrap_or_default();
    let from_citizen: Vec<&Value> = messages.iter().filter(|m| m["body"] == "Sudah bisa, terima kasih!").collect();
    assert_eq!(from_citizen.len(), 1, "{messages:?}");

    // Status callbacks: recorded on the outbox row, read never undone by a late delivered.
    say(&app, &status(&reply_id, &siti.wa_id, "read", None));
    say(&app, &status(&reply_id, &siti.wa_id, "delivered", None));
    let row = app
        .outbox_of(&number)
        .into_iter()
        .find(|r| r.remote_id.as_deref() == Some(reply_id.as_str()))
        .expect("the reply's row");
    assert_eq!(row.remote_status.as_deref(), Some("read"));
    let page = app.get(&format!("/api/v1/tickets/{number}/deliveries"), Some(agent));
    assert_eq!(page.status, 200, "{:?}", page.body);
    assert!(page.items().iter().any(|d| d["channel"] == "whatsapp" && d["remote_status"] == "read"), "{:?}", page.body);
    assert_eq!(page.body["whatsapp"][0]["open"], true, "{:?}", page.body);
    assert_eq!(
        app.get(&format!("/api/v1/tickets/{number}/deliveries"), Some(city.t("warga"))).status,
        403,
        "staff only"
    );
    assert_eq!(
        app.get(&format!("/api/v1/tickets/{number}/deliveries"), Some(city.t("t1_disdik"))).status,
        404,
        "scoped like the ticket"
    );
    // The console shows the window and the statuses; the admin page the templates.
    let console = crate::helpers::Browser::sign_in(&app, "t1_dinkes", crate::helpers::PASSWORD);
    let shown = console.get(&format!("/konsol/tiket/{number}"));
    assert!(shown.body.contains("jendela 24 jam terbuka sampai") && shown.body.contains("dibaca"), "{}", shown.body);
    let admin = crate::helpers::Browser::sign_in(&app, "admin", crate::helpers::ADMIN_PASSWORD);
    let settings = admin.get("/konsol/admin/whatsapp");
    assert!(
        settings.body.contains("meja_selesai (id)") && settings.body.contains(PHONE_NUMBER_ID),
        "{}",
        settings.body
    );
    assert!(!settings.body.contains(TOKEN) && !settings.body.contains(APP_SECRET), "no secret on the page");
    assert_eq!(console.get("/konsol/admin/whatsapp").status, 403, "admins only");

    // Meta fails a free-form notice after the window closed (131047): it goes as the template.
    app.act(&number, "assign", json!({ "username": "t1_dinkes" }), agent);
    assert_eq!(
        app.post(&format!("/api/v1/tickets/{number}/messages"), json!({ "body": "Kami pantau lagi." }), Some(agent))
            .status,
        201
    );
    rt.block_on(deliver(&app, &wa));
    let (late_id, _) = fake.last_to(&siti.wa_id);
    say(&app, &status(&late_id, &siti.wa_id, "failed", Some(131047)));
    say(&app, &status(&late_id, &siti.wa_id, "failed", Some(131047)));
    say(&app, &status(&late_id, &siti.wa_id, "sent", None));
    rt.block_on(deliver(&app, &wa));
    assert_eq!(words(&fake.last_to(&siti.wa_id).1), "template:meja_balasan");
    let templates = fake.sent_to(&siti.wa_id).iter().filter(|(_, m)| words(m) == "template:meja_balasan").count();
    assert_eq!(templates, 1, "once, though Meta said it twice");
    let failed_row =
        app.outbox_of(&number).into_iter().find(|r| r.remote_id.as_deref() == Some(late_id.as_str())).expect("row");
    assert_eq!(failed_row.remote_status.as_deref(), Some("failed:131047"), "a late `sent` does not hide the failure");

    // Rate limits are retried by Meta's code (400 or 429 alike); other refusals are final.
    fake.refuse_next(&[(400, 131056)]);
    assert_eq!(
        app.post(&format!("/api/v1/tickets/{number}/messages"), json!({ "body": "Satu lagi." }), Some(agent)).status,
        201
    );
    let first_try = rt.block_on(deliver(&app, &wa));
    assert_eq!((first_try.sent, first_try.retrying), (0, 1));
    app.clock.advance(chrono::Duration::seconds(61));
    assert_eq!(rt.block_on(deliver(&app, &wa)).sent, 1);
    assert!(words(&fake.last_to(&siti.wa_id).1).contains("Satu lagi."));

    // Outside the 24-hour window: the resolution goes as its template, then the rating.
    app.clock.advance(chrono::Duration::hours(25));
    let resolved = app.act(&number, "resolve", json!({ "resolution": "Server SIMPUS dipulihkan." }), agent);
    assert_eq!(resolved.status, 200, "{:?}", resolved.body);
    rt.block_on(deliver(&app, &wa));
    let (_, template) = fake.last_to(&siti.wa_id);
    assert_eq!(template["template"]["name"], "meja_selesai");
    assert_eq!(template["template"]["components"][0]["parameters"][0]["text"], number.as_str());
    say(&app, &siti.pick(&format!("rate:{number}:5")));
    rt.block_on(deliver(&app, &wa));
    assert!(words(&fake.last_to(&siti.wa_id).1).contains("5/5"));

    // BERHENTI: no more notices about earlier reports; MULAI: again.
    say(&app, &siti.text("BERHENTI"));
    rt.block_on(deliver(&app, &wa));
    assert!(words(&fake.last_to(&siti.wa_id).1).contains("MULAI"));
    let before = fake.sent_to(&siti.wa_id).len();
    assert_eq!(
        app.post(
            &format!("/api/v1/tickets/{earlier}/messages"),
            json!({ "body": "Kabar untuk tiket lama." }),
            Some(agent)
        )
        .status,
        201
    );
    let quiet = rt.block_on(deliver(&app, &wa));
    assert_eq!((quiet.sent, fake.sent_to(&siti.wa_id).len()), (0, before), "{quiet:?}");
    say(&app, &siti.text("mulai"));
    assert_eq!(
        app.post(
            &format!("/api/v1/tickets/{earlier}/messages"),
            json!({ "body": "Kabar sesudah MULAI." }),
            Some(agent)
        )
        .status,
        201
    );
    rt.block_on(deliver(&app, &wa));
    assert!(fake.sent_to(&siti.wa_id).iter().any(|(_, m)| words(m).contains("Kabar sesudah MULAI.")));
    assert_eq!(fake.bad_token_calls(), 0);

    // Her data, asked for and erased: the WhatsApp contact is part of both.
    let sup = city.t("sup_kominfo");
    let files = crate::personal_data::export_zip(&app, "phone=%2B6281234567890", sup);
    let data: Value = serde_json::from_slice(&files["data.json"]).expect("data.json");
    assert_eq!(data["whatsapp"][0]["wa_id"], siti.wa_id.as_str(), "{:?}", data["whatsapp"]);
    let erased = app.post(
        "/api/v1/personal-data/anonymise",
        json!({ "phone": "+6281234567890", "reason": "Permintaan pelapor" }),
        Some(sup),
    );
    assert_eq!(erased.status, 200, "{:?}", erased.body);
    assert_eq!(erased.body["whatsapp_contacts_forgotten"], 1, "{:?}", erased.body);
}

#[test]
fn odd_input_on_whatsapp_sqlite() {
    odd_input_on_whatsapp(Backend::Sqlite);
}

#[test]
fn odd_input_on_whatsapp_postgres() {
    odd_input_on_whatsapp(Backend::Postgres);
}

/// Bad input never makes a 500 for Meta (which would resend forever) and loses nothing.
fn odd_input_on_whatsapp(backend: Backend) {
    let fake = FakeWhatsApp::start();
    let Some((app, wa)) = app_with_whatsapp(backend, &fake) else { return };
    app.city();
    let rt = actix_web::rt::System::new();
    let budi = Citizen::new("6285700000001", "Budi");

    // Signed, yet not a notification: acknowledged, logged, nothing stored.
    let junk = b"{\"entry\": 12";
    let signature = meja_whatsapp::signature::sign(APP_SECRET.as_bytes(), junk);
    assert_eq!(post_raw(&app.base, junk, Some(&signature)), 200);

    // A sticker gets a polite answer; a file nobody asked for is not fetched.
    say(&app, &budi.sticker());
    fake.add_media("MEDIA-X", "image/png", PNG);
    say(&app, &budi.text("batal"));
    say(&app, &budi.image("MEDIA-X"));
    rt.block_on(deliver(&app, &wa));
    let sent: Vec<String> = fake.sent_to(&budi.wa_id).iter().map(|(_, m)| words(m)).collect();
    assert!(sent[0].contains("stiker"), "{sent:?}");
    assert!(sent.last().is_some_and(|w| w.contains("lampiran")), "{sent:?}");

    // A final refusal (Meta's 131026, undeliverable) gives the message up at once.
    fake.refuse_next(&[(400, 131026)]);
    say(&app, &budi.text("bantuan"));
    let refused = rt.block_on(deliver(&app, &wa));
    assert_eq!(refused.given_up, 1, "{refused:?}");
    // A given-up message holds nothing back: the next answer goes.
    say(&app, &budi.text("bantuan"));
    assert_eq!(rt.block_on(deliver(&app, &wa)).sent, 1);

    // A number from abroad hears English.
    let visitor = Citizen::new("447700900123", "Visitor");
    say(&app, &visitor.text("hello, the tax portal is down"));
    rt.block_on(deliver(&app, &wa));
    let greeting = words(&fake.last_to(&visitor.wa_id).1);
    assert!(greeting.starts_with("Hello!") && greeting.contains("Which agency"), "{greeting}");

    // A flood from one number: past the limit, one warning, the rest recorded unanswered.
    let flood = Citizen::new("6285700000002", "Banjir");
    for _ in 0..40 {
        say(&app, &flood.text("halo"));
    }
    rt.block_on(deliver(&app, &wa));
    let answers = fake.sent_to(&flood.wa_id);
    assert!(answers.len() <= 31, "{}", answers.len());
    assert_eq!(answers.iter().filter(|(_, m)| words(m).contains("terlalu cepat")).count(), 1);
}

//! The Telegram channel end to end against the local fake of the Bot API: a citizen's whole
//! `/lapor` dialogue to a ticket the unit's agent sees, the agent's reply reaching the chat, the
//! citizen's reply landing on the ticket, the rating, scope refusals, odd input, retries.

use std::sync::Arc;

use meja::config::{Secret, Settings};
use meja::telegram::{delivery, runner, Telegram};
use serde_json::{json, Value};

use crate::both_databases;
use crate::fake_telegram::{FakeTelegram, TOKEN};
use crate::helpers::TestApp;

fn telegram(fake: &FakeTelegram) -> Arc<Telegram> {
    let settings = Settings {
        telegram_token: Some(Secret::new(TOKEN)),
        telegram_api_url: Some(fake.url.clone()),
        ..Settings::default()
    };
    Telegram::from_settings(&settings).expect("settings").expect("configured")
}

/// One poll of the updates queued so far, then delivery of everything due.
async fn pump(app: &TestApp, tg: &Telegram, offset: &mut i32) {
    *offset = runner::poll_once(&app.desk, tg, *offset, 0).await.expect("poll");
    loop {
        let r = delivery::deliver_due(&app.desk, tg).await.expect("deliver");
        if r.sent + r.given_up + r.skipped == 0 || r.retrying > 0 {
            break;
        }
    }
}

fn last(fake: &FakeTelegram, chat: i64) -> (i64, String, Vec<String>) {
    fake.sent_to(chat).last().cloned().expect("the bot answered")
}

fn detail(app: &TestApp, token: &str, number: &str) -> Value {
    let r = app.get(&format!("/api/v1/tickets/{number}"), Some(token));
    assert_eq!(r.status, 200, "{:?}", r.body);
    r.body
}

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";

both_databases!(a_citizen_reports_and_follows_a_ticket_by_telegram, odd_input_duplicates_floods_and_restarts);

fn a_citizen_reports_and_follows_a_ticket_by_telegram(app: &TestApp) {
    let city = app.city();
    let fake = FakeTelegram::start();
    let tg = telegram(&fake);
    let (chat, stranger) = (700_001_i64, 700_002_i64);
    let agent = city.t("t1_dinkes");
    let article = json!({ "title": "Mengatasi error 500 saat membuka SIMPUS", "visibility": "public", "service": "SIMPUS",
                          "body": "Bersihkan *cache* peramban, lalu masuk kembali." });
    assert_eq!(app.post("/api/v1/kb/articles", article, Some(agent)).status, 201);
    let internal = json!({ "title": "Prosedur internal SIMPUS error 500", "service": "SIMPUS",
                           "body": "Restart simpus-api di server 10.0.0.5." });
    assert_eq!(app.post("/api/v1/kb/articles", internal, Some(agent)).status, 201);
    actix_web::rt::System::new().block_on(async {
        let mut offset = 0;
        fake.text(chat, "/start");
        pump(app, &tg, &mut offset).await;
        let (_, text, buttons) = last(&fake, chat);
        assert!(text.contains("Selamat datang") && buttons.contains(&"menu:lapor".to_string()), "{text} {buttons:?}");

        // The whole /lapor dialogue, button by button.
        fake.text(chat, "/lapor");
        pump(app, &tg, &mut offset).await;
        let (id, _, buttons) = last(&fake, chat);
        assert_eq!(buttons.first().map(String::as_str), Some("unit:DISKOMINFO"), "the city desk first: {buttons:?}");
        fake.press(chat, id, "unit:DINKES");
        pump(app, &tg, &mut offset).await;
        let (id, _, buttons) = last(&fake, chat);
        assert!(buttons.contains(&"svc:SIMPUS".to_string()), "{buttons:?}");
        fake.press(chat, id, "svc:SIMPUS");
        pump(app, &tg, &mut offset).await;
        let (id, _, buttons) = last(&fake, chat);
        assert!(buttons.contains(&"kind:incident".to_string()), "{buttons:?}");
        fake.press(chat, id, "kind:incident");
        pump(app, &tg, &mut offset).await;
        fake.text(chat, "Aplikasi SIMPUS tidak bisa dibuka sejak pagi, muncul error 500.");
        pump(app, &tg, &mut offset).await;
        let suggested = fake.sent_to(chat).into_iter().rev().nth(1).expect("a suggestion").1;
        assert!(
            suggested.contains("Mengatasi error 500 saat membuka SIMPUS") && suggested.contains("Bersihkan cache"),
            "{suggested}"
        );
        assert!(!suggested.contains("Prosedur internal") && !suggested.contains("10.0.0.5"), "internal articles stay inside");
        fake.photo(chat, PNG);
        pump(app, &tg, &mut offset).await;
        let (id, text, _) = last(&fake, chat);
        assert!(text.contains("Lampiran diterima (1)"), "{text}");
        fake.press(chat, id, "lanjut");
        pump(app, &tg, &mut offset).await;
        let (id, text, buttons) = last(&fake, chat);
        assert!(text.contains("DINKES") && text.contains("SIMPUS") && text.contains("foto.jpg"), "{text}");
        assert_eq!(buttons, ["kirim", "batal"]);
        fake.press(chat, id, "kirim");
        pump(app, &tg, &mut offset).await;
        let (confirmation, text, _) = last(&fake, chat);
        let number =
            text.split_whitespace().find(|w| w.starts_with("SD-")).expect("a number").trim_end_matches('.').to_string();
        assert!(text.contains(&format!("/status {number}")), "{text}");
        assert!(fake.calls("answercallbackquery") >= 5 && fake.calls("editmessagereplymarkup") >= 5);

        // The unit's agent sees it: channel, requester, service, the photo.
        let ticket = detail(app, agent, &number);
        assert_eq!(
            (ticket["channel"].as_str(), ticket["service"].as_str()),
            (Some("telegram"), Some("SIMPUS")),
            "{ticket}"
        );
        assert!(ticket["title"].as_str().unwrap_or("").starts_with("Aplikasi SIMPUS tidak bisa dibuka"));
        let id_of_ticket = app.ticket_row(&number).id;
        let files = app
            .desk
            .read_blocking(move |conn| Ok(meja::db::mail::attachments_of(conn, &id_of_ticket)?))
            .expect("files");
        assert_eq!(files.len(), 1);
        assert_eq!((files[0].content_type.as_str(), files[0].size_bytes), ("image/png", PNG.len() as i64));

        // The agent's public reply reaches the chat; an internal note does not.
        let r = app.post(
            &format!("/api/v1/tickets/{number}/messages"),
            json!({ "body": "Catatan internal: cek server." , "internal": true }),
            Some(agent),
        );
        assert_eq!(r.status, 201);
        let r = app.post(
            &format!("/api/v1/tickets/{number}/messages"),
            json!({ "body": "Server sudah dipulihkan, silakan coba lagi." }),
            Some(agent),
        );
        assert_eq!(r.status, 201);
        pump(app, &tg, &mut offset).await;
        let (reply_message, text, _) = last(&fake, chat);
        assert!(text.contains("Server sudah dipulihkan") && text.contains(&number), "{text}");
        assert!(!fake.sent_to(chat).iter().any(|(_, t, _)| t.contains("Catatan internal")), "notes stay inside");

        // Files with a reply follow it as a photo and a document; a note's file never goes.
        let pdf: &[u8] = b"%PDF-1.4\n%%EOF\n";
        let r = app.post_form(
            &format!("/api/v1/tickets/{number}/messages"),
            &[("body", "Panduan terlampir.")],
            &[("files", "layar.png", "image/png", PNG), ("files", "panduan.pdf", "application/pdf", pdf)],
            Some(agent),
        );
        assert_eq!(r.status, 201, "{:?}", r.body);
        let r = app.post_form(
            &format!("/api/v1/tickets/{number}/messages"),
            &[("internal", "true")],
            &[("files", "rahasia.txt", "text/plain", b"log")],
            Some(agent),
        );
        assert_eq!(r.status, 201, "{:?}", r.body);
        pump(app, &tg, &mut offset).await;
        let files = fake.files_sent_to(chat);
        let sent: Vec<(&str, &str)> = files.iter().map(|(m, name, _)| (m.as_str(), name.as_str())).collect();
        assert_eq!(sent, vec![("sendphoto", "layar.png"), ("senddocument", "panduan.pdf")]);
        assert!(files.iter().all(|(_, _, caption)| caption.contains(&number)), "{files:?}");
        assert!(fake.sent_to(chat).iter().any(|(_, t, _)| t.contains("Panduan terlampir.")), "the text went first");

        // The citizen answers that message: it lands on the ticket.
        fake.reply(chat, "Masih error di Puskesmas Kecamatan Selatan.", reply_message);
        pump(app, &tg, &mut offset).await;
        let bodies: Vec<String> = detail(app, agent, &number)["messages"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .filter(|m| m["internal"] == false)
            .map(|m| m["body"].as_str().unwrap_or("").to_string())
            .collect();
        assert!(bodies.contains(&"Masih error di Puskesmas Kecamatan Selatan.".to_string()), "{bodies:?}");
        // The answer to the bot's confirmation threads too.
        fake.reply(chat, "Nomor NIK saya 1234.", confirmation);
        pump(app, &tg, &mut offset).await;
        assert!(last(&fake, chat).1.contains(&format!("ditambahkan ke tiket {number}")));

        // /tiketku and /status, only the chat's own tickets.
        fake.text(chat, "/tiketku");
        pump(app, &tg, &mut offset).await;
        assert!(last(&fake, chat).1.contains(&number));
        // A web form naming the citizen's chat does not reach into it.
        let form = json!({ "kind": "incident", "title": "Formulir palsu", "description": "Mencoba menautkan chat orang lain.",
                           "unit": "DINKES", "requester": { "name": "Penyusup", "email": "budi@example.com", "telegram_id": chat.to_string() } });
        assert_eq!(app.post("/api/v1/public/tickets", form, None).status, 201);
        fake.text(chat, "/tiketku");
        pump(app, &tg, &mut offset).await;
        assert!(!last(&fake, chat).1.contains("Formulir palsu"), "{}", last(&fake, chat).1);
        fake.text(stranger, &format!("/status {number}"));
        pump(app, &tg, &mut offset).await;
        assert!(last(&fake, stranger).1.contains("tidak ditemukan"), "numbers cannot be probed");
        fake.reply(stranger, "Saya ikut menambahkan.", reply_message);
        pump(app, &tg, &mut offset).await;
        assert!(last(&fake, stranger).1.contains("bukan tentang tiket"), "another chat's message threads nothing");

        // Resolved: the rating by buttons, once; a stranger's press changes nothing.
        assert!(app.act(&number, "start", json!({}), agent).status < 300);
        let r = app.act(&number, "resolve", json!({ "resolution": "Sertifikat server diperbarui." }), agent);
        assert!(r.status < 300, "{:?}", r.body);
        pump(app, &tg, &mut offset).await;
        let (rating_message, text, buttons) = last(&fake, chat);
        assert!(text.contains("Sertifikat server diperbarui.") && text.contains("nilai"), "{text}");
        assert_eq!(buttons.len(), 5);
        fake.press(stranger, rating_message, &format!("rate:{number}:1"));
        pump(app, &tg, &mut offset).await;
        assert!(last(&fake, stranger).1.contains("tidak ditemukan"));
        fake.press(chat, rating_message, &format!("rate:{number}:4"));
        pump(app, &tg, &mut offset).await;
        assert!(last(&fake, chat).1.contains("Terima kasih atas penilaian Anda (4/5)"));
        fake.press(chat, rating_message, &format!("rate:{number}:5"));
        pump(app, &tg, &mut offset).await;
        assert!(last(&fake, chat).1.contains("sudah Anda nilai"));
        let id_of_ticket = app.ticket_row(&number).id;
        let rating: Option<i32> = app
            .desk
            .read_blocking(move |conn| {
                use diesel::prelude::*;
                use meja::db::schema::csat;
                Ok(csat::table.find(&id_of_ticket).select(csat::rating).first(conn)?)
            })
            .expect("rating");
        assert_eq!(rating, Some(4));
    });
}

fn odd_input_duplicates_floods_and_restarts(app: &TestApp) {
    app.city();
    let fake = FakeTelegram::start();
    let chat = 700_100_i64;
    actix_web::rt::System::new().block_on(async {
        let tg = telegram(&fake);
        let mut offset = 0;
        let long = "a".repeat(5000);
        let odd: [(&dyn Fn() -> i64, &str); 5] = [
            (&|| fake.sticker(chat), "stiker"),
            (&|| fake.edited(chat, "ralat"), "diubah"),
            (&|| fake.document(chat, "video.mp4", "video/mp4", 50 * 1024 * 1024), "mulai laporan dengan /lapor"),
            (&|| fake.text(chat, "/entahlah"), "tidak dikenal"),
            (&|| fake.text(chat, &long), "Untuk melapor ketik /lapor"),
        ];
        for (send, expect) in odd {
            send();
            pump(app, &tg, &mut offset).await;
            let (_, text, _) = last(&fake, chat);
            assert!(text.contains(expect), "{expect}: {text}");
        }

        assert_eq!(app.ticket_count(), 0, "nothing of that opened a ticket");
        assert_eq!(fake.calls("getfile"), 0, "a file nobody asked for is not fetched");

        // The same update delivered twice is handled once.
        let before = fake.sent_to(chat).len();
        let id = fake.text(chat, "/tiketku");
        pump(app, &tg, &mut offset).await;
        fake.redeliver(id);
        pump(app, &tg, &mut runner_offset_before(id)).await;
        assert_eq!(fake.sent_to(chat).len(), before + 1, "answered once");

        // A dialogue survives a restart: a new process picks it up where it was.
        fake.text(chat, "/lapor");
        pump(app, &tg, &mut offset).await;
        let (id, _, _) = last(&fake, chat);
        let restarted = telegram(&fake);
        fake.press(chat, id, "unit:DISDIK");
        pump(app, &restarted, &mut offset).await;
        assert!(last(&fake, chat).2.contains(&"svc:PPDB".to_string()), "the restarted bot continues the dialogue");
        // At the attachment step a file over the limit is refused without being fetched.
        let (id, _, _) = last(&fake, chat);
        fake.press(chat, id, "svc:-");
        fake.press(chat, id, "kind:complaint");
        fake.text(chat, "Nilai rapor anak saya tidak muncul di aplikasi PPDB.");
        pump(app, &restarted, &mut offset).await;
        fake.document(chat, "video.mp4", "video/mp4", 50 * 1024 * 1024);
        pump(app, &restarted, &mut offset).await;
        assert!(last(&fake, chat).1.contains("terlalu besar"), "{}", last(&fake, chat).1);
        assert_eq!(fake.calls("getfile"), 0);
        fake.text(chat, "/batal");
        pump(app, &restarted, &mut offset).await;
        assert!(last(&fake, chat).1.contains("Dibatalkan"));

        // 429: the message waits retry_after, is then sent, and never twice.
        fake.throttle_next_send(3);
        fake.text(chat, "/start");
        offset = runner::poll_once(&app.desk, &restarted, offset, 0).await.expect("poll");
        let first = delivery::deliver_due(&app.desk, &restarted).await.expect("deliver");
        assert_eq!((first.sent, first.retrying), (0, 1));
        assert_eq!(
            delivery::deliver_due(&app.desk, &restarted).await.expect("deliver").sent,
            0,
            "not before retry_after"
        );
        app.clock.advance(chrono::Duration::seconds(4));
        assert_eq!(delivery::deliver_due(&app.desk, &restarted).await.expect("deliver").sent, 1);
        assert_eq!(delivery::deliver_due(&app.desk, &restarted).await.expect("deliver").sent, 0);
        assert!(last(&fake, chat).1.contains("Selamat datang"));

        // A flood: the chat is told once and the rest goes unanswered.
        let flooder = 700_200_i64;
        for i in 0..40 {
            fake.text(flooder, &format!("halo {i}"));
        }
        pump(app, &restarted, &mut offset).await;
        let answers = fake.sent_to(flooder);
        assert_eq!(answers.len(), 31, "30 answered, then one warning");
        assert_eq!(answers.iter().filter(|(_, t, _)| t.contains("terlalu cepat")).count(), 1);
    });
}

/// An offset that makes the fake hand out `update_id` again.
fn runner_offset_before(update_id: i64) -> i32 {
    update_id as i32
}

/// `meja serve` (on SQLite, jobs on) with the bot pointed at the fake.
fn serve_with_bot(fake: &FakeTelegram, webhook: Option<&str>) -> Option<TestApp> {
    let url = fake.url.clone();
    let webhook = webhook.map(str::to_string);
    crate::helpers::spawn_app_with(crate::helpers::Backend::Sqlite, crate::helpers::monday_0800(), move |s| {
        s.jobs = true;
        s.telegram_token = Some(Secret::new(TOKEN));
        s.telegram_api_url = Some(url);
        s.telegram_webhook_url = webhook;
    })
}

/// `meja serve` with a token polls by itself and answers.
#[test]
fn serve_runs_the_bot() {
    let fake = FakeTelegram::start();
    let Some(app) = serve_with_bot(&fake, None) else { return };
    app.city();
    let chat = 700_300_i64;
    fake.text(chat, "/start");
    let answered = (0..100).any(|_| {
        std::thread::sleep(std::time::Duration::from_millis(100));
        !fake.sent_to(chat).is_empty()
    });
    assert!(answered, "the bot inside serve answered within 10 s");
    drop(app);
}

both_databases!(agents_work_tickets_from_telegram, a_merged_report_answers_on_the_case);

/// A citizen's report merged into another: the chat is told the number that carries the case,
/// and an answer to that notice lands on it, as a follower's (it neither reopens nor resumes).
fn a_merged_report_answers_on_the_case(app: &TestApp) {
    let city = app.city();
    let fake = FakeTelegram::start();
    let tg = telegram(&fake);
    let chat = 710_001_i64;
    let agent = city.t("t1_dinkes");
    let source = app.ticket(agent, json!({ "requester": { "name": "Budi", "telegram_id": chat.to_string() } }));
    let target = app.ticket(agent, json!({ "requester": { "name": "Andi", "email": "andi@example.com" } }));
    assert!(app.act(&target, "start", json!({}), agent).status < 300);
    assert!(app.act(&target, "pend", json!({ "reason": "Menunggu vendor" }), agent).status < 300);
    actix_web::rt::System::new().block_on(async {
        let mut offset = 0;
        let r = app.post(&format!("/api/v1/tickets/{source}/merge"), json!({ "into": target }), Some(agent));
        assert_eq!(r.status, 200, "{:?}", r.body);
        pump(app, &tg, &mut offset).await;
        let (notice, text, _) = last(&fake, chat);
        assert!(text.contains(&source) && text.contains(&target) && text.contains("digabungkan"), "{text}");
        fake.reply(chat, "Di kantor kami juga masih mati.", notice);
        pump(app, &tg, &mut offset).await;
        let t = detail(app, agent, &target);
        let found = t["messages"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|m| m["body"] == "Di kantor kami juga masih mati." && m["internal"] == false);
        assert!(found, "the answer is on the case: {t}; the bot said {:?}", fake.sent_to(chat));
        assert_eq!(t["status"], "pending", "a follower's answer does not resume the ticket");
    });
}

/// Staff link their accounts and a unit's group with one-time codes, receive queue,
/// assignment and SLA notices, and act from the chat with exactly the API's scopes.
fn agents_work_tickets_from_telegram(app: &TestApp) {
    let city = app.city();
    let fake = FakeTelegram::start();
    let tg = telegram(&fake);
    let (dinkes, disdik, group, member) = (800_001_i64, 800_002_i64, -900_001_i64, 800_003_i64);
    let code = |token: &str, body: Value| {
        let r = app.post("/api/v1/telegram/link-codes", body, Some(token));
        assert_eq!(r.status, 201, "{:?}", r.body);
        r.str("code").to_string()
    };
    actix_web::rt::System::new().block_on(async {
        let mut offset = 0;
        // Accounts and a group, each with its own code; a code works once.
        let dinkes_code = code(city.t("t1_dinkes"), json!({}));
        fake.text(dinkes, &format!("/hubungkan {dinkes_code}"));
        pump(app, &tg, &mut offset).await;
        assert!(last(&fake, dinkes).1.contains("terhubung dengan t1_dinkes"), "{}", last(&fake, dinkes).1);
        fake.text(disdik, &format!("/hubungkan {dinkes_code}"));
        pump(app, &tg, &mut offset).await;
        assert!(last(&fake, disdik).1.contains("sudah dipakai"));
        let disdik_code = code(city.t("t1_disdik"), json!({}));
        fake.text(disdik, &format!("/hubungkan {}", disdik_code.to_lowercase()));
        pump(app, &tg, &mut offset).await;
        assert!(last(&fake, disdik).1.contains("terhubung dengan t1_disdik"));
        let forbidden = app.post("/api/v1/telegram/link-codes", json!({ "unit": "DINKES" }), Some(city.t("t1_dinkes")));
        assert_eq!(forbidden.status, 403, "only the head (or supervisors, admins) links a unit's group");
        let group_code = code(city.t("head_dinkes"), json!({ "unit": "DINKES" }));
        fake.text(member, &format!("/hubungkan {group_code}"));
        pump(app, &tg, &mut offset).await;
        assert!(last(&fake, member).1.contains("untuk grup"), "a group code in a private chat");
        let group_code = code(city.t("head_dinkes"), json!({ "unit": "DINKES" }));
        fake.group_text(group, member, &format!("/hubungkan {group_code}"));
        pump(app, &tg, &mut offset).await;
        assert!(last(&fake, group).1.contains("menerima antrean Dinas Kesehatan"));

        // A new ticket in the unit's queue reaches the group.
        let number = app.ticket(city.t("t1_dinkes"), json!({ "title": "Printer Puskesmas macet" }));
        pump(app, &tg, &mut offset).await;
        assert!(last(&fake, group).1.contains(&format!("Tiket baru di antrean: {number}")), "{}", last(&fake, group).1);

        // Another unit's agent cannot take it from Telegram either; its own unit's can.
        fake.text(disdik, &format!("/ambil {number}"));
        pump(app, &tg, &mut offset).await;
        assert!(last(&fake, disdik).1.contains("tidak ditemukan"), "{}", last(&fake, disdik).1);
        assert!(app.ticket_row(&number).assignee_id.is_none());
        fake.text(dinkes, &format!("/ambil {number}"));
        pump(app, &tg, &mut offset).await;
        assert!(last(&fake, dinkes).1.contains("sekarang Anda tangani"), "{}", last(&fake, dinkes).1);
        let ticket = detail(app, city.t("t1_dinkes"), &number);
        assert_eq!(
            ticket["assignee"].as_str().or(ticket["assignee"]["username"].as_str()),
            Some("t1_dinkes"),
            "{ticket}"
        );

        // An assignment notice; replying to it answers the requester as the agent.
        let second = app.ticket(city.t("sup_kominfo"), json!({ "title": "Akun SIMPUS terkunci" }));
        let r = app.act(&second, "assign", json!({ "username": "t1_dinkes" }), city.t("sup_kominfo"));
        assert!(r.status < 300, "{:?}", r.body);
        pump(app, &tg, &mut offset).await;
        let (notice, text, _) = last(&fake, dinkes);
        assert!(text.contains(&format!("Tiket {second}")) && text.contains("ditugaskan"), "{text}");
        fake.reply(dinkes, "Akun sudah kami buka, silakan masuk kembali.", notice);
        fake.text(dinkes, &format!("/catatan {second} reset lewat LDAP"));
        fake.text(disdik, &format!("/catatan {second} mencoba menulis"));
        pump(app, &tg, &mut offset).await;
        assert!(last(&fake, disdik).1.contains("tidak ditemukan"));
        let messages = detail(app, city.t("t1_dinkes"), &second)["messages"].as_array().cloned().unwrap_or_default();
        let public =
            messages.iter().find(|m| m["body"] == "Akun sudah kami buka, silakan masuk kembali.").expect("the reply");
        assert_eq!(
            (public["internal"].as_bool(), public["author"].as_str().or(public["author_name"].as_str())),
            (Some(false), Some("t1_dinkes")),
            "{public}"
        );
        let note = messages.iter().find(|m| m["body"] == "reset lewat LDAP").expect("the note");
        assert_eq!(note["internal"], true);
        assert!(
            app.outbox_of(&second).iter().any(|o| o.channel == "email" && o.template == "reply"),
            "the requester is answered"
        );

        // Canned replies: listed with their filled-in text, sent by their place in the list.
        let r = app.post(
            "/api/v1/canned-replies",
            json!({ "title": "Akun dibuka", "body": "Akun untuk {{nomor}} sudah dibuka, {{nama_pelapor}}.", "unit": "DINKES" }),
            Some(city.t("t1_dinkes")),
        );
        assert_eq!(r.status, 201, "{:?}", r.body);
        fake.text(dinkes, &format!("/siap {second}"));
        pump(app, &tg, &mut offset).await;
        let listed = last(&fake, dinkes).1;
        assert!(listed.contains("1. Akun dibuka") && listed.contains(&format!("Akun untuk {second} sudah dibuka")), "{listed}");
        fake.text(dinkes, &format!("/siap {second} 9"));
        pump(app, &tg, &mut offset).await;
        assert!(last(&fake, dinkes).1.contains("Tidak ada balasan nomor 9"), "{}", last(&fake, dinkes).1);
        fake.text(dinkes, &format!("/siap {second} 1"));
        fake.text(disdik, &format!("/siap {second} 1"));
        pump(app, &tg, &mut offset).await;
        assert!(last(&fake, dinkes).1.contains("dikirim ke pelapor"), "{}", last(&fake, dinkes).1);
        assert!(last(&fake, disdik).1.contains("tidak ditemukan"), "{}", last(&fake, disdik).1);
        let sent = detail(app, city.t("t1_dinkes"), &second)["messages"].as_array().cloned().unwrap_or_default();
        let canned: Vec<&Value> =
            sent.iter().filter(|m| m["body"].as_str().is_some_and(|b| b.starts_with("Akun untuk"))).collect();
        assert_eq!(canned.len(), 1, "sent once, as a public reply: {sent:?}");
        assert_eq!(canned[0]["internal"], false);

        // Escalation from the chat.
        fake.text(dinkes, &format!("/eskalasi {second} perlu akses basis data pusat"));
        pump(app, &tg, &mut offset).await;
        assert!(last(&fake, dinkes).1.contains("dieskalasi"), "{}", last(&fake, dinkes).1);
        assert_eq!(app.ticket_row(&second).tier, 2);

        // SLA notices of the ticket the agent holds reach the chat.
        app.clock.advance(chrono::Duration::hours(30));
        app.sweep();
        pump(app, &tg, &mut offset).await;
        assert!(
            fake.sent_to(dinkes).iter().any(|(_, t, _)| t.contains(&number) && t.contains("SLA")),
            "{:?}",
            fake.sent_to(dinkes)
        );
    });
}

/// Webhook mode: `serve` registers the webhook with a secret, takes the updates Telegram
/// posts (only with the secret) and answers through the outbox.
#[test]
fn webhook_mode() {
    let fake = FakeTelegram::start();
    let Some(app) = serve_with_bot(&fake, Some("https://layanan.kota.test/telegram/webhook")) else { return };
    app.city();
    let registered = (0..100).find_map(|_| {
        std::thread::sleep(std::time::Duration::from_millis(100));
        fake.last_call("setwebhook")
    });
    let registered = registered.expect("setWebhook called");
    assert_eq!(registered["url"], "https://layanan.kota.test/telegram/webhook");
    let secret = registered["secret_token"].as_str().expect("a secret token").to_string();
    assert!(secret.len() >= 32 && !secret.contains(TOKEN), "a secret that is not the token");
    let chat = 700_400_i64;
    let update = fake.webhook_update(chat, "/start");
    let post = |secret: &str| match ureq::post(&format!("{}/telegram/webhook", app.base))
        .set("X-Telegram-Bot-Api-Secret-Token", secret)
        .send_json(update.clone())
    {
        Ok(r) => r.status(),
        Err(ureq::Error::Status(code, _)) => code,
        Err(e) => panic!("{e}"),
    };
    assert_eq!(post("not-the-secret"), 401);
    assert_eq!(post(&secret), 200);
    assert_eq!(post(&secret), 200, "a resent update is acknowledged");
    let answered = (0..100).any(|_| {
        std::thread::sleep(std::time::Duration::from_millis(100));
        !fake.sent_to(chat).is_empty()
    });
    assert!(answered, "answered through the outbox");
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert_eq!(fake.sent_to(chat).len(), 1, "once, though posted twice");
    assert_eq!(fake.calls("getupdates"), 0, "no polling in webhook mode");
}

both_databases!(agents_without_an_address_hear_on_telegram);

/// A member of staff without an e-mail address still hears of an assignment on the chat they
/// linked (notices are not only copies of mails).
fn agents_without_an_address_hear_on_telegram(app: &TestApp) {
    let city = app.city();
    let r = app.post(
        "/api/v1/users",
        json!({ "username": "t1_tanpa_surel", "name": "Tanpa Surel", "password": crate::helpers::PASSWORD,
                "role": "agent_t1", "unit": "DINKES" }),
        Some(city.t("admin")),
    );
    assert_eq!(r.status, 201, "{:?}", r.body);
    let token = app.token("t1_tanpa_surel", crate::helpers::PASSWORD);
    let fake = FakeTelegram::start();
    let tg = telegram(&fake);
    let chat = 800_777_i64;
    actix_web::rt::System::new().block_on(async {
        let mut offset = 0;
        let code = app.post("/api/v1/telegram/link-codes", json!({}), Some(&token)).str("code").to_string();
        fake.text(chat, &format!("/hubungkan {code}"));
        pump(app, &tg, &mut offset).await;
        let number = app.ticket(city.t("sup_kominfo"), json!({}));
        let r = app.act(&number, "assign", json!({ "username": "t1_tanpa_surel" }), city.t("sup_kominfo"));
        assert!(r.status < 300, "{:?}", r.body);
        pump(app, &tg, &mut offset).await;
        let (_, text, _) = last(&fake, chat);
        assert!(text.contains(&number) && text.contains("ditugaskan"), "{text}");
    });
}

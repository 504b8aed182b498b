//! E-mail intake: a corpus of real-world message shapes through the inbound endpoint, threading
//! by headers and by a hand-typed number, loop protection, bounces, duplicates, follow-ups of
//! closed tickets, `meja ingest-email` from an MTA pipe and the quarantine of oversized mail.

use std::io::Write;
use std::process::Stdio;

use serde_json::{json, Value};

use crate::both_databases;
use crate::helpers::{Reply, TestApp};

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/mail/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

pub(crate) fn inbound(app: &TestApp, token: &str, raw: &[u8]) -> Reply {
    app.raw("POST", "/api/v1/channels/email/inbound?mailbox=dinkes", Some(raw), Some(token))
}

pub(crate) fn setup(app: &TestApp) -> crate::helpers::City {
    let city = app.city();
    let r = app.post(
        "/api/v1/mailboxes",
        json!({ "name": "dinkes", "unit": "DINKES", "address": "layanan.dinkes@kota.go.id" }),
        Some(city.t("admin")),
    );
    assert_eq!(r.status, 201, "{:?}", r.body);
    city
}

pub(crate) fn detail(app: &TestApp, token: &str, number: &str) -> Value {
    let r = app.get(&format!("/api/v1/tickets/{number}"), Some(token));
    assert_eq!(r.status, 200, "{:?}", r.body);
    r.body
}

both_databases!(
    a_corpus_of_real_mail_becomes_tickets,
    threading_reopening_and_follow_ups,
    ingest_email_command_and_quarantine
);

fn a_corpus_of_real_mail_becomes_tickets(app: &TestApp) {
    let city = setup(app);
    let (admin, agent) = (city.t("admin"), city.t("t1_dinkes"));

    let outlook = inbound(app, admin, &fixture("outlook-windows-1252.eml"));
    assert_eq!(outlook.status, 201, "{:?}", outlook.body);
    assert_eq!(outlook.body["outcome"], "created");
    let t = detail(app, agent, outlook.str("number"));
    assert_eq!(t["title"], "SIMPUS tidak bisa dibuka – mohon bantuan", "Windows-1252 en dash in an encoded word");
    assert!(t["description"].as_str().unwrap_or("").contains("“Error 500”"), "{}", t["description"]);
    assert_eq!(t["channel"], "email");
    assert_eq!(t["unit"], "DINKES");
    assert_eq!(t["requester"]["email"], "siti.rahma@puskesmas-sukamaju.id");
    assert_eq!(t["requester"]["name"], "Siti Rahma");

    let gmail = inbound(app, admin, &fixture("gmail-utf8.eml"));
    assert_eq!(gmail.body["outcome"], "created", "{:?}", gmail.body);
    let gmail_number = gmail.str("number").to_string();
    let t = detail(app, agent, &gmail_number);
    assert_eq!(t["title"], "Akun terkunci 🔒");
    assert!(t["description"].as_str().unwrap_or("").contains("Mohon dibantu 🙏"));

    // A reply from Thunderbird threads by In-Reply-To, without the quoted history.
    let reply = inbound(app, admin, &fixture("thunderbird-reply.eml"));
    assert_eq!((reply.status, reply.body["outcome"].clone()), (200, json!("appended")), "{:?}", reply.body);
    assert_eq!(reply.str("number"), gmail_number);
    let t = detail(app, agent, &gmail_number);
    let messages = t["messages"].as_array().cloned().unwrap_or_default();
    let last = messages.last().expect("a message");
    assert_eq!(last["body"], "Tambahan: saya mencoba dari HP dan laptop, hasilnya sama.");
    assert_eq!(last["channel"], "email");

    // Apple Mail: HTML with an inline image and a PDF attachment.
    let apple = inbound(app, admin, &fixture("apple-mail-attachment.eml"));
    assert_eq!(apple.body["outcome"], "created", "{:?}", apple.body);
    let t = detail(app, agent, apple.str("number"));
    assert!(t["description"].as_str().unwrap_or("").contains("Surat rujukan tidak tercetak"), "{}", t["description"]);
    let id = app.ticket_row(apple.str("number")).id;
    let parts =
        app.desk.read_blocking(move |conn| Ok(meja::db::mail::attachments_of(conn, &id)?)).expect("attachments");
    let mut summary: Vec<(String, String, bool)> =
        parts.iter().map(|p| (p.filename.clone(), p.content_type.clone(), p.inline_part)).collect();
    summary.sort();
    assert_eq!(
        summary,
        vec![("layar.png".into(), "image/png".into(), true), ("rujukan.pdf".into(), "application/pdf".into(), false)]
    );
    let sha = parts.iter().find(|p| p.filename == "rujukan.pdf").map(|p| p.sha256.clone()).expect("pdf");
    let stored =
        app.desk.read_blocking(move |conn| Ok(meja::db::mail::blob(conn, &sha)?)).expect("blob").expect("stored");
    assert!(stored.starts_with(b"%PDF-1.4"));

    // Charsets and HTML-only mail.
    let iso = inbound(app, admin, &fixture("iso-8859-1.eml"));
    let t = detail(app, agent, iso.str("number"));
    assert_eq!(t["title"], "Jadwal vaksinasi café");
    assert_eq!(t["requester"]["name"], "André Siregar");
    let html = inbound(app, admin, &fixture("html-only.eml"));
    let t = detail(app, agent, html.str("number"));
    let text = t["description"].as_str().unwrap_or("").to_string();
    assert!(text.contains("Data stunting bulan Oktober belum masuk"), "{text}");
    assert!(!text.contains('<') && !text.contains("alert(1)"), "shown as text, scripts gone: {text}");

    // Machines: no ticket, no reply.
    let before = app.ticket_count();
    for name in ["autoresponder.eml", "mailing-list.eml"] {
        let r = inbound(app, admin, &fixture(name));
        assert_eq!(r.body["outcome"], "ignored", "{name}: {:?}", r.body);
    }
    // A bounce is recorded on the ticket of the message it returns.
    let bounce = inbound(app, admin, &fixture("dsn-bounce.eml"));
    assert_eq!(bounce.body["outcome"], "bounce", "{:?}", bounce.body);
    assert_eq!(bounce.str("number"), gmail_number);
    let events = app.get(&format!("/api/v1/tickets/{gmail_number}/events"), Some(agent));
    assert!(events.items().iter().any(|e| e["kind"] == "mail.bounced"));
    // The same message again (an IMAP session cut before the flag) changes nothing.
    let again = inbound(app, admin, &fixture("gmail-utf8.eml"));
    assert_eq!((again.body["outcome"].clone(), again.str("number").to_string()), (json!("duplicate"), gmail_number));
    assert_eq!(app.ticket_count(), before);

    // Scopes and bad input.
    assert_eq!(inbound(app, agent, &fixture("gmail-utf8.eml")).status, 403);
    assert_eq!(app.get("/api/v1/mailboxes", Some(agent)).status, 403);
    // A mistyped mailbox loses nothing: the message waits in the quarantine, without a mailbox.
    let lost =
        b"From: Rina <rina@example.com>\r\nSubject: Salah alamat\r\nMessage-ID: <nope-1@example.com>\r\n\r\nHalo\r\n";
    let r = app.raw("POST", "/api/v1/channels/email/inbound?mailbox=nope", Some(lost), Some(admin));
    assert_eq!((r.status, r.str("outcome")), (200, "quarantined"), "{:?}", r.body);
    let waiting = app.get("/api/v1/mail/quarantine", Some(admin)).items();
    assert!(waiting.iter().any(|e| e["mailbox"].is_null() && e["reason"].as_str().unwrap_or("").contains("nope")));
    let r = inbound(app, admin, b"");
    assert_eq!(r.status, 422);
    let r = app.post("/api/v1/mailboxes", json!({ "name": "x y", "unit": "DINKES", "address": "a@b.id" }), Some(admin));
    assert_eq!((r.status, r.field()), (422, Some("name")));
    let listed = app.get("/api/v1/mailboxes", Some(admin));
    assert_eq!(
        listed.items(),
        vec![json!({ "name": "dinkes", "unit": "DINKES", "address": "layanan.dinkes@kota.go.id", "imap": false })]
    );
}

fn mail(from: &str, subject: &str, id: &str, body: &str) -> Vec<u8> {
    format!(
        "From: {from}\r\nTo: layanan.dinkes@kota.go.id\r\nSubject: {subject}\r\nMessage-ID: <{id}>\r\nDate: Mon, 23 Nov 2026 09:00:00 +0700\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n{body}\r\n"
    )
    .into_bytes()
}

fn threading_reopening_and_follow_ups(app: &TestApp) {
    let city = setup(app);
    let (admin, agent) = (city.t("admin"), city.t("t1_dinkes"));
    let first = inbound(
        app,
        admin,
        &mail("Budi <budi@example.com>", "Printer rusak", "m1@example.com", "Printer tidak menyala."),
    );
    let number = first.str("number").to_string();
    // A number typed by hand, in lower case, by the requester: threads.
    let typed = format!("tolong cek [{}]", number.to_lowercase());
    let r = inbound(app, admin, &mail("budi@example.com", &typed, "m2@example.com", "Sudah dua hari."));
    assert_eq!(
        (r.body["outcome"].clone(), r.str("number").to_string()),
        (json!("appended"), number.clone()),
        "{:?}",
        r.body
    );
    // The same number from a stranger is no key: a ticket of its own.
    let r = inbound(app, admin, &mail("orang@lain.id", &format!("[{number}]"), "m3@example.com", "Saya juga."));
    assert_eq!(r.body["outcome"], "created");
    assert_ne!(r.str("number"), number);
    // Staff answering a notice by mail ("ok, saya cek") write an internal note, never a reply
    // to the citizen; a unit head may note too.
    let r = inbound(
        app,
        admin,
        &mail("t1_dinkes@example.go.id", &format!("Re: [{number}]"), "m4@example.com", "Sudah kami cek."),
    );
    assert_eq!(r.body["outcome"], "noted", "{:?}", r.body);
    let r = inbound(
        app,
        admin,
        &mail("head_dinkes@example.go.id", &format!("Re: [{number}]"), "m4b@example.com", "Tolong prioritaskan."),
    );
    assert_eq!(r.body["outcome"], "noted", "{:?}", r.body);
    let t = detail(app, agent, &number);
    assert!(t["first_response_at"].is_null(), "a note is no first response: {t}");
    let notes: Vec<Value> = t["messages"].as_array().cloned().unwrap_or_default();
    assert!(notes.iter().any(|m| m["body"] == "Sudah kami cek." && m["internal"] == true), "{notes:?}");
    // Staff of another unit citing the number: no key to this ticket, a ticket of its own.
    let r =
        inbound(app, admin, &mail("t1_disdik@example.go.id", &format!("[{number}]"), "m4c@example.com", "Ikut lapor."));
    assert_eq!(r.body["outcome"], "created", "{:?}", r.body);
    // Resolved: the requester's reply reopens it.
    assert_eq!(app.act(&number, "start", json!({}), agent).status, 200);
    assert_eq!(app.act(&number, "resolve", json!({ "resolution": "Driver dipasang ulang." }), agent).status, 200);
    let r = inbound(
        app,
        admin,
        &mail("budi@example.com", &format!("Re: [{number}] Printer rusak"), "m5@example.com", "Masih rusak."),
    );
    assert_eq!(r.body["outcome"], "reopened", "{:?}", r.body);
    assert_eq!(detail(app, agent, &number)["status"], "open");
    // Closed: a reply opens a new ticket linked to the old one.
    assert_eq!(app.act(&number, "resolve", json!({ "resolution": "Printer diganti." }), agent).status, 200);
    assert_eq!(app.act(&number, "close", json!({}), agent).status, 200);
    let r = inbound(
        app,
        admin,
        &mail("budi@example.com", &format!("Re: [{number}]"), "m6@example.com", "Sekarang scanner."),
    );
    assert_eq!(r.body["outcome"], "follow_up", "{:?}", r.body);
    let follow = r.str("number").to_string();
    assert_ne!(follow, number);
    let timeline = app.get(&format!("/api/v1/tickets/{follow}/events"), Some(agent));
    let linked = timeline.items().into_iter().find(|e| e["kind"] == "ticket.linked").expect("linked");
    assert_eq!(linked["data"]["follow_up_of"], json!(number));
    // A message without a Message-ID is deduplicated by its bytes.
    let no_id = b"From: budi@example.com\r\nSubject: Tanpa ID\r\n\r\nIsi.\r\n";
    assert_eq!(inbound(app, admin, no_id).body["outcome"], "created");
    assert_eq!(inbound(app, admin, no_id).body["outcome"], "duplicate");
}

fn ingest_email_command_and_quarantine(app: &TestApp) {
    let city = app.city();
    let out = app.meja(&["mailbox", "add", "kota", "--unit", "DISKOMINFO", "--address", "layanan@kota.go.id"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let listed = String::from_utf8_lossy(&app.meja(&["mailbox", "list"]).stdout).to_string();
    assert!(listed.contains("layanan@kota.go.id") && listed.contains("DISKOMINFO"), "{listed}");
    let pipe = |raw: &[u8]| {
        let mut child = app
            .meja_command(&["ingest-email", "--mailbox", "kota"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn");
        child.stdin.take().expect("stdin").write_all(raw).expect("write");
        child.wait_with_output().expect("wait")
    };
    let out = pipe(&fixture("gmail-utf8.eml"));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let result: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(result["outcome"], "created");
    // The city-wide address lands in the tier-1 queue of the tier-2 unit.
    let t = detail(app, city.t("sup_kominfo"), result["number"].as_str().unwrap_or(""));
    assert_eq!((t["unit"].clone(), t["tier"].clone()), (json!("DISKOMINFO"), json!(1)));
    // What cannot be read as mail is still kept (quarantined), and the MTA is told it is stored.
    let out = pipe(b"bukan e-mail");
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let result: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(result["outcome"], "quarantined");
    // Nothing on standard input is no message at all.
    let out = app.meja(&["ingest-email", "--mailbox", "nope"]);
    assert_eq!(out.status.code(), Some(65));

    // 30 MB of attachment: over the 25 MB limit, quarantined whole and answered, never dropped.
    let big = vec![b'A'; 30 * 1024 * 1024];
    let encoded: String = big.chunks(57).map(|c| format!("{}\r\n", base64_line(c))).collect();
    let mut raw = b"From: Andi <andi@example.com>\r\nTo: layanan@kota.go.id\r\nSubject: Video CCTV\r\nMessage-ID: <big-1@example.com>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"B\"\r\n\r\n--B\r\nContent-Type: text/plain\r\n\r\nRekaman terlampir.\r\n--B\r\nContent-Type: video/mp4; name=cctv.mp4\r\nContent-Transfer-Encoding: base64\r\n\r\n".to_vec();
    raw.extend_from_slice(encoded.as_bytes());
    raw.extend_from_slice(b"--B--\r\n");
    let before = app.ticket_count();
    let r = app.raw("POST", "/api/v1/channels/email/inbound?mailbox=kota", Some(&raw), Some(city.t("admin")));
    assert_eq!(r.body["outcome"], "quarantined", "{:?}", r.status);
    assert_eq!(app.ticket_count(), before);
    let answered = app
        .desk
        .read_blocking(|conn| {
            use diesel::prelude::*;
            use meja::db::schema::outbox;
            Ok(outbox::table
                .filter(outbox::template.eq("mail_too_large"))
                .select((outbox::recipient, outbox::payload))
                .load::<(String, String)>(conn)?)
        })
        .expect("outbox");
    assert_eq!(answered.len(), 1);
    assert_eq!(answered[0].0, "andi@example.com");
    let kept = app
        .desk
        .read_blocking(|conn| {
            let row = meja::db::mail::mail_by_key(conn, "big-1@example.com")?.expect("recorded");
            Ok(meja::db::mail::quarantined(conn, &row.id)?)
        })
        .expect("quarantine")
        .expect("kept");
    assert_eq!(kept.len(), raw.len());
    let again = app.raw("POST", "/api/v1/channels/email/inbound?mailbox=kota", Some(&raw), Some(city.t("admin")));
    assert_eq!(again.body["outcome"], "duplicate");
}

/// Standard base64 of one line's worth of bytes (the test needs no crate for it).
fn base64_line(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len() * 4 / 3 + 4);
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The mail servers `scripts/test` starts: SMTP URL and IMAP `host:port`, or `None` (the test
/// then says it skipped).
pub(crate) fn mail_servers() -> Option<(String, String)> {
    let smtp = std::env::var("MEJA_TEST_SMTP_URL").ok().filter(|v| !v.is_empty());
    let imap = std::env::var("MEJA_TEST_IMAP").ok().filter(|v| !v.is_empty());
    match (smtp, imap) {
        (Some(s), Some(i)) => Some((s, i)),
        _ => {
            let _ = writeln!(
                std::io::stderr(),
                "\nSKIPPED: the e-mail round trip through Postfix and Dovecot (set MEJA_TEST_SMTP_URL and MEJA_TEST_IMAP; scripts/test does)\n"
            );
            None
        }
    }
}

pub(crate) fn send_smtp(smtp: &str, raw: &[u8], from: &str, to: &str) {
    use lettre::address::Envelope;
    use lettre::Transport;
    let transport = lettre::SmtpTransport::from_url(smtp).expect("smtp url").build();
    let envelope = Envelope::new(Some(from.parse().expect("from")), vec![to.parse().expect("to")]).expect("envelope");
    transport.send_raw(&envelope, raw).expect("SMTP accepted");
}

/// Every message in a user's INBOX (Dovecot accepts any user of the test domains).
pub(crate) fn read_inbox(imap_addr: &str, user: &str) -> Vec<Vec<u8>> {
    let stream = std::net::TcpStream::connect(imap_addr).expect("imap");
    let mut client = imap::Client::new(stream);
    client.read_greeting().expect("greeting");
    let mut session = client.login(user, "rahasia").map_err(|(e, _)| e).expect("login");
    session.select("INBOX").expect("select");
    let fetched =
        session.fetch("1:*", "BODY.PEEK[]").map(|f| f.iter().filter_map(|m| m.body().map(<[u8]>::to_vec)).collect());
    let _ = session.logout();
    fetched.unwrap_or_default()
}

pub(crate) fn wait_for<T>(what: &str, mut probe: impl FnMut() -> Option<T>) -> T {
    for _ in 0..100 {
        if let Some(found) = probe() {
            return found;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    panic!("waited 10 s for {what}");
}

pub(crate) fn header<'a>(raw: &'a str, name: &str) -> Option<&'a str> {
    raw.lines().find_map(|l| l.strip_prefix(&format!("{name}: ")))
}

both_databases!(a_citizen_mail_round_trip_through_postfix_and_dovecot);

fn a_citizen_mail_round_trip_through_postfix_and_dovecot(app: &TestApp) {
    let Some((smtp, imap_addr)) = mail_servers() else { return };
    let city = app.city();
    let id = uuid::Uuid::now_v7().simple().to_string();
    let desk_address = format!("desk-{id}@kota.test");
    let citizen = format!("warga-{id}@warga.test");
    let imap_url = format!("imap://desk-{id}%40kota.test:rahasia@{imap_addr}/INBOX");
    let r = app.post(
        "/api/v1/mailboxes",
        json!({ "name": "dinkes", "unit": "DINKES", "address": desk_address, "imap_url": imap_url }),
        Some(city.t("admin")),
    );
    assert_eq!(r.status, 201, "{:?}", r.body);
    let target = meja::email::imap_intake::parse_imap_url(&imap_url).expect("url");
    let settings = meja::config::Settings {
        smtp_url: Some(meja::config::Secret::new(smtp.clone())),
        mail_from: format!("Service Desk <{desk_address}>"),
        public_url: "https://layanan.kota.test".into(),
        ..meja::config::Settings::default()
    };
    let mailer = meja::email::outbound::Mailer::from_settings(&settings).expect("mailer").expect("configured");

    // The citizen writes to the desk.
    let first = format!(
        "From: Warga Uji <{citizen}>\r\nTo: {desk_address}\r\nSubject: Lampu jalan mati\r\nMessage-ID: <first-{id}@warga.test>\r\nDate: Mon, 23 Nov 2026 08:00:00 +0700\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\nLampu jalan di Jl. Merdeka mati sejak kemarin.\r\n"
    );
    send_smtp(&smtp, first.as_bytes(), &citizen, &desk_address);
    let polled = wait_for("the mail in the desk's mailbox", || {
        let r = meja::email::imap_intake::poll_once(&app.desk, "dinkes", &target).expect("poll");
        (r.fetched > 0).then_some(r)
    });
    assert_eq!((polled.fetched, polled.taken_in), (1, 1));
    let again = meja::email::imap_intake::poll_once(&app.desk, "dinkes", &target).expect("poll");
    assert_eq!(again.fetched, 0, "flagged \\Seen once committed");
    let page = app.get("/api/v1/tickets?q=Lampu", Some(city.t("t1_dinkes")));
    let number = page.items()[0]["number"].as_str().expect("number").to_string();

    // The acknowledgement arrives in the citizen's mailbox, threaded and numbered.
    let sent = meja::email::outbound::deliver_due(&app.desk, &mailer, 50).expect("deliver");
    assert!(sent.sent >= 1, "{sent:?}");
    let ack = wait_for("the acknowledgement", || {
        read_inbox(&imap_addr, &citizen)
            .into_iter()
            .map(|m| String::from_utf8_lossy(&m).to_string())
            .find(|m| m.contains(&number))
    });
    let subject = header(&ack, "Subject").unwrap_or_default().to_string();
    assert!(subject.contains(&format!("[{number}]")), "{subject}");
    assert_eq!(header(&ack, "In-Reply-To"), Some(format!("<first-{id}@warga.test>").as_str()));
    assert_eq!(header(&ack, "Auto-Submitted"), Some("auto-generated"));
    assert!(ack.contains("https://layanan.kota.test/lacak/"), "tracking link: {ack}");
    assert!(ack.contains("text/html"), "text and HTML parts");
    let ack_id = header(&ack, "Message-ID").expect("Message-ID").to_string();

    // The citizen answers the acknowledgement: the reply lands on the same ticket.
    let reply = format!(
        "From: Warga Uji <{citizen}>\r\nTo: {desk_address}\r\nSubject: Re: {subject}\r\nMessage-ID: <second-{id}@warga.test>\r\nIn-Reply-To: {ack_id}\r\nReferences: <first-{id}@warga.test> {ack_id}\r\nDate: Mon, 23 Nov 2026 09:00:00 +0700\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\nTiangnya nomor 17.\r\n\r\nOn Mon, Service Desk wrote:\r\n> Terima kasih.\r\n"
    );
    send_smtp(&smtp, reply.as_bytes(), &citizen, &desk_address);
    wait_for("the reply to be taken in", || {
        let r = meja::email::imap_intake::poll_once(&app.desk, "dinkes", &target).expect("poll");
        (r.taken_in > 0).then_some(())
    });
    let t = app.get(&format!("/api/v1/tickets/{number}"), Some(city.t("t1_dinkes")));
    let bodies: Vec<String> = t.body["messages"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|m| m["body"].as_str().unwrap_or("").to_string())
        .collect();
    assert!(bodies.contains(&"Tiangnya nomor 17.".to_string()), "{bodies:?}");

    // An agent's public reply goes out by mail, threaded under the conversation.
    let r = app.post(
        &format!("/api/v1/tickets/{number}/messages"),
        json!({ "body": "Petugas PJU menuju lokasi." }),
        Some(city.t("t1_dinkes")),
    );
    assert_eq!(r.status, 201);
    meja::email::outbound::deliver_due(&app.desk, &mailer, 50).expect("deliver");
    let answer = wait_for("the agent's reply", || {
        read_inbox(&imap_addr, &citizen)
            .into_iter()
            .map(|m| String::from_utf8_lossy(&m).to_string())
            .find(|m| m.contains("Petugas PJU menuju lokasi."))
    });
    assert_eq!(header(&answer, "In-Reply-To"), Some(format!("<second-{id}@warga.test>").as_str()));
    // Nothing is sent twice.
    assert_eq!(meja::email::outbound::deliver_due(&app.desk, &mailer, 50).expect("deliver").sent, 0);
}

both_databases!(imap_intake_killed_mid_pass_loses_and_doubles_nothing);

fn imap_intake_killed_mid_pass_loses_and_doubles_nothing(app: &TestApp) {
    let Some((smtp, imap_addr)) = mail_servers() else { return };
    app.city();
    let id = uuid::Uuid::now_v7().simple().to_string();
    let desk_address = format!("desk-{id}@kota.test");
    let imap_url = format!("imap://desk-{id}%40kota.test:rahasia@{imap_addr}/INBOX");
    let out =
        app.meja(&["mailbox", "add", "dinkes", "--unit", "DINKES", "--address", &desk_address, "--imap", &imap_url]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let count = 150;
    for i in 0..count {
        let citizen = format!("warga{i}-{id}@warga.test");
        let raw = format!(
            "From: Warga {i} <{citizen}>\r\nTo: {desk_address}\r\nSubject: Laporan nomor {i}\r\nMessage-ID: <m{i}-{id}@warga.test>\r\nDate: Mon, 23 Nov 2026 08:00:00 +0700\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\nIsi laporan {i}.\r\n"
        );
        send_smtp(&smtp, raw.as_bytes(), &citizen, &desk_address);
    }
    wait_for("every mail in the desk's mailbox", || {
        (read_inbox(&imap_addr, &desk_address).len() == count).then_some(())
    });
    let mail_in = || {
        app.desk
            .read_blocking(|conn| {
                use diesel::prelude::*;
                use meja::db::schema::mail_messages;
                Ok(mail_messages::table.filter(mail_messages::direction.eq("in")).count().get_result::<i64>(conn)?)
            })
            .expect("count") as usize
    };
    let mut child = app
        .meja_command(&["jobs"])
        .env("MEJA_IMAP_POLL_SECS", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn meja jobs");
    let started = std::time::Instant::now();
    while mail_in() == 0 && started.elapsed() < std::time::Duration::from_secs(30) {
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    child.kill().expect("kill -9");
    child.wait().expect("reaped");
    let at_kill = mail_in();
    assert!(at_kill > 0 && at_kill < count, "killed mid-pass: {at_kill} of {count} taken in");
    let out = app.meja(&["jobs", "--once"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(mail_in(), count, "none missing");
    // Each message is one ticket, whatever the kill interrupted.
    let per_subject = app
        .desk
        .read_blocking(|conn| {
            use diesel::prelude::*;
            use meja::db::schema::tickets;
            Ok(tickets::table.filter(tickets::channel.eq("email")).select(tickets::title).load::<String>(conn)?)
        })
        .expect("titles");
    let mut unique = per_subject.clone();
    unique.sort();
    unique.dedup();
    assert_eq!((per_subject.len(), unique.len()), (count, count), "none doubled");
}

both_databases!(resolution_asks_once_for_a_rating);

/// The rating token the resolution notice of a ticket carries.
fn rating_token(app: &TestApp, number: &str) -> String {
    app.outbox_of(number)
        .into_iter()
        .find(|o| o.template == "ticket_resolved")
        .and_then(|o| serde_json::from_str::<Value>(&o.payload).ok())
        .and_then(|p| p["csat_token"].as_str().map(str::to_string))
        .expect("a rating token in the resolution notice")
}

fn resolution_asks_once_for_a_rating(app: &TestApp) {
    let city = setup(app);
    let (admin, agent) = (city.t("admin"), city.t("t1_dinkes"));
    let english = mail(
        "Jane Doe <jane@example.com>",
        "My account is locked",
        "en-1@example.com",
        "Hello, my account is locked and I cannot log in. Please help, thank you.",
    );
    let number = inbound(app, admin, &english).str("number").to_string();
    let requester = app.ticket_row(&number).requester_id;
    let language = app
        .desk
        .read_blocking(move |conn| Ok(meja::db::catalog::requester_by_id(conn, &requester)?.and_then(|r| r.language)))
        .expect("requester");
    assert_eq!(language.as_deref(), Some("en"), "the desk will answer in English");
    assert_eq!(app.act(&number, "start", json!({}), agent).status, 200);
    assert_eq!(app.act(&number, "resolve", json!({ "resolution": "Unlocked." }), agent).status, 200);
    let token = rating_token(app, &number);
    let rate =
        |token: &str, body: Value| app.post(&format!("/api/v1/public/tickets/{number}/csat?token={token}"), body, None);
    assert_eq!(rate("wrong", json!({ "rating": 5 })).status, 404);
    let r = rate(&token, json!({ "rating": 7 }));
    assert_eq!((r.status, r.field()), (422, Some("rating")));
    assert_eq!(rate(&token, json!({ "rating": 4, "comment": "Quick, thanks" })).status, 201);
    assert_eq!(rate(&token, json!({ "rating": 5 })).status, 409, "one rating per ticket");
    let events = app.get(&format!("/api/v1/tickets/{number}/events"), Some(agent));
    assert!(events.items().iter().any(|e| e["kind"] == "csat.rated" && e["data"]["rating"] == 4));

    // The page linked from the mail, for a second ticket.
    let second = inbound(app, admin, &mail("budi@example.com", "Printer", "p-1@example.com", "Printer mati."))
        .str("number")
        .to_string();
    assert_eq!(app.act(&second, "start", json!({}), agent).status, 200);
    assert_eq!(app.act(&second, "resolve", json!({ "resolution": "Sudah." }), agent).status, 200);
    let token = rating_token(app, &second);
    let form = app.get(&format!("/nilai/{second}?token={token}"), None);
    assert_eq!(form.status, 200);
    assert!(form.body.as_str().unwrap_or("").contains("Penilaian layanan"));
    let response = ureq::post(&format!("{}/nilai/{second}", app.base))
        .set("Content-Type", "application/x-www-form-urlencoded")
        .send_string(&format!("token={token}&rating=5&comment=Mantap"))
        .expect("posted");
    assert!(response.into_string().unwrap_or_default().contains("Terima kasih"));
}

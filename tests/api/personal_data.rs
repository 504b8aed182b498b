//! Personal data (SPEC 6, UU 27/2022): a citizen's data exported as a ZIP and anonymised on
//! request, by supervisors and admins only, both audited; the reports give the same figures
//! afterwards and the audit chain still verifies; the retention job anonymises the requesters
//! of tickets closed long ago and nobody else.

use std::io::Read;

use serde_json::{json, Value};

use crate::both_databases;
use crate::helpers::{Browser, TestApp, PASSWORD};

both_databases!(
    a_requester_is_exported_and_anonymised,
    the_console_and_the_command_line,
    retention_anonymises_only_old_closed_tickets
);

const NAME: &str = "Dewi Lestari";
const EMAIL: &str = "dewi.lestari@example.com";
const PHONE: &str = "0812-7777-4321";
const CHAT: &str = "987654321";
/// What must not be found anywhere once she is anonymised (lower case).
/// (Numbers long enough that no UUID or hash in the data contains them by chance.)
const IDENTIFYING: [&str; 6] =
    ["dewi", "lestari", "dewi.lestari@example.com", "0812-7777-4321", "081277774321", "987654321"];

/// A PDF she sends with her first mail; unique bytes, so its stored copy is hers alone.
const KTP: &[u8] = b"%PDF-1.4\n% KTP Dewi Lestari NIK 3374000000000001\n%%EOF\n";

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
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

fn her_mail() -> Vec<u8> {
    format!(
        "From: {NAME} <{EMAIL}>\r\nTo: layanan.dinkes@kota.go.id\r\nSubject: KTP Dewi tidak terbaca di SIMPUS\r\n\
         Date: Mon, 23 Nov 2026 08:00:00 +0700\r\nMessage-ID: <pdp-dewi-1@example.com>\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\
         Saya {NAME}, KTP saya tidak terbaca. Telepon {PHONE}.\r\n--b1\r\nContent-Type: application/pdf; name=\"ktp-dewi.pdf\"\r\n\
         Content-Disposition: attachment; filename=\"ktp-dewi.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{}\r\n--b1--\r\n",
        base64(KTP)
    )
    .into_bytes()
}

/// GET returning bytes: (status, content type, body).
fn download(app: &TestApp, path: &str, token: &str) -> (u16, String, Vec<u8>) {
    let result = ureq::get(&format!("{}{path}", app.base)).set("Authorization", &format!("Bearer {token}")).call();
    let response = match result {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("GET {path}: {e}"),
    };
    let status = response.status();
    let content_type = response.header("Content-Type").unwrap_or_default().to_string();
    let mut body = Vec::new();
    response.into_reader().read_to_end(&mut body).expect("body");
    (status, content_type, body)
}

/// Every file of a ZIP by name.
fn unzip(bytes: &[u8]) -> std::collections::BTreeMap<String, Vec<u8>> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a ZIP");
    let mut files = std::collections::BTreeMap::new();
    for i in 0..archive.len() {
        let mut file = archive.by_index(i).expect("entry");
        let mut content = Vec::new();
        file.read_to_end(&mut content).expect("read entry");
        files.insert(file.name().to_string(), content);
    }
    files
}

pub fn export_zip(app: &TestApp, query: &str, token: &str) -> std::collections::BTreeMap<String, Vec<u8>> {
    let (status, content_type, body) = download(app, &format!("/api/v1/personal-data/export?{query}"), token);
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    assert_eq!(content_type, "application/zip");
    unzip(&body)
}

fn identifying_in(text: &str) -> Option<&'static str> {
    let lower = text.to_lowercase();
    IDENTIFYING.into_iter().find(|w| lower.contains(w))
}

fn report(app: &TestApp, token: &str) -> (Value, String) {
    let r = app.get("/api/v1/reports?format=json&unit=all", Some(token));
    assert_eq!(r.status, 200, "{:?}", r.body);
    (r.body["report"].clone(), r.str("data_sha256").to_string())
}

fn events_of_kind(app: &TestApp, kind: &str) -> Vec<Value> {
    app.all_events()
        .into_iter()
        .filter(|e| e.kind == kind)
        .map(|e| serde_json::from_str(&e.data).expect("event data"))
        .collect()
}

fn a_requester_is_exported_and_anonymised(app: &TestApp) {
    let city = app.city();
    let (admin, agent, sup) = (city.t("admin"), city.t("t1_dinkes"), city.t("sup_kominfo"));
    let r = app.post(
        "/api/v1/mailboxes",
        json!({ "name": "dinkes", "unit": "DINKES", "address": "layanan.dinkes@kota.go.id" }),
        Some(admin),
    );
    assert_eq!(r.status, 201, "{:?}", r.body);

    // Her first report by e-mail, with her KTP attached.
    let r = app.raw("POST", "/api/v1/channels/email/inbound?mailbox=dinkes", Some(&her_mail()), Some(admin));
    assert_eq!((r.status, r.str("outcome")), (201, "created"), "{:?}", r.body);
    let by_mail = r.str("number").to_string();
    // Her second through the portal, with her telephone number in the text (a form without a
    // sign-in never changes her record).
    let r = app.post(
        "/api/v1/public/tickets",
        json!({ "kind": "information", "title": "Jadwal vaksin", "description": format!("Mohon info, hubungi saya di {PHONE}"),
                "unit": "DINKES", "requester": { "name": NAME, "email": EMAIL, "phone": PHONE } }),
        None,
    );
    assert_eq!(r.status, 201, "{:?}", r.body);
    let by_portal = r.str("number").to_string();
    let tracking = r.str("tracking_token").to_string();
    // A third by telephone, where the agent notes her number and Telegram chat.
    let by_phone = app.ticket(
        agent,
        json!({ "title": "Lupa kata sandi", "requester": { "name": NAME, "email": EMAIL, "telegram_id": CHAT, "phone": PHONE } }),
    );
    // Her chat with the bot holds a draft.
    app.desk
        .writer
        .write_blocking(|tx| {
            let at = tx.now.naive_utc();
            Ok(meja::db::telegram::save_dialogue(tx.conn, 987654321, r#"{"step":"describe","draft":"KTP Dewi"}"#, at)?)
        })
        .expect("chat");
    // Somebody else, who must not be touched.
    let other = app.ticket(agent, json!({ "title": "Printer rusak" }));

    // Staff write to her and about her; she is resolved and rates.
    let ok = |r: crate::helpers::Reply| assert!(r.status < 300, "{:?}", r.body);
    ok(app.post(
        &format!("/api/v1/tickets/{by_mail}/messages"),
        json!({ "body": format!("Selamat pagi Ibu {NAME}, berkas sudah kami terima.") }),
        Some(agent),
    ));
    ok(app.post(
        &format!("/api/v1/tickets/{by_mail}/messages"),
        json!({ "body": "KTP Bu Dewi buram, minta kirim ulang.", "internal": true }),
        Some(agent),
    ));
    ok(app.act(&by_portal, "start", json!({}), agent));
    ok(app.act(&by_portal, "resolve", json!({ "resolution": "Jadwal sudah dikirim ke Ibu Dewi." }), agent));
    ok(app.post(
        &format!("/api/v1/public/tickets/{by_portal}/csat?token={tracking}"),
        json!({ "rating": 4, "comment": "Terima kasih, Dewi puas." }),
        None,
    ));

    // Only supervisors and admins, and one key at a time.
    for who in ["t1_dinkes", "t2_kominfo", "head_dinkes", "warga"] {
        let (status, content_type, _) =
            download(app, &format!("/api/v1/personal-data/export?email={EMAIL}"), city.t(who));
        assert_eq!((status, content_type.as_str()), (403, "application/problem+json"), "{who}");
        let r =
            app.post("/api/v1/personal-data/anonymise", json!({ "email": EMAIL, "reason": "x" }), Some(city.t(who)));
        assert_eq!(r.status, 403, "{who}: {:?}", r.body);
    }
    assert_eq!(app.get(&format!("/api/v1/personal-data/export?email={EMAIL}"), None).status, 401);
    let r = app.get(&format!("/api/v1/personal-data/export?email={EMAIL}&ticket={by_mail}"), Some(sup));
    assert_eq!((r.status, r.field()), (422, Some("ticket")), "{:?}", r.body);
    let r = app.get("/api/v1/personal-data/export", Some(sup));
    assert_eq!((r.status, r.field()), (422, Some("email")), "{:?}", r.body);
    let r = app.get("/api/v1/personal-data/export?email=bukan-alamat", Some(sup));
    assert_eq!((r.status, r.field()), (422, Some("email")), "{:?}", r.body);
    let r = app.get("/api/v1/personal-data/export?nik=1", Some(sup));
    assert_eq!((r.status, r.field()), (400, Some("nik")), "{:?}", r.body);
    let r = app.get("/api/v1/personal-data/export?email=tidak.ada@example.com", Some(sup));
    assert_eq!(r.status, 404, "{:?}", r.body);
    assert!(!r.body.to_string().contains("tidak.ada"), "the key is not repeated back");
    let r = app.post("/api/v1/personal-data/anonymise", json!({ "email": EMAIL }), Some(sup));
    assert_eq!((r.status, r.field()), (400, Some("reason")), "{:?}", r.body);

    // The export: everything about her, her file byte for byte.
    let files = export_zip(app, &format!("email={EMAIL}"), sup);
    let data: Value = serde_json::from_slice(&files["data.json"]).expect("data.json");
    assert_eq!(data["requesters"].as_array().map(Vec::len), Some(1), "one citizen, one record: {data}");
    let me = &data["requesters"][0];
    assert_eq!(
        (me["name"].as_str(), me["email"].as_str(), me["phone"].as_str()),
        (Some(NAME), Some(EMAIL), Some(PHONE))
    );
    assert_eq!(me["telegram_id"], CHAT);
    let numbers: Vec<&str> =
        data["tickets"].as_array().into_iter().flatten().filter_map(|t| t["number"].as_str()).collect();
    assert_eq!(numbers, vec![by_mail.as_str(), by_portal.as_str(), by_phone.as_str()]);
    let text = String::from_utf8_lossy(&files["data.json"]).to_string();
    for expected in [
        "Selamat pagi Ibu Dewi Lestari",
        "KTP Bu Dewi buram",
        "Terima kasih, Dewi puas.",
        "KTP Dewi tidak terbaca",
        "\"draft\": \"KTP Dewi\"",
    ] {
        assert!(text.contains(expected), "{expected} missing from the export");
    }
    assert!(!text.contains("t1_dinkes"), "staff appear by role only");
    assert!(!text.contains(&tracking), "no tokens");
    let ktp = files
        .iter()
        .find(|(name, _)| name.starts_with("lampiran/") && name.ends_with("/ktp-dewi.pdf"))
        .map(|(_, bytes)| bytes.clone())
        .expect("her file in lampiran/");
    assert_eq!(ktp, KTP);
    assert!(files.contains_key("SHA256SUMS") && files.contains_key("BACA-SAYA.txt"));
    // The same citizen by her number written another way, by chat, by ticket.
    for query in
        ["phone=%2B62%20812%207777%204321".to_string(), format!("telegram_id={CHAT}"), format!("ticket={by_portal}")]
    {
        let files = export_zip(app, &query, sup);
        let data: Value = serde_json::from_slice(&files["data.json"]).expect("data.json");
        assert_eq!(data["requesters"][0]["email"], EMAIL, "{query}");
    }
    let exported = events_of_kind(app, "personal_data.exported");
    assert_eq!(exported.len(), 4);
    assert_eq!((exported[0]["by"].as_str(), exported[0]["counts"]["tickets"].as_i64()), (Some("email"), Some(3)));

    let sha = {
        let id = app.ticket_row(&by_mail).id;
        let files = app.desk.read_blocking(move |conn| Ok(meja::db::mail::attachments_of(conn, &id)?)).expect("files");
        files.into_iter().find(|f| f.filename == "ktp-dewi.pdf").expect("stored").sha256
    };
    let (before, before_sha) = report(app, sup);

    // Anonymised on request.
    let r = app.post(
        "/api/v1/personal-data/anonymise",
        json!({ "email": EMAIL, "reason": format!("Permintaan tertulis {NAME} ({EMAIL}) tanggal 23-11-2026") }),
        Some(sup),
    );
    assert_eq!(r.status, 200, "{:?}", r.body);
    let erased = r.body.clone();
    assert_eq!(erased["requesters"], 1);
    assert_eq!(erased["tickets"], json!([by_mail, by_portal, by_phone]));
    assert_eq!(erased["already_anonymised"], false);
    assert!(erased["attachments_removed"].as_i64() >= Some(1) && erased["files_deleted"] == 1, "{erased}");
    assert!(erased["messages_scrubbed"].as_i64() >= Some(3), "the reply, the note and the resolution: {erased}");
    assert_eq!((erased["ratings_scrubbed"].as_i64(), erased["telegram_chats_forgotten"].as_i64()), (Some(1), Some(1)));

    // Nothing on her tickets names her any more; their facts are unchanged.
    for number in [&by_mail, &by_portal, &by_phone] {
        let t = app.get(&format!("/api/v1/tickets/{number}"), Some(sup));
        assert_eq!(t.status, 200);
        assert_eq!(identifying_in(&t.body.to_string()), None, "{number}: {}", t.body);
        assert_eq!(t.body["requester"]["name"], "Pelapor dianonimkan");
        assert_eq!(t.body["requester"]["email"], Value::Null);
        let events = app.get(&format!("/api/v1/tickets/{number}/events"), Some(sup));
        assert_eq!(identifying_in(&events.body.to_string()), None, "{number}: {}", events.body);
        for notice in app.outbox_of(number) {
            assert_eq!(identifying_in(&format!("{} {}", notice.recipient, notice.payload)), None, "{notice:?}");
            assert!(notice.recipient != EMAIL && notice.recipient != CHAT);
        }
        let id = app.ticket_row(number).id;
        for mail in app.desk.read_blocking(move |conn| Ok(meja::db::mail::mail_for_ticket(conn, &id)?)).expect("mail") {
            assert_eq!(identifying_in(&format!("{} {}", mail.sender, mail.subject)), None, "{mail:?}");
        }
    }
    let t = app.get(&format!("/api/v1/tickets/{by_portal}"), Some(sup));
    assert_eq!((t.body["status"].as_str(), t.body["kind"].as_str()), (Some("resolved"), Some("information")));
    assert_eq!(
        app.get(&format!("/api/v1/public/tickets/{by_portal}?token={tracking}"), None).status,
        404,
        "tracking token gone"
    );
    let other_view = app.get(&format!("/api/v1/tickets/{other}"), Some(sup));
    assert_eq!(other_view.body["requester"]["name"], "Budi Santoso", "somebody else is untouched");
    let gone = app.desk.read_blocking(move |conn| Ok(meja::db::mail::blob(conn, &sha)?)).expect("blob");
    assert!(gone.is_none(), "her file's stored copy is deleted");
    let chat =
        app.desk.read_blocking(|conn| Ok(meja::db::telegram::dialogue_unlocked(conn, 987654321)?)).expect("chat");
    assert!(chat.is_none(), "her chat's state is forgotten");

    // The export afterwards holds nothing that identifies her.
    assert_eq!(app.get(&format!("/api/v1/personal-data/export?email={EMAIL}"), Some(sup)).status, 404);
    let files = export_zip(app, &format!("ticket={by_mail}"), sup);
    assert!(!files.keys().any(|name| name.starts_with("lampiran/")), "{:?}", files.keys());
    for (name, bytes) in &files {
        assert_eq!(identifying_in(&String::from_utf8_lossy(bytes)), None, "{name}");
    }

    // The same report, the same numbers.
    let (after, after_sha) = report(app, sup);
    assert_eq!(after, before);
    assert_eq!(after_sha, before_sha);

    // Audited, without her data; idempotent; the chain verifies.
    let anonymised = events_of_kind(app, "personal_data.anonymised");
    assert_eq!(anonymised.len(), 1);
    assert_eq!(anonymised[0]["by"], "email");
    // Its reason is kept apart from the event (free text), without her name.
    let reason_id = anonymised[0]["reason"]["$text"].as_str().expect("the reason is a text reference").to_string();
    let reason =
        app.desk.read_blocking(move |conn| Ok(meja::db::audit_texts::by_ids(conn, &[reason_id])?)).expect("text");
    assert!(reason[0].body.as_deref().unwrap_or_default().starts_with("Permintaan tertulis [dianonimkan]"));
    for e in app.all_events() {
        assert_eq!(identifying_in(&e.data), None, "event {} {}", e.seq, e.kind);
    }
    let r = app.post("/api/v1/personal-data/anonymise", json!({ "ticket": by_phone, "reason": "Diulang" }), Some(sup));
    assert_eq!((r.status, r.body["already_anonymised"].as_bool()), (200, Some(true)), "{:?}", r.body);
    assert_eq!(events_of_kind(app, "personal_data.anonymised").len(), 1, "nothing changed, nothing recorded");
    let out = app.meja(&["audit", "verify"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
}

fn the_console_and_the_command_line(app: &TestApp) {
    let city = app.city();
    let agent = city.t("t1_dinkes");
    let number = app.ticket(agent, json!({ "requester": { "name": "Siti Aminah", "email": "siti@example.com" } }));
    let second = app.ticket(agent, json!({ "requester": { "name": "Rudi Hartono", "email": "rudi@example.com" } }));

    // The box is for supervisors and admins only.
    let own = Browser::sign_in(app, "t1_dinkes", PASSWORD);
    let page = own.get(&format!("/konsol/tiket/{number}"));
    assert_eq!(page.status, 200);
    assert!(!page.body.contains("id=\"data-pribadi\""));
    assert_eq!(own.get(&format!("/konsol/tiket/{number}/data-pribadi")).status, 403);
    let csrf = own.csrf("/konsol");
    let r = own.post(&format!("/konsol/tiket/{number}/anonimkan"), &[("csrf", &csrf), ("reason", "coba")]);
    assert_eq!(r.status, 403);

    let sup = Browser::sign_in(app, "sup_kominfo", PASSWORD);
    let page = sup.get(&format!("/konsol/tiket/{number}"));
    assert!(page.body.contains("id=\"data-pribadi\"") && page.body.contains("data-confirm="), "{}", page.body);
    let download = sup
        .agent
        .get(&format!("{}/konsol/tiket/{number}/data-pribadi", app.base))
        .set("Cookie", &sup.cookie)
        .call()
        .expect("export");
    assert_eq!(download.header("Content-Type"), Some("application/zip"));
    let mut bytes = Vec::new();
    download.into_reader().read_to_end(&mut bytes).expect("zip");
    assert!(String::from_utf8_lossy(&unzip(&bytes)["data.json"]).contains("siti@example.com"));
    // A download started from another site is refused.
    let r = sup
        .agent
        .get(&format!("{}/konsol/tiket/{number}/data-pribadi", app.base))
        .set("Cookie", &sup.cookie)
        .set("Sec-Fetch-Site", "cross-site")
        .call();
    assert!(matches!(r, Err(ureq::Error::Status(403, _))));
    // Without the form's token nothing happens; with it and a reason, she is anonymised.
    let r = sup.post(&format!("/konsol/tiket/{number}/anonimkan"), &[("csrf", "salah"), ("reason", "Permintaan")]);
    assert_eq!(r.status, 403);
    let csrf = sup.csrf(&format!("/konsol/tiket/{number}"));
    let r = sup.post(&format!("/konsol/tiket/{number}/anonimkan"), &[("csrf", &csrf), ("reason", "")]);
    assert_eq!(r.status, 422, "a reason is required");
    let r = sup
        .post(&format!("/konsol/tiket/{number}/anonimkan"), &[("csrf", &csrf), ("reason", "Permintaan lisan 23-11")]);
    assert_eq!(r.status, 303, "{}", r.body);
    let page = sup.get(&format!("/konsol/tiket/{number}"));
    assert!(page.body.contains("Pelapor dianonimkan") && !page.body.contains("siti@example.com"));

    // The command line: export to a file, anonymise, audited; the chain verifies.
    let file = std::env::temp_dir().join(format!("meja-pdp-{}.zip", uuid::Uuid::now_v7()));
    let path = file.to_string_lossy().to_string();
    let out = app.meja(&["personal-data", "export", "--email", "rudi@example.com", "-o", &path]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let bytes = std::fs::read(&file).expect("export written");
    let _ = std::fs::remove_file(&file);
    assert!(String::from_utf8_lossy(&unzip(&bytes)["data.json"]).contains("Rudi Hartono"));
    let out = app.meja(&["personal-data", "anonymise", "--ticket", &second, "--reason", "Permintaan tertulis"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let summary: Value = serde_json::from_slice(&out.stdout).expect("a JSON summary");
    assert_eq!(summary["requesters"], 1);
    let out = app.meja(&["personal-data", "export", "--email", "rudi@example.com", "--phone", "0812", "-o", &path]);
    assert!(!out.status.success(), "one key at a time");
    let t = app.get(&format!("/api/v1/tickets/{second}"), Some(city.t("sup_kominfo")));
    assert_eq!(t.body["requester"]["name"], "Pelapor dianonimkan");

    // A citizen with an account: the account goes with the identity.
    let own_ticket = app.post(
        "/api/v1/tickets",
        json!({ "kind": "incident", "title": "Akun saya", "description": "Tidak bisa masuk.", "unit": "DINKES",
                "impact": "low", "urgency": "low" }),
        Some(city.t("warga")),
    );
    assert_eq!(own_ticket.status, 201, "{:?}", own_ticket.body);
    let r = app.post(
        "/api/v1/personal-data/anonymise",
        json!({ "ticket": own_ticket.str("number"), "reason": "Permintaan pemilik akun" }),
        Some(city.t("admin")),
    );
    assert_eq!((r.status, r.body["accounts_closed"].as_i64()), (200, Some(1)), "{:?}", r.body);
    assert_eq!(app.get("/api/v1/auth/me", Some(city.t("warga"))).status, 401, "sessions revoked");
    let login = app.post("/api/v1/auth/token", json!({ "username": "warga", "password": PASSWORD }), None);
    assert_eq!(login.status, 401);
    let users = app.get("/api/v1/users", Some(city.t("admin")));
    assert!(!users.body.to_string().contains("warga@example.go.id"), "{:?}", users.body);
    assert_eq!(events_of_kind(app, "personal_data.anonymised").len(), 3);
    assert_eq!(events_of_kind(app, "personal_data.exported").len(), 2);
    let out = app.meja(&["audit", "verify"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
}

fn retention_anonymises_only_old_closed_tickets(app: &TestApp) {
    app.city();
    // Sign-in tokens expire while the clock moves by years: a fresh one each time.
    let token = |username: &str| app.token(username, PASSWORD);
    let person =
        |name: &str| json!({ "requester": { "name": name, "email": format!("{}@example.com", name.to_lowercase()) } });
    let close = |number: &str| {
        let agent = token("t1_dinkes");
        for (action, body) in
            [("start", json!({})), ("resolve", json!({ "resolution": "Selesai." })), ("close", json!({}))]
        {
            let r = app.act(number, action, body, &agent);
            assert_eq!(r.status, 200, "{action}: {:?}", r.body);
        }
    };
    let requester = |number: &str| {
        app.get(&format!("/api/v1/tickets/{number}"), Some(&token("sup_kominfo"))).body["requester"]["name"].clone()
    };

    let old = app.ticket(&token("t1_dinkes"), person("Lama"));
    let mixed_closed = app.ticket(&token("t1_dinkes"), person("Campur"));
    close(&old);
    close(&mixed_closed);
    app.clock.advance(chrono::Duration::days(400));
    let mixed_open = app.ticket(&token("t1_dinkes"), person("Campur"));
    let recent = app.ticket(&token("t1_dinkes"), person("Baru"));
    close(&recent);

    let report = meja::desk::personal_data::retention::run_blocking(&app.desk, 365, 1).expect("retention");
    assert_eq!((report.requesters, report.tickets), (1, 1), "{report:?}");
    assert_eq!(requester(&old), "Pelapor dianonimkan");
    assert_eq!(requester(&recent), "Baru");
    assert_eq!(requester(&mixed_closed), "Campur", "one of her tickets is still open");
    assert_eq!(requester(&mixed_open), "Campur");
    let again = meja::desk::personal_data::retention::run_blocking(&app.desk, 365, 1).expect("retention");
    assert_eq!(again.requesters, 0, "not anonymised twice");

    // A year later the recent one is due as well; the open ticket still protects the other.
    app.clock.advance(chrono::Duration::days(400));
    let report = meja::desk::personal_data::retention::run_blocking(&app.desk, 365, 100).expect("retention");
    assert_eq!(report.requesters, 1);
    assert_eq!(requester(&recent), "Pelapor dianonimkan");
    assert_eq!(requester(&mixed_open), "Campur");
    // Off means off.
    app.clock.advance(chrono::Duration::days(4000));
    assert_eq!(meja::desk::personal_data::retention::run_blocking(&app.desk, 0, 100).expect("off").requesters, 0);

    let events = events_of_kind(app, "personal_data.anonymised");
    assert_eq!(events.len(), 2, "one event per batch");
    assert!(events.iter().all(|e| e["retention"] == true && e["retention_days"] == 365));
    let out = app.meja(&["audit", "verify"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
}

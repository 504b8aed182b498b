//! Webhooks: a receiver on loopback that checks every signature the way an integrator would
//! (HMAC-SHA256 of the raw body with the shared secret), the events it subscribed to arriving
//! once each, retries after a failure, nothing personal or internal in a payload, the API for
//! admins only, and the console's section.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};

use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;

use crate::both_databases;
use crate::helpers::{Browser, TestApp, ADMIN_PASSWORD, PASSWORD};

both_databases!(
    subscribed_events_arrive_signed_once_each,
    failed_deliveries_are_retried_and_gone_receivers_switched_off,
    payloads_carry_nothing_personal_or_internal,
    webhooks_are_for_admins,
    console_webhook_section,
    a_webhook_deleted_while_its_delivery_is_in_flight,
);

const SECRET: &str = "rahasia-penerima-uji-2026";

/// One request as the receiver saw it.
#[derive(Debug, Clone)]
struct Received {
    event: String,
    delivery: String,
    signature: String,
    content_type: String,
    body: Vec<u8>,
    /// Checked on arrival with the secret the receiver was given.
    verified: bool,
}

impl Received {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("a JSON body")
    }
}

type BeforeAnswer = Arc<Mutex<Option<Box<dyn FnOnce() + Send>>>>;

/// A tiny HTTP receiver on 127.0.0.1:0: answers every POST with the status set in `status`.
struct Receiver {
    url: String,
    status: Arc<AtomicU16>,
    got: Arc<Mutex<Vec<Received>>>,
    secret: Arc<Mutex<String>>,
    /// Run once, before the next answer goes out: something that happens while a delivery is
    /// in flight.
    before_answer: BeforeAnswer,
}

/// What a receiver does with `X-Meja-Signature: sha256=<hex>`: recompute and compare in
/// constant time.
fn verifies(secret: &str, body: &[u8], header: &str) -> bool {
    let Some(hex_part) = header.strip_prefix("sha256=") else { return false };
    let Ok(given) = hex::decode(hex_part) else { return false };
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(body);
    mac.verify_slice(&given).is_ok()
}

impl Receiver {
    fn start(secret: &str) -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the receiver");
        let url = format!("http://{}/meja-hook", listener.local_addr().expect("addr"));
        let status = Arc::new(AtomicU16::new(200));
        let got = Arc::new(Mutex::new(Vec::new()));
        let secret = Arc::new(Mutex::new(secret.to_string()));
        let before_answer: BeforeAnswer = Arc::default();
        let (s, g, k, b) = (status.clone(), got.clone(), secret.clone(), before_answer.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut reader = BufReader::new(stream.try_clone().expect("clone"));
                let mut headers = Vec::new();
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                    headers.push(line.trim_end().to_string());
                }
                let header = |name: &str| {
                    headers
                        .iter()
                        .filter_map(|h| h.split_once(':'))
                        .find(|(k, _)| k.trim().eq_ignore_ascii_case(name))
                        .map(|(_, v)| v.trim().to_string())
                        .unwrap_or_default()
                };
                let length: usize = header("Content-Length").parse().unwrap_or(0);
                let mut body = vec![0u8; length];
                if reader.read_exact(&mut body).is_err() {
                    continue;
                }
                let signature = header("X-Meja-Signature");
                let key = k.lock().expect("secret").clone();
                let received = Received {
                    event: header("X-Meja-Event"),
                    delivery: header("X-Meja-Delivery"),
                    verified: verifies(&key, &body, &signature),
                    signature,
                    content_type: header("Content-Type"),
                    body,
                };
                g.lock().expect("log").push(received);
                let hook = b.lock().expect("hook").take();
                if let Some(hook) = hook {
                    hook();
                }
                let code = s.load(Ordering::SeqCst);
                let answer = format!(
                    "HTTP/1.1 {code} X\r\nContent-Type: text/plain\r\nContent-Length: 8\r\nConnection: close\r\n\r\nditerima"
                );
                let _ = stream.write_all(answer.as_bytes());
                let _ = stream.flush();
            }
        });
        Receiver { url, status, got, secret, before_answer }
    }

    fn before_next_answer(&self, f: impl FnOnce() + Send + 'static) {
        *self.before_answer.lock().expect("hook") = Some(Box::new(f));
    }

    fn received(&self) -> Vec<Received> {
        self.got.lock().expect("log").clone()
    }

    fn answer_with(&self, status: u16) {
        self.status.store(status, Ordering::SeqCst);
    }
}

fn deliver(app: &TestApp) -> meja::webhooks::Delivered {
    let sender = meja::webhooks::Sender::new().expect("http client");
    meja::webhooks::deliver_due_blocking(&app.desk, &sender).expect("delivery pass")
}

fn subscribe(app: &TestApp, admin: &str, url: &str, events: Value, secret: Option<&str>) -> Value {
    let mut body = json!({ "url": url, "events": events });
    if let Some(s) = secret {
        body["secret"] = json!(s);
    }
    let r = app.post("/api/v1/webhooks", body, Some(admin));
    assert_eq!(r.status, 201, "{:?}", r.body);
    r.body
}

fn subscribed_events_arrive_signed_once_each(app: &TestApp) {
    let city = app.city();
    let (admin, t1) = (city.t("admin"), city.t("t1_dinkes"));
    let receiver = Receiver::start(SECRET);
    let hook = subscribe(app, admin, &receiver.url, json!(["ticket.escalated", "ticket.created"]), Some(SECRET));
    assert_eq!(hook["secret"], SECRET, "the secret is shown in the answer to the creation");
    assert_eq!(hook["events"], json!(["ticket.created", "ticket.escalated"]));
    let id = hook["id"].as_str().expect("id").to_string();
    let listed = app.get("/api/v1/webhooks", Some(admin));
    assert_eq!(listed.items().len(), 1);
    assert!(listed.items()[0].get("secret").is_none(), "never shown again: {:?}", listed.body);
    assert!(!listed.body.to_string().contains(SECRET));

    let number = app.ticket(t1, json!({}));
    // Not subscribed: a reply and a start.
    let r = app.post(&format!("/api/v1/tickets/{number}/messages"), json!({ "body": "Sedang kami cek." }), Some(t1));
    assert_eq!(r.status, 201, "{:?}", r.body);
    assert_eq!(app.act(&number, "escalate", json!({ "reason": "Butuh akses server" }), t1).status, 200);

    let report = deliver(app);
    assert_eq!((report.sent, report.retrying, report.given_up), (2, 0, 0), "{report:?}");
    let got = receiver.received();
    let mut events: Vec<&str> = got.iter().map(|r| r.event.as_str()).collect();
    events.sort_unstable();
    assert_eq!(events, ["ticket.created", "ticket.escalated"], "exactly the subscribed events, once each");
    for r in &got {
        assert!(r.verified, "the receiver verified the signature of {}", r.event);
        assert!(r.signature.starts_with("sha256=") && r.signature.len() == 7 + 64, "{}", r.signature);
        assert_eq!(r.content_type, "application/json");
        let body = r.json();
        assert_eq!(body["event"], r.event.as_str());
        assert_eq!(body["ticket"]["number"], number.as_str());
        assert!(body["id"].is_string() && body["occurred_at"].is_string(), "{body}");
    }
    let escalated = got.iter().find(|r| r.event == "ticket.escalated").expect("escalated").json();
    assert_eq!(escalated["ticket"]["tier"], 2, "the ticket as it is after the escalation: {escalated}");
    assert_eq!(escalated["ticket"]["unit"], "DINKES");
    assert_eq!(escalated["data"]["from_status"], "new");
    assert_ne!(got[0].delivery, got[1].delivery, "each delivery has its own id");

    // A tampered body does not verify with the signature that came with the original.
    let original = &got[0];
    let mut tampered = original.body.clone();
    let at = tampered.iter().position(|b| *b == b'D').unwrap_or(0);
    tampered[at] = b'X';
    assert!(verifies(SECRET, &original.body, &original.signature));
    assert!(!verifies(SECRET, &tampered, &original.signature), "a changed body fails the check");
    assert!(!verifies("another-secret-entirely", &original.body, &original.signature));

    // Delivered once: another pass sends nothing.
    assert_eq!(deliver(app).sent, 0);
    assert_eq!(receiver.received().len(), 2);

    // The delivery log.
    let log = app.get(&format!("/api/v1/webhooks/{id}/deliveries"), Some(admin));
    assert_eq!(log.status, 200, "{:?}", log.body);
    let items = log.items();
    assert_eq!(items.len(), 2, "{:?}", log.body);
    for item in &items {
        assert_eq!(item["outcome"], "delivered");
        assert_eq!(item["status_code"], 200);
        assert_eq!(item["attempt"], 1);
        assert_eq!(item["ticket"], number.as_str());
        assert_eq!(item["response_excerpt"], "diterima");
    }
    let delivered: Vec<&str> = items.iter().filter_map(|i| i["delivery"].as_str()).collect();
    assert!(got.iter().all(|r| delivered.contains(&r.delivery.as_str())), "X-Meja-Delivery names the log's delivery");

    // Creating, testing and deleting are audited; the secret is not in the audit log.
    let r = app.post(&format!("/api/v1/webhooks/{id}/test"), json!({}), Some(admin));
    assert_eq!((r.status, r.str("event")), (202, "ping"), "{:?}", r.body);
    assert_eq!(deliver(app).sent, 1);
    let ping = receiver.received().pop().expect("ping");
    assert_eq!(ping.event, "ping");
    assert!(ping.verified);
    assert_eq!(app.delete(&format!("/api/v1/webhooks/{id}"), Some(admin)).status, 204);
    assert_eq!(app.get(&format!("/api/v1/webhooks/{id}"), Some(admin)).status, 404);
    let kinds: Vec<String> = app.all_events().into_iter().map(|e| e.kind).collect();
    for kind in ["webhook.created", "webhook.tested", "webhook.deleted"] {
        assert!(kinds.iter().any(|k| k == kind), "{kind} audited");
    }
    assert!(!app.all_events().iter().any(|e| e.data.contains(SECRET)), "the secret is never in the audit log");
    // Deleted: new tickets go nowhere.
    app.ticket(t1, json!({}));
    assert_eq!(deliver(app).sent, 0);
    assert_eq!(receiver.received().len(), 3);
}

fn failed_deliveries_are_retried_and_gone_receivers_switched_off(app: &TestApp) {
    let city = app.city();
    let (admin, t1) = (city.t("admin"), city.t("t1_dinkes"));
    let receiver = Receiver::start(SECRET);
    receiver.answer_with(500);
    let hook = subscribe(app, admin, &receiver.url, json!(["ticket.created"]), Some(SECRET));
    let id = hook["id"].as_str().expect("id").to_string();
    let number = app.ticket(t1, json!({}));

    let report = deliver(app);
    assert_eq!((report.sent, report.retrying), (0, 1), "{report:?}");
    let log = app.get(&format!("/api/v1/webhooks/{id}/deliveries"), Some(admin)).items();
    assert_eq!(log.len(), 1);
    assert_eq!((log[0]["outcome"].as_str(), log[0]["status_code"].as_i64()), (Some("retrying"), Some(500)));
    assert_eq!(log[0]["error"], "HTTP 500");
    let next: chrono::DateTime<chrono::Utc> =
        log[0]["next_attempt_at"].as_str().expect("a next attempt").parse().expect("time");
    assert_eq!(
        next - meja::clock::Clock::now(&app.clock),
        chrono::Duration::minutes(1),
        "the first retry after a minute"
    );

    // Not due yet: nothing is sent before the minute is up.
    assert_eq!(deliver(app), meja::webhooks::Delivered::default());
    assert_eq!(receiver.received().len(), 1);

    receiver.answer_with(204);
    app.clock.advance(chrono::Duration::seconds(61));
    assert_eq!(deliver(app).sent, 1);
    let got = receiver.received();
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].delivery, got[1].delivery, "a retry is the same delivery");
    assert_eq!(got[0].body, got[1].body, "with the same body");
    assert!(got.iter().all(|r| r.verified));
    assert_eq!(got[1].json()["ticket"]["number"], number.as_str());
    let log = app.get(&format!("/api/v1/webhooks/{id}/deliveries"), Some(admin)).items();
    assert_eq!(log.len(), 2);
    assert_eq!((log[0]["outcome"].as_str(), log[0]["attempt"].as_i64()), (Some("delivered"), Some(2)), "{log:?}");

    // A receiver that is down: the retries follow the backoff, then the delivery is given up.
    receiver.answer_with(503);
    app.ticket(t1, json!({}));
    let mut attempts = 0;
    for wait in [0, 60, 300, 900, 3600, 3 * 3600, 12 * 3600] {
        app.clock.advance(chrono::Duration::seconds(wait + 1));
        let r = deliver(app);
        attempts += r.retrying + r.given_up;
        if wait == 12 * 3600 {
            assert_eq!(r.given_up, 1, "given up after the seventh attempt");
        } else {
            assert_eq!(r.retrying, 1, "retry after {wait} s");
        }
    }
    assert_eq!(attempts, 7);
    app.clock.advance(chrono::Duration::days(2));
    assert_eq!(deliver(app), meja::webhooks::Delivered::default(), "nothing more once given up");

    // 410 Gone: the receiver says it is gone for good; the webhook is switched off.
    receiver.answer_with(410);
    assert_eq!(app.post(&format!("/api/v1/webhooks/{id}/test"), json!({}), Some(admin)).status, 202);
    assert_eq!(deliver(app).given_up, 1);
    let shown = app.get(&format!("/api/v1/webhooks/{id}"), Some(admin));
    assert_eq!(shown.body["active"], false, "{:?}", shown.body);
    assert!(shown.str("disabled_reason").contains("410"), "{:?}", shown.body);
    let before = receiver.received().len();
    app.ticket(t1, json!({}));
    assert_eq!(deliver(app).sent, 0);
    assert_eq!(receiver.received().len(), before, "a switched-off webhook receives nothing");
    // Switched on again by an admin.
    receiver.answer_with(200);
    let r = app.patch(&format!("/api/v1/webhooks/{id}"), json!({ "active": true }), Some(admin));
    assert_eq!((r.status, r.body["active"].as_bool()), (200, Some(true)), "{:?}", r.body);
    app.ticket(t1, json!({}));
    assert_eq!(deliver(app).sent, 1);
}

fn payloads_carry_nothing_personal_or_internal(app: &TestApp) {
    let city = app.city();
    let (admin, t1) = (city.t("admin"), city.t("t1_dinkes"));
    let receiver = Receiver::start("");
    let hook = subscribe(app, admin, &receiver.url, json!(["*"]), None);
    let secret = hook["secret"].as_str().expect("a generated secret").to_string();
    assert!(secret.len() >= 32, "{secret}");
    *receiver.secret.lock().expect("secret") = secret;

    let number = app.ticket(
        t1,
        json!({ "title": "Judul-Pribadi-Unik", "description": "Deskripsi-Pribadi-Unik",
                "requester": { "name": "Siti Pelapor-Unik", "email": "siti.unik@example.com", "phone": "081234567890" } }),
    );
    let note = "CATATAN-INTERNAL-JANGAN-BOCOR";
    let r =
        app.post(&format!("/api/v1/tickets/{number}/messages"), json!({ "body": note, "internal": true }), Some(t1));
    assert_eq!(r.status, 201, "{:?}", r.body);
    let reply = "Balasan-Publik-Unik";
    let r = app.post(&format!("/api/v1/tickets/{number}/messages"), json!({ "body": reply }), Some(t1));
    assert_eq!(r.status, 201);
    assert_eq!(app.act(&number, "escalate", json!({ "reason": "ALASAN-ESKALASI-UNIK" }), t1).status, 200);
    let secret_ticket = app.ticket(t1, json!({ "title": "Akun bocor", "classification": "confidential" }));

    deliver(app);
    let got = receiver.received();
    assert!(got.iter().all(|r| r.verified), "every delivery verifies with the generated secret");
    let events: Vec<&str> = got.iter().map(|r| r.event.as_str()).collect();
    assert_eq!(
        events.iter().filter(|e| **e == "message.added").count(),
        1,
        "the public reply is an event; the internal note is not: {events:?}"
    );
    assert!(events.contains(&"ticket.created") && events.contains(&"ticket.escalated"), "{events:?}");
    for r in &got {
        let text = String::from_utf8_lossy(&r.body);
        for private in [
            note,
            reply,
            "ALASAN-ESKALASI-UNIK",
            "Eskalasi ke Tier 2",
            "Judul-Pribadi-Unik",
            "Deskripsi-Pribadi-Unik",
            "Siti",
            "siti.unik@example.com",
            "081234567890",
            "Akun bocor",
        ] {
            assert!(!text.contains(private), "{private:?} left the desk in {}: {text}", r.event);
        }
    }
    let confidential: Vec<Value> =
        got.iter().map(Received::json).filter(|b| b["ticket"]["number"] == secret_ticket.as_str()).collect();
    assert!(!confidential.is_empty());
    for body in confidential {
        let ticket = body["ticket"].as_object().expect("ticket");
        let mut keys: Vec<&str> = ticket.keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(keys, ["classification", "number", "status"], "only the number and status: {body}");
        assert_eq!(body["data"], json!({}), "{body}");
    }
}

fn webhooks_are_for_admins(app: &TestApp) {
    let city = app.city();
    let admin = city.t("admin");
    for who in ["t1_dinkes", "t2_kominfo", "sup_kominfo", "head_dinkes", "warga"] {
        let token = city.t(who);
        let r = app.get("/api/v1/webhooks", Some(token));
        assert_eq!(r.status, 403, "{who}: {:?}", r.body);
        assert!(r.is_problem());
        let r = app.post("/api/v1/webhooks", json!({ "url": "http://127.0.0.1:9/x", "events": ["*"] }), Some(token));
        assert_eq!(r.status, 403, "{who}: {:?}", r.body);
    }
    assert_eq!(app.get("/api/v1/webhooks", None).status, 401);

    for (body, field) in [
        (json!({ "url": "ftp://127.0.0.1/x", "events": ["*"] }), "url"),
        (json!({ "url": "javascript:alert(1)", "events": ["*"] }), "url"),
        (json!({ "url": "https://user:pw@127.0.0.1/x", "events": ["*"] }), "url"),
        (json!({ "url": "http://127.0.0.1:9/x", "events": [] }), "events"),
        (json!({ "url": "http://127.0.0.1:9/x", "events": ["auth.token_issued"] }), "events"),
        (json!({ "url": "http://127.0.0.1:9/x", "events": ["*"], "secret": "pendek" }), "secret"),
    ] {
        let r = app.post("/api/v1/webhooks", body.clone(), Some(admin));
        assert_eq!((r.status, r.field()), (422, Some(field)), "{body}: {:?}", r.body);
        assert!(r.is_problem());
    }
    let r = app.post("/api/v1/webhooks", json!({ "url": "http://127.0.0.1:9/x", "events": "*" }), Some(admin));
    assert_eq!((r.status, r.field()), (400, Some("events")), "{:?}", r.body);
    assert!(app.get("/api/v1/webhooks", Some(admin)).items().is_empty(), "nothing was created");

    let hook = subscribe(app, admin, "http://127.0.0.1:9/x", json!(["ticket.created"]), None);
    let id = hook["id"].as_str().expect("id");
    for (method, path) in [
        ("GET", format!("/api/v1/webhooks/{id}")),
        ("GET", format!("/api/v1/webhooks/{id}/deliveries")),
        ("POST", format!("/api/v1/webhooks/{id}/test")),
        ("DELETE", format!("/api/v1/webhooks/{id}")),
    ] {
        let body = (method == "POST").then_some(b"{}".as_slice());
        assert_eq!(app.raw(method, &path, body, Some(city.t("sup_kominfo"))).status, 403, "{method} {path}");
    }
    assert_eq!(app.get("/api/v1/webhooks/tidak-ada/deliveries", Some(admin)).status, 404);
    assert_eq!(app.get(&format!("/api/v1/webhooks/{id}/deliveries?limit=0"), Some(admin)).field(), Some("limit"));

    let doc = app.get("/api/v1/openapi.json", None);
    for path in
        ["/api/v1/webhooks", "/api/v1/webhooks/{id}", "/api/v1/webhooks/{id}/deliveries", "/api/v1/webhooks/{id}/test"]
    {
        assert!(doc.body["paths"].get(path).is_some(), "{path} in the OpenAPI document");
    }
}

fn console_webhook_section(app: &TestApp) {
    let city = app.city();
    let receiver = Receiver::start("");
    let admin = Browser::sign_in(app, "admin", ADMIN_PASSWORD);
    assert!(admin.get("/konsol/admin").body.contains("href=\"/konsol/admin/webhook\""), "linked from the overview");
    let csrf = admin.csrf("/konsol/admin/webhook");

    // Without the form token nothing is created.
    let r = admin.post("/konsol/admin/webhook", &[("url", &receiver.url), ("events", "ticket.created")]);
    assert_eq!(r.status, 403);
    let r = admin.post("/konsol/admin/webhook", &[("csrf", &csrf), ("url", "ftp://x/y"), ("events", "ticket.created")]);
    assert_eq!(r.status, 422);
    assert!(r.body.contains("url:"), "{}", r.body);

    let r = admin.post(
        "/konsol/admin/webhook",
        &[
            ("csrf", &csrf),
            ("url", &receiver.url),
            ("events", "ticket.created"),
            ("events", "ticket.escalated"),
            ("secret", ""),
        ],
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let start = r.body.find("data-new-secret>").expect("the secret shown once") + "data-new-secret>".len();
    let secret = r.body[start..].split('<').next().unwrap_or_default().to_string();
    assert_eq!(secret.len(), 64, "{secret}");
    *receiver.secret.lock().expect("secret") = secret.clone();

    let page = admin.get("/konsol/admin/webhook");
    assert!(page.body.contains(&receiver.url) && page.body.contains("ticket.created, ticket.escalated"));
    assert!(!page.body.contains(&secret), "never shown again");
    let id = app.get("/api/v1/webhooks", Some(city.t("admin"))).items()[0]["id"].as_str().expect("id").to_string();

    let r = admin.post(&format!("/konsol/admin/webhook/{id}/uji"), &[("csrf", &csrf)]);
    assert_eq!((r.status, r.location.as_str()), (303, "/konsol/admin/webhook?ok=1"));
    app.ticket(city.t("t1_dinkes"), json!({}));
    assert_eq!(deliver(app).sent, 2);
    let got = receiver.received();
    assert!(got.iter().all(|r| r.verified), "{got:?}");
    let page = admin.get("/konsol/admin/webhook?ok=1");
    assert!(page.body.contains("Tersimpan.") && page.body.contains("Terkirim"), "the latest deliveries are listed");

    let r = admin.post(&format!("/konsol/admin/webhook/{id}/aktif"), &[("csrf", &csrf), ("active", "0")]);
    assert_eq!(r.status, 303);
    assert!(admin.get("/konsol/admin/webhook").body.contains("Nonaktif"));
    let r = admin.post(&format!("/konsol/admin/webhook/{id}/hapus"), &[("csrf", &csrf)]);
    assert_eq!(r.status, 303);
    assert!(!admin.get("/konsol/admin/webhook").body.contains(&receiver.url));

    let agent = Browser::sign_in(app, "t1_dinkes", PASSWORD);
    assert_eq!(agent.get("/konsol/admin/webhook").status, 403);
}

/// `meja serve` with its jobs delivers by itself: the loop started by `start_jobs`.
#[test]
fn serve_delivers_in_the_background() {
    use crate::helpers::{monday_0800, spawn_app_with, Backend};
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let Some(app) = spawn_app_with(backend, monday_0800(), |s| s.jobs = true) else { continue };
        let city = app.city();
        let receiver = Receiver::start(SECRET);
        subscribe(&app, city.t("admin"), &receiver.url, json!(["ticket.created"]), Some(SECRET));
        let number = app.ticket(city.t("t1_dinkes"), json!({}));
        let started = std::time::Instant::now();
        while receiver.received().is_empty() && started.elapsed() < std::time::Duration::from_secs(20) {
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        let got = receiver.received();
        assert_eq!(got.len(), 1, "{backend:?}: delivered by the background loop");
        assert!(got[0].verified);
        assert_eq!(got[0].json()["ticket"]["number"], number.as_str());
    }
}

/// Deleting a webhook while one of its deliveries is on the wire: the deletion settles the row
/// and removes the log, and the pass that sent it records nothing more instead of failing on a
/// log row for a webhook that is gone (found by the resilience tests' fuzzing).
fn a_webhook_deleted_while_its_delivery_is_in_flight(app: &TestApp) {
    let city = app.city();
    let (admin, t1) = (city.t("admin").to_string(), city.t("t1_dinkes"));
    let receiver = Receiver::start(SECRET);
    let hook = subscribe(app, &admin, &receiver.url, json!(["ticket.created"]), Some(SECRET));
    let id = hook["id"].as_str().expect("id").to_string();
    let deleted = Arc::new(AtomicU16::new(0));
    let (base, token, hook_id, status) = (app.base.clone(), admin.clone(), id.clone(), deleted.clone());
    receiver.before_next_answer(move || {
        let answer = ureq::delete(&format!("{base}/api/v1/webhooks/{hook_id}"))
            .set("Authorization", &format!("Bearer {token}"))
            .call();
        status.store(answer.map(|r| r.status()).unwrap_or(0), Ordering::SeqCst);
    });
    app.ticket(t1, json!({}));
    let report = deliver(app);
    assert_eq!(deleted.load(Ordering::SeqCst), 204, "deleted while the delivery was in flight");
    assert_eq!((report.sent, report.retrying, report.given_up), (1, 0, 0), "{report:?}");
    assert_eq!(receiver.received().len(), 1);
    assert_eq!(app.get(&format!("/api/v1/webhooks/{id}"), Some(&admin)).status, 404);
    app.ticket(t1, json!({}));
    assert_eq!(deliver(app).sent, 0, "nothing goes to a deleted webhook");
}

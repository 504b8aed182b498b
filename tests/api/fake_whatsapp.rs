//! A local fake of Meta's WhatsApp Cloud API (Meta's cloud cannot run here): the messages and
//! media endpoints with Meta's JSON shapes and error bodies, media downloads behind the token,
//! and a sender of webhooks shaped like Meta's documented payloads, signed with the app secret.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use serde_json::{json, Value};

pub const TOKEN: &str = "EAAG-test-token";
pub const PHONE_NUMBER_ID: &str = "109876543210";
pub const APP_SECRET: &str = "app-secret-for-tests";
pub const VERIFY_TOKEN: &str = "verify-me";
pub const VERSION: &str = "v21.0";
/// The desk's own number (what citizens write to).
pub const BUSINESS: &str = "6281100000000";

#[derive(Default)]
struct State {
    /// Every message the desk sent, with the id the fake gave it.
    sent: Vec<(String, Value)>,
    uploads: Vec<(String, usize)>,
    media: HashMap<String, (String, Vec<u8>)>,
    next: u64,
    /// The next sends answer with this (status, Meta error code), one each.
    refusals: Vec<(u16, i64)>,
    bad_token_calls: usize,
}

pub struct FakeWhatsApp {
    pub url: String,
    state: Arc<Mutex<State>>,
    handle: actix_web::dev::ServerHandle,
    thread: Option<std::thread::JoinHandle<()>>,
}

fn authorised(req: &HttpRequest, state: &Mutex<State>) -> bool {
    let ok = req.headers().get("Authorization").and_then(|v| v.to_str().ok()) == Some(&format!("Bearer {TOKEN}"));
    if !ok {
        if let Ok(mut s) = state.lock() {
            s.bad_token_calls += 1;
        }
    }
    ok
}

fn meta_error(status: u16, code: i64, message: &str) -> HttpResponse {
    HttpResponse::build(actix_web::http::StatusCode::from_u16(status).expect("status")).json(json!({
        "error": { "message": message, "type": "OAuthException", "code": code, "fbtrace_id": "Ab12Cd34" }
    }))
}

async fn messages(state: web::Data<Arc<Mutex<State>>>, req: HttpRequest, body: web::Bytes) -> HttpResponse {
    if !authorised(&req, &state) {
        return meta_error(401, 190, "Invalid OAuth access token");
    }
    let Ok(message) = serde_json::from_slice::<Value>(&body) else {
        return meta_error(400, 100, "Invalid parameter");
    };
    let mut s = state.lock().expect("state");
    if !s.refusals.is_empty() {
        let (status, code) = s.refusals.remove(0);
        return meta_error(status, code, "refused by the fake");
    }
    s.next += 1;
    let id = format!("wamid.OUT{:06}", s.next);
    let to = message["to"].as_str().unwrap_or_default().to_string();
    s.sent.push((id.clone(), message));
    HttpResponse::Ok().json(json!({
        "messaging_product": "whatsapp",
        "contacts": [{ "input": to, "wa_id": to }],
        "messages": [{ "id": id }]
    }))
}

async fn upload(state: web::Data<Arc<Mutex<State>>>, req: HttpRequest, body: web::Bytes) -> HttpResponse {
    if !authorised(&req, &state) {
        return meta_error(401, 190, "Invalid OAuth access token");
    }
    let text = String::from_utf8_lossy(&body);
    let name = text.split("filename=\"").nth(1).and_then(|f| f.split('"').next()).unwrap_or("").to_string();
    let mut s = state.lock().expect("state");
    s.next += 1;
    let id = format!("UPLOAD{}", s.next);
    s.uploads.push((name, body.len()));
    HttpResponse::Ok().json(json!({ "id": id }))
}

async fn media_info(
    state: web::Data<Arc<Mutex<State>>>,
    path: web::Path<(String, String)>,
    req: HttpRequest,
) -> HttpResponse {
    if !authorised(&req, &state) {
        return meta_error(401, 190, "Invalid OAuth access token");
    }
    let id = path.into_inner().1;
    let s = state.lock().expect("state");
    let Some((mime, bytes)) = s.media.get(&id) else { return meta_error(400, 100, "Unsupported get request") };
    let host = req.connection_info().host().to_string();
    HttpResponse::Ok().json(json!({
        "messaging_product": "whatsapp", "id": id, "mime_type": mime, "file_size": bytes.len(),
        "sha256": "not-checked", "url": format!("http://{host}/download/{id}")
    }))
}

async fn download(state: web::Data<Arc<Mutex<State>>>, path: web::Path<String>, req: HttpRequest) -> HttpResponse {
    if !authorised(&req, &state) {
        return HttpResponse::Unauthorized().finish();
    }
    let s = state.lock().expect("state");
    match s.media.get(&path.into_inner()) {
        Some((mime, bytes)) => HttpResponse::Ok().content_type(mime.as_str()).body(bytes.clone()),
        None => HttpResponse::NotFound().finish(),
    }
}

impl FakeWhatsApp {
    pub fn start() -> FakeWhatsApp {
        let state = Arc::new(Mutex::new(State::default()));
        let data = state.clone();
        let (sender, receiver) = std::sync::mpsc::channel();
        let thread = std::thread::spawn(move || {
            let system = actix_web::rt::System::new();
            system.block_on(async move {
                let server = HttpServer::new(move || {
                    App::new()
                        .app_data(web::Data::new(data.clone()))
                        .app_data(web::PayloadConfig::new(64 * 1024 * 1024))
                        .route(&format!("/{VERSION}/{PHONE_NUMBER_ID}/messages"), web::post().to(messages))
                        .route(&format!("/{VERSION}/{PHONE_NUMBER_ID}/media"), web::post().to(upload))
                        .route("/download/{id}", web::get().to(download))
                        .route("/{version}/{id}", web::get().to(media_info))
                })
                .workers(2)
                .bind("127.0.0.1:0")
                .expect("bind");
                let port = server.addrs()[0].port();
                let server = server.run();
                sender.send((port, server.handle())).expect("port");
                let _ = server.await;
            });
        });
        let (port, handle) = receiver.recv().expect("fake started");
        FakeWhatsApp { url: format!("http://127.0.0.1:{port}"), state, handle, thread: Some(thread) }
    }

    /// A file a citizen sent, as Meta keeps it for download.
    pub fn add_media(&self, id: &str, mime: &str, bytes: &[u8]) {
        self.state.lock().expect("state").media.insert(id.to_string(), (mime.to_string(), bytes.to_vec()));
    }

    /// The next sends are refused, each with its (HTTP status, Meta error code).
    pub fn refuse_next(&self, refusals: &[(u16, i64)]) {
        self.state.lock().expect("state").refusals.extend_from_slice(refusals);
    }

    /// What the desk sent to `wa_id`: (message id, body), in order.
    pub fn sent_to(&self, wa_id: &str) -> Vec<(String, Value)> {
        self.state.lock().expect("state").sent.iter().filter(|(_, m)| m["to"] == wa_id).cloned().collect()
    }

    pub fn last_to(&self, wa_id: &str) -> (String, Value) {
        self.sent_to(wa_id).last().cloned().expect("the desk answered")
    }

    pub fn uploads(&self) -> Vec<(String, usize)> {
        self.state.lock().expect("state").uploads.clone()
    }

    pub fn bad_token_calls(&self) -> usize {
        self.state.lock().expect("state").bad_token_calls
    }
}

impl Drop for FakeWhatsApp {
    fn drop(&mut self) {
        actix_web::rt::System::new().block_on(self.handle.stop(false));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The words of a message the desk sent: text, interactive body, or template name.
pub fn words(message: &Value) -> String {
    match message["type"].as_str() {
        Some("text") => message["text"]["body"].as_str().unwrap_or_default().to_string(),
        Some("interactive") => message["interactive"]["body"]["text"].as_str().unwrap_or_default().to_string(),
        Some("template") => format!("template:{}", message["template"]["name"].as_str().unwrap_or_default()),
        Some(other) => format!("{other}:{}", message[other]["caption"].as_str().unwrap_or_default()),
        None => String::new(),
    }
}

/// The ids of the choices an interactive message offers (buttons or list rows).
pub fn choices(message: &Value) -> Vec<String> {
    let action = &message["interactive"]["action"];
    let buttons = action["buttons"].as_array().into_iter().flatten().map(|b| &b["reply"]["id"]);
    let rows =
        action["sections"].as_array().into_iter().flatten().flat_map(|s| s["rows"].as_array().into_iter().flatten());
    buttons.chain(rows.map(|r| &r["id"])).filter_map(|v| v.as_str().map(str::to_string)).collect()
}

/// Webhook bodies shaped like Meta's, each message with a fresh id unless given.
pub struct Citizen {
    pub wa_id: String,
    pub name: String,
    next: std::cell::Cell<u64>,
}

impl Citizen {
    pub fn new(wa_id: &str, name: &str) -> Citizen {
        Citizen { wa_id: wa_id.into(), name: name.into(), next: std::cell::Cell::new(0) }
    }

    fn id(&self) -> String {
        self.next.set(self.next.get() + 1);
        format!("wamid.IN.{}.{}", self.wa_id, self.next.get())
    }

    fn envelope(&self, message: Value) -> Value {
        json!({ "object": "whatsapp_business_account", "entry": [{ "id": "102290129340398", "changes": [{ "field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": { "display_phone_number": BUSINESS, "phone_number_id": PHONE_NUMBER_ID },
            "contacts": [{ "profile": { "name": self.name }, "wa_id": self.wa_id }],
            "messages": [message]
        } }] }] })
    }

    fn message(&self, kind: &str, part: Value, context: Option<&str>) -> Value {
        let mut message = json!({ "from": self.wa_id, "id": self.id(), "timestamp": "1764921600", "type": kind });
        message[kind] = part;
        if let Some(id) = context {
            message["context"] = json!({ "from": BUSINESS, "id": id });
        }
        self.envelope(message)
    }

    pub fn text(&self, body: &str) -> Value {
        self.message("text", json!({ "body": body }), None)
    }

    pub fn quoting(&self, message_id: &str, body: &str) -> Value {
        self.message("text", json!({ "body": body }), Some(message_id))
    }

    pub fn pick(&self, id: &str) -> Value {
        self.message("interactive", json!({ "type": "list_reply", "list_reply": { "id": id, "title": id } }), None)
    }

    pub fn image(&self, media_id: &str) -> Value {
        self.message(
            "image",
            json!({ "id": media_id, "mime_type": "image/png", "sha256": "x", "caption": "layar" }),
            None,
        )
    }

    pub fn sticker(&self) -> Value {
        self.message("sticker", json!({ "id": "STICKER1", "mime_type": "image/webp", "animated": false }), None)
    }
}

/// A status callback for a message the desk sent.
pub fn status(message_id: &str, wa_id: &str, status: &str, code: Option<i64>) -> Value {
    let mut entry = json!({ "id": message_id, "status": status, "timestamp": "1764921700", "recipient_id": wa_id });
    if let Some(code) = code {
        entry["errors"] = json!([{ "code": code, "title": "Re-engagement message" }]);
    }
    json!({ "object": "whatsapp_business_account", "entry": [{ "id": "102290129340398", "changes": [{ "field": "messages", "value": {
        "messaging_product": "whatsapp",
        "metadata": { "display_phone_number": BUSINESS, "phone_number_id": PHONE_NUMBER_ID },
        "statuses": [entry]
    } }] }] })
}

/// The bytes Meta posts: `/` and non-ASCII escaped, as Meta's own serialiser writes them.
pub fn meta_bytes(payload: &Value) -> Vec<u8> {
    let text = payload.to_string();
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '/' => escaped.push_str("\\/"),
            c if !c.is_ascii() => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    escaped.push_str(&format!("\\u{unit:04x}"));
                }
            }
            c => escaped.push(c),
        }
    }
    escaped.into_bytes()
}

/// Posts a payload to the desk's webhook as Meta does (signed over the exact bytes); the status.
pub fn post(base: &str, payload: &Value) -> u16 {
    let body = meta_bytes(payload);
    let signature = meja_whatsapp::signature::sign(APP_SECRET.as_bytes(), &body);
    post_raw(base, &body, Some(&signature))
}

pub fn post_raw(base: &str, body: &[u8], signature: Option<&str>) -> u16 {
    let mut request = ureq::post(&format!("{base}/whatsapp/webhook")).set("Content-Type", "application/json");
    if let Some(s) = signature {
        request = request.set("X-Hub-Signature-256", s);
    }
    match request.send_bytes(body) {
        Ok(r) => r.status(),
        Err(ureq::Error::Status(code, _)) => code,
        Err(e) => panic!("{e}"),
    }
}

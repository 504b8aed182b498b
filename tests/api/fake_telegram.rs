//! A local fake of the Telegram Bot API (Telegram's cloud cannot run here): getUpdates,
//! sendMessage, answerCallbackQuery, editMessageReplyMarkup, getFile with file download, and
//! sendDocument and sendPhoto, answering with the Bot API's JSON shapes. Tests queue updates as users would
//! send them and read what the bot sent.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use serde_json::{json, Value};

#[derive(Default)]
struct State {
    updates: Vec<Value>,
    next_update: i64,
    next_message: i64,
    /// (method, chat, body, message id given) of every call the bot made, in order.
    calls: Vec<(String, i64, Value, Option<i64>)>,
    files: HashMap<String, (String, Vec<u8>)>,
    /// The next sendMessage answers 429 with this retry_after.
    throttle: Option<u64>,
}

pub struct FakeTelegram {
    pub url: String,
    state: Arc<Mutex<State>>,
    handle: actix_web::dev::ServerHandle,
    thread: Option<std::thread::JoinHandle<()>>,
}

pub const TOKEN: &str = "123456:TEST-TOKEN";

fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

fn user(chat: i64) -> Value {
    json!({ "id": chat, "is_bot": false, "first_name": "Budi", "last_name": format!("Warga {chat}"), "language_code": "id" })
}

fn private_chat(chat: i64) -> Value {
    json!({ "id": chat, "type": "private", "first_name": "Budi", "last_name": format!("Warga {chat}") })
}

fn bot_user() -> Value {
    json!({ "id": 123456, "is_bot": true, "first_name": "Layanan SPBE", "username": "meja_test_bot" })
}

fn ok(result: Value) -> HttpResponse {
    HttpResponse::Ok().json(json!({ "ok": true, "result": result }))
}

fn body_json(req: &HttpRequest, body: &[u8]) -> Value {
    let content_type = req.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("");
    if content_type.starts_with("application/json") {
        return serde_json::from_slice(body).unwrap_or(Value::Null);
    }
    // Multipart (sendDocument, sendPhoto): the text fields, and a file part's name and size.
    let text = String::from_utf8_lossy(body);
    let mut fields = serde_json::Map::new();
    for part in text.split("Content-Disposition: form-data; name=\"").skip(1) {
        if let Some((name, rest)) = part.split_once('"') {
            let value = rest.split("\r\n\r\n").nth(1).and_then(|v| v.split("\r\n--").next()).unwrap_or("");
            // The file itself may be a part of its own (`attach://…`): its name is the file's.
            let header = rest.split("\r\n").next().unwrap_or("");
            if let Some(filename) = header.split("filename=\"").nth(1).and_then(|f| f.split('"').next()) {
                fields.insert("filename".to_string(), Value::String(filename.to_string()));
            }
            fields.insert(name.to_string(), Value::String(value.to_string()));
        }
    }
    Value::Object(fields)
}

async fn api(
    state: web::Data<Arc<Mutex<State>>>,
    path: web::Path<(String, String)>,
    req: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    let (bot, method) = path.into_inner();
    if bot != format!("bot{TOKEN}") {
        return HttpResponse::Unauthorized()
            .json(json!({ "ok": false, "error_code": 401, "description": "Unauthorized" }));
    }
    let body = body_json(&req, &body);
    let method = method.to_lowercase();
    if method == "getupdates" {
        let offset = body["offset"].as_i64().unwrap_or(0);
        // As Telegram: at most 100 updates per call.
        let limit = body["limit"].as_u64().unwrap_or(100).clamp(1, 100) as usize;
        let deadline = Instant::now() + Duration::from_millis(200);
        loop {
            let found: Vec<Value> = {
                let s = state.lock().expect("state");
                s.updates
                    .iter()
                    .filter(|u| u["update_id"].as_i64().unwrap_or(0) >= offset)
                    .take(limit)
                    .cloned()
                    .collect()
            };
            if !found.is_empty() || Instant::now() >= deadline {
                return ok(Value::Array(found));
            }
            actix_web::rt::time::sleep(Duration::from_millis(10)).await;
        }
    }
    let mut s = state.lock().expect("state");
    let chat = body["chat_id"].as_i64().or_else(|| body["chat_id"].as_str().and_then(|c| c.parse().ok())).unwrap_or(0);
    if !matches!(method.as_str(), "sendmessage" | "senddocument" | "sendphoto") {
        s.calls.push((method.clone(), chat, body.clone(), None));
    }
    match method.as_str() {
        "sendmessage" | "senddocument" | "sendphoto" => {
            if let Some(retry_after) = s.throttle.take() {
                s.calls.push((method.clone(), chat, body.clone(), None));
                return HttpResponse::TooManyRequests().json(json!({
                    "ok": false, "error_code": 429,
                    "description": format!("Too Many Requests: retry after {retry_after}"),
                    "parameters": { "retry_after": retry_after },
                }));
            }
            s.next_message += 1;
            let id = s.next_message;
            s.calls.push((method.clone(), chat, body.clone(), Some(id)));
            let mut message = json!({
                "message_id": id, "date": now(), "chat": private_chat(chat), "from": bot_user(),
            });
            if let Some(text) = body["text"].as_str() {
                message["text"] = json!(text);
            }
            if !body["reply_markup"].is_null() {
                message["reply_markup"] = body["reply_markup"].clone();
            }
            if method == "senddocument" {
                message["document"] = json!({ "file_id": "sent-doc", "file_unique_id": "sent-doc-u", "file_name": "berkas", "file_size": 1 });
            }
            if method == "sendphoto" {
                message["photo"] =
                    json!([{ "file_id": "sent-photo", "file_unique_id": "sent-photo-u", "width": 1, "height": 1 }]);
            }
            ok(message)
        }
        "answercallbackquery" => ok(json!(true)),
        "editmessagereplymarkup" => ok(json!({
            "message_id": body["message_id"], "date": now(), "chat": private_chat(chat), "from": bot_user(), "text": "…",
        })),
        "getfile" => {
            let id = body["file_id"].as_str().unwrap_or("");
            match s.files.get(id) {
                Some((path, bytes)) => ok(
                    json!({ "file_id": id, "file_unique_id": format!("{id}-u"), "file_size": bytes.len(), "file_path": path }),
                ),
                None => HttpResponse::BadRequest()
                    .json(json!({ "ok": false, "error_code": 400, "description": "Bad Request: invalid file_id" })),
            }
        }
        "getme" => ok(bot_user()),
        "setwebhook" | "deletewebhook" => ok(json!(true)),
        _ => HttpResponse::NotFound()
            .json(json!({ "ok": false, "error_code": 404, "description": "Not Found: method not found" })),
    }
}

async fn download(state: web::Data<Arc<Mutex<State>>>, path: web::Path<(String, String)>) -> HttpResponse {
    let (_, file_path) = path.into_inner();
    let s = state.lock().expect("state");
    match s.files.values().find(|(p, _)| *p == file_path) {
        Some((_, bytes)) => HttpResponse::Ok().body(bytes.clone()),
        None => HttpResponse::NotFound().finish(),
    }
}

impl FakeTelegram {
    pub fn start() -> FakeTelegram {
        let state = Arc::new(Mutex::new(State { next_update: 1000, next_message: 0, ..State::default() }));
        let shared = state.clone();
        let (sender, receiver) = std::sync::mpsc::channel();
        let thread = std::thread::spawn(move || {
            let system = actix_web::rt::System::new();
            system.block_on(async move {
                let data = web::Data::new(shared);
                let server = HttpServer::new(move || {
                    App::new()
                        .app_data(data.clone())
                        .app_data(web::PayloadConfig::new(64 * 1024 * 1024))
                        .route("/file/{bot}/{path:.*}", web::get().to(download))
                        .route("/{bot}/{method}", web::post().to(api))
                })
                .workers(2)
                .bind("127.0.0.1:0")
                .expect("bind the fake Bot API");
                let port = server.addrs()[0].port();
                let server = server.run();
                sender.send((port, server.handle())).expect("send");
                let _ = server.await;
            });
        });
        let (port, handle) = receiver.recv().expect("fake started");
        FakeTelegram { url: format!("http://127.0.0.1:{port}/"), state, handle, thread: Some(thread) }
    }

    fn push(&self, kind: &str, payload: Value) -> i64 {
        let mut s = self.state.lock().expect("state");
        s.next_update += 1;
        let id = s.next_update;
        s.updates.push(json!({ "update_id": id, kind: payload }));
        id
    }

    fn message(&self, chat: i64, extra: Value) -> Value {
        let mut s = self.state.lock().expect("state");
        s.next_message += 1;
        let mut message =
            json!({ "message_id": s.next_message, "date": now(), "chat": private_chat(chat), "from": user(chat) });
        if let (Some(m), Some(more)) = (message.as_object_mut(), extra.as_object()) {
            m.extend(more.clone());
        }
        message
    }

    /// The user writes `text` (a command gets its entity, as Telegram sends it).
    pub fn text(&self, chat: i64, text: &str) -> i64 {
        let message = self.text_message(chat, text);
        self.push("message", message)
    }

    fn text_message(&self, chat: i64, text: &str) -> Value {
        let mut extra = json!({ "text": text });
        if text.starts_with('/') {
            let length = text.split_whitespace().next().map_or(0, |c| c.encode_utf16().count());
            extra["entities"] = json!([{ "type": "bot_command", "offset": 0, "length": length }]);
        }
        self.message(chat, extra)
    }

    /// An update as Telegram posts it to a webhook (not queued for getUpdates).
    pub fn webhook_update(&self, chat: i64, text: &str) -> Value {
        let message = self.text_message(chat, text);
        let mut s = self.state.lock().expect("state");
        s.next_update += 1;
        json!({ "update_id": s.next_update, "message": message })
    }

    /// The body of the last call of `method` the bot made.
    pub fn last_call(&self, method: &str) -> Option<Value> {
        let s = self.state.lock().expect("state");
        s.calls.iter().rev().find(|(m, _, _, _)| m == method).map(|(_, _, body, _)| body.clone())
    }

    /// A member writes in a group chat (negative id, as Telegram's groups have).
    pub fn group_text(&self, group: i64, member: i64, text: &str) -> i64 {
        let mut message = self.message(member, json!({ "text": text }));
        message["chat"] = json!({ "id": group, "type": "group", "title": format!("Tim {group}") });
        if text.starts_with('/') {
            let length = text.split_whitespace().next().map_or(0, |c| c.encode_utf16().count());
            message["entities"] = json!([{ "type": "bot_command", "offset": 0, "length": length }]);
        }
        self.push("message", message)
    }

    /// The user answers one of the bot's messages.
    pub fn reply(&self, chat: i64, text: &str, to: i64) -> i64 {
        let original =
            json!({ "message_id": to, "date": now(), "chat": private_chat(chat), "from": bot_user(), "text": "…" });
        let message = self.message(chat, json!({ "text": text, "reply_to_message": original }));
        self.push("message", message)
    }

    /// The user presses a button of one of the bot's messages.
    pub fn press(&self, chat: i64, message_id: i64, data: &str) -> i64 {
        let id = format!("cbq-{}", uuid::Uuid::now_v7().simple());
        let message = json!({ "message_id": message_id, "date": now(), "chat": private_chat(chat), "from": bot_user(), "text": "…" });
        self.push(
            "callback_query",
            json!({ "id": id, "from": user(chat), "chat_instance": format!("ci-{chat}"), "data": data, "message": message }),
        )
    }

    pub fn photo(&self, chat: i64, bytes: &[u8]) -> i64 {
        let file_id = format!("photo-{}", uuid::Uuid::now_v7().simple());
        self.state
            .lock()
            .expect("state")
            .files
            .insert(file_id.clone(), (format!("photos/{file_id}.jpg"), bytes.to_vec()));
        let sizes = json!([
            { "file_id": format!("{file_id}-small"), "file_unique_id": "s", "file_size": 100, "width": 90, "height": 90 },
            { "file_id": file_id, "file_unique_id": "b", "file_size": bytes.len(), "width": 1280, "height": 960 },
        ]);
        let message = self.message(chat, json!({ "photo": sizes, "caption": "layar error" }));
        self.push("message", message)
    }

    pub fn document(&self, chat: i64, name: &str, mime: &str, size: u64) -> i64 {
        let message = self.message(
            chat,
            json!({ "document": { "file_id": "big-doc", "file_unique_id": "big", "file_name": name, "mime_type": mime, "file_size": size } }),
        );
        self.push("message", message)
    }

    pub fn sticker(&self, chat: i64) -> i64 {
        let sticker = json!({ "file_id": "st", "file_unique_id": "st-u", "type": "regular", "width": 512, "height": 512,
                              "is_animated": false, "is_video": false, "file_size": 100 });
        let message = self.message(chat, json!({ "sticker": sticker }));
        self.push("message", message)
    }

    pub fn edited(&self, chat: i64, text: &str) -> i64 {
        let mut message = self.message(chat, json!({ "text": text }));
        message["edit_date"] = json!(now());
        self.push("edited_message", message)
    }

    /// The same update delivered again, as Telegram does until it is acknowledged.
    pub fn redeliver(&self, update_id: i64) {
        let mut s = self.state.lock().expect("state");
        if let Some(u) = s.updates.iter().find(|u| u["update_id"] == update_id).cloned() {
            s.updates.push(u);
        }
    }

    pub fn throttle_next_send(&self, retry_after: u64) {
        self.state.lock().expect("state").throttle = Some(retry_after);
    }

    /// The messages the bot sent to `chat`, oldest first: (message_id, text, button data).
    pub fn sent_to(&self, chat: i64) -> Vec<(i64, String, Vec<String>)> {
        let s = self.state.lock().expect("state");
        s.calls
            .iter()
            .filter(|(method, to, _, id)| method == "sendmessage" && *to == chat && id.is_some())
            .map(|(_, _, body, id)| {
                let buttons = body["reply_markup"]["inline_keyboard"]
                    .as_array()
                    .map(|rows| {
                        rows.iter()
                            .flat_map(|r| r.as_array().cloned().unwrap_or_default())
                            .filter_map(|b| b["callback_data"].as_str().map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_default();
                (id.unwrap_or(0), body["text"].as_str().unwrap_or("").to_string(), buttons)
            })
            .collect()
    }

    /// The files the bot sent to `chat`, oldest first: (method, file name, caption).
    pub fn files_sent_to(&self, chat: i64) -> Vec<(String, String, String)> {
        let s = self.state.lock().expect("state");
        s.calls
            .iter()
            .filter(|(method, to, _, id)| {
                matches!(method.as_str(), "senddocument" | "sendphoto") && *to == chat && id.is_some()
            })
            .map(|(method, _, body, _)| {
                let name = body["filename"].as_str().unwrap_or_default().to_string();
                (method.clone(), name, body["caption"].as_str().unwrap_or_default().to_string())
            })
            .collect()
    }

    pub fn calls(&self, method: &str) -> usize {
        self.state.lock().expect("state").calls.iter().filter(|(m, _, _, _)| m == method).count()
    }
}

impl Drop for FakeTelegram {
    fn drop(&mut self) {
        let handle = self.handle.clone();
        actix_web::rt::System::new().block_on(handle.stop(false));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

//! The outbox rows of channel `whatsapp`, sent by the shared dispatcher in order per contact:
//! the conversation's answers, and the notices of requesters whose number writes to the desk.
//! Inside the contact's 24-hour window a notice goes as the conversation words it; outside,
//! as its pre-approved template (or not at all when none is configured, recorded so). A
//! contact that wrote BERHENTI gets only answers and notices of reports made after it.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use meja_whatsapp::{render, Out};
use serde_json::{json, Value};

use super::{WhatsApp, WINDOW};
use crate::db::outbox::{self, OutboxRow};
use crate::db::tickets::{self as tickets_db, TicketRow};
use crate::db::whatsapp as db;
use crate::delivery::{self, Attempt, Composed, Delivered, Retry, Settled};
use crate::desk::{Desk, DeskResult, Tx};

/// What goes to a contact.
pub enum Body {
    /// Cloud API message bodies, sent one after the other.
    Messages(Vec<Value>),
    /// A file with a reply: uploaded, then sent by its media id.
    File { name: String, content_type: String, bytes: Vec<u8>, caption: String },
}

pub struct Message {
    /// The contact's current wa_id (a contact that changed number is followed).
    to: String,
    body: Body,
    /// The ids Meta gave the messages sent, for quoted replies and status callbacks.
    sent: Mutex<Vec<String>>,
}

/// What composing needs: the templates per notice.
pub struct Composer {
    templates: std::collections::BTreeMap<String, crate::config::Template>,
}

/// The template a notice uses outside the window, and its parameters.
fn template_of(row_template: &str, ticket: &TicketRow, payload: &Value) -> Option<(&'static str, Vec<String>)> {
    let number = ticket.number.clone();
    let status = |s: &str| meja_whatsapp::texts::status_label(s).to_string();
    Some(match row_template {
        "ticket_received" => ("received", vec![number, ticket.title.clone()]),
        "reply" => ("reply", vec![number]),
        "ticket_resolved" => ("resolved", vec![number]),
        "ticket_status" => ("status", vec![number, status(payload["status"].as_str().unwrap_or(&ticket.status))]),
        "ticket_pending" => ("status", vec![number, status("pending")]),
        "ticket_cancelled" => ("status", vec![number, status("cancelled")]),
        "ticket_merged" | "disruption_update" => ("status", vec![number, status(&ticket.status)]),
        _ => return None,
    })
}

fn skip(why: impl Into<String>) -> DeskResult<Composed<Message>> {
    Ok(Composed::Skip(why.into()))
}

fn compose(composer: &Composer, tx: &mut Tx, row: &OutboxRow) -> DeskResult<Composed<Message>> {
    let now = tx.now.naive_utc();
    let Some(mut contact) = db::contact(tx.conn, &row.recipient)? else {
        return skip("not sent: no such WhatsApp contact");
    };
    // Notices follow a person who moved to a new number; answers go where the message came from.
    if let (Some(new), false) = (contact.moved_to.clone(), row.template == "bot_message") {
        if let Some(moved) = db::contact(tx.conn, &new)? {
            contact = moved;
        }
    }
    let payload: Value = serde_json::from_str(&row.payload).unwrap_or_default();
    let window_open = contact.last_inbound_at.is_some_and(|at| at > now - WINDOW) && payload["force_template"] != true;
    // A row of several messages whose first ones went before a failure goes on from there.
    let already = payload["sent_parts"].as_u64().unwrap_or(0) as usize;
    let message = |body| {
        let body = match body {
            Body::Messages(mut bodies) => {
                bodies.drain(..already.min(bodies.len().saturating_sub(1)));
                Body::Messages(bodies)
            }
            file => file,
        };
        Composed::Send(Message { to: contact.wa_id.clone(), body, sent: Mutex::new(Vec::new()) })
    };
    if row.template == "bot_message" {
        // An answer to what the contact just wrote: always inside the window.
        let Ok(out) = serde_json::from_value::<Out>(payload) else { return skip("not sent: unreadable answer") };
        return Ok(message(Body::Messages(render::messages(&contact.wa_id, &out))));
    }
    let ticket = match &row.ticket_id {
        Some(id) => tickets_db::by_id(tx.conn, id)?,
        None => None,
    };
    let Some(ticket) = ticket else { return skip("not sent on WhatsApp: no ticket") };
    if let Some(stopped) = contact.opted_out_at {
        // BERHENTI: only the contact's own reports made since still speak to it.
        if ticket.created_at <= stopped {
            return skip("not sent: the contact wrote BERHENTI");
        }
    }
    // The conversation itself confirms a report made on WhatsApp with its number.
    if row.template == "ticket_received" && ticket.channel == "whatsapp" {
        return skip("not sent on WhatsApp: the conversation confirmed it");
    }
    if row.template == "reply_file" {
        if !window_open {
            return skip("not sent: outside the 24-hour window (the file is on the tracking page)");
        }
        let file = &payload["file"];
        let (Some(name), Some(sha256)) = (file["file_name"].as_str(), file["sha256"].as_str()) else {
            return skip("not sent: no file");
        };
        let Some(bytes) = crate::db::mail::blob(tx.conn, sha256)? else { return skip("not sent: the file is gone") };
        return Ok(message(Body::File {
            name: name.to_string(),
            content_type: file["content_type"].as_str().unwrap_or("application/octet-stream").to_string(),
            bytes,
            caption: format!("Lampiran · {}", ticket.number),
        }));
    }
    if window_open {
        let text = match payload["message_id"].as_str() {
            Some(id) => tickets_db::message_by_id(tx.conn, id)?.map(|m| m.body),
            None => None,
        };
        let requester = crate::db::catalog::requester_by_id(tx.conn, &ticket.requester_id)?;
        let lang = crate::conversation::language_of(requester.as_ref());
        let Some(out) = meja_whatsapp::texts::notice_in(
            lang,
            &row.template,
            &payload,
            &ticket.number,
            &ticket.title,
            text.as_deref(),
        ) else {
            return skip("not sent on WhatsApp: no such notice");
        };
        return Ok(message(Body::Messages(render::messages(&contact.wa_id, &out))));
    }
    let Some((notice, parameters)) = template_of(&row.template, &ticket, &payload) else {
        return skip("not sent: outside the 24-hour window, and this notice has no template");
    };
    let Some(template) = composer.templates.get(notice) else {
        return skip(format!("not sent: outside the 24-hour window, and no `{notice}` template is configured"));
    };
    let body = render::template(&contact.wa_id, &template.name, &template.language, &parameters);
    Ok(message(Body::Messages(vec![body])))
}

/// Meta's refusal as a line for the outbox row, and whether to try again.
fn refused(answer: &super::Answer) -> Attempt {
    let error = &answer.body["error"];
    let line = format!(
        "whatsapp: HTTP {} code {} {}",
        answer.status,
        error["code"].as_i64().unwrap_or(0),
        error["message"].as_str().unwrap_or("")
    );
    let code = error["code"].as_i64().unwrap_or(0);
    let retry = if meja_whatsapp::RATE_LIMIT_CODES.contains(&code) {
        // Meta's rate limits: a minute's rest, whatever the status said.
        Retry::After(Duration::from_secs(60))
    } else if meja_whatsapp::retryable(answer.status, &answer.body) {
        Retry::Backoff
    } else {
        Retry::Never
    };
    let mut attempt = Attempt::failed(line, retry);
    attempt.status = Some(answer.status);
    attempt
}

async fn send_one(whatsapp: &WhatsApp, body: &Value) -> Result<String, Attempt> {
    match whatsapp.send(body).await {
        Ok(answer) if (200..300).contains(&answer.status) => {
            Ok(answer.body["messages"][0]["id"].as_str().unwrap_or_default().to_string())
        }
        Ok(answer) => Err(refused(&answer)),
        Err(e) => Err(Attempt::failed(format!("whatsapp: {e}"), Retry::Backoff)),
    }
}

async fn send(whatsapp: &WhatsApp, message: &Message) -> Attempt {
    let bodies = match &message.body {
        Body::Messages(bodies) => bodies.clone(),
        Body::File { name, content_type, bytes, caption } => {
            match whatsapp.upload(name, content_type, bytes.clone()).await {
                Ok(answer) if (200..300).contains(&answer.status) => {
                    let Some(id) = answer.body["id"].as_str() else {
                        return Attempt::failed("whatsapp: the upload gave no media id", Retry::Backoff);
                    };
                    let image = matches!(content_type.as_str(), "image/jpeg" | "image/png");
                    vec![render::media(&message.to, image, id, name, caption)]
                }
                Ok(answer) => return refused(&answer),
                Err(e) => return Attempt::failed(format!("whatsapp: upload: {e}"), Retry::Backoff),
            }
        }
    };
    let mut last = None;
    for body in &bodies {
        match send_one(whatsapp, body).await {
            Ok(id) => {
                if let Ok(mut sent) = message.sent.lock() {
                    sent.push(id.clone());
                }
                last = Some(id);
            }
            Err(attempt) => return attempt,
        }
    }
    Attempt::sent(last.filter(|id| !id.is_empty()))
}

impl delivery::Channel for WhatsApp {
    type Message = Message;
    type Composer = Composer;
    const NAME: &'static str = "whatsapp";
    const LEASE: chrono::Duration = chrono::Duration::minutes(5);
    const BATCH: i64 = 200;
    /// Contacts served at once (each contact's messages one after the other).
    const PARALLEL: usize = 16;
    const IN_ORDER: bool = true;
    const HOLD: Duration = Duration::from_secs(30);

    fn backoff(attempt: usize) -> Option<Duration> {
        delivery::chat_backoff(attempt)
    }

    fn composer(&self) -> Composer {
        Composer { templates: self.templates.clone() }
    }

    fn compose(composer: &Composer, tx: &mut Tx, row: &OutboxRow) -> DeskResult<Composed<Message>> {
        compose(composer, tx, row)
    }

    async fn send(&self, _: &OutboxRow, message: &Message) -> Attempt {
        send(self, message).await
    }

    fn final_payload(row: &OutboxRow) -> String {
        crate::email::outbound::scrubbed(&row.payload)
    }

    /// Every message id Meta gave is kept, whatever became of the row: a quoted reply to any
    /// of them lands on the ticket, a status callback finds the row. When only the first
    /// messages of a row went, the row remembers it and a retry sends the rest.
    fn recorded(tx: &mut Tx, row: &OutboxRow, message: Message, _: &Attempt, settled: &Settled) -> DeskResult<()> {
        let now = tx.now.naive_utc();
        let sent = message.sent.into_inner().unwrap_or_default();
        for id in sent.iter().filter(|id| !id.is_empty()) {
            db::record_outbound(tx.conn, id, &message.to, row.ticket_id.as_deref(), &row.id, now)?;
        }
        if sent.is_empty() {
            return Ok(());
        }
        db::record_status(tx.conn, &row.id, "sent", now)?;
        if *settled != Settled::Delivered {
            let current = outbox::by_id(tx.conn, &row.id)?.map(|r| r.payload).unwrap_or_default();
            let mut payload: Value = serde_json::from_str(&current).unwrap_or_default();
            let before = payload["sent_parts"].as_u64().unwrap_or(0);
            payload["sent_parts"] = json!(before + sent.len() as u64);
            outbox::set_payload(tx.conn, &row.id, &payload.to_string())?;
        }
        Ok(())
    }
}

/// A free-form notice Meta failed because the contact's window had closed (131047) goes again
/// as its template, once.
pub fn resend_as_template(tx: &mut Tx, outbox_id: &str) -> DeskResult<()> {
    let Some(row) = outbox::by_id(tx.conn, outbox_id)? else { return Ok(()) };
    let mut payload: Value = serde_json::from_str(&row.payload).unwrap_or_default();
    if matches!(row.template.as_str(), "bot_message" | "reply_file") || payload["force_template"] == true {
        return Ok(());
    }
    payload["force_template"] = json!(true);
    let again = OutboxRow::new(
        tx.now.naive_utc(),
        row.ticket_id.as_deref(),
        "whatsapp",
        &row.recipient,
        &row.template,
        &payload,
    );
    outbox::insert(tx.conn, &again)?;
    tracing::info!(outbox = %row.id, again = %again.id, "whatsapp: outside the window; the notice goes again as its template");
    Ok(())
}

/// One pass over what is due.
pub async fn deliver_due(desk: &Desk, whatsapp: &WhatsApp) -> DeskResult<Delivered> {
    delivery::deliver_due(desk, whatsapp).await
}

/// Delivers whenever a message queued answers, and every two seconds for notices.
pub async fn run(desk: Desk, whatsapp: Arc<WhatsApp>, stop: tokio::sync::watch::Receiver<bool>) {
    let wake = whatsapp.wake.clone();
    delivery::run(desk, whatsapp, Some(wake), None, stop).await
}

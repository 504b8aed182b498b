//! What Meta posts to `/whatsapp/webhook`, once the signature holds: each message handled once
//! (its id recorded in the same transaction as everything it caused), files fetched before,
//! the contact's window opened, BERHENTI and number changes kept, the shared conversation run,
//! its answers queued in the outbox; each status callback recorded on its outbox row. The
//! webhook answers 200 only after all of it is committed.

use std::time::Duration;

use meja_whatsapp::payload::{self, Incoming, Special, Status};
use meja_whatsapp::{FileRef, Input, Out, Style, OUTSIDE_WINDOW};

use super::WhatsApp;
use crate::conversation::{port::TxPort, Contact, Flood, APOLOGY, TOO_FAST};
use crate::db::whatsapp as db;
use crate::desk::{Desk, DeskError, DeskResult, Tx};

/// Failed attempts after which a message is answered with an apology and let go.
const MAX_ATTEMPTS: u32 = 3;

/// What one webhook POST carried, once handled.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Handled {
    pub messages: usize,
    /// Seen before (Meta sent the webhook again).
    pub repeated: usize,
    pub statuses: usize,
}

/// Writes the desk's answers to a contact into the outbox, in order.
fn queue(tx: &mut Tx, wa_id: &str, outs: &[Out]) -> DeskResult<()> {
    crate::conversation::queue_answers(tx, "whatsapp", wa_id, outs)
}

/// The E.164 number a wa_id stands for (a wa_id is the number without its plus).
fn phone_of(wa_id: &str) -> String {
    crate::domain::phone::e164(wa_id).unwrap_or_else(|| format!("+{wa_id}"))
}

/// Handles a verified webhook body. `Err` only when something could not be recorded: the
/// webhook then answers 503 and Meta sends it again (what was recorded is recognised).
pub async fn handle_body(desk: &Desk, whatsapp: &WhatsApp, body: &[u8]) -> anyhow::Result<Handled> {
    let events = match payload::parse(body) {
        Ok(events) => events,
        Err(e) => {
            // Signed by Meta yet not a notification: nothing in it can be handled, and a
            // resend would not read better. Logged, acknowledged.
            tracing::warn!(error = %e, bytes = body.len(), "whatsapp webhook: a signed body that does not parse");
            return Ok(Handled::default());
        }
    };
    if events.unreadable > 0 {
        tracing::warn!(count = events.unreadable, "whatsapp webhook: entries without an id or sender skipped");
    }
    let mut handled = Handled::default();
    // Contacts side by side, each contact's messages in order.
    let mut contacts: Vec<(String, Vec<&Incoming>)> = Vec::new();
    for message in &events.messages {
        match contacts.iter_mut().find(|(w, _)| *w == message.wa_id) {
            Some((_, list)) => list.push(message),
            None => contacts.push((message.wa_id.clone(), vec![message])),
        }
    }
    let results = futures_util::future::join_all(contacts.iter().map(|(_, list)| async move {
        let mut counts = (0usize, 0usize);
        for message in list {
            if handle_with_retries(desk, whatsapp, message).await? {
                counts.0 += 1;
            } else {
                counts.1 += 1;
            }
        }
        anyhow::Ok(counts)
    }))
    .await;
    for result in results {
        let (new, repeated) = result?;
        handled.messages += new;
        handled.repeated += repeated;
    }
    if !events.statuses.is_empty() {
        let statuses = events.statuses.clone();
        handled.statuses = desk.writer.write(move |tx| record_statuses(tx, &statuses)).await?;
    }
    whatsapp.wake.notify_one();
    Ok(handled)
}

/// Handles a message, retrying a failure twice before letting it go with an apology. `Err`
/// when even that could not be recorded.
async fn handle_with_retries(desk: &Desk, whatsapp: &WhatsApp, message: &Incoming) -> anyhow::Result<bool> {
    // A resent message is no flood: only new ones count, each once (not once per attempt).
    let (id, wa) = (message.id.clone(), message.wa_id.clone());
    if desk.read(move |conn| Ok(db::seen(conn, &id, &wa)?)).await? {
        return Ok(false);
    }
    let key = format!("whatsapp:{}", message.wa_id);
    let flood = Flood::check(desk, &whatsapp.limiter, &whatsapp.warned, &key).await;
    for attempt in 1..=MAX_ATTEMPTS {
        match handle_message(desk, whatsapp, message, flood).await {
            Ok(new) => return Ok(new),
            Err(e) => {
                tracing::warn!(message = %message.id, attempt, error = %e, "whatsapp message not handled");
                if attempt < MAX_ATTEMPTS {
                    tokio::time::sleep(Duration::from_millis(200 * u64::from(attempt))).await;
                }
            }
        }
    }
    let (id, wa_id) = (message.id.clone(), message.wa_id.clone());
    desk.writer
        .write(move |tx| {
            if db::first_time(tx.conn, &id, &wa_id, tx.now.naive_utc())? {
                queue(tx, &wa_id, &[Out::text(APOLOGY)])?;
            }
            Ok(true)
        })
        .await
        .map_err(|e| anyhow::anyhow!("whatsapp message {} not recorded: {e}", message.id))
}

/// Whether the contact's conversation waits for a file now (only then is one fetched).
async fn wants_file(desk: &Desk, wa_id: &str) -> anyhow::Result<bool> {
    let wa_id = wa_id.to_string();
    let stored = desk.read(move |conn| Ok(db::contact(conn, &wa_id)?)).await?;
    let dialogue: meja_whatsapp::Dialogue =
        stored.and_then(|c| serde_json::from_str(&c.dialogue).ok()).unwrap_or_default();
    Ok(dialogue.wants_file())
}

/// A file fetched for the conversation, or the answer when it could not be.
enum Fetched {
    None,
    File(String, Vec<u8>),
    Failed,
}

async fn fetch(whatsapp: &WhatsApp, incoming: &mut Incoming) -> Fetched {
    let Some(media) = incoming.media.take() else { return Fetched::None };
    if media.size.is_some_and(|s| s > whatsapp.max_file_bytes) {
        incoming.input = Input::TooLarge { size: media.size.unwrap_or(0) };
        return Fetched::None;
    }
    match whatsapp.fetch_media(&media.id).await {
        Ok(Ok((mime, bytes))) => {
            let sha256 = crate::domain::report::sha256_hex(&bytes);
            // The type from the bytes, as for mail attachments (Meta's is the sender's word).
            let content_type = crate::domain::mail::sniff_type(&bytes, mime.split(';').next().unwrap_or(&mime));
            incoming.input = Input::File(FileRef {
                name: media.name,
                content_type,
                sha256: sha256.clone(),
                size: bytes.len() as u64,
            });
            Fetched::File(sha256, bytes)
        }
        Ok(Err(size)) => {
            incoming.input = Input::TooLarge { size };
            Fetched::None
        }
        Err(e) => {
            tracing::warn!(message = %incoming.id, media = %media.id, error = %e, "whatsapp: a file could not be fetched");
            Fetched::Failed
        }
    }
}

/// Handles one message once, in one transaction. Returns whether it was new.
async fn handle_message(desk: &Desk, whatsapp: &WhatsApp, message: &Incoming, flood: Flood) -> anyhow::Result<bool> {
    let mut incoming = message.clone();
    let Flood { flooding, warn } = flood;
    if incoming.media.is_some() && (flooding || !wants_file(desk, &incoming.wa_id).await?) {
        incoming.media = None;
        incoming.input = Input::Offered;
    }
    let fetched = fetch(whatsapp, &mut incoming).await;
    if let Some(Special::Ignore(what)) = &incoming.special {
        tracing::debug!(message = %incoming.id, what, "whatsapp: recorded, not answered");
    }
    let d = desk.clone();
    let public_url = whatsapp.public_url.clone();
    let new = desk
        .writer
        .write(move |tx| {
            let now = tx.now.naive_utc();
            if !db::first_time(tx.conn, &incoming.id, &incoming.wa_id, now)? {
                return Ok(false);
            }
            let wa_id = incoming.wa_id.clone();
            let phone = phone_of(&wa_id);
            db::touch_contact(tx.conn, &wa_id, &phone, &incoming.sender.name, now)?;
            if flooding {
                if warn {
                    queue(tx, &wa_id, &[Out::text(TOO_FAST)])?;
                }
                return Ok(true);
            }
            let outs = match (&incoming.special, fetched) {
                (Some(Special::Ignore(_)), _) => Vec::new(),
                (Some(Special::Stop), _) => {
                    db::set_opted_out(tx.conn, &wa_id, Some(now))?;
                    tx.record(None, None, "whatsapp.opted_out", serde_json::json!({ "wa_id": wa_id }))?;
                    vec![Out::text(
                        "Baik, kami tidak akan mengirim pesan lagi ke nomor ini, kecuali jawaban atas laporan baru Anda sendiri. \
                         Ketik MULAI untuk menerima kabar tiket lagi.",
                    )]
                }
                (Some(Special::ChangedNumber { new_wa_id }), _) => {
                    changed_number(tx, &wa_id, new_wa_id, &incoming.sender.name)?;
                    Vec::new()
                }
                (_, Fetched::Failed) => {
                    vec![Out::text("Maaf, berkas Anda tidak dapat kami ambil dari WhatsApp. Coba kirim sekali lagi.")]
                }
                (special, fetched) => {
                    if *special == Some(Special::Resume) {
                        db::set_opted_out(tx.conn, &wa_id, None)?;
                        tx.record(None, None, "whatsapp.opted_in", serde_json::json!({ "wa_id": wa_id }))?;
                    }
                    if let Fetched::File(sha256, bytes) = &fetched {
                        crate::db::mail::put_blob(tx.conn, sha256, bytes)?;
                    }
                    let contact = Contact::WhatsApp { wa_id: wa_id.clone(), phone };
                    let mut port = TxPort { tx, desk: &d, contact, public_url: &public_url };
                    let sender = incoming.sender.clone();
                    meja_whatsapp::handle(&mut port, Style::WHATSAPP, &sender, incoming.input.clone())
                        .map_err(|e| DeskError::Internal(e.to_string()))?
                }
            };
            queue(tx, &wa_id, &outs)?;
            Ok(true)
        })
        .await?;
    Ok(new)
}

/// Meta says the person behind `wa_id` now writes from `new_wa_id`: the old contact points to
/// the new one, and the requester records with the old number carry the new one (one person,
/// one history), audited.
fn changed_number(tx: &mut Tx, wa_id: &str, new_wa_id: &str, name: &str) -> DeskResult<()> {
    let now = tx.now.naive_utc();
    let (old_phone, new_phone) = (phone_of(wa_id), phone_of(new_wa_id));
    db::set_moved(tx.conn, wa_id, new_wa_id, now)?;
    let moved = db::touch_contact(tx.conn, new_wa_id, &new_phone, name, now)?;
    let old = db::contact(tx.conn, wa_id)?;
    if let Some(old) = old.filter(|o| o.opted_out_at.is_some() && moved.opted_out_at.is_none()) {
        db::set_opted_out(tx.conn, new_wa_id, old.opted_out_at)?;
    }
    let changed =
        crate::db::catalog::change_phone(tx.conn, &crate::domain::phone::stored_forms(&old_phone), &new_phone)?;
    tx.record(
        None,
        None,
        "whatsapp.number_changed",
        serde_json::json!({ "from": wa_id, "to": new_wa_id, "requesters": changed }),
    )?;
    Ok(())
}

/// Records each status on its outbox row; a free-form message Meta failed because the window
/// had closed (131047) goes again as the notice's template.
fn record_statuses(tx: &mut Tx, statuses: &[Status]) -> DeskResult<usize> {
    let mut recorded = 0;
    for status in statuses {
        let Some(outbox_id) = db::outbox_of_message(tx.conn, &status.id)? else {
            tracing::debug!(message = %status.id, "whatsapp status for a message the desk does not know");
            continue;
        };
        let at = chrono::DateTime::from_timestamp(status.timestamp, 0).map_or(tx.now.naive_utc(), |t| t.naive_utc());
        let label = match (status.status.as_str(), status.error_code) {
            ("failed", Some(code)) => format!("failed:{code}"),
            (other, _) => other.to_string(),
        };
        let before = crate::db::outbox::by_id(tx.conn, &outbox_id)?.and_then(|r| r.remote_status);
        db::record_status(tx.conn, &outbox_id, &label, at)?;
        recorded += 1;
        if status.status == "failed" {
            tracing::warn!(
                outbox = %outbox_id, code = ?status.error_code, title = ?status.error_title,
                "whatsapp: Meta reports a message failed"
            );
        }
        // Once per row: Meta resends callbacks, and a row of two messages fails twice.
        let again = before.as_deref() == Some(label.as_str());
        if status.error_code == Some(OUTSIDE_WINDOW) && !again {
            super::delivery::resend_as_template(tx, &outbox_id)?;
        }
    }
    Ok(recorded)
}

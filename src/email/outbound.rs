//! Delivering the e-mail notices of the outbox over SMTP (lettre), through the shared
//! dispatcher (`crate::delivery`): the lease composes each mail (daily limit, sender of the
//! unit, threading headers, files), the send runs on a pooled connection off the runtime's
//! threads, and the record keeps our Message-ID for threading with the tracking token
//! scrubbed. A process that dies after the server accepted a mail but before recording it sends
//! that mail again once the lease runs out; the resend carries the same Message-ID, so mail
//! programs (and our own intake) recognise it.

use std::time::Duration;

use lettre::message::header::{ContentTransferEncoding, ContentType};
use lettre::message::{Attachment, Body, Mailbox, MultiPart, SinglePart};
use lettre::{Message, SmtpTransport, Transport};
use serde_json::Value;

use super::templates::{html_of, render, Context};
use crate::config::Settings;
use crate::db::mail::{self as mail_db, MailRow};
use crate::db::outbox::{self, OutboxRow};
use crate::db::tickets as tickets_db;
pub use crate::delivery::Delivered as DeliveryReport;
use crate::delivery::{self, Attempt, Composed, Retry, Settled};
use crate::desk::{new_id, Desk, DeskError, DeskResult, Tx};

/// Mails sent at once, each on its own pooled SMTP connection. lettre 0.11 leaves Nagle's
/// algorithm on, so one connection stalls ~40 ms per message on the server's delayed ACK;
/// parallel connections hide the stall.
const SENDERS: usize = 16;
/// Mails to the requester.
const REQUESTER_TEMPLATES: [&str; 9] = [
    "ticket_received",
    "ticket_merged",
    "disruption_update",
    "reply",
    "ticket_pending",
    "ticket_resolved",
    "ticket_cancelled",
    "ticket_status",
    "mail_too_large",
];
/// Of those, the ones no person wrote: these count toward the daily limit per address.
const AUTOMATIC_TO_REQUESTER: [&str; 8] = [
    "ticket_received",
    "ticket_merged",
    "ticket_pending",
    "ticket_resolved",
    "ticket_cancelled",
    "ticket_status",
    "mail_too_large",
    "disruption_update",
];
/// Files attached to one notice, together (many mail servers refuse messages over 25 MB once
/// encoded).
const MAX_ATTACHED_BYTES: i64 = 15 * 1024 * 1024;
/// Waits after the 1st, 2nd… failure; then the notice is given up.
const BACKOFF_SECONDS: [i64; 6] = [60, 300, 900, 3600, 3 * 3600, 12 * 3600];

/// The SMTP side: where to send, as whom, and the limits.
pub struct Mailer {
    transport: SmtpTransport,
    fallback_from: Mailbox,
    public_url: String,
    daily_limit: i64,
}

impl Mailer {
    /// `None` when no `smtp_url` is configured: notices then wait in the outbox.
    pub fn from_settings(settings: &Settings) -> anyhow::Result<Option<Mailer>> {
        let Some(url) = &settings.smtp_url else { return Ok(None) };
        let transport = SmtpTransport::from_url(url.expose())
            .map_err(|e| anyhow::anyhow!("MEJA_SMTP_URL: {e}"))?
            .timeout(Some(Duration::from_secs(30)))
            .pool_config(lettre::transport::smtp::PoolConfig::new().max_size(SENDERS as u32))
            .build();
        let fallback_from: Mailbox =
            settings.mail_from.parse().map_err(|e| anyhow::anyhow!("MEJA_MAIL_FROM {:?}: {e}", settings.mail_from))?;
        Ok(Some(Mailer {
            transport,
            fallback_from,
            public_url: settings.public_url.trim_end_matches('/').to_string(),
            daily_limit: settings.mail_daily_limit,
        }))
    }
}

/// One mail ready to go, composed from the outbox row inside the lease transaction.
pub struct Outgoing {
    /// A notice for staff (not the requester): its Message-ID must not thread a reply back
    /// into the ticket as if the citizen had answered.
    staff: bool,
    ticket_id: Option<String>,
    from: Mailbox,
    message_id: String,
    subject: String,
    text: String,
    in_reply_to: Option<String>,
    references: Vec<String>,
    /// Files the payload names (`attachments`: file_name, content_type, sha256), read from blobs.
    attachments: Vec<(String, String, Vec<u8>)>,
}

/// What composing needs of the settings, and the automatic mails counted per address in
/// this pass (SPEC 5 loop protection).
pub struct Composer {
    public_url: String,
    fallback: Mailbox,
    daily_limit: i64,
    in_batch: std::cell::RefCell<std::collections::HashMap<String, i64>>,
}

impl delivery::Channel for Mailer {
    type Message = Outgoing;
    type Composer = Composer;
    const NAME: &'static str = "email";
    const LEASE: chrono::Duration = chrono::Duration::minutes(10);
    /// Notices leased per delivery pass.
    const BATCH: i64 = 50;
    const PARALLEL: usize = SENDERS;
    /// Mails to one address need no order: threading headers put them in place.
    const IN_ORDER: bool = false;
    const HOLD: Duration = Duration::from_secs(60);

    fn backoff(attempt: usize) -> Option<Duration> {
        attempt.checked_sub(1).and_then(|i| BACKOFF_SECONDS.get(i)).map(|s| Duration::from_secs(*s as u64))
    }

    fn composer(&self) -> Composer {
        Composer {
            public_url: self.public_url.clone(),
            fallback: self.fallback_from.clone(),
            daily_limit: self.daily_limit,
            in_batch: Default::default(),
        }
    }

    fn compose(composer: &Composer, tx: &mut Tx, row: &OutboxRow) -> DeskResult<Composed<Outgoing>> {
        compose_mail(composer, tx, row)
    }

    async fn send(&self, row: &OutboxRow, mail: &Outgoing) -> Attempt {
        let message = match compose(row, mail) {
            Ok(message) => message,
            Err(e) => return Attempt::failed(e.describe(), Retry::Never),
        };
        let transport = self.transport.clone();
        match tokio::task::spawn_blocking(move || transport.send(&message)).await {
            Ok(Ok(_)) => Attempt::sent(None),
            Ok(Err(e)) => {
                let error = SendError::Smtp(e);
                let retry = if error.permanent() { Retry::Never } else { Retry::Backoff };
                Attempt::failed(error.describe(), retry)
            }
            Err(e) => Attempt::failed(format!("smtp: the sending task failed: {e}"), Retry::Backoff),
        }
    }

    fn final_payload(row: &OutboxRow) -> String {
        scrubbed(&row.payload)
    }

    fn recorded(tx: &mut Tx, row: &OutboxRow, mail: Outgoing, _: &Attempt, settled: &Settled) -> DeskResult<()> {
        if *settled != Settled::Delivered {
            return Ok(());
        }
        mail_db::insert_mail(
            tx.conn,
            &MailRow {
                id: new_id(),
                message_key: mail.message_id.trim_matches(|c| c == '<' || c == '>').to_string(),
                direction: "out".into(),
                mailbox: None,
                ticket_id: mail.ticket_id.clone(),
                sender: row.recipient.clone(),
                subject: mail.subject.chars().take(500).collect(),
                outcome: if mail.staff { "sent_staff".into() } else { "sent".into() },
                size_bytes: mail.text.len() as i64,
                created_at: tx.now.naive_utc(),
                fingerprint: None,
            },
        )?;
        Ok(())
    }
}

/// One pass over at most `limit` due e-mail notices, for the command line and the tests
/// (outside any runtime).
pub fn deliver_due(desk: &Desk, mailer: &Mailer, limit: i64) -> DeskResult<DeliveryReport> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| DeskError::Internal(format!("cannot start a runtime: {e}")))?;
    runtime.block_on(delivery::deliver_batch(desk, mailer, limit))
}

enum SendError {
    Compose(String),
    Smtp(lettre::transport::smtp::Error),
}

impl SendError {
    fn permanent(&self) -> bool {
        match self {
            SendError::Compose(_) => true,
            SendError::Smtp(e) => e.is_permanent(),
        }
    }

    fn describe(&self) -> String {
        match self {
            SendError::Compose(e) => format!("cannot compose: {e}"),
            SendError::Smtp(e) => format!("smtp: {e}"),
        }
    }
}

fn compose(row: &OutboxRow, mail: &Outgoing) -> Result<Message, SendError> {
    let to: Mailbox = row.recipient.parse().map_err(|e| SendError::Compose(format!("recipient: {e}")))?;
    let mut builder = Message::builder()
        .from(mail.from.clone())
        .reply_to(mail.from.clone())
        .to(to)
        .subject(mail.subject.clone())
        .message_id(Some(mail.message_id.clone()))
        // Our own notices are automatic: well-behaved autoresponders stay quiet (RFC 3834).
        .header(AutoSubmitted);
    if let Some(parent) = &mail.in_reply_to {
        builder = builder.in_reply_to(parent.clone());
    }
    if !mail.references.is_empty() {
        builder = builder.references(mail.references.join(" "));
    }
    let text = MultiPart::alternative()
        .singlepart(SinglePart::builder().header(ContentType::TEXT_PLAIN).body(mail.text.clone()))
        .singlepart(SinglePart::builder().header(ContentType::TEXT_HTML).body(html_of(&mail.text)));
    if mail.attachments.is_empty() {
        return builder.multipart(text).map_err(|e| SendError::Compose(e.to_string()));
    }
    let mut mixed = MultiPart::mixed().multipart(text);
    for (name, content_type, bytes) in &mail.attachments {
        let content_type = ContentType::parse(content_type)
            .map_err(|e| SendError::Compose(format!("attachment {name}: content type: {e}")))?;
        // Always base64: lettre would send an ASCII-only file (a plain PDF, a CSV, a log) as
        // 7bit text with its line ends rewritten to CRLF, so the citizen's copy would differ.
        let body = Body::new_with_encoding(bytes.clone(), ContentTransferEncoding::Base64)
            .map_err(|_| SendError::Compose(format!("attachment {name}: cannot be encoded")))?;
        mixed = mixed.singlepart(Attachment::new(name.clone()).body(body, content_type));
    }
    builder.multipart(mixed).map_err(|e| SendError::Compose(e.to_string()))
}

/// `Auto-Submitted: auto-generated`.
#[derive(Clone)]
struct AutoSubmitted;

impl lettre::message::header::Header for AutoSubmitted {
    fn name() -> lettre::message::header::HeaderName {
        lettre::message::header::HeaderName::new_from_ascii_str("Auto-Submitted")
    }

    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(AutoSubmitted)
    }

    fn display(&self) -> lettre::message::header::HeaderValue {
        lettre::message::header::HeaderValue::new(Self::name(), "auto-generated".into())
    }
}

fn domain_of(mailbox: &Mailbox) -> String {
    mailbox.email.domain().to_string()
}

fn compose_mail(composer: &Composer, tx: &mut Tx, row: &OutboxRow) -> DeskResult<Composed<Outgoing>> {
    let now = tx.now.naive_utc();
    let (public_url, fallback, daily_limit) = (&composer.public_url, &composer.fallback, composer.daily_limit);
    {
        // SPEC 5 loop protection: at most `daily_limit` automatic mails to one requester a
        // day. Agents' replies always go, and so do notices to staff (an SLA breach must reach
        // the unit head however many there were today).
        if AUTOMATIC_TO_REQUESTER.contains(&row.template.as_str()) {
            let mut in_batch = composer.in_batch.borrow_mut();
            let earlier = *in_batch.get(&row.recipient).unwrap_or(&0);
            let today =
                outbox::automatic_sent_since(tx.conn, &row.recipient, now - chrono::Duration::days(1))? + earlier;
            if today >= daily_limit {
                return Ok(Composed::Skip("skipped: daily limit of automatic mails".into()));
            }
            *in_batch.entry(row.recipient.clone()).or_insert(0) += 1;
        }
        let payload: Value = serde_json::from_str(&row.payload).unwrap_or_default();
        let ticket = match &row.ticket_id {
            Some(id) => tickets_db::by_id(tx.conn, id)?,
            None => None,
        };
        let from = match &ticket {
            Some(t) => match mail_db::mailbox_of_unit(tx.conn, &t.unit_id)? {
                Some(m) => format!("Layanan {} <{}>", tx_unit_name(tx, &t.unit_id)?, m.address)
                    .parse()
                    .unwrap_or_else(|_| fallback.clone()),
                None => fallback.clone(),
            },
            None => fallback.clone(),
        };
        // Mails to the requester speak the requester's language; staff notices Bahasa Indonesia.
        let language = match &ticket {
            Some(t) => crate::db::catalog::requester_by_id(tx.conn, &t.requester_id)?
                .filter(|r| r.email.as_deref().is_some_and(|e| e.eq_ignore_ascii_case(&row.recipient)))
                .and_then(|r| r.language)
                .unwrap_or_else(|| "id".into()),
            None => "id".into(),
        };
        let message = match payload["message_id"].as_str() {
            Some(id) => tickets_db::message_by_id(tx.conn, id)?.map(|m| m.body),
            None => None,
        };
        let rendered = render(
            &row.template,
            &payload,
            &Context {
                number: ticket.as_ref().map(|t| t.number.as_str()),
                title: ticket.as_ref().map(|t| t.title.as_str()),
                public_url,
                message: message.as_deref(),
                language: &language,
            },
        );
        let references = match &ticket {
            Some(t) => mail_db::keys_for_ticket(tx.conn, &t.id)?.into_iter().map(|k| format!("<{k}>")).collect(),
            None => Vec::new(),
        };
        let references: Vec<String> = references.iter().rev().take(10).rev().cloned().collect();
        let mut attachments = Vec::new();
        let (mut attached_bytes, mut left_out) = (0i64, 0usize);
        for file in payload["attachments"].as_array().into_iter().flatten() {
            let (Some(name), Some(sha256)) = (file["file_name"].as_str(), file["sha256"].as_str()) else { continue };
            // Mail servers refuse large messages for good: past the cap the reply goes without
            // the rest, which wait on the tracking page, rather than not at all.
            let size = file["size"].as_i64().unwrap_or(0);
            if attached_bytes + size > MAX_ATTACHED_BYTES {
                left_out += 1;
                continue;
            }
            attached_bytes += size;
            let content_type = file["content_type"].as_str().unwrap_or("application/octet-stream");
            let bytes = mail_db::blob(tx.conn, sha256)?
                .ok_or_else(|| DeskError::Internal(format!("attachment {name}: blob {sha256} is missing")))?;
            attachments.push((name.to_string(), content_type.to_string(), bytes));
        }
        let mut text = rendered.text;
        if left_out > 0 {
            text.push_str(&format!(
                "\n\n({left_out} lampiran lain terlalu besar untuk e-mail; unduh di halaman pelacakan tiket.)"
            ));
        }
        Ok(Composed::Send(Outgoing {
            attachments,
            staff: !REQUESTER_TEMPLATES.contains(&row.template.as_str()),
            message_id: format!("<{}@{}>", row.id, domain_of(&from)),
            in_reply_to: references.last().cloned(),
            references,
            ticket_id: ticket.map(|t| t.id),
            from,
            subject: rendered.subject,
            text,
        }))
    }
}

fn tx_unit_name(tx: &mut Tx, unit_id: &str) -> DeskResult<String> {
    Ok(crate::db::catalog::unit_by_id(tx.conn, unit_id)?.map(|u| u.name).unwrap_or_default())
}

/// What the mail was only the carrier of: the tokens leave the payload once the notice is final.
pub(crate) fn scrubbed(payload: &str) -> String {
    let mut value: Value = serde_json::from_str(payload).unwrap_or_default();
    if let Some(map) = value.as_object_mut() {
        map.retain(|key, _| !key.ends_with("_token"));
    }
    value.to_string()
}

/// The delivery loop of `meja serve` / `meja jobs`: a pass every two seconds, and the next one
/// at once while passes did something, so a backlog (after an outage of the mail server, or a
/// restart) drains at the server's pace; a server that refuses gets the two-second pause.
pub async fn run(desk: Desk, mailer: std::sync::Arc<Mailer>, stop: tokio::sync::watch::Receiver<bool>) {
    delivery::run(desk, mailer, None, None, stop).await
}

impl From<SendError> for DeskError {
    fn from(e: SendError) -> Self {
        DeskError::Internal(e.describe())
    }
}

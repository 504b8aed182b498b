//! What the desk sent about a ticket, and what became of it: every outbox row of the ticket
//! (e-mail, Telegram, WhatsApp, webhooks) with its state and what the far side last said
//! (WhatsApp's sent, delivered, read, failed), and the WhatsApp window of the requester's
//! number. Staff only: the recipients are personal data and staff addresses.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{DeskError, DeskResult};
use crate::db::outbox::OutboxRow;
use crate::db::DbConn;
use crate::domain::role::Actor;

#[derive(Debug, Clone, Serialize)]
pub struct DeliveryView {
    pub id: String,
    pub channel: String,
    pub recipient: String,
    /// The notice (`reply`, `ticket_resolved`, …; `bot_message` for the conversation's answers).
    pub notice: String,
    /// `delivered`, `waiting` (not yet, or retrying), `given_up`.
    pub state: &'static str,
    pub attempts: i32,
    pub created_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
    /// Why it failed, or why it was settled without sending.
    pub note: Option<String>,
    pub remote_status: Option<String>,
    pub remote_status_at: Option<DateTime<Utc>>,
}

/// The customer service window of a WhatsApp contact that writes from the requester's number.
#[derive(Debug, Clone, Serialize)]
pub struct WhatsAppWindow {
    pub wa_id: String,
    /// Free-form messages may go until then; templates after.
    pub open_until: Option<DateTime<Utc>>,
    pub open: bool,
    /// The contact wrote BERHENTI.
    pub opted_out: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Deliveries {
    pub items: Vec<DeliveryView>,
    pub whatsapp: Vec<WhatsAppWindow>,
}

fn view(row: OutboxRow) -> DeliveryView {
    let state = match (row.delivered_at, row.next_attempt_at > row.created_at + chrono::Duration::days(3650)) {
        (Some(_), _) => "delivered",
        (None, true) => "given_up",
        (None, false) => "waiting",
    };
    DeliveryView {
        id: row.id,
        channel: row.channel,
        recipient: row.recipient,
        notice: row.template,
        state,
        attempts: row.attempts,
        created_at: row.created_at.and_utc(),
        delivered_at: row.delivered_at.map(|t| t.and_utc()),
        note: row.last_error,
        remote_status: row.remote_status,
        remote_status_at: row.remote_status_at.map(|t| t.and_utc()),
    }
}

/// `GET /tickets/{number}/deliveries`, scoped like the ticket; staff only.
pub fn of_ticket(conn: &mut DbConn, actor: &Actor, number: &str, now: DateTime<Utc>) -> DeskResult<Deliveries> {
    if !actor.role.is_staff() {
        return Err(DeskError::Forbidden("deliveries are staff business".into()));
    }
    let ticket = super::tickets::visible_ticket(conn, actor, number)?;
    // Webhook rows name the subscriptions and may carry their URLs in errors: admins' business.
    let admin = actor.role == crate::domain::role::Role::Admin;
    let items = crate::db::outbox::for_ticket(conn, &ticket.row.id)?
        .into_iter()
        .filter(|r| admin || r.channel != crate::desk::webhooks::CHANNEL)
        .map(view)
        .collect();
    let requester = crate::db::catalog::requester_by_id(conn, &ticket.row.requester_id)?;
    let phone = requester.and_then(|r| r.phone).and_then(|p| crate::domain::phone::e164(&p));
    let contacts = match phone {
        Some(phone) => crate::db::whatsapp::contacts_of_phone(conn, &phone)?,
        None => Vec::new(),
    };
    let whatsapp = contacts
        .into_iter()
        .map(|c| {
            let open_until = c.last_inbound_at.map(|t| (t + crate::whatsapp::WINDOW).and_utc());
            WhatsAppWindow {
                wa_id: c.wa_id,
                open: open_until.is_some_and(|u| u > now),
                open_until,
                opted_out: c.opted_out_at.is_some(),
            }
        })
        .collect();
    Ok(Deliveries { items, whatsapp })
}

//! Staff on Telegram (SPEC 5): one-time codes that link a chat to a staff account or to a
//! unit's group, and the copies of staff notices those chats receive.

use chrono::{DateTime, Duration, Utc};
use rand::Rng;
use serde::Serialize;
use serde_json::json;

use super::auth::sha256_hex;
use super::{DeskError, DeskResult, Tx};
use crate::db::catalog as catalog_db;
use crate::db::outbox::{self, OutboxRow};
use crate::db::telegram as db;
use crate::db::tickets::TicketRow;
use crate::domain::role::{Actor, Role};

/// How long a code can be used.
const CODE_LIFETIME: Duration = Duration::minutes(15);
/// Letters and digits that cannot be mistaken for each other when typed from a screen.
const CODE_ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

/// The notices staff receive; copied to their linked chats and their unit's group.
pub const STAFF_TEMPLATES: [&str; 9] = [
    "ticket_assigned",
    "ticket_escalated",
    "ticket_transferred",
    "ticket_unassigned",
    "sla_warning",
    "sla_breached",
    "incident_flagged",
    "incident_notice_warning",
    "incident_notice_breached",
];

#[derive(Debug, Clone, Serialize)]
pub struct LinkCode {
    pub code: String,
    pub expires_at: DateTime<Utc>,
    /// The unit whose group the code links; none for the caller's own account.
    pub unit: Option<String>,
    pub how: String,
}

/// A code for `/hubungkan`: for the caller's own account, or (`unit`) for a group chat of a
/// unit, which its head, a supervisor or an admin may link.
pub fn issue_code(tx: &mut Tx, actor: &Actor, unit: Option<&str>) -> DeskResult<LinkCode> {
    if !actor.role.is_staff() {
        return Err(DeskError::Forbidden("Telegram links are for staff".into()));
    }
    let unit_row = match unit {
        None => None,
        Some(code) => {
            let unit = catalog_db::unit_by_code(tx.conn, code)?
                .ok_or_else(|| DeskError::invalid("unit", format!("no unit with code {code}")))?;
            let allowed = match actor.role {
                Role::Supervisor | Role::Admin => true,
                Role::UnitHead => actor.unit_id.as_deref() == Some(unit.id.as_str()),
                _ => false,
            };
            if !allowed {
                return Err(DeskError::Forbidden(format!("a {} may not link a group chat for {code}", actor.role)));
            }
            Some(unit)
        }
    };
    let code: String = {
        let mut rng = rand::thread_rng();
        (0..8).map(|_| CODE_ALPHABET[rng.gen_range(0..CODE_ALPHABET.len())] as char).collect()
    };
    let expires_at = tx.now + CODE_LIFETIME;
    db::insert_link_code(
        tx.conn,
        &sha256_hex(&code),
        &actor.user_id,
        unit_row.as_ref().map(|u| u.id.as_str()),
        expires_at.naive_utc(),
    )?;
    tx.record(
        None,
        Some(&actor.user_id),
        "telegram.code_issued",
        json!({ "unit": unit_row.as_ref().map(|u| &u.code) }),
    )?;
    let how = match &unit_row {
        Some(u) => format!("Add the bot to the group of {} and send /hubungkan {code} there within 15 minutes", u.code),
        None => format!("Send /hubungkan {code} to the bot in a private chat within 15 minutes"),
    };
    Ok(LinkCode { code, expires_at, unit: unit_row.map(|u| u.code), how })
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Linked {
    Account { name: String },
    Unit { name: String },
}

/// Uses a code in a chat. Account codes work in private chats, unit codes in groups.
pub fn link(tx: &mut Tx, chat_id: i64, group: bool, code: &str) -> DeskResult<Linked> {
    let code = code.trim().to_uppercase();
    let now = tx.now.naive_utc();
    let hash = sha256_hex(&code);
    let Some((user_id, unit_id)) = db::peek_link_code(tx.conn, &hash, now)? else {
        return Err(DeskError::invalid("code", "unknown, used or expired"));
    };
    // A code sent in the wrong kind of chat stays valid for the right one.
    match (&unit_id, group) {
        (Some(_), false) => return Err(DeskError::invalid("code", "a group code: send it in the unit's group")),
        (None, true) => return Err(DeskError::invalid("code", "an account code: send it in a private chat")),
        _ => {}
    }
    if !db::consume_link_code(tx.conn, &hash, now)? {
        return Err(DeskError::invalid("code", "unknown, used or expired"));
    }
    let linked = match &unit_id {
        Some(unit) => {
            db::link_chat(tx.conn, chat_id, None, Some(unit), now)?;
            Linked::Unit { name: catalog_db::unit_by_id(tx.conn, unit)?.map(|u| u.name).unwrap_or_default() }
        }
        None => {
            db::link_chat(tx.conn, chat_id, Some(&user_id), None, now)?;
            Linked::Account { name: catalog_db::user_by_id(tx.conn, &user_id)?.map(|u| u.name).unwrap_or_default() }
        }
    };
    tx.record(None, Some(&user_id), "telegram.linked", json!({ "chat": chat_id, "unit": unit_id.is_some() }))?;
    Ok(linked)
}

/// Telegram copies of the staff notices among `rows` (mailed to an address whose account or
/// unit has linked chats). A unit's group never gets notices of confidential tickets (SPEC 2:
/// only the assignee, tier 2, supervisors and admins see those); a linked account does, as
/// its mail does.
pub fn mirror(tx: &mut Tx, rows: &[OutboxRow]) -> DeskResult<Vec<OutboxRow>> {
    let mut chats_of: std::collections::HashMap<(&str, bool), Vec<i64>> = std::collections::HashMap::new();
    let mut confidential: std::collections::HashMap<&str, bool> = std::collections::HashMap::new();
    let mut copies = Vec::new();
    for row in rows.iter().filter(|r| r.channel == "email" && STAFF_TEMPLATES.contains(&r.template.as_str())) {
        let secret = match row.ticket_id.as_deref() {
            Some(id) => match confidential.get(id) {
                Some(known) => *known,
                None => {
                    let known =
                        crate::db::tickets::by_id(tx.conn, id)?.is_some_and(|t| t.classification == "confidential");
                    confidential.insert(id, known);
                    known
                }
            },
            None => false,
        };
        let key = (row.recipient.as_str(), !secret);
        if let std::collections::hash_map::Entry::Vacant(slot) = chats_of.entry(key) {
            slot.insert(db::chats_for_address(tx.conn, &row.recipient, !secret)?);
        }
        for chat in &chats_of[&key] {
            let mut copy = row.clone();
            copy.id = super::new_id();
            copy.channel = "telegram".into();
            copy.recipient = chat.to_string();
            copies.push(copy);
        }
    }
    Ok(copies)
}

/// Writes the Telegram copies of `rows`.
pub fn queue_mirrored(tx: &mut Tx, rows: &[OutboxRow]) -> DeskResult<()> {
    let copies = mirror(tx, rows)?;
    if !copies.is_empty() {
        outbox::insert_many(tx.conn, &copies)?;
    }
    Ok(())
}

/// A new ticket in a unit's queue, for the unit's group chats (not confidential ones: a group
/// is not a place for them).
pub fn queue_new_ticket(tx: &mut Tx, ticket: &TicketRow) -> DeskResult<()> {
    if ticket.classification == "confidential" {
        return Ok(());
    }
    let chats = tx.hot.group_chats(tx.conn, &ticket.unit_id)?;
    let now = tx.now.naive_utc();
    let rows: Vec<OutboxRow> = chats
        .iter()
        .map(|chat| {
            OutboxRow::new(
                now,
                Some(&ticket.id),
                "telegram",
                &chat.to_string(),
                "ticket_new",
                &json!({ "number": ticket.number }),
            )
        })
        .collect();
    if !rows.is_empty() {
        outbox::insert_many(tx.conn, &rows)?;
    }
    Ok(())
}

/// A chat linked to a staff account or a unit's group, as the administration page lists it.
#[derive(Debug, Clone, Serialize)]
pub struct LinkedChat {
    pub chat_id: i64,
    /// The username of the linked account; none for a unit's group.
    pub account: Option<String>,
    /// The code of the unit whose group the chat is.
    pub unit: Option<String>,
    pub updated_at: DateTime<Utc>,
}

/// Every linked chat (admins only).
pub fn list_linked(desk: &super::Desk, conn: &mut crate::db::DbConn, actor: &Actor) -> DeskResult<Vec<LinkedChat>> {
    if actor.role != Role::Admin {
        return Err(DeskError::Forbidden("only an admin may list linked Telegram chats".into()));
    }
    db::linked_chats(conn)?
        .into_iter()
        .map(|(chat_id, user, unit, at)| {
            Ok(LinkedChat {
                chat_id,
                account: user.map(|id| desk.names.username(conn, &id)).transpose()?,
                unit: unit.map(|id| desk.names.unit_code(conn, &id)).transpose()?,
                updated_at: at.and_utc(),
            })
        })
        .collect()
}

//! Followers of a ticket (CC, issue 15): the addresses in Cc of a requester's mail, addresses
//! and staff users an agent adds, staff who follow a ticket themselves, and the requester of a
//! ticket merged into it. They hear of public replies and status changes by e-mail, threaded
//! like the requester's mail — never of internal notes, and never with the requester's tracking
//! or rating links — and a follower's answer by mail lands on the ticket as a public message.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::accounts::staff_actor;
use super::tickets::{self, queue_notice};
use super::view::Ticket;
use super::{new_id, DeskError, DeskResult, Tx};
use crate::db::catalog as catalog_db;
use crate::db::followers::{self as db, FollowerRow};
use crate::db::tickets::TicketRow;
use crate::db::DbConn;
use crate::domain::role::Actor;

/// Notices a follower gets: public replies and status changes. A ticket's acknowledgement (it
/// carries the tracking token) and anything for staff are the requester's or staff's alone.
const FOLLOWER_TEMPLATES: &[&str] =
    &["reply", "ticket_pending", "ticket_resolved", "ticket_cancelled", "ticket_status", "ticket_merged"];

/// The requester's keys in a notice: the tracking token answers as the requester, the rating
/// token rates for them.
const REQUESTER_ONLY_KEYS: &[&str] = &["tracking_token", "csat_token"];

/// Cc addresses taken from one mail: enough for a real thread, not a mailing list.
pub const MAX_CC: usize = 10;
/// Followers of one ticket: a desk is not a mailing list.
pub const MAX_FOLLOWERS: usize = 20;

#[derive(Debug, Clone, Serialize)]
pub struct FollowerView {
    /// `email`, `user` (staff) or `requester` (of a ticket merged into this one).
    pub kind: &'static str,
    pub email: Option<String>,
    pub username: Option<String>,
    pub name: Option<String>,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// `POST /tickets/{number}/followers`: an address or a staff user's name, not both.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewFollower {
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub username: Option<String>,
}

fn staff_only(actor: &Actor) -> DeskResult<()> {
    if actor.role.is_staff() {
        Ok(())
    } else {
        Err(DeskError::Forbidden("followers are managed by staff".into()))
    }
}

/// A valid, lower-cased e-mail address, or a refusal naming the field.
pub fn clean_address(field: &str, text: &str) -> DeskResult<String> {
    let address = text.trim().to_lowercase();
    match address.parse::<lettre::Address>() {
        Ok(_) if address.len() <= 254 => Ok(address),
        _ => Err(DeskError::invalid(field, format!("{:?} is not an e-mail address", text.trim()))),
    }
}

fn view(conn: &mut DbConn, f: FollowerRow) -> DeskResult<FollowerView> {
    let created_at = super::view::utc(f.created_at);
    if let Some(id) = &f.user_id {
        let user = catalog_db::user_by_id(conn, id)?;
        return Ok(FollowerView {
            kind: "user",
            email: user.as_ref().and_then(|u| u.email.clone()),
            username: user.as_ref().map(|u| u.username.clone()),
            name: user.map(|u| u.name),
            created_at,
        });
    }
    if let Some(id) = &f.requester_id {
        let requester = catalog_db::requester_by_id(conn, id)?;
        return Ok(FollowerView {
            kind: "requester",
            email: requester.as_ref().and_then(|r| r.email.clone()),
            username: None,
            name: requester.map(|r| r.name),
            created_at,
        });
    }
    Ok(FollowerView { kind: "email", email: f.email, username: None, name: None, created_at })
}

pub fn list(conn: &mut DbConn, actor: &Actor, number: &str) -> DeskResult<Vec<FollowerView>> {
    let ticket = tickets::visible_ticket(conn, actor, number)?;
    staff_only(actor)?;
    db::of_ticket(conn, &ticket.row.id)?.into_iter().map(|f| view(conn, f)).collect()
}

/// Adds a follower: any staff who can see the ticket may follow it themselves; adding somebody
/// else (they will receive its public replies) needs the right to reply on it. A staff user
/// added must be able to see the ticket. Already following: the existing entry, unchanged.
pub fn add(tx: &mut Tx, actor: &Actor, number: &str, input: NewFollower) -> DeskResult<(FollowerView, bool)> {
    let ticket = tickets::visible_ticket_for_update(tx.conn, actor, number)?;
    staff_only(actor)?;
    let (email, user) = match (input.email.filter(|e| !e.trim().is_empty()), input.username) {
        (Some(e), None) => {
            let address = clean_address("email", &e)?;
            // A colleague's address follows as that colleague: mail from staff is a note, and
            // what they may see is checked as for any staff follower.
            match catalog_db::user_by_email(tx.conn, &address)?.filter(|u| u.active && staff_actor(u).is_some()) {
                Some(staff) => (None, Some(staff)),
                None => (Some(address), None),
            }
        }
        (None, Some(u)) => {
            let user = catalog_db::user_by_username(tx.conn, u.trim())?
                .filter(|u| u.active && staff_actor(u).is_some())
                .ok_or_else(|| DeskError::invalid("username", format!("no active staff user {}", u.trim())))?;
            (None, Some(user))
        }
        _ => return Err(DeskError::invalid("email", "give either email or username")),
    };
    let own = user.as_ref().is_some_and(|u| u.id == actor.user_id);
    if !own && !actor.can_write_messages(&ticket.scope(), false) {
        return Err(DeskError::Forbidden(format!("a {} may not add followers to this ticket", actor.role)));
    }
    if let Some(u) = &user {
        let follower = staff_actor(u).ok_or_else(|| DeskError::invalid("username", "not a staff user"))?;
        if !follower.can_read(&ticket.scope()) {
            return Err(DeskError::invalid("username", format!("{} may not see this ticket", u.username)));
        }
    }
    let existing = db::of_ticket(tx.conn, &ticket.row.id)?.into_iter().find(|f| {
        (email.is_some() && f.email == email) || (user.is_some() && f.user_id == user.as_ref().map(|u| u.id.clone()))
    });
    if let Some(found) = existing {
        return Ok((view(tx.conn, found)?, false));
    }
    if db::of_ticket(tx.conn, &ticket.row.id)?.len() >= MAX_FOLLOWERS {
        return Err(DeskError::invalid("email", format!("a ticket has at most {MAX_FOLLOWERS} followers")));
    }
    let row = FollowerRow {
        id: new_id(),
        ticket_id: ticket.row.id.clone(),
        email: email.clone(),
        user_id: user.as_ref().map(|u| u.id.clone()),
        requester_id: None,
        added_by: Some(actor.user_id.clone()),
        created_at: tx.now.naive_utc(),
    };
    db::insert(tx.conn, &row)?;
    let data = match &user {
        Some(u) => json!({ "username": u.username }),
        None => json!({ "email": email }),
    };
    tx.record(Some(&ticket.row.id), Some(&actor.user_id), "follower.added", data)?;
    Ok((view(tx.conn, row)?, true))
}

/// Removes a follower named by address or username; staff may always stop following themselves.
pub fn remove(tx: &mut Tx, actor: &Actor, number: &str, key: &str) -> DeskResult<()> {
    let ticket = tickets::visible_ticket_for_update(tx.conn, actor, number)?;
    staff_only(actor)?;
    let key = key.trim().to_lowercase();
    let mut found = None;
    for f in db::of_ticket(tx.conn, &ticket.row.id)? {
        let v = view(tx.conn, f.clone())?;
        let matches = v.email.as_deref().is_some_and(|e| e.eq_ignore_ascii_case(&key))
            || v.username.as_deref().is_some_and(|u| u.eq_ignore_ascii_case(&key));
        if matches {
            found = Some((f, v));
            break;
        }
    }
    let (row, shown) = found.ok_or_else(|| DeskError::not_found("follower", &key))?;
    let own = row.user_id.as_deref() == Some(actor.user_id.as_str());
    if !own && !actor.can_write_messages(&ticket.scope(), false) {
        return Err(DeskError::Forbidden(format!("a {} may not remove followers of this ticket", actor.role)));
    }
    db::delete(tx.conn, &row.id)?;
    let data = match shown.username {
        Some(u) => json!({ "username": u }),
        None => json!({ "email": shown.email }),
    };
    tx.record(Some(&ticket.row.id), Some(&actor.user_id), "follower.removed", data)
}

/// The Cc addresses of a requester's mail become followers (not the desk's own addresses, not
/// the requester, at most [`MAX_CC`]); invalid ones are skipped.
pub fn add_from_mail(tx: &mut Tx, ticket: &TicketRow, cc: &[String], desk_addresses: &[String]) -> DeskResult<()> {
    let requester = catalog_db::requester_by_id(tx.conn, &ticket.requester_id)?.and_then(|r| r.email);
    let followers = db::of_ticket(tx.conn, &ticket.id)?;
    let room = MAX_FOLLOWERS.saturating_sub(followers.len());
    let existing: Vec<String> = followers.into_iter().filter_map(|f| f.email).collect();
    let mut added = Vec::new();
    for address in cc.iter().filter_map(|a| clean_address("cc", a).ok()).take(MAX_CC) {
        let ours = desk_addresses.iter().any(|d| d.eq_ignore_ascii_case(&address));
        let is_requester = requester.as_deref().is_some_and(|r| r.eq_ignore_ascii_case(&address));
        // Staff copied on a citizen's mail hear of the ticket through the console and their
        // own notices; as followers their mailed answers would read as public messages.
        let staff = catalog_db::user_by_email(tx.conn, &address)?.is_some_and(|u| u.active);
        if ours || is_requester || staff || existing.contains(&address) || added.contains(&address) {
            continue;
        }
        if added.len() >= room {
            break;
        }
        db::insert(
            tx.conn,
            &FollowerRow {
                id: new_id(),
                ticket_id: ticket.id.clone(),
                email: Some(address.clone()),
                user_id: None,
                requester_id: None,
                added_by: None,
                created_at: tx.now.naive_utc(),
            },
        )?;
        added.push(address);
    }
    if !added.is_empty() {
        tx.record(Some(&ticket.id), None, "follower.added", json!({ "cc": added }))?;
    }
    Ok(())
}

/// Makes the requester of a merged ticket a follower of the target.
pub fn add_requester(tx: &mut Tx, ticket: &TicketRow, requester_id: &str) -> DeskResult<()> {
    if ticket.requester_id == requester_id
        || db::of_ticket(tx.conn, &ticket.id)?.iter().any(|f| f.requester_id.as_deref() == Some(requester_id))
    {
        return Ok(());
    }
    db::insert(
        tx.conn,
        &FollowerRow {
            id: new_id(),
            ticket_id: ticket.id.clone(),
            email: None,
            user_id: None,
            requester_id: Some(requester_id.to_string()),
            added_by: None,
            created_at: tx.now.naive_utc(),
        },
    )?;
    Ok(())
}

/// Is this address one of the ticket's followers (so its mail is a public message)?
pub fn follows_by_email(conn: &mut DbConn, ticket_id: &str, address: &str) -> DeskResult<bool> {
    for f in db::of_ticket(conn, ticket_id)? {
        let email = match (&f.email, &f.requester_id) {
            (Some(e), _) => Some(e.clone()),
            (None, Some(r)) => catalog_db::requester_by_id(conn, r)?.and_then(|r| r.email),
            _ => None,
        };
        if email.is_some_and(|e| e.eq_ignore_ascii_case(address)) {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Queues a requester's notice for the ticket's followers, without the requester's own links.
pub(crate) fn notify(tx: &mut Tx, ticket: &TicketRow, template: &str, payload: &Value) -> DeskResult<()> {
    if !FOLLOWER_TEMPLATES.contains(&template) {
        return Ok(());
    }
    let followers = db::of_ticket(tx.conn, &ticket.id)?;
    if followers.is_empty() {
        return Ok(());
    }
    let mut payload = payload.clone();
    if let Some(map) = payload.as_object_mut() {
        for key in REQUESTER_ONLY_KEYS {
            map.remove(*key);
        }
        map.insert("follower".into(), json!(true));
    }
    let requester = catalog_db::requester_by_id(tx.conn, &ticket.requester_id)?;
    let mut sent: Vec<String> = requester.as_ref().and_then(|r| r.email.clone()).into_iter().collect();
    let mut chats: Vec<String> = requester.as_ref().and_then(|r| r.telegram_id.clone()).into_iter().collect();
    let mut contacts = crate::desk::tickets::whatsapp_contacts(tx, requester.as_ref())?;
    let loaded = Ticket::load(tx.conn, ticket.clone())?;
    for f in followers {
        let (email, telegram, chat_requester) = if let Some(id) = &f.user_id {
            // A colleague hears only of what it may see now (after a transfer or a merge too).
            let user = catalog_db::user_by_id(tx.conn, id)?.filter(|u| u.active);
            let may_see = user.as_ref().and_then(staff_actor).is_some_and(|a| a.can_read(&loaded.scope()));
            (user.filter(|_| may_see).and_then(|u| u.email), None, None)
        } else if let Some(id) = &f.requester_id {
            let r = catalog_db::requester_by_id(tx.conn, id)?;
            (r.as_ref().and_then(|r| r.email.clone()), r.as_ref().and_then(|r| r.telegram_id.clone()), r)
        } else {
            (f.email.clone(), None, None)
        };
        if let Some(email) = email.filter(|e| !sent.iter().any(|s| s.eq_ignore_ascii_case(e))) {
            queue_notice(tx, ticket, "email", &email, template, payload.clone())?;
            sent.push(email);
        }
        if let Some(chat) = telegram.filter(|c| !chats.contains(c)) {
            queue_notice(tx, ticket, "telegram", &chat, template, payload.clone())?;
            chats.push(chat);
        }
        for wa_id in crate::desk::tickets::whatsapp_contacts(tx, chat_requester.as_ref())? {
            if !contacts.contains(&wa_id) {
                queue_notice(tx, ticket, "whatsapp", &wa_id, template, payload.clone())?;
                contacts.push(wa_id);
            }
        }
    }
    Ok(())
}

/// Whether this ticket is followed by `actor` (the console's follow button).
pub fn is_following(conn: &mut DbConn, ticket: &Ticket, actor: &Actor) -> DeskResult<bool> {
    Ok(db::of_ticket(conn, &ticket.row.id)?.iter().any(|f| f.user_id.as_deref() == Some(actor.user_id.as_str())))
}

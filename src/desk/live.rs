//! The live console (issue 15): changes reach the open queue and ticket pages through
//! Server-Sent Events. One poller per process reads the audit log (and who is typing) from the
//! database, so every process behind a load balancer tells its own viewers of changes made by
//! any of them; each viewer gets only the tickets it may see. The poller runs while somebody
//! listens.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use tokio::sync::broadcast;

use super::tickets::visible_ticket;
use super::view::Ticket;
use super::{Desk, DeskError, DeskResult, Tx};
use crate::db::live as db;
use crate::domain::role::{Actor, TicketScope};
use crate::domain::ticket::Classification;

/// How often the poller looks; a change reaches the viewers within about this.
const POLL: Duration = Duration::from_millis(300);
/// A poller with nobody listening stops after this many idle looks (30 s).
const IDLE_LOOKS: u32 = 100;
/// Events re-read behind the last seen one: on PostgreSQL a transaction that took its sequence
/// number earlier can commit later, and must still be told.
const LOOK_BACK: i64 = 200;
const BATCH: i64 = 500;
/// How long "is writing a reply" shows after the last keystroke signal.
pub const TYPING_SECONDS: i64 = 15;

/// Who may see the ticket an event is about (the fields `Actor::can_read` reads).
#[derive(Debug, Clone)]
pub struct Scope {
    unit_id: String,
    tier: i32,
    escalated: bool,
    classification: Classification,
    assignee_id: Option<String>,
    requester_user_id: Option<String>,
}

impl Scope {
    fn of(t: &Ticket) -> Scope {
        let s = t.scope();
        Scope {
            unit_id: s.unit_id.to_string(),
            tier: s.tier,
            escalated: s.escalated,
            classification: s.classification,
            assignee_id: s.assignee_id.map(str::to_string),
            requester_user_id: s.requester_user_id.map(str::to_string),
        }
    }

    pub fn readable_by(&self, actor: &Actor) -> bool {
        actor.can_read(&TicketScope {
            unit_id: &self.unit_id,
            tier: self.tier,
            escalated: self.escalated,
            classification: self.classification,
            assignee_id: self.assignee_id.as_deref(),
            requester_user_id: self.requester_user_id.as_deref(),
        })
    }
}

/// One change as the pages hear it.
#[derive(Debug, Clone, Serialize)]
pub struct LiveEvent {
    /// `ticket` (something happened to it) or `typing` (someone is writing a reply).
    #[serde(skip)]
    pub channel: &'static str,
    pub number: String,
    /// The audit event's kind (`ticket.created`, `message.added`…); `typing` for typing.
    pub kind: String,
    /// Who did it (a username), when staff did.
    pub actor: Option<String>,
    #[serde(skip)]
    pub scope: Scope,
}

/// The process's broadcaster of changes.
pub struct Hub {
    sender: broadcast::Sender<Arc<LiveEvent>>,
    polling: AtomicBool,
}

impl Default for Hub {
    fn default() -> Self {
        Hub { sender: broadcast::channel(1024).0, polling: AtomicBool::new(false) }
    }
}

impl Hub {
    /// A new listener; starts the poller if it is not running.
    pub fn subscribe(&self, desk: &Desk) -> broadcast::Receiver<Arc<LiveEvent>> {
        let receiver = self.sender.subscribe();
        if !self.polling.swap(true, Ordering::SeqCst) {
            actix_web::rt::spawn(poll(desk.clone()));
        }
        receiver
    }

    pub fn listeners(&self) -> usize {
        self.sender.receiver_count()
    }
}

async fn poll(desk: Desk) {
    let hub = desk.live.clone();
    // What happened before the poller started is old news: the events of the look-back window
    // count as seen (a page opened after a ticket was created must not hear of its creation as
    // a change made since — its reply would ask "changed, send anyway?").
    let start = desk
        .read(|conn| {
            let last = db::last_seq(conn)?;
            let window = db::ticket_events_after(conn, (last - LOOK_BACK).max(0), LOOK_BACK + BATCH)?;
            Ok((last, window.into_iter().map(|(seq, ..)| seq).collect::<BTreeSet<i64>>()))
        })
        .await;
    let (mut last, mut seen) = match start {
        Ok(found) => found,
        Err(e) => {
            tracing::warn!(error = %e, "live console: cannot read the audit log");
            hub.polling.store(false, Ordering::SeqCst);
            return;
        }
    };
    let mut typing_since = desk.now().naive_utc();
    let mut idle = 0;
    loop {
        tokio::time::sleep(POLL).await;
        if hub.listeners() == 0 {
            idle += 1;
            if idle >= IDLE_LOOKS {
                hub.polling.store(false, Ordering::SeqCst);
                // A listener that came in just now keeps it going.
                if hub.listeners() == 0 || hub.polling.swap(true, Ordering::SeqCst) {
                    return;
                }
            }
            continue;
        }
        idle = 0;
        let (from, since) = ((last - LOOK_BACK).max(0), typing_since);
        let read = desk.read(move |conn| changes(conn, from, since)).await;
        let (events, typing) = match read {
            Ok(found) => found,
            Err(e) => {
                tracing::warn!(error = %e, "live console: reading changes failed; retrying");
                continue;
            }
        };
        for (seq, event) in events {
            if seen.insert(seq) {
                last = last.max(seq);
                let _ = hub.sender.send(Arc::new(event));
            }
        }
        while seen.first().is_some_and(|s| *s < last - LOOK_BACK) {
            seen.pop_first();
        }
        for (at, event) in typing {
            typing_since = typing_since.max(at);
            let _ = hub.sender.send(Arc::new(event));
        }
    }
}

type Changes = (Vec<(i64, LiveEvent)>, Vec<(chrono::NaiveDateTime, LiveEvent)>);

fn changes(conn: &mut crate::db::DbConn, from: i64, typing_since: chrono::NaiveDateTime) -> DeskResult<Changes> {
    let mut events = Vec::new();
    let mut tickets: std::collections::HashMap<String, Option<(String, Scope)>> = std::collections::HashMap::new();
    let mut facts = |conn: &mut crate::db::DbConn, id: &str| -> DeskResult<Option<(String, Scope)>> {
        if let Some(known) = tickets.get(id) {
            return Ok(known.clone());
        }
        let found = match crate::db::tickets::by_id(conn, id)? {
            Some(row) => {
                let t = Ticket::load(conn, row)?;
                Some((t.row.number.clone(), Scope::of(&t)))
            }
            None => None,
        };
        tickets.insert(id.to_string(), found.clone());
        Ok(found)
    };
    for (seq, kind, ticket_id, actor_id) in db::ticket_events_after(conn, from, BATCH)? {
        let Some((number, scope)) = facts(conn, &ticket_id)? else { continue };
        let actor = match actor_id {
            Some(id) => crate::db::catalog::user_by_id(conn, &id)?.map(|u| u.username),
            None => None,
        };
        events.push((seq, LiveEvent { channel: "ticket", number, kind, actor, scope }));
    }
    let mut typing = Vec::new();
    for (ticket_id, username, at) in db::typing_since(conn, typing_since)? {
        let Some((number, scope)) = facts(conn, &ticket_id)? else { continue };
        typing.push((at, LiveEvent { channel: "typing", number, kind: "typing".into(), actor: Some(username), scope }));
    }
    Ok((events, typing))
}

/// The viewer says it is writing a reply on the ticket (the page sends this while typing).
pub fn typing(tx: &mut Tx, actor: &Actor, number: &str) -> DeskResult<()> {
    let ticket = visible_ticket(tx.conn, actor, number)?;
    // Internal notes are open to every staff role that writes on the ticket at all.
    if !actor.can_write_messages(&ticket.scope(), true) {
        return Err(DeskError::Forbidden(format!("a {} may not write on this ticket", actor.role)));
    }
    let now = tx.now.naive_utc();
    db::forget_typing(tx.conn, now - chrono::Duration::minutes(10))?;
    db::mark_typing(tx.conn, &ticket.row.id, &actor.user_id, now)?;
    Ok(())
}

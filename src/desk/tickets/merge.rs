//! Merging one report into another (issue 15): one outage reported by mail, Telegram and phone
//! becomes one ticket. The source's messages, files, mail threads, links and followers move to
//! the target, its requester follows the target and is told the number that now carries the
//! case; the source is closed, marked merged. The target's SLA clocks do not change.

use serde_json::json;

use super::{notify_requester, visible_ticket_for_update};
use crate::db::{followers as followers_db, merges as db, tickets as tickets_db};
use crate::desk::view::{utc, Ticket};
use crate::desk::{sla, Desk, DeskError, DeskResult, Tx};
use crate::domain::role::{Actor, Role};
use crate::domain::ticket::{Action, Classification, Kind, Status};

/// What a merge did, for the answer.
#[derive(Debug, Clone)]
pub struct Merged {
    pub source: Ticket,
    pub target: Ticket,
    pub messages: usize,
    pub files: usize,
}

fn still_open(t: &Ticket, which: &str) -> DeskResult<()> {
    if matches!(t.status, Status::Closed | Status::Cancelled) {
        return Err(DeskError::conflict(
            "ticket_closed",
            format!("{which} {} is {}; only tickets still open can be merged", t.row.number, t.status),
        ));
    }
    Ok(())
}

/// Whether the console offers the merge form: staff who may end the ticket, while it is open.
pub fn may_merge(actor: &Actor, t: &Ticket) -> bool {
    actor.role.is_staff()
        && actor.may(&t.scope(), Action::Cancel)
        && !matches!(t.status, Status::Closed | Status::Cancelled)
}

pub fn merge(tx: &mut Tx, desk: &Desk, actor: &Actor, number: &str, into: &str) -> DeskResult<Merged> {
    let into = into.trim();
    if into.is_empty() {
        return Err(DeskError::invalid("into", "the number of the ticket to merge into is required"));
    }
    // Both tickets are looked up (and locked) before anything is said about either, so that
    // a ticket outside the actor's scope answers exactly like one that does not exist.
    let source = visible_ticket_for_update(tx.conn, actor, number)?;
    if into.eq_ignore_ascii_case(&source.row.number) {
        return Err(DeskError::invalid("into", "a ticket cannot be merged into itself"));
    }
    let target = visible_ticket_for_update(tx.conn, actor, into)?;
    if !actor.role.is_staff() || !actor.may(&source.scope(), Action::Cancel) {
        return Err(DeskError::Forbidden(format!("a {} may not merge {}", actor.role, source.row.number)));
    }
    if !actor.can_write_messages(&target.scope(), false) {
        return Err(DeskError::Forbidden(format!("a {} may not write on {}", actor.role, target.row.number)));
    }
    if let Some(already) = db::merged_into(tx.conn, &source.row.id)? {
        return Err(DeskError::conflict(
            "already_merged",
            format!("{} was already merged into {already}", source.row.number),
        ));
    }
    still_open(&source, "ticket")?;
    still_open(&target, "target ticket")?;
    // The source's internal notes and files become the target's: nobody may come to read them
    // who could not before.
    if source.classification == Classification::Confidential && target.classification != Classification::Confidential {
        return Err(DeskError::invalid("into", "a confidential ticket can only be merged into a confidential one"));
    }
    if source.row.unit_id != target.row.unit_id && !matches!(actor.role, Role::AgentT2 | Role::Supervisor | Role::Admin)
    {
        return Err(DeskError::invalid(
            "into",
            "tickets of two units are merged by tier 2 or a supervisor, who see both units' notes",
        ));
    }
    let problem = |t: &Ticket| t.kind == Kind::Problem;
    if problem(&source) != problem(&target) {
        return Err(DeskError::invalid(
            "into",
            "a problem is merged only into a problem, an incident only into a non-problem",
        ));
    }

    let now = tx.now;
    let (messages, files) = db::move_conversation(tx.conn, &source.row.id, &target.row.id)?;
    // Staff find the source's report (and its requester's own messages) on the source, which
    // the target names; copying that text here would put one citizen's words on another's case.
    let pointer = format!("Digabungkan dari {} (laporan dan pesan pelapornya tetap di sana).", source.row.number);
    super::internal_note(tx, &target.row.id, actor, pointer)?;
    db::move_links(tx.conn, &source.row.id, &target.row.id)?;
    followers_db::move_to(tx.conn, &source.row.id, &target.row.id, &target.row.requester_id)?;
    crate::desk::followers::add_requester(tx, &target.row, &source.row.requester_id)?;
    db::record(tx.conn, &source.row.id, &target.row.id, Some(&actor.user_id), now.naive_utc())?;

    // The source ends here: closed, its clocks stopped as on a cancellation.
    let mut row = source.row.clone();
    if let Some(since) = row.pending_since.take() {
        super::add_pause(desk, &mut row, source.priority, utc(since), now);
    }
    row.status = Status::Closed.as_str().into();
    row.active = false;
    row.closed_at = Some(now.naive_utc());
    row.updated_at = now.naive_utc();
    sla::reschedule(tx.conn, &desk.rules(), &mut row, None)?;
    tickets_db::save(tx.conn, &row)?;
    let mut target_row = target.row.clone();
    target_row.updated_at = now.naive_utc();
    tickets_db::save(tx.conn, &target_row)?;

    let facts = json!({ "messages": messages, "attachments": files });
    let mut data = json!({ "into": target.row.number, "from_status": source.status.as_str() });
    data["moved"] = facts.clone();
    tx.record(Some(&row.id), Some(&actor.user_id), "ticket.merged", data)?;
    let mut data = json!({ "from": source.row.number });
    data["moved"] = facts;
    tx.record(Some(&target.row.id), Some(&actor.user_id), "ticket.merged_in", data)?;
    notify_requester(tx, &row, "ticket_merged", json!({ "number": row.number, "into": target.row.number }))?;

    let source = Ticket::load(tx.conn, row)?;
    let target = Ticket::load(tx.conn, target_row)?;
    Ok(Merged { source, target, messages, files })
}

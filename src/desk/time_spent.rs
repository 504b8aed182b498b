//! Time spent (issue 15): an agent records the minutes a reply, a note or an action took. The
//! ticket's view shows the sum (`time_spent_minutes`) and the reports' per-agent table sums
//! each agent's minutes in the period.

use serde_json::json;

use super::{new_id, DeskError, DeskResult, Tx};
use crate::db::time_entries::{self as db, TimeEntryRow};
use crate::domain::role::Actor;

/// One entry at most a working day and a half: more is a typing slip, not work on one step.
pub const MAX_MINUTES: i32 = 720;

/// Refuses minutes that cannot be recorded, before anything is written.
pub fn check(actor: Option<&Actor>, minutes: Option<i32>) -> DeskResult<()> {
    let Some(m) = minutes else { return Ok(()) };
    if !actor.is_some_and(|a| a.role.is_staff()) {
        return Err(DeskError::invalid("minutes", "only staff record time spent"));
    }
    if !(1..=MAX_MINUTES).contains(&m) {
        return Err(DeskError::invalid("minutes", format!("1 to {MAX_MINUTES} minutes")));
    }
    Ok(())
}

/// Records the minutes with what they were spent on (a message, or an action's name).
pub fn record(
    tx: &mut Tx,
    ticket_id: &str,
    actor: &Actor,
    minutes: i32,
    message_id: Option<&str>,
    action: Option<&str>,
) -> DeskResult<()> {
    check(Some(actor), Some(minutes))?;
    db::insert(
        tx.conn,
        &TimeEntryRow {
            id: new_id(),
            ticket_id: ticket_id.to_string(),
            user_id: actor.user_id.clone(),
            minutes,
            message_id: message_id.map(str::to_string),
            action: action.map(str::to_string),
            created_at: tx.now.naive_utc(),
        },
    )?;
    if let Some(action) = action {
        tx.record(
            Some(ticket_id),
            Some(&actor.user_id),
            "time.recorded",
            json!({ "minutes": minutes, "action": action }),
        )?;
    }
    Ok(())
}

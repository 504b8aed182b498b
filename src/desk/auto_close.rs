//! SPEC 2: a resolved ticket becomes closed after 3 business days without a reply
//! (configurable); a reply before that reopens it instead. Run by the scheduler's passes.

use chrono::Duration;
use serde_json::json;

use super::{Desk, DeskResult, Tx};
use crate::db::tickets as db;
use crate::domain::sla::Calendar;

pub const DEFAULT_DAYS: i64 = 3;
/// One working day of `jam-kerja` (SPEC 4: "450 (1 working day)").
pub const WORKING_DAY_MINUTES: i64 = 450;
/// Tickets closed per transaction.
const BATCH: i64 = 500;

/// Closes the resolved tickets whose quiet period has passed; how many.
pub fn close_due(tx: &mut Tx, desk: &Desk) -> DeskResult<usize> {
    let minutes = desk.auto_close_minutes;
    if minutes <= 0 {
        return Ok(0);
    }
    let now = tx.now;
    // Business time never runs faster than the wall clock: only tickets resolved longer ago
    // than `minutes` can be due.
    let candidates = db::resolved_before(tx.conn, (now - Duration::minutes(minutes)).naive_utc(), BATCH)?;
    if candidates.is_empty() {
        return Ok(0);
    }
    let rules = desk.rules();
    let calendar = rules.calendars.find("jam-kerja").cloned().unwrap_or_else(Calendar::jam_kerja);
    let mut closed = 0;
    for mut row in candidates {
        let Some(resolved) = row.resolved_at.map(|t| t.and_utc()) else { continue };
        let due = calendar.add_business_minutes(resolved, minutes).unwrap_or(resolved + Duration::minutes(minutes));
        if due > now {
            continue;
        }
        row.status = "closed".into();
        row.active = false;
        row.closed_at = Some(now.naive_utc());
        row.updated_at = now.naive_utc();
        db::save(tx.conn, &row)?;
        tx.record(
            Some(&row.id),
            None,
            "ticket.closed",
            json!({ "from_status": "resolved", "to_status": "closed", "automatic": true, "quiet_business_minutes": minutes }),
        )?;
        super::tickets::notify_requester(
            tx,
            &row,
            "ticket_status",
            json!({ "number": row.number, "status": "closed" }),
        )?;
        closed += 1;
    }
    Ok(closed)
}

//! The two clocks of a ticket (SPEC section 4): first response and resolution.

use chrono::{DateTime, Utc};

use super::calendar::{Calendar, CalendarError};
use super::policy::Targets;
use crate::domain::string_enum;

string_enum!(
    TargetState {
        Running => "running",
        Paused => "paused",
        Met => "met",
        Breached => "breached",
    }
);

/// One target as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetStatus {
    pub due: DateTime<Utc>,
    pub state: TargetState,
    /// Business minutes left (negative once overdue) while the clock runs or is paused;
    /// `None` once the target is met or missed for good.
    pub remaining_minutes: Option<i64>,
}

/// Due times from the creation instant, the targets and the business time spent paused.
/// Priority changes call this again with the new targets, keeping the pauses.
pub fn due_times(
    calendar: &Calendar,
    targets: &Targets,
    created_at: DateTime<Utc>,
    paused_seconds: i64,
) -> Result<(DateTime<Utc>, DateTime<Utc>), CalendarError> {
    let first_response = calendar.add_business_minutes(created_at, targets.first_response_minutes)?;
    let resolution = calendar.add_business_seconds(created_at, targets.resolution_minutes * 60 + paused_seconds)?;
    Ok((first_response, resolution))
}

fn remaining(calendar: &Calendar, from: DateTime<Utc>, due: DateTime<Utc>) -> i64 {
    if from <= due {
        calendar.business_seconds_between(from, due) / 60
    } else {
        -(calendar.business_seconds_between(due, from) / 60)
    }
}

/// `stopped_at` is when the clock stopped for good (first reply, or resolution, or cancellation).
pub fn first_response_status(
    calendar: &Calendar,
    due: DateTime<Utc>,
    stopped_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> TargetStatus {
    match stopped_at {
        Some(at) => TargetStatus {
            due,
            state: if at <= due { TargetState::Met } else { TargetState::Breached },
            remaining_minutes: None,
        },
        None => TargetStatus {
            due,
            state: if now <= due { TargetState::Running } else { TargetState::Breached },
            remaining_minutes: Some(remaining(calendar, now, due)),
        },
    }
}

/// The resolution clock: stopped when resolved (or cancelled), paused while pending.
pub fn resolution_status(
    calendar: &Calendar,
    due: DateTime<Utc>,
    stopped_at: Option<DateTime<Utc>>,
    pending_since: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> TargetStatus {
    if let Some(at) = stopped_at {
        return TargetStatus {
            due,
            state: if at <= due { TargetState::Met } else { TargetState::Breached },
            remaining_minutes: None,
        };
    }
    if let Some(since) = pending_since {
        // While pending the due time moves with the pause; what is left is fixed at the
        // moment the clock stopped.
        return TargetStatus {
            due,
            state: if since <= due { TargetState::Paused } else { TargetState::Breached },
            remaining_minutes: Some(remaining(calendar, since, due)),
        };
    }
    TargetStatus {
        due,
        state: if now <= due { TargetState::Running } else { TargetState::Breached },
        remaining_minutes: Some(remaining(calendar, now, due)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).expect("time").with_timezone(&Utc)
    }

    #[test]
    fn running_paused_met_breached() {
        let cal = Calendar::jam_kerja();
        let due = at("2026-11-24T08:00:00+07:00");
        let now = at("2026-11-23T15:00:00+07:00");
        let running = resolution_status(&cal, due, None, None, now);
        assert_eq!(running.state, TargetState::Running);
        assert_eq!(running.remaining_minutes, Some(60 + 30));
        let paused = resolution_status(&cal, due, None, Some(now), at("2026-11-30T10:00:00+07:00"));
        assert_eq!(paused.state, TargetState::Paused);
        assert_eq!(paused.remaining_minutes, Some(90));
        let met = resolution_status(&cal, due, Some(now), None, now);
        assert_eq!(met.state, TargetState::Met);
        let late = first_response_status(&cal, due, None, at("2026-11-24T09:00:00+07:00"));
        assert_eq!(late.state, TargetState::Breached);
        assert_eq!(late.remaining_minutes, Some(-60));
    }
}

//! Warning thresholds and breaches: the instants at which a ticket's clocks cross them, and
//! which of them are due. Pure: the scheduler supplies what already fired and the time.

use chrono::{DateTime, Utc};

use super::calendar::{Calendar, CalendarError};
use crate::domain::string_enum;

string_enum!(
    SlaTarget {
        FirstResponse => "first_response",
        Resolution => "resolution",
    }
);

/// The percentage of a target that is its breach.
pub const BREACH: u32 = 100;

/// One threshold of one target: `percent` < 100 is a warning, 100 the breach.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Threshold {
    pub target: SlaTarget,
    pub percent: u32,
    pub at: DateTime<Utc>,
}

impl Threshold {
    pub fn is_breach(&self) -> bool {
        self.percent >= BREACH
    }
}

/// A ticket's clocks as stored. A stopped clock (met, or the ticket closed) and a paused one
/// (pending, resolution only) fire nothing.
#[derive(Debug, Clone, Copy)]
pub struct ClockInputs {
    pub created_at: DateTime<Utc>,
    pub first_response_due: DateTime<Utc>,
    pub resolution_due: DateTime<Utc>,
    /// Business seconds the resolution clock has spent paused so far (already in its due time).
    pub paused_seconds: i64,
    pub first_response_running: bool,
    pub resolution_running: bool,
}

/// Every threshold of the running clocks, earliest first. The breach is the stored due time
/// (so a later policy edit never moves an open ticket's deadline behind its back); a warning at
/// p% is the instant when p% of the target's business time has been used, pauses excluded.
pub fn thresholds(
    calendar: &Calendar,
    warn_percents: &[u32],
    clocks: &ClockInputs,
) -> Result<Vec<Threshold>, CalendarError> {
    let mut out = Vec::with_capacity(2 * (warn_percents.len() + 1));
    let mut add = |target: SlaTarget, due: DateTime<Utc>, paused: i64| -> Result<(), CalendarError> {
        let budget = (calendar.business_seconds_between(clocks.created_at, due) - paused).max(0);
        for &percent in warn_percents.iter().filter(|p| **p < BREACH) {
            let seconds = budget * i64::from(percent) / 100 + paused;
            out.push(Threshold { target, percent, at: calendar.add_business_seconds(clocks.created_at, seconds)? });
        }
        out.push(Threshold { target, percent: BREACH, at: due });
        Ok(())
    };
    if clocks.first_response_running {
        add(SlaTarget::FirstResponse, clocks.first_response_due, 0)?;
    }
    if clocks.resolution_running {
        add(SlaTarget::Resolution, clocks.resolution_due, clocks.paused_seconds)?;
    }
    out.sort_by_key(|t| (t.at, t.percent));
    Ok(out)
}

/// What the scheduler does with a ticket now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// Crossed and not yet fired, earliest first.
    pub fire: Vec<Threshold>,
    /// When to look again: the earliest threshold neither fired nor crossed.
    pub next_at: Option<DateTime<Utc>>,
}

pub fn plan(all: &[Threshold], fired: &[(SlaTarget, u32)], now: DateTime<Utc>) -> Plan {
    let open = all.iter().filter(|t| !fired.contains(&(t.target, t.percent)));
    let (fire, later): (Vec<Threshold>, Vec<Threshold>) = open.partition(|t| t.at <= now);
    Plan { fire, next_at: later.iter().map(|t| t.at).min() }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::sla::clock::due_times;
    use crate::domain::sla::policy::Policy;
    use crate::domain::ticket::Priority;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).expect("time").with_timezone(&Utc)
    }

    fn p4_clocks(paused_seconds: i64, first: bool, resolution: bool) -> ClockInputs {
        let created_at = at("2026-11-23T08:00:00+07:00");
        let policy = Policy::default();
        let (first_response_due, resolution_due) =
            due_times(&Calendar::jam_kerja(), policy.targets(Priority::P4), created_at, paused_seconds).expect("due");
        ClockInputs {
            created_at,
            first_response_due,
            resolution_due,
            paused_seconds,
            first_response_running: first,
            resolution_running: resolution,
        }
    }

    #[test]
    fn thresholds_of_a_p4_ticket() {
        let policy = Policy::default();
        let t = thresholds(&Calendar::jam_kerja(), &policy.p4.warn_percents, &p4_clocks(0, true, true)).expect("ok");
        let first: Vec<_> =
            t.iter().filter(|x| x.target == SlaTarget::FirstResponse).map(|x| (x.percent, x.at)).collect();
        // 450 minutes: 75% = 337.5 min from Mon 08:00 = Mon 14:37:30; 90% = 405 = Mon 15:45;
        // breach = Tue 08:00.
        assert_eq!(
            first,
            vec![
                (75, at("2026-11-23T14:37:30+07:00")),
                (90, at("2026-11-23T15:45:00+07:00")),
                (100, at("2026-11-24T08:00:00+07:00")),
            ]
        );
        assert_eq!(t.len(), 6);
        assert!(t.windows(2).all(|w| w[0].at <= w[1].at));
    }

    #[test]
    fn plan_fires_crossed_unfired_thresholds_once() {
        let policy = Policy::default();
        let all = thresholds(&Calendar::jam_kerja(), &policy.p4.warn_percents, &p4_clocks(0, true, false)).expect("ok");
        let now = at("2026-11-23T15:50:00+07:00");
        let p = plan(&all, &[], now);
        assert_eq!(p.fire.iter().map(|t| t.percent).collect::<Vec<_>>(), vec![75, 90]);
        assert_eq!(p.next_at, Some(at("2026-11-24T08:00:00+07:00")));
        let again = plan(&all, &[(SlaTarget::FirstResponse, 75), (SlaTarget::FirstResponse, 90)], now);
        assert!(again.fire.is_empty());
        assert_eq!(again.next_at, Some(at("2026-11-24T08:00:00+07:00")));
        let done = plan(
            &all,
            &[(SlaTarget::FirstResponse, 75), (SlaTarget::FirstResponse, 90), (SlaTarget::FirstResponse, 100)],
            now,
        );
        assert_eq!(done, Plan { fire: vec![], next_at: None });
    }

    #[test]
    fn pauses_move_resolution_thresholds() {
        let policy = Policy::default();
        let cal = Calendar::jam_kerja();
        let paused = 450 * 60;
        let all = thresholds(&cal, &policy.p4.warn_percents, &p4_clocks(paused, false, true)).expect("ok");
        let breach = all.iter().find(|t| t.is_breach()).expect("breach");
        // Five working days plus one of pause from Mon 08:00: Tue of the next week, 08:00.
        assert_eq!(breach.at, at("2026-12-01T08:00:00+07:00"));
        assert!(thresholds(&cal, &policy.p4.warn_percents, &p4_clocks(0, false, false)).expect("ok").is_empty());
    }
}

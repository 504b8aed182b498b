//! Status gangguan: the state of a service on the public status page, what counts as downtime,
//! and when monitoring reuses the ticket it opened before. Perwal Semarang 27/2021 Pasal 39(3)d
//! gives the desk the duty to "memantau dan menginformasikan status gangguan".

use chrono::{Duration, NaiveDateTime};

use super::string_enum;

string_enum! {
    /// What a declared disruption is: an outage of part or all of a service, or planned work.
    DisruptionState {
        PartialOutage => "partial_outage",
        MajorOutage => "major_outage",
        Maintenance => "maintenance",
    }
}

string_enum! {
    /// A service as the status page shows it.
    ServiceState {
        Normal => "normal",
        Maintenance => "maintenance",
        PartialOutage => "partial_outage",
        MajorOutage => "major_outage",
    }
}

impl From<DisruptionState> for ServiceState {
    fn from(s: DisruptionState) -> Self {
        match s {
            DisruptionState::PartialOutage => ServiceState::PartialOutage,
            DisruptionState::MajorOutage => ServiceState::MajorOutage,
            DisruptionState::Maintenance => ServiceState::Maintenance,
        }
    }
}

impl ServiceState {
    /// Higher is worse: a service under maintenance that also fails shows the failure.
    pub fn severity(self) -> u8 {
        match self {
            ServiceState::Normal => 0,
            ServiceState::Maintenance => 1,
            ServiceState::PartialOutage => 2,
            ServiceState::MajorOutage => 3,
        }
    }

    /// The words the status page uses (`id` unless `en`).
    pub fn label(self, language: &str) -> &'static str {
        match (self, language == "en") {
            (ServiceState::Normal, false) => "normal",
            (ServiceState::Normal, true) => "operational",
            (ServiceState::Maintenance, false) => "pemeliharaan",
            (ServiceState::Maintenance, true) => "maintenance",
            (ServiceState::PartialOutage, false) => "gangguan sebagian",
            (ServiceState::PartialOutage, true) => "partial outage",
            (ServiceState::MajorOutage, false) => "gangguan",
            (ServiceState::MajorOutage, true) => "major outage",
        }
    }
}

/// When a disruption stops counting: when it was ended, or a maintenance window's planned end
/// (planned work is over when its window is, unless staff end it earlier). An outage without
/// an end is still going on.
pub fn effective_end(
    state: DisruptionState,
    planned_end: Option<NaiveDateTime>,
    ended: Option<NaiveDateTime>,
) -> Option<NaiveDateTime> {
    match (ended, state) {
        (Some(e), _) => Some(e),
        (None, DisruptionState::Maintenance) => planned_end,
        (None, _) => None,
    }
}

/// Whether a disruption affects its service at `now`.
pub fn is_current(starts: NaiveDateTime, end: Option<NaiveDateTime>, now: NaiveDateTime) -> bool {
    starts <= now && end.is_none_or(|e| e > now)
}

/// Seconds of `[starts, end or now)` that fall inside `[from, to)`.
pub fn seconds_within(
    starts: NaiveDateTime,
    end: Option<NaiveDateTime>,
    from: NaiveDateTime,
    to: NaiveDateTime,
) -> i64 {
    let end = end.unwrap_or(to).min(to);
    let start = starts.max(from);
    (end - start).num_seconds().max(0)
}

/// Share of a window the service was up, in percent with two decimals. Outages (partial or
/// major) count as down; announced maintenance does not, as status pages commonly treat it.
pub fn uptime_percent(down_seconds: i64, window: Duration) -> f64 {
    let total = window.num_seconds().max(1) as f64;
    let up = (total - down_seconds.clamp(0, window.num_seconds()) as f64) / total * 100.0;
    (up * 100.0).floor() / 100.0
}

/// Whether two windows `[a_start, a_end)` and `[b_start, b_end)` share a moment.
pub fn overlaps(a_start: NaiveDateTime, a_end: NaiveDateTime, b_start: NaiveDateTime, b_end: NaiveDateTime) -> bool {
    a_start < b_end && b_start < a_end
}

/// One service's disruptions in a period (report section 7, dashboard).
#[derive(Debug, Clone, serde::Serialize, PartialEq, Eq)]
pub struct ServiceDisruptions {
    pub service: String,
    pub name: String,
    pub unit: String,
    pub disruptions: i64,
    /// Minutes of partial or major outage within the period.
    pub outage_minutes: i64,
    pub maintenance_minutes: i64,
    /// Tickets linked as incidents to the disruptions' problems.
    pub linked_tickets: i64,
}

/// What a firing alert does with the problem ticket monitoring opened for its service before.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlertTicket {
    /// The ticket is still being worked: note the alert on it.
    Note,
    /// It was resolved within the quiet period (a flapping alert): reopen it.
    Reopen,
    /// It is over (closed, cancelled, or resolved long ago): open a new one.
    New,
}

/// `status` is the ticket's status, `resolved_at` when it was resolved.
pub fn alert_ticket_choice(
    status: &str,
    resolved_at: Option<NaiveDateTime>,
    now: NaiveDateTime,
    quiet: Duration,
) -> AlertTicket {
    match status {
        "new" | "open" | "pending" => AlertTicket::Note,
        "resolved" if resolved_at.is_some_and(|r| now - r < quiet) => AlertTicket::Reopen,
        _ => AlertTicket::New,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn at(day: u32, hour: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 11, day).and_then(|d| d.and_hms_opt(hour, 0, 0)).expect("a November day")
    }

    #[test]
    fn a_maintenance_window_ends_at_its_planned_end_an_outage_only_when_ended() {
        let planned = Some(at(2, 6));
        assert_eq!(effective_end(DisruptionState::Maintenance, planned, None), planned);
        assert_eq!(effective_end(DisruptionState::MajorOutage, planned, None), None);
        assert_eq!(effective_end(DisruptionState::MajorOutage, planned, Some(at(2, 3))), Some(at(2, 3)));
        assert!(is_current(at(2, 0), None, at(5, 0)));
        assert!(!is_current(at(2, 0), planned, at(2, 6)), "the end is exclusive");
        assert!(!is_current(at(6, 0), None, at(5, 0)), "an announced window has not begun");
    }

    #[test]
    fn downtime_is_clipped_to_the_window_and_uptime_rounds_down() {
        assert_eq!(seconds_within(at(1, 0), Some(at(1, 2)), at(1, 1), at(3, 0)), 3600);
        assert_eq!(seconds_within(at(2, 0), None, at(1, 0), at(2, 3)), 3 * 3600);
        assert_eq!(seconds_within(at(4, 0), Some(at(4, 1)), at(1, 0), at(3, 0)), 0);
        assert_eq!(uptime_percent(0, Duration::days(90)), 100.0);
        // One hour in 90 days is 99.9537…%: shown as 99.95, never rounded up to 100.
        assert_eq!(uptime_percent(3600, Duration::days(90)), 99.95);
        assert_eq!(uptime_percent(10 * 86_400 * 90, Duration::days(90)), 0.0);
    }

    #[test]
    fn windows_that_touch_do_not_overlap() {
        assert!(overlaps(at(1, 0), at(1, 4), at(1, 3), at(1, 5)));
        assert!(!overlaps(at(1, 0), at(1, 4), at(1, 4), at(1, 5)));
    }

    #[test]
    fn a_flapping_alert_reuses_the_ticket() {
        let quiet = Duration::minutes(30);
        assert_eq!(alert_ticket_choice("open", None, at(1, 0), quiet), AlertTicket::Note);
        let resolved = at(1, 0);
        assert_eq!(
            alert_ticket_choice("resolved", Some(resolved), resolved + Duration::minutes(10), quiet),
            AlertTicket::Reopen
        );
        assert_eq!(
            alert_ticket_choice("resolved", Some(resolved), resolved + Duration::minutes(31), quiet),
            AlertTicket::New
        );
        assert_eq!(alert_ticket_choice("closed", Some(resolved), resolved, quiet), AlertTicket::New);
    }

    #[test]
    fn the_worst_state_shows() {
        let worst = [ServiceState::Maintenance, ServiceState::MajorOutage, ServiceState::PartialOutage]
            .into_iter()
            .max_by_key(|s| s.severity());
        assert_eq!(worst, Some(ServiceState::MajorOutage));
        assert_eq!(ServiceState::PartialOutage.label("id"), "gangguan sebagian");
    }
}

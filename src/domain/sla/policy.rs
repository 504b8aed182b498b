//! SLA policy: per priority, the targets, the calendar they count in, the warning thresholds
//! and what a breach does (SPEC section 4, default table).

use std::collections::HashMap;

use super::calendar::Calendar;
use crate::domain::ticket::Priority;

/// The policy of one priority.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Targets {
    pub first_response_minutes: i64,
    pub resolution_minutes: i64,
    pub calendar: String,
    /// Percentages of a target at which a warning fires, ascending, each in 1..=99.
    pub warn_percents: Vec<u32>,
    /// A breach also notifies the head of the ticket's unit.
    pub notify_unit_head: bool,
    /// A resolution breach moves a tier-1 ticket to tier 2.
    pub escalate_to_tier2: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    pub p1: Targets,
    pub p2: Targets,
    pub p3: Targets,
    pub p4: Targets,
}

fn targets(first_response_minutes: i64, resolution_minutes: i64, calendar: &str, escalate: bool) -> Targets {
    Targets {
        first_response_minutes,
        resolution_minutes,
        calendar: calendar.to_string(),
        warn_percents: vec![75, 90],
        notify_unit_head: true,
        escalate_to_tier2: escalate,
    }
}

impl Default for Policy {
    /// SPEC's table. Breaches of P1/P2 resolution go to tier 2 automatically; P3/P4 breaches
    /// stay with the unit (its head is told) so that tier 2 is not flooded with routine work.
    fn default() -> Self {
        Policy {
            p1: targets(30, 240, "24x7", true),
            p2: targets(60, 900, "jam-kerja", true),
            p3: targets(240, 1350, "jam-kerja", false),
            p4: targets(450, 2250, "jam-kerja", false),
        }
    }
}

impl Policy {
    pub fn targets(&self, priority: Priority) -> &Targets {
        match priority {
            Priority::P1 => &self.p1,
            Priority::P2 => &self.p2,
            Priority::P3 => &self.p3,
            Priority::P4 => &self.p4,
        }
    }

    pub fn targets_mut(&mut self, priority: Priority) -> &mut Targets {
        match priority {
            Priority::P1 => &mut self.p1,
            Priority::P2 => &mut self.p2,
            Priority::P3 => &mut self.p3,
            Priority::P4 => &mut self.p4,
        }
    }
}

/// Parses "75,90" into ascending, distinct percentages in 1..=99.
pub fn parse_warn_percents(text: &str) -> Result<Vec<u32>, String> {
    let mut out = Vec::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let p: u32 = part.parse().map_err(|_| format!("{part:?} is not a whole percentage"))?;
        if !(1..=99).contains(&p) {
            return Err(format!("{p} is outside 1..99 (100 is the breach itself)"));
        }
        out.push(p);
    }
    out.sort_unstable();
    out.dedup();
    Ok(out)
}

pub fn format_warn_percents(percents: &[u32]) -> String {
    percents.iter().map(u32::to_string).collect::<Vec<_>>().join(",")
}

/// The calendars by name, as loaded from the database.
#[derive(Debug, Clone)]
pub struct Calendars {
    by_name: HashMap<String, Calendar>,
}

impl Default for Calendars {
    /// The two built-in calendars without holidays: what a fresh database holds.
    fn default() -> Self {
        Calendars::new(vec![Calendar::jam_kerja(), Calendar::twenty_four_seven()])
    }
}

impl Calendars {
    pub fn new(calendars: Vec<Calendar>) -> Self {
        Calendars { by_name: calendars.into_iter().map(|c| (c.name.clone(), c)).collect() }
    }

    pub fn find(&self, name: &str) -> Option<&Calendar> {
        self.by_name.get(name)
    }

    pub fn names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.by_name.keys().map(String::as_str).collect();
        names.sort_unstable();
        names
    }
}

/// The policy and the calendars it refers to: everything an SLA computation needs.
#[derive(Debug, Clone, Default)]
pub struct SlaRules {
    pub policy: Policy,
    pub calendars: Calendars,
}

impl SlaRules {
    /// The targets of a priority and their calendar. A policy names a calendar the database
    /// guarantees exists (foreign key); the built-in `jam-kerja` is the fallback if a snapshot
    /// is ever inconsistent.
    pub fn for_priority(&self, priority: Priority) -> (&Targets, std::borrow::Cow<'_, Calendar>) {
        let targets = self.policy.targets(priority);
        let calendar = match self.calendars.find(&targets.calendar) {
            Some(c) => std::borrow::Cow::Borrowed(c),
            None => std::borrow::Cow::Owned(Calendar::jam_kerja()),
        };
        (targets, calendar)
    }

    /// The calendars the policy counts in that have closing time (a round-the-clock calendar
    /// has no holidays to miss) and not one holiday in `year`: their deadlines would run
    /// through Idul Fitri and the cuti bersama.
    pub fn calendars_without_holidays(&self, year: i32) -> Vec<String> {
        use chrono::Datelike;
        let mut names: Vec<String> = Vec::new();
        for priority in [Priority::P1, Priority::P2, Priority::P3, Priority::P4] {
            let (_, calendar) = self.for_priority(priority);
            let round_the_clock =
                calendar.week.iter().all(|day| day.iter().map(|i| i.end - i.start).sum::<u32>() >= 24 * 3600);
            let has_year = calendar.holidays.iter().any(|d| d.year() == year);
            if !round_the_clock && !has_year && !names.contains(&calendar.name) {
                names.push(calendar.name.clone());
            }
        }
        names
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_working_calendar_without_next_years_holidays_is_named() {
        let mut rules = SlaRules::default();
        assert_eq!(rules.calendars_without_holidays(2027), vec!["jam-kerja".to_string()], "24x7 is never named");
        let mut calendar = Calendar::jam_kerja();
        calendar.holidays.insert(chrono::NaiveDate::from_ymd_opt(2027, 1, 1).expect("date"));
        rules.calendars = Calendars::new(vec![calendar, Calendar::twenty_four_seven()]);
        assert!(rules.calendars_without_holidays(2027).is_empty());
        assert_eq!(rules.calendars_without_holidays(2028), vec!["jam-kerja".to_string()]);
    }

    #[test]
    fn warn_percents_parse_and_reject() {
        assert_eq!(parse_warn_percents("90, 75,75"), Ok(vec![75, 90]));
        assert_eq!(parse_warn_percents(""), Ok(vec![]));
        assert!(parse_warn_percents("100").is_err());
        assert!(parse_warn_percents("0").is_err());
        assert!(parse_warn_percents("x").is_err());
        assert_eq!(format_warn_percents(&[75, 90]), "75,90");
    }
}

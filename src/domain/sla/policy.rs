//! SLA targets per priority (SPEC section 4, default table).

use super::calendar::Calendar;
use crate::domain::ticket::Priority;

/// Business-minute targets for one priority and the calendar they are counted in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Targets {
    pub first_response_minutes: i64,
    pub resolution_minutes: i64,
    pub calendar: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    pub p1: Targets,
    pub p2: Targets,
    pub p3: Targets,
    pub p4: Targets,
}

fn targets(first_response_minutes: i64, resolution_minutes: i64, calendar: &str) -> Targets {
    Targets { first_response_minutes, resolution_minutes, calendar: calendar.to_string() }
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            p1: targets(30, 240, "24x7"),
            p2: targets(60, 900, "jam-kerja"),
            p3: targets(240, 1350, "jam-kerja"),
            p4: targets(450, 2250, "jam-kerja"),
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
}

/// The calendars a policy refers to. Until calendars are editable in the database these are
/// the two built-in ones.
#[derive(Debug, Clone)]
pub struct Calendars {
    pub jam_kerja: Calendar,
    pub round_the_clock: Calendar,
}

impl Default for Calendars {
    fn default() -> Self {
        Calendars { jam_kerja: Calendar::jam_kerja(), round_the_clock: Calendar::twenty_four_seven() }
    }
}

impl Calendars {
    pub fn get(&self, name: &str) -> &Calendar {
        if name == self.round_the_clock.name {
            &self.round_the_clock
        } else {
            &self.jam_kerja
        }
    }
}

//! SLA arithmetic (SPEC section 4): business calendars, targets per priority, ticket clocks,
//! warning thresholds and breaches, holiday lists from CSV and iCalendar.

pub mod alerts;
pub mod calendar;
pub mod clock;
pub mod holidays;
pub mod policy;

pub use alerts::SlaTarget;
pub use calendar::Calendar;
pub use clock::{TargetState, TargetStatus};
pub use policy::{Calendars, Policy, SlaRules, Targets};

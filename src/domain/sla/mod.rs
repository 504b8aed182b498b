//! SLA arithmetic (SPEC section 4): business calendars, targets per priority, ticket clocks.

pub mod calendar;
pub mod clock;
pub mod policy;

pub use calendar::Calendar;
pub use clock::{TargetState, TargetStatus};
pub use policy::{Calendars, Policy, Targets};

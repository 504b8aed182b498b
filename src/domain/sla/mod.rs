//! SLA arithmetic (SPEC section 4): business calendars and the targets per priority.

pub mod calendar;
pub mod policy;

pub use calendar::Calendar;
pub use policy::{Calendars, Policy, Targets};

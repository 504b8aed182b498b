//! The civil-service calendar out of the box. The national holidays and cuti bersama of the
//! joint decree (SKB 3 Menteri) for every year already decided are shipped as data
//! (`data/holidays/nasional.csv`, with its source) and loaded into `jam-kerja` and the other
//! working-hours calendars by a migration; an operator still edits them (a later decree, a date
//! moved by the sidang isbat). From November on, a working-hours calendar the SLA policy counts
//! in that has no holiday in the coming year is named on the supervisor's dashboard and in the
//! log (once a day per process): otherwise every deadline would run through Idul Fitri.

use chrono::{Datelike, NaiveDate};

use super::Desk;

/// The coming year and the calendars without a holiday in it, from November on.
pub fn missing_next_year(desk: &Desk) -> Option<(i32, Vec<String>)> {
    let local = desk.now().with_timezone(&desk.zone);
    if local.month() < 11 {
        return None;
    }
    let year = local.year() + 1;
    let names = desk.rules().calendars_without_holidays(year);
    (!names.is_empty()).then_some((year, names))
}

/// Logs [`missing_next_year`] at most once a day in this process (called by every scheduler pass).
pub fn warn_daily(desk: &Desk) {
    let Some((year, calendars)) = missing_next_year(desk) else { return };
    let today: NaiveDate = desk.now().with_timezone(&desk.zone).date_naive();
    let Ok(mut last) = desk.holiday_warned_on.lock() else { return };
    if *last == Some(today) {
        return;
    }
    *last = Some(today);
    tracing::warn!(
        year,
        calendars = %calendars.join(", "),
        "no holidays registered for the coming year: deadlines will run through the national holidays and cuti bersama; \
         add them when the SKB 3 Menteri is out (meja calendar holiday import --calendar NAME FILE.csv)"
    );
}

//! Business calendars: weekly working intervals in a time zone, minus holidays.
//!
//! The arithmetic walks days and intervals, never minutes, so a five-day target costs a handful
//! of steps. Everything is exact to the second; SPEC's examples are in minutes.

use std::collections::BTreeSet;

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeZone, Timelike, Utc};
use chrono_tz::Tz;

const SECONDS_PER_DAY: u32 = 86_400;
/// A calendar with no working time at all would walk forever; give up after ten years.
const MAX_DAYS_WALKED: u32 = 3_660;

/// A working interval within one day, in seconds after local midnight, `start < end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Interval {
    pub start: u32,
    pub end: u32,
}

impl Interval {
    /// `Interval::hm((7, 30), (12, 0))` is 07:30–12:00.
    pub const fn hm(start: (u32, u32), end: (u32, u32)) -> Self {
        Interval { start: start.0 * 3600 + start.1 * 60, end: end.0 * 3600 + end.1 * 60 }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Calendar {
    pub name: String,
    pub zone: Tz,
    /// Monday first; each day's intervals sorted and disjoint.
    pub week: [Vec<Interval>; 7],
    pub holidays: BTreeSet<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    #[error("calendar {0} has no working time within ten years")]
    NoWorkingTime(String),
}

impl Calendar {
    /// Civil-service hours (Perpres 21/2023: 37.5 hours a week from 07:30), WIB:
    /// Mon–Thu 07:30–12:00 and 13:00–16:00; Fri 07:30–11:30 and 13:00–16:30.
    pub fn jam_kerja() -> Self {
        let mon_thu = vec![Interval::hm((7, 30), (12, 0)), Interval::hm((13, 0), (16, 0))];
        let fri = vec![Interval::hm((7, 30), (11, 30)), Interval::hm((13, 0), (16, 30))];
        Calendar {
            name: "jam-kerja".into(),
            zone: chrono_tz::Asia::Jakarta,
            week: [mon_thu.clone(), mon_thu.clone(), mon_thu.clone(), mon_thu, fri, vec![], vec![]],
            holidays: BTreeSet::new(),
        }
    }

    /// Round the clock, every day: for P1 incidents.
    pub fn twenty_four_seven() -> Self {
        let all_day = vec![Interval { start: 0, end: SECONDS_PER_DAY }];
        Calendar {
            name: "24x7".into(),
            zone: chrono_tz::Asia::Jakarta,
            week: std::array::from_fn(|_| all_day.clone()),
            holidays: BTreeSet::new(),
        }
    }

    fn intervals_on(&self, date: NaiveDate) -> &[Interval] {
        if self.holidays.contains(&date) {
            &[]
        } else {
            &self.week[date.weekday().num_days_from_monday() as usize]
        }
    }

    fn to_local(&self, at: DateTime<Utc>) -> (NaiveDate, u32, u32) {
        let local = at.with_timezone(&self.zone).naive_local();
        let secs = local.time().num_seconds_from_midnight();
        (local.date(), secs, local.time().nanosecond())
    }

    fn to_utc(&self, date: NaiveDate, secs: u32, nanos: u32) -> DateTime<Utc> {
        let midnight = NaiveDateTime::new(date, NaiveTime::MIN);
        let local = midnight + Duration::seconds(i64::from(secs)) + Duration::nanoseconds(i64::from(nanos));
        match self.zone.from_local_datetime(&local) {
            chrono::LocalResult::Single(t) | chrono::LocalResult::Ambiguous(t, _) => t.with_timezone(&Utc),
            // A local time skipped by a DST jump: count it from the UTC offset before the jump.
            chrono::LocalResult::None => {
                let offset = self.zone.offset_from_utc_datetime(&local);
                (local - Duration::seconds(i64::from(offset.fix().local_minus_utc()))).and_utc()
            }
        }
    }

    /// The instant `seconds` of business time after `start`. A due time that falls on the end
    /// of a working interval is that end, not the start of the next one.
    pub fn add_business_seconds(&self, start: DateTime<Utc>, seconds: i64) -> Result<DateTime<Utc>, CalendarError> {
        if seconds <= 0 {
            return Ok(start);
        }
        let (mut date, mut cursor, mut nanos) = self.to_local(start);
        let mut remaining = seconds as u64;
        for _ in 0..MAX_DAYS_WALKED {
            for iv in self.intervals_on(date) {
                if cursor >= iv.end {
                    continue;
                }
                if cursor < iv.start {
                    // Waiting for the interval to open drops the sub-second part of the start.
                    cursor = iv.start;
                    nanos = 0;
                }
                let available = u64::from(iv.end - cursor);
                if remaining <= available {
                    return Ok(self.to_utc(date, cursor + remaining as u32, nanos));
                }
                remaining -= available;
                cursor = iv.end;
            }
            date = date.succ_opt().ok_or_else(|| CalendarError::NoWorkingTime(self.name.clone()))?;
            cursor = 0;
            nanos = 0;
        }
        Err(CalendarError::NoWorkingTime(self.name.clone()))
    }

    pub fn add_business_minutes(&self, start: DateTime<Utc>, minutes: i64) -> Result<DateTime<Utc>, CalendarError> {
        self.add_business_seconds(start, minutes.saturating_mul(60))
    }

    /// Business seconds in `[from, to)`; zero when `to <= from`.
    pub fn business_seconds_between(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> i64 {
        if to <= from {
            return 0;
        }
        let (mut date, mut cursor, _) = self.to_local(from);
        let (end_date, end_secs, _) = self.to_local(to);
        let mut total: i64 = 0;
        while date <= end_date {
            let limit = if date == end_date { end_secs } else { SECONDS_PER_DAY };
            for iv in self.intervals_on(date) {
                let lo = iv.start.max(cursor);
                let hi = iv.end.min(limit);
                if hi > lo {
                    total += i64::from(hi - lo);
                }
            }
            match date.succ_opt() {
                Some(next) => date = next,
                None => break,
            }
            cursor = 0;
        }
        total
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::FixedOffset;

    fn wib(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).expect("valid RFC3339").with_timezone(&Utc)
    }

    fn due(cal: &Calendar, start: &str, minutes: i64) -> String {
        let at = cal.add_business_minutes(wib(start), minutes).expect("due time");
        let offset = FixedOffset::east_opt(7 * 3600).expect("offset");
        at.with_timezone(&offset).to_rfc3339()
    }

    #[test]
    fn spec_worked_examples() {
        let cal = Calendar::jam_kerja();
        let cases = [
            ("2026-11-23T08:00:00+07:00", 60, "2026-11-23T09:00:00+07:00"),
            ("2026-11-23T11:30:00+07:00", 60, "2026-11-23T13:30:00+07:00"),
            ("2026-11-27T16:00:00+07:00", 60, "2026-11-30T08:00:00+07:00"),
            ("2026-11-28T10:00:00+07:00", 30, "2026-11-30T08:00:00+07:00"),
            ("2026-11-23T06:00:00+07:00", 30, "2026-11-23T08:00:00+07:00"),
            ("2026-11-26T15:30:00+07:00", 60, "2026-11-27T08:00:00+07:00"),
        ];
        for (start, minutes, want) in cases {
            assert_eq!(due(&cal, start, minutes), want, "{start} + {minutes}");
        }
    }

    #[test]
    fn holiday_is_skipped() {
        let mut cal = Calendar::jam_kerja();
        cal.holidays.insert(NaiveDate::from_ymd_opt(2026, 12, 25).expect("date"));
        assert_eq!(due(&cal, "2026-12-24T15:00:00+07:00", 450), "2026-12-28T15:00:00+07:00");
    }

    #[test]
    fn due_at_end_of_interval_is_that_end() {
        let cal = Calendar::jam_kerja();
        assert_eq!(due(&cal, "2026-11-23T07:30:00+07:00", 270), "2026-11-23T12:00:00+07:00");
    }

    #[test]
    fn pause_example_from_spec() {
        let cal = Calendar::jam_kerja();
        let created = wib("2026-11-23T08:00:00+07:00");
        assert_eq!(due(&cal, "2026-11-23T08:00:00+07:00", 450), "2026-11-24T08:00:00+07:00");
        let paused = cal.business_seconds_between(wib("2026-11-23T09:00:00+07:00"), wib("2026-11-24T09:00:00+07:00"));
        assert_eq!(paused, 450 * 60);
        let moved = cal.add_business_seconds(created, 450 * 60 + paused).expect("due");
        assert_eq!(moved, wib("2026-11-25T08:00:00+07:00"));
    }

    #[test]
    fn round_the_clock() {
        let cal = Calendar::twenty_four_seven();
        assert_eq!(due(&cal, "2026-11-28T23:50:00+07:00", 30), "2026-11-29T00:20:00+07:00");
    }

    #[test]
    fn between_is_inverse_of_add() {
        let cal = Calendar::jam_kerja();
        let start = wib("2026-11-20T10:17:00+07:00");
        for minutes in [1, 59, 270, 450, 2250, 9000] {
            let end = cal.add_business_minutes(start, minutes).expect("due");
            assert_eq!(cal.business_seconds_between(start, end), minutes * 60, "{minutes}");
        }
    }

    #[test]
    fn calendar_without_working_time_is_an_error() {
        let mut cal = Calendar::jam_kerja();
        cal.week = Default::default();
        assert!(cal.add_business_minutes(wib("2026-11-23T08:00:00+07:00"), 1).is_err());
    }
}

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

impl std::fmt::Display for Interval {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let hm = |s: u32| format!("{:02}:{:02}", s / 3600, (s % 3600) / 60);
        write!(f, "{}-{}", hm(self.start), hm(self.end))
    }
}

impl std::str::FromStr for Interval {
    type Err = String;

    /// `"07:30-12:00"`; the end may be `24:00`. Minutes only: working hours are not set to the second.
    fn from_str(text: &str) -> Result<Self, String> {
        let bad = || format!("{text:?} is not an interval like 07:30-12:00");
        let (a, b) = text.trim().split_once('-').ok_or_else(bad)?;
        let clock = |t: &str| -> Option<u32> {
            let (h, m) = t.trim().split_once(':')?;
            if h.len() != 2 || m.len() != 2 {
                return None;
            }
            let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
            (m < 60 && (h < 24 || (h == 24 && m == 0))).then_some(h * 3600 + m * 60)
        };
        let (start, end) = (clock(a).ok_or_else(bad)?, clock(b).ok_or_else(bad)?);
        if start >= end {
            return Err(format!("{text:?} ends before it starts"));
        }
        Ok(Interval { start, end })
    }
}

/// Day names as the API and the database write them, Monday first.
pub const WEEKDAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// Parses one day's intervals ("07:30-12:00", "13:00-16:00"), sorts them and refuses overlaps.
pub fn parse_day<S: AsRef<str>>(day: &str, intervals: &[S]) -> Result<Vec<Interval>, String> {
    let mut parsed = intervals
        .iter()
        .map(|t| t.as_ref().parse::<Interval>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("{day}: {e}"))?;
    parsed.sort_by_key(|iv| iv.start);
    for pair in parsed.windows(2) {
        if pair[1].start < pair[0].end {
            return Err(format!("{day}: {} overlaps {}", pair[0], pair[1]));
        }
    }
    Ok(parsed)
}

/// A week from `{"mon": ["07:30-12:00", ...], ...}`; days left out have no working time.
pub fn parse_week(days: &std::collections::BTreeMap<String, Vec<String>>) -> Result<[Vec<Interval>; 7], String> {
    let mut week: [Vec<Interval>; 7] = Default::default();
    for (name, intervals) in days {
        let index = WEEKDAYS
            .iter()
            .position(|d| d == name)
            .ok_or_else(|| format!("{name:?} is not a day (one of {})", WEEKDAYS.join(", ")))?;
        week[index] = parse_day(name, intervals)?;
    }
    Ok(week)
}

/// The inverse of [`parse_week`], every day present.
pub fn format_week(week: &[Vec<Interval>; 7]) -> std::collections::BTreeMap<String, Vec<String>> {
    WEEKDAYS.iter().zip(week).map(|(d, ivs)| (d.to_string(), ivs.iter().map(Interval::to_string).collect())).collect()
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

    /// Business seconds in one ordinary week: zero means the calendar can never meet a target.
    pub fn weekly_seconds(&self) -> u64 {
        self.week.iter().flatten().map(|iv| u64::from(iv.end - iv.start)).sum()
    }

    /// When the `n`-th working day after `day` begins (its first working interval), in UTC:
    /// `n = 1` is the first working day after `day`. `None` for a calendar with no working time.
    pub fn nth_working_day_after(&self, day: NaiveDate, n: u32) -> Option<DateTime<Utc>> {
        let mut date = day;
        let mut found = 0;
        for _ in 0..MAX_DAYS_WALKED {
            date = date.succ_opt()?;
            if let Some(first) = self.intervals_on(date).first() {
                found += 1;
                if found >= n.max(1) {
                    return Some(self.to_utc(date, first.start, 0));
                }
            }
        }
        None
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
    fn working_days_after_a_month_closes() {
        let mut cal = Calendar::jam_kerja();
        let wib = |t: DateTime<Utc>| t.with_timezone(&FixedOffset::east_opt(7 * 3600).expect("offset")).to_rfc3339();
        let nov30 = NaiveDate::from_ymd_opt(2026, 11, 30).expect("date");
        assert_eq!(cal.nth_working_day_after(nov30, 1).map(wib).as_deref(), Some("2026-12-01T07:30:00+07:00"));
        assert_eq!(cal.nth_working_day_after(nov30, 5).map(wib).as_deref(), Some("2026-12-07T07:30:00+07:00"));
        cal.holidays.insert(NaiveDate::from_ymd_opt(2027, 1, 1).expect("date"));
        let dec31 = NaiveDate::from_ymd_opt(2026, 12, 31).expect("date");
        assert_eq!(cal.nth_working_day_after(dec31, 1).map(wib).as_deref(), Some("2027-01-04T07:30:00+07:00"));
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

    fn zoned(name: &str, zone: Tz) -> Calendar {
        Calendar { name: name.into(), zone, ..Calendar::jam_kerja() }
    }

    fn due_in(cal: &Calendar, start: &str, minutes: i64) -> String {
        let at = cal.add_business_minutes(wib(start), minutes).expect("due time");
        at.with_timezone(&cal.zone).to_rfc3339()
    }

    #[test]
    fn wita_and_wit_count_in_their_own_zone() {
        let wita = zoned("jam-kerja-wita", chrono_tz::Asia::Makassar);
        assert_eq!(due_in(&wita, "2026-11-23T08:00:00+08:00", 60), "2026-11-23T09:00:00+08:00");
        // 07:30 WIB is 08:30 WITA: an hour later is 09:30 WITA.
        assert_eq!(due_in(&wita, "2026-11-23T07:30:00+07:00", 60), "2026-11-23T09:30:00+08:00");
        let wit = zoned("jam-kerja-wit", chrono_tz::Asia::Jayapura);
        assert_eq!(due_in(&wit, "2026-11-27T16:00:00+09:00", 60), "2026-11-30T08:00:00+09:00");
        // 06:00 WIB is 08:00 WIT: already working time in Jayapura.
        assert_eq!(due_in(&wit, "2026-11-23T06:00:00+07:00", 30), "2026-11-23T08:30:00+09:00");
    }

    #[test]
    fn long_holiday_run_of_cuti_bersama() {
        let mut cal = Calendar::jam_kerja();
        for day in ["2026-12-24", "2026-12-25", "2026-12-28", "2026-12-29", "2026-12-30", "2026-12-31", "2027-01-01"] {
            cal.holidays.insert(day.parse().expect("date"));
        }
        assert_eq!(due(&cal, "2026-12-23T15:30:00+07:00", 60), "2027-01-04T08:00:00+07:00");
        assert_eq!(
            cal.business_seconds_between(wib("2026-12-23T15:30:00+07:00"), wib("2027-01-04T08:00:00+07:00")),
            3600
        );
    }

    #[test]
    fn start_inside_the_lunch_break() {
        let cal = Calendar::jam_kerja();
        assert_eq!(due(&cal, "2026-11-23T12:15:00+07:00", 30), "2026-11-23T13:30:00+07:00");
        // Friday's break is 11:30-13:00.
        assert_eq!(due(&cal, "2026-11-27T11:45:00+07:00", 60), "2026-11-27T14:00:00+07:00");
    }

    #[test]
    fn due_at_the_end_of_friday_intervals() {
        let cal = Calendar::jam_kerja();
        assert_eq!(due(&cal, "2026-11-27T07:30:00+07:00", 240), "2026-11-27T11:30:00+07:00");
        assert_eq!(due(&cal, "2026-11-27T07:30:00+07:00", 450), "2026-11-27T16:30:00+07:00");
        assert_eq!(due(&cal, "2026-11-27T07:30:00+07:00", 451), "2026-11-30T07:31:00+07:00");
    }

    #[test]
    fn targets_spanning_weeks() {
        let cal = Calendar::jam_kerja();
        // 2250 minutes is one working week (37.5 hours).
        assert_eq!(due(&cal, "2026-11-23T08:00:00+07:00", 2250), "2026-11-30T08:00:00+07:00");
        assert_eq!(due(&cal, "2026-11-23T08:00:00+07:00", 3 * 2250), "2026-12-14T08:00:00+07:00");
        assert_eq!(due(&cal, "2026-11-28T10:00:00+07:00", 2 * 2250 + 30), "2026-12-14T08:00:00+07:00");
    }

    #[test]
    fn intervals_and_weeks_parse_and_print() {
        assert_eq!("07:30-12:00".parse::<Interval>(), Ok(Interval::hm((7, 30), (12, 0))));
        assert_eq!("00:00-24:00".parse::<Interval>().map(|i| i.to_string()), Ok("00:00-24:00".to_string()));
        assert!("12:00-07:30".parse::<Interval>().is_err());
        assert!("7:30-12:00".parse::<Interval>().is_err());
        assert!("07:60-12:00".parse::<Interval>().is_err());
        assert!(parse_day("mon", &["07:30-12:00", "11:00-13:00"]).is_err());
        let week = format_week(&Calendar::jam_kerja().week);
        assert_eq!(week["fri"], vec!["07:30-11:30", "13:00-16:30"]);
        assert_eq!(parse_week(&week), Ok(Calendar::jam_kerja().week));
        let mut bad = week.clone();
        bad.insert("funday".into(), vec![]);
        assert!(parse_week(&bad).is_err());
        assert_eq!(Calendar::jam_kerja().weekly_seconds(), 37 * 3600 + 1800);
    }
}

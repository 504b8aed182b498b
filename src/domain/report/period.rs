//! Report periods: a month (the default), quarter, semester, year or any range of days, named
//! the way a laporan pelaksanaan tugas names them.

use chrono::{DateTime, Datelike, Days, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;

const MONTHS_ID: [&str; 12] = [
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
];

/// Whole days, first and last included.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Period {
    /// `2026-11`, `2026-Q4`, `2026-S2`, `2026` or `2026-11-01..2026-11-15`.
    pub label: String,
    pub first_day: NaiveDate,
    pub last_day: NaiveDate,
}

fn date(year: i32, month: u32, day: u32) -> Result<NaiveDate, String> {
    NaiveDate::from_ymd_opt(year, month, day).ok_or_else(|| format!("{year}-{month:02}-{day:02} is not a date"))
}

fn last_of_month(year: i32, month: u32) -> Result<NaiveDate, String> {
    let next = if month == 12 { date(year + 1, 1, 1)? } else { date(year, month + 1, 1)? };
    next.pred_opt().ok_or_else(|| "date out of range".to_string())
}

impl Period {
    pub fn month(year: i32, month: u32) -> Result<Period, String> {
        Ok(Period {
            label: format!("{year}-{month:02}"),
            first_day: date(year, month, 1)?,
            last_day: last_of_month(year, month)?,
        })
    }

    /// The month that contains `day`.
    pub fn month_of(day: NaiveDate) -> Period {
        Period::month(day.year(), day.month()).unwrap_or_else(|_| Period::days(day, day))
    }

    pub fn days(first_day: NaiveDate, last_day: NaiveDate) -> Period {
        Period { label: format!("{first_day}..{last_day}"), first_day, last_day }
    }

    /// Parses `2026-11`, `2026-Q4`, `2026-S2`, `2026` or `2026-11-01..2026-11-15`.
    pub fn parse(text: &str) -> Result<Period, String> {
        let text = text.trim();
        let invalid =
            || format!("period {text:?} is not one of 2026-11, 2026-Q4, 2026-S2, 2026 or 2026-11-01..2026-11-15");
        if let Some((from, to)) = text.split_once("..") {
            let from = NaiveDate::parse_from_str(from.trim(), "%Y-%m-%d").map_err(|_| invalid())?;
            let to = NaiveDate::parse_from_str(to.trim(), "%Y-%m-%d").map_err(|_| invalid())?;
            return Period::range(from, to);
        }
        let (year, rest) = match text.split_once('-') {
            Some((y, rest)) => (y, Some(rest)),
            None => (text, None),
        };
        if year.len() != 4 {
            return Err(invalid());
        }
        let year: i32 = year.parse().map_err(|_| invalid())?;
        let (first_month, months) = match rest {
            None => (1, 12),
            Some(q) if q.len() == 2 && (q.starts_with('Q') || q.starts_with('q')) => {
                let n: u32 = q[1..].parse().map_err(|_| invalid())?;
                if !(1..=4).contains(&n) {
                    return Err(format!("quarter {n} does not exist: use Q1 to Q4"));
                }
                (3 * n - 2, 3)
            }
            Some(s) if s.len() == 2 && (s.starts_with('S') || s.starts_with('s')) => {
                let n: u32 = s[1..].parse().map_err(|_| invalid())?;
                if !(1..=2).contains(&n) {
                    return Err(format!("semester {n} does not exist: use S1 or S2"));
                }
                (6 * n - 5, 6)
            }
            Some(m) if m.len() == 2 => {
                let month: u32 = m.parse().map_err(|_| invalid())?;
                if !(1..=12).contains(&month) {
                    return Err(format!("month {month} does not exist"));
                }
                (month, 1)
            }
            Some(_) => return Err(invalid()),
        };
        Ok(Period {
            label: text.to_uppercase(),
            first_day: date(year, first_month, 1)?,
            last_day: last_of_month(year, first_month + months - 1)?,
        })
    }

    /// A range given as two dates, both included.
    pub fn range(first_day: NaiveDate, last_day: NaiveDate) -> Result<Period, String> {
        if last_day < first_day {
            return Err(format!("the period ends ({last_day}) before it starts ({first_day})"));
        }
        if (last_day - first_day).num_days() > 366 * 5 {
            return Err("a report covers at most five years".into());
        }
        Ok(Period::days(first_day, last_day))
    }

    /// `[start of the first day, start of the day after the last)` in `zone`.
    pub fn bounds(&self, zone: Tz) -> (DateTime<Utc>, DateTime<Utc>) {
        let start = midnight(zone, self.first_day);
        let end = midnight(zone, self.last_day.checked_add_days(Days::new(1)).unwrap_or(self.last_day));
        (start, end)
    }

    pub fn days_in(&self) -> impl Iterator<Item = NaiveDate> + '_ {
        self.first_day.iter_days().take_while(move |d| *d <= self.last_day)
    }

    /// The title on the report, in Bahasa Indonesia: "November 2026", "Triwulan IV 2026".
    pub fn title(&self) -> String {
        let (f, l) = (self.first_day, self.last_day);
        let whole_months = f.day() == 1 && last_of_month(l.year(), l.month()).is_ok_and(|d| d == l);
        if whole_months && f.year() == l.year() {
            let (m0, m1) = (f.month(), l.month());
            let name = |m: u32| MONTHS_ID[(m - 1) as usize];
            return match (m0, m1) {
                (a, b) if a == b => format!("{} {}", name(a), f.year()),
                (1, 12) => format!("Tahun {}", f.year()),
                (a, b) if b == a + 2 && a % 3 == 1 => {
                    format!("Triwulan {} {}", ["I", "II", "III", "IV"][(a / 3) as usize], f.year())
                }
                (a, b) if b == a + 5 && (a == 1 || a == 7) => {
                    format!("Semester {} {}", if a == 1 { "I" } else { "II" }, f.year())
                }
                (a, b) => format!("{}–{} {}", name(a), name(b), f.year()),
            };
        }
        format!("{} s.d. {}", long_date(f), long_date(l))
    }

    pub fn contains(&self, day: NaiveDate) -> bool {
        self.first_day <= day && day <= self.last_day
    }
}

/// "1 November 2026".
pub fn long_date(day: NaiveDate) -> String {
    format!("{} {} {}", day.day(), MONTHS_ID[day.month0() as usize], day.year())
}

fn midnight(zone: Tz, day: NaiveDate) -> DateTime<Utc> {
    let local = day.and_hms_opt(0, 0, 0).unwrap_or_default();
    match zone.from_local_datetime(&local) {
        chrono::LocalResult::Single(t) | chrono::LocalResult::Ambiguous(t, _) => t.with_timezone(&Utc),
        // Midnight skipped by a DST jump (not in Indonesia): the instant the day begins in UTC terms.
        chrono::LocalResult::None => local.and_utc(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
    }

    #[test]
    fn parses_every_period_form() {
        let p = Period::parse("2026-11").expect("month");
        assert_eq!((p.first_day, p.last_day), (d("2026-11-01"), d("2026-11-30")));
        assert_eq!(p.title(), "November 2026");
        let q = Period::parse("2026-Q4").expect("quarter");
        assert_eq!((q.first_day, q.last_day), (d("2026-10-01"), d("2026-12-31")));
        assert_eq!(q.title(), "Triwulan IV 2026");
        let s = Period::parse("2026-s1").expect("semester");
        assert_eq!((s.first_day, s.last_day), (d("2026-01-01"), d("2026-06-30")));
        assert_eq!(s.title(), "Semester I 2026");
        assert_eq!(s.label, "2026-S1");
        let y = Period::parse("2026").expect("year");
        assert_eq!((y.first_day, y.last_day), (d("2026-01-01"), d("2026-12-31")));
        assert_eq!(y.title(), "Tahun 2026");
        let r = Period::parse("2026-11-03..2026-11-16").expect("range");
        assert_eq!(r.title(), "3 November 2026 s.d. 16 November 2026");
        assert_eq!(Period::parse("2028-02").expect("leap").last_day, d("2028-02-29"));
    }

    #[test]
    fn refuses_what_is_not_a_period() {
        for bad in ["2026-13", "2026-Q5", "2026-S3", "26-11", "2026-11-30..2026-11-01", "November", ""] {
            assert!(Period::parse(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn bounds_are_local_midnights() {
        let p = Period::parse("2026-11").expect("month");
        let (start, end) = p.bounds(chrono_tz::Asia::Jakarta);
        assert_eq!(start.to_rfc3339(), "2026-10-31T17:00:00+00:00");
        assert_eq!(end.to_rfc3339(), "2026-11-30T17:00:00+00:00");
        let (start, _) = p.bounds(chrono_tz::Asia::Jayapura);
        assert_eq!(start.to_rfc3339(), "2026-10-31T15:00:00+00:00");
        assert_eq!(p.days_in().count(), 30);
    }
}

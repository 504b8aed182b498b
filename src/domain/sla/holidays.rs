//! Holiday lists as governments publish them: CSV (`date,label`) and iCalendar all-day events.
//! National holidays and cuti bersama change every year (SKB 3 Menteri), so desks import them.

use chrono::{Duration, NaiveDate};

/// The longest single event we accept: a longer one is a mistake in the file, not a holiday.
const MAX_EVENT_DAYS: i64 = 31;

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HolidayList {
    pub days: Vec<(NaiveDate, String)>,
    /// What was left out or approximated, one line each, for the operator to read.
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {reason}")]
pub struct ParseError {
    pub line: usize,
    pub reason: String,
}

fn error(line: usize, reason: impl Into<String>) -> ParseError {
    ParseError { line, reason: reason.into() }
}

/// Picks the parser from the content: iCalendar starts with `BEGIN:VCALENDAR`.
pub fn parse(text: &str) -> Result<HolidayList, ParseError> {
    let text = text.trim_start_matches('\u{feff}');
    if text.trim_start().to_ascii_uppercase().starts_with("BEGIN:VCALENDAR") {
        parse_ics(text)
    } else {
        parse_csv(text)
    }
}

/// `date,label` per line, `YYYY-MM-DD`; a header line, blank lines and `#` comments are
/// skipped; the label may be quoted (`"Natal, cuti bersama"`).
pub fn parse_csv(text: &str) -> Result<HolidayList, ParseError> {
    let mut list = HolidayList::default();
    let mut seen_data = false;
    for (i, raw) in text.lines().enumerate() {
        let line_no = i + 1;
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (date_text, rest) = line.split_once([',', ';']).unwrap_or((line, ""));
        let date_text = date_text.trim().trim_matches('"');
        let Ok(date) = NaiveDate::parse_from_str(date_text, "%Y-%m-%d") else {
            if !seen_data && !date_text.chars().next().is_some_and(|c| c.is_ascii_digit()) {
                seen_data = true; // a header such as "date,label" or "tanggal,keterangan"
                continue;
            }
            return Err(error(line_no, format!("{date_text:?} is not a date (YYYY-MM-DD)")));
        };
        seen_data = true;
        let label = unquote_csv(rest.trim());
        if label.is_empty() {
            return Err(error(line_no, format!("{date} has no label")));
        }
        list.days.push((date, label));
    }
    Ok(list)
}

fn unquote_csv(field: &str) -> String {
    match field.strip_prefix('"').and_then(|f| f.strip_suffix('"')) {
        Some(inner) => inner.replace("\"\"", "\""),
        None => field.to_string(),
    }
    .trim()
    .to_string()
}

/// All-day `VEVENT`s: `DTSTART;VALUE=DATE:20261225`, an exclusive `DTEND` or a `DURATION` of
/// days for runs of cuti bersama, `SUMMARY` as the label. Timed events are not holidays and are
/// left out with a warning; a recurring event contributes its first date (with a warning).
pub fn parse_ics(text: &str) -> Result<HolidayList, ParseError> {
    let mut list = HolidayList::default();
    let mut event: Option<IcsEvent> = None;
    for (line_no, line) in unfold(text) {
        let (name_params, value) = line.split_once(':').unwrap_or((line.as_str(), ""));
        let mut parts = name_params.split(';');
        let name = parts.next().unwrap_or("").to_ascii_uppercase();
        let params: Vec<String> = parts.map(|p| p.to_ascii_uppercase()).collect();
        match (name.as_str(), event.as_mut()) {
            ("BEGIN", _) if value.eq_ignore_ascii_case("VEVENT") => {
                event = Some(IcsEvent { line: line_no, ..IcsEvent::default() });
            }
            ("END", Some(_)) if value.eq_ignore_ascii_case("VEVENT") => {
                if let Some(e) = event.take() {
                    e.finish(&mut list)?;
                }
            }
            ("DTSTART", Some(e)) => e.start = Some(ics_date(line_no, value, &params)?),
            ("DTEND", Some(e)) => e.end = Some(ics_date(line_no, value, &params)?),
            ("DURATION", Some(e)) => e.duration_days = Some(ics_days(line_no, value)?),
            ("SUMMARY", Some(e)) => e.summary = unescape_ics(value),
            ("RRULE", Some(e)) => e.recurring = true,
            _ => {}
        }
    }
    if event.is_some() {
        return Err(error(0, "the file ends inside a VEVENT (no END:VEVENT)"));
    }
    Ok(list)
}

#[derive(Default)]
struct IcsEvent {
    line: usize,
    start: Option<IcsDate>,
    end: Option<IcsDate>,
    duration_days: Option<i64>,
    summary: String,
    recurring: bool,
}

enum IcsDate {
    Day(NaiveDate),
    Timed,
}

impl IcsEvent {
    fn finish(self, list: &mut HolidayList) -> Result<(), ParseError> {
        let label = if self.summary.trim().is_empty() { "Libur".to_string() } else { self.summary.trim().to_string() };
        let start = match self.start {
            Some(IcsDate::Day(d)) => d,
            Some(IcsDate::Timed) => {
                list.warnings
                    .push(format!("line {}: {label:?} has a time of day, not a whole day: left out", self.line));
                return Ok(());
            }
            None => return Err(error(self.line, "VEVENT without DTSTART")),
        };
        let days = match (self.end, self.duration_days) {
            (Some(IcsDate::Day(end)), _) => (end - start).num_days().max(1),
            (_, Some(days)) => days.max(1),
            _ => 1,
        };
        if days > MAX_EVENT_DAYS {
            return Err(error(
                self.line,
                format!("{label:?} lasts {days} days; a holiday run is at most {MAX_EVENT_DAYS}"),
            ));
        }
        if self.recurring {
            list.warnings.push(format!("line {}: {label:?} repeats (RRULE); only {start} was imported", self.line));
        }
        for offset in 0..days {
            list.days.push((start + Duration::days(offset), label.clone()));
        }
        Ok(())
    }
}

/// Joins folded lines (a line starting with a space or tab continues the previous one).
fn unfold(text: &str) -> Vec<(usize, String)> {
    let mut out: Vec<(usize, String)> = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let raw = raw.trim_end_matches('\r');
        if let (Some(rest), Some(last)) = (raw.strip_prefix([' ', '\t']), out.last_mut()) {
            last.1.push_str(rest);
        } else if !raw.trim().is_empty() {
            out.push((i + 1, raw.to_string()));
        }
    }
    out
}

fn ics_date(line: usize, value: &str, params: &[String]) -> Result<IcsDate, ParseError> {
    let value = value.trim();
    let date_only = params.iter().any(|p| p == "VALUE=DATE") || (value.len() == 8 && !value.contains('T'));
    if !date_only {
        return Ok(IcsDate::Timed);
    }
    let well_formed = value.len() == 8 && value.bytes().all(|b| b.is_ascii_digit());
    well_formed
        .then(|| NaiveDate::parse_from_str(value, "%Y%m%d").ok())
        .flatten()
        .map(IcsDate::Day)
        .ok_or(())
        .map_err(|_| error(line, format!("{value:?} is not an iCalendar date (YYYYMMDD)")))
}

/// `P1D`, `P3D`, `P1W`: whole days only.
fn ics_days(line: usize, value: &str) -> Result<i64, ParseError> {
    let v = value.trim().to_ascii_uppercase();
    let parsed = v.strip_prefix('P').and_then(|rest| {
        if let Some(n) = rest.strip_suffix('D') {
            n.parse::<i64>().ok()
        } else {
            rest.strip_suffix('W').and_then(|n| n.parse::<i64>().ok()).map(|w| w * 7)
        }
    });
    parsed.ok_or_else(|| error(line, format!("DURATION {value:?} is not a whole number of days")))
}

fn unescape_ics(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n' | 'N') => out.push(' '),
                Some(other) => out.push(other),
                None => {}
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> NaiveDate {
        text.parse().expect("date")
    }

    #[test]
    fn csv_with_header_comments_and_quotes() {
        let list =
            parse("tanggal,keterangan\n# 2026\n2026-12-25,Hari Raya Natal\n2026-12-24,\"Cuti bersama, Natal\"\n\n")
                .expect("parses");
        assert_eq!(
            list.days,
            vec![(d("2026-12-25"), "Hari Raya Natal".into()), (d("2026-12-24"), "Cuti bersama, Natal".into())]
        );
    }

    #[test]
    fn csv_errors_name_the_line() {
        let err = parse("date,label\n2026-12-25,Natal\n2026-13-01,Salah\n").expect_err("bad date");
        assert_eq!(err.line, 3);
        assert!(parse("2026-12-25\n").expect_err("no label").reason.contains("no label"));
    }

    #[test]
    fn ics_all_day_events_runs_and_folding() {
        let ics = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20261225\r\nDTEND;VALUE=DATE:20261226\r\nSUMMARY:Hari Raya Natal\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20270309\r\nDTEND;VALUE=DATE:20270313\r\nSUMMARY:Idul Fitri dan cuti \r\n  bersama\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nDTSTART:20261201T090000Z\r\nSUMMARY:Rapat\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20270101\r\nDURATION:P1D\r\nRRULE:FREQ=YEARLY\r\nSUMMARY:Tahun Baru\\, Masehi\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
        let list = parse(ics).expect("parses");
        let dates: Vec<NaiveDate> = list.days.iter().map(|(d, _)| *d).collect();
        assert_eq!(
            dates,
            vec![d("2026-12-25"), d("2027-03-09"), d("2027-03-10"), d("2027-03-11"), d("2027-03-12"), d("2027-01-01")]
        );
        assert_eq!(list.days[1].1, "Idul Fitri dan cuti  bersama");
        assert_eq!(list.days[5].1, "Tahun Baru, Masehi");
        assert_eq!(list.warnings.len(), 2, "{:?}", list.warnings);
    }

    #[test]
    fn ics_rejects_broken_files() {
        assert!(parse("BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;VALUE=DATE:2026122\nEND:VEVENT\n").is_err());
        assert!(parse("BEGIN:VCALENDAR\nBEGIN:VEVENT\nSUMMARY:x\nEND:VEVENT\n").is_err());
        assert!(parse("BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;VALUE=DATE:20261201\n").is_err());
    }
}

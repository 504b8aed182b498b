//! The notice clocks of security incidents and personal-data breaches (SPEC 6). Pure: the
//! scheduler supplies the flag instants, what already fired and the time.
//!
//! - A security incident must be reported in writing (reporter, description, chronology, impact,
//!   actions) within 24 hours: BSSN Regulation 1/2024 (1×24 hours for vital infrastructure),
//!   Perwal Pontianak 47/2021 Pasal 36(4) ("at the first opportunity").
//! - A personal-data breach must be notified to the data subjects and the authority within
//!   72 hours: UU 27/2022 Pasal 46(1).
//!
//! Both run on the wall clock (an incident does not wait for office hours) and warn at 75% and
//! 90%, like the SLA clocks.

use chrono::{DateTime, Duration, Utc};

use super::string_enum;

string_enum!(
    NoticeClock {
        IncidentNotice => "incident_notice",
        BreachNotice => "breach_notice",
    }
);

pub const WARN_PERCENTS: [u32; 2] = [75, 90];
pub const BREACH: u32 = 100;

impl NoticeClock {
    pub fn hours(self) -> i64 {
        match self {
            NoticeClock::IncidentNotice => 24,
            NoticeClock::BreachNotice => 72,
        }
    }

    pub fn due(self, flagged_at: DateTime<Utc>) -> DateTime<Utc> {
        flagged_at + Duration::hours(self.hours())
    }
}

/// The state of one clock as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Clock {
    pub which: NoticeClock,
    pub flagged_at: DateTime<Utc>,
    /// When the notice was produced (incident) or the subjects notified (breach): stops it.
    pub met_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Threshold {
    pub which: NoticeClock,
    pub percent: u32,
    pub at: DateTime<Utc>,
}

impl Clock {
    pub fn due(&self) -> DateTime<Utc> {
        self.which.due(self.flagged_at)
    }

    /// The warnings and the breach of a running clock, earliest first; none once met.
    pub fn thresholds(&self) -> Vec<Threshold> {
        if self.met_at.is_some() {
            return Vec::new();
        }
        let span = self.due() - self.flagged_at;
        WARN_PERCENTS
            .iter()
            .map(|&p| Threshold { which: self.which, percent: p, at: self.flagged_at + span * p as i32 / 100 })
            .chain(std::iter::once(Threshold { which: self.which, percent: BREACH, at: self.due() }))
            .collect()
    }

    /// `met`, `breached` (past due, not met), or `running`; a notice produced late is
    /// `breached` too: the reports count it.
    pub fn state(&self, now: DateTime<Utc>) -> &'static str {
        match self.met_at {
            Some(at) if at <= self.due() => "met",
            Some(_) => "breached",
            None if now > self.due() => "breached",
            None => "running",
        }
    }
}

/// Words in a mail's subject that flag it at intake (the e-mail channel has no checkbox):
/// `[INSIDEN]`/`[KEAMANAN]` or the phrases people use for an incident, and `[DATA PRIBADI]` or
/// the phrases for a leak of personal data. A false alarm costs a notice to tier 2; a missed
/// incident costs the 24-hour deadline, so the list leans to flagging.
pub fn flags_in_subject(subject: &str) -> (bool, bool) {
    let s = subject.to_lowercase();
    let any = |words: &[&str]| words.iter().any(|w| s.contains(w));
    let breach = any(&[
        "[data pribadi]",
        "kebocoran data",
        "data bocor",
        "data pribadi bocor",
        "data breach",
        "personal data leak",
    ]);
    let security = breach
        || any(&[
            "[insiden]",
            "[keamanan]",
            "insiden keamanan",
            "diretas",
            "peretasan",
            "ransomware",
            "malware",
            "deface",
            "security incident",
            "hacked",
        ]);
    (security, breach)
}

/// Crossed and unfired thresholds of all clocks, and the next instant to look again.
pub fn plan(
    clocks: &[Clock],
    fired: &[(NoticeClock, u32)],
    now: DateTime<Utc>,
) -> (Vec<Threshold>, Option<DateTime<Utc>>) {
    let open: Vec<Threshold> =
        clocks.iter().flat_map(Clock::thresholds).filter(|t| !fired.contains(&(t.which, t.percent))).collect();
    let next = open.iter().filter(|t| t.at > now).map(|t| t.at).min();
    let mut due: Vec<Threshold> = open.into_iter().filter(|t| t.at <= now).collect();
    due.sort_by_key(|t| (t.at, t.percent));
    (due, next)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).expect("time").with_timezone(&Utc)
    }

    #[test]
    fn a_security_incident_warns_at_18_and_21_6_hours_and_breaches_at_24() {
        let clock =
            Clock { which: NoticeClock::IncidentNotice, flagged_at: at("2026-11-28T22:00:00+07:00"), met_at: None };
        let t: Vec<_> = clock.thresholds().iter().map(|t| (t.percent, t.at)).collect();
        assert_eq!(
            t,
            vec![
                (75, at("2026-11-29T16:00:00+07:00")),
                (90, at("2026-11-29T19:36:00+07:00")),
                (100, at("2026-11-29T22:00:00+07:00")),
            ],
            "wall clock: a Saturday night counts"
        );
        assert_eq!(clock.state(at("2026-11-29T21:59:00+07:00")), "running");
        assert_eq!(clock.state(at("2026-11-29T22:01:00+07:00")), "breached");
    }

    #[test]
    fn a_breach_notice_runs_72_hours_and_stops_when_met() {
        let flagged = at("2026-11-23T08:00:00+07:00");
        let mut clock = Clock { which: NoticeClock::BreachNotice, flagged_at: flagged, met_at: None };
        assert_eq!(clock.due(), at("2026-11-26T08:00:00+07:00"));
        clock.met_at = Some(at("2026-11-25T08:00:00+07:00"));
        assert!(clock.thresholds().is_empty());
        assert_eq!(clock.state(at("2026-12-01T00:00:00+07:00")), "met");
        clock.met_at = Some(at("2026-11-27T08:00:00+07:00"));
        assert_eq!(clock.state(at("2026-12-01T00:00:00+07:00")), "breached", "late is late");
    }

    #[test]
    fn subjects_that_flag_a_mail() {
        assert_eq!(flags_in_subject("[INSIDEN] Situs dinas diretas"), (true, false));
        assert_eq!(flags_in_subject("Kebocoran data pasien Puskesmas"), (true, true));
        assert_eq!(flags_in_subject("Website kena DEFACE"), (true, false));
        assert_eq!(flags_in_subject("SIMPUS tidak bisa login"), (false, false));
    }

    #[test]
    fn plan_fires_each_threshold_once() {
        let flagged = at("2026-11-23T08:00:00+07:00");
        let clocks = [
            Clock { which: NoticeClock::IncidentNotice, flagged_at: flagged, met_at: None },
            Clock { which: NoticeClock::BreachNotice, flagged_at: flagged, met_at: None },
        ];
        let now = at("2026-11-24T09:00:00+07:00");
        let (due, next) = plan(&clocks, &[], now);
        assert_eq!(due.len(), 3, "the incident's two warnings and breach");
        assert_eq!(next, Some(at("2026-11-25T14:00:00+07:00")), "the breach notice's 75%");
        let fired: Vec<_> = due.iter().map(|t| (t.which, t.percent)).collect();
        let (again, _) = plan(&clocks, &fired, now);
        assert!(again.is_empty());
    }
}

//! `meja calendar …`, `meja sla …` and `meja jobs`.

use std::sync::Arc;

use anyhow::Context;
use chrono::{DateTime, NaiveDate, Utc};
use clap::Subcommand;

use crate::clock::SystemClock;
use crate::config::Settings;
use crate::desk::scheduler;
use crate::desk::sla::{self, CalendarPatch, NewCalendar, PolicyPatch};
use crate::desk::Desk;
use crate::domain::sla::calendar::{parse_day, Interval, WEEKDAYS};
use crate::domain::sla::holidays::{self, HolidayList};
use crate::domain::ticket::Priority;

#[derive(Subcommand)]
pub enum CalendarCommand {
    /// List the calendars.
    List,
    /// A calendar's zone, weekly hours and holidays.
    Show {
        name: String,
        /// Only the holidays of this year.
        #[arg(long)]
        year: Option<i32>,
    },
    /// Create a calendar (e.g. for a WITA or WIT region), copying the hours of another.
    Add {
        name: String,
        /// IANA time zone: Asia/Jakarta (WIB), Asia/Makassar (WITA), Asia/Jayapura (WIT).
        #[arg(long)]
        zone: String,
        /// Copy the weekly hours of this calendar (default jam-kerja).
        #[arg(long)]
        like: Option<String>,
    },
    /// Set the working intervals of some days: `meja calendar hours jam-kerja mon-thu 07:30-12:00,13:00-16:00`.
    Hours {
        name: String,
        /// A day (`fri`), a range (`mon-thu`) or `all`.
        days: String,
        /// Comma-separated intervals, or `closed`.
        intervals: String,
    },
    /// Change a calendar's time zone.
    Zone { name: String, zone: String },
    /// Holidays (national holidays, cuti bersama, local ones).
    Holiday {
        #[command(subcommand)]
        command: HolidayCommand,
    },
}

#[derive(Subcommand)]
pub enum HolidayCommand {
    /// Add a holiday (or relabel one): `meja calendar holiday add --calendar jam-kerja 2026-12-25 "Hari Raya Natal"`.
    Add {
        #[arg(long, default_value = "jam-kerja")]
        calendar: String,
        date: NaiveDate,
        label: String,
    },
    /// Remove a holiday.
    Remove {
        #[arg(long, default_value = "jam-kerja")]
        calendar: String,
        date: NaiveDate,
    },
    /// Import a CSV (`date,label`) or iCalendar (.ics, all-day events) file.
    Import {
        file: std::path::PathBuf,
        #[arg(long, default_value = "jam-kerja")]
        calendar: String,
    },
}

#[derive(Subcommand)]
pub enum SlaCommand {
    /// The due instant of N business minutes from a start, in the calendar's zone.
    Due {
        #[arg(long)]
        start: String,
        #[arg(long)]
        minutes: i64,
        #[arg(long, default_value = "jam-kerja")]
        calendar: String,
    },
    /// The policy of every priority.
    Policies,
    /// Change the policy of one priority; open tickets of that priority are recomputed.
    Policy {
        #[arg(value_parser = parse_priority)]
        priority: Priority,
        #[arg(long)]
        first_response: Option<i64>,
        #[arg(long)]
        resolution: Option<i64>,
        #[arg(long)]
        calendar: Option<String>,
        /// Warning thresholds in percent, e.g. `75,90`; empty for none.
        #[arg(long)]
        warn: Option<String>,
        #[arg(long)]
        notify_unit_head: Option<bool>,
        #[arg(long)]
        escalate_to_tier2: Option<bool>,
    },
}

fn parse_priority(text: &str) -> Result<Priority, String> {
    Priority::parse(&text.to_ascii_uppercase()).ok_or_else(|| "one of P1, P2, P3, P4".to_string())
}

pub fn run_calendar(command: CalendarCommand, desk: &Desk) -> anyhow::Result<()> {
    match command {
        CalendarCommand::List => {
            for c in desk.read_blocking(sla::list_calendars)? {
                println!("{:<20} {:<16} {:>5} min/week", c.name, c.zone, c.weekly_minutes);
            }
        }
        CalendarCommand::Show { name, year } => {
            let c = desk.read_blocking(move |conn| sla::show_calendar(conn, &name, year))?;
            println!("calendar {}  zone {}  ({} business minutes a week)", c.name, c.zone, c.weekly_minutes);
            for day in WEEKDAYS {
                let intervals = c.week.get(day).cloned().unwrap_or_default();
                println!("  {day}  {}", if intervals.is_empty() { "closed".to_string() } else { intervals.join(" ") });
            }
            let holidays = c.holidays.unwrap_or_default();
            println!("holidays: {}", holidays.len());
            for h in holidays {
                println!("  {} {}  {}", h.date, h.date.format("%a"), h.label);
            }
        }
        CalendarCommand::Add { name, zone, like } => {
            let c = desk.writer.write_blocking(move |tx| {
                sla::create_calendar(tx, None, NewCalendar { name, zone, like, week: None })
            })?;
            println!("calendar {} created in {} ({} business minutes a week)", c.name, c.zone, c.weekly_minutes);
        }
        CalendarCommand::Hours { name, days, intervals } => {
            let n = name.clone();
            let current = desk.read_blocking(move |conn| sla::show_calendar(conn, &n, None))?;
            let mut week = current.week;
            let list: Vec<&str> = if intervals.trim() == "closed" { vec![] } else { intervals.split(',').collect() };
            let parsed: Vec<Interval> = parse_day(&days, &list).map_err(anyhow::Error::msg)?;
            for day in day_range(&days)? {
                week.insert(day.to_string(), parsed.iter().map(Interval::to_string).collect());
            }
            let c = desk.writer.write_blocking(move |tx| {
                sla::update_calendar(tx, None, &name, CalendarPatch { zone: None, week: Some(week) })
            })?;
            println!("calendar {}: {} business minutes a week", c.name, c.weekly_minutes);
        }
        CalendarCommand::Zone { name, zone } => {
            let c = desk.writer.write_blocking(move |tx| {
                sla::update_calendar(tx, None, &name, CalendarPatch { zone: Some(zone), week: None })
            })?;
            println!("calendar {} now counts in {}", c.name, c.zone);
        }
        CalendarCommand::Holiday { command } => run_holiday(desk, command)?,
    }
    Ok(())
}

/// `mon`, `mon-thu`, `all`.
fn day_range(text: &str) -> anyhow::Result<Vec<&'static str>> {
    let index = |d: &str| {
        WEEKDAYS.iter().position(|w| *w == d).with_context(|| format!("{d:?} is not a day ({})", WEEKDAYS.join(", ")))
    };
    if text == "all" {
        return Ok(WEEKDAYS.to_vec());
    }
    let (a, b) = text.split_once('-').unwrap_or((text, text));
    let (a, b) = (index(a)?, index(b)?);
    anyhow::ensure!(a <= b, "{text:?}: the range runs backwards");
    Ok(WEEKDAYS[a..=b].to_vec())
}

fn run_holiday(desk: &Desk, command: HolidayCommand) -> anyhow::Result<()> {
    let change = match command {
        HolidayCommand::Add { calendar, date, label } => {
            let list = HolidayList { days: vec![(date, label)], warnings: vec![] };
            desk.writer.write_blocking(move |tx| sla::add_holidays(tx, None, &calendar, list))?
        }
        HolidayCommand::Remove { calendar, date } => {
            desk.writer.write_blocking(move |tx| sla::remove_holiday(tx, None, &calendar, date))?
        }
        HolidayCommand::Import { file, calendar } => {
            let text = std::fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))?;
            let list = holidays::parse(&text).with_context(|| format!("{}", file.display()))?;
            desk.writer.write_blocking(move |tx| sla::add_holidays(tx, None, &calendar, list))?
        }
    };
    for w in &change.warnings {
        eprintln!("warning: {w}");
    }
    println!(
        "calendar {}: {} added, {} relabelled, {} unchanged, {} removed; {} open tickets recomputed",
        change.calendar, change.added, change.relabelled, change.unchanged, change.removed, change.tickets_recomputed
    );
    Ok(())
}

pub fn run_sla(command: SlaCommand, desk: &Desk) -> anyhow::Result<()> {
    match command {
        SlaCommand::Due { start, minutes, calendar } => {
            let start: DateTime<Utc> = DateTime::parse_from_rfc3339(&start)
                .with_context(|| format!("--start {start:?} is not RFC3339 (2026-11-23T08:00:00+07:00)"))?
                .with_timezone(&Utc);
            let due = desk.read_blocking(move |conn| sla::due(conn, &calendar, start, minutes))?;
            println!("{}", due.to_rfc3339());
        }
        SlaCommand::Policies => {
            println!(
                "{:<4} {:>14} {:>11}  {:<12} {:<8} {:<10} escalate",
                "", "first_response", "resolution", "calendar", "warn", "unit_head"
            );
            for p in desk.read_blocking(sla::list_policies)? {
                println!(
                    "{:<4} {:>14} {:>11}  {:<12} {:<8} {:<10} {}",
                    p.priority.as_str(),
                    p.first_response_minutes,
                    p.resolution_minutes,
                    p.calendar,
                    p.warn_percents.iter().map(u32::to_string).collect::<Vec<_>>().join(","),
                    p.notify_unit_head,
                    p.escalate_to_tier2
                );
            }
        }
        SlaCommand::Policy {
            priority,
            first_response,
            resolution,
            calendar,
            warn,
            notify_unit_head,
            escalate_to_tier2,
        } => {
            let warn_percents = match warn {
                Some(text) => Some(
                    crate::domain::sla::policy::parse_warn_percents(&text)
                        .map_err(|e| anyhow::anyhow!("--warn: {e}"))?,
                ),
                None => None,
            };
            let patch = PolicyPatch {
                first_response_minutes: first_response,
                resolution_minutes: resolution,
                calendar,
                warn_percents,
                notify_unit_head,
                escalate_to_tier2,
            };
            let p = desk.writer.write_blocking(move |tx| sla::set_policy(tx, None, priority, patch))?;
            println!(
                "{}: first response {} min, resolution {} min on {}",
                p.priority.as_str(),
                p.first_response_minutes,
                p.resolution_minutes,
                p.calendar
            );
        }
    }
    Ok(())
}

/// One pass of every job: the SLA scheduler (its report on the first line, as JSON), each IMAP
/// mailbox, then e-mail and webhook delivery.
fn once_pass(desk: &Desk, settings: &Settings) -> anyhow::Result<()> {
    let report = scheduler::sweep_blocking(desk, settings.jobs_batch)?;
    println!("{}", serde_json::to_string(&report)?);
    let plan = crate::desk::report_archive::ArchivePlan::from_settings(settings);
    for outcome in crate::desk::report_archive::run_due(desk, &plan)? {
        println!(
            "{}",
            serde_json::json!({ "report": outcome.report.scope, "period": outcome.report.period, "sha256": outcome.report.data_sha256 })
        );
    }
    if settings.retention_days > 0 {
        let retention = crate::desk::personal_data::retention::run_blocking(
            desk,
            settings.retention_days,
            crate::desk::personal_data::retention::DEFAULT_BATCH,
        )?;
        println!("{}", serde_json::json!({ "retention": retention }));
    }
    for mailbox in desk.read_blocking(|conn| Ok(crate::db::mail::mailboxes_all(conn)?))? {
        let Some(url) = &mailbox.imap_url else { continue };
        // One mailbox that cannot be read does not keep the others (or delivery) waiting.
        let polled = crate::email::imap_intake::parse_imap_url(url)
            .map_err(anyhow::Error::msg)
            .and_then(|target| crate::email::imap_intake::poll_once(desk, &mailbox.name, &target));
        match polled {
            Ok(report) => println!("{}", serde_json::json!({ "mailbox": mailbox.name, "imap": report })),
            Err(e) => eprintln!("meja: mailbox {}: {e:#}", mailbox.name),
        }
    }
    if let Some(mailer) = crate::email::outbound::Mailer::from_settings(settings)? {
        loop {
            let delivered = crate::email::outbound::deliver_due(desk, &mailer, 200)?;
            println!("{}", serde_json::json!({ "email": delivered }));
            if delivered.sent + delivered.retrying + delivered.given_up + delivered.skipped == 0 {
                break;
            }
        }
    }
    let hooks = crate::webhooks::Sender::new()?;
    println!("{}", serde_json::json!({ "webhooks": crate::webhooks::deliver_due_blocking(desk, &hooks)? }));
    Ok(())
}

/// `meja jobs [--once]`: the background jobs without the web server.
pub fn run_jobs(settings: &Settings, once: bool) -> anyhow::Result<()> {
    let desk = crate::open_desk(settings, Arc::new(SystemClock))?;
    let result = if once {
        once_pass(&desk, settings)
    } else {
        let system = actix_web::rt::System::new();
        let d = desk.clone();
        system.block_on(async move {
            let jobs = crate::start_jobs(&d, settings, crate::Chats::from_settings(settings));
            tokio::signal::ctrl_c().await.context("waiting for Ctrl-C")?;
            jobs.shutdown().await;
            Ok(())
        })
    };
    desk.close();
    result
}

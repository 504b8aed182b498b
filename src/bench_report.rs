//! `meja bench report`: the monthly city-wide report over a database of a year of tickets, in
//! every format (docs/benchmarks.md).

use std::sync::Arc;
use std::time::Instant;

use chrono::{Datelike, Duration, NaiveDate, TimeZone, Utc};
use diesel::prelude::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::clock::{Clock, ManualClock, SystemClock};
use crate::config::Settings;
use crate::db::schema::{csat, tickets};
use crate::db::tickets::TicketRow;
use crate::db::DbConn;
use crate::desk::{new_id, reports, Desk};
use crate::domain::report::{Period, ReportDocument};
use crate::reports::Format;

const KINDS: [(&str, u32); 6] =
    [("incident", 50), ("service_request", 25), ("complaint", 8), ("information", 12), ("change", 4), ("problem", 1)];
const CHANNELS: [&str; 5] = ["web", "email", "telegram", "api", "phone"];
/// (priority, impact, urgency, share %, first response minutes, resolution minutes).
const PRIORITIES: [(&str, &str, &str, u32, i64, i64); 4] = [
    ("P1", "high", "high", 3, 30, 240),
    ("P2", "high", "medium", 12, 60, 900),
    ("P3", "medium", "medium", 55, 240, 1350),
    ("P4", "low", "low", 30, 450, 2250),
];

fn pick<T: Copy>(rng: &mut StdRng, items: &[(T, u32)]) -> T {
    let total: u32 = items.iter().map(|(_, w)| w).sum();
    let mut roll = rng.gen_range(0..total);
    for (item, weight) in items {
        if roll < *weight {
            return *item;
        }
        roll -= weight;
    }
    items[0].0
}

#[derive(Insertable)]
#[diesel(table_name = csat, treat_none_as_default_value = false)]
struct CsatRow {
    ticket_id: String,
    token_hash: String,
    requested_at: chrono::NaiveDateTime,
    rating: Option<i32>,
    comment: Option<String>,
    rated_at: Option<chrono::NaiveDateTime>,
}

/// Fills the database with `total` tickets over the twelve months before the last closed
/// one, day by day: mostly resolved and closed, some escalated (with their audit events),
/// ratings for half of the resolved ones. Rows are written in bulk; the escalation events go
/// through the writer so the audit chain stays whole.
fn seed(settings: &Settings, total: usize) -> anyhow::Result<Period> {
    let now = SystemClock.now();
    let zone = chrono_tz::Asia::Jakarta;
    let this_month = now.with_timezone(&zone).date_naive().with_day(1).unwrap_or_default();
    let report_month = Period::month_of(this_month.pred_opt().unwrap_or(this_month));
    let clock = ManualClock::starting_at(now);
    let desk = crate::open_desk(settings, Arc::new(clock.clone()))?;
    let have = desk.read_blocking(|conn| Ok(crate::db::tickets::count(conn)?))?;
    if have as usize >= total {
        desk.close();
        return Ok(report_month);
    }
    let units = desk.read_blocking(|conn| Ok(crate::db::catalog::list_units(conn)?))?;
    anyhow::ensure!(!units.is_empty(), "no units: run `meja serve --demo` once first");
    let services = desk.read_blocking(|conn| Ok(crate::db::catalog::list_services(conn, None)?))?;
    // One requester for all: the report does not look at who asked.
    let requester_id = desk.writer.write_blocking(|tx| {
        let row = crate::db::catalog::RequesterRow {
            id: new_id(),
            name: "Penguji laporan".into(),
            email: None,
            phone: None,
            telegram_id: None,
            user_id: None,
            created_at: tx.now.naive_utc(),
            language: None,
        };
        crate::db::catalog::insert_requester(tx.conn, &row)?;
        Ok(row.id)
    })?;
    let first_day = report_month.last_day.checked_sub_days(chrono::Days::new(365)).unwrap_or(report_month.first_day);
    let days: Vec<NaiveDate> = first_day.iter_days().take_while(|d| *d <= report_month.last_day).collect();
    let per_day = (total - have as usize).div_ceil(days.len());
    let mut rng = StdRng::seed_from_u64(2026);
    let started = Instant::now();
    let mut made = 0usize;
    for (d, day) in days.iter().enumerate() {
        let opening = zone
            .from_local_datetime(&day.and_hms_opt(7, 30, 0).unwrap_or_default())
            .single()
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or(now);
        let mut rows = Vec::with_capacity(per_day);
        let mut ratings = Vec::new();
        let mut escalations = Vec::new();
        for i in 0..per_day.min(total - have as usize - made) {
            let unit = &units[rng.gen_range(0..units.len())];
            let service = services.iter().filter(|s| s.unit_id == unit.id).nth(rng.gen_range(0..3));
            let kind = pick(&mut rng, &KINDS);
            let weights: Vec<(usize, u32)> = PRIORITIES.iter().enumerate().map(|(k, p)| (k, p.3)).collect();
            let (priority, impact, urgency, _, fr_target, res_target) = PRIORITIES[pick(&mut rng, &weights)];
            let created = opening + Duration::seconds(rng.gen_range(0..30_000));
            let fr_due = created + Duration::minutes(fr_target);
            let res_due = created + Duration::minutes(res_target);
            let responded =
                (rng.gen_range(0..100) < 96).then(|| created + Duration::minutes(rng.gen_range(5..fr_target * 2)));
            let recent = d + 5 >= days.len();
            let open = rng.gen_range(0..100) < if recent { 30 } else { 2 };
            let resolved = (!open).then(|| created + Duration::minutes(rng.gen_range(30..res_target * 2)));
            let closed = resolved.filter(|r| *r + Duration::days(3) < now).map(|r| r + Duration::days(3));
            let escalated = rng.gen_range(0..100) < 5;
            let id = new_id();
            let status = match (open, closed) {
                (true, _) => "open",
                (false, Some(_)) => "closed",
                (false, None) => "resolved",
            };
            rows.push(TicketRow {
                id: id.clone(),
                number: format!("RPT-{}-{:07}", day.year(), made + i),
                kind: kind.into(),
                title: format!("Beban uji laporan {}", made + i),
                description: "Tiket untuk pengukuran laporan.".into(),
                unit_id: unit.id.clone(),
                service_id: service.map(|s| s.id.clone()),
                tier: if escalated { 2 } else { 1 },
                status: status.into(),
                active: open,
                impact: impact.into(),
                urgency: urgency.into(),
                priority: priority.into(),
                classification: "public".into(),
                security_incident: rng.gen_range(0..1000) == 0,
                channel: CHANNELS[rng.gen_range(0..CHANNELS.len())].into(),
                requester_id: requester_id.clone(),
                tracking_token_hash: None,
                assignee_id: None,
                tier1_assignee_id: None,
                escalated,
                created_by: None,
                created_at: created.naive_utc(),
                updated_at: created.naive_utc(),
                first_response_at: responded.map(|t| t.naive_utc()),
                first_response_due: fr_due.naive_utc(),
                resolution_due: res_due.naive_utc(),
                pending_since: None,
                paused_seconds: 0,
                resolved_at: resolved.map(|t| t.naive_utc()),
                closed_at: closed.map(|t| t.naive_utc()),
                sla_next_at: None,
            });
            if let Some(at) = resolved {
                let rated = rng.gen_range(0..2) == 0;
                ratings.push(CsatRow {
                    ticket_id: id.clone(),
                    token_hash: String::new(),
                    requested_at: at.naive_utc(),
                    rating: rated.then(|| rng.gen_range(1..=5)),
                    comment: None,
                    rated_at: rated.then(|| at.naive_utc()),
                });
            }
            if escalated {
                escalations.push(id);
            }
        }
        made += rows.len();
        clock.set(opening + Duration::hours(3));
        desk.writer.write_blocking(move |tx| {
            match &mut *tx.conn {
                DbConn::Sqlite(c) => {
                    for chunk in rows.chunks(500) {
                        diesel::insert_into(tickets::table).values(chunk).execute(c)?;
                    }
                    for chunk in ratings.chunks(500) {
                        diesel::insert_into(csat::table).values(chunk).execute(c)?;
                    }
                }
                DbConn::Pg(c) => {
                    for chunk in rows.chunks(500) {
                        diesel::insert_into(tickets::table).values(chunk).execute(c)?;
                    }
                    for chunk in ratings.chunks(500) {
                        diesel::insert_into(csat::table).values(chunk).execute(c)?;
                    }
                }
            }
            for id in &escalations {
                tx.record(Some(id), None, "ticket.escalated", serde_json::json!({ "reason": "beban uji" }))?;
            }
            Ok(())
        })?;
        if (d + 1) % 30 == 0 || d + 1 == days.len() {
            println!(
                "seeded {} tickets ({:.0}/s)",
                have as usize + made,
                made as f64 / started.elapsed().as_secs_f64()
            );
        }
    }
    if let DbConn::Pg(_) = desk.url.connect()? {
        use diesel::connection::SimpleConnection;
        desk.url.connect()?.batch_execute("ANALYZE")?;
    }
    desk.close();
    Ok(report_month)
}

/// Times the city-wide report of the last closed month: computing it, and each format.
pub fn run(settings: &Settings, total: usize, runs: usize) -> anyhow::Result<()> {
    let month = seed(settings, total)?;
    let desk: Desk = crate::open_desk(settings, Arc::new(SystemClock))?;
    let count = desk.read_blocking(|conn| Ok(crate::db::tickets::count(conn)?))?;
    let mut in_month = 0;
    for format in Format::ALL {
        let mut samples = Vec::with_capacity(runs);
        let mut size = 0;
        for _ in 0..runs {
            let started = Instant::now();
            let doc = desk.read_blocking(|conn| {
                let audience = reports::audience_of(conn, None)?;
                Ok(ReportDocument::new(reports::compute(&desk, conn, &audience, &month)?, desk.now()))
            })?;
            let bytes = crate::reports::render(&doc, format)?;
            samples.push(started.elapsed().as_secs_f64() * 1000.0);
            size = bytes.len();
            in_month = doc.report.volume.total;
        }
        samples.sort_by(|a, b| a.total_cmp(b));
        println!(
            "{}: city-wide report {} ({in_month} tickets of {count}) as {}: median {:.0} ms, max {:.0} ms over {runs} runs, {} KB",
            desk.url.backend_name(),
            month.label,
            format.as_str(),
            samples[samples.len() / 2],
            samples[samples.len() - 1],
            size / 1024
        );
    }
    breakdown(&desk, &month)?;
    desk.close();
    Ok(())
}

/// Each query of the report once, to see where the time goes.
fn breakdown(desk: &Desk, month: &Period) -> anyhow::Result<()> {
    use crate::db::reports as q;
    let mut conn = desk.pool.get()?;
    let w = reports::window(desk, &reports::audience_of(&mut conn, None)?, month);
    let mut line = Vec::new();
    let mut time = |name: &str, run: &mut dyn FnMut(&mut DbConn) -> diesel::QueryResult<usize>| -> anyhow::Result<()> {
        let started = Instant::now();
        let rows = run(&mut conn)?;
        line.push(format!("{name} {:.0} ms ({rows})", started.elapsed().as_secs_f64() * 1000.0));
        Ok(())
    };
    time("kind×channel", &mut |c| q::by_kind_channel(c, &w).map(|v| v.len()))?;
    time("service", &mut |c| q::by_service(c, &w, None).map(|v| v.len()))?;
    time("day", &mut |c| q::per_day(c, &w).map(|v| v.len()))?;
    time("resolved", &mut |c| q::resolved(c, &w).map(|_| 1))?;
    time("closed", &mut |c| q::finished(c, &w).map(|v| v.len()))?;
    time("backlog", &mut |c| q::backlog(c, &w).map(|v| v.len()))?;
    time("sla", &mut |c| q::sla_per_priority(c, &w).map(|v| v.len()))?;
    time("timings", &mut |c| q::timings(c, &w).map(|v| v.len()))?;
    time("breaches", &mut |c| q::breaches(c, &w).map(|v| v.len()))?;
    time("escalations", &mut |c| q::escalated_events(c, &w).map(|v| v.len()))?;
    time("security", &mut |c| q::security_incidents(c, &w).map(|v| v.len()))?;
    time("csat", &mut |c| q::csat(c, &w).map(|v| v.len()))?;
    time("problems", &mut |c| q::problems(c, &w).map(|v| v.len()))?;
    time("agents", &mut |c| q::agent_activity(c, &w).map(|v| v.len()))?;
    println!("{}: queries (rows): {}", desk.url.backend_name(), line.join(", "));
    Ok(())
}

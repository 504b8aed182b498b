//! `meja bench sla-due | sla-idle | sla-burst`: the SLA figures of docs/benchmarks.md.

use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use diesel::connection::SimpleConnection;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::clock::{Clock, ManualClock, SystemClock};
use crate::config::Settings;
use crate::db::DbConn;
use crate::desk::catalog::{self, NewUnit, NewUser};
use crate::desk::scheduler::{self, SweepReport};
use crate::desk::tickets::{open_ticket, NewTicket, RequesterInput};
use crate::desk::Desk;
use crate::domain::role::Role;
use crate::domain::sla::Calendar;
use crate::domain::ticket::{Kind, Level};

/// Indonesia's 2026 national holidays and cuti bersama (SKB 3 Menteri), as a realistic load.
const HOLIDAYS_2026: &[&str] = &[
    "2026-01-01",
    "2026-01-16",
    "2026-02-16",
    "2026-02-17",
    "2026-03-18",
    "2026-03-19",
    "2026-03-20",
    "2026-03-23",
    "2026-03-24",
    "2026-04-03",
    "2026-05-01",
    "2026-05-14",
    "2026-05-15",
    "2026-05-27",
    "2026-05-28",
    "2026-05-31",
    "2026-06-01",
    "2026-06-16",
    "2026-08-17",
    "2026-08-25",
    "2026-12-24",
    "2026-12-25",
];

fn percentile(samples: &mut [f64], q: f64) -> f64 {
    samples.sort_by(|a, b| a.total_cmp(b));
    samples[((samples.len() as f64 * q) as usize).min(samples.len().saturating_sub(1))]
}

/// Due-time computations on one thread: random starts over the year, random targets of
/// 1 minute to 5 working days, on `jam-kerja` with the year's holidays.
pub fn due_rate(computations: usize) -> anyhow::Result<()> {
    let mut cal = Calendar::jam_kerja();
    for day in HOLIDAYS_2026 {
        cal.holidays.insert(day.parse::<NaiveDate>()?);
    }
    let year_start = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).single().ok_or_else(|| anyhow::anyhow!("date"))?;
    let mut rng = StdRng::seed_from_u64(7);
    let inputs: Vec<(DateTime<Utc>, i64)> = (0..computations)
        .map(|_| (year_start + Duration::seconds(rng.gen_range(0..350 * 86_400)), rng.gen_range(1..=2250)))
        .collect();
    for (name, calendar) in [("jam-kerja", &cal), ("24x7", &Calendar::twenty_four_seven())] {
        let started = Instant::now();
        let mut checksum = 0i64;
        for (start, minutes) in &inputs {
            checksum ^= calendar.add_business_minutes(*start, *minutes)?.timestamp();
        }
        let elapsed = started.elapsed().as_secs_f64();
        println!(
            "{name}: {computations} due-time computations in {:.3} s = {:.0}/s on one thread ({:.0} ns each; checksum {checksum})",
            elapsed,
            computations as f64 / elapsed,
            elapsed * 1e9 / computations as f64
        );
    }
    Ok(())
}

fn open_ticket_count(conn: &mut DbConn) -> anyhow::Result<i64> {
    use crate::db::schema::tickets;
    use diesel::prelude::*;
    Ok(tickets::table.filter(tickets::sla_next_at.is_not_null()).count().get_result(conn)?)
}

const TICKET_COLUMNS: &str = "kind, title, description, unit_id, service_id, tier, status, active, impact, urgency, \
    priority, classification, security_incident, channel, requester_id, tracking_token_hash, assignee_id, \
    tier1_assignee_id, escalated, created_by, created_at, updated_at, first_response_at, first_response_due, \
    resolution_due, pending_since, paused_seconds, resolved_at, closed_at";

/// Copies a template ticket `count` times with clocks due in the future, in bulk SQL: filling
/// a million through the use case would take a quarter of an hour on PostgreSQL.
fn bulk_open(conn: &mut DbConn, template: &str, from: i64, count: i64) -> anyhow::Result<()> {
    let to = from + count - 1;
    let sql = match conn {
        DbConn::Pg(_) => format!(
            "INSERT INTO tickets (id, number, {TICKET_COLUMNS}, sla_next_at) \
             SELECT 'bench-' || g, 'BENCH-' || g, {TICKET_COLUMNS}, now() AT TIME ZONE 'UTC' + interval '1 day' + g * interval '1 second' \
             FROM tickets, generate_series({from}, {to}) g WHERE id = '{template}'"
        ),
        DbConn::Sqlite(_) => format!(
            "WITH RECURSIVE g(n) AS (SELECT {from} UNION ALL SELECT n + 1 FROM g WHERE n < {to}) \
             INSERT INTO tickets (id, number, {TICKET_COLUMNS}, sla_next_at) \
             SELECT 'bench-' || n, 'BENCH-' || n, {TICKET_COLUMNS}, strftime('%Y-%m-%d %H:%M:%f', 'now', '+1 day', '+' || n || ' seconds') \
             FROM tickets, g WHERE id = '{template}'"
        ),
    };
    conn.batch_execute(&sql)?;
    Ok(())
}

fn bench_unit(desk: &Desk, code: &str, tier2: bool) -> anyhow::Result<()> {
    let c = code.to_string();
    let exists = desk.read_blocking(move |conn| Ok(crate::db::catalog::unit_by_code(conn, &c)?))?.is_some();
    let tier2_exists = desk.read_blocking(|conn| Ok(crate::db::catalog::tier2_unit(conn)?))?.is_some();
    // One tier-2 unit per city: reuse the one there is.
    let present = exists || (tier2 && tier2_exists);
    if !present {
        let input = NewUnit {
            code: code.into(),
            name: format!("Unit uji {code}"),
            tier2,
            email: Some(format!("{}@bench.invalid", code.to_lowercase())),
        };
        desk.writer.write_blocking(move |tx| catalog::create_unit(tx, None, input))?;
    }
    Ok(())
}

fn p1_ticket(unit: &str, i: usize) -> NewTicket {
    NewTicket {
        kind: Kind::Incident,
        title: format!("Beban uji SLA {i}"),
        description: "Tiket untuk pengukuran penjadwal SLA.".into(),
        unit: Some(unit.into()),
        service: None,
        impact: Level::High,
        urgency: Level::High,
        requester: Some(RequesterInput::named("Penguji", Some("penguji@bench.invalid".into()))),
        classification: None,
        security_incident: None,
        personal_data_breach: None,
        channel: None,
        follow_disruption: None,
    }
}

/// Scheduler passes with nothing due over `open` open tickets.
pub fn idle(desk: &Desk, settings: &Settings, open: i64, runs: usize) -> anyhow::Result<()> {
    bench_unit(desk, "BENCHSLA", false)?;
    let have = desk
        .read_blocking(|conn| open_ticket_count(conn).map_err(|e| crate::desk::DeskError::Internal(e.to_string())))?;
    if have < open {
        let d = desk.clone();
        let template = desk
            .writer
            .write_blocking(move |tx| Ok(open_ticket(tx, &d, None, p1_ticket("BENCHSLA", 0))?.ticket.row.id))?;
        let mut conn = desk.url.connect()?;
        let started = Instant::now();
        let mut done = have + 1;
        while done < open {
            let n = (open - done).min(100_000);
            bulk_open(&mut conn, &template, done, n)?;
            done += n;
            println!("{done} open tickets ({:.0}/s)", (done - have) as f64 / started.elapsed().as_secs_f64());
        }
        // The template itself is due soon: move it out of the way like the copies.
        conn.batch_execute(&format!(
            "UPDATE tickets SET sla_next_at = (SELECT MAX(sla_next_at) FROM tickets) WHERE id = '{template}'"
        ))?;
        if let DbConn::Pg(_) = conn {
            conn.batch_execute("ANALYZE tickets")?;
        }
    }
    let open_now = desk
        .read_blocking(|conn| open_ticket_count(conn).map_err(|e| crate::desk::DeskError::Internal(e.to_string())))?;
    let mut samples = Vec::with_capacity(runs);
    for _ in 0..runs {
        let started = Instant::now();
        let report = scheduler::sweep_blocking(desk, settings.jobs_batch)?;
        samples.push(started.elapsed().as_secs_f64() * 1000.0);
        anyhow::ensure!(report == SweepReport::default(), "something was due: {report:?}");
    }
    let max = samples.iter().cloned().fold(0.0, f64::max);
    println!(
        "{}: idle scheduler pass with {open_now} open tickets waiting: p50 {:.3} ms, p95 {:.3} ms, max {:.3} ms over {runs} passes",
        desk.url.backend_name(),
        percentile(&mut samples, 0.5),
        percentile(&mut samples, 0.95),
        max
    );
    Ok(())
}

/// `tickets` P1 tickets whose warnings already fired breach their resolution target at the
/// same instant; one pass (parallel writers on PostgreSQL, as in `serve`) handles them.
pub fn burst(settings: &Settings, tickets: usize) -> anyhow::Result<()> {
    let t0 = SystemClock.now() - Duration::hours(5);
    let clock = ManualClock::starting_at(t0);
    let desk = crate::open_desk(settings, Arc::new(clock.clone()))?;
    let pending = desk.read_blocking(|conn| Ok(crate::db::sla::next_instant(conn)?))?;
    anyhow::ensure!(pending.is_none(), "run sla-burst on an empty database: other tickets have SLA clocks running");
    bench_unit(&desk, "BENCHBURST", false)?;
    bench_unit(&desk, "BENCHT2", true)?;
    if desk.read_blocking(|conn| Ok(crate::db::catalog::user_by_username(conn, "kepala.benchburst")?))?.is_none() {
        let hash = crate::desk::auth::hash_password("Bench-Password-2026")?;
        let input = NewUser {
            username: "kepala.benchburst".into(),
            name: "Kepala Unit Uji".into(),
            email: Some("kepala@bench.invalid".into()),
            password: "Bench-Password-2026".into(),
            role: Role::UnitHead,
            unit: Some("BENCHBURST".into()),
        };
        desk.writer.write_blocking(move |tx| catalog::create_user(tx, None, input, hash))?;
    }
    let started = Instant::now();
    for chunk in (0..tickets).collect::<Vec<_>>().chunks(500) {
        let (d, chunk) = (desk.clone(), chunk.to_vec());
        desk.writer.write_blocking(move |tx| {
            for i in chunk {
                let mut row = open_ticket(tx, &d, None, p1_ticket("BENCHBURST", i))?.ticket.row;
                // Answered at once: only the resolution clock runs.
                row.first_response_at = Some(row.created_at);
                crate::desk::sla::reschedule(tx.conn, &d.rules(), &mut row, Some(&[]))?;
                crate::db::tickets::save(tx.conn, &row)?;
            }
            Ok(())
        })?;
    }
    println!("opened {tickets} P1 tickets in {:.1} s", started.elapsed().as_secs_f64());
    let parallel = if matches!(desk.url, crate::db::DbUrl::Postgres(_)) { settings.writers.max(1) } else { 1 };
    let system = actix_web::rt::System::new();
    // 230 minutes in: the 75% and 90% warnings fire (not timed).
    clock.set(t0 + Duration::minutes(230));
    let warm = system.block_on(scheduler::sweep(&desk, settings.jobs_batch, parallel))?;
    println!("warnings first: {} warnings", warm.warnings);
    // 241 minutes in: every resolution target of the burst has just been missed.
    clock.set(t0 + Duration::minutes(241));
    let started = Instant::now();
    let report = system.block_on(scheduler::sweep(&desk, settings.jobs_batch, parallel))?;
    let elapsed = started.elapsed().as_secs_f64();
    println!(
        "{}: {} simultaneous breaches processed in {:.2} s ({:.0}/s): {} escalations to tier 2, {} notices queued, {} audit events; batch {}, {} parallel writer(s)",
        desk.url.backend_name(),
        report.breaches,
        elapsed,
        report.breaches as f64 / elapsed,
        report.escalations,
        report.notices,
        report.breaches + report.escalations,
        settings.jobs_batch,
        parallel
    );
    desk.close();
    Ok(())
}

/// Messages per second from an IMAP mailbox into tickets: `count` messages are appended to the
/// mailbox first (IMAP APPEND), then one intake pass takes them in.
pub fn mail_ingest(settings: &Settings, imap_url: &str, count: usize) -> anyhow::Result<()> {
    let target = crate::email::imap_intake::parse_imap_url(imap_url).map_err(anyhow::Error::msg)?;
    anyhow::ensure!(!target.tls, "the benchmark appends over plain IMAP on loopback");
    let desk = crate::open_desk(settings, Arc::new(SystemClock))?;
    bench_unit(&desk, "BENCHMAIL", false)?;
    let name = format!("bench{}", &uuid::Uuid::now_v7().simple().to_string()[20..]);
    let input = crate::desk::mail::NewMailbox {
        name: name.clone(),
        unit: "BENCHMAIL".into(),
        address: format!("{name}@kota.test"),
        imap_url: Some(imap_url.to_string()),
    };
    let d = desk.clone();
    desk.writer.write_blocking(move |tx| crate::desk::mail::create_mailbox(tx, &d, None, input))?;
    let mut client = imap::Client::new(std::net::TcpStream::connect((target.host.as_str(), target.port))?);
    client.read_greeting()?;
    let mut session = client.login(&target.user, &target.password).map_err(|(e, _)| e)?;
    let started = Instant::now();
    for i in 0..count {
        let raw = format!(
            "From: Warga {i} <warga{i}@warga.test>\r\nTo: {name}@kota.test\r\nSubject: Laporan beban {i}\r\nMessage-ID: <{name}-{i}@warga.test>\r\nDate: Mon, 23 Nov 2026 08:00:00 +0700\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\nJalan berlubang di depan rumah nomor {i}; mohon segera diperbaiki.\r\n"
        );
        session.append(&target.folder, raw.as_bytes())?;
    }
    let _ = session.logout();
    println!("appended {count} messages in {:.1} s", started.elapsed().as_secs_f64());
    let started = Instant::now();
    let report = crate::email::imap_intake::poll_once(&desk, &name, &target)?;
    let elapsed = started.elapsed().as_secs_f64();
    println!(
        "{}: {} messages from Dovecot into tickets in {elapsed:.2} s = {:.0} messages/s (fetch, parse, ticket + acknowledgement + audit event, \\Seen)",
        desk.url.backend_name(),
        report.taken_in,
        report.taken_in as f64 / elapsed
    );
    desk.close();
    Ok(())
}

/// Messages per second from the outbox to the SMTP server.
pub fn mail_deliver(settings: &Settings, count: usize) -> anyhow::Result<()> {
    let mailer = crate::email::outbound::Mailer::from_settings(settings)?
        .ok_or_else(|| anyhow::anyhow!("set MEJA_SMTP_URL (e.g. smtp://127.0.0.1:25)"))?;
    let desk = crate::open_desk(settings, Arc::new(SystemClock))?;
    bench_unit(&desk, "BENCHMAIL", false)?;
    let tag = &uuid::Uuid::now_v7().simple().to_string()[20..];
    for chunk in (0..count).collect::<Vec<_>>().chunks(500) {
        let (d, chunk, tag) = (desk.clone(), chunk.to_vec(), tag.to_string());
        desk.writer.write_blocking(move |tx| {
            for i in chunk {
                let mut input = p1_ticket("BENCHMAIL", i);
                if let Some(r) = input.requester.as_mut() {
                    r.email = Some(format!("warga{i}-{tag}@warga.test"));
                }
                open_ticket(tx, &d, None, input)?;
            }
            Ok(())
        })?;
    }
    let started = Instant::now();
    let mut total = crate::email::outbound::DeliveryReport::default();
    loop {
        let r = crate::email::outbound::deliver_due(&desk, &mailer, 200)?;
        if r.sent + r.retrying + r.given_up + r.skipped == 0 {
            break;
        }
        total.sent += r.sent;
        total.retrying += r.retrying;
    }
    let elapsed = started.elapsed().as_secs_f64();
    println!(
        "{}: {} acknowledgements delivered to Postfix in {elapsed:.2} s = {:.0} messages/s ({} to retry)",
        desk.url.backend_name(),
        total.sent,
        total.sent as f64 / elapsed,
        total.retrying
    );
    desk.close();
    Ok(())
}

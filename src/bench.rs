//! `meja bench …`: programs that print the numbers in docs/benchmarks.md. Never run by tests.

use std::sync::Arc;
use std::time::Instant;

use clap::Subcommand;

use crate::clock::SystemClock;
use crate::config::Settings;
use crate::desk::queue::{self, QueueQuery};
use crate::desk::tickets::{self, NewTicket, RequesterInput};
use crate::domain::role::{Actor, Role};
use crate::domain::ticket::{Kind, Level};

#[derive(Subcommand)]
pub enum BenchCommand {
    /// Fill the database with tickets through the real use case (events included), spread
    /// over the units present; most of them closed, as in a desk that has run for years.
    Seed {
        #[arg(long, default_value_t = 1_000_000)]
        tickets: usize,
        /// Tickets per transaction.
        #[arg(long, default_value_t = 2_000)]
        batch: usize,
    },
    /// Time the first page of a unit's open queue, as its tier-1 agent sees it.
    ListQueue {
        #[arg(long)]
        unit: String,
        #[arg(long, default_value_t = 500)]
        runs: usize,
    },
    /// Due-time computations per second on one core, targets up to five working days.
    SlaDue {
        #[arg(long, default_value_t = 2_000_000)]
        computations: usize,
    },
    /// Time scheduler passes that find nothing due, with `--open` open tickets waiting
    /// (added in bulk if the database has fewer).
    SlaIdle {
        #[arg(long, default_value_t = 1_000_000)]
        open: i64,
        #[arg(long, default_value_t = 200)]
        runs: usize,
    },
    /// Time one pass over a burst of simultaneous resolution breaches (events, notices and
    /// escalations included). Run on an empty database: it moves its own clock.
    SlaBurst {
        #[arg(long, default_value_t = 10_000)]
        tickets: usize,
    },
    /// Messages/s from an IMAP mailbox into tickets (appends them first).
    MailIngest {
        /// imap://user:password@host:port/INBOX on loopback.
        #[arg(long)]
        imap: String,
        #[arg(long, default_value_t = 2_000)]
        messages: usize,
    },
    /// The city-wide report of the last closed month, in every format, over a year of
    /// `--tickets` tickets (added in bulk if the database has fewer).
    Report {
        #[arg(long, default_value_t = 1_000_000)]
        tickets: usize,
        #[arg(long, default_value_t = 5)]
        runs: usize,
    },
    /// Messages/s from the outbox to the SMTP server of MEJA_SMTP_URL.
    MailDeliver {
        #[arg(long, default_value_t = 2_000)]
        messages: usize,
    },
    /// Sign-in time of one person: through the directory when MEJA_LDAP_* is set, else the
    /// local password. The password is read from MEJA_BENCH_PASSWORD.
    SignIn {
        #[arg(long)]
        username: String,
        #[arg(long, default_value_t = 200)]
        runs: usize,
    },
    /// The bearer-token check every request makes.
    TokenCheck {
        #[arg(long, default_value_t = 20_000)]
        runs: usize,
    },
    /// One check and one count of an abuse limit (shared through the database on PostgreSQL).
    LimitCheck {
        #[arg(long, default_value_t = 20_000)]
        runs: usize,
    },
    /// The public status page and its JSON with `--services` services and `--disruptions`
    /// past disruptions (both added if the database has fewer), served on a loopback port.
    Status {
        #[arg(long, default_value_t = 200)]
        services: usize,
        #[arg(long, default_value_t = 10_000)]
        disruptions: usize,
        #[arg(long, default_value_t = 500)]
        runs: usize,
    },
    /// One bulk call (start, then resolve) on `--tickets` new tickets of a tier-1 unit, as the
    /// admin account; `--runs` times.
    Bulk {
        #[arg(long, default_value_t = 500)]
        tickets: usize,
        #[arg(long, default_value_t = 5)]
        runs: usize,
    },
    /// The queue's text search at `--tickets` tickets (added in bulk if the database has
    /// fewer), for words of known frequency, city-wide and for one unit.
    Search {
        #[arg(long, default_value_t = 1_000_000)]
        tickets: usize,
        #[arg(long, default_value_t = 50)]
        runs: usize,
    },
    /// `--alerts` distinct firing alerts for `--services` services from `--clients` clients at
    /// once: the time taken and the tickets opened (one per service is right).
    AlertStorm {
        #[arg(long, default_value_t = 50)]
        services: usize,
        #[arg(long, default_value_t = 1_000)]
        alerts: usize,
        #[arg(long, default_value_t = 8)]
        clients: usize,
    },
}

pub fn run(command: BenchCommand, settings: &Settings) -> anyhow::Result<()> {
    if let BenchCommand::SlaDue { computations } = command {
        return crate::bench_sla::due_rate(computations);
    }
    match command {
        BenchCommand::SlaBurst { tickets } => return crate::bench_sla::burst(settings, tickets),
        BenchCommand::MailIngest { imap, messages } => return crate::bench_sla::mail_ingest(settings, &imap, messages),
        BenchCommand::MailDeliver { messages } => return crate::bench_sla::mail_deliver(settings, messages),
        BenchCommand::Report { tickets, runs } => return crate::bench_report::run(settings, tickets, runs),
        BenchCommand::Search { tickets, runs } => return crate::bench_search::run(settings, tickets, runs),
        BenchCommand::Status { services, disruptions, runs } => {
            return crate::bench_status::status(settings, services, disruptions, runs)
        }
        BenchCommand::AlertStorm { services, alerts, clients } => {
            return crate::bench_status::alert_storm(settings, services, alerts, clients)
        }
        _ => {}
    }
    let desk = crate::open_desk(settings, Arc::new(SystemClock))?;
    let result = match command {
        BenchCommand::Seed { tickets: total, batch } => seed(&desk, total, batch),
        BenchCommand::ListQueue { unit, runs } => list_queue(&desk, &unit, runs),
        BenchCommand::SlaIdle { open, runs } => crate::bench_sla::idle(&desk, settings, open, runs),
        // No early return: the desk is closed below whatever happens.
        BenchCommand::SignIn { username, runs } => std::env::var("MEJA_BENCH_PASSWORD")
            .map_err(|_| anyhow::anyhow!("set MEJA_BENCH_PASSWORD"))
            .and_then(|password| crate::bench_auth::sign_in(&desk, &username, &password, runs)),
        BenchCommand::TokenCheck { runs } => crate::bench_auth::token_check(&desk, runs),
        BenchCommand::Bulk { tickets, runs } => {
            admin_actor(&desk).and_then(|a| crate::bench_bulk::run(&desk, &a, tickets, runs))
        }
        BenchCommand::LimitCheck { runs } => crate::bench_auth::limit_check(&desk, runs),
        BenchCommand::SlaDue { .. }
        | BenchCommand::SlaBurst { .. }
        | BenchCommand::MailIngest { .. }
        | BenchCommand::MailDeliver { .. }
        | BenchCommand::Report { .. }
        | BenchCommand::Search { .. }
        | BenchCommand::Status { .. }
        | BenchCommand::AlertStorm { .. } => Ok(()),
    };
    desk.close();
    result
}

fn bench_actor(desk: &crate::desk::Desk, unit_code: Option<&str>, role: Role) -> anyhow::Result<Actor> {
    let unit_id = match unit_code {
        Some(code) => {
            let code = code.to_string();
            Some(
                desk.read_blocking(move |conn| Ok(crate::db::catalog::unit_by_code(conn, &code)?))?
                    .ok_or_else(|| anyhow::anyhow!("no unit {}", unit_code.unwrap_or_default()))?
                    .id,
            )
        }
        None => None,
    };
    Ok(Actor { user_id: "bench".into(), username: "bench".into(), name: "Benchmark".into(), role, unit_id })
}

/// A new incident in `unit` reported by a tester, low impact and urgency: what the write
/// benchmarks open.
pub(crate) fn bench_ticket(title: String, description: &str, unit: &str) -> NewTicket {
    NewTicket {
        kind: Kind::Incident,
        title,
        description: description.into(),
        unit: Some(unit.to_string()),
        service: None,
        impact: Level::Low,
        urgency: Level::Low,
        requester: Some(RequesterInput::named("Penguji", None)),
        classification: None,
        security_incident: None,
        personal_data_breach: None,
        channel: None,
        follow_disruption: None,
    }
}

/// The admin account as an actor: benchmarks that write act as it (their events need a real
/// user). It exists after any start.
fn admin_actor(desk: &crate::desk::Desk) -> anyhow::Result<Actor> {
    crate::desk::catalog::ensure_admin(desk, None)?;
    let admin = desk
        .read_blocking(|conn| Ok(crate::db::catalog::user_by_username(conn, "admin")?))?
        .ok_or_else(|| anyhow::anyhow!("no admin account"))?;
    Ok(Actor { user_id: admin.id, ..bench_actor(desk, None, Role::Admin)? })
}

pub fn seed(desk: &crate::desk::Desk, total: usize, batch: usize) -> anyhow::Result<()> {
    let units = desk.read_blocking(|conn| Ok(crate::db::catalog::list_units(conn)?))?;
    anyhow::ensure!(!units.is_empty(), "no units: run `meja serve --demo` once or create units first");
    let supervisor = admin_actor(desk)?;
    let started = Instant::now();
    let mut done = 0usize;
    while done < total {
        let n = batch.min(total - done);
        let d = desk.clone();
        let actor = supervisor.clone();
        let codes: Vec<String> = units.iter().map(|u| u.code.clone()).collect();
        let offset = done;
        desk.writer.write_blocking(move |tx| {
            for i in 0..n {
                let k = offset + i;
                let mut input = bench_ticket(
                    format!("Beban uji {k}"),
                    "Tiket untuk pengukuran kinerja antrean.",
                    &codes[k % codes.len()],
                );
                input.impact = Level::Medium;
                let opened = tickets::open_ticket(tx, &d, Some(&actor), input)?;
                // 98% of a long-running desk's tickets are closed.
                if k % 50 != 0 {
                    let mut row = opened.ticket.row;
                    row.status = "closed".into();
                    row.active = false;
                    row.closed_at = Some(tx.now.naive_utc());
                    row.sla_next_at = None;
                    crate::db::tickets::save(tx.conn, &row)?;
                }
            }
            Ok(())
        })?;
        done += n;
        if done % (batch * 50) == 0 || done == total {
            let rate = done as f64 / started.elapsed().as_secs_f64();
            println!("seeded {done} tickets ({rate:.0}/s)");
        }
    }
    Ok(())
}

fn list_queue(desk: &crate::desk::Desk, unit: &str, runs: usize) -> anyhow::Result<()> {
    let agent = bench_actor(desk, Some(unit), Role::AgentT1)?;
    let query = QueueQuery { status: Some("active".into()), ..QueueQuery::default() };
    let mut samples = Vec::with_capacity(runs);
    let mut items = 0;
    for _ in 0..runs {
        let started = Instant::now();
        let page = desk.read_blocking(|conn| queue::list(desk, conn, &agent, &query))?;
        samples.push(started.elapsed().as_secs_f64() * 1000.0);
        items = page.items.len();
    }
    samples.sort_by(|a, b| a.total_cmp(b));
    let at = |q: f64| samples[((samples.len() as f64 * q) as usize).min(samples.len() - 1)];
    let total = desk.read_blocking(|conn| Ok(crate::db::tickets::count(conn)?))?;
    println!(
        "{}: first page ({items} tickets) of {unit}'s open queue with {total} tickets in the database: p50 {:.2} ms, p95 {:.2} ms, p99 {:.2} ms over {runs} runs",
        desk.url.backend_name(),
        at(0.5),
        at(0.95),
        at(0.99)
    );
    Ok(())
}

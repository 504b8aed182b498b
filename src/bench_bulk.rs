//! `meja bench bulk`: bulk actions on `--tickets` tickets (500, the most one call takes), as
//! `POST /tickets/bulk` runs them: every ticket checked and changed in its own savepoint of
//! the writers' batches, with its audit event and notices (docs/benchmarks.md).

use std::time::{Duration, Instant};

use crate::bench::bench_ticket;
use crate::desk::tickets::bulk::{self, BulkAction};
use crate::desk::tickets::{self, ActionRequest};
use crate::desk::Desk;
use crate::domain::role::Actor;

/// Opens `count` new tickets in `unit` as `actor`, in one transaction; their numbers.
fn open_tickets(desk: &Desk, actor: &Actor, unit: &str, count: usize) -> anyhow::Result<Vec<String>> {
    let (d, actor, unit) = (desk.clone(), actor.clone(), unit.to_string());
    Ok(desk.writer.write_blocking(move |tx| {
        (0..count)
            .map(|i| {
                let input =
                    bench_ticket(format!("Uji tindakan massal {i}"), "Tiket untuk pengukuran tindakan massal.", &unit);
                Ok(tickets::open_ticket(tx, &d, Some(&actor), input)?.ticket.row.number)
            })
            .collect()
    })?)
}

fn timed(
    runtime: &tokio::runtime::Runtime,
    desk: &Desk,
    actor: &Actor,
    numbers: &[String],
    action: BulkAction,
) -> anyhow::Result<(Duration, usize)> {
    let started = Instant::now();
    let outcomes = runtime.block_on(bulk::run(desk, actor, numbers.to_vec(), action))?;
    let elapsed = started.elapsed();
    let done = outcomes.iter().filter(|o| o.result.is_ok()).count();
    Ok((elapsed, done))
}

pub fn run(desk: &Desk, actor: &Actor, tickets: usize, runs: usize) -> anyhow::Result<()> {
    let units = desk.read_blocking(|conn| Ok(crate::db::catalog::list_units(conn)?))?;
    let unit = units
        .iter()
        .find(|u| !u.tier2)
        .or(units.first())
        .ok_or_else(|| anyhow::anyhow!("no units: run `meja serve --demo` once or create units first"))?
        .code
        .clone();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let (mut starts, mut resolves) = (Vec::new(), Vec::new());
    for run in 0..runs {
        let numbers = open_tickets(desk, actor, &unit, tickets)?;
        let (start, started) = timed(&runtime, desk, actor, &numbers, BulkAction::Act(ActionRequest::Start))?;
        let resolution = "Diselesaikan bersama dalam uji tindakan massal.".to_string();
        let resolve = ActionRequest::Resolve { resolution, resolve_linked: false };
        let (resolve, resolved) = timed(&runtime, desk, actor, &numbers, BulkAction::Act(resolve))?;
        anyhow::ensure!(
            started == tickets && resolved == tickets,
            "run {run}: {started} started, {resolved} resolved of {tickets}"
        );
        println!(
            "run {run}: start {tickets} in {} ms, resolve {tickets} in {} ms",
            start.as_millis(),
            resolve.as_millis()
        );
        starts.push(start);
        resolves.push(resolve);
    }
    starts.sort();
    resolves.sort();
    let worst = |v: &[Duration]| v.last().map_or(0, Duration::as_millis);
    let median = |v: &[Duration]| v.get(v.len() / 2).map_or(0, Duration::as_millis);
    println!(
        "bulk on {tickets} tickets of {unit} ({}): start median {} ms, worst {} ms; resolve median {} ms, worst {} ms",
        desk.url.backend_name(),
        median(&starts),
        worst(&starts),
        median(&resolves),
        worst(&resolves)
    );
    Ok(())
}

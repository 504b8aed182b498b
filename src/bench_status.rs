//! `meja bench status` and `meja bench alert-storm`: the public status page with many services
//! and a long history, and a storm of monitoring alerts, both through a desk served on a
//! loopback port exactly as `meja serve` serves it.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;

use crate::clock::SystemClock;
use crate::config::{Secret, Settings};
use crate::db::disruptions::{self as db, DisruptionRow, UpdateRow};
use crate::desk::catalog::{self, NewService, NewUnit};
use crate::desk::{new_id, Desk};

const BENCH_ALERT_TOKEN: &str = "meja-bench-alert-token-0001";

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1]
}

/// Units of ten services each until the catalogue has `services`; their codes are `S0001`…
fn ensure_services(desk: &Desk, services: usize) -> anyhow::Result<Vec<String>> {
    let have = desk.read_blocking(|conn| Ok(crate::db::catalog::list_services(conn, None)?.len()))?;
    for i in have..services {
        let unit = format!("BENCH{:02}", i / 10);
        let (unit_code, service_code) = (unit.clone(), format!("S{i:04}"));
        desk.writer.write_blocking(move |tx| {
            if crate::db::catalog::unit_by_code(tx.conn, &unit_code)?.is_none() {
                let input = NewUnit {
                    code: unit_code.clone(),
                    name: format!("Perangkat Daerah {unit_code}"),
                    tier2: unit_code == "BENCH00",
                    email: None,
                };
                catalog::create_unit(tx, None, input)?;
            }
            let name = format!("Sistem Informasi Layanan {service_code}");
            catalog::create_service(tx, None, NewService { code: service_code, name, unit: unit_code }).map(drop)
        })?;
    }
    Ok(desk
        .read_blocking(|conn| Ok(crate::db::catalog::list_services(conn, None)?))?
        .into_iter()
        .map(|s| s.id)
        .collect())
}

/// `disruptions` ended outages spread over the past year, a fifth of them maintenance, each
/// with one public update, written in bulk.
fn seed_history(desk: &Desk, service_ids: &[String], disruptions: usize) -> anyhow::Result<()> {
    let have = desk.read_blocking(|conn| Ok(db::last_change(conn)?.1))? as usize;
    let now = Utc::now().naive_utc();
    for chunk_start in (have..disruptions).step_by(1_000) {
        let ids = service_ids.to_vec();
        let end = (chunk_start + 1_000).min(disruptions);
        desk.writer.write_blocking(move |tx| {
            for i in chunk_start..end {
                let starts = now - chrono::Duration::minutes(((i * 7_919) % (365 * 24 * 60)) as i64 + 600);
                let minutes = 10 + (i * 31 % 290) as i64;
                let state = if i % 5 == 0 {
                    "maintenance"
                } else if i % 2 == 0 {
                    "major_outage"
                } else {
                    "partial_outage"
                };
                let row = DisruptionRow {
                    id: new_id(),
                    service_id: ids[i % ids.len()].clone(),
                    state: state.into(),
                    title: format!("Gangguan uji {i}"),
                    problem_ticket_id: None,
                    source: "staff".into(),
                    starts_at: starts,
                    planned_end_at: None,
                    ended_at: Some(starts + chrono::Duration::minutes(minutes)),
                    created_by: None,
                    created_at: starts,
                    updated_at: starts,
                };
                db::insert(tx.conn, &row)?;
                let update = UpdateRow {
                    id: new_id(),
                    disruption_id: row.id.clone(),
                    state: Some(row.state.clone()),
                    body: "Sedang ditangani.".into(),
                    created_by: None,
                    created_at: starts,
                };
                db::insert_update(tx.conn, &update)?;
            }
            Ok(())
        })?;
    }
    Ok(())
}

/// Serves the desk on a loopback port in its own thread; the port, and a handle to stop it.
fn serve(settings: &Settings) -> anyhow::Result<(u16, actix_web::dev::ServerHandle, std::thread::JoinHandle<()>)> {
    let mut settings = settings.clone();
    settings.bind = "127.0.0.1:0".into();
    settings.jobs = false;
    settings.alert_token = Some(Secret::new(BENCH_ALERT_TOKEN));
    let (sender, receiver) = std::sync::mpsc::channel();
    let thread = std::thread::spawn(move || {
        let system = actix_web::rt::System::new();
        system.block_on(async move {
            match crate::Application::build(&settings, Arc::new(SystemClock)) {
                Ok(app) => {
                    let _ = sender.send(Ok((app.port(), app.server_handle())));
                    let _ = app.run_until_stopped().await;
                }
                Err(e) => {
                    let _ = sender.send(Err(e));
                }
            }
        });
    });
    let (port, handle) = receiver.recv()??;
    Ok((port, handle, thread))
}

async fn time_get(client: &reqwest::Client, url: &str, runs: usize) -> anyhow::Result<(Vec<Duration>, usize)> {
    let mut times = Vec::with_capacity(runs);
    let mut size = 0;
    for _ in 0..runs {
        let started = Instant::now();
        let response = client.get(url).send().await?.error_for_status()?;
        size = response.bytes().await?.len();
        times.push(started.elapsed());
    }
    times.sort_unstable();
    Ok((times, size))
}

/// `meja bench status`: `/status` and `/api/v1/public/status` with `services` services and
/// `disruptions` past disruptions (added if the database has fewer).
pub fn status(settings: &Settings, services: usize, disruptions: usize, runs: usize) -> anyhow::Result<()> {
    let desk = crate::open_desk(settings, Arc::new(SystemClock))?;
    let ids = ensure_services(&desk, services)?;
    seed_history(&desk, &ids, disruptions)?;
    desk.close();
    let (port, handle, thread) = serve(settings)?;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let client = reqwest::Client::builder().pool_max_idle_per_host(1).build()?;
    for path in ["/status", "/api/v1/public/status"] {
        let url = format!("http://127.0.0.1:{port}{path}");
        runtime.block_on(time_get(&client, &url, 20))?;
        let (times, size) = runtime.block_on(time_get(&client, &url, runs))?;
        println!(
            "GET {path}: {services} services, {disruptions} past disruptions, {runs} runs: p50 {:.2} ms, p95 {:.2} ms, max {:.2} ms, {} bytes",
            percentile(&times, 0.50).as_secs_f64() * 1000.0,
            percentile(&times, 0.95).as_secs_f64() * 1000.0,
            times.last().copied().unwrap_or_default().as_secs_f64() * 1000.0,
            size
        );
    }
    runtime.block_on(handle.stop(true));
    let _ = thread.join();
    Ok(())
}

/// `meja bench alert-storm`: `alerts` distinct alerts for `services` services posted by
/// `clients` monitoring clients at once; how long they take and how many tickets they open.
pub fn alert_storm(settings: &Settings, services: usize, alerts: usize, clients: usize) -> anyhow::Result<()> {
    let desk = crate::open_desk(settings, Arc::new(SystemClock))?;
    ensure_services(&desk, services)?;
    let codes: Vec<String> = desk
        .read_blocking(|conn| Ok(crate::db::catalog::list_services(conn, None)?))?
        .into_iter()
        .take(services)
        .map(|s| s.code)
        .collect();
    let before = desk.read_blocking(|conn| Ok(crate::db::tickets::count(conn)?))?;
    desk.close();
    let (port, handle, thread) = serve(settings)?;
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let url = format!("http://127.0.0.1:{port}/api/v1/alerts");
    let started = Instant::now();
    let mut latencies: Vec<Duration> = runtime.block_on(async {
        let client = reqwest::Client::new();
        let mut tasks = Vec::new();
        for c in 0..clients {
            let (client, url, codes) = (client.clone(), url.clone(), codes.clone());
            tasks.push(tokio::spawn(async move {
                let mut times = Vec::new();
                for i in (c..alerts).step_by(clients) {
                    let body = serde_json::json!({
                        "service": codes[i % codes.len()], "status": "firing",
                        "summary": format!("pemeriksaan {i} gagal"), "fingerprint": format!("storm-{i}"),
                    });
                    let sent = Instant::now();
                    let response = client.post(&url).bearer_auth(BENCH_ALERT_TOKEN).json(&body).send().await?;
                    response.error_for_status()?;
                    times.push(sent.elapsed());
                }
                Ok::<_, reqwest::Error>(times)
            }));
        }
        let mut all = Vec::new();
        for task in tasks {
            all.extend(task.await.map_err(|e| anyhow::anyhow!("{e}"))??);
        }
        Ok::<_, anyhow::Error>(all)
    })?;
    let elapsed = started.elapsed();
    runtime.block_on(handle.stop(true));
    let _ = thread.join();
    let desk = crate::open_desk(settings, Arc::new(SystemClock))?;
    let after = desk.read_blocking(|conn| Ok(crate::db::tickets::count(conn)?))?;
    desk.close();
    latencies.sort_unstable();
    println!(
        "alert storm: {alerts} alerts for {services} services from {clients} clients in {:.2} s ({:.0} alerts/s); p50 {:.1} ms, p99 {:.1} ms; tickets opened: {}",
        elapsed.as_secs_f64(),
        alerts as f64 / elapsed.as_secs_f64(),
        percentile(&latencies, 0.50).as_secs_f64() * 1000.0,
        percentile(&latencies, 0.99).as_secs_f64() * 1000.0,
        after - before
    );
    Ok(())
}

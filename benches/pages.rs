//! Server time of the console's pages over a large database, and the portal's weight:
//! `cargo bench --bench pages [-- <tickets> [runs] [database-url]]`.
//!
//! Fills the database (if it holds fewer) with `<tickets>` tickets through the real use case,
//! 98% of them closed as in a desk that has run for years (`meja bench seed`), signs a tier-1
//! agent in through the sign-in form, then requests the unit's queue page and ticket pages
//! over loopback and reads each answer's `Server-Timing` (the server's time, template
//! rendering included). Prints p50/p95/p99 and the bytes of the portal's first page with its
//! stylesheet and script. Numbers go to docs/benchmarks.md. Set MEJA_BENCH_DB to keep the
//! seeded SQLite database between runs.

#[path = "../tests/api/login.rs"]
mod login;

use std::sync::Arc;

use meja::config::{Secret, Settings};
use meja::desk::catalog::{self, NewService, NewUnit, NewUser};
use meja::domain::role::Role;

const PASSWORD: &str = "Bench-Halaman-2026!";

fn percentiles(mut samples: Vec<f64>) -> (f64, f64, f64) {
    samples.sort_by(|a, b| a.total_cmp(b));
    let at = |q: f64| samples[((samples.len() as f64 * q) as usize).min(samples.len() - 1)];
    (at(0.5), at(0.95), at(0.99))
}

fn server_ms(response: &ureq::Response) -> f64 {
    response
        .header("Server-Timing")
        .and_then(|v| v.strip_prefix("app;dur="))
        .and_then(|v| v.parse().ok())
        .unwrap_or(f64::NAN)
}

fn main() -> anyhow::Result<()> {
    let all: Vec<String> = std::env::args().skip(1).collect();
    // `cargo test --all-targets` runs this program too, without `--bench`: then it is a smoke
    // test on a small fresh database (it must still work), not the measurement.
    let measuring = all.iter().any(|a| a == "--bench");
    let args: Vec<String> = all.into_iter().filter(|a| !a.starts_with("--")).collect();
    let (default_tickets, default_runs) = if measuring { (1_000_000, 300) } else { (2_000, 10) };
    let tickets: usize = args.first().and_then(|n| n.parse().ok()).unwrap_or(default_tickets);
    let runs: usize = args.get(1).and_then(|n| n.parse().ok()).unwrap_or(default_runs);
    let mut scratch = None;
    let database = match (args.get(2), std::env::var("MEJA_BENCH_DB").ok().filter(|_| measuring)) {
        (Some(url), _) => url.clone(),
        (None, Some(path)) => format!("sqlite://{path}"),
        (None, None) => {
            let dir = std::env::temp_dir().join(format!("meja-bench-pages-{}", std::process::id()));
            std::fs::create_dir_all(&dir)?;
            let url = format!("sqlite://{}/meja.db", dir.display());
            scratch = Some(dir);
            url
        }
    };
    let settings = Settings {
        database_url: Secret::new(database),
        bind: "127.0.0.1:0".into(),
        jobs: false,
        workers: Some(2),
        two_factor_roles: Vec::new(),
        ..Settings::default()
    };
    let desk = meja::open_desk(&settings, Arc::new(meja::clock::SystemClock))?;
    let hash = meja::desk::auth::hash_password(PASSWORD)?;
    desk.writer.write_blocking(move |tx| {
        if meja::db::catalog::unit_by_code(tx.conn, "DISKOMINFO")?.is_some() {
            return Ok(());
        }
        for (code, tier2) in [
            ("DISKOMINFO", true),
            ("DINKES", false),
            ("DISDIK", false),
            ("DISDUKCAPIL", false),
            ("BAPPEDA", false),
            ("DPMPTSP", false),
            ("BPKAD", false),
        ] {
            catalog::create_unit(
                tx,
                None,
                NewUnit { code: code.into(), name: format!("Dinas {code}"), tier2, email: None },
            )?;
            let service =
                NewService { code: format!("APP-{code}"), name: format!("Aplikasi {code}"), unit: code.into() };
            catalog::create_service(tx, None, service)?;
        }
        let agent = NewUser {
            username: "bench.t1".into(),
            name: "Teknisi Uji".into(),
            email: None,
            password: PASSWORD.into(),
            role: Role::AgentT1,
            unit: Some("DINKES".into()),
        };
        catalog::create_user(tx, None, agent, hash)?;
        Ok(())
    })?;
    let have = desk.read_blocking(|conn| Ok(meja::db::tickets::count(conn)?))? as usize;
    if have < tickets {
        println!("seeding {} tickets…", tickets - have);
        meja::bench::seed(&desk, tickets - have, 2_000)?;
    }
    let total = desk.read_blocking(|conn| Ok(meja::db::tickets::count(conn)?))?;
    desk.close();
    // Fresh planner statistics, as autovacuum (PostgreSQL) or `meja` at start would have them
    // on a desk that grew over years rather than in one bulk load.
    {
        use diesel::connection::SimpleConnection;
        meja::db::DbUrl::parse(settings.database_url.expose())?.connect()?.batch_execute("ANALYZE")?;
    }

    let (sender, receiver) = std::sync::mpsc::channel();
    let server = std::thread::spawn(move || {
        let system = actix_web::rt::System::new();
        system.block_on(async move {
            let app = meja::Application::build(&settings, Arc::new(meja::clock::SystemClock)).expect("app builds");
            sender.send((app.port(), app.server_handle())).expect("send port");
            let _ = app.run_until_stopped().await;
        });
    });
    let (port, handle) = receiver.recv()?;
    let base = format!("http://127.0.0.1:{port}");
    let agent = ureq::AgentBuilder::new().redirects(0).build();
    let login = login::post_login(&agent, &base, "bench.t1", PASSWORD)?;
    let cookie = login
        .all("Set-Cookie")
        .into_iter()
        .find(|c| c.starts_with("meja_sesi="))
        .and_then(|c| c.split(';').next())
        .ok_or_else(|| anyhow::anyhow!("no session"))?
        .to_string();
    let get = |path: &str| agent.get(&format!("{base}{path}")).set("Cookie", &cookie).call().map_err(Box::new);

    // The unit's open queue, as its tier-1 agent opens the console.
    let first = get("/konsol?tampilan=unit")?;
    let body = first.into_string()?;
    let numbers: Vec<String> =
        body.split("data-number=\"").skip(1).filter_map(|s| s.split('"').next()).map(str::to_string).collect();
    anyhow::ensure!(!numbers.is_empty(), "the queue is empty");
    let mut queue = Vec::with_capacity(runs);
    let mut filtered = Vec::with_capacity(runs);
    let mut ticket = Vec::with_capacity(runs);
    for i in 0..runs {
        queue.push(server_ms(&get("/konsol?tampilan=unit")?));
        filtered.push(server_ms(&get("/konsol?tampilan=unit&priority=P4&kind=incident&status=semua")?));
        ticket.push(server_ms(&get(&format!("/konsol/tiket/{}", numbers[i % numbers.len()]))?));
    }
    let portal = agent.get(&format!("{base}/")).call()?.into_string()?.len();
    let css = agent.get(&format!("{base}/static/meja.css")).call()?.into_string()?.len();
    let js = agent.get(&format!("{base}/static/meja.js")).call()?.into_string()?.len();

    println!("{total} tickets in the database; {runs} requests per page; server time (Server-Timing):");
    for (name, samples) in [
        ("queue page (unit, active, 50 rows)", queue),
        ("queue page (all statuses, priority and kind filters)", filtered),
        ("ticket page", ticket),
    ] {
        let (p50, p95, p99) = percentiles(samples);
        println!("  {name}: p50 {p50:.2} ms, p95 {p95:.2} ms, p99 {p99:.2} ms");
    }
    println!(
        "  portal first page: {portal} B HTML + {css} B CSS + {js} B script = {} KB (uncompressed)",
        (portal + css + js) / 1024
    );
    actix_web::rt::System::new().block_on(handle.stop(true));
    let _ = server.join();
    if let Some(dir) = scratch {
        let _ = std::fs::remove_dir_all(dir);
    }
    Ok(())
}

//! `meja bench search`: the queue's text search over `--tickets` tickets (added in bulk if the
//! database has fewer) with words of known frequency, as the whole city (a supervisor) and as
//! one unit's tier-1 agent see it (docs/benchmarks.md).

use std::sync::Arc;
use std::time::Instant;

use chrono::{Duration, Utc};
use diesel::prelude::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::clock::SystemClock;
use crate::config::Settings;
use crate::db::schema::{messages, tickets};
use crate::db::tickets::{MessageRow, TicketRow};
use crate::db::DbConn;
use crate::desk::queue::{self, QueueQuery};
use crate::desk::{new_id, Desk};
use crate::domain::role::{Actor, Role};

/// Words every generated text is drawn from (about 5% of tickets each).
const ROOTS: [&str; 50] = [
    "server",
    "aplikasi",
    "jaringan",
    "akun",
    "sandi",
    "layanan",
    "data",
    "sistem",
    "website",
    "login",
    "email",
    "internet",
    "kabel",
    "komputer",
    "laptop",
    "surat",
    "izin",
    "pajak",
    "retribusi",
    "sekolah",
    "puskesmas",
    "pasien",
    "antrian",
    "pendaftaran",
    "nilai",
    "rapor",
    "sertifikat",
    "tanah",
    "bangunan",
    "pelayanan",
    "kartu",
    "keluarga",
    "identitas",
    "dokumen",
    "berkas",
    "unggah",
    "unduh",
    "lambat",
    "gagal",
    "mati",
    "error",
    "rusak",
    "hilang",
    "terkunci",
    "terlambat",
    "bayar",
    "tagihan",
    "formulir",
    "jadwal",
    "ruang",
];
const SUFFIXES: [&str; 4] = ["", "nya", "kan", "an"];
/// Planted words and the share of tickets that carry them.
const PLANTED: [(&str, f64); 3] = [("printer", 0.10), ("modem", 0.01), ("zirkonia", 0.0001)];

fn sentence(rng: &mut StdRng, words: usize) -> String {
    (0..words)
        .map(|_| format!("{}{}", ROOTS[rng.gen_range(0..ROOTS.len())], SUFFIXES[rng.gen_range(0..SUFFIXES.len())]))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The desk's search index keeps a small pending list (migration
/// `2026-12-22-000001_search_write_cost`); a bulk load of a million merges fewer, larger ones.
const SEARCH_INDEX_BULK: &str = "ALTER INDEX ticket_search_all RESET (gin_pending_list_limit)";
const SEARCH_INDEX_DESK: &str = "ALTER INDEX ticket_search_all SET (gin_pending_list_limit = 256)";

fn seed(desk: &Desk, total: usize) -> anyhow::Result<()> {
    let have = desk.read_blocking(|conn| Ok(crate::db::tickets::count(conn)?))? as usize;
    if have >= total {
        return Ok(());
    }
    if let DbConn::Pg(_) = desk.url.connect()? {
        use diesel::connection::SimpleConnection;
        desk.url.connect()?.batch_execute(SEARCH_INDEX_BULK)?;
    }
    let seeded = fill(desk, have, total);
    if let DbConn::Pg(_) = desk.url.connect()? {
        use diesel::connection::SimpleConnection;
        // What autovacuum does after a bulk load: hint bits set and statistics gathered (and
        // the search index's pending list merged); then the index is as the desk runs it,
        // whether or not the load finished.
        let mut conn = desk.url.connect()?;
        conn.batch_execute(SEARCH_INDEX_DESK)?;
        conn.batch_execute("VACUUM ANALYZE")?;
    }
    seeded
}

/// Adds generated tickets until the database holds `total`.
fn fill(desk: &Desk, have: usize, total: usize) -> anyhow::Result<()> {
    let units = desk.read_blocking(|conn| Ok(crate::db::catalog::list_units(conn)?))?;
    anyhow::ensure!(!units.is_empty(), "no units: run `meja serve --demo` once first");
    let requester_id = desk.writer.write_blocking(|tx| {
        let row = crate::db::catalog::RequesterRow {
            id: new_id(),
            name: "Penguji pencarian".into(),
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
    let mut rng = StdRng::seed_from_u64(17);
    let started = Instant::now();
    let start_at = Utc::now() - Duration::days(3 * 365);
    let mut made = 0usize;
    while have + made < total {
        let batch = 5_000.min(total - have - made);
        let mut rows = Vec::with_capacity(batch);
        let mut notes = Vec::new();
        for _ in 0..batch {
            let n = have + made + rows.len();
            let created = (start_at + Duration::seconds(n as i64 * 90)).naive_utc();
            let mut title = sentence(&mut rng, 4);
            let mut description = sentence(&mut rng, 14);
            for (word, share) in PLANTED {
                if rng.gen_bool(share) {
                    if word == "printer" {
                        title = format!("{word} {title}");
                    } else {
                        description = format!("{description} {word}");
                    }
                }
            }
            let id = new_id();
            if n % 4 == 0 {
                notes.push(MessageRow {
                    id: new_id(),
                    ticket_id: id.clone(),
                    author_id: None,
                    author_name: "Petugas".into(),
                    internal: n % 8 == 0,
                    body: sentence(&mut rng, 12),
                    channel: "web".into(),
                    created_at: created,
                });
            }
            let open = rng.gen_range(0..100) < 10;
            rows.push(TicketRow {
                id,
                number: format!("CARI-{n:08}"),
                kind: "incident".into(),
                title,
                description,
                unit_id: units[n % units.len()].id.clone(),
                service_id: None,
                tier: 1,
                status: if open { "open" } else { "closed" }.into(),
                active: open,
                impact: "medium".into(),
                urgency: "medium".into(),
                priority: "P3".into(),
                classification: "public".into(),
                security_incident: false,
                channel: "web".into(),
                requester_id: requester_id.clone(),
                tracking_token_hash: None,
                assignee_id: None,
                tier1_assignee_id: None,
                escalated: false,
                created_by: None,
                created_at: created,
                updated_at: created,
                first_response_at: Some(created),
                first_response_due: created,
                resolution_due: created,
                pending_since: None,
                paused_seconds: 0,
                resolved_at: (!open).then_some(created),
                closed_at: (!open).then_some(created),
                sla_next_at: None,
            });
        }
        made += rows.len();
        desk.writer.write_blocking(move |tx| {
            match &mut *tx.conn {
                DbConn::Sqlite(c) => {
                    for chunk in rows.chunks(500) {
                        diesel::insert_into(tickets::table).values(chunk).execute(c)?;
                    }
                    for chunk in notes.chunks(500) {
                        diesel::insert_into(messages::table).values(chunk).execute(c)?;
                    }
                }
                DbConn::Pg(c) => {
                    for chunk in rows.chunks(500) {
                        diesel::insert_into(tickets::table).values(chunk).execute(c)?;
                    }
                    for chunk in notes.chunks(500) {
                        diesel::insert_into(messages::table).values(chunk).execute(c)?;
                    }
                }
            }
            Ok(())
        })?;
        if made % 100_000 < 5_000 || have + made == total {
            println!("seeded {} tickets ({:.0}/s)", have + made, made as f64 / started.elapsed().as_secs_f64());
        }
    }
    Ok(())
}

pub fn run(settings: &Settings, total: usize, runs: usize) -> anyhow::Result<()> {
    let desk = crate::open_desk(settings, Arc::new(SystemClock))?;
    seed(&desk, total)?;
    let units = desk.read_blocking(|conn| Ok(crate::db::catalog::list_units(conn)?))?;
    let unit = units.first().ok_or_else(|| anyhow::anyhow!("no units"))?;
    let city = Actor {
        user_id: "bench".into(),
        username: "bench".into(),
        name: "Benchmark".into(),
        role: Role::Supervisor,
        unit_id: None,
    };
    let agent = Actor { role: Role::AgentT1, unit_id: Some(unit.id.clone()), ..city.clone() };
    let count = desk.read_blocking(|conn| Ok(crate::db::tickets::count(conn)?))?;
    println!(
        "{}: {count} tickets, {} units; first page (50) of `q`, {runs} runs each",
        desk.url.backend_name(),
        units.len()
    );
    let number = format!("CARI-{:08}", count / 2);
    let queries: Vec<(String, &str)> = vec![
        ("zirkonia".into(), "rare word (0.01% of tickets)"),
        ("modem".into(), "word in 1%"),
        ("printer".into(), "word in 10%"),
        ("sertifikat".into(), "a root in ~30% (prefix of 4 forms)"),
        ("sertif".into(), "part of that root, as typed"),
        ("printer modem".into(), "two words"),
        (number, "a ticket number"),
    ];
    for (who, actor) in [("city (supervisor)", &city), (unit.code.as_str(), &agent)] {
        for (q, what) in &queries {
            let query = QueueQuery { q: Some(q.clone()), limit: Some("50".into()), ..QueueQuery::default() };
            let mut samples = Vec::with_capacity(runs);
            let mut items = 0;
            for _ in 0..runs {
                let started = Instant::now();
                let page = desk.read_blocking(|conn| queue::list(&desk, conn, actor, &query))?;
                samples.push(started.elapsed().as_secs_f64() * 1000.0);
                items = page.items.len();
            }
            samples.sort_by(|a, b| a.total_cmp(b));
            let at = |p: f64| samples[((samples.len() as f64 * p) as usize).min(samples.len() - 1)];
            println!(
                "  {who:>18} | {what:<42} | {items:>2} on the page | p50 {:>8.2} ms | p95 {:>8.2} ms",
                at(0.5),
                at(0.95)
            );
        }
    }
    desk.close();
    Ok(())
}

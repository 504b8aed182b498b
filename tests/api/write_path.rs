//! Issue 17, the PostgreSQL write rate: fewer round trips per new ticket must not change what
//! is written. Outbox rows wait for the end of their batch, the writers keep the units' group
//! chats and the open disruptions, and PostgreSQL draws the number inside the insert.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use meja::db::outbox::{self, OutboxRow};
use meja::desk::DeskError;
use serde_json::json;

use crate::helpers::{second_process, spawn_app_at, spawn_app_with, Backend, TestApp};

fn notice(tx: &meja::desk::Tx, template: &str) -> OutboxRow {
    OutboxRow::new(tx.now.naive_utc(), None, "email", "uji@example.com", template, &json!({}))
}

fn templates(app: &TestApp) -> Vec<String> {
    app.desk
        .writer
        .write_blocking(|tx| Ok(outbox::for_channel_in_order(tx.conn, "email")?))
        .expect("outbox")
        .into_iter()
        .map(|r| r.template)
        .collect()
}

/// Keeps the only writer busy with a job until `release` is sent: what is queued meanwhile
/// is then taken as one batch. Hands back the busy job's answer and the release.
fn hold_the_writer(
    writer: &meja::desk::Writer,
) -> (tokio::sync::oneshot::Receiver<Result<(), DeskError>>, std::sync::mpsc::Sender<()>) {
    let (started, writer_started) = std::sync::mpsc::channel::<()>();
    let (release, released) = std::sync::mpsc::channel::<()>();
    let busy = writer
        .enqueue(move |_tx| {
            let _ = started.send(());
            let _ = released.recv_timeout(Duration::from_secs(30));
            Ok(())
        })
        .expect("queued");
    writer_started.recv_timeout(Duration::from_secs(30)).expect("the writer took the first job");
    (busy, release)
}

/// Three jobs in one batch: the first queues a notice; the second queues one, reads the
/// outbox (and must see both), then fails; the third queues one. The first's and the third's
/// notices are written, the failed job's is not.
fn a_failed_job_keeps_the_notices_of_the_others(backend: Backend) {
    let Some(app) = spawn_app_with(backend, crate::helpers::monday_0800(), |s| s.writers = 1) else { return };
    let writer = &app.desk.writer;
    let before = templates(&app).len();
    let undelivered = writer.write_blocking(|tx| Ok(outbox::count_undelivered(tx.conn)?)).expect("count");
    let batches = writer.stats().batches.load(Ordering::Relaxed);

    // The only writer is kept busy until the next three are queued: it then takes them as
    // one batch.
    let (busy, release) = hold_the_writer(writer);
    let first = writer
        .enqueue(|tx| {
            let row = notice(tx, "uji_pertama");
            Ok(outbox::insert(tx.conn, &row)?)
        })
        .expect("queued");
    let seen = Arc::new(AtomicI64::new(-1));
    let seen_by_job = seen.clone();
    let failing = writer
        .enqueue(move |tx| -> Result<(), DeskError> {
            let row = notice(tx, "uji_gagal");
            outbox::insert(tx.conn, &row)?;
            seen_by_job.store(outbox::count_undelivered(tx.conn)?, Ordering::Relaxed);
            Err(DeskError::invalid("uji", "this job fails after reading the outbox"))
        })
        .expect("queued");
    let third = writer
        .enqueue(|tx| {
            let row = notice(tx, "uji_ketiga");
            Ok(outbox::insert(tx.conn, &row)?)
        })
        .expect("queued");
    release.send(()).expect("release the writer");
    busy.blocking_recv().expect("answer").expect("busy job");
    first.blocking_recv().expect("answer").expect("first job");
    assert!(failing.blocking_recv().expect("answer").is_err(), "the second job fails");
    third.blocking_recv().expect("answer").expect("third job");
    assert_eq!(
        writer.stats().batches.load(Ordering::Relaxed) - batches,
        2,
        "the busy job, then the three together: the case under test"
    );

    assert_eq!(
        seen.load(Ordering::Relaxed),
        undelivered + 2,
        "a job reading the outbox sees the batch's waiting notices, its own included"
    );
    let after = templates(&app);
    assert!(after.contains(&"uji_pertama".to_string()), "{after:?}");
    assert!(after.contains(&"uji_ketiga".to_string()), "{after:?}");
    assert!(!after.contains(&"uji_gagal".to_string()), "the failed job's notice is rolled back: {after:?}");
    assert_eq!(after.len(), before + 2, "{after:?}");
}

#[test]
fn a_failed_job_keeps_the_notices_of_the_others_sqlite() {
    a_failed_job_keeps_the_notices_of_the_others(Backend::Sqlite);
}

#[test]
fn a_failed_job_keeps_the_notices_of_the_others_postgres() {
    a_failed_job_keeps_the_notices_of_the_others(Backend::Postgres);
}

/// Repeatable jobs share a savepoint; when one of them fails, the rollback also undoes the
/// others' writes, which then run again, alone. Batch: R1, R2 (fails), R3, a job that runs
/// once, R4. Each that succeeds is written exactly once (its notice, its audit event), R1 ran
/// twice and answers with its second run, the failed one's writes are gone, the chain holds.
fn repeatable_jobs_run_again_when_a_neighbour_fails(backend: Backend) {
    use diesel::prelude::*;
    use meja::db::schema::events;

    let Some(app) = spawn_app_with(backend, crate::helpers::monday_0800(), |s| s.writers = 1) else { return };
    let writer = &app.desk.writer;
    let before = templates(&app).len();
    let batches = writer.stats().batches.load(Ordering::Relaxed);
    let (busy, release) = hold_the_writer(writer);

    // A job that queues a notice and records an event; it fails after both when `fails` says
    // so of its run (1 for the first).
    let job = |name: &'static str, fails: fn(i64) -> bool, runs: Arc<AtomicI64>| {
        move |tx: &mut meja::desk::Tx| -> Result<i64, DeskError> {
            let run = runs.fetch_add(1, Ordering::Relaxed) + 1;
            outbox::insert(tx.conn, &notice(tx, name))?;
            tx.record(None, None, "uji.ulang", json!({ "job": name }))?;
            if fails(run) {
                return Err(DeskError::invalid("uji", "this job fails after writing"));
            }
            Ok(run)
        }
    };
    type Fails = fn(i64) -> bool;
    let (never, always, on_rerun): (Fails, Fails, Fails) = (|_| false, |_| true, |run| run > 1);
    let runs: Vec<Arc<AtomicI64>> = (0..7).map(|_| Arc::new(AtomicI64::new(0))).collect();
    let r1 = writer.enqueue_repeatable(job("uji_r1", never, runs[0].clone())).expect("queued");
    let r2 = writer.enqueue_repeatable(job("uji_r2", always, runs[1].clone())).expect("queued");
    let r3 = writer.enqueue_repeatable(job("uji_r3", never, runs[2].clone())).expect("queued");
    let once = writer.enqueue(job("uji_sekali", never, runs[3].clone())).expect("queued");
    let r4 = writer.enqueue_repeatable(job("uji_r4", never, runs[4].clone())).expect("queued");
    release.send(()).expect("release the writer");
    busy.blocking_recv().expect("answer").expect("busy job");
    assert_eq!(r1.blocking_recv().expect("answer").expect("r1"), 2, "R1 answers with its second run");
    assert!(r2.blocking_recv().expect("answer").is_err(), "R2 fails");
    assert_eq!(r3.blocking_recv().expect("answer").expect("r3"), 1);
    assert_eq!(once.blocking_recv().expect("answer").expect("once"), 1);
    assert_eq!(r4.blocking_recv().expect("answer").expect("r4"), 1);
    assert_eq!(writer.stats().batches.load(Ordering::Relaxed) - batches, 2, "the busy job, then the five together");
    let counts: Vec<i64> = runs.iter().map(|r| r.load(Ordering::Relaxed)).collect();
    assert_eq!(counts, vec![2, 1, 1, 1, 1, 0, 0], "only R1 shared R2's savepoint before R2 failed");

    // A rerun that fails: R5 succeeds, R6 fails, R5 runs again and fails this time. Both
    // callers hear their error; nothing of either is written.
    let (busy, release) = hold_the_writer(writer);
    let r5 = writer.enqueue_repeatable(job("uji_r5", on_rerun, runs[5].clone())).expect("queued");
    let r6 = writer.enqueue_repeatable(job("uji_r6", always, runs[6].clone())).expect("queued");
    release.send(()).expect("release the writer");
    busy.blocking_recv().expect("answer").expect("busy job");
    assert!(r5.blocking_recv().expect("answer").is_err(), "R5 fails on its rerun");
    assert!(r6.blocking_recv().expect("answer").is_err(), "R6 fails");
    assert_eq!((runs[5].load(Ordering::Relaxed), runs[6].load(Ordering::Relaxed)), (2, 1));

    let after = templates(&app);
    for name in ["uji_r1", "uji_r3", "uji_sekali", "uji_r4"] {
        assert_eq!(after.iter().filter(|t| *t == name).count(), 1, "{name} written once: {after:?}");
    }
    for name in ["uji_r2", "uji_r5", "uji_r6"] {
        assert!(!after.contains(&name.to_string()), "a failed job's notice is rolled back: {after:?}");
    }
    assert_eq!(after.len(), before + 4, "{after:?}");
    let recorded: Vec<String> = app
        .desk
        .read_blocking(|conn| {
            Ok(events::table.filter(events::kind.eq("uji.ulang")).order(events::seq).select(events::data).load(conn)?)
        })
        .expect("events");
    let jobs: Vec<String> = recorded
        .iter()
        .map(|d| serde_json::from_str::<serde_json::Value>(d).expect("json")["job"].as_str().unwrap_or("").to_string())
        .collect();
    assert_eq!(jobs, vec!["uji_r1", "uji_r3", "uji_sekali", "uji_r4"], "each kept job's event once, in order");
    let verdict = app.desk.read_blocking(meja::desk::audit::verify).expect("verify");
    assert!(matches!(verdict, meja::desk::audit::Verdict::Intact { .. }), "{verdict:?}");
}

#[test]
fn repeatable_jobs_run_again_when_a_neighbour_fails_sqlite() {
    repeatable_jobs_run_again_when_a_neighbour_fails(Backend::Sqlite);
}

#[test]
fn repeatable_jobs_run_again_when_a_neighbour_fails_postgres() {
    repeatable_jobs_run_again_when_a_neighbour_fails(Backend::Postgres);
}

/// The numbers PostgreSQL draws inside the insert read as the ones meja formats, past the
/// millionth of a year too; SQLite's counter gives the same.
fn numbers_past_a_million(backend: Backend) {
    let Some(app) = spawn_app_at(backend, crate::helpers::monday_0800()) else { return };
    let city = app.city();
    app.desk
        .writer
        .write_blocking(|tx| {
            use diesel::connection::SimpleConnection;
            let sql = match tx.conn {
                meja::db::DbConn::Pg(_) => "SELECT setval('ticket_number_2026', 999998)",
                meja::db::DbConn::Sqlite(_) => "INSERT INTO ticket_counters (year, last_seq) VALUES (2026, 999998) ON CONFLICT (year) DO UPDATE SET last_seq = 999998",
            };
            Ok(tx.conn.batch_execute(sql)?)
        })
        .expect("sequence moved");
    let open = |title: &str| {
        let r = app.post(
            "/api/v1/tickets",
            json!({ "kind": "incident", "title": title, "description": "Uji nomor.", "unit": "DINKES",
                    "impact": "low", "urgency": "low", "requester": { "name": "Warga", "email": "warga@example.com" } }),
            Some(city.t("t1_dinkes")),
        );
        assert_eq!(r.status, 201, "{:?}", r.body);
        r.str("number").to_string()
    };
    assert_eq!(open("Nomor 999999"), "SD-2026-999999");
    assert_eq!(open("Nomor sejuta"), "SD-2026-1000000");
    assert_eq!(app.ticket_row("SD-2026-1000000").title, "Nomor sejuta");
}

#[test]
fn numbers_past_a_million_sqlite() {
    numbers_past_a_million(Backend::Sqlite);
}

#[test]
fn numbers_past_a_million_postgres() {
    numbers_past_a_million(Backend::Postgres);
}

/// Two processes on one PostgreSQL: a disruption declared through the second is known to the
/// first's very next report (its writers had the open disruptions cached), and so is its end.
#[test]
fn a_disruption_declared_by_another_process_is_joined_at_once() {
    // The second process runs on the real clock: so does this one.
    let Some(app) = spawn_app_at(Backend::Postgres, chrono::Utc::now()) else { return };
    let city = app.city();
    let second = second_process(&app);
    let report = |n: usize| {
        app.clock.set(chrono::Utc::now());
        let r = app.post(
            "/api/v1/public/tickets",
            json!({ "kind": "incident", "title": format!("SIMPUS error {n}"), "description": "SIMPUS tidak bisa dibuka.",
                    "service": "SIMPUS", "requester": { "name": "Warga", "email": format!("warga{n}@example.com") } }),
            None,
        );
        assert_eq!(r.status, 201, "{:?}", r.body);
        r.body["disruption"].clone()
    };
    let post_second = |path: &str, body: serde_json::Value| -> serde_json::Value {
        let response = ureq::post(&format!("{}{path}", second.base))
            .set("Authorization", &format!("Bearer {}", city.t("t1_dinkes")))
            .send_json(body)
            .unwrap_or_else(|e| panic!("POST {path} on the second process: {e}"));
        response.into_json().expect("json")
    };

    assert!(report(1).is_null(), "no disruption yet (and the first process has read that)");
    let declared = post_second(
        "/api/v1/disruptions",
        json!({ "service": "SIMPUS", "state": "major_outage", "title": "SIMPUS tidak dapat diakses" }),
    );
    let id = declared["id"].as_str().expect("declared").to_string();
    // PostgreSQL tells the first process's writers as the second commits; the first report
    // after that joins. (Allowed: the moment the notice takes to cross, a few milliseconds.)
    let joined_within = |expect_joined: bool, from: usize| {
        let deadline = std::time::Instant::now() + Duration::from_secs(1);
        for n in from.. {
            let disruption = report(n);
            if disruption.is_null() != expect_joined {
                return disruption;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the first process did not hear of the change within a second"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        unreachable!()
    };
    let joined = joined_within(true, 2);
    assert_eq!(joined["title"], "SIMPUS tidak dapat diakses", "{joined:?}");

    post_second(&format!("/api/v1/disruptions/{id}/end"), json!({}));
    assert!(joined_within(false, 100).is_null(), "and hears that it ended");
}

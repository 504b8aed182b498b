//! Issue 17, limits shared by every process: on PostgreSQL two `meja serve` processes behind a
//! load balancer count wrong passwords and public reports together, so the attempt past the
//! limit is refused on either, exactly as on one.

use serde_json::{json, Value};

use crate::helpers::{second_process, spawn_app_at, Backend, PASSWORD};

fn post(base: &str, path: &str, body: Value) -> u16 {
    match ureq::post(&format!("{base}{path}")).send_json(body) {
        Ok(r) => r.status(),
        Err(ureq::Error::Status(code, _)) => code,
        Err(e) => panic!("POST {path}: {e}"),
    }
}

#[test]
fn two_processes_count_wrong_passwords_and_reports_together() {
    // The second process runs on the real clock: so does this one, from now on.
    let Some(app) = spawn_app_at(Backend::Postgres, chrono::Utc::now()) else { return };
    app.city();
    let second = second_process(&app);
    let bases = [app.base.clone(), second.base.clone()];
    let login = |password: &str| json!({ "username": "t1_dinkes", "password": password });
    // This process's clock is the test's: keep it on the real time the other one reads, so the
    // one-second wait after the sixth failure is measured alike on both.
    let post = |base: &str, path: &str, body: Value| {
        app.clock.set(chrono::Utc::now());
        post(base, path, body)
    };

    // Five wrong passwords are free, the sixth counts: spread over both processes.
    for attempt in 0..6 {
        let status = post(&bases[attempt % 2], "/api/v1/auth/token", login("salah-sandi-12345"));
        assert_eq!(status, 401, "attempt {} on process {}", attempt + 1, attempt % 2);
    }
    // Each process saw three: counted apart, neither would slow the next. Counted together,
    // the next attempt waits on either, even with the right password (slowed, not locked).
    for base in &bases {
        assert_eq!(post(base, "/api/v1/auth/token", login(PASSWORD)), 429, "{base} does not slow the seventh attempt");
    }

    // Ten public reports an hour per address, five through each process: the eleventh is refused.
    let report = |i: usize| {
        json!({ "kind": "incident", "title": format!("Laporan {i}"), "description": "SIMPUS tidak bisa dibuka.",
                "unit": "DINKES", "requester": { "name": "Warga", "email": format!("warga{i}@example.com") } })
    };
    for i in 0..10 {
        assert_eq!(post(&bases[i % 2], "/api/v1/public/tickets", report(i)), 201, "report {}", i + 1);
    }
    for base in &bases {
        assert_eq!(post(base, "/api/v1/public/tickets", report(99)), 429, "{base} takes an eleventh report");
    }
}

//! The database connections lost under a running desk (PostgreSQL restarted, a failover, an
//! administrator ending sessions): changes fail with 503 problem+json meanwhile, never 500, and
//! the desk carries on by itself. The restart of a whole server is in tests/resilience
//! (`pg-restart`); here every connection of this test's own database is ended.

use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use serde_json::json;

use crate::helpers::{spawn_app, Backend};

#[test]
fn the_desk_reconnects_after_its_database_connections_are_ended() {
    let Some(app) = spawn_app(Backend::Postgres) else { return };
    let city = app.city();
    let t1 = city.t("t1_dinkes");
    let before = app.ticket(t1, json!({}));

    let mut admin = meja::db::DbUrl::parse(&app.database_url).expect("url").connect().expect("connect");
    admin
        .batch_execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = current_database() AND pid <> pg_backend_pid()",
        )
        .expect("end the desk's connections");
    drop(admin);

    // The first attempts may meet the dead connections: 503, nothing saved. Within seconds,
    // without a restart, tickets open again.
    let deadline = Instant::now() + Duration::from_secs(15);
    let mut refused = 0;
    let opened = loop {
        let r = app.open_ticket(t1, json!({}));
        match r.status {
            201 => break r.str("number").to_string(),
            503 => {
                assert!(r.is_problem(), "a 503 is a problem+json: {:?}", r.body);
                refused += 1;
            }
            other => panic!("after the connections were ended: {other} {:?}", r.body),
        }
        assert!(Instant::now() < deadline, "no ticket opened within 15 s; {refused} refused");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(refused <= 5, "{refused} refusals before the writer reconnected");
    for number in [&before, &opened] {
        assert_eq!(app.get(&format!("/api/v1/tickets/{number}"), Some(t1)).status, 200, "{number}");
    }
    assert_eq!(app.get("/healthz", None).status, 200);
}

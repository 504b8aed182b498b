//! SPEC 2: a resolved ticket is closed after 3 business days without a reply; a reply before
//! that reopens it instead.

use chrono::{DateTime, Utc};
use serde_json::json;

use crate::both_databases;
use crate::helpers::TestApp;

fn wib(local: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(&format!("{local}:00+07:00")).expect("time").with_timezone(&Utc)
}

both_databases!(resolved_tickets_close_after_three_working_days);

fn resolved_tickets_close_after_three_working_days(app: &TestApp) {
    let city = app.city();
    let agent = city.t("t1_dinkes");
    let resolve = |number: &str| {
        assert!(app.act(number, "start", json!({}), agent).status < 300);
        let r = app.act(number, "resolve", json!({ "resolution": "Sudah diperbaiki." }), agent);
        assert!(r.status < 300, "{:?}", r.body);
    };
    app.clock.set(wib("2026-11-23T09:00"));
    let quiet = app.ticket(agent, json!({ "title": "Tidak dijawab" }));
    let answered = app.ticket(agent, json!({ "title": "Dijawab pelapor" }));
    resolve(&quiet);
    resolve(&answered);

    // Mon 09:00 + 1,350 business minutes of jam-kerja: Mon 360, Tue 450, Wed 450, Thu 07:30 + 90.
    app.clock.set(wib("2026-11-26T08:59"));
    app.sweep();
    assert_eq!(app.ticket_row(&quiet).status, "resolved", "not before Thursday 09:00");
    // The other one is reopened before its time (as a requester's reply does): not closed.
    let reopen = app.act(&answered, "reopen", json!({ "reason": "pelapor: masih terjadi" }), agent);
    assert!(reopen.status < 300, "{:?}", reopen.body);

    app.clock.set(wib("2026-11-26T09:01"));
    let report = app.sweep();
    assert_eq!(report.closed, 1, "{report:?}");
    let row = app.ticket_row(&quiet);
    assert_eq!((row.status.as_str(), row.active), ("closed", false));
    assert_eq!(app.ticket_row(&answered).status, "open");
    let closed: Vec<serde_json::Value> = app
        .all_events()
        .into_iter()
        .filter(|e| e.kind == "ticket.closed" && e.actor_id.is_none())
        .map(|e| serde_json::from_str(&e.data).expect("json"))
        .collect();
    assert_eq!(closed.len(), 1);
    assert_eq!(closed[0]["automatic"], true);
    assert!(
        app.outbox_of(&quiet).iter().any(|o| o.template == "ticket_status" && o.payload.contains("closed")),
        "the requester is told"
    );
    // Once: the next pass finds nothing.
    assert_eq!(app.sweep().closed, 0);
}

//! Issue 18, the civil-service calendar out of the box, on both databases: a fresh desk's
//! `jam-kerja` holds the national holidays and cuti bersama of the SKB 3 Menteri shipped in
//! holidays/nasional.csv (and `24x7` none), so a ticket opened before Idul Fitri 2026 is due
//! after the cuti bersama; a calendar made like `jam-kerja` takes them too.

use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use crate::helpers::{spawn_app_at, Backend, TestApp};

/// The shipped list as (date, label), read the way the desk's import reads a CSV.
fn shipped() -> Vec<(String, String)> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("holidays/nasional.csv");
    let text = std::fs::read_to_string(path).expect("holidays/nasional.csv");
    let list = meja::domain::sla::holidays::parse(&text).expect("the shipped list parses");
    list.days.into_iter().map(|(day, label)| (day.to_string(), label)).collect()
}

fn at(rfc3339: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(rfc3339).expect("time").with_timezone(&Utc)
}

fn holidays_of(app: &TestApp, token: &str, calendar: &str, year: i32) -> Vec<(String, String)> {
    let body = app.get(&format!("/api/v1/calendars/{calendar}?year={year}"), Some(token)).body;
    body["holidays"]
        .as_array()
        .map(|days| {
            days.iter()
                .map(|d| (d["date"].as_str().unwrap_or("").to_string(), d["label"].as_str().unwrap_or("").to_string()))
                .collect()
        })
        .unwrap_or_default()
}

fn check(backend: Backend) {
    // Tuesday 17 March 2026, 08:00 WIB: the day before the cuti bersama of Nyepi, Idul Fitri's
    // week after it.
    let Some(app) = spawn_app_at(backend, at("2026-03-17T08:00:00+07:00")) else { return };
    let admin = app.admin();
    let list = shipped();
    assert_eq!(list.len(), 25, "17 national holidays and 8 cuti bersama in 2026");
    assert_eq!(holidays_of(&app, &admin, "jam-kerja", 2026), list, "the migration loads exactly the shipped list");
    assert!(holidays_of(&app, &admin, "24x7", 2026).is_empty(), "a round-the-clock calendar has no holidays");

    // P4 (low impact, low urgency): 2250 working minutes. 420 are left on Tuesday; then the
    // cuti bersama (18), Nyepi (19), cuti bersama (20), the weekend and Idul Fitri (21-22) and
    // cuti bersama (23-24) count nothing; Wed 25 to Mon 30 give 1800; 30 more on Tue 31.
    let units = app.post("/api/v1/units", json!({ "code": "DINKES", "name": "Dinas Kesehatan" }), Some(&admin));
    assert_eq!(units.status, 201);
    let opened = app.open_ticket(&admin, json!({ "impact": "low", "urgency": "low" }));
    assert_eq!(opened.status, 201, "{:?}", opened.body);
    assert_eq!(opened.body["priority"], "P4");
    let due = opened.body["sla"]["resolution_due"].as_str().map(at);
    assert_eq!(due, Some(at("2026-03-31T08:00:00+07:00")), "due after the cuti bersama: {:?}", opened.body["sla"]);

    // A calendar made like jam-kerja (a WITA desk) has the national days too.
    let made =
        app.post("/api/v1/calendars", json!({ "name": "jam-kerja-wita", "zone": "Asia/Makassar" }), Some(&admin));
    assert_eq!(made.status, 201, "{:?}", made.body);
    assert_eq!(holidays_of(&app, &admin, "jam-kerja-wita", 2026), list);
    let created: Vec<Value> = app
        .all_events()
        .into_iter()
        .filter(|e| e.kind == "calendar.created")
        .map(|e| serde_json::from_str(&e.data).unwrap_or(Value::Null))
        .collect();
    assert_eq!(created.last().map(|e| e["holidays_copied"].clone()), Some(json!(25)));
}

#[test]
fn a_fresh_desk_knows_the_national_holidays_sqlite() {
    check(Backend::Sqlite);
}

#[test]
fn a_fresh_desk_knows_the_national_holidays_postgres() {
    check(Backend::Postgres);
}

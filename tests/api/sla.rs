//! SLA clocks: `meja sla due` and the calendar commands, calendars and policies in the API,
//! the scheduler's warnings, breaches and escalations (moving the test clock), and exactly-once
//! firing with several processes and a process killed mid-pass.

use std::collections::HashMap;
use std::process::Stdio;
use std::time::{Duration as StdDuration, Instant};

use chrono::{DateTime, Duration, Utc};
use meja::desk::tickets::{open_ticket, NewTicket, RequesterInput};
use meja::domain::sla::Calendar;
use meja::domain::ticket::{Kind, Level};
use serde_json::{json, Value};

use crate::both_databases;
use crate::helpers::{spawn_app_at, spawn_app_with, Backend, TestApp};

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).expect("time").with_timezone(&Utc)
}

fn succeed(out: std::process::Output) -> String {
    assert!(
        out.status.success(),
        "meja failed ({:?}): {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn due(app: &TestApp, start: &str, minutes: i64, calendar: Option<&str>) -> String {
    let minutes = minutes.to_string();
    let mut args = vec!["sla", "due", "--start", start, "--minutes", &minutes];
    if let Some(c) = calendar {
        args.extend(["--calendar", c]);
    }
    succeed(app.meja(&args))
}

both_databases!(
    sla_due_command_and_calendar_commands,
    calendars_and_policies_in_the_api,
    scheduler_warns_breaches_and_escalates_once,
    pending_holds_the_resolution_warnings,
    holiday_and_policy_changes_move_open_deadlines,
    priority_change_to_another_calendar_keeps_the_pause_periods,
    confidential_notices_stay_within_its_scope,
    two_processes_fire_each_alert_exactly_once,
    a_process_killed_mid_pass_loses_and_doubles_nothing,
);

fn sla_due_command_and_calendar_commands(app: &TestApp) {
    // SPEC section 4, every worked example.
    for (start, minutes, want) in [
        ("2026-11-23T08:00:00+07:00", 60, "2026-11-23T09:00:00+07:00"),
        ("2026-11-23T11:30:00+07:00", 60, "2026-11-23T13:30:00+07:00"),
        ("2026-11-27T16:00:00+07:00", 60, "2026-11-30T08:00:00+07:00"),
        ("2026-11-28T10:00:00+07:00", 30, "2026-11-30T08:00:00+07:00"),
        ("2026-11-23T06:00:00+07:00", 30, "2026-11-23T08:00:00+07:00"),
        ("2026-11-26T15:30:00+07:00", 60, "2026-11-27T08:00:00+07:00"),
    ] {
        assert_eq!(due(app, start, minutes, None), want, "{start} + {minutes}");
    }
    // The holiday row of the table (Christmas alone), added the way an operator would, after
    // taking out the shipped Christmas and its cuti bersama.
    for day in ["2026-12-24", "2026-12-25"] {
        succeed(app.meja(&["calendar", "holiday", "remove", "--calendar", "jam-kerja", day]));
    }
    succeed(app.meja(&["calendar", "holiday", "add", "--calendar", "jam-kerja", "2026-12-25", "Hari Raya Natal"]));
    assert_eq!(due(app, "2026-12-24T15:00:00+07:00", 450, None), "2026-12-28T15:00:00+07:00");

    // WITA and WIT calendars count in their own zone and print in it.
    succeed(app.meja(&["calendar", "add", "jam-kerja-wita", "--zone", "Asia/Makassar", "--like", "jam-kerja"]));
    succeed(app.meja(&["calendar", "add", "jam-kerja-wit", "--zone", "Asia/Jayapura"]));
    assert_eq!(due(app, "2026-11-23T07:30:00+07:00", 60, Some("jam-kerja-wita")), "2026-11-23T09:30:00+08:00");
    assert_eq!(due(app, "2026-11-27T16:00:00+09:00", 60, Some("jam-kerja-wit")), "2026-11-30T08:00:00+09:00");

    // A long run of cuti bersama from a CSV file.
    let dir = std::env::temp_dir().join(format!("meja-holidays-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&dir).expect("dir");
    let csv = dir.join("libur-2026.csv");
    std::fs::write(
        &csv,
        "tanggal,keterangan\n2026-12-24,\"Cuti bersama, Natal\"\n2026-12-28,Cuti bersama\n2026-12-29,Cuti bersama\n2026-12-30,Cuti bersama\n2026-12-31,Cuti bersama\n2027-01-01,Tahun Baru 2027\n",
    )
    .expect("csv");
    let out = succeed(app.meja(&["calendar", "holiday", "import", csv.to_str().expect("path")]));
    assert!(out.contains("6 added"), "{out}");
    assert_eq!(due(app, "2026-12-23T15:30:00+07:00", 60, None), "2027-01-04T08:00:00+07:00");

    // Idul Fitri with cuti bersama from an iCalendar file, into the WITA calendar.
    let ics = dir.join("lebaran-2027.ics");
    std::fs::write(
        &ics,
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20270309\r\nDTEND;VALUE=DATE:20270313\r\nSUMMARY:Idul Fitri 1448 H dan cuti bersama\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
    )
    .expect("ics");
    let out = succeed(app.meja(&[
        "calendar",
        "holiday",
        "import",
        ics.to_str().expect("path"),
        "--calendar",
        "jam-kerja-wita",
    ]));
    assert!(out.contains("4 added"), "{out}");
    assert_eq!(due(app, "2027-03-08T15:30:00+08:00", 60, Some("jam-kerja-wita")), "2027-03-15T08:00:00+08:00");
    // ...and not into jam-kerja.
    assert_eq!(due(app, "2027-03-08T15:30:00+07:00", 60, None), "2027-03-09T08:00:00+07:00");
    let _ = std::fs::remove_dir_all(&dir);

    // A start inside the lunch break, a due time on the end of an interval, weeks-long targets.
    assert_eq!(due(app, "2026-11-23T12:15:00+07:00", 30, None), "2026-11-23T13:30:00+07:00");
    assert_eq!(due(app, "2026-11-23T07:30:00+07:00", 270, None), "2026-11-23T12:00:00+07:00");
    assert_eq!(due(app, "2026-11-27T07:30:00+07:00", 240, None), "2026-11-27T11:30:00+07:00");
    assert_eq!(due(app, "2026-11-23T08:00:00+07:00", 3 * 2250, None), "2026-12-14T08:00:00+07:00");
    assert_eq!(due(app, "2026-11-28T10:00:00+07:00", 0, Some("24x7")), "2026-11-28T10:00:00+07:00");

    let show = succeed(app.meja(&["calendar", "show", "jam-kerja", "--year", "2026"]));
    assert!(show.contains("zone Asia/Jakarta"), "{show}");
    assert!(show.contains("fri  07:30-11:30 13:00-16:30"), "{show}");
    assert!(show.contains("2026-12-25 Fri  Hari Raya Natal"), "{show}");
    assert!(!show.contains("2027-01-01"), "--year 2026 shows 2026 only: {show}");
    let wita = succeed(app.meja(&["calendar", "show", "jam-kerja-wita"]));
    assert!(wita.contains("zone Asia/Makassar") && wita.contains("2027-03-12"), "{wita}");

    // Weekly hours from the command line.
    succeed(app.meja(&["calendar", "hours", "jam-kerja-wit", "fri", "07:30-11:00,13:30-17:00"]));
    assert_eq!(due(app, "2026-11-27T11:00:00+09:00", 30, Some("jam-kerja-wit")), "2026-11-27T14:00:00+09:00");

    // Bad input says what is wrong and changes nothing.
    for (args, words) in [
        (vec!["sla", "due", "--start", "kemarin", "--minutes", "5"], "RFC3339"),
        (
            vec!["sla", "due", "--start", "2026-11-23T08:00:00+07:00", "--minutes", "5", "--calendar", "nope"],
            "no calendar",
        ),
        (vec!["calendar", "add", "jam-mars", "--zone", "Mars/Olympus"], "IANA"),
        (vec!["calendar", "add", "jam-kerja-wita", "--zone", "Asia/Makassar"], "already exists"),
        (vec!["calendar", "holiday", "add", "--calendar", "nope", "2026-12-25", "Natal"], "no calendar"),
        (vec!["calendar", "hours", "jam-kerja", "mon", "12:00-07:00"], "ends before it starts"),
    ] {
        let out = app.meja(&args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?} should fail");
        assert!(stderr.contains(words), "{args:?}: {stderr}");
    }
    let list = succeed(app.meja(&["calendar", "list"]));
    assert_eq!(list.lines().count(), 4, "{list}");
    let verify = succeed(app.meja(&["audit", "verify"]));
    assert!(verify.contains("intact"), "{verify}");
}

fn calendars_and_policies_in_the_api(app: &TestApp) {
    let city = app.city();
    let (admin, sup, agent) = (city.t("admin"), city.t("sup_kominfo"), city.t("t1_dinkes"));
    let list = app.get("/api/v1/calendars", Some(agent));
    assert_eq!(list.status, 200, "{:?}", list.body);
    let names: Vec<String> = list.items().iter().map(|c| c["name"].as_str().unwrap_or("").to_string()).collect();
    assert_eq!(names, vec!["24x7", "jam-kerja"]);
    let jk = app.get("/api/v1/calendars/jam-kerja", Some(agent));
    assert_eq!(jk.body["weekly_minutes"], 2250);
    assert_eq!(jk.body["week"]["fri"], json!(["07:30-11:30", "13:00-16:30"]));
    assert_eq!(jk.body["week"]["sat"], json!([]));
    assert_eq!(app.get("/api/v1/calendars/nope", Some(agent)).status, 404);
    assert_eq!(app.get("/api/v1/calendars", Some(city.t("warga"))).status, 403);

    // Only admins and supervisors configure.
    let wita = json!({ "name": "jam-kerja-wita", "zone": "Asia/Makassar", "like": "jam-kerja" });
    assert_eq!(app.post("/api/v1/calendars", wita.clone(), Some(agent)).status, 403);
    let created = app.post("/api/v1/calendars", wita.clone(), Some(sup));
    assert_eq!(created.status, 201, "{:?}", created.body);
    assert_eq!(created.body["zone"], "Asia/Makassar");
    assert_eq!(app.post("/api/v1/calendars", wita, Some(admin)).status, 409);
    for (body, field) in [
        (json!({ "name": "x", "zone": "Asia/Jakarta" }), "name"),
        (json!({ "name": "jam-mars", "zone": "Mars/Olympus" }), "zone"),
        (json!({ "name": "jam-a", "zone": "Asia/Jakarta", "week": { "mon": ["16:00-07:30"] } }), "week"),
        (json!({ "name": "jam-b", "zone": "Asia/Jakarta", "week": { "funday": ["07:30-12:00"] } }), "week"),
        (json!({ "name": "jam-c", "zone": "Asia/Jakarta", "week": {} }), "week"),
        (json!({ "name": "jam-d", "zone": "Asia/Jakarta", "like": "nope" }), "like"),
    ] {
        let r = app.post("/api/v1/calendars", body.clone(), Some(admin));
        assert_eq!(r.status, 422, "{body}: {:?}", r.body);
        assert_eq!(r.field(), Some(field), "{body}: {:?}", r.body);
    }
    let patched =
        app.patch("/api/v1/calendars/jam-kerja-wita", json!({ "week": { "sat": ["08:00-12:00"] } }), Some(admin));
    assert_eq!(patched.status, 200, "{:?}", patched.body);
    assert_eq!(patched.body["week"]["sat"], json!(["08:00-12:00"]));
    assert_eq!(patched.body["week"]["mon"], json!([]), "PATCH week replaces the whole week");

    // Holidays: one, a list, an import; relabel; remove. (December's shipped days first go.)
    for day in ["2026-12-24", "2026-12-25"] {
        assert_eq!(app.delete(&format!("/api/v1/calendars/jam-kerja/holidays/{day}"), Some(admin)).status, 200);
    }
    let one =
        app.post("/api/v1/calendars/jam-kerja/holidays", json!({ "date": "2026-12-25", "label": "Natal" }), Some(sup));
    assert_eq!(one.status, 200, "{:?}", one.body);
    assert_eq!(one.body["added"], 1);
    let many = app.post(
        "/api/v1/calendars/jam-kerja/holidays",
        json!([{ "date": "2026-12-25", "label": "Hari Raya Natal" }, { "date": "2026-12-24", "label": "Cuti bersama" }]),
        Some(sup),
    );
    assert_eq!((many.body["added"].clone(), many.body["relabelled"].clone()), (json!(1), json!(1)), "{:?}", many.body);
    let ics = b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20270101\r\nSUMMARY:Tahun Baru\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nDTSTART:20270105T020000Z\r\nSUMMARY:Rapat\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
    let imported = app.raw("POST", "/api/v1/calendars/jam-kerja/holidays/import", Some(ics), Some(admin));
    assert_eq!(imported.status, 200, "{:?}", imported.body);
    assert_eq!(imported.body["added"], 1);
    assert_eq!(imported.body["warnings"].as_array().map(Vec::len), Some(1), "the timed event is reported");
    let broken =
        app.raw("POST", "/api/v1/calendars/jam-kerja/holidays/import", Some(b"2026-13-40,Salah\n"), Some(admin));
    assert_eq!(broken.status, 422);
    assert!(broken.body["detail"].as_str().unwrap_or("").contains("line 1"), "{:?}", broken.body);
    assert_eq!(
        app.post("/api/v1/calendars/jam-kerja/holidays", json!({ "date": "2026-12-26", "label": "x" }), Some(agent))
            .status,
        403
    );
    assert_eq!(
        app.post("/api/v1/calendars/nope/holidays", json!({ "date": "2026-12-26", "label": "x" }), Some(admin)).status,
        422
    );
    let year = app.get("/api/v1/calendars/jam-kerja?year=2026", Some(agent));
    let december: Vec<Value> = year.body["holidays"]
        .as_array()
        .map(|days| {
            days.iter().filter(|d| d["date"].as_str().is_some_and(|d| d.starts_with("2026-12"))).cloned().collect()
        })
        .unwrap_or_default();
    assert_eq!(
        december,
        vec![
            json!({ "date": "2026-12-24", "label": "Cuti bersama" }),
            json!({ "date": "2026-12-25", "label": "Hari Raya Natal" })
        ]
    );
    assert_eq!(app.delete("/api/v1/calendars/jam-kerja/holidays/2026-12-24", Some(admin)).status, 200);
    assert_eq!(app.delete("/api/v1/calendars/jam-kerja/holidays/2026-12-24", Some(admin)).status, 404);
    assert_eq!(app.delete("/api/v1/calendars/jam-kerja/holidays/besok", Some(admin)).status, 422);
    let due = app.get("/api/v1/sla/due?start=2026-12-24T15:00:00%2B07:00&minutes=450", Some(agent));
    assert_eq!(due.body["due"], "2026-12-28T15:00:00+07:00", "{:?}", due.body);

    // Policies: the SPEC table, editable by supervisors, checked, used by new tickets.
    let policies = app.get("/api/v1/sla/policies", Some(agent));
    let p2 = policies.items().into_iter().find(|p| p["priority"] == "P2").expect("P2");
    assert_eq!(
        p2,
        json!({ "priority": "P2", "first_response_minutes": 60, "resolution_minutes": 900, "calendar": "jam-kerja",
            "warn_percents": [75, 90], "notify_unit_head": true, "escalate_to_tier2": true })
    );
    assert_eq!(app.patch("/api/v1/sla/policies/P3", json!({ "resolution_minutes": 600 }), Some(agent)).status, 403);
    for (body, field) in [
        (json!({ "resolution_minutes": 0 }), "resolution_minutes"),
        (json!({ "first_response_minutes": 5000 }), "first_response_minutes"),
        (json!({ "warn_percents": [50, 100] }), "warn_percents"),
        (json!({ "calendar": "nope" }), "calendar"),
    ] {
        let r = app.patch("/api/v1/sla/policies/P3", body.clone(), Some(sup));
        assert_eq!(r.status, 422, "{body}: {:?}", r.body);
        assert_eq!(r.field(), Some(field), "{body}: {:?}", r.body);
    }
    assert_eq!(app.patch("/api/v1/sla/policies/P9", json!({}), Some(sup)).status, 422);
    let changed = app.patch(
        "/api/v1/sla/policies/p3",
        json!({ "first_response_minutes": 120, "resolution_minutes": 600, "warn_percents": [50, 75, 90] }),
        Some(sup),
    );
    assert_eq!(changed.status, 200, "{:?}", changed.body);
    assert_eq!(changed.body["warn_percents"], json!([50, 75, 90]));
    // Mon 08:00 + 120 = 10:00; + 600 = Tue 08:00 + 150 = Tue 10:30.
    let opened = app.open_ticket(agent, json!({ "impact": "medium", "urgency": "medium" }));
    assert_eq!(opened.body["priority"], "P3");
    assert_eq!(opened.body["sla"]["first_response_due"], "2026-11-23T03:00:00Z");
    assert_eq!(opened.body["sla"]["resolution_due"], "2026-11-24T03:30:00Z");
    let kinds: Vec<String> = app.all_events().into_iter().map(|e| e.kind).collect();
    for kind in [
        "calendar.created",
        "calendar.changed",
        "calendar.holidays_added",
        "calendar.holiday_removed",
        "sla.policy_changed",
    ] {
        assert!(kinds.iter().any(|k| k == kind), "{kind} is audited: {kinds:?}");
    }
}

/// Events of the SLA kinds for one ticket, as (kind, target, percent).
fn sla_events(app: &TestApp, number: &str) -> Vec<(String, String, u64)> {
    let id = app.ticket_row(number).id;
    app.all_events()
        .into_iter()
        .filter(|e| e.ticket_id.as_deref() == Some(id.as_str()) && e.kind.starts_with("sla."))
        .map(|e| {
            let data: Value = serde_json::from_str(&e.data).expect("json");
            (e.kind, data["target"].as_str().unwrap_or("").to_string(), data["percent"].as_u64().unwrap_or(0))
        })
        .collect()
}

fn outbox_templates(app: &TestApp, number: &str) -> Vec<(String, String)> {
    app.outbox_of(number)
        .into_iter()
        .map(|o| (o.template, o.recipient))
        .filter(|(t, _)| t.starts_with("sla_") || t == "ticket_escalated")
        .collect()
}

fn scheduler_warns_breaches_and_escalates_once(app: &TestApp) {
    let city = app.city();
    let agent = city.t("t1_dinkes");
    // P4, opened Mon 08:00, nobody holds it: first response due Tue 08:00 (450 min).
    let p4 = app.ticket(agent, json!({ "impact": "low", "urgency": "low" }));
    app.clock.set(at("2026-11-23T14:37:00+07:00"));
    assert_eq!(app.sweep().warnings, 0, "75% of 450 minutes is 14:37:30");
    app.clock.set(at("2026-11-23T14:38:00+07:00"));
    let first = app.sweep();
    assert_eq!((first.tickets, first.warnings, first.breaches), (1, 1, 0), "{first:?}");
    assert_eq!(app.sweep().tickets, 0, "nothing is due until 90%: the index is not even touched");
    assert_eq!(sla_events(app, &p4), vec![("sla.warning".into(), "first_response".into(), 75)]);
    // Unassigned: the unit's queue (its tier-1 agents, the unit has no shared mailbox) is told.
    assert_eq!(
        outbox_templates(app, &p4),
        vec![
            ("sla_warning".into(), "t1_dinkes@example.go.id".into()),
            ("sla_warning".into(), "t1b_dinkes@example.go.id".into())
        ]
    );

    // Assigned, then the 90% warning and the breach of the first response come together.
    assert_eq!(app.act(&p4, "assign", json!({ "username": "t1b_dinkes" }), agent).status, 200);
    app.clock.set(at("2026-11-24T08:00:01+07:00"));
    let second = app.sweep();
    assert_eq!((second.warnings, second.breaches, second.escalations), (1, 1, 0), "{second:?}");
    let notices = outbox_templates(app, &p4);
    assert!(notices.contains(&("sla_warning".into(), "t1b_dinkes@example.go.id".into())), "{notices:?}");
    assert!(notices.contains(&("sla_breached".into(), "t1b_dinkes@example.go.id".into())), "{notices:?}");
    assert!(
        notices.contains(&("sla_breached".into(), "head_dinkes@example.go.id".into())),
        "the unit head: {notices:?}"
    );
    let detail = app.get(&format!("/api/v1/tickets/{p4}"), Some(agent));
    assert_eq!(detail.body["sla"]["first_response"]["state"], "breached");
    assert_eq!(detail.body["sla"]["resolution"]["state"], "running");
    assert_eq!(detail.body["sla"]["state"], json!({ "first_response": "breached", "resolution": "running" }));
    assert_eq!(detail.body["tier"], 1);

    // P2 (high impact, medium urgency): a resolution breach escalates to tier 2.
    let p2 = app.ticket(agent, json!({ "impact": "high", "urgency": "medium" }));
    assert_eq!(app.get(&format!("/api/v1/tickets/{p2}"), Some(city.t("t2_kominfo"))).status, 404);
    // Tue 08:00:01 + 900 business minutes = Thu 08:00:01; the clock jumps past it all at once.
    app.clock.set(at("2026-11-26T09:00:00+07:00"));
    let third = app.sweep();
    assert_eq!(third.escalations, 1, "{third:?}");
    let events = sla_events(app, &p2);
    assert_eq!(events.len(), 6, "two targets × (75%, 90%, breach): {events:?}");
    let detail = app.get(&format!("/api/v1/tickets/{p2}"), Some(city.t("t2_kominfo")));
    assert_eq!(detail.status, 200, "tier 2 now sees it");
    assert_eq!((detail.body["tier"].clone(), detail.body["escalated"].clone()), (json!(2), json!(true)));
    assert_eq!(detail.body["sla"]["resolution"]["state"], "breached");
    let notes: Vec<&Value> = detail.body["messages"].as_array().expect("messages").iter().collect();
    assert!(
        notes.iter().any(|m| m["internal"] == true
            && m["author"] == "Sistem meja"
            && m["body"].as_str().unwrap_or("").starts_with("Eskalasi otomatis ke Tier 2")),
        "{notes:?}"
    );
    let timeline = app.get(&format!("/api/v1/tickets/{p2}/events"), Some(agent));
    let items = timeline.items();
    let escalated: Vec<&Value> = items.iter().filter(|e| e["kind"] == "ticket.escalated").collect();
    assert_eq!(escalated.len(), 1);
    assert_eq!(escalated[0]["data"]["automatic"], true);
    assert!(outbox_templates(app, &p2).iter().any(|(t, _)| t == "ticket_escalated"));

    // Passes repeated at any time add nothing; the P4's resolution warnings came on their own.
    app.clock.set(at("2026-12-10T08:00:00+07:00"));
    app.sweep();
    app.sweep();
    for number in [&p4, &p2] {
        let events = sla_events(app, number);
        let mut unique = events.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), events.len(), "each alert once: {events:?}");
    }
    assert_eq!(sla_events(app, &p4).len(), 6);
    let p4_detail = app.get(&format!("/api/v1/tickets/{p4}"), Some(agent));
    assert_eq!(p4_detail.body["tier"], 1, "P4 breaches stay with the unit by default");
    // The resolution clock stopped: a resolved ticket fires nothing more.
    assert_eq!(app.act(&p4, "resolve", json!({ "resolution": "Sudah diperbaiki." }), agent).status, 200);
    let row = app.ticket_row(&p4);
    assert_eq!(row.sla_next_at, None);
}

fn pending_holds_the_resolution_warnings(app: &TestApp) {
    let city = app.city();
    let agent = city.t("t1_dinkes");
    let number = app.ticket(agent, json!({ "impact": "low", "urgency": "low" }));
    app.clock.set(at("2026-11-23T08:30:00+07:00"));
    assert_eq!(app.act(&number, "start", json!({}), agent).status, 200);
    let reply = app.post(
        &format!("/api/v1/tickets/{number}/messages"),
        json!({ "body": "Mohon kirim tangkapan layar." }),
        Some(agent),
    );
    assert_eq!(reply.status, 201);
    app.clock.set(at("2026-11-23T09:00:00+07:00"));
    assert_eq!(app.act(&number, "pend", json!({ "reason": "menunggu pelapor" }), agent).status, 200);
    // Without the pause the 75% warning would be Thu 14:37:30; pending, nothing fires.
    app.clock.set(at("2026-11-27T12:00:00+07:00"));
    assert_eq!(app.sweep().warnings, 0);
    let detail = app.get(&format!("/api/v1/tickets/{number}"), Some(agent));
    assert_eq!(detail.body["sla"]["resolution"]["state"], "paused");
    assert_eq!(detail.body["sla"]["first_response"]["state"], "met");
    assert_eq!(app.act(&number, "resume", json!({}), agent).status, 200);
    assert_eq!(app.sweep().warnings, 0, "resuming does not fire what the pause moved");
    // The warning now falls at 75% of the target plus the pause, counted from creation.
    let cal = Calendar::jam_kerja();
    let created = at("2026-11-23T08:00:00+07:00");
    let paused = cal.business_seconds_between(at("2026-11-23T09:00:00+07:00"), at("2026-11-27T12:00:00+07:00"));
    let warning = cal.add_business_seconds(created, 2250 * 60 * 75 / 100 + paused).expect("instant");
    let due = cal.add_business_seconds(created, 2250 * 60 + paused).expect("due");
    let detail = app.get(&format!("/api/v1/tickets/{number}"), Some(agent));
    assert_eq!(detail.body["sla"]["resolution_due"], json!(due));
    app.clock.set(warning - Duration::seconds(1));
    assert_eq!(app.sweep().warnings, 0);
    app.clock.set(warning);
    assert_eq!(app.sweep().warnings, 1);
    assert_eq!(sla_events(app, &number), vec![("sla.warning".into(), "resolution".into(), 75)]);
}

fn holiday_and_policy_changes_move_open_deadlines(app: &TestApp) {
    let city = app.city();
    let agent = city.t("t1_dinkes");
    let number = app.ticket(agent, json!({ "impact": "low", "urgency": "low" }));
    let sla = |app: &TestApp| app.get(&format!("/api/v1/tickets/{number}"), Some(agent)).body["sla"].clone();
    assert_eq!(sla(app)["resolution_due"], json!(at("2026-11-30T08:00:00+07:00")));
    // Friday becomes a holiday: the week-long target ends a working day later.
    let r = app.post(
        "/api/v1/calendars/jam-kerja/holidays",
        json!({ "date": "2026-11-27", "label": "Cuti bersama" }),
        Some(city.t("sup_kominfo")),
    );
    assert_eq!(r.body["tickets_recomputed"], 1, "{:?}", r.body);
    assert_eq!(sla(app)["resolution_due"], json!(at("2026-12-01T08:00:00+07:00")));
    assert_eq!(sla(app)["first_response_due"], json!(at("2026-11-24T08:00:00+07:00")));
    // The policy shrinks: open P4 tickets count against it from now on.
    let r = app.patch("/api/v1/sla/policies/P4", json!({ "resolution_minutes": 900 }), Some(city.t("admin")));
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(sla(app)["resolution_due"], json!(at("2026-11-25T08:00:00+07:00")));
    let kinds: Vec<String> = sla_events(app, &number).into_iter().map(|e| e.0).collect();
    assert_eq!(kinds, vec!["sla.recomputed", "sla.recomputed"]);
    // Removing the holiday gives the day back to nobody: the new deadline is before it.
    assert_eq!(app.delete("/api/v1/calendars/jam-kerja/holidays/2026-11-27", Some(city.t("admin"))).status, 200);
    assert_eq!(sla(app)["resolution_due"], json!(at("2026-11-25T08:00:00+07:00")));
}

fn priority_change_to_another_calendar_keeps_the_pause_periods(app: &TestApp) {
    let city = app.city();
    let agent = city.t("t1_dinkes");
    // P3 on jam-kerja, pending Mon 09:00 to Tue 09:00: 450 business minutes, 24 hours.
    let number = app.ticket(agent, json!({ "impact": "medium", "urgency": "medium" }));
    assert_eq!(app.act(&number, "start", json!({}), agent).status, 200);
    app.clock.set(at("2026-11-23T09:00:00+07:00"));
    assert_eq!(app.act(&number, "pend", json!({}), agent).status, 200);
    app.clock.set(at("2026-11-24T09:00:00+07:00"));
    assert_eq!(app.act(&number, "resume", json!({}), agent).status, 200);
    app.clock.set(at("2026-11-24T10:00:00+07:00"));
    // Now P1 on 24x7: 240 minutes from creation plus the same pause, 24 hours on this calendar.
    let r = app.act(&number, "priority", json!({ "impact": "high", "urgency": "high" }), agent);
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body["sla"]["resolution_due"], json!(at("2026-11-24T12:00:00+07:00")));
    assert_eq!(r.body["sla"]["state"]["resolution"], "running");
    assert_eq!(app.sweep().escalations, 0, "two of its four hours are left: nothing to escalate");
}

fn confidential_notices_stay_within_its_scope(app: &TestApp) {
    let city = app.city();
    // Opened by a supervisor, so nobody holds it: a P1 confidential report for DINKES.
    let number = app.ticket(
        city.t("sup_kominfo"),
        json!({ "impact": "high", "urgency": "high", "classification": "confidential", "title": "Dugaan kebocoran data pasien" }),
    );
    app.clock.set(at("2026-11-23T13:00:00+07:00"));
    let report = app.sweep();
    assert_eq!(report.breaches, 2, "{report:?}");
    let notices = outbox_templates(app, &number);
    assert!(!notices.is_empty());
    for (template, recipient) in &notices {
        assert_eq!(recipient, "t2_kominfo@example.go.id", "{template} went outside the ticket's scope: {notices:?}");
    }
    let payloads = app.outbox_of(&number);
    assert!(payloads.iter().all(|o| !o.payload.contains("kebocoran")), "no title in the notices");
}

/// Opens `count` P1 tickets (24x7: every threshold falls within four hours) at the test clock.
fn open_p1_tickets(app: &TestApp, count: usize) {
    for chunk in (0..count).collect::<Vec<_>>().chunks(100) {
        let n = chunk.len();
        let desk = app.desk.clone();
        app.desk
            .writer
            .write_blocking(move |tx| {
                for i in 0..n {
                    let input = NewTicket {
                        kind: Kind::Incident,
                        title: format!("Server aplikasi mati {i}"),
                        description: "Layanan tidak dapat diakses.".into(),
                        unit: Some("DINKES".into()),
                        service: None,
                        impact: Level::High,
                        urgency: Level::High,
                        requester: Some(RequesterInput::named("Budi", Some("budi@example.com".into()))),
                        classification: None,
                        security_incident: None,
                        personal_data_breach: None,
                        channel: None,
                        follow_disruption: None,
                    };
                    open_ticket(tx, &desk, None, input)?;
                }
                Ok(())
            })
            .expect("open tickets");
    }
}

/// Every SLA alert event, counted by (ticket, kind, target, percent).
fn alert_counts(app: &TestApp) -> HashMap<(String, String, String, u64), usize> {
    let mut counts = HashMap::new();
    for e in app.all_events() {
        if e.kind == "sla.warning" || e.kind == "sla.breached" || e.kind == "ticket.escalated" {
            let data: Value = serde_json::from_str(&e.data).expect("json");
            let key = (
                e.ticket_id.unwrap_or_default(),
                e.kind,
                data["target"].as_str().unwrap_or("").to_string(),
                data["percent"].as_u64().unwrap_or(0),
            );
            *counts.entry(key).or_insert(0) += 1;
        }
    }
    counts
}

fn assert_each_once(app: &TestApp, tickets: usize) {
    let counts = alert_counts(app);
    let doubled: Vec<_> = counts.iter().filter(|(_, n)| **n != 1).collect();
    assert!(doubled.is_empty(), "fired more than once: {doubled:?}");
    // Per ticket: first response and resolution × (75, 90, breach), and one escalation.
    assert_eq!(counts.len(), tickets * 7, "none missing");
    let alerts = app.desk.read_blocking(|conn| Ok(meja::db::sla::count_alerts(conn)?)).expect("count");
    assert_eq!(alerts as usize, tickets * 6);
    let verify = app.meja(&["audit", "verify"]);
    assert!(verify.status.success(), "{}", String::from_utf8_lossy(&verify.stdout));
}

/// Processes use the real clock: the tickets are opened two days in the past.
fn past_app(app: &TestApp) -> Option<TestApp> {
    spawn_app_at(app.backend, Utc::now() - Duration::days(2))
}

fn two_processes_fire_each_alert_exactly_once(app: &TestApp) {
    let Some(app) = past_app(app) else { return };
    app.city();
    let tickets = 300;
    open_p1_tickets(&app, tickets);
    let spawn = || {
        app.meja_command(&["jobs", "--once"])
            .env("MEJA_JOBS_BATCH", "10")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn meja jobs")
    };
    let (a, b) = (spawn(), spawn());
    let reports: Vec<Value> = [a, b]
        .into_iter()
        .map(|child| {
            let out = child.wait_with_output().expect("wait");
            let stdout = succeed(out);
            // The SLA report is the first line; mail passes may follow.
            serde_json::from_str(stdout.lines().next().unwrap_or_default()).expect("report")
        })
        .collect();
    let total = |key: &str| reports.iter().map(|r| r[key].as_u64().unwrap_or(0)).sum::<u64>();
    assert_eq!(total("breaches"), 2 * tickets as u64, "{reports:?}");
    assert_eq!(total("warnings"), 4 * tickets as u64, "{reports:?}");
    assert_eq!(total("escalations"), tickets as u64, "{reports:?}");
    assert_each_once(&app, tickets);
}

fn a_process_killed_mid_pass_loses_and_doubles_nothing(app: &TestApp) {
    let Some(app) = past_app(app) else { return };
    app.city();
    let tickets = 2000;
    open_p1_tickets(&app, tickets);
    let mut child = app
        .meja_command(&["jobs"])
        .env("MEJA_JOBS_BATCH", "4")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn meja jobs");
    let count = || app.desk.read_blocking(|conn| Ok(meja::db::sla::count_alerts(conn)?)).expect("count") as usize;
    let started = Instant::now();
    while count() == 0 && started.elapsed() < StdDuration::from_secs(60) {
        std::thread::sleep(StdDuration::from_millis(5));
    }
    child.kill().expect("kill -9");
    child.wait().expect("reaped");
    let at_kill = count();
    assert!(at_kill > 0 && at_kill < tickets * 6, "killed mid-pass: {at_kill} of {} alerts", tickets * 6);
    // What committed is whole: every alert row has its event, no ticket is half-fired.
    let fired_events = alert_counts(&app).iter().filter(|((_, kind, _, _), _)| kind.starts_with("sla.")).count();
    assert_eq!(fired_events, at_kill, "alerts and their events commit together");
    let out = succeed(app.meja(&["jobs", "--once"]));
    assert!(out.contains("\"breaches\""), "{out}");
    assert_each_once(&app, tickets);
}

#[test]
fn the_scheduler_runs_inside_serve() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let Some(app) = spawn_app_with(backend, at("2026-11-23T08:00:00+07:00"), |s| {
            s.jobs = true;
            s.jobs_interval_seconds = 1;
        }) else {
            continue;
        };
        let city = app.city();
        let number = app.ticket(city.t("t1_dinkes"), json!({ "impact": "high", "urgency": "high" }));
        app.clock.set(at("2026-11-23T13:00:00+07:00"));
        let started = Instant::now();
        while sla_events(&app, &number).len() < 6 && started.elapsed() < StdDuration::from_secs(20) {
            std::thread::sleep(StdDuration::from_millis(100));
        }
        assert_eq!(sla_events(&app, &number).len(), 6, "{backend:?}: the background pass fired everything once");
        let metrics = app.get("/metrics", None);
        let text = metrics.body.as_str().unwrap_or_default().to_string();
        let passes = text
            .lines()
            .find_map(|l| l.strip_prefix("meja_sla_passes_total "))
            .and_then(|n| n.trim().parse::<u64>().ok())
            .unwrap_or(0);
        assert!(passes > 0, "{text}");
    }
}

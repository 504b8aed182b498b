//! Bulk actions (issue 15): one action on many tickets, each checked and done on its own.

use serde_json::{json, Value};

use crate::both_databases;
use crate::helpers::{Browser, TestApp, PASSWORD};

both_databases!(bulk_resolve_reports_each_ticket, bulk_calls_refuse_bad_input_whole, bulk_from_the_console);

fn status_of(app: &TestApp, number: &str, token: &str) -> String {
    let r = app.get(&format!("/api/v1/tickets/{number}"), Some(token));
    assert_eq!(r.status, 200, "{number}: {:?}", r.body);
    r.str("status").to_string()
}

fn results(body: &Value) -> Vec<Value> {
    body["results"].as_array().cloned().unwrap_or_default()
}

fn bulk_resolve_reports_each_ticket(app: &TestApp) {
    let city = app.city();
    let t1 = city.t("t1_dinkes");
    let (a, b, c) = (app.ticket(t1, json!({})), app.ticket(t1, json!({})), app.ticket(t1, json!({})));
    for n in [&a, &b] {
        assert_eq!(app.act(n, "start", json!({}), t1).status, 200);
    }
    assert_eq!(app.act(&c, "cancel", json!({ "reason": "Ganda" }), t1).status, 200);
    let other_unit = app.ticket(city.t("t1_disdik"), json!({ "unit": "DISDIK" }));
    let missing = "SD-2026-999999";
    let events_before = app.all_events().len();

    let r = app.post(
        "/api/v1/tickets/bulk",
        json!({ "numbers": [a, b, c, other_unit, missing, a], "action": "resolve", "resolution": "Server dipulihkan." }),
        Some(t1),
    );
    assert_eq!(r.status, 200, "{:?}", r.body);
    let items = results(&r.body);
    let numbers: Vec<&str> = items.iter().map(|i| i["number"].as_str().unwrap_or_default()).collect();
    assert_eq!(numbers, vec![a.as_str(), &b, &c, &other_unit, missing], "one result per number, in order, once");
    for done in &items[..2] {
        assert_eq!((done["ok"].as_bool(), done["status"].as_u64()), (Some(true), Some(200)), "{done}");
        assert!(done.get("problem").is_none(), "{done}");
    }
    // The cancelled ticket: refused with the reason, the actions it still allows named.
    assert_eq!((items[2]["ok"].as_bool(), items[2]["status"].as_u64()), (Some(false), Some(409)), "{}", items[2]);
    assert!(items[2]["problem"]["detail"].as_str().unwrap_or_default().contains("cancelled"), "{}", items[2]);
    // Another unit's ticket answers exactly like one that does not exist.
    let hidden = &items[3]["problem"];
    let absent = &items[4]["problem"];
    assert_eq!((items[3]["status"].as_u64(), items[4]["status"].as_u64()), (Some(404), Some(404)));
    assert_eq!(hidden["code"], absent["code"]);
    assert_eq!(
        hidden["detail"].as_str().unwrap_or_default().replace(other_unit.as_str(), "N"),
        absent["detail"].as_str().unwrap_or_default().replace(missing, "N"),
        "nothing tells a hidden ticket from a missing one"
    );

    assert_eq!(status_of(app, &a, t1), "resolved");
    assert_eq!(status_of(app, &b, t1), "resolved");
    assert_eq!(status_of(app, &c, t1), "cancelled");
    assert_eq!(status_of(app, &other_unit, city.t("t1_disdik")), "new", "a refused ticket is untouched");
    // Each change carries its own audit event, as one done by hand.
    let resolved: Vec<_> = app.all_events()[events_before..]
        .iter()
        .filter(|e| e.kind == "ticket.resolved")
        .map(|e| e.ticket_id.clone().unwrap_or_default())
        .collect();
    assert_eq!(resolved.len(), 2, "two resolutions audited");
    for n in [&a, &b] {
        assert!(resolved.contains(&app.ticket_row(n).id), "{n} audited");
    }

    // An internal note on several tickets, and an assignment.
    let r = app.post(
        "/api/v1/tickets/bulk",
        json!({ "numbers": [a, b], "action": "note", "body": "Sudah dicek bersama vendor." }),
        Some(t1),
    );
    assert!(results(&r.body).iter().all(|i| i["ok"] == json!(true)), "{:?}", r.body);
    let detail = app.get(&format!("/api/v1/tickets/{b}"), Some(t1));
    let note =
        detail.body["messages"].as_array().and_then(|m| m.iter().find(|m| m["body"] == "Sudah dicek bersama vendor."));
    assert_eq!(note.map(|n| n["internal"].clone()), Some(json!(true)), "{:?}", detail.body);
    let d = app.ticket(t1, json!({}));
    let r = app.post(
        "/api/v1/tickets/bulk",
        json!({ "numbers": [d], "action": "assign", "username": "t1b_dinkes" }),
        Some(t1),
    );
    assert_eq!(results(&r.body)[0]["ok"], json!(true), "{:?}", r.body);
    assert_eq!(app.get(&format!("/api/v1/tickets/{d}"), Some(t1)).str("assignee"), "t1b_dinkes");
    // Priority in bulk moves the SLA clocks like the single action.
    let r = app.post(
        "/api/v1/tickets/bulk",
        json!({ "numbers": [d], "action": "priority", "impact": "high", "urgency": "high" }),
        Some(t1),
    );
    assert_eq!(results(&r.body)[0]["ok"], json!(true), "{:?}", r.body);
    assert_eq!(app.get(&format!("/api/v1/tickets/{d}"), Some(t1)).str("priority"), "P1");
}

fn bulk_calls_refuse_bad_input_whole(app: &TestApp) {
    let city = app.city();
    let t1 = city.t("t1_dinkes");
    let a = app.ticket(t1, json!({}));
    let events_before = app.all_events().len();
    let too_many: Vec<String> = (0..501).map(|i| format!("SD-2026-{i:06}")).collect();
    for (body, status, field) in [
        (json!({ "numbers": [], "action": "close" }), 422, Some("numbers")),
        (json!({ "numbers": too_many, "action": "close" }), 422, Some("numbers")),
        (json!({ "numbers": [a], "action": "escalate", "reason": "x" }), 422, Some("action")),
        (json!({ "numbers": [a], "action": "resolve" }), 400, None),
        (json!({ "numbers": [a], "action": "close", "mood": "happy" }), 400, None),
        (json!({ "numbers": [a], "action": "note", "body": "   " }), 422, Some("body")),
        (json!({ "numbers": "SD-1", "action": "close" }), 400, None),
    ] {
        let r = app.post("/api/v1/tickets/bulk", body.clone(), Some(t1));
        assert_eq!(r.status, status, "{body}: {:?}", r.body);
        assert!(r.is_problem(), "{body}");
        if let Some(field) = field {
            assert_eq!(r.field(), Some(field), "{body}: {:?}", r.body);
        }
    }
    // A requester's account may not act in bulk, even on its own reports.
    let r = app.post("/api/v1/tickets/bulk", json!({ "numbers": [a], "action": "close" }), Some(city.t("warga")));
    assert_eq!(r.status, 403, "{:?}", r.body);
    assert_eq!(app.post("/api/v1/tickets/bulk", json!({ "numbers": [a], "action": "close" }), None).status, 401);
    assert_eq!(app.all_events().len(), events_before, "nothing was done");
    assert_eq!(status_of(app, &a, t1), "new");
}

fn bulk_from_the_console(app: &TestApp) {
    let city = app.city();
    let t1 = city.t("t1_dinkes");
    let (a, b) = (app.ticket(t1, json!({})), app.ticket(t1, json!({})));
    assert_eq!(app.act(&a, "start", json!({}), t1).status, 200);
    let hidden = app.ticket(city.t("t1_disdik"), json!({ "unit": "DISDIK" }));
    let browser = Browser::sign_in(app, "t1_dinkes", PASSWORD);
    let queue = browser.get("/konsol");
    assert!(queue.body.contains(&format!("name=\"nomor\" value=\"{a}\"")), "a tick box per row");
    assert!(queue.body.contains("action=\"/konsol/massal\""), "the bulk form");
    let csrf = browser.csrf("/konsol");
    // One ticket ticked, one forged from another unit: one done, one refused as not found.
    let page = browser.post(
        "/konsol/massal",
        &[("csrf", &csrf), ("aksi", "pend"), ("nomor", &a), ("nomor", &hidden), ("reason", "Menunggu vendor")],
    );
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains(&format!("data-number=\"{a}\" data-done=\"true\"")), "{}", page.body);
    assert!(page.body.contains(&format!("data-number=\"{hidden}\" data-done=\"false\"")), "{}", page.body);
    assert!(page.body.contains("tidak ditemukan atau di luar cakupan Anda"), "{}", page.body);
    assert_eq!(status_of(app, &a, t1), "pending");
    assert_eq!(status_of(app, &hidden, city.t("t1_disdik")), "new");
    // "All on this page" takes every ticket the page listed, ticked or not.
    let page = browser.post(
        "/konsol/massal",
        &[
            ("csrf", &csrf),
            ("aksi", "note"),
            ("semua", "1"),
            ("halaman", &a),
            ("halaman", &b),
            ("body", "Dicek pagi ini"),
        ],
    );
    assert_eq!(page.status, 200, "{}", page.body);
    assert_eq!(page.body.matches("data-done=\"true\"").count(), 2, "{}", page.body);
    // Without the form token nothing happens.
    let page = browser.post("/konsol/massal", &[("aksi", "close"), ("nomor", &b)]);
    assert_eq!(page.status, 403, "{}", page.body);
    assert_eq!(status_of(app, &b, t1), "new");
    // Nothing ticked: a clear refusal.
    let page = browser.post("/konsol/massal", &[("csrf", &csrf), ("aksi", "close")]);
    assert_eq!(page.status, 422, "{}", page.body);
    assert!(page.body.contains("Belum ada tiket yang dicentang"), "{}", page.body);
}

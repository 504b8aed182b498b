use serde_json::json;

use crate::both_databases;
use crate::helpers::TestApp;

both_databases!(
    opening_gives_number_priority_tier_and_sla,
    priority_matrix_follows_impact_and_urgency,
    lifecycle_through_every_status,
    forbidden_transitions_answer_409_with_allowed_actions,
    escalate_return_and_transfer,
    pending_pauses_the_resolution_clock,
    priority_change_recomputes_due_times,
    public_intake_and_tracking,
    first_public_reply_meets_first_response,
    concurrent_openings_get_distinct_numbers,
);

fn opening_gives_number_priority_tier_and_sla(app: &TestApp) {
    let city = app.city();
    let r = app.open_ticket(city.t("t1_dinkes"), json!({ "impact": "high", "urgency": "medium" }));
    assert_eq!(r.status, 201, "{:?}", r.body);
    assert_eq!(r.str("number"), "SD-2026-000001");
    assert_eq!(r.str("status"), "new");
    assert_eq!(r.body["tier"], 1);
    assert_eq!(r.str("priority"), "P2");
    assert_eq!(r.str("unit"), "DINKES");
    // P2: 60 business minutes to first response, 900 to resolution, jam-kerja, opened Monday 08:00 WIB.
    assert_eq!(r.body["sla"]["first_response_due"], "2026-11-23T02:00:00Z");
    assert_eq!(r.body["sla"]["resolution_due"], "2026-11-25T01:00:00Z");
    assert_eq!(r.body["sla"]["resolution"]["state"], "running");
    assert_eq!(r.body["sla"]["resolution"]["remaining_minutes"], 900);
    let second = app.ticket(city.t("t1_dinkes"), json!({}));
    assert_eq!(second, "SD-2026-000002");
    // The numbering restarts with the year.
    app.clock.set(chrono::DateTime::parse_from_rfc3339("2027-01-04T08:00:00+07:00").expect("t").into());
    let fresh = app.token("t1_dinkes", crate::helpers::PASSWORD);
    assert_eq!(app.ticket(&fresh, json!({})), "SD-2027-000001");
}

fn priority_matrix_follows_impact_and_urgency(app: &TestApp) {
    let city = app.city();
    let table = [
        ("high", "high", "P1"),
        ("high", "medium", "P2"),
        ("high", "low", "P3"),
        ("medium", "high", "P2"),
        ("medium", "medium", "P3"),
        ("medium", "low", "P4"),
        ("low", "high", "P3"),
        ("low", "medium", "P4"),
        ("low", "low", "P4"),
    ];
    for (impact, urgency, want) in table {
        let r = app.open_ticket(city.t("t1_dinkes"), json!({ "impact": impact, "urgency": urgency }));
        assert_eq!(r.str("priority"), want, "{impact} × {urgency}");
    }
    // P1 runs on the 24x7 calendar: 30 minutes, even at night.
    app.clock.set(chrono::DateTime::parse_from_rfc3339("2026-11-28T23:00:00+07:00").expect("t").into());
    let r = app.open_ticket(city.t("t1_dinkes"), json!({ "impact": "high", "urgency": "high" }));
    assert_eq!(r.body["sla"]["first_response_due"], "2026-11-28T16:30:00Z");
    assert_eq!(r.body["sla"]["calendar"], "24x7");
}

fn lifecycle_through_every_status(app: &TestApp) {
    let city = app.city();
    let t1 = city.t("t1_dinkes");
    let n = app.ticket(t1, json!({}));
    let r = app.act(&n, "assign", json!({ "username": "t1b_dinkes" }), t1);
    assert_eq!((r.status, r.str("status"), r.str("assignee")), (200, "open", "t1b_dinkes"));
    assert_eq!(app.act(&n, "pend", json!({ "reason": "Menunggu tangkapan layar" }), t1).str("status"), "pending");
    assert_eq!(app.act(&n, "resume", json!({}), t1).str("status"), "open");
    let r = app.act(&n, "resolve", json!({ "resolution": "Cache browser dibersihkan." }), t1);
    assert_eq!(r.str("status"), "resolved");
    assert_eq!(r.body["sla"]["resolution"]["state"], "met");
    assert_eq!(app.act(&n, "reopen", json!({ "reason": "Masih error" }), t1).str("status"), "open");
    assert_eq!(app.act(&n, "resolve", json!({ "resolution": "Server di-restart." }), t1).str("status"), "resolved");
    let r = app.act(&n, "close", json!({}), t1);
    assert_eq!(r.str("status"), "closed");
    assert!(r.body["allowed_actions"].as_array().is_some_and(|a| a.is_empty()));
    let c = app.ticket(t1, json!({}));
    let r = app.act(&c, "cancel", json!({ "reason": "Laporan ganda" }), t1);
    assert_eq!(r.str("status"), "cancelled");
    let events = app.get(&format!("/api/v1/tickets/{n}/events"), Some(t1)).items();
    let kinds: Vec<&str> = events.iter().filter_map(|e| e["kind"].as_str()).collect();
    assert_eq!(
        kinds,
        [
            "ticket.created",
            "ticket.assigned",
            "ticket.pending",
            "ticket.resumed",
            "ticket.resolved",
            "ticket.reopened",
            "ticket.resolved",
            "ticket.closed"
        ]
    );
    assert!(events.iter().all(|e| e["actor"].is_string()));
    // The resolution went to the requester as a public message.
    let detail = app.get(&format!("/api/v1/tickets/{n}"), Some(t1));
    let bodies: Vec<&str> =
        detail.body["messages"].as_array().into_iter().flatten().filter_map(|m| m["body"].as_str()).collect();
    assert!(bodies.contains(&"Cache browser dibersihkan."));
}

fn forbidden_transitions_answer_409_with_allowed_actions(app: &TestApp) {
    let city = app.city();
    let t1 = city.t("t1_dinkes");
    let n = app.ticket(t1, json!({}));
    let r = app.act(&n, "close", json!({}), t1);
    assert_eq!(r.status, 409);
    assert!(r.is_problem());
    let allowed: Vec<&str> =
        r.body["allowed_actions"].as_array().into_iter().flatten().filter_map(|v| v.as_str()).collect();
    assert_eq!(allowed, ["assign", "start", "cancel", "escalate", "transfer", "priority"]);
    assert_eq!(app.act(&n, "resolve", json!({ "resolution": "x" }), t1).status, 409);
    assert_eq!(app.act(&n, "resume", json!({}), t1).status, 409);
    assert_eq!(app.act(&n, "return", json!({ "note": "x" }), t1).status, 409);
    assert_eq!(app.act(&n, "terbang", json!({}), t1).status, 404);
    // A unit head reads but does not act.
    assert_eq!(app.act(&n, "start", json!({}), city.t("head_dinkes")).status, 403);
    // Nothing of the refused attempts reached the audit log.
    assert_eq!(app.get(&format!("/api/v1/tickets/{n}/events"), Some(t1)).items().len(), 1);
}

fn escalate_return_and_transfer(app: &TestApp) {
    let city = app.city();
    let (t1, t2) = (city.t("t1_dinkes"), city.t("t2_kominfo"));
    let n = app.ticket(t1, json!({}));
    app.act(&n, "assign", json!({ "username": "t1_dinkes" }), t1);
    assert_eq!(app.get(&format!("/api/v1/tickets/{n}"), Some(t2)).status, 404, "tier 2 does not see tier-1 work");
    let r = app.act(&n, "escalate", json!({}), t1);
    assert_eq!((r.status, r.field()), (400, Some("reason")));
    let r = app.act(&n, "escalate", json!({ "reason": "   " }), t1);
    assert_eq!((r.status, r.field()), (422, Some("reason")));
    let r = app.act(&n, "escalate", json!({ "reason": "Butuh akses server pusat data" }), t1);
    assert_eq!((r.status, r.body["tier"].as_i64(), r.body["assignee"].is_null()), (200, Some(2), true));
    assert_eq!(app.get(&format!("/api/v1/tickets/{n}"), Some(t2)).body["tier"], 2);
    assert_eq!(app.get(&format!("/api/v1/tickets/{n}"), Some(t1)).status, 200, "the unit keeps seeing it");
    assert_eq!(app.act(&n, "resolve", json!({ "resolution": "x" }), t1).status, 403, "tier 1 no longer acts");
    let r = app.act(&n, "assign", json!({ "username": "t1b_dinkes" }), t2);
    assert_eq!((r.status, r.field()), (422, Some("username")), "a tier-1 agent cannot hold a tier-2 ticket");
    assert_eq!(app.act(&n, "assign", json!({ "username": "t2_kominfo" }), t2).str("assignee"), "t2_kominfo");
    let r = app.act(&n, "return", json!({ "note": "Konfigurasi sudah diperbaiki" }), t2);
    assert_eq!(
        (r.body["tier"].as_i64(), r.str("assignee"), r.body["escalated"].as_bool()),
        (Some(1), "t1_dinkes", Some(true))
    );
    assert_eq!(
        app.get(&format!("/api/v1/tickets/{n}"), Some(t2)).status,
        200,
        "tier 2 keeps reading escalated history"
    );
    // Transfer to another unit: DINKES loses it, DISDIK gets it.
    let r = app.act(&n, "transfer", json!({ "unit": "TIDAKADA" }), t1);
    assert_eq!((r.status, r.field()), (422, Some("unit")));
    let r = app.act(&n, "transfer", json!({ "unit": "DISDIK", "reason": "Salah alamat" }), t1);
    assert_eq!((r.status, r.str("unit"), r.body["service"].is_null()), (200, "DISDIK", true));
    assert_eq!(app.get(&format!("/api/v1/tickets/{n}"), Some(t1)).status, 404);
    assert_eq!(app.get(&format!("/api/v1/tickets/{n}"), Some(city.t("t1_disdik"))).status, 200);
    let kinds: Vec<String> = app
        .get(&format!("/api/v1/tickets/{n}/events"), Some(city.t("sup_kominfo")))
        .items()
        .iter()
        .filter_map(|e| e["kind"].as_str().map(str::to_string))
        .collect();
    assert!(
        kinds.ends_with(&[
            "ticket.escalated".into(),
            "ticket.assigned".into(),
            "ticket.returned".into(),
            "ticket.transferred".into()
        ]),
        "{kinds:?}"
    );
}

fn pending_pauses_the_resolution_clock(app: &TestApp) {
    // SPEC 4: created Mon 08:00 with a 450-minute target is due Tue 08:00; pending Mon 09:00 to
    // Tue 09:00 moves it to Wed 08:00. P4 is 2250 minutes, so take P3 (1350) and check the
    // pause arithmetic with the same 450-minute pause.
    let city = app.city();
    let t1 = city.t("t1_dinkes");
    let n = app.ticket(t1, json!({ "impact": "medium", "urgency": "medium" }));
    let before = app.get(&format!("/api/v1/tickets/{n}"), Some(t1)).body["sla"]["resolution_due"].clone();
    assert_eq!(before, "2026-11-26T01:00:00Z", "P3: 1350 minutes from Mon 08:00 is Thu 08:00 WIB");
    app.act(&n, "start", json!({}), t1);
    app.clock.set(chrono::DateTime::parse_from_rfc3339("2026-11-23T09:00:00+07:00").expect("t").into());
    let r = app.act(&n, "pend", json!({}), t1);
    assert_eq!(r.body["sla"]["resolution"]["state"], "paused");
    app.clock.set(chrono::DateTime::parse_from_rfc3339("2026-11-24T09:00:00+07:00").expect("t").into());
    let r = app.act(&n, "resume", json!({}), t1);
    assert_eq!(r.body["sla"]["resolution"]["state"], "running");
    assert_eq!(
        r.body["sla"]["resolution_due"], "2026-11-27T01:00:00Z",
        "450 paused minutes move Thu 08:00 to Fri 08:00 WIB"
    );
}

fn priority_change_recomputes_due_times(app: &TestApp) {
    let city = app.city();
    let t1 = city.t("t1_dinkes");
    let n = app.ticket(t1, json!({ "impact": "low", "urgency": "low" }));
    app.clock.advance(chrono::Duration::minutes(45));
    let r = app.act(&n, "priority", json!({ "impact": "high", "urgency": "medium" }), t1);
    assert_eq!(r.str("priority"), "P2");
    // From the creation instant with P2's targets.
    assert_eq!(r.body["sla"]["first_response_due"], "2026-11-23T02:00:00Z");
    assert_eq!(r.body["sla"]["resolution_due"], "2026-11-25T01:00:00Z");
    let r = app.act(&n, "priority", json!({ "impact": "tinggi", "urgency": "medium" }), t1);
    assert_eq!((r.status, r.field()), (400, Some("impact")));
}

fn public_intake_and_tracking(app: &TestApp) {
    let city = app.city();
    let r = app.post(
        "/api/v1/public/tickets",
        json!({ "kind": "complaint", "title": "Website dinas lambat", "description": "Halaman PPDB tidak terbuka",
                "service": "PPDB", "requester": { "name": "Siti", "email": "siti@example.com" } }),
        None,
    );
    assert_eq!(r.status, 201, "{:?}", r.body);
    let (n, token) = (r.str("number").to_string(), r.str("tracking_token").to_string());
    assert_eq!(r.str("unit"), "DISDIK");
    assert!(token.len() >= 32);
    let t1 = city.t("t1_disdik");
    let staff_view = app.get(&format!("/api/v1/tickets/{n}"), Some(t1));
    assert_eq!((staff_view.str("channel"), staff_view.str("priority")), ("web", "P3"));
    app.post(
        &format!("/api/v1/tickets/{n}/messages"),
        json!({ "body": "RAHASIA-INTERNAL-123", "internal": true }),
        Some(t1),
    );
    app.post(&format!("/api/v1/tickets/{n}/messages"), json!({ "body": "Sedang kami periksa." }), Some(t1));
    let public = app.get(&format!("/api/v1/public/tickets/{n}?token={token}"), None);
    assert_eq!(public.status, 200);
    let text = public.body.to_string();
    assert!(!text.contains("RAHASIA-INTERNAL-123"));
    assert!(text.contains("Sedang kami periksa."));
    assert!(!text.contains("t1_disdik"), "staff usernames stay inside");
    assert_eq!(app.get(&format!("/api/v1/public/tickets/{n}?token=x{}", &token[1..]), None).status, 404);
    assert_eq!(app.get(&format!("/api/v1/public/tickets/{n}"), None).status, 400);
    assert_eq!(app.get(&format!("/api/v1/public/tickets/SD-2026-999999?token={token}"), None).status, 404);
    // The citizen's reply on the tracking page reopens a resolved ticket.
    app.act(&n, "start", json!({}), t1);
    app.act(&n, "resolve", json!({ "resolution": "Server PPDB sudah ditambah kapasitasnya." }), t1);
    let r = app.post(
        &format!("/api/v1/public/tickets/{n}/messages?token={token}"),
        json!({ "body": "Masih lambat pak." }),
        None,
    );
    assert_eq!(r.status, 201);
    assert_eq!(app.get(&format!("/api/v1/tickets/{n}"), Some(t1)).str("status"), "open");
    let r = app.post(
        &format!("/api/v1/public/tickets/{n}/messages?token={token}"),
        json!({ "body": "x", "internal": true }),
        None,
    );
    assert_eq!(r.status, 400, "no internal notes from the public side");
    // Without unit or service the report goes to the city-wide desk (tier 1 of Diskominfo).
    let r = app.post("/api/v1/public/tickets", json!({ "kind": "information", "title": "Jam layanan?", "description": "Kapan buka?", "requester": { "name": "Ani" } }), None);
    assert_eq!((r.status, r.str("unit")), (201, "DISKOMINFO"));
}

fn first_public_reply_meets_first_response(app: &TestApp) {
    let city = app.city();
    let t1 = city.t("t1_dinkes");
    let n = app.ticket(t1, json!({}));
    app.clock.advance(chrono::Duration::minutes(20));
    app.post(&format!("/api/v1/tickets/{n}/messages"), json!({ "body": "cek log", "internal": true }), Some(t1));
    let r = app.get(&format!("/api/v1/tickets/{n}"), Some(t1));
    assert_eq!(r.body["sla"]["first_response"]["state"], "running", "a note is not a response");
    assert_eq!(r.body["sla"]["first_response"]["remaining_minutes"], 220);
    app.post(&format!("/api/v1/tickets/{n}/messages"), json!({ "body": "Kami sedang memeriksa." }), Some(t1));
    let r = app.get(&format!("/api/v1/tickets/{n}"), Some(t1));
    assert_eq!(r.body["sla"]["first_response"]["state"], "met");
    assert_eq!(r.body["first_response_at"], "2026-11-23T01:20:00Z");
    // A late one is breached.
    let late = app.ticket(t1, json!({ "impact": "high", "urgency": "medium" }));
    app.clock.advance(chrono::Duration::minutes(90));
    let r = app.get(&format!("/api/v1/tickets/{late}"), Some(t1));
    assert_eq!(r.body["sla"]["first_response"]["state"], "breached");
    assert_eq!(r.body["sla"]["first_response"]["remaining_minutes"], -30);
}

fn concurrent_openings_get_distinct_numbers(app: &TestApp) {
    let city = app.city();
    let token = city.t("t1_dinkes").to_string();
    std::thread::scope(|s| {
        for _ in 0..8 {
            let token = token.clone();
            s.spawn(move || {
                for _ in 0..10 {
                    assert_eq!(app.open_ticket(&token, json!({})).status, 201);
                }
            });
        }
    });
    let mut numbers = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = app.get(&format!("/api/v1/tickets?limit=25&cursor={cursor}"), Some(&token));
        numbers.extend(page.items().iter().filter_map(|t| t["number"].as_str().map(str::to_string)));
        match page.body["next_cursor"].as_str() {
            Some(c) => cursor = c.to_string(),
            None => break,
        }
    }
    numbers.sort();
    let want: Vec<String> = (1..=80).map(|i| format!("SD-2026-{i:06}")).collect();
    assert_eq!(numbers, want);
    let verdict = app.desk.read_blocking(meja::desk::audit::verify).expect("verify");
    assert!(matches!(verdict, meja::desk::audit::Verdict::Intact { .. }), "{verdict:?}");
}

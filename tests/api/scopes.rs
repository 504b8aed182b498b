//! The scope matrix: every role × every ticket endpoint × own/other unit (SPEC section 3).

use serde_json::json;

use crate::both_databases;
use crate::helpers::TestApp;

both_databases!(scope_matrix, the_ticket_view_field_by_field);

const PEOPLE: [&str; 10] = [
    "admin",
    "sup_kominfo",
    "t2_kominfo",
    "t1_dinkes",
    "t1b_dinkes",
    "t1_disdik",
    "head_dinkes",
    "head_disdik",
    "warga",
    "warga_lain",
];

/// Per ticket, what each of PEOPLE may do: R read (detail, list, events for staff),
/// M reply publicly, N add an internal note, A act (here: re-rate the priority).
struct Expect {
    ticket: &'static str,
    rights: [&'static str; 10],
}

const MATRIX: [Expect; 5] = [
    // DINKES, tier 1.
    Expect { ticket: "A", rights: ["RMNA", "RMNA", "", "RMNA", "RMNA", "", "RN", "", "", ""] },
    // DINKES, escalated to tier 2: the unit follows it, tier 2 works it.
    Expect { ticket: "B", rights: ["RMNA", "RMNA", "RMNA", "RMN", "RMN", "", "RN", "", "", ""] },
    // DINKES, confidential, assigned to t1b_dinkes.
    Expect { ticket: "C", rights: ["RMNA", "RMNA", "", "", "RMNA", "", "", "", "", ""] },
    // DISDIK, tier 1.
    Expect { ticket: "D", rights: ["RMNA", "RMNA", "", "", "", "RMNA", "", "RN", "", ""] },
    // DINKES, reported by the citizen account `warga`.
    Expect { ticket: "R", rights: ["RMNA", "RMNA", "", "RMNA", "RMNA", "", "RN", "", "RM", ""] },
];

fn scope_matrix(app: &TestApp) {
    let city = app.city();
    let t1 = city.t("t1_dinkes");
    let mut numbers = std::collections::HashMap::new();
    numbers.insert("A", app.ticket(t1, json!({})));
    let b = app.ticket(t1, json!({}));
    assert_eq!(app.act(&b, "escalate", json!({ "reason": "Butuh tier 2" }), t1).status, 200);
    numbers.insert("B", b);
    let c = app.ticket(t1, json!({ "classification": "confidential" }));
    assert_eq!(app.act(&c, "assign", json!({ "username": "t1b_dinkes" }), t1).status, 200);
    numbers.insert("C", c);
    numbers.insert("D", app.ticket(city.t("t1_disdik"), json!({ "unit": "DISDIK" })));
    let r = app.post(
        "/api/v1/tickets",
        json!({ "kind": "complaint", "title": "Antrian puskesmas", "description": "Lama sekali", "unit": "DINKES", "impact": "low", "urgency": "low" }),
        Some(city.t("warga")),
    );
    assert_eq!(r.status, 201, "{:?}", r.body);
    numbers.insert("R", r.str("number").to_string());

    for expect in &MATRIX {
        let number = &numbers[expect.ticket];
        for (who, rights) in PEOPLE.iter().zip(expect.rights) {
            let token = city.t(who);
            let staff = !who.starts_with("warga");
            let read = rights.contains('R');
            let here = format!("{who} on ticket {}", expect.ticket);
            let detail = app.get(&format!("/api/v1/tickets/{number}"), Some(token));
            assert_eq!(detail.status, if read { 200 } else { 404 }, "GET detail: {here}");
            let events = app.get(&format!("/api/v1/tickets/{number}/events"), Some(token)).status;
            assert_eq!(
                events,
                match (read, staff) {
                    (true, true) => 200,
                    (true, false) => 403,
                    _ => 404,
                },
                "GET events: {here}"
            );
            let listed = app
                .get("/api/v1/tickets?limit=200", Some(token))
                .items()
                .iter()
                .any(|t| t["number"] == number.as_str());
            assert_eq!(listed, read, "list: {here}");
            let denied = if read { 403 } else { 404 };
            let reply = app
                .post(&format!("/api/v1/tickets/{number}/messages"), json!({ "body": "balasan" }), Some(token))
                .status;
            assert_eq!(reply, if rights.contains('M') { 201 } else { denied }, "reply: {here}");
            let note = app
                .post(
                    &format!("/api/v1/tickets/{number}/messages"),
                    json!({ "body": "catatan", "internal": true }),
                    Some(token),
                )
                .status;
            assert_eq!(note, if rights.contains('N') { 201 } else { denied }, "note: {here}");
            let act = app.act(number, "priority", json!({ "impact": "low", "urgency": "low" }), token).status;
            assert_eq!(act, if rights.contains('A') { 200 } else { denied }, "act: {here}");
        }
    }
    // A requester never sees internal notes, even on its own ticket.
    let own = app.get(&format!("/api/v1/tickets/{}", numbers["R"]), Some(city.t("warga")));
    assert!(own.body["messages"].as_array().is_some_and(|m| m.iter().all(|m| m["internal"] == false)));
    assert!(!own.body.to_string().contains("catatan"));
}

/// Every field of the ticket view, and who sees it: staff all of them; a requester's own account
/// only what the tracking page shows and its own words and details (issue 20).
const FIELDS: [(&str, bool); 34] = [
    ("number", true),
    ("kind", true),
    ("title", true),
    ("description", true),
    ("status", true),
    ("unit", true),
    ("service", true),
    ("requester", true),
    ("created_at", true),
    ("updated_at", true),
    ("resolved_at", true),
    ("closed_at", true),
    ("allowed_actions", true),
    ("messages", true),
    // Only in a ticket's own view (as messages): where a merged case went.
    ("merged_into", true),
    ("merged_from", true),
    ("tier", false),
    ("priority", false),
    ("impact", false),
    ("urgency", false),
    ("classification", false),
    ("security_incident", false),
    ("personal_data_breach", false),
    ("incident", false),
    ("channel", false),
    ("assignee", false),
    ("escalated", false),
    ("first_response_at", false),
    ("sla", false),
    ("time_spent_minutes", false),
    // Fields that must appear nowhere for a requester, even nested.
    ("breach_notified_note", false),
    ("breach_notice", false),
    ("first_response_due", false),
    ("resolution_due", false),
];

fn the_ticket_view_field_by_field(app: &TestApp) {
    let city = app.city();
    let (sup, warga) = (city.t("sup_kominfo"), city.t("warga"));
    let r = app.post(
        "/api/v1/tickets",
        json!({ "kind": "complaint", "title": "Data saya bocor", "description": "Nama saya muncul di situs lain",
                "unit": "DINKES", "impact": "low", "urgency": "low" }),
        Some(warga),
    );
    assert_eq!(r.status, 201, "{:?}", r.body);
    let number = r.str("number").to_string();
    let ok = |r: crate::helpers::Reply| assert!(r.status < 300, "{:?}", r.body);
    ok(app.act(&number, "assign", json!({ "username": "t1_dinkes" }), sup));
    ok(app.post(&format!("/api/v1/tickets/{number}/flag"), json!({ "personal_data_breach": true }), Some(sup)));
    ok(app.post(
        &format!("/api/v1/tickets/{number}/breach-notified"),
        json!({ "note": "Catatan staf: dilaporkan ke lembaga oleh Pak Kepala" }),
        Some(sup),
    ));

    let staff = app.get(&format!("/api/v1/tickets/{number}"), Some(sup)).body;
    assert_eq!(
        staff["incident"]["breach_notified_note"], "Catatan staf: dilaporkan ke lembaga oleh Pak Kepala",
        "{staff}"
    );
    let own = app.get(&format!("/api/v1/tickets/{number}"), Some(warga)).body;
    let listed = app
        .get("/api/v1/tickets?limit=200", Some(warga))
        .items()
        .into_iter()
        .find(|t| t["number"] == number.as_str())
        .expect("listed for its requester");
    let opened = r.body;
    for (field, for_requester) in FIELDS {
        let top_level =
            !matches!(field, "breach_notified_note" | "breach_notice" | "first_response_due" | "resolution_due");
        if top_level {
            assert!(staff.get(field).is_some(), "staff see {field}: {staff}");
        }
        for (what, view) in [("detail", &own), ("list", &listed), ("open", &opened)] {
            let present = if top_level { view.get(field).is_some() } else { view.to_string().contains(field) };
            let detail_only = matches!(field, "messages" | "merged_into" | "merged_from");
            let expected = for_requester && !(detail_only && what != "detail");
            assert_eq!(present, expected, "requester's {what}: {field}: {view}");
        }
    }
    assert!(!own.to_string().contains("Catatan staf") && !own.to_string().contains("t1_dinkes"), "{own}");
    let known: Vec<&str> = FIELDS.iter().map(|(f, _)| *f).collect();
    for key in staff.as_object().expect("object").keys() {
        assert!(known.contains(&key.as_str()), "{key} is a new field: decide who sees it");
    }
}

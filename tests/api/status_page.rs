//! Issue 19, status gangguan, on both databases: staff declare a disruption of a service, the
//! public status shows it, a citizen's report on that service joins the problem and hears each
//! update, resolving the problem answers them all and ends it; maintenance windows; alerts from
//! monitoring open one problem per service, however many arrive.

use serde_json::{json, Value};

use crate::helpers::{spawn_app_with, Backend, City, TestApp};

const ALERT_TOKEN: &str = "token-pemantauan-uji-0123456789";

fn app(backend: Backend) -> Option<(TestApp, City)> {
    let app = spawn_app_with(backend, crate::helpers::monday_0800(), |s| {
        s.alert_token = Some(meja::config::Secret::new(ALERT_TOKEN));
    })?;
    let city = app.city();
    Some((app, city))
}

fn service_status(app: &TestApp, code: &str) -> Value {
    let status = app.get("/api/v1/public/status", None);
    assert_eq!(status.status, 200, "{:?}", status.body);
    status.body["units"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|u| u["services"].as_array().cloned().unwrap_or_default())
        .find(|s| s["code"] == code)
        .unwrap_or(Value::Null)
}

fn outbox_templates(app: &TestApp, number: &str) -> Vec<String> {
    app.outbox_of(number).into_iter().map(|r| r.template).collect()
}

fn declared_outage_reaches_citizens_and_ends_with_the_problem(backend: Backend) {
    let Some((app, city)) = app(backend) else { return };
    assert_eq!(service_status(&app, "SIMPUS")["state"], "normal");

    // Only those who work the service's tickets may declare: not another unit, not a head.
    let body = json!({ "service": "SIMPUS", "state": "major_outage", "title": "SIMPUS tidak dapat diakses" });
    for who in ["t1_disdik", "head_dinkes", "warga"] {
        let refused = app.post("/api/v1/disruptions", body.clone(), Some(city.t(who)));
        assert_eq!(refused.status, 403, "{who}: {:?}", refused.body);
    }
    let declared = app.post("/api/v1/disruptions", body.clone(), Some(city.t("t1_dinkes")));
    assert_eq!(declared.status, 201, "{:?}", declared.body);
    let id = declared.str("id").to_string();
    let problem = declared.str("problem").to_string();
    assert!(problem.starts_with("SD-"), "an outage declared directly opens its problem: {:?}", declared.body);
    assert_eq!(app.ticket_row(&problem).kind, "problem");
    let again = app.post("/api/v1/disruptions", body, Some(city.t("t2_kominfo")));
    assert_eq!(again.status, 409, "one running outage per service: {:?}", again.body);

    let simpus = service_status(&app, "SIMPUS");
    assert_eq!(simpus["state"], "major_outage");
    assert_eq!(simpus["state_label"], "gangguan");
    let public = app.get("/api/v1/public/status", None).body;
    assert_eq!(public["overall"], "major_outage");
    assert_eq!(public["current"][0]["title"], "SIMPUS tidak dapat diakses");
    assert!(public["current"][0].get("problem").is_none(), "the problem's number is for staff: {public:?}");
    assert_eq!(service_status(&app, "PPDB")["state"], "normal");

    // A citizen reports on the disrupted service: told, linked, following.
    let report = app.post(
        "/api/v1/public/tickets",
        json!({ "kind": "incident", "title": "SIMPUS error", "description": "Tidak bisa membuka SIMPUS sejak pagi.",
                "service": "SIMPUS", "requester": { "name": "Sari", "email": "sari@example.com" } }),
        None,
    );
    assert_eq!(report.status, 201, "{:?}", report.body);
    assert_eq!(report.body["disruption"]["title"], "SIMPUS tidak dapat diakses");
    assert_eq!(report.body["disruption"]["following"], true);
    let citizen = report.str("number").to_string();
    let ack = app.outbox_of(&citizen).into_iter().find(|r| r.template == "ticket_received").expect("acknowledged");
    let ack: Value = serde_json::from_str(&ack.payload).expect("payload");
    assert_eq!(ack["disruption"]["title"], "SIMPUS tidak dapat diakses");
    let text = meja::email::templates::render(
        "ticket_received",
        &ack,
        &meja::email::templates::Context {
            number: Some(&citizen),
            title: Some("SIMPUS error"),
            public_url: "http://desk",
            message: None,
            language: "id",
        },
    );
    assert!(text.text.contains("sudah kami ketahui"), "{}", text.text);
    // One who does not want to follow is linked but not told of updates.
    let quiet = app.post(
        "/api/v1/public/tickets",
        json!({ "kind": "incident", "title": "SIMPUS mati", "description": "SIMPUS tidak dapat dibuka.",
                "service": "SIMPUS", "follow_disruption": false,
                "requester": { "name": "Anto", "email": "anto@example.com" } }),
        None,
    );
    assert_eq!(quiet.status, 201, "{:?}", quiet.body);
    let quiet = quiet.str("number").to_string();
    // A request for a new account is not about the outage: not linked.
    let other = app.post(
        "/api/v1/public/tickets",
        json!({ "kind": "service_request", "title": "Akun baru SIMPUS", "description": "Mohon dibuatkan akun.",
                "service": "SIMPUS", "requester": { "name": "Rina", "email": "rina@example.com" } }),
        None,
    );
    assert!(other.body["disruption"].is_null(), "{:?}", other.body);

    // A follower who withdrew the report hears no more.
    let withdrawn = app.post(
        "/api/v1/public/tickets",
        json!({ "kind": "incident", "title": "SIMPUS lagi", "description": "Masih tidak bisa.", "service": "SIMPUS",
                "requester": { "name": "Dodi", "email": "dodi@example.com" } }),
        None,
    );
    let withdrawn = withdrawn.str("number").to_string();
    assert_eq!(app.act(&withdrawn, "cancel", json!({ "reason": "dobel" }), city.t("t1_dinkes")).status, 200);
    // An update reaches the follower, not the one who declined.
    let update = app.post(
        &format!("/api/v1/disruptions/{id}/updates"),
        json!({ "body": "Server basis data sedang dipulihkan; perkiraan pulih pukul 12.00.", "state": "partial_outage" }),
        Some(city.t("t2_kominfo")),
    );
    assert_eq!(update.status, 201, "{:?}", update.body);
    assert_eq!(service_status(&app, "SIMPUS")["state"], "partial_outage");
    assert!(outbox_templates(&app, &citizen).contains(&"disruption_update".to_string()));
    assert!(!outbox_templates(&app, &quiet).contains(&"disruption_update".to_string()));
    assert!(!outbox_templates(&app, &withdrawn).contains(&"disruption_update".to_string()), "cancelled: no updates");
    let bad =
        app.post(&format!("/api/v1/disruptions/{id}/updates"), json!({ "body": "  " }), Some(city.t("t1_dinkes")));
    assert_eq!(bad.status, 422, "{:?}", bad.body);
    assert_eq!(bad.field(), Some("body"));

    // Resolving the problem with its incidents answers both citizens and ends the outage.
    app.clock.advance(chrono::Duration::minutes(90));
    assert_eq!(app.act(&problem, "start", json!({}), city.t("t1_dinkes")).status, 200);
    let resolved = app.act(
        &problem,
        "resolve",
        json!({ "resolution": "Server basis data sudah pulih; SIMPUS dapat dipakai kembali.", "resolve_linked": true }),
        city.t("t1_dinkes"),
    );
    assert_eq!(resolved.status, 200, "{:?}", resolved.body);
    for number in [&citizen, &quiet] {
        assert_eq!(app.ticket_row(number).status, "resolved", "{number}");
        assert!(outbox_templates(&app, number).contains(&"ticket_resolved".to_string()), "{number}");
    }
    let updates = outbox_templates(&app, &citizen).iter().filter(|t| *t == "disruption_update").count();
    assert_eq!(updates, 1, "the follower hears the resolution once, not also the disruption's end");
    let public = app.get("/api/v1/public/status/SIMPUS", None).body.to_string();
    assert!(!public.contains("Server basis data sudah pulih"), "a problem's resolution is not published: {public}");
    assert_eq!(app.ticket_row(other.str("number")).status, "new", "an unlinked ticket stays");
    assert_eq!(service_status(&app, "SIMPUS")["state"], "normal");
    let history = app.get("/api/v1/public/status/SIMPUS", None);
    assert_eq!(history.status, 200, "{:?}", history.body);
    assert_eq!(history.body["disruptions"][0]["phase"], "ended");
    assert_eq!(history.body["disruptions"][0]["duration_minutes"], 90);
    assert_eq!(history.body["disruptions"][0]["updates"].as_array().map(Vec::len), Some(3));
    assert!(history.body["uptime_90d"].as_f64().is_some_and(|u| u < 100.0 && u > 99.0), "{:?}", history.body);
    let ended =
        app.post(&format!("/api/v1/disruptions/{id}/updates"), json!({ "body": "lagi" }), Some(city.t("t1_dinkes")));
    assert_eq!(ended.status, 409, "an ended disruption takes no updates: {:?}", ended.body);
    // The month's report (section 7) and the dashboard count it: 90 minutes, three tickets.
    let report = app.get("/api/v1/reports?unit=DINKES&period=2026-11&format=json", Some(city.t("sup_kominfo")));
    assert_eq!(report.status, 200, "{:?}", report.body);
    let figures = &report.body["report"]["disruptions"][0];
    assert_eq!(figures["service"], "SIMPUS", "{figures:?}");
    assert_eq!((figures["disruptions"].as_i64(), figures["outage_minutes"].as_i64()), (Some(1), Some(90)));
    assert_eq!(figures["linked_tickets"], 3, "the withdrawn report was linked too");
    let other_unit = app.get("/api/v1/reports?unit=DISDIK&period=2026-11&format=json", Some(city.t("sup_kominfo")));
    assert_eq!(other_unit.body["report"]["disruptions"], json!([]), "a unit's report has its own services only");
    let html = app.get("/api/v1/reports?unit=DINKES&period=2026-11&format=html", Some(city.t("sup_kominfo")));
    let html = html.body.as_str().unwrap_or_default();
    assert!(html.contains("Gangguan layanan (status gangguan)"), "the section in the HTML report");
    let kinds: Vec<String> = app.all_events().into_iter().map(|e| e.kind).collect();
    for kind in ["disruption.declared", "disruption.updated", "disruption.ended", "disruption.joined"] {
        assert!(kinds.contains(&kind.to_string()), "{kind} audited");
    }
    // A resolve_linked on a ticket that is not a problem is refused by name.
    let plain = app.ticket(city.t("t1_dinkes"), json!({}));
    app.act(&plain, "start", json!({}), city.t("t1_dinkes"));
    let wrong = app.act(&plain, "resolve", json!({ "resolution": "ok", "resolve_linked": true }), city.t("t1_dinkes"));
    assert_eq!(wrong.field(), Some("resolve_linked"), "{:?}", wrong.body);
}

fn maintenance_windows(backend: Backend) {
    let Some((app, city)) = app(backend) else { return };
    let now = meja::clock::Clock::now(&app.clock);
    let at = |hours: i64| (now + chrono::Duration::hours(hours)).to_rfc3339();
    let window = json!({ "service": "PPDB", "state": "maintenance", "title": "Pemeliharaan server PPDB",
                         "starts_at": at(24), "expected_end": at(26) });
    let missing = app.post(
        "/api/v1/disruptions",
        json!({ "service": "PPDB", "state": "maintenance", "title": "x", "starts_at": at(1) }),
        Some(city.t("t1_disdik")),
    );
    assert_eq!(missing.field(), Some("expected_end"), "{:?}", missing.body);
    let made = app.post("/api/v1/disruptions", window.clone(), Some(city.t("t1_disdik")));
    assert_eq!(made.status, 201, "{:?}", made.body);
    assert!(made.body.get("problem").is_none(), "planned work needs no problem ticket");
    let mut overlapping = window.clone();
    overlapping["starts_at"] = json!(at(25));
    overlapping["expected_end"] = json!(at(27));
    let refused = app.post("/api/v1/disruptions", overlapping, Some(city.t("t1_disdik")));
    assert_eq!(refused.status, 409, "{:?}", refused.body);
    assert_eq!(
        refused.body["type"].as_str().map(|t| t.ends_with("maintenance_overlaps")),
        Some(true),
        "{:?}",
        refused.body
    );
    let mut after = window;
    after["starts_at"] = json!(at(26));
    after["expected_end"] = json!(at(28));
    assert_eq!(
        app.post("/api/v1/disruptions", after, Some(city.t("t1_disdik"))).status,
        201,
        "touching windows are fine"
    );

    let status = app.get("/api/v1/public/status", None).body;
    assert_eq!(status["scheduled"].as_array().map(Vec::len), Some(2), "{status:?}");
    assert_eq!(service_status(&app, "PPDB")["state"], "normal", "announced, not begun");
    app.clock.advance(chrono::Duration::hours(25));
    assert_eq!(service_status(&app, "PPDB")["state"], "maintenance");
    app.clock.advance(chrono::Duration::hours(4));
    let ppdb = service_status(&app, "PPDB");
    assert_eq!(ppdb["state"], "normal", "the windows are over");
    assert_eq!(ppdb["uptime_90d"], 100.0, "maintenance is not downtime");
    let history = app.get("/api/v1/public/status/PPDB", None).body;
    let ends: Vec<Value> =
        history["disruptions"].as_array().into_iter().flatten().map(|d| d["ended_at"].clone()).collect();
    assert!(ends.iter().all(Value::is_string), "windows that ran out show their end: {history:?}");
    let first = made.str("id").to_string();
    let late = app.post(&format!("/api/v1/disruptions/{first}/end"), json!({}), Some(city.t("t1_disdik")));
    assert_eq!(late.status, 200, "{:?}", late.body);
    assert_eq!(late.body["duration_minutes"], 120, "ended late, it still lasted its two planned hours");
    let future = app.post(
        "/api/v1/disruptions",
        json!({ "service": "PPDB", "state": "major_outage", "title": "x", "starts_at": at(60) }),
        Some(city.t("t1_disdik")),
    );
    assert_eq!(future.field(), Some("starts_at"), "an outage cannot be announced: {:?}", future.body);
}

fn alert(app: &TestApp, body: Value, token: Option<&str>) -> crate::helpers::Reply {
    app.post("/api/v1/alerts", body, token)
}

fn alerts_open_one_problem_per_service(backend: Backend) {
    let Some((app, city)) = app(backend) else { return };
    let admin = city.t("admin");
    let firing = json!({ "service": "SIMPUS", "status": "firing", "summary": "HTTP 502 dari simpus", "fingerprint": "simpus-http" });
    // Unauthenticated: refused, nothing stored.
    for token in [None, Some("salah-token-0000000000")] {
        let refused = alert(&app, firing.clone(), token);
        assert_eq!(refused.status, 401, "{:?}", refused.body);
    }
    assert_eq!(app.get("/api/v1/alerts", Some(admin)).items().len(), 0);
    let tickets_before = app.ticket_count();
    let malformed = alert(&app, json!({ "service": "SIMPUS", "status": "burning", "summary": "x" }), Some(ALERT_TOKEN));
    assert_eq!(malformed.status, 422, "{:?}", malformed.body);
    let old_version =
        app.post("/api/v1/alerts/alertmanager", json!({ "version": "3", "alerts": [] }), Some(ALERT_TOKEN));
    assert_eq!(old_version.field(), Some("version"), "{:?}", old_version.body);
    let garbage =
        app.raw("POST", "/api/v1/alerts/alertmanager", Some(b"{\"version\": \"4\", \"alerts\": [{"), Some(ALERT_TOKEN));
    assert_eq!(garbage.status, 400, "{:?}", garbage.body);
    let unsigned = app.post("/api/v1/alerts/alertmanager", json!({ "version": "4", "alerts": [] }), None);
    assert_eq!(unsigned.status, 401);
    assert_eq!(app.ticket_count(), tickets_before);
    assert_eq!(app.get("/api/v1/alerts", Some(admin)).items().len(), 0, "nothing stored");

    let first = alert(&app, firing.clone(), Some(ALERT_TOKEN));
    assert_eq!(first.status, 200, "{:?}", first.body);
    assert_eq!(first.body["results"][0]["outcome"], "ticket_opened");
    let number = first.body["results"][0]["ticket"].as_str().expect("ticket").to_string();
    let row = app.ticket_row(&number);
    assert_eq!((row.kind.as_str(), row.tier), ("problem", 2), "monitoring's problems are tier 2's");
    // A storm: the same alert resent and fifty more alerts for the service in one call.
    let storm: Vec<Value> = (0..50)
        .map(|i| json!({ "service": "SIMPUS", "status": "firing", "summary": format!("cek {i} gagal"), "fingerprint": format!("simpus-{i}") }))
        .collect();
    assert_eq!(alert(&app, firing.clone(), Some(ALERT_TOKEN)).body["results"][0]["outcome"], "repeated");
    let stormed = alert(&app, Value::Array(storm), Some(ALERT_TOKEN));
    assert_eq!(stormed.status, 200, "{:?}", stormed.body);
    assert!(stormed.body["results"].as_array().into_iter().flatten().all(|r| r["ticket"] == number.as_str()));
    assert_eq!(app.ticket_count(), tickets_before + 1, "one ticket for the service");
    assert_eq!(service_status(&app, "SIMPUS")["state"], "normal", "SIMPUS does not declare on alerts");

    // Unknown service: kept for the admin, no ticket.
    let unknown = alert(&app, json!({ "service": "SIMAK", "status": "firing", "summary": "down" }), Some(ALERT_TOKEN));
    assert_eq!(unknown.body["results"][0]["outcome"], "unknown_service");
    assert_eq!(app.ticket_count(), tickets_before + 1);
    let listed = app.get("/api/v1/alerts?unknown=true", Some(admin)).items();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["service_label"], "SIMAK");
    assert_eq!(app.get("/api/v1/alerts", Some(city.t("t1_dinkes"))).status, 403);
    let simak =
        app.post("/api/v1/services", json!({ "code": "SIMAK", "name": "SIMAK", "unit": "DINKES" }), Some(admin));
    assert_eq!(simak.status, 201, "{:?}", simak.body);
    let mapped = alert(&app, json!({ "service": "SIMAK", "status": "firing", "summary": "down" }), Some(ALERT_TOKEN));
    assert_eq!(mapped.body["results"][0]["outcome"], "ticket_opened", "once the service exists, its alert counts");
    assert_eq!(app.get("/api/v1/alerts?unknown=true", Some(admin)).items().len(), 0);

    // PPDB declares on alerts: firing declares, the last resolution ends it.
    let patched = app.patch("/api/v1/services/PPDB", json!({ "alert_declares": true }), Some(admin));
    assert_eq!(patched.body["alert_declares"], true, "{:?}", patched.body);
    let ppdb = |status: &str, fp: &str| json!({ "service": "PPDB", "status": status, "summary": "PPDB lambat", "fingerprint": fp });
    let fired = alert(&app, json!([ppdb("firing", "a"), ppdb("firing", "b")]), Some(ALERT_TOKEN));
    assert_eq!(fired.status, 200, "{:?}", fired.body);
    assert_eq!(service_status(&app, "PPDB")["state"], "major_outage");
    let public = app.get("/api/v1/public/status", None).body.to_string();
    assert!(!public.contains("PPDB lambat"), "the alert's own words stay internal: {public}");
    let ppdb_ticket = fired.body["results"][0]["ticket"].as_str().expect("ticket").to_string();
    alert(&app, ppdb("resolved", "a"), Some(ALERT_TOKEN));
    assert_eq!(service_status(&app, "PPDB")["state"], "major_outage", "one alert still fires");
    let cleared = alert(&app, ppdb("resolved", "b"), Some(ALERT_TOKEN));
    assert_eq!(cleared.body["results"][0]["outcome"], "resolved");
    assert_eq!(service_status(&app, "PPDB")["state"], "normal");
    assert_eq!(app.ticket_row(&ppdb_ticket).status, "new", "the ticket stays for a person to close");

    // Flapping: resolved by staff, firing again within the quiet period reopens it.
    let t2 = city.t("t2_kominfo");
    app.act(&ppdb_ticket, "start", json!({}), t2);
    assert_eq!(app.act(&ppdb_ticket, "resolve", json!({ "resolution": "Dipulihkan." }), t2).status, 200);
    app.clock.advance(chrono::Duration::minutes(10));
    let flap = alert(&app, ppdb("firing", "a"), Some(ALERT_TOKEN));
    assert_eq!(flap.body["results"][0]["outcome"], "ticket_reopened", "{:?}", flap.body);
    assert_eq!(app.ticket_row(&ppdb_ticket).status, "open");
    assert_eq!(app.ticket_count(), tickets_before + 3);
}

/// Who may change a disruption, and who learns its problem's number (SPEC 3: numbers are not
/// probed): another unit's tier 1 and a unit head read the disruption without the number.
fn disruptions_are_scoped(backend: Backend) {
    let Some((app, city)) = app(backend) else { return };
    let body = json!({ "service": "SIMPUS", "state": "major_outage", "title": "SIMPUS mati" });
    let declared = app.post("/api/v1/disruptions", body, Some(city.t("t1_dinkes")));
    assert_eq!(declared.status, 201, "{:?}", declared.body);
    let id = declared.str("id").to_string();
    let problem = declared.str("problem").to_string();
    for who in ["t1_disdik", "head_dinkes"] {
        let update = app.post(&format!("/api/v1/disruptions/{id}/updates"), json!({ "body": "x" }), Some(city.t(who)));
        assert_eq!(update.status, 403, "{who}: {:?}", update.body);
        let end = app.post(&format!("/api/v1/disruptions/{id}/end"), json!({}), Some(city.t(who)));
        assert_eq!(end.status, 403, "{who}: {:?}", end.body);
    }
    let seen = |who: &str| app.get(&format!("/api/v1/disruptions/{id}"), Some(city.t(who)));
    assert_eq!(seen("t1_disdik").status, 200);
    assert!(seen("t1_disdik").body.get("problem").is_none(), "another unit's tier 1 does not learn the number");
    assert_eq!(seen("head_dinkes").body["problem"], problem.as_str(), "the unit's head reads its unit's tickets");
    assert_eq!(seen("sup_kominfo").body["problem"], problem.as_str());
    assert_eq!(app.get("/api/v1/disruptions", Some(city.t("warga"))).status, 403, "requesters read the public status");
    assert_eq!(app.get("/api/v1/disruptions/nope", Some(city.t("t1_dinkes"))).status, 404);
    // Tier 2 ends it; the public status keeps the number to itself throughout.
    let public = app.get("/api/v1/public/status/SIMPUS", None);
    assert!(!public.body.to_string().contains(&problem), "the public history names no ticket");
    let ended =
        app.post(&format!("/api/v1/disruptions/{id}/end"), json!({ "update": "Pulih." }), Some(city.t("t2_kominfo")));
    assert_eq!(ended.status, 200, "{:?}", ended.body);
    assert_eq!(ended.body["phase"], "ended");
    let again = app.post(&format!("/api/v1/disruptions/{id}/end"), json!({}), Some(city.t("t2_kominfo")));
    assert_eq!(again.status, 409, "{:?}", again.body);

    // Tier 2 declares from an escalated incident: the problem opened for it waits at tier 2.
    let incident = app.ticket(city.t("t1_disdik"), json!({ "unit": "DISDIK", "service": "PPDB" }));
    assert_eq!(app.act(&incident, "escalate", json!({ "reason": "server" }), city.t("t1_disdik")).status, 200);
    let body = json!({ "service": "PPDB", "state": "major_outage", "title": "PPDB mati", "ticket": incident });
    let from_incident = app.post("/api/v1/disruptions", body, Some(city.t("t2_kominfo")));
    assert_eq!(from_incident.status, 201, "{:?}", from_incident.body);
    let problem = from_incident.str("problem").to_string();
    assert!(!problem.is_empty(), "tier 2 sees the problem it opened: {:?}", from_incident.body);
    assert_eq!(app.ticket_row(&problem).tier, 2);
}

#[test]
fn disruptions_are_scoped_sqlite() {
    disruptions_are_scoped(Backend::Sqlite);
}

#[test]
fn disruptions_are_scoped_postgres() {
    disruptions_are_scoped(Backend::Postgres);
}

#[test]
fn declared_outage_reaches_citizens_and_ends_with_the_problem_sqlite() {
    declared_outage_reaches_citizens_and_ends_with_the_problem(Backend::Sqlite);
}

#[test]
fn declared_outage_reaches_citizens_and_ends_with_the_problem_postgres() {
    declared_outage_reaches_citizens_and_ends_with_the_problem(Backend::Postgres);
}

#[test]
fn maintenance_windows_sqlite() {
    maintenance_windows(Backend::Sqlite);
}

#[test]
fn maintenance_windows_postgres() {
    maintenance_windows(Backend::Postgres);
}

#[test]
fn alerts_open_one_problem_per_service_sqlite() {
    alerts_open_one_problem_per_service(Backend::Sqlite);
}

#[test]
fn alerts_open_one_problem_per_service_postgres() {
    alerts_open_one_problem_per_service(Backend::Postgres);
}

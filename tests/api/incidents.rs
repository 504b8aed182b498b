//! Security incidents and personal-data breaches (SPEC 6): flags at intake or later, immediate
//! notices to tier 2 and supervisors, the 24-hour and 72-hour notice clocks firing exactly once,
//! and the written incident notice recorded in the audit log.

use chrono::Duration;
use serde_json::json;
use sha2::Digest;

use crate::both_databases;
use crate::helpers::TestApp;

both_databases!(a_security_incident_runs_its_24_hour_clock, a_personal_data_breach_is_flagged_later);

fn events_of(app: &TestApp, number: &str, kind: &str) -> Vec<serde_json::Value> {
    let id = app.ticket_row(number).id;
    app.all_events()
        .into_iter()
        .filter(|e| e.ticket_id.as_deref() == Some(id.as_str()) && e.kind == kind)
        .map(|e| serde_json::from_str(&e.data).expect("event data"))
        .collect()
}

fn raw_get(app: &TestApp, path: &str, token: &str) -> (u16, Vec<u8>) {
    let response =
        match ureq::get(&format!("{}{path}", app.base)).set("Authorization", &format!("Bearer {token}")).call() {
            Ok(r) => r,
            Err(ureq::Error::Status(_, r)) => r,
            Err(e) => panic!("{e}"),
        };
    let status = response.status();
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut response.into_reader(), &mut bytes).expect("body");
    (status, bytes)
}

fn a_security_incident_runs_its_24_hour_clock(app: &TestApp) {
    let city = app.city();
    // A tier-1 ticket of DINKES, flagged at intake: tier 2 and the supervisors hear at once.
    let number = app.ticket(
        city.t("t1_dinkes"),
        json!({ "title": "Situs puskesmas diretas", "security_incident": true, "impact": "high", "urgency": "high" }),
    );
    let view = app.get(&format!("/api/v1/tickets/{number}"), Some(city.t("t1_dinkes")));
    assert_eq!(view.body["security_incident"], json!(true));
    assert_eq!(view.body["tier"], json!(1), "the flag does not move the ticket");
    let clock = &view.body["incident"]["incident_notice"];
    assert_eq!(clock["state"], "running");
    let created = chrono::DateTime::parse_from_rfc3339(view.str("created_at")).expect("created");
    let due = chrono::DateTime::parse_from_rfc3339(clock["due"].as_str().expect("due")).expect("due");
    assert_eq!(due - created, Duration::hours(24), "wall clock, not business hours");
    let flagged: Vec<_> =
        app.outbox_of(&number).into_iter().filter(|o| o.template == "incident_flagged").map(|o| o.recipient).collect();
    for who in ["t2_kominfo@example.go.id", "sup_kominfo@example.go.id"] {
        assert!(flagged.contains(&who.to_string()), "{who} told at once: {flagged:?}");
    }
    assert!(!flagged.contains(&"t1_disdik@example.go.id".to_string()));

    // 75% (18 h), 90% (21 h 36 m) and the breach (24 h), each once, however often the pass runs.
    app.clock.advance(Duration::hours(18));
    app.sweep();
    app.sweep();
    assert_eq!(events_of(app, &number, "incident.notice_warning").len(), 1);
    app.clock.advance(Duration::minutes(3 * 60 + 36));
    app.sweep();
    assert_eq!(events_of(app, &number, "incident.notice_warning").len(), 2);
    assert!(events_of(app, &number, "incident.notice_breached").is_empty());
    app.clock.advance(Duration::hours(3));
    app.sweep();
    app.sweep();
    let breached = events_of(app, &number, "incident.notice_breached");
    assert_eq!(breached.len(), 1, "{breached:?}");
    assert_eq!(breached[0]["clock"], "incident_notice");
    assert_eq!(
        app.outbox_of(&number).iter().filter(|o| o.template == "incident_notice_breached").count(),
        2,
        "tier 2 and the supervisor, once each"
    );
    let view = app.get(&format!("/api/v1/tickets/{number}"), Some(city.t("t1_dinkes")));
    assert_eq!(view.body["incident"]["incident_notice"]["state"], "breached");

    // The written notice, late: PDF and Markdown, their SHA-256 in the audit log.
    let outsider = app.post(&format!("/api/v1/tickets/{number}/incident-notice"), json!({}), Some(city.t("t1_disdik")));
    assert_eq!(outsider.status, 404, "another unit's agent cannot even see it");
    let r = app.post(&format!("/api/v1/tickets/{number}/incident-notice"), json!({}), Some(city.t("t1_dinkes")));
    assert_eq!(r.status, 201, "{:?}", r.body);
    assert_eq!(r.body["within_24_hours"], json!(false));
    let (status, pdf) =
        raw_get(app, &format!("/api/v1/tickets/{number}/incident-notice?format=pdf"), city.t("t1_dinkes"));
    assert_eq!(status, 200);
    assert!(pdf.starts_with(b"%PDF-"));
    let (_, md) = raw_get(app, &format!("/api/v1/tickets/{number}/incident-notice?format=md"), city.t("t1_dinkes"));
    let md = String::from_utf8(md).expect("markdown");
    for part in ["Situs puskesmas diretas", "Pelapor", "Kronologi", "Dampak", "Tindakan", "Budi Santoso"] {
        assert!(md.contains(part), "{part} in the notice:\n{md}");
    }
    let generated = events_of(app, &number, "incident.notice_generated");
    assert_eq!(generated.len(), 1);
    let hashes: Vec<&str> =
        generated[0]["files"].as_array().expect("files").iter().filter_map(|f| f["sha256"].as_str()).collect();
    assert!(hashes.contains(&hex::encode(sha2::Sha256::digest(&pdf)).as_str()), "the PDF's hash is audited");
    assert!(hashes.contains(&hex::encode(sha2::Sha256::digest(md.as_bytes())).as_str()));
    let view = app.get(&format!("/api/v1/tickets/{number}"), Some(city.t("t1_dinkes")));
    assert_eq!(view.body["incident"]["incident_notice"]["state"], "breached", "produced late stays late");
    assert!(app.meja(&["audit", "verify"]).status.success());

    // The report of the month lists it with its clock.
    let report = app.get("/api/v1/reports?unit=DINKES&period=2026-11&format=json", Some(city.t("sup_kominfo")));
    assert_eq!(report.status, 200, "{:?}", report.body);
    let listed = report.body["report"]["security_incidents"].as_array().cloned().unwrap_or_default();
    let row = listed.iter().find(|i| i["number"] == json!(number)).expect("the incident in the report");
    assert_eq!((row["notice_state"].as_str(), row["personal_data_breach"].as_bool()), (Some("breached"), Some(false)));
    assert!(row["notice_produced_at"].is_string());
}

fn a_personal_data_breach_is_flagged_later(app: &TestApp) {
    let city = app.city();
    let number = app.ticket(city.t("t1_dinkes"), json!({ "title": "Data pasien tersebar di grup WhatsApp" }));
    let view = app.get(&format!("/api/v1/tickets/{number}"), Some(city.t("t1_dinkes")));
    assert!(view.body.get("incident").is_none());

    // Scopes: another unit's agent cannot flag it; bad input names the field.
    let r = app.post(
        &format!("/api/v1/tickets/{number}/flag"),
        json!({ "personal_data_breach": true }),
        Some(city.t("t1_disdik")),
    );
    assert_eq!(r.status, 404);
    let r = app.post(&format!("/api/v1/tickets/{number}/flag"), json!({}), Some(city.t("t1_dinkes")));
    assert_eq!((r.status, r.field()), (422, Some("security_incident")));
    let r = app.post(&format!("/api/v1/tickets/{number}/flag"), json!({ "breach": true }), Some(city.t("t1_dinkes")));
    assert_eq!(r.status, 400);

    app.clock.advance(Duration::hours(2));
    let r = app.post(
        &format!("/api/v1/tickets/{number}/flag"),
        json!({ "personal_data_breach": true, "reason": "berisi NIK dan diagnosis" }),
        Some(city.t("t1_dinkes")),
    );
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body["breach_notice"]["state"], "running");
    let flagged_at =
        chrono::DateTime::parse_from_rfc3339(r.body["breach_notice"]["flagged_at"].as_str().expect("at")).expect("at");
    let due = chrono::DateTime::parse_from_rfc3339(r.body["breach_notice"]["due"].as_str().expect("due")).expect("due");
    assert_eq!(due - flagged_at, Duration::hours(72), "from the flag, not from the report");
    let view = app.get(&format!("/api/v1/tickets/{number}"), Some(city.t("t1_dinkes")));
    assert_eq!(
        (view.body["security_incident"].clone(), view.body["personal_data_breach"].clone()),
        (json!(true), json!(true))
    );
    // Flagging again changes nothing and tells nobody twice.
    let before = app.outbox_of(&number).iter().filter(|o| o.template == "incident_flagged").count();
    app.post(
        &format!("/api/v1/tickets/{number}/flag"),
        json!({ "personal_data_breach": true }),
        Some(city.t("t1_dinkes")),
    );
    assert_eq!(app.outbox_of(&number).iter().filter(|o| o.template == "incident_flagged").count(), before);
    assert_eq!(events_of(app, &number, "incident.flagged").len(), 1);

    // The written notice in time, and the data subjects told in time: no breach ever fires.
    let r = app.post(&format!("/api/v1/tickets/{number}/incident-notice"), json!({}), Some(city.t("t1_dinkes")));
    assert_eq!(r.body["within_24_hours"], json!(true));
    app.clock.advance(Duration::hours(60));
    app.sweep();
    assert_eq!(
        events_of(app, &number, "incident.notice_warning").iter().filter(|e| e["clock"] == "breach_notice").count(),
        1,
        "75% of 72 hours passed"
    );
    let r = app.post(
        &format!("/api/v1/tickets/{number}/breach-notified"),
        json!({ "note": "Surat kepada 40 pasien dan laporan ke Kominfo dikirim" }),
        Some(city.t("t1_dinkes")),
    );
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body["breach_notice"]["state"], "met");
    let again = app.post(
        &format!("/api/v1/tickets/{number}/breach-notified"),
        json!({ "note": "lagi" }),
        Some(city.t("t1_dinkes")),
    );
    assert_eq!(again.status, 409);
    app.clock.advance(Duration::hours(30));
    app.sweep();
    assert!(events_of(app, &number, "incident.notice_breached").is_empty(), "both notices were in time");
}

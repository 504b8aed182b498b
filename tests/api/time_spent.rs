//! Time spent (issue 15): minutes recorded with a reply, a note or an action, summed on the
//! ticket for staff and per agent in the report; bad minutes refuse the whole step.

use serde_json::json;

use crate::both_databases;
use crate::helpers::{Browser, TestApp, PASSWORD};

both_databases!(minutes_add_up_on_the_ticket_and_in_the_report);

fn minutes_add_up_on_the_ticket_and_in_the_report(app: &TestApp) {
    let city = app.city();
    let (t1, sup, warga) = (city.t("t1_dinkes"), city.t("sup_kominfo"), city.t("warga"));
    let number = app.ticket(t1, json!({}));
    let messages = format!("/api/v1/tickets/{number}/messages");
    let spent =
        |app: &TestApp| app.get(&format!("/api/v1/tickets/{number}"), Some(t1)).body["time_spent_minutes"].clone();
    assert_eq!(spent(app), json!(0));

    assert_eq!(app.post(&messages, json!({ "body": "Sudah dicek.", "minutes": 15 }), Some(t1)).status, 201);
    let r = app.post_form(&messages, &[("body", "Log dibaca"), ("internal", "true"), ("minutes", "10")], &[], Some(t1));
    assert_eq!(r.status, 201, "{:?}", r.body);
    assert_eq!(app.act(&number, "start", json!({ "minutes": 5 }), t1).status, 200);
    assert_eq!(app.act(&number, "resolve", json!({ "resolution": "Selesai.", "minutes": 20 }), t1).status, 200);
    assert_eq!(spent(app), json!(50));

    // Bad minutes name the field and nothing is written, message or action.
    let before =
        app.get(&format!("/api/v1/tickets/{number}"), Some(t1)).body["messages"].as_array().map_or(0, Vec::len);
    for minutes in [json!(0), json!(721), json!(-5), json!("lima"), json!(1.5)] {
        let r = app.post(&messages, json!({ "body": "X", "minutes": minutes }), Some(t1));
        assert!(matches!(r.status, 400 | 422), "{minutes}: {:?}", r.body);
        assert_eq!(r.field(), Some("minutes"), "{minutes}: {:?}", r.body);
        let r = app.act(&number, "reopen", json!({ "minutes": minutes }), t1);
        assert_eq!((r.status, r.field()), (422, Some("minutes")), "{minutes}: {:?}", r.body);
    }
    let r = app.post_form(&messages, &[("body", "X"), ("minutes", "sepuluh")], &[], Some(t1));
    assert_eq!((r.status, r.field()), (422, Some("minutes")), "{:?}", r.body);
    assert_eq!(app.get(&format!("/api/v1/tickets/{number}"), Some(t1)).body["status"], json!("resolved"));
    let after = app.get(&format!("/api/v1/tickets/{number}"), Some(t1)).body["messages"].as_array().map_or(0, Vec::len);
    assert_eq!(after, before, "nothing written");
    assert_eq!(spent(app), json!(50));
    // A requester records no time and never sees the sum.
    let own = app.ticket(warga, json!({ "requester": null }));
    let r = app.post(&format!("/api/v1/tickets/{own}/messages"), json!({ "body": "Halo", "minutes": 5 }), Some(warga));
    assert_eq!((r.status, r.field()), (422, Some("minutes")), "{:?}", r.body);
    assert!(app.get(&format!("/api/v1/tickets/{own}"), Some(warga)).body.get("time_spent_minutes").is_none());

    // The console's forms take minutes too, and the page shows the sum.
    let browser = Browser::sign_in(app, "t1_dinkes", PASSWORD);
    let page = format!("/konsol/tiket/{number}");
    let csrf = browser.csrf(&page);
    let r = browser
        .post(&format!("{page}/tindakan/reopen"), &[("csrf", &csrf), ("reason", "Muncul lagi"), ("minutes", "7")]);
    assert_eq!(r.status, 303, "{}", r.body);
    let r = browser.post(&format!("{page}/pesan"), &[("csrf", &csrf), ("body", "Dicek ulang"), ("minutes", "3")]);
    assert_eq!(r.status, 303, "{}", r.body);
    assert!(browser.get(&page).body.contains("data-time-spent=\"60\""));

    // The supervisor's report sums each agent's minutes in the period.
    let period = app.desk.now().format("%Y-%m").to_string();
    let report = app.get(&format!("/api/v1/reports?unit=all&period={period}"), Some(sup));
    assert_eq!(report.status, 200, "{:?}", report.body);
    let agent = report.body["report"]["agents"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|a| a["username"] == "t1_dinkes")
        .cloned()
        .unwrap_or_default();
    assert_eq!(agent["minutes_spent"], json!(60), "{}", report.body["report"]["agents"]);
}

//! Problems and their incidents in the console and the API (issue 15): link and unlink by
//! number, statuses on both pages, scopes, and resolving the linked incidents with the problem.

use serde_json::json;

use crate::both_databases;
use crate::helpers::{Browser, TestApp, PASSWORD};

both_databases!(a_problem_links_its_incidents_and_resolves_them);

fn a_problem_links_its_incidents_and_resolves_them(app: &TestApp) {
    let city = app.city();
    let (t1, other) = (city.t("t1_dinkes"), city.t("t1_disdik"));
    let problem = app.ticket(t1, json!({ "kind": "problem", "title": "Server basis data SIMPUS lambat" }));
    let first = app.ticket(t1, json!({ "title": "SIMPUS lambat di loket" }));
    let second = app.ticket(t1, json!({ "title": "SIMPUS tidak bisa simpan" }));
    let elsewhere = app.ticket(other, json!({ "unit": "DISDIK" }));
    assert!(app.act(&second, "start", json!({}), t1).status < 300);

    // Linked from the problem's page; the page lists them with their statuses.
    let browser = Browser::sign_in(app, "t1_dinkes", PASSWORD);
    let page = format!("/konsol/tiket/{problem}");
    let csrf = browser.csrf(&page);
    for incident in [&first, &second] {
        let r = browser.post(&format!("{page}/tautan"), &[("csrf", &csrf), ("incident", incident)]);
        assert_eq!(r.status, 303, "{}", r.body);
    }
    // Another unit's ticket is "not one you can see", exactly like a missing one.
    let hidden = browser.post(&format!("{page}/tautan"), &[("csrf", &csrf), ("incident", &elsewhere)]);
    let missing = browser.post(&format!("{page}/tautan"), &[("csrf", &csrf), ("incident", "SD-2026-999999")]);
    assert_eq!((hidden.status, missing.status), (422, 422));
    let shown = browser.get(&page).body;
    assert!(shown.contains(&format!("data-linked-incident=\"{first}\"")) && shown.contains("Ditangani"), "{shown}");
    let incident_page = browser.get(&format!("/konsol/tiket/{first}")).body;
    assert!(incident_page.contains(&format!("data-linked-problem=\"{problem}\"")), "the incident names its problem");

    // The API says the same; the other unit sees neither ticket.
    let links = app.get(&format!("/api/v1/tickets/{problem}/links"), Some(t1));
    assert_eq!(links.status, 200, "{:?}", links.body);
    let statuses: Vec<(String, String)> = links.body["incidents"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|i| (i["number"].as_str().unwrap_or("").to_string(), i["status"].as_str().unwrap_or("").to_string()))
        .collect();
    assert_eq!(statuses, vec![(first.clone(), "new".to_string()), (second.clone(), "open".to_string())]);
    let back = app.get(&format!("/api/v1/tickets/{first}/links"), Some(t1));
    assert_eq!(back.body["problems"][0]["number"], json!(problem));
    assert_eq!(app.get(&format!("/api/v1/tickets/{problem}/links"), Some(other)).status, 404);
    assert_eq!(app.delete(&format!("/api/v1/tickets/{problem}/links/{first}"), Some(other)).status, 404);
    assert_eq!(app.get(&format!("/api/v1/tickets/{problem}/links"), Some(city.t("warga"))).status, 404);

    // Unlinked through the API (then not found a second time), linked again from the console.
    let r = app.delete(&format!("/api/v1/tickets/{problem}/links/{first}"), Some(t1));
    assert_eq!((r.status, r.body["incidents"].clone()), (200, json!([second])), "{:?}", r.body);
    assert_eq!(app.delete(&format!("/api/v1/tickets/{problem}/links/{first}"), Some(t1)).status, 404);
    let r = browser.post(&format!("{page}/tautan/hapus"), &[("csrf", &csrf), ("incident", &second)]);
    assert_eq!(r.status, 303);
    assert!(app.get(&format!("/api/v1/tickets/{problem}/links"), Some(t1)).body["incidents"]
        .as_array()
        .is_some_and(Vec::is_empty));
    for incident in [&first, &second] {
        assert_eq!(browser.post(&format!("{page}/tautan"), &[("csrf", &csrf), ("incident", incident)]).status, 303);
    }

    // Resolving the problem with its incidents from the console: each is resolved with the
    // problem's resolution and its requester told.
    assert!(app.act(&problem, "start", json!({}), t1).status < 300);
    let r = browser.post(
        &format!("{page}/tindakan/resolve"),
        &[("csrf", &csrf), ("resolution", "Indeks basis data dibangun ulang."), ("resolve_linked", "1")],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    for incident in [&first, &second] {
        assert_eq!(app.ticket_row(incident).status, "resolved", "{incident}");
        assert!(app.outbox_of(incident).iter().any(|o| o.template == "ticket_resolved"), "{incident}'s requester told");
    }
    let kinds: Vec<String> = app
        .get(&format!("/api/v1/tickets/{problem}/events"), Some(t1))
        .items()
        .iter()
        .filter_map(|e| e["kind"].as_str().map(str::to_string))
        .collect();
    assert!(kinds.contains(&"ticket.unlinked".to_string()), "{kinds:?}");
}

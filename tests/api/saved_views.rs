//! Saved views (issue 15): a person saves the queue's filter under a name; it is a tab with its
//! count, personal to them.

use serde_json::json;

use crate::both_databases;
use crate::helpers::{Browser, TestApp, PASSWORD};

both_databases!(a_saved_filter_is_a_tab_with_its_count);

fn a_saved_filter_is_a_tab_with_its_count(app: &TestApp) {
    let city = app.city();
    let t1 = city.t("t1_dinkes");
    for title in ["Printer loket mati", "Printer ruang rapat mati", "SIMPUS lambat"] {
        app.ticket(t1, json!({ "title": title }));
    }
    let urgent = app.ticket(t1, json!({ "title": "Server mati total", "impact": "high", "urgency": "high" }));
    let browser = Browser::sign_in(app, "t1_dinkes", PASSWORD);
    let csrf = browser.csrf("/konsol");

    // Saved from the queue: the filter as it is, then shown as a tab with its count.
    let r =
        browser.post("/konsol/tampilan", &[("csrf", &csrf), ("name", "Printer"), ("query", "tampilan=unit&q=printer")]);
    assert_eq!((r.status, r.location.as_str()), (303, "/konsol?tampilan=unit&q=printer"), "{}", r.body);
    let r = browser.post(
        "/konsol/tampilan",
        &[("csrf", &csrf), ("name", "P1 unit"), ("query", "tampilan=unit&priority=P1&cursor=abc")],
    );
    assert_eq!((r.status, r.location.as_str()), (303, "/konsol?tampilan=unit&priority=P1"), "the cursor is not kept");
    let queue = browser.get("/konsol?tampilan=unit&priority=P1").body;
    assert!(queue.contains("data-saved-view=\"Printer\"") && queue.contains("data-saved-view=\"P1 unit\""), "{queue}");
    let tab = |name: &str| -> String {
        let start = queue.find(&format!("data-saved-view=\"{name}\"")).expect("the tab");
        queue[start..].split("</li>").next().unwrap_or_default().to_string()
    };
    assert!(tab("Printer").contains("data-count>2<"), "{}", tab("Printer"));
    assert!(tab("P1 unit").contains("data-count>1<") && tab("P1 unit").contains("aria-current"), "{}", tab("P1 unit"));
    // The count is live: a change shows at the next look.
    assert!(app.act(&urgent, "priority", json!({ "impact": "low", "urgency": "low" }), t1).status < 300);
    assert!(browser.get("/konsol").body.contains("data-count>0<"));

    // Personal: another agent neither sees nor deletes them; bad input names the field.
    let views = app.get("/api/v1/saved-views", Some(t1)).items();
    let mut names: Vec<&str> = views.iter().filter_map(|v| v["name"].as_str()).collect();
    names.sort_unstable();
    assert_eq!(names, vec!["P1 unit", "Printer"]);
    let id =
        views.iter().find(|v| v["name"] == "Printer").and_then(|v| v["id"].as_str()).unwrap_or_default().to_string();
    assert!(app.get("/api/v1/saved-views", Some(city.t("t1_disdik"))).items().is_empty());
    assert_eq!(app.delete(&format!("/api/v1/saved-views/{id}"), Some(city.t("t1_disdik"))).status, 404);
    assert_eq!(app.get("/api/v1/saved-views", Some(city.t("warga"))).status, 403);
    let r = app.post("/api/v1/saved-views", json!({ "name": "  ", "query": "q=x" }), Some(t1));
    assert_eq!((r.status, r.field()), (422, Some("name")), "{:?}", r.body);
    let r =
        app.post("/api/v1/saved-views", json!({ "name": "printer", "query": "q=printer&tampilan=semua" }), Some(t1));
    assert_eq!((r.status, r.str("name")), (200, "Printer"), "same name: the filter is replaced: {:?}", r.body);
    // Deleted from its tab.
    let r = browser.post("/konsol/tampilan/hapus", &[("csrf", &csrf), ("id", &id)]);
    assert_eq!(r.status, 303);
    assert_eq!(app.get("/api/v1/saved-views", Some(t1)).items().len(), 1);
    assert_eq!(browser.post("/konsol/tampilan/hapus", &[("csrf", "salah"), ("id", "x")]).status, 403);
}

use serde_json::json;

use crate::both_databases;
use crate::helpers::TestApp;

both_databases!(queue_filters_and_cursor_pagination);

fn numbers(reply: &crate::helpers::Reply) -> Vec<String> {
    reply.items().iter().filter_map(|t| t["number"].as_str().map(str::to_string)).collect()
}

fn queue_filters_and_cursor_pagination(app: &TestApp) {
    let city = app.city();
    let t1 = city.t("t1_dinkes");
    let mut opened = Vec::new();
    for i in 0..7 {
        let urgency = if i % 2 == 0 { "high" } else { "low" };
        opened.push(
            app.ticket(t1, json!({ "title": format!("Gangguan nomor {i}"), "impact": "medium", "urgency": urgency })),
        );
        app.clock.advance(chrono::Duration::minutes(1));
    }
    // Newest first, three at a time, no ticket twice, none lost.
    let mut seen = Vec::new();
    let mut cursor = String::new();
    let mut pages = 0;
    loop {
        let page = app.get(&format!("/api/v1/tickets?limit=3&cursor={cursor}"), Some(t1));
        assert_eq!(page.status, 200);
        seen.extend(numbers(&page));
        pages += 1;
        match page.body["next_cursor"].as_str() {
            Some(c) => cursor = c.to_string(),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    let mut newest_first = opened.clone();
    newest_first.reverse();
    assert_eq!(seen, newest_first);
    // Filters.
    app.act(&opened[0], "start", json!({}), t1);
    app.act(&opened[0], "resolve", json!({ "resolution": "Beres" }), t1);
    app.act(&opened[1], "escalate", json!({ "reason": "Perlu tier 2" }), t1);
    assert_eq!(numbers(&app.get("/api/v1/tickets?status=resolved", Some(t1))), [opened[0].clone()]);
    assert_eq!(numbers(&app.get("/api/v1/tickets?status=new,open,pending", Some(t1))).len(), 6);
    assert_eq!(numbers(&app.get("/api/v1/tickets?status=active", Some(t1))).len(), 6);
    assert_eq!(numbers(&app.get("/api/v1/tickets?tier=2", Some(t1))), [opened[1].clone()]);
    assert_eq!(numbers(&app.get("/api/v1/tickets?priority=P2", Some(t1))).len(), 4);
    assert_eq!(numbers(&app.get("/api/v1/tickets?q=NOMOR%203", Some(t1))), [opened[3].clone()]);
    assert_eq!(numbers(&app.get(&format!("/api/v1/tickets?q={}", opened[5]), Some(t1))), [opened[5].clone()]);
    assert_eq!(numbers(&app.get("/api/v1/tickets?q=100%25", Some(t1))).len(), 0, "LIKE wildcards are literal");
    assert_eq!(numbers(&app.get("/api/v1/tickets?unit=DISDIK", Some(t1))).len(), 0, "a filter never widens the scope");
    assert_eq!(numbers(&app.get("/api/v1/tickets?unit=DINKES", Some(city.t("sup_kominfo")))).len(), 7);
    assert_eq!(numbers(&app.get("/api/v1/tickets?assignee=me", Some(t1))), [opened[0].clone()]);
    // Breaches: nothing is late yet; two working days later every open P2's resolution is.
    assert_eq!(numbers(&app.get("/api/v1/tickets?breached=true", Some(t1))).len(), 0);
    app.clock.advance(chrono::Duration::hours(4));
    let late: Vec<String> = numbers(&app.get("/api/v1/tickets?breached=true", Some(t1)));
    assert_eq!(late.len(), 3, "P2 first responses are due in 60 minutes: {late:?}");
    assert!(!late.contains(&opened[0]), "resolved in time");
    let on_time = numbers(&app.get("/api/v1/tickets?breached=false", Some(t1)));
    assert_eq!(on_time.len() + late.len(), 7);
}

//! The tracking page the acknowledgement links to: status, conversation, reply, rating.

use serde_json::json;

use crate::both_databases;
use crate::helpers::TestApp;

fn page(app: &TestApp, path: &str) -> (u16, String) {
    match ureq::get(&format!("{}{path}", app.base)).call() {
        Ok(r) => (r.status(), r.into_string().unwrap_or_default()),
        Err(ureq::Error::Status(code, r)) => (code, r.into_string().unwrap_or_default()),
        Err(e) => panic!("{e}"),
    }
}

fn post_form(app: &TestApp, path: &str, fields: &[(&str, &str)]) -> (u16, String) {
    match ureq::post(&format!("{}{path}", app.base)).send_form(fields) {
        Ok(r) => (r.status(), r.into_string().unwrap_or_default()),
        Err(ureq::Error::Status(code, r)) => (code, r.into_string().unwrap_or_default()),
        Err(e) => panic!("{e}"),
    }
}

both_databases!(the_tracking_page);

fn the_tracking_page(app: &TestApp) {
    let city = app.city();
    let r = app.post(
        "/api/v1/public/tickets",
        json!({ "kind": "incident", "title": "Lampu <b>jalan</b> mati", "description": "Di Jl. Merdeka sejak kemarin.",
                "unit": "DINKES", "requester": { "name": "Siti", "email": "siti@example.com" } }),
        None,
    );
    assert_eq!(r.status, 201, "{:?}", r.body);
    let (number, url) = (r.str("number").to_string(), r.str("tracking_url").to_string());
    let token = url.split("token=").nth(1).expect("token").to_string();

    let (status, html) = page(app, &url);
    assert_eq!(status, 200);
    assert!(html.contains(&format!("Tiket {number}")) && html.contains("Baru — menunggu petugas"), "{html}");
    // Escaped (as &lt; or &#60;), never markup.
    assert!(html.contains("jalan") && !html.contains("<b>jalan</b>") && !html.contains("<b>"), "escaped");
    assert!(!html.contains("Penilaian layanan"), "no rating before resolution");
    assert_eq!(page(app, &format!("/lacak/{number}?token=salah")).0, 404);

    // The agent answers; the citizen sees it and replies from the page.
    let agent = city.t("t1_dinkes");
    assert!(app.act(&number, "start", json!({}), agent).status < 300);
    app.post(&format!("/api/v1/tickets/{number}/messages"), json!({ "body": "Petugas menuju lokasi." }), Some(agent));
    app.post(
        &format!("/api/v1/tickets/{number}/messages"),
        json!({ "body": "Catatan dalam", "internal": true }),
        Some(agent),
    );
    let (status, html) =
        post_form(app, &format!("/lacak/{number}"), &[("token", &token), ("body", "Tiangnya nomor 17.")]);
    assert_eq!(status, 200, "back on the page after the reply");
    assert!(html.contains("Petugas menuju lokasi.") && html.contains("Tiangnya nomor 17."), "{html}");
    assert!(!html.contains("Catatan dalam"), "internal notes are not shown");
    let messages = app.get(&format!("/api/v1/tickets/{number}"), Some(agent)).body["messages"].clone();
    assert!(messages.as_array().is_some_and(|m| m.iter().any(|m| m["body"] == "Tiangnya nomor 17.")));
    assert_eq!(post_form(app, &format!("/lacak/{number}"), &[("token", "salah"), ("body", "x")]).0, 404);

    // Resolved: the rating form on the page, answered once with the tracking token.
    assert!(app.act(&number, "resolve", json!({ "resolution": "Lampu diganti." }), agent).status < 300);
    let (_, html) = page(app, &url);
    assert!(html.contains("Selesai") && html.contains("Penilaian layanan"), "{html}");
    let (status, thanks) =
        post_form(app, &format!("/nilai/{number}"), &[("token", &token), ("rating", "5"), ("comment", "Cepat")]);
    assert_eq!(status, 200);
    assert!(thanks.contains("Terima kasih"), "{thanks}");
    assert!(!page(app, &url).1.contains("Penilaian layanan"), "rated once");
}

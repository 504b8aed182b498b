//! Regressions for what the outside probe found (issue 13), on both databases: open redirects
//! and CR/LF in redirect targets, forwarded host headers believed from anyone, the account
//! lockout an attacker could trigger, pages without the strict CSP, `HEAD`, problem documents
//! shown to browsers, and who may clear an incident flag.

use serde_json::json;

use crate::both_databases;
use crate::helpers::{monday_0800, spawn_app_with, Backend, Browser, TestApp, PASSWORD};

both_databases!(
    redirects_stay_on_this_site,
    forwarded_host_headers_are_not_believed,
    pages_carry_the_strict_csp_and_answer_head,
    browsers_get_pages_and_machines_get_problems,
    only_supervisors_clear_an_incident_flag
);

/// A raw answer without following redirects: status, Location, body and headers.
fn fetch(app: &TestApp, method: &str, path: &str, headers: &[(&str, &str)]) -> ureq::Response {
    let agent = ureq::AgentBuilder::new().redirects(0).build();
    let mut req = agent.request(method, &format!("{}{path}", app.base));
    for (k, v) in headers {
        req = req.set(k, v);
    }
    match req.call() {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("{method} {path}: {e}"),
    }
}

fn redirects_stay_on_this_site(app: &TestApp) {
    for (query, expected) in [
        ("ke=/konsol%3Fstatus%3Dopen", "/konsol?status=open"),
        ("ke=/%09/evil.example/x", "/"),
        ("ke=//evil.example/x", "/"),
        ("ke=/%5Cevil.example", "/"),
        ("ke=https://evil.example/", "/"),
        ("ke=/%0A/x", "/"),
        ("ke=/%0D%0ASet-Cookie:%20a=b", "/"),
        ("ke=/%20/evil.example", "/"),
    ] {
        let r = fetch(app, "GET", &format!("/bahasa/en?{query}"), &[]);
        assert_eq!(r.status(), 303, "{query}");
        assert_eq!(r.header("Location"), Some(expected), "{query}");
    }
    // The sign-in's `next` and `lanjut` likewise: a clean page or a redirect home, never a 500.
    let form = fetch(app, "GET", "/masuk?lanjut=/%0A/x", &[]);
    assert_eq!(form.status(), 200);
    assert!(form.into_string().unwrap_or_default().contains("name=\"next\" value=\"/konsol\""));
    let agent = ureq::AgentBuilder::new().redirects(0).build();
    let signed =
        crate::helpers::post_login_next(&agent, &app.base, "admin", crate::helpers::ADMIN_PASSWORD, "/konsol\r\nX: y")
            .expect("sign in");
    assert_eq!((signed.status(), signed.header("Location")), (303, Some("/konsol")));
}

fn forwarded_host_headers_are_not_believed(app: &TestApp) {
    let _ = app.city();
    let r = app.post(
        "/api/v1/public/tickets",
        json!({ "kind": "incident", "title": "Lampu mati", "description": "Di Jl. Merdeka.", "unit": "DINKES",
                "requester": { "name": "Siti", "email": "siti@example.com" } }),
        None,
    );
    assert_eq!(r.status, 201, "{:?}", r.body);
    let url = r.str("tracking_url").to_string();
    // The link to keep is shown right after reporting (`baru`).
    let page = fetch(
        app,
        "GET",
        &format!("{url}&baru=1"),
        &[("X-Forwarded-Host", "evil.example"), ("X-Forwarded-Proto", "https")],
    );
    let html = page.into_string().unwrap_or_default();
    assert!(!html.contains("evil.example"), "the link on the page comes from MEJA_PUBLIC_URL");
    assert!(html.contains("http://127.0.0.1:8080/lacak/"), "built from the public URL");
    // The CSRF origin check does not take X-Forwarded-Host's word for the site's own host.
    let browser = Browser::sign_in(app, "t1_dinkes", PASSWORD);
    let csrf = browser.csrf("/konsol/sandi");
    let forged = browser
        .agent
        .post(&format!("{}/konsol/sandi", app.base))
        .set("Cookie", &browser.cookie)
        .set("Origin", "https://evil.example")
        .set("X-Forwarded-Host", "evil.example")
        .send_form(&[
            ("csrf", &csrf),
            ("current", PASSWORD),
            ("new", "Sandi-Curian-2026-x"),
            ("repeat", "Sandi-Curian-2026-x"),
        ]);
    let status = match forged {
        Ok(r) => r.status(),
        Err(ureq::Error::Status(code, _)) => code,
        Err(e) => panic!("{e}"),
    };
    assert_eq!(status, 403, "a foreign origin is refused whatever X-Forwarded-Host says");
}

fn pages_carry_the_strict_csp_and_answer_head(app: &TestApp) {
    let city = app.city();
    for path in ["/nilai/SD-2026-000001?token=x", "/", "/masuk", "/bantuan"] {
        let r = fetch(app, "GET", path, &[]);
        let csp = r.header("Content-Security-Policy").unwrap_or_default().to_string();
        assert!(csp.contains("default-src 'self'") && csp.contains("script-src 'self'"), "{path}: {csp}");
        let head = fetch(app, "HEAD", path, &[]);
        assert_eq!(head.status(), r.status(), "HEAD {path}");
        assert!(head.into_string().unwrap_or_default().is_empty(), "HEAD {path} has no body");
    }
    let report = fetch(
        app,
        "GET",
        "/api/v1/reports?period=2026-11&format=html",
        &[("Authorization", &format!("Bearer {}", city.t("admin")))],
    );
    assert_eq!(report.status(), 200);
    let csp = report.header("Content-Security-Policy").unwrap_or_default().to_string();
    assert!(csp.contains("default-src 'none'") && !csp.contains("script-src"), "no script in the report: {csp}");
    assert_eq!(fetch(app, "HEAD", "/healthz", &[]).status(), 200);
}

fn browsers_get_pages_and_machines_get_problems(app: &TestApp) {
    let page = fetch(app, "GET", "/tidak-ada", &[("Accept", "text/html")]);
    assert_eq!(page.status(), 404);
    assert!(page.content_type().starts_with("text/html"));
    let html = page.into_string().unwrap_or_default();
    assert!(html.contains("<html lang=\"id\"") && html.contains("<title>") && html.contains("href=\"/\""), "{html}");
    let tracking = fetch(app, "GET", "/lacak/SD-2026-000001", &[]);
    assert_eq!(tracking.status(), 404);
    assert!(tracking.content_type().starts_with("text/html"), "a tracking link without its token is a page");
    let api = fetch(app, "GET", "/api/v1/tidak-ada", &[]);
    assert_eq!((api.status(), api.content_type()), (404, "application/problem+json"));
}

fn only_supervisors_clear_an_incident_flag(app: &TestApp) {
    let city = app.city();
    let number = app.ticket(city.t("t1_dinkes"), json!({}));
    // A unit head may raise the flag: reporting early is the point.
    let r = app.post(
        &format!("/api/v1/tickets/{number}/flag"),
        json!({ "security_incident": true }),
        Some(city.t("head_dinkes")),
    );
    assert_eq!(r.status, 200, "{:?}", r.body);
    for who in ["head_dinkes", "t1_dinkes", "t2_kominfo"] {
        let r = app.post(&format!("/api/v1/tickets/{number}/unflag"), json!({ "reason": "salah" }), Some(city.t(who)));
        assert_eq!(r.status, 403, "{who}");
    }
    let sup = city.t("sup_kominfo");
    let r = app.post(&format!("/api/v1/tickets/{number}/unflag"), json!({ "reason": " " }), Some(sup));
    assert_eq!((r.status, r.field()), (422, Some("reason")));
    let r = app.post(
        &format!("/api/v1/tickets/{number}/unflag"),
        json!({ "reason": "Bukan insiden: salah ketik" }),
        Some(sup),
    );
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(app.get(&format!("/api/v1/tickets/{number}"), Some(sup)).body["security_incident"], false);
    assert_eq!(
        app.post(&format!("/api/v1/tickets/{number}/unflag"), json!({ "reason": "lagi" }), Some(sup)).status,
        409
    );
    let events = app.get(&format!("/api/v1/tickets/{number}/events"), Some(sup)).items();
    let cleared = events.iter().find(|e| e["kind"] == "incident.cleared").expect("audited");
    assert!(cleared.to_string().contains("salah ketik"), "{cleared}");
}

#[test]
fn a_stranger_cannot_lock_the_owner_out_sqlite() {
    stranger_cannot_lock_out(Backend::Sqlite);
}

#[test]
fn a_stranger_cannot_lock_the_owner_out_postgres() {
    stranger_cannot_lock_out(Backend::Postgres);
}

/// Requests through a trusted proxy (this test) carry the client in X-Forwarded-For.
fn stranger_cannot_lock_out(backend: Backend) {
    let Some(app) = spawn_app_with(backend, monday_0800(), |s| s.trusted_proxies = vec!["127.0.0.1".into()]) else {
        return;
    };
    let token = |password: &str, from: &str| {
        let body = json!({ "username": "admin", "password": password }).to_string();
        match ureq::post(&format!("{}/api/v1/auth/token", app.base))
            .set("Content-Type", "application/json")
            .set("X-Forwarded-For", from)
            .send_string(&body)
        {
            Ok(r) => (r.status(), None),
            Err(ureq::Error::Status(code, r)) => (code, r.header("Retry-After").map(str::to_string)),
            Err(e) => panic!("{e}"),
        }
    };
    let stranger = "203.0.113.9";
    for _ in 0..8 {
        token("salah-salah-salah", stranger);
    }
    // The stranger is slowed, with a wait to honour; the owner elsewhere signs in at once.
    let (status, retry) = token(crate::helpers::ADMIN_PASSWORD, stranger);
    assert_eq!(status, 429);
    assert!(retry.is_some_and(|r| r.parse::<u64>().is_ok_and(|s| s >= 1)));
    assert_eq!(token(crate::helpers::ADMIN_PASSWORD, "198.51.100.7").0, 200, "the owner is not locked out");
    // The sign-in log keeps the figures.
    let admin = app.admin();
    let mut entries = Vec::new();
    for _ in 0..50 {
        entries = app.get("/api/v1/auth/signins?user=admin", Some(&admin)).items();
        if entries.iter().any(|e| e["outcome"] == "refused") {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let refused = entries.iter().find(|e| e["outcome"] == "refused").expect("a refused entry");
    assert!(
        refused["reason"].as_str().unwrap_or("").contains("failures for this account from this address"),
        "{refused}"
    );
    assert_eq!(refused["address"], stranger);
    assert!(
        entries.iter().any(|e| e["reason"].as_str().unwrap_or("").contains("6 for this account from this address")),
        "{entries:?}"
    );
}

#[test]
fn spreadsheet_formulas_are_neutralised_sqlite() {
    formulas_are_neutralised(Backend::Sqlite);
}

#[test]
fn spreadsheet_formulas_are_neutralised_postgres() {
    formulas_are_neutralised(Backend::Postgres);
}

/// Every entry of a ZIP (a CSV report, or an XLSX workbook) as text.
fn zip_texts(bytes: &[u8]) -> Vec<(String, String)> {
    use std::io::Read;
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).expect("a zip");
    (0..archive.len())
        .map(|i| {
            let mut file = archive.by_index(i).expect("entry");
            let mut text = String::new();
            let _ = file.read_to_string(&mut text);
            (file.name().to_string(), text)
        })
        .collect()
}

fn formulas_are_neutralised(backend: Backend) {
    let Some(app) = spawn_app_with(backend, monday_0800(), |_| {}) else { return };
    let city = app.city();
    let admin = city.t("admin");
    let evil = "=HYPERLINK(\"http://evil.example\",\"x\")";
    let r = app.post("/api/v1/units", json!({ "code": "JAHAT", "name": evil }), Some(admin));
    assert_eq!(r.status, 201, "{:?}", r.body);
    let r = app.post("/api/v1/services", json!({ "code": "JAHAT", "name": evil, "unit": "JAHAT" }), Some(admin));
    assert_eq!(r.status, 201, "{:?}", r.body);
    let r = app.post(
        "/api/v1/users",
        json!({ "username": "agen_jahat", "name": "@SUM(1+1)", "password": PASSWORD, "role": "agent_t1", "unit": "JAHAT" }),
        Some(admin),
    );
    assert_eq!(r.status, 201, "{:?}", r.body);
    let agent = app.token("agen_jahat", PASSWORD);
    let number = app.ticket(&agent, json!({ "unit": "JAHAT", "service": "JAHAT" }));
    assert_eq!(app.act(&number, "assign", json!({ "username": "agen_jahat" }), &agent).status, 200);
    let download = |format: &str| {
        let response = ureq::get(&format!("{}/api/v1/reports?period=2026-11&format={format}", app.base))
            .set("Authorization", &format!("Bearer {admin}"))
            .call()
            .expect("report");
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut response.into_reader(), &mut bytes).expect("bytes");
        bytes
    };
    for format in ["csv", "xlsx"] {
        let texts = zip_texts(&download(format));
        let all: String = texts.iter().map(|(_, t)| t.as_str()).collect();
        assert!(all.contains("HYPERLINK"), "{format}: the service is in the report");
        // Nowhere does a cell start with the formula itself.
        for (name, text) in &texts {
            for bad in ["\n=HYPERLINK", ",=HYPERLINK", "\"=HYPERLINK", ">=HYPERLINK", ">@SUM", ",@SUM", "\n@SUM"] {
                assert!(!text.contains(bad), "{format} {name}: {bad}");
            }
        }
        assert!(all.contains("'=HYPERLINK"), "{format}: neutralised with a leading quote");
    }
}

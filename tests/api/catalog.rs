use serde_json::json;

use crate::both_databases;
use crate::helpers::{TestApp, PASSWORD};

both_databases!(catalogue_and_people, logins_are_throttled_and_tokens_revocable, health_metrics_and_openapi);

fn catalogue_and_people(app: &TestApp) {
    let city = app.city();
    let admin = city.t("admin");
    let r = app.post(
        "/api/v1/units",
        json!({ "code": "BPBD", "name": "Badan Penanggulangan Bencana Daerah", "tier2": true }),
        Some(admin),
    );
    assert_eq!((r.status, r.str("code")), (409, "tier2_exists"), "one tier-2 unit per city");
    let r = app.post("/api/v1/units", json!({ "code": "DINKES", "name": "Lagi" }), Some(admin));
    assert_eq!(r.status, 409);
    let r = app.post("/api/v1/units", json!({ "code": "dinas kecil", "name": "x" }), Some(admin));
    assert_eq!((r.status, r.field()), (422, Some("code")));
    let r = app.post("/api/v1/services", json!({ "code": "SIAK", "name": "SIAK", "unit": "TIDAKADA" }), Some(admin));
    assert_eq!((r.status, r.field()), (422, Some("unit")));
    let r = app.post(
        "/api/v1/users",
        json!({ "username": "lemah", "name": "Lemah", "password": "12345", "role": "agent_t1", "unit": "DINKES" }),
        Some(admin),
    );
    assert_eq!((r.status, r.field()), (422, Some("password")));
    let r = app.post(
        "/api/v1/users",
        json!({ "username": "tanpa_unit", "name": "x", "password": PASSWORD, "role": "agent_t1" }),
        Some(admin),
    );
    assert_eq!((r.status, r.field()), (422, Some("unit")));
    let r = app.post(
        "/api/v1/users",
        json!({ "username": "t2_salah", "name": "x", "password": PASSWORD, "role": "agent_t2", "unit": "DINKES" }),
        Some(admin),
    );
    assert_eq!((r.status, r.field()), (422, Some("unit")), "tier 2 lives at the tier-2 unit");
    let r = app.post(
        "/api/v1/users",
        json!({ "username": "t1_dinkes", "name": "x", "password": PASSWORD, "role": "agent_t1", "unit": "DINKES" }),
        Some(admin),
    );
    assert_eq!(r.status, 409);
    let r = app.post(
        "/api/v1/users",
        json!({ "username": "x1", "name": "x", "password": PASSWORD, "role": "dewa", "unit": "DINKES" }),
        Some(admin),
    );
    assert_eq!((r.status, r.field()), (400, Some("role")));
    // Only admins configure.
    for who in ["sup_kominfo", "t1_dinkes", "head_dinkes", "warga"] {
        let r = app.post("/api/v1/units", json!({ "code": "BARU", "name": "Baru" }), Some(city.t(who)));
        assert_eq!(r.status, 403, "{who}");
    }
    let units = app.get("/api/v1/units", Some(city.t("t1_dinkes"))).items();
    assert_eq!(units.len(), 3);
    let services = app.get("/api/v1/services?unit=DINKES", Some(city.t("t1_dinkes"))).items();
    assert_eq!(services.len(), 1);
    let users = app.get("/api/v1/users", Some(city.t("head_dinkes"))).items();
    assert!(users.iter().all(|u| u["unit"] == "DINKES") && users.len() == 3, "{users:?}");
    assert_eq!(app.get("/api/v1/users", Some(city.t("t1_dinkes"))).status, 403);
    assert!(!app.get("/api/v1/users", Some(admin)).body.to_string().contains("argon2"), "hashes never leave");
    let me = app.get("/api/v1/auth/me", Some(city.t("t2_kominfo")));
    assert_eq!((me.str("role"), me.str("unit")), ("agent_t2", "DISKOMINFO"));
}

fn logins_are_throttled_and_tokens_revocable(app: &TestApp) {
    let city = app.city();
    let r = app.post("/api/v1/auth/token", json!({ "username": "t1_dinkes", "password": "salah-salah-salah" }), None);
    assert_eq!((r.status, r.is_problem()), (401, true));
    let r = app.post("/api/v1/auth/token", json!({ "username": "tidak_ada", "password": "salah-salah-salah" }), None);
    assert_eq!(r.status, 401, "unknown users look like wrong passwords");
    for _ in 0..5 {
        app.post("/api/v1/auth/token", json!({ "username": "t1_dinkes", "password": "salah-salah-salah" }), None);
    }
    // Past five free failures this address is slowed, even with the right password (another
    // address is not: probe_findings::a_stranger_cannot_lock_the_owner_out).
    let r = app.post("/api/v1/auth/token", json!({ "username": "t1_dinkes", "password": PASSWORD }), None);
    assert_eq!(r.status, 429, "slowed even with the right password");
    // Revoking: the token stops working at once, other tokens go on.
    let token = city.t("t1_disdik");
    let second = app.token("t1_disdik", PASSWORD);
    assert_eq!(app.raw("DELETE", "/api/v1/auth/token", None, Some(token)).status, 204);
    assert_eq!(app.get("/api/v1/tickets", Some(token)).status, 401);
    assert_eq!(app.get("/api/v1/tickets", Some(&second)).status, 200);
    // Tokens expire after 30 days.
    app.clock.advance(chrono::Duration::days(31));
    assert_eq!(app.get("/api/v1/tickets", Some(&second)).status, 401);
}

fn health_metrics_and_openapi(app: &TestApp) {
    let r = app.get("/healthz", None);
    assert_eq!(r.status, 200);
    assert_eq!(r.str("database"), if app.backend == crate::helpers::Backend::Sqlite { "sqlite" } else { "postgres" });
    let r = app.get("/metrics", None);
    let text = r.body.as_str().unwrap_or_default().to_string();
    assert!(text.contains("# TYPE meja_http_requests_total counter"));
    assert!(text.contains("route=\"/healthz\""));
    let r = app.get("/api/v1/openapi.json", None);
    assert!(r.str("openapi").starts_with("3."));
    let paths = r.body["paths"].as_object().cloned().unwrap_or_default();
    for path in [
        "/api/v1/auth/token",
        "/api/v1/units",
        "/api/v1/services",
        "/api/v1/users",
        "/api/v1/tickets",
        "/api/v1/tickets/{number}",
        "/api/v1/tickets/{number}/messages",
        "/api/v1/tickets/{number}/events",
        "/api/v1/tickets/{number}/{action}",
        "/api/v1/public/tickets",
        "/api/v1/public/tickets/{number}",
        "/healthz",
        "/metrics",
    ] {
        assert!(paths.contains_key(path), "{path} missing from OpenAPI");
    }
    // Every $ref points at a schema that exists.
    let doc = r.body.to_string();
    let schemas = r.body["components"]["schemas"].as_object().cloned().unwrap_or_default();
    for part in doc.split("#/components/schemas/").skip(1) {
        let name = part.split('"').next().unwrap_or_default();
        assert!(schemas.contains_key(name), "dangling $ref {name}");
    }
}

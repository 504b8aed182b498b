use serde_json::json;

use crate::both_databases;
use crate::helpers::TestApp;

both_databases!(bad_input_is_a_named_4xx_problem_and_writes_nothing);

fn bad_input_is_a_named_4xx_problem_and_writes_nothing(app: &TestApp) {
    let city = app.city();
    let t1 = city.t("t1_dinkes");
    app.ticket(t1, json!({}));
    let before = app.ticket_count();
    let good = json!({ "kind": "incident", "title": "x", "description": "y", "unit": "DINKES", "impact": "medium", "urgency": "medium", "requester": { "name": "A" } });
    let with = |key: &str, value: serde_json::Value| {
        let mut body = good.clone();
        body[key] = value;
        body.to_string().into_bytes()
    };
    let without = |key: &str| {
        let mut body = good.clone();
        body.as_object_mut().map(|o| o.remove(key));
        body.to_string().into_bytes()
    };
    let cases: Vec<(&str, Vec<u8>, u16, Option<&str>)> = vec![
        ("malformed JSON", br#"{"kind": "incident", "title": "#.to_vec(), 400, None),
        ("not an object", b"[1,2,3]".to_vec(), 400, None),
        ("unknown enum value", with("kind", json!("bencana")), 400, Some("kind")),
        ("wrong type", with("title", json!(5)), 400, Some("title")),
        ("wrong nested type", with("requester", json!({ "name": 7 })), 400, Some("requester.name")),
        ("missing field", without("description"), 400, Some("description")),
        ("missing nested field", with("requester", json!({})), 400, Some("requester.name")),
        ("unknown field", with("prioritas", json!("P1")), 400, Some("prioritas")),
        ("invalid UTF-8", b"{\"kind\":\"incident\",\"title\":\"\xff\xfe\"}".to_vec(), 400, None),
        ("unknown unit", with("unit", json!("TIDAKADA")), 422, Some("unit")),
        ("unknown service", with("service", json!("TIDAKADA")), 422, Some("service")),
        ("service of another unit", with("service", json!("PPDB")), 422, Some("service")),
        ("empty title", with("title", json!("  ")), 422, Some("title")),
        ("title too long", with("title", json!("x".repeat(201))), 422, Some("title")),
        ("bad e-mail", with("requester", json!({ "name": "A", "email": "bukan email" })), 422, Some("requester.email")),
        ("unit of another PD", with("unit", json!("DISDIK")), 403, None),
        ("body over the limit", format!("{{\"title\": \"{}\"}}", "x".repeat(1_100_000)).into_bytes(), 413, None),
    ];
    for (what, body, status, field) in cases {
        let r = app.raw("POST", "/api/v1/tickets", Some(&body), Some(t1));
        assert_eq!(r.status, status, "{what}: {:?}", r.body);
        assert!(r.is_problem(), "{what}: {}", r.content_type);
        assert!(r.str("type").starts_with("urn:meja:problem:"), "{what}");
        if let Some(field) = field {
            assert_eq!(r.field(), Some(field), "{what}: {:?}", r.body);
        }
    }
    assert_eq!(app.ticket_count(), before, "no partial writes");
    // Query strings and paths are checked too.
    for (path, field) in [
        ("/api/v1/tickets?status=melayang", "status"),
        ("/api/v1/tickets?tier=3", "tier"),
        ("/api/v1/tickets?limit=0", "limit"),
        ("/api/v1/tickets?cursor=abc", "cursor"),
        ("/api/v1/tickets?breached=mungkin", "breached"),
    ] {
        let r = app.get(path, Some(t1));
        assert!(r.status == 400 || r.status == 422, "{path}: {}", r.status);
        assert_eq!(r.field(), Some(field), "{path}");
    }
    let r = app.get("/api/v1/tidak-ada", Some(t1));
    assert_eq!((r.status, r.is_problem()), (404, true));
    let r = app.get("/api/v1/tickets", None);
    assert_eq!((r.status, r.is_problem()), (401, true));
    let r = app.get("/api/v1/tickets", Some("mj_palsu"));
    assert_eq!(r.status, 401);
}

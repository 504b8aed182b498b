//! Issue 14, two-factor sign-in, on both databases: enrolment with a code the test computes as
//! an authenticator app would, the code on every sign-in (never the same code twice), recovery
//! codes, roles that must enrol before they get anything, and the console's second step.

use serde_json::{json, Value};
use totp_rs::{Algorithm, Secret, TOTP};

use crate::both_databases;
use crate::helpers::{monday_0800, spawn_app_with, Backend, TestApp, PASSWORD};

both_databases!(
    a_person_enrols_and_signs_in_with_codes,
    the_console_asks_for_the_code,
    the_sign_in_log_keeps_every_attempt
);

#[test]
fn a_required_role_enrols_before_anything_sqlite() {
    required_role_enrols_first(Backend::Sqlite);
}

#[test]
fn a_required_role_enrols_before_anything_postgres() {
    required_role_enrols_first(Backend::Postgres);
}

/// The code an authenticator app shows for `secret` at the desk's time, `steps` steps later.
fn code(app: &TestApp, secret: &str, steps: i64) -> String {
    let bytes = Secret::Encoded(secret.to_string()).to_bytes().expect("base32");
    let totp = TOTP::new(Algorithm::SHA1, 6, 1, 30, bytes, None, "test".into()).expect("totp");
    totp.generate((app.desk.now().timestamp() + steps * 30) as u64)
}

fn token_with(app: &TestApp, username: &str, totp: Option<&str>) -> crate::helpers::Reply {
    let mut body = json!({ "username": username, "password": PASSWORD });
    if let Some(t) = totp {
        body["totp"] = json!(t);
    }
    app.post("/api/v1/auth/token", body, None)
}

fn enrol(app: &TestApp, token: &str) -> (String, Vec<String>) {
    let begun = app.post("/api/v1/auth/totp", json!({}), Some(token));
    assert_eq!(begun.status, 200, "{:?}", begun.body);
    let secret = begun.str("secret").to_string();
    assert!(begun.str("otpauth_uri").starts_with("otpauth://totp/"), "{:?}", begun.body);
    let wrong = app.post("/api/v1/auth/totp/confirm", json!({ "code": "000000" }), Some(token));
    assert_eq!((wrong.status, wrong.field()), (422, Some("code")));
    let confirmed = app.post("/api/v1/auth/totp/confirm", json!({ "code": code(app, &secret, 0) }), Some(token));
    assert_eq!(confirmed.status, 200, "{:?}", confirmed.body);
    let codes: Vec<String> = confirmed.body["recovery_codes"]
        .as_array()
        .map(|a| a.iter().filter_map(|c| c.as_str().map(str::to_string)).collect())
        .unwrap_or_default();
    (secret, codes)
}

fn a_person_enrols_and_signs_in_with_codes(app: &TestApp) {
    let city = app.city();
    let (secret, recovery) = enrol(app, city.t("t1_dinkes"));
    assert_eq!(recovery.len(), 10);
    // The password alone is not enough any more.
    let r = token_with(app, "t1_dinkes", None);
    assert_eq!((r.status, r.str("type")), (401, "urn:meja:problem:totp_required"), "{:?}", r.body);
    assert_eq!(token_with(app, "t1_dinkes", Some("123456")).status, 401);
    // The code used to confirm the enrolment is spent; the next step's code works once.
    assert_eq!(token_with(app, "t1_dinkes", Some(&code(app, &secret, 0))).status, 401, "used at enrolment");
    app.clock.advance(chrono::Duration::seconds(30));
    let fresh = code(app, &secret, 0);
    assert_eq!(token_with(app, "t1_dinkes", Some(&fresh)).status, 200);
    assert_eq!(token_with(app, "t1_dinkes", Some(&fresh)).status, 401, "never the same code twice");
    // A recovery code works once.
    assert_eq!(token_with(app, "t1_dinkes", Some(&recovery[0].to_uppercase())).status, 200);
    assert_eq!(token_with(app, "t1_dinkes", Some(&recovery[0])).status, 401);
    // An admin can turn it off for someone who lost phone and codes; others cannot.
    assert_eq!(app.delete("/api/v1/users/t1_dinkes/totp", Some(city.t("sup_kominfo"))).status, 403);
    assert_eq!(app.delete("/api/v1/users/nobody/totp", Some(city.t("admin"))).status, 404);
    // Turned off by its owner: the password alone again.
    let token = token_with(app, "t1_dinkes", Some(&recovery[1])).str("token").to_string();
    assert_eq!(app.delete("/api/v1/auth/totp", Some(&token)).status, 204);
    assert_eq!(token_with(app, "t1_dinkes", None).status, 200);
    let kinds: Vec<String> = app.all_events().into_iter().map(|e| e.kind).collect();
    for kind in ["user.totp_enrolled", "user.recovery_code_used", "user.totp_disabled"] {
        assert!(kinds.iter().any(|k| k == kind), "{kind}");
    }
    let events =
        serde_json::to_string(&app.all_events().iter().map(|e| e.data.clone()).collect::<Vec<_>>()).unwrap_or_default();
    assert!(!events.contains(&secret) && !events.contains(&recovery[2]), "no secret in the audit log");
}

fn required_role_enrols_first(backend: Backend) {
    let Some(app) = spawn_app_with(backend, monday_0800(), |s| s.two_factor_roles = vec!["supervisor".into()]) else {
        return;
    };
    let _city = app.city_without_tokens_for(&["sup_kominfo"]);
    let r = token_with(&app, "sup_kominfo", None);
    assert_eq!((r.status, r.str("type")), (403, "urn:meja:problem:totp_enrolment_required"), "{:?}", r.body);
    // Enrolment without a token, with the password.
    let creds = json!({ "username": "sup_kominfo", "password": PASSWORD });
    let begun = app.post("/api/v1/auth/totp", creds.clone(), None);
    assert_eq!(begun.status, 200, "{:?}", begun.body);
    let secret = begun.str("secret").to_string();
    let mut confirm = creds.clone();
    confirm["code"] = json!(code(&app, &secret, 0));
    assert_eq!(app.post("/api/v1/auth/totp/confirm", confirm, None).status, 200);
    let bad =
        app.post("/api/v1/auth/totp", json!({ "username": "sup_kominfo", "password": "salah-salah-salah" }), None);
    assert_eq!(bad.status, 401);
    app.clock.advance(chrono::Duration::seconds(30));
    assert_eq!(token_with(&app, "sup_kominfo", Some(&code(&app, &secret, 0))).status, 200);
    // Roles outside the setting are untouched.
    assert_eq!(token_with(&app, "t1_dinkes", None).status, 200);
}

fn the_console_asks_for_the_code(app: &TestApp) {
    let city = app.city();
    let (secret, _) = enrol(app, city.t("t2_kominfo"));
    let agent = ureq::AgentBuilder::new().redirects(0).build();
    let answer = crate::helpers::post_login(&agent, &app.base, "t2_kominfo", PASSWORD).expect("sign in");
    assert_eq!(answer.status(), 200);
    let cookie = answer.all("Set-Cookie").into_iter().find(|c| c.starts_with("meja_csrf=")).map(str::to_string);
    assert!(answer.all("Set-Cookie").iter().all(|c| !c.starts_with("meja_sesi=")), "no session before the code");
    let page = answer.into_string().unwrap_or_default();
    assert!(page.contains("action=\"/masuk/kode\""), "{page}");
    assert!(!page.contains(PASSWORD), "the password never rides in the page");
    let field = |name: &str| {
        let marker = format!("name=\"{name}\" value=\"");
        let start = page.find(&marker).map_or(page.len(), |i| i + marker.len());
        page[start..].split('"').next().unwrap_or_default().to_string()
    };
    let (csrf, challenge) = (field("csrf"), field("challenge"));
    let cookie = cookie.unwrap_or_else(|| format!("meja_csrf={csrf}"));
    let cookie = cookie.split(';').next().unwrap_or_default().to_string();
    let post = |code: &str| match agent
        .post(&format!("{}/masuk/kode", app.base))
        .set("Cookie", &cookie)
        .set("Origin", &app.base)
        .send_form(&[("csrf", &csrf), ("challenge", &challenge), ("code", code), ("next", "/konsol")])
    {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("{e}"),
    };
    assert_eq!(post("000000").status(), 401);
    app.clock.advance(chrono::Duration::seconds(30));
    let done = post(&code(app, &secret, 0));
    assert_eq!(done.status(), 303);
    assert!(done.all("Set-Cookie").iter().any(|c| c.starts_with("meja_sesi=")));
    // The challenge is spent with the sign-in.
    app.clock.advance(chrono::Duration::seconds(30));
    let again = post(&code(app, &secret, 0));
    assert_eq!((again.status(), again.header("Location")), (303, Some("/masuk?lanjut=/konsol")));
    let _: Value = json!(null);
}

fn the_sign_in_log_keeps_every_attempt(app: &TestApp) {
    let city = app.city();
    let admin = city.t("admin");
    let wrong =
        app.post("/api/v1/auth/token", json!({ "username": "t1_dinkes", "password": "salah-salah-salah" }), None);
    assert_eq!(wrong.status, 401);
    app.post("/api/v1/auth/token", json!({ "username": "siapa", "password": "salah-salah-salah" }), None);
    let (secret, _) = enrol(app, city.t("t1b_dinkes"));
    app.clock.advance(chrono::Duration::seconds(30));
    assert_eq!(token_with(app, "t1b_dinkes", Some(&code(app, &secret, 0))).status, 200);
    // Entries are written beside the sign-in, without making it wait: give the writer a moment.
    let entries = |user: &str| -> Vec<Value> {
        for _ in 0..50 {
            let items = app.get(&format!("/api/v1/auth/signins?user={user}"), Some(admin)).items();
            if !items.is_empty() {
                return items;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        Vec::new()
    };
    let mine = entries("t1_dinkes");
    assert!(
        mine.iter().any(|e| e["outcome"] == "failed"
            && e["reason"].as_str().is_some_and(|r| r.starts_with("wrong password"))
            && e["method"] == "password"),
        "{mine:?}"
    );
    assert!(mine.iter().any(|e| e["outcome"] == "ok"), "the sign-in of city() is there too");
    assert!(mine
        .iter()
        .all(|e| e["address"].as_str().is_some_and(|a| a.starts_with("127.0.0.1")) && e["at"].is_string()));
    assert!(entries("siapa").iter().any(|e| e["reason"].as_str().is_some_and(|r| r.starts_with("unknown user"))));
    let second = entries("t1b_dinkes");
    assert!(second.iter().any(|e| e["method"] == "totp" && e["outcome"] == "ok"), "{second:?}");
    assert_eq!(app.get("/api/v1/auth/signins", Some(city.t("sup_kominfo"))).status, 403);
    let page = crate::helpers::Browser::sign_in(app, "admin", crate::helpers::ADMIN_PASSWORD)
        .get("/konsol/admin/log-masuk?pengguna=siapa");
    assert_eq!(page.status, 200);
    assert!(page.body.contains("unknown user"));
}

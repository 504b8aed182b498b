//! The administration pages: signed in through the sign-in form, forms with their CSRF token,
//! post/redirect/get, and the role checks.

use serde_json::json;

use crate::both_databases;
use crate::helpers::{answer, Browser, TestApp, ADMIN_PASSWORD, PASSWORD};

both_databases!(admin_adds_units_and_services, admin_pages_are_for_admins, admin_tokens_and_holidays);

fn admin_adds_units_and_services(app: &TestApp) {
    let admin = Browser::sign_in(app, "admin", ADMIN_PASSWORD);
    let overview = admin.get("/konsol/admin");
    assert_eq!(overview.status, 200);
    for link in ["/konsol/admin/unit", "/konsol/admin/layanan", "/konsol/admin/pengguna", "/konsol/admin/sla"] {
        assert!(overview.body.contains(&format!("href=\"{link}\"")), "{link}");
    }
    let csrf = admin.csrf("/konsol/admin/unit");

    let r = admin.post(
        "/konsol/admin/unit",
        &[("csrf", &csrf), ("code", "dishub"), ("name", "Dinas Perhubungan"), ("email", "")],
    );
    assert_eq!((r.status, r.location.as_str()), (303, "/konsol/admin/unit?ok=1"), "{}", r.body);
    let list = admin.get(&r.location);
    assert!(list.body.contains("Tersimpan."), "the layout says it was saved");
    assert!(list.body.contains("data-code=\"DISHUB\"") && list.body.contains("Dinas Perhubungan"), "{}", list.body);

    let r = admin.post(
        "/konsol/admin/layanan",
        &[("csrf", &csrf), ("code", "SIPARKIR"), ("name", "Parkir elektronik"), ("unit", "DISHUB")],
    );
    assert_eq!((r.status, r.location.as_str()), (303, "/konsol/admin/layanan?ok=1"), "{}", r.body);
    let list = admin.get("/konsol/admin/layanan");
    assert!(list.body.contains("data-code=\"SIPARKIR\"") && list.body.contains("Parkir elektronik"));
    let services = app.get("/api/v1/services?unit=DISHUB", Some(&app.admin()));
    assert_eq!(services.items().len(), 1, "{:?}", services.body);

    // A form without its token, or with another session's, changes nothing.
    let r = admin.post("/konsol/admin/unit", &[("code", "DISPAR"), ("name", "Dinas Pariwisata")]);
    assert_eq!(r.status, 403);
    let r =
        admin.post("/konsol/admin/unit", &[("csrf", "0123456789"), ("code", "DISPAR"), ("name", "Dinas Pariwisata")]);
    assert_eq!(r.status, 403);
    assert!(!admin.get("/konsol/admin/unit").body.contains("DISPAR"));

    // Refusals name the field.
    let r = admin.post("/konsol/admin/unit", &[("csrf", &csrf), ("code", "X"), ("name", "Satu huruf")]);
    assert_eq!(r.status, 422);
    assert!(r.body.contains("code:"), "{}", r.body);
    let r = admin
        .post("/konsol/admin/layanan", &[("csrf", &csrf), ("code", "SIPARKIR"), ("name", "x"), ("unit", "DISHUB")]);
    assert_eq!(r.status, 409, "a second service with the same code");

    // A user in the new unit, who can then sign in.
    let r = admin.post(
        "/konsol/admin/pengguna",
        &[
            ("csrf", &csrf),
            ("username", "t1_dishub"),
            ("name", "Petugas Dishub"),
            ("email", "t1@dishub.example.go.id"),
            ("role", "agent_t1"),
            ("unit", "DISHUB"),
            ("password", PASSWORD),
        ],
    );
    assert_eq!((r.status, r.location.as_str()), (303, "/konsol/admin/pengguna?ok=1"), "{}", r.body);
    assert!(admin.get("/konsol/admin/pengguna").body.contains("data-username=\"t1_dishub\""));
    Browser::sign_in(app, "t1_dishub", PASSWORD);
}

fn admin_pages_are_for_admins(app: &TestApp) {
    app.city();
    let agent = Browser::sign_in(app, "t1_dinkes", PASSWORD);
    for path in ["/konsol/admin", "/konsol/admin/unit", "/konsol/admin/token", "/konsol/admin/sla"] {
        assert_eq!(agent.get(path).status, 403, "{path}");
    }
    let csrf = agent.csrf("/konsol");
    let r = agent.post("/konsol/admin/unit", &[("csrf", &csrf), ("code", "DISPAR"), ("name", "Dinas Pariwisata")]);
    assert_eq!(r.status, 403);

    // Supervisors configure SLA, as in the API, and nothing else here.
    let supervisor = Browser::sign_in(app, "sup_kominfo", PASSWORD);
    assert_eq!(supervisor.get("/konsol/admin").status, 403);
    assert_eq!(supervisor.get("/konsol/admin/sla").status, 200);
    assert_eq!(supervisor.get("/konsol/admin/kalender/jam-kerja").status, 200);

    // Without a session: to the sign-in page.
    let anonymous =
        answer(ureq::AgentBuilder::new().redirects(0).build().get(&format!("{}/konsol/admin", app.base)).call());
    assert_eq!(anonymous.status, 303);
    assert!(anonymous.location.starts_with("/masuk"), "{}", anonymous.location);
}

fn admin_tokens_and_holidays(app: &TestApp) {
    let admin = Browser::sign_in(app, "admin", ADMIN_PASSWORD);
    let csrf = admin.csrf("/konsol/admin/token");

    // An integration token, shown once, that works on the API until it is revoked.
    let page = admin.post("/konsol/admin/token", &[("csrf", &csrf), ("label", "sipd-sync")]);
    assert_eq!(page.status, 200);
    let start = page.body.find("data-new-token>").expect("the new token") + "data-new-token>".len();
    let token = page.body[start..].split('<').next().unwrap_or_default().to_string();
    assert!(token.starts_with("mj_"), "{token}");
    assert_eq!(app.get("/api/v1/auth/me", Some(&token)).str("username"), "admin");
    let row = page.body[..page.body.find("sipd-sync</td>").expect("listed")].rfind("data-token=\"").expect("row");
    let id = page.body[row + "data-token=\"".len()..].split('"').next().unwrap_or_default().to_string();
    let r = admin.post(&format!("/konsol/admin/token/{id}/cabut"), &[("csrf", &csrf)]);
    assert_eq!((r.status, r.location.as_str()), (303, "/konsol/admin/token?ok=1"));
    assert_eq!(app.get("/api/v1/auth/me", Some(&token)).status, 401);
    assert!(!admin.get("/konsol/admin/token").body.contains(&format!("/konsol/admin/token/{id}/cabut")));

    // Holidays: one by hand, more pasted, one removed.
    let r = admin.post(
        "/konsol/admin/kalender/jam-kerja/libur",
        &[("csrf", &csrf), ("date", "2026-12-25"), ("label", "Hari Raya Natal")],
    );
    assert_eq!((r.status, r.location.as_str()), (303, "/konsol/admin/kalender/jam-kerja?tahun=2026&ok=1"));
    assert!(admin.get(&r.location).body.contains("Hari Raya Natal"));
    let page = admin.post(
        "/konsol/admin/kalender/jam-kerja/impor",
        &[("csrf", &csrf), ("content", "tanggal,keterangan\n2026-12-24,Cuti bersama Natal\n2027-01-01,Tahun Baru\n")],
    );
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("Impor selesai") && page.body.contains("Cuti bersama Natal"), "{}", page.body);
    let r = admin.post("/konsol/admin/kalender/jam-kerja/libur/hapus", &[("csrf", &csrf), ("date", "2026-12-24")]);
    assert_eq!(r.status, 303);
    let calendar = app.get("/api/v1/calendars/jam-kerja?year=2026", Some(&app.admin()));
    let december: Vec<_> = calendar.body["holidays"]
        .as_array()
        .map(|days| {
            days.iter().filter(|d| d["date"].as_str().is_some_and(|d| d.starts_with("2026-12"))).cloned().collect()
        })
        .unwrap_or_default();
    assert_eq!(december, vec![json!({ "date": "2026-12-25", "label": "Hari Raya Natal" })]);

    // A policy edit takes effect.
    let r = admin.post(
        "/konsol/admin/sla/P3",
        &[
            ("csrf", &csrf),
            ("first_response_minutes", "120"),
            ("resolution_minutes", "1350"),
            ("calendar", "jam-kerja"),
            ("warn_percents", "50, 90"),
            ("notify_unit_head", "1"),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let policies = app.get("/api/v1/sla/policies", Some(&app.admin())).items();
    let p3 = policies.iter().find(|p| p["priority"] == "P3").expect("P3");
    assert_eq!((p3["first_response_minutes"].clone(), p3["warn_percents"].clone()), (json!(120), json!([50, 90])));
    assert_eq!(p3["escalate_to_tier2"], json!(false));
    let r = admin.post(
        "/konsol/admin/sla/P3",
        &[("csrf", &csrf), ("first_response_minutes", "lama"), ("resolution_minutes", "1")],
    );
    assert_eq!(r.status, 422);
    assert!(r.body.contains("first_response_minutes"), "{}", r.body);
}

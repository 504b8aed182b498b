//! The portal and the staff console as a browser uses them: forms with their tokens, the same
//! scopes as the API (another unit's ticket is "not found"), security headers and cookies.

use serde_json::json;

use crate::both_databases;
use crate::helpers::{answer, Browser, TestApp, PASSWORD};

both_databases!(
    console_pages_keep_the_api_scopes,
    agents_work_a_ticket_from_the_console,
    citizens_report_and_track_on_the_portal,
    sessions_headers_and_language
);

fn console_pages_keep_the_api_scopes(app: &TestApp) {
    let city = app.city();
    let number = app.ticket(city.t("t1_dinkes"), json!({ "title": "Antrian SIMPUS macet" }));
    let secret = app.ticket(city.t("t1_dinkes"), json!({ "title": "Akun bocor", "classification": "confidential" }));

    let own = Browser::sign_in(app, "t1_dinkes", PASSWORD);
    let page = own.get(&format!("/konsol/tiket/{number}"));
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Antrian SIMPUS macet"));
    assert!(own.get("/konsol").body.contains(&format!("data-number=\"{number}\"")));

    // Another unit's agent and head: not found, and not in their queue or search.
    for username in ["t1_disdik", "head_disdik"] {
        let other = Browser::sign_in(app, username, PASSWORD);
        let page = other.get(&format!("/konsol/tiket/{number}"));
        assert_eq!(page.status, 404, "{username}");
        assert!(!page.body.contains("Antrian SIMPUS macet"), "{username}");
        let queue = other.get(&format!("/konsol?tampilan=semua&status=semua&q={number}"));
        assert!(!queue.body.contains(&format!("data-number=\"{number}\"")), "{username}");
        let csrf = other.csrf("/konsol");
        let r = other.post(&format!("/konsol/tiket/{number}/pesan"), &[("csrf", &csrf), ("body", "halo")]);
        assert_eq!(r.status, 404, "{username} cannot write on it either");
        let r = other.get(&format!("/konsol/tiket/{number}/lampiran/x"));
        assert_eq!(r.status, 404);
    }
    // A confidential ticket: its unit's other agent does not see it.
    let colleague = Browser::sign_in(app, "t1b_dinkes", PASSWORD);
    assert_eq!(colleague.get(&format!("/konsol/tiket/{secret}")).status, 404);
    assert!(!colleague.get("/konsol?tampilan=unit").body.contains(&format!("data-number=\"{secret}\"")));

    // The dashboard: supervisors see every unit, a unit head their own, agents nothing.
    assert_eq!(own.get("/konsol/dasbor").status, 403);
    let supervisor = Browser::sign_in(app, "sup_kominfo", PASSWORD);
    let board = supervisor.get("/konsol/dasbor");
    assert_eq!(board.status, 200);
    assert!(board.body.contains("data-unit=\"DINKES\"") && board.body.contains("data-unit=\"DISDIK\""));
    let head = Browser::sign_in(app, "head_dinkes", PASSWORD);
    let board = head.get("/konsol/dasbor");
    assert!(board.body.contains("data-unit=\"DINKES\"") && !board.body.contains("data-unit=\"DISDIK\""));

    // Reports: a unit's agent may not read another unit's report through the console either.
    let r = own.get("/konsol/laporan/unduh?unit=DISDIK&period=2026-11&format=json");
    assert_eq!(r.status, 403, "{}", r.body);
    let r = own.get("/konsol/laporan/unduh?unit=DINKES&period=2026-11&format=csv");
    assert_eq!(r.status, 200);
}

fn agents_work_a_ticket_from_the_console(app: &TestApp) {
    let city = app.city();
    let number = app.ticket(city.t("t1_dinkes"), json!({}));
    let agent = Browser::sign_in(app, "t1_dinkes", PASSWORD);
    let page = agent.get(&format!("/konsol/tiket/{number}"));
    for action in ["assign", "start", "escalate", "cancel", "transfer", "priority"] {
        assert!(page.body.contains(&format!("data-action=\"{action}\"")), "{action} offered");
    }
    assert!(!page.body.contains("data-action=\"return\""), "return is tier 2's");
    let csrf = agent.csrf(&format!("/konsol/tiket/{number}"));

    let r =
        agent.post(&format!("/konsol/tiket/{number}/pesan"), &[("csrf", &csrf), ("body", "Sedang kami periksa, Pak.")]);
    assert_eq!((r.status, r.location.as_str()), (303, format!("/konsol/tiket/{number}?ok=1#percakapan").as_str()));
    let r = agent
        .post(&format!("/konsol/tiket/{number}/pesan"), &[("csrf", &csrf), ("body", "cek log"), ("internal", "1")]);
    assert_eq!(r.status, 303);
    let view = app.get(&format!("/api/v1/tickets/{number}"), Some(city.t("t1_dinkes")));
    let messages = view.body["messages"].as_array().cloned().unwrap_or_default();
    assert_eq!(messages.len(), 2);
    assert_eq!(messages[0]["internal"], json!(false));
    assert_eq!(messages[1]["internal"], json!(true));
    assert!(view.body["first_response_at"].is_string(), "the public reply is the first response");

    // A refused action explains itself on a page; nothing changes.
    let r = agent.post(&format!("/konsol/tiket/{number}/tindakan/escalate"), &[("csrf", &csrf), ("reason", "")]);
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("reason"), "{}", r.body);
    let r = agent.post(&format!("/konsol/tiket/{number}/tindakan/return"), &[("csrf", &csrf), ("note", "x")]);
    assert_eq!(r.status, 409);

    let r = agent.post(
        &format!("/konsol/tiket/{number}/tindakan/escalate"),
        &[("csrf", &csrf), ("reason", "Perlu akses server Diskominfo")],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(app.get(&format!("/api/v1/tickets/{number}"), Some(city.t("t1_dinkes"))).body["tier"], json!(2));

    let t2 = Browser::sign_in(app, "t2_kominfo", PASSWORD);
    let csrf = t2.csrf(&format!("/konsol/tiket/{number}"));
    for (action, fields) in [
        ("assign", vec![("username", "t2_kominfo")]),
        ("start", vec![]),
        ("resolve", vec![("resolution", "Layanan dijalankan ulang.")]),
    ] {
        // `start` only while the ticket is new; the agent's first reply opened it.
        if !t2.get(&format!("/konsol/tiket/{number}")).body.contains(&format!("data-action=\"{action}\"")) {
            assert_eq!(action, "start");
            continue;
        }
        let mut form = vec![("csrf", csrf.as_str())];
        form.extend(fields);
        let r = t2.post(&format!("/konsol/tiket/{number}/tindakan/{action}"), &form);
        assert_eq!(r.status, 303, "{action}: {}", r.body);
    }
    let view = app.get(&format!("/api/v1/tickets/{number}"), Some(city.t("t2_kominfo")));
    assert_eq!(view.str("status"), "resolved");
    let timeline = t2.get(&format!("/konsol/tiket/{number}"));
    assert!(
        timeline.body.contains("Perlu akses server Diskominfo") && timeline.body.contains("Layanan dijalankan ulang.")
    );

    // A phone ticket from the console.
    let r = agent.post(
        "/konsol/tiket-baru",
        &[
            ("csrf", &agent.csrf("/konsol/tiket-baru")),
            ("caller", "Ibu Sari"),
            ("phone", "0812-1111-2222"),
            ("email", ""),
            ("unit", "DINKES"),
            ("service", "SIMPUS"),
            ("kind", "incident"),
            ("title", "Tidak bisa cetak kartu"),
            ("description", "Dilaporkan lewat telepon."),
            ("impact", "high"),
            ("urgency", "high"),
            ("classification", "internal"),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let phone = r.location.trim_start_matches("/konsol/tiket/").split('?').next().unwrap_or_default().to_string();
    let view = app.get(&format!("/api/v1/tickets/{phone}"), Some(city.t("t1_dinkes")));
    assert_eq!((view.str("channel"), view.str("priority")), ("phone", "P1"));
    assert_eq!(view.body["requester"]["phone"], json!("0812-1111-2222"));
}

fn citizens_report_and_track_on_the_portal(app: &TestApp) {
    let city = app.city();
    let agent = ureq::AgentBuilder::new().redirects(0).build();
    let home = agent.get(&format!("{}/", app.base)).call().expect("portal");
    let csp = home.header("Content-Security-Policy").unwrap_or_default().to_string();
    assert!(csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"), "{csp}");
    let cookie = home.header("Set-Cookie").unwrap_or_default().to_string();
    assert!(cookie.starts_with("meja_csrf=") && cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"));
    let cookie = cookie.split(';').next().unwrap_or_default().to_string();
    let token = cookie.trim_start_matches("meja_csrf=").to_string();
    let html = home.into_string().unwrap_or_default();
    assert!(html.contains("value=\"service:SIMPUS\""), "services are offered");
    let png = b"\x89PNG\r\n\x1a\n0000IHDR-not-really-an-image";
    let mut fields = vec![
        ("csrf", token.as_str()),
        ("website", ""),
        ("name", "Budi Santoso"),
        ("email", "budi@warga.test"),
        ("place", "service:SIMPUS"),
        ("kind", "incident"),
        ("title", "Tidak bisa daftar online"),
        ("description", "Tombol daftar tidak bereaksi."),
        ("personal_data_breach", "1"),
    ];
    let send = |fields: &[(&str, &str)], cookie: &str| {
        let (kind, body) = crate::helpers::multipart(fields, Some(("attachment", "layar.png", "image/png", png)));
        answer(
            agent
                .post(&format!("{}/lapor", app.base))
                .set("Content-Type", &kind)
                .set("Cookie", cookie)
                .send_bytes(&body),
        )
    };
    // Without the cookie's token, or with the honeypot filled: refused, nothing opened.
    let before = app.ticket_count();
    assert_eq!(send(&fields, "meja_csrf=someone-elses-token-000000").status, 403);
    let mut robot = fields.clone();
    robot[1] = ("website", "http://spam.example");
    assert_eq!(send(&robot, &cookie).status, 422);
    assert_eq!(app.ticket_count(), before);

    let r = send(&fields, &cookie);
    assert_eq!(r.status, 303, "{}", r.body);
    assert!(r.location.starts_with("/lacak/") && r.location.contains("baru=1"), "{}", r.location);
    let number = r.location.trim_start_matches("/lacak/").split('?').next().unwrap_or_default().to_string();
    let view = app.get(&format!("/api/v1/tickets/{number}"), Some(city.t("t1_dinkes")));
    assert_eq!((view.str("channel"), view.str("unit"), view.str("service")), ("web", "DINKES", "SIMPUS"));
    // The citizen ticked "personal data leaked": both notice clocks run (SPEC 6).
    assert_eq!(
        (view.body["security_incident"].clone(), view.body["personal_data_breach"].clone()),
        (json!(true), json!(true))
    );
    assert_eq!(view.body["incident"]["breach_notice"]["state"], "running");
    let tracking = answer(agent.get(&format!("{}{}", app.base, r.location)).call());
    assert_eq!(tracking.status, 200);
    assert!(tracking.body.contains("data-ticket-number") && tracking.body.contains(&number));

    // The attachment is on the ticket, its type from the bytes, downloadable by its unit only.
    let staff = Browser::sign_in(app, "t1_dinkes", PASSWORD);
    let page = staff.get(&format!("/konsol/tiket/{number}"));
    let start = page.body.find(&format!("/konsol/tiket/{number}/lampiran/")).expect("attachment link");
    let link = page.body[start..].split('"').next().unwrap_or_default().to_string();
    let file = staff.get(&link);
    assert_eq!(file.status, 200);
    assert!(file.body.ends_with("IHDR-not-really-an-image"), "the stored bytes come back");

    // A missing field is named, and what was typed stays in the form.
    fields[6] = ("title", "");
    let r = send(&fields, &cookie);
    assert_eq!(r.status, 422);
    assert!(r.body.contains("title") && r.body.contains("Tombol daftar tidak bereaksi."), "{}", r.body);
}

fn sessions_headers_and_language(app: &TestApp) {
    app.city();
    let agent = Browser::sign_in(app, "t1_dinkes", PASSWORD);
    let queue = agent.get("/konsol");
    assert!(queue.body.contains("Antrean tiket"));

    // English on request, for this browser only.
    let switch =
        answer(agent.agent.get(&format!("{}/bahasa/en?ke=%2Fkonsol", agent.base)).set("Cookie", &agent.cookie).call());
    assert_eq!((switch.status, switch.location.as_str()), (303, "/konsol"));
    let english = answer(
        agent
            .agent
            .get(&format!("{}/konsol", agent.base))
            .set("Cookie", &format!("{}; meja_bahasa=en", agent.cookie))
            .call(),
    );
    assert!(english.body.contains("Ticket queue") && english.body.contains("lang=\"en\""));
    // The switch never sends anyone to another site.
    let away = answer(agent.agent.get(&format!("{}/bahasa/en?ke=%2F%2Fevil.example", agent.base)).call());
    assert_eq!(away.location, "/");

    // Signing out revokes the session: the old cookie no longer opens the console.
    let csrf = agent.csrf("/konsol");
    let cross_site = answer(
        agent
            .agent
            .post(&format!("{}/keluar", agent.base))
            .set("Cookie", &agent.cookie)
            .set("Origin", "https://evil.example")
            .send_form(&[("csrf", &csrf)]),
    );
    assert_eq!(cross_site.status, 403, "a post from another origin is refused");
    let out = agent.post("/keluar", &[("csrf", &csrf)]);
    assert_eq!((out.status, out.location.as_str()), (303, "/masuk"));
    let after = agent.get("/konsol");
    assert_eq!(after.status, 303);
    assert!(after.location.starts_with("/masuk?lanjut="), "{}", after.location);

    // Wrong passwords are answered on the page, and a requester account is not staff.
    let fresh = || ureq::AgentBuilder::new().redirects(0).build();
    let login = |username: &str, password: &str| {
        answer(crate::helpers::post_login(&fresh(), &app.base, username, password).map_err(|e| *e))
    };
    // Without the form's token (a post from another site): refused before the password is checked.
    let forged = answer(
        fresh().post(&format!("{}/masuk", app.base)).send_form(&[("username", "t1_dinkes"), ("password", PASSWORD)]),
    );
    assert_eq!(forged.status, 403);
    let wrong = login("t1_dinkes", "salah");
    assert_eq!(wrong.status, 401);
    assert!(wrong.body.contains("Nama pengguna atau kata sandi salah."));
    let citizen = login("warga", PASSWORD);
    assert_eq!(citizen.status, 403);
}

/// Behind TLS (an https public URL) the session cookie is Secure as well.
#[test]
fn session_cookies_are_secure_behind_tls() {
    let start = crate::helpers::monday_0800();
    let Some(app) = crate::helpers::spawn_app_with(crate::helpers::Backend::Sqlite, start, |s| {
        s.public_url = "https://layanan.kota.go.id".into();
    }) else {
        return;
    };
    let agent = ureq::AgentBuilder::new().redirects(0).build();
    let response =
        crate::helpers::post_login(&agent, &app.base, "admin", crate::helpers::ADMIN_PASSWORD).expect("sign in");
    let cookie =
        response.all("Set-Cookie").into_iter().find(|c| c.starts_with("meja_sesi=")).unwrap_or_default().to_string();
    assert!(cookie.starts_with("meja_sesi=") && cookie.contains("Secure") && cookie.contains("HttpOnly"), "{cookie}");
}

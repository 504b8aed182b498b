//! Issue 14, people over their lifetime, on both databases: an admin edits a person, switches
//! them off (their tokens stop at once, their open tickets go back to the unit's queue) and on
//! again, gives a temporary password that must be changed before anything else; everyone
//! changes their own; units and services are renamed and retired.

use serde_json::{json, Value};

use crate::both_databases;
use crate::helpers::{TestApp, PASSWORD};

both_databases!(
    an_admin_edits_a_person_and_only_an_admin_may,
    a_person_switched_off_loses_every_token_and_their_tickets_return,
    a_temporary_password_must_be_changed_first,
    everyone_changes_their_own_password,
    units_and_services_are_renamed_and_retired,
    a_forgotten_password_is_reset_by_a_single_use_link,
    a_person_sees_their_sessions_and_signs_out_elsewhere,
    the_console_leads_a_temporary_password_to_a_change
);

fn events_of_kind(app: &TestApp, kind: &str) -> Vec<Value> {
    app.all_events()
        .into_iter()
        .filter(|e| e.kind == kind)
        .map(|e| serde_json::from_str(&e.data).unwrap_or(Value::Null))
        .collect()
}

fn an_admin_edits_a_person_and_only_an_admin_may(app: &TestApp) {
    let city = app.city();
    let admin = city.t("admin");
    let patch =
        json!({ "name": "Dewi Lestari", "phone": "+62 811 2222 333", "nip": "198507152010012003", "language": "en" });
    let r = app.patch("/api/v1/users/t1_dinkes", patch.clone(), Some(admin));
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!((r.str("name"), r.str("nip"), r.str("language")), ("Dewi Lestari", "198507152010012003", "en"));
    assert_eq!(r.str("phone"), "+62 811 2222 333");
    // A move to another unit, as an agent of that unit.
    let r = app.patch("/api/v1/users/t1_dinkes", json!({ "unit": "DISDIK" }), Some(admin));
    assert_eq!(r.str("unit"), "DISDIK");
    // The event names the fields, not the personal values.
    let updated = events_of_kind(app, "user.updated");
    assert!(updated.iter().any(|e| e["fields"].as_array().is_some_and(|f| f.contains(&json!("nip")))));
    assert!(!serde_json::to_string(&updated).unwrap_or_default().contains("Dewi"), "{updated:?}");
    // Bad input names the field and changes nothing.
    for (body, field) in [
        (json!({ "nip": "12345" }), "nip"),
        (json!({ "nip": "198513152010012003" }), "nip"),
        (json!({ "email": "bukan alamat" }), "email"),
        (json!({ "unit": "NOPE" }), "unit"),
        (json!({ "role": "agent_t2" }), "unit"),
        (json!({ "language": "jv" }), "language"),
    ] {
        let r = app.patch("/api/v1/users/t1_dinkes", body.clone(), Some(admin));
        assert_eq!((r.status, r.field()), (422, Some(field)), "{body}: {:?}", r.body);
    }
    let r = app.patch("/api/v1/users/t1_dinkes", json!({ "nickname": "x" }), Some(admin));
    assert_eq!(r.status, 400, "unknown fields are refused");
    assert_eq!(app.patch("/api/v1/users/nobody", json!({ "name": "x" }), Some(admin)).status, 404);
    for who in ["sup_kominfo", "head_dinkes", "t1b_dinkes"] {
        let r = app.patch("/api/v1/users/t1b_dinkes", json!({ "role": "admin" }), Some(city.t(who)));
        assert_eq!(r.status, 403, "{who}");
    }
    // An admin cannot switch off itself, nor can the last admin go.
    let r = app.patch("/api/v1/users/admin", json!({ "active": false }), Some(admin));
    assert_eq!((r.status, r.field()), (422, Some("active")), "{:?}", r.body);
}

fn a_person_switched_off_loses_every_token_and_their_tickets_return(app: &TestApp) {
    let city = app.city();
    let (admin, agent) = (city.t("admin"), city.t("t1_dinkes"));
    assert_eq!(app.patch("/api/v1/units/DINKES", json!({ "email": "tim.dinkes@kota.go.id" }), Some(admin)).status, 200);
    let second_token = app.token("t1_dinkes", PASSWORD);
    let number = app.ticket(agent, json!({}));
    assert_eq!(app.act(&number, "assign", json!({ "username": "t1_dinkes" }), agent).status, 200);
    assert_eq!(app.get("/api/v1/tickets", Some(agent)).status, 200);
    let r = app.patch("/api/v1/users/t1_dinkes", json!({ "active": false }), Some(admin));
    assert_eq!((r.status, r.body["active"].clone()), (200, json!(false)), "{:?}", r.body);
    // Every token of theirs stops at once, and no sign-in works.
    for token in [agent, second_token.as_str()] {
        assert_eq!(app.get("/api/v1/tickets", Some(token)).status, 401);
    }
    let r = app.post("/api/v1/auth/token", json!({ "username": "t1_dinkes", "password": PASSWORD }), None);
    assert_eq!(r.status, 401);
    // The ticket is back in the unit's queue, unassigned; the unit is told; history keeps the name.
    let t = app.get(&format!("/api/v1/tickets/{number}"), Some(city.t("t1b_dinkes"))).body;
    assert!(t["assignee"].is_null(), "{:?}", t["assignee"]);
    let events = app.get(&format!("/api/v1/tickets/{number}/events"), Some(city.t("t1b_dinkes"))).items();
    assert!(events.iter().any(|e| e["kind"] == "ticket.unassigned"), "{events:?}");
    assert!(events.iter().any(|e| e["kind"] == "ticket.assigned" || e["kind"] == "ticket.action"));
    let notices: Vec<_> = app.outbox_of(&number).into_iter().filter(|o| o.template == "ticket_unassigned").collect();
    assert_eq!(notices.len(), 1);
    assert_eq!(notices[0].recipient, "tim.dinkes@kota.go.id");
    assert_eq!(events_of_kind(app, "user.deactivated").len(), 1);
    // Switched on again: signs in again.
    let r = app.patch("/api/v1/users/t1_dinkes", json!({ "active": true }), Some(admin));
    assert_eq!(r.body["active"], true);
    assert_eq!(
        app.post("/api/v1/auth/token", json!({ "username": "t1_dinkes", "password": PASSWORD }), None).status,
        200
    );
    assert_eq!(events_of_kind(app, "user.reactivated").len(), 1);
    // The same from the server's command line.
    let out =
        app.meja(&["user", "edit", "--username", "t1b_dinkes", "--active", "false", "--nip", "199002282015032001"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("switched off"));
    assert_eq!(
        app.post("/api/v1/auth/token", json!({ "username": "t1b_dinkes", "password": PASSWORD }), None).status,
        401
    );
    let out = app.meja(&["user", "edit", "--username", "t1b_dinkes", "--active", "true"]);
    assert!(out.status.success());
    let out = app.meja(&["user", "password", "--username", "t1b_dinkes"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let printed = String::from_utf8_lossy(&out.stdout).to_string();
    let temporary =
        printed.split(": ").nth(1).and_then(|t| t.split_whitespace().next()).unwrap_or_default().to_string();
    let r = app.post("/api/v1/auth/token", json!({ "username": "t1b_dinkes", "password": temporary }), None);
    assert_eq!(r.str("type"), "urn:meja:problem:password_change_required", "{printed}");
    let out = app.meja(&["user", "edit", "--username", "t1b_dinkes", "--nip", "123"]);
    assert!(!out.status.success(), "a bad NIP is refused");
}

fn a_temporary_password_must_be_changed_first(app: &TestApp) {
    let city = app.city();
    let admin = city.t("admin");
    let old_token = city.t("t1_dinkes");
    let r = app.post("/api/v1/users/t1_dinkes/password", json!({}), Some(admin));
    assert_eq!(r.status, 200, "{:?}", r.body);
    let temporary = r.str("password").to_string();
    assert!(temporary.len() >= 12);
    assert_eq!(app.get("/api/v1/tickets", Some(old_token)).status, 401, "their sessions ended");
    // The right temporary password gets no token, only the instruction to change it.
    let r = app.post("/api/v1/auth/token", json!({ "username": "t1_dinkes", "password": temporary }), None);
    assert_eq!(r.status, 403, "{:?}", r.body);
    assert_eq!(r.str("type"), "urn:meja:problem:password_change_required");
    let wrong =
        app.post("/api/v1/auth/token", json!({ "username": "t1_dinkes", "password": "salah-salah-salah" }), None);
    assert_eq!(wrong.status, 401, "a wrong password says nothing about the account");
    // Changed without a token; a weak new one is refused first.
    let change = |new: &str| {
        app.post("/api/v1/auth/password", json!({ "username": "t1_dinkes", "current": temporary, "new": new }), None)
    };
    for weak in ["pendek", "password1234", "t1_dinkes-2026-x", "Indonesia2026!"] {
        let r = change(weak);
        assert_eq!((r.status, r.field()), (422, Some("password")), "{weak}: {:?}", r.body);
    }
    assert_eq!(change("Sandi-Baru-Dinkes-2026").status, 204);
    assert_eq!(change("Sandi-Lain-Dinkes-2026").status, 401, "the temporary password is gone");
    let r =
        app.post("/api/v1/auth/token", json!({ "username": "t1_dinkes", "password": "Sandi-Baru-Dinkes-2026" }), None);
    assert_eq!(r.status, 200, "{:?}", r.body);
    // Without a token, only an account that must change its password may change it this way.
    let r = app.post(
        "/api/v1/auth/password",
        json!({ "username": "t1b_dinkes", "current": PASSWORD, "new": "Sandi-Baru-Dinkes-2026" }),
        None,
    );
    assert_eq!(r.status, 401);
    // An admin may choose the temporary password; others may not set one.
    let r = app.post("/api/v1/users/t1b_dinkes/password", json!({ "password": "Sementara-Dinkes-77" }), Some(admin));
    assert_eq!((r.status, r.body.get("password").is_none()), (200, true));
    assert_eq!(app.post("/api/v1/users/t1b_dinkes/password", json!({}), Some(city.t("sup_kominfo"))).status, 403);
    let kinds = events_of_kind(app, "user.temporary_password_set");
    assert_eq!(kinds.len(), 2);
    assert!(!serde_json::to_string(&kinds).unwrap_or_default().contains("Sementara"), "no secret in events");
}

fn everyone_changes_their_own_password(app: &TestApp) {
    let city = app.city();
    let token = city.t("warga");
    let other = app.token("warga", PASSWORD);
    let change = |current: &str, new: &str| {
        app.post("/api/v1/auth/password", json!({ "current": current, "new": new }), Some(token))
    };
    assert_eq!(change("salah-salah-salah", "Kota-Baru-Sejahtera-2026").status, 401);
    assert_eq!(change(PASSWORD, PASSWORD).status, 422);
    assert_eq!(change(PASSWORD, "Kota-Baru-Sejahtera-2026").status, 204);
    assert_eq!(app.get("/api/v1/tickets", Some(token)).status, 200, "the session in use goes on");
    assert_eq!(app.get("/api/v1/tickets", Some(&other)).status, 401, "the others end");
    assert_eq!(app.post("/api/v1/auth/token", json!({ "username": "warga", "password": PASSWORD }), None).status, 401);
    assert_eq!(
        app.post("/api/v1/auth/token", json!({ "username": "warga", "password": "Kota-Baru-Sejahtera-2026" }), None)
            .status,
        200
    );
}

fn units_and_services_are_renamed_and_retired(app: &TestApp) {
    let city = app.city();
    let (admin, agent) = (city.t("admin"), city.t("t1_disdik"));
    let r = app.patch("/api/v1/units/DISDIK", json!({ "name": "Dinas Pendidikan dan Kebudayaan" }), Some(admin));
    assert_eq!((r.status, r.str("name")), (200, "Dinas Pendidikan dan Kebudayaan"));
    let earlier = app.ticket(agent, json!({ "unit": "DISDIK", "service": "PPDB" }));
    let r = app.patch("/api/v1/services/PPDB", json!({ "active": false }), Some(admin));
    assert_eq!((r.status, r.body["active"].clone()), (200, json!(false)));
    // Gone from intake: the API refuses it, the portal no longer offers it; history keeps it.
    let r = app.open_ticket(agent, json!({ "unit": "DISDIK", "service": "PPDB" }));
    assert_eq!((r.status, r.field()), (422, Some("service")), "{:?}", r.body);
    let portal = ureq::get(&format!("{}/", app.base)).call().expect("portal").into_string().unwrap_or_default();
    assert!(!portal.contains("value=\"PPDB\""), "a retired service is not offered");
    assert_eq!(app.get(&format!("/api/v1/tickets/{earlier}"), Some(agent)).body["service"], "PPDB");
    let listed = app.get("/api/v1/services", Some(admin)).items();
    assert!(listed.iter().any(|s| s["code"] == "PPDB" && s["active"] == false), "kept, marked retired");
    assert_eq!(app.patch("/api/v1/units/DISDIK", json!({ "active": false }), Some(admin)).status, 200);
    let r = app.open_ticket(agent, json!({ "unit": "DISDIK" }));
    assert_eq!((r.status, r.field()), (422, Some("unit")));
    assert!(!ureq::get(&format!("{}/", app.base))
        .call()
        .expect("portal")
        .into_string()
        .unwrap_or_default()
        .contains("value=\"DISDIK\""));
    let r = app.patch("/api/v1/units/DISKOMINFO", json!({ "active": false }), Some(admin));
    assert_eq!((r.status, r.field()), (422, Some("active")), "the tier-2 unit stays");
    assert_eq!(app.patch("/api/v1/units/DINKES", json!({ "name": "x" }), Some(city.t("sup_kominfo"))).status, 403);
    assert_eq!(app.patch("/api/v1/units/NOPE", json!({ "name": "x" }), Some(admin)).status, 404);
    assert_eq!(events_of_kind(app, "unit.updated").len(), 2);
    assert_eq!(events_of_kind(app, "service.updated").len(), 1);
}

fn the_console_leads_a_temporary_password_to_a_change(app: &TestApp) {
    let city = app.city();
    let r = app.post(
        "/api/v1/users/t1_dinkes/password",
        json!({ "password": "Sementara-Dinkes-77" }),
        Some(city.t("admin")),
    );
    assert_eq!(r.status, 200);
    let agent = ureq::AgentBuilder::new().redirects(0).build();
    let response = match crate::helpers::post_login(&agent, &app.base, "t1_dinkes", "Sementara-Dinkes-77") {
        Ok(r) => r,
        Err(e) => match *e {
            ureq::Error::Status(_, r) => r,
            other => panic!("{other}"),
        },
    };
    assert_eq!(response.status(), 403);
    let csrf_cookie = response.all("Set-Cookie").into_iter().find(|c| c.starts_with("meja_csrf=")).map(str::to_string);
    let page = response.into_string().unwrap_or_default();
    assert!(page.contains("action=\"/masuk/ganti-sandi\"") && page.contains("value=\"t1_dinkes\""), "{page}");
    let start = page.find("name=\"csrf\" value=\"").expect("csrf") + "name=\"csrf\" value=\"".len();
    let csrf = page[start..].split('"').next().unwrap_or_default().to_string();
    // The sign-in form's cookie carries the token the page repeats.
    let cookie = csrf_cookie.unwrap_or_else(|| format!("meja_csrf={csrf}"));
    let cookie = cookie.split(';').next().unwrap_or_default().to_string();
    let changed = agent
        .post(&format!("{}/masuk/ganti-sandi", app.base))
        .set("Cookie", &cookie)
        .set("Origin", &app.base)
        .send_form(&[
            ("csrf", &csrf),
            ("username", "t1_dinkes"),
            ("current", "Sementara-Dinkes-77"),
            ("new", "Sandi-Sendiri-Dinkes-88"),
            ("repeat", "Sandi-Sendiri-Dinkes-88"),
        ])
        .expect("change");
    assert_eq!(changed.status(), 303);
    assert_eq!(changed.header("Location"), Some("/konsol"));
    assert!(changed.all("Set-Cookie").iter().any(|c| c.starts_with("meja_sesi=")), "signed in");
    assert_eq!(
        app.post("/api/v1/auth/token", json!({ "username": "t1_dinkes", "password": "Sandi-Sendiri-Dinkes-88" }), None)
            .status,
        200
    );
}

/// The token of the newest reset mail to `address`, read from the outbox as the mailer would.
fn reset_token_for(app: &TestApp, address: &str) -> Option<String> {
    app.mailed_link_token("password_reset", address)
}

fn reset_mails(app: &TestApp) -> usize {
    app.desk
        .read_blocking(|conn| {
            use diesel::prelude::*;
            use meja::db::schema::outbox;
            Ok(outbox::table.filter(outbox::template.eq("password_reset")).count().get_result::<i64>(conn)?)
        })
        .expect("count") as usize
}

fn a_forgotten_password_is_reset_by_a_single_use_link(app: &TestApp) {
    let city = app.city();
    let old_token = city.t("t1_dinkes");
    // The same answer for an account that exists, one that does not, and one without e-mail.
    for login in ["t1_dinkes", "nobody", "nobody@example.go.id"] {
        let r = app.post("/api/v1/auth/password-reset", json!({ "login": login }), None);
        assert_eq!(r.status, 202, "{login}");
        assert_eq!(
            r.body["detail"],
            app.post("/api/v1/auth/password-reset", json!({ "login": "x" }), None).body["detail"]
        );
    }
    assert_eq!(reset_mails(app), 1, "only the real account gets a mail");
    let token = reset_token_for(app, "t1_dinkes@example.go.id").expect("a link");
    let stored = app.all_events();
    assert!(!serde_json::to_string(&stored.iter().map(|e| &e.data).collect::<Vec<_>>())
        .unwrap_or_default()
        .contains(&token));
    let confirm = |token: &str, new: &str| {
        app.post("/api/v1/auth/password-reset/confirm", json!({ "token": token, "new": new }), None)
    };
    let r = confirm(&token, "pendek");
    assert_eq!((r.status, r.field()), (422, Some("password")));
    assert_eq!(confirm(&token, "Sandi-Pulih-Dinkes-2026").status, 204);
    assert_eq!(app.get("/api/v1/tickets", Some(old_token)).status, 401, "every session ended");
    assert_eq!(
        app.post("/api/v1/auth/token", json!({ "username": "t1_dinkes", "password": "Sandi-Pulih-Dinkes-2026" }), None)
            .status,
        200
    );
    // Single use.
    let r = confirm(&token, "Sandi-Lain-Dinkes-2026");
    assert_eq!((r.status, r.field()), (422, Some("token")));
    assert_eq!(confirm("bukan-token", "Sandi-Lain-Dinkes-2026").field(), Some("token"));
    // Valid 30 minutes.
    app.clock.advance(chrono::Duration::minutes(1));
    app.post("/api/v1/auth/password-reset", json!({ "login": "t1_dinkes@example.go.id" }), None);
    let late = reset_token_for(app, "t1_dinkes@example.go.id").expect("a second link");
    assert_ne!(late, token);
    app.clock.advance(chrono::Duration::minutes(31));
    assert_eq!(confirm(&late, "Sandi-Lain-Dinkes-2026").field(), Some("token"));
    // At most three links an hour for one person.
    for _ in 0..5 {
        app.post("/api/v1/auth/password-reset", json!({ "login": "t1b_dinkes" }), None);
    }
    assert_eq!(reset_mails(app), 2 + 3);
    let kinds: Vec<String> = app.all_events().into_iter().map(|e| e.kind).collect();
    assert!(
        kinds.contains(&"user.password_reset".to_string())
            && kinds.contains(&"user.password_reset_requested".to_string())
    );
}

fn a_person_sees_their_sessions_and_signs_out_elsewhere(app: &TestApp) {
    let city = app.city();
    let first = city.t("t1_dinkes");
    let phone = ureq::post(&format!("{}/api/v1/auth/token", app.base))
        .set("User-Agent", "Mozilla/5.0 (Android 14) AppleWebKit/537.36 Chrome/156.0 Mobile Safari/537.36")
        .send_json(json!({ "username": "t1_dinkes", "password": PASSWORD }))
        .expect("token")
        .into_json::<Value>()
        .expect("json")["token"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let listed = app.get("/api/v1/auth/sessions", Some(first)).items();
    assert_eq!(listed.len(), 2, "{listed:?}");
    assert_eq!(listed.iter().filter(|s| s["current"] == true).count(), 1);
    let mobile = listed.iter().find(|s| s["browser"] == "Chrome").expect("the phone's session");
    assert!(
        mobile["address"].as_str().is_some_and(|a| a.starts_with("127.0.0.1")) && mobile["last_used_at"].is_string()
    );
    // Another person's: only an admin.
    assert_eq!(app.get("/api/v1/auth/sessions?user=t1_dinkes", Some(city.t("t1b_dinkes"))).status, 403);
    assert_eq!(app.get("/api/v1/auth/sessions?user=t1_dinkes", Some(city.t("admin"))).items().len(), 2);
    // Signing out everywhere else: the phone's session ends, this one goes on.
    let r = app.raw("DELETE", "/api/v1/auth/sessions", None, Some(first));
    assert_eq!((r.status, r.body["ended"].clone()), (200, json!(1)));
    assert_eq!(app.get("/api/v1/tickets", Some(&phone)).status, 401);
    assert_eq!(app.get("/api/v1/tickets", Some(first)).status, 200);
    // An admin ends all of someone's.
    let r = app.raw("DELETE", "/api/v1/auth/sessions?user=t1_dinkes", None, Some(city.t("admin")));
    assert_eq!(r.body["ended"], 1);
    assert_eq!(app.get("/api/v1/tickets", Some(first)).status, 401);
    assert!(app.all_events().iter().any(|e| e.kind == "user.sessions_ended"));
    // The console shows them on the person's own page.
    let page = crate::helpers::Browser::sign_in(app, "t1b_dinkes", PASSWORD).get("/konsol/sandi");
    assert!(page.body.contains("Sesi dan token Anda") && page.body.contains("sesi ini"), "{}", page.body);
}

//! Issue 20: free text of audit events that outlived anonymisation (and old events holding it),
//! identities anybody could overwrite, knowledge-base drafts that carried the requester, a
//! cancelled pause that looked breached, and "did this help?" votes without limit or trace.

use diesel::connection::SimpleConnection;
use serde_json::{json, Value};

use crate::both_databases;
use crate::helpers::TestApp;
use meja::desk::audit::{verify, Verdict};

both_databases!(
    old_events_keep_verifying_and_their_text_is_erased,
    public_intake_never_rewrites_a_requester,
    a_draft_from_a_ticket_leaves_the_requester_out,
    a_cancelled_pause_is_not_a_breach,
    one_vote_per_visitor_and_article,
);

const NAME: &str = "Rina Wati";
const EMAIL: &str = "rina.wati@example.com";
const PHONE: &str = "0813-1111-2222";
const NIK: &str = "6171012345670001";

fn identifying(text: &str) -> Option<&'static str> {
    let lower = text.to_lowercase();
    ["rina", "wati", EMAIL, PHONE, "081311112222", NIK].into_iter().find(|w| lower.contains(w))
}

fn verify_now(app: &TestApp) -> Verdict {
    app.desk.read_blocking(verify).expect("verify runs")
}

fn execute(app: &TestApp, sql: &str) {
    let sql = sql.to_string();
    app.desk.read_blocking(move |conn| Ok(conn.batch_execute(&sql)?)).expect("sql runs");
}

/// Appends an event the way the desk wrote them before free text was kept apart: the data
/// verbatim, hashed into the chain.
fn append_old_event(app: &TestApp, ticket_id: Option<String>, kind: &str, data: Value) {
    let kind = kind.to_string();
    app.desk
        .writer
        .write_blocking(move |tx| {
            let mut head = meja::db::events::lock_chain_head(tx.conn)?;
            let at = tx.now.naive_utc();
            meja::db::events::append_and_move_head(
                tx.conn,
                &mut head,
                [(ticket_id.as_deref(), None, kind.as_str(), &data, at)],
            )?;
            Ok(())
        })
        .expect("old event");
}

fn events_of_kind(app: &TestApp, kind: &str) -> Vec<Value> {
    app.all_events()
        .into_iter()
        .filter(|e| e.kind == kind)
        .map(|e| serde_json::from_str(&e.data).expect("event data"))
        .collect()
}

fn old_events_keep_verifying_and_their_text_is_erased(app: &TestApp) {
    let city = app.city();
    let (agent, sup) = (city.t("t1_dinkes"), city.t("sup_kominfo"));
    let ok = |r: crate::helpers::Reply| assert!(r.status < 300, "{:?}", r.body);
    let number = app.ticket(agent, json!({ "requester": { "name": NAME, "email": EMAIL, "phone": PHONE } }));
    let ticket_id = app.ticket_row(&number).id;
    // Staff free text of the new kind: kept apart from its event from the start.
    ok(app.act(&number, "start", json!({}), agent));
    ok(app.act(&number, "pend", json!({ "reason": format!("Menunggu KTP {NAME}, NIK {NIK}") }), agent));
    ok(app.act(&number, "resume", json!({}), agent));
    ok(app.post(
        &format!("/api/v1/tickets/{number}/flag"),
        json!({ "personal_data_breach": true, "reason": format!("Data {NAME} bocor") }),
        Some(sup),
    ));
    ok(app.post(
        &format!("/api/v1/tickets/{number}/breach-notified"),
        json!({ "note": format!("{NAME} diberi tahu lewat {EMAIL}") }),
        Some(sup),
    ));
    for e in app.all_events() {
        assert_eq!(identifying(&e.data), None, "a new event holds no free text: {} {}", e.seq, e.kind);
    }
    // Somebody else's ticket, with a text of its own.
    let other = app.ticket(agent, json!({}));
    ok(app.act(&other, "start", json!({}), agent));
    ok(app.act(&other, "pend", json!({ "reason": "Menunggu berkas" }), agent));

    // A database from before the fix: events with the text inside, and no upgrade recorded.
    append_old_event(
        app,
        Some(ticket_id.clone()),
        "ticket.cancelled",
        json!({ "from_status": "open", "to_status": "cancelled", "reason": format!("Ganda, {NAME} NIK {NIK} {PHONE}") }),
    );
    append_old_event(
        app,
        Some(ticket_id.clone()),
        "mail.bounced",
        json!({ "from": "mailer-daemon@kota.go.id", "subject": format!("Undeliverable: {EMAIL}") }),
    );
    append_old_event(
        app,
        Some(ticket_id.clone()),
        "kb.article_created",
        json!({ "slug": "akun-rina-wati-terkunci", "visibility": "internal" }),
    );
    append_old_event(app, None, "unit.created", json!({ "code": "DISPORA" }));
    execute(app, "DELETE FROM audit_upgrades");
    assert!(app.all_events().iter().any(|e| e.data.contains(NIK)), "the old way: the text is in the event");
    assert!(matches!(verify_now(app), Verdict::Intact { .. }), "the old chain verifies as it is");
    let old_head = app.desk.read_blocking(|conn| Ok(meja::db::events::read_chain_head(conn)?)).expect("head");

    // Starting meja (here: `meja audit verify`) upgrades it once, and it verifies.
    let out = app.meja(&["audit", "verify"]);
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(out.status.success() && stdout.contains("intact"), "{stdout}");
    for e in app.all_events() {
        assert_eq!(identifying(&e.data), None, "moved out: {} {} {}", e.seq, e.kind, e.data);
    }
    let relinked = events_of_kind(app, "audit.relinked");
    assert_eq!(relinked.len(), 1);
    assert_eq!(
        (relinked[0]["old_head"]["seq"].as_i64(), relinked[0]["texts_moved"].as_i64()),
        (Some(old_head.seq), Some(3))
    );
    assert_eq!(relinked[0]["old_head"]["hash"], json!(old_head.hash), "the old head is on record");
    let upgrade = app
        .desk
        .read_blocking(|conn| Ok(meja::db::audit_texts::upgrade(conn, "free_text_separated")?))
        .expect("upgrade")
        .expect("recorded");
    assert_eq!(upgrade.old_head_hash.as_deref(), Some(old_head.hash.as_str()));
    assert!(matches!(verify_now(app), Verdict::Intact { ref erased_texts, .. } if erased_texts.is_empty()));
    assert!(app.meja(&["audit", "verify"]).status.success());
    assert_eq!(events_of_kind(app, "audit.relinked").len(), 1, "once only");
    // Until erasure, staff read the text as it was written.
    let events = app.get(&format!("/api/v1/tickets/{number}/events"), Some(sup));
    assert_eq!(events.status, 200);
    let text = events.body.to_string();
    assert!(text.contains(NIK) && text.contains("akun-rina-wati-terkunci") && text.contains(EMAIL), "{text}");

    // Her words are in the search index until she is anonymised.
    let found = |q: &str| {
        let items = app.get(&format!("/api/v1/tickets?q={q}"), Some(sup)).items();
        items.iter().any(|t| t["number"] == number.as_str())
    };
    assert!(found("login%20error"));

    // Anonymised: the texts of her tickets' events go, the chain stays.
    let r = app.post(
        "/api/v1/personal-data/anonymise",
        json!({ "email": EMAIL, "reason": "Permintaan tertulis" }),
        Some(sup),
    );
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body["event_texts_erased"], 6, "pend, flag, notified and the three old ones: {:?}", r.body);
    assert!(!found("login%20error"), "the redacted words are gone from the search index");
    let events = app.get(&format!("/api/v1/tickets/{number}/events"), Some(sup));
    assert_eq!(identifying(&events.body.to_string()), None, "{}", events.body);
    let erased_fields: Vec<String> = events
        .items()
        .iter()
        .flat_map(|e| e["texts_erased"].as_array().cloned().unwrap_or_default())
        .filter_map(|f| f["field"].as_str().map(str::to_string))
        .collect();
    for field in ["reason", "note", "subject", "slug"] {
        assert!(erased_fields.iter().any(|f| f == field), "{field} erased: {erased_fields:?}");
    }
    let Verdict::Intact { erased_texts, .. } = verify_now(app) else { panic!("the chain verifies after erasure") };
    assert_eq!(erased_texts.len(), 6);
    assert!(erased_texts.iter().any(|t| t.kind == "ticket.cancelled" && t.field == "reason"));
    let out = app.meja(&["audit", "verify"]);
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(out.status.success() && stdout.contains("text erased: the subject of event"), "{stdout}");
    // Somebody else's text is still there, and still checked.
    let other_events = app.get(&format!("/api/v1/tickets/{other}/events"), Some(sup));
    assert!(other_events.body.to_string().contains("Menunggu berkas"));
    let other_id = app.ticket_row(&other).id;
    let texts = app
        .desk
        .read_blocking(move |conn| Ok(meja::db::audit_texts::unerased_of_tickets(conn, &[other_id])?))
        .expect("texts");
    assert_eq!(texts.len(), 1);
    let id = &texts[0];
    execute(app, &format!("UPDATE audit_texts SET body = 'Menunggu berkas lain' WHERE id = '{id}'"));
    assert!(matches!(verify_now(app), Verdict::Broken { ref reason, .. } if reason.contains("altered")));
    execute(app, &format!("UPDATE audit_texts SET body = 'Menunggu berkas' WHERE id = '{id}'"));
    assert!(matches!(verify_now(app), Verdict::Intact { .. }));
    // Erasing a text without an anonymisation saying so is tampering.
    execute(app, &format!("UPDATE audit_texts SET body = NULL, salt = NULL, erased_at = created_at WHERE id = '{id}'"));
    assert!(matches!(verify_now(app), Verdict::Broken { ref reason, .. } if reason.contains("no anonymisation")));
}

fn public_intake_never_rewrites_a_requester(app: &TestApp) {
    let city = app.city();
    let (agent, other_unit, head, sup) =
        (city.t("t1_dinkes"), city.t("t1_disdik"), city.t("head_dinkes"), city.t("sup_kominfo"));
    let number = app.ticket(agent, json!({ "requester": { "name": NAME, "email": EMAIL, "phone": PHONE } }));
    let before = app.get(&format!("/api/v1/tickets/{number}"), Some(agent));
    let requester_id = before.body["requester"]["id"].as_str().expect("requester id").to_string();
    let events_before = app.all_events().len();

    // Anybody, not signed in, with her address and another name, number and language.
    let r = app.post(
        "/api/v1/public/tickets",
        json!({ "kind": "information", "title": "Info", "description": "Halo", "unit": "DINKES",
                "requester": { "name": "Penyamar", "email": EMAIL, "phone": "0899-0000-0000", "language": "en" } }),
        None,
    );
    assert_eq!(r.status, 201, "{:?}", r.body);
    let theirs = r.str("number").to_string();
    let after = app.get(&format!("/api/v1/tickets/{number}"), Some(agent));
    assert_eq!(after.body["requester"], before.body["requester"], "her record is as it was");
    let joined = app.get(&format!("/api/v1/tickets/{theirs}"), Some(agent));
    assert_eq!(joined.body["requester"]["id"], json!(requester_id), "the ticket joins her record");
    assert_eq!(joined.body["requester"]["name"], NAME);
    let row = app
        .desk
        .read_blocking({
            let id = requester_id.clone();
            move |conn| Ok(meja::db::catalog::requester_by_id(conn, &id)?)
        })
        .expect("read")
        .expect("requester");
    assert_eq!(row.language, None, "nor her language");
    assert!(app.all_events()[events_before..].iter().all(|e| e.kind != "requester.updated"));

    // A change is staff's, scoped, and audited without the values.
    let path = format!("/api/v1/requesters/{requester_id}");
    assert_eq!(app.patch(&path, json!({ "name": "X" }), None).status, 401);
    assert_eq!(app.patch(&path, json!({ "name": "X" }), Some(other_unit)).status, 404, "not a ticket of theirs");
    assert_eq!(app.patch(&path, json!({ "name": "X" }), Some(city.t("warga"))).status, 404);
    assert_eq!(app.patch(&path, json!({ "name": "X" }), Some(head)).status, 403);
    let bad = app.patch(&path, json!({ "phone": "bukan nomor" }), Some(agent));
    assert_eq!((bad.status, bad.field()), (422, Some("phone")), "{:?}", bad.body);
    assert_eq!(app.patch(&path, json!({}), Some(agent)).status, 422);
    let r = app.patch(&path, json!({ "name": "Rina Wati Susanti", "language": "en" }), Some(agent));
    assert_eq!((r.status, r.str("name")), (200, "Rina Wati Susanti"), "{:?}", r.body);
    let r = app.patch(&path, json!({ "phone": "" }), Some(sup));
    assert_eq!((r.status, r.body["phone"].clone()), (200, Value::Null), "{:?}", r.body);
    let updates = events_of_kind(app, "requester.updated");
    assert_eq!(updates.len(), 2);
    assert_eq!(updates[0]["fields"], json!(["name", "language"]));
    assert_eq!(updates[1]["fields"], json!(["phone"]));
    assert!(updates.iter().all(|u| identifying(&u.to_string()).is_none()), "{updates:?}");
    assert!(matches!(verify_now(app), Verdict::Intact { .. }));
}

fn a_draft_from_a_ticket_leaves_the_requester_out(app: &TestApp) {
    let city = app.city();
    let (agent, sup) = (city.t("t1_dinkes"), city.t("sup_kominfo"));
    let number = app.ticket(
        agent,
        json!({ "title": format!("Akun {NAME} terkunci"),
                "description": format!("Saya {NAME}, e-mail {EMAIL}, telepon {PHONE}. Akun SIMPUS terkunci."),
                "requester": { "name": NAME, "email": EMAIL, "phone": PHONE } }),
    );
    assert_eq!(
        app.post(
            &format!("/api/v1/tickets/{number}/messages"),
            json!({ "body": format!("Bu {NAME}, akun sudah dibuka.") }),
            Some(agent)
        )
        .status,
        201
    );
    let r = app.post(&format!("/api/v1/tickets/{number}/kb-article"), json!({}), Some(agent));
    assert_eq!(r.status, 201, "{:?}", r.body);
    for key in ["slug", "title", "body", "body_html", "excerpt"] {
        assert_eq!(identifying(r.str(key)), None, "{key}: {}", r.str(key));
    }
    assert!(r.str("body").contains("Akun SIMPUS terkunci"), "the problem is kept");
    assert!(r.str("warning").contains("review"), "{:?}", r.body);
    assert!(r.str("body").starts_with("> Draf dari tiket"));
    let slug = r.str("slug").to_string();

    // A writer puts her name back in by hand; anonymising her reaches the draft.
    let path = format!("/api/v1/kb/articles/{slug}");
    let edited = app.patch(&path, json!({ "body": format!("Hubungi {NAME} di {EMAIL}.") }), Some(agent));
    assert_eq!(edited.status, 200, "{:?}", edited.body);
    let r = app.post("/api/v1/personal-data/anonymise", json!({ "email": EMAIL, "reason": "Permintaan" }), Some(sup));
    assert_eq!((r.status, r.body["articles_scrubbed"].as_i64()), (200, Some(1)), "{:?}", r.body);
    let article = app.get(&path, Some(agent));
    assert_eq!(article.status, 200);
    assert_eq!(identifying(&article.body.to_string()), None, "{}", article.body);
    assert!(matches!(verify_now(app), Verdict::Intact { .. }));
}

fn a_cancelled_pause_is_not_a_breach(app: &TestApp) {
    let city = app.city();
    let agent = city.t("t1_dinkes");
    let ok = |r: crate::helpers::Reply| assert!(r.status < 300, "{:?}", r.body);
    let paused = app.ticket(agent, json!({}));
    ok(app.act(&paused, "start", json!({}), agent));
    // Answered in time, so only the resolution clock is in question.
    ok(app.post(
        &format!("/api/v1/tickets/{paused}/messages"),
        json!({ "body": "Mohon kirim foto layar." }),
        Some(agent),
    ));
    ok(app.act(&paused, "pend", json!({ "reason": "Menunggu pelapor" }), agent));
    let running = app.ticket(agent, json!({}));
    ok(app.act(&running, "start", json!({}), agent));
    // Long past both resolution targets; one waited on the requester all along.
    app.clock.advance(chrono::Duration::days(30));
    let agent = &app.token("t1_dinkes", crate::helpers::PASSWORD);
    ok(app.act(&paused, "cancel", json!({ "reason": "Tidak ada kabar" }), agent));
    ok(app.act(&running, "cancel", json!({ "reason": "Ganda" }), agent));
    let state =
        |n: &str| app.get(&format!("/api/v1/tickets/{n}"), Some(agent)).body["sla"]["state"]["resolution"].clone();
    assert_eq!(state(&paused), "met", "the pause counts up to the cancellation");
    let detail = app.get(&format!("/api/v1/tickets/{paused}"), Some(agent)).body;
    assert_eq!(detail["sla"]["state"]["first_response"], "met", "{detail}");
    assert_eq!(state(&running), "breached");
    let listed = |breached: bool| -> Vec<String> {
        app.get(&format!("/api/v1/tickets?breached={breached}&status=cancelled&limit=200"), Some(agent))
            .items()
            .iter()
            .filter_map(|t| t["number"].as_str().map(str::to_string))
            .collect()
    };
    assert!(listed(true).contains(&running) && !listed(true).contains(&paused), "{:?}", listed(true));
    assert!(listed(false).contains(&paused) && !listed(false).contains(&running), "{:?}", listed(false));
}

/// A public vote with the visitor's cookie, if any; the reply and the cookie it set.
fn vote(app: &TestApp, slug: &str, helpful: bool, cookie: Option<&str>) -> (u16, Value, Option<String>) {
    let mut req = ureq::post(&format!("{}/api/v1/public/kb/{slug}/feedback", app.base));
    if let Some(c) = cookie {
        req = req.set("Cookie", c);
    }
    let response =
        match req.set("Content-Type", "application/json").send_string(&json!({ "helpful": helpful }).to_string()) {
            Ok(r) => r,
            Err(ureq::Error::Status(_, r)) => r,
            Err(e) => panic!("vote: {e}"),
        };
    let set = response.header("Set-Cookie").map(|c| c.split(';').next().unwrap_or_default().to_string());
    let status = response.status();
    let body = serde_json::from_str(&response.into_string().unwrap_or_default()).unwrap_or(Value::Null);
    (status, body, set)
}

fn one_vote_per_visitor_and_article(app: &TestApp) {
    let city = app.city();
    let agent = city.t("t1_dinkes");
    let r = app.post(
        "/api/v1/kb/articles",
        json!({ "title": "Cara daftar antrean", "body": "Buka aplikasi.", "visibility": "public" }),
        Some(agent),
    );
    assert_eq!(r.status, 201, "{:?}", r.body);
    let slug = r.str("slug").to_string();
    let (status, body, cookie) = vote(app, &slug, true, None);
    assert_eq!((status, body["counted"].as_bool(), body["helpful"].as_i64()), (200, Some(true), Some(1)), "{body}");
    let cookie = cookie.expect("a visitor cookie is set");
    assert!(cookie.starts_with("meja_pengunjung="));
    // The same visitor again, either way: not counted.
    for helpful in [true, false, true] {
        let (status, body, again) = vote(app, &slug, helpful, Some(&cookie));
        assert_eq!((status, body["counted"].as_bool()), (200, Some(false)), "{body}");
        assert_eq!((body["helpful"].as_i64(), body["not_helpful"].as_i64()), (Some(1), Some(0)));
        assert!(again.is_none(), "the cookie stays");
    }
    // Another visitor counts.
    let (_, body, _) = vote(app, &slug, false, None);
    assert_eq!(
        (body["counted"].as_bool(), body["helpful"].as_i64(), body["not_helpful"].as_i64()),
        (Some(true), Some(1), Some(1))
    );
    // Each counted vote is in the audit log, without who cast it.
    let votes = events_of_kind(app, "kb.voted");
    assert_eq!(votes.len(), 2);
    assert_eq!(votes.iter().filter(|v| v["helpful"] == true).count(), 1);
    assert!(votes.iter().all(|v| v.as_object().is_some_and(|m| m.len() == 2)), "{votes:?}");
    assert!(matches!(verify_now(app), Verdict::Intact { .. }));
}

//! Issue 17: the bearer tokens of concurrent requests are checked together, in one read. Each
//! request must still hear about its own token — never another's — and a token switched off
//! is refused from the next request on, as when every request read alone.

use std::sync::Barrier;

use diesel::prelude::*;
use meja::db::schema::users;
use meja::db::tokens::{self, TokenRow};
use meja::desk::auth::sha256_hex;
use meja::desk::token_checks::read_group;
use serde_json::json;

use crate::helpers::{spawn_app, Backend, TestApp, PASSWORD};

/// What a request with `token` must get from `GET /api/v1/auth/me`: whose it is, or 401.
type Case = (String, Option<&'static str>);

/// Sends every case `rounds` times from as many threads at once; each checks its own answer.
fn send_together(app: &TestApp, cases: &[Case], rounds: usize) {
    let requests: Vec<&Case> = cases.iter().cycle().take(cases.len() * rounds).collect();
    let start = Barrier::new(requests.len());
    std::thread::scope(|s| {
        for (token, owner) in &requests {
            let start = &start;
            s.spawn(move || {
                start.wait();
                let r = app.get("/api/v1/auth/me", Some(token));
                match owner {
                    Some(username) => {
                        assert_eq!(r.status, 200, "{username}: {:?}", r.body);
                        assert_eq!(r.str("username"), *username, "a request heard about another's token");
                    }
                    None => assert_eq!(r.status, 401, "a dead token was let in: {:?}", r.body),
                }
            });
        }
    });
}

fn metric(app: &TestApp, name: &str) -> f64 {
    let text = app.get("/metrics", None).body.as_str().unwrap_or_default().to_string();
    text.lines()
        .find_map(|l| l.strip_prefix(name).and_then(|rest| rest.trim().parse().ok()))
        .unwrap_or_else(|| panic!("{name} missing from /metrics"))
}

fn concurrent_requests_each_hear_about_their_own_token(backend: Backend) {
    let Some(app) = spawn_app(backend) else { return };
    let city = app.city();
    let admin = city.t("admin").to_string();
    // A token signed out, a person switched off, a token never issued.
    let signed_out = app.token("t1b_dinkes", PASSWORD);
    assert_eq!(app.delete("/api/v1/auth/token", Some(&signed_out)).status, 204);
    let switched_off = city.t("head_disdik").to_string();
    assert_eq!(app.patch("/api/v1/users/head_disdik", json!({ "active": false }), Some(&admin)).status, 200);
    let cases: Vec<Case> = vec![
        (city.t("t1_dinkes").into(), Some("t1_dinkes")),
        (city.t("t2_kominfo").into(), Some("t2_kominfo")),
        (city.t("warga").into(), Some("warga")),
        (signed_out, None),
        (switched_off, None),
        ("never-issued-0123456789abcdef".into(), None),
        // The same live token twice in a group: both requests are let in.
        (city.t("t1_dinkes").into(), Some("t1_dinkes")),
    ];
    let (checks_before, reads_before) =
        (metric(&app, "meja_token_checks_total"), metric(&app, "meja_token_check_reads_total"));
    send_together(&app, &cases, 6);
    let checks = metric(&app, "meja_token_checks_total") - checks_before;
    let reads = metric(&app, "meja_token_check_reads_total") - reads_before;
    assert!(checks >= (cases.len() * 6) as f64, "{checks} checks counted for {} requests", cases.len() * 6);
    assert!((1.0..=checks).contains(&reads), "{reads} reads for {checks} checks");

    // Signed out between two bursts: refused from the next burst on, its neighbours unaffected.
    let t2 = city.t("t2_kominfo").to_string();
    assert_eq!(app.delete("/api/v1/auth/token", Some(&t2)).status, 204);
    let cases: Vec<Case> = vec![
        (t2, None),
        (city.t("t1_dinkes").into(), Some("t1_dinkes")),
        (city.t("sup_kominfo").into(), Some("sup_kominfo")),
    ];
    send_together(&app, &cases, 8);
}

/// A token stored for `username` straight in the database, valid until `hours` from now
/// (negative: expired); its id.
fn stored_token(app: &TestApp, username: &str, secret: &str, hours: i64) -> String {
    let now = app.desk.now().naive_utc();
    let (name, secret) = (username.to_string(), secret.to_string());
    app.desk
        .read_blocking(move |conn| {
            let user = meja::db::catalog::user_by_username(conn, &name)?.expect("user");
            let row = TokenRow {
                id: uuid::Uuid::now_v7().to_string(),
                user_id: user.id,
                token_hash: sha256_hex(&secret),
                label: "test".into(),
                created_at: now - chrono::Duration::hours(48),
                expires_at: now + chrono::Duration::hours(hours),
                revoked_at: None,
                address: None,
                user_agent: None,
                last_used_at: None,
            };
            tokens::insert(conn, &row)?;
            Ok(row.id)
        })
        .expect("token stored")
}

/// One read answers every token of a group, each in its place: live ones with their owner,
/// an expired one, one whose person was switched off without its tokens being revoked (an
/// account changed straight in the database), and an unknown one with none.
fn one_read_answers_each_token_in_its_place(backend: Backend) {
    let Some(app) = spawn_app(backend) else { return };
    let city = app.city();
    stored_token(&app, "t1_disdik", "expired-secret", -1);
    // Two live tokens of one person: each must come back with its own id.
    let first_of_two = stored_token(&app, "warga_lain", "first-of-two", 24);
    let second_of_two = stored_token(&app, "warga_lain", "second-of-two", 24);
    stored_token(&app, "head_dinkes", "switched-off-secret", 24);
    app.desk
        .read_blocking(|conn| {
            diesel::update(users::table.filter(users::username.eq("head_dinkes")))
                .set(users::active.eq(false))
                .execute(conn)?;
            Ok(())
        })
        .expect("switched off");
    let asked = [
        (city.t("warga").to_string(), Some("warga")),
        ("expired-secret".to_string(), None),
        (city.t("t1_dinkes").to_string(), Some("t1_dinkes")),
        ("switched-off-secret".to_string(), None),
        ("never-issued".to_string(), None),
        (city.t("warga").to_string(), Some("warga")),
        (city.t("sup_kominfo").to_string(), Some("sup_kominfo")),
        ("second-of-two".to_string(), Some("warga_lain")),
        ("first-of-two".to_string(), Some("warga_lain")),
    ];
    let hashes: Vec<String> = asked.iter().map(|(t, _)| sha256_hex(t)).collect();
    let owners = read_group(&app.desk.pool, app.desk.clock.as_ref(), &hashes).expect("read");
    assert_eq!(owners.len(), asked.len());
    for ((_, expected), owner) in asked.iter().zip(&owners) {
        assert_eq!(owner.as_ref().map(|(actor, _)| actor.username.as_str()), *expected);
    }
    let token_id = |i: usize| owners[i].as_ref().map(|(_, id)| id.clone());
    assert_eq!(token_id(asked.len() - 2), Some(second_of_two));
    assert_eq!(token_id(asked.len() - 1), Some(first_of_two));
}

#[test]
fn one_read_answers_each_token_in_its_place_sqlite() {
    one_read_answers_each_token_in_its_place(Backend::Sqlite);
}

#[test]
fn one_read_answers_each_token_in_its_place_postgres() {
    one_read_answers_each_token_in_its_place(Backend::Postgres);
}

#[test]
fn concurrent_requests_each_hear_about_their_own_token_sqlite() {
    concurrent_requests_each_hear_about_their_own_token(Backend::Sqlite);
}

#[test]
fn concurrent_requests_each_hear_about_their_own_token_postgres() {
    concurrent_requests_each_hear_about_their_own_token(Backend::Postgres);
}

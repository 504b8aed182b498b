//! The live console's event stream (issue 15): a change reaches the open pages of those who may
//! see the ticket, and only theirs; a colleague writing a reply is told.

use std::io::BufRead;
use std::sync::mpsc;
use std::time::Duration;

use serde_json::json;

use crate::both_databases;
use crate::helpers::{Browser, TestApp, PASSWORD};

both_databases!(changes_reach_the_viewers_who_may_see_them, old_news_is_not_told);

/// A ticket created before anybody listened is not told as a change when the first page
/// opens the stream (its reply form would ask "changed since you opened it?" for nothing).
fn old_news_is_not_told(app: &TestApp) {
    let city = app.city();
    let before = app.ticket(city.t("sup_kominfo"), json!({ "title": "Dilaporkan sebelum halaman dibuka" }));
    let stream = listen(app, "t1_dinkes");
    let after = app.ticket(city.t("sup_kominfo"), json!({ "title": "Dilaporkan sesudahnya" }));
    let (_, data) = next_about_any(&stream, &[&before, &after]);
    assert_eq!(data["number"], after.as_str(), "the older ticket was told as news: {data}");
}

/// The next event about one of `numbers`, within 10 s.
fn next_about_any(
    stream: &mpsc::Receiver<(String, serde_json::Value)>,
    numbers: &[&str],
) -> (String, serde_json::Value) {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        let (event, data) = stream.recv_timeout(left).unwrap_or_else(|_| panic!("no event about {numbers:?} in 10 s"));
        if numbers.iter().any(|n| data["number"] == *n) {
            return (event, data);
        }
    }
}

/// Opens the stream as `username` and passes on its `event:`/`data:` pairs as they come.
fn listen(app: &TestApp, username: &str) -> mpsc::Receiver<(String, serde_json::Value)> {
    let browser = Browser::sign_in(app, username, PASSWORD);
    let response = browser
        .agent
        .get(&format!("{}/konsol/langsung", browser.base))
        .set("Cookie", &browser.cookie)
        .call()
        .expect("the stream opens");
    assert_eq!(response.content_type(), "text/event-stream");
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        let mut event = String::new();
        for line in std::io::BufReader::new(response.into_reader()).lines() {
            let Ok(line) = line else { return };
            if let Some(name) = line.strip_prefix("event: ") {
                event = name.to_string();
            } else if let Some(data) = line.strip_prefix("data: ") {
                let value = serde_json::from_str(data).unwrap_or(serde_json::Value::Null);
                if sender.send((event.clone(), value)).is_err() {
                    return;
                }
            }
        }
    });
    receiver
}

/// The next event about `number` (others are skipped), within 10 s.
fn next_about(stream: &mpsc::Receiver<(String, serde_json::Value)>, number: &str) -> (String, serde_json::Value) {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        let (event, data) = stream.recv_timeout(left).unwrap_or_else(|_| panic!("no event about {number} in 10 s"));
        if data["number"] == number {
            return (event, data);
        }
    }
}

fn changes_reach_the_viewers_who_may_see_them(app: &TestApp) {
    let city = app.city();
    let dinkes = listen(app, "t1_dinkes");
    let disdik = listen(app, "t1_disdik");
    // Opened by another client; the unit's agent hears of it.
    let number = app.ticket(city.t("sup_kominfo"), json!({ "title": "Server SIMPUS mati" }));
    let (event, data) = next_about(&dinkes, &number);
    assert_eq!((event.as_str(), data["kind"].as_str()), ("ticket", Some("ticket.created")), "{data}");
    // A change in place: the same viewer hears of it too.
    assert!(app.act(&number, "assign", json!({ "username": "t1_dinkes" }), city.t("sup_kominfo")).status < 300);
    let (_, data) = next_about(&dinkes, &number);
    assert_eq!(data["kind"], "ticket.assigned");
    assert_eq!(data["actor"], "sup_kominfo");
    // Another unit hears of its own ticket, never of DINKES's (which came first).
    let theirs = app.ticket(city.t("t1_disdik"), json!({ "unit": "DISDIK" }));
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        let (_, data) = disdik.recv_timeout(left).expect("DISDIK's own ticket is told");
        assert_ne!(data["number"], number.as_str(), "another unit's ticket leaked to DISDIK");
        if data["number"] == theirs.as_str() {
            break;
        }
    }

    // Typing: the page says who is writing a reply.
    app.clock.advance(chrono::Duration::seconds(2));
    let writer = Browser::sign_in(app, "t1_dinkes", PASSWORD);
    let page = format!("/konsol/tiket/{number}");
    let csrf = writer.csrf(&page);
    let head = listen(app, "head_dinkes");
    std::thread::sleep(Duration::from_millis(400));
    let r = writer.post(&format!("{page}/mengetik"), &[("csrf", &csrf)]);
    assert_eq!(r.status, 204, "{}", r.body);
    let (event, data) = next_about(&head, &number);
    assert_eq!((event.as_str(), data["actor"].as_str()), ("typing", Some("t1_dinkes")), "{data}");
    // Another unit may not say it types there.
    let other = Browser::sign_in(app, "t1_disdik", PASSWORD);
    let other_csrf = other.csrf("/konsol");
    assert_eq!(other.post(&format!("{page}/mengetik"), &[("csrf", &other_csrf)]).status, 404);
    // Requesters have no console stream.
    let anonymous = ureq::get(&format!("{}/konsol/langsung", app.base)).call();
    assert!(!matches!(anonymous, Ok(ref r) if r.content_type() == "text/event-stream"), "signed-in staff only");
}

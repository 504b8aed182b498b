//! Issue 19 with a real Prometheus Alertmanager (Debian's `prometheus-alertmanager`; its path
//! in `MEJA_TEST_ALERTMANAGER`, which `scripts/test` sets after installing it): alerts pushed to
//! it through its API reach meja through its webhook, with the bearer token, firing and then
//! resolved, on both databases.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::helpers::{spawn_app_with, Backend, TestApp};

const TOKEN: &str = "token-alertmanager-uji-0123456789";

/// An Alertmanager on a loopback port of its own, stopped when dropped.
struct Alertmanager {
    child: Child,
    url: String,
    _dir: tempfile_dir::Dir,
}

mod tempfile_dir {
    pub struct Dir(pub std::path::PathBuf);
    impl Dir {
        pub fn new() -> Dir {
            let path = std::env::temp_dir().join(format!("meja-alertmanager-{}", uuid::Uuid::now_v7().simple()));
            std::fs::create_dir_all(&path).expect("temp dir");
            Dir(path)
        }
    }
    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

impl Drop for Alertmanager {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port()
}

fn start_alertmanager(binary: &str, meja: &TestApp) -> Alertmanager {
    let dir = tempfile_dir::Dir::new();
    // Short waits so the test sees a notification within seconds; resolved ones are sent too.
    let config = format!(
        "route:\n  receiver: meja\n  group_by: ['alertname', 'service']\n  group_wait: 1s\n  group_interval: 1s\n  repeat_interval: 1h\n\
         receivers:\n- name: meja\n  webhook_configs:\n  - url: {}/api/v1/alerts/alertmanager\n    send_resolved: true\n    \
         http_config:\n      authorization:\n        type: Bearer\n        credentials: {TOKEN}\n",
        meja.base
    );
    std::fs::write(dir.0.join("alertmanager.yml"), config).expect("config");
    let port = free_port();
    let child = Command::new(binary)
        .arg(format!("--config.file={}", dir.0.join("alertmanager.yml").display()))
        .arg(format!("--storage.path={}", dir.0.join("data").display()))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        // No gossip with other Alertmanagers: this one is alone and on loopback.
        .arg("--cluster.listen-address=")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start alertmanager");
    let url = format!("http://127.0.0.1:{port}");
    let am = Alertmanager { child, url, _dir: dir };
    let deadline = Instant::now() + Duration::from_secs(20);
    while ureq::get(&format!("{}/-/ready", am.url)).call().is_err() {
        assert!(Instant::now() < deadline, "alertmanager did not start");
        std::thread::sleep(Duration::from_millis(100));
    }
    am
}

/// Pushes one alert to Alertmanager's API (v2); an end time in the past resolves it.
fn push(am: &Alertmanager, service: &str, summary: &str, resolved: bool) {
    let now = chrono::Utc::now();
    let mut alert = json!({
        "labels": { "alertname": "LayananMati", "service": service, "severity": "critical" },
        "annotations": { "summary": summary },
        "startsAt": (now - chrono::Duration::minutes(5)).to_rfc3339(),
    });
    if resolved {
        alert["endsAt"] = json!((now - chrono::Duration::seconds(1)).to_rfc3339());
    }
    ureq::post(&format!("{}/api/v2/alerts", am.url)).send_json(json!([alert])).expect("push to alertmanager");
}

/// Waits (up to 30 s) until meja's alert list for `service` satisfies `done`.
fn wait_for(app: &TestApp, admin: &str, service: &str, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let listed = app.get("/api/v1/alerts", Some(admin)).items();
        if let Some(alert) = listed.into_iter().find(|a| a["service_label"] == service && done(a)) {
            return alert;
        }
        assert!(Instant::now() < deadline, "Alertmanager's notification for {service} did not arrive");
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn state_of(app: &TestApp, code: &str) -> String {
    let status = app.get(&format!("/api/v1/public/status/{code}"), None);
    status.str("state").to_string()
}

fn alerts_from_a_real_alertmanager(backend: Backend) {
    let Ok(binary) = std::env::var("MEJA_TEST_ALERTMANAGER") else {
        eprintln!("skipped: MEJA_TEST_ALERTMANAGER is not set (scripts/test installs prometheus-alertmanager)");
        return;
    };
    let Some(app) = spawn_app_with(backend, crate::helpers::monday_0800(), |s| {
        s.alert_token = Some(meja::config::Secret::new(TOKEN));
    }) else {
        return;
    };
    let city = app.city();
    let admin = city.t("admin");
    assert_eq!(app.patch("/api/v1/services/PPDB", json!({ "alert_declares": true }), Some(admin)).status, 200);
    let am = start_alertmanager(&binary, &app);

    push(&am, "SIMPUS", "SIMPUS tidak merespons", false);
    push(&am, "PPDB", "PPDB mengembalikan HTTP 502", false);
    let simpus = wait_for(&app, admin, "SIMPUS", |a| a["status"] == "firing");
    let number = simpus["ticket"].as_str().expect("a problem ticket").to_string();
    let row = app.ticket_row(&number);
    assert_eq!((row.kind.as_str(), row.tier), ("problem", 2));
    assert_eq!(simpus["source"], "alertmanager");
    wait_for(&app, admin, "PPDB", |a| a["status"] == "firing");
    assert_eq!(state_of(&app, "PPDB"), "major_outage", "PPDB declares on alerts");
    assert_eq!(state_of(&app, "SIMPUS"), "normal", "SIMPUS does not");

    push(&am, "SIMPUS", "SIMPUS tidak merespons", true);
    push(&am, "PPDB", "PPDB mengembalikan HTTP 502", true);
    wait_for(&app, admin, "SIMPUS", |a| a["status"] == "resolved");
    wait_for(&app, admin, "PPDB", |a| a["status"] == "resolved");
    assert_eq!(state_of(&app, "PPDB"), "normal", "the resolved alert ends what it declared");
    let ticket = app.get(&format!("/api/v1/tickets/{number}"), Some(city.t("t2_kominfo")));
    let notes: Vec<String> = ticket.body["messages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| m["body"].as_str().map(str::to_string))
        .collect();
    assert!(notes.iter().any(|b| b.contains("selesai")), "the resolution is noted on the ticket: {notes:?}");
    assert_eq!(app.ticket_row(&number).status, "new", "a person closes the ticket");
}

#[test]
fn alerts_from_a_real_alertmanager_sqlite() {
    alerts_from_a_real_alertmanager(Backend::Sqlite);
}

#[test]
fn alerts_from_a_real_alertmanager_postgres() {
    alerts_from_a_real_alertmanager(Backend::Postgres);
}

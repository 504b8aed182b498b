//! `spawn_app()`: the whole desk on port 0 with a fresh database, SQLite or PostgreSQL, and a
//! clock the test moves. Typed helpers for the calls the tests make.

use std::io::Write;
use std::sync::{Arc, Once};

use chrono::{DateTime, Utc};
use meja::clock::ManualClock;
use meja::config::{Secret, Settings};
use meja::desk::Desk;
use serde_json::{json, Value};

pub const ADMIN_PASSWORD: &str = "Admin-Uji-2026!";
pub const PASSWORD: &str = "Rahasia-Kuat-2026!";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub struct TestApp {
    pub base: String,
    pub desk: Desk,
    pub clock: ManualClock,
    pub backend: Backend,
    pub database_url: String,
    _dir: tempfile_dir::TempDir,
    handle: actix_web::dev::ServerHandle,
    server_thread: Option<std::thread::JoinHandle<()>>,
    pg_admin: Option<(String, String)>,
}

/// A small temporary directory helper, to avoid a dependency for one use.
pub mod tempfile_dir {
    pub struct TempDir(pub std::path::PathBuf);
    impl TempDir {
        pub fn new() -> TempDir {
            let dir = std::env::temp_dir().join(format!("meja-test-{}", uuid::Uuid::now_v7()));
            std::fs::create_dir_all(&dir).expect("temp dir");
            TempDir(dir)
        }
    }
    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

/// Written straight to the terminal (not through the test harness's capture) so that a plain
/// `cargo test` says what it skipped.
fn announce_skip() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let _ = writeln!(
            std::io::stderr(),
            "\nSKIPPED: the PostgreSQL half of the API tests (set MEJA_TEST_DATABASE_URL=postgres://… to run it; scripts/test does)\n"
        );
    });
}

pub fn postgres_base_url() -> Option<String> {
    std::env::var("MEJA_TEST_DATABASE_URL").ok().filter(|u| !u.is_empty())
}

/// A Monday morning in Jakarta: 2026-11-23 08:00 WIB.
pub fn monday_0800() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-23T08:00:00+07:00").expect("time").with_timezone(&Utc)
}

/// `None` when the backend is PostgreSQL and no server is configured (the test then passes
/// after saying so).
pub fn spawn_app(backend: Backend) -> Option<TestApp> {
    spawn_app_at(backend, monday_0800())
}

pub fn spawn_app_at(backend: Backend, start: DateTime<Utc>) -> Option<TestApp> {
    spawn_app_with(backend, start, |_| {})
}

/// The same with settings adjusted; background jobs are off unless the test turns them on
/// (tests run the scheduler's passes themselves, after moving the clock).
pub fn spawn_app_with(backend: Backend, start: DateTime<Utc>, tweak: impl FnOnce(&mut Settings)) -> Option<TestApp> {
    let dir = tempfile_dir::TempDir::new();
    let (database_url, pg_admin) = match backend {
        Backend::Sqlite => (format!("sqlite://{}/meja.db", dir.0.display()), None),
        Backend::Postgres => {
            let Some(base) = postgres_base_url() else {
                announce_skip();
                return None;
            };
            let name = format!("meja_test_{}", uuid::Uuid::now_v7().simple());
            let mut admin =
                meja::db::DbUrl::parse(&base).expect("postgres url").connect().expect("connect to postgres");
            use diesel::connection::SimpleConnection;
            admin.batch_execute(&format!("CREATE DATABASE {name}")).expect("create test database");
            let (prefix, _) = base.rsplit_once('/').expect("url with a database");
            (format!("{prefix}/{name}"), Some((base.clone(), name)))
        }
    };
    let settings = Settings {
        database_url: Secret::new(database_url.clone()),
        bind: "127.0.0.1:0".into(),
        admin_password: Some(Secret::new(ADMIN_PASSWORD)),
        pool_size: 4,
        workers: Some(2),
        jobs: false,
        // Tests that need two-factor sign-in turn it on themselves.
        two_factor_roles: Vec::new(),
        ..Settings::default()
    };
    let mut settings = settings;
    tweak(&mut settings);
    let clock = ManualClock::starting_at(start);
    let app_clock = clock.clone();
    let (sender, receiver) = std::sync::mpsc::channel();
    let server_thread = std::thread::spawn(move || {
        let system = actix_web::rt::System::new();
        system.block_on(async move {
            let app = meja::Application::build(&settings, Arc::new(app_clock)).expect("app builds");
            sender.send((app.port(), app.desk.clone(), app.server_handle())).expect("send port");
            let _ = app.run_until_stopped().await;
        });
    });
    let (port, desk, handle) = receiver.recv().expect("app started");
    Some(TestApp {
        base: format!("http://127.0.0.1:{port}"),
        desk,
        clock,
        backend,
        database_url,
        _dir: dir,
        handle,
        server_thread: Some(server_thread),
        pg_admin,
    })
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let handle = self.handle.clone();
        actix_web::rt::System::new().block_on(handle.stop(false));
        // Wait for the server's thread and close the writers' connections before the test
        // process can exit: the PostgreSQL client library crashes when it is torn down by the
        // exit while another thread still closes a connection.
        if let Some(thread) = self.server_thread.take() {
            let _ = thread.join();
        }
        self.desk.writer.shutdown();
        self.desk.token_checks.shutdown();
        if let Some((base, name)) = self.pg_admin.take() {
            if let Ok(mut admin) = meja::db::DbUrl::parse(&base).and_then(|u| u.connect()) {
                use diesel::connection::SimpleConnection;
                let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
            }
        }
    }
}

fn reply_of(result: Result<ureq::Response, ureq::Error>, what: &str) -> Reply {
    let response = match result {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("{what}: {e}"),
    };
    let status = response.status();
    let content_type = response.header("Content-Type").unwrap_or_default().to_string();
    let text = response.into_string().unwrap_or_default();
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    Reply { status, content_type, body }
}

/// What came back: status, content type, parsed body (JSON, or the text as a string).
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub content_type: String,
    pub body: Value,
}

impl Reply {
    pub fn is_problem(&self) -> bool {
        self.content_type.starts_with("application/problem+json")
    }
    pub fn field(&self) -> Option<&str> {
        self.body.get("field").and_then(Value::as_str)
    }
    pub fn str(&self, key: &str) -> &str {
        self.body.get(key).and_then(Value::as_str).unwrap_or_default()
    }
    pub fn items(&self) -> Vec<Value> {
        self.body.get("items").and_then(Value::as_array).cloned().unwrap_or_default()
    }
}

impl TestApp {
    pub fn raw(&self, method: &str, path: &str, body: Option<&[u8]>, token: Option<&str>) -> Reply {
        let mut req = ureq::request(method, &format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.set("Authorization", &format!("Bearer {t}"));
        }
        let result = match body {
            Some(bytes) => req.set("Content-Type", "application/json").send_bytes(bytes),
            None => req.call(),
        };
        reply_of(result, &format!("{method} {path}"))
    }

    pub fn get(&self, path: &str, token: Option<&str>) -> Reply {
        self.raw("GET", path, None, token)
    }

    /// A `multipart/form-data` POST: `files` are (field, file name, type, bytes).
    pub fn post_form(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        files: &[(&str, &str, &str, &[u8])],
        token: Option<&str>,
    ) -> Reply {
        let (kind, body) = multipart_files(fields, files);
        let mut req = ureq::post(&format!("{}{path}", self.base)).set("Content-Type", &kind);
        if let Some(t) = token {
            req = req.set("Authorization", &format!("Bearer {t}"));
        }
        reply_of(req.send_bytes(&body), path)
    }

    /// A GET whose body is kept as bytes (a download), with the headers asked for.
    pub fn download(&self, path: &str, token: Option<&str>) -> (u16, String, String, Vec<u8>) {
        let mut req = ureq::get(&format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.set("Authorization", &format!("Bearer {t}"));
        }
        let response = match req.call() {
            Ok(r) => r,
            Err(ureq::Error::Status(_, r)) => r,
            Err(e) => panic!("GET {path}: {e}"),
        };
        let status = response.status();
        let kind = response.header("Content-Type").unwrap_or_default().to_string();
        let disposition = response.header("Content-Disposition").unwrap_or_default().to_string();
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut response.into_reader(), &mut bytes).expect("read the download");
        (status, kind, disposition, bytes)
    }

    pub fn post(&self, path: &str, body: Value, token: Option<&str>) -> Reply {
        self.raw("POST", path, Some(body.to_string().as_bytes()), token)
    }

    pub fn patch(&self, path: &str, body: Value, token: Option<&str>) -> Reply {
        self.raw("PATCH", path, Some(body.to_string().as_bytes()), token)
    }

    pub fn delete(&self, path: &str, token: Option<&str>) -> Reply {
        self.raw("DELETE", path, None, token)
    }

    /// One scheduler pass at the test clock's time, as `meja serve` runs them.
    pub fn sweep(&self) -> meja::desk::scheduler::SweepReport {
        self.desk.reload_rules().expect("reload rules");
        meja::desk::scheduler::sweep_blocking(&self.desk, 50).expect("sweep")
    }

    /// The stored row of a ticket.
    pub fn ticket_row(&self, number: &str) -> meja::db::tickets::TicketRow {
        let n = number.to_string();
        self.desk
            .read_blocking(move |conn| Ok(meja::db::tickets::by_number(conn, &n)?))
            .expect("read")
            .unwrap_or_else(|| panic!("no ticket {number}"))
    }

    /// The notices queued for a ticket, oldest first.
    pub fn outbox_of(&self, number: &str) -> Vec<meja::db::outbox::OutboxRow> {
        let id = self.ticket_row(number).id;
        self.desk.read_blocking(move |conn| Ok(meja::db::outbox::for_ticket(conn, &id)?)).expect("outbox")
    }

    /// The link token of the newest mail of `template` (`password_reset`, `account_invitation`)
    /// to `address`, read from the outbox as the mailer would.
    pub fn mailed_link_token(&self, template: &str, address: &str) -> Option<String> {
        let (template, address) = (template.to_string(), address.to_string());
        let rows = self
            .desk
            .read_blocking(move |conn| {
                use diesel::prelude::*;
                use meja::db::schema::outbox;
                Ok(outbox::table
                    .filter(outbox::template.eq(template))
                    .filter(outbox::recipient.eq(address))
                    .order(outbox::created_at.desc())
                    .select(outbox::payload)
                    .load::<String>(conn)?)
            })
            .expect("outbox");
        rows.first()
            .and_then(|p| serde_json::from_str::<Value>(p).ok())
            .and_then(|v| v["reset_token"].as_str().map(str::to_string))
    }

    /// Every audit event, oldest first.
    pub fn all_events(&self) -> Vec<meja::db::events::EventRow> {
        let mut out = Vec::new();
        loop {
            let after = out.last().map_or(0, |e: &meja::db::events::EventRow| e.seq);
            let page = self
                .desk
                .read_blocking(move |conn| Ok(meja::db::events::page_after(conn, after, 1000)?))
                .expect("events");
            if page.is_empty() {
                return out;
            }
            out.extend(page);
        }
    }

    /// Runs the `meja` binary against this test's database.
    pub fn meja(&self, args: &[&str]) -> std::process::Output {
        self.meja_command(args).output().expect("run meja")
    }

    pub fn meja_command(&self, args: &[&str]) -> std::process::Command {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_meja"));
        cmd.args(args)
            .env("MEJA_DATABASE_URL", &self.database_url)
            .env("RUST_LOG", "warn")
            .env_remove("MEJA_CONFIG")
            .current_dir(&self._dir.0);
        cmd
    }

    pub fn token(&self, username: &str, password: &str) -> String {
        let r = self.post("/api/v1/auth/token", json!({ "username": username, "password": password }), None);
        assert_eq!(r.status, 200, "login {username}: {:?}", r.body);
        r.str("token").to_string()
    }

    pub fn admin(&self) -> String {
        self.token("admin", ADMIN_PASSWORD)
    }

    /// Diskominfo (tier 2), DINKES and DISDIK with a service each, and staff in every role.
    pub fn city(&self) -> City {
        self.city_without_tokens_for(&[])
    }

    /// The same city; the people in `no_token` get no token (a test signs them in its own way).
    pub fn city_without_tokens_for(&self, no_token: &[&str]) -> City {
        let admin = self.admin();
        for (code, name, tier2) in [
            ("DISKOMINFO", "Dinas Komunikasi dan Informatika", true),
            ("DINKES", "Dinas Kesehatan", false),
            ("DISDIK", "Dinas Pendidikan", false),
        ] {
            let r = self.post("/api/v1/units", json!({ "code": code, "name": name, "tier2": tier2 }), Some(&admin));
            assert_eq!(r.status, 201, "{:?}", r.body);
        }
        for (code, unit) in [("SIMPUS", "DINKES"), ("PPDB", "DISDIK")] {
            let r = self.post("/api/v1/services", json!({ "code": code, "name": code, "unit": unit }), Some(&admin));
            assert_eq!(r.status, 201, "{:?}", r.body);
        }
        let people = [
            ("t1_dinkes", "agent_t1", Some("DINKES")),
            ("t1b_dinkes", "agent_t1", Some("DINKES")),
            ("t1_disdik", "agent_t1", Some("DISDIK")),
            ("t2_kominfo", "agent_t2", Some("DISKOMINFO")),
            ("sup_kominfo", "supervisor", Some("DISKOMINFO")),
            ("head_dinkes", "unit_head", Some("DINKES")),
            ("head_disdik", "unit_head", Some("DISDIK")),
            ("warga", "requester", None),
            ("warga_lain", "requester", None),
        ];
        let mut tokens = std::collections::HashMap::new();
        for (username, role, unit) in people {
            let r = self.post(
                "/api/v1/users",
                json!({ "username": username, "name": username, "email": format!("{username}@example.go.id"), "password": PASSWORD, "role": role, "unit": unit }),
                Some(&admin),
            );
            assert_eq!(r.status, 201, "{username}: {:?}", r.body);
            if !no_token.contains(&username) {
                tokens.insert(username.to_string(), self.token(username, PASSWORD));
            }
        }
        tokens.insert("admin".into(), admin);
        City { tokens }
    }

    pub fn open_ticket(&self, token: &str, extra: Value) -> Reply {
        let mut body = json!({
            "kind": "incident", "title": "SIMPUS tidak bisa login", "description": "Sejak pagi muncul error 500.",
            "unit": "DINKES", "impact": "medium", "urgency": "medium",
            "requester": { "name": "Budi Santoso", "email": "budi@example.com" },
        });
        if let (Some(target), Some(more)) = (body.as_object_mut(), extra.as_object()) {
            for (k, v) in more {
                target.insert(k.clone(), v.clone());
            }
        }
        self.post("/api/v1/tickets", body, Some(token))
    }

    /// Opens a ticket and returns its number, asserting success.
    pub fn ticket(&self, token: &str, extra: Value) -> String {
        let r = self.open_ticket(token, extra);
        assert_eq!(r.status, 201, "{:?}", r.body);
        r.str("number").to_string()
    }

    pub fn act(&self, number: &str, action: &str, body: Value, token: &str) -> Reply {
        self.post(&format!("/api/v1/tickets/{number}/{action}"), body, Some(token))
    }

    pub fn ticket_count(&self) -> i64 {
        self.desk.read_blocking(|conn| Ok(meja::db::tickets::count(conn)?)).expect("count")
    }
}

pub struct City {
    pub tokens: std::collections::HashMap<String, String>,
}

impl City {
    pub fn t(&self, username: &str) -> &str {
        self.tokens.get(username).map(String::as_str).unwrap_or_default()
    }
}

/// A browser without redirects or a cookie jar: the session cookie is carried by hand.
pub struct Browser {
    pub agent: ureq::Agent,
    pub base: String,
    pub cookie: String,
}

pub struct Page {
    pub status: u16,
    pub location: String,
    pub body: String,
}

pub fn answer(result: Result<ureq::Response, ureq::Error>) -> Page {
    let response = match result {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("{e}"),
    };
    Page {
        status: response.status(),
        location: response.header("Location").unwrap_or_default().to_string(),
        body: response.into_string().unwrap_or_default(),
    }
}

pub use crate::login::{post_login, post_login_next};

impl Browser {
    pub fn sign_in(app: &TestApp, username: &str, password: &str) -> Browser {
        let agent = ureq::AgentBuilder::new().redirects(0).build();
        let response =
            post_login(&agent, &app.base, username, password).unwrap_or_else(|e| panic!("sign in {username}: {e}"));
        assert_eq!(response.status(), 303, "sign in {username}");
        let cookie = response
            .all("Set-Cookie")
            .into_iter()
            .find(|c| c.starts_with("meja_sesi="))
            .expect("session cookie")
            .to_string();
        assert!(cookie.contains("HttpOnly"), "{cookie}");
        let cookie = cookie.split(';').next().unwrap_or_default().to_string();
        Browser { agent, base: app.base.clone(), cookie }
    }

    pub fn get(&self, path: &str) -> Page {
        answer(self.agent.get(&format!("{}{path}", self.base)).set("Cookie", &self.cookie).call())
    }

    pub fn post(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        answer(self.agent.post(&format!("{}{path}", self.base)).set("Cookie", &self.cookie).send_form(fields))
    }

    /// The form token of this session, read from a page's hidden input.
    pub fn csrf(&self, path: &str) -> String {
        let page = self.get(path);
        assert_eq!(page.status, 200, "{path}: {}", page.body);
        let start = page.body.find("name=\"csrf\" value=\"").expect("a csrf field") + "name=\"csrf\" value=\"".len();
        page.body[start..].split('"').next().unwrap_or_default().to_string()
    }
}

/// Runs a test body once on SQLite and once on PostgreSQL.
#[macro_export]
macro_rules! both_databases {
    ($($name:ident),+ $(,)?) => {
        $(
            mod $name {
                #[test]
                fn sqlite() {
                    if let Some(app) = $crate::helpers::spawn_app($crate::helpers::Backend::Sqlite) {
                        super::$name(&app);
                    }
                }
                #[test]
                fn postgres() {
                    if let Some(app) = $crate::helpers::spawn_app($crate::helpers::Backend::Postgres) {
                        super::$name(&app);
                    }
                }
            }
        )+
    };
}

/// A multipart body as a browser sends a form with a file: `file` is (field, file name, type, bytes).
pub fn multipart(fields: &[(&str, &str)], file: Option<(&str, &str, &str, &[u8])>) -> (String, Vec<u8>) {
    multipart_files(fields, file.as_slice())
}

/// The same with any number of files, each (field, file name, type, bytes).
pub fn multipart_files(fields: &[(&str, &str)], files: &[(&str, &str, &str, &[u8])]) -> (String, Vec<u8>) {
    let boundary = "----mejaTestBoundary7MA4YWxkTrZu0gW";
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes(),
        );
    }
    for (field, filename, kind, bytes) in files {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{filename}\"\r\nContent-Type: {kind}\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// A second `meja serve` on the test's database, stopped when dropped.
pub struct Second {
    child: std::process::Child,
    pub base: String,
}

impl Drop for Second {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn second_process(app: &TestApp) -> Second {
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port();
    let child = app
        .meja_command(&["serve", "--no-jobs"])
        .env("MEJA_BIND", format!("127.0.0.1:{port}"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start a second meja");
    let second = Second { child, base: format!("http://127.0.0.1:{port}") };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while ureq::get(&format!("{}/healthz", second.base)).call().is_err() {
        assert!(std::time::Instant::now() < deadline, "the second process did not start");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    second
}

//! Issue 14, single sign-on through a real OpenID Connect provider (`oidc-provider` from npm,
//! tests/sso/provider.mjs, started here on a free loopback port): a person signs in on the
//! provider's own login page and comes back signed in, with the role and unit of their groups;
//! an unmapped person, a local account's name, a replayed or foreign callback are refused and
//! logged. `scripts/test` installs the provider (`MEJA_TEST_SSO=1`); without it this is skipped.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use meja::config::{OidcSettings, Secret, Settings};
use serde_json::json;

use crate::helpers::{monday_0800, spawn_app_with, Backend, TestApp};

/// meja's public address as the provider knows it; the test carries the browser's callback
/// to the test server's real port.
const PUBLIC_URL: &str = "http://127.0.0.1:18099";

struct ProviderProcess {
    child: Child,
    issuer: String,
}

impl Drop for ProviderProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_provider() -> Option<ProviderProcess> {
    if std::env::var("MEJA_TEST_SSO").ok().as_deref() != Some("1") {
        eprintln!("skipped: set MEJA_TEST_SSO=1 once tests/sso has its node_modules (scripts/test does)");
        return None;
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0").ok()?.local_addr().ok()?.port();
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sso/provider.mjs");
    let mut child = Command::new("node")
        .arg(script)
        .env("OIDC_PORT", port.to_string())
        .env("OIDC_REDIRECT_URIS", format!("{PUBLIC_URL}/masuk/sso/callback"))
        .env("OIDC_POST_LOGOUT_URIS", format!("{PUBLIC_URL}/masuk"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("node runs the provider");
    let stdout = child.stdout.take().expect("stdout");
    let mut reader = BufReader::new(stdout);
    let mut line = String::new();
    reader.read_line(&mut line).expect("the provider starts");
    assert!(line.contains("listening"), "{line}");
    // Keep reading what it prints: a closed pipe would kill it at its next line.
    std::thread::spawn(move || std::io::copy(&mut reader, &mut std::io::sink()));
    Some(ProviderProcess { child, issuer: format!("http://127.0.0.1:{port}") })
}

fn sso_app(backend: Backend, issuer: &str) -> Option<TestApp> {
    let settings = OidcSettings {
        issuer: issuer.to_string(),
        client_id: "meja".into(),
        client_secret: Secret::new("meja-sso-rahasia-2026"),
        groups_claim: "groups".into(),
    };
    spawn_app_with(backend, monday_0800(), move |s: &mut Settings| {
        s.oidc = Some(settings);
        s.public_url = PUBLIC_URL.into();
    })
}

/// A browser without redirects: it keeps cookies per host, as a browser does.
struct Browser {
    agent: ureq::Agent,
    jar: HashMap<String, HashMap<String, String>>,
}

struct Step {
    status: u16,
    location: Option<String>,
    body: String,
}

impl Browser {
    fn new() -> Browser {
        Browser { agent: ureq::AgentBuilder::new().redirects(0).build(), jar: HashMap::new() }
    }

    fn host(url: &str) -> String {
        url.split('/').take(3).collect::<Vec<_>>().join("/")
    }

    fn cookies(&self, url: &str) -> String {
        self.jar
            .get(&Self::host(url))
            .map(|c| c.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; "))
            .unwrap_or_default()
    }

    fn keep(&mut self, url: &str, response: &ureq::Response) {
        for header in response.all("Set-Cookie") {
            let pair = header.split(';').next().unwrap_or_default();
            if let Some((name, value)) = pair.split_once('=') {
                let jar = self.jar.entry(Self::host(url)).or_default();
                if value.is_empty() || header.to_ascii_lowercase().contains("max-age=0") {
                    jar.remove(name.trim());
                } else {
                    jar.insert(name.trim().to_string(), value.to_string());
                }
            }
        }
    }

    fn finish(&mut self, url: &str, result: Result<ureq::Response, ureq::Error>) -> Step {
        let response = match result {
            Ok(r) => r,
            Err(ureq::Error::Status(_, r)) => r,
            Err(e) => panic!("{url}: {e}"),
        };
        self.keep(url, &response);
        let status = response.status();
        let location = response.header("Location").map(|l| {
            if l.starts_with('/') {
                format!("{}{l}", Self::host(url))
            } else {
                l.to_string()
            }
        });
        Step { status, location, body: response.into_string().unwrap_or_default() }
    }

    fn get(&mut self, url: &str) -> Step {
        let result = self.agent.get(url).set("Cookie", &self.cookies(url)).call();
        self.finish(url, result)
    }

    fn post_form(&mut self, url: &str, fields: &[(&str, &str)]) -> Step {
        let result = self.agent.post(url).set("Cookie", &self.cookies(url)).send_form(fields);
        self.finish(url, result)
    }
}

/// meja's address as the provider sends the browser back to it, moved to the test server.
fn to_app(app: &TestApp, url: &str) -> String {
    url.replacen(PUBLIC_URL, &app.base, 1)
}

/// From meja's "Masuk dengan SSO" through the provider's login page back to meja's callback;
/// returns the callback URL (not yet followed) and the browser.
fn through_the_provider(app: &TestApp, login: &str) -> (Browser, String) {
    let mut browser = Browser::new();
    let login_page = browser.get(&format!("{}/masuk", app.base));
    assert!(login_page.body.contains("Masuk dengan SSO"), "{}", login_page.body);
    let start = browser.get(&format!("{}/masuk/sso", app.base));
    assert_eq!(start.status, 303);
    let mut url = start.location.expect("to the provider");
    assert!(url.contains("code_challenge_method=S256") && url.contains("nonce=") && url.contains("state="), "{url}");
    // Follow the provider until its login form, sign in there, follow on until meja's callback.
    for _ in 0..10 {
        if url.starts_with(PUBLIC_URL) {
            return (browser, url);
        }
        let step = browser.get(&url);
        if step.status == 200 && step.body.contains("name=\"login\"") {
            let action = step.body.split("action=\"").nth(1).and_then(|a| a.split('"').next()).expect("form action");
            let action =
                if action.starts_with('/') { format!("{}{action}", Browser::host(&url)) } else { action.to_string() };
            let submitted =
                browser.post_form(&action, &[("prompt", "login"), ("login", login), ("password", "rahasia")]);
            url = submitted.location.expect("after the login form");
            continue;
        }
        url = step.location.unwrap_or_else(|| panic!("{url}: {} {}", step.status, step.body));
    }
    panic!("never came back to meja");
}

#[test]
fn single_sign_on_sqlite() {
    single_sign_on(Backend::Sqlite);
}

#[test]
fn single_sign_on_postgres() {
    single_sign_on(Backend::Postgres);
}

fn single_sign_on(backend: Backend) {
    let Some(provider) = start_provider() else { return };
    let Some(app) = sso_app(backend, &provider.issuer) else { return };
    let city = app.city();
    let admin = city.t("admin");
    let mappings = json!([{ "group": "sso-dinkes", "role": "agent_t1", "unit": "DINKES" }]);
    let r = app.raw("PUT", "/api/v1/directory/group-mappings", Some(mappings.to_string().as_bytes()), Some(admin));
    assert_eq!(r.status, 200);

    // Dewi signs in on the provider's page and lands in the console.
    let (mut browser, callback) = through_the_provider(&app, "dewi");
    let back = browser.get(&to_app(&app, &callback));
    assert_eq!(back.status, 303, "{}", back.body);
    assert_eq!(back.location.as_deref().map(|l| l.ends_with("/konsol")), Some(true), "{:?}", back.location);
    let console = browser.get(&format!("{}/konsol", app.base));
    assert_eq!(console.status, 200);
    assert!(console.body.contains("Dewi Anggraini"), "signed in as dewi");
    let users = app.get("/api/v1/users", Some(admin)).items();
    let dewi = users.iter().find(|u| u["username"] == "dewi").expect("made at the first sign-on");
    assert_eq!((dewi["role"].clone(), dewi["unit"].clone()), (json!("agent_t1"), json!("DINKES")));
    assert_eq!((dewi["name"].clone(), dewi["email"].clone()), (json!("Dewi Anggraini"), json!("dewi@kota.test")));
    assert_eq!(dewi["auth_source"], "oidc");

    // The same callback again (replayed state) is refused.
    let replay = browser.get(&to_app(&app, &callback));
    assert_eq!(replay.status, 401, "{}", replay.body);
    // A callback carried to another browser (no state cookie: login CSRF) is refused.
    let (_, fresh) = through_the_provider(&app, "dewi");
    let mut other = Browser::new();
    assert_eq!(other.get(&to_app(&app, &fresh)).status, 401);
    // A forged code with a real state is refused by the provider, and the state is spent.
    let (mut third, real) = through_the_provider(&app, "dewi");
    let forged = real.split("code=").next().unwrap_or_default().to_string()
        + "code=palsu&"
        + real.split('&').find(|p| p.starts_with("state=")).unwrap_or_default();
    assert_eq!(third.get(&to_app(&app, &forged)).status, 401);
    assert_eq!(third.get(&to_app(&app, &real)).status, 401, "the state was spent by the forged attempt");

    // Unmapped, and a local account's name: refused with a clear message, nothing made.
    let (mut browser_tamu, callback) = through_the_provider(&app, "tamu");
    let refused = browser_tamu.get(&to_app(&app, &callback));
    assert_eq!(refused.status, 403);
    assert!(refused.body.contains("Akun belum dipetakan"), "{}", refused.body);
    let (mut browser_admin, callback) = through_the_provider(&app, "admin");
    let refused = browser_admin.get(&to_app(&app, &callback));
    assert_eq!(refused.status, 403);
    assert!(refused.body.contains("akun lokal"), "{}", refused.body);
    app.admin(); // a local account still signs in (the helper asserts 200)

    // Signing out of meja also signs out at the provider.
    let csrf = {
        let page = browser.get(&format!("{}/konsol", app.base));
        let start = page.body.find("name=\"csrf\" value=\"").expect("csrf") + "name=\"csrf\" value=\"".len();
        page.body[start..].split('"').next().unwrap_or_default().to_string()
    };
    let out = browser.post_form(&format!("{}/keluar", app.base), &[("csrf", &csrf)]);
    assert_eq!(out.status, 303);
    let to = out.location.unwrap_or_default();
    assert!(
        to.starts_with(&format!("{}/session/end", provider.issuer)) && to.contains("post_logout_redirect_uri"),
        "{to}"
    );
    assert_eq!(browser.get(&format!("{}/konsol", app.base)).status, 303, "the session is over");

    // The sign-in log has every attempt, by method oidc.
    std::thread::sleep(std::time::Duration::from_millis(300));
    let log = app.get("/api/v1/auth/signins", Some(admin)).items();
    let oidc: Vec<_> = log.iter().filter(|e| e["method"] == "oidc").collect();
    assert!(oidc.iter().any(|e| e["username"] == "dewi" && e["outcome"] == "ok"), "{oidc:?}");
    assert!(
        oidc.iter().any(|e| e["outcome"] == "failed" && e["reason"].as_str().unwrap_or("").contains("state")),
        "{oidc:?}"
    );
    assert!(oidc.iter().any(|e| e["username"] == "tamu" && e["outcome"] == "refused"), "{oidc:?}");
}

#[test]
fn a_provider_that_is_down_is_said_so() {
    if std::env::var("MEJA_TEST_SSO").ok().as_deref() != Some("1") {
        return;
    }
    let Some(app) = sso_app(Backend::Sqlite, "http://127.0.0.1:1") else { return };
    let mut browser = Browser::new();
    let page = browser.get(&format!("{}/masuk/sso", app.base));
    assert_eq!(page.status, 503);
    assert!(page.body.contains("Layanan SSO tidak dapat dihubungi"), "{}", page.body);
    app.admin(); // a local account still signs in (the helper asserts 200)
}

use diesel::connection::SimpleConnection;
use serde_json::json;

use crate::both_databases;
use crate::helpers::TestApp;
use meja::desk::audit::{verify, Verdict};

both_databases!(audit_chain_detects_edits_and_deletions, migrations_go_down_and_up_again);

fn verify_now(app: &TestApp) -> Verdict {
    app.desk.read_blocking(verify).expect("verify runs")
}

fn cli_verify(app: &TestApp) -> (i32, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_meja"))
        .args(["audit", "verify"])
        .env("MEJA_DATABASE_URL", &app.database_url)
        .env("RUST_LOG", "error")
        .output()
        .expect("meja runs");
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).to_string())
}

fn execute(app: &TestApp, sql: &str) {
    let sql = sql.to_string();
    app.desk.read_blocking(move |conn| Ok(conn.batch_execute(&sql)?)).expect("sql runs");
}

fn audit_chain_detects_edits_and_deletions(app: &TestApp) {
    let city = app.city();
    let t1 = city.t("t1_dinkes");
    let n = app.ticket(t1, json!({}));
    app.act(&n, "start", json!({}), t1);
    app.act(&n, "escalate", json!({ "reason": "Butuh akses server" }), t1);
    let Verdict::Intact { events, .. } = verify_now(app) else { panic!("fresh chain must verify") };
    assert!(events > 15, "units, users, logins and ticket changes are all events: {events}");
    let (code, out) = cli_verify(app);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("intact"));

    // Editing any row — here one trailing space in the data of event 5 — is found.
    execute(app, "UPDATE events SET data = data || ' ' WHERE seq = 5");
    assert!(matches!(verify_now(app), Verdict::Broken { seq: 5, .. }));
    let (code, out) = cli_verify(app);
    assert_eq!(code, 1);
    assert!(out.contains("event 5"), "{out}");
    execute(app, "UPDATE events SET data = substr(data, 1, length(data) - 1) WHERE seq = 5");
    assert!(matches!(verify_now(app), Verdict::Intact { .. }));

    // Changing who did it is found too.
    execute(app, "UPDATE events SET actor_id = NULL WHERE seq = 7");
    assert!(matches!(verify_now(app), Verdict::Broken { seq: 7, .. }));
}

fn migrations_go_down_and_up_again(app: &TestApp) {
    let url = meja::db::DbUrl::parse(&app.database_url).expect("url");
    let mut conn = url.connect().expect("connect");
    // The app is running on this database; a second migrate is a no-op...
    assert_eq!(meja::db::migrate(&mut conn).expect("migrate"), 0);
    drop(conn);
    // ...and on a fresh database every migration goes up, down and up again.
    let fresh = match app.backend {
        crate::helpers::Backend::Sqlite => {
            let dir = crate::helpers::tempfile_dir::TempDir::new();
            let url = meja::db::DbUrl::parse(&format!("sqlite://{}/m.db", dir.0.display())).expect("url");
            let mut c = url.connect().expect("connect");
            meja::db::migrate(&mut c).expect("up");
            meja::db::redo_all_migrations(&mut c).expect("down and up");
            return;
        }
        crate::helpers::Backend::Postgres => crate::helpers::postgres_base_url(),
    };
    let Some(base) = fresh else { return };
    let mut admin = meja::db::DbUrl::parse(&base).expect("url").connect().expect("connect");
    let name = format!("meja_mig_{}", uuid::Uuid::now_v7().simple());
    admin.batch_execute(&format!("CREATE DATABASE {name}")).expect("create");
    let (prefix, _) = base.rsplit_once('/').expect("db in url");
    {
        let mut c = meja::db::DbUrl::parse(&format!("{prefix}/{name}")).expect("url").connect().expect("connect");
        meja::db::migrate(&mut c).expect("up");
        meja::db::redo_all_migrations(&mut c).expect("down and up");
    }
    admin.batch_execute(&format!("DROP DATABASE {name} WITH (FORCE)")).expect("drop");
}

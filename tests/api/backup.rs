//! `meja backup` under load and `meja restore`: every ticket acknowledged before the backup is
//! in the restored database and its audit chain verifies.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::json;

use crate::both_databases;
use crate::helpers::{postgres_base_url, Backend, TestApp};

fn meja_at(database_url: &str, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_meja"))
        .args(args)
        .env("MEJA_DATABASE_URL", database_url)
        .env("RUST_LOG", "warn")
        .env_remove("MEJA_CONFIG")
        .output()
        .expect("run meja")
}

both_databases!(a_backup_taken_under_load_restores_whole);

fn a_backup_taken_under_load_restores_whole(app: &TestApp) {
    let city = app.city();
    let token = city.t("t1_dinkes").to_string();
    let dir = std::env::temp_dir().join(format!("meja-backup-{}", uuid::Uuid::now_v7().simple()));
    std::fs::create_dir_all(&dir).expect("dir");
    let acknowledged: Arc<Mutex<Vec<String>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let load = {
        let (base, acknowledged, stop) = (app.base.clone(), acknowledged.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut i = 0;
            while !stop.load(Ordering::Relaxed) && i < 400 {
                let body = json!({ "kind": "incident", "title": format!("Beban {i}"), "description": "Uji cadangan di bawah beban.",
                                   "unit": "DINKES", "impact": "low", "urgency": "low", "requester": { "name": "Uji" } });
                if let Ok(r) = ureq::post(&format!("{base}/api/v1/tickets"))
                    .set("Authorization", &format!("Bearer {token}"))
                    .send_json(body)
                {
                    if let Ok(v) = r.into_json::<serde_json::Value>() {
                        acknowledged.lock().expect("lock").push(v["number"].as_str().unwrap_or("").to_string());
                    }
                }
                i += 1;
            }
        })
    };
    while acknowledged.lock().expect("lock").len() < 20 {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let before: Vec<String> = acknowledged.lock().expect("lock").clone();
    let file = dir.join(if app.backend == Backend::Sqlite { "meja.db.bak" } else { "meja.dump" });
    let out = app.meja(&["backup", "-o", file.to_str().expect("path")]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("SHA-256"));
    stop.store(true, Ordering::Relaxed);
    load.join().expect("load");
    let again = app.meja(&["backup", "-o", file.to_str().expect("path")]);
    assert!(!again.status.success(), "an existing file is not overwritten");

    // Restore into a new database.
    let (target, pg_target) = match app.backend {
        Backend::Sqlite => (format!("sqlite://{}/restored.db", dir.display()), None),
        Backend::Postgres => {
            let base = postgres_base_url().expect("postgres");
            let name = format!("meja_restore_{}", uuid::Uuid::now_v7().simple());
            let mut admin = meja::db::DbUrl::parse(&base).expect("url").connect().expect("connect");
            use diesel::connection::SimpleConnection;
            admin.batch_execute(&format!("CREATE DATABASE {name}")).expect("create");
            let (prefix, _) = base.rsplit_once('/').expect("url");
            (format!("{prefix}/{name}"), Some((base, name)))
        }
    };
    let restored = meja_at(&target, &["restore", file.to_str().expect("path")]);
    assert!(restored.status.success(), "{}", String::from_utf8_lossy(&restored.stderr));
    assert!(
        String::from_utf8_lossy(&restored.stdout).contains("audit chain intact"),
        "{}",
        String::from_utf8_lossy(&restored.stdout)
    );
    if app.backend == Backend::Sqlite {
        let refused = meja_at(&target, &["restore", file.to_str().expect("path")]);
        assert!(!refused.status.success(), "an existing database is replaced only with --force");
        assert!(meja_at(&target, &["restore", "--force", file.to_str().expect("path")]).status.success());
    }
    let mut conn = meja::db::DbUrl::parse(&target).expect("url").connect().expect("connect");
    for number in &before {
        assert!(
            meja::db::tickets::by_number(&mut conn, number).expect("query").is_some(),
            "{number} acknowledged before the backup is missing"
        );
    }
    let verify = meja_at(&target, &["audit", "verify"]);
    assert!(verify.status.success(), "{}", String::from_utf8_lossy(&verify.stdout));
    drop(conn);
    if let Some((base, name)) = pg_target {
        use diesel::connection::SimpleConnection;
        if let Ok(mut admin) = meja::db::DbUrl::parse(&base).and_then(|u| u.connect()) {
            let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
        }
    }
    let _ = std::fs::remove_dir_all(dir);
}

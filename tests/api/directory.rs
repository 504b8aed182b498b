//! Issue 14, the directory and bulk onboarding, on both databases: group mappings kept by
//! admins; a city's units, services and staff imported from CSV (every bad line named, all or
//! nothing); and sign-in through a real OpenLDAP (`slapd`, started by `scripts/test` with the
//! tree in tests/fixtures/ldap; `MEJA_TEST_LDAP_URL` and `MEJA_TEST_LDAP_CA` say where).

use std::time::Duration;

use ldap3::{LdapConn, LdapConnSettings, Mod};
use meja::config::{LdapSettings, Secret, Settings};
use serde_json::json;

use crate::both_databases;
use crate::helpers::{monday_0800, spawn_app_with, Backend, TestApp};

both_databases!(
    admins_keep_the_group_mappings,
    a_city_is_onboarded_from_csv_files,
    the_console_keeps_mappings_and_imports_files
);

fn admins_keep_the_group_mappings(app: &TestApp) {
    let city = app.city();
    let admin = city.t("admin");
    let r = app.get("/api/v1/directory/group-mappings", Some(admin));
    assert_eq!((r.status, r.body.clone()), (200, json!([])));
    let mappings = json!([
        { "group": "cn=sd-dinkes,ou=groups,dc=kota,dc=test", "role": "agent_t1", "unit": "DINKES" },
        { "group": "SD-Diskominfo", "role": "agent_t2", "unit": "DISKOMINFO" },
        { "group": "pimpinan", "role": "supervisor", "unit": "DISKOMINFO" },
    ]);
    let r = app.raw("PUT", "/api/v1/directory/group-mappings", Some(mappings.to_string().as_bytes()), Some(admin));
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body, mappings);
    assert_eq!(app.get("/api/v1/directory/group-mappings", Some(admin)).body, mappings, "kept in order");
    // A bad entry is named by its position and field, and nothing changes.
    for (bad, field) in [
        (json!([{ "group": "x", "role": "agent_t1" }]), "[0].unit"),
        (
            json!([{ "group": "x", "role": "agent_t1", "unit": "DINKES" }, { "group": "y", "role": "agent_t2", "unit": "DINKES" }]),
            "[1].unit",
        ),
        (json!([{ "group": "x", "role": "unit_head", "unit": "NOPE" }]), "[0].unit"),
        (json!([{ "group": "x", "role": "admin" }, { "group": "X", "role": "admin" }]), "[1].group"),
        (json!([{ "group": " ", "role": "admin" }]), "[0].group"),
    ] {
        let r = app.raw("PUT", "/api/v1/directory/group-mappings", Some(bad.to_string().as_bytes()), Some(admin));
        assert_eq!((r.status, r.field()), (422, Some(field)), "{bad}: {:?}", r.body);
    }
    let r = app.raw("PUT", "/api/v1/directory/group-mappings", Some(br#"[{"group":"x","role":"raja"}]"#), Some(admin));
    assert_eq!(r.status, 400, "an unknown role: {:?}", r.body);
    assert_eq!(app.get("/api/v1/directory/group-mappings", Some(admin)).body, mappings, "unchanged");
    for who in ["sup_kominfo", "t1_dinkes", "warga"] {
        assert_eq!(app.get("/api/v1/directory/group-mappings", Some(city.t(who))).status, 403, "{who}");
        let r = app.raw("PUT", "/api/v1/directory/group-mappings", Some(b"[]"), Some(city.t(who)));
        assert_eq!(r.status, 403, "{who}");
    }
    assert!(app.all_events().iter().any(|e| e.kind == "directory.mappings_changed"));
}

fn import(app: &TestApp, kind: &str, csv: &str, apply: bool, token: &str) -> crate::helpers::Reply {
    let path = format!("/api/v1/import/{kind}{}", if apply { "?apply=true" } else { "" });
    app.raw("POST", &path, Some(csv.as_bytes()), Some(token))
}

fn errors_of(reply: &crate::helpers::Reply) -> Vec<(u64, String)> {
    reply.body["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .map(|e| (e["line"].as_u64().unwrap_or(0), e["field"].as_str().unwrap_or("").to_string()))
                .collect()
        })
        .unwrap_or_default()
}

fn a_city_is_onboarded_from_csv_files(app: &TestApp) {
    let admin = app.admin();
    let units = "code,name,tier2\nDISKOMINFO,Dinas Komunikasi dan Informatika,ya\nDINKES,Dinas Kesehatan,tidak\nDISDIK,Dinas Pendidikan,\n";
    // A preview checks everything and writes nothing.
    let r = import(app, "units", units, false, &admin);
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(
        (r.body["lines"].clone(), r.body["created"].clone(), r.body["applied"].clone()),
        (json!(3), json!(3), json!(false))
    );
    assert_eq!(app.get("/api/v1/units", Some(&admin)).items().len(), 0, "a preview writes nothing");
    // A file with bad lines: every one named (the header is line 1), nothing written.
    let bad_units = "code,name,tier2\nDISKOMINFO,Diskominfo,ya\nDINKES,Dinas Kesehatan,mungkin\nbukan kode,X,\nDINKES,Lagi,\nBAPPEDA,,\n";
    let r = import(app, "units", bad_units, true, &admin);
    assert_eq!(r.status, 422, "{:?}", r.body);
    assert_eq!(
        errors_of(&r),
        vec![(3, "tier2".into()), (4, "code".into()), (5, "code".into()), (6, "name".into())],
        "{:?}",
        r.body
    );
    assert_eq!(app.get("/api/v1/units", Some(&admin)).items().len(), 0, "all or nothing");
    let r = import(app, "units", "kode,nama\nX,Y\n", true, &admin);
    assert_eq!(errors_of(&r), vec![(1, "code".into()), (1, "name".into()), (1, "kode".into()), (1, "nama".into())]);
    // The good file, then services naming those units, then people.
    let r = import(app, "units", units, true, &admin);
    assert_eq!((r.status, r.body["applied"].clone(), r.body["created"].clone()), (200, json!(true), json!(3)));
    let tier2: Vec<_> =
        app.get("/api/v1/units", Some(&admin)).items().into_iter().filter(|u| u["tier2"] == json!(true)).collect();
    assert_eq!(tier2.len(), 1);
    assert_eq!(tier2[0]["code"], "DISKOMINFO");
    let services =
        "code;name;unit\nSIMPUS;\"Sistem Informasi Puskesmas; rawat jalan\";DINKES\nPPDB;PPDB Online;DISDIK\n";
    let r = import(app, "services", services, true, &admin);
    assert_eq!(r.status, 200, "semicolons as Indonesian spreadsheets save them: {:?}", r.body);
    let r = import(app, "services", "code,name,unit\nSIMPUS,Lagi,DINKES\nSIKDA,SIKDA,DINSOS\n", true, &admin);
    assert_eq!(errors_of(&r), vec![(2, "code".into()), (3, "unit".into())], "{:?}", r.body);

    let people = "username,name,email,phone,role,unit,nip\n\
        rahmat,Rahmat Hidayat,rahmat@kota.go.id,0812 3456 7890,agent_t1,DINKES,199001012015011001\n\
        sinta,Sinta Dewi,sinta@kota.go.id,,agent_t2,DISKOMINFO,\n\
        yusuf,Yusuf Maulana,,,unit_head,DISDIK,\n";
    let bad_people = "username,name,email,phone,role,unit,nip\n\
        rahmat,Rahmat Hidayat,rahmat@kota.go.id,,agent_t1,DINKES,12345\n\
        Sinta Dewi,Sinta,bukan-alamat,,kepala,DINKES,\n\
        yusuf,Yusuf,,,agent_t2,DINKES,\n\
        admin,Lagi,,,admin,,\n";
    let r = import(app, "users", bad_people, true, &admin);
    assert_eq!(r.status, 422);
    assert_eq!(
        errors_of(&r),
        vec![
            (2, "nip".into()),
            (3, "username".into()),
            (3, "role".into()),
            (3, "email".into()),
            (4, "unit".into()),
            (5, "username".into()),
        ],
        "every bad field of every bad line: {:?}",
        r.body
    );
    assert!(!app.get("/api/v1/users", Some(&admin)).body.to_string().contains("rahmat"));
    let r = import(app, "users", people, true, &admin);
    assert_eq!(
        (r.status, r.body["created"].clone(), r.body["invited"].clone()),
        (200, json!(3), json!(2)),
        "{:?}",
        r.body
    );
    let users = app.get("/api/v1/users", Some(&admin)).items();
    let rahmat = users.iter().find(|u| u["username"] == "rahmat").expect("imported");
    assert_eq!(
        (rahmat["role"].clone(), rahmat["unit"].clone(), rahmat["nip"].clone()),
        (json!("agent_t1"), json!("DINKES"), json!("199001012015011001"))
    );
    assert_eq!(rahmat["auth_source"], "local");
    // No password came with the file: the invitation's link sets the first one.
    let r = app.post("/api/v1/auth/token", json!({ "username": "rahmat", "password": "Tebakan-Saja-2026" }), None);
    assert_eq!(r.status, 401);
    let token = app.mailed_link_token("account_invitation", "rahmat@kota.go.id").expect("an invitation to rahmat");
    assert!(app.mailed_link_token("account_invitation", "sinta@kota.go.id").is_some());
    let r =
        app.post("/api/v1/auth/password-reset/confirm", json!({ "token": token, "new": "Puskesmas-Sehat-2026" }), None);
    assert_eq!(r.status, 204, "{:?}", r.body);
    assert_eq!(
        app.post("/api/v1/auth/token", json!({ "username": "rahmat", "password": "Puskesmas-Sehat-2026" }), None)
            .status,
        200
    );
    // Only admins import.
    let head = {
        let r = app.post(
            "/api/v1/users",
            json!({ "username": "kepala", "name": "Kepala", "password": crate::helpers::PASSWORD, "role": "supervisor", "unit": "DISKOMINFO" }),
            Some(&admin),
        );
        assert_eq!(r.status, 201);
        app.token("kepala", crate::helpers::PASSWORD)
    };
    assert_eq!(import(app, "units", "code,name\nDISOS,Dinas Sosial\n", true, &head).status, 403);
    assert_eq!(import(app, "pegawai", "x\n", true, &admin).status, 404);
    let imported = app.all_events().into_iter().filter(|e| e.kind == "catalog.imported").count();
    assert_eq!(imported, 3, "units, services and users; nothing for refused files");

    // The command line does the same, with the same report.
    let dir = crate::helpers::tempfile_dir::TempDir::new();
    let file = dir.0.join("dinas.csv");
    std::fs::write(&file, "code,name,tier2\nDISOS,Dinas Sosial,\nDISOS,Lagi,\n").expect("write");
    let out = app.meja(&["import", "units", file.to_str().expect("path")]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("dinas.csv:3: code: DISOS appears twice"), "{stderr}");
    std::fs::write(&file, "code,name,tier2\nDISOS,Dinas Sosial,\n").expect("write");
    let out = app.meja(&["import", "units", file.to_str().expect("path"), "--dry-run"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(!app.get("/api/v1/units", Some(&admin)).body.to_string().contains("DISOS"));
    let out = app.meja(&["import", "units", file.to_str().expect("path")]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(app.get("/api/v1/units", Some(&admin)).body.to_string().contains("DISOS"));
}

fn the_console_keeps_mappings_and_imports_files(app: &TestApp) {
    let city = app.city();
    let browser = crate::helpers::Browser::sign_in(app, "admin", crate::helpers::ADMIN_PASSWORD);
    let csrf = browser.csrf("/konsol/admin/direktori");
    let lines = "\"cn=sd-dinkes,ou=groups,dc=kota,dc=test\",agent_t1,DINKES\npimpinan,supervisor,DISKOMINFO\n";
    let page = browser.post("/konsol/admin/direktori", &[("csrf", &csrf), ("mappings", lines)]);
    assert_eq!(page.status, 200, "{}", page.body);
    let kept = app.get("/api/v1/directory/group-mappings", Some(city.t("admin"))).body;
    assert_eq!(kept[0]["group"], "cn=sd-dinkes,ou=groups,dc=kota,dc=test", "{kept}");
    assert_eq!(kept[1]["role"], "supervisor");
    let page = browser
        .post("/konsol/admin/direktori", &[("csrf", &csrf), ("mappings", "a,agent_t1,DINKES\nb,agent_t1,NOPE\n")]);
    assert_eq!(page.status, 422);
    assert!(page.body.contains("line 2: no unit with code NOPE"), "{}", page.body);
    assert_eq!(app.get("/api/v1/directory/group-mappings", Some(city.t("admin"))).body, kept, "unchanged");

    // The upload: a check that names the bad lines, then the import of a good file.
    let upload = |fields: &[(&str, &str)], file: Option<&[u8]>| {
        let (kind, body) =
            crate::helpers::multipart(fields, file.map(|bytes| ("file", "pegawai.csv", "text/csv", bytes)));
        crate::helpers::answer(
            browser
                .agent
                .post(&format!("{}/konsol/admin/impor", app.base))
                .set("Cookie", &browser.cookie)
                .set("Content-Type", &kind)
                .send_bytes(&body),
        )
    };
    let bad = b"username,name,email,phone,role,unit,nip\nrina,Rina,,,agent_t1,DINKES,123\n";
    let page = upload(&[("csrf", &csrf), ("kind", "users")], Some(bad));
    assert_eq!(page.status, 422, "{}", page.body);
    assert!(page.body.contains("must be 18 digits"), "{}", page.body);
    let good = "username,name,email,phone,role,unit,nip\nrina,Rina Marlina,rina@kota.go.id,,agent_t1,DINKES,\n";
    let page = upload(&[("csrf", &csrf), ("kind", "users")], Some(good.as_bytes()));
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("name=\"apply\""), "a preview with its import button: {}", page.body);
    assert!(
        !app.get("/api/v1/users", Some(city.t("admin"))).body.to_string().contains("rina"),
        "a preview writes nothing"
    );
    let page = upload(&[("csrf", &csrf), ("kind", "users"), ("apply", "1"), ("content", good)], None);
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(app.get("/api/v1/users", Some(city.t("admin"))).body.to_string().contains("Rina Marlina"));
    // Only admins; never without the form's token.
    let supervisor = crate::helpers::Browser::sign_in(app, "sup_kominfo", crate::helpers::PASSWORD);
    assert_eq!(supervisor.get("/konsol/admin/impor").status, 403);
    assert_eq!(supervisor.get("/konsol/admin/direktori").status, 403);
    let page = upload(&[("csrf", "salah"), ("kind", "units")], Some(b"code,name\nDISOS,Dinas Sosial\n"));
    assert_eq!(page.status, 403);
}

// --- The directory: a real slapd -------------------------------------------------------------

struct Directory {
    url: String,
    ca: String,
}

/// The test directory, or `None` (and a note) when it is not running here.
fn directory() -> Option<Directory> {
    match (std::env::var("MEJA_TEST_LDAP_URL"), std::env::var("MEJA_TEST_LDAP_CA")) {
        (Ok(url), Ok(ca)) if !url.is_empty() => Some(Directory { url, ca }),
        _ => {
            eprintln!("skipped: MEJA_TEST_LDAP_URL and MEJA_TEST_LDAP_CA are not set (scripts/test starts slapd)");
            None
        }
    }
}

impl Directory {
    fn settings(&self, url: &str) -> LdapSettings {
        LdapSettings {
            url: url.to_string(),
            bind_dn: "cn=meja,ou=system,dc=kota,dc=test".into(),
            bind_password: Secret::new("Cari-Pegawai-2026"),
            base_dn: "dc=kota,dc=test".into(),
            user_filter: "(uid={username})".into(),
            group_filter: "(|(member={dn})(uniqueMember={dn})(memberUid={username}))".into(),
            ca_file: Some(self.ca.clone().into()),
            name_attribute: "cn".into(),
            mail_attribute: "mail".into(),
            nip_attribute: "employeeNumber".into(),
            timeout_secs: 3,
        }
    }

    /// The directory's administrator, as the Pemda's own tools would act.
    fn admin(&self) -> LdapConn {
        let ca = native_tls::Certificate::from_pem(&std::fs::read(&self.ca).expect("CA file")).expect("CA");
        let tls = native_tls::TlsConnector::builder().add_root_certificate(ca).build().expect("tls");
        let settings =
            LdapConnSettings::new().set_starttls(true).set_connector(tls).set_conn_timeout(Duration::from_secs(5));
        let mut conn = LdapConn::with_settings(settings, &self.url).expect("connect to slapd");
        conn.simple_bind("cn=admin,dc=kota,dc=test", "Direktori-Admin-2026").and_then(|r| r.success()).expect("bind");
        conn
    }

    /// A person in a group of their own: names unique to the test, so tests run side by side.
    fn add_person(&self, uid: &str, name: &str, password: &str, group: &str) {
        let mut conn = self.admin();
        let dn = format!("uid={uid},ou=people,dc=kota,dc=test");
        let set = |v: &str| std::collections::HashSet::from([v.to_string()]);
        let attrs = |pairs: Vec<(&str, std::collections::HashSet<String>)>| {
            pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect::<Vec<_>>()
        };
        conn.add(
            &dn,
            attrs(vec![
                ("objectClass", set("inetOrgPerson")),
                ("uid", set(uid)),
                ("cn", set(name)),
                ("sn", set(name.split(' ').next_back().unwrap_or(name))),
                ("mail", set(&format!("{uid}@kota.go.id"))),
                ("employeeNumber", set("198507152010012003")),
                ("userPassword", set(password)),
            ]),
        )
        .and_then(|r| r.success())
        .expect("add person");
        let group_dn = format!("cn={group},ou=groups,dc=kota,dc=test");
        let added = conn
            .add(&group_dn, attrs(vec![("objectClass", set("groupOfNames")), ("cn", set(group)), ("member", set(&dn))]))
            .expect("add group");
        if added.rc == 68 {
            // The group is there already: they join it.
            let member = std::collections::HashSet::from([dn.as_str()]);
            conn.modify(&group_dn, vec![Mod::Add("member", member)]).and_then(|r| r.success()).expect("join group");
        } else {
            added.success().expect("add group");
        }
    }

    fn set_password(&self, uid: &str, password: &str) {
        let dn = format!("uid={uid},ou=people,dc=kota,dc=test");
        let values = std::collections::HashSet::from([password]);
        self.admin().modify(&dn, vec![Mod::Replace("userPassword", values)]).and_then(|r| r.success()).expect("modify");
    }

    fn remove_person(&self, uid: &str) {
        let dn = format!("uid={uid},ou=people,dc=kota,dc=test");
        self.admin().delete(&dn).and_then(|r| r.success()).expect("delete");
    }
}

fn unique(prefix: &str) -> String {
    format!("{prefix}{}", &uuid::Uuid::now_v7().simple().to_string()[20..])
}

fn ldap_app(backend: Backend, settings: LdapSettings) -> Option<TestApp> {
    spawn_app_with(backend, monday_0800(), move |s: &mut Settings| s.ldap = Some(settings))
}

fn sign_in(app: &TestApp, username: &str, password: &str) -> crate::helpers::Reply {
    app.post("/api/v1/auth/token", json!({ "username": username, "password": password }), None)
}

#[test]
fn ldap_sign_in_sqlite() {
    ldap_sign_in(Backend::Sqlite);
}

#[test]
fn ldap_sign_in_postgres() {
    ldap_sign_in(Backend::Postgres);
}

/// People of the directory sign in with its password; their account is made with the mapped
/// role and unit and follows the directory; unmapped, removed, wrong and switched-off people
/// are refused, logged; local accounts keep their own passwords.
fn ldap_sign_in(backend: Backend) {
    let Some(dir) = directory() else { return };
    let Some(app) = ldap_app(backend, dir.settings(&dir.url)) else { return };
    let city = app.city();
    let admin = city.t("admin");
    let (uid, group) = (unique("rahmat"), unique("sd-dinkes-"));
    dir.add_person(&uid, "Rahmat Hidayat", "Direktori-Rahasia-2026", &group);

    // Unmapped: a clear refusal, logged, no account made.
    let r = sign_in(&app, &uid, "Direktori-Rahasia-2026");
    assert_eq!(r.status, 403, "{:?}", r.body);
    assert!(r.str("type").ends_with("account_not_mapped"), "{:?}", r.body);
    assert!(r.str("detail").contains("akun belum dipetakan"), "{:?}", r.body);
    assert!(!app.get("/api/v1/users", Some(admin)).body.to_string().contains(&uid));

    let mapping = json!([{ "group": group, "role": "agent_t1", "unit": "DINKES" }]);
    let r = app.raw("PUT", "/api/v1/directory/group-mappings", Some(mapping.to_string().as_bytes()), Some(admin));
    assert_eq!(r.status, 200, "{:?}", r.body);
    let r = sign_in(&app, &uid, "Direktori-Rahasia-2026");
    assert_eq!(r.status, 200, "{:?}", r.body);
    let token = r.str("token").to_string();
    let me = app.get("/api/v1/auth/me", Some(&token));
    assert_eq!((me.str("role"), me.str("unit")), ("agent_t1", "DINKES"), "{:?}", me.body);
    let users = app.get("/api/v1/users", Some(admin)).items();
    let person = users.iter().find(|u| u["username"] == uid.as_str()).expect("made at the first sign-in");
    assert_eq!(person["name"], "Rahmat Hidayat");
    assert_eq!(person["email"], format!("{uid}@kota.go.id"));
    assert_eq!(person["nip"], "198507152010012003");
    assert_eq!(person["auth_source"], "ldap");
    // The ticket queue works for them as for anyone of the unit.
    assert_eq!(app.get("/api/v1/tickets", Some(&token)).status, 200);

    // The directory's password is never kept: a change there is what counts here.
    assert_eq!(sign_in(&app, &uid, "Salah-Sandi-2026").status, 401);
    let empty = sign_in(&app, &uid, "").status;
    assert!(matches!(empty, 401 | 422), "an empty password is never an anonymous bind: {empty}");
    dir.set_password(&uid, "Sandi-Baru-Direktori-2026");
    assert_eq!(sign_in(&app, &uid, "Direktori-Rahasia-2026").status, 401);
    assert_eq!(sign_in(&app, &uid, "Sandi-Baru-Direktori-2026").status, 200);
    let r = app.post(&format!("/api/v1/users/{uid}/password"), json!({}), Some(admin));
    assert_eq!(
        (r.status, r.field()),
        (422, Some("username")),
        "no local password for a directory person: {:?}",
        r.body
    );

    // A new mapping moves them at their next sign-in.
    let mapping = json!([{ "group": group, "role": "unit_head", "unit": "DISDIK" }]);
    app.raw("PUT", "/api/v1/directory/group-mappings", Some(mapping.to_string().as_bytes()), Some(admin));
    let r = sign_in(&app, &uid, "Sandi-Baru-Direktori-2026");
    let me = app.get("/api/v1/auth/me", Some(r.str("token")));
    assert_eq!((me.str("role"), me.str("unit")), ("unit_head", "DISDIK"));

    // Local accounts keep their own password, even where the directory has the same name.
    assert_eq!(sign_in(&app, "admin", crate::helpers::ADMIN_PASSWORD).status, 200);
    let local = unique("lokal");
    let r = app.post(
        "/api/v1/users",
        json!({ "username": local, "name": "Akun Lokal", "password": crate::helpers::PASSWORD, "role": "agent_t1", "unit": "DINKES" }),
        Some(admin),
    );
    assert_eq!(r.status, 201, "{:?}", r.body);
    dir.add_person(&local, "Orang Lain", "Direktori-Rahasia-2026", &group);
    assert_eq!(sign_in(&app, &local, "Direktori-Rahasia-2026").status, 401, "no takeover of a local account");
    assert_eq!(sign_in(&app, &local, crate::helpers::PASSWORD).status, 200);

    // Switched off here: refused whatever the directory says.
    let r = app.patch(&format!("/api/v1/users/{uid}"), json!({ "active": false }), Some(admin));
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(sign_in(&app, &uid, "Sandi-Baru-Direktori-2026").status, 401);
    app.patch(&format!("/api/v1/users/{uid}"), json!({ "active": true }), Some(admin));
    assert_eq!(sign_in(&app, &uid, "Sandi-Baru-Direktori-2026").status, 200);
    // Removed from the directory: refused from then on.
    dir.remove_person(&uid);
    assert_eq!(sign_in(&app, &uid, "Sandi-Baru-Direktori-2026").status, 401);

    // The console signs them in the same way.
    let other = unique("sari");
    dir.add_person(&other, "Sari Lestari", "Direktori-Rahasia-2026", &group);
    let browser = crate::helpers::Browser::sign_in(&app, &other, "Direktori-Rahasia-2026");
    assert_eq!(browser.get("/konsol").status, 200);

    // Every attempt is in the sign-in log, by method ldap, with why.
    std::thread::sleep(Duration::from_millis(300));
    let log = app.get(&format!("/api/v1/auth/signins?user={uid}"), Some(admin)).items();
    let seen = |outcome: &str, reason: &str| {
        log.iter().any(|e| {
            e["method"] == "ldap" && e["outcome"] == outcome && e["reason"].as_str().unwrap_or("").contains(reason)
        })
    };
    assert!(seen("refused", "akun belum dipetakan"), "{log:?}");
    assert!(seen("ok", "signed in"), "{log:?}");
    assert!(seen("failed", "wrong password"), "{log:?}");
    assert!(seen("failed", "no longer in the directory"), "{log:?}");
    let created: Vec<_> =
        app.all_events().into_iter().filter(|e| e.kind == "user.created" && e.data.contains("\"ldap\"")).collect();
    assert_eq!(created.len(), 2, "{created:?}");
    assert!(app.all_events().iter().any(|e| e.kind == "user.directory_updated"));
}

#[test]
fn ldaps_and_a_directory_that_is_down_sqlite() {
    let Some(dir) = directory() else { return };
    // LDAPS on its own port, with the private CA.
    let ldaps = dir.url.replace("ldap://", "ldaps://").replace(":3389", ":3636");
    let Some(app) = ldap_app(Backend::Sqlite, dir.settings(&ldaps)) else { return };
    let admin = app.admin();
    let (uid, group) = (unique("yusuf"), unique("kominfo-"));
    dir.add_person(&uid, "Yusuf Maulana", "Direktori-Rahasia-2026", &group);
    let units = "code,name,tier2\nDISKOMINFO,Diskominfo,ya\n";
    assert_eq!(import(&app, "units", units, true, &admin).status, 200);
    let mapping =
        json!([{ "group": format!("cn={group},ou=groups,dc=kota,dc=test"), "role": "agent_t2", "unit": "DISKOMINFO" }]);
    app.raw("PUT", "/api/v1/directory/group-mappings", Some(mapping.to_string().as_bytes()), Some(&admin));
    assert_eq!(sign_in(&app, &uid, "Direktori-Rahasia-2026").status, 200, "over LDAPS, mapped by the group's DN");
    drop(app);

    // Down: its people are told so; local accounts still sign in.
    let Some(app) = ldap_app(Backend::Sqlite, dir.settings("ldap://127.0.0.1:1")) else { return };
    let r = sign_in(&app, &uid, "Direktori-Rahasia-2026");
    assert_eq!(r.status, 503, "{:?}", r.body);
    assert!(r.str("type").ends_with("directory_unavailable"), "{:?}", r.body);
    assert!(r.str("detail").contains("direktori tidak dapat dihubungi"));
    assert_eq!(sign_in(&app, "admin", crate::helpers::ADMIN_PASSWORD).status, 200);
    let page = crate::helpers::post_login(&ureq::AgentBuilder::new().redirects(0).build(), &app.base, &uid, "x");
    let body = match page.map_err(|e| *e) {
        Err(ureq::Error::Status(503, r)) => r.into_string().unwrap_or_default(),
        other => panic!("the console should say the directory is down: {other:?}"),
    };
    assert!(body.contains("Direktori kepegawaian tidak dapat dihubungi"), "{body}");
}

//! Merging tickets and following them (issue 15): what moves, who is told, what is refused, and
//! that neither reveals a ticket outside the caller's scope.

use serde_json::{json, Value};

use crate::both_databases;
use crate::helpers::{Browser, TestApp, PASSWORD};

both_databases!(
    a_merge_moves_the_case_and_tells_the_requester,
    merges_that_cannot_be_are_refused,
    followers_hear_public_news_only,
    the_console_merges_and_follows,
    copied_addresses_follow_and_answer_by_mail,
    mail_and_merge_keep_private_things_private,
    a_merged_requesters_words_stay_theirs
);

fn messages_of(app: &TestApp, token: &str, number: &str) -> Vec<Value> {
    app.get(&format!("/api/v1/tickets/{number}"), Some(token)).body["messages"].as_array().cloned().unwrap_or_default()
}

fn a_merge_moves_the_case_and_tells_the_requester(app: &TestApp) {
    let city = app.city();
    let t1 = city.t("t1_dinkes");
    let target = app.ticket(
        t1,
        json!({ "title": "Jaringan Puskesmas putus", "requester": { "name": "Andi", "email": "andi@example.com" } }),
    );
    let source = app.ticket(
        t1,
        json!({ "title": "Internet mati di Puskesmas", "requester": { "name": "Sari", "email": "sari@example.com" } }),
    );
    assert!(app.act(&target, "start", json!({}), t1).status < 300);
    let due_before = app.get(&format!("/api/v1/tickets/{target}"), Some(t1)).body["sla"].clone();
    let r = app.post_form(
        &format!("/api/v1/tickets/{source}/messages"),
        &[("body", "Foto modem terlampir.")],
        &[("files", "modem.txt", "text/plain", b"lampu merah")],
        Some(t1),
    );
    assert_eq!(r.status, 201, "{:?}", r.body);
    app.post(&format!("/api/v1/tickets/{source}/messages"), json!({ "body": "Cek kabel", "internal": true }), Some(t1));

    let r = app.post(&format!("/api/v1/tickets/{source}/merge"), json!({ "into": target }), Some(t1));
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!((r.body["ticket"]["status"].as_str(), r.str("into")), (Some("closed"), target.as_str()));
    assert_eq!(r.body["ticket"]["merged_into"], json!(target));
    assert_eq!(r.body["moved"], json!({ "messages": 2, "attachments": 1 }));

    // The target carries the conversation and names the source; its SLA is as it was.
    let after = app.get(&format!("/api/v1/tickets/{target}"), Some(t1));
    assert_eq!(after.body["merged_from"], json!([source]));
    assert_eq!(after.body["merged_into"], json!(null));
    assert_eq!(after.body["sla"]["resolution_due"], due_before["resolution_due"], "the target's SLA is unchanged");
    let bodies: Vec<&str> =
        after.body["messages"].as_array().into_iter().flatten().filter_map(|m| m["body"].as_str()).collect();
    assert!(bodies.contains(&"Foto modem terlampir.") && bodies.contains(&"Cek kabel"), "{bodies:?}");
    assert!(messages_of(app, t1, &source).is_empty(), "nothing stays on the source");
    let files = app.get(&format!("/api/v1/tickets/{target}/attachments"), Some(t1)).items();
    assert_eq!(files.iter().filter_map(|f| f["filename"].as_str()).collect::<Vec<_>>(), vec!["modem.txt"]);
    // Search finds the moved words on the target only.
    let found = app.get("/api/v1/tickets?q=modem", Some(t1)).items();
    let numbers: Vec<&str> = found.iter().filter_map(|t| t["number"].as_str()).collect();
    assert_eq!(numbers, vec![target.as_str()], "search follows the messages");

    // The source's requester follows the target and is told the number that carries the case.
    let followers = app.get(&format!("/api/v1/tickets/{target}/followers"), Some(t1)).items();
    assert_eq!(followers.len(), 1, "{followers:?}");
    assert_eq!(
        (followers[0]["kind"].as_str(), followers[0]["email"].as_str()),
        (Some("requester"), Some("sari@example.com"))
    );
    let told = app.outbox_of(&source).into_iter().find(|r| r.template == "ticket_merged").expect("the merge notice");
    assert_eq!(told.recipient, "sari@example.com");
    assert!(told.payload.contains(&target), "{}", told.payload);
    // A public reply on the target reaches the source's requester too, without the rating link.
    assert!(app.act(&target, "resolve", json!({ "resolution": "Modem sudah diganti." }), t1).status < 300);
    let resolved: Vec<_> = app
        .outbox_of(&target)
        .into_iter()
        .filter(|r| r.template == "ticket_resolved" && r.channel == "email")
        .collect();
    let to: Vec<&str> = resolved.iter().map(|r| r.recipient.as_str()).collect();
    assert!(to.contains(&"andi@example.com") && to.contains(&"sari@example.com"), "{to:?}");
    let sari =
        resolved.iter().find(|r| r.recipient == "sari@example.com").map(|r| r.payload.clone()).unwrap_or_default();
    assert!(!sari.contains("csat_token"), "a follower gets no rating link: {sari}");

    // Both timelines say so.
    let kinds = |number: &str| -> Vec<String> {
        app.get(&format!("/api/v1/tickets/{number}/events"), Some(t1))
            .items()
            .iter()
            .filter_map(|e| e["kind"].as_str().map(str::to_string))
            .collect()
    };
    assert!(kinds(&source).contains(&"ticket.merged".to_string()));
    assert!(kinds(&target).contains(&"ticket.merged_in".to_string()));
}

fn merges_that_cannot_be_are_refused(app: &TestApp) {
    let city = app.city();
    let (t1, other) = (city.t("t1_dinkes"), city.t("t1_disdik"));
    let a = app.ticket(t1, json!({}));
    let b = app.ticket(t1, json!({}));
    let elsewhere = app.ticket(other, json!({ "unit": "DISDIK" }));
    let merge = |from: &str, into: &str, token: &str| {
        app.post(&format!("/api/v1/tickets/{from}/merge"), json!({ "into": into }), Some(token))
    };
    let r = merge(&a, &a, t1);
    assert_eq!((r.status, r.field()), (422, Some("into")), "{:?}", r.body);
    let r = app.post(&format!("/api/v1/tickets/{a}/merge"), json!({ "into": " " }), Some(t1));
    assert_eq!((r.status, r.field()), (422, Some("into")), "{:?}", r.body);
    // Across scopes: exactly "not found", as for a number that does not exist.
    let hidden = merge(&a, &elsewhere, t1);
    let missing = merge(&a, "SD-2026-999999", t1);
    assert_eq!((hidden.status, missing.status), (404, 404));
    assert_eq!(hidden.str("type"), missing.str("type"));
    assert_eq!(merge(&elsewhere, &a, t1).status, 404);
    // A requester or a unit head may not merge.
    assert_eq!(merge(&a, &b, city.t("head_dinkes")).status, 403);
    // Once merged, never again; a closed target is refused with the reason.
    assert_eq!(merge(&a, &b, t1).status, 200);
    let r = merge(&a, &b, t1);
    assert_eq!((r.status, r.str("code")), (409, "already_merged"), "{:?}", r.body);
    let c = app.ticket(t1, json!({}));
    let r = merge(&c, &a, t1);
    assert_eq!(r.status, 409, "into a closed ticket: {:?}", r.body);
    assert!(r.str("detail").contains(&a), "{:?}", r.body);
    let r = app.post(&format!("/api/v1/tickets/{c}/merge"), json!({ "into": b, "extra": 1 }), Some(t1));
    assert!(matches!(r.status, 400 | 422), "unknown field: {:?}", r.body);
    assert_eq!(app.get(&format!("/api/v1/tickets/{c}"), Some(t1)).body["status"], json!("new"), "nothing done");
}

fn followers_hear_public_news_only(app: &TestApp) {
    let city = app.city();
    let (t1, head, other) = (city.t("t1_dinkes"), city.t("head_dinkes"), city.t("t1_disdik"));
    let number = app.ticket(t1, json!({}));
    let followers = format!("/api/v1/tickets/{number}/followers");
    let r = app.post(&followers, json!({ "email": "Kepala.Puskesmas@Example.com" }), Some(t1));
    assert_eq!((r.status, r.str("email")), (201, "kepala.puskesmas@example.com"), "{:?}", r.body);
    assert_eq!(app.post(&followers, json!({ "email": "kepala.puskesmas@example.com" }), Some(t1)).status, 200, "once");
    // The unit head follows it itself; may not add others (it cannot reply).
    assert_eq!(app.post(&followers, json!({ "username": "head_dinkes" }), Some(head)).status, 201);
    assert_eq!(app.post(&followers, json!({ "email": "x@example.com" }), Some(head)).status, 403);
    // Bad input names the field; another unit sees nothing; a requester may not.
    for (body, field) in [
        (json!({ "email": "bukan-alamat" }), "email"),
        (json!({ "username": "tidak_ada" }), "username"),
        (json!({ "username": "t1_disdik" }), "username"),
        (json!({}), "email"),
        (json!({ "email": "a@example.com", "username": "head_dinkes" }), "email"),
    ] {
        let r = app.post(&followers, body.clone(), Some(t1));
        assert_eq!((r.status, r.field()), (422, Some(field)), "{body}: {:?}", r.body);
    }
    assert_eq!(app.get(&followers, Some(other)).status, 404);
    assert_eq!(app.post(&followers, json!({ "email": "y@example.com" }), Some(other)).status, 404);
    assert_eq!(app.get(&followers, Some(city.t("warga"))).status, 404);
    // A citizen who reported once and follows this ticket finds it in their personal-data export.
    let own = app.post(
        "/api/v1/public/tickets",
        json!({ "kind": "incident", "title": "Laporan sendiri", "description": "Punya saya.", "unit": "DINKES",
                "requester": { "name": "Kepala Puskesmas", "email": "kepala.puskesmas@example.com" } }),
        None,
    );
    assert_eq!(own.status, 201, "{:?}", own.body);
    let files = crate::personal_data::export_zip(app, "email=kepala.puskesmas%40example.com", city.t("sup_kominfo"));
    let data: Value = serde_json::from_slice(&files["data.json"]).expect("data.json");
    assert_eq!(data["following"][0]["ticket"], number.as_str(), "{:?}", data["following"]);
    let listed = app.get(&followers, Some(t1)).items();
    assert_eq!(listed.len(), 2, "{listed:?}");

    // A public reply and a status change reach the followers; an internal note never does.
    assert!(app.act(&number, "start", json!({}), t1).status < 300);
    app.post(
        &format!("/api/v1/tickets/{number}/messages"),
        json!({ "body": "Catatan rahasia", "internal": true }),
        Some(t1),
    );
    app.post(&format!("/api/v1/tickets/{number}/messages"), json!({ "body": "Sedang kami periksa." }), Some(t1));
    let outbox = app.outbox_of(&number);
    let to_follower: Vec<&str> =
        outbox.iter().filter(|r| r.recipient == "kepala.puskesmas@example.com").map(|r| r.template.as_str()).collect();
    assert!(to_follower.contains(&"reply"), "{to_follower:?}");
    assert!(!to_follower.contains(&"ticket_received"), "no acknowledgement with the tracking link");
    assert!(!outbox.iter().any(|r| r.recipient == "kepala.puskesmas@example.com" && r.payload.contains("rahasia")));
    // Removal by address; unknown follower is not found.
    assert_eq!(app.delete(&format!("{followers}/kepala.puskesmas@example.com"), Some(t1)).status, 204);
    assert_eq!(app.delete(&format!("{followers}/kepala.puskesmas@example.com"), Some(t1)).status, 404);
    assert_eq!(app.delete(&format!("{followers}/head_dinkes"), Some(head)).status, 204, "stop following oneself");
    assert!(app.get(&followers, Some(t1)).items().is_empty());
    let kinds: Vec<String> = app
        .get(&format!("/api/v1/tickets/{number}/events"), Some(t1))
        .items()
        .iter()
        .filter_map(|e| e["kind"].as_str().map(str::to_string))
        .collect();
    assert_eq!(kinds.iter().filter(|k| *k == "follower.added").count(), 2);
    assert_eq!(kinds.iter().filter(|k| *k == "follower.removed").count(), 2);
}

fn the_console_merges_and_follows(app: &TestApp) {
    let city = app.city();
    let t1 = city.t("t1_dinkes");
    let (a, b) = (app.ticket(t1, json!({})), app.ticket(t1, json!({})));
    let browser = Browser::sign_in(app, "t1_dinkes", PASSWORD);
    let page = format!("/konsol/tiket/{a}");
    let csrf = browser.csrf(&page);
    let shown = browser.get(&page);
    assert!(shown.body.contains("id=\"gabung\"") && shown.body.contains("data-follow-me"), "the boxes are there");
    let r = browser.post(&format!("{page}/pengikut"), &[("csrf", &csrf), ("username", "t1_dinkes")]);
    assert_eq!(r.status, 303, "{}", r.body);
    let r = browser.post(&format!("{page}/pengikut"), &[("csrf", &csrf), ("email", "camat@example.com")]);
    assert_eq!(r.status, 303, "{}", r.body);
    let shown = browser.get(&page);
    assert!(shown.body.contains("data-follower=\"camat@example.com\"") && shown.body.contains("Berhenti mengikuti"));
    let r = browser.post(&format!("{page}/pengikut"), &[("csrf", &csrf), ("email", "bukan alamat")]);
    assert_eq!(r.status, 422, "{}", r.body);
    // Without the form token nothing happens.
    let forged = browser.post(&format!("{page}/gabung"), &[("into", &b)]);
    assert!(matches!(forged.status, 403 | 422), "{}", forged.status);
    let forged = browser.post(&format!("{page}/gabung"), &[("csrf", "salah"), ("into", &b)]);
    assert_eq!(forged.status, 403);
    let r = browser.post(&format!("{page}/gabung"), &[("csrf", &csrf), ("into", &b)]);
    assert_eq!((r.status, r.location.contains(&b)), (303, true), "on to the target: {}", r.location);
    let source = browser.get(&page);
    assert!(source.body.contains(&format!("data-merged-into=\"{b}\"")), "the source says where the case went");
    let target = browser.get(&format!("/konsol/tiket/{b}"));
    assert!(target.body.contains("data-merged-from") && target.body.contains("camat@example.com"), "followers moved");
}

fn copied_addresses_follow_and_answer_by_mail(app: &TestApp) {
    let city = crate::email::setup(app);
    let (admin, t1) = (city.t("admin"), city.t("t1_dinkes"));
    let raw = "From: Siti <siti@example.com>\r\nTo: layanan.dinkes@kota.go.id\r\n\
               Cc: Camat <camat@example.com>, layanan.dinkes@kota.go.id, bukan-alamat, siti@example.com\r\n\
               Subject: Lampu PJU mati\r\nMessage-ID: <cc-1@example.com>\r\n\r\nSudah tiga malam.\r\n";
    let r = crate::email::inbound(app, admin, raw.as_bytes());
    assert_eq!(r.status, 201, "{:?}", r.body);
    let number = r.str("number").to_string();
    // Only the other person copied follows: not the desk, not the requester, not a non-address.
    let followers = app.get(&format!("/api/v1/tickets/{number}/followers"), Some(t1)).items();
    let emails: Vec<&str> = followers.iter().filter_map(|f| f["email"].as_str()).collect();
    assert_eq!(emails, vec!["camat@example.com"]);

    // The desk replies; the follower gets it threaded and answers; the answer is public.
    app.post(&format!("/api/v1/tickets/{number}/messages"), json!({ "body": "Petugas dijadwalkan besok." }), Some(t1));
    assert!(
        app.outbox_of(&number).iter().any(|r| r.template == "reply" && r.recipient == "camat@example.com"),
        "the follower's copy"
    );
    // The follower answers in the thread (reply-all to the mail it was copied on).
    let answer = "From: Camat <camat@example.com>\r\nTo: layanan.dinkes@kota.go.id\r\nSubject: Re: Lampu PJU mati\r\n\
         Message-ID: <cc-2@example.com>\r\nIn-Reply-To: <cc-1@example.com>\r\n\r\nTiangnya di depan kantor camat.\r\n"
        .to_string();
    let r = crate::email::inbound(app, admin, answer.as_bytes());
    assert_eq!((r.status, r.str("number"), r.str("outcome")), (200, number.as_str(), "appended"), "{:?}", r.body);
    let messages = messages_of(app, t1, &number);
    let last = messages.last().cloned().unwrap_or(Value::Null);
    assert_eq!(
        (last["body"].as_str(), last["internal"].as_bool()),
        (Some("Tiangnya di depan kantor camat."), Some(false))
    );
}

/// Regressions of the review: a staff member's mailed note keeps its files inside; staff copied
/// on a mail do not become followers; a forged From with a number in the subject subscribes
/// nobody; a follower's mail outside the desk's thread is no public message; a merge never
/// shows notes to people who could not read them.
fn mail_and_merge_keep_private_things_private(app: &TestApp) {
    let city = crate::email::setup(app);
    let (admin, t1, sup) = (city.t("admin"), city.t("t1_dinkes"), city.t("sup_kominfo"));
    let number = app.ticket(t1, json!({ "requester": { "name": "Siti", "email": "siti@example.com" } }));
    let staff_address = "t1_dinkes@example.go.id";
    // A staff note by mail with a file: the file is internal.
    let note = format!(
        "From: {staff_address}\r\nSubject: Re: [{number}] x\r\nMessage-ID: <n-1@kota.go.id>\r\n\
         MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n\
         ok saya cek\r\n--b\r\nContent-Type: text/plain; name=log.txt\r\nContent-Disposition: attachment; filename=log.txt\r\n\r\n\
         rahasia server\r\n--b--\r\n"
    );
    assert!(crate::email::inbound(app, admin, note.as_bytes()).status < 300);
    let files = app.get(&format!("/api/v1/tickets/{number}/attachments"), Some(t1)).items();
    assert!(files.iter().any(|f| f["filename"] == "log.txt"), "{files:?}");
    let token = app.mailed_link_token("ticket_received", "siti@example.com");
    if let Some(token) = token {
        let view = app.get(&format!("/api/v1/public/tickets/{number}?token={token}"), None).body;
        assert!(!view.to_string().contains("log.txt"), "a staff note's file leaked: {view}");
    }
    // A forged From with the number in the subject (no thread header) and a Cc: nobody follows.
    let forged = format!(
        "From: siti@example.com\r\nCc: penyusup@example.net, {staff_address}\r\nSubject: Re: [{number}] x\r\n\
         Message-ID: <f-1@example.net>\r\n\r\nTambahan.\r\n"
    );
    assert!(crate::email::inbound(app, admin, forged.as_bytes()).status < 300);
    assert!(
        app.get(&format!("/api/v1/tickets/{number}/followers"), Some(t1)).items().is_empty(),
        "no follower by forgery"
    );
    // Staff added by address follow as themselves (a user), not as an address.
    let r = app.post(&format!("/api/v1/tickets/{number}/followers"), json!({ "email": staff_address }), Some(t1));
    assert_eq!((r.status, r.str("kind")), (201, "user"), "{:?}", r.body);
    // A follower's mail outside the desk's thread is its own ticket, not a public message here.
    app.post(&format!("/api/v1/tickets/{number}/followers"), json!({ "email": "camat@example.com" }), Some(t1));
    let stray = format!(
        "From: camat@example.com\r\nSubject: Re: [{number}] x\r\nMessage-ID: <s-1@example.com>\r\n\r\nHalo.\r\n"
    );
    let r = crate::email::inbound(app, admin, stray.as_bytes());
    assert_eq!(r.str("outcome"), "created", "{:?}", r.body);

    // Merges that would show notes to new readers are refused.
    let secret = app.ticket(sup, json!({ "classification": "confidential" }));
    let plain = app.ticket(sup, json!({}));
    let r = app.post(&format!("/api/v1/tickets/{secret}/merge"), json!({ "into": plain }), Some(sup));
    assert_eq!((r.status, r.field()), (422, Some("into")), "{:?}", r.body);
    let disdik = app.ticket(city.t("t1_disdik"), json!({ "unit": "DISDIK" }));
    let here = app.ticket(t1, json!({}));
    let r = app.post(&format!("/api/v1/tickets/{here}/merge"), json!({ "into": disdik }), Some(t1));
    assert_eq!((r.status, r.field()), (404, None), "tier 1 does not even see the other unit's: {:?}", r.body);
    let r = app.post(&format!("/api/v1/tickets/{here}/merge"), json!({ "into": disdik }), Some(sup));
    assert_eq!(r.status, 200, "a supervisor merges across units: {:?}", r.body);
    let problem = app.ticket(t1, json!({ "kind": "problem" }));
    let incident = app.ticket(t1, json!({}));
    let r = app.post(&format!("/api/v1/tickets/{incident}/merge"), json!({ "into": problem }), Some(t1));
    assert_eq!((r.status, r.field()), (422, Some("into")), "{:?}", r.body);
}

/// A merged report's requester keeps its own words on its own ticket (the target's requester
/// never sees them, erasure and export still find them), and erasure ends its following.
fn a_merged_requesters_words_stay_theirs(app: &TestApp) {
    let city = app.city();
    let (t1, sup) = (city.t("t1_dinkes"), city.t("sup_kominfo"));
    let r = app.post(
        "/api/v1/public/tickets",
        json!({ "kind": "incident", "title": "Internet mati", "description": "Di kantor kelurahan.",
                "unit": "DINKES", "requester": { "name": "Sari", "email": "sari@example.com" } }),
        None,
    );
    assert_eq!(r.status, 201, "{:?}", r.body);
    let (source, token) = (r.str("number").to_string(), r.str("tracking_token").to_string());
    let said = app.post(
        &format!("/api/v1/public/tickets/{source}/messages?token={token}"),
        json!({ "body": "NIK saya 3374000000000001" }),
        None,
    );
    assert_eq!(said.status, 201, "{:?}", said.body);
    let target = app.ticket(t1, json!({ "requester": { "name": "Andi", "email": "andi@example.com" } }));
    assert_eq!(app.post(&format!("/api/v1/tickets/{source}/merge"), json!({ "into": target }), Some(t1)).status, 200);
    let on = |number: &str| app.get(&format!("/api/v1/tickets/{number}"), Some(t1)).body.to_string();
    assert!(on(&source).contains("NIK saya"), "the requester's words stay on its own ticket");
    assert!(!on(&target).contains("NIK saya") && !on(&target).contains("kantor kelurahan"), "not on another's case");
    let own_view = app.get(&format!("/api/v1/public/tickets/{source}?token={token}"), None).body;
    assert!(own_view.to_string().contains("NIK saya") && own_view["merged_into"] == json!(target), "{own_view}");
    // Erasure ends the following too.
    assert_eq!(app.get(&format!("/api/v1/tickets/{target}/followers"), Some(t1)).items().len(), 1);
    let r = app.post(
        "/api/v1/personal-data/anonymise",
        json!({ "email": "sari@example.com", "reason": "Permintaan" }),
        Some(sup),
    );
    assert!(r.status < 300, "{:?}", r.body);
    assert!(app.get(&format!("/api/v1/tickets/{target}/followers"), Some(t1)).items().is_empty());
    assert!(!on(&source).contains("NIK saya"), "erased where it is");
}

//! The knowledge base: articles in Markdown (sanitised), public or internal, full-text search on
//! both databases, an article from a ticket, views and "did this help?", scopes.

use serde_json::json;

use crate::both_databases;
use crate::helpers::TestApp;

both_databases!(articles_search_and_scopes);

fn articles_search_and_scopes(app: &TestApp) {
    let city = app.city();
    let (agent, head) = (city.t("t1_dinkes"), city.t("head_dinkes"));
    let write = |body: serde_json::Value, token: &str| app.post("/api/v1/kb/articles", body, Some(token));
    let r = write(
        json!({ "title": "Cara reset kata sandi SIMPUS", "service": "SIMPUS", "visibility": "public",
                "body": "1. Buka halaman **Lupa sandi**.\n2. <script>alert(1)</script>\n\n[Panduan](javascript:alert(1))" }),
        agent,
    );
    assert_eq!(r.status, 201, "{:?}", r.body);
    assert_eq!(r.str("slug"), "cara-reset-kata-sandi-simpus");
    let html = r.str("body_html").to_string();
    assert!(
        html.contains("<strong>Lupa sandi</strong>") && !html.contains("<script") && !html.contains("javascript:"),
        "{html}"
    );
    assert_eq!(
        write(json!({ "title": "Cara reset kata sandi SIMPUS", "body": "Versi kedua." }), agent).str("slug"),
        "cara-reset-kata-sandi-simpus-2"
    );
    assert_eq!(
        write(
            json!({ "title": "Prosedur internal server PPDB", "body": "Restart layanan ppdb-api di server 10.0.0.5." }),
            agent
        )
        .str("visibility"),
        "internal"
    );
    assert_eq!(write(json!({ "title": "x", "body": "y" }), head).status, 403, "heads read, agents write");
    let bad = write(json!({ "title": "", "body": "y" }), agent);
    assert_eq!((bad.status, bad.field()), (422, Some("title")));
    assert_eq!(write(json!({ "title": "t", "body": "y", "visibility": "secret" }), agent).field(), Some("visibility"));

    // Search: prefixes, any word, best first; citizens see public articles only.
    let found = |path: &str, token: Option<&str>| -> Vec<String> {
        let r = app.get(path, token);
        assert_eq!(r.status, 200, "{path}: {:?}", r.body);
        r.items().iter().filter_map(|i| i["slug"].as_str().map(str::to_string)).collect()
    };
    assert_eq!(found("/api/v1/public/kb?q=lupa%20sand", None), ["cara-reset-kata-sandi-simpus"]);
    assert_eq!(found("/api/v1/public/kb?q=server%20ppdb", None), Vec::<String>::new(), "internal stays internal");
    assert_eq!(found("/api/v1/kb/articles?q=server%20ppdb", Some(agent)), ["prosedur-internal-server-ppdb"]);
    assert_eq!(found("/api/v1/kb/articles?q=sandi&service=SIMPUS", Some(head)), ["cara-reset-kata-sandi-simpus"]);
    // Search syntax is not the user's: punctuation alone is no words, the newest are listed.
    assert_eq!(found("/api/v1/public/kb?q=%22%20OR%20*", None), found("/api/v1/public/kb", None));
    assert_eq!(app.get("/api/v1/public/kb?service=NOPE", None).field(), Some("service"));
    assert_eq!(app.get("/api/v1/public/kb/prosedur-internal-server-ppdb", None).status, 404);

    // Views and votes.
    for _ in 0..3 {
        assert_eq!(app.get("/api/v1/public/kb/cara-reset-kata-sandi-simpus", None).status, 200);
    }
    let r = app.post("/api/v1/public/kb/cara-reset-kata-sandi-simpus/feedback", json!({ "helpful": true }), None);
    assert_eq!(
        (r.status, r.body["helpful"].as_i64(), r.body["views"].as_i64()),
        (200, Some(1), Some(3)),
        "{:?}",
        r.body
    );
    app.post("/api/v1/public/kb/cara-reset-kata-sandi-simpus/feedback", json!({ "helpful": false }), None);
    let r = app.get("/api/v1/kb/articles/cara-reset-kata-sandi-simpus", Some(agent));
    assert_eq!((r.body["not_helpful"].as_i64(), r.body["views"].as_i64()), (Some(1), Some(4)));

    // An article from a resolved ticket: its description and the staff's public answers.
    let number = app.ticket(
        agent,
        json!({ "title": "Printer antrean macet", "description": "Printer nomor antrean tidak mencetak." }),
    );
    assert!(app.act(&number, "start", json!({}), agent).status < 300);
    assert!(
        app.act(&number, "resolve", json!({ "resolution": "Ganti driver printer ke versi 2.1." }), agent).status < 300
    );
    let draft = app.post(&format!("/api/v1/tickets/{number}/kb-article"), json!({}), Some(agent));
    assert_eq!(draft.status, 201, "{:?}", draft.body);
    assert_eq!((draft.str("visibility"), draft.str("source_ticket")), ("internal", number.as_str()));
    let body = draft.str("body").to_string();
    assert!(body.contains("Printer nomor antrean tidak mencetak.") && body.contains("Ganti driver printer"), "{body}");
    assert_eq!(
        app.post(&format!("/api/v1/tickets/{number}/kb-article"), json!({}), Some(city.t("t1_disdik"))).status,
        404
    );
    let slug = draft.str("slug").to_string();
    let published = app.patch(
        &format!("/api/v1/kb/articles/{slug}"),
        json!({ "visibility": "public", "title": "Printer antrean tidak mencetak" }),
        Some(agent),
    );
    assert_eq!(published.status, 200, "{:?}", published.body);
    assert_eq!(found("/api/v1/public/kb?q=printer", None), [slug]);
    // The search index follows edits.
    assert_eq!(found("/api/v1/public/kb?q=macet", None), Vec::<String>::new(), "the old title is gone from the index");
    let events: Vec<String> = app.all_events().into_iter().map(|e| e.kind).filter(|k| k.starts_with("kb.")).collect();
    assert_eq!(events.iter().filter(|k| *k == "kb.article_created").count(), 4);
    assert_eq!(events.iter().filter(|k| *k == "kb.article_updated").count(), 1);
}

//! The queue's text search (issue 17): full-text over number, title, description and messages,
//! internal notes for staff only, scoped like the queue, ranked, highlighted, paged, and any
//! input treated as words.

use serde_json::json;

use crate::both_databases;
use crate::helpers::{Backend, Browser, TestApp, PASSWORD};

both_databases!(search_finds_ranks_and_keeps_scopes, any_input_is_words, a_prefix_finds_every_word_it_starts);

fn numbers(r: &crate::helpers::Reply) -> Vec<String> {
    assert_eq!(r.status, 200, "{:?}", r.body);
    r.items().iter().map(|t| t["number"].as_str().expect("number").to_string()).collect()
}

fn search_finds_ranks_and_keeps_scopes(app: &TestApp) {
    let city = app.city();
    let (t1, t1b, sup, warga) = (city.t("t1_dinkes"), city.t("t1_disdik"), city.t("sup_kominfo"), city.t("warga"));
    let in_title =
        app.ticket(t1, json!({ "title": "Printer <ruang> rawat inap macet", "description": "Kertas tersangkut." }));
    let in_description =
        app.ticket(t1, json!({ "title": "Perangkat ruang obat", "description": "Sejak pagi printer tidak mencetak." }));
    let in_message = app.ticket(t1, json!({ "title": "Permintaan perangkat", "description": "Untuk loket baru." }));
    let r = app.post(
        &format!("/api/v1/tickets/{in_message}/messages"),
        json!({ "body": "Sudah kami kirim printer pengganti ke loket." }),
        Some(t1),
    );
    assert_eq!(r.status, 201, "{:?}", r.body);
    let elsewhere = app.ticket(t1b, json!({ "title": "Printer sekolah macet", "unit": "DISDIK" }));
    let own = own_ticket_with_note(
        app,
        (warga, t1),
        json!({ "kind": "complaint", "title": "Pembayaran retribusi gagal", "description": "Akunnya terkunci." }),
        "Catatan: server kasda perlu restart",
    );

    // Ranked: the title weighs more than the description, the description more than a message.
    let q = |query: &str, token: &str| numbers(&app.get(&format!("/api/v1/tickets?q={query}"), Some(token)));
    assert_eq!(q("printer", t1), [in_title.clone(), in_description.clone(), in_message.clone()]);
    // Scoped like the queue: DISDIK's printer is DISDIK's; the supervisor sees both units.
    assert_eq!(q("printer", t1b), vec![elsewhere.clone()]);
    assert_eq!(q("printer", sup).len(), 4);
    // Every word must match, each as a prefix; the number finds its ticket.
    assert_eq!(q("printer%20mac", t1), vec![in_title.clone()]);
    assert_eq!(q(&in_message, t1), vec![in_message.clone()]);
    assert_eq!(q(in_message.rsplit('-').next().expect("digits"), t1), vec![in_message.clone()]);
    // Internal notes: for staff who may see the ticket, never for its requester.
    assert_eq!(q("kasda", t1), vec![own.clone()]);
    assert!(q("kasda", warga).is_empty());
    assert_eq!(q("retribusi", warga), vec![own.clone()]);
    assert!(q("kasda", t1b).is_empty());
    if app.backend == Backend::Postgres {
        // PostgreSQL also matches Indonesian stems: "bayar" finds "Pembayaran", "kunci" "terkunci".
        assert_eq!(q("bayar", t1), vec![own.clone()]);
        assert_eq!(q("kunci", t1), vec![own.clone()]);
    }

    // Highlighted: the title escaped with the words marked, an excerpt where the match was.
    let found = app.get("/api/v1/tickets?q=printer", Some(t1));
    let items = found.items();
    assert_eq!(items[0]["highlight"]["title"], "<mark>Printer</mark> &lt;ruang&gt; rawat inap macet");
    assert_eq!(items[1]["highlight"]["excerpt"], "Sejak pagi <mark>printer</mark> tidak mencetak.");
    assert_eq!(items[2]["highlight"]["excerpt"], "Sudah kami kirim <mark>printer</mark> pengganti ke loket.");
    let plain = app.get("/api/v1/tickets", Some(t1));
    assert!(plain.items().iter().all(|t| t.get("highlight").is_none()), "only a search highlights");

    // Paged by rank: two, then one, none twice.
    let first = app.get("/api/v1/tickets?q=printer&limit=2", Some(t1));
    let cursor = first.body["next_cursor"].as_str().expect("a next page").to_string();
    let second = app.get(&format!("/api/v1/tickets?q=printer&limit=2&cursor={cursor}"), Some(t1));
    assert!(second.body["next_cursor"].is_null(), "{:?}", second.body);
    let mut all = numbers(&first);
    all.extend(numbers(&second));
    assert_eq!(all, [in_title.clone(), in_description, in_message]);

    // A cursor past what a search pages through is refused, not walked (nor overflowed).
    for cursor in ["s9223372036854775807", "s2001", "s-1", "sx"] {
        let r = app.get(&format!("/api/v1/tickets?q=printer&cursor={cursor}"), Some(t1));
        assert_eq!((r.status, r.field()), (422, Some("cursor")), "{cursor}");
    }

    // The console shows the same, marked.
    let browser = Browser::sign_in(app, "t1_dinkes", PASSWORD);
    let page = browser.get("/konsol?status=semua&q=printer");
    assert_eq!(page.status, 200);
    assert!(page.body.contains("<mark>Printer</mark> &lt;ruang&gt;"), "{}", page.body);
    assert!(!page.body.contains("<ruang>"));
}

fn any_input_is_words(app: &TestApp) {
    let city = app.city();
    let t1 = city.t("t1_dinkes");
    let number = app.ticket(t1, json!({ "title": "SIMPUS mati total", "description": "Server tidak menjawab" }));
    let long = format!("simpus {}", "x".repeat(10_000));
    let long_words = "kata ".repeat(2_000);
    let inputs = [
        "\"simpus\"",
        "simpus OR mati",
        "simpus\" OR \"",
        "simpus' OR '1'='1",
        "simpus; DROP TABLE tickets; --",
        "NEAR(simpus mati)",
        "simpus*",
        "^simpus",
        "title:simpus",
        "{title}: simpus",
        "simpus & !mati | (x",
        "simpus:*",
        "%_\\",
        "'",
        "\"",
        "-",
        long.as_str(),
        long_words.as_str(),
    ];
    // Never an error: every input is a list of words, whatever it looked like.
    for input in inputs {
        let r = app.get(&format!("/api/v1/tickets?q={}", urlencoding(input)), Some(t1));
        assert_eq!(r.status, 200, "{input:.40}: {:?}", r.body);
    }
    // Quotes and operators are dropped, so these are the word "simpus" and find the ticket.
    for input in ["\"simpus\"", "simpus*", "^simpus", "simpus:*", "{simpus}"] {
        assert_eq!(
            numbers(&app.get(&format!("/api/v1/tickets?q={}", urlencoding(input)), Some(t1))),
            vec![number.clone()],
            "{input}"
        );
    }
    // Their other words must match too, and "or", "1", "drop" or ten thousand x do not.
    for input in ["simpus' OR '1'='1", "simpus; DROP TABLE tickets; --", long.as_str(), long_words.as_str()] {
        assert!(
            numbers(&app.get(&format!("/api/v1/tickets?q={}", urlencoding(input)), Some(t1))).is_empty(),
            "{input:.40}"
        );
    }
    // Nothing but punctuation searches nothing: the queue as it is.
    assert_eq!(numbers(&app.get("/api/v1/tickets?q=%22%27%28%29", Some(t1))), vec![number.clone()]);
    // The console too, with 10 KB of text.
    let browser = Browser::sign_in(app, "t1_dinkes", PASSWORD);
    let page = browser.get(&format!("/konsol?status=semua&q={}", urlencoding(&long)));
    assert_eq!(page.status, 200);
}

/// A ticket a requester opened at DINKES (`fields` give kind, title and description), with an
/// internal note by staff; its number.
fn own_ticket_with_note(
    app: &TestApp,
    (requester, staff): (&str, &str),
    fields: serde_json::Value,
    note: &str,
) -> String {
    let mut body = json!({ "unit": "DINKES", "impact": "low", "urgency": "low" });
    for (key, value) in fields.as_object().expect("fields").iter() {
        body[key] = value.clone();
    }
    let own = app.post("/api/v1/tickets", body, Some(requester));
    assert_eq!(own.status, 201, "{:?}", own.body);
    let own = own.str("number").to_string();
    let r =
        app.post(&format!("/api/v1/tickets/{own}/messages"), json!({ "body": note, "internal": true }), Some(staff));
    assert_eq!(r.status, 201, "{:?}", r.body);
    own
}

fn urlencoding(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// A word typed is a prefix: on SQLite it is searched as the words of the index it starts when
/// they are few, as the prefix itself when they are many; either way every ticket with any of
/// them is found, and notes stay out of the requester's reach.
fn a_prefix_finds_every_word_it_starts(app: &TestApp) {
    let city = app.city();
    let (t1, warga) = (city.t("t1_dinkes"), city.t("warga"));
    let whole = app.ticket(t1, json!({ "title": "Sertifikat tanah hilang", "description": "Mohon dibantu." }));
    let suffixed = app.ticket(t1, json!({ "title": "Cetak ulang", "description": "Sertifikatnya rusak kena air." }));
    let other_root = app.ticket(t1, json!({ "title": "Jadwal sertifikasi guru", "description": "Kapan dibuka?" }));
    let in_note = app.ticket(t1, json!({ "title": "Permintaan data", "description": "Data bidang tanah." }));
    let r = app.post(
        &format!("/api/v1/tickets/{in_note}/messages"),
        json!({ "body": "Sertifikatku sudah dicek", "internal": true }),
        Some(t1),
    );
    assert_eq!(r.status, 201, "{:?}", r.body);
    let sorted = |mut v: Vec<String>| {
        v.sort();
        v
    };
    let q = |query: &str, token: &str| sorted(numbers(&app.get(&format!("/api/v1/tickets?q={query}"), Some(token))));
    assert_eq!(q("sertifikat", t1), sorted(vec![whole.clone(), suffixed.clone(), in_note.clone()]));
    assert_eq!(q("sertifika", t1), sorted(vec![whole.clone(), suffixed.clone(), other_root.clone(), in_note.clone()]));
    assert_eq!(q("sertifikatny", t1), vec![suffixed.clone()]);
    assert!(q("sertifikatz", t1).is_empty());
    assert_eq!(q("ser", t1).len(), 4, "three letters: the prefix index");
    // Every word must still match, anywhere the reader may search (staff: notes too).
    assert_eq!(q("sertifikat%20tanah", t1), sorted(vec![whole.clone(), in_note.clone()]));
    assert_eq!(q("sertifikat%20hilang", t1), vec![whole.clone()]);

    // More forms than are looked up one by one: the prefix, with the same answer.
    let words: Vec<String> = (0..40).map(|n| format!("laporan{n}x")).collect();
    let many = app.ticket(t1, json!({ "title": "Rekap", "description": words.join(" ") }));
    let last = app.ticket(t1, json!({ "title": "Satu lagi", "description": "laporan39x saja" }));
    assert_eq!(q("laporan", t1), sorted(vec![many.clone(), last.clone()]));
    assert_eq!(q("laporan39", t1), sorted(vec![many, last]));

    // The requester's own ticket, with a form only in an internal note: not found through it.
    let own = own_ticket_with_note(
        app,
        (warga, t1),
        json!({ "kind": "service_request", "title": "Balik nama", "description": "Untuk rumah orang tua." }),
        "Berkas kodebalik77 ditolak kantor pertanahan",
    );
    assert_eq!(q("balik", warga), vec![own.clone()], "the title's form");
    assert!(q("kodebal", warga).is_empty(), "the note's word is staff's");
    assert_eq!(q("kodebal", t1), vec![own]);
}

//! Periodic reports (SPEC section 8): a month of work built through the API with a moving
//! clock, the figures the test expects computed here from its own ledger, and every format,
//! the archive, the monthly job, mail and the evidence pack.

use std::collections::HashMap;
use std::io::Read;

use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use crate::both_databases;
use crate::helpers::{City, TestApp};

pub(crate) fn wib(local: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(&format!("{local}:00+07:00")).expect("time").with_timezone(&Utc)
}

/// Bytes of a response (the JSON helpers read text only).
pub(crate) fn fetch(app: &TestApp, path: &str, token: &str) -> (u16, HashMap<String, String>, Vec<u8>) {
    let response =
        match ureq::get(&format!("{}{path}", app.base)).set("Authorization", &format!("Bearer {token}")).call() {
            Ok(r) => r,
            Err(ureq::Error::Status(_, r)) => r,
            Err(e) => panic!("GET {path}: {e}"),
        };
    let status = response.status();
    let headers = response
        .headers_names()
        .into_iter()
        .filter_map(|n| response.header(&n).map(|v| (n.to_lowercase(), v.to_string())))
        .collect();
    let mut bytes = Vec::new();
    response.into_reader().read_to_end(&mut bytes).expect("body");
    (status, headers, bytes)
}

fn unzip(bytes: &[u8]) -> HashMap<String, Vec<u8>> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a ZIP");
    let mut files = HashMap::new();
    for i in 0..archive.len() {
        let mut file = archive.by_index(i).expect("entry");
        let mut content = Vec::new();
        file.read_to_end(&mut content).expect("read entry");
        files.insert(file.name().to_string(), content);
    }
    files
}

fn sha256(bytes: &[u8]) -> String {
    hex::encode(<sha2::Sha256 as sha2::Digest>::digest(bytes))
}

/// What the test did, to compute the expected figures from.
pub(crate) struct Ledger {
    pub(crate) problem: String,
    linked: String,
    pub(crate) security: String,
    /// (priority, business minutes to first response) of the October tickets that got one.
    first_responses: Vec<(&'static str, i64)>,
    /// (priority, business minutes to resolution, pauses taken off).
    resolutions: Vec<(&'static str, i64)>,
}

/// Median and nearest-rank p90, written out again here rather than borrowed from the product.
fn median_p90(mut minutes: Vec<i64>) -> (Option<f64>, Option<f64>) {
    if minutes.is_empty() {
        return (None, None);
    }
    minutes.sort();
    let n = minutes.len();
    let median = if n % 2 == 1 { minutes[n / 2] as f64 } else { (minutes[n / 2 - 1] + minutes[n / 2]) as f64 / 2.0 };
    let rank = ((n as f64) * 0.9).ceil() as usize;
    (Some(median), Some(minutes[rank.max(1) - 1] as f64))
}

fn rate(app: &TestApp, number: &str, rating: u8) {
    let token = app
        .outbox_of(number)
        .into_iter()
        .find(|o| o.template == "ticket_resolved")
        .and_then(|o| serde_json::from_str::<Value>(&o.payload).ok())
        .and_then(|p| p["csat_token"].as_str().map(str::to_string))
        .expect("a rating token");
    let r = app.post(&format!("/api/v1/public/tickets/{number}/csat?token={token}"), json!({ "rating": rating }), None);
    assert_eq!(r.status, 201, "{:?}", r.body);
}

/// October 2026 at DINKES and DISDIK, on a clock moved step by step (all times WIB, working
/// hours of `jam-kerja`, so business minutes are the minutes on the wall clock).
pub(crate) fn october(app: &TestApp, city: &City) -> Ledger {
    let (t1, t1b, t2) = (city.t("t1_dinkes"), city.t("t1_disdik"), city.t("t2_kominfo"));
    let step = |at: &str| app.clock.set(wib(at));
    let ok = |r: crate::helpers::Reply| assert!(r.status < 300, "{:?}", r.body);
    let reply = |number: &str, token: &str, body: &str| {
        ok(app.post(&format!("/api/v1/tickets/{number}/messages"), json!({ "body": body }), Some(token)))
    };

    // A September ticket still open: backlog older than 30 days, not October's volume.
    step("2026-09-30T10:00");
    app.ticket(t1, json!({ "title": "Printer rusak", "impact": "low", "urgency": "low" }));

    step("2026-10-05T08:00");
    let p1 = app.ticket(t1, json!({ "service": "SIMPUS", "impact": "high", "urgency": "high" }));
    ok(app.act(&p1, "start", json!({}), t1));
    step("2026-10-05T08:10");
    let p3 = app.ticket(t1, json!({ "title": "Akun terkunci", "service": "SIMPUS" }));
    ok(app.act(&p3, "start", json!({}), t1));
    step("2026-10-05T08:20");
    reply(&p1, t1, "Sedang kami periksa.");
    step("2026-10-05T08:30");
    let cancelled = app.ticket(
        t1b,
        json!({ "kind": "service_request", "title": "Akun PPDB", "unit": "DISDIK", "service": "PPDB",
                "impact": "low", "urgency": "low", "channel": "phone" }),
    );
    step("2026-10-05T08:50");
    reply(&p3, t1, "Mohon kirim nama pengguna Anda.");
    step("2026-10-05T09:00");
    ok(app.act(&p1, "resolve", json!({ "resolution": "Server dimulai ulang." }), t1));
    ok(app.act(&p3, "pend", json!({ "reason": "menunggu data pelapor" }), t1));
    let escalated = app.ticket(t1, json!({ "kind": "complaint", "title": "Antrean lambat" }));
    ok(app.act(&escalated, "start", json!({}), t1));
    step("2026-10-05T09:30");
    ok(app.act(&cancelled, "cancel", json!({ "reason": "dobel" }), t1b));
    ok(app.act(&escalated, "escalate", json!({ "reason": "perlu akses basis data" }), t1));
    step("2026-10-05T10:00");
    ok(app.act(&p3, "resume", json!({}), t1));
    reply(&escalated, t2, "Kami tangani di Tier 2.");
    let problem = app.ticket(t1, json!({ "kind": "problem", "title": "SIMPUS sering mati", "impact": "high" }));
    let r = app.post(&format!("/api/v1/tickets/{problem}/links"), json!({ "incident": p1 }), Some(t1));
    assert_eq!(r.status, 201, "{:?}", r.body);
    step("2026-10-05T10:30");
    let security = app.ticket(
        t1,
        json!({ "title": "Situs diretas", "service": "SIMPUS", "impact": "high", "security_incident": true }),
    );
    step("2026-10-05T11:00");
    ok(app.act(&p3, "resolve", json!({ "resolution": "Akun dibuka." }), t1));
    step("2026-10-05T11:30");
    ok(app.act(&escalated, "resolve", json!({ "resolution": "Indeks ditambahkan." }), t2));
    rate(app, &p1, 5);
    rate(app, &p3, 3);
    step("2026-10-09T10:00");
    ok(app.act(&p1, "close", json!({}), t1));
    step("2026-10-30T08:00");
    app.ticket(t1b, json!({ "title": "Nilai rapor hilang", "unit": "DISDIK", "impact": "low", "urgency": "low", "channel": "phone" }));

    // Every clock brought up to date long after the month: breach alerts of October fire.
    step("2026-11-10T09:00");
    app.sweep();
    Ledger {
        problem,
        linked: p1,
        security,
        first_responses: vec![("P1", 20), ("P3", 40), ("P3", 60)],
        resolutions: vec![("P1", 60), ("P3", 170 - 60), ("P3", 150)],
    }
}

fn report(app: &TestApp, query: &str, token: &str) -> Value {
    let r = app.get(&format!("/api/v1/reports?{query}"), Some(token));
    assert_eq!(r.status, 200, "{query}: {:?}", r.body);
    r.body
}

fn count_of(items: &Value, key: &str) -> HashMap<String, i64> {
    items
        .as_array()
        .expect("array")
        .iter()
        .map(|i| (i[key].as_str().expect("key").to_string(), i["count"].as_i64().expect("count")))
        .collect()
}

both_databases!(monthly_figures_match_the_ledger, every_format_and_scope, archive_job_mail_and_evidence);

fn monthly_figures_match_the_ledger(app: &TestApp) {
    let city = app.city();
    let ledger = october(app, &city);
    let doc = report(app, "unit=all&period=2026-10", city.t("sup_kominfo"));
    let r = &doc["report"];
    assert_eq!(r["period"]["title"], "Oktober 2026");
    assert_eq!(r["period"]["as_of"], "2026-10-31T17:00:00Z", "judged at the month's end in WIB");

    // 1. Volume: seven tickets opened in October, by kind × channel, service and day.
    assert_eq!(r["volume"]["total"], 7);
    let kinds: HashMap<(String, String), i64> = r["volume"]["by_kind_channel"]
        .as_array()
        .expect("kinds")
        .iter()
        .map(|k| {
            (
                (k["kind"].as_str().unwrap_or("").into(), k["channel"].as_str().unwrap_or("").into()),
                k["count"].as_i64().unwrap_or(0),
            )
        })
        .collect();
    let expected: HashMap<(String, String), i64> = [
        (("incident", "api"), 2),
        (("incident", "phone"), 1),
        (("service_request", "phone"), 1),
        (("complaint", "api"), 1),
        (("problem", "api"), 1),
    ]
    .into_iter()
    .map(|((k, c), n)| ((k.to_string(), c.to_string()), n))
    .collect();
    // The security incident is an incident over the API too.
    let mut expected = expected;
    *expected.entry(("incident".into(), "api".into())).or_default() += 1;
    assert_eq!(kinds, expected);
    let services = count_of(&r["volume"]["by_service"], "key");
    assert_eq!(services, HashMap::from([("SIMPUS".into(), 3), ("PPDB".into(), 1), ("".into(), 3)]));
    let days = count_of(&r["volume"]["per_day"], "key");
    assert_eq!(days.len(), 31);
    assert_eq!((days["2026-10-05"], days["2026-10-30"], days["2026-10-06"]), (6, 1, 0));

    // 2. Outcomes and the backlog at the end of October by age.
    let o = &r["outcomes"];
    assert_eq!((o["resolved"].as_i64(), o["closed"].as_i64(), o["cancelled"].as_i64()), (Some(3), Some(1), Some(1)));
    assert_eq!(o["backlog"], 4);
    let ages = count_of(&o["backlog_by_age"], "key");
    assert_eq!(
        ages,
        HashMap::from([("0-1".into(), 0), ("1-3".into(), 1), ("3-7".into(), 0), ("7-30".into(), 2), (">30".into(), 1)])
    );

    // 3. SLA per priority, judged at the period's end; durations from the ledger.
    let sla: HashMap<String, Value> = r["sla"]["per_priority"]
        .as_array()
        .expect("priorities")
        .iter()
        .map(|p| (p["priority"].as_str().unwrap_or("").to_string(), p.clone()))
        .collect();
    let expect = |priority: &str, target: &str, met: i64, breached: i64, running: i64, minutes: Vec<i64>| {
        let t = &sla[priority][target];
        assert_eq!(
            (t["met"].as_i64(), t["breached"].as_i64(), t["running"].as_i64()),
            (Some(met), Some(breached), Some(running)),
            "{priority} {target}"
        );
        let compliance = (met + breached > 0).then(|| (met as f64 * 1000.0 / (met + breached) as f64).round() / 10.0);
        assert_eq!(t["compliance_percent"].as_f64(), compliance, "{priority} {target}");
        let (median, p90) = median_p90(minutes);
        assert_eq!(t["business_minutes"]["median"].as_f64(), median, "{priority} {target} median");
        assert_eq!(t["business_minutes"]["p90"].as_f64(), p90, "{priority} {target} p90");
    };
    let of = |list: &[(&str, i64)], p: &str| list.iter().filter(|(q, _)| *q == p).map(|(_, m)| *m).collect::<Vec<_>>();
    expect("P1", "first_response", 1, 0, 0, of(&ledger.first_responses, "P1"));
    expect("P1", "resolution", 1, 0, 0, of(&ledger.resolutions, "P1"));
    expect("P2", "first_response", 0, 2, 0, vec![]);
    expect("P2", "resolution", 0, 2, 0, vec![]);
    expect("P3", "first_response", 2, 0, 0, of(&ledger.first_responses, "P3"));
    expect("P3", "resolution", 2, 0, 0, of(&ledger.resolutions, "P3"));
    expect("P4", "first_response", 0, 0, 1, vec![]);
    assert_eq!(sla["P4"]["tickets"], 1, "the cancelled P4 is not measured");
    // Breach alerts due in October: the two P2 tickets and September's ticket, each target.
    assert_eq!(r["sla"]["breaches"], json!({ "first_response": 3, "resolution": 3 }));

    // 4. Tiers: the automatic escalations of November do not count for October.
    let tiers = &r["tiers"];
    assert_eq!((tiers["opened"].as_i64(), tiers["escalated"].as_i64()), (Some(7), Some(1)));
    assert_eq!(tiers["escalation_rate_percent"], 14.3);
    assert_eq!(tiers["tier2_first_action"], json!({ "count": 1, "median": 30.0, "p90": 30.0 }));
    assert_eq!(tiers["tier2_resolution"], json!({ "count": 1, "median": 120.0, "p90": 120.0 }));
    assert_eq!(tiers["returned"], 0);

    // 5. Security incidents with the 24-hour notice time.
    let incidents = r["security_incidents"].as_array().expect("incidents");
    assert_eq!(incidents.len(), 1);
    assert_eq!(incidents[0]["number"], ledger.security.as_str());
    assert_eq!(incidents[0]["notice_due"], "2026-10-06T03:30:00Z");

    // 6. CSAT: three asked, two answered (5 and 3).
    assert_eq!(
        r["csat"],
        json!({ "requested": 3, "responses": 2, "response_rate_percent": 66.7, "mean": 4.0, "distribution": [0, 0, 1, 0, 1] })
    );

    // 7. Services by incidents, problems with their incidents.
    // Incidents: two SIMPUS tickets of 5 October and the security incident; DISDIK's of the 30th.
    assert_eq!(count_of(&r["top_services"], "key"), HashMap::from([("SIMPUS".into(), 3), ("".into(), 1)]));
    let problems = r["problems"].as_array().expect("problems");
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0]["number"], ledger.problem.as_str());
    assert_eq!(problems[0]["linked_incidents"], json!([ledger.linked]));

    // 8. Per agent, for the supervisor.
    let agents: HashMap<String, Value> = r["agents"]
        .as_array()
        .expect("agents for a supervisor")
        .iter()
        .map(|a| (a["username"].as_str().unwrap_or("").to_string(), a.clone()))
        .collect();
    let t1 = &agents["t1_dinkes"];
    // Replies: two answers and two resolutions; the escalation note is internal.
    assert_eq!(
        (t1["resolved"].as_i64(), t1["public_replies"].as_i64(), t1["internal_notes"].as_i64()),
        (Some(2), Some(4), Some(1))
    );
    let t2 = &agents["t2_kominfo"];
    assert_eq!((t2["resolved"].as_i64(), t2["public_replies"].as_i64()), (Some(1), Some(2)));

    // The same period and data give the same data section, whenever it is generated.
    app.clock.set(wib("2026-11-20T09:00"));
    let again = report(app, "unit=all&period=2026-10", city.t("sup_kominfo"));
    assert_eq!(again["report"], doc["report"]);
    assert_eq!(again["data_sha256"], doc["data_sha256"]);
    assert_ne!(again["generated_at"], doc["generated_at"]);
    // A range of days is a period too; from/to name the days included.
    let range = report(app, "unit=all&from=2026-10-05&to=2026-10-05", city.t("sup_kominfo"));
    assert_eq!(range["report"]["volume"]["total"], 6);
}

fn every_format_and_scope(app: &TestApp) {
    let city = app.city();
    october(app, &city);
    let sup = city.t("sup_kominfo");

    // CSV: a ZIP with one file per table; byte-identical when generated again.
    let (status, headers, csv) = fetch(app, "/api/v1/reports?unit=all&period=2026-10&format=csv", sup);
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "application/zip");
    assert!(headers["content-disposition"].contains("laporan-all-2026-10.csv.zip"), "{headers:?}");
    let files = unzip(&csv);
    let sla = String::from_utf8(files["06-sla_per_priority.csv"].clone()).expect("utf-8");
    assert!(sla.starts_with("priority,tickets,first_response_met,"), "{sla}");
    assert!(sla.contains("\r\nP3,2,2,0,0,100,50,60,2,0,0,100,130,150\r\n"), "{sla}");
    assert!(
        files.contains_key("01-summary.csv")
            && files.contains_key("12-service_disruptions.csv")
            && files.contains_key("13-agents.csv"),
        "{:?}",
        files.keys()
    );
    app.clock.advance(chrono::Duration::hours(3));
    let (_, _, csv_again) = fetch(app, "/api/v1/reports?unit=all&period=2026-10&format=csv", sup);
    assert_eq!(sha256(&csv), sha256(&csv_again), "the same data gives the same bytes");

    // XLSX: one sheet per table, numbers as numbers.
    let (status, headers, xlsx) = fetch(app, "/api/v1/reports?unit=all&period=2026-10&format=xlsx", sup);
    assert_eq!(status, 200);
    assert!(headers["content-type"].contains("spreadsheetml"));
    let sheets = unzip(&xlsx);
    let workbook = String::from_utf8(sheets["xl/workbook.xml"].clone()).expect("workbook");
    for name in ["laporan", "summary", "sla_per_priority", "csat", "agents"] {
        assert!(workbook.contains(&format!("name=\"{name}\"")), "sheet {name}: {workbook}");
    }
    // Sheet 7 is sla_per_priority (after the cover and five tables): P3's resolution median.
    let sheet = String::from_utf8(sheets["xl/worksheets/sheet7.xml"].clone()).expect("sheet");
    assert!(sheet.contains("<c r=\"M4\"><v>130</v></c>"), "a numeric cell: {sheet}");

    // PDF: A4, with the unit, period, generation time and the data's SHA-256 in the text.
    let (status, headers, pdf) = fetch(app, "/api/v1/reports?unit=DINKES&period=2026-10&format=pdf", sup);
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "application/pdf");
    assert!(pdf.starts_with(b"%PDF-"));
    assert!(String::from_utf8_lossy(&pdf).contains("/MediaBox [0 0 595.28 841.89]"), "A4");
    let data_sha = headers["x-report-sha256"].clone();
    match pdf_text(&pdf) {
        Some(text) => {
            for needle in [
                "Laporan Pelaksanaan Tugas Service Desk",
                "Dinas Kesehatan",
                "Oktober 2026",
                "Dibuat",
                &data_sha,
                "Kepatuhan SLA per prioritas",
            ] {
                assert!(text.contains(needle), "{needle} in the PDF text:\n{text}");
            }
        }
        None => eprintln!("\nSKIPPED: reading the PDF's text (pdftotext not installed; scripts/test installs it)\n"),
    }

    // HTML: a page with three SVG charts and the tables.
    let (status, headers, html) = fetch(app, "/api/v1/reports?unit=DINKES&period=2026-10&format=html", sup);
    assert_eq!(status, 200);
    assert!(headers["content-type"].starts_with("text/html"));
    let html = String::from_utf8(html).expect("utf-8");
    assert_eq!(html.matches("<svg").count(), 3);
    assert!(html.contains("<html lang=\"id\">") && html.contains("Dinas Kesehatan") && html.contains(&data_sha));

    // Scopes: a unit head reads the own unit with the per-agent table; an agent reads its own
    // unit without it; neither reads another unit or the city; a requester reads nothing.
    let head = report(app, "period=2026-10", city.t("head_dinkes"));
    assert_eq!(head["report"]["scope"]["code"], "DINKES");
    assert_eq!(head["report"]["volume"]["total"], 5);
    assert!(head["report"]["agents"].is_array());
    let agent = report(app, "period=2026-10", city.t("t1_disdik"));
    assert_eq!(agent["report"]["scope"]["code"], "DISDIK");
    assert_eq!(agent["report"]["volume"]["total"], 2);
    assert!(agent["report"].get("agents").is_none(), "no per-agent figures for an agent");
    for (who, query) in [("t1_dinkes", "unit=DISDIK"), ("head_dinkes", "unit=all"), ("t2_kominfo", "unit=DINKES")] {
        let r = app.get(&format!("/api/v1/reports?{query}&period=2026-10"), Some(city.t(who)));
        assert_eq!(r.status, 403, "{who} {query}: {:?}", r.body);
    }
    assert_eq!(app.get("/api/v1/reports?period=2026-10", Some(city.t("warga"))).status, 403);
    assert_eq!(app.get("/api/v1/reports?period=2026-10", None).status, 401);

    // Bad input names the field.
    for (query, field) in [
        ("period=2026-13", "period"),
        ("from=2026-10-01", "to"),
        ("from=2026-10-31&to=2026-10-01", "to"),
        ("period=2026-10&format=docx", "format"),
        ("unit=NOPE", "unit"),
        ("period=2026-10&from=2026-10-01&to=2026-10-02", "period"),
    ] {
        let r = app.get(&format!("/api/v1/reports?{query}"), Some(sup));
        assert_eq!((r.status, r.field()), (422, Some(field)), "{query}: {:?}", r.body);
    }

    // The CLI writes the same report to a file.
    let dir = std::env::temp_dir().join(format!("meja-report-{}", uuid::Uuid::now_v7().simple()));
    std::fs::create_dir_all(&dir).expect("dir");
    let out = dir.join("dinkes.xlsx");
    let run = app.meja(&[
        "report",
        "generate",
        "--unit",
        "DINKES",
        "--period",
        "2026-10",
        "--format",
        "xlsx",
        "-o",
        out.to_str().expect("path"),
    ]);
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    assert!(unzip(&std::fs::read(&out).expect("file")).contains_key("xl/workbook.xml"));
    let bad =
        app.meja(&["report", "generate", "--unit", "DINKES", "--period", "2026-Q5", "-o", out.to_str().expect("path")]);
    assert!(!bad.status.success());
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("quarter 5 does not exist"),
        "{}",
        String::from_utf8_lossy(&bad.stderr)
    );
    let _ = std::fs::remove_dir_all(dir);

    // A confidential security incident is counted for everyone but listed only for those who
    // may see it (tier 2, supervisors), not for the unit's head or agents.
    app.clock.set(wib("2026-10-06T09:00"));
    let secret = app.ticket(
        city.t("t1_dinkes"),
        json!({ "title": "Kebocoran data", "classification": "confidential", "security_incident": true }),
    );
    app.clock.set(wib("2026-11-20T09:00"));
    let listed = |who: &str, unit: &str| -> Vec<String> {
        report(app, &format!("unit={unit}&period=2026-10"), city.t(who))["report"]["security_incidents"]
            .as_array()
            .expect("incidents")
            .iter()
            .filter_map(|i| i["number"].as_str().map(str::to_string))
            .collect()
    };
    assert!(listed("sup_kominfo", "DINKES").contains(&secret));
    assert!(!listed("head_dinkes", "DINKES").contains(&secret));
    assert!(!listed("t1_dinkes", "DINKES").contains(&secret));
    assert_eq!(report(app, "period=2026-10", city.t("head_dinkes"))["report"]["volume"]["total"], 6, "still counted");
}

/// The PDF's text through poppler's `pdftotext`, when installed.
fn pdf_text(pdf: &[u8]) -> Option<String> {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut child =
        Command::new("pdftotext").args(["-", "-"]).stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().ok()?;
    child.stdin.take()?.write_all(pdf).ok()?;
    let output = child.wait_with_output().ok()?;
    output.status.success().then(|| String::from_utf8_lossy(&output.stdout).to_string())
}

fn archive_job_mail_and_evidence(app: &TestApp) {
    let city = app.city();
    october(app, &city);
    let plan = meja::desk::report_archive::ArchivePlan {
        recipients: vec!["kominfo@example.go.id".into()],
        attach_xlsx: true,
        working_day: 1,
    };
    let sup = city.t("sup_kominfo");

    // October's are not due before the first working day after it (Monday 2 November, 07:30
    // WIB); September's were missing (the desk had a ticket then) and are caught up.
    app.clock.set(wib("2026-11-02T07:29"));
    let early = meja::desk::report_archive::run_due(&app.desk, &plan).expect("job");
    assert!(early.len() == 4 && early.iter().all(|o| o.report.period == "2026-09"), "{early:?}");
    app.clock.set(wib("2026-11-02T07:31"));
    let done = meja::desk::report_archive::run_due(&app.desk, &plan).expect("job");
    let scopes: Vec<&str> = done.iter().map(|o| o.report.scope.as_str()).collect();
    assert_eq!(scopes, ["DINKES", "DISDIK", "DISKOMINFO", "all"]);
    assert!(done.iter().all(|o| o.created && o.report.period == "2026-10" && o.report.files.len() == 5));
    // Only whole months that have ended.
    for period in ["2026-11", "2026-Q3", "2026-10-01..2026-10-31"] {
        let r = app.post("/api/v1/reports/archive", json!({ "period": period }), Some(sup));
        assert_eq!((r.status, r.field()), (422, Some("period")), "{period}: {:?}", r.body);
    }
    // Never twice for the same period, by the job or by hand.
    app.clock.set(wib("2026-11-03T09:00"));
    assert!(meja::desk::report_archive::run_due(&app.desk, &plan).expect("job").is_empty());
    let r = app.post("/api/v1/reports/archive", json!({ "period": "2026-10" }), Some(sup));
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert!(r.items().iter().all(|o| o["created"] == false), "{:?}", r.body);
    assert_eq!(
        app.post("/api/v1/reports/archive", json!({ "period": "2026-10" }), Some(city.t("t1_dinkes"))).status,
        403
    );

    // Stored unchanged, with their SHA-256 in the audit log.
    let generated: Vec<Value> = app
        .all_events()
        .into_iter()
        .filter(|e| e.kind == "report.generated")
        .map(|e| serde_json::from_str(&e.data).expect("json"))
        .filter(|e: &Value| e["period"] == "2026-10")
        .collect();
    assert_eq!(generated.len(), 4);
    let city_wide = done.iter().find(|o| o.report.scope == "all").expect("city report");
    let event = generated.iter().find(|e| e["scope"] == "all").expect("event");
    assert_eq!(event["data_sha256"], city_wide.report.data_sha256.as_str());
    for format in ["pdf", "xlsx", "csv", "json", "html"] {
        let (status, headers, bytes) =
            fetch(app, &format!("/api/v1/reports/archive/{}/{format}", city_wide.report.id), sup);
        assert_eq!(status, 200, "{format}");
        assert_eq!(event["files"][format], sha256(&bytes).as_str(), "{format} as archived");
        assert_eq!(headers["x-content-sha256"], sha256(&bytes));
    }

    // Mailed: Diskominfo's address gets all four, each unit head the own unit's; PDF and XLSX attached.
    let mails: Vec<meja::db::outbox::OutboxRow> = app
        .desk
        .read_blocking(|conn| {
            use diesel::prelude::*;
            use meja::db::schema::outbox;
            Ok(outbox::table
                .filter(outbox::template.eq("report_ready"))
                .filter(outbox::payload.like("%Oktober 2026%"))
                .select(meja::db::outbox::OutboxRow::as_select())
                .load(conn)?)
        })
        .expect("outbox");
    let mut recipients: Vec<&str> = mails.iter().map(|m| m.recipient.as_str()).collect();
    recipients.sort();
    assert_eq!(
        recipients,
        [
            "head_dinkes@example.go.id",
            "head_disdik@example.go.id",
            "kominfo@example.go.id",
            "kominfo@example.go.id",
            "kominfo@example.go.id",
            "kominfo@example.go.id"
        ]
    );
    let payload: Value = serde_json::from_str(&mails[0].payload).expect("payload");
    let names: Vec<&str> = payload["attachments"]
        .as_array()
        .expect("attachments")
        .iter()
        .filter_map(|a| a["file_name"].as_str())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(names[0].ends_with(".pdf") || names[1].ends_with(".pdf"));

    // Scopes of the archive: a unit head sees the own unit's report only.
    let head = app.get("/api/v1/reports/archive?period=2026-10", Some(city.t("head_dinkes")));
    let head_scopes: Vec<String> =
        head.items().iter().filter_map(|r| r["scope"].as_str().map(str::to_string)).collect();
    assert_eq!(head_scopes, ["DINKES"]);
    // They carry the per-agent figures: agents and admins do not read them.
    for who in ["t1_dinkes", "t2_kominfo", "admin"] {
        assert_eq!(app.get("/api/v1/reports/archive?period=2026-10", Some(city.t(who))).status, 403, "{who}");
        let path = format!("/api/v1/reports/archive/{}/pdf", city_wide.report.id);
        assert_eq!(fetch(app, &path, city.t(who)).0, 403, "{who}");
    }
    let hidden = app.get(&format!("/api/v1/reports/archive/{}", city_wide.report.id), Some(city.t("head_dinkes")));
    assert_eq!(hidden.status, 404);
    assert_eq!(app.get("/api/v1/reports/archive?period=2026-10", Some(sup)).items().len(), 4);

    // A supervisor's review note, audited; others may not write one.
    let path = format!("/api/v1/reports/archive/{}/reviews", city_wide.report.id);
    let r = app.post(&path, json!({ "note": "Kepatuhan P2 rendah; tambah petugas Tier 1 DINKES." }), Some(sup));
    assert_eq!(r.status, 201, "{:?}", r.body);
    assert_eq!(r.body["reviews"][0]["author"], "sup_kominfo");
    assert_eq!(app.post(&path, json!({ "note": "x" }), Some(city.t("head_dinkes"))).status, 403);
    assert_eq!(app.post(&path, json!({ "note": "  " }), Some(sup)).field(), Some("note"));

    // The evidence pack: archived files, the period's city report, rules, staff, reviews and sums.
    let (status, _, pack) = fetch(app, "/api/v1/reports/evidence?period=2026-Q4", sup);
    assert_eq!(status, 200);
    let files = unzip(&pack);
    assert!(files.contains_key("laporan/2026-10/laporan-all-2026-10.pdf"), "{:?}", files.keys());
    assert!(files.contains_key("laporan/2026-10/laporan-dinkes-2026-10.xlsx"));
    assert!(files.contains_key("laporan-periode/laporan-all-2026-Q4.pdf"));
    let policy: Value = serde_json::from_slice(&files["kebijakan-sla.json"]).expect("policy");
    assert_eq!(policy.as_array().map(Vec::len), Some(4));
    assert!(files.contains_key("kalender/jam-kerja.json"));
    let staff = String::from_utf8_lossy(&files["unit-dan-petugas.csv"]);
    assert!(staff.contains("DINKES,Dinas Kesehatan,tidak,agent_t1,t1_dinkes"), "{staff}");
    assert!(String::from_utf8_lossy(&files["catatan-reviu.csv"]).contains("tambah petugas Tier 1 DINKES"));
    let map = String::from_utf8_lossy(&files["peta-kepatuhan.md"]);
    assert!(
        map.contains("Semarang 27/2021 Pasal 39") && map.contains("Compliance map (English)"),
        "the compliance map"
    );
    let sums = String::from_utf8_lossy(&files["SHA256SUMS"]).to_string();
    for line in sums.lines() {
        let (sum, name) = line.split_once("  ").expect("sum line");
        assert_eq!(sha256(&files[name]), sum, "{name}");
    }
    for who in ["head_dinkes", "admin"] {
        assert_eq!(fetch(app, "/api/v1/reports/evidence?period=2026-Q4", city.t(who)).0, 403, "{who}");
    }
    let verify = app.meja(&["audit", "verify"]);
    assert!(verify.status.success(), "{}", String::from_utf8_lossy(&verify.stdout));
}

both_databases!(two_job_processes_archive_once);

/// Two `meja jobs --once` processes at the same moment produce each report once.
fn two_job_processes_archive_once(app: &TestApp) {
    let city = app.city();
    app.clock.set(wib("2026-10-12T09:00"));
    app.ticket(city.t("t1_dinkes"), json!({}));
    let runs: Vec<std::process::Child> = (0..2)
        .map(|_| {
            app.meja_command(&["jobs", "--once"])
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("meja jobs")
        })
        .collect();
    for run in runs {
        let output = run.wait_with_output().expect("wait");
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    }
    // The processes run on the real clock: whatever month closed last, each scope once.
    let generated: Vec<Value> = app
        .all_events()
        .into_iter()
        .filter(|e| e.kind == "report.generated")
        .map(|e| serde_json::from_str(&e.data).expect("json"))
        .collect();
    let mut scopes: Vec<String> = generated.iter().map(|e| format!("{} {}", e["scope"], e["period"])).collect();
    scopes.sort();
    let before = scopes.len();
    scopes.dedup();
    assert_eq!(scopes.len(), before, "a report generated twice: {scopes:?}");
    // On the first working day of a month before office hours nothing is due yet.
    app.clock.set(Utc::now());
    let plan = meja::desk::report_archive::ArchivePlan { recipients: vec![], attach_xlsx: false, working_day: 1 };
    let in_use = meja::desk::report_archive::due_months(&app.desk, &plan)
        .into_iter()
        .filter(|m| m.last_day >= chrono::NaiveDate::from_ymd_opt(2026, 10, 12).expect("date"))
        .count();
    assert_eq!(before, 4 * in_use, "{scopes:?}");
}

both_databases!(archived_report_arrives_by_mail_with_its_pdf);

/// Through the real Postfix and Dovecot: the archived report reaches Diskominfo's mailbox with
/// the PDF attached, byte for byte the stored file.
fn archived_report_arrives_by_mail_with_its_pdf(app: &TestApp) {
    let Some((smtp, imap_addr)) = crate::email::mail_servers() else { return };
    let city = app.city();
    app.clock.set(wib("2026-10-12T09:00"));
    app.ticket(city.t("t1_dinkes"), json!({}));
    let id = uuid::Uuid::now_v7().simple().to_string();
    let kominfo = format!("kominfo-{id}@kota.test");
    let plan = meja::desk::report_archive::ArchivePlan {
        recipients: vec![kominfo.clone()],
        attach_xlsx: false,
        working_day: 1,
    };
    app.clock.set(wib("2026-11-02T08:00"));
    let done = meja::desk::report_archive::run_due(&app.desk, &plan).expect("job");
    let city_wide = done.iter().find(|o| o.report.scope == "all").expect("city-wide report");
    let stored_pdf = city_wide.report.files.iter().find(|f| f.format == "pdf").expect("pdf").sha256.clone();

    let settings = meja::config::Settings {
        smtp_url: Some(meja::config::Secret::new(smtp)),
        mail_from: "Service Desk <layanan@kota.test>".into(),
        ..meja::config::Settings::default()
    };
    let mailer = meja::email::outbound::Mailer::from_settings(&settings).expect("mailer").expect("configured");
    let sent = meja::email::outbound::deliver_due(&app.desk, &mailer, 100).expect("deliver");
    assert!(sent.sent >= 4, "{sent:?}");
    let raw = crate::email::wait_for("the city-wide report in Diskominfo's mailbox", || {
        crate::email::read_inbox(&imap_addr, &kominfo)
            .into_iter()
            .find(|m| String::from_utf8_lossy(m).contains("laporan-all-2026-10.pdf"))
    });
    use mail_parser::MimeHeaders;
    let message = mail_parser::MessageParser::default().parse(&raw).expect("a mail");
    let subject = message.subject().unwrap_or_default().to_string();
    assert!(subject.contains("Laporan pelaksanaan tugas") && subject.contains("Oktober 2026"), "{subject}");
    let text = message.body_text(0).map(|t| t.to_string()).unwrap_or_default();
    assert!(text.contains(&city_wide.report.data_sha256), "the data's SHA-256 in the mail: {text}");
    let pdf = message
        .attachments()
        .find(|a| a.attachment_name() == Some("laporan-all-2026-10.pdf"))
        .expect("the PDF attached");
    assert_eq!(sha256(pdf.contents()), stored_pdf, "the attachment is the archived file");
    assert_eq!(meja::email::outbound::deliver_due(&app.desk, &mailer, 100).expect("deliver").sent, 0, "sent once");
}

both_databases!(problem_links_are_scoped);

/// Linking incidents to a problem follows the ticket scopes of the API.
fn problem_links_are_scoped(app: &TestApp) {
    let city = app.city();
    let (t1, other) = (city.t("t1_dinkes"), city.t("t1_disdik"));
    let problem = app.ticket(t1, json!({ "kind": "problem", "title": "Jaringan Puskesmas putus-putus" }));
    let incident = app.ticket(t1, json!({}));
    let request = app.ticket(t1, json!({ "kind": "service_request", "title": "Akun baru" }));
    let elsewhere = app.ticket(other, json!({ "unit": "DISDIK" }));
    let link = |number: &str, incident: &str, token: &str| {
        app.post(&format!("/api/v1/tickets/{number}/links"), json!({ "incident": incident }), Some(token))
    };
    let r = link(&problem, &incident, t1);
    assert_eq!((r.status, r.body["incidents"].clone()), (201, json!([incident])), "{:?}", r.body);
    assert_eq!(link(&problem, &incident, t1).body["incidents"], json!([incident]), "linked once");
    assert_eq!(link(&problem, &elsewhere, t1).field(), Some("incident"), "another unit's incident");
    assert_eq!(link(&problem, &request, t1).field(), Some("incident"), "not an incident");
    assert_eq!(link(&incident, &problem, t1).field(), Some("number"), "not a problem");
    assert_eq!(link(&problem, &elsewhere, other).status, 404, "another unit's problem");
    assert_eq!(link(&problem, &incident, city.t("head_dinkes")).status, 403);
    let linked = app.all_events().into_iter().filter(|e| e.kind == "ticket.linked").count();
    assert_eq!(linked, 1, "audited once");
}

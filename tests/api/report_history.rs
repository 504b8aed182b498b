//! A past period's report never moves (SPEC 8, issue 17): October is archived, then October's
//! tickets are transferred, escalated, re-prioritised and linked in November, and
//! October's report, computed again, is byte for byte the archived one in every format. The
//! history reconstructed from the audit log for an older database gives the same figures.

use diesel::connection::SimpleConnection;
use serde_json::{json, Value};

use crate::both_databases;
use crate::helpers::TestApp;
use crate::reports::{fetch, october, wib};
use meja::desk::report_archive::{self, ArchivedReport};
use meja::desk::reports;
use meja::domain::report::period::Period;
use meja::domain::report::ReportDocument;
use meja::reports::Format;

both_databases!(past_report_never_moves);

/// October's report of `scope` as computed now, dated like the archived one.
fn recomputed(app: &TestApp, archived: &ArchivedReport) -> ReportDocument {
    let unit = (archived.scope != "all").then(|| archived.scope.clone());
    let generated_at = archived.generated_at;
    let desk = app.desk.clone();
    app.desk
        .read_blocking(move |conn| {
            let audience = reports::audience_of(conn, unit.as_deref())?;
            let period = Period::parse("2026-10").expect("period");
            Ok(ReportDocument::new(reports::compute(&desk, conn, &audience, &period)?, generated_at))
        })
        .expect("report")
}

fn past_report_never_moves(app: &TestApp) {
    let city = app.city();
    let ledger = october(app, &city);
    let (t1, t1b, t2) = (city.t("t1_dinkes"), city.t("t1_disdik"), city.t("t2_kominfo"));
    let sup = city.t("sup_kominfo");
    let plan = report_archive::ArchivePlan { recipients: vec![], attach_xlsx: true, working_day: 1 };
    app.clock.set(wib("2026-11-02T07:31"));
    let archived: Vec<ArchivedReport> = report_archive::run_due(&app.desk, &plan)
        .expect("job")
        .into_iter()
        .map(|o| o.report)
        .filter(|r| r.period == "2026-10")
        .collect();
    assert_eq!(archived.len(), 4, "{archived:?}");

    // November rewrites October's tickets.
    let ok = |r: crate::helpers::Reply| assert!(r.status < 300, "{:?}", r.body);
    app.clock.set(wib("2026-11-12T09:00"));
    let late = app.ticket(t1, json!({ "title": "SIMPUS mati lagi", "service": "SIMPUS" }));
    let r = app.post(&format!("/api/v1/tickets/{}/links", ledger.problem), json!({ "incident": late }), Some(t1));
    assert_eq!(r.status, 201, "{:?}", r.body);
    app.clock.set(wib("2026-11-12T09:10"));
    ok(app.act(&ledger.problem, "priority", json!({ "impact": "low", "urgency": "low" }), t2));
    ok(app.act(&ledger.security, "priority", json!({ "impact": "low", "urgency": "low" }), t2));
    let first_new = |unit: &str| {
        let items = app.get(&format!("/api/v1/tickets?unit={unit}&status=new"), Some(sup)).items();
        items.last().and_then(|t| t["number"].as_str()).expect("a new ticket").to_string()
    };
    // September's printer, in October's backlog, goes to tier 2; DISDIK's October ticket moves
    // to DINKES and is re-prioritised there.
    let printer = first_new("DINKES");
    ok(app.act(&printer, "start", json!({}), t1));
    ok(app.act(&printer, "escalate", json!({ "reason": "perlu Tier 2" }), t1));
    let rapor = first_new("DISDIK");
    ok(app.act(&rapor, "transfer", json!({ "unit": "DINKES", "reason": "salah unit" }), t1b));
    ok(app.act(&rapor, "start", json!({}), t1));
    ok(app.act(&rapor, "priority", json!({ "impact": "high", "urgency": "high" }), t1));
    app.clock.set(wib("2026-11-20T09:00"));
    app.sweep();

    // Every scope, every format: the bytes archived on 2 November.
    for report in &archived {
        let doc = recomputed(app, report);
        assert_eq!(doc.data_sha256, report.data_sha256, "{}: the data", report.scope);
        assert!(doc.report.period.history_exact_from.is_none());
        for format in Format::ALL {
            let (status, _, stored) =
                fetch(app, &format!("/api/v1/reports/archive/{}/{}", report.id, format.as_str()), sup);
            assert_eq!(status, 200);
            let again = meja::reports::render(&doc, format).expect("render");
            assert!(again == stored, "{} {}: differs from the archived file", report.scope, format.as_str());
        }
        // The ad-hoc report agrees with the archive too, apart from when it was made.
        let query = match report.scope.as_str() {
            "all" => "period=2026-10".to_string(),
            unit => format!("period=2026-10&unit={unit}"),
        };
        let adhoc = app.get(&format!("/api/v1/reports?{query}"), Some(sup));
        assert_eq!(adhoc.status, 200, "{:?}", adhoc.body);
        let (_, _, stored) = fetch(app, &format!("/api/v1/reports/archive/{}/json", report.id), sup);
        let stored: Value = serde_json::from_slice(&stored).expect("json");
        assert_eq!(adhoc.body["report"], stored["report"], "{query}");
    }
    // The tickets themselves did move.
    let moved = app.get(&format!("/api/v1/tickets/{rapor}"), Some(sup));
    assert_eq!((moved.body["unit"].as_str(), moved.body["priority"].as_str()), (Some("DINKES"), Some("P1")));

    // A writer whose clock reading is older than the last change's (two writers, two processes)
    // replaces the current span rather than open one that overlaps it.
    let mut row = app.ticket_row(&rapor);
    row.updated_at -= chrono::Duration::hours(1);
    row.priority = "P4".into();
    app.desk.writer.write_blocking(move |tx| Ok(meja::db::tickets::save(tx.conn, &row)?)).expect("save");
    spans_never_overlap(app);

    // An older database: the history wiped and reconstructed from the audit log gives
    // October's figures again, and the report says from when the history is exact.
    app.desk
        .read_blocking(|conn| {
            conn.batch_execute("DELETE FROM ticket_history; DELETE FROM ticket_history_start")?;
            Ok(())
        })
        .expect("wipe");
    let rebuilt = app.desk.read_blocking(|conn| meja::desk::ticket_history::backfill(conn, wib("2026-11-21T08:00")));
    assert!(rebuilt.expect("backfill") >= 9);
    for report in &archived {
        let doc = recomputed(app, report);
        let (_, _, stored) = fetch(app, &format!("/api/v1/reports/archive/{}/json", report.id), sup);
        let stored: Value = serde_json::from_slice(&stored).expect("json");
        let mut again = serde_json::to_value(&doc.report).expect("json");
        assert_eq!(again["period"]["history_exact_from"], "2026-11-21T01:00:00Z");
        again["period"].as_object_mut().expect("period").remove("history_exact_from");
        // The reconstruction knows the facts the events name; the due times it takes from
        // the tickets as they are, so the SLA table is compared where no due time moved.
        for section in ["volume", "outcomes", "tiers", "security_incidents", "csat", "top_services", "problems"] {
            assert_eq!(again[section], stored["report"][section], "{} {section}", report.scope);
        }
        let html = String::from_utf8(meja::reports::render(&doc, Format::Html).expect("html")).expect("utf-8");
        assert!(html.contains("Riwayat tiket"), "{}", report.scope);
    }
}

/// Every ticket has exactly one current span, and no two spans of a ticket overlap.
fn spans_never_overlap(app: &TestApp) {
    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let count = |sql: &'static str| {
        app.desk
            .read_blocking(move |conn| {
                let rows: Vec<Count> = match conn {
                    meja::db::DbConn::Sqlite(c) => diesel::RunQueryDsl::load(diesel::sql_query(sql), c)?,
                    meja::db::DbConn::Pg(c) => diesel::RunQueryDsl::load(diesel::sql_query(sql), c)?,
                };
                Ok(rows.first().map_or(0, |r| r.n))
            })
            .expect("count")
    };
    let overlapping = count(
        "SELECT COUNT(*) AS n FROM ticket_history a JOIN ticket_history b ON a.ticket_id = b.ticket_id \
         AND a.valid_from < b.valid_from AND (a.valid_to IS NULL OR a.valid_to > b.valid_from)",
    );
    assert_eq!(overlapping, 0, "overlapping spans");
    let without_one_current = count(
        "SELECT COUNT(*) AS n FROM tickets t WHERE (SELECT COUNT(*) FROM ticket_history h \
         WHERE h.ticket_id = t.id AND h.valid_to IS NULL) <> 1",
    );
    assert_eq!(without_one_current, 0, "tickets without exactly one current span");
}

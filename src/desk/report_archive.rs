//! Archived reports (SPEC section 8): after each month closes, every unit's report and the
//! city-wide report are generated once, stored unchanged in every format with their SHA-256 in
//! the audit log, and mailed (PDF attached) to the configured recipients and the unit heads.

use chrono::{Datelike, NaiveDate};
use serde::Serialize;
use serde_json::json;

use super::reports::{self, Audience};
use super::{new_id, Desk, DeskError, DeskResult};
use crate::db::catalog as catalog_db;
use crate::db::mail as mail_db;
use crate::db::outbox::{self, OutboxRow};
use crate::db::report_archive::{self as db, ReportFileRow, ReportRow, ReviewRow};
use crate::db::DbConn;
use crate::domain::report::{sha256_hex, Period, ReportDocument};
use crate::domain::role::{Actor, Role};
use crate::reports::Format;

/// Who receives archived reports and when they are made.
#[derive(Debug, Clone)]
pub struct ArchivePlan {
    pub recipients: Vec<String>,
    pub attach_xlsx: bool,
    pub working_day: u32,
}

impl ArchivePlan {
    pub fn from_settings(settings: &crate::config::Settings) -> ArchivePlan {
        ArchivePlan {
            recipients: settings.report_recipients.clone(),
            attach_xlsx: settings.report_attach_xlsx,
            working_day: settings.report_working_day,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct ArchivedFile {
    pub format: String,
    pub file_name: String,
    pub sha256: String,
    pub size_bytes: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Review {
    pub author: String,
    pub note: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ArchivedReport {
    pub id: String,
    pub scope: String,
    pub period: String,
    pub first_day: NaiveDate,
    pub last_day: NaiveDate,
    pub generated_at: chrono::DateTime<chrono::Utc>,
    pub data_sha256: String,
    pub files: Vec<ArchivedFile>,
    pub reviews: Vec<Review>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ArchiveOutcome {
    /// False when the scope and period were archived before (nothing was generated).
    pub created: bool,
    pub report: ArchivedReport,
}

fn view(conn: &mut DbConn, row: ReportRow) -> DeskResult<ArchivedReport> {
    let files = db::files_of(conn, &row.id)?
        .into_iter()
        .map(|f| ArchivedFile { format: f.format, file_name: f.file_name, sha256: f.sha256, size_bytes: f.size_bytes })
        .collect();
    let mut reviews = Vec::new();
    for r in db::reviews_of(conn, &row.id)? {
        let author = catalog_db::user_by_id(conn, &r.author_id)?.map_or(r.author_id.clone(), |u| u.username);
        reviews.push(Review { author, note: r.note, created_at: r.created_at.and_utc() });
    }
    Ok(ArchivedReport {
        id: row.id,
        scope: row.scope,
        period: row.period,
        first_day: row.first_day,
        last_day: row.last_day,
        generated_at: row.generated_at.and_utc(),
        data_sha256: row.data_sha256,
        files,
        reviews,
    })
}

/// Generates, stores and mails the report of `unit` (a code; `None` for the city) over
/// `period`, unless that scope and period are archived already. Computing and rendering
/// happen before the write transaction; the insert is guarded by the (scope, period) key, so
/// two processes racing produce one report.
pub fn archive(
    desk: &Desk,
    plan: &ArchivePlan,
    unit: Option<&str>,
    period: &Period,
    actor: Option<&Actor>,
) -> DeskResult<ArchiveOutcome> {
    check_archivable(desk, period)?;
    let scope = unit.unwrap_or("all").to_string();
    let existing = desk.read_blocking(|conn| {
        let found = db::find(conn, &scope, &period.label)?;
        found.map(|row| view(conn, row)).transpose()
    })?;
    if let Some(report) = existing {
        return Ok(ArchiveOutcome { created: false, report });
    }
    let doc = desk.read_blocking(|conn| {
        let audience: Audience = reports::audience_of(conn, unit)?;
        Ok(ReportDocument::new(reports::compute(desk, conn, &audience, period)?, desk.now()))
    })?;
    let mut files = Vec::new();
    for format in Format::ALL {
        let bytes = crate::reports::render(&doc, format)
            .map_err(|e| DeskError::Internal(format!("rendering the {} report: {e:#}", format.as_str())))?;
        files.push((format, crate::reports::file_name(&doc, format), bytes));
    }
    let plan = plan.clone();
    let period = period.clone();
    let actor_id = actor.map(|a| a.user_id.clone());
    desk.writer.write_blocking(move |tx| {
        let unit_row = match doc.report.scope.code.as_str() {
            "all" => None,
            code => catalog_db::unit_by_code(tx.conn, code)?,
        };
        let row = ReportRow {
            id: new_id(),
            scope: doc.report.scope.code.clone(),
            unit_id: unit_row.as_ref().map(|u| u.id.clone()),
            period: period.label.clone(),
            first_day: period.first_day,
            last_day: period.last_day,
            generated_at: doc.generated_at.naive_utc(),
            generated_by: actor_id.clone(),
            data_sha256: doc.data_sha256.clone(),
        };
        if !db::insert_if_new(tx.conn, &row)? {
            let existing = db::find(tx.conn, &row.scope, &row.period)?
                .ok_or_else(|| DeskError::Internal("archived report vanished".into()))?;
            return Ok(ArchiveOutcome { created: false, report: view(tx.conn, existing)? });
        }
        let mut hashes = serde_json::Map::new();
        let mut attachments = Vec::new();
        for (format, file_name, bytes) in &files {
            let sha256 = sha256_hex(bytes);
            mail_db::put_blob(tx.conn, &sha256, bytes)?;
            db::insert_file(
                tx.conn,
                &ReportFileRow {
                    report_id: row.id.clone(),
                    format: format.as_str().into(),
                    file_name: file_name.clone(),
                    sha256: sha256.clone(),
                    size_bytes: bytes.len() as i64,
                },
            )?;
            hashes.insert(format.as_str().into(), json!(sha256));
            if *format == Format::Pdf || (*format == Format::Xlsx && plan.attach_xlsx) {
                attachments.push(json!({
                    "file_name": file_name,
                    "content_type": format.content_type(),
                    "sha256": sha256,
                }));
            }
        }
        tx.record(
            None,
            actor_id.as_deref(),
            "report.generated",
            json!({
                "report_id": row.id,
                "scope": row.scope,
                "period": row.period,
                "first_day": row.first_day,
                "last_day": row.last_day,
                "data_sha256": row.data_sha256,
                "files": hashes,
            }),
        )?;
        // Diskominfo's configured addresses get every report; a unit head gets the unit's.
        let mut recipients = plan.recipients.clone();
        if let Some(unit) = &unit_row {
            for head in catalog_db::active_users_with_role(tx.conn, Role::UnitHead.as_str(), Some(&unit.id))? {
                recipients.extend(head.email);
            }
        }
        recipients.sort_by_key(|a| a.to_lowercase());
        recipients.dedup_by(|a, b| a.eq_ignore_ascii_case(b));
        let payload = json!({
            "report_id": row.id,
            "scope_name": doc.report.scope.name,
            "period_title": doc.report.period.title,
            "generated": crate::reports::local_time(&doc, doc.generated_at),
            "data_sha256": doc.data_sha256,
            "attachments": attachments,
        });
        let now = tx.now.naive_utc();
        let rows: Vec<OutboxRow> =
            recipients.iter().map(|r| OutboxRow::new(now, None, "email", r, "report_ready", &payload)).collect();
        outbox::insert_many(tx.conn, &rows)?;
        Ok(ArchiveOutcome { created: true, report: view(tx.conn, row)? })
    })
}

/// Only whole months that have ended are archived: the archive is the monthly laporan, and a
/// month archived while still running would stand in for the whole month forever.
fn check_archivable(desk: &Desk, period: &Period) -> DeskResult<()> {
    if Period::month_of(period.first_day) != *period {
        return Err(DeskError::invalid(
            "period",
            format!("{} is not a month (YYYY-MM): the archive keeps monthly reports", period.label),
        ));
    }
    let (_, end) = period.bounds(desk.zone);
    if desk.now() < end {
        return Err(DeskError::invalid("period", format!("{} has not ended yet", period.label)));
    }
    Ok(())
}

/// How far back the job looks for a closed month still missing (late working days, downtime).
const MONTHS_LOOKED_BACK: u32 = 3;

/// The closed months whose working day for the reports has come, newest first.
pub fn due_months(desk: &Desk, plan: &ArchivePlan) -> Vec<Period> {
    let now = desk.now();
    let rules = desk.rules();
    let Some(calendar) = rules.calendars.find("jam-kerja") else { return Vec::new() };
    let mut months = Vec::new();
    let mut day = now.with_timezone(&desk.zone).date_naive();
    for _ in 0..MONTHS_LOOKED_BACK {
        let Some(last_day) = day.with_day(1).and_then(|d| d.pred_opt()) else { break };
        let month = Period::month_of(last_day);
        if calendar.nth_working_day_after(month.last_day, plan.working_day).is_some_and(|due| now >= due) {
            months.push(month.clone());
        }
        day = month.first_day;
    }
    months
}

/// The month whose reports are due now (the most recent closed one), if its day has come.
pub fn due_month(desk: &Desk, plan: &ArchivePlan) -> Option<Period> {
    due_months(desk, plan).into_iter().next()
}

/// The scheduled job: archives every unit's and the city's report of each recently closed
/// month whose working day has come and in which the desk already had tickets. Cheap when they
/// exist (a count per month). A unit that fails is logged and retried next time; the others go on.
pub fn run_due(desk: &Desk, plan: &ArchivePlan) -> DeskResult<Vec<ArchiveOutcome>> {
    let mut done = Vec::new();
    for month in due_months(desk, plan) {
        let (_, end) = month.bounds(desk.zone);
        let in_use = desk.read_blocking(|conn| Ok(crate::db::tickets::any_created_before(conn, end.naive_utc())?))?;
        if in_use {
            done.extend(archive_all(desk, plan, &month, None, false)?);
        }
    }
    Ok(done)
}

/// Archives the reports of every unit and the city for `period`; `report_existing` also
/// returns the ones archived before (and skips the shortcut that counts them first).
pub fn archive_all(
    desk: &Desk,
    plan: &ArchivePlan,
    period: &Period,
    actor: Option<&Actor>,
    report_existing: bool,
) -> DeskResult<Vec<ArchiveOutcome>> {
    let (units, archived) =
        desk.read_blocking(|conn| Ok((catalog_db::list_units(conn)?, db::count_for_period(conn, &period.label)?)))?;
    if archived > units.len() as i64 && !report_existing {
        return Ok(Vec::new());
    }
    check_archivable(desk, period)?;
    let mut outcomes = Vec::new();
    let mut failed = None;
    for unit in units.iter().map(|u| Some(u.code.as_str())).chain([None]) {
        let outcome = match archive(desk, plan, unit, period, actor) {
            Ok(outcome) => outcome,
            Err(e) => {
                tracing::error!(unit = unit.unwrap_or("all"), period = %period.label, error = %e, "report not archived");
                failed = Some(e);
                continue;
            }
        };
        if outcome.created {
            tracing::info!(scope = %outcome.report.scope, period = %outcome.report.period, sha256 = %outcome.report.data_sha256, "report archived");
        }
        if outcome.created || report_existing {
            outcomes.push(outcome);
        }
    }
    match failed {
        Some(e) if outcomes.is_empty() => Err(e),
        _ => Ok(outcomes),
    }
}

/// The scopes (`all` or unit codes) whose archived reports `actor` may read. Archived reports
/// carry the per-agent figures (SPEC 8.8), so only supervisors (every one) and unit heads
/// (their unit's) read them.
fn readable_scopes(conn: &mut DbConn, actor: &Actor) -> DeskResult<Option<Vec<String>>> {
    match actor.role {
        Role::Supervisor => Ok(None),
        Role::UnitHead => {
            let own = reports::authorize(conn, actor, None)?;
            Ok(Some(own.unit.map(|u| vec![u.code]).unwrap_or_default()))
        }
        _ => Err(DeskError::Forbidden("archived reports are read by supervisors and unit heads".into())),
    }
}

/// Archived reports overlapping `period` (all of them without one, newest first); the API
/// shows at most `limit`.
pub fn list(
    conn: &mut DbConn,
    actor: &Actor,
    period: Option<&Period>,
    limit: Option<i64>,
) -> DeskResult<Vec<ArchivedReport>> {
    let scopes = readable_scopes(conn, actor)?;
    let rows = db::list(conn, period.map(|p| p.first_day), period.map(|p| p.last_day), scopes.as_deref(), limit)?;
    rows.into_iter().map(|row| view(conn, row)).collect()
}

fn readable(conn: &mut DbConn, actor: &Actor, id: &str) -> DeskResult<ReportRow> {
    let row = db::by_id(conn, id)?.ok_or_else(|| DeskError::not_found("report", id))?;
    match readable_scopes(conn, actor)? {
        Some(scopes) if !scopes.contains(&row.scope) => Err(DeskError::not_found("report", id)),
        _ => Ok(row),
    }
}

pub fn show(conn: &mut DbConn, actor: &Actor, id: &str) -> DeskResult<ArchivedReport> {
    let row = readable(conn, actor, id)?;
    view(conn, row)
}

/// One stored file of an archived report, exactly as it was generated.
pub fn file(conn: &mut DbConn, actor: &Actor, id: &str, format: Format) -> DeskResult<(ArchivedFile, Vec<u8>)> {
    let row = readable(conn, actor, id)?;
    let file = db::files_of(conn, &row.id)?
        .into_iter()
        .find(|f| f.format == format.as_str())
        .ok_or_else(|| DeskError::not_found("report file", format.as_str()))?;
    let bytes = mail_db::blob(conn, &file.sha256)?.ok_or_else(|| DeskError::not_found("report file", &file.sha256))?;
    // Stored unchanged: what is served is what was fingerprinted.
    if sha256_hex(&bytes) != file.sha256 {
        return Err(DeskError::Internal(format!("report file {} does not match its SHA-256", file.file_name)));
    }
    Ok((
        ArchivedFile {
            format: file.format,
            file_name: file.file_name,
            sha256: file.sha256,
            size_bytes: file.size_bytes,
        },
        bytes,
    ))
}

/// A supervisor's review note on an archived report (SPBE evaluation evidence), audited.
pub fn add_review(tx: &mut super::Tx, actor: &Actor, id: &str, note: &str) -> DeskResult<ArchivedReport> {
    if actor.role != Role::Supervisor {
        return Err(DeskError::Forbidden("review notes are written by supervisors".into()));
    }
    let note = note.trim();
    if note.is_empty() || note.chars().count() > 10_000 {
        return Err(DeskError::invalid("note", "write 1 to 10000 characters"));
    }
    let row = db::by_id(tx.conn, id)?.ok_or_else(|| DeskError::not_found("report", id))?;
    let review = ReviewRow {
        id: new_id(),
        report_id: row.id.clone(),
        author_id: actor.user_id.clone(),
        note: note.into(),
        created_at: tx.now.naive_utc(),
    };
    db::insert_review(tx.conn, &review)?;
    tx.record(None, Some(&actor.user_id), "report.reviewed", json!({ "report_id": row.id, "review_id": review.id }))?;
    view(tx.conn, row)
}

//! The reports page of the console (SPEC 8): generate a unit's or the city's report for any
//! period in any format, the monthly archive with its SHA-256 sums, and the SPBE evidence pack.
//! The same use cases and scopes as `GET /api/v1/reports`.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::session::Staff;
use super::{ok, when, Frame, OrPage, PageError};
use crate::desk::report_archive::{self, ArchivedReport};
use crate::desk::{evidence, reports, Desk, DeskError};
use crate::domain::report::Period;
use crate::domain::role::Role;
use crate::reports::Format;

#[derive(Template)]
#[template(path = "reports.html")]
struct ReportsPage {
    f: Frame,
    units: Vec<(String, String)>,
    may_city: bool,
    default_unit: String,
    this_month: String,
    archive: Vec<(ArchivedReport, String)>,
    may_evidence: bool,
    this_year: String,
}

pub async fn page(desk: web::Data<Desk>, req: HttpRequest, staff: Staff) -> Result<HttpResponse, PageError> {
    let l = staff.lang;
    let actor = staff.actor.clone();
    let city_wide = matches!(actor.role, Role::Supervisor | Role::Admin | Role::AgentT2);
    let (units, archive) = desk
        .read(move |conn| {
            let units = crate::desk::catalog::list_units(conn)?;
            // Archived reports hold per-agent figures: supervisors and unit heads only (as the API).
            let archive = if matches!(actor.role, Role::Supervisor | Role::Admin | Role::UnitHead) {
                report_archive::list(conn, &actor, None, Some(48))?
            } else {
                Vec::new()
            };
            Ok((units, archive))
        })
        .await
        .or_page(l)?;
    let units = units
        .into_iter()
        .filter(|u| city_wide || staff.unit_code.as_deref() == Some(u.code.as_str()))
        .map(|u| (u.code, u.name))
        .collect();
    let local = desk.now().with_timezone(&desk.zone);
    ok(&ReportsPage {
        f: Frame::staff(&req, &staff, l.t("reports.title"), "reports"),
        units,
        may_city: city_wide,
        default_unit: staff.unit_code.clone().unwrap_or_default(),
        this_month: local.format("%Y-%m").to_string(),
        archive: archive.into_iter().map(|r| (r.clone(), when(desk.zone, r.generated_at))).collect(),
        may_evidence: staff.is(&[Role::Supervisor, Role::Admin]),
        this_year: local.format("%Y").to_string(),
    })
}

#[derive(Deserialize)]
pub struct ReportForm {
    #[serde(default)]
    unit: String,
    #[serde(default)]
    period: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    format: String,
}

fn attachment(bytes: Vec<u8>, content_type: &str, name: &str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(content_type.to_string())
        .insert_header((header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")))
        .body(bytes)
}

/// The report itself. HTML is shown in the browser with a policy that lets its own styles and
/// SVG charts render but runs no script.
pub async fn download(
    desk: web::Data<Desk>,
    staff: Staff,
    form: web::Query<ReportForm>,
) -> Result<HttpResponse, PageError> {
    let l = staff.lang;
    let f = form.into_inner();
    let format = if f.format.is_empty() {
        Format::Html
    } else {
        Format::parse(&f.format).map_err(|e| PageError::invalid(l, format!("format: {e}")))?
    };
    let some = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
    let (unit, period, from, to) = (some(&f.unit).filter(|u| u != "all"), some(&f.period), some(&f.from), some(&f.to));
    let d = desk.get_ref().clone();
    let actor = staff.actor.clone();
    let (doc, bytes) = desk
        .read(move |conn| {
            let period = reports::requested_period(&d, period.as_deref(), from.as_deref(), to.as_deref())?;
            let doc = reports::generate(&d, conn, &actor, unit.as_deref(), &period)?;
            let bytes = crate::reports::render(&doc, format)
                .map_err(|e| DeskError::Internal(format!("rendering the report: {e:#}")))?;
            Ok((doc, bytes))
        })
        .await
        .or_page(l)?;
    if format == Format::Html {
        return Ok(HttpResponse::Ok()
            .content_type(format.content_type())
            .insert_header((header::CONTENT_SECURITY_POLICY, crate::reports::html::CONTENT_SECURITY_POLICY))
            .insert_header(("X-Report-SHA256", doc.data_sha256.clone()))
            .body(bytes));
    }
    Ok(attachment(bytes, format.content_type(), &crate::reports::file_name(&doc, format)))
}

/// A stored monthly report, byte for byte as archived.
pub async fn archived(
    desk: web::Data<Desk>,
    staff: Staff,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, PageError> {
    let l = staff.lang;
    let (id, format) = path.into_inner();
    let format = Format::parse(&format).map_err(|e| PageError::invalid(l, format!("format: {e}")))?;
    let actor = staff.actor.clone();
    let (file, bytes) = desk.read(move |conn| report_archive::file(conn, &actor, &id, format)).await.or_page(l)?;
    Ok(attachment(bytes, format.content_type(), &file.file_name))
}

#[derive(Deserialize)]
pub struct EvidenceForm {
    period: String,
}

pub async fn evidence(
    desk: web::Data<Desk>,
    staff: Staff,
    form: web::Query<EvidenceForm>,
) -> Result<HttpResponse, PageError> {
    let l = staff.lang;
    let period = Period::parse(form.period.trim()).map_err(|e| PageError::invalid(l, format!("period: {e}")))?;
    let name = format!("bukti-manajemen-layanan-{}.zip", period.label.replace("..", "_"));
    let d = desk.get_ref().clone();
    let actor = staff.actor.clone();
    let bytes = desk.read(move |conn| evidence::pack(&d, conn, Some(&actor), &period)).await.or_page(l)?;
    Ok(attachment(bytes, "application/zip", &name))
}

#[derive(Template)]
#[template(path = "compliance.html")]
struct CompliancePage {
    f: Frame,
    body_html: String,
}

/// The compliance map of this version of meja, for staff and the evaluators they show it to.
pub async fn compliance(req: HttpRequest, staff: Staff) -> Result<HttpResponse, PageError> {
    let l = staff.lang;
    ok(&CompliancePage {
        f: Frame::staff(&req, &staff, l.t("reports.compliance"), "reports"),
        // Line breaks inside table cells are HTML in the file; the renderer shows HTML as text.
        body_html: scrollable_tables(
            &crate::domain::markdown::to_html(&evidence::COMPLIANCE_MAP.replace("<br>", " · ")),
            l.t("reports.compliance_table"),
        ),
    })
}

/// The map's six-column tables scroll sideways on a phone inside a region the keyboard can
/// reach and a screen reader names (WCAG 2.1.1), instead of widening the page.
fn scrollable_tables(html: &str, label: &str) -> String {
    html.replace(
        "<table>",
        &format!("<div class=\"table-wrap\" tabindex=\"0\" role=\"region\" aria-label=\"{label}\"><table>"),
    )
    .replace("</table>", "</table></div>")
}

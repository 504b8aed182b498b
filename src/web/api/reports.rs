//! `GET /api/v1/reports`: the periodic report in JSON, CSV (ZIP), XLSX, PDF or HTML.

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use serde::Deserialize;

use crate::desk::report_archive::{self, ArchivePlan};
use crate::desk::{evidence, reports, Desk, DeskError};
use crate::domain::role::Role;
use crate::reports::Format;
use crate::web::errors::ApiResult;
use crate::web::extract::{ApiJson, Authenticated};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportQuery {
    unit: Option<String>,
    period: Option<String>,
    from: Option<String>,
    to: Option<String>,
    format: Option<String>,
}

#[tracing::instrument(skip_all, fields(user = %user.actor.username))]
pub async fn report(
    desk: web::Data<Desk>,
    user: Authenticated,
    query: web::Query<ReportQuery>,
) -> ApiResult<HttpResponse> {
    let query = query.into_inner();
    let format = match query.format.as_deref() {
        None => Format::Json,
        Some(f) => Format::parse(f).map_err(|e| DeskError::invalid("format", e))?,
    };
    let d = desk.get_ref().clone();
    let (doc, bytes) = desk
        .read(move |conn| {
            let period =
                reports::requested_period(&d, query.period.as_deref(), query.from.as_deref(), query.to.as_deref())?;
            let doc = reports::generate(&d, conn, &user.actor, query.unit.as_deref(), &period)?;
            let bytes = crate::reports::render(&doc, format)
                .map_err(|e| DeskError::Internal(format!("rendering the report: {e:#}")))?;
            Ok((doc, bytes))
        })
        .await?;
    let mut response = HttpResponse::Ok();
    response.content_type(format.content_type()).insert_header(("X-Report-SHA256", doc.data_sha256.clone()));
    if format == Format::Html {
        response.insert_header((header::CONTENT_SECURITY_POLICY, crate::reports::html::CONTENT_SECURITY_POLICY));
    }
    if !matches!(format, Format::Json | Format::Html) {
        let name = crate::reports::file_name(&doc, format);
        response.insert_header((header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")));
    }
    Ok(response.body(bytes))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArchiveQuery {
    period: Option<String>,
}

fn period_of(text: Option<&str>) -> Result<Option<crate::domain::report::Period>, DeskError> {
    text.filter(|p| !p.trim().is_empty())
        .map(|p| crate::domain::report::Period::parse(p).map_err(|e| DeskError::invalid("period", e)))
        .transpose()
}

/// `GET /reports/archive?period=`: the archived reports the caller may read.
pub async fn list_archived(
    desk: web::Data<Desk>,
    user: Authenticated,
    query: web::Query<ArchiveQuery>,
) -> ApiResult<HttpResponse> {
    let period = period_of(query.period.as_deref())?;
    let items = desk.read(move |conn| report_archive::list(conn, &user.actor, period.as_ref(), Some(1000))).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "items": items })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArchiveRequest {
    period: String,
}

/// `POST /reports/archive {"period": "2026-10"}`: archive every unit's and the city's report
/// of a period now (supervisors and admins), as the monthly job does; existing ones are kept.
pub async fn archive_now(
    desk: web::Data<Desk>,
    plan: web::Data<ArchivePlan>,
    user: Authenticated,
    body: ApiJson<ArchiveRequest>,
) -> ApiResult<HttpResponse> {
    if !matches!(user.actor.role, Role::Supervisor | Role::Admin) {
        return Err(DeskError::Forbidden("archiving reports is for supervisors and admins".into()).into());
    }
    let period = period_of(Some(&body.0.period))?.ok_or_else(|| DeskError::invalid("period", "required"))?;
    let d = desk.get_ref().clone();
    let plan = plan.get_ref().clone();
    let outcomes =
        tokio::task::spawn_blocking(move || report_archive::archive_all(&d, &plan, &period, Some(&user.actor), true))
            .await
            .map_err(|e| DeskError::Internal(format!("archive task: {e}")))??;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "items": outcomes })))
}

pub async fn show_archived(
    desk: web::Data<Desk>,
    user: Authenticated,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let report = desk.read(move |conn| report_archive::show(conn, &user.actor, &id)).await?;
    Ok(HttpResponse::Ok().json(report))
}

/// `GET /reports/archive/{id}/{format}`: a stored file, byte for byte as archived.
pub async fn archived_file(
    desk: web::Data<Desk>,
    user: Authenticated,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let (id, format) = path.into_inner();
    let format = Format::parse(&format).map_err(|e| DeskError::invalid("format", e))?;
    let (file, bytes) = desk.read(move |conn| report_archive::file(conn, &user.actor, &id, format)).await?;
    Ok(HttpResponse::Ok()
        .content_type(format.content_type())
        .insert_header(("X-Content-SHA256", file.sha256))
        .insert_header((header::CONTENT_DISPOSITION, format!("attachment; filename=\"{}\"", file.file_name)))
        .body(bytes))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewReview {
    note: String,
}

pub async fn add_review(
    desk: web::Data<Desk>,
    user: Authenticated,
    id: web::Path<String>,
    body: ApiJson<NewReview>,
) -> ApiResult<HttpResponse> {
    let (actor, id) = (user.actor, id.into_inner());
    let report = desk.writer.write(move |tx| report_archive::add_review(tx, &actor, &id, &body.0.note)).await?;
    Ok(HttpResponse::Created().json(report))
}

/// `GET /reports/evidence?period=2026`: the SPBE evaluation evidence pack (ZIP).
pub async fn evidence(
    desk: web::Data<Desk>,
    user: Authenticated,
    query: web::Query<ArchiveQuery>,
) -> ApiResult<HttpResponse> {
    let period = period_of(query.period.as_deref())?.ok_or_else(|| DeskError::invalid("period", "required"))?;
    let d = desk.get_ref().clone();
    let name = format!("bukti-manajemen-layanan-{}.zip", period.label.replace("..", "_"));
    let bytes = desk.read(move |conn| evidence::pack(&d, conn, Some(&user.actor), &period)).await?;
    Ok(HttpResponse::Ok()
        .content_type("application/zip")
        .insert_header((header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")))
        .body(bytes))
}

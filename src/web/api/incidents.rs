//! Security incidents and personal-data breaches on a ticket (SPEC 6): flag, write the notice,
//! record that data subjects were told.

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use serde::Deserialize;

use crate::desk::incidents::{self, FlagInput};
use crate::desk::{incident_notice, tickets, Desk, DeskError};
use crate::web::errors::ApiResult;
use crate::web::extract::{ApiJson, Authenticated};

pub async fn flag(
    desk: web::Data<Desk>,
    user: Authenticated,
    number: web::Path<String>,
    body: ApiJson<FlagInput>,
) -> ApiResult<HttpResponse> {
    let (actor, number) = (user.actor, number.into_inner());
    let view = desk.writer.write(move |tx| incidents::flag(tx, &actor, &number, body.0)).await?;
    Ok(HttpResponse::Ok().json(view))
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClearInput {
    reason: String,
}

/// `POST /api/v1/tickets/{number}/unflag` `{reason}`: a supervisor or an admin clears the flags.
pub async fn clear(
    desk: web::Data<Desk>,
    user: Authenticated,
    number: web::Path<String>,
    body: ApiJson<ClearInput>,
) -> ApiResult<HttpResponse> {
    let (actor, number, reason) = (user.actor, number.into_inner(), body.0.reason);
    let view = desk.writer.write(move |tx| incidents::clear(tx, &actor, &number, &reason)).await?;
    Ok(HttpResponse::Ok().json(view))
}

pub async fn produce_notice(
    desk: web::Data<Desk>,
    user: Authenticated,
    number: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let (actor, number) = (user.actor, number.into_inner());
    let d = desk.get_ref().clone();
    let notice = desk.writer.write(move |tx| incident_notice::produce(tx, &d, &actor, &number)).await?;
    Ok(HttpResponse::Created().json(notice))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoticeQuery {
    #[serde(default)]
    format: Option<String>,
}

/// The latest notice, as written: `?format=pdf` (default) or `md`.
pub async fn latest_notice(
    desk: web::Data<Desk>,
    user: Authenticated,
    number: web::Path<String>,
    query: web::Query<NoticeQuery>,
) -> ApiResult<HttpResponse> {
    let extension = match query.format.as_deref().unwrap_or("pdf") {
        "pdf" => "pdf",
        "md" | "markdown" => "md",
        other => return Err(DeskError::invalid("format", format!("{other:?}: pdf or md")).into()),
    };
    let (actor, number) = (user.actor, number.into_inner());
    if !actor.role.is_staff() {
        return Err(DeskError::Forbidden("incident notices are for staff".into()).into());
    }
    let found = desk
        .read(move |conn| {
            let ticket = tickets::visible_ticket(conn, &actor, &number)?;
            let latest = crate::db::mail::attachments_of(conn, &ticket.row.id)?
                .into_iter()
                .filter(|a| {
                    a.filename.starts_with("laporan-insiden-") && a.filename.ends_with(&format!(".{extension}"))
                })
                .max_by_key(|a| (a.created_at, a.id.clone()));
            let Some(file) = latest else {
                return Err(DeskError::not_found("incident notice of", number));
            };
            let bytes = crate::db::mail::blob(conn, &file.sha256)?
                .ok_or_else(|| DeskError::Internal("a stored notice without its content".into()))?;
            Ok((file, bytes))
        })
        .await?;
    let (file, bytes) = found;
    let content_type = if extension == "pdf" { "application/pdf" } else { "text/markdown; charset=utf-8" };
    Ok(HttpResponse::Ok()
        .content_type(content_type)
        .insert_header(("X-Content-SHA256", file.sha256))
        .insert_header((header::CONTENT_DISPOSITION, format!("attachment; filename=\"{}\"", file.filename)))
        .body(bytes))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Notified {
    note: String,
}

pub async fn breach_notified(
    desk: web::Data<Desk>,
    user: Authenticated,
    number: web::Path<String>,
    body: ApiJson<Notified>,
) -> ApiResult<HttpResponse> {
    let (actor, number) = (user.actor, number.into_inner());
    let view =
        desk.writer.write(move |tx| incidents::record_breach_notified(tx, &actor, &number, &body.0.note)).await?;
    Ok(HttpResponse::Ok().json(view))
}

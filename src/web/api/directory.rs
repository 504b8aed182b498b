//! The directory's group mappings and bulk onboarding (admins).

use actix_web::{web, HttpResponse};
use serde::Deserialize;

use crate::desk::directory::{self, GroupMapping};
use crate::desk::import::{self, Kind};
use crate::desk::{Desk, DeskError};
use crate::web::errors::ApiResult;
use crate::web::extract::{ApiJson, Authenticated, RawBody};

/// Largest CSV accepted for an import: twenty thousand staff lines with room to spare.
pub const IMPORT_BODY_LIMIT: usize = 8 * 1024 * 1024;

/// `GET /api/v1/directory/group-mappings`: the list, in the order it is tried.
pub async fn mappings(desk: web::Data<Desk>, user: Authenticated) -> ApiResult<HttpResponse> {
    let d = desk.get_ref().clone();
    let list = desk.read(move |conn| directory::list_mappings(&d, conn, &user.actor)).await?;
    Ok(HttpResponse::Ok().json(list))
}

/// `PUT /api/v1/directory/group-mappings`: replaces the whole list.
pub async fn replace_mappings(
    desk: web::Data<Desk>,
    user: Authenticated,
    body: ApiJson<Vec<GroupMapping>>,
) -> ApiResult<HttpResponse> {
    let d = desk.get_ref().clone();
    let list = desk.writer.write(move |tx| directory::replace_mappings(tx, &d, &user.actor, body.0)).await?;
    Ok(HttpResponse::Ok().json(list))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImportQuery {
    /// `true` imports; without it the file is only checked (a preview).
    #[serde(default)]
    apply: bool,
}

/// `POST /api/v1/import/{units|services|users}[?apply=true]` with the CSV as the body: the
/// report names every bad line and field; with `apply=true` and no bad line, every row is
/// written in one transaction (422 and nothing written otherwise).
pub async fn import_csv(
    desk: web::Data<Desk>,
    user: Authenticated,
    kind: web::Path<String>,
    query: web::Query<ImportQuery>,
    body: RawBody,
) -> ApiResult<HttpResponse> {
    let kind = Kind::parse(&kind).ok_or_else(|| DeskError::not_found("import kind", kind.as_str()))?;
    let text = String::from_utf8(body.0.to_vec())
        .map_err(|_| DeskError::invalid("body", "the file is not UTF-8 text (save it as \"CSV UTF-8\")"))?;
    let report = import::run(&desk, Some(&user.actor), kind, text, query.apply).await?;
    Ok(if report.errors.is_empty() { HttpResponse::Ok() } else { HttpResponse::UnprocessableEntity() }.json(report))
}

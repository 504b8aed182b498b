//! `GET /api/v1/personal-data/export` and `POST /api/v1/personal-data/anonymise` (SPEC 6):
//! a requester's data as a ZIP, and their identity erased; supervisors and admins only.

use actix_web::http::header;
use actix_web::{web, HttpResponse};

use crate::desk::personal_data::anonymise::{anonymise as erase_requester, AnonymiseRequest};
use crate::desk::personal_data::{export, may_handle, Lookup};
use crate::desk::Desk;
use crate::web::errors::ApiResult;
use crate::web::extract::{ApiJson, Authenticated};

/// `?email=` or `?phone=` or `?telegram_id=` or `?ticket=`.
#[tracing::instrument(skip_all, fields(user = %user.actor.username))]
pub async fn export(desk: web::Data<Desk>, user: Authenticated, query: web::Query<Lookup>) -> ApiResult<HttpResponse> {
    let exported = export::export_audited(&desk, Some(user.actor), query.into_inner()).await?;
    Ok(HttpResponse::Ok()
        .content_type("application/zip")
        .insert_header((header::CONTENT_DISPOSITION, format!("attachment; filename=\"{}\"", exported.file_name)))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(exported.zip))
}

#[tracing::instrument(skip_all, fields(user = %user.actor.username))]
pub async fn anonymise(
    desk: web::Data<Desk>,
    user: Authenticated,
    body: ApiJson<AnonymiseRequest>,
) -> ApiResult<HttpResponse> {
    // Refused before the body is looked at any further: nobody else learns whether a
    // requester exists.
    may_handle(Some(&user.actor))?;
    let d = desk.get_ref().clone();
    let actor = user.actor;
    let request = body.0;
    let erased = desk.writer.write(move |tx| erase_requester(tx, &d, Some(&actor), &request)).await?;
    Ok(HttpResponse::Ok().json(erased))
}

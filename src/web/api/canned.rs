//! `/api/v1/canned-replies`: the desk's canned replies (balasan siap pakai).

use actix_web::{web, HttpResponse};

use crate::desk::canned::{self, CannedPatch, NewCanned};
use crate::desk::Desk;
use crate::web::errors::{ApiError, ApiResult};
use crate::web::extract::{ApiJson, Authenticated};
use crate::web::upload::JsonOrForm;

pub async fn list(desk: web::Data<Desk>, user: Authenticated) -> ApiResult<HttpResponse> {
    let d = desk.get_ref().clone();
    let items = desk.read(move |conn| canned::list(&d, conn, &user.actor)).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "items": items })))
}

pub async fn create(desk: web::Data<Desk>, user: Authenticated, body: ApiJson<NewCanned>) -> ApiResult<HttpResponse> {
    let d = desk.get_ref().clone();
    let view = desk.writer.write(move |tx| canned::create(tx, &d, &user.actor, body.0)).await?;
    Ok(HttpResponse::Created().insert_header(("Location", format!("/api/v1/canned-replies/{}", view.id))).json(view))
}

pub async fn update(
    desk: web::Data<Desk>,
    user: Authenticated,
    id: web::Path<String>,
    body: ApiJson<CannedPatch>,
) -> ApiResult<HttpResponse> {
    let d = desk.get_ref().clone();
    let view = desk.writer.write(move |tx| canned::update(tx, &d, &user.actor, &id, body.0)).await?;
    Ok(HttpResponse::Ok().json(view))
}

pub async fn delete(desk: web::Data<Desk>, user: Authenticated, id: web::Path<String>) -> ApiResult<HttpResponse> {
    desk.writer.write(move |tx| canned::delete(tx, &user.actor, &id)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `POST /canned-replies/{id}/files`: files (multipart, parts named `files`) kept with the reply.
pub async fn add_files(
    desk: web::Data<Desk>,
    user: Authenticated,
    id: web::Path<String>,
    body: JsonOrForm<serde_json::Value>,
) -> ApiResult<HttpResponse> {
    let JsonOrForm::Form(form) = body else {
        return Err(ApiError::bad_field(
            actix_web::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "files",
            "send the files as multipart/form-data, in parts named `files`",
        ));
    };
    let d = desk.get_ref().clone();
    let view =
        desk.writer.write(move |tx| crate::desk::canned_files::add(tx, &d, &user.actor, &id, &form.files)).await?;
    Ok(HttpResponse::Ok().json(view))
}

/// `DELETE /canned-replies/{id}/files/{file}`.
pub async fn remove_file(
    desk: web::Data<Desk>,
    user: Authenticated,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let (id, file) = path.into_inner();
    let d = desk.get_ref().clone();
    let view = desk.writer.write(move |tx| crate::desk::canned_files::remove(tx, &d, &user.actor, &id, &file)).await?;
    Ok(HttpResponse::Ok().json(view))
}

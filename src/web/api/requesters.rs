//! Requesters over the API: a change of identity is a staff act (or the requester's own).

use actix_web::{web, HttpResponse};

use crate::desk::requesters::{self, RequesterPatch};
use crate::desk::Desk;
use crate::web::errors::ApiResult;
use crate::web::extract::{ApiJson, Authenticated};

/// `PATCH /requesters/{id}`: name, phone or language; audited as `requester.updated`.
pub async fn update(
    desk: web::Data<Desk>,
    user: Authenticated,
    id: web::Path<String>,
    body: ApiJson<RequesterPatch>,
) -> ApiResult<HttpResponse> {
    let (actor, id) = (user.actor, id.into_inner());
    let requester = desk.writer.write(move |tx| requesters::update(tx, &actor, &id, body.0)).await?;
    Ok(HttpResponse::Ok().json(requester))
}

//! `POST /tickets/{number}/merge` `{into}`: one report merged into another.

use actix_web::{web, HttpResponse};
use serde::Deserialize;

use crate::desk::tickets::merge;
use crate::desk::Desk;
use crate::web::errors::ApiResult;
use crate::web::extract::{ApiJson, Authenticated};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MergeBody {
    into: String,
}

/// Answers the source as it now is (closed, `merged_into`) and the target's number.
#[tracing::instrument(skip_all, fields(user = %user.actor.username, number = %number))]
pub async fn merge(
    desk: web::Data<Desk>,
    user: Authenticated,
    number: web::Path<String>,
    body: ApiJson<MergeBody>,
) -> ApiResult<HttpResponse> {
    let d = desk.get_ref().clone();
    let number = number.into_inner();
    let actor = user.actor.clone();
    let merged = desk.writer.write(move |tx| merge::merge(tx, &d, &actor, &number, &body.0.into)).await?;
    let d = desk.get_ref().clone();
    let source = merged.source.row.number.clone();
    let view = desk.read(move |conn| crate::desk::tickets::detail(&d, conn, &user.actor, &source)).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "ticket": view,
        "into": merged.target.row.number,
        "moved": { "messages": merged.messages, "attachments": merged.files },
    })))
}

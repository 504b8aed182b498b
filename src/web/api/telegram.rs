//! `POST /api/v1/telegram/link-codes`: a one-time code to link a Telegram chat.

use actix_web::{web, HttpResponse};
use serde::Deserialize;

use crate::desk::{telegram_links, Desk};
use crate::web::errors::ApiResult;
use crate::web::extract::{ApiJson, Authenticated};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodeRequest {
    /// A unit code to link a group chat of that unit; none for the caller's own account.
    #[serde(default)]
    unit: Option<String>,
}

pub async fn link_code(
    desk: web::Data<Desk>,
    user: Authenticated,
    body: ApiJson<CodeRequest>,
) -> ApiResult<HttpResponse> {
    let actor = user.actor;
    let unit = body.0.unit;
    let code = desk.writer.write(move |tx| telegram_links::issue_code(tx, &actor, unit.as_deref())).await?;
    Ok(HttpResponse::Created().json(code))
}

//! `POST /api/v1/tickets/bulk`: one action on many tickets, one result per ticket.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::Deserialize;

use super::tickets::parse_action;
use crate::desk::tickets::bulk::{self, BulkAction, BULK_ACTIONS};
use crate::desk::Desk;
use crate::domain::ticket::Action;
use crate::web::errors::{ApiError, ApiResult};
use crate::web::extract::{parse_json, Authenticated, RawBody};

/// `{numbers, action, …the action's fields}`: the fields are those of the single-ticket
/// action (`POST /tickets/{number}/{action}`), or `body` for `note`.
#[derive(Deserialize)]
struct BulkBody {
    numbers: Vec<String>,
    action: String,
    #[serde(flatten)]
    fields: serde_json::Map<String, serde_json::Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NoteBody {
    body: String,
}

/// The action a bulk call names, with its fields; unknown actions and fields are refused.
pub fn parse_bulk_action(name: &str, fields: &[u8]) -> Result<BulkAction, ApiError> {
    if !BULK_ACTIONS.contains(&name) {
        return Err(ApiError::bad_field(
            StatusCode::UNPROCESSABLE_ENTITY,
            "action",
            format!("{name:?} is not a bulk action; one of {}", BULK_ACTIONS.join(", ")),
        ));
    }
    if name == "note" {
        return Ok(BulkAction::Note { body: parse_json::<NoteBody>(fields)?.body });
    }
    let action = Action::parse(name)
        .ok_or_else(|| ApiError::bad_field(StatusCode::UNPROCESSABLE_ENTITY, "action", "unknown"))?;
    Ok(BulkAction::Act(parse_action(action, fields)?))
}

#[tracing::instrument(skip_all, fields(user = %user.actor.username))]
pub async fn bulk(desk: web::Data<Desk>, user: Authenticated, body: RawBody) -> ApiResult<HttpResponse> {
    let BulkBody { numbers, action, fields } = parse_json(&body.0)?;
    let fields = serde_json::to_vec(&fields).map_err(|e| ApiError::malformed(e.to_string()))?;
    let action = parse_bulk_action(&action, &fields)?;
    let numbers = bulk::check_numbers(numbers)?;
    let outcomes = bulk::run(desk.get_ref(), &user.actor, numbers, action).await?;
    let results: Vec<_> = outcomes
        .into_iter()
        .map(|o| match o.result {
            Ok(()) => serde_json::json!({ "number": o.number, "ok": true, "status": 200 }),
            Err(e) => {
                let problem = ApiError::from(e);
                serde_json::json!({
                    "number": o.number, "ok": false, "status": problem.status.as_u16(), "problem": problem.body(),
                })
            }
        })
        .collect();
    Ok(HttpResponse::Ok().json(serde_json::json!({ "results": results })))
}

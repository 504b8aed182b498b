//! Status gangguan in the API: staff declare, update and end disruptions; monitoring posts
//! alerts (Alertmanager's webhook, version 4, or a generic JSON form); anybody reads the
//! status of the city's services.

use std::collections::BTreeMap;

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use crate::desk::disruptions::alerts::{self, AlertIntake, AlertStatus, IncomingAlert};
use crate::desk::disruptions::{self, status, EndDisruption, NewDisruption, NewUpdate};
use crate::desk::{Desk, DeskError};
use crate::domain::role::Role;
use crate::web::errors::{ApiError, ApiResult};
use crate::web::extract::{parse_json, ApiJson, Authenticated};

/// Alerts one call may carry; Alertmanager groups far fewer.
const MAX_ALERTS: usize = 1_000;

fn staff_only(user: &Authenticated) -> ApiResult<()> {
    if user.actor.role.is_staff() {
        Ok(())
    } else {
        Err(DeskError::Forbidden("disruptions are managed by staff".into()).into())
    }
}

/// `GET /api/v1/disruptions`: running and announced disruptions, then those of the last 90 days.
pub async fn list(desk: web::Data<Desk>, user: Authenticated) -> ApiResult<HttpResponse> {
    staff_only(&user)?;
    let (now, actor) = (desk.now(), user.actor);
    let items = desk.read(move |conn| disruptions::list_for_staff(conn, &actor, now)).await?;
    Ok(HttpResponse::Ok().json(json!({ "items": items })))
}

/// `GET /api/v1/disruptions/{id}`.
pub async fn show(desk: web::Data<Desk>, user: Authenticated, id: web::Path<String>) -> ApiResult<HttpResponse> {
    staff_only(&user)?;
    let (now, id, actor) = (desk.now(), id.into_inner(), user.actor);
    let view = desk.read(move |conn| disruptions::show(conn, &actor, &id, now)).await?;
    Ok(HttpResponse::Ok().json(view))
}

/// `POST /api/v1/disruptions` `{service, state, title, update?, ticket?, starts_at?, expected_end?}`.
pub async fn declare(
    desk: web::Data<Desk>,
    user: Authenticated,
    body: ApiJson<NewDisruption>,
) -> ApiResult<HttpResponse> {
    let (d, actor) = (desk.get_ref().clone(), user.actor);
    let view = desk.writer.write(move |tx| disruptions::declare(tx, &d, &actor, body.0)).await?;
    Ok(HttpResponse::Created().insert_header((header::LOCATION, format!("/api/v1/disruptions/{}", view.id))).json(view))
}

/// `POST /api/v1/disruptions/{id}/updates` `{body, state?, expected_end?}`.
pub async fn publish_update(
    desk: web::Data<Desk>,
    user: Authenticated,
    id: web::Path<String>,
    body: ApiJson<NewUpdate>,
) -> ApiResult<HttpResponse> {
    let (actor, id) = (user.actor, id.into_inner());
    let view = desk.writer.write(move |tx| disruptions::publish_update(tx, &actor, &id, body.0)).await?;
    Ok(HttpResponse::Created().json(view))
}

/// `POST /api/v1/disruptions/{id}/end` `{update?}`.
pub async fn end(
    desk: web::Data<Desk>,
    user: Authenticated,
    id: web::Path<String>,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let input: EndDisruption = parse_json(&body)?;
    let (actor, id) = (user.actor, id.into_inner());
    let view = desk.writer.write(move |tx| disruptions::end(tx, &actor, &id, input)).await?;
    Ok(HttpResponse::Ok().json(view))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LanguageQuery {
    #[serde(default)]
    lang: Option<String>,
}

fn language(q: &LanguageQuery) -> &'static str {
    if q.lang.as_deref() == Some("en") {
        "en"
    } else {
        "id"
    }
}

/// `GET /api/v1/public/status[?lang=en]`: what `/status` shows, as JSON.
pub async fn public_status(desk: web::Data<Desk>, query: web::Query<LanguageQuery>) -> ApiResult<HttpResponse> {
    let (now, lang) = (desk.now(), language(&query));
    let page = desk.read(move |conn| status::page(conn, now, lang)).await?;
    Ok(HttpResponse::Ok().insert_header((header::CACHE_CONTROL, "public, max-age=30")).json(page))
}

/// `GET /api/v1/public/status/{service}`: one service's 90 days.
pub async fn public_service(
    desk: web::Data<Desk>,
    code: web::Path<String>,
    query: web::Query<LanguageQuery>,
) -> ApiResult<HttpResponse> {
    let (now, lang, code) = (desk.now(), language(&query), code.into_inner());
    let history = desk.read(move |conn| status::service_history(conn, &code, now, lang)).await?;
    Ok(HttpResponse::Ok().insert_header((header::CACHE_CONTROL, "public, max-age=30")).json(history))
}

/// Alertmanager's webhook payload (version 4); fields meja does not use are ignored.
#[derive(Deserialize)]
struct AlertmanagerPayload {
    version: String,
    alerts: Vec<AlertmanagerAlert>,
}

#[derive(Deserialize)]
struct AlertmanagerAlert {
    status: String,
    #[serde(default)]
    labels: BTreeMap<String, String>,
    #[serde(default)]
    annotations: BTreeMap<String, String>,
    #[serde(default)]
    fingerprint: Option<String>,
}

/// The generic form: one alert or a list of them.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GenericAlert {
    service: String,
    status: String,
    summary: String,
    #[serde(default)]
    fingerprint: Option<String>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum GenericBody {
    Many(Vec<GenericAlert>),
    One(GenericAlert),
}

fn alert_status(field: &str, status: &str) -> ApiResult<AlertStatus> {
    match status {
        "firing" => Ok(AlertStatus::Firing),
        "resolved" => Ok(AlertStatus::Resolved),
        other => Err(DeskError::invalid(field, format!("{other:?}: firing or resolved")).into()),
    }
}

/// Refuses the call, storing nothing, unless it carries the configured bearer token.
fn authenticate(req: &HttpRequest) -> ApiResult<()> {
    let intake = req.app_data::<web::Data<AlertIntake>>();
    let given = req.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
    if intake.is_some_and(|i| i.accepts(given)) {
        Ok(())
    } else {
        tracing::warn!(client = %crate::web::extract::client_address(req), "alert webhook refused: no valid token");
        Err(ApiError::unauthorized("send the alert token configured as MEJA_ALERT_TOKEN as a bearer token"))
    }
}

async fn take(desk: &Desk, req: &HttpRequest, incoming: Vec<IncomingAlert>) -> ApiResult<HttpResponse> {
    if incoming.len() > MAX_ALERTS {
        return Err(DeskError::invalid("alerts", format!("at most {MAX_ALERTS} alerts a call")).into());
    }
    let quiet = req.app_data::<web::Data<AlertIntake>>().map(|i| i.quiet).unwrap_or_default();
    let d = desk.clone();
    let results = desk.writer.write(move |tx| alerts::receive(tx, &d, incoming, quiet)).await?;
    Ok(HttpResponse::Ok().json(json!({ "results": results })))
}

/// `POST /api/v1/alerts/alertmanager`: Alertmanager's webhook (`webhook_configs`, with
/// `http_config.authorization.credentials` set to the alert token).
pub async fn alertmanager(desk: web::Data<Desk>, req: HttpRequest, body: web::Bytes) -> ApiResult<HttpResponse> {
    authenticate(&req)?;
    let payload: AlertmanagerPayload = parse_json(&body)?;
    if payload.version != "4" {
        return Err(DeskError::invalid(
            "version",
            format!("{:?}: Alertmanager's webhook version 4 is understood", payload.version),
        )
        .into());
    }
    let mut incoming = Vec::with_capacity(payload.alerts.len());
    for (i, alert) in payload.alerts.into_iter().enumerate() {
        let status = alert_status(&format!("alerts[{i}].status"), &alert.status)?;
        let service = alert.labels.get("service").cloned().unwrap_or_default();
        let summary = ["summary", "description"]
            .iter()
            .find_map(|k| alert.annotations.get(*k))
            .or_else(|| alert.labels.get("alertname"))
            .cloned()
            .unwrap_or_else(|| "peringatan tanpa ringkasan".into());
        // Alertmanager sends the fingerprint of the label set; derive the same idea if absent.
        let fingerprint = match alert.fingerprint.filter(|f| !f.is_empty()) {
            Some(f) => format!("am:{f}"),
            None => format!(
                "am:{}",
                crate::desk::auth::sha256_hex(&serde_json::to_string(&alert.labels).unwrap_or_default())
            ),
        };
        incoming.push(IncomingAlert {
            source: "alertmanager",
            fingerprint,
            service,
            status,
            summary,
            labels: json!(alert.labels),
        });
    }
    take(&desk, &req, incoming).await
}

/// `POST /api/v1/alerts` `{service, status, summary, fingerprint?}` (or a list of them).
pub async fn generic(desk: web::Data<Desk>, req: HttpRequest, body: web::Bytes) -> ApiResult<HttpResponse> {
    authenticate(&req)?;
    let alerts = match parse_json::<GenericBody>(&body)? {
        GenericBody::Many(list) => list,
        GenericBody::One(one) => vec![one],
    };
    let mut incoming = Vec::with_capacity(alerts.len());
    for (i, alert) in alerts.into_iter().enumerate() {
        if alert.service.trim().is_empty() {
            return Err(DeskError::invalid(format!("[{i}].service"), "must not be empty").into());
        }
        let status = alert_status(&format!("[{i}].status"), &alert.status)?;
        let fingerprint = match alert.fingerprint.filter(|f| !f.trim().is_empty()) {
            Some(f) => format!("generic:{}", f.trim()),
            None => format!("generic:{}", alert.service.trim()),
        };
        incoming.push(IncomingAlert {
            source: "generic",
            fingerprint,
            labels: json!({ "service": alert.service }),
            service: alert.service,
            status,
            summary: alert.summary,
        });
    }
    take(&desk, &req, incoming).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertQuery {
    #[serde(default)]
    unknown: Option<bool>,
}

/// `GET /api/v1/alerts[?unknown=true]`: the newest alerts (admins, supervisors, tier 2), those
/// for services nobody knows when asked.
pub async fn list_alerts(
    desk: web::Data<Desk>,
    user: Authenticated,
    query: web::Query<AlertQuery>,
) -> ApiResult<HttpResponse> {
    if !matches!(user.actor.role, Role::Admin | Role::Supervisor | Role::AgentT2) {
        return Err(DeskError::Forbidden("alerts are for admins, supervisors and tier 2".into()).into());
    }
    let unknown = query.unknown.unwrap_or(false);
    let items = desk.read(move |conn| alerts::list(conn, unknown)).await?;
    Ok(HttpResponse::Ok().json(json!({ "items": items })))
}

//! Calendars, holidays and SLA policies: read by staff, changed by admins and supervisors.

use actix_web::{web, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;

use crate::desk::sla::{self, CalendarPatch, NewCalendar, PolicyPatch};
use crate::desk::{Desk, DeskError};
use crate::domain::role::Actor;
use crate::domain::sla::holidays::{self, HolidayList};
use crate::domain::ticket::Priority;
use crate::web::errors::ApiResult;
use crate::web::extract::{ApiJson, Authenticated, RawBody};

fn require_staff(actor: &Actor) -> Result<(), DeskError> {
    if actor.role.is_staff() {
        Ok(())
    } else {
        Err(DeskError::Forbidden("calendars and SLA policies are for staff".into()))
    }
}

/// The edit is committed; this process switches to the new rules at once (others within a
/// scheduler pass).
async fn reload(desk: &Desk) -> ApiResult<()> {
    let d = desk.clone();
    tokio::task::spawn_blocking(move || d.reload_rules())
        .await
        .map_err(|e| DeskError::Internal(format!("reload task: {e}")))??;
    Ok(())
}

pub async fn list_calendars(desk: web::Data<Desk>, user: Authenticated) -> ApiResult<HttpResponse> {
    require_staff(&user.actor)?;
    let items = desk.read(sla::list_calendars).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "items": items })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct YearQuery {
    year: Option<i32>,
}

pub async fn show_calendar(
    desk: web::Data<Desk>,
    user: Authenticated,
    name: web::Path<String>,
    query: web::Query<YearQuery>,
) -> ApiResult<HttpResponse> {
    require_staff(&user.actor)?;
    let (name, year) = (name.into_inner(), query.year);
    let calendar = desk.read(move |conn| sla::show_calendar(conn, &name, year)).await?;
    Ok(HttpResponse::Ok().json(calendar))
}

pub async fn create_calendar(
    desk: web::Data<Desk>,
    user: Authenticated,
    body: ApiJson<NewCalendar>,
) -> ApiResult<HttpResponse> {
    let actor = user.actor;
    let calendar = desk.writer.write(move |tx| sla::create_calendar(tx, Some(&actor), body.0)).await?;
    reload(&desk).await?;
    Ok(HttpResponse::Created().json(calendar))
}

pub async fn update_calendar(
    desk: web::Data<Desk>,
    user: Authenticated,
    name: web::Path<String>,
    body: ApiJson<CalendarPatch>,
) -> ApiResult<HttpResponse> {
    let (actor, name) = (user.actor, name.into_inner());
    let calendar = desk.writer.write(move |tx| sla::update_calendar(tx, Some(&actor), &name, body.0)).await?;
    reload(&desk).await?;
    Ok(HttpResponse::Ok().json(calendar))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewHoliday {
    date: NaiveDate,
    label: String,
}

/// `{"date": "2026-12-25", "label": "Hari Raya Natal"}` or a list of them.
#[derive(Deserialize)]
#[serde(untagged)]
pub enum HolidayBody {
    One(NewHoliday),
    Many(Vec<NewHoliday>),
}

pub async fn add_holidays(
    desk: web::Data<Desk>,
    user: Authenticated,
    name: web::Path<String>,
    body: ApiJson<HolidayBody>,
) -> ApiResult<HttpResponse> {
    let list = match body.0 {
        HolidayBody::One(h) => vec![h],
        HolidayBody::Many(list) => list,
    };
    let list = HolidayList { days: list.into_iter().map(|h| (h.date, h.label)).collect(), warnings: vec![] };
    change_holidays(desk, user, name.into_inner(), list).await
}

/// The body is a CSV (`date,label`) or iCalendar file as published by the government.
pub async fn import_holidays(
    desk: web::Data<Desk>,
    user: Authenticated,
    name: web::Path<String>,
    body: RawBody,
) -> ApiResult<HttpResponse> {
    let text = std::str::from_utf8(&body.0).map_err(|_| DeskError::invalid("body", "the file is not UTF-8 text"))?;
    let list = holidays::parse(text).map_err(|e| DeskError::invalid("body", e.to_string()))?;
    change_holidays(desk, user, name.into_inner(), list).await
}

async fn change_holidays(
    desk: web::Data<Desk>,
    user: Authenticated,
    name: String,
    list: HolidayList,
) -> ApiResult<HttpResponse> {
    let actor = user.actor;
    let change = desk.writer.write(move |tx| sla::add_holidays(tx, Some(&actor), &name, list)).await?;
    reload(&desk).await?;
    Ok(HttpResponse::Ok().json(change))
}

pub async fn remove_holiday(
    desk: web::Data<Desk>,
    user: Authenticated,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let (name, date) = path.into_inner();
    let date: NaiveDate =
        date.parse().map_err(|_| DeskError::invalid("date", format!("{date:?} is not a date (YYYY-MM-DD)")))?;
    let actor = user.actor;
    let change = desk.writer.write(move |tx| sla::remove_holiday(tx, Some(&actor), &name, date)).await?;
    reload(&desk).await?;
    Ok(HttpResponse::Ok().json(change))
}

pub async fn list_policies(desk: web::Data<Desk>, user: Authenticated) -> ApiResult<HttpResponse> {
    require_staff(&user.actor)?;
    let items = desk.read(sla::list_policies).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "items": items })))
}

pub async fn update_policy(
    desk: web::Data<Desk>,
    user: Authenticated,
    priority: web::Path<String>,
    body: ApiJson<PolicyPatch>,
) -> ApiResult<HttpResponse> {
    let text = priority.into_inner();
    let priority = Priority::parse(&text.to_ascii_uppercase())
        .ok_or_else(|| DeskError::invalid("priority", format!("{text:?} is not one of P1, P2, P3, P4")))?;
    let actor = user.actor;
    let policy = desk.writer.write(move |tx| sla::set_policy(tx, Some(&actor), priority, body.0)).await?;
    reload(&desk).await?;
    Ok(HttpResponse::Ok().json(policy))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DueQuery {
    start: String,
    minutes: i64,
    calendar: Option<String>,
}

/// What `meja sla due` prints, for the console's "when is this due?" helper.
pub async fn due(desk: web::Data<Desk>, user: Authenticated, query: web::Query<DueQuery>) -> ApiResult<HttpResponse> {
    require_staff(&user.actor)?;
    let q = query.into_inner();
    let start: DateTime<Utc> = DateTime::parse_from_rfc3339(&q.start)
        .map_err(|_| DeskError::invalid("start", format!("{:?} is not RFC3339 (2026-11-23T08:00:00+07:00)", q.start)))?
        .with_timezone(&Utc);
    let calendar = q.calendar.unwrap_or_else(|| "jam-kerja".into());
    let minutes = q.minutes;
    let c = calendar.clone();
    let due = desk.read(move |conn| sla::due(conn, &c, start, minutes)).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "calendar": calendar, "start": start, "minutes": minutes, "due": due.to_rfc3339(),
    })))
}

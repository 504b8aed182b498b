//! Administration of SLA policies, calendars and holidays (SPEC 4). As in the API, admins and
//! supervisors may change them (SPEC 1: supervisors configure SLA). After each change this
//! process switches to the new rules at once, as the API does.

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use chrono::{Datelike, NaiveDate};
use serde::Deserialize;

use super::admin::{given, tabs, Tab};
use super::i18n::Lang;
use super::session::Staff;
use super::{ok, see_other, urlencode, Frame, OrPage, PageError};
use crate::desk::sla::{self, CalendarPatch, HolidayChange, NewCalendar, PolicyPatch, PolicyView};
use crate::desk::{Desk, DeskError};
use crate::domain::role::Role;
use crate::domain::sla::calendar::WEEKDAYS;
use crate::domain::sla::holidays::{self, HolidayList};
use crate::domain::sla::policy::{format_warn_percents, parse_warn_percents};
use crate::domain::ticket::Priority;

/// Who may change calendars and SLA policies: `desk::sla` allows admins and supervisors.
const CONFIGURE: &[Role] = &[Role::Admin, Role::Supervisor];

/// A holiday list pasted into the import form: a few years of a government's file fit easily.
const IMPORT_FORM_LIMIT: usize = 1024 * 1024;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/konsol/admin/sla", web::get().to(policies));
    cfg.route("/konsol/admin/sla/{priority}", web::post().to(set_policy));
    cfg.route("/konsol/admin/kalender", web::get().to(calendars));
    cfg.route("/konsol/admin/kalender", web::post().to(create_calendar));
    cfg.route("/konsol/admin/kalender/{name}", web::get().to(calendar));
    cfg.route("/konsol/admin/kalender/{name}", web::post().to(update_calendar));
    cfg.route("/konsol/admin/kalender/{name}/libur", web::post().to(add_holiday));
    cfg.route("/konsol/admin/kalender/{name}/libur/hapus", web::post().to(remove_holiday));
    cfg.service(
        web::resource("/konsol/admin/kalender/{name}/impor")
            .app_data(
                web::FormConfig::default()
                    .limit(IMPORT_FORM_LIMIT)
                    .error_handler(|err, req| invalid(Lang::from_request(req), "content", err).into()),
            )
            .route(web::post().to(import_holidays)),
    );
}

/// The edit is committed; this process uses the new rules from now on.
async fn reload(desk: &Desk, l: Lang) -> Result<(), PageError> {
    let d = desk.clone();
    tokio::task::spawn_blocking(move || d.reload_rules())
        .await
        .map_err(|e| DeskError::Internal(format!("reload task: {e}")))
        .and_then(|r| r)
        .or_page(l)
}

fn invalid(l: Lang, field: &str, detail: impl std::fmt::Display) -> PageError {
    PageError::invalid(l, format!("{field}: {detail}"))
}

fn calendar_link(name: &str, year: i32) -> String {
    format!("/konsol/admin/kalender/{}?tahun={year}&ok=1", urlencode(name))
}

/// "37:30" from 2250 minutes.
fn hours(minutes: u64) -> String {
    format!("{}:{:02}", minutes / 60, minutes % 60)
}

// ---------------------------------------------------------------------------------------------
// Policies

#[derive(Template)]
#[template(path = "admin_sla.html")]
struct PoliciesPage {
    f: Frame,
    tabs: Vec<Tab>,
    policies: Vec<(PolicyView, String)>,
    calendars: Vec<String>,
}

pub async fn policies(desk: web::Data<Desk>, req: HttpRequest, staff: Staff) -> Result<HttpResponse, PageError> {
    staff.require(CONFIGURE)?;
    let l = staff.lang;
    let (policies, calendars) =
        desk.read(|conn| Ok((sla::list_policies(conn)?, sla::list_calendars(conn)?))).await.or_page(l)?;
    ok(&PoliciesPage {
        f: Frame::staff(&req, &staff, l.t("admin.sla"), "admin"),
        tabs: tabs(&staff, "sla"),
        policies: policies
            .into_iter()
            .map(|p| {
                let warn = format_warn_percents(&p.warn_percents);
                (p, warn)
            })
            .collect(),
        calendars: calendars.into_iter().map(|c| c.name).collect(),
    })
}

#[derive(Deserialize)]
pub struct PolicyForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    first_response_minutes: String,
    #[serde(default)]
    resolution_minutes: String,
    #[serde(default)]
    calendar: String,
    #[serde(default)]
    warn_percents: String,
    #[serde(default)]
    notify_unit_head: Option<String>,
    #[serde(default)]
    escalate_to_tier2: Option<String>,
}

fn minutes(l: Lang, field: &str, text: &str) -> Result<i64, PageError> {
    text.trim().parse().map_err(|_| invalid(l, field, format!("{text:?} is not a whole number of minutes")))
}

pub async fn set_policy(
    desk: web::Data<Desk>,
    req: HttpRequest,
    staff: Staff,
    priority: web::Path<String>,
    form: web::Form<PolicyForm>,
) -> Result<HttpResponse, PageError> {
    staff.require(CONFIGURE)?;
    staff.check(&req, &form.csrf)?;
    let l = staff.lang;
    let priority = Priority::parse(&priority.to_ascii_uppercase()).ok_or_else(|| PageError::not_found(l))?;
    let form = form.into_inner();
    let patch = PolicyPatch {
        first_response_minutes: Some(minutes(l, "first_response_minutes", &form.first_response_minutes)?),
        resolution_minutes: Some(minutes(l, "resolution_minutes", &form.resolution_minutes)?),
        calendar: given(&form.calendar),
        warn_percents: Some(parse_warn_percents(&form.warn_percents).map_err(|e| invalid(l, "warn_percents", e))?),
        notify_unit_head: Some(form.notify_unit_head.is_some()),
        escalate_to_tier2: Some(form.escalate_to_tier2.is_some()),
    };
    let actor = staff.actor.clone();
    desk.writer.write(move |tx| sla::set_policy(tx, Some(&actor), priority, patch)).await.or_page(l)?;
    reload(&desk, l).await?;
    Ok(see_other(format!("/konsol/admin/sla?ok=1#sla-{priority}")))
}

// ---------------------------------------------------------------------------------------------
// Calendars

pub struct CalendarRow {
    pub name: String,
    pub zone: String,
    pub hours: String,
}

#[derive(Template)]
#[template(path = "admin_calendars.html")]
struct CalendarsPage {
    f: Frame,
    tabs: Vec<Tab>,
    calendars: Vec<CalendarRow>,
}

pub async fn calendars(desk: web::Data<Desk>, req: HttpRequest, staff: Staff) -> Result<HttpResponse, PageError> {
    staff.require(CONFIGURE)?;
    let l = staff.lang;
    let list = desk.read(sla::list_calendars).await.or_page(l)?;
    ok(&CalendarsPage {
        f: Frame::staff(&req, &staff, l.t("admin.calendars"), "admin"),
        tabs: tabs(&staff, "calendars"),
        calendars: list
            .into_iter()
            .map(|c| CalendarRow { hours: hours(c.weekly_minutes), name: c.name, zone: c.zone })
            .collect(),
    })
}

#[derive(Deserialize)]
pub struct NewCalendarForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    zone: String,
    #[serde(default)]
    like: String,
}

pub async fn create_calendar(
    desk: web::Data<Desk>,
    req: HttpRequest,
    staff: Staff,
    form: web::Form<NewCalendarForm>,
) -> Result<HttpResponse, PageError> {
    staff.require(CONFIGURE)?;
    staff.check(&req, &form.csrf)?;
    let l = staff.lang;
    let form = form.into_inner();
    let input = NewCalendar { name: form.name, zone: form.zone, like: given(&form.like), week: None };
    let actor = staff.actor.clone();
    let created = desk.writer.write(move |tx| sla::create_calendar(tx, Some(&actor), input)).await.or_page(l)?;
    reload(&desk, l).await?;
    Ok(see_other(calendar_link(&created.name, this_year(&desk))))
}

fn this_year(desk: &Desk) -> i32 {
    desk.now().with_timezone(&desk.zone).year()
}

pub struct DayRow {
    pub code: &'static str,
    pub label: &'static str,
    pub hours: String,
}

pub struct HolidayRow {
    pub date: String,
    pub iso: String,
    pub weekday: &'static str,
    pub label: String,
}

#[derive(Template)]
#[template(path = "admin_calendar.html")]
struct CalendarPage {
    f: Frame,
    tabs: Vec<Tab>,
    name: String,
    zone: String,
    weekly: String,
    days: Vec<DayRow>,
    year: i32,
    holidays: Vec<HolidayRow>,
    /// What an import did, shown on its answer.
    imported: Option<HolidayChange>,
}

#[derive(Deserialize)]
pub struct YearQuery {
    #[serde(default)]
    tahun: Option<i32>,
}

fn weekday_label(l: Lang, day: NaiveDate) -> &'static str {
    let code = WEEKDAYS[day.weekday().num_days_from_monday() as usize];
    l.t(&format!("day.{code}"))
}

async fn calendar_page(
    desk: &Desk,
    req: &HttpRequest,
    staff: &Staff,
    name: String,
    year: i32,
    imported: Option<HolidayChange>,
) -> Result<HttpResponse, PageError> {
    let l = staff.lang;
    if !(2000..=2100).contains(&year) {
        return Err(invalid(l, "tahun", "must be within 2000-2100"));
    }
    let view = desk.read(move |conn| sla::show_calendar(conn, &name, Some(year))).await.or_page(l)?;
    let days = WEEKDAYS
        .iter()
        .map(|code| DayRow {
            code,
            label: l.t(&format!("day.{code}")),
            hours: view.week.get(*code).map(|ivs| ivs.join(", ")).unwrap_or_default(),
        })
        .collect();
    let holidays = view
        .holidays
        .unwrap_or_default()
        .into_iter()
        .map(|h| HolidayRow {
            date: h.date.format("%d-%m-%Y").to_string(),
            iso: h.date.to_string(),
            weekday: weekday_label(l, h.date),
            label: h.label,
        })
        .collect();
    ok(&CalendarPage {
        f: Frame::staff(req, staff, format!("{} {}", l.t("admin.calendar"), view.name), "admin"),
        tabs: tabs(staff, "calendars"),
        weekly: hours(view.weekly_minutes),
        name: view.name,
        zone: view.zone,
        days,
        year,
        holidays,
        imported,
    })
}

pub async fn calendar(
    desk: web::Data<Desk>,
    req: HttpRequest,
    staff: Staff,
    name: web::Path<String>,
    query: web::Query<YearQuery>,
) -> Result<HttpResponse, PageError> {
    staff.require(CONFIGURE)?;
    let year = query.tahun.unwrap_or_else(|| this_year(&desk));
    calendar_page(&desk, &req, &staff, name.into_inner(), year, None).await
}

/// Zone and weekly hours: one field per day, intervals separated by commas, empty when closed.
pub async fn update_calendar(
    desk: web::Data<Desk>,
    req: HttpRequest,
    staff: Staff,
    name: web::Path<String>,
    form: web::Form<std::collections::HashMap<String, String>>,
) -> Result<HttpResponse, PageError> {
    staff.require(CONFIGURE)?;
    let field = |key: &str| form.get(key).map(String::as_str).unwrap_or_default();
    staff.check(&req, field("csrf"))?;
    let l = staff.lang;
    let week = WEEKDAYS
        .iter()
        .map(|day| {
            let intervals =
                field(day).split([',', ';']).map(str::trim).filter(|t| !t.is_empty()).map(str::to_string).collect();
            (day.to_string(), intervals)
        })
        .collect();
    let patch = CalendarPatch { zone: given(field("zone")), week: Some(week) };
    let (actor, name) = (staff.actor.clone(), name.into_inner());
    let n = name.clone();
    desk.writer.write(move |tx| sla::update_calendar(tx, Some(&actor), &n, patch)).await.or_page(l)?;
    reload(&desk, l).await?;
    Ok(see_other(calendar_link(&name, this_year(&desk))))
}

#[derive(Deserialize)]
pub struct HolidayForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    date: String,
    #[serde(default)]
    label: String,
}

fn parse_date(l: Lang, text: &str) -> Result<NaiveDate, PageError> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .map_err(|_| invalid(l, "date", format!("{text:?} is not a date (YYYY-MM-DD)")))
}

pub async fn add_holiday(
    desk: web::Data<Desk>,
    req: HttpRequest,
    staff: Staff,
    name: web::Path<String>,
    form: web::Form<HolidayForm>,
) -> Result<HttpResponse, PageError> {
    staff.require(CONFIGURE)?;
    staff.check(&req, &form.csrf)?;
    let l = staff.lang;
    let form = form.into_inner();
    let date = parse_date(l, &form.date)?;
    let list = HolidayList { days: vec![(date, form.label)], warnings: vec![] };
    let (actor, name) = (staff.actor.clone(), name.into_inner());
    let n = name.clone();
    desk.writer.write(move |tx| sla::add_holidays(tx, Some(&actor), &n, list)).await.or_page(l)?;
    reload(&desk, l).await?;
    Ok(see_other(calendar_link(&name, date.year())))
}

pub async fn remove_holiday(
    desk: web::Data<Desk>,
    req: HttpRequest,
    staff: Staff,
    name: web::Path<String>,
    form: web::Form<HolidayForm>,
) -> Result<HttpResponse, PageError> {
    staff.require(CONFIGURE)?;
    staff.check(&req, &form.csrf)?;
    let l = staff.lang;
    let date = parse_date(l, &form.date)?;
    let (actor, name) = (staff.actor.clone(), name.into_inner());
    let n = name.clone();
    desk.writer.write(move |tx| sla::remove_holiday(tx, Some(&actor), &n, date)).await.or_page(l)?;
    reload(&desk, l).await?;
    Ok(see_other(calendar_link(&name, date.year())))
}

#[derive(Deserialize)]
pub struct ImportForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    content: String,
}

/// A pasted CSV (`date,label`) or iCalendar file. The answer is the calendar page with what
/// was added and the parser's warnings (what it left out), which a redirect would lose.
pub async fn import_holidays(
    desk: web::Data<Desk>,
    req: HttpRequest,
    staff: Staff,
    name: web::Path<String>,
    form: web::Form<ImportForm>,
) -> Result<HttpResponse, PageError> {
    staff.require(CONFIGURE)?;
    staff.check(&req, &form.csrf)?;
    let l = staff.lang;
    let list = holidays::parse(&form.content).map_err(|e| invalid(l, "content", e))?;
    let year = list.days.iter().map(|(d, _)| d.year()).min().unwrap_or_else(|| this_year(&desk));
    let (actor, name) = (staff.actor.clone(), name.into_inner());
    let n = name.clone();
    let change = desk.writer.write(move |tx| sla::add_holidays(tx, Some(&actor), &n, list)).await.or_page(l)?;
    reload(&desk, l).await?;
    calendar_page(&desk, &req, &staff, name, year, Some(change)).await
}

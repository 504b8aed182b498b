//! The console's disruptions page (`/konsol/gangguan`): what the status page shows, a form to
//! declare a disruption or announce maintenance, forms to publish updates and end one, and
//! monitoring's latest alerts (those for unknown services first) for tier 2 and admins.

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use serde::Deserialize;

use super::admin::given;
use super::session::Staff;
use super::status::{shown, Shown};
use super::{ok, see_other, when, Frame, OrPage, PageError};
use crate::desk::disruptions::{self, alerts, EndDisruption, NewDisruption, NewUpdate};
use crate::desk::{Desk, DeskError};
use crate::domain::disruption::DisruptionState;
use crate::domain::role::Role;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/konsol/gangguan", web::get().to(page));
    cfg.route("/konsol/gangguan", web::post().to(declare));
    cfg.route("/konsol/gangguan/{id}/kabar", web::post().to(update));
    cfg.route("/konsol/gangguan/{id}/akhiri", web::post().to(end));
    cfg.route("/konsol/admin/layanan/{code}/peringatan", web::post().to(alert_declares));
}

pub struct Row {
    pub id: String,
    pub shown: Shown,
    pub phase: String,
    pub problem: Option<String>,
    pub source: String,
    pub followers: usize,
    pub maintenance: bool,
}

pub struct AlertRow {
    pub service: String,
    pub known: bool,
    pub status: String,
    pub summary: String,
    pub ticket: Option<String>,
    pub received: i64,
    pub last: String,
}

#[derive(Template)]
#[template(path = "disruptions.html")]
struct DisruptionsPage {
    f: Frame,
    csrf: String,
    manages: bool,
    running: Vec<Row>,
    ended: Vec<Row>,
    services: Vec<(String, String)>,
    states: Vec<(&'static str, &'static str)>,
    alerts: Option<Vec<AlertRow>>,
    error: Option<String>,
}

fn manages(role: Role) -> bool {
    matches!(role, Role::AgentT1 | Role::AgentT2 | Role::Supervisor | Role::Admin)
}

async fn render(
    desk: &Desk,
    req: &HttpRequest,
    staff: &Staff,
    error: Option<String>,
) -> Result<HttpResponse, PageError> {
    let l = staff.lang;
    let (now, d, actor) = (desk.now(), desk.clone(), staff.actor.clone());
    let sees_alerts = matches!(actor.role, Role::Admin | Role::Supervisor | Role::AgentT2);
    let (list, services, alert_list) = desk
        .read(move |conn| {
            let list = disruptions::list_for_staff(conn, &actor, now)?;
            let own_unit = match actor.role {
                Role::AgentT1 => actor.unit_id.as_deref().map(|id| d.names.unit_code(conn, id)).transpose()?,
                _ => None,
            };
            let services = crate::desk::catalog::list_services(&d, conn, own_unit.as_deref())?;
            let alert_list = if sees_alerts { Some(alerts::list(conn, false)?) } else { None };
            Ok((list, services, alert_list))
        })
        .await
        .or_page(l)?;
    let (mut running, mut ended) = (Vec::new(), Vec::new());
    for v in list {
        let row = Row {
            id: v.id.clone(),
            phase: v.phase.clone(),
            problem: v.problem.clone(),
            source: v.source.clone().unwrap_or_default(),
            followers: v.followers.unwrap_or(0),
            maintenance: v.state == "maintenance",
            shown: shown(desk, l, v),
        };
        if row.phase == "ended" {
            ended.push(row);
        } else {
            running.push(row);
        }
    }
    let mut alerts: Option<Vec<AlertRow>> = alert_list.map(|list| {
        list.into_iter()
            .take(50)
            .map(|a| AlertRow {
                known: a.service.is_some(),
                service: a.service_label,
                status: a.status,
                summary: a.summary,
                ticket: a.ticket,
                received: a.received,
                last: when(desk.zone, a.last_received_at),
            })
            .collect()
    });
    // Alerts nobody can map come first: an admin has to act on them.
    if let Some(list) = alerts.as_mut() {
        list.sort_by_key(|a| a.known);
    }
    ok(&DisruptionsPage {
        f: Frame::staff(req, staff, l.t("disruption.title"), "disruptions"),
        csrf: staff.csrf.clone(),
        manages: manages(staff.actor.role),
        running,
        ended,
        services: services.into_iter().filter(|s| s.active).map(|s| (s.code, s.name)).collect(),
        states: DisruptionState::ALL.iter().map(|s| (s.as_str(), l.t(&format!("state.{}", s.as_str())))).collect(),
        alerts,
        error,
    })
}

pub async fn page(desk: web::Data<Desk>, req: HttpRequest, staff: Staff) -> Result<HttpResponse, PageError> {
    render(&desk, &req, &staff, None).await
}

/// A `datetime-local` value in the city's zone, as UTC.
fn local_time(desk: &Desk, field: &str, text: &str) -> Result<Option<DateTime<Utc>>, DeskError> {
    let Some(text) = given(text) else { return Ok(None) };
    let naive = NaiveDateTime::parse_from_str(&text, "%Y-%m-%dT%H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(&text, "%Y-%m-%d %H:%M"))
        .map_err(|_| DeskError::invalid(field, format!("{text:?}: a date and time such as 2026-12-07 08:00")))?;
    desk.zone
        .from_local_datetime(&naive)
        .earliest()
        .map(|t| Some(t.with_timezone(&Utc)))
        .ok_or_else(|| DeskError::invalid(field, format!("{text:?} does not exist in the city's time zone")))
}

#[derive(Deserialize)]
pub struct DeclareForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    service: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    update: String,
    #[serde(default)]
    ticket: String,
    #[serde(default)]
    starts_at: String,
    #[serde(default)]
    expected_end: String,
}

/// Runs a form's change; a refusal is shown on the page with the form's own words.
async fn answer(
    desk: &Desk,
    req: &HttpRequest,
    staff: &Staff,
    result: Result<(), DeskError>,
) -> Result<HttpResponse, PageError> {
    match result {
        Ok(()) => Ok(see_other("/konsol/gangguan?ok=1")),
        Err(DeskError::Invalid { field, detail }) => render(desk, req, staff, Some(format!("{field}: {detail}"))).await,
        Err(DeskError::Conflict { detail, .. }) => render(desk, req, staff, Some(detail)).await,
        Err(e) => Err(PageError::from_desk(staff.lang, e)),
    }
}

pub async fn declare(
    desk: web::Data<Desk>,
    req: HttpRequest,
    staff: Staff,
    form: web::Form<DeclareForm>,
) -> Result<HttpResponse, PageError> {
    staff.check(&req, &form.csrf)?;
    let f = form.into_inner();
    let input = (|| {
        Ok::<_, DeskError>(NewDisruption {
            state: DisruptionState::parse(&f.state).ok_or_else(|| {
                DeskError::invalid("state", format!("{:?}: {}", f.state, DisruptionState::names().join(", ")))
            })?,
            starts_at: local_time(&desk, "starts_at", &f.starts_at)?,
            expected_end: local_time(&desk, "expected_end", &f.expected_end)?,
            service: f.service,
            title: f.title,
            update: given(&f.update),
            ticket: given(&f.ticket),
        })
    })();
    let result = match input {
        Ok(input) => {
            let (d, actor) = (desk.get_ref().clone(), staff.actor.clone());
            desk.writer.write(move |tx| disruptions::declare(tx, &d, &actor, input).map(drop)).await
        }
        Err(e) => Err(e),
    };
    answer(&desk, &req, &staff, result).await
}

#[derive(Deserialize)]
pub struct UpdateForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    expected_end: String,
}

pub async fn update(
    desk: web::Data<Desk>,
    req: HttpRequest,
    staff: Staff,
    id: web::Path<String>,
    form: web::Form<UpdateForm>,
) -> Result<HttpResponse, PageError> {
    staff.check(&req, &form.csrf)?;
    let f = form.into_inner();
    let input = local_time(&desk, "expected_end", &f.expected_end).map(|expected_end| NewUpdate {
        body: f.body,
        state: DisruptionState::parse(&f.state),
        expected_end,
    });
    let result = match input {
        Ok(input) => {
            let (actor, id) = (staff.actor.clone(), id.into_inner());
            desk.writer.write(move |tx| disruptions::publish_update(tx, &actor, &id, input).map(drop)).await
        }
        Err(e) => Err(e),
    };
    answer(&desk, &req, &staff, result).await
}

#[derive(Deserialize)]
pub struct EndForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    update: String,
}

pub async fn end(
    desk: web::Data<Desk>,
    req: HttpRequest,
    staff: Staff,
    id: web::Path<String>,
    form: web::Form<EndForm>,
) -> Result<HttpResponse, PageError> {
    staff.check(&req, &form.csrf)?;
    let input = EndDisruption { update: given(&form.update) };
    let (actor, id) = (staff.actor.clone(), id.into_inner());
    let result = desk.writer.write(move |tx| disruptions::end(tx, &actor, &id, input).map(drop)).await;
    answer(&desk, &req, &staff, result).await
}

#[derive(Deserialize)]
pub struct AlertDeclaresForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    on: String,
}

/// An admin switches whether a service's firing alerts declare it disrupted.
pub async fn alert_declares(
    desk: web::Data<Desk>,
    req: HttpRequest,
    staff: Staff,
    code: web::Path<String>,
    form: web::Form<AlertDeclaresForm>,
) -> Result<HttpResponse, PageError> {
    staff.require(&[Role::Admin])?;
    staff.check(&req, &form.csrf)?;
    let patch = crate::desk::accounts::CatalogPatch { alert_declares: Some(form.on == "1"), ..Default::default() };
    let (d, actor, code) = (desk.get_ref().clone(), staff.actor.clone(), code.into_inner());
    desk.writer
        .write(move |tx| crate::desk::accounts::update_service(tx, &d, &actor, &code, patch))
        .await
        .or_page(staff.lang)?;
    Ok(see_other("/konsol/admin/layanan?ok=1"))
}

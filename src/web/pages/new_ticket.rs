//! The console's phone ticket (`/konsol/tiket-baru`): an agent records a report taken by phone
//! or at the counter, on the requester's behalf.

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::session::Staff;
use super::{ok, see_other, Frame, OrPage, PageError};
use crate::desk::tickets::{self, NewTicket, RequesterInput};
use crate::desk::Desk;
use crate::domain::ticket::{Channel, Classification, Kind, Level};

#[derive(Template)]
#[template(path = "new_ticket.html")]
struct NewTicketPage {
    f: Frame,
    kinds: Vec<(&'static str, &'static str)>,
    levels: Vec<(&'static str, &'static str)>,
    units: Vec<(String, String)>,
    services: Vec<(String, String)>,
    classifications: Vec<(&'static str, &'static str)>,
    default_unit: String,
}

pub async fn new_form(desk: web::Data<Desk>, req: HttpRequest, staff: Staff) -> Result<HttpResponse, PageError> {
    let l = staff.lang;
    let d = desk.get_ref().clone();
    let (units, services) = desk
        .read(move |conn| {
            let units = crate::desk::catalog::intake_units(conn)?;
            let services = crate::desk::catalog::intake_services(&d, conn)?;
            Ok((units, services))
        })
        .await
        .or_page(l)?;
    ok(&NewTicketPage {
        f: Frame::staff(&req, &staff, l.t("new.title"), "new"),
        kinds: Kind::ALL.iter().map(|k| (k.as_str(), l.kind(*k))).collect(),
        levels: Level::ALL.iter().map(|v| (v.as_str(), l.level(*v))).collect(),
        units: units.into_iter().map(|u| (u.code, u.name)).collect(),
        services: services.into_iter().map(|s| (s.code, format!("{} ({})", s.name, s.unit))).collect(),
        classifications: Classification::ALL.iter().map(|c| (c.as_str(), l.classification(*c))).collect(),
        default_unit: staff.unit_code.clone().unwrap_or_default(),
    })
}

#[derive(Deserialize)]
pub struct NewTicketForm {
    csrf: String,
    kind: String,
    title: String,
    description: String,
    #[serde(default)]
    unit: String,
    #[serde(default)]
    service: String,
    impact: String,
    urgency: String,
    #[serde(default)]
    classification: String,
    #[serde(default)]
    security_incident: Option<String>,
    #[serde(default)]
    personal_data_breach: Option<String>,
    caller: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    email: String,
}

pub async fn create(
    desk: web::Data<Desk>,
    req: HttpRequest,
    staff: Staff,
    form: web::Form<NewTicketForm>,
) -> Result<HttpResponse, PageError> {
    staff.check(&req, &form.csrf)?;
    let l = staff.lang;
    let f = form.into_inner();
    let bad = |field: &str, what: &str| PageError::invalid(l, format!("{field}: {what}"));
    let some = |s: String| Some(s.trim().to_string()).filter(|s| !s.is_empty());
    let input = NewTicket {
        kind: Kind::parse(&f.kind).ok_or_else(|| bad("kind", "choose a kind"))?,
        title: f.title,
        description: f.description,
        unit: some(f.unit),
        service: some(f.service),
        impact: Level::parse(&f.impact).ok_or_else(|| bad("impact", "must be high, medium or low"))?,
        urgency: Level::parse(&f.urgency).ok_or_else(|| bad("urgency", "must be high, medium or low"))?,
        requester: Some(RequesterInput {
            name: f.caller,
            email: some(f.email),
            telegram_id: None,
            phone: some(f.phone),
            language: None,
        }),
        classification: match f.classification.as_str() {
            "" => None,
            c => Some(Classification::parse(c).ok_or_else(|| bad("classification", "unknown"))?),
        },
        security_incident: Some(f.security_incident.is_some()),
        personal_data_breach: Some(f.personal_data_breach.is_some()),
        channel: Some(Channel::Phone),
        follow_disruption: None,
    };
    let d = desk.get_ref().clone();
    let actor = staff.actor.clone();
    let number = desk
        .writer
        .write(move |tx| Ok(tickets::open_ticket(tx, &d, Some(&actor), input)?.ticket.row.number))
        .await
        .or_page(l)?;
    crate::web::metrics::TICKETS_OPENED.inc();
    Ok(see_other(format!("/konsol/tiket/{}?ok=1", super::urlencode(&number))))
}

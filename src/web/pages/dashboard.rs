//! The supervisor dashboard page.

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

use super::console::{sla_badge, SlaBadge};
use super::session::Staff;
use super::{ok, Frame, OrPage, PageError};
use crate::desk::dashboard::{self, UnitLine};
use crate::desk::Desk;
use crate::domain::role::Role;

pub struct Near {
    pub number: String,
    pub title: String,
    pub unit: String,
    pub priority: &'static str,
    pub priority_class: String,
    pub badge: SlaBadge,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    f: Frame,
    units: Vec<UnitLine>,
    total: UnitLine,
    nearing: Vec<Near>,
    month: String,
    /// "2027: jam-kerja" when the coming year has no holidays in a calendar tickets count in.
    holidays_missing: Option<String>,
    disruptions: Vec<crate::domain::disruption::ServiceDisruptions>,
}

/// "87%" or "—" when there is nothing to measure.
pub fn percent(value: Option<i64>) -> String {
    value.map_or_else(|| "—".to_string(), |v| format!("{v}%"))
}

pub async fn show(desk: web::Data<Desk>, req: HttpRequest, staff: Staff) -> Result<HttpResponse, PageError> {
    staff.require(&[Role::Supervisor, Role::Admin, Role::UnitHead])?;
    let l = staff.lang;
    let d = desk.get_ref().clone();
    let actor = staff.actor.clone();
    let board = desk.read(move |conn| dashboard::build(&d, conn, &actor)).await.or_page(l)?;
    let nearing = board
        .nearing
        .iter()
        .map(|t| Near {
            number: t.number.clone(),
            title: t.title.clone(),
            unit: t.unit.clone(),
            priority: t.priority.as_str(),
            priority_class: t.priority.as_str().to_lowercase(),
            badge: sla_badge(&desk, l, t),
        })
        .collect();
    ok(&DashboardPage {
        f: Frame::staff(&req, &staff, l.t("dash.title"), "dashboard"),
        month: board.month_start.with_timezone(&desk.zone).format("%m-%Y").to_string(),
        units: board.units,
        total: board.total,
        nearing,
        holidays_missing: board.holidays_missing.map(|(year, names)| format!("{year}: {}", names.join(", "))),
        disruptions: board.disruptions,
    })
}

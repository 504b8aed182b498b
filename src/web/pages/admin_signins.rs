//! The sign-in log for admins: every sign-in, success or failure, newest first, with a filter
//! by username.

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::admin::{tabs, Tab};
use super::session::Staff;
use super::{when, Frame, OrPage, PageError};
use crate::desk::signins::{self, SigninView};
use crate::desk::Desk;
use crate::domain::role::Role;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/konsol/admin/log-masuk", web::get().to(list));
}

pub struct Line {
    pub at: String,
    pub entry: SigninView,
}

#[derive(Template)]
#[template(path = "admin_signins.html")]
struct SigninsPage {
    f: Frame,
    tabs: Vec<Tab>,
    lines: Vec<Line>,
    user: String,
}

#[derive(Deserialize)]
pub struct Filter {
    #[serde(default)]
    pengguna: Option<String>,
}

pub async fn list(
    desk: web::Data<Desk>,
    req: HttpRequest,
    staff: Staff,
    q: web::Query<Filter>,
) -> Result<HttpResponse, PageError> {
    staff.require(&[Role::Admin])?;
    let l = staff.lang;
    let user = q.into_inner().pengguna.map(|u| u.trim().to_string()).filter(|u| !u.is_empty());
    let (actor, who) = (staff.actor.clone(), user.clone());
    let entries = desk.read(move |conn| signins::list(conn, &actor, who.as_deref())).await.or_page(l)?;
    let lines = entries.into_iter().map(|entry| Line { at: when(desk.zone, entry.at), entry }).collect();
    super::ok(&SigninsPage {
        f: Frame::staff(&req, &staff, l.t("admin.signins"), "admin"),
        tabs: tabs(&staff, "signins"),
        lines,
        user: user.unwrap_or_default(),
    })
}

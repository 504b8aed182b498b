//! A person's page in the administration (admins): edit name, contact, role, unit, NIP and
//! language; switch the account off or on; give a temporary password (made up and shown once,
//! or chosen) that must be changed at the next sign-in. Every change goes through the same use
//! cases as `PATCH /api/v1/users/{username}` and is audited there.

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::admin::{tabs, Tab};
use super::session::Staff;
use super::{see_other, Frame, OrPage, PageError};
use crate::desk::accounts::{self, UserPatch};
use crate::desk::catalog::{self, UserView};
use crate::desk::passwords::{self, TemporaryPassword};
use crate::desk::Desk;
use crate::domain::role::Role;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/konsol/admin/pengguna/{username}", web::get().to(show));
    cfg.route("/konsol/admin/pengguna/{username}", web::post().to(save));
    cfg.route("/konsol/admin/pengguna/{username}/sandi", web::post().to(temporary_password));
}

#[derive(Template)]
#[template(path = "admin_person.html")]
struct PersonPage {
    f: Frame,
    tabs: Vec<Tab>,
    user: UserView,
    roles: Vec<(&'static str, &'static str)>,
    units: Vec<(String, String)>,
    saved: bool,
    /// A temporary password meja made up: shown on this one answer only.
    generated: Option<String>,
}

async fn page(
    desk: &Desk,
    req: &HttpRequest,
    staff: &Staff,
    username: String,
    saved: bool,
    generated: Option<String>,
) -> Result<HttpResponse, PageError> {
    let l = staff.lang;
    let (d, actor) = (desk.clone(), staff.actor.clone());
    let (users, units) = desk
        .read(move |conn| Ok((catalog::list_users(&d, conn, &actor)?, catalog::intake_units(conn)?)))
        .await
        .or_page(l)?;
    let user = users.into_iter().find(|u| u.username == username).ok_or_else(|| PageError::not_found(l))?;
    super::ok(&PersonPage {
        f: Frame::staff(req, staff, l.t("admin.edit_user"), "admin"),
        tabs: tabs(staff, "users"),
        user,
        roles: Role::ALL.iter().map(|r| (r.as_str(), l.role(*r))).collect(),
        units: units.into_iter().map(|u| (u.code, u.name)).collect(),
        saved,
        generated,
    })
}

#[derive(Deserialize)]
pub struct SavedQuery {
    #[serde(default)]
    ok: Option<String>,
}

pub async fn show(
    desk: web::Data<Desk>,
    req: HttpRequest,
    staff: Staff,
    username: web::Path<String>,
    q: web::Query<SavedQuery>,
) -> Result<HttpResponse, PageError> {
    staff.require(&[Role::Admin])?;
    page(&desk, &req, &staff, username.into_inner(), q.ok.is_some(), None).await
}

#[derive(Deserialize)]
pub struct PersonForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    nip: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    unit: String,
    #[serde(default)]
    language: String,
    /// The checkbox: present when ticked.
    #[serde(default)]
    active: Option<String>,
}

pub async fn save(
    desk: web::Data<Desk>,
    req: HttpRequest,
    staff: Staff,
    username: web::Path<String>,
    form: web::Form<PersonForm>,
) -> Result<HttpResponse, PageError> {
    staff.require(&[Role::Admin])?;
    staff.check(&req, &form.csrf)?;
    let l = staff.lang;
    let form = form.into_inner();
    let role = Role::parse(&form.role)
        .ok_or_else(|| PageError::from_desk(l, crate::desk::DeskError::invalid("role", "unknown role")))?;
    let patch = UserPatch {
        name: Some(form.name),
        email: Some(form.email),
        phone: Some(form.phone),
        nip: Some(form.nip),
        role: Some(role),
        unit: Some(form.unit),
        language: Some(form.language).filter(|l| !l.is_empty()),
        active: Some(form.active.is_some()),
    };
    let (d, actor, name) = (desk.get_ref().clone(), staff.actor.clone(), username.into_inner());
    let target = name.clone();
    desk.writer.write(move |tx| accounts::update_user(tx, &d, Some(&actor), &target, patch)).await.or_page(l)?;
    Ok(see_other(format!("/konsol/admin/pengguna/{}?ok=1", super::urlencode(&name))))
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    password: String,
}

pub async fn temporary_password(
    desk: web::Data<Desk>,
    req: HttpRequest,
    staff: Staff,
    username: web::Path<String>,
    form: web::Form<PasswordForm>,
) -> Result<HttpResponse, PageError> {
    staff.require(&[Role::Admin])?;
    staff.check(&req, &form.csrf)?;
    let username = username.into_inner();
    let chosen = Some(form.password.trim().to_string()).filter(|p| !p.is_empty());
    let set = passwords::set_temporary(&desk, Some(&staff.actor), &username, TemporaryPassword { password: chosen })
        .await
        .or_page(staff.lang)?;
    page(&desk, &req, &staff, username, true, set.password).await
}

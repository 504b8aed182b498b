//! The canned replies' page in the console (issue 15): the replies one may use, with their
//! scope, action and use count; making, changing and deleting the ones one manages.

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::session::Staff;
use super::{ok, see_other, Frame, OrPage, PageError};
use crate::desk::canned::{self, CannedPatch, CannedView, NewCanned};
use crate::desk::Desk;
use crate::domain::canned::PLACEHOLDERS;
use crate::domain::role::Role;

#[derive(Template)]
#[template(path = "canned.html")]
struct CannedPage {
    f: Frame,
    replies: Vec<CannedView>,
    /// The reply being changed, when the page edits one.
    editing: Option<CannedView>,
    /// The action of the reply being changed, or empty.
    edit_action: String,
    /// Where a new reply may go: ("", city-wide) and/or unit codes.
    scopes: Vec<(String, String)>,
    placeholders: String,
}

#[derive(Deserialize)]
pub struct CannedForm {
    csrf: String,
    title: String,
    body: String,
    #[serde(default)]
    unit: String,
    #[serde(default)]
    action: String,
}

/// The scopes `role` may make replies for: the city (tier 2, supervisors, admins) and units.
async fn scopes(desk: &Desk, staff: &Staff) -> Result<Vec<(String, String)>, PageError> {
    let l = staff.lang;
    let role = staff.actor.role;
    let own_code = staff.unit_code.clone();
    let units = desk.read(crate::desk::catalog::intake_units).await.or_page(l)?;
    let mut out = Vec::new();
    if matches!(role, Role::AgentT2 | Role::Supervisor | Role::Admin) {
        out.push((String::new(), l.t("canned.citywide").to_string()));
    }
    for u in units {
        let own = own_code.as_deref() == Some(u.code.as_str());
        if matches!(role, Role::Supervisor | Role::Admin) || (own && matches!(role, Role::AgentT1 | Role::UnitHead)) {
            out.push((u.code, u.name));
        }
    }
    Ok(out)
}

async fn render(
    desk: &Desk,
    req: &HttpRequest,
    staff: &Staff,
    editing: Option<String>,
) -> Result<HttpResponse, PageError> {
    let l = staff.lang;
    let (d, actor) = (desk.clone(), staff.actor.clone());
    let replies = desk.read(move |conn| canned::list(&d, conn, &actor)).await.or_page(l)?;
    let editing = match editing {
        Some(id) => {
            Some(replies.iter().find(|r| r.id == id && r.editable).cloned().ok_or_else(|| PageError::not_found(l))?)
        }
        None => None,
    };
    ok(&CannedPage {
        f: Frame::staff(req, staff, l.t("canned.title"), "canned"),
        replies,
        edit_action: editing.as_ref().and_then(|e| e.action.clone()).unwrap_or_default(),
        editing,
        scopes: scopes(desk, staff).await?,
        placeholders: PLACEHOLDERS.map(|p| format!("{{{{{p}}}}}")).join(" "),
    })
}

pub async fn list(desk: web::Data<Desk>, req: HttpRequest, staff: Staff) -> Result<HttpResponse, PageError> {
    render(&desk, &req, &staff, None).await
}

pub async fn edit_form(
    desk: web::Data<Desk>,
    req: HttpRequest,
    staff: Staff,
    id: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    render(&desk, &req, &staff, Some(id.into_inner())).await
}

fn optional(text: String) -> Option<String> {
    Some(text.trim().to_string()).filter(|t| !t.is_empty())
}

pub async fn create(
    desk: web::Data<Desk>,
    req: HttpRequest,
    staff: Staff,
    form: web::Form<CannedForm>,
) -> Result<HttpResponse, PageError> {
    staff.check(&req, &form.csrf)?;
    let f = form.into_inner();
    let input = NewCanned { title: f.title, body: f.body, unit: optional(f.unit), action: optional(f.action) };
    let (d, actor) = (desk.get_ref().clone(), staff.actor.clone());
    desk.writer.write(move |tx| canned::create(tx, &d, &actor, input)).await.or_page(staff.lang)?;
    Ok(see_other("/konsol/balasan?ok=1".to_string()))
}

pub async fn update(
    desk: web::Data<Desk>,
    req: HttpRequest,
    staff: Staff,
    id: web::Path<String>,
    form: web::Form<CannedForm>,
) -> Result<HttpResponse, PageError> {
    staff.check(&req, &form.csrf)?;
    let f = form.into_inner();
    let patch = CannedPatch { title: Some(f.title), body: Some(f.body), action: Some(optional(f.action)) };
    let (d, actor, id) = (desk.get_ref().clone(), staff.actor.clone(), id.into_inner());
    desk.writer.write(move |tx| canned::update(tx, &d, &actor, &id, patch)).await.or_page(staff.lang)?;
    Ok(see_other("/konsol/balasan?ok=1".to_string()))
}

#[derive(Deserialize)]
pub struct CsrfOnly {
    csrf: String,
}

pub async fn delete(
    desk: web::Data<Desk>,
    req: HttpRequest,
    staff: Staff,
    id: web::Path<String>,
    form: web::Form<CsrfOnly>,
) -> Result<HttpResponse, PageError> {
    staff.check(&req, &form.csrf)?;
    let (actor, id) = (staff.actor.clone(), id.into_inner());
    desk.writer.write(move |tx| canned::delete(tx, &actor, &id)).await.or_page(staff.lang)?;
    Ok(see_other("/konsol/balasan?ok=1".to_string()))
}

/// `POST /konsol/balasan/{id}/lampiran`: files (multipart) kept with the reply.
pub async fn add_files(
    desk: web::Data<Desk>,
    req: HttpRequest,
    staff: Staff,
    id: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, PageError> {
    let l = staff.lang;
    let form = crate::web::upload::read_page_form(
        &req,
        payload,
        "files",
        crate::desk::attachments::MAX_FILES,
        desk.attachment_max_bytes,
    )
    .await
    .map_err(|e| PageError::invalid(l, format!("{}: {}", e.field, e.detail)))?;
    staff.check(&req, form.get("csrf").unwrap_or_default())?;
    let (d, actor, id) = (desk.get_ref().clone(), staff.actor.clone(), id.into_inner());
    let back = format!("/konsol/balasan/{}?ok=1#canned-files", super::urlencode(&id));
    desk.writer.write(move |tx| crate::desk::canned_files::add(tx, &d, &actor, &id, &form.files)).await.or_page(l)?;
    Ok(see_other(back))
}

/// `POST /konsol/balasan/{id}/lampiran/{file}/hapus`.
pub async fn remove_file(
    desk: web::Data<Desk>,
    req: HttpRequest,
    staff: Staff,
    path: web::Path<(String, String)>,
    form: web::Form<CsrfOnly>,
) -> Result<HttpResponse, PageError> {
    staff.check(&req, &form.csrf)?;
    let (id, file) = path.into_inner();
    let (d, actor) = (desk.get_ref().clone(), staff.actor.clone());
    let back = format!("/konsol/balasan/{}?ok=1#canned-files", super::urlencode(&id));
    desk.writer
        .write(move |tx| crate::desk::canned_files::remove(tx, &d, &actor, &id, &file))
        .await
        .or_page(staff.lang)?;
    Ok(see_other(back))
}

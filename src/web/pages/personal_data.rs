//! The requester's personal data from the ticket page (SPEC 6): "Ekspor data" downloads the
//! ZIP, "Anonimkan" erases the identity; supervisors and admins only, both audited.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::session::Staff;
use super::{see_other, OrPage, PageError};
use crate::desk::personal_data::anonymise::{anonymise as erase_requester, AnonymiseRequest};
use crate::desk::personal_data::{export, Lookup};
use crate::desk::Desk;
use crate::domain::role::Role;

const ROLES: &[Role] = &[Role::Supervisor, Role::Admin];

/// A download started from another site is refused: the export is audited in the name of the
/// signed-in officer, so only their own click on the desk's page may start it.
fn started_here(req: &HttpRequest) -> bool {
    match req.headers().get("Sec-Fetch-Site").and_then(|v| v.to_str().ok()) {
        Some(site) => matches!(site, "same-origin" | "none"),
        None => true,
    }
}

pub async fn export(
    desk: web::Data<Desk>,
    req: HttpRequest,
    staff: Staff,
    number: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let l = staff.lang;
    staff.require(ROLES)?;
    if !started_here(&req) {
        return Err(PageError::csrf(l));
    }
    let lookup = Lookup { ticket: Some(number.into_inner()), ..Lookup::default() };
    let exported = export::export_audited(&desk, Some(staff.actor.clone()), lookup).await.or_page(l)?;
    Ok(HttpResponse::Ok()
        .content_type("application/zip")
        .insert_header((header::CONTENT_DISPOSITION, format!("attachment; filename=\"{}\"", exported.file_name)))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(exported.zip))
}

#[derive(Deserialize)]
pub struct AnonymiseForm {
    csrf: String,
    #[serde(default)]
    reason: String,
}

pub async fn anonymise(
    desk: web::Data<Desk>,
    req: HttpRequest,
    staff: Staff,
    number: web::Path<String>,
    form: web::Form<AnonymiseForm>,
) -> Result<HttpResponse, PageError> {
    staff.check(&req, &form.csrf)?;
    let l = staff.lang;
    staff.require(ROLES)?;
    let number = number.into_inner();
    let request = AnonymiseRequest {
        email: None,
        phone: None,
        telegram_id: None,
        ticket: Some(number.clone()),
        reason: form.into_inner().reason,
    };
    let d = desk.get_ref().clone();
    let actor = staff.actor.clone();
    desk.writer.write(move |tx| erase_requester(tx, &d, Some(&actor), &request)).await.or_page(l)?;
    Ok(see_other(format!("/konsol/tiket/{}?ok=1#data-pribadi", super::urlencode(&number))))
}

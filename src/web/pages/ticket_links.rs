//! The problem box of the ticket page: a problem links and unlinks incidents by number; an
//! incident shows the problems it belongs to.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::session::Staff;
use super::{see_other, urlencode, OrPage, PageError};
use crate::desk::links::{self, NewLink};
use crate::desk::Desk;

#[derive(Deserialize)]
pub struct LinkForm {
    csrf: String,
    incident: String,
}

/// `POST /konsol/tiket/{number}/tautan`: link the incident to this problem.
pub async fn link(
    desk: web::Data<Desk>,
    req: HttpRequest,
    staff: Staff,
    number: web::Path<String>,
    form: web::Form<LinkForm>,
) -> Result<HttpResponse, PageError> {
    staff.check(&req, &form.csrf)?;
    let number = number.into_inner();
    let (actor, n, incident) = (staff.actor.clone(), number.clone(), form.into_inner().incident);
    desk.writer
        .write(move |tx| links::link_incident(tx, &actor, &n, NewLink { incident }))
        .await
        .or_page(staff.lang)?;
    Ok(see_other(format!("/konsol/tiket/{}?ok=1#masalah", urlencode(&number))))
}

/// `POST /konsol/tiket/{number}/tautan/hapus`: unlink the incident.
pub async fn unlink(
    desk: web::Data<Desk>,
    req: HttpRequest,
    staff: Staff,
    number: web::Path<String>,
    form: web::Form<LinkForm>,
) -> Result<HttpResponse, PageError> {
    staff.check(&req, &form.csrf)?;
    let number = number.into_inner();
    let (actor, n, incident) = (staff.actor.clone(), number.clone(), form.into_inner().incident);
    desk.writer.write(move |tx| links::unlink_incident(tx, &actor, &n, &incident)).await.or_page(staff.lang)?;
    Ok(see_other(format!("/konsol/tiket/{}?ok=1#masalah", urlencode(&number))))
}

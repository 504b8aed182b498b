//! Saving and deleting the queue's saved views (the tabs above the queue).

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::session::Staff;
use super::{see_other, OrPage, PageError};
use crate::desk::saved_views;
use crate::desk::Desk;

#[derive(Deserialize)]
pub struct SaveForm {
    csrf: String,
    name: String,
    #[serde(default)]
    query: String,
}

/// `POST /konsol/tampilan`: the current filter under a name, then on to it.
pub async fn save(
    desk: web::Data<Desk>,
    req: HttpRequest,
    staff: Staff,
    form: web::Form<SaveForm>,
) -> Result<HttpResponse, PageError> {
    staff.check(&req, &form.csrf)?;
    let form = form.into_inner();
    let actor = staff.actor.clone();
    let (view, _) = desk
        .writer
        .write(move |tx| saved_views::save(tx, &actor, &form.name, &form.query))
        .await
        .or_page(staff.lang)?;
    Ok(see_other(format!("/konsol?{}", view.query)))
}

#[derive(Deserialize)]
pub struct DeleteForm {
    csrf: String,
    id: String,
}

/// `POST /konsol/tampilan/hapus`: one of one's own views.
pub async fn delete(
    desk: web::Data<Desk>,
    req: HttpRequest,
    staff: Staff,
    form: web::Form<DeleteForm>,
) -> Result<HttpResponse, PageError> {
    staff.check(&req, &form.csrf)?;
    let (actor, id) = (staff.actor.clone(), form.into_inner().id);
    desk.writer.write(move |tx| saved_views::delete(tx, &actor, &id)).await.or_page(staff.lang)?;
    Ok(see_other("/konsol".to_string()))
}

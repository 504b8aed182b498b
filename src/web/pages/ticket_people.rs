//! The ticket page's followers box (add an address or a colleague, follow or stop following
//! it oneself, remove) and its merge form.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::session::Staff;
use super::{see_other, urlencode, OrPage, PageError};
use crate::desk::followers::{self, NewFollower};
use crate::desk::Desk;

#[derive(Deserialize)]
pub struct FollowerForm {
    csrf: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    username: String,
}

fn back(number: &str, anchor: &str) -> HttpResponse {
    see_other(format!("/konsol/tiket/{}?ok=1#{anchor}", urlencode(number)))
}

/// `POST /konsol/tiket/{number}/pengikut`: an address or a username (the follow button sends
/// the viewer's own).
pub async fn add(
    desk: web::Data<Desk>,
    req: HttpRequest,
    staff: Staff,
    number: web::Path<String>,
    form: web::Form<FollowerForm>,
) -> Result<HttpResponse, PageError> {
    staff.check(&req, &form.csrf)?;
    let form = form.into_inner();
    let some = |s: String| Some(s).filter(|s| !s.trim().is_empty());
    let input = NewFollower { email: some(form.email), username: some(form.username) };
    let number = number.into_inner();
    let (actor, n) = (staff.actor.clone(), number.clone());
    desk.writer.write(move |tx| followers::add(tx, &actor, &n, input)).await.or_page(staff.lang)?;
    Ok(back(&number, "pengikut"))
}

#[derive(Deserialize)]
pub struct RemoveForm {
    csrf: String,
    key: String,
}

/// `POST /konsol/tiket/{number}/pengikut/hapus`: by address or username.
pub async fn remove(
    desk: web::Data<Desk>,
    req: HttpRequest,
    staff: Staff,
    number: web::Path<String>,
    form: web::Form<RemoveForm>,
) -> Result<HttpResponse, PageError> {
    staff.check(&req, &form.csrf)?;
    let number = number.into_inner();
    let (actor, n, key) = (staff.actor.clone(), number.clone(), form.into_inner().key);
    desk.writer.write(move |tx| followers::remove(tx, &actor, &n, &key)).await.or_page(staff.lang)?;
    Ok(back(&number, "pengikut"))
}

#[derive(Deserialize)]
pub struct MergeForm {
    csrf: String,
    into: String,
}

/// `POST /konsol/tiket/{number}/gabung`: merged, then on to the ticket that carries the case.
pub async fn merge(
    desk: web::Data<Desk>,
    req: HttpRequest,
    staff: Staff,
    number: web::Path<String>,
    form: web::Form<MergeForm>,
) -> Result<HttpResponse, PageError> {
    staff.check(&req, &form.csrf)?;
    let d = desk.get_ref().clone();
    let (actor, n, into) = (staff.actor.clone(), number.into_inner(), form.into_inner().into);
    let merged = desk
        .writer
        .write(move |tx| crate::desk::tickets::merge::merge(tx, &d, &actor, &n, &into))
        .await
        .or_page(staff.lang)?;
    Ok(back(&merged.target.row.number, "percakapan"))
}

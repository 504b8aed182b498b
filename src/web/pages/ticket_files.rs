//! The ticket page's reply and note forms (text, a canned reply, files) and its downloads.

use actix_web::{web, HttpRequest, HttpResponse};

use super::session::Staff;
use super::{see_other, OrPage, PageError};
use crate::desk::attachments::MAX_FILES;
use crate::desk::tickets::NewMessage;
use crate::desk::Desk;
use crate::domain::ticket::Channel;
use crate::web::upload;

/// `POST /konsol/tiket/{number}/pesan`: a reply (or, with `internal`, a note) as a multipart
/// (or URL-encoded) form: `csrf`, `body`, `internal`, `canned_reply` (its filled-in text is sent when the text
/// box is left empty, so the form works without script) and files in `files`.
pub async fn add_message(
    desk: web::Data<Desk>,
    req: HttpRequest,
    staff: Staff,
    number: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, PageError> {
    let l = staff.lang;
    let form = upload::read_page_form(&req, payload, "files", MAX_FILES, desk.attachment_max_bytes)
        .await
        .map_err(|e| PageError::invalid(l, format!("{}: {}", e.field, e.detail)))?;
    staff.check(&req, form.get("csrf").unwrap_or_default())?;
    let number = number.into_inner();
    let canned = form.get("canned_reply").filter(|c| !c.is_empty()).map(str::to_string);
    let message = NewMessage {
        body: form.get("body").unwrap_or_default().to_string(),
        internal: upload::flag(form.get("internal")),
        channel: Some(Channel::Web),
        minutes: upload::minutes(form.get("minutes"))
            .map_err(|e| PageError::invalid(l, format!("{}: {}", e.field, e.detail)))?,
        files: form.files,
    };
    let d = desk.get_ref().clone();
    let actor = staff.actor.clone();
    let n = number.clone();
    desk.writer
        .write(move |tx| crate::desk::canned::add_message(tx, &d, &actor, &n, message, canned.as_deref()))
        .await
        .or_page(l)?;
    Ok(see_other(format!("/konsol/tiket/{}?ok=1#percakapan", super::urlencode(&number))))
}

/// A file of a ticket the viewer may see, as a download (never rendered inline, so a hostile
/// HTML or SVG file cannot run in the desk's origin).
pub async fn attachment(
    desk: web::Data<Desk>,
    staff: Staff,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, PageError> {
    let l = staff.lang;
    let (number, id) = path.into_inner();
    let actor = staff.actor.clone();
    let (file, bytes) =
        desk.read(move |conn| crate::desk::attachments::download(conn, &actor, &number, &id)).await.or_page(l)?;
    Ok(crate::web::api::tickets::download(file, bytes))
}

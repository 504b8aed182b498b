//! The tracking page every acknowledgement links to (`/lacak/{number}?token=…`): status, the
//! conversation, a reply box and, once resolved, the rating form. The token in the link is the
//! citizen's only credential (no cookie, so no cross-site request can borrow it).

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::pages::i18n::Lang;
use super::pages::{html, see_other, urlencode, when, Frame, OrPage, PageError};
use crate::desk::view::PublicTicketView;
use crate::desk::{tracking, Desk, DeskError};
use crate::domain::ticket::Status;

#[derive(Deserialize)]
pub struct TokenQuery {
    /// Missing when a link was cut short: answered with a page, not a problem document.
    #[serde(default)]
    token: Option<String>,
    #[serde(default)]
    baru: Option<String>,
}

pub struct Line {
    pub from: String,
    pub mine: bool,
    pub at: String,
    pub body: String,
    pub files: Vec<FileLink>,
}

/// A public file of the ticket, downloadable with the tracking token.
pub struct FileLink {
    pub url: String,
    pub name: String,
    pub size: String,
}

#[derive(Template)]
#[template(path = "tracking.html")]
struct TrackingPage {
    f: Frame,
    t: PublicTicketView,
    status: &'static str,
    created: String,
    updated: String,
    lines: Vec<Line>,
    /// Files that came with the report itself, not with a message.
    report_files: Vec<FileLink>,
    token: String,
    open: bool,
    may_rate: bool,
    /// Just reported: show the number and the link to keep.
    fresh: bool,
    link: String,
    error: Option<String>,
}

fn status_words(l: Lang, status: Status) -> &'static str {
    match (l, status) {
        (Lang::Id, Status::New) => "Baru — menunggu petugas",
        (Lang::En, Status::New) => "New — waiting for an agent",
        (Lang::Id, Status::Open) => "Sedang ditangani",
        (Lang::En, Status::Open) => "Being handled",
        (Lang::Id, Status::Pending) => "Menunggu jawaban Anda",
        (Lang::En, Status::Pending) => "Waiting for your answer",
        (_, other) => l.status(other),
    }
}

async fn render(
    desk: &Desk,
    req: &HttpRequest,
    number: String,
    token: String,
    fresh: bool,
    error: Option<String>,
) -> Result<HttpResponse, PageError> {
    let l = Lang::from_request(req);
    let t = token.clone();
    let (view, may_rate) = desk.read(move |conn| tracking::show(conn, &number, &t)).await.or_page(l)?;
    let zone = desk.zone;
    // From MEJA_PUBLIC_URL, never from Host or X-Forwarded-Host, which anyone can point elsewhere.
    let base = super::pages::session::public_url(req);
    let link = format!("{base}/lacak/{}?token={}", urlencode(&view.number), urlencode(&token));
    let files_of = |message: Option<&str>| -> Vec<FileLink> {
        view.attachments
            .iter()
            .filter(|a| a.message_id.as_deref() == message)
            .map(|a| FileLink {
                url: format!(
                    "/api/v1/public/tickets/{}/attachments/{}?token={}",
                    urlencode(&view.number),
                    urlencode(&a.id),
                    urlencode(&token)
                ),
                name: a.filename.clone(),
                size: super::pages::file_size(a.size),
            })
            .collect()
    };
    let page = TrackingPage {
        f: Frame::public(req, format!("{} {}", l.t("track.ticket"), view.number), "portal"),
        status: status_words(l, view.status),
        created: when(zone, view.created_at),
        updated: when(zone, view.updated_at),
        lines: view
            .messages
            .iter()
            .map(|m| Line {
                from: if m.from_requester { l.t("track.you").to_string() } else { m.from.clone() },
                mine: m.from_requester,
                at: when(zone, m.created_at),
                body: m.body.clone(),
                files: files_of(Some(&m.id)),
            })
            .collect(),
        report_files: files_of(None),
        open: !matches!(view.status, Status::Closed | Status::Cancelled),
        may_rate,
        fresh,
        link,
        token,
        error,
        t: view,
    };
    let status = if page.error.is_some() {
        actix_web::http::StatusCode::UNPROCESSABLE_ENTITY
    } else {
        actix_web::http::StatusCode::OK
    };
    Ok(html(status, &page))
}

pub async fn show(
    desk: web::Data<Desk>,
    req: HttpRequest,
    number: web::Path<String>,
    query: web::Query<TokenQuery>,
) -> Result<HttpResponse, PageError> {
    let q = query.into_inner();
    let Some(token) = q.token.filter(|t| !t.is_empty()) else {
        return Err(PageError::not_found(Lang::from_request(&req)));
    };
    render(&desk, &req, number.into_inner(), token, q.baru.is_some(), None).await
}

#[derive(Deserialize)]
pub struct ReplyForm {
    token: String,
    body: String,
}

/// A reply from the page, then back to the page (post/redirect/get).
pub async fn reply(
    desk: web::Data<Desk>,
    req: HttpRequest,
    number: web::Path<String>,
    form: web::Form<ReplyForm>,
) -> Result<HttpResponse, PageError> {
    let l = Lang::from_request(&req);
    let (number, form) = (number.into_inner(), form.into_inner());
    let d = desk.get_ref().clone();
    let (n, token) = (number.clone(), form.token.clone());
    let result = desk.writer.write(move |tx| tracking::reply(tx, &d, &n, &token, form.body)).await;
    match result {
        Ok(_) => Ok(see_other(format!("/lacak/{}?token={}", urlencode(&number), urlencode(&form.token)))),
        Err(DeskError::Invalid { field, detail }) => {
            render(&desk, &req, number, form.token, false, Some(format!("{field}: {detail}"))).await
        }
        Err(e) => Err(PageError::from_desk(l, e)),
    }
}

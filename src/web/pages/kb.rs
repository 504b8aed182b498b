//! The knowledge base on the web (SPEC 7: "informasi, solusi, dan edukasi"): public search and
//! articles with "did this help?" for citizens; the staff's list, editor and "article from
//! this ticket". Bodies are Markdown, rendered and sanitised by `domain::markdown`.

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::i18n::Lang;
use super::session::{check_public_csrf, public_csrf, Staff};
use super::{html, ok, see_other, urlencode, when, Frame, OrPage, PageError};
use crate::desk::kb::{self, ArticlePatch, ArticleSummary, ArticleView, NewArticle};
use crate::desk::Desk;
use crate::web::extract::client_address;

#[derive(Deserialize)]
pub struct SearchQuery {
    #[serde(default)]
    q: String,
}

#[derive(Template)]
#[template(path = "kb_search.html")]
struct SearchPage {
    f: Frame,
    q: String,
    articles: Vec<ArticleSummary>,
    staff: bool,
}

async fn limited(desk: &Desk, req: &HttpRequest, l: Lang) -> Result<(), PageError> {
    let client = client_address(req);
    if desk.auth.public_reads.blocked_for(desk, &client).await.is_some() {
        return Err(PageError::from_desk(
            l,
            crate::desk::DeskError::TooManyRequests { detail: String::new(), retry_after_secs: 60 },
        ));
    }
    desk.auth.public_reads.hit(desk, &client).await;
    Ok(())
}

pub async fn public_search(
    desk: web::Data<Desk>,
    req: HttpRequest,
    q: web::Query<SearchQuery>,
) -> Result<HttpResponse, PageError> {
    let l = Lang::from_request(&req);
    limited(&desk, &req, l).await?;
    let text = q.into_inner().q.chars().take(200).collect::<String>();
    let t = text.clone();
    let articles = desk.read(move |conn| kb::search(conn, None, Some(&t), None, 20)).await.or_page(l)?;
    ok(&SearchPage { f: Frame::public(&req, l.t("kb.title"), "kb"), q: text, articles, staff: false })
}

#[derive(Template)]
#[template(path = "kb_article.html")]
struct ArticlePage {
    f: Frame,
    a: ArticleView,
    updated: String,
    csrf: String,
    voted: bool,
}

#[derive(Deserialize)]
pub struct ArticleQuery {
    #[serde(default)]
    terima_kasih: Option<String>,
}

pub async fn public_article(
    desk: web::Data<Desk>,
    req: HttpRequest,
    slug: web::Path<String>,
    q: web::Query<ArticleQuery>,
) -> Result<HttpResponse, PageError> {
    let l = Lang::from_request(&req);
    limited(&desk, &req, l).await?;
    let slug = slug.into_inner();
    let a = desk.writer.write(move |tx| kb::read(tx, None, &slug)).await.or_page(l)?;
    let (csrf, cookie) = public_csrf(&req);
    let page = ArticlePage {
        f: Frame::public(&req, a.summary.title.clone(), "kb"),
        updated: when(desk.zone, a.summary.updated_at),
        a,
        csrf,
        voted: q.terima_kasih.is_some(),
    };
    let mut response = html(actix_web::http::StatusCode::OK, &page);
    if let Some(c) = cookie {
        let _ = response.add_cookie(&c);
    }
    Ok(response)
}

#[derive(Deserialize)]
pub struct VoteForm {
    csrf: String,
    helpful: String,
}

pub async fn public_vote(
    desk: web::Data<Desk>,
    req: HttpRequest,
    slug: web::Path<String>,
    form: web::Form<VoteForm>,
) -> Result<HttpResponse, PageError> {
    let l = Lang::from_request(&req);
    check_public_csrf(&req, &form.csrf, l)?;
    let client = client_address(&req);
    if desk.auth.public_votes.blocked_for(&desk, &client).await.is_some() {
        return Err(PageError::from_desk(
            l,
            crate::desk::DeskError::TooManyRequests { detail: String::new(), retry_after_secs: 3600 },
        ));
    }
    desk.auth.public_votes.hit(&desk, &client).await;
    let helpful = form.helpful == "ya";
    let slug = slug.into_inner();
    let s = slug.clone();
    let (visitor, new_cookie) = visitor(&req);
    desk.writer.write(move |tx| kb::vote(tx, &s, &visitor, helpful)).await.or_page(l)?;
    let mut response = see_other(format!("/bantuan/{}?terima_kasih=1", urlencode(&slug)));
    if let Some(c) = new_cookie {
        let _ = response.add_cookie(&c);
    }
    Ok(response)
}

/// The cookie that tells one visitor's votes from another's: random, nothing else in it.
const VISITOR_COOKIE: &str = "meja_pengunjung";

/// The visitor's id, and the cookie to set when they had none yet. A visitor who throws the
/// cookie away can vote again; the per-address limit bounds how often.
pub fn visitor(req: &HttpRequest) -> (String, Option<actix_web::cookie::Cookie<'static>>) {
    match req.cookie(VISITOR_COOKIE).map(|c| c.value().to_string()).filter(|v| v.len() == 40) {
        Some(id) => (id, None),
        None => {
            let id = crate::desk::auth::random_secret(20);
            let cookie = super::session::cookie(req, VISITOR_COOKIE, id.clone(), 365);
            (id, Some(cookie))
        }
    }
}

// --- Staff ---

pub async fn staff_list(
    desk: web::Data<Desk>,
    req: HttpRequest,
    staff: Staff,
    q: web::Query<SearchQuery>,
) -> Result<HttpResponse, PageError> {
    let l = staff.lang;
    let text = q.into_inner().q.chars().take(200).collect::<String>();
    let (t, actor) = (text.clone(), staff.actor.clone());
    let articles = desk.read(move |conn| kb::search(conn, Some(&actor), Some(&t), None, 50)).await.or_page(l)?;
    ok(&SearchPage { f: Frame::staff(&req, &staff, l.t("nav.kb_admin"), "kb"), q: text, articles, staff: true })
}

#[derive(Template)]
#[template(path = "kb_edit.html")]
struct EditPage {
    f: Frame,
    slug: Option<String>,
    title: String,
    body: String,
    visibility: String,
    service: String,
    services: Vec<(String, String)>,
    preview: Option<String>,
    source_ticket: Option<String>,
}

async fn services(desk: &Desk, l: Lang) -> Result<Vec<(String, String)>, PageError> {
    let d = desk.clone();
    Ok(desk
        .read(move |conn| crate::desk::catalog::list_services(&d, conn, None))
        .await
        .or_page(l)?
        .into_iter()
        .map(|s| (s.code, s.name))
        .collect())
}

pub async fn new_form(desk: web::Data<Desk>, req: HttpRequest, staff: Staff) -> Result<HttpResponse, PageError> {
    let l = staff.lang;
    ok(&EditPage {
        f: Frame::staff(&req, &staff, l.t("kb.new"), "kb"),
        slug: None,
        title: String::new(),
        body: String::new(),
        visibility: "public".into(),
        service: String::new(),
        services: services(&desk, l).await?,
        preview: None,
        source_ticket: None,
    })
}

pub async fn edit_form(
    desk: web::Data<Desk>,
    req: HttpRequest,
    staff: Staff,
    slug: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let l = staff.lang;
    let (actor, slug) = (staff.actor.clone(), slug.into_inner());
    // Reading through the use case counts a view; an editor opening it is one too.
    let a = desk.writer.write(move |tx| kb::read(tx, Some(&actor), &slug)).await.or_page(l)?;
    ok(&EditPage {
        f: Frame::staff(&req, &staff, l.t("kb.edit"), "kb"),
        slug: Some(a.summary.slug.clone()),
        title: a.summary.title.clone(),
        body: a.body.clone(),
        visibility: a.summary.visibility.clone(),
        service: a.summary.service.clone().unwrap_or_default(),
        services: services(&desk, l).await?,
        preview: Some(a.body_html.clone()),
        source_ticket: a.source_ticket.clone(),
    })
}

#[derive(Deserialize)]
pub struct ArticleForm {
    csrf: String,
    title: String,
    body: String,
    visibility: String,
    #[serde(default)]
    service: String,
}

pub async fn create(
    desk: web::Data<Desk>,
    req: HttpRequest,
    staff: Staff,
    form: web::Form<ArticleForm>,
) -> Result<HttpResponse, PageError> {
    staff.check(&req, &form.csrf)?;
    let f = form.into_inner();
    let actor = staff.actor.clone();
    let input = NewArticle {
        title: f.title,
        body: f.body,
        visibility: Some(f.visibility),
        service: Some(f.service).filter(|s| !s.is_empty()),
    };
    let a = desk.writer.write(move |tx| kb::create(tx, &actor, input)).await.or_page(staff.lang)?;
    Ok(see_other(format!("/konsol/artikel/{}?ok=1", urlencode(&a.summary.slug))))
}

pub async fn update(
    desk: web::Data<Desk>,
    req: HttpRequest,
    staff: Staff,
    slug: web::Path<String>,
    form: web::Form<ArticleForm>,
) -> Result<HttpResponse, PageError> {
    staff.check(&req, &form.csrf)?;
    let f = form.into_inner();
    let (actor, slug) = (staff.actor.clone(), slug.into_inner());
    let patch = ArticlePatch {
        title: Some(f.title),
        body: Some(f.body),
        visibility: Some(f.visibility),
        service: Some(f.service).filter(|s| !s.is_empty()),
    };
    let s = slug.clone();
    desk.writer.write(move |tx| kb::update(tx, &actor, &s, patch)).await.or_page(staff.lang)?;
    Ok(see_other(format!("/konsol/artikel/{}?ok=1", urlencode(&slug))))
}

/// "Create an article from this ticket": an internal draft, opened in the editor.
pub async fn from_ticket(
    desk: web::Data<Desk>,
    req: HttpRequest,
    staff: Staff,
    number: web::Path<String>,
    form: web::Form<super::session::CsrfForm>,
) -> Result<HttpResponse, PageError> {
    staff.check(&req, &form.csrf)?;
    let (actor, number) = (staff.actor.clone(), number.into_inner());
    let a = desk.writer.write(move |tx| kb::from_ticket(tx, &actor, &number)).await.or_page(staff.lang)?;
    Ok(see_other(format!("/konsol/artikel/{}", urlencode(&a.summary.slug))))
}

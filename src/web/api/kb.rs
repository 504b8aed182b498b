//! The knowledge base over the API: staff read and write every article; anybody reads the
//! public ones (and says whether they helped).

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use crate::desk::auth::RateLimiter;
use crate::desk::kb::{self, ArticlePatch, NewArticle};
use crate::desk::{Desk, DeskError};
use crate::web::errors::ApiResult;
use crate::web::extract::{client_address, ApiJson, Authenticated};

/// Anonymous reads and votes are limited per client address.
async fn limit(desk: &Desk, limiter: &RateLimiter, req: &HttpRequest) -> Result<(), DeskError> {
    let client = client_address(req);
    if let Some(wait) = limiter.blocked_for(desk, &client).await {
        return Err(DeskError::TooManyRequests {
            detail: "too many requests from this address".into(),
            retry_after_secs: wait,
        });
    }
    limiter.hit(desk, &client).await;
    Ok(())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SearchQuery {
    q: Option<String>,
    service: Option<String>,
    limit: Option<i64>,
}

pub async fn search(
    desk: web::Data<Desk>,
    user: Authenticated,
    query: web::Query<SearchQuery>,
) -> ApiResult<HttpResponse> {
    let q = query.into_inner();
    let items = desk
        .read(move |conn| {
            kb::search(conn, Some(&user.actor), q.q.as_deref(), q.service.as_deref(), q.limit.unwrap_or(20))
        })
        .await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "items": items })))
}

pub async fn public_search(
    desk: web::Data<Desk>,
    req: HttpRequest,
    query: web::Query<SearchQuery>,
) -> ApiResult<HttpResponse> {
    limit(&desk, &desk.auth.public_reads, &req).await?;
    let q = query.into_inner();
    let items = desk
        .read(move |conn| kb::search(conn, None, q.q.as_deref(), q.service.as_deref(), q.limit.unwrap_or(10)))
        .await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "items": items })))
}

pub async fn create(desk: web::Data<Desk>, user: Authenticated, body: ApiJson<NewArticle>) -> ApiResult<HttpResponse> {
    let actor = user.actor;
    let article = desk.writer.write(move |tx| kb::create(tx, &actor, body.0)).await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/kb/articles/{}", article.summary.slug)))
        .json(article))
}

pub async fn update(
    desk: web::Data<Desk>,
    user: Authenticated,
    slug: web::Path<String>,
    body: ApiJson<ArticlePatch>,
) -> ApiResult<HttpResponse> {
    let (actor, slug) = (user.actor, slug.into_inner());
    let article = desk.writer.write(move |tx| kb::update(tx, &actor, &slug, body.0)).await?;
    Ok(HttpResponse::Ok().json(article))
}

pub async fn read(desk: web::Data<Desk>, user: Authenticated, slug: web::Path<String>) -> ApiResult<HttpResponse> {
    let (actor, slug) = (user.actor, slug.into_inner());
    let article = desk.writer.write(move |tx| kb::read(tx, Some(&actor), &slug)).await?;
    Ok(HttpResponse::Ok().json(article))
}

pub async fn public_read(desk: web::Data<Desk>, req: HttpRequest, slug: web::Path<String>) -> ApiResult<HttpResponse> {
    limit(&desk, &desk.auth.public_reads, &req).await?;
    let slug = slug.into_inner();
    let article = desk.writer.write(move |tx| kb::read(tx, None, &slug)).await?;
    Ok(HttpResponse::Ok().json(article))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Vote {
    helpful: bool,
}

pub async fn vote(
    desk: web::Data<Desk>,
    req: HttpRequest,
    slug: web::Path<String>,
    body: ApiJson<Vote>,
) -> ApiResult<HttpResponse> {
    limit(&desk, &desk.auth.public_votes, &req).await?;
    let slug = slug.into_inner();
    let helpful = body.0.helpful;
    let (visitor, cookie) = crate::web::pages::kb::visitor(&req);
    let outcome = desk.writer.write(move |tx| kb::vote(tx, &slug, &visitor, helpful)).await?;
    let mut response = HttpResponse::Ok().json(outcome);
    if let Some(c) = cookie {
        let _ = response.add_cookie(&c);
    }
    Ok(response)
}

/// `POST /tickets/{number}/kb-article`: an internal draft from the ticket.
pub async fn from_ticket(
    desk: web::Data<Desk>,
    user: Authenticated,
    number: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let (actor, number) = (user.actor, number.into_inner());
    let article = desk.writer.write(move |tx| kb::from_ticket(tx, &actor, &number)).await?;
    Ok(HttpResponse::Created().json(article))
}

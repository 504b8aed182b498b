//! The knowledge base (SPEC 7): articles written by staff (or from a resolved ticket), public
//! ones for citizens (suggested while they describe a problem), internal ones for staff.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::personal_data::{identifiers, redact, Needle, REDACTED_WORD};
use super::{new_id, DeskError, DeskResult, Tx};
use crate::db::catalog as catalog_db;
use crate::db::kb::{self as db, ArticleRow};
use crate::db::personal_data as personal_data_db;
use crate::db::DbConn;
use crate::domain::kb::{search_terms, slugify};
use crate::domain::markdown;
use crate::domain::role::{Actor, Role};

const MAX_TITLE: usize = 200;
const MAX_BODY: usize = 100_000;

#[derive(Debug, Clone, Serialize)]
pub struct ArticleSummary {
    pub slug: String,
    pub title: String,
    pub excerpt: String,
    pub visibility: String,
    pub service: Option<String>,
    pub views: i64,
    pub helpful: i64,
    pub not_helpful: i64,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ArticleView {
    #[serde(flatten)]
    pub summary: ArticleSummary,
    /// The Markdown as written.
    pub body: String,
    /// Rendered and sanitised.
    pub body_html: String,
    /// The ticket it was written from (staff only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_ticket: Option<String>,
    /// Said once, when a draft is made from a ticket: what to check before publishing it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warning: Option<String>,
}

fn excerpt(body: &str) -> String {
    let text = markdown::to_text(body);
    let mut out: String = text.chars().take(200).collect();
    if text.chars().count() > 200 {
        out.push('…');
    }
    out
}

fn summary(conn: &mut DbConn, row: &ArticleRow) -> DeskResult<ArticleSummary> {
    let service = match &row.service_id {
        Some(id) => catalog_db::service_by_id(conn, id)?.map(|s| s.code),
        None => None,
    };
    Ok(ArticleSummary {
        slug: row.slug.clone(),
        title: row.title.clone(),
        excerpt: excerpt(&row.body),
        visibility: row.visibility.clone(),
        service,
        views: row.views,
        helpful: row.helpful,
        not_helpful: row.not_helpful,
        updated_at: row.updated_at.and_utc(),
    })
}

fn view(conn: &mut DbConn, row: &ArticleRow, staff: bool) -> DeskResult<ArticleView> {
    let source_ticket = match (&row.source_ticket_id, staff) {
        (Some(id), true) => crate::db::tickets::by_id(conn, id)?.map(|t| t.number),
        _ => None,
    };
    Ok(ArticleView {
        summary: summary(conn, row)?,
        body: row.body.clone(),
        body_html: markdown::to_html(&row.body),
        source_ticket,
        warning: None,
    })
}

fn is_writer(actor: &Actor) -> bool {
    matches!(actor.role, Role::AgentT1 | Role::AgentT2 | Role::Supervisor | Role::Admin)
}

/// Readers: staff see internal articles too; citizens (or nobody) public ones only.
fn sees_internal(actor: Option<&Actor>) -> bool {
    actor.is_some_and(|a| a.role.is_staff())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewArticle {
    pub title: String,
    pub body: String,
    #[serde(default)]
    pub visibility: Option<String>,
    #[serde(default)]
    pub service: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArticlePatch {
    pub title: Option<String>,
    pub body: Option<String>,
    pub visibility: Option<String>,
    /// A service code, or "" for none.
    pub service: Option<String>,
}

fn check(title: &str, body: &str, visibility: &str) -> DeskResult<()> {
    if title.trim().is_empty() || title.chars().count() > MAX_TITLE {
        return Err(DeskError::invalid("title", format!("1 to {MAX_TITLE} characters")));
    }
    if body.trim().is_empty() || body.len() > MAX_BODY {
        return Err(DeskError::invalid("body", format!("1 to {MAX_BODY} bytes of Markdown")));
    }
    if !matches!(visibility, "public" | "internal") {
        return Err(DeskError::invalid("visibility", "public or internal"));
    }
    Ok(())
}

fn service_id(tx: &mut Tx, code: Option<&str>) -> DeskResult<Option<String>> {
    match code.map(str::trim).filter(|c| !c.is_empty()) {
        None => Ok(None),
        Some(code) => Ok(Some(
            catalog_db::service_by_code(tx.conn, code)?
                .ok_or_else(|| DeskError::invalid("service", format!("no service with code {code}")))?
                .id,
        )),
    }
}

fn free_slug(tx: &mut Tx, title: &str) -> DeskResult<String> {
    // A name taken out of the title leaves no trace in the address.
    let base = slugify(&title.replace(REDACTED_WORD, " "));
    let mut slug = base.clone();
    let mut n = 2;
    while db::slug_taken(tx.conn, &slug)? {
        slug = format!("{base}-{n}");
        n += 1;
    }
    Ok(slug)
}

fn insert(tx: &mut Tx, actor: &Actor, input: NewArticle, source_ticket_id: Option<String>) -> DeskResult<ArticleView> {
    let visibility = input.visibility.unwrap_or_else(|| "internal".into());
    check(&input.title, &input.body, &visibility)?;
    let service_id = service_id(tx, input.service.as_deref())?;
    let now = tx.now.naive_utc();
    let row = ArticleRow {
        id: new_id(),
        slug: free_slug(tx, &input.title)?,
        title: input.title.trim().to_string(),
        body: input.body,
        visibility,
        service_id,
        source_ticket_id,
        author_id: Some(actor.user_id.clone()),
        views: 0,
        helpful: 0,
        not_helpful: 0,
        created_at: now,
        updated_at: now,
    };
    db::insert(tx.conn, &row)?;
    tx.record(
        row.source_ticket_id.as_deref(),
        Some(&actor.user_id),
        "kb.article_created",
        json!({ "slug": row.slug, "visibility": row.visibility }),
    )?;
    view(tx.conn, &row, true)
}

pub fn create(tx: &mut Tx, actor: &Actor, input: NewArticle) -> DeskResult<ArticleView> {
    if !is_writer(actor) {
        return Err(DeskError::Forbidden(format!("a {} may not write articles", actor.role)));
    }
    insert(tx, actor, input, None)
}

pub fn update(tx: &mut Tx, actor: &Actor, slug: &str, patch: ArticlePatch) -> DeskResult<ArticleView> {
    if !is_writer(actor) {
        return Err(DeskError::Forbidden(format!("a {} may not edit articles", actor.role)));
    }
    let mut row = db::by_slug(tx.conn, slug)?.ok_or_else(|| DeskError::not_found("article", slug))?;
    if let Some(title) = patch.title {
        row.title = title.trim().to_string();
    }
    if let Some(body) = patch.body {
        row.body = body;
    }
    if let Some(visibility) = patch.visibility {
        row.visibility = visibility;
    }
    if let Some(service) = patch.service {
        row.service_id = service_id(tx, Some(&service))?;
    }
    check(&row.title, &row.body, &row.visibility)?;
    row.updated_at = tx.now.naive_utc();
    db::save(tx.conn, &row)?;
    tx.record(
        None,
        Some(&actor.user_id),
        "kb.article_updated",
        json!({ "slug": row.slug, "visibility": row.visibility }),
    )?;
    view(tx.conn, &row, true)
}

/// "Create article from this ticket": the problem as described and the staff's public answers,
/// as an internal draft to edit and publish.
pub fn from_ticket(tx: &mut Tx, actor: &Actor, number: &str) -> DeskResult<ArticleView> {
    if !is_writer(actor) {
        return Err(DeskError::Forbidden(format!("a {} may not write articles", actor.role)));
    }
    let ticket = super::tickets::visible_ticket_for_update(tx.conn, actor, number)?;
    // Internal articles are read by every member of staff; a confidential case is not theirs.
    if ticket.row.classification == "confidential" {
        return Err(DeskError::Forbidden(format!(
            "{number} is confidential: write its article by hand, without its details"
        )));
    }
    // The staff's public answers (not the requester's messages, with or without an account).
    let mut answers = Vec::new();
    for m in crate::db::tickets::messages_for(tx.conn, &ticket.row.id, false)? {
        let Some(author) = &m.author_id else { continue };
        let staff =
            catalog_db::user_by_id(tx.conn, author)?.and_then(|u| Role::parse(&u.role)).is_some_and(Role::is_staff);
        if staff {
            answers.push(m.body);
        }
    }
    let service = match &ticket.row.service_id {
        Some(id) => catalog_db::service_by_id(tx.conn, id)?.map(|s| s.code),
        None => None,
    };
    // An article outlives the ticket and is read by all staff (or the public, once published):
    // the requester's name, address and number are taken out of what it copies (UU 27/2022
    // Pasal 16: no more personal data than the purpose needs), and the writer is told to check.
    let held = personal_data_db::requesters_by_ids(tx.conn, std::slice::from_ref(&ticket.row.requester_id))?;
    let needles = identifiers(tx.conn, &held)?;
    let answers: Vec<String> = answers.iter().map(|a| redact(a, &needles)).collect();
    let body = format!(
        "> {DRAFT_NOTE}\n\n## Masalah\n\n{}\n\n## Penyelesaian\n\n{}\n",
        redact(ticket.row.description.trim(), &needles),
        if answers.is_empty() { "(tulis langkah penyelesaiannya)".to_string() } else { answers.join("\n\n") }
    );
    let title = redact(&ticket.row.title, &needles);
    let input = NewArticle { title, body, visibility: Some("internal".into()), service };
    let mut article = insert(tx, actor, input, Some(ticket.row.id.clone()))?;
    article.warning = Some(DRAFT_WARNING.into());
    Ok(article)
}

/// The note a draft from a ticket starts with.
const DRAFT_NOTE: &str = "Draf dari tiket: nama, alamat e-mail dan nomor telepon pelapor sudah dihapus. Periksa \
                          kembali data pribadi lain (NIK, alamat, nama orang lain) sebelum diterbitkan.";
const DRAFT_WARNING: &str = "drafted from a ticket with the requester's name, e-mail address and telephone number \
                             taken out; review it for other personal data (NIK, addresses, other people) before \
                             publishing";

/// Anonymisation reaches the articles made from the requester's tickets: their name, address
/// and number leave the title and text, and the address too if the title named them.
pub(crate) fn scrub_linked(tx: &mut Tx, ticket_ids: &[String], needles: &[Needle]) -> DeskResult<usize> {
    let mut scrubbed = 0;
    for mut row in db::linked_to_tickets(tx.conn, ticket_ids)? {
        let (title, body) = (redact(&row.title, needles), redact(&row.body, needles));
        if title == row.title && body == row.body {
            continue;
        }
        if title != row.title {
            row.slug = free_slug(tx, &title)?;
        }
        row.title = title;
        row.body = body;
        row.updated_at = tx.now.naive_utc();
        db::save(tx.conn, &row)?;
        scrubbed += 1;
    }
    Ok(scrubbed)
}

/// Search (or the newest, without words), for the actor's eyes.
pub fn search(
    conn: &mut DbConn,
    actor: Option<&Actor>,
    q: Option<&str>,
    service: Option<&str>,
    limit: i64,
) -> DeskResult<Vec<ArticleSummary>> {
    let service_id = match service.map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(code) => Some(
            catalog_db::service_by_code(conn, code)?
                .ok_or_else(|| DeskError::invalid("service", format!("no service with code {code}")))?
                .id,
        ),
    };
    let terms = search_terms(q.unwrap_or(""));
    let rows = db::search(conn, &terms, !sees_internal(actor), service_id.as_deref(), limit.clamp(1, 50))?;
    rows.iter().map(|r| summary(conn, r)).collect()
}

/// An article, counted as viewed; internal ones are not found for citizens.
pub fn read(tx: &mut Tx, actor: Option<&Actor>, slug: &str) -> DeskResult<ArticleView> {
    let row = db::by_slug(tx.conn, slug)?
        .filter(|r| r.visibility == "public" || sees_internal(actor))
        .ok_or_else(|| DeskError::not_found("article", slug))?;
    db::count_view(tx.conn, &row.id)?;
    let row = ArticleRow { views: row.views + 1, ..row };
    view(tx.conn, &row, sees_internal(actor))
}

/// What a vote did: the totals, and whether this visitor's vote was counted now.
#[derive(Debug, Clone, Serialize)]
pub struct VoteOutcome {
    #[serde(flatten)]
    pub summary: ArticleSummary,
    /// False when this visitor had voted on this article before: the first vote stands.
    pub counted: bool,
}

/// "Did this help?" on a public article: one vote per visitor (the hash of the random cookie
/// the visitor holds; no address or account) and article. Each vote counted is an audit event
/// without personal data and a row of `kb_votes`, so the totals can be checked.
pub fn vote(tx: &mut Tx, slug: &str, voter: &str, helpful: bool) -> DeskResult<VoteOutcome> {
    let row = db::by_slug(tx.conn, slug)?
        .filter(|r| r.visibility == "public")
        .ok_or_else(|| DeskError::not_found("article", slug))?;
    let voter = super::auth::sha256_hex(voter);
    let counted = db::add_vote(tx.conn, &row.id, &voter, helpful, tx.now.naive_utc())?;
    if counted {
        db::count_vote(tx.conn, &row.id, helpful)?;
        tx.record(None, None, "kb.voted", json!({ "article_id": row.id, "helpful": helpful }))?;
    }
    let row = db::by_slug(tx.conn, slug)?.ok_or_else(|| DeskError::not_found("article", slug))?;
    Ok(VoteOutcome { summary: summary(tx.conn, &row)?, counted })
}

//! Knowledge-base articles and their full-text search (FTS5 on SQLite, tsvector on PostgreSQL).

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

use super::schema::{kb_articles, kb_votes};
use super::DbConn;

#[derive(Debug, Clone, Queryable, QueryableByName, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = kb_articles, treat_none_as_null = true)]
pub struct ArticleRow {
    pub id: String,
    pub slug: String,
    pub title: String,
    pub body: String,
    pub visibility: String,
    pub service_id: Option<String>,
    pub source_ticket_id: Option<String>,
    pub author_id: Option<String>,
    pub views: i64,
    pub helpful: i64,
    pub not_helpful: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

const COLUMNS: &str = "a.id, a.slug, a.title, a.body, a.visibility, a.service_id, a.source_ticket_id, a.author_id, \
                       a.views, a.helpful, a.not_helpful, a.created_at, a.updated_at";

pub fn insert(conn: &mut DbConn, row: &ArticleRow) -> QueryResult<()> {
    diesel::insert_into(kb_articles::table).values(row).execute(conn).map(drop)
}

pub fn save(conn: &mut DbConn, row: &ArticleRow) -> QueryResult<()> {
    diesel::update(kb_articles::table.find(&row.id)).set(row).execute(conn).map(drop)
}

pub fn by_slug(conn: &mut DbConn, slug: &str) -> QueryResult<Option<ArticleRow>> {
    kb_articles::table.filter(kb_articles::slug.eq(slug)).select(ArticleRow::as_select()).first(conn).optional()
}

pub fn slug_taken(conn: &mut DbConn, slug: &str) -> QueryResult<bool> {
    Ok(by_slug(conn, slug)?.is_some())
}

/// The newest articles (no search words), public ones only when `public_only`.
pub fn latest(
    conn: &mut DbConn,
    public_only: bool,
    service_id: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<ArticleRow>> {
    let mut query = kb_articles::table.select(ArticleRow::as_select()).into_boxed();
    if public_only {
        query = query.filter(kb_articles::visibility.eq("public"));
    }
    if let Some(service) = service_id {
        query = query.filter(kb_articles::service_id.eq(service));
    }
    query.order(kb_articles::updated_at.desc()).limit(limit).load(conn)
}

/// Articles matching any of `terms` (each a prefix), best first. Terms are letters and digits
/// only (see `domain::kb::search_terms`), so they cannot change the search syntax.
pub fn search(
    conn: &mut DbConn,
    terms: &[String],
    public_only: bool,
    service_id: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<ArticleRow>> {
    let terms: Vec<&String> = terms.iter().filter(|t| t.chars().all(char::is_alphanumeric)).collect();
    if terms.is_empty() {
        return latest(conn, public_only, service_id, limit);
    }
    let public = if public_only { " AND a.visibility = 'public'" } else { "" };
    match conn {
        DbConn::Sqlite(c) => {
            let query = terms.iter().map(|t| format!("\"{t}\"*")).collect::<Vec<_>>().join(" OR ");
            let service = if service_id.is_some() { " AND a.service_id = ?" } else { "" };
            let sql = format!(
                "SELECT {COLUMNS} FROM kb_search JOIN kb_articles a ON a.id = kb_search.article_id \
                 WHERE kb_search MATCH ?{public}{service} ORDER BY bm25(kb_search, 0.0, 10.0, 1.0), a.slug LIMIT ?"
            );
            match service_id {
                Some(s) => {
                    diesel::sql_query(sql).bind::<Text, _>(query).bind::<Text, _>(s).bind::<BigInt, _>(limit).load(c)
                }
                None => diesel::sql_query(sql).bind::<Text, _>(query).bind::<BigInt, _>(limit).load(c),
            }
        }
        DbConn::Pg(c) => {
            let query = terms.iter().map(|t| format!("{t}:*")).collect::<Vec<_>>().join(" | ");
            let service = if service_id.is_some() { " AND a.service_id = $3" } else { "" };
            let sql = format!(
                "SELECT {COLUMNS} FROM kb_articles a WHERE a.search @@ to_tsquery('simple', $1){public}{service} \
                 ORDER BY ts_rank(a.search, to_tsquery('simple', $1)) DESC, a.slug LIMIT $2"
            );
            match service_id {
                Some(s) => {
                    diesel::sql_query(sql).bind::<Text, _>(query).bind::<BigInt, _>(limit).bind::<Text, _>(s).load(c)
                }
                None => diesel::sql_query(sql).bind::<Text, _>(query).bind::<BigInt, _>(limit).load(c),
            }
        }
    }
}

pub fn count_view(conn: &mut DbConn, id: &str) -> QueryResult<()> {
    diesel::update(kb_articles::table.find(id))
        .set(kb_articles::views.eq(kb_articles::views + 1))
        .execute(conn)
        .map(drop)
}

pub fn count_vote(conn: &mut DbConn, id: &str, helpful: bool) -> QueryResult<()> {
    let target = kb_articles::table.find(id);
    if helpful {
        diesel::update(target).set(kb_articles::helpful.eq(kb_articles::helpful + 1)).execute(conn)
    } else {
        diesel::update(target).set(kb_articles::not_helpful.eq(kb_articles::not_helpful + 1)).execute(conn)
    }
    .map(drop)
}

/// Articles written from these tickets.
pub fn linked_to_tickets(conn: &mut DbConn, ticket_ids: &[String]) -> QueryResult<Vec<ArticleRow>> {
    let mut rows = Vec::new();
    for chunk in ticket_ids.chunks(super::events::INSERT_CHUNK) {
        rows.extend(
            kb_articles::table
                .filter(kb_articles::source_ticket_id.eq_any(chunk))
                .order(kb_articles::created_at.asc())
                .select(ArticleRow::as_select())
                .load(conn)?,
        );
    }
    Ok(rows)
}

/// Records a visitor's vote; false (and nothing written) if they voted on it before.
pub fn add_vote(
    conn: &mut DbConn,
    article_id: &str,
    voter: &str,
    helpful: bool,
    at: NaiveDateTime,
) -> QueryResult<bool> {
    let before = kb_votes::table
        .filter(kb_votes::article_id.eq(article_id))
        .filter(kb_votes::voter.eq(voter))
        .count()
        .get_result::<i64>(conn)?;
    if before > 0 {
        return Ok(false);
    }
    diesel::insert_into(kb_votes::table)
        .values((
            kb_votes::article_id.eq(article_id),
            kb_votes::voter.eq(voter),
            kb_votes::helpful.eq(helpful),
            kb_votes::created_at.eq(at),
        ))
        .execute(conn)?;
    Ok(true)
}

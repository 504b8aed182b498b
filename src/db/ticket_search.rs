//! The queue's text search in the database (issue 17): a window of a search's matches, newest
//! first, with their scores. SQLite's FTS5 and PostgreSQL's `tsvector` index the same texts
//! (migrations `*_ticket_search`).

use diesel::prelude::*;
use diesel::sql_types::{Double, Text};

use super::tickets::TicketFilter;
use super::DbConn;

/// What a search works out once for all its windows: on SQLite, the words of the index each
/// typed prefix starts ([`index_forms`]).
#[derive(Debug, Default)]
pub struct SearchMemo {
    forms: std::collections::HashMap<String, Option<Vec<String>>>,
}

/// How many of a search's matches are ranked together: the newest this many, then the next.
pub const SEARCH_WINDOW: i64 = 2_000;

/// Window `window` of the matches of `filter`'s words, newest first — the `SEARCH_WINDOW`
/// newest matches for window 0, the next for 1 — each with its score (lower is better): SQLite's
/// FTS5 BM25, or PostgreSQL's `ts_rank` negated. Ranking every match of a common word exactly
/// would read all of them (100,000 of a million tickets take 200 ms); a window reads at most
/// `SEARCH_WINDOW` from an index that is already in recency order.
///
/// The words are written into the SQL: they are letters and digits only
/// (`domain::search::words`, checked again here), so none can close a quote or change the
/// query's syntax.
///
/// `requester`: a requester's own account searches its own tickets only, found first (they are
/// few), so a common word does not make it walk the whole city's matches.
pub fn search_window(
    conn: &mut DbConn,
    filter: &TicketFilter,
    requester: Option<&str>,
    window: i64,
    memo: &mut SearchMemo,
) -> QueryResult<Vec<(String, f64)>> {
    let words: Vec<String> =
        filter.words.iter().filter(|w| !w.is_empty() && w.chars().all(char::is_alphanumeric)).cloned().collect();
    // Requester ids are UUIDs written by meja; anything else finds nothing.
    let requester_ok = requester.is_none_or(|id| id.chars().all(|c| c.is_ascii_hexdigit() || c == '-'));
    if words.is_empty() || !requester_ok {
        return Ok(Vec::new());
    }
    let own = |column: &str| match requester {
        Some(id) => format!(" AND {column} IN (SELECT t.id FROM tickets t WHERE t.requester_id = '{id}')"),
        None => String::new(),
    };
    let offset = window * SEARCH_WINDOW;
    let rows: Vec<Hit> = match conn {
        DbConn::Sqlite(c) => {
            let columns: &[&str] = &["number", "title", "description", "public_text"];
            let mut phrases = Vec::with_capacity(words.len());
            for word in &words {
                let forms = match memo.forms.get(word) {
                    Some(forms) => forms.clone(),
                    None => {
                        let forms = index_forms(c, word)?;
                        memo.forms.insert(word.clone(), forms.clone());
                        forms
                    }
                };
                phrases.push(crate::domain::search::fts5_phrase(word, forms.as_deref()));
            }
            let fts = crate::domain::search::fts5_query(&phrases, (!filter.search_internal).then_some(columns));
            // The number and title weigh most, then the description, then the messages.
            let sql = format!(
                "SELECT r.ticket_id AS ticket_id, bm25(ticket_search, 10.0, 8.0, 3.0, 1.0, 1.0) AS score \
                 FROM ticket_search JOIN ticket_search_rows r ON r.id = ticket_search.rowid \
                 WHERE ticket_search MATCH '{fts}'{} ORDER BY ticket_search.rowid DESC LIMIT {SEARCH_WINDOW} OFFSET {offset}",
                own("r.ticket_id")
            );
            diesel::sql_query(sql).load(c)?
        }
        DbConn::Pg(c) => {
            // Each word as typed (a prefix, 'simple') or as its Indonesian stem; all words required.
            let query = words
                .iter()
                .map(|w| {
                    let typed = if crate::domain::search::is_prefix(w) { format!("{w}:*") } else { w.clone() };
                    format!("(to_tsquery('simple', '{typed}') || plainto_tsquery('indonesian', '{w}'))")
                })
                .collect::<Vec<_>>()
                .join(" && ");
            let doc = if filter.search_internal { "all_doc" } else { "public_doc" };
            let matches =
                format!("FROM ticket_search s, (SELECT {query} AS q) AS w WHERE s.{doc} @@ w.q{}", own("s.ticket_id"));
            // Newest first, two ways: reading the primary key backwards and checking each
            // ticket's words until a window is full (quick when many tickets match), or taking
            // every match from the GIN index and sorting them (quick when few do). PostgreSQL's
            // own choice misjudges the cost of checking a ticket's words (at a million tickets,
            // a word in 1% of them took 200 ms backwards and 30 ms from the index), so the
            // estimate of how many match decides. The "C" collation orders UUIDs as the key
            // does and keeps the planner off the key.
            let order = if estimated_rows(c, &format!("SELECT 1 {matches}"))? < INDEX_ORDER_ABOVE {
                "s.ticket_id COLLATE \"C\" DESC"
            } else {
                "s.ticket_id DESC"
            };
            let sql = format!(
                "SELECT s.ticket_id AS ticket_id, -ts_rank(s.{doc}, w.q)::float8 AS score {matches} \
                 ORDER BY {order} LIMIT {SEARCH_WINDOW} OFFSET {offset}"
            );
            diesel::sql_query(sql).load(c)?
        }
    };
    Ok(rows.into_iter().map(|h| (h.ticket_id, h.score)).collect())
}

/// Above this many estimated matches, a search window reads PostgreSQL's primary key backwards.
const INDEX_ORDER_ABOVE: i64 = 40_000;

#[derive(QueryableByName)]
struct PlanLine {
    #[diesel(sql_type = diesel::sql_types::Text, column_name = "QUERY PLAN")]
    line: String,
}

/// PostgreSQL's estimate of the rows `sql` returns (the top line of its plan, `rows=N`).
fn estimated_rows(conn: &mut diesel::PgConnection, sql: &str) -> QueryResult<i64> {
    let plan: Vec<PlanLine> = diesel::sql_query(format!("EXPLAIN {sql}")).load(conn)?;
    Ok(plan
        .first()
        .and_then(|p| p.line.split("rows=").nth(1))
        .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(i64::MAX))
}

#[derive(QueryableByName)]
struct Hit {
    #[diesel(sql_type = diesel::sql_types::Text)]
    ticket_id: String,
    #[diesel(sql_type = Double)]
    score: f64,
}

/// FTS5 indexes the words' first three letters as well (`prefix = '3'`): a prefix that short
/// is read from there as quickly as a word.
const PREFIX_INDEXED: usize = 3;
/// A prefix that starts more words of the index than this is searched as a prefix.
const MAX_FORMS: i64 = 32;

#[derive(QueryableByName)]
struct Term {
    #[diesel(sql_type = Text)]
    term: String,
}

/// The words of SQLite's search index that start with `word`, when there are at most
/// `MAX_FORMS`: searched as one phrase each, they find what the prefix finds. FTS5 answers a
/// prefix by merging the lists of tickets of every word it starts before it can hand out the
/// newest (a root in a third of a million tickets took 35–60 ms), while it reads each word's
/// list lazily from the newest end. `None` where the prefix itself is the quick way (three
/// letters or fewer, or letters the index folds, such as accented ones: the vocabulary holds
/// them folded).
///
/// The vocabulary is read one word at a time: the first occurrence at or after the prefix,
/// then the first past that word, until a word no longer starts with the prefix. Each step is
/// a seek (the `instance` view reads occurrences lazily), where asking for the words themselves
/// would count every ticket of each (10 ms for the four forms of a root in a third of a million
/// tickets, against one). The view takes no upper bound on the word: it reads `term < x` as
/// `term <= x`, and SQLite would then step through every occurrence of `x` itself.
fn index_forms(conn: &mut diesel::SqliteConnection, word: &str) -> QueryResult<Option<Vec<String>>> {
    if !crate::domain::search::is_prefix(word) || word.chars().count() <= PREFIX_INDEXED || !word.is_ascii() {
        return Ok(None);
    }
    let mut forms: Vec<String> = Vec::new();
    let mut from = word.to_string();
    while forms.len() as i64 <= MAX_FORMS {
        let next: Option<Term> = diesel::sql_query("SELECT term FROM ticket_search_terms WHERE term >= ? LIMIT 1")
            .bind::<Text, _>(&from)
            .get_result(conn)
            .optional()?;
        let Some(Term { term }) = next.filter(|t| t.term.starts_with(word)) else { break };
        // Words are letters and digits (`domain::search::fts5_phrase` takes no other form into
        // the query): the smallest string past `term` and before its next.
        from = format!("{term}\u{1}");
        forms.push(term);
    }
    Ok((forms.len() as i64 <= MAX_FORMS).then_some(forms))
}

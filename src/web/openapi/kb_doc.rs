//! The knowledge-base endpoints in the OpenAPI document (SPEC 7).

use serde_json::{json, Value};

use super::{body, ok, op, path_param, problem, query_param};

pub(super) fn kb_paths() -> Value {
    let text = json!({ "type": "string" });
    let summary = json!({ "type": "object", "properties": {
        "slug": text, "title": text, "excerpt": text, "visibility": { "type": "string", "enum": ["public", "internal"] },
        "service": { "type": ["string", "null"] }, "views": { "type": "integer" }, "helpful": { "type": "integer" },
        "not_helpful": { "type": "integer" }, "updated_at": { "type": "string", "format": "date-time" } } });
    let mut article = summary.clone();
    if let Some(props) = article["properties"].as_object_mut() {
        props.insert("body".into(), json!({ "type": "string", "description": "Markdown" }));
        props.insert("body_html".into(), json!({ "type": "string", "description": "Rendered and sanitised" }));
        props.insert("source_ticket".into(), json!({ "type": "string" }));
    }
    let list = json!({ "type": "object", "properties": { "items": { "type": "array", "items": summary.clone() } } });
    let new_article = json!({ "type": "object", "required": ["title", "body"], "additionalProperties": false, "properties": {
        "title": { "type": "string", "maxLength": 200 }, "body": { "type": "string" },
        "visibility": { "type": "string", "enum": ["public", "internal"] }, "service": text } });
    let patch = json!({ "type": "object", "additionalProperties": false, "properties": {
        "title": text, "body": text, "visibility": { "type": "string", "enum": ["public", "internal"] }, "service": text } });
    let search_params = json!([
        query_param("q", "Words to look for (prefixes match); none for the newest"),
        query_param("service", "A service code"),
        { "name": "limit", "in": "query", "required": false, "schema": { "type": "integer", "minimum": 1, "maximum": 50 } },
    ]);
    let mut search = op("Search every article (staff)", "kb", true, None, vec![("200", ok("Articles", list.clone()))]);
    search["parameters"] = search_params.clone();
    let limited = || problem("Too many requests from this address (Retry-After)");
    let mut public_search =
        op("Search the public articles", "kb", false, None, vec![("200", ok("Articles", list)), ("429", limited())]);
    public_search["parameters"] = search_params;
    let slug = json!([path_param("slug", "The article's address")]);
    let mut read = op(
        "An article, counted as viewed (staff)",
        "kb",
        true,
        None,
        vec![("200", ok("The article", article.clone())), ("404", problem("No such article"))],
    );
    read["parameters"] = slug.clone();
    let mut update = op(
        "Edit an article (agents, supervisors, admins)",
        "kb",
        true,
        Some(body(patch)),
        vec![
            ("200", ok("The article", article.clone())),
            ("403", problem("Role may not write")),
            ("404", problem("No such article")),
            ("422", problem("Invalid field")),
        ],
    );
    update["parameters"] = slug.clone();
    let mut public_read = op(
        "A public article, counted as viewed",
        "kb",
        false,
        None,
        vec![
            ("200", ok("The article", article.clone())),
            ("404", problem("No such public article")),
            ("429", limited()),
        ],
    );
    public_read["parameters"] = slug.clone();
    let mut voted = summary.clone();
    voted["properties"]["counted"] =
        json!({ "type": "boolean", "description": "False when this visitor had voted on this article before" });
    let mut vote = op(
        "Did this help? One vote per visitor (cookie meja_pengunjung, set on the first vote) and article; a repeat is not counted",
        "kb",
        false,
        Some(body(
            json!({ "type": "object", "required": ["helpful"], "additionalProperties": false, "properties": { "helpful": { "type": "boolean" } } }),
        )),
        vec![("200", ok("The counts, and whether this vote was counted", voted)), ("404", problem("No such public article")), ("429", limited())],
    );
    vote["parameters"] = slug;
    let mut from_ticket = op(
        "Create an internal draft article from a ticket (its description and the staff's public answers, without the requester's name, e-mail address and telephone number; `warning` says to review it)",
        "kb",
        true,
        None,
        vec![
            ("201", ok("The draft", article.clone())),
            ("403", problem("Role may not write")),
            ("404", problem("No such ticket in the caller's scope")),
        ],
    );
    from_ticket["parameters"] = json!([path_param("number", "Ticket number")]);
    json!({
        "/api/v1/kb/articles": {
            "get": search,
            "post": op("Write an article (agents, supervisors, admins); internal unless said public", "kb", true, Some(body(new_article)),
                vec![("201", ok("The article", article)), ("403", problem("Role may not write")), ("422", problem("Invalid field"))]),
        },
        "/api/v1/kb/articles/{slug}": { "get": read, "patch": update },
        "/api/v1/public/kb": { "get": public_search },
        "/api/v1/public/kb/{slug}": { "get": public_read },
        "/api/v1/public/kb/{slug}/feedback": { "post": vote },
        "/api/v1/tickets/{number}/kb-article": { "post": from_ticket },
    })
}

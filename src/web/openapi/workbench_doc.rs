//! The agent's workbench (issue 15) in the OpenAPI document: bulk actions, canned replies and
//! files.

use serde_json::{json, Value};

use super::{body, ok, op, path_param, problem, reference};
use crate::desk::canned::ACTIONS;
use crate::desk::tickets::bulk::{BULK_ACTIONS, MAX_BULK};
use crate::domain::canned::PLACEHOLDERS;
use crate::domain::ticket::Level;

pub(super) fn workbench_paths() -> Value {
    let text = json!({ "type": "string" });
    let levels = json!({ "type": "string", "enum": Level::names() });
    let request = json!({ "type": "object", "required": ["numbers", "action"],
        "description": "The action's fields as for POST /tickets/{number}/{action}: assign {username}; transfer {unit, reason?}; priority {impact, urgency}; pend {reason?}; resolve {resolution}; close {}; cancel {reason}; note {body} (an internal note)",
        "properties": {
            "numbers": { "type": "array", "minItems": 1, "maxItems": MAX_BULK, "items": text, "description": "Ticket numbers; each is done once" },
            "action": { "type": "string", "enum": BULK_ACTIONS },
            "username": text, "unit": text, "reason": text, "resolution": text, "body": text,
            "resolve_linked": { "type": "boolean" }, "impact": levels.clone(), "urgency": levels } });
    let result = json!({ "type": "object", "required": ["number", "ok", "status"], "properties": {
        "number": text, "ok": { "type": "boolean" },
        "status": { "type": "integer", "description": "200 when done; else the status the single-ticket call would answer (404 for a ticket you may not see, as for one that does not exist)" },
        "problem": { "type": "object", "description": "Why it was refused (problem+json)" } } });
    let answer = json!({ "type": "object", "properties": { "results": { "type": "array", "items": result } } });
    let placeholders = PLACEHOLDERS.map(|p| format!("{{{{{p}}}}}")).join(", ");
    let action = json!({ "type": ["string", "null"], "enum": [ACTIONS[0], ACTIONS[1], null], "description": "Applied with the reply: pend, or resolve with the reply as the resolution" });
    let canned = json!({ "type": "object", "properties": {
        "id": text, "title": text, "body": { "type": "string", "description": format!("Markdown with placeholders: {placeholders}") },
        "unit": { "type": ["string", "null"], "description": "The unit's code; null: city-wide" }, "action": action.clone(),
        "uses": { "type": "integer", "description": "Replies sent with it" }, "editable": { "type": "boolean", "description": "Whether you may change or delete it" },
        "updated_at": { "type": "string", "format": "date-time" },
        "files": { "type": "array", "description": "Files sent with every message that uses it", "items": { "type": "object", "properties": {
            "id": text, "filename": text, "size": { "type": "integer" }, "content_type": text } } } } });
    let canned_with_files = canned.clone();
    let new_canned = json!({ "type": "object", "required": ["title", "body"], "additionalProperties": false, "properties": {
        "title": text, "body": text, "unit": { "type": "string", "description": "A unit's code; absent: city-wide (tier 2 and supervisors)" },
        "action": { "type": "string", "enum": ACTIONS } } });
    let patch = json!({ "type": "object", "additionalProperties": false, "properties": { "title": text, "body": text, "action": action } });
    let mut update = op(
        "Change a canned reply (its unit's agents and head; city-wide: tier 2 and supervisors)",
        "canned-replies",
        true,
        Some(body(patch)),
        vec![
            ("200", ok("The canned reply", canned.clone())),
            ("403", problem("You may not manage it")),
            ("404", problem("No such canned reply for you")),
            ("422", problem("Empty text, unknown placeholder or action")),
        ],
    );
    update["parameters"] = json!([path_param("id", "The canned reply's id")]);
    let mut remove = op(
        "Delete a canned reply",
        "canned-replies",
        true,
        None,
        vec![
            ("204", json!({ "description": "Deleted" })),
            ("403", problem("You may not manage it")),
            ("404", problem("No such canned reply for you")),
        ],
    );
    remove["parameters"] = json!([path_param("id", "The canned reply's id")]);
    let file = json!({ "description": "The file, as a download (Content-Disposition: attachment)",
        "content": { "*/*": { "schema": { "type": "string", "format": "binary" } } } });
    let token = json!({ "name": "token", "in": "query", "required": true, "schema": { "type": "string" } });
    let mut list_files = op(
        "The ticket's files you may see (staff: all; a requester: not those of internal notes)",
        "tickets",
        true,
        None,
        vec![
            (
                "200",
                ok(
                    "Files, oldest first",
                    json!({ "type": "object", "properties": { "items": { "type": "array", "items": reference("Attachment") } } }),
                ),
            ),
            ("404", problem("Not found or outside your scope")),
        ],
    );
    list_files["parameters"] = json!([path_param("number", "Ticket number")]);
    let mut get_file = op(
        "Download one file of the ticket",
        "tickets",
        true,
        None,
        vec![("200", file.clone()), ("404", problem("No such file, or not one you may see"))],
    );
    get_file["parameters"] = json!([path_param("number", "Ticket number"), path_param("id", "The file's id")]);
    let mut public_file = op(
        "Download a public file with the tracking token",
        "public",
        false,
        None,
        vec![("200", file), ("404", problem("Unknown number, wrong token, or not a public file"))],
    );
    public_file["parameters"] =
        json!([path_param("number", "Ticket number"), path_param("id", "The file's id"), token]);
    let merged = json!({ "type": "object", "properties": {
        "ticket": { "description": "The source as it now is: closed, with merged_into", "allOf": [reference("Ticket")] },
        "into": text, "moved": { "type": "object", "properties": { "messages": { "type": "integer" }, "attachments": { "type": "integer" } } } } });
    let mut merge = op("Merge this ticket into another (its messages, files, links and followers move; it is closed; its requester follows the target and is told)",
        "tickets", true, Some(body(json!({ "type": "object", "required": ["into"], "additionalProperties": false, "properties": { "into": { "type": "string", "description": "The target ticket's number" } } }))),
        vec![("200", ok("Merged", merged)), ("403", problem("You may not end this ticket or write on the target")),
             ("404", problem("Either ticket not found or outside your scope")),
             ("409", problem("A ticket already merged, closed or cancelled")), ("422", problem("No target, or the ticket itself"))]);
    merge["parameters"] = json!([path_param("number", "The ticket to merge (the source)")]);
    let follower = json!({ "type": "object", "properties": {
        "kind": { "type": "string", "enum": ["email", "user", "requester"] }, "email": { "type": ["string", "null"] },
        "username": { "type": ["string", "null"] }, "name": { "type": ["string", "null"] }, "created_at": { "type": "string", "format": "date-time" } } });
    let mut list_followers = op(
        "Who follows the ticket (staff)",
        "tickets",
        true,
        None,
        vec![
            (
                "200",
                ok(
                    "Followers",
                    json!({ "type": "object", "properties": { "items": { "type": "array", "items": follower.clone() } } }),
                ),
            ),
            ("403", problem("Not staff")),
            ("404", problem("Not found or outside your scope")),
        ],
    );
    list_followers["parameters"] = json!([path_param("number", "Ticket number")]);
    let mut add_follower = op("Add a follower: an e-mail address or a staff user (yourself: any staff who can see it)", "tickets", true,
        Some(body(json!({ "type": "object", "additionalProperties": false, "properties": { "email": { "type": "string", "format": "email" }, "username": text } }))),
        vec![("201", ok("Added", follower.clone())), ("200", ok("Already following", follower)), ("403", problem("You may not add followers here")),
             ("404", problem("Not found or outside your scope")), ("422", problem("Not an e-mail address, no such staff user, one who may not see the ticket, or neither or both given"))]);
    add_follower["parameters"] = json!([path_param("number", "Ticket number")]);
    let mut remove_follower = op(
        "Remove a follower",
        "tickets",
        true,
        None,
        vec![
            ("204", json!({ "description": "Removed" })),
            ("403", problem("You may not remove followers here")),
            ("404", problem("No such follower or ticket")),
        ],
    );
    remove_follower["parameters"] =
        json!([path_param("number", "Ticket number"), path_param("key", "The follower's e-mail address or username")]);
    let view = json!({ "type": "object", "properties": { "id": text, "name": text,
        "query": { "type": "string", "description": "The console's queue query string (tampilan, status, priority, kind, service, breached, q); open it as /konsol?{query}" } } });
    let mut remove_view = op(
        "Delete one of your saved views",
        "saved-views",
        true,
        None,
        vec![
            ("204", json!({ "description": "Deleted" })),
            ("403", problem("Not staff")),
            ("404", problem("No such view of yours")),
        ],
    );
    remove_view["parameters"] = json!([path_param("id", "The view's id")]);
    let mut add_canned_files = op(
        "Keep files with a canned reply (sent with every message that uses it; not on a reply that resolves)",
        "canned-replies",
        true,
        Some(
            json!({ "required": true, "content": { "multipart/form-data": { "schema": { "type": "object", "properties": {
            "files": { "type": "array", "items": { "type": "string", "format": "binary" } } } } } } }),
        ),
        vec![
            ("200", ok("The canned reply with its files", canned_with_files.clone())),
            ("403", problem("You may not manage it")),
            ("404", problem("No such canned reply for you")),
            ("415", problem("Not multipart/form-data")),
            ("422", problem("No, empty, oversized or too many files, or a reply that resolves")),
        ],
    );
    add_canned_files["parameters"] = json!([path_param("id", "The canned reply's id")]);
    let mut remove_canned_file = op(
        "Remove a file from a canned reply",
        "canned-replies",
        true,
        None,
        vec![
            ("200", ok("The canned reply with its files", canned_with_files)),
            ("403", problem("You may not manage it")),
            ("404", problem("No such canned reply or file")),
        ],
    );
    remove_canned_file["parameters"] =
        json!([path_param("id", "The canned reply's id"), path_param("file", "The file's id")]);
    json!({
        "/api/v1/canned-replies/{id}/files": { "post": add_canned_files },
        "/api/v1/canned-replies/{id}/files/{file}": { "delete": remove_canned_file },
        "/api/v1/saved-views": {
            "get": op("Your saved views (named queue filters; the console shows them as tabs with their counts)", "saved-views", true, None,
                vec![("200", ok("Saved views, oldest first", json!({ "type": "object", "properties": { "items": { "type": "array", "items": view.clone() } } }))), ("403", problem("Not staff"))]),
            "post": op("Save a queue filter under a name (a view of the same name gets the new filter)", "saved-views", true,
                Some(body(json!({ "type": "object", "required": ["name"], "additionalProperties": false, "properties": { "name": text, "query": text } }))),
                vec![("201", ok("Saved", view.clone())), ("200", ok("Replaced the filter of the view of that name", view)), ("403", problem("Not staff")),
                     ("422", problem("Empty or long name, bad query, or 20 views already"))]),
        },
        "/api/v1/saved-views/{id}": { "delete": remove_view },
        "/api/v1/tickets/{number}/merge": { "post": merge },
        "/api/v1/tickets/{number}/followers": { "get": list_followers, "post": add_follower },
        "/api/v1/tickets/{number}/followers/{key}": { "delete": remove_follower },
        "/api/v1/tickets/{number}/attachments": { "get": list_files },
        "/api/v1/tickets/{number}/attachments/{id}": { "get": get_file },
        "/api/v1/public/tickets/{number}/attachments/{id}": { "get": public_file },
        "/api/v1/canned-replies": {
            "get": op("The canned replies you may use: city-wide and your unit's (staff)", "canned-replies", true, None,
                vec![("200", ok("Canned replies by title", json!({ "type": "object", "properties": { "items": { "type": "array", "items": canned.clone() } } }))), ("403", problem("Not staff"))]),
            "post": op("Make a canned reply for a unit or the city", "canned-replies", true, Some(body(new_canned)),
                vec![("201", ok("The canned reply", canned)), ("403", problem("You may not manage replies of that scope")), ("422", problem("Empty text, unknown placeholder, unit or action"))]),
        },
        "/api/v1/canned-replies/{id}": { "patch": update, "delete": remove },
        "/api/v1/tickets/bulk": { "post": op(
            "One action on up to 500 tickets, each checked and done on its own (staff)",
            "tickets",
            true,
            Some(body(request)),
            vec![("200", ok("One result per ticket, in the order given", answer)),
                 ("403", problem("Bulk actions are for staff")),
                 ("422", problem("Unknown action, a bad field, no ticket or more than 500"))],
        ) },
    })
}

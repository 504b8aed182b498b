//! The mail quarantine's endpoints in the OpenAPI document (admins and supervisors).

use serde_json::{json, Value};

use super::{body, ok, op, path_param, problem, query_param};

pub(super) fn quarantine_paths() -> Value {
    let text = json!({ "type": "string" });
    let maybe = json!({ "type": ["string", "null"] });
    let time = json!({ "type": "string", "format": "date-time" });
    let entry = json!({ "type": "object", "properties": {
        "id": text, "mailbox": maybe, "sender": { "type": "string", "description": "As written in the mail" },
        "subject": text, "reason": text, "size_bytes": { "type": "integer" }, "received_at": time,
        "settlement": { "type": ["string", "null"], "enum": ["ticket", "discarded", null] },
        "settled_at": { "type": ["string", "null"], "format": "date-time" }, "settled_by": maybe,
        "number": { "type": ["string", "null"], "description": "The ticket it became" } } });
    let ingested = json!({ "type": "object", "properties": { "outcome": text, "number": maybe, "detail": maybe } });
    let id = path_param("id", "The quarantined message's id");
    let not_allowed = || problem("Not an admin or supervisor");
    let mut list = op(
        "Mail kept in the quarantine, newest first (admins and supervisors)",
        "mail",
        true,
        None,
        vec![
            (
                "200",
                ok(
                    "Entries",
                    json!({ "type": "object", "properties": { "items": { "type": "array", "items": entry.clone() } } }),
                ),
            ),
            ("403", not_allowed()),
        ],
    );
    list["parameters"] = json!([query_param("all", "true: settled entries too")]);
    let mut show = op(
        "One quarantined message",
        "mail",
        true,
        None,
        vec![("200", ok("Entry", entry)), ("403", not_allowed()), ("404", problem("No such entry"))],
    );
    show["parameters"] = json!([id.clone()]);
    let mut raw = op(
        "The message as it arrived, as plain text (never rendered)",
        "mail",
        true,
        None,
        vec![
            (
                "200",
                json!({ "description": "The raw message", "content": { "text/plain": { "schema": { "type": "string" } } } }),
            ),
            ("403", not_allowed()),
            ("404", problem("No such entry")),
        ],
    );
    raw["parameters"] = json!([id.clone()]);
    let make = json!({ "type": "object", "required": ["unit"], "additionalProperties": false, "properties": { "unit": text } });
    let mut ticket = op(
        "Make the message a ticket of a unit",
        "mail",
        true,
        Some(body(make)),
        vec![
            ("201", ok("The ticket", ingested)),
            ("403", not_allowed()),
            ("404", problem("No such entry")),
            ("409", problem("Already made a ticket or discarded")),
            ("422", problem("Unknown unit")),
        ],
    );
    ticket["parameters"] = json!([id.clone()]);
    let mut discard = op(
        "Discard the message: its bytes go, its record and audit event stay",
        "mail",
        true,
        None,
        vec![
            ("204", json!({ "description": "Discarded" })),
            ("403", not_allowed()),
            ("404", problem("No such entry")),
            ("409", problem("Already made a ticket or discarded")),
        ],
    );
    discard["parameters"] = json!([id]);
    json!({
        "/api/v1/mail/quarantine": { "get": list },
        "/api/v1/mail/quarantine/{id}": { "get": show },
        "/api/v1/mail/quarantine/{id}/raw": { "get": raw },
        "/api/v1/mail/quarantine/{id}/ticket": { "post": ticket },
        "/api/v1/mail/quarantine/{id}/discard": { "post": discard },
    })
}

//! The personal-data endpoints in the OpenAPI document (SPEC 6, UU 27/2022).

use serde_json::{json, Value};

use super::{body, ok, op, problem, query_param};

pub(super) fn personal_data_paths() -> Value {
    let count = json!({ "type": "integer", "minimum": 0 });
    let key = |what: &str| json!({ "type": ["string", "null"], "description": what });
    let request = json!({
        "type": "object", "required": ["reason"], "additionalProperties": false,
        "description": "Exactly one of email, phone, telegram_id or ticket names the requester",
        "properties": {
            "email": key("Every requester record with this address"),
            "phone": key("Every requester record with this telephone number (+62 and 0 prefixes are the same)"),
            "telegram_id": key("Every requester record of this Telegram chat"),
            "ticket": key("The requester of this ticket"),
            "reason": { "type": "string", "maxLength": 2000, "description": "Why (the request, its date); kept in the audit log without the requester's name or contact" },
        } });
    let summary = json!({ "type": "object", "properties": {
        "requesters": count, "tickets": { "type": "array", "items": { "type": "string" } },
        "messages_redacted": count, "messages_scrubbed": count, "attachments_removed": count, "files_deleted": count,
        "ratings_scrubbed": count, "mail_records_scrubbed": count, "quarantined_mail_deleted": count,
        "notices_scrubbed": count, "notices_cancelled": count, "telegram_chats_forgotten": count,
        "accounts_closed": count, "event_texts_erased": count, "articles_scrubbed": count,
        "already_anonymised": { "type": "boolean" } } });
    let requester = json!({ "type": "object", "properties": {
        "id": { "type": "string" }, "name": { "type": "string" }, "email": { "type": ["string", "null"] },
        "phone": { "type": ["string", "null"] }, "telegram_id": { "type": ["string", "null"] } } });
    let patch = json!({
        "type": "object", "additionalProperties": false,
        "description": "At least one field; a phone of \"\" removes it",
        "properties": {
            "name": { "type": "string", "maxLength": 200 },
            "phone": { "type": "string", "maxLength": 20 },
            "language": { "type": "string", "enum": ["id", "en"] },
        } });
    let mut update = op(
        "Change a requester's name, telephone or language: staff working one of their tickets, supervisors, admins, or the requester signed in (audited as requester.updated, with the fields changed and not their values)",
        "personal-data",
        true,
        Some(body(patch)),
        vec![
            ("200", ok("The requester as stored now", requester)),
            ("403", problem("A unit head")),
            ("404", problem("No such requester, or none whose tickets this account may see")),
            ("409", problem("The requester was anonymised")),
            ("422", problem("Nothing to change, or a malformed value; the problem names the field")),
        ],
    );
    update["parameters"] = json!([{ "name": "id", "in": "path", "required": true, "schema": { "type": "string" }, "description": "The requester's id (requester.id in a ticket)" }]);
    let mut export = op(
        "Everything held about one requester as a ZIP: data.json, their files, SHA256SUMS (supervisors and admins; audited)",
        "personal-data",
        true,
        None,
        vec![
            ("200", json!({ "description": "The ZIP", "content": { "application/zip": { "schema": { "type": "string", "contentMediaType": "application/zip" } } } })),
            ("403", problem("Not a supervisor or admin")),
            ("404", problem("No requester with this key")),
            ("422", problem("No key, more than one key, or a malformed one; the problem names the field")),
        ],
    );
    export["parameters"] = json!([
        query_param("email", "Requester's e-mail address"),
        query_param("phone", "Requester's telephone number"),
        query_param("telegram_id", "Requester's Telegram chat id"),
        query_param("ticket", "A ticket number of the requester"),
    ]);
    json!({
        "/api/v1/requesters/{id}": { "patch": update },
        "/api/v1/personal-data/export": { "get": export },
        "/api/v1/personal-data/anonymise": { "post": op(
            "Anonymise a requester: identity, own words and files go, tickets and their figures stay (supervisors and admins; audited; idempotent)",
            "personal-data",
            true,
            Some(body(request)),
            vec![
                ("200", ok("What was erased", summary)),
                ("403", problem("Not a supervisor or admin")),
                ("404", problem("No requester with this key")),
                ("422", problem("No key, more than one key, a malformed one, or no reason; the problem names the field")),
            ],
        ) },
    })
}

//! The security-incident endpoints in the OpenAPI document (SPEC 6).

use serde_json::{json, Value};

use super::{body, ok, op, path_param, problem, query_param};

pub(super) fn incident_paths() -> Value {
    let time = json!({ "type": "string", "format": "date-time" });
    let clock = json!({ "type": ["object", "null"], "properties": {
        "flagged_at": time, "due": time, "state": { "type": "string", "enum": ["running", "met", "breached"] },
        "met_at": { "type": ["string", "null"], "format": "date-time" } } });
    let incident = json!({ "type": "object", "properties": {
        "incident_notice": clock, "breach_notice": clock, "breach_notified_note": { "type": "string" } } });
    let number = json!([path_param("number", "Ticket number")]);
    let mut flag = op(
        "Flag a ticket as a security incident and/or personal-data breach: starts the 24-hour (and 72-hour) notice clock and tells tier 2 and the supervisors",
        "incidents",
        true,
        Some(body(json!({ "type": "object", "additionalProperties": false, "properties": {
            "security_incident": { "type": "boolean" }, "personal_data_breach": { "type": "boolean" },
            "reason": { "type": "string", "maxLength": 2000 } } }))),
        vec![
            ("200", ok("The clocks", incident.clone())),
            ("404", problem("No such ticket in the caller's scope")),
            ("422", problem("Neither flag set")),
        ],
    );
    flag["parameters"] = number.clone();
    let mut unflag = op(
        "Clear the flags (supervisors and admins, with a reason): the notice clocks stop; audited as incident.cleared",
        "incidents",
        true,
        Some(body(json!({ "type": "object", "required": ["reason"], "additionalProperties": false, "properties": {
            "reason": { "type": "string", "minLength": 1, "maxLength": 2000 } } }))),
        vec![
            ("200", ok("The clocks, stopped", incident.clone())),
            ("403", problem("Not a supervisor or admin")),
            ("404", problem("No such ticket in the caller's scope")),
            ("409", problem("Not flagged")),
            ("422", problem("Missing reason")),
        ],
    );
    unflag["parameters"] = number.clone();
    let files = json!({ "type": "object", "properties": {
        "number": { "type": "string" }, "generated_at": time, "within_24_hours": { "type": ["boolean", "null"] },
        "files": { "type": "array", "items": { "type": "object", "properties": {
            "file_name": { "type": "string" }, "content_type": { "type": "string" }, "sha256": { "type": "string" },
            "size_bytes": { "type": "integer" } } } } } });
    let mut produce = op(
        "Write the incident notice (reporter, description, chronology, impact, actions) as PDF and Markdown; recorded with its SHA-256 in the audit log",
        "incidents",
        true,
        None,
        vec![
            ("201", ok("The notice's files", files)),
            ("403", problem("Role may not write the notice (unit heads read only)")),
            ("404", problem("No such ticket in the caller's scope")),
            ("409", problem("The ticket is not flagged")),
        ],
    );
    produce["parameters"] = number.clone();
    let mut latest = op(
        "The latest incident notice",
        "incidents",
        true,
        None,
        vec![
            (
                "200",
                json!({ "description": "The notice as PDF or Markdown", "content": {
                "application/pdf": { "schema": { "type": "string", "contentMediaType": "application/pdf" } },
                "text/markdown": { "schema": { "type": "string" } } } }),
            ),
            ("403", problem("Not staff")),
            ("404", problem("No notice yet")),
        ],
    );
    latest["parameters"] = json!([path_param("number", "Ticket number"), query_param("format", "pdf (default) or md")]);
    let mut notified = op(
        "Record that data subjects and the authority were told of a personal-data breach (UU 27/2022 Pasal 46): stops the 72-hour clock",
        "incidents",
        true,
        Some(body(json!({ "type": "object", "required": ["note"], "additionalProperties": false, "properties": {
            "note": { "type": "string", "maxLength": 5000 } } }))),
        vec![
            ("200", ok("The clocks", incident)),
            ("403", problem("Role may not record it (unit heads read only)")),
            ("404", problem("No such ticket in the caller's scope")),
            ("409", problem("Not a breach, or recorded already")),
        ],
    );
    notified["parameters"] = number;
    json!({
        "/api/v1/tickets/{number}/flag": { "post": flag },
        "/api/v1/tickets/{number}/unflag": { "post": unflag },
        "/api/v1/tickets/{number}/incident-notice": { "post": produce, "get": latest },
        "/api/v1/tickets/{number}/breach-notified": { "post": notified },
    })
}

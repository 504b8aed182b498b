//! The OpenAPI 3.1 document of `/api/v1`, written out by hand: the API is small and this keeps
//! the contract readable in one place. The integration tests check that every route is in it.

use actix_web::HttpResponse;
use serde_json::{json, Value};

use crate::domain::role::Role;
use crate::domain::sla::TargetState;
use crate::domain::ticket::{Action, Channel, Classification, Kind, Level, Priority, Status};

mod accounts_doc;
mod channels_doc;
mod directory_doc;
mod disruptions_doc;
mod incidents_doc;
mod kb_doc;
mod personal_data_doc;
mod quarantine_doc;
mod reports_doc;
mod webhooks_doc;
mod workbench_doc;

fn string_enum(values: Vec<&'static str>) -> Value {
    json!({ "type": "string", "enum": values })
}

fn reference(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

fn body(schema: Value) -> Value {
    json!({ "required": true, "content": { "application/json": { "schema": schema } } })
}

fn ok(description: &str, schema: Value) -> Value {
    json!({ "description": description, "content": { "application/json": { "schema": schema } } })
}

fn problem(description: &str) -> Value {
    json!({ "description": description, "content": { "application/problem+json": { "schema": reference("Problem") } } })
}

fn op(summary: &str, tag: &str, secured: bool, request: Option<Value>, responses: Vec<(&str, Value)>) -> Value {
    let mut responses_map = serde_json::Map::new();
    for (code, r) in responses {
        responses_map.insert(code.to_string(), r);
    }
    if secured {
        responses_map.insert("401".into(), problem("Missing, expired or revoked token"));
    }
    responses_map.insert("400".into(), problem("Malformed request; the problem names the field"));
    let mut o = json!({ "summary": summary, "tags": [tag], "responses": responses_map });
    if secured {
        o["security"] = json!([{ "bearer": [] }]);
    } else {
        o["security"] = json!([]);
    }
    if let Some(r) = request {
        o["requestBody"] = r;
    }
    o
}

fn path_param(name: &str, description: &str) -> Value {
    let mut param = json!({ "name": name, "in": "path", "required": true, "description": description, "schema": { "type": "string" } });
    if name == "number" {
        // Every `{number}` is a ticket number; the example lets generated requests (schemathesis)
        // reach a real ticket of the demo city.
        param["example"] = json!("SD-2026-000042");
    }
    param
}

fn query_param(name: &str, description: &str) -> Value {
    json!({ "name": name, "in": "query", "required": false, "description": description, "schema": { "type": "string" } })
}

fn items_of(name: &str) -> Value {
    json!({ "type": "object", "properties": { "items": { "type": "array", "items": reference(name) } } })
}

fn schemas() -> Value {
    let text = json!({ "type": "string" });
    let nullable_text = json!({ "type": ["string", "null"] });
    let time = json!({ "type": "string", "format": "date-time" });
    let nullable_time = json!({ "type": ["string", "null"], "format": "date-time" });
    let follow_disruption = json!({ "type": "boolean", "default": true,
        "description": "an incident on a service known to be disrupted joins its problem; false: without the updates by mail or chat" });
    json!({
        "Problem": { "type": "object", "required": ["type", "title", "status", "code"], "properties": {
            "type": text, "title": text, "status": { "type": "integer" }, "detail": text, "code": text,
            "field": { "type": "string", "description": "The field at fault, as a path (requester.email)" },
            "allowed_actions": { "type": "array", "items": string_enum(Action::names()) } } },
        "Credentials": { "type": "object", "required": ["username", "password"], "additionalProperties": false,
            "properties": { "username": text, "password": { "type": "string", "format": "password" },
                "totp": { "type": "string", "description": "the second factor: a six-digit code or a recovery code" } } },
        "Token": { "type": "object", "properties": { "token": text, "token_type": text, "expires_at": time,
            "username": text, "role": string_enum(Role::names()) } },
        "Unit": { "type": "object", "required": ["code", "name"], "additionalProperties": false, "properties": {
            "code": { "type": "string", "pattern": "^[A-Z0-9][A-Z0-9_-]{1,31}$" }, "name": text,
            "tier2": { "type": "boolean", "default": false }, "email": nullable_text,
            "active": { "type": "boolean", "readOnly": true, "description": "false: retired, no new reports" } } },
        "Service": { "type": "object", "required": ["code", "name", "unit"], "additionalProperties": false, "properties": {
            "code": { "type": "string", "pattern": "^[A-Z0-9][A-Z0-9_-]{1,31}$" }, "name": text, "unit": text,
            "active": { "type": "boolean", "readOnly": true },
            "alert_declares": { "type": "boolean", "readOnly": true, "description": "a firing alert also declares the service disrupted on the status page (set with PATCH)" } } },
        "NewUser": { "type": "object", "required": ["username", "name", "password", "role"], "additionalProperties": false, "properties": {
            "username": { "type": "string", "pattern": "^[a-z0-9][a-z0-9._-]{1,63}$" }, "name": text, "email": nullable_text,
            "password": { "type": "string", "format": "password", "minLength": 12 }, "role": string_enum(Role::names()), "unit": nullable_text } },
        "User": { "type": "object", "properties": { "username": text, "name": text, "email": nullable_text,
            "phone": nullable_text, "nip": nullable_text, "language": nullable_text,
            "role": string_enum(Role::names()), "unit": nullable_text, "active": { "type": "boolean" },
            "must_change_password": { "type": "boolean" },
            "auth_source": { "type": "string", "enum": ["local", "ldap", "oidc"], "description": "where the person signs in" } } },
        "Requester": { "type": "object", "required": ["name"], "additionalProperties": false, "properties": {
            "id": { "type": "string", "readOnly": true, "description": "for PATCH /api/v1/requesters/{id}" }, "name": text, "email": nullable_text, "telegram_id": nullable_text, "phone": nullable_text } },
        "NewTicket": { "type": "object", "required": ["kind", "title", "description", "impact", "urgency", "requester"], "additionalProperties": false, "properties": {
            "kind": string_enum(Kind::names()), "title": { "type": "string", "maxLength": 200 }, "description": text,
            "unit": nullable_text, "service": nullable_text, "impact": string_enum(Level::names()), "urgency": string_enum(Level::names()),
            "requester": reference("Requester"), "classification": string_enum(Classification::names()),
            "security_incident": { "type": "boolean" }, "personal_data_breach": { "type": "boolean" },
            "channel": string_enum(Channel::names()), "follow_disruption": follow_disruption.clone() },
            "example": { "kind": "incident", "title": "SIMPUS tidak bisa login", "description": "Sejak pagi muncul error 500.",
                "service": "SIMPUS", "impact": "high", "urgency": "medium", "requester": { "name": "Budi", "email": "budi@example.com" } } },
        "NewPublicTicket": { "type": "object", "required": ["kind", "title", "description", "requester"], "additionalProperties": false, "properties": {
            "kind": string_enum(Kind::names()), "title": { "type": "string", "maxLength": 200 }, "description": text,
            "unit": nullable_text, "service": nullable_text, "impact": string_enum(Level::names()), "urgency": string_enum(Level::names()),
            "requester": reference("Requester"), "security_incident": { "type": "boolean" },
            "personal_data_breach": { "type": "boolean" }, "follow_disruption": follow_disruption },
            "example": { "kind": "complaint", "title": "Halaman PPDB tidak terbuka", "description": "Sejak kemarin sore.",
                "unit": "DISDIK", "requester": { "name": "Siti", "email": "siti@example.com" } } },
        "PublicTicketCreated": { "type": "object", "properties": { "number": text, "tracking_token": text, "tracking_url": text,
            "status": string_enum(Status::names()), "unit": text, "unit_name": text,
            "disruption": { "type": ["object", "null"], "description": "the known disruption of the service this incident was linked to",
                "properties": { "id": text, "title": text, "state_label": text, "since": time, "following": { "type": "boolean" } } } } },
        "SlaTarget": { "type": "object", "properties": { "due": time, "state": string_enum(TargetState::names()),
            "remaining_minutes": { "type": ["integer", "null"] } } },
        "Sla": { "type": "object", "properties": { "first_response_due": time, "resolution_due": time,
            "state": { "type": "object", "properties": { "first_response": string_enum(TargetState::names()), "resolution": string_enum(TargetState::names()) } },
            "first_response": reference("SlaTarget"), "resolution": reference("SlaTarget"), "calendar": text } },
        "Message": { "type": "object", "properties": { "id": text, "author": text, "internal": { "type": "boolean" },
            "body": text, "channel": text, "created_at": time } },
        "NewMessage": { "type": "object", "anyOf": [{ "required": ["body"] }, { "required": ["canned_reply"] }], "additionalProperties": false, "properties": {
            "body": text, "internal": { "type": "boolean", "default": false },
            "minutes": { "type": "integer", "minimum": 1, "maximum": 720, "description": "Time spent, recorded with the message (staff)" },
            "canned_reply": { "type": "string", "description": "A canned reply's id: without body its text, filled in for the ticket, is sent; with body the edited text is. Its action (pend, resolve) follows in the same transaction" } },
            "example": { "body": "Sudah kami periksa; silakan coba masuk lagi.", "internal": false } },
        "NewMessageForm": { "type": "object", "description": "The same fields as a multipart form, with one or more files in parts named files (each at most attachment_max_bytes, 10 MB by default; at most 10). A message may be files only",
            "properties": { "body": text, "internal": { "type": "string", "enum": ["true", "false"] }, "canned_reply": text,
                "minutes": { "type": "string", "pattern": "^[0-9]*$", "description": "Time spent, 1 to 720 minutes" },
                "files": { "type": "array", "items": { "type": "string", "format": "binary" } } } },
        "Attachment": { "type": "object", "properties": { "id": text, "message_id": nullable_text, "filename": text,
            "size": { "type": "integer", "description": "Bytes" }, "content_type": { "type": "string", "description": "Sniffed from the bytes" }, "sha256": text } },
        "Ticket": { "type": "object", "properties": {
            "number": { "type": "string", "pattern": "^[A-Z]+-\\d{4}-\\d{6,}$" }, "kind": string_enum(Kind::names()), "title": text, "description": text,
            "status": string_enum(Status::names()), "tier": { "type": "integer", "enum": [1, 2] }, "priority": string_enum(Priority::names()),
            "impact": string_enum(Level::names()), "urgency": string_enum(Level::names()), "classification": string_enum(Classification::names()),
            "security_incident": { "type": "boolean" }, "personal_data_breach": { "type": "boolean" },
            "incident": { "type": "object", "description": "The notice clocks of a flagged ticket (SPEC 6)" },
            "channel": string_enum(Channel::names()), "unit": text, "service": nullable_text,
            "assignee": nullable_text, "escalated": { "type": "boolean" }, "requester": { "oneOf": [reference("Requester"), { "type": "null" }] },
            "created_at": time, "updated_at": time, "first_response_at": nullable_time, "resolved_at": nullable_time, "closed_at": nullable_time,
            "sla": reference("Sla"), "allowed_actions": { "type": "array", "items": string_enum(Action::names()) },
            "messages": { "type": "array", "items": reference("Message") },
            "time_spent_minutes": { "type": "integer", "description": "In a ticket's own view, for staff: the minutes agents recorded on it" },
            "merged_into": { "type": ["string", "null"], "description": "In a ticket's own view: the number of the ticket it was merged into" },
            "merged_from": { "type": "array", "items": text, "description": "In a ticket's own view: the tickets merged into it" },
            "highlight": { "type": "object", "description": "In a search's results: where the words matched, as HTML (the text escaped, each match in <mark>)",
                "properties": { "title": text, "excerpt": nullable_text } } } },
        "TicketPage": { "type": "object", "properties": { "items": { "type": "array", "items": reference("Ticket") }, "next_cursor": nullable_text } },
        "PublicTicket": { "type": "object", "properties": { "number": text, "title": text, "kind": string_enum(Kind::names()),
            "status": string_enum(Status::names()), "unit": text, "unit_name": text, "created_at": time, "updated_at": time, "resolved_at": nullable_time,
            "messages": { "type": "array", "items": { "type": "object", "properties": { "id": text, "from": text, "from_requester": { "type": "boolean" }, "body": text, "created_at": time } } },
            "attachments": { "type": "array", "description": "The public files, downloadable at /api/v1/public/tickets/{number}/attachments/{id}?token=", "items": reference("Attachment") },
            "merged_into": { "type": ["string", "null"], "description": "When merged into another report: the number that now carries the case" } } },
        "Event": { "type": "object", "properties": { "seq": { "type": "integer" }, "kind": text, "actor": nullable_text, "at": time, "data": { "type": "object" } } },
        "ActionBody": { "type": "object", "description": "assign {username}; start, resume, close {}; pend {reason?}; resolve {resolution, resolve_linked?}; reopen {reason?}; cancel {reason}; escalate {reason}; return {note}; transfer {unit, reason?}; priority {impact, urgency}; each may add minutes (time spent, staff)",
            "properties": { "minutes": { "type": "integer", "minimum": 1, "maximum": 720 }, "username": text, "reason": text, "resolution": text, "note": text, "unit": text,
                "resolve_linked": { "type": "boolean", "description": "resolve on a problem: also resolve its linked incidents that are new, open or pending" },
                "impact": string_enum(Level::names()), "urgency": string_enum(Level::names()) } },
    })
}

/// Calendars, holidays and SLA policies (issue: SLA clocks), kept apart to keep each `json!`
/// within the macro's recursion limit.
fn sla_schemas() -> Value {
    let text = json!({ "type": "string" });
    let week = json!({ "type": "object", "description": "Day (mon..sun) to working intervals, e.g. {\"fri\": [\"07:30-11:30\", \"13:00-16:30\"]}",
        "additionalProperties": { "type": "array", "items": { "type": "string", "pattern": "^\\d{2}:\\d{2}-\\d{2}:\\d{2}$" } } });
    let holiday = json!({ "type": "object", "required": ["date", "label"], "properties": { "date": { "type": "string", "format": "date" }, "label": text } });
    json!({
        "Calendar": { "type": "object", "properties": { "name": text, "zone": text, "week": week, "weekly_minutes": { "type": "integer" },
            "holidays": { "type": "array", "items": holiday } } },
        "NewCalendar": { "type": "object", "required": ["name", "zone"], "additionalProperties": false, "properties": {
            "name": { "type": "string", "pattern": "^[a-z0-9][a-z0-9-]{1,39}$" }, "zone": { "type": "string", "description": "IANA zone: Asia/Jakarta, Asia/Makassar, Asia/Jayapura" },
            "like": { "type": "string", "description": "Copy the weekly hours of this calendar" }, "week": week } },
        "CalendarPatch": { "type": "object", "additionalProperties": false, "properties": { "zone": text, "week": week } },
        "Holiday": holiday,
        "HolidayChange": { "type": "object", "properties": { "calendar": text, "added": { "type": "integer" }, "relabelled": { "type": "integer" },
            "unchanged": { "type": "integer" }, "removed": { "type": "integer" }, "tickets_recomputed": { "type": "integer" },
            "warnings": { "type": "array", "items": text } } },
        "SlaPolicy": { "type": "object", "properties": { "priority": string_enum(Priority::names()), "first_response_minutes": { "type": "integer" },
            "resolution_minutes": { "type": "integer" }, "calendar": text, "warn_percents": { "type": "array", "items": { "type": "integer", "minimum": 1, "maximum": 99 } },
            "notify_unit_head": { "type": "boolean" }, "escalate_to_tier2": { "type": "boolean" } } },
        "SlaPolicyPatch": { "type": "object", "additionalProperties": false, "properties": { "first_response_minutes": { "type": "integer", "minimum": 1 },
            "resolution_minutes": { "type": "integer", "minimum": 1 }, "calendar": text, "warn_percents": { "type": "array", "items": { "type": "integer" } },
            "notify_unit_head": { "type": "boolean" }, "escalate_to_tier2": { "type": "boolean" } } },
    })
}

fn sla_paths() -> Value {
    let name = path_param("name", "Calendar name, e.g. jam-kerja");
    let edit = |summary: &str, request: Option<Value>, response: Value| {
        let mut o = op(
            summary,
            "sla",
            true,
            request,
            vec![
                ("200", response),
                ("403", problem("Not an admin or supervisor")),
                ("404", problem("No such calendar")),
                ("422", problem("Invalid field")),
            ],
        );
        o["parameters"] = json!([name.clone()]);
        o
    };
    let mut remove =
        edit("Remove a holiday; open tickets are recomputed", None, ok("What changed", reference("HolidayChange")));
    remove["parameters"] = json!([name.clone(), path_param("date", "YYYY-MM-DD")]);
    let mut show = op(
        "A calendar with its holidays",
        "sla",
        true,
        None,
        vec![("200", ok("The calendar", reference("Calendar"))), ("404", problem("No such calendar"))],
    );
    show["parameters"] = json!([name.clone(), query_param("year", "Only holidays of this year")]);
    let mut policy = op(
        "Change the policy of one priority (admin, supervisor); open tickets of it are recomputed",
        "sla",
        true,
        Some(body(reference("SlaPolicyPatch"))),
        vec![
            ("200", ok("The policy", reference("SlaPolicy"))),
            ("403", problem("Not an admin or supervisor")),
            ("422", problem("Invalid field")),
        ],
    );
    policy["parameters"] = json!([path_param("priority", "P1..P4")]);
    let mut due = op(
        "Due instant of N business minutes from a start",
        "sla",
        true,
        None,
        vec![("200", ok("The due instant in the calendar's zone", json!({ "type": "object" })))],
    );
    due["parameters"] = json!([
        query_param("start", "RFC3339"),
        query_param("minutes", "Business minutes"),
        query_param("calendar", "Default jam-kerja")
    ]);
    json!({
        "/api/v1/calendars": {
            "get": op("List calendars", "sla", true, None, vec![("200", ok("Calendars", items_of("Calendar")))]),
            "post": op("Create a calendar (admin, supervisor)", "sla", true, Some(body(reference("NewCalendar"))),
                vec![("201", ok("Created", reference("Calendar"))), ("403", problem("Not an admin or supervisor")), ("409", problem("Name taken")), ("422", problem("Invalid field"))]),
        },
        "/api/v1/calendars/{name}": {
            "get": show,
            "patch": edit("Change zone or weekly hours; open tickets are recomputed", Some(body(reference("CalendarPatch"))), ok("The calendar", reference("Calendar"))),
        },
        "/api/v1/calendars/{name}/holidays": { "post": edit("Add holidays ({date, label} or a list); open tickets are recomputed",
            Some(body(json!({ "oneOf": [reference("Holiday"), { "type": "array", "items": reference("Holiday") }] }))), ok("What changed", reference("HolidayChange"))) },
        "/api/v1/calendars/{name}/holidays/import": { "post": edit("Import holidays from a CSV (date,label) or iCalendar body",
            Some(json!({ "required": true, "content": { "text/csv": { "schema": { "type": "string" } }, "text/calendar": { "schema": { "type": "string" } } } })),
            ok("What changed", reference("HolidayChange"))) },
        "/api/v1/calendars/{name}/holidays/{date}": { "delete": remove },
        "/api/v1/sla/policies": { "get": op("The SLA policy of every priority", "sla", true, None, vec![("200", ok("Policies", items_of("SlaPolicy")))]) },
        "/api/v1/sla/policies/{priority}": { "patch": policy },
        "/api/v1/sla/due": { "get": due },
    })
}

fn mail_paths() -> Value {
    let text = json!({ "type": "string" });
    let mailbox = json!({ "type": "object", "properties": { "name": text, "unit": text, "address": text, "imap": { "type": "boolean" } } });
    let new_mailbox = json!({ "type": "object", "required": ["name", "unit", "address"], "additionalProperties": false, "properties": {
        "name": text, "unit": text, "address": { "type": "string", "format": "email" },
        "imap_url": { "type": "string", "description": "imaps://user:password@host:993/INBOX; never shown back" } } });
    let ingested = json!({ "type": "object", "properties": {
        "outcome": { "type": "string", "enum": ["created", "appended", "reopened", "follow_up", "duplicate", "ignored", "bounce", "quarantined"] },
        "number": { "type": ["string", "null"] }, "detail": { "type": ["string", "null"] } } });
    let mut inbound = op(
        "Take in one e-mail (admin or integration token): the raw RFC 5322 message is the body",
        "mail",
        true,
        Some(json!({ "required": true, "content": { "message/rfc822": { "schema": { "type": "string" } } } })),
        vec![
            ("201", ok("A new ticket (or a follow-up of a closed one)", ingested.clone())),
            (
                "200",
                ok(
                    "A reply on a ticket, a duplicate, an ignored autoreply, a bounce, or a message kept in the quarantine (too large, no sender, unknown mailbox or refused)",
                    ingested,
                ),
            ),
            ("403", problem("Not an admin")),
            ("413", problem("Over 64 MB")),
            ("422", problem("Empty body")),
            ("503", problem("The message could not be stored; send it again later")),
        ],
    );
    inbound["parameters"] =
        json!([{ "name": "mailbox", "in": "query", "required": true, "schema": { "type": "string" } }]);
    json!({
        "/api/v1/mailboxes": {
            "get": op("List desk mailboxes (admin)", "mail", true, None, vec![("200", ok("Mailboxes", json!({ "type": "object", "properties": { "items": { "type": "array", "items": mailbox.clone() } } }))), ("403", problem("Not an admin"))]),
            "post": op("Create a desk mailbox (admin)", "mail", true, Some(body(new_mailbox)),
                vec![("201", ok("Created", mailbox)), ("403", problem("Not an admin")), ("409", problem("Name taken")), ("422", problem("Invalid field"))]),
        },
        "/api/v1/channels/email/inbound": { "post": inbound },
        "/api/v1/public/tickets/{number}/csat": { "post": {
            "summary": "The requester rates a resolved ticket (1-5, once), with the token from the resolution mail or the tracking token",
            "tags": ["public"], "security": [],
            "parameters": [path_param("number", "Ticket number"), { "name": "token", "in": "query", "required": true, "schema": { "type": "string" } }],
            "requestBody": body(json!({ "type": "object", "required": ["rating"], "additionalProperties": false, "properties": {
                "rating": { "type": "integer", "minimum": 1, "maximum": 5 }, "comment": { "type": "string", "maxLength": 2000 } } })),
            "responses": { "201": { "description": "Recorded" }, "404": problem("Unknown number or wrong token"),
                "409": problem("Not resolved yet, or rated already"), "422": problem("Rating outside 1-5") } } },
    })
}

pub fn spec() -> Value {
    let mut doc = core_spec();
    for extra in [
        sla_paths(),
        mail_paths(),
        reports_doc::report_paths(),
        kb_doc::kb_paths(),
        incidents_doc::incident_paths(),
        webhooks_doc::webhook_paths(),
        personal_data_doc::personal_data_paths(),
        quarantine_doc::quarantine_paths(),
        accounts_doc::account_paths(),
        directory_doc::directory_paths(),
        disruptions_doc::disruption_paths(),
        workbench_doc::workbench_paths(),
        channels_doc::channel_paths(),
    ] {
        if let (Some(paths), Value::Object(extra)) = (doc["paths"].as_object_mut(), extra) {
            paths.extend(extra);
        }
    }
    if let (Some(schemas), Value::Object(extra)) = (doc["components"]["schemas"].as_object_mut(), sla_schemas()) {
        schemas.extend(extra);
    }
    add_common_answers(&mut doc);
    doc
}

/// The answers any operation of the API may give, added where an operation does not describe
/// them itself: the extractors refuse a malformed request (400) and an invalid field or query
/// value (422) before the handler runs; a secured operation refuses a missing or revoked token
/// (401); and every operation that reads or writes answers 503 while the database is unreachable
/// or the desk is overloaded (`Retry-After`), as the resilience tests show.
fn add_common_answers(doc: &mut Value) {
    let Some(paths) = doc["paths"].as_object_mut() else { return };
    for (path, item) in paths.iter_mut() {
        if !path.starts_with("/api/v1/") || path == "/api/v1/openapi.json" {
            continue;
        }
        let Some(operations) = item.as_object_mut() else { continue };
        for operation in operations.values_mut() {
            let takes_input = operation.get("requestBody").is_some()
                || operation["parameters"].as_array().is_some_and(|p| !p.is_empty());
            let secured = operation["security"].as_array().is_some_and(|s| !s.is_empty());
            let Some(responses) = operation["responses"].as_object_mut() else { continue };
            let mut add = |code: &str, description: &str| {
                responses.entry(code.to_string()).or_insert_with(|| problem(description));
            };
            add("400", "Malformed request; the problem names the field");
            if takes_input {
                add("422", "Invalid field or query value; the problem names it");
            }
            if secured {
                add("401", "Missing, expired or revoked token");
            }
            add(
                "503",
                "The database is unreachable or the desk is overloaded; nothing was saved, retry after Retry-After",
            );
        }
    }
}

fn core_spec() -> Value {
    let ticket_number = path_param("number", "Ticket number, e.g. SD-2026-000042");
    json!({
        "openapi": "3.1.0",
        "info": { "title": "meja API", "version": env!("CARGO_PKG_VERSION"),
            "description": "Service desk for SPBE: Tier 1 desks in every Perangkat Daerah, Tier 2 at Diskominfo. Errors are application/problem+json (RFC 9457)." },
        "servers": [{ "url": "/" }],
        "components": {
            "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer" } },
            "schemas": schemas(),
        },
        "paths": {
            "/api/v1/auth/token": {
                "post": op("Log in: exchange username and password for a bearer token", "auth", false, Some(body(reference("Credentials"))),
                    vec![("200", ok("A token", reference("Token"))), ("401", problem("Wrong username, password or code; urn:meja:problem:totp_required when the account's second factor is missing")),
                        ("403", problem("urn:meja:problem:password_change_required (a temporary password: change it with POST /api/v1/auth/password) or urn:meja:problem:totp_enrolment_required (enrol a second factor first)")),
                        ("429", problem("Too many failed logins"))]),
                "delete": op("Revoke the token of this request", "auth", true, None, vec![("204", json!({ "description": "Revoked" }))]),
            },
            "/api/v1/auth/me": { "get": op("Who am I", "auth", true, None, vec![("200", ok("The current user", reference("User")))]) },
            "/api/v1/units": {
                "get": op("List units (Perangkat Daerah)", "catalogue", true, None, vec![("200", ok("Units", items_of("Unit")))]),
                "post": op("Create a unit (admin); one unit is the tier-2 unit", "catalogue", true, Some(body(reference("Unit"))),
                    vec![("201", ok("Created", reference("Unit"))), ("403", problem("Not an admin")), ("409", problem("Code taken or second tier-2 unit")), ("422", problem("Invalid field"))]),
            },
            "/api/v1/services": {
                "get": { "parameters": [query_param("unit", "Only services of this unit")],
                    "summary": "List services", "tags": ["catalogue"], "security": [{ "bearer": [] }],
                    "responses": { "200": ok("Services", items_of("Service")), "401": problem("Unauthenticated") } },
                "post": op("Create a service (admin)", "catalogue", true, Some(body(reference("Service"))),
                    vec![("201", ok("Created", reference("Service"))), ("403", problem("Not an admin")), ("409", problem("Code taken")), ("422", problem("Unknown unit"))]),
            },
            "/api/v1/users": {
                "get": op("List users (admin and supervisor: all; unit head: own unit)", "catalogue", true, None, vec![("200", ok("Users", items_of("User"))), ("403", problem("Role may not list users"))]),
                "post": op("Create a user (admin)", "catalogue", true, Some(body(reference("NewUser"))),
                    vec![("201", ok("Created", reference("User"))), ("403", problem("Not an admin")), ("409", problem("Username taken")), ("422", problem("Invalid field"))]),
            },
            "/api/v1/tickets": {
                "post": op("Open a ticket", "tickets", true, Some(body(reference("NewTicket"))),
                    vec![("201", ok("Opened, with its number, priority and SLA due times", reference("Ticket"))), ("403", problem("Outside the caller's unit")), ("422", problem("Unknown unit or service, invalid field"))]),
                "get": {
                    "summary": "The caller's scoped queue, newest first, cursor-paginated", "tags": ["tickets"], "security": [{ "bearer": [] }],
                    "parameters": [
                        query_param("status", "Comma-separated statuses, or active (new, open, pending)"), query_param("unit", "Unit code"),
                        query_param("tier", "1 or 2"), query_param("priority", "P1..P4"), query_param("breached", "true or false"),
                        query_param("assignee", "Username, or me"), query_param("kind", "incident, service_request, complaint, problem, change or information"), query_param("service", "Service code"), query_param("q", "Search words (each a prefix, all required) in the number, title, description and messages (internal notes for staff); best matches first, each item with highlight. A ticket number typed whole finds that ticket. Any text is read as words: no syntax, at most eight"),
                        query_param("cursor", "next_cursor of the previous page (a search's cursor pages through its ranked results)"), query_param("limit", "1..200, default 50") ],
                    "responses": { "200": ok("A page", reference("TicketPage")), "400": problem("Invalid filter"), "401": problem("Unauthenticated"), "422": problem("Unknown unit or user") },
                },
            },
            "/api/v1/tickets/{number}": { "get": {
                "summary": "One ticket with its messages and SLA state", "tags": ["tickets"], "security": [{ "bearer": [] }],
                "parameters": [ticket_number.clone()],
                "responses": { "200": ok("The ticket", reference("Ticket")), "401": problem("Unauthenticated"), "404": problem("Not found or outside the caller's scope") } } },
            "/api/v1/tickets/{number}/messages": { "post": {
                "summary": "Reply publicly or add an internal note", "tags": ["tickets"], "security": [{ "bearer": [] }],
                "parameters": [ticket_number.clone()],
                "requestBody": { "required": true, "content": { "application/json": { "schema": reference("NewMessage") }, "multipart/form-data": { "schema": reference("NewMessageForm") } } },
                "responses": { "201": ok("Added", reference("Message")), "400": problem("Malformed"), "401": problem("Unauthenticated"), "403": problem("Role may not write here"), "404": problem("Not found"),
                    "409": problem("The canned reply's action is not allowed now"), "422": problem("Empty text, unknown canned reply, an empty or oversized file or too many files") } } },
            "/api/v1/tickets/{number}/events": { "get": {
                "summary": "The audit timeline of a ticket", "tags": ["tickets"], "security": [{ "bearer": [] }],
                "parameters": [ticket_number.clone()],
                "responses": { "200": ok("Events, oldest first", items_of("Event")), "401": problem("Unauthenticated"), "404": problem("Not found") } } },
            "/api/v1/tickets/{number}/{action}": { "post": {
                "summary": "Run an action of the status machine", "tags": ["tickets"], "security": [{ "bearer": [] }],
                "parameters": [ticket_number.clone(), { "name": "action", "in": "path", "required": true, "schema": string_enum(Action::names()) }],
                "requestBody": { "required": false, "content": { "application/json": { "schema": reference("ActionBody") } } },
                "responses": { "200": ok("The ticket after the action", reference("Ticket")), "400": problem("Malformed or missing field"),
                    "401": problem("Unauthenticated"), "403": problem("Role may not do this"), "404": problem("Not found or unknown action"),
                    "409": problem("The status machine forbids it; allowed_actions lists what is allowed"), "422": problem("Unknown user or unit") } } },
            "/api/v1/public/tickets": { "post": op("Report a problem without an account (abuse-limited)", "public", false, Some(body(reference("NewPublicTicket"))),
                vec![("201", ok("The number and the tracking token, shown once", reference("PublicTicketCreated"))), ("422", problem("Invalid field")), ("429", problem("Too many reports from this address"))]) },
            "/api/v1/public/tickets/{number}": { "get": {
                "summary": "Follow a ticket with its tracking token: status and public messages only", "tags": ["public"], "security": [],
                "parameters": [ticket_number.clone(), { "name": "token", "in": "query", "required": true, "schema": { "type": "string" } }],
                "responses": { "200": ok("The ticket as the requester sees it", reference("PublicTicket")), "404": problem("Unknown number or wrong token") } } },
            "/api/v1/public/tickets/{number}/messages": { "post": {
                "summary": "The requester replies on the tracking page", "tags": ["public"], "security": [],
                "parameters": [ticket_number, { "name": "token", "in": "query", "required": true, "schema": { "type": "string" } }],
                "requestBody": body(json!({ "type": "object", "required": ["body"], "properties": { "body": { "type": "string" } } })),
                "responses": { "201": { "description": "Added" }, "400": problem("Malformed"), "404": problem("Unknown number or wrong token"), "409": problem("Ticket closed") } } },
            "/api/v1/openapi.json": { "get": { "summary": "This document", "tags": ["meta"], "security": [], "responses": { "200": { "description": "OpenAPI 3.1" } } } },
            "/healthz": { "get": { "summary": "Liveness with a database check", "tags": ["meta"], "security": [],
                "responses": { "200": { "description": "Healthy" }, "503": { "description": "Database unreachable" } } } },
            "/metrics": { "get": { "summary": "Prometheus metrics", "tags": ["meta"], "security": [],
                "responses": { "200": { "description": "Text exposition format", "content": { "text/plain": { "schema": { "type": "string" } } } } } } },
        }
    })
}

pub async fn document() -> HttpResponse {
    HttpResponse::Ok().json(spec())
}

//! The report endpoints in the OpenAPI document (SPEC section 8).

use serde_json::{json, Value};

use super::{body, ok, op, path_param, problem, query_param};

fn binary(description: &str, content_type: &str) -> Value {
    json!({ "description": description, "content": { content_type: { "schema": { "type": "string", "contentMediaType": content_type } } } })
}

pub(super) fn report_paths() -> Value {
    let text = json!({ "type": "string" });
    let object = json!({ "type": "object" });
    let report = json!({ "type": "object", "required": ["generated_at", "data_sha256", "report"], "properties": {
        "generated_at": { "type": "string", "format": "date-time" },
        "data_sha256": { "type": "string", "description": "SHA-256 of the report's data section (JSON)" },
        "report": { "type": "object", "properties": {
            "scope": object, "period": object, "volume": object, "outcomes": object, "sla": object, "tiers": object,
            "security_incidents": { "type": "array" }, "csat": object, "top_services": { "type": "array" },
            "problems": { "type": "array" },
            "agents": { "type": "array", "description": "Supervisors and unit heads only" } } } } });
    let file = json!({ "type": "object", "properties": { "format": text, "file_name": text, "sha256": text, "size_bytes": { "type": "integer" } } });
    let archived = json!({ "type": "object", "properties": {
        "id": text, "scope": text, "period": text, "first_day": { "type": "string", "format": "date" },
        "last_day": { "type": "string", "format": "date" }, "generated_at": { "type": "string", "format": "date-time" },
        "data_sha256": text, "files": { "type": "array", "items": file },
        "reviews": { "type": "array", "items": { "type": "object", "properties": { "author": text, "note": text, "created_at": text } } } } });
    let archived_list =
        json!({ "type": "object", "properties": { "items": { "type": "array", "items": archived.clone() } } });
    let mut report_op = op(
        "The periodic report of a unit or the city over a period (month by default)",
        "reports",
        true,
        None,
        vec![
            ("200", {
                let mut r = ok("The report; other formats as files", report);
                r["content"]["application/zip"] = json!({ "schema": { "type": "string" } });
                r["content"]["application/pdf"] = json!({ "schema": { "type": "string" } });
                r["content"]["text/html"] = json!({ "schema": { "type": "string" } });
                r["content"]["application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"] =
                    json!({ "schema": { "type": "string" } });
                r
            }),
            ("403", problem("Outside the caller's units, or not staff")),
            ("422", problem("Unknown unit, format or period")),
        ],
    );
    report_op["parameters"] = json!([
        query_param("unit", "Unit code or `all` (supervisors and admins); default the caller's unit, or the city"),
        query_param("period", "2026-11, 2026-Q4, 2026-S2, 2026 or 2026-11-01..2026-11-15"),
        query_param("from", "First day (YYYY-MM-DD), with `to`"),
        query_param("to", "Last day, included (YYYY-MM-DD)"),
        { "name": "format", "in": "query", "required": false, "schema": { "type": "string", "enum": ["json", "csv", "xlsx", "pdf", "html"] } },
    ]);
    let period_query = json!([query_param("period", "2026-11, 2026-Q4, 2026-S2, 2026 or a range")]);
    let mut list = op(
        "Archived reports (supervisors: all; unit heads: their unit)",
        "reports",
        true,
        None,
        vec![("200", ok("Archived reports", archived_list.clone())), ("403", problem("Not a supervisor or unit head"))],
    );
    list["parameters"] = period_query.clone();
    let mut pack = op(
        "The SPBE evaluation evidence pack (ZIP): reports, SLA policy, calendars, units and staff, review notes",
        "reports",
        true,
        None,
        vec![
            ("200", binary("The pack", "application/zip")),
            ("403", problem("Not a supervisor")),
            ("422", problem("Invalid period")),
        ],
    );
    pack["parameters"] = json!([{ "name": "period", "in": "query", "required": true, "schema": { "type": "string" } }]);
    let mut file_op = op(
        "A stored file of an archived report, unchanged",
        "reports",
        true,
        None,
        vec![
            ("200", {
                // The stored file with the type of its format.
                let mut r = binary("The file", "application/pdf");
                r["content"]["application/json"] = json!({ "schema": { "type": "object" } });
                for content_type in [
                    "application/zip",
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    "text/html",
                ] {
                    r["content"][content_type] =
                        json!({ "schema": { "type": "string", "contentMediaType": content_type } });
                }
                r
            }),
            ("404", problem("No such report or file")),
            ("422", problem("Unknown format")),
        ],
    );
    file_op["parameters"] =
        json!([path_param("id", "Report id"), path_param("format", "json, csv, xlsx, pdf or html")]);
    let mut show = op(
        "An archived report with its files and reviews",
        "reports",
        true,
        None,
        vec![("200", ok("The report", archived.clone())), ("404", problem("No such report"))],
    );
    show["parameters"] = json!([path_param("id", "Report id")]);
    let mut review = op(
        "A supervisor's review note on an archived report",
        "reports",
        true,
        Some(body(
            json!({ "type": "object", "required": ["note"], "additionalProperties": false, "properties": { "note": { "type": "string", "minLength": 1, "maxLength": 10000 } } }),
        )),
        vec![
            ("201", ok("The report with its reviews", archived)),
            ("403", problem("Not a supervisor")),
            ("404", problem("No such report")),
            ("422", problem("Empty note")),
        ],
    );
    review["parameters"] = json!([path_param("id", "Report id")]);
    let mut link = op(
        "Link an incident to a problem ticket",
        "tickets",
        true,
        Some(body(
            json!({ "type": "object", "required": ["incident"], "additionalProperties": false, "properties": { "incident": text } }),
        )),
        vec![
            (
                "201",
                ok(
                    "The problem's incidents",
                    json!({ "type": "object", "properties": { "problem": text, "incidents": { "type": "array", "items": text } } }),
                ),
            ),
            ("403", problem("Role may not link")),
            ("404", problem("No such ticket in the caller's scope")),
            ("422", problem("Not a problem, or not an incident")),
        ],
    );
    link["parameters"] = json!([path_param("number", "The problem's number")]);
    let linked_ticket = json!({ "type": "object", "properties": { "number": text, "title": text, "status": text } });
    let mut linked = op(
        "A problem's incidents and an incident's problems, with their statuses (staff; tickets you may not see are left out)",
        "tickets",
        true,
        None,
        vec![
            ("200", ok("Linked tickets", json!({ "type": "object", "properties": {
                "incidents": { "type": "array", "items": linked_ticket.clone() }, "problems": { "type": "array", "items": linked_ticket } } }))),
            ("403", problem("Not staff")),
            ("404", problem("No such ticket in the caller's scope")),
        ],
    );
    linked["parameters"] = json!([path_param("number", "Ticket number")]);
    let mut unlink = op(
        "Unlink an incident from a problem ticket",
        "tickets",
        true,
        None,
        vec![
            (
                "200",
                ok(
                    "The problem's incidents",
                    json!({ "type": "object", "properties": { "problem": text, "incidents": { "type": "array", "items": text } } }),
                ),
            ),
            ("403", problem("Role may not link")),
            ("404", problem("No such problem, incident or link in the caller's scope")),
            ("422", problem("Not a problem ticket")),
        ],
    );
    unlink["parameters"] =
        json!([path_param("number", "The problem's number"), path_param("incident", "The incident's number")]);
    json!({
        "/api/v1/reports": { "get": report_op },
        "/api/v1/reports/archive": {
            "get": list,
            "post": op("Archive every unit's and the city's report of a period now (supervisors, admins)", "reports", true,
                Some(body(json!({ "type": "object", "required": ["period"], "additionalProperties": false, "properties": { "period": text } }))),
                vec![("200", ok("What was archived or already was", json!({ "type": "object", "properties": { "items": { "type": "array" } } }))),
                     ("403", problem("Not a supervisor or admin")), ("422", problem("Invalid period"))]),
        },
        "/api/v1/reports/archive/{id}": { "get": show },
        "/api/v1/reports/archive/{id}/reviews": { "post": review },
        "/api/v1/reports/archive/{id}/{format}": { "get": file_op },
        "/api/v1/reports/evidence": { "get": pack },
        "/api/v1/tickets/{number}/links": { "post": link, "get": linked },
        "/api/v1/tickets/{number}/links/{incident}": { "delete": unlink },
        "/api/v1/telegram/link-codes": { "post": op(
            "A one-time code (15 minutes) to link a Telegram chat: the caller's account (/hubungkan in a private chat), or with `unit` a group chat of that unit (its head, supervisors, admins)",
            "telegram",
            true,
            Some(body(json!({ "type": "object", "additionalProperties": false, "properties": { "unit": text } }))),
            vec![
                ("201", ok("The code", json!({ "type": "object", "properties": {
                    "code": text, "expires_at": { "type": "string", "format": "date-time" }, "unit": { "type": ["string", "null"] }, "how": text } }))),
                ("403", problem("Not staff, or not allowed to link that unit's group")),
                ("422", problem("Unknown unit")),
            ],
        ) },
    })
}

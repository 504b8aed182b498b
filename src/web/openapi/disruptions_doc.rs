//! Status gangguan in the OpenAPI document (issue 19): disruptions, alerts from monitoring and
//! the public status.

use serde_json::{json, Value};

use super::{body, ok, op, path_param, problem, query_param};
use crate::domain::disruption::{DisruptionState, ServiceState};

pub(super) fn disruption_paths() -> Value {
    let text = json!({ "type": "string" });
    let time = json!({ "type": "string", "format": "date-time" });
    let nullable_time = json!({ "type": ["string", "null"], "format": "date-time" });
    let state = json!({ "type": "string", "enum": DisruptionState::names() });
    let service_state = json!({ "type": "string", "enum": ServiceState::names() });
    let update = json!({ "type": "object", "properties": { "at": time, "body": text, "state": state.clone() } });
    let disruption = json!({ "type": "object", "properties": {
        "id": text, "service": text, "service_name": text, "unit": text, "state": state.clone(),
        "state_label": { "type": "string", "description": "gangguan sebagian, gangguan, pemeliharaan (English with ?lang=en)" },
        "title": text, "phase": { "type": "string", "enum": ["current", "scheduled", "ended"] },
        "starts_at": time, "expected_end": nullable_time.clone(), "ended_at": nullable_time, "duration_minutes": { "type": "integer" },
        "problem": { "type": "string", "description": "the problem ticket (staff only)" },
        "source": { "type": "string", "enum": ["staff", "alert"], "description": "staff only" },
        "followers": { "type": "integer", "description": "staff only" },
        "updates": { "type": "array", "items": update, "description": "newest first" } } });
    let new_disruption = json!({ "type": "object", "required": ["service", "state", "title"], "additionalProperties": false, "properties": {
        "service": text, "state": state.clone(), "title": { "type": "string", "maxLength": 200 },
        "update": { "type": "string", "maxLength": 5000, "description": "the first public update" },
        "ticket": { "type": "string", "description": "declare from this ticket: a problem, or an incident (a problem is opened and the incident linked)" },
        "starts_at": { "type": "string", "format": "date-time", "description": "an outage: now when absent, never ahead; maintenance: required" },
        "expected_end": { "type": "string", "format": "date-time", "description": "expected recovery; maintenance: the window's end, required" } } });
    let new_update = json!({ "type": "object", "required": ["body"], "additionalProperties": false, "properties": {
        "body": { "type": "string", "maxLength": 5000 }, "state": state,
        "expected_end": { "type": "string", "format": "date-time" } } });
    let id = || json!([path_param("id", "The disruption's id")]);
    let with = |mut operation: Value, params: Value| {
        operation["parameters"] = params;
        operation
    };
    let service_status = json!({ "type": "object", "properties": {
        "code": text, "name": text, "state": service_state.clone(), "state_label": text,
        "disruption": { "type": "string", "description": "the disruption behind a state other than normal" },
        "uptime_90d": { "type": "number", "description": "percent of the last 90 days without an outage (maintenance counts as up)" },
        "disruptions_90d": { "type": "integer" }, "downtime_minutes_90d": { "type": "integer" } } });
    let status = json!({ "type": "object", "properties": {
        "generated_at": time, "window_days": { "type": "integer" }, "overall": service_state.clone(),
        "current": { "type": "array", "items": disruption.clone() }, "scheduled": { "type": "array", "items": disruption.clone() },
        "units": { "type": "array", "items": { "type": "object", "properties": {
            "code": text, "name": text, "services": { "type": "array", "items": service_status } } } } } });
    let history = json!({ "type": "object", "properties": {
        "code": text, "name": text, "unit": text, "state": service_state, "state_label": text,
        "uptime_90d": { "type": "number" }, "window_days": { "type": "integer" },
        "disruptions": { "type": "array", "items": disruption.clone() } } });
    let outcome = json!({ "type": "object", "properties": { "results": { "type": "array", "items": { "type": "object", "properties": {
        "fingerprint": text,
        "outcome": { "type": "string", "enum": ["ticket_opened", "ticket_updated", "ticket_reopened", "repeated", "resolved", "unknown_service"] },
        "ticket": text, "disruption": text } } } } });
    let generic_alert = json!({ "type": "object", "required": ["service", "status", "summary"], "additionalProperties": false, "properties": {
        "service": { "type": "string", "description": "the service's code, as a label (service=\"SIMPUS\")" },
        "status": { "type": "string", "enum": ["firing", "resolved"] }, "summary": text,
        "fingerprint": { "type": "string", "description": "de-duplicates repeats; the service when absent" } } });
    let alert_view = json!({ "type": "object", "properties": {
        "fingerprint": text, "source": { "type": "string", "enum": ["alertmanager", "generic"] }, "service_label": text,
        "service": { "type": ["string", "null"], "description": "null: no service has that code" },
        "status": { "type": "string", "enum": ["firing", "resolved"] }, "summary": text, "ticket": { "type": ["string", "null"] },
        "received": { "type": "integer" }, "first_seen_at": time, "last_received_at": time } });
    let alert_security = json!([{ "bearer": [] }]);
    let lang = json!([query_param("lang", "en for English state labels")]);
    let mut alertmanager = op(
        "Alertmanager's webhook (version 4), bearer token MEJA_ALERT_TOKEN: a firing alert opens or updates one tier-2 problem per service",
        "status",
        false,
        Some(body(json!({ "type": "object", "required": ["version", "alerts"], "description": "Alertmanager's webhook payload; labels.service names the service" }))),
        vec![("200", ok("What became of each alert", outcome.clone())), ("401", problem("No or wrong alert token; nothing stored")),
             ("422", problem("Not version 4, or a status other than firing/resolved"))],
    );
    alertmanager["security"] = alert_security.clone();
    let mut generic = op(
        "A monitoring alert in the generic form (one or a list), bearer token MEJA_ALERT_TOKEN",
        "status",
        false,
        Some(body(json!({ "oneOf": [generic_alert.clone(), { "type": "array", "items": generic_alert }] }))),
        vec![
            ("200", ok("What became of each alert", outcome)),
            ("401", problem("No or wrong alert token; nothing stored")),
            ("422", problem("Invalid field")),
        ],
    );
    generic["security"] = alert_security;
    json!({
        "/api/v1/disruptions": {
            "get": op("Running, announced and (90 days) ended disruptions (staff)", "status", true, None,
                vec![("200", ok("Disruptions", json!({ "type": "object", "properties": { "items": { "type": "array", "items": disruption.clone() } } }))),
                     ("403", problem("Not staff"))]),
            "post": op("Declare a disruption or announce maintenance (the service's tier 1, tier 2, supervisors, admins)", "status", true,
                Some(body(new_disruption)),
                vec![("201", ok("Declared", disruption.clone())), ("403", problem("May not manage this service's disruptions")),
                     ("409", problem("The service is already disrupted, or the maintenance window overlaps another")),
                     ("422", problem("Invalid field"))]),
        },
        "/api/v1/disruptions/{id}": { "get": with(op("One disruption (staff)", "status", true, None,
            vec![("200", ok("The disruption", disruption.clone())), ("403", problem("Not staff")), ("404", problem("No such disruption"))]), id()) },
        "/api/v1/disruptions/{id}/updates": { "post": with(op("Publish an update; followers hear it on their channel", "status", true, Some(body(new_update)),
            vec![("201", ok("The disruption", disruption.clone())), ("403", problem("May not manage this service's disruptions")),
                 ("404", problem("No such disruption")), ("409", problem("The disruption has ended")), ("422", problem("Invalid field"))]), id()) },
        "/api/v1/disruptions/{id}/end": { "post": with(op("End a disruption with a closing update", "status", true,
            Some(json!({ "required": false, "content": { "application/json": { "schema": { "type": "object", "additionalProperties": false,
                "properties": { "update": { "type": "string", "maxLength": 5000 } } } } } })),
            vec![("200", ok("The disruption", disruption)), ("403", problem("May not manage this service's disruptions")),
                 ("404", problem("No such disruption")), ("409", problem("Already ended"))]), id()) },
        "/api/v1/alerts": {
            "get": with(op("The newest alerts (admins, supervisors, tier 2)", "status", true, None,
                vec![("200", ok("Alerts", json!({ "type": "object", "properties": { "items": { "type": "array", "items": alert_view } } }))),
                     ("403", problem("Not an admin, supervisor or tier-2 agent"))]),
                json!([query_param("unknown", "true: only alerts for services nobody knows")])),
            "post": generic,
        },
        "/api/v1/alerts/alertmanager": { "post": alertmanager },
        "/api/v1/public/status": { "get": with(op("Every service's state, current and scheduled disruptions, 90-day uptime (public)", "public", false, None,
            vec![("200", ok("The status page as JSON", status))]), lang.clone()) },
        "/api/v1/public/status/{service}": { "get": with(op("One service's last 90 days (public)", "public", false, None,
            vec![("200", ok("The service's history", history)), ("404", problem("No active service with that code"))]),
            json!([path_param("service", "The service's code"), query_param("lang", "en for English state labels")])) },
    })
}

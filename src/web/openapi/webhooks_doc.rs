//! The webhook endpoints in the OpenAPI document (SPEC 5).

use serde_json::{json, Value};

use super::{body, ok, op, path_param, problem, query_param};
use crate::domain::webhook::{ALL, EVENTS, PING};

pub(super) fn webhook_paths() -> Value {
    let text = json!({ "type": "string" });
    let time = json!({ "type": "string", "format": "date-time" });
    let mut names: Vec<&str> = vec![ALL];
    names.extend(EVENTS);
    let event = json!({ "type": "string", "enum": names });
    let webhook = json!({ "type": "object", "properties": {
        "id": text, "url": { "type": "string", "format": "uri" }, "events": { "type": "array", "items": event.clone() },
        "active": { "type": "boolean" }, "disabled_reason": { "type": ["string", "null"] },
        "created_at": time, "created_by": { "type": ["string", "null"] },
        "queued": { "type": "integer", "description": "Deliveries waiting to be sent or retried" } } });
    let mut created = webhook.clone();
    if let Some(props) = created["properties"].as_object_mut() {
        props.insert("secret".into(), json!({ "type": "string",
            "description": "Signs every delivery (X-Meja-Signature: sha256=<hex HMAC-SHA256(secret, raw body)>); shown only in this answer" }));
    }
    let new_webhook = json!({ "type": "object", "required": ["url", "events"], "additionalProperties": false, "properties": {
        "url": { "type": "string", "format": "uri", "description": "http or https; no credentials in the URL" },
        "events": { "type": "array", "minItems": 1, "items": event },
        "secret": { "type": "string", "minLength": 16, "maxLength": 200, "description": "Generated when absent" } } });
    let delivery = json!({ "type": "object", "properties": {
        "id": text, "delivery": { "type": "string", "description": "The X-Meja-Delivery header, the same on every attempt" },
        "event": text, "ticket": { "type": ["string", "null"] }, "attempt": { "type": "integer" },
        "outcome": { "type": "string", "enum": ["delivered", "retrying", "given_up"] },
        "status_code": { "type": ["integer", "null"] }, "response_excerpt": { "type": ["string", "null"], "maxLength": 500 },
        "error": { "type": ["string", "null"] }, "duration_ms": { "type": "integer" },
        "attempted_at": time, "next_attempt_at": { "type": ["string", "null"], "format": "date-time" } } });
    let id = json!([path_param("id", "The webhook's id")]);
    let forbidden = || problem("Not an admin");
    let missing = || problem("No such webhook");
    let mut show = op(
        "One webhook (admin)",
        "webhooks",
        true,
        None,
        vec![("200", ok("The webhook", webhook.clone())), ("403", forbidden()), ("404", missing())],
    );
    show["parameters"] = id.clone();
    let mut patch = op(
        "Switch deliveries on or off (admin)",
        "webhooks",
        true,
        Some(body(json!({ "type": "object", "required": ["active"], "additionalProperties": false,
            "properties": { "active": { "type": "boolean" } } }))),
        vec![("200", ok("The webhook", webhook.clone())), ("403", forbidden()), ("404", missing())],
    );
    patch["parameters"] = id.clone();
    let mut delete = op(
        "Delete a webhook and its delivery log; queued deliveries are not sent (admin)",
        "webhooks",
        true,
        None,
        vec![("204", json!({ "description": "Deleted" })), ("403", forbidden()), ("404", missing())],
    );
    delete["parameters"] = id.clone();
    let mut log = op(
        "The delivery log, newest attempt first (admin)",
        "webhooks",
        true,
        None,
        vec![
            (
                "200",
                ok(
                    "Attempts",
                    json!({ "type": "object", "properties": { "items": { "type": "array", "items": delivery } } }),
                ),
            ),
            ("403", forbidden()),
            ("404", missing()),
            ("422", problem("limit outside 1-500")),
        ],
    );
    let mut log_params = id.clone();
    if let Some(list) = log_params.as_array_mut() {
        list.push(query_param("limit", "1..500, default 50"));
    }
    log["parameters"] = log_params;
    let mut test = op(
        &format!("Queue a `{PING}` delivery to this webhook (admin)"),
        "webhooks",
        true,
        None,
        vec![
            (
                "202",
                ok(
                    "Queued",
                    json!({ "type": "object", "properties": { "delivery": text, "event": { "type": "string", "enum": [PING] } } }),
                ),
            ),
            ("403", forbidden()),
            ("404", missing()),
            ("409", problem("The webhook is switched off")),
        ],
    );
    test["parameters"] = id;
    json!({
        "/api/v1/webhooks": {
            "get": op("List webhooks (admin); secrets are never shown", "webhooks", true, None,
                vec![("200", ok("Webhooks", json!({ "type": "object", "properties": { "items": { "type": "array", "items": webhook } } }))), ("403", forbidden())]),
            "post": op("Subscribe an URL to ticket events (admin); the answer shows the secret once", "webhooks", true, Some(body(new_webhook)),
                vec![("201", ok("Created, with its secret", created)), ("403", forbidden()), ("409", problem("Too many webhooks")),
                    ("422", problem("Invalid url, events or secret"))]),
        },
        "/api/v1/webhooks/{id}": { "get": show, "patch": patch, "delete": delete },
        "/api/v1/webhooks/{id}/deliveries": { "get": log },
        "/api/v1/webhooks/{id}/test": { "post": test },
    })
}

//! What the desk sent about a ticket, on every channel, in the OpenAPI document (issue 16).

use serde_json::{json, Value};

use super::{ok, op, path_param, problem};

pub(super) fn channel_paths() -> Value {
    let text = json!({ "type": "string" });
    let time = json!({ "type": "string", "format": "date-time" });
    let maybe_time = json!({ "type": ["string", "null"], "format": "date-time" });
    let maybe_text = json!({ "type": ["string", "null"] });
    let delivery = json!({ "type": "object", "properties": {
        "id": text, "channel": { "type": "string", "enum": ["email", "telegram", "whatsapp", "webhook"] },
        "recipient": text, "notice": text,
        "state": { "type": "string", "enum": ["delivered", "waiting", "given_up"] },
        "attempts": { "type": "integer" }, "created_at": time, "delivered_at": maybe_time,
        "note": maybe_text,
        "remote_status": { "type": ["string", "null"], "description": "WhatsApp: sent, delivered, read, or failed:<Meta's code>" },
        "remote_status_at": maybe_time } });
    let window = json!({ "type": "object", "properties": {
        "wa_id": text, "open_until": maybe_time, "open": { "type": "boolean" }, "opted_out": { "type": "boolean" } } });
    let mut deliveries = op(
        "What the desk sent about the ticket on every channel and what became of it, and the WhatsApp 24-hour window of the requester's number (staff)",
        "tickets",
        true,
        None,
        vec![
            ("200", ok("Deliveries, oldest first", json!({ "type": "object", "properties": {
                "items": { "type": "array", "items": delivery }, "whatsapp": { "type": "array", "items": window } } }))),
            ("403", problem("Not staff")),
            ("404", problem("No such ticket in the caller's scope")),
        ],
    );
    deliveries["parameters"] = json!([path_param("number", "Ticket number")]);
    json!({ "/api/v1/tickets/{number}/deliveries": { "get": deliveries } })
}

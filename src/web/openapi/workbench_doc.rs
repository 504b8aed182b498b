//! The agent's workbench (issue 15) in the OpenAPI document: bulk actions.

use serde_json::{json, Value};

use super::{body, ok, op, problem};
use crate::desk::tickets::bulk::{BULK_ACTIONS, MAX_BULK};
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
    json!({
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

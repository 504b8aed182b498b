//! The directory's group mappings and bulk onboarding, in the OpenAPI document.

use serde_json::{json, Value};

use super::{body, ok, op, path_param, problem, Role};

pub(super) fn directory_paths() -> Value {
    let mapping = json!({ "type": "object", "required": ["group", "role"], "additionalProperties": false, "properties": {
        "group": { "type": "string", "description": "a directory group's DN or name (cn), or a value of the SSO groups claim; case is ignored" },
        "role": { "type": "string", "enum": Role::names() },
        "unit": { "type": ["string", "null"], "description": "a unit code; required for agents and unit heads" } } });
    let list = json!({ "type": "array", "items": mapping, "description": "in the order tried: the first mapping that matches one of a person's groups decides" });
    let line_error = json!({ "type": "object", "properties": {
        "line": { "type": "integer", "description": "the header is line 1" }, "field": { "type": "string" }, "detail": { "type": "string" } } });
    let report = json!({ "type": "object", "properties": {
        "kind": { "type": "string", "enum": ["units", "services", "users"] },
        "lines": { "type": "integer", "description": "data lines read" },
        "errors": { "type": "array", "items": line_error },
        "applied": { "type": "boolean" }, "created": { "type": "integer" },
        "invited": { "type": "integer", "description": "people mailed a link to choose their password" } } });
    let mut import = op(
        "Bulk onboarding from CSV (admin): units code,name,tier2; services code,name,unit; users username,name,email,phone,role,unit,nip[,sign_in]. Without apply=true only a preview; with it, all lines or none",
        "catalogue",
        true,
        Some(json!({ "required": true, "content": { "text/csv": { "schema": { "type": "string" } } } })),
        vec![
            ("200", ok("The report: a preview, or what was imported", report.clone())),
            ("403", problem("Not an admin")),
            ("404", problem("Not units, services or users")),
            ("413", problem("Larger than 8 MB")),
            ("422", ok("Bad lines, each named with its line and field; nothing was written", report)),
        ],
    );
    import["parameters"] = json!([
        path_param("kind", "units, services or users"),
        { "name": "apply", "in": "query", "required": false, "description": "true: import (all lines or none); otherwise a preview", "schema": { "type": "boolean" } },
    ]);
    json!({
        "/api/v1/directory/group-mappings": {
            "get": op("Directory groups mapped to a role and unit (admin), in the order tried", "catalogue", true, None, vec![
                ("200", ok("The mappings", list.clone())), ("403", problem("Not an admin")),
            ]),
            "put": op("Replace the mappings (admin); a bad entry is named by its position and field", "catalogue", true, Some(body(list.clone())), vec![
                ("200", ok("The mappings now", list)), ("403", problem("Not an admin")),
                ("422", problem("A bad entry: an unknown role or unit, a role without its unit, a group twice")),
            ]),
        },
        "/api/v1/import/{kind}": { "post": import },
    })
}

//! People, units and services over their lifetime, and passwords, in the OpenAPI document.

use serde_json::{json, Value};

use super::{body, ok, op, path_param, problem, reference, Role};

pub(super) fn account_paths() -> Value {
    let text = json!({ "type": "string" });
    let user_patch = json!({ "type": "object", "additionalProperties": false, "properties": {
        "name": text, "email": { "type": "string", "description": "empty clears it" },
        "phone": { "type": "string", "description": "empty clears it" },
        "nip": { "type": "string", "description": "18 digits (YYYYMMDD YYYYMM G NNN); empty clears it" },
        "role": { "type": "string", "enum": Role::names() }, "unit": { "type": "string", "description": "a unit code; empty for none" },
        "language": { "type": "string", "enum": ["id", "en"] },
        "active": { "type": "boolean", "description": "false ends every session and token at once and returns open tickets to the unit's queue" } } });
    let catalog_patch = json!({ "type": "object", "additionalProperties": false, "properties": {
        "name": text, "active": { "type": "boolean", "description": "false: retired, gone from intake, kept in history" },
        "email": { "type": "string", "description": "units only; empty clears it" },
        "alert_declares": { "type": "boolean", "description": "services only: a firing alert also declares the service disrupted" } } });
    let temporary = json!({ "type": "object", "additionalProperties": false, "properties": {
        "password": { "type": "string", "format": "password", "minLength": 12, "description": "absent: one is made up and returned once" } } });
    let temporary_set = json!({ "type": "object", "properties": {
        "username": text, "password": { "type": "string", "description": "only when made up: shown this once" },
        "must_change": { "type": "boolean" } } });
    let change = json!({ "type": "object", "required": ["current", "new"], "additionalProperties": false, "properties": {
        "username": { "type": "string", "description": "only without a token, while a temporary password waits to be changed" },
        "current": { "type": "string", "format": "password" }, "new": { "type": "string", "format": "password", "minLength": 12 } } });
    let totp_body = json!({ "type": "object", "additionalProperties": false, "properties": {
        "username": { "type": "string", "description": "without a token: the account enrolling" },
        "password": { "type": "string", "format": "password", "description": "without a token" },
        "code": { "type": "string", "description": "the six digits of the app (confirm)" } } });
    let with = |mut o: Value, name: &str, description: &str| {
        o["parameters"] = json!([path_param(name, description)]);
        o
    };
    json!({
        "/api/v1/users/{username}": { "patch": with(op("Change a person (admin)", "catalogue", true, Some(body(user_patch)), vec![
            ("200", ok("The person", reference("User"))), ("403", problem("Not an admin")), ("404", problem("No such user")),
            ("422", problem("Invalid field, or switching off oneself or the last admin")),
        ]), "username", "Username") },
        "/api/v1/users/{username}/password": { "post": with(op("Give a temporary password (admin); their sessions end", "catalogue", true, Some(json!({ "required": false, "content": { "application/json": { "schema": temporary } } })), vec![
            ("200", ok("Set; must be changed at the next sign-in", temporary_set)), ("403", problem("Not an admin")),
            ("404", problem("No such user")), ("422", problem("The chosen password breaks the policy")),
        ]), "username", "Username") },
        "/api/v1/users/{username}/totp": { "delete": with(op("Turn off a person's second factor (admin): a lost phone and lost recovery codes", "catalogue", true, None, vec![
            ("204", json!({ "description": "Off; a required role enrols again at the next sign-in" })), ("403", problem("Not an admin")),
            ("404", problem("No such user")),
        ]), "username", "Username") },
        "/api/v1/auth/password": { "post": {
            "summary": "Change one's own password (with a token), or a temporary one (without: username, current, new); other sessions end",
            "tags": ["auth"], "security": [{ "bearer": [] }, {}], "requestBody": body(change),
            "responses": {
                "204": { "description": "Changed" }, "400": problem("Malformed request"),
                "401": problem("Wrong current password, or no token and no temporary password to change"),
                "422": problem("The new password breaks the policy: 12+ characters, not the username, not common"),
            } } },
        "/api/v1/auth/password-reset": { "post": {
            "summary": "Lupa kata sandi: mail a single-use link valid 30 minutes to the account's address; the same answer whether or not the account exists",
            "tags": ["auth"], "security": [],
            "requestBody": body(json!({ "type": "object", "required": ["login"], "additionalProperties": false,
                "properties": { "login": { "type": "string", "description": "username or e-mail address" } } })),
            "responses": { "202": ok("Accepted", json!({ "type": "object", "properties": { "detail": text } })),
                "400": problem("Malformed request"), "422": problem("Empty login") } } },
        "/api/v1/auth/password-reset/confirm": { "post": {
            "summary": "Set a new password with the link's token; every session ends",
            "tags": ["auth"], "security": [],
            "requestBody": body(json!({ "type": "object", "required": ["token", "new"], "additionalProperties": false,
                "properties": { "token": text, "new": { "type": "string", "format": "password", "minLength": 12 } } })),
            "responses": { "204": { "description": "Set" }, "400": problem("Malformed request"),
                "422": problem("The link is unknown, used or expired (field token), or the password breaks the policy") } } },
        "/api/v1/auth/totp": {
            "post": {
                "summary": "Begin enrolling a second factor (TOTP): a secret and its otpauth URI; with a token, or without one with username and password",
                "tags": ["auth"], "security": [{ "bearer": [] }, {}],
                "requestBody": { "required": false, "content": { "application/json": { "schema": totp_body.clone() } } },
                "responses": { "200": ok("Begun", json!({ "type": "object", "properties": { "otpauth_uri": text, "secret": text } })),
                    "400": problem("Malformed request"), "401": problem("No token, or a wrong username or password"),
                    "403": problem("A temporary password to change first"), "409": problem("Already enrolled"),
                    "429": problem("Too many failed sign-ins") } },
            "delete": op("Turn one's own second factor off", "auth", true, None, vec![("204", json!({ "description": "Off" }))]),
        },
        "/api/v1/auth/totp/confirm": { "post": {
            "summary": "Confirm the enrolment with a code: ten single-use recovery codes, shown once",
            "tags": ["auth"], "security": [{ "bearer": [] }, {}], "requestBody": body(totp_body),
            "responses": { "200": ok("On", json!({ "type": "object", "properties": { "recovery_codes": { "type": "array", "items": text } } })),
                "400": problem("Malformed request"), "401": problem("No token, or a wrong username or password"),
                "403": problem("A temporary password to change first"), "409": problem("No enrolment begun"),
                "422": problem("Wrong code"), "429": problem("Too many failed sign-ins") } } },
        "/api/v1/auth/sessions": {
            "get": { "summary": "One's live sessions and tokens (admins: ?user= for anyone's)", "tags": ["auth"], "security": [{ "bearer": [] }],
                "parameters": [{ "name": "user", "in": "query", "required": false, "schema": { "type": "string" } }],
                "responses": { "200": ok("Sessions", json!({ "type": "object", "properties": { "items": { "type": "array", "items": { "type": "object", "properties": {
                        "id": text, "label": text, "created_at": { "type": "string", "format": "date-time" },
                        "last_used_at": { "type": ["string", "null"], "format": "date-time" }, "expires_at": { "type": "string", "format": "date-time" },
                        "address": { "type": ["string", "null"] }, "browser": { "type": ["string", "null"] }, "user_agent": { "type": ["string", "null"] },
                        "current": { "type": "boolean" } } } } } })),
                    "400": problem("Malformed request"), "401": problem("Missing, expired or revoked token"),
                    "403": problem("Another person's, and not an admin"), "404": problem("No such user") } },
            "delete": { "summary": "Sign out everywhere else (admins: ?user= ends all of that person's)", "tags": ["auth"], "security": [{ "bearer": [] }],
                "parameters": [{ "name": "user", "in": "query", "required": false, "schema": { "type": "string" } }],
                "responses": { "200": ok("Ended", json!({ "type": "object", "properties": { "ended": { "type": "integer" } } })),
                    "400": problem("Malformed request"), "401": problem("Missing, expired or revoked token"),
                    "403": problem("Another person's, and not an admin"), "404": problem("No such user") } },
        },
        "/api/v1/auth/signins": { "get": {
            "summary": "The sign-in log, newest first (admins)", "tags": ["auth"], "security": [{ "bearer": [] }],
            "parameters": [{ "name": "user", "in": "query", "required": false, "schema": { "type": "string" } }],
            "responses": { "200": ok("Entries", json!({ "type": "object", "properties": { "items": { "type": "array", "items": { "type": "object", "properties": {
                    "at": { "type": "string", "format": "date-time" }, "username": text, "address": text,
                    "method": { "type": "string", "enum": ["password", "totp", "recovery", "ldap", "oidc"] },
                    "outcome": { "type": "string", "enum": ["ok", "failed", "refused"] }, "reason": { "type": ["string", "null"] } } } } } })),
                "400": problem("Malformed request"), "401": problem("Missing, expired or revoked token"), "403": problem("Not an admin") } } },
        "/api/v1/units/{code}": { "patch": with(op("Rename or retire a unit (admin)", "catalogue", true, Some(body(catalog_patch.clone())), vec![
            ("200", ok("The unit", reference("Unit"))), ("403", problem("Not an admin")), ("404", problem("No such unit")),
            ("422", problem("Invalid field, or retiring the tier-2 unit")),
        ]), "code", "Unit code") },
        "/api/v1/services/{code}": { "patch": with(op("Rename or retire a service (admin)", "catalogue", true, Some(body(catalog_patch)), vec![
            ("200", ok("The service", reference("Service"))), ("403", problem("Not an admin")), ("404", problem("No such service")),
            ("422", problem("Invalid field")),
        ]), "code", "Service code") },
    })
}

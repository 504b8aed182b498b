//! Webhooks (SPEC 5): which ticket events a subscription may ask for, what of an event leaves
//! the desk, how a delivery is signed and how often a failed one is retried. No I/O here.
//!
//! What leaves: payloads carry the ticket's number and state (status, tier, priority, unit,
//! service, due times) and the event's structured facts. They never carry a requester's
//! identity (name, e-mail, phone, Telegram id), titles, descriptions, message text or the
//! free text staff type (reasons, notes, resolutions): such text may hold personal data (UU
//! 27/2022 on personal data protection), and a receiver that needs it reads the ticket through
//! the API under its own token's scope. Of a confidential ticket only the number and status
//! leave. Internal notes never cause a delivery at all.

use hmac::{Hmac, Mac};
use serde_json::{Map, Value};
use sha2::Sha256;

/// The events a webhook may subscribe to; `*` subscribes to all of them.
pub const EVENTS: [&str; 23] = [
    "ticket.created",
    "ticket.assigned",
    "ticket.started",
    "ticket.pending",
    "ticket.resumed",
    "ticket.resolved",
    "ticket.closed",
    "ticket.reopened",
    "ticket.cancelled",
    "ticket.escalated",
    "ticket.returned",
    "ticket.transferred",
    "ticket.priority_changed",
    "ticket.linked",
    "message.added",
    "sla.warning",
    "sla.breached",
    "csat.rated",
    "incident.flagged",
    "incident.notice_warning",
    "incident.notice_breached",
    "incident.notice_generated",
    "incident.breach_notified",
];

/// Every subscribed event.
pub const ALL: &str = "*";

/// The event `POST /api/v1/webhooks/{id}/test` sends; it goes to that webhook only.
pub const PING: &str = "ping";

/// The header that carries the signature: `sha256=<hex HMAC-SHA256(secret, raw body)>`.
pub const SIGNATURE_HEADER: &str = "X-Meja-Signature";

/// Waits after the 1st, 2nd… failed attempt (1, 5, 15 minutes, 1, 3, 12 hours); after the
/// last the delivery is given up: seven attempts over about 16 hours.
pub const BACKOFF_SECONDS: [i64; 6] = [60, 300, 900, 3600, 3 * 3600, 12 * 3600];

/// How much of a receiver's answer the delivery log keeps.
pub const EXCERPT_CHARS: usize = 500;

/// The subscribed events, checked and normalised (sorted, without duplicates); `*` stands
/// alone. The error names what is wrong, for a problem document on field `events`.
pub fn parse_events<S: AsRef<str>>(given: &[S]) -> Result<Vec<String>, String> {
    let mut events: Vec<String> = given.iter().map(|e| e.as_ref().trim().to_string()).collect();
    if events.is_empty() || events.iter().all(String::is_empty) {
        return Err(format!("name at least one event, or {ALL} for all: {}", EVENTS.join(", ")));
    }
    if events.iter().any(|e| e == ALL) {
        return Ok(vec![ALL.to_string()]);
    }
    if let Some(unknown) = events.iter().find(|e| !EVENTS.contains(&e.as_str())) {
        return Err(format!("unknown event {unknown:?}; one of {ALL}, {}", EVENTS.join(", ")));
    }
    events.sort();
    events.dedup();
    Ok(events)
}

/// Whether a subscription to `events` (as stored: comma-separated) receives `kind`.
pub fn subscribes(events: &[String], kind: &str) -> bool {
    EVENTS.contains(&kind) && events.iter().any(|e| e == ALL || e == kind)
}

/// A receiver's address: http or https with a host, no credentials, at most 2,000 characters.
pub fn check_url(text: &str) -> Result<url::Url, String> {
    let text = text.trim();
    if text.len() > 2000 {
        return Err("at most 2,000 characters".into());
    }
    let url = url::Url::parse(text).map_err(|e| format!("not a URL ({e})"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("only http and https URLs are delivered to, not {}:", url.scheme()));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err("the URL needs a host".into());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("no credentials in the URL: the receiver checks the signature instead".into());
    }
    Ok(url)
}

/// A secret chosen by the caller: 16 to 200 printable ASCII characters.
pub fn check_secret(secret: &str) -> Result<(), String> {
    let ok_chars = secret.chars().all(|c| c.is_ascii_graphic());
    if !(16..=200).contains(&secret.len()) || !ok_chars {
        return Err("16 to 200 printable ASCII characters without spaces".into());
    }
    Ok(())
}

/// `sha256=` and the hex HMAC-SHA256 of `body` under `secret`.
pub fn signature(secret: &str, body: &[u8]) -> String {
    // HMAC takes keys of any length; `new_from_slice` cannot fail for it.
    match Hmac::<Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(mut mac) => {
            mac.update(body);
            format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
        }
        Err(_) => String::new(),
    }
}

/// What a receiver does: recompute the signature of the raw body and compare in constant time.
pub fn verify(secret: &str, body: &[u8], header: &str) -> bool {
    let Some(hex_part) = header.trim().strip_prefix("sha256=") else { return false };
    let Ok(given) = hex::decode(hex_part) else { return false };
    match Hmac::<Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(mut mac) => {
            mac.update(body);
            mac.verify_slice(&given).is_ok()
        }
        Err(_) => false,
    }
}

/// The facts of an event's audit data that may leave the desk: states, codes, due times,
/// numbers and staff usernames. Free text (`reason`, `note`, `resolution`, `comment`) and
/// anything not listed stay in.
const PUBLIC_DATA: [&str; 36] = [
    "from_status",
    "to_status",
    "from",
    "to",
    "kind",
    "unit",
    "service",
    "tier",
    "priority",
    "classification",
    "channel",
    "security_incident",
    "first_response_due",
    "resolution_due",
    "paused_minutes",
    "message_id",
    "first_response",
    "reopened",
    "resumed",
    "from_unit",
    "to_unit",
    "from_priority",
    "to_priority",
    "automatic",
    "target",
    "percent",
    "due",
    "at",
    "rating",
    "follow_up_of",
    "incident",
    "personal_data_breach",
    "incident_notice_due",
    "breach_notice_due",
    "clock",
    "within_24_hours",
];

/// The `data` of a delivery: the listed facts of the audit data; for a confidential ticket
/// nothing.
pub fn public_data(data: &Value, confidential: bool) -> Value {
    let mut out = Map::new();
    if confidential {
        return Value::Object(out);
    }
    if let Some(map) = data.as_object() {
        for (key, value) in map {
            if PUBLIC_DATA.contains(&key.as_str()) {
                out.insert(key.clone(), value.clone());
            }
        }
    }
    Value::Object(out)
}

/// Whether an audit event becomes a delivery at all: internal notes never do.
pub fn is_deliverable(kind: &str, data: &Value) -> bool {
    !(kind == "message.added" && data["internal"].as_bool().unwrap_or(true))
}

/// When to try again after the `attempt`-th failure (1-based), or `None` to give up.
pub fn retry_after(attempt: usize) -> Option<i64> {
    attempt.checked_sub(1).and_then(|i| BACKOFF_SECONDS.get(i)).copied()
}

/// The first [`EXCERPT_CHARS`] characters of a receiver's answer.
pub fn excerpt(body: &str) -> String {
    body.chars().take(EXCERPT_CHARS).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn events_are_checked_and_normalised() {
        assert_eq!(
            parse_events(&["ticket.escalated", "ticket.created", "ticket.created"]).expect("ok"),
            ["ticket.created", "ticket.escalated"]
        );
        assert_eq!(parse_events(&["ticket.created", "*"]).expect("ok"), ["*"]);
        assert!(parse_events::<&str>(&[]).is_err());
        assert!(parse_events(&["auth.token_issued"]).expect_err("not a ticket event").contains("auth.token_issued"));
        assert!(subscribes(&["*".into()], "sla.breached"));
        assert!(!subscribes(&["*".into()], "auth.token_issued"), "* is every ticket event, not every audit event");
        assert!(!subscribes(&["ticket.created".into()], "ticket.closed"));
    }

    #[test]
    fn only_http_and_https_receivers() {
        assert!(check_url("https://hooks.example.go.id/meja").is_ok());
        assert!(check_url("http://127.0.0.1:8080/x").is_ok());
        assert!(check_url("ftp://example.go.id/").is_err());
        assert!(check_url("file:///etc/passwd").is_err());
        assert!(check_url("javascript:alert(1)").is_err());
        assert!(check_url("https://user:pw@example.go.id/").is_err());
        assert!(check_url("not a url").is_err());
    }

    #[test]
    fn a_signature_verifies_and_a_tampered_body_does_not() {
        // RFC 4231 test case 2.
        assert_eq!(
            signature("Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        let body = br#"{"event":"ticket.created"}"#;
        let sig = signature("rahasia-penerima-uji", body);
        assert!(verify("rahasia-penerima-uji", body, &sig));
        assert!(!verify("rahasia-penerima-uji", br#"{"event":"ticket.closed"}"#, &sig));
        assert!(!verify("rahasia-lain-sekali", body, &sig));
        assert!(!verify("rahasia-penerima-uji", body, "sha256=zz"));
    }

    #[test]
    fn free_text_and_confidential_facts_stay_in() {
        let data =
            json!({ "from_status": "open", "to_status": "open", "reason": "Bu Siti (0812…) minta", "note": "x" });
        assert_eq!(public_data(&data, false), json!({ "from_status": "open", "to_status": "open" }));
        assert_eq!(public_data(&data, true), json!({}));
        assert!(!is_deliverable("message.added", &json!({ "internal": true })));
        assert!(is_deliverable("message.added", &json!({ "internal": false })));
        assert!(is_deliverable("ticket.created", &json!({})));
    }

    #[test]
    fn backoff_then_give_up() {
        assert_eq!(retry_after(1), Some(60));
        assert_eq!(retry_after(6), Some(12 * 3600));
        assert_eq!(retry_after(7), None);
        assert_eq!(retry_after(0), None);
    }
}

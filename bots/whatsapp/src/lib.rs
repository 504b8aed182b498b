//! The WhatsApp channel of meja (issue 16), over Meta's WhatsApp Business Cloud API: webhook
//! signatures, the webhook payloads turned into the shared conversation's [`Input`], and the
//! conversation's answers rendered as WhatsApp messages (text, reply buttons, lists, templates)
//! within the limits Meta sets. The dialogue itself lives in `meja-conversation`, shared with
//! Telegram; the crate knows nothing of databases or HTTP clients.

pub mod payload;
pub mod render;
pub mod signature;

pub use meja_conversation::*;

/// Meta's error codes that mean "too many, try later", whatever the HTTP status they came
/// with (400 or 429): pair rate limit, spam rate limit, throughput, the app's rate limit.
pub const RATE_LIMIT_CODES: [i64; 4] = [130429, 131056, 131048, 80007];

/// The code of a free-form message sent outside the 24-hour window (re-engagement): Meta
/// accepts it and fails it later in a status callback.
pub const OUTSIDE_WINDOW: i64 = 131047;

/// Whether a refused send is worth trying again: server errors and Meta's rate limits (by the
/// code in the body, not the status); every other 4xx is final.
pub fn retryable(status: u16, body: &serde_json::Value) -> bool {
    let code = body["error"]["code"].as_i64().unwrap_or(0);
    status >= 500 || status == 429 || RATE_LIMIT_CODES.contains(&code)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn rate_limits_retry_by_code_not_status() {
        assert!(retryable(400, &json!({ "error": { "code": 131056 } })));
        assert!(retryable(429, &json!({ "error": { "code": 130429 } })));
        assert!(retryable(400, &json!({ "error": { "code": 80007 } })));
        assert!(retryable(503, &json!({})));
        assert!(!retryable(400, &json!({ "error": { "code": 131026 } })), "undeliverable is final");
        assert!(!retryable(401, &json!({ "error": { "code": 190 } })), "a bad token is final");
    }
}

//! The audit chain (SPEC section 2): `hash = SHA-256(previous_hash || canonical JSON of the event)`.
//! The canonical form is fixed here so that `audit verify` recomputes exactly what was written:
//! sorted keys, no whitespace, timestamps in one format, and the event's data as the exact text
//! stored (so even a trailing space added by hand changes the hash).

use chrono::NaiveDateTime;
use sha2::{Digest, Sha256};

pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The fields of an event that the hash covers: every column except the hashes themselves.
#[derive(Debug, Clone)]
pub struct EventFields<'a> {
    pub seq: i64,
    pub id: &'a str,
    pub ticket_id: Option<&'a str>,
    pub actor_id: Option<&'a str>,
    pub kind: &'a str,
    pub data: &'a str,
    pub created_at: NaiveDateTime,
}

/// Timestamps are stored with microsecond precision on both backends; hashing that exact form
/// keeps the chain verifiable after a round trip through either database.
pub fn canonical_timestamp(at: NaiveDateTime) -> String {
    at.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

pub fn canonical_json(e: &EventFields) -> String {
    // serde_json's map keeps keys sorted, which is the canonical order.
    let value = serde_json::json!({
        "seq": e.seq,
        "id": e.id,
        "ticket_id": e.ticket_id,
        "actor_id": e.actor_id,
        "kind": e.kind,
        "data": e.data,
        "created_at": canonical_timestamp(e.created_at),
    });
    value.to_string()
}

pub fn chain_hash(prev_hash: &str, e: &EventFields) -> String {
    let mut hasher = Sha256::new();
    hasher.update(prev_hash.as_bytes());
    hasher.update(canonical_json(e).as_bytes());
    hex::encode(hasher.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(data: &str) -> EventFields<'_> {
        EventFields {
            seq: 1,
            id: "0190-abc",
            ticket_id: Some("t"),
            actor_id: None,
            kind: "ticket.created",
            data,
            created_at: chrono::DateTime::from_timestamp(1_764_000_000, 123_456_000).expect("timestamp").naive_utc(),
        }
    }

    #[test]
    fn canonical_json_has_sorted_keys_and_no_spaces() {
        let json = canonical_json(&event("{}"));
        assert!(json.starts_with("{\"actor_id\":null,\"created_at\":\"2025-11-24T"));
        assert!(!json.contains(": "));
    }

    #[test]
    fn any_change_changes_the_hash() {
        let a = chain_hash(GENESIS_HASH, &event("{\"x\":1}"));
        let b = chain_hash(GENESIS_HASH, &event("{\"x\":1} "));
        assert_ne!(a, b);
        assert_ne!(a, chain_hash(&a, &event("{\"x\":1}")));
        assert_eq!(a.len(), 64);
    }
}

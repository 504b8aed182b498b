//! The audit chain (SPEC section 2): `hash = SHA-256(previous_hash || canonical JSON of the event)`.
//! The canonical form is fixed here so that `audit verify` recomputes exactly what was written:
//! sorted keys, no whitespace, timestamps in one format, and the event's data as the exact text
//! stored (so even a trailing space added by hand changes the hash).
//!
//! An event holds no free text (issue 20). What staff or senders wrote — a reason, a note, a
//! subject, a slug made from a title — may name a citizen, and an event can never be changed,
//! so the text is kept in a row of its own and the event holds a reference to it with the
//! text's salted SHA-256 ([`text_ref`]). The chain covers the reference and so the commitment;
//! erasing the text (UU 27/2022 Pasal 43) changes no event, and `audit verify` still checks every
//! text that is there against its commitment and names those erased.

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

/// The data fields of each kind of event that carry free text. [`crate::desk::Tx::record`]
/// keeps them out of the event, and the upgrade of old events moves the same fields.
pub const FREE_TEXT_FIELDS: &[(&str, &[&str])] = &[
    ("ticket.pending", &["reason"]),
    ("ticket.reopened", &["reason"]),
    ("ticket.cancelled", &["reason"]),
    ("ticket.escalated", &["reason"]),
    ("ticket.returned", &["note"]),
    ("ticket.transferred", &["reason"]),
    ("incident.flagged", &["reason"]),
    ("incident.cleared", &["reason"]),
    ("incident.breach_notified", &["note"]),
    ("mail.bounced", &["subject"]),
    ("kb.article_created", &["slug"]),
    ("kb.article_updated", &["slug"]),
    ("personal_data.anonymised", &["reason"]),
];

/// The free-text fields of events of `kind`.
pub fn free_text_fields(kind: &str) -> &'static [&'static str] {
    FREE_TEXT_FIELDS.iter().find(|(k, _)| *k == kind).map_or(&[], |(_, fields)| fields)
}

/// The key that marks a reference to a text in an event's data: `{"$text": id, "sha256": …}`.
/// Free text is always a JSON string, so nobody can type a reference.
pub const TEXT_KEY: &str = "$text";

/// What an event holds instead of a text: the text's id and its commitment.
pub fn text_ref(id: &str, sha256: &str) -> serde_json::Value {
    serde_json::json!({ TEXT_KEY: id, "sha256": sha256 })
}

/// A reference read back from an event's data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextRef {
    pub field: String,
    pub id: String,
    pub sha256: String,
}

/// The references among the top-level fields of an event's data, in field order.
pub fn text_refs(data: &serde_json::Value) -> Vec<TextRef> {
    let Some(map) = data.as_object() else { return Vec::new() };
    map.iter()
        .filter_map(|(field, v)| {
            let id = v.get(TEXT_KEY)?.as_str()?;
            let sha256 = v.get("sha256")?.as_str()?;
            Some(TextRef { field: field.clone(), id: id.to_string(), sha256: sha256.to_string() })
        })
        .collect()
}

/// The commitment to a text: SHA-256 of the salt, a zero byte and the text, in hex.
pub fn text_commitment(salt: &str, text: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(salt.as_bytes());
    hasher.update([0u8]);
    hasher.update(text.as_bytes());
    hex::encode(hasher.finalize())
}

/// Takes the free text (string values of `fields`) out of `data`: each is replaced by what
/// `store` returns for it (a reference). `None` and `null` stay as they are.
pub fn separate_texts<E>(
    data: &mut serde_json::Value,
    fields: &[&str],
    mut store: impl FnMut(&str) -> Result<serde_json::Value, E>,
) -> Result<usize, E> {
    let mut moved = 0;
    let Some(map) = data.as_object_mut() else { return Ok(0) };
    for field in fields {
        if let Some(value) = map.get_mut(*field) {
            if let Some(text) = value.as_str() {
                *value = store(text)?;
                moved += 1;
            }
        }
    }
    Ok(moved)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_text_becomes_a_reference_that_commits_to_it() {
        let mut data = serde_json::json!({ "from_status": "open", "reason": "Pak Budi 0812", "x": null });
        let moved = separate_texts::<()>(&mut data, &["reason", "x", "absent"], |text| {
            Ok(text_ref("t1", &text_commitment("garam", text)))
        });
        assert_eq!(moved, Ok(1));
        assert!(!data.to_string().contains("Budi"));
        let refs = text_refs(&data);
        assert_eq!(refs.len(), 1);
        assert_eq!((refs[0].field.as_str(), refs[0].id.as_str()), ("reason", "t1"));
        assert_eq!(refs[0].sha256, text_commitment("garam", "Pak Budi 0812"));
        // The salt matters: without it the commitment of a guess does not match.
        assert_ne!(refs[0].sha256, text_commitment("", "Pak Budi 0812"));
        assert_eq!(free_text_fields("ticket.returned"), &["note"]);
        assert!(free_text_fields("ticket.created").is_empty());
    }

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

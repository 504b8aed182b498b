//! The one-time upgrade of an audit log written before events kept their free text apart
//! (issue 20). Those events hold reasons, notes, subjects and slugs verbatim, and their hashes
//! cover that text, so it cannot be erased without breaking the chain. The upgrade moves each
//! such text into `audit_texts`, exactly as a new event would have kept it, and links the chain
//! again from the first changed event on.
//!
//! Re-linking changes the hashes of those events, which is what the chain exists to prevent,
//! so it is done once, in the open and only on a chain that verifies: the chain is checked
//! first (a broken chain is left as it is, and `audit verify` keeps reporting it), and the
//! head's hash before and after is kept in `audit_upgrades` and in an `audit.relinked` event
//! at the end of the new chain. Whoever holds the old head's hash elsewhere can check it against
//! that event. Runs at start-up after the migrations, under the chain-head lock, so several
//! processes starting at once upgrade once.

use chrono::{DateTime, Utc};
use diesel::Connection;
use serde_json::json;

use super::audit::{verify, Verdict};
use super::writer::new_text;
use super::{DeskError, DeskResult};
use crate::db::audit_texts::{self, UpgradeRow};
use crate::db::events::{self, ChainHead};
use crate::db::DbConn;
use crate::domain::audit::{chain_hash, free_text_fields, separate_texts, text_ref, GENESIS_HASH};

/// The name this upgrade is recorded under.
pub const SEPARATE_FREE_TEXT: &str = "free_text_separated";

const PAGE: i64 = 2_000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Upgrade {
    AlreadyDone,
    /// Done now; `relinked` is 0 when no event held free text (nothing was re-linked).
    Done {
        relinked: i64,
        texts_moved: i64,
    },
    /// The chain does not verify: nothing was changed.
    Refused {
        seq: i64,
        reason: String,
    },
}

pub fn separate_free_text(conn: &mut DbConn, now: DateTime<Utc>) -> DeskResult<Upgrade> {
    conn.transaction::<_, DeskError, _>(|conn| {
        let old_head = events::lock_chain_head(conn)?;
        if audit_texts::upgrade(conn, SEPARATE_FREE_TEXT)?.is_some() {
            return Ok(Upgrade::AlreadyDone);
        }
        if let Verdict::Broken { seq, reason } = verify(conn)? {
            return Ok(Upgrade::Refused { seq, reason });
        }
        let at = now.naive_utc();
        let mut head = ChainHead { seq: 0, hash: GENESIS_HASH.to_string() };
        let mut from_seq = None;
        let mut texts_moved = 0;
        loop {
            let page = events::page_after(conn, head.seq, PAGE)?;
            if page.is_empty() {
                break;
            }
            for mut event in page {
                let fields = free_text_fields(&event.kind);
                if !fields.is_empty() {
                    let mut data: serde_json::Value = serde_json::from_str(&event.data).unwrap_or_default();
                    let mut rows = Vec::new();
                    let moved = separate_texts::<std::convert::Infallible>(&mut data, fields, |text| {
                        let row = new_text(event.ticket_id.as_deref(), text, event.created_at);
                        let reference = text_ref(&row.id, &row.sha256);
                        rows.push(row);
                        Ok(reference)
                    })
                    .unwrap_or_else(|never| match never {});
                    if moved > 0 {
                        audit_texts::insert_all(conn, &rows)?;
                        event.data = data.to_string();
                        texts_moved += moved as i64;
                        from_seq.get_or_insert(event.seq);
                    }
                }
                if from_seq.is_some() {
                    event.prev_hash = head.hash.clone();
                    event.hash = chain_hash(&head.hash, &event.fields());
                    audit_texts::relink_event(conn, event.seq, &event.data, &event.prev_hash, &event.hash)?;
                }
                head = ChainHead { seq: event.seq, hash: event.hash };
            }
        }
        let mut record = UpgradeRow {
            name: SEPARATE_FREE_TEXT.into(),
            done_at: at,
            from_seq,
            to_seq: None,
            old_head_hash: None,
            new_head_hash: None,
            texts_moved,
        };
        let mut relinked = 0;
        if let Some(from) = from_seq {
            relinked = head.seq - from + 1;
            record.to_seq = Some(head.seq);
            record.old_head_hash = Some(old_head.hash.clone());
            record.new_head_hash = Some(head.hash.clone());
            let data = json!({
                "upgrade": SEPARATE_FREE_TEXT,
                "from_seq": from,
                "to_seq": head.seq,
                "events_relinked": relinked,
                "texts_moved": texts_moved,
                "old_head": { "seq": old_head.seq, "hash": old_head.hash },
                "new_head_hash": head.hash,
            });
            events::append_and_move_head(conn, &mut head, [(None, None, "audit.relinked", &data, at)])?;
        }
        audit_texts::insert_upgrade(conn, &record)?;
        Ok(Upgrade::Done { relinked, texts_moved })
    })
}

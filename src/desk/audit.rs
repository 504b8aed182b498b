//! `meja audit verify`: recompute the hash chain and name the first event that does not fit.

use crate::db::events;
use crate::db::DbConn;
use crate::domain::audit::{chain_hash, GENESIS_HASH};

use super::DeskResult;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Intact {
        events: i64,
    },
    /// `seq` is the first event that was altered, or the position where one was removed.
    Broken {
        seq: i64,
        reason: String,
    },
}

const PAGE: i64 = 5_000;

pub fn verify(conn: &mut DbConn) -> DeskResult<Verdict> {
    let head = events::read_chain_head(conn)?;
    let mut expected_seq = 1;
    let mut prev_hash = GENESIS_HASH.to_string();
    loop {
        let page = events::page_after(conn, expected_seq - 1, PAGE)?;
        if page.is_empty() {
            break;
        }
        for event in page {
            if event.seq != expected_seq {
                return Ok(Verdict::Broken {
                    seq: expected_seq,
                    reason: format!("event {expected_seq} is missing (next is {})", event.seq),
                });
            }
            if event.prev_hash != prev_hash {
                return Ok(Verdict::Broken {
                    seq: event.seq,
                    reason: format!("event {} does not link to the event before it", event.seq),
                });
            }
            let recomputed = chain_hash(&prev_hash, &event.fields());
            if recomputed != event.hash {
                return Ok(Verdict::Broken {
                    seq: event.seq,
                    reason: format!(
                        "event {} ({}, id {}) was altered: its hash does not match its content",
                        event.seq, event.kind, event.id
                    ),
                });
            }
            prev_hash = event.hash;
            expected_seq += 1;
        }
    }
    let last = expected_seq - 1;
    if head.seq != last || head.hash != prev_hash {
        return Ok(Verdict::Broken {
            seq: last + 1,
            reason: format!(
                "the chain ends at event {last} but its head records event {}: events were removed from the end",
                head.seq
            ),
        });
    }
    Ok(Verdict::Intact { events: last })
}

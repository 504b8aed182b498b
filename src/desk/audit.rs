//! `meja audit verify`: recompute the hash chain and name the first event that does not fit;
//! check every text kept apart from its event against the event's commitment, and list the
//! texts erased since (with when), each of which an anonymisation event must have erased.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};

use crate::db::audit_texts::{self, TextRow};
use crate::db::events::{self, EventRow};
use crate::db::DbConn;
use crate::domain::audit::{chain_hash, text_commitment, text_refs, GENESIS_HASH};

use super::DeskResult;

/// A text of an event that was erased; the event and its commitment stay.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ErasedText {
    pub seq: i64,
    pub kind: String,
    pub field: String,
    pub erased_at: DateTime<Utc>,
}

impl std::fmt::Display for ErasedText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "text erased: the {} of event {} ({}), at {}",
            self.field,
            self.seq,
            self.kind,
            self.erased_at.format("%Y-%m-%d %H:%M:%S UTC")
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Intact {
        events: i64,
        /// In the order of their events.
        erased_texts: Vec<ErasedText>,
    },
    /// `seq` is the first event that was altered, or the position where one was removed.
    Broken { seq: i64, reason: String },
}

const PAGE: i64 = 5_000;

/// The event kind whose data names the texts it erased (`texts_erased`).
const ERASING_KIND: &str = "personal_data.anonymised";

pub fn verify(conn: &mut DbConn) -> DeskResult<Verdict> {
    let head = events::read_chain_head(conn)?;
    let mut expected_seq = 1;
    let mut prev_hash = GENESIS_HASH.to_string();
    let mut erased_texts = Vec::new();
    // Erased texts by id, with the event naming them; and the ids anonymisations erased.
    let mut erased_ids: Vec<(String, i64)> = Vec::new();
    let mut authorised: HashSet<String> = HashSet::new();
    loop {
        let page = events::page_after(conn, expected_seq - 1, PAGE)?;
        if page.is_empty() {
            break;
        }
        let texts = texts_of(conn, &page)?;
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
            let data: serde_json::Value = serde_json::from_str(&event.data).unwrap_or_default();
            if event.kind == ERASING_KIND {
                if let Some(ids) = data["texts_erased"].as_array() {
                    authorised.extend(ids.iter().filter_map(|id| id.as_str().map(str::to_string)));
                }
            }
            for reference in text_refs(&data) {
                let broken = |why: &str| Verdict::Broken {
                    seq: event.seq,
                    reason: format!("the {} text of event {} ({}) {why}", reference.field, event.seq, event.kind),
                };
                let Some(text) = texts.get(&reference.id) else { return Ok(broken("is missing")) };
                if text.sha256 != reference.sha256 {
                    return Ok(broken("was replaced: its commitment differs from the event's"));
                }
                match (&text.body, &text.salt, text.erased_at) {
                    (Some(body), Some(salt), None) => {
                        if text_commitment(salt, body) != reference.sha256 {
                            return Ok(broken("was altered: it does not match the event's commitment"));
                        }
                    }
                    (None, None, Some(at)) => {
                        erased_ids.push((text.id.clone(), event.seq));
                        erased_texts.push(ErasedText {
                            seq: event.seq,
                            kind: event.kind.clone(),
                            field: reference.field.clone(),
                            erased_at: at.and_utc(),
                        });
                    }
                    _ => return Ok(broken("is neither whole nor properly erased")),
                }
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
    // Erasing a text without an anonymisation in the chain saying so is tampering too.
    if let Some((id, seq)) = erased_ids.iter().find(|(id, _)| !authorised.contains(id)) {
        return Ok(Verdict::Broken {
            seq: *seq,
            reason: format!("text {id} of event {seq} was erased, but no anonymisation event records erasing it"),
        });
    }
    Ok(Verdict::Intact { events: last, erased_texts })
}

/// The texts the events of a page refer to, by id.
fn texts_of(conn: &mut DbConn, page: &[EventRow]) -> DeskResult<HashMap<String, TextRow>> {
    let ids: Vec<String> = page
        .iter()
        .filter(|e| e.data.contains(crate::domain::audit::TEXT_KEY))
        .filter_map(|e| serde_json::from_str::<serde_json::Value>(&e.data).ok())
        .flat_map(|data| text_refs(&data).into_iter().map(|r| r.id))
        .collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(audit_texts::by_ids(conn, &ids)?.into_iter().map(|t| (t.id.clone(), t)).collect())
}

//! One way in for every intake path (IMAP, the MTA pipe, the HTTP endpoint): take the message
//! in, or, when the use case refuses it, keep it in the quarantine. An error comes back only
//! when the desk could not store the message at all; the mail server then keeps it and retries.

use std::sync::Arc;

use super::{ingest, quarantine_refused, Ingested};
use crate::desk::{Desk, DeskError, DeskResult};

/// A refusal (the message's fault, or a rule's) rather than the desk failing to store it.
fn is_refusal(error: &DeskError) -> bool {
    !matches!(error, DeskError::Unavailable(_) | DeskError::Internal(_))
}

/// Takes in `raw` for `mailbox`, from a thread that may block (the pipe, the IMAP poller).
pub fn take_in_blocking(desk: &Desk, mailbox: &str, raw: Vec<u8>) -> DeskResult<Ingested> {
    let raw: Arc<[u8]> = raw.into();
    let (d, name, bytes) = (desk.clone(), mailbox.to_string(), raw.clone());
    match desk.writer.write_blocking(move |tx| ingest(tx, &d, &name, &bytes)) {
        Err(refused) if is_refusal(&refused) => {
            let reason = refused.to_string();
            tracing::warn!(mailbox, %reason, "message refused by the intake; kept in the quarantine");
            let (d, name) = (desk.clone(), mailbox.to_string());
            desk.writer.write_blocking(move |tx| quarantine_refused(tx, &d, &name, &raw, &reason))
        }
        other => other,
    }
}

/// The same from an actix handler: on a blocking thread, as the writer's answer is awaited.
pub async fn take_in(desk: &Desk, mailbox: &str, raw: Vec<u8>) -> DeskResult<Ingested> {
    let (d, name) = (desk.clone(), mailbox.to_string());
    tokio::task::spawn_blocking(move || take_in_blocking(&d, &name, raw))
        .await
        .map_err(|e| DeskError::Internal(format!("the intake thread stopped: {e}")))?
}

//! Files kept with a canned reply (issue 15): a guide, a form, a screenshot that goes out every
//! time the reply does. Managed by whoever may change the reply; attached, as copies of the
//! same stored bytes, to each message sent with it. A reply that resolves the ticket carries
//! none (its text goes out as the resolution notice, which has no files).

use serde::Serialize;
use serde_json::json;

use super::attachments::{check_uploads, keep, Upload};
use super::canned::{manageable, CannedView};
use super::{new_id, Desk, DeskError, DeskResult, Tx};
use crate::db::canned::{self as db, CannedFileRow};
use crate::db::DbConn;
use crate::domain::role::Actor;

#[derive(Debug, Clone, Serialize)]
pub struct CannedFile {
    pub id: String,
    pub filename: String,
    pub size: i64,
    pub content_type: String,
}

pub fn files_of(conn: &mut DbConn, canned_reply_id: &str) -> DeskResult<Vec<CannedFile>> {
    Ok(db::files_of(conn, canned_reply_id)?
        .into_iter()
        .map(|f| CannedFile { id: f.id, filename: f.filename, size: f.size_bytes, content_type: f.content_type })
        .collect())
}

/// Keeps files with the reply; each checked as a message's files are.
pub fn add(tx: &mut Tx, desk: &Desk, actor: &Actor, id: &str, uploads: &[Upload]) -> DeskResult<CannedView> {
    let row = manageable(tx.conn, actor, id)?;
    if row.action.as_deref() == Some("resolve") {
        return Err(DeskError::invalid(
            "files",
            "this canned reply resolves the ticket, and the resolution is sent without files; remove its action first",
        ));
    }
    if uploads.is_empty() {
        return Err(DeskError::invalid("files", "no file was sent"));
    }
    check_uploads(uploads, desk.attachment_max_bytes)?;
    let kept = db::files_of(tx.conn, &row.id)?.len();
    if kept + uploads.len() > super::attachments::MAX_FILES {
        return Err(DeskError::invalid(
            "files",
            format!("at most {} files with one canned reply", super::attachments::MAX_FILES),
        ));
    }
    let mut names = Vec::new();
    for upload in uploads {
        let kept = keep(tx, upload)?;
        let file = CannedFileRow {
            id: new_id(),
            canned_reply_id: row.id.clone(),
            filename: kept.filename,
            content_type: kept.content_type,
            size_bytes: kept.size_bytes,
            sha256: kept.sha256,
            created_at: tx.now.naive_utc(),
        };
        db::insert_file(tx.conn, &file)?;
        names.push(file.filename);
    }
    tx.record(
        None,
        Some(&actor.user_id),
        "canned_reply.updated",
        json!({ "canned_reply_id": row.id, "files_added": names }),
    )?;
    super::canned::view_of(desk, tx.conn, actor, row)
}

pub fn remove(tx: &mut Tx, desk: &Desk, actor: &Actor, id: &str, file_id: &str) -> DeskResult<CannedView> {
    let row = manageable(tx.conn, actor, id)?;
    let file = db::files_of(tx.conn, &row.id)?
        .into_iter()
        .find(|f| f.id == file_id)
        .ok_or_else(|| DeskError::not_found("file", file_id))?;
    db::delete_file(tx.conn, &file.id)?;
    tx.record(
        None,
        Some(&actor.user_id),
        "canned_reply.updated",
        json!({ "canned_reply_id": row.id, "files_removed": [file.filename] }),
    )?;
    super::canned::view_of(desk, tx.conn, actor, row)
}

/// The reply's files as uploads of a message (the bytes read back from their blobs).
pub fn as_uploads(conn: &mut DbConn, canned_reply_id: &str) -> DeskResult<Vec<Upload>> {
    let mut uploads = Vec::new();
    for f in db::files_of(conn, canned_reply_id)? {
        let bytes = crate::db::mail::blob(conn, &f.sha256)?
            .ok_or_else(|| DeskError::Internal(format!("canned reply file {}: its content is missing", f.id)))?;
        uploads.push(Upload { filename: f.filename, declared_type: f.content_type, bytes });
    }
    Ok(uploads)
}

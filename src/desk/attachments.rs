//! Files on tickets (SPEC 2, issue 15): stored once by SHA-256 with the type sniffed from the
//! bytes, and seen by whom the message they came with is for. A file on an internal note, or
//! a document of the desk (the written incident notice), is internal: staff see it, a
//! requester never does — not on the tracking page, not in a notice, not in the API.

use serde::Serialize;
use serde_json::{json, Value};

use super::tickets;
use super::view::Ticket;
use super::{new_id, DeskError, DeskResult, Tx};
use crate::db::mail::{self as mail_db, AttachmentRow};
use crate::db::DbConn;
use crate::domain::role::Actor;

/// Largest file sent with a message unless configured (`attachment_max_bytes`).
pub const DEFAULT_MAX_BYTES: usize = 10 * 1024 * 1024;
/// Files with one message: enough for a set of screenshots, few enough to read in one go.
pub const MAX_FILES: usize = 10;

/// A file as it was uploaded: its name, the type the sender claimed, its bytes.
#[derive(Debug, Clone)]
pub struct Upload {
    pub filename: String,
    pub declared_type: String,
    pub bytes: Vec<u8>,
}

/// A file as the API lists it.
#[derive(Debug, Clone, Serialize)]
pub struct AttachmentView {
    pub id: String,
    pub message_id: Option<String>,
    pub filename: String,
    pub size: i64,
    pub content_type: String,
    pub sha256: String,
}

impl From<AttachmentRow> for AttachmentView {
    fn from(a: AttachmentRow) -> Self {
        AttachmentView {
            id: a.id,
            message_id: a.message_id,
            filename: a.filename,
            size: a.size_bytes,
            content_type: a.content_type,
            sha256: a.sha256,
        }
    }
}

/// Refuses, before anything is written, a set of files that cannot all be kept: an empty one,
/// one over the limit, one without a name, or too many.
pub fn check_uploads(files: &[Upload], max_bytes: usize) -> DeskResult<()> {
    if files.len() > MAX_FILES {
        return Err(DeskError::invalid("files", format!("at most {MAX_FILES} files with one message")));
    }
    for f in files {
        if f.filename.trim().is_empty() {
            return Err(DeskError::invalid("files", "every file needs a file name"));
        }
        if f.bytes.is_empty() {
            return Err(DeskError::invalid("files", format!("{}: the file is empty", f.filename)));
        }
        if f.bytes.len() > max_bytes {
            return Err(DeskError::invalid(
                "files",
                format!("{}: {} KB is over the limit of {} KB", f.filename, f.bytes.len() / 1024, max_bytes / 1024),
            ));
        }
    }
    Ok(())
}

/// An upload's bytes once stored, and what is recorded of them.
pub struct Kept {
    pub filename: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub sha256: String,
}

/// Stores an upload's bytes once by SHA-256; its type sniffed from the bytes (what the sender
/// declares is only a hint), its name cut to 255 characters without control characters.
pub fn keep(tx: &mut Tx, upload: &Upload) -> DeskResult<Kept> {
    use sha2::Digest;
    let sha256 = hex::encode(sha2::Sha256::digest(&upload.bytes));
    mail_db::put_blob(tx.conn, &sha256, &upload.bytes)?;
    Ok(Kept {
        filename: upload.filename.chars().filter(|c| !c.is_control()).take(255).collect(),
        content_type: crate::domain::mail::sniff_type(&upload.bytes, &upload.declared_type),
        size_bytes: upload.bytes.len() as i64,
        sha256,
    })
}

/// Stores a file with a ticket (and the message it came with), its bytes kept as [`keep`] does.
pub fn attach(
    tx: &mut Tx,
    ticket_id: &str,
    message_id: Option<&str>,
    internal: bool,
    upload: &Upload,
) -> DeskResult<AttachmentRow> {
    let kept = keep(tx, upload)?;
    let row = AttachmentRow {
        id: new_id(),
        ticket_id: ticket_id.to_string(),
        message_id: message_id.map(str::to_string),
        filename: kept.filename,
        content_type: kept.content_type,
        size_bytes: kept.size_bytes,
        sha256: kept.sha256,
        inline_part: false,
        created_at: tx.now.naive_utc(),
        internal,
    };
    mail_db::insert_attachment(tx.conn, &row)?;
    Ok(row)
}

/// What a notice carries of the files sent with a public message, for the channels to attach.
pub fn notice_files(files: &[AttachmentRow]) -> Value {
    Value::Array(
        files
            .iter()
            .filter(|f| !f.internal)
            .map(|f| {
                json!({ "id": f.id, "file_name": f.filename, "content_type": f.content_type,
                        "sha256": f.sha256, "size": f.size_bytes })
            })
            .collect(),
    )
}

/// The files of a ticket this actor may see: staff every file, a requester the public ones.
fn seen_by(conn: &mut DbConn, actor: &Actor, ticket: &Ticket) -> DeskResult<Vec<AttachmentRow>> {
    let staff = actor.role.is_staff();
    Ok(mail_db::attachments_of(conn, &ticket.row.id)?.into_iter().filter(|a| staff || !a.internal).collect())
}

/// `GET /tickets/{number}/attachments`: 404 outside the actor's scope, as the ticket itself.
pub fn list(conn: &mut DbConn, actor: &Actor, number: &str) -> DeskResult<Vec<AttachmentView>> {
    let ticket = tickets::visible_ticket(conn, actor, number)?;
    Ok(seen_by(conn, actor, &ticket)?.into_iter().map(AttachmentView::from).collect())
}

/// One file and its bytes, for a download; a file the actor may not see is "not found".
pub fn download(conn: &mut DbConn, actor: &Actor, number: &str, id: &str) -> DeskResult<(AttachmentRow, Vec<u8>)> {
    let ticket = tickets::visible_ticket(conn, actor, number)?;
    let file = seen_by(conn, actor, &ticket)?.into_iter().find(|a| a.id == id);
    with_bytes(conn, file, id)
}

/// The public files of a ticket, for its requester with the tracking token.
pub fn public_files(conn: &mut DbConn, ticket: &Ticket) -> DeskResult<Vec<AttachmentRow>> {
    Ok(mail_db::attachments_of(conn, &ticket.row.id)?.into_iter().filter(|a| !a.internal).collect())
}

/// One public file of the ticket known by its number and tracking token.
pub fn public_download(conn: &mut DbConn, number: &str, token: &str, id: &str) -> DeskResult<(AttachmentRow, Vec<u8>)> {
    let ticket = tickets::tracked_ticket(conn, number, token)?;
    let file = public_files(conn, &ticket)?.into_iter().find(|a| a.id == id);
    with_bytes(conn, file, id)
}

fn with_bytes(conn: &mut DbConn, file: Option<AttachmentRow>, id: &str) -> DeskResult<(AttachmentRow, Vec<u8>)> {
    let file = file.ok_or_else(|| DeskError::not_found("attachment", id))?;
    let bytes = mail_db::blob(conn, &file.sha256)?
        .ok_or_else(|| DeskError::Internal(format!("attachment {id}: its content is missing")))?;
    Ok((file, bytes))
}

/// A file name safe in a `Content-Disposition` header: ASCII letters, digits and `.-_`.
pub fn download_name(filename: &str) -> String {
    filename.chars().map(|c| if c.is_ascii_alphanumeric() || ".-_".contains(c) { c } else { '_' }).collect()
}

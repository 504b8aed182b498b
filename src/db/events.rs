//! The audit log and the head of its hash chain.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{chain_head, events};
use super::DbConn;
use crate::domain::audit::{self, EventFields};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = events, treat_none_as_default_value = false)]
pub struct EventRow {
    pub seq: i64,
    pub id: String,
    pub ticket_id: Option<String>,
    pub actor_id: Option<String>,
    pub kind: String,
    pub data: String,
    pub created_at: NaiveDateTime,
    pub prev_hash: String,
    pub hash: String,
}

impl EventRow {
    pub fn fields(&self) -> EventFields<'_> {
        EventFields {
            seq: self.seq,
            id: &self.id,
            ticket_id: self.ticket_id.as_deref(),
            actor_id: self.actor_id.as_deref(),
            kind: &self.kind,
            data: &self.data,
            created_at: self.created_at,
        }
    }
}

/// The last link of the chain as the current transaction sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainHead {
    pub seq: i64,
    pub hash: String,
}

mod pg;

/// Takes the write lock on the chain head and reads it. The no-op UPDATE is what locks:
/// on PostgreSQL it holds the row until commit (and returns it: one round trip), on SQLite it
/// takes the database's write lock at once instead of upgrading a read lock later (which
/// could fail with SQLITE_BUSY).
pub fn lock_chain_head(conn: &mut DbConn) -> QueryResult<ChainHead> {
    let lock = diesel::update(chain_head::table.find(1)).set(chain_head::seq.eq(chain_head::seq));
    match conn {
        DbConn::Pg(c) => {
            let (seq, hash) = lock.returning((chain_head::seq, chain_head::hash)).get_result::<(i64, String)>(c)?;
            Ok(ChainHead { seq, hash })
        }
        DbConn::Sqlite(c) => {
            lock.execute(c)?;
            read_chain_head(conn)
        }
    }
}

/// Writes a batch's waiting notices and takes the lock on the chain head: on PostgreSQL as one
/// statement (a round trip less a batch), prepared once.
pub fn queue_and_lock_chain_head(conn: &mut DbConn, notices: &[super::outbox::OutboxRow]) -> QueryResult<ChainHead> {
    match conn {
        DbConn::Pg(c) => {
            let (seq, hash) = pg::QueueAndLockHead::new(notices).get_result::<(i64, String)>(c)?;
            Ok(ChainHead { seq, hash })
        }
        DbConn::Sqlite(_) => {
            super::outbox_queue::insert_now(conn, notices)?;
            lock_chain_head(conn)
        }
    }
}

pub fn read_chain_head(conn: &mut DbConn) -> QueryResult<ChainHead> {
    let (seq, hash) =
        chain_head::table.find(1).select((chain_head::seq, chain_head::hash)).first::<(i64, String)>(conn)?;
    Ok(ChainHead { seq, hash })
}

fn save_chain_head(conn: &mut DbConn, head: &ChainHead) -> QueryResult<()> {
    diesel::update(chain_head::table.find(1))
        .set((chain_head::seq.eq(head.seq), chain_head::hash.eq(&head.hash)))
        .execute(conn)
        .map(drop)
}

/// Rows per multi-row INSERT: well under both databases' limits on bound parameters.
pub const INSERT_CHUNK: usize = 1000;

/// One event to append: ticket, actor, kind, data, instant.
pub type NewEvent<'a> = (Option<&'a str>, Option<&'a str>, &'a str, &'a serde_json::Value, NaiveDateTime);

/// The next row of the chain after `head`; moves `head` to it.
fn link(head: &mut ChainHead, (ticket_id, actor_id, kind, data, at): NewEvent<'_>) -> EventRow {
    let mut row = EventRow {
        seq: head.seq + 1,
        id: uuid::Uuid::now_v7().to_string(),
        ticket_id: ticket_id.map(str::to_string),
        actor_id: actor_id.map(str::to_string),
        kind: kind.to_string(),
        data: data.to_string(),
        created_at: at,
        prev_hash: head.hash.clone(),
        hash: String::new(),
    };
    row.hash = audit::chain_hash(&head.hash, &row.fields());
    head.seq = row.seq;
    head.hash = row.hash.clone();
    row
}

pub fn for_ticket(conn: &mut DbConn, ticket_id: &str) -> QueryResult<Vec<EventRow>> {
    events::table
        .filter(events::ticket_id.eq(ticket_id))
        .order(events::seq.asc())
        .select(EventRow::as_select())
        .load(conn)
}

/// Events with `seq > after`, in order, at most `limit`: `audit verify` walks the chain in pages.
pub fn page_after(conn: &mut DbConn, after: i64, limit: i64) -> QueryResult<Vec<EventRow>> {
    events::table
        .filter(events::seq.gt(after))
        .order(events::seq.asc())
        .limit(limit)
        .select(EventRow::as_select())
        .load(conn)
}

/// Appends events after `head` in order and saves the moved head. On PostgreSQL
/// both go as one statement: a writer holds the head's lock from reading it until its commit
/// while the other writers wait for it, so a round trip less there is a round trip less for
/// every batch behind; the rows go as arrays, so the statement is prepared once per connection
/// instead of planned for each batch's number of rows.
pub fn append_and_move_head<'a>(
    conn: &mut DbConn,
    head: &mut ChainHead,
    new: impl IntoIterator<Item = NewEvent<'a>>,
) -> QueryResult<usize> {
    let rows: Vec<EventRow> = new.into_iter().map(|event| link(head, event)).collect();
    match conn {
        DbConn::Pg(pg) => {
            pg::AppendAndMoveHead::new(&rows, head).execute(pg)?;
        }
        DbConn::Sqlite(_) => {
            // Multi-row inserts: SQLite has no arrays, and a statement is a function call.
            super::insert_many!(conn, events::table, &rows);
            save_chain_head(conn, head)?;
        }
    }
    Ok(rows.len())
}

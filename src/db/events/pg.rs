//! PostgreSQL's statements at the end of a writer batch, while the chain head is locked or
//! about to be: rows go as arrays (`unnest`), so each statement has one text whatever the
//! batch's size and diesel keeps it prepared, instead of PostgreSQL parsing and planning a
//! multi-row insert for every batch.

use chrono::NaiveDateTime;
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::{Array, BigInt, Integer, Nullable, Text, Timestamp};

use super::{ChainHead, EventRow};
use crate::db::outbox::OutboxRow;

/// One field of every row, as the array bound for its column.
fn column<R, T>(rows: &[R], field: impl Fn(&R) -> T) -> Vec<T> {
    rows.iter().map(field).collect()
}

/// Binds the arrays, comma-separated, in the order given.
macro_rules! push_arrays {
    ($out:ident, $first_type:ty => $first:expr $(, $sql_type:ty => $value:expr)* $(,)?) => {
        $out.push_bind_param::<$first_type, _>($first)?;
        $(
            $out.push_sql(", ");
            $out.push_bind_param::<$sql_type, _>($value)?;
        )*
    };
}

/// `INSERT INTO events … SELECT FROM unnest(arrays)` and the head's `UPDATE`, as one
/// data-modifying statement with a fixed text (so diesel keeps it prepared).
pub(super) struct AppendAndMoveHead {
    seq: Vec<i64>,
    id: Vec<String>,
    ticket_id: Vec<Option<String>>,
    actor_id: Vec<Option<String>>,
    kind: Vec<String>,
    data: Vec<String>,
    created_at: Vec<NaiveDateTime>,
    prev_hash: Vec<String>,
    hash: Vec<String>,
    head_seq: i64,
    head_hash: String,
}

impl AppendAndMoveHead {
    pub(super) fn new(rows: &[EventRow], head: &ChainHead) -> Self {
        AppendAndMoveHead {
            seq: column(rows, |r| r.seq),
            id: column(rows, |r| r.id.clone()),
            ticket_id: column(rows, |r| r.ticket_id.clone()),
            actor_id: column(rows, |r| r.actor_id.clone()),
            kind: column(rows, |r| r.kind.clone()),
            data: column(rows, |r| r.data.clone()),
            created_at: column(rows, |r| r.created_at),
            prev_hash: column(rows, |r| r.prev_hash.clone()),
            hash: column(rows, |r| r.hash.clone()),
            head_seq: head.seq,
            head_hash: head.hash.clone(),
        }
    }
}

impl QueryFragment<Pg> for AppendAndMoveHead {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_sql(
            "WITH appended AS (INSERT INTO events \
             (seq, id, ticket_id, actor_id, kind, data, created_at, prev_hash, hash) SELECT * FROM unnest(",
        );
        push_arrays!(
            out,
            Array<BigInt> => &self.seq,
            Array<Text> => &self.id,
            Array<Nullable<Text>> => &self.ticket_id,
            Array<Nullable<Text>> => &self.actor_id,
            Array<Text> => &self.kind,
            Array<Text> => &self.data,
            Array<Timestamp> => &self.created_at,
            Array<Text> => &self.prev_hash,
            Array<Text> => &self.hash,
        );
        out.push_sql(")) UPDATE chain_head SET seq = ");
        out.push_bind_param::<BigInt, _>(&self.head_seq)?;
        out.push_sql(", hash = ");
        out.push_bind_param::<Text, _>(&self.head_hash)?;
        out.push_sql(" WHERE id = 1");
        Ok(())
    }
}

impl QueryId for AppendAndMoveHead {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl RunQueryDsl<PgConnection> for AppendAndMoveHead {}

/// The batch's notices (`INSERT INTO outbox … SELECT FROM unnest(arrays)`) and the no-op
/// `UPDATE` that locks the chain head and returns it, as one statement.
pub(super) struct QueueAndLockHead {
    id: Vec<String>,
    channel: Vec<String>,
    recipient: Vec<String>,
    template: Vec<String>,
    ticket_id: Vec<Option<String>>,
    payload: Vec<String>,
    created_at: Vec<NaiveDateTime>,
    attempts: Vec<i32>,
    next_attempt_at: Vec<NaiveDateTime>,
    delivered_at: Vec<Option<NaiveDateTime>>,
    last_error: Vec<Option<String>>,
    remote_id: Vec<Option<String>>,
    remote_status: Vec<Option<String>>,
    remote_status_at: Vec<Option<NaiveDateTime>>,
}

impl QueueAndLockHead {
    pub(super) fn new(rows: &[OutboxRow]) -> Self {
        QueueAndLockHead {
            id: column(rows, |r| r.id.clone()),
            channel: column(rows, |r| r.channel.clone()),
            recipient: column(rows, |r| r.recipient.clone()),
            template: column(rows, |r| r.template.clone()),
            ticket_id: column(rows, |r| r.ticket_id.clone()),
            payload: column(rows, |r| r.payload.clone()),
            created_at: column(rows, |r| r.created_at),
            attempts: column(rows, |r| r.attempts),
            next_attempt_at: column(rows, |r| r.next_attempt_at),
            delivered_at: column(rows, |r| r.delivered_at),
            last_error: column(rows, |r| r.last_error.clone()),
            remote_id: column(rows, |r| r.remote_id.clone()),
            remote_status: column(rows, |r| r.remote_status.clone()),
            remote_status_at: column(rows, |r| r.remote_status_at),
        }
    }
}

impl QueryFragment<Pg> for QueueAndLockHead {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_sql(
            "WITH queued AS (INSERT INTO outbox (id, channel, recipient, template, ticket_id, payload, created_at, \
             attempts, next_attempt_at, delivered_at, last_error, remote_id, remote_status, remote_status_at) \
             SELECT * FROM unnest(",
        );
        push_arrays!(
            out,
            Array<Text> => &self.id,
            Array<Text> => &self.channel,
            Array<Text> => &self.recipient,
            Array<Text> => &self.template,
            Array<Nullable<Text>> => &self.ticket_id,
            Array<Text> => &self.payload,
            Array<Timestamp> => &self.created_at,
            Array<Integer> => &self.attempts,
            Array<Timestamp> => &self.next_attempt_at,
            Array<Nullable<Timestamp>> => &self.delivered_at,
            Array<Nullable<Text>> => &self.last_error,
            Array<Nullable<Text>> => &self.remote_id,
            Array<Nullable<Text>> => &self.remote_status,
            Array<Nullable<Timestamp>> => &self.remote_status_at,
        );
        out.push_sql(")) UPDATE chain_head SET seq = seq WHERE id = 1 RETURNING seq, hash");
        Ok(())
    }
}

impl QueryId for QueueAndLockHead {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl Query for QueueAndLockHead {
    type SqlType = (BigInt, Text);
}

impl RunQueryDsl<PgConnection> for QueueAndLockHead {}

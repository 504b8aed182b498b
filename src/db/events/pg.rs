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
        let column = |f: fn(&EventRow) -> String| rows.iter().map(f).collect::<Vec<_>>();
        AppendAndMoveHead {
            seq: rows.iter().map(|r| r.seq).collect(),
            id: column(|r| r.id.clone()),
            ticket_id: rows.iter().map(|r| r.ticket_id.clone()).collect(),
            actor_id: rows.iter().map(|r| r.actor_id.clone()).collect(),
            kind: column(|r| r.kind.clone()),
            data: column(|r| r.data.clone()),
            created_at: rows.iter().map(|r| r.created_at).collect(),
            prev_hash: column(|r| r.prev_hash.clone()),
            hash: column(|r| r.hash.clone()),
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
        out.push_bind_param::<Array<BigInt>, _>(&self.seq)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Text>, _>(&self.id)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Nullable<Text>>, _>(&self.ticket_id)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Nullable<Text>>, _>(&self.actor_id)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Text>, _>(&self.kind)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Text>, _>(&self.data)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Timestamp>, _>(&self.created_at)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Text>, _>(&self.prev_hash)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Text>, _>(&self.hash)?;
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
        fn column<T>(rows: &[OutboxRow], f: impl Fn(&OutboxRow) -> T) -> Vec<T> {
            rows.iter().map(f).collect()
        }
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
        out.push_bind_param::<Array<Text>, _>(&self.id)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Text>, _>(&self.channel)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Text>, _>(&self.recipient)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Text>, _>(&self.template)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Nullable<Text>>, _>(&self.ticket_id)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Text>, _>(&self.payload)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Timestamp>, _>(&self.created_at)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Integer>, _>(&self.attempts)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Timestamp>, _>(&self.next_attempt_at)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Nullable<Timestamp>>, _>(&self.delivered_at)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Nullable<Text>>, _>(&self.last_error)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Nullable<Text>>, _>(&self.remote_id)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Nullable<Text>>, _>(&self.remote_status)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Nullable<Timestamp>>, _>(&self.remote_status_at)?;
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

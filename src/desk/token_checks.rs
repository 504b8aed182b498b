//! The bearer-token check every API request and console page makes, done for many requests
//! at once.
//!
//! Each check used to be a read of its own: a hand-over to a blocking thread, a pooled
//! connection and, on PostgreSQL, a round trip. Under the 32-client ticket load that cost the
//! desk more than a third of its rate (issue 17: 2,300 tickets/s with it, 3,600 without).
//! Checks now go to one thread; those that arrive while it is reading wait for that read to
//! end and then go together, as one indexed read of every token in the group. A lone request
//! waits for nothing but its own read.
//!
//! Nothing is remembered between groups: each check reads the tokens and accounts as they are
//! after its request arrived, so a token revoked or a person switched off in any process is
//! refused at once, as before (issue 14).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::Arc;

use crate::clock::Clock;
use crate::db::{tokens, Pool};
use crate::domain::role::Actor;

use super::{auth, DeskError, DeskResult};

/// The most tokens read together: a group's wait stays short when thousands queue.
const MOST_IN_ONE_READ: usize = 64;

type Answer = DeskResult<Option<(Actor, String)>>;

struct Check {
    token_hash: String,
    answer: tokio::sync::oneshot::Sender<Answer>,
}

/// Where requests send their tokens to be checked.
#[derive(Clone)]
pub struct TokenChecks {
    queue: mpsc::Sender<Check>,
    stats: Arc<TokenCheckStats>,
}

/// Checks answered and the reads they took (`/metrics`): their ratio is how many requests
/// one read served.
#[derive(Debug, Default)]
pub struct TokenCheckStats {
    pub checks: AtomicU64,
    pub reads: AtomicU64,
}

impl TokenChecks {
    /// Starts the checking thread. It reads through `pool` (a connection only while it reads),
    /// and ends when the last `TokenChecks` is dropped.
    pub fn start(pool: Pool, clock: Arc<dyn Clock>) -> DeskResult<TokenChecks> {
        let (queue, arrivals) = mpsc::channel();
        let stats = Arc::new(TokenCheckStats::default());
        let counted = stats.clone();
        std::thread::Builder::new()
            .name("meja-tokens".into())
            .spawn(move || check_in_groups(&pool, clock.as_ref(), &arrivals, &counted))
            .map_err(|e| DeskError::Internal(format!("cannot start the token checks: {e}")))?;
        Ok(TokenChecks { queue, stats })
    }

    pub fn stats(&self) -> &TokenCheckStats {
        &self.stats
    }

    /// The actor behind a bearer token and the token's id; none when the token is unknown,
    /// revoked or expired or its person switched off.
    pub async fn check(&self, token: &str) -> Answer {
        let (answer, answered) = tokio::sync::oneshot::channel();
        let check = Check { token_hash: auth::sha256_hex(token), answer };
        self.queue.send(check).map_err(|_| stopped())?;
        answered.await.map_err(|_| stopped())?
    }
}

fn stopped() -> DeskError {
    DeskError::Unavailable("the token checks have stopped".into())
}

fn check_in_groups(pool: &Pool, clock: &dyn Clock, arrivals: &mpsc::Receiver<Check>, stats: &TokenCheckStats) {
    while let Ok(first) = arrivals.recv() {
        let mut group = vec![first];
        while group.len() < MOST_IN_ONE_READ {
            match arrivals.try_recv() {
                Ok(check) => group.push(check),
                Err(_) => break,
            }
        }
        let mut hashes: Vec<String> = group.iter().map(|c| c.token_hash.clone()).collect();
        hashes.sort_unstable();
        hashes.dedup();
        let read = pool
            .get()
            .map_err(|e| DeskError::Unavailable(format!("database busy: {e}")))
            .and_then(|mut conn| Ok(tokens::owners_of_tokens(&mut conn, &hashes, clock.now().naive_utc())?));
        stats.reads.fetch_add(1, Ordering::Relaxed);
        stats.checks.fetch_add(group.len() as u64, Ordering::Relaxed);
        for check in group {
            let answer = match &read {
                Ok(owners) => {
                    Ok(owners.iter().find(|o| o.token_hash == check.token_hash).cloned().and_then(auth::token_actor))
                }
                Err(e) => Err(each_waiting_hears(e)),
            };
            // A request that gave up (its client went away) no longer listens.
            let _ = check.answer.send(answer);
        }
    }
}

/// The group's failure as each of its requests hears it: a database that is unreachable is a
/// 503 as before, anything else an internal error (logged where it is answered).
fn each_waiting_hears(e: &DeskError) -> DeskError {
    match e {
        DeskError::Unavailable(m) => DeskError::Unavailable(m.clone()),
        other => DeskError::Internal(format!("token check: {other}")),
    }
}

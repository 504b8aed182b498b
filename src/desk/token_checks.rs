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
use std::sync::{mpsc, Arc, Mutex};
use std::thread::JoinHandle;

use crate::clock::Clock;
use crate::db::{tokens, Pool};
use crate::domain::role::Actor;

use super::{auth, DeskError, DeskResult};

/// The most tokens read together: a group's wait stays short when thousands queue.
const MOST_IN_ONE_READ: usize = 64;

type Owner = Option<(Actor, String)>;

struct Check {
    token_hash: String,
    answer: tokio::sync::oneshot::Sender<DeskResult<Owner>>,
}

enum Arrival {
    Check(Check),
    Stop,
}

/// Where requests send their tokens to be checked.
#[derive(Clone)]
pub struct TokenChecks {
    queue: mpsc::Sender<Arrival>,
    stats: Arc<TokenCheckStats>,
    thread: Arc<Mutex<Option<JoinHandle<()>>>>,
}

/// Checks answered and the reads they took (`/metrics`): their ratio is how many requests
/// one read served.
#[derive(Debug, Default)]
pub struct TokenCheckStats {
    pub checks: AtomicU64,
    pub reads: AtomicU64,
}

impl TokenChecks {
    /// Starts the checking thread. It reads through `pool` (a connection only while it reads)
    /// and ends at [`TokenChecks::shutdown`] or when the last `TokenChecks` is dropped.
    pub fn start(pool: Pool, clock: Arc<dyn Clock>) -> DeskResult<TokenChecks> {
        let (queue, arrivals) = mpsc::channel();
        let stats = Arc::new(TokenCheckStats::default());
        let counted = stats.clone();
        let thread = std::thread::Builder::new()
            .name("meja-tokens".into())
            .spawn(move || keep_checking(&pool, clock.as_ref(), &arrivals, &counted))
            .map_err(|e| DeskError::Internal(format!("cannot start the token checks: {e}")))?;
        Ok(TokenChecks { queue, stats, thread: Arc::new(Mutex::new(Some(thread))) })
    }

    /// The actor behind a bearer token and the token's id; none when the token is unknown,
    /// revoked or expired or its person switched off.
    pub async fn check(&self, token: &str) -> DeskResult<Owner> {
        let (answer, answered) = tokio::sync::oneshot::channel();
        let check = Check { token_hash: auth::sha256_hex(token), answer };
        self.queue.send(Arrival::Check(check)).map_err(|_| stopped())?;
        answered.await.map_err(|_| stopped())?
    }

    pub fn stats(&self) -> &TokenCheckStats {
        &self.stats
    }

    /// Answers the checks already queued and waits for the thread: it holds a handle on the
    /// pool, and a process exiting while that thread closes a connection can crash in the
    /// database client library (as for the writers).
    pub fn shutdown(&self) {
        // The lock is held until the thread has ended (it never takes the lock itself), so a
        // second caller returns only once the first one's join is done.
        let mut guard = match self.thread.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        if let Some(thread) = guard.take() {
            let _ = self.queue.send(Arrival::Stop);
            let _ = thread.join();
        }
    }
}

fn stopped() -> DeskError {
    DeskError::Unavailable("the token checks have stopped".into())
}

/// Who each of `token_hashes` belongs to, in the order given, from one read: none for a
/// token that is unknown, revoked or expired, or whose person is switched off.
pub fn read_group(pool: &Pool, clock: &dyn Clock, token_hashes: &[String]) -> DeskResult<Vec<Owner>> {
    let mut distinct = token_hashes.to_vec();
    distinct.sort_unstable();
    distinct.dedup();
    let mut conn = pool.get().map_err(|e| DeskError::Unavailable(format!("database busy: {e}")))?;
    let owners = tokens::owners_of_tokens(&mut conn, &distinct, clock.now().naive_utc())?;
    Ok(token_hashes
        .iter()
        .map(|hash| owners.iter().find(|o| &o.token_hash == hash).cloned().and_then(auth::token_actor))
        .collect())
}

/// Checks until stopped. A panic while checking (none is known) costs the requests of that
/// group their answer (a 503), not every later request of the process.
fn keep_checking(pool: &Pool, clock: &dyn Clock, arrivals: &mpsc::Receiver<Arrival>, stats: &TokenCheckStats) {
    while std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| check_in_groups(pool, clock, arrivals, stats)))
        .is_err()
    {
        tracing::error!("the token checks failed unexpectedly; they go on with the next group");
    }
}

fn check_in_groups(pool: &Pool, clock: &dyn Clock, arrivals: &mpsc::Receiver<Arrival>, stats: &TokenCheckStats) {
    let mut stopping = false;
    while !stopping {
        let Ok(Arrival::Check(first)) = arrivals.recv() else { return };
        let mut group = vec![first];
        while group.len() < MOST_IN_ONE_READ {
            match arrivals.try_recv() {
                Ok(Arrival::Check(check)) => group.push(check),
                Ok(Arrival::Stop) => {
                    stopping = true;
                    break;
                }
                Err(_) => break,
            }
        }
        // A request whose client went away no longer waits for its answer.
        group.retain(|c| !c.answer.is_closed());
        if group.is_empty() {
            continue;
        }
        let hashes: Vec<String> = group.iter().map(|c| c.token_hash.clone()).collect();
        match read_group(pool, clock, &hashes) {
            Ok(owners) => {
                stats.reads.fetch_add(1, Ordering::Relaxed);
                stats.checks.fetch_add(group.len() as u64, Ordering::Relaxed);
                for (check, owner) in group.into_iter().zip(owners) {
                    let _ = check.answer.send(Ok(owner));
                }
            }
            Err(e) => {
                // The database is down or every connection busy: whatever queued meanwhile
                // hears the same at once, rather than each group waiting out the pool's
                // timeout in turn.
                while let Ok(arrival) = arrivals.try_recv() {
                    match arrival {
                        Arrival::Check(check) => group.push(check),
                        Arrival::Stop => stopping = true,
                    }
                }
                for check in group {
                    let _ = check.answer.send(Err(each_waiting_hears(&e)));
                }
            }
        }
    }
}

/// The group's failure as each of its requests hears it: a database that is unreachable is a
/// 503 as before, anything else an internal error (logged where it is answered).
fn each_waiting_hears(e: &DeskError) -> DeskError {
    match e {
        DeskError::Unavailable(m) => DeskError::Unavailable(m.clone()),
        DeskError::Internal(m) => DeskError::Internal(m.clone()),
        other => DeskError::Internal(format!("token check: {other}")),
    }
}

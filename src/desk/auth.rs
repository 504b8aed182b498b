//! Passwords (Argon2id), API tokens and the guards against guessing and flooding.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use chrono::Duration as ChronoDuration;
use rand::RngCore;
use sha2::{Digest, Sha256};

use super::signins::{self, Attempt};
use super::{new_id, Desk, DeskError, DeskResult};
use crate::db::{catalog, tokens};
use crate::domain::role::{Actor, Role};

/// Tokens from `POST /auth/token` live this long unless revoked.
pub const TOKEN_LIFETIME_DAYS: i64 = 30;

/// Argon2 computations running at once. Each takes 19 MiB of memory and a core for ~15 ms:
/// more at a time than there are cores finishes none sooner, and a burst of sign-ins on the
/// blocking threads would otherwise hold 19 MiB per thread (the memory budget of issue 17).
static ARGON2_RUNNING: (std::sync::Mutex<usize>, std::sync::Condvar) =
    (std::sync::Mutex::new(0), std::sync::Condvar::new());

fn argon2_slots() -> usize {
    static SLOTS: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *SLOTS.get_or_init(|| std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2).clamp(1, 8))
}

/// A taken Argon2 slot, given back when dropped (also if the work panics).
struct Argon2Slot;

impl Drop for Argon2Slot {
    fn drop(&mut self) {
        let (count, freed) = &ARGON2_RUNNING;
        let mut running = count.lock().unwrap_or_else(|e| e.into_inner());
        *running = running.saturating_sub(1);
        freed.notify_one();
    }
}

/// Runs `work` when an Argon2 slot is free (on a blocking thread: it may wait).
fn with_argon2_slot<T>(work: impl FnOnce() -> T) -> T {
    let (count, freed) = &ARGON2_RUNNING;
    let mut running = count.lock().unwrap_or_else(|e| e.into_inner());
    while *running >= argon2_slots() {
        running = freed.wait(running).unwrap_or_else(|e| e.into_inner());
    }
    *running += 1;
    drop(running);
    let _slot = Argon2Slot;
    work()
}

pub fn hash_password(password: &str) -> DeskResult<String> {
    let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
    with_argon2_slot(|| {
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| DeskError::Internal(format!("password hashing failed: {e}")))
    })
}

pub fn verify_password(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored)
        .map(|parsed| with_argon2_slot(|| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok()))
        .unwrap_or(false)
}

pub fn random_secret(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::thread_rng().fill_bytes(&mut buf);
    hex::encode(buf)
}

pub fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

pub use super::throttle::RateLimiter;

#[derive(Debug)]
pub struct AuthGuards {
    /// Failed sign-ins per (account, address) and per address: slowed, never locked.
    pub sign_in: super::throttle::SignInThrottle,
    /// Public reports per client address: 10 an hour.
    pub public_intake: RateLimiter,
    /// Public knowledge-base reads per client address: 120 a minute (each counts a view).
    pub public_reads: RateLimiter,
    /// "Did this help?" votes per client address: 20 an hour.
    pub public_votes: RateLimiter,
    /// When this process last wrote a session's "last used": at most every five minutes.
    pub touched: Mutex<HashMap<String, Instant>>,
}

impl Default for AuthGuards {
    fn default() -> Self {
        AuthGuards {
            sign_in: super::throttle::SignInThrottle::default(),
            public_intake: RateLimiter::new("public.intake", 10, Duration::from_secs(3600)),
            public_reads: RateLimiter::new("public.reads", 120, Duration::from_secs(60)),
            public_votes: RateLimiter::new("public.votes", 20, Duration::from_secs(3600)),
            touched: Mutex::new(HashMap::new()),
        }
    }
}

/// A hash to verify against when the user does not exist, so that the answer takes as long
/// as for a wrong password and does not reveal which usernames exist.
fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash_password(&random_secret(16)).unwrap_or_default())
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct IssuedToken {
    pub token: String,
    pub token_type: &'static str,
    pub expires_at: chrono::DateTime<chrono::Utc>,
    pub username: String,
    pub role: Role,
}

/// Signs in: the password, then the second factor where the account has or needs one, then a
/// token. `second_factor` is a TOTP code or a recovery code.
pub async fn login(
    desk: &Desk,
    username: &str,
    password: &str,
    client: &str,
    second_factor: Option<&str>,
    user_agent: Option<&str>,
) -> DeskResult<IssuedToken> {
    let user = check_password(desk, username, password, client).await?;
    check_second_factor(desk, &user, second_factor, client).await?;
    issue_session(desk, user, client, user_agent).await
}

/// The account behind a username and password, under the sign-in throttle. A right temporary
/// password is refused with `password_change_required`: nothing but a change until it is.
pub async fn check_password(
    desk: &Desk,
    username: &str,
    password: &str,
    client: &str,
) -> DeskResult<crate::db::catalog::UserRow> {
    if let Some((standing, why)) = desk.auth.sign_in.check(desk, username, client).await {
        let method = if desk.ldap.is_some() { "ldap" } else { "password" };
        let attempt =
            Attempt { username, user_id: None, address: client, method, outcome: "refused", reason: Some(&why) };
        signins::record(desk, attempt);
        return Err(DeskError::TooManyRequests {
            detail: "too many failed sign-ins from here; wait before trying again".into(),
            retry_after_secs: standing.wait_secs,
        });
    }
    let name = username.to_string();
    let user = desk.read(move |conn| Ok(catalog::user_by_username(conn, &name)?)).await?;
    // The directory judges its own people, and anyone unknown here while there is one; an
    // account made here keeps its own password even when the directory has the same name.
    let directory = desk.ldap.clone().filter(|_| user.as_ref().is_none_or(|u| u.auth_source == "ldap"));
    let user = match directory {
        Some(directory) => directory_sign_in(desk, &directory, username, password, client, user).await?,
        None => local_sign_in(desk, username, password, client, user).await?,
    };
    desk.auth.sign_in.succeeded(desk, username, client).await;
    let method = if user.auth_source == "ldap" { "ldap" } else { "password" };
    let log = |outcome: &'static str, reason: &str| {
        let attempt =
            Attempt { username, user_id: Some(&user.id), address: client, method, outcome, reason: Some(reason) };
        signins::record(desk, attempt);
    };
    if user.must_change_password {
        log("refused", "temporary password to change");
        // The password was right, but it is a temporary one an admin gave: nothing but a change.
        return Err(DeskError::Refused {
            code: "password_change_required",
            detail: "this is a temporary password: change it first (POST /api/v1/auth/password with username, current and new)".into(),
        });
    }
    let reason = match super::two_factor::requirement(desk, &user) {
        super::two_factor::Requirement::None => "signed in",
        super::two_factor::Requirement::Code => "password right; second factor next",
        super::two_factor::Requirement::Enrolment => "password right; enrolment of a second factor next",
    };
    log("ok", reason);
    Ok(user)
}

/// What a failed sign-in answers, whatever the cause: nobody learns which usernames exist.
fn wrong_credentials() -> DeskError {
    DeskError::Unauthorized("wrong username or password".into())
}

/// A failure that counts against the throttle, logged with the standing it leaves.
async fn count_failure(
    desk: &Desk,
    username: &str,
    client: &str,
    user_id: Option<&str>,
    method: &'static str,
    why: &str,
) {
    let (pair, from_here) = desk.auth.sign_in.failed(desk, username, client).await;
    let reason = format!("{why} ({pair} for this account from this address, {from_here} from this address)");
    signins::record(
        desk,
        Attempt { username, user_id, address: client, method, outcome: "failed", reason: Some(&reason) },
    );
}

/// The password checked against the Argon2 hash kept here.
async fn local_sign_in(
    desk: &Desk,
    username: &str,
    password: &str,
    client: &str,
    user: Option<catalog::UserRow>,
) -> DeskResult<catalog::UserRow> {
    let password = password.to_string();
    let stored = user.as_ref().map(|u| u.password_hash.clone());
    let valid = tokio::task::spawn_blocking(move || {
        verify_password(&password, stored.as_deref().unwrap_or_else(|| dummy_hash()))
    })
    .await
    .map_err(|e| DeskError::Internal(e.to_string()))?;
    match user {
        Some(u) if valid && u.active => Ok(u),
        other => {
            let why = match &other {
                None => "unknown user",
                Some(u) if !u.active => "account switched off",
                Some(u) if u.auth_source != "local" => "a directory account, and the directory is not configured here",
                Some(_) => "wrong password",
            };
            count_failure(desk, username, client, other.as_ref().map(|u| u.id.as_str()), "password", why).await;
            Err(wrong_credentials())
        }
    }
}

/// The password checked by the directory; the account here made or brought up to date from
/// what the directory says. A directory that cannot be reached is said so, plainly.
async fn directory_sign_in(
    desk: &Desk,
    directory: &super::ldap::Directory,
    username: &str,
    password: &str,
    client: &str,
    known: Option<catalog::UserRow>,
) -> DeskResult<catalog::UserRow> {
    use super::ldap::Failure;
    let known_id = known.as_ref().map(|u| u.id.clone());
    let refuse = |outcome: &'static str, why: &str| {
        let attempt = Attempt {
            username,
            user_id: known_id.as_deref(),
            address: client,
            method: "ldap",
            outcome,
            reason: Some(why),
        };
        signins::record(desk, attempt);
    };
    let person = match directory.authenticate(&username.to_lowercase(), password).await {
        Ok(person) => person,
        Err(Failure::Unavailable(why)) => {
            tracing::warn!(reason = %why, "the directory cannot be reached for a sign-in");
            refuse("failed", &format!("directory unreachable: {why}"));
            return Err(DeskError::DirectoryUnavailable(
                "direktori tidak dapat dihubungi: the directory cannot be reached, try again shortly (accounts of this desk still sign in)".into(),
            ));
        }
        Err(failure) => {
            let why = match (failure, &known) {
                (Failure::NotFound, Some(_)) => "no longer in the directory",
                (Failure::NotFound, None) => "unknown user",
                (Failure::Disabled, _) => "disabled in the directory",
                _ => "wrong password (the directory refused it)",
            };
            count_failure(desk, username, client, known_id.as_deref(), "ldap", why).await;
            return Err(wrong_credentials());
        }
    };
    let desk_in = desk.clone();
    match desk.writer.write(move |tx| super::directory::provision(tx, &desk_in, &person)).await {
        Ok(user) => Ok(user),
        Err(e) => {
            refuse("refused", &e.to_string());
            Err(e)
        }
    }
}

/// The second step: nothing for an account without a second factor; a code for one with it
/// (`totp_required` without one; a wrong one counts like a wrong password); enrolment first
/// for a role that needs one and has none (`totp_enrolment_required`).
pub async fn check_second_factor(
    desk: &Desk,
    user: &crate::db::catalog::UserRow,
    code: Option<&str>,
    client: &str,
) -> DeskResult<()> {
    use super::two_factor::{self, Requirement};
    match two_factor::requirement(desk, user) {
        Requirement::None => Ok(()),
        Requirement::Enrolment => Err(DeskError::Refused {
            code: "totp_enrolment_required",
            detail: "this role signs in with a second factor: enrol first (POST /api/v1/auth/totp with username and password, then /auth/totp/confirm)".into(),
        }),
        Requirement::Code => {
            let Some(code) = code.filter(|c| !c.trim().is_empty()) else {
                return Err(DeskError::SecondFactorRequired(
                    "send the six-digit code of your authenticator app (or a recovery code) as totp".into(),
                ));
            };
            if let Some((standing, why)) = desk.auth.sign_in.check(desk, &user.username, client).await {
                signins::record(desk, Attempt { username: &user.username, user_id: Some(&user.id), address: client, method: "totp", outcome: "refused", reason: Some(&why) });
                return Err(DeskError::TooManyRequests {
                    detail: "too many failed sign-ins from here; wait before trying again".into(),
                    retry_after_secs: standing.wait_secs,
                });
            }
            let attempt = |method: &'static str, outcome: &'static str, reason: &'static str| Attempt {
                username: &user.username,
                user_id: Some(&user.id),
                address: client,
                method,
                outcome,
                reason: Some(reason),
            };
            match two_factor::verify(desk, user, code).await? {
                Some(method) => {
                    signins::record(desk, attempt(method, "ok", "signed in"));
                    Ok(())
                }
                None => {
                    desk.auth.sign_in.failed(desk, &user.username, client).await;
                    signins::record(desk, attempt("totp", "failed", "wrong or already used code"));
                    Err(DeskError::Unauthorized("wrong or already used code".into()))
                }
            }
        }
    }
}

/// A new session (a bearer token) for a person who has passed every step.
/// `client` and `user_agent` are kept with it, for the person's list of sessions.
pub async fn issue_session(
    desk: &Desk,
    user: crate::db::catalog::UserRow,
    client: &str,
    user_agent: Option<&str>,
) -> DeskResult<IssuedToken> {
    let address = Some(client.chars().take(64).collect::<String>());
    let user_agent = user_agent.map(|a| a.chars().take(300).collect::<String>());
    let role = Role::parse(&user.role)
        .ok_or_else(|| DeskError::Internal(format!("user {} has unknown role", user.username)))?;
    let token = format!("mj_{}", random_secret(32));
    let token_hash = sha256_hex(&token);
    let issued = desk
        .writer
        .write(move |tx| {
            let expires = tx.now + ChronoDuration::days(TOKEN_LIFETIME_DAYS);
            let row = tokens::TokenRow {
                id: new_id(),
                user_id: user.id.clone(),
                token_hash,
                label: "login".into(),
                created_at: tx.now.naive_utc(),
                expires_at: expires.naive_utc(),
                revoked_at: None,
                address,
                user_agent,
                last_used_at: Some(tx.now.naive_utc()),
            };
            tokens::insert(tx.conn, &row)?;
            tx.record(
                None,
                Some(&user.id),
                "auth.token_issued",
                serde_json::json!({ "token_id": row.id, "expires_at": expires }),
            )?;
            Ok(IssuedToken { token, token_type: "Bearer", expires_at: expires, username: user.username, role })
        })
        .await?;
    Ok(issued)
}

/// How often a session's "last used" is written: a person's list of sessions needs minutes,
/// not a write on every request.
const TOUCH_EVERY: Duration = Duration::from_secs(300);

/// Notes that a session or token was used now; queued with the writer at most every five
/// minutes per token and process, and never waited for.
pub fn note_use(desk: &Desk, token_id: &str) {
    let due = match desk.auth.touched.lock() {
        Ok(mut map) => {
            if map.len() > 100_000 {
                map.retain(|_, at| at.elapsed() < TOUCH_EVERY);
            }
            let fresh = map.get(token_id).is_some_and(|at| at.elapsed() < TOUCH_EVERY);
            if !fresh {
                map.insert(token_id.to_string(), Instant::now());
            }
            !fresh
        }
        Err(_) => false,
    };
    if due {
        let id = token_id.to_string();
        let _ = desk.writer.enqueue(move |tx| Ok(tokens::touch(tx.conn, &id, tx.now.naive_utc())?));
    }
}

/// The actor behind a bearer token, with the id of the token (for revocation). Requests
/// check their tokens through [`Desk::token_checks`](crate::desk::token_checks), which reads
/// many at once; this reads one.
pub fn authenticate(
    conn: &mut crate::db::DbConn,
    token: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> DeskResult<Option<(Actor, String)>> {
    Ok(tokens::owner_of_token(conn, &sha256_hex(token), now.naive_utc())?.and_then(token_actor))
}

/// The actor a live token's owner acts as, with the token's id; none for a role this version
/// does not know.
pub fn token_actor(owner: tokens::TokenOwner) -> Option<(Actor, String)> {
    let role = Role::parse(&owner.role)?;
    Some((
        Actor { user_id: owner.user_id, username: owner.username, name: owner.name, role, unit_id: owner.unit_id },
        owner.token_id,
    ))
}

pub async fn revoke_token(desk: &Desk, actor: &Actor, token_id: &str) -> DeskResult<()> {
    let (actor_id, token_id) = (actor.user_id.clone(), token_id.to_string());
    desk.writer
        .write(move |tx| {
            tokens::revoke(tx.conn, &token_id, tx.now.naive_utc())?;
            tx.record(None, Some(&actor_id), "auth.token_revoked", serde_json::json!({ "token_id": token_id }))?;
            Ok(())
        })
        .await
}

/// Integration tokens issued from the administration pages live this long unless revoked.
pub const INTEGRATION_TOKEN_LIFETIME_DAYS: i64 = 365;

/// A token as the administration pages list it: never its secret or its hash.
#[derive(Debug, Clone, serde::Serialize)]
pub struct TokenView {
    pub id: String,
    pub owner: String,
    pub label: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub expires_at: chrono::DateTime<chrono::Utc>,
    pub revoked_at: Option<chrono::DateTime<chrono::Utc>>,
}

fn require_admin(actor: &Actor) -> DeskResult<()> {
    if actor.role == Role::Admin {
        Ok(())
    } else {
        Err(DeskError::Forbidden("only an admin may list, issue or revoke API tokens".into()))
    }
}

/// The newest tokens, sessions included (an admin).
pub fn list_tokens(conn: &mut crate::db::DbConn, actor: &Actor, limit: i64) -> DeskResult<Vec<TokenView>> {
    require_admin(actor)?;
    Ok(tokens::list_recent(conn, limit)?
        .into_iter()
        .map(|(t, owner)| TokenView {
            id: t.id,
            owner,
            label: t.label,
            created_at: t.created_at.and_utc(),
            expires_at: t.expires_at.and_utc(),
            revoked_at: t.revoked_at.map(|r| r.and_utc()),
        })
        .collect())
}

/// A labelled token for an integration, owned by the admin who issues it; the secret is in the
/// answer only.
pub fn issue_integration_token(tx: &mut super::Tx, actor: &Actor, label: &str) -> DeskResult<IssuedToken> {
    require_admin(actor)?;
    let label = label.trim().to_string();
    super::catalog::check_text("label", &label, 80)?;
    let token = format!("mj_{}", random_secret(32));
    let expires = tx.now + ChronoDuration::days(INTEGRATION_TOKEN_LIFETIME_DAYS);
    let row = tokens::TokenRow {
        id: new_id(),
        user_id: actor.user_id.clone(),
        token_hash: sha256_hex(&token),
        label: label.clone(),
        created_at: tx.now.naive_utc(),
        expires_at: expires.naive_utc(),
        revoked_at: None,
        address: None,
        user_agent: None,
        last_used_at: None,
    };
    tokens::insert(tx.conn, &row)?;
    tx.record(
        None,
        Some(&actor.user_id),
        "auth.token_issued",
        serde_json::json!({ "token_id": row.id, "label": label, "expires_at": expires, "integration": true }),
    )?;
    Ok(IssuedToken {
        token,
        token_type: "Bearer",
        expires_at: expires,
        username: actor.username.clone(),
        role: actor.role,
    })
}

/// Revokes any token by its id (an admin): a lost laptop's session or a retired integration.
pub fn revoke_any_token(tx: &mut super::Tx, actor: &Actor, token_id: &str) -> DeskResult<()> {
    require_admin(actor)?;
    let row = tokens::by_id(tx.conn, token_id)?.ok_or_else(|| DeskError::not_found("token", token_id))?;
    if row.revoked_at.is_some() {
        return Err(DeskError::conflict("already_revoked", format!("token {token_id} is already revoked")));
    }
    tokens::revoke(tx.conn, &row.id, tx.now.naive_utc())?;
    tx.record(
        None,
        Some(&actor.user_id),
        "auth.token_revoked",
        serde_json::json!({ "token_id": row.id, "owner_id": row.user_id, "label": row.label, "by_admin": true }),
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_and_verify() {
        let hash = hash_password("Rahasia-Kuat-2026!").expect("hash");
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("Rahasia-Kuat-2026!", &hash));
        assert!(!verify_password("rahasia-kuat-2026!", &hash));
        assert!(!verify_password("x", dummy_hash()));
    }
}

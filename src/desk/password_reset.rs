//! "Lupa kata sandi": a person asks by username or e-mail address and gets a single-use link,
//! valid 30 minutes, at the address on their account. The answer is the same whether or not
//! such an account exists (nobody learns who has one); the link is kept only as its SHA-256,
//! and its token leaves the outbox once the mail is delivered. Using it sets the new password,
//! spends every other open link, ends every session and is audited.

use chrono::Duration;
use serde::Deserialize;
use serde_json::json;

use super::auth::{hash_password, random_secret, sha256_hex};
use super::passwords::check_policy;
use super::{new_id, Desk, DeskError, DeskResult};
use crate::db::catalog as users_db;
use crate::db::outbox::{self, OutboxRow};
use crate::db::password_resets::{self as db, ResetRow};
use crate::db::tokens;

pub const LINK_LIFETIME: Duration = Duration::minutes(30);
/// Links one person can be sent an hour: whoever knows a username can ask.
const LINKS_PER_HOUR: i64 = 3;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResetRequest {
    /// A username or an e-mail address.
    pub login: String,
}

/// Sends a link if `login` names an active account with an e-mail address, under the hourly
/// bound; otherwise does nothing. Either way the caller answers the same.
pub async fn request(desk: &Desk, input: ResetRequest) -> DeskResult<()> {
    let login = input.login.trim().to_lowercase();
    if login.is_empty() || login.len() > 254 {
        return Err(DeskError::invalid("login", "a username or an e-mail address"));
    }
    desk.writer
        .write(move |tx| {
            let user = match users_db::user_by_username(tx.conn, &login)? {
                Some(u) => Some(u),
                None if login.contains('@') => users_db::user_by_email(tx.conn, &login)?,
                None => None,
            };
            // The directory keeps the passwords of its people: there is none here to reset.
            let Some(user) = user.filter(|u| u.active && u.auth_source == "local") else { return Ok(()) };
            let Some(email) = user.email.clone() else { return Ok(()) };
            let now = tx.now.naive_utc();
            if db::sent_since(tx.conn, &user.id, now - Duration::hours(1))? >= LINKS_PER_HOUR {
                tracing::warn!(user = %user.username, "password reset links: hourly bound reached; none sent");
                return Ok(());
            }
            let reset_id = send_link(tx, &user, &email, LINK_LIFETIME, "password_reset")?;
            tx.record(
                None,
                Some(&user.id),
                "user.password_reset_requested",
                json!({ "user_id": user.id, "reset_id": reset_id }),
            )?;
            Ok(())
        })
        .await
}

/// How long a newcomer's first link lasts: onboarding mail is read in days, not minutes.
pub const INVITATION_LIFETIME: Duration = Duration::days(7);

/// Keeps a single-use link (its SHA-256 only) and queues the mail `kind` that carries it:
/// `password_reset`, or `account_invitation` for someone imported in bulk. Returns the link's id.
pub fn send_link(
    tx: &mut super::Tx,
    user: &users_db::UserRow,
    email: &str,
    lifetime: Duration,
    kind: &str,
) -> DeskResult<String> {
    let now = tx.now.naive_utc();
    let token = random_secret(32);
    let row = ResetRow {
        id: new_id(),
        user_id: user.id.clone(),
        token_hash: sha256_hex(&token),
        created_at: now,
        expires_at: now + lifetime,
        used_at: None,
    };
    db::insert(tx.conn, &row)?;
    let payload = json!({
        "reset_token": token, "name": user.name, "username": user.username,
        "minutes": lifetime.num_minutes(), "days": lifetime.num_days(),
    });
    outbox::insert(tx.conn, &OutboxRow::new(now, None, "email", email, kind, &payload))?;
    Ok(row.id)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResetConfirm {
    pub token: String,
    pub new: String,
}

impl std::fmt::Debug for ResetConfirm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ResetConfirm { .. }")
    }
}

/// Sets the new password with a link's token: refused when the token is unknown, used or
/// expired (one answer for all three), or the password breaks the policy.
pub async fn confirm(desk: &Desk, input: ResetConfirm) -> DeskResult<()> {
    let token_hash = sha256_hex(input.token.trim());
    let now = desk.now().naive_utc();
    let found = desk
        .read(move |conn| {
            let Some(reset) = db::by_hash(conn, &token_hash)? else { return Ok(None) };
            Ok(users_db::user_by_id(conn, &reset.user_id)?.map(|u| (reset, u)))
        })
        .await?;
    let usable = |r: &ResetRow| r.used_at.is_none() && r.expires_at > now;
    let Some((reset, user)) = found.filter(|(r, u)| usable(r) && u.active) else {
        return Err(DeskError::invalid("token", "this link is unknown, used or expired; ask for a new one"));
    };
    check_policy(&input.new, &user.username, &user.name)?;
    let password = input.new;
    let hash = tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|e| DeskError::Internal(e.to_string()))??;
    desk.writer
        .write(move |tx| {
            let now = tx.now.naive_utc();
            // Checked again under the write: two tabs racing with one link set one password.
            let again = db::by_hash(tx.conn, &reset.token_hash)?.filter(|r| r.used_at.is_none() && r.expires_at > now);
            if again.is_none() {
                return Err(DeskError::invalid("token", "this link is unknown, used or expired; ask for a new one"));
            }
            let mut row =
                users_db::user_by_id(tx.conn, &user.id)?.ok_or_else(|| DeskError::not_found("user", &user.id))?;
            row.password_hash = hash;
            row.must_change_password = false;
            users_db::update_user(tx.conn, &row)?;
            db::use_all_of(tx.conn, &row.id, now)?;
            let ended = tokens::revoke_all_for_user(tx.conn, &row.id, now)?;
            let data = json!({ "user_id": row.id, "reset_id": reset.id, "sessions_ended": ended });
            tx.record(None, Some(&row.id), "user.password_reset", data)?;
            Ok(())
        })
        .await
}

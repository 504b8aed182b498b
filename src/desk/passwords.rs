//! Passwords (OWASP ASVS 2.1): the policy, changing one's own, and the temporary password an
//! admin sets, which must be changed at the next sign-in. A change signs the person out
//! everywhere else; every change is an audit event with no secret in it.

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::auth::{hash_password, random_secret, verify_password};
use super::{Desk, DeskError, DeskResult};
use crate::db::catalog::{self as db, UserRow};
use crate::db::tokens;
use crate::domain::role::{Actor, Role};

pub const MIN_LENGTH: usize = 12;

/// Words every guesser tries first here and that an English list does not know: the city's
/// and the desk's own names, and Indonesia's favourite passwords.
const LOCAL_WORDS: &[&str] = &[
    "indonesia",
    "bismillah",
    "sayang",
    "sayangku",
    "rahasia",
    "katasandi",
    "merdeka",
    "pemkot",
    "pemkab",
    "diskominfo",
    "kominfo",
    "meja",
    "layanan",
    "admin",
    "jakarta",
    "garuda",
    "pancasila",
    "selamat",
];

/// The policy: at least twelve characters, not the username (nor the person's name), and not
/// a common or easily guessed password (zxcvbn's estimate over common passwords, words, names,
/// keyboard patterns and dates, with Indonesian favourites added).
pub fn check_policy(password: &str, username: &str, name: &str) -> DeskResult<()> {
    if password.chars().count() < MIN_LENGTH {
        return Err(DeskError::invalid("password", format!("must be at least {MIN_LENGTH} characters long")));
    }
    let lower = password.to_lowercase();
    if username.len() >= 3 && lower.contains(&username.to_lowercase()) {
        return Err(DeskError::invalid("password", "must not contain the username"));
    }
    // A favourite word dressed with digits and signs ("Indonesia2026!") is still that word.
    let core: String = lower.trim_matches(|c: char| !c.is_alphabetic()).to_string();
    if LOCAL_WORDS.contains(&core.as_str()) {
        return Err(DeskError::invalid("password", "is a common password with digits added; choose a longer phrase"));
    }
    let mut known: Vec<&str> = LOCAL_WORDS.to_vec();
    known.push(username);
    known.extend(name.split_whitespace());
    let estimate = zxcvbn::zxcvbn(password, &known);
    if estimate.score() < zxcvbn::Score::Two {
        return Err(DeskError::invalid("password", "is a common or easily guessed password; choose a longer phrase"));
    }
    Ok(())
}

/// A password made up for someone: long, random, typeable.
pub fn generated() -> String {
    let hex = random_secret(9);
    format!("{}-{}-{}", &hex[..6], &hex[6..12], &hex[12..])
}

/// Argon2 is slow on purpose: off the async workers.
async fn hash_blocking(password: String) -> DeskResult<String> {
    tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|e| DeskError::Internal(e.to_string()))?
}

async fn verify_blocking(password: String, stored: String) -> DeskResult<bool> {
    tokio::task::spawn_blocking(move || verify_password(&password, &stored))
        .await
        .map_err(|e| DeskError::Internal(e.to_string()))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    /// Only without a token: whose temporary password is being replaced.
    #[serde(default)]
    pub username: Option<String>,
    pub current: String,
    pub new: String,
}

impl std::fmt::Debug for PasswordChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordChange").field("username", &self.username).finish_non_exhaustive()
    }
}

/// Changes a password with the current one. `actor` is the signed-in person; without one (the
/// token API refuses an account with a temporary password) `username` names the account, and
/// only an account that must change its password may do it this way. Every other session and
/// token of the person ends; `current_token` (the one in use) is kept.
pub async fn change(
    desk: &Desk,
    actor: Option<&Actor>,
    current_token: Option<&str>,
    input: PasswordChange,
) -> DeskResult<()> {
    let username = match (actor, &input.username) {
        (Some(a), _) => a.username.clone(),
        (None, Some(u)) => u.clone(),
        (None, None) => return Err(DeskError::Unauthorized("sign in, or give the username".into())),
    };
    let name = username.clone();
    let user = desk.read(move |conn| Ok(db::user_by_username(conn, &name)?)).await?;
    let stored = user.as_ref().map(|u| u.password_hash.clone()).unwrap_or_default();
    let matches = verify_blocking(input.current.clone(), stored).await?;
    let user = match user {
        Some(u) if matches && u.active => u,
        _ => return Err(DeskError::Unauthorized("wrong username or current password".into())),
    };
    if actor.is_none() && !user.must_change_password {
        return Err(DeskError::Unauthorized("sign in to change your password".into()));
    }
    check_policy(&input.new, &user.username, &user.name)?;
    if input.new == input.current {
        return Err(DeskError::invalid("new", "must differ from the current password"));
    }
    let hash = hash_blocking(input.new).await?;
    let keep = current_token.map(str::to_string);
    desk.writer
        .write(move |tx| {
            let mut row = db::user_by_id(tx.conn, &user.id)?.ok_or_else(|| DeskError::not_found("user", &user.id))?;
            row.password_hash = hash;
            row.must_change_password = false;
            db::update_user(tx.conn, &row)?;
            let revoked = tokens::revoke_all_for_user_except(tx.conn, &row.id, keep.as_deref(), tx.now.naive_utc())?;
            tx.record(
                None,
                Some(&row.id),
                "user.password_changed",
                json!({ "user_id": row.id, "sessions_ended": revoked }),
            )?;
            Ok(())
        })
        .await
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct TemporaryPassword {
    #[serde(default)]
    pub password: Option<String>,
}

#[derive(Serialize)]
pub struct TemporaryPasswordSet {
    pub username: String,
    /// Shown once, when meja made it up; absent when the admin chose it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    pub must_change: bool,
}

/// An admin sets a temporary password (chosen, or made up and returned once): the person's
/// sessions end, and until they change it the token API answers only with
/// `password_change_required`.
pub async fn set_temporary(
    desk: &Desk,
    actor: Option<&Actor>,
    username: &str,
    input: TemporaryPassword,
) -> DeskResult<TemporaryPasswordSet> {
    // `None`: the server's operator (`meja user password`).
    if actor.is_some_and(|a| a.role != Role::Admin) {
        return Err(DeskError::Forbidden("only an admin sets another person's password".into()));
    }
    let name = username.to_string();
    let user = desk
        .read(move |conn| Ok(db::user_by_username(conn, &name)?))
        .await?
        .ok_or_else(|| DeskError::not_found("user", username))?;
    if user.auth_source != "local" {
        return Err(DeskError::invalid(
            "username",
            format!(
                "{} signs in through the directory ({}); their password is kept there",
                user.username, user.auth_source
            ),
        ));
    }
    let (password, shown) = match input.password {
        Some(p) => {
            check_policy(&p, &user.username, &user.name)?;
            (p, None)
        }
        None => {
            let p = generated();
            (p.clone(), Some(p))
        }
    };
    let hash = hash_blocking(password).await?;
    let actor_id = actor.map(|a| a.user_id.clone());
    let user_id = user.id.clone();
    desk.writer
        .write(move |tx| {
            let mut row: UserRow =
                db::user_by_id(tx.conn, &user_id)?.ok_or_else(|| DeskError::not_found("user", &user_id))?;
            row.password_hash = hash;
            row.must_change_password = true;
            db::update_user(tx.conn, &row)?;
            let revoked = tokens::revoke_all_for_user(tx.conn, &row.id, tx.now.naive_utc())?;
            tx.record(
                None,
                actor_id.as_deref(),
                "user.temporary_password_set",
                json!({ "user_id": row.id, "generated": shown.is_some(), "sessions_ended": revoked }),
            )?;
            Ok(TemporaryPasswordSet { username: row.username, password: shown, must_change: true })
        })
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_refuses_short_common_and_own_names() {
        assert!(check_policy("pendek", "budi", "Budi").is_err());
        assert!(check_policy("password1234", "budi", "Budi").is_err());
        assert!(check_policy("qwertyuiop123", "budi", "Budi").is_err());
        assert!(check_policy("bismillah12345", "budi", "Budi").is_err());
        assert!(check_policy("budi.santoso.1990", "budi", "Budi Santoso").is_err());
        assert!(check_policy("indonesia2026!", "budi", "Budi").is_err());
        assert!(check_policy("Rahasia-Kuat-2026!", "budi", "Budi").is_ok());
        assert!(check_policy("Admin-Uji-2026!", "admin2", "Administrator").is_ok());
        assert!(check_policy("Meja-Demo-2026", "agen", "Agen").is_ok());
        assert!(check_policy("kopi tubruk di alun-alun", "budi", "Budi").is_ok());
        assert!(check_policy(&generated(), "budi", "Budi").is_ok());
    }
}

//! A person's sessions (console sign-ins) and tokens: when each began, from where, in which
//! browser, when it was last used (to within five minutes); signing out everywhere else. An
//! admin does the same for anyone.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::json;

use super::{DeskError, DeskResult, Tx};
use crate::db::catalog as users_db;
use crate::db::tokens::{self, TokenRow};
use crate::db::DbConn;
use crate::domain::role::{Actor, Role};

#[derive(Debug, Clone, Serialize)]
pub struct SessionView {
    pub id: String,
    /// `login` for a sign-in, else the integration token's label.
    pub label: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub expires_at: DateTime<Utc>,
    pub address: Option<String>,
    /// The browser in a word (`Firefox`, `Chrome` …), and as it names itself.
    pub browser: Option<String>,
    pub user_agent: Option<String>,
    /// The session of this very request.
    pub current: bool,
}

/// A browser's name in a word, from its User-Agent (order matters: Edge and Chrome say Safari).
pub fn browser_name(agent: &str) -> String {
    let known = [
        ("Edg/", "Edge"),
        ("OPR/", "Opera"),
        ("Firefox/", "Firefox"),
        ("Chrome/", "Chrome"),
        ("Safari/", "Safari"),
        ("curl/", "curl"),
        ("python", "Python"),
        ("ureq", "ureq"),
    ];
    known.iter().find(|(needle, _)| agent.contains(needle)).map_or_else(|| "lainnya".into(), |(_, name)| (*name).into())
}

fn view(row: TokenRow, current: &str) -> SessionView {
    SessionView {
        current: row.id == current,
        browser: row.user_agent.as_deref().map(browser_name),
        id: row.id,
        label: row.label,
        created_at: row.created_at.and_utc(),
        last_used_at: row.last_used_at.map(|t| t.and_utc()),
        expires_at: row.expires_at.and_utc(),
        address: row.address,
        user_agent: row.user_agent,
    }
}

/// Whose sessions: one's own, or (admins) anyone's by username.
fn owner(conn: &mut DbConn, actor: &Actor, username: Option<&str>) -> DeskResult<String> {
    match username.filter(|u| *u != actor.username) {
        None => Ok(actor.user_id.clone()),
        Some(_) if actor.role != Role::Admin => {
            Err(DeskError::Forbidden("only an admin sees another person's sessions".into()))
        }
        Some(u) => Ok(users_db::user_by_username(conn, u)?.ok_or_else(|| DeskError::not_found("user", u))?.id),
    }
}

pub fn list(
    conn: &mut DbConn,
    actor: &Actor,
    current_token: &str,
    username: Option<&str>,
    now: DateTime<Utc>,
) -> DeskResult<Vec<SessionView>> {
    let user_id = owner(conn, actor, username)?;
    Ok(tokens::live_of(conn, &user_id, now.naive_utc())?.into_iter().map(|r| view(r, current_token)).collect())
}

/// Ends every session and token of the person but the one in use (one's own), or all of them
/// (an admin for someone else). Returns how many ended.
pub fn end_others(tx: &mut Tx, actor: &Actor, current_token: &str, username: Option<&str>) -> DeskResult<usize> {
    let user_id = owner(tx.conn, actor, username)?;
    let keep = (user_id == actor.user_id).then_some(current_token);
    let ended = tokens::revoke_all_for_user_except(tx.conn, &user_id, keep, tx.now.naive_utc())?;
    tx.record(None, Some(&actor.user_id), "user.sessions_ended", json!({ "user_id": user_id, "ended": ended }))?;
    Ok(ended)
}

#[cfg(test)]
mod tests {
    #[test]
    fn browsers_by_name() {
        let chrome =
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0 Safari/537.36";
        assert_eq!(super::browser_name(chrome), "Chrome");
        assert_eq!(
            super::browser_name("Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0"),
            "Firefox"
        );
        assert_eq!(super::browser_name("Mozilla/5.0 ... Chrome/120 Safari/537.36 Edg/120"), "Edge");
        assert_eq!(super::browser_name("curl/8.5"), "curl");
    }
}

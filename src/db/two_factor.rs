//! Recovery codes of the second factor, and the console's sign-in challenges.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{sign_in_challenges, totp_recovery_codes};
use super::DbConn;

/// Spends an unused recovery code of `user_id` with this hash; `true` when there was one.
pub fn spend_recovery_code(conn: &mut DbConn, user_id: &str, code_hash: &str, now: NaiveDateTime) -> QueryResult<bool> {
    let spent = diesel::update(
        totp_recovery_codes::table
            .filter(totp_recovery_codes::user_id.eq(user_id))
            .filter(totp_recovery_codes::code_hash.eq(code_hash))
            .filter(totp_recovery_codes::used_at.is_null()),
    )
    .set(totp_recovery_codes::used_at.eq(now))
    .execute(conn)?;
    Ok(spent > 0)
}

/// Replaces a person's recovery codes (none: they are gone with the second factor).
pub fn replace_recovery_codes(
    conn: &mut DbConn,
    user_id: &str,
    hashes: &[String],
    now: NaiveDateTime,
    new_id: fn() -> String,
) -> QueryResult<()> {
    diesel::delete(totp_recovery_codes::table.filter(totp_recovery_codes::user_id.eq(user_id))).execute(conn)?;
    for hash in hashes {
        diesel::insert_into(totp_recovery_codes::table)
            .values((
                totp_recovery_codes::id.eq(new_id()),
                totp_recovery_codes::user_id.eq(user_id),
                totp_recovery_codes::code_hash.eq(hash),
                totp_recovery_codes::created_at.eq(now),
            ))
            .execute(conn)?;
    }
    Ok(())
}

pub fn insert_challenge(
    conn: &mut DbConn,
    id: &str,
    user_id: &str,
    token_hash: &str,
    now: NaiveDateTime,
    expires: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(sign_in_challenges::table)
        .values((
            sign_in_challenges::id.eq(id),
            sign_in_challenges::user_id.eq(user_id),
            sign_in_challenges::token_hash.eq(token_hash),
            sign_in_challenges::created_at.eq(now),
            sign_in_challenges::expires_at.eq(expires),
        ))
        .execute(conn)
        .map(drop)
}

/// The person behind a live, unused challenge (`spend`: and uses it up).
pub fn challenge_user(
    conn: &mut DbConn,
    token_hash: &str,
    now: NaiveDateTime,
    spend: bool,
) -> QueryResult<Option<String>> {
    let live = sign_in_challenges::table
        .filter(sign_in_challenges::token_hash.eq(token_hash))
        .filter(sign_in_challenges::used_at.is_null())
        .filter(sign_in_challenges::expires_at.gt(now));
    let found: Option<String> = live.select(sign_in_challenges::user_id).first(conn).optional()?;
    if found.is_some() && spend {
        diesel::update(sign_in_challenges::table.filter(sign_in_challenges::token_hash.eq(token_hash)))
            .set(sign_in_challenges::used_at.eq(now))
            .execute(conn)?;
    }
    Ok(found)
}

//! Two-factor sign-in (OWASP ASVS 2.8): TOTP codes (RFC 6238: six digits, 30-second steps, one
//! step of clock drift either way), as Google Authenticator, Aegis and FreeOTP make them.
//! Enrolment shows a secret and its QR code (drawn here, no outside service) and is confirmed
//! with a code; it hands out ten single-use recovery codes, kept as SHA-256. A code is never
//! accepted twice (the step of the last one is kept), and wrong codes count against the same
//! throttle as wrong passwords. Roles in `MEJA_2FA_REQUIRED_ROLES` must enrol before they get a
//! session or a token.

use qrcode::render::svg;
use qrcode::QrCode;
use serde::Serialize;
use serde_json::json;
use totp_rs::{Algorithm, Secret, TOTP};

use super::auth::{random_secret, sha256_hex};
use super::{new_id, Desk, DeskError, DeskResult};
use crate::db::catalog::{self as users_db, UserRow};
use crate::db::two_factor as db;
use crate::domain::role::Role;

const STEP_SECONDS: u64 = 30;
const RECOVERY_CODES: usize = 10;
const ISSUER: &str = "meja Service Desk";

/// The TOTP of a base32 secret for a person.
fn totp_of(secret_base32: &str, username: &str) -> DeskResult<TOTP> {
    let bytes = Secret::Encoded(secret_base32.to_string())
        .to_bytes()
        .map_err(|e| DeskError::Internal(format!("stored TOTP secret unreadable: {e:?}")))?;
    TOTP::new(Algorithm::SHA1, 6, 1, STEP_SECONDS, bytes, Some(ISSUER.into()), username.replace(':', "_"))
        .map_err(|e| DeskError::Internal(format!("TOTP: {e}")))
}

/// The step a code belongs to, if it is right for now (one step of drift either way) and newer
/// than `after`.
fn matching_step(totp: &TOTP, code: &str, now_secs: u64, after: Option<i64>) -> Option<i64> {
    let code = code.trim().replace(' ', "");
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let current = now_secs / STEP_SECONDS;
    [current.saturating_sub(1), current, current + 1]
        .into_iter()
        .find(|step| totp.generate(step * STEP_SECONDS) == code)
        .map(|step| step as i64)
        .filter(|step| after.is_none_or(|last| *step > last))
}

/// Recovery codes look like `7kq2-m9xd`: easy to read off paper, 40 bits each.
fn recovery_code() -> String {
    const ALPHABET: &[u8] = b"23456789abcdefghjkmnpqrstuvwxyz";
    let raw = random_secret(8);
    let chars: String = raw.as_bytes().iter().map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char).collect();
    format!("{}-{}", &chars[..4], &chars[4..8])
}

fn normalise_recovery(code: &str) -> String {
    code.trim().to_lowercase().replace(' ', "")
}

/// What a person's second factor asks of a sign-in.
pub enum Requirement {
    /// Nothing: not enrolled and not required.
    None,
    /// Enrolled: a code (or a recovery code) must come with the password.
    Code,
    /// Required for the role but not enrolled yet: enrolment first.
    Enrolment,
}

pub fn requirement(desk: &Desk, user: &UserRow) -> Requirement {
    if user.totp_secret.is_some() {
        Requirement::Code
    } else if Role::parse(&user.role).is_some_and(|r| desk.two_factor_roles.contains(&r)) {
        Requirement::Enrolment
    } else {
        Requirement::None
    }
}

/// Checks a second factor for `user`: a TOTP code of a step not used before, or an unused
/// recovery code (then spent). `Ok(Some(method))` names what was used; `Ok(None)`: wrong.
pub async fn verify(desk: &Desk, user: &UserRow, code: &str) -> DeskResult<Option<&'static str>> {
    let Some(secret) = &user.totp_secret else { return Ok(None) };
    let totp = totp_of(secret, &user.username)?;
    let now = desk.now().timestamp().max(0) as u64;
    if let Some(step) = matching_step(&totp, code, now, user.totp_last_step) {
        let user_id = user.id.clone();
        // Kept under the write lock: two requests with one code, one wins.
        let accepted = desk
            .writer
            .write(move |tx| {
                let Some(mut row) = users_db::user_by_id(tx.conn, &user_id)? else { return Ok(false) };
                if row.totp_last_step.is_some_and(|last| last >= step) {
                    return Ok(false);
                }
                row.totp_last_step = Some(step);
                users_db::update_user(tx.conn, &row)?;
                Ok(true)
            })
            .await?;
        return Ok(accepted.then_some("totp"));
    }
    let hash = sha256_hex(&normalise_recovery(code));
    let user_id = user.id.clone();
    let spent = desk
        .writer
        .write(move |tx| {
            let used = db::spend_recovery_code(tx.conn, &user_id, &hash, tx.now.naive_utc())?;
            if used {
                tx.record(None, Some(&user_id), "user.recovery_code_used", json!({ "user_id": user_id }))?;
            }
            Ok(used)
        })
        .await?;
    Ok(spent.then_some("recovery"))
}

/// An enrolment begun: what the app needs, shown once.
#[derive(Debug, Clone, Serialize)]
pub struct Enrolment {
    pub otpauth_uri: String,
    pub secret: String,
    /// The QR code of `otpauth_uri` as an SVG document.
    #[serde(skip)]
    pub qr_svg: String,
}

/// Begins (or begins again) an enrolment: a new secret, kept pending until confirmed.
pub async fn begin(desk: &Desk, user_id: &str) -> DeskResult<Enrolment> {
    let user_id = user_id.to_string();
    desk.writer
        .write(move |tx| {
            let mut row =
                users_db::user_by_id(tx.conn, &user_id)?.ok_or_else(|| DeskError::not_found("user", &user_id))?;
            if row.totp_secret.is_some() {
                return Err(DeskError::conflict("already_enrolled", "two-factor sign-in is on; turn it off first"));
            }
            // 160 bits, as RFC 4226 recommends.
            let raw = hex::decode(random_secret(20)).map_err(|e| DeskError::Internal(e.to_string()))?;
            let secret = Secret::Raw(raw).to_encoded().to_string();
            let totp = totp_of(&secret, &row.username)?;
            let uri = totp.get_url();
            row.totp_pending = Some(secret.clone());
            users_db::update_user(tx.conn, &row)?;
            tx.record(None, Some(&row.id), "user.totp_enrolment_started", json!({ "user_id": row.id }))?;
            let qr = QrCode::new(uri.as_bytes()).map_err(|e| DeskError::Internal(format!("QR code: {e}")))?;
            let svg = qr.render::<svg::Color>().min_dimensions(200, 200).build();
            // Inline in a page: the XML prologue has no place there.
            let qr_svg = svg.split_once("?>").map_or(svg.clone(), |(_, rest)| rest.to_string());
            Ok(Enrolment { otpauth_uri: uri, secret, qr_svg })
        })
        .await
}

/// Confirms an enrolment with a code of the pending secret: two-factor sign-in is on, and ten
/// recovery codes are returned (only now, only once).
pub async fn confirm(desk: &Desk, user_id: &str, code: &str) -> DeskResult<Vec<String>> {
    let (user_id, code) = (user_id.to_string(), code.to_string());
    let now = desk.now().timestamp().max(0) as u64;
    desk.writer
        .write(move |tx| {
            let mut row =
                users_db::user_by_id(tx.conn, &user_id)?.ok_or_else(|| DeskError::not_found("user", &user_id))?;
            let Some(pending) = row.totp_pending.clone() else {
                return Err(DeskError::conflict("no_enrolment", "begin the enrolment first (POST /api/v1/auth/totp)"));
            };
            let totp = totp_of(&pending, &row.username)?;
            let Some(step) = matching_step(&totp, &code, now, None) else {
                return Err(DeskError::invalid("code", "wrong code: type the six digits the app shows now"));
            };
            row.totp_secret = Some(pending);
            row.totp_pending = None;
            row.totp_last_step = Some(step);
            users_db::update_user(tx.conn, &row)?;
            let codes: Vec<String> = (0..RECOVERY_CODES).map(|_| recovery_code()).collect();
            let hashes: Vec<String> = codes.iter().map(|c| sha256_hex(c)).collect();
            db::replace_recovery_codes(tx.conn, &row.id, &hashes, tx.now.naive_utc(), new_id)?;
            tx.record(
                None,
                Some(&row.id),
                "user.totp_enrolled",
                json!({ "user_id": row.id, "recovery_codes": RECOVERY_CODES }),
            )?;
            Ok(codes)
        })
        .await
}

/// Turns two-factor sign-in off for a person (their own act, with a session); a required role
/// must enrol again at the next sign-in.
pub async fn disable(desk: &Desk, user_id: &str, by: &str) -> DeskResult<()> {
    let (user_id, by) = (user_id.to_string(), by.to_string());
    desk.writer
        .write(move |tx| {
            let mut row =
                users_db::user_by_id(tx.conn, &user_id)?.ok_or_else(|| DeskError::not_found("user", &user_id))?;
            row.totp_secret = None;
            row.totp_pending = None;
            row.totp_last_step = None;
            users_db::update_user(tx.conn, &row)?;
            db::replace_recovery_codes(tx.conn, &row.id, &[], tx.now.naive_utc(), new_id)?;
            tx.record(None, Some(&by), "user.totp_disabled", json!({ "user_id": row.id }))?;
            Ok(())
        })
        .await
}

/// How long the console's step between the password and the second factor may take.
const CHALLENGE_MINUTES: i64 = 5;

/// The console's sign-in after a right password and before the second step: a single-use
/// token for the next form, so that no password rides in a hidden field.
pub async fn start_challenge(desk: &Desk, user_id: &str) -> DeskResult<String> {
    let token = random_secret(24);
    let (hash, user_id) = (sha256_hex(&token), user_id.to_string());
    desk.writer
        .write(move |tx| {
            let now = tx.now.naive_utc();
            let expires = now + chrono::Duration::minutes(CHALLENGE_MINUTES);
            db::insert_challenge(tx.conn, &new_id(), &user_id, &hash, now, expires)?;
            Ok(())
        })
        .await?;
    Ok(token)
}

/// The person behind a live challenge; `spend` uses it up (on the step's success).
pub async fn challenge_user(desk: &Desk, token: &str, spend: bool) -> DeskResult<Option<UserRow>> {
    let hash = sha256_hex(token.trim());
    let found = if spend {
        desk.writer.write(move |tx| Ok(db::challenge_user(tx.conn, &hash, tx.now.naive_utc(), true)?)).await?
    } else {
        let now = desk.now().naive_utc();
        desk.read(move |conn| Ok(db::challenge_user(conn, &hash, now, false)?)).await?
    };
    match found {
        Some(id) => Ok(desk.read(move |conn| Ok(users_db::user_by_id(conn, &id)?)).await?.filter(|u| u.active)),
        None => Ok(None),
    }
}

/// The roles `MEJA_2FA_REQUIRED_ROLES` names (`admin,supervisor` by default; `none`: nobody).
pub fn parse_required_roles(text: &str) -> Result<Vec<Role>, String> {
    let text = text.trim();
    if text.eq_ignore_ascii_case("none") || text.is_empty() {
        return Ok(Vec::new());
    }
    text.split(',')
        .map(|r| {
            Role::parse(r.trim()).ok_or_else(|| format!("{:?} is not a role ({})", r.trim(), Role::names().join(", ")))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_match_their_step_once_and_within_one_step_of_drift() {
        let secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
        let totp = totp_of(secret, "budi").expect("totp");
        let now = 1_764_900_000;
        let code = totp.generate(now);
        let step = (now / STEP_SECONDS) as i64;
        assert_eq!(matching_step(&totp, &code, now, None), Some(step));
        assert_eq!(matching_step(&totp, &code, now + 30, None), Some(step), "a step late");
        assert_eq!(matching_step(&totp, &code, now + 90, None), None, "three steps late");
        assert_eq!(matching_step(&totp, &code, now, Some(step)), None, "used already");
        assert_eq!(matching_step(&totp, "12345", now, None), None);
        assert!(totp.get_url().starts_with("otpauth://totp/"));
    }

    #[test]
    fn recovery_codes_and_required_roles() {
        let code = recovery_code();
        assert_eq!(code.len(), 9);
        assert_eq!(normalise_recovery(&code.to_uppercase()), code);
        assert_eq!(parse_required_roles("none"), Ok(vec![]));
        assert_eq!(parse_required_roles("admin, supervisor"), Ok(vec![Role::Admin, Role::Supervisor]));
        assert!(parse_required_roles("boss").is_err());
    }
}

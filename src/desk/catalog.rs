//! Units (Perangkat Daerah), services and people: created by admins, each with its audit event.

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::auth::{hash_password, random_secret};
use super::{new_id, Desk, DeskError, DeskResult, Tx};
use crate::db::catalog::{self as db, ServiceRow, UnitRow, UserRow};
use crate::db::DbConn;
use crate::domain::role::{Actor, Role};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewUnit {
    pub code: String,
    pub name: String,
    #[serde(default)]
    pub tier2: bool,
    #[serde(default)]
    pub email: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewService {
    pub code: String,
    pub name: String,
    pub unit: String,
}

#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    pub username: String,
    pub name: String,
    #[serde(default)]
    pub email: Option<String>,
    pub password: String,
    pub role: Role,
    #[serde(default)]
    pub unit: Option<String>,
}

impl std::fmt::Debug for NewUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewUser")
            .field("username", &self.username)
            .field("role", &self.role)
            .field("unit", &self.unit)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct UnitView {
    pub code: String,
    pub name: String,
    pub tier2: bool,
    pub email: Option<String>,
    /// A retired unit takes no new reports; it stays in history and reports.
    pub active: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct ServiceView {
    pub code: String,
    pub name: String,
    pub unit: String,
    pub active: bool,
    /// A firing alert for the service also declares it disrupted on the status page.
    pub alert_declares: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct UserView {
    pub username: String,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub nip: Option<String>,
    pub language: Option<String>,
    pub role: Role,
    pub unit: Option<String>,
    pub active: bool,
    /// A temporary password set by an admin waits to be changed.
    pub must_change_password: bool,
    /// Where the person signs in: `local`, `ldap` or `oidc`.
    pub auth_source: String,
}

impl From<UnitRow> for UnitView {
    fn from(u: UnitRow) -> Self {
        UnitView { code: u.code, name: u.name, tier2: u.tier2, email: u.email, active: u.active }
    }
}

/// Codes of units and services: capitals, digits, `-` and `_`, as used in ticket routing.
pub fn check_code(field: &str, code: &str) -> DeskResult<()> {
    let ok = (2..=32).contains(&code.len())
        && code.bytes().next().is_some_and(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        && code.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(DeskError::invalid(field, "must be 2–32 characters: capital letters, digits, '-' or '_'"))
    }
}

pub fn check_username(username: &str) -> DeskResult<()> {
    let ok = (2..=64).contains(&username.len())
        && username.bytes().next().is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        && username.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-'));
    if ok {
        Ok(())
    } else {
        Err(DeskError::invalid("username", "must be 2–64 characters: lower-case letters, digits, '.', '_' or '-'"))
    }
}

pub fn check_text(field: &str, text: &str, max_chars: usize) -> DeskResult<()> {
    if text.trim().is_empty() {
        return Err(DeskError::invalid(field, "must not be empty"));
    }
    if text.chars().count() > max_chars {
        return Err(DeskError::invalid(field, format!("must be at most {max_chars} characters")));
    }
    if text.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')) {
        return Err(DeskError::invalid(field, "contains control characters"));
    }
    Ok(())
}

/// A plausible address; delivery is what proves it.
pub fn check_email(field: &str, email: &str) -> DeskResult<()> {
    let mut parts = email.split('@');
    let ok = matches!((parts.next(), parts.next(), parts.next()), (Some(local), Some(domain), None)
        if !local.is_empty() && domain.contains('.') && !domain.starts_with('.') && !domain.ends_with('.'))
        && email.len() <= 254
        && !email.chars().any(|c| c.is_whitespace() || c.is_control());
    if ok {
        Ok(())
    } else {
        Err(DeskError::invalid(field, "is not an e-mail address"))
    }
}

pub fn require_admin(actor: &Actor) -> DeskResult<()> {
    if actor.role == Role::Admin {
        Ok(())
    } else {
        Err(DeskError::Forbidden("only an admin may change units, services and users".into()))
    }
}

pub fn create_unit(tx: &mut Tx, actor_id: Option<&str>, input: NewUnit) -> DeskResult<UnitView> {
    check_code("code", &input.code)?;
    check_text("name", &input.name, 200)?;
    if let Some(email) = &input.email {
        check_email("email", email)?;
    }
    if db::unit_by_code(tx.conn, &input.code)?.is_some() {
        return Err(DeskError::conflict("already_exists", format!("unit {} already exists", input.code)));
    }
    if input.tier2 {
        if let Some(existing) = db::tier2_unit(tx.conn)? {
            return Err(DeskError::conflict(
                "tier2_exists",
                format!("unit {} is already the tier-2 unit; there is one per city", existing.code),
            ));
        }
    }
    let row = UnitRow {
        id: new_id(),
        code: input.code,
        name: input.name.trim().to_string(),
        tier2: input.tier2,
        email: input.email.map(|e| e.trim().to_lowercase()),
        created_at: tx.now.naive_utc(),
        active: true,
    };
    db::insert_unit(tx.conn, &row)?;
    tx.record(
        None,
        actor_id,
        "unit.created",
        json!({ "unit_id": row.id, "code": row.code, "name": row.name, "tier2": row.tier2 }),
    )?;
    Ok(row.into())
}

pub fn create_service(tx: &mut Tx, actor_id: Option<&str>, input: NewService) -> DeskResult<ServiceView> {
    check_code("code", &input.code)?;
    check_text("name", &input.name, 200)?;
    let unit = db::unit_by_code(tx.conn, &input.unit)?
        .ok_or_else(|| DeskError::invalid("unit", format!("no unit with code {}", input.unit)))?;
    if db::service_by_code(tx.conn, &input.code)?.is_some() {
        return Err(DeskError::conflict("already_exists", format!("service {} already exists", input.code)));
    }
    let row = ServiceRow {
        id: new_id(),
        code: input.code,
        name: input.name.trim().to_string(),
        unit_id: unit.id.clone(),
        created_at: tx.now.naive_utc(),
        active: true,
    };
    db::insert_service(tx.conn, &row)?;
    tx.record(None, actor_id, "service.created", json!({ "service_id": row.id, "code": row.code, "unit": unit.code }))?;
    Ok(ServiceView { code: row.code, name: row.name, unit: unit.code, active: true, alert_declares: false })
}

/// Validation that needs no database, run before the (slow, deliberately) password hashing.
pub fn check_new_user(input: &NewUser) -> DeskResult<()> {
    check_username(&input.username)?;
    check_text("name", &input.name, 200)?;
    if let Some(email) = &input.email {
        check_email("email", email)?;
    }
    super::passwords::check_policy(&input.password, &input.username, &input.name)?;
    if input.role.needs_unit() && input.unit.is_none() {
        return Err(DeskError::invalid("unit", format!("a {} belongs to a unit", input.role)));
    }
    Ok(())
}

/// `password_hash` is computed by the caller outside the writer: Argon2 is slow on purpose.
pub fn create_user(tx: &mut Tx, actor_id: Option<&str>, input: NewUser, password_hash: String) -> DeskResult<UserView> {
    check_new_user(&input)?;
    let unit = match &input.unit {
        Some(code) => Some(
            db::unit_by_code(tx.conn, code)?
                .ok_or_else(|| DeskError::invalid("unit", format!("no unit with code {code}")))?,
        ),
        None => None,
    };
    if input.role == Role::AgentT2 && !unit.as_ref().is_some_and(|u| u.tier2) {
        return Err(DeskError::invalid("unit", "a tier-2 agent belongs to the tier-2 unit (Diskominfo)"));
    }
    if db::user_by_username(tx.conn, &input.username)?.is_some() {
        return Err(DeskError::conflict("already_exists", format!("user {} already exists", input.username)));
    }
    let row = UserRow {
        email: input.email.map(|e| e.trim().to_lowercase()),
        unit_id: unit.as_ref().map(|u| u.id.clone()),
        ..UserRow::new(
            new_id(),
            input.username,
            input.name.trim().to_string(),
            input.role.as_str(),
            password_hash,
            tx.now.naive_utc(),
        )
    };
    db::insert_user(tx.conn, &row)?;
    tx.record(
        None,
        actor_id,
        "user.created",
        json!({ "user_id": row.id, "username": row.username, "role": row.role, "unit": unit.as_ref().map(|u| &u.code) }),
    )?;
    Ok(UserView {
        username: row.username,
        name: row.name,
        email: row.email,
        phone: None,
        nip: None,
        language: None,
        role: input.role,
        unit: unit.map(|u| u.code),
        active: true,
        must_change_password: false,
        auth_source: row.auth_source,
    })
}

/// Creates a user end to end: validation, hashing off the async workers, the write.
pub async fn add_user(desk: &Desk, actor: Option<&Actor>, input: NewUser) -> DeskResult<UserView> {
    check_new_user(&input)?;
    let password = input.password.clone();
    let hash = tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|e| DeskError::Internal(e.to_string()))??;
    let actor_id = actor.map(|a| a.user_id.clone());
    desk.writer.write(move |tx| create_user(tx, actor_id.as_deref(), input, hash)).await
}

/// On first start: the `admin` account, with the given password or a generated one, which is
/// returned so that it can be printed once. `None` when an admin exists already.
pub fn ensure_admin(desk: &Desk, password: Option<&str>) -> DeskResult<Option<String>> {
    let admins = desk.read_blocking(|conn| Ok(db::count_users_with_role(conn, Role::Admin.as_str())?))?;
    if admins > 0 {
        return Ok(None);
    }
    let password = match password {
        Some(p) => p.to_string(),
        None => random_secret(12),
    };
    let hash = hash_password(&password)?;
    let input = NewUser {
        username: "admin".into(),
        name: "Administrator".into(),
        email: None,
        password: password.clone(),
        role: Role::Admin,
        unit: None,
    };
    desk.writer.write_blocking(move |tx| {
        // The configured password is the operator's choice; only generated ones are ours.
        let row = UserRow::new(new_id(), input.username, input.name, Role::Admin.as_str(), hash, tx.now.naive_utc());
        db::insert_user(tx.conn, &row)?;
        tx.record(
            None,
            None,
            "user.created",
            json!({ "user_id": row.id, "username": row.username, "role": row.role, "first_start": true }),
        )?;
        Ok(())
    })?;
    Ok(Some(password))
}

pub fn list_units(conn: &mut DbConn) -> DeskResult<Vec<UnitView>> {
    Ok(db::list_units(conn)?.into_iter().map(UnitView::from).collect())
}

/// The units a report can go to: retired ones are kept for history, not offered.
pub fn intake_units(conn: &mut DbConn) -> DeskResult<Vec<UnitView>> {
    Ok(list_units(conn)?.into_iter().filter(|u| u.active).collect())
}

/// The services a report can name: active ones of active units.
pub fn intake_services(desk: &Desk, conn: &mut DbConn) -> DeskResult<Vec<ServiceView>> {
    let open: std::collections::HashSet<String> = intake_units(conn)?.into_iter().map(|u| u.code).collect();
    Ok(list_services(desk, conn, None)?.into_iter().filter(|s| s.active && open.contains(&s.unit)).collect())
}

pub fn list_services(desk: &Desk, conn: &mut DbConn, unit: Option<&str>) -> DeskResult<Vec<ServiceView>> {
    let unit_id = match unit {
        Some(code) => Some(
            db::unit_by_code(conn, code)?
                .ok_or_else(|| DeskError::invalid("unit", format!("no unit with code {code}")))?
                .id,
        ),
        None => None,
    };
    let declaring: std::collections::HashSet<String> =
        crate::db::disruptions::services_declaring(conn)?.into_iter().collect();
    db::list_services(conn, unit_id.as_deref())?
        .into_iter()
        .map(|s| {
            Ok(ServiceView {
                alert_declares: declaring.contains(&s.id),
                unit: desk.names.unit_code(conn, &s.unit_id)?,
                code: s.code,
                name: s.name,
                active: s.active,
            })
        })
        .collect()
}

/// Admins and supervisors list everyone; a unit head lists its own unit.
pub fn list_users(desk: &Desk, conn: &mut DbConn, actor: &Actor) -> DeskResult<Vec<UserView>> {
    let unit_filter = match actor.role {
        Role::Admin | Role::Supervisor => None,
        Role::UnitHead => actor.unit_id.clone(),
        _ => return Err(DeskError::Forbidden("listing users is for admins, supervisors and unit heads".into())),
    };
    db::list_users(conn, unit_filter.as_deref())?
        .into_iter()
        .map(|u| super::accounts::user_view(desk, conn, u))
        .collect()
}

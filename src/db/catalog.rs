//! Units (Perangkat Daerah), services, users and requesters.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{requesters, services, units, users};
use super::DbConn;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = units)]
pub struct UnitRow {
    pub id: String,
    pub code: String,
    pub name: String,
    pub tier2: bool,
    pub email: Option<String>,
    pub created_at: NaiveDateTime,
    /// A retired unit is gone from intake forms and keyboards, kept in history and reports.
    pub active: bool,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = services)]
pub struct ServiceRow {
    pub id: String,
    pub code: String,
    pub name: String,
    pub unit_id: String,
    pub created_at: NaiveDateTime,
    pub active: bool,
}

#[derive(Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = users)]
pub struct UserRow {
    pub id: String,
    pub username: String,
    pub name: String,
    pub email: Option<String>,
    pub password_hash: String,
    pub role: String,
    pub unit_id: Option<String>,
    pub active: bool,
    pub created_at: NaiveDateTime,
    pub phone: Option<String>,
    /// The 18-digit ASN number.
    pub nip: Option<String>,
    pub language: Option<String>,
    /// A temporary password set by an admin: nothing but a password change until it is changed.
    pub must_change_password: bool,
    /// The TOTP secret (base32) of an enrolled second factor.
    pub totp_secret: Option<String>,
    /// A secret shown for enrolment, not yet confirmed with a code.
    pub totp_pending: Option<String>,
    /// The time step of the last code accepted: a code never works twice.
    pub totp_last_step: Option<i64>,
    /// Where the password is checked: `local` (here), `ldap` (the directory) or `oidc` (single
    /// sign-on; no password here at all).
    pub auth_source: String,
}

impl UserRow {
    /// A new, active account with nothing optional filled in and no second factor; callers set
    /// what they know (address, unit, NIP, where it signs in: `local` unless changed).
    pub fn new(
        id: String,
        username: String,
        name: String,
        role: &str,
        password_hash: String,
        at: NaiveDateTime,
    ) -> Self {
        UserRow {
            id,
            username,
            name,
            email: None,
            password_hash,
            role: role.to_string(),
            unit_id: None,
            active: true,
            created_at: at,
            phone: None,
            nip: None,
            language: None,
            must_change_password: false,
            totp_secret: None,
            totp_pending: None,
            totp_last_step: None,
            auth_source: "local".into(),
        }
    }
}

impl std::fmt::Debug for UserRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserRow")
            .field("id", &self.id)
            .field("username", &self.username)
            .field("role", &self.role)
            .field("unit_id", &self.unit_id)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = requesters, treat_none_as_null = true)]
pub struct RequesterRow {
    pub id: String,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub telegram_id: Option<String>,
    pub user_id: Option<String>,
    pub created_at: NaiveDateTime,
    /// `id` or `en`: the language of the desk's mails to this requester.
    pub language: Option<String>,
}

pub fn insert_unit(conn: &mut DbConn, row: &UnitRow) -> QueryResult<()> {
    diesel::insert_into(units::table).values(row).execute(conn).map(drop)
}

pub fn unit_by_code(conn: &mut DbConn, code: &str) -> QueryResult<Option<UnitRow>> {
    units::table.filter(units::code.eq(code)).select(UnitRow::as_select()).first(conn).optional()
}

pub fn unit_by_id(conn: &mut DbConn, id: &str) -> QueryResult<Option<UnitRow>> {
    units::table.find(id).select(UnitRow::as_select()).first(conn).optional()
}

pub fn tier2_unit(conn: &mut DbConn) -> QueryResult<Option<UnitRow>> {
    units::table.filter(units::tier2.eq(true)).select(UnitRow::as_select()).first(conn).optional()
}

pub fn list_units(conn: &mut DbConn) -> QueryResult<Vec<UnitRow>> {
    units::table.order(units::code.asc()).select(UnitRow::as_select()).load(conn)
}

pub fn insert_service(conn: &mut DbConn, row: &ServiceRow) -> QueryResult<()> {
    diesel::insert_into(services::table).values(row).execute(conn).map(drop)
}

pub fn service_by_code(conn: &mut DbConn, code: &str) -> QueryResult<Option<ServiceRow>> {
    services::table.filter(services::code.eq(code)).select(ServiceRow::as_select()).first(conn).optional()
}

pub fn service_by_id(conn: &mut DbConn, id: &str) -> QueryResult<Option<ServiceRow>> {
    services::table.find(id).select(ServiceRow::as_select()).first(conn).optional()
}

pub fn list_services(conn: &mut DbConn, unit_id: Option<&str>) -> QueryResult<Vec<ServiceRow>> {
    let mut query = services::table.select(ServiceRow::as_select()).into_boxed();
    if let Some(unit) = unit_id {
        query = query.filter(services::unit_id.eq(unit.to_string()));
    }
    query.order(services::code.asc()).load(conn)
}

pub fn insert_user(conn: &mut DbConn, row: &UserRow) -> QueryResult<()> {
    diesel::insert_into(users::table).values(row).execute(conn).map(drop)
}

pub fn user_by_username(conn: &mut DbConn, username: &str) -> QueryResult<Option<UserRow>> {
    users::table.filter(users::username.eq(username)).select(UserRow::as_select()).first(conn).optional()
}

pub fn user_by_id(conn: &mut DbConn, id: &str) -> QueryResult<Option<UserRow>> {
    users::table.find(id).select(UserRow::as_select()).first(conn).optional()
}

/// The user with this e-mail address (stored lower-case), if exactly one has it.
pub fn user_by_email(conn: &mut DbConn, email: &str) -> QueryResult<Option<UserRow>> {
    let mut found =
        users::table.filter(users::email.eq(email.to_lowercase())).select(UserRow::as_select()).limit(2).load(conn)?;
    Ok(if found.len() == 1 { found.pop() } else { None })
}

pub fn list_users(conn: &mut DbConn, unit_id: Option<&str>) -> QueryResult<Vec<UserRow>> {
    let mut query = users::table.select(UserRow::as_select()).into_boxed();
    if let Some(unit) = unit_id {
        query = query.filter(users::unit_id.eq(unit.to_string()));
    }
    query.order(users::username.asc()).load(conn)
}

pub fn set_user_active(conn: &mut DbConn, id: &str, active: bool) -> QueryResult<usize> {
    diesel::update(users::table.find(id)).set(users::active.eq(active)).execute(conn)
}

pub fn set_user_password(conn: &mut DbConn, id: &str, password_hash: &str) -> QueryResult<usize> {
    diesel::update(users::table.find(id)).set(users::password_hash.eq(password_hash)).execute(conn)
}

/// Saves what a person's record says: everything but the id, username and creation time.
pub fn update_user(conn: &mut DbConn, row: &UserRow) -> QueryResult<()> {
    diesel::update(users::table.find(&row.id))
        .set((
            users::name.eq(&row.name),
            users::email.eq(&row.email),
            users::phone.eq(&row.phone),
            users::nip.eq(&row.nip),
            users::language.eq(&row.language),
            users::role.eq(&row.role),
            users::unit_id.eq(&row.unit_id),
            users::active.eq(row.active),
            users::password_hash.eq(&row.password_hash),
            users::must_change_password.eq(row.must_change_password),
            users::totp_secret.eq(&row.totp_secret),
            users::totp_pending.eq(&row.totp_pending),
            users::totp_last_step.eq(row.totp_last_step),
            users::auth_source.eq(&row.auth_source),
        ))
        .execute(conn)
        .map(drop)
}

pub fn count_active_admins(conn: &mut DbConn) -> QueryResult<i64> {
    users::table.filter(users::role.eq("admin")).filter(users::active.eq(true)).count().get_result(conn)
}

pub fn update_unit(conn: &mut DbConn, row: &UnitRow) -> QueryResult<()> {
    diesel::update(units::table.find(&row.id))
        .set((units::name.eq(&row.name), units::email.eq(&row.email), units::active.eq(row.active)))
        .execute(conn)
        .map(drop)
}

pub fn update_service(conn: &mut DbConn, row: &ServiceRow) -> QueryResult<()> {
    diesel::update(services::table.find(&row.id))
        .set((services::name.eq(&row.name), services::active.eq(row.active)))
        .execute(conn)
        .map(drop)
}

pub fn count_users_with_role(conn: &mut DbConn, role: &str) -> QueryResult<i64> {
    users::table.filter(users::role.eq(role)).count().get_result(conn)
}

pub fn insert_requester(conn: &mut DbConn, row: &RequesterRow) -> QueryResult<()> {
    diesel::insert_into(requesters::table).values(row).execute(conn).map(drop)
}

pub fn update_requester(conn: &mut DbConn, row: &RequesterRow) -> QueryResult<()> {
    diesel::update(requesters::table.find(&row.id)).set(row).execute(conn).map(drop)
}

/// Requester records whose number is in one of `forms` take `phone` (a person's new number);
/// how many.
pub fn change_phone(conn: &mut DbConn, forms: &[String], phone: &str) -> QueryResult<usize> {
    let matches = crate::domain::phone::sql_matches("requesters.phone", forms);
    diesel::update(requesters::table.filter(diesel::dsl::sql::<diesel::sql_types::Bool>(&matches)))
        .set(requesters::phone.eq(phone))
        .execute(conn)
}

pub fn requester_by_id(conn: &mut DbConn, id: &str) -> QueryResult<Option<RequesterRow>> {
    requesters::table.find(id).select(RequesterRow::as_select()).first(conn).optional()
}

/// The requester a new report belongs to: the account's, else the same e-mail address,
/// Telegram chat or telephone number (in any of the `phone_forms` it may be stored in) seen
/// before, so one citizen's tickets stay together.
pub fn find_requester(
    conn: &mut DbConn,
    user_id: Option<&str>,
    email: Option<&str>,
    telegram_id: Option<&str>,
    phone_forms: &[String],
) -> QueryResult<Option<RequesterRow>> {
    if let Some(user) = user_id {
        return requesters::table
            .filter(requesters::user_id.eq(user))
            .select(RequesterRow::as_select())
            .first(conn)
            .optional();
    }
    if let Some(email) = email {
        let found = requesters::table
            .filter(requesters::email.eq(email))
            .filter(requesters::user_id.is_null())
            .select(RequesterRow::as_select())
            .first(conn)
            .optional()?;
        if found.is_some() {
            return Ok(found);
        }
    }
    if let Some(chat) = telegram_id {
        return requesters::table
            .filter(requesters::telegram_id.eq(chat))
            .filter(requesters::user_id.is_null())
            .select(RequesterRow::as_select())
            .first(conn)
            .optional();
    }
    if !phone_forms.is_empty() {
        let matches = crate::domain::phone::sql_matches("requesters.phone", phone_forms);
        // Only records that are a number and nothing else: a record that also carries an
        // address (anyone may type a stranger's number next to their own address on the
        // portal) must never receive a WhatsApp report's tracking link.
        return requesters::table
            .filter(diesel::dsl::sql::<diesel::sql_types::Bool>(&matches))
            .filter(requesters::email.is_null())
            .filter(requesters::telegram_id.is_null())
            .filter(requesters::user_id.is_null())
            .filter(requesters::anonymised_at.is_null())
            .order(requesters::created_at.asc())
            .select(RequesterRow::as_select())
            .first(conn)
            .optional();
    }
    Ok(None)
}

/// Active users of a role, in a unit or (for `None`) anywhere: who a notice goes to.
pub fn active_users_with_role(conn: &mut DbConn, role: &str, unit_id: Option<&str>) -> QueryResult<Vec<UserRow>> {
    let mut query = users::table.filter(users::role.eq(role)).filter(users::active.eq(true)).into_boxed();
    if let Some(unit) = unit_id {
        query = query.filter(users::unit_id.eq(unit));
    }
    query.order(users::username.asc()).select(UserRow::as_select()).load(conn)
}

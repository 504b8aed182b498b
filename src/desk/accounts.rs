//! People, units and services over their lifetime: an admin edits a person (name, contact,
//! role, unit, NIP, language), switches them off and on again, renames and retires units and
//! services. A person switched off cannot sign in and every session and token of theirs stops
//! at once (tokens are checked against the account on every request, on every process); their
//! open tickets go back to their unit's queue, unassigned, with a notice to the unit. History
//! keeps their name. A retired unit or service leaves the intake forms and keyboards and stays
//! in history and reports.

use serde::Deserialize;
use serde_json::json;

use super::catalog::{check_email, check_text, require_admin, ServiceView, UnitView, UserView};
use super::{Desk, DeskError, DeskResult, Tx};
use crate::db::catalog::{self as db, UserRow};
use crate::db::outbox::{self, OutboxRow};
use crate::db::{tickets as tickets_db, tokens};
use crate::domain::role::{Actor, Role};

/// A change to a person; absent fields stay as they are, an empty text clears an optional one.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserPatch {
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub role: Option<Role>,
    pub unit: Option<String>,
    pub nip: Option<String>,
    pub language: Option<String>,
    pub active: Option<bool>,
}

/// The NIP of an ASN (PP 11/2017, BKN): 18 digits — date of birth (YYYYMMDD), month of
/// appointment (YYYYMM), sex (1 or 2) and a serial number.
pub fn check_nip(nip: &str) -> DeskResult<()> {
    let bad = |why: &str| Err(DeskError::invalid("nip", format!("{why} (a NIP is 18 digits: YYYYMMDD YYYYMM G NNN)")));
    if nip.len() != 18 || !nip.bytes().all(|b| b.is_ascii_digit()) {
        return bad("must be 18 digits");
    }
    let number = |range: std::ops::Range<usize>| nip[range].parse::<u32>().unwrap_or(0);
    let (year, month, day) = (number(0..4) as i32, number(4..6), number(6..8));
    if chrono::NaiveDate::from_ymd_opt(year, month, day).is_none() || !(1900..=2100).contains(&year) {
        return bad("does not start with a date of birth");
    }
    if !(1..=12).contains(&number(12..14)) || !(1900..=2100).contains(&number(8..12)) {
        return bad("has no month of appointment in digits 9-14");
    }
    if !matches!(&nip[14..15], "1" | "2") {
        return bad("digit 15 must be 1 or 2");
    }
    Ok(())
}

fn given(text: &str) -> Option<String> {
    Some(text.trim().to_string()).filter(|t| !t.is_empty())
}

/// Applies `patch` to `row`, checking each field; returns the names of the fields that changed
/// (the audit event names them; the values of personal fields are not written into it).
pub fn apply_patch(tx: &mut Tx, row: &mut UserRow, patch: UserPatch) -> DeskResult<Vec<&'static str>> {
    let mut changed = Vec::new();
    if let Some(name) = patch.name {
        check_text("name", &name, 200)?;
        changed.push("name");
        row.name = name.trim().to_string();
    }
    if let Some(email) = patch.email {
        let email = given(&email).map(|e| e.to_lowercase());
        if let Some(e) = &email {
            check_email("email", e)?;
        }
        changed.push("email");
        row.email = email;
    }
    if let Some(phone) = patch.phone {
        let phone = given(&phone);
        if phone.as_ref().is_some_and(|p| p.len() > 30 || !p.chars().all(|c| c.is_ascii_digit() || "+-() ".contains(c)))
        {
            return Err(DeskError::invalid("phone", "digits, spaces and + - ( ) only, at most 30"));
        }
        changed.push("phone");
        row.phone = phone;
    }
    if let Some(nip) = patch.nip {
        let nip = given(&nip).map(|n| n.replace(' ', ""));
        if let Some(n) = &nip {
            check_nip(n)?;
        }
        changed.push("nip");
        row.nip = nip;
    }
    if let Some(language) = patch.language {
        if !matches!(language.as_str(), "id" | "en") {
            return Err(DeskError::invalid("language", "id or en"));
        }
        changed.push("language");
        row.language = Some(language);
    }
    if let Some(role) = patch.role {
        changed.push("role");
        row.role = role.as_str().to_string();
    }
    if let Some(code) = patch.unit {
        let unit = match given(&code) {
            Some(code) => Some(
                db::unit_by_code(tx.conn, &code)?
                    .filter(|u| u.active)
                    .ok_or_else(|| DeskError::invalid("unit", format!("no active unit with code {code}")))?,
            ),
            None => None,
        };
        changed.push("unit");
        row.unit_id = unit.map(|u| u.id);
    }
    let role = Role::parse(&row.role).unwrap_or(Role::Requester);
    if role.needs_unit() && row.unit_id.is_none() {
        return Err(DeskError::invalid("unit", format!("a {role} belongs to a unit")));
    }
    if role == Role::AgentT2 {
        let tier2 = match &row.unit_id {
            Some(id) => db::unit_by_id(tx.conn, id)?.is_some_and(|u| u.tier2),
            None => false,
        };
        if !tier2 {
            return Err(DeskError::invalid("unit", "a tier-2 agent belongs to the tier-2 unit (Diskominfo)"));
        }
    }
    Ok(changed)
}

/// An admin changes a person (`actor` `None`: the server's operator, `meja user edit`).
/// Switching someone off ends their sessions and tokens and sends their open tickets back to
/// the unit's queue; an admin cannot switch off themselves, and nobody the last active admin
/// (nobody could switch anyone on again).
pub fn update_user(
    tx: &mut Tx,
    desk: &Desk,
    actor: Option<&Actor>,
    username: &str,
    patch: UserPatch,
) -> DeskResult<UserView> {
    if let Some(a) = actor {
        require_admin(a)?;
    }
    let actor_id = actor.map(|a| a.user_id.clone());
    let actor_id = actor_id.as_deref();
    let mut row = db::user_by_username(tx.conn, username)?.ok_or_else(|| DeskError::not_found("user", username))?;
    let was_active = row.active;
    let was_admin = row.role == Role::Admin.as_str();
    let active = patch.active;
    let changed = apply_patch(tx, &mut row, patch)?;
    let demoted = was_admin && row.role != Role::Admin.as_str();
    if let Some(active) = active {
        row.active = active;
    }
    let switched_off = was_active && !row.active;
    if (switched_off || demoted) && was_admin {
        if actor_id == Some(row.id.as_str()) {
            return Err(DeskError::invalid("active", "an admin cannot switch off or demote their own account"));
        }
        if db::count_active_admins(tx.conn)? <= 1 {
            return Err(DeskError::invalid("active", "the last active admin stays an active admin"));
        }
    }
    db::update_user(tx.conn, &row)?;
    desk.names.forget_user(&row.id);
    if !changed.is_empty() {
        let data = json!({ "user_id": row.id, "username": row.username, "fields": changed, "role": row.role,
            "unit": row.unit_id.as_deref().map(|id| desk.names.unit_code(tx.conn, id)).transpose()? });
        tx.record(None, actor_id, "user.updated", data)?;
    }
    if switched_off {
        let sessions = tokens::revoke_all_for_user(tx.conn, &row.id, tx.now.naive_utc())?;
        let returned = return_open_tickets(tx, desk, actor_id, &row)?;
        tx.record(
            None,
            actor_id,
            "user.deactivated",
            json!({ "user_id": row.id, "username": row.username, "sessions_ended": sessions, "tickets_returned": returned }),
        )?;
    } else if !was_active && row.active {
        tx.record(None, actor_id, "user.reactivated", json!({ "user_id": row.id, "username": row.username }))?;
    }
    user_view(desk, tx.conn, row)
}

/// The open tickets of a person switched off go back to their unit's queue, unassigned, each
/// with an audit event, and the unit hears of it.
fn return_open_tickets(tx: &mut Tx, desk: &Desk, actor_id: Option<&str>, user: &UserRow) -> DeskResult<usize> {
    let open = tickets_db::open_assigned_to(tx.conn, &user.id)?;
    for mut ticket in open.iter().cloned() {
        let was_assignee = ticket.assignee_id.as_deref() == Some(user.id.as_str());
        if was_assignee {
            ticket.assignee_id = None;
        }
        if ticket.tier1_assignee_id.as_deref() == Some(user.id.as_str()) {
            ticket.tier1_assignee_id = None;
        }
        // The ticket's history dates the change by this.
        ticket.updated_at = tx.now.naive_utc();
        tickets_db::save(tx.conn, &ticket)?;
        let queue = desk.names.unit_code(tx.conn, &ticket.unit_id)?;
        let data = json!({ "from": user.username, "reason": "account deactivated", "to_queue": queue });
        tx.record(Some(&ticket.id), actor_id, "ticket.unassigned", data)?;
        if was_assignee {
            if let Some(email) = db::unit_by_id(tx.conn, &ticket.unit_id)?.and_then(|u| u.email) {
                let payload = json!({ "number": ticket.number, "from": user.name });
                let notice = OutboxRow::new(
                    tx.now.naive_utc(),
                    Some(&ticket.id),
                    "email",
                    &email,
                    "ticket_unassigned",
                    &payload,
                );
                outbox::insert(tx.conn, &notice)?;
                crate::desk::telegram_links::queue_mirrored(tx, std::slice::from_ref(&notice))?;
            }
        }
    }
    Ok(open.len())
}

pub fn user_view(desk: &Desk, conn: &mut crate::db::DbConn, u: UserRow) -> DeskResult<UserView> {
    let unit = match &u.unit_id {
        Some(id) => Some(desk.names.unit_code(conn, id)?),
        None => None,
    };
    Ok(UserView {
        role: Role::parse(&u.role).unwrap_or(Role::Requester),
        username: u.username,
        name: u.name,
        email: u.email,
        phone: u.phone,
        nip: u.nip,
        language: u.language,
        unit,
        active: u.active,
        must_change_password: u.must_change_password,
        auth_source: u.auth_source,
    })
}

/// A change to a unit or a service: its name, whether it still takes reports, a unit's address.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogPatch {
    pub name: Option<String>,
    pub active: Option<bool>,
    /// Units only: where its notices go; empty clears it.
    pub email: Option<String>,
    /// Services only: a firing alert also declares the service disrupted (status page).
    pub alert_declares: Option<bool>,
}

pub fn update_unit(tx: &mut Tx, desk: &Desk, actor: &Actor, code: &str, patch: CatalogPatch) -> DeskResult<UnitView> {
    require_admin(actor)?;
    if patch.alert_declares.is_some() {
        return Err(DeskError::invalid("alert_declares", "alerts declare disruptions of services, not units"));
    }
    let mut row = db::unit_by_code(tx.conn, code)?.ok_or_else(|| DeskError::not_found("unit", code))?;
    if let Some(name) = patch.name {
        check_text("name", &name, 200)?;
        row.name = name.trim().to_string();
    }
    if let Some(email) = patch.email {
        let email = given(&email).map(|e| e.to_lowercase());
        if let Some(e) = &email {
            check_email("email", e)?;
        }
        row.email = email;
    }
    if let Some(active) = patch.active {
        if !active && row.tier2 {
            return Err(DeskError::invalid("active", "the tier-2 unit (Diskominfo) cannot be retired"));
        }
        row.active = active;
    }
    db::update_unit(tx.conn, &row)?;
    desk.names.forget_rows();
    let data = json!({ "unit_id": row.id, "code": row.code, "name": row.name, "active": row.active });
    tx.record(None, Some(&actor.user_id), "unit.updated", data)?;
    Ok(row.into())
}

pub fn update_service(
    tx: &mut Tx,
    desk: &Desk,
    actor: &Actor,
    code: &str,
    patch: CatalogPatch,
) -> DeskResult<ServiceView> {
    require_admin(actor)?;
    if patch.email.is_some() {
        return Err(DeskError::invalid("email", "a service has no address of its own; its unit's is used"));
    }
    let mut row = db::service_by_code(tx.conn, code)?.ok_or_else(|| DeskError::not_found("service", code))?;
    if let Some(name) = patch.name {
        check_text("name", &name, 200)?;
        row.name = name.trim().to_string();
    }
    if let Some(active) = patch.active {
        row.active = active;
    }
    db::update_service(tx.conn, &row)?;
    if let Some(on) = patch.alert_declares {
        crate::db::disruptions::set_alert_declares(tx.conn, &row.id, on)?;
    }
    let alert_declares = crate::db::disruptions::alert_declares(tx.conn, &row.id)?;
    desk.names.forget_rows();
    let data = json!({
        "service_id": row.id, "code": row.code, "name": row.name, "active": row.active,
        "alert_declares": alert_declares,
    });
    tx.record(None, Some(&actor.user_id), "service.updated", data)?;
    let unit = desk.names.unit_code(tx.conn, &row.unit_id)?;
    Ok(ServiceView { code: row.code, name: row.name, unit, active: row.active, alert_declares })
}

/// A user row as the staff actor it signs in as; `None` for requester accounts (and unknown
/// roles). Whether the account is active is the caller's question.
pub fn staff_actor(u: &UserRow) -> Option<Actor> {
    let role = Role::parse(&u.role).filter(|r| r.is_staff())?;
    Some(Actor {
        user_id: u.id.clone(),
        username: u.username.clone(),
        name: u.name.clone(),
        role,
        unit_id: u.unit_id.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::check_nip;

    #[test]
    fn nips_are_checked() {
        assert!(check_nip("198507152010011003").is_ok());
        assert!(check_nip("199002282015032001").is_ok());
        assert!(check_nip("19850715201001100").is_err(), "17 digits");
        assert!(check_nip("19850715201001100a").is_err());
        assert!(check_nip("198513152010011003").is_err(), "month 13");
        assert!(check_nip("198507152010131003").is_err(), "appointment month 13");
        assert!(check_nip("198507152010013003").is_err(), "sex digit 3");
    }
}

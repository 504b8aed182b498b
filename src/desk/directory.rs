//! People who sign in through the Pemda's directory (LDAP / Active Directory) or its single
//! sign-on (OpenID Connect). Their role and unit come from their directory groups through an
//! ordered list of mappings an admin keeps (the first mapping that matches one of a person's
//! groups decides); their account here is made at the first sign-in and brought up to date at
//! every one after it. No directory password is ever stored: such accounts have no usable local
//! password. An account made here (`admin`, say) is never taken over by a directory person of
//! the same username.

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::catalog::{check_email, require_admin};
use super::{new_id, Desk, DeskError, DeskResult, Tx};
use crate::db::catalog::{self as users_db, UserRow};
use crate::db::directory::{self as db, MappingRow};
use crate::db::DbConn;
use crate::domain::role::{Actor, Role};

/// Stored as a directory account's password hash: no Argon2 string, so nothing verifies against it.
pub const NO_LOCAL_PASSWORD: &str = "!directory";

/// Mappings an admin may keep: more would be a mistake, not a city.
const MAX_MAPPINGS: usize = 500;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct GroupMapping {
    /// A group's DN or its name (`cn`), or a value of the single sign-on's groups claim;
    /// compared without regard to case.
    pub group: String,
    pub role: Role,
    /// The unit's code; required for agents and unit heads.
    #[serde(default)]
    pub unit: Option<String>,
}

pub fn list_mappings(desk: &Desk, conn: &mut DbConn, actor: &Actor) -> DeskResult<Vec<GroupMapping>> {
    require_admin(actor)?;
    mapping_views(desk, conn)
}

fn mapping_views(desk: &Desk, conn: &mut DbConn) -> DeskResult<Vec<GroupMapping>> {
    db::mappings(conn)?
        .into_iter()
        .map(|m| {
            let unit = match &m.unit_id {
                Some(id) => Some(desk.names.unit_code(conn, id)?),
                None => None,
            };
            Ok(GroupMapping { group: m.group_name, role: Role::parse(&m.role).unwrap_or(Role::Requester), unit })
        })
        .collect()
}

/// Replaces the whole list (its order is the order of trial), checked line by line: a bad
/// line names its position and field, and nothing changes.
pub fn replace_mappings(
    tx: &mut Tx,
    desk: &Desk,
    actor: &Actor,
    mappings: Vec<GroupMapping>,
) -> DeskResult<Vec<GroupMapping>> {
    require_admin(actor)?;
    if mappings.len() > MAX_MAPPINGS {
        return Err(DeskError::invalid("mappings", format!("at most {MAX_MAPPINGS}")));
    }
    let mut rows = Vec::with_capacity(mappings.len());
    for (i, m) in mappings.iter().enumerate() {
        let field = |name: &str| format!("[{i}].{name}");
        let group = m.group.trim();
        if group.is_empty() || group.chars().count() > 500 || group.chars().any(char::is_control) {
            return Err(DeskError::invalid(field("group"), "must be 1–500 characters without control characters"));
        }
        if mappings[..i].iter().any(|earlier| earlier.group.trim().eq_ignore_ascii_case(group)) {
            return Err(DeskError::invalid(field("group"), format!("{group} is mapped twice")));
        }
        let unit = match m.unit.as_deref().map(str::trim).filter(|u| !u.is_empty()) {
            Some(code) => Some(
                users_db::unit_by_code(tx.conn, code)?
                    .ok_or_else(|| DeskError::invalid(field("unit"), format!("no unit with code {code}")))?,
            ),
            None => None,
        };
        if m.role.needs_unit() && unit.is_none() {
            return Err(DeskError::invalid(field("unit"), format!("a {} belongs to a unit", m.role)));
        }
        if m.role == Role::AgentT2 && !unit.as_ref().is_some_and(|u| u.tier2) {
            return Err(DeskError::invalid(field("unit"), "a tier-2 agent belongs to the tier-2 unit (Diskominfo)"));
        }
        rows.push(MappingRow {
            id: new_id(),
            position: i as i32,
            group_name: group.to_string(),
            role: m.role.as_str().to_string(),
            unit_id: unit.map(|u| u.id),
            created_at: tx.now.naive_utc(),
        });
    }
    db::replace_mappings(tx.conn, &rows)?;
    let summary: Vec<_> =
        rows.iter().map(|r| json!({ "group": r.group_name, "role": r.role, "unit_id": r.unit_id })).collect();
    tx.record(None, Some(&actor.user_id), "directory.mappings_changed", json!({ "mappings": summary }))?;
    mapping_views(desk, tx.conn)
}

/// A person as the directory or the provider describes them, after their password (or the
/// provider's login) has been checked.
#[derive(Debug, Clone)]
pub struct DirectoryPerson {
    pub username: String,
    pub name: String,
    pub email: Option<String>,
    pub nip: Option<String>,
    pub groups: Vec<String>,
    /// `ldap` or `oidc`.
    pub source: &'static str,
}

/// Whether a mapping's group names one of a person's groups: the whole DN, or the value of
/// its first part (`cn=sd-dinkes,ou=groups,…` is also `sd-dinkes`).
fn group_matches(mapping: &str, group: &str) -> bool {
    let first_value = group.split(',').next().and_then(|rdn| rdn.split_once('=')).map(|(_, v)| v.trim());
    mapping.eq_ignore_ascii_case(group.trim()) || first_value.is_some_and(|v| mapping.eq_ignore_ascii_case(v))
}

/// Refusals a directory person can meet here, each with its sign-in log reason.
pub fn not_mapped(username: &str) -> DeskError {
    DeskError::Refused {
        code: "account_not_mapped",
        detail: format!(
            "akun belum dipetakan: none of {username}'s directory groups is mapped to a role and unit; ask the desk's admin"
        ),
    }
}

/// The account of a directory person: made at the first sign-in with the mapped role and
/// unit, brought up to date at later ones (name, address, NIP, role and unit follow the
/// directory). Audited; the caller logs the sign-in.
pub fn provision(tx: &mut Tx, desk: &Desk, person: &DirectoryPerson) -> DeskResult<UserRow> {
    let mappings = db::mappings(tx.conn)?;
    let mapping = mappings
        .iter()
        .find(|m| person.groups.iter().any(|g| group_matches(&m.group_name, g)))
        .ok_or_else(|| not_mapped(&person.username))?;
    let email = person.email.as_deref().map(|e| e.trim().to_lowercase()).filter(|e| check_email("email", e).is_ok());
    let nip =
        person.nip.as_deref().map(str::trim).filter(|n| super::accounts::check_nip(n).is_ok()).map(str::to_string);
    let name: String = match person.name.trim() {
        "" => person.username.clone(),
        n => n.chars().filter(|c| !c.is_control()).take(200).collect(),
    };
    match users_db::user_by_username(tx.conn, &person.username)? {
        Some(existing) if existing.auth_source == "local" => Err(DeskError::Refused {
            code: "local_account",
            detail: format!(
                "{} is an account of this desk with its own password; sign in with it, not through the directory",
                existing.username
            ),
        }),
        Some(existing) if !existing.active => Err(DeskError::Unauthorized("this account is switched off".into())),
        Some(existing) => {
            let mut row = existing.clone();
            row.name = name;
            row.email = email;
            row.nip = nip.or(existing.nip.clone());
            row.role = mapping.role.clone();
            row.unit_id = mapping.unit_id.clone();
            row.auth_source = person.source.to_string();
            let changed: Vec<&str> = [
                ("name", row.name != existing.name),
                ("email", row.email != existing.email),
                ("nip", row.nip != existing.nip),
                ("role", row.role != existing.role),
                ("unit", row.unit_id != existing.unit_id),
                ("source", row.auth_source != existing.auth_source),
            ]
            .into_iter()
            .filter_map(|(field, differs)| differs.then_some(field))
            .collect();
            if !changed.is_empty() {
                users_db::update_user(tx.conn, &row)?;
                desk.names.forget_user(&row.id);
                let data = json!({ "user_id": row.id, "source": person.source, "changed": changed, "role": row.role, "unit_id": row.unit_id });
                tx.record(None, Some(&row.id), "user.directory_updated", data)?;
            }
            Ok(row)
        }
        None => {
            super::catalog::check_username(&person.username)?;
            let row = UserRow {
                email,
                unit_id: mapping.unit_id.clone(),
                nip,
                auth_source: person.source.to_string(),
                ..UserRow::new(
                    new_id(),
                    person.username.clone(),
                    name,
                    &mapping.role,
                    NO_LOCAL_PASSWORD.into(),
                    tx.now.naive_utc(),
                )
            };
            users_db::insert_user(tx.conn, &row)?;
            let data = json!({ "user_id": row.id, "username": row.username, "role": row.role, "unit_id": row.unit_id, "source": person.source });
            tx.record(None, Some(&row.id), "user.created", data)?;
            Ok(row)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::group_matches;

    #[test]
    fn groups_match_by_dn_or_by_name_without_case() {
        let dn = "cn=SD-Dinkes,ou=groups,dc=kota,dc=test";
        assert!(group_matches("sd-dinkes", dn));
        assert!(group_matches("CN=sd-dinkes,ou=groups,dc=kota,dc=test", dn));
        assert!(group_matches("sd-dinkes", "sd-dinkes"));
        assert!(!group_matches("sd-dinkes-lama", dn));
        assert!(!group_matches("groups", dn));
    }
}

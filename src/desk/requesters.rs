//! A requester's identity: who reported, and how the desk reaches them. A report that arrives
//! without a sign-in (the public form, the portal, e-mail, Telegram) may join the tickets of a
//! requester found by address or chat, but never changes what is stored about them: anybody
//! can type anybody's address. A change of name, telephone or language is made by staff who
//! handle that requester's tickets, or by the requester signed in, and each change is an
//! audited event naming the fields changed (never their values, which are personal data).

use serde::Deserialize;
use serde_json::json;

use super::catalog::check_text;
use super::view::RequesterView;
use super::{DeskError, DeskResult, Tx};
use crate::db::catalog::{self as catalog_db, RequesterRow};
use crate::db::personal_data as personal_data_db;
use crate::db::DbConn;
use crate::domain::role::{Actor, Role};

/// `PATCH /requesters/{id}`: the fields to change; a phone of "" removes it.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequesterPatch {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub language: Option<String>,
}

pub fn check_phone(field: &str, phone: &str) -> DeskResult<()> {
    let ok = phone.len() <= 20 && phone.chars().all(|c| c.is_ascii_digit() || matches!(c, '+' | '-' | ' ' | '(' | ')'));
    if ok {
        Ok(())
    } else {
        Err(DeskError::invalid(field, "is not a telephone number"))
    }
}

/// `id` or `en`; `None` for an empty or missing value.
pub fn parse_language(field: &str, language: Option<&str>) -> DeskResult<Option<String>> {
    match language.map(str::trim) {
        None | Some("") => Ok(None),
        Some(l @ ("id" | "en")) => Ok(Some(l.to_string())),
        Some(other) => Err(DeskError::invalid(field, format!("{other:?} is not one of id, en"))),
    }
}

/// May `actor` change this requester's identity? The requester themselves, signed in; staff
/// who work tickets (not unit heads, who oversee) and can read one of this requester's
/// tickets. Anybody else is told there is no such requester.
pub fn may_change(conn: &mut DbConn, actor: &Actor, requester: &RequesterRow) -> DeskResult<()> {
    let not_found = || DeskError::not_found("requester", &requester.id);
    match actor.role {
        Role::Requester if requester.user_id.as_deref() == Some(actor.user_id.as_str()) => Ok(()),
        Role::Requester => Err(not_found()),
        Role::Supervisor | Role::Admin => Ok(()),
        Role::UnitHead => Err(DeskError::Forbidden("a unit head does not change requesters' details".into())),
        Role::AgentT1 | Role::AgentT2 => {
            for row in personal_data_db::tickets_of(conn, std::slice::from_ref(&requester.id), false)? {
                let ticket = super::view::Ticket::load(conn, row)?;
                if actor.can_read(&ticket.scope()) {
                    return Ok(());
                }
            }
            Err(not_found())
        }
    }
}

/// Applies the changes to `row`, saves it and records `requester.updated` when anything
/// changed. Returns the fields changed.
pub(crate) fn apply(
    tx: &mut Tx,
    actor: &Actor,
    row: &mut RequesterRow,
    name: Option<String>,
    phone: Option<Option<String>>,
    language: Option<String>,
    via: &str,
) -> DeskResult<Vec<&'static str>> {
    let mut changed = Vec::new();
    if let Some(name) = name.map(|n| n.trim().to_string()).filter(|n| *n != row.name) {
        row.name = name;
        changed.push("name");
    }
    if let Some(phone) = phone.filter(|p| *p != row.phone) {
        row.phone = phone;
        changed.push("phone");
    }
    if let Some(language) = language.filter(|l| row.language.as_ref() != Some(l)) {
        row.language = Some(language);
        changed.push("language");
    }
    if !changed.is_empty() {
        catalog_db::update_requester(tx.conn, row)?;
        tx.record(
            None,
            Some(&actor.user_id),
            "requester.updated",
            json!({ "requester_id": row.id, "fields": changed, "via": via }),
        )?;
    }
    Ok(changed)
}

pub fn update(tx: &mut Tx, actor: &Actor, id: &str, patch: RequesterPatch) -> DeskResult<RequesterView> {
    let mut row = catalog_db::requester_by_id(tx.conn, id)?.ok_or_else(|| DeskError::not_found("requester", id))?;
    may_change(tx.conn, actor, &row)?;
    if personal_data_db::requesters_by_ids(tx.conn, std::slice::from_ref(&row.id))?
        .first()
        .is_some_and(|held| held.anonymised_at.is_some())
    {
        return Err(DeskError::conflict("anonymised", "this requester was anonymised; their identity is gone"));
    }
    if let Some(name) = &patch.name {
        check_text("name", name, 200)?;
    }
    let phone = match patch.phone.as_deref().map(str::trim) {
        None => None,
        Some("") => Some(None),
        Some(p) => {
            check_phone("phone", p)?;
            Some(Some(p.to_string()))
        }
    };
    let language = parse_language("language", patch.language.as_deref())?;
    if patch.name.is_none() && phone.is_none() && language.is_none() {
        return Err(DeskError::invalid("name", "give name, phone or language to change"));
    }
    apply(tx, actor, &mut row, patch.name, phone, language, "api")?;
    Ok(RequesterView::from(row))
}

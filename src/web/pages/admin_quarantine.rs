//! The mail quarantine (SPEC 5), for admins and supervisors: mail the intake kept instead of
//! taking in (too large, no sender, refused), with the sender, subject, reason, size and date;
//! the raw message readable as plain text (never rendered); a form to make it a ticket of a
//! chosen unit, and one to discard it. Both are audited by the use case.

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::admin::{tabs, Tab};
use super::session::{CsrfForm, Staff};
use super::{ok, see_other, when, Frame, OrPage, PageError};
use crate::desk::catalog;
use crate::desk::mail::quarantine;
use crate::desk::Desk;
use crate::domain::role::Role;

const OVERSEERS: &[Role] = &[Role::Admin, Role::Supervisor];

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/konsol/admin/karantina", web::get().to(list));
    cfg.route("/konsol/admin/karantina/{id}/mentah", web::get().to(raw));
    cfg.route("/konsol/admin/karantina/{id}/tiket", web::post().to(make_ticket));
    cfg.route("/konsol/admin/karantina/{id}/buang", web::post().to(discard));
}

pub struct EntryRow {
    pub id: String,
    pub received: String,
    pub mailbox: String,
    pub sender: String,
    pub subject: String,
    pub reason: String,
    pub size: String,
    /// What became of it, in words; empty while it waits.
    pub settled: String,
    pub number: Option<String>,
}

#[derive(Template)]
#[template(path = "admin_quarantine.html")]
struct QuarantinePage {
    f: Frame,
    tabs: Vec<Tab>,
    entries: Vec<EntryRow>,
    units: Vec<(String, String)>,
    all: bool,
}

#[derive(Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    semua: Option<String>,
}

/// A size as people read it: bytes, KB or MB.
fn size_text(bytes: i64) -> String {
    match bytes {
        b if b >= 1024 * 1024 => format!("{:.1} MB", b as f64 / (1024.0 * 1024.0)),
        b if b >= 1024 => format!("{} KB", b / 1024),
        b => format!("{b} B"),
    }
}

pub async fn list(
    desk: web::Data<Desk>,
    req: HttpRequest,
    staff: Staff,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, PageError> {
    staff.require(OVERSEERS)?;
    let l = staff.lang;
    let all = query.semua.is_some();
    let (d, actor) = (desk.get_ref().clone(), staff.actor.clone());
    let (entries, units) = desk
        .read(move |conn| Ok((quarantine::list(&d, conn, &actor, !all)?, catalog::intake_units(conn)?)))
        .await
        .or_page(l)?;
    let entries = entries
        .into_iter()
        .map(|e| EntryRow {
            received: when(desk.zone, e.received_at),
            mailbox: e.mailbox.unwrap_or_else(|| "—".into()),
            sender: if e.sender.is_empty() { l.t("quarantine.no_sender").to_string() } else { e.sender },
            subject: e.subject,
            reason: e.reason,
            size: size_text(e.size_bytes),
            settled: match (e.settlement.as_deref(), e.settled_at, e.settled_by) {
                (Some(kind), Some(at), by) => format!(
                    "{} · {} · {}",
                    if kind == "ticket" { l.t("quarantine.made_ticket") } else { l.t("quarantine.discarded") },
                    when(desk.zone, at),
                    by.unwrap_or_default()
                ),
                _ => String::new(),
            },
            number: e.number,
            id: e.id,
        })
        .collect();
    ok(&QuarantinePage {
        f: Frame::staff(&req, &staff, l.t("admin.quarantine"), "admin"),
        tabs: tabs(&staff, "quarantine"),
        entries,
        units: units.into_iter().map(|u| (u.code, u.name)).collect(),
        all,
    })
}

/// The raw message as plain text under a sandbox CSP: read, never rendered.
pub async fn raw(desk: web::Data<Desk>, staff: Staff, id: web::Path<String>) -> Result<HttpResponse, PageError> {
    staff.require(OVERSEERS)?;
    let (actor, id) = (staff.actor.clone(), id.into_inner());
    let bytes = desk.read(move |conn| quarantine::raw(conn, &actor, &id)).await.or_page(staff.lang)?;
    Ok(crate::web::api::mail::raw_as_text(&bytes))
}

#[derive(Deserialize)]
pub struct TicketForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    unit: String,
}

pub async fn make_ticket(
    desk: web::Data<Desk>,
    req: HttpRequest,
    staff: Staff,
    id: web::Path<String>,
    form: web::Form<TicketForm>,
) -> Result<HttpResponse, PageError> {
    staff.require(OVERSEERS)?;
    staff.check(&req, &form.csrf)?;
    let (d, actor, id, unit) = (desk.get_ref().clone(), staff.actor.clone(), id.into_inner(), form.unit.clone());
    let made =
        desk.writer.write(move |tx| quarantine::make_ticket(tx, &d, &actor, &id, &unit)).await.or_page(staff.lang)?;
    match made.number {
        Some(number) => Ok(see_other(format!("/konsol/tiket/{}", super::urlencode(&number)))),
        None => Ok(see_other("/konsol/admin/karantina?ok=1")),
    }
}

pub async fn discard(
    desk: web::Data<Desk>,
    req: HttpRequest,
    staff: Staff,
    id: web::Path<String>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, PageError> {
    staff.require(OVERSEERS)?;
    staff.check(&req, &form.csrf)?;
    let (actor, id) = (staff.actor.clone(), id.into_inner());
    desk.writer.write(move |tx| quarantine::discard(tx, &actor, &id)).await.or_page(staff.lang)?;
    Ok(see_other("/konsol/admin/karantina?ok=1"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn sizes_read_like_people_say_them() {
        assert_eq!(super::size_text(900), "900 B");
        assert_eq!(super::size_text(4096), "4 KB");
        assert_eq!(super::size_text(26 * 1024 * 1024), "26.0 MB");
    }
}

//! Administration of webhooks (SPEC 5, 7), for admins: the subscriptions with their latest
//! deliveries, a form to subscribe (the secret shown once, on the answer to the form), and
//! buttons to send a ping, switch one off or on, and delete it. Every form posts back with its
//! CSRF token and redirects with `?ok=1`, except the creation (its secret cannot be shown
//! again after a redirect).

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::admin::{given, tabs, Tab};
use super::session::Staff;
use super::{ok, see_other, when, Frame, OrPage, PageError};
use crate::desk::webhooks::{self, CreatedWebhook, NewWebhook};
use crate::desk::Desk;
use crate::domain::role::Role;
use crate::domain::webhook::{ALL, EVENTS};

/// Deliveries shown under each webhook, newest first.
const DELIVERIES_SHOWN: i64 = 10;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/konsol/admin/webhook", web::get().to(list));
    cfg.route("/konsol/admin/webhook", web::post().to(create));
    cfg.route("/konsol/admin/webhook/{id}/uji", web::post().to(test));
    cfg.route("/konsol/admin/webhook/{id}/aktif", web::post().to(switch));
    cfg.route("/konsol/admin/webhook/{id}/hapus", web::post().to(delete));
}

pub struct HookRow {
    pub id: String,
    pub url: String,
    pub events: String,
    pub active: bool,
    pub state: String,
    pub created: String,
    pub queued: i64,
    pub deliveries: Vec<LogRow>,
}

pub struct LogRow {
    pub at: String,
    pub event: String,
    pub ticket: String,
    pub attempt: i32,
    pub outcome: &'static str,
    pub delivered: bool,
    pub status: String,
    pub detail: String,
}

#[derive(Template)]
#[template(path = "admin_webhooks.html")]
struct WebhooksPage {
    f: Frame,
    tabs: Vec<Tab>,
    hooks: Vec<HookRow>,
    events: Vec<&'static str>,
    all: &'static str,
    /// Just created: its URL and its secret, shown this once.
    created: Option<(String, String)>,
}

async fn page(
    desk: &Desk,
    req: &HttpRequest,
    staff: &Staff,
    created: Option<CreatedWebhook>,
) -> Result<HttpResponse, PageError> {
    let l = staff.lang;
    let (d, actor) = (desk.clone(), staff.actor.clone());
    let listed = desk
        .read(move |conn| {
            let hooks = webhooks::list(&d, conn, &actor)?;
            let mut out = Vec::with_capacity(hooks.len());
            for hook in hooks {
                let log = webhooks::deliveries(conn, &actor, &hook.id, DELIVERIES_SHOWN)?;
                out.push((hook, log));
            }
            Ok(out)
        })
        .await
        .or_page(l)?;
    let hooks = listed
        .into_iter()
        .map(|(h, log)| HookRow {
            state: match (&h.active, &h.disabled_reason) {
                (true, _) => l.t("admin.active").to_string(),
                (false, Some(why)) => format!("{} ({why})", l.t("admin.inactive")),
                (false, None) => l.t("admin.inactive").to_string(),
            },
            created: when(desk.zone, h.created_at),
            events: h.events.join(", "),
            deliveries: log
                .into_iter()
                .map(|d| LogRow {
                    at: when(desk.zone, d.attempted_at),
                    outcome: match d.outcome.as_str() {
                        "delivered" => l.t("webhook.delivered"),
                        "retrying" => l.t("webhook.retrying"),
                        _ => l.t("webhook.given_up"),
                    },
                    delivered: d.outcome == "delivered",
                    ticket: d.ticket.unwrap_or_else(|| "—".into()),
                    status: d.status_code.map_or_else(|| "—".into(), |s| s.to_string()),
                    detail: d.error.or(d.response_excerpt).unwrap_or_default(),
                    event: d.event,
                    attempt: d.attempt,
                })
                .collect(),
            id: h.id,
            url: h.url,
            active: h.active,
            queued: h.queued,
        })
        .collect();
    ok(&WebhooksPage {
        f: Frame::staff(req, staff, l.t("admin.webhooks"), "admin"),
        tabs: tabs(staff, "webhooks"),
        hooks,
        events: EVENTS.to_vec(),
        all: ALL,
        created: created.map(|c| (c.webhook.url, c.secret)),
    })
}

pub async fn list(desk: web::Data<Desk>, req: HttpRequest, staff: Staff) -> Result<HttpResponse, PageError> {
    staff.require(&[Role::Admin])?;
    page(&desk, &req, &staff, None).await
}

/// The form's fields in order: `events` comes once per ticked box.
pub async fn create(
    desk: web::Data<Desk>,
    req: HttpRequest,
    staff: Staff,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, PageError> {
    staff.require(&[Role::Admin])?;
    let fields = form.into_inner();
    let field = |name: &str| fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).unwrap_or_default();
    staff.check(&req, &field("csrf"))?;
    let input = NewWebhook {
        url: field("url"),
        events: fields.iter().filter(|(k, _)| k == "events").map(|(_, v)| v.clone()).collect(),
        secret: given(&field("secret")),
    };
    let (d, actor) = (desk.get_ref().clone(), staff.actor.clone());
    let created = desk.writer.write(move |tx| webhooks::create(tx, &d, &actor, input)).await.or_page(staff.lang)?;
    desk.reload_webhooks_async().await.or_page(staff.lang)?;
    page(&desk, &req, &staff, Some(created)).await
}

pub async fn test(
    desk: web::Data<Desk>,
    req: HttpRequest,
    staff: Staff,
    id: web::Path<String>,
    form: web::Form<super::session::CsrfForm>,
) -> Result<HttpResponse, PageError> {
    staff.require(&[Role::Admin])?;
    staff.check(&req, &form.csrf)?;
    let (actor, id) = (staff.actor.clone(), id.into_inner());
    desk.writer.write(move |tx| webhooks::ping(tx, &actor, &id)).await.or_page(staff.lang)?;
    Ok(see_other("/konsol/admin/webhook?ok=1"))
}

#[derive(Deserialize)]
pub struct SwitchForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    active: String,
}

pub async fn switch(
    desk: web::Data<Desk>,
    req: HttpRequest,
    staff: Staff,
    id: web::Path<String>,
    form: web::Form<SwitchForm>,
) -> Result<HttpResponse, PageError> {
    staff.require(&[Role::Admin])?;
    staff.check(&req, &form.csrf)?;
    let active = form.active == "1";
    let (d, actor, id) = (desk.get_ref().clone(), staff.actor.clone(), id.into_inner());
    desk.writer.write(move |tx| webhooks::set_active(tx, &d, &actor, &id, active)).await.or_page(staff.lang)?;
    desk.reload_webhooks_async().await.or_page(staff.lang)?;
    Ok(see_other("/konsol/admin/webhook?ok=1"))
}

pub async fn delete(
    desk: web::Data<Desk>,
    req: HttpRequest,
    staff: Staff,
    id: web::Path<String>,
    form: web::Form<super::session::CsrfForm>,
) -> Result<HttpResponse, PageError> {
    staff.require(&[Role::Admin])?;
    staff.check(&req, &form.csrf)?;
    let (actor, id) = (staff.actor.clone(), id.into_inner());
    desk.writer.write(move |tx| webhooks::delete(tx, &actor, &id)).await.or_page(staff.lang)?;
    desk.reload_webhooks_async().await.or_page(staff.lang)?;
    Ok(see_other("/konsol/admin/webhook?ok=1"))
}

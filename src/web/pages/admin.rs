//! Administration (SPEC 7), for admins: units, services, users and roles, mailboxes, linked
//! Telegram chats and API tokens. SLA policies and calendars are in `admin_sla`, webhooks in
//! `admin_webhooks`. Every form posts back with its CSRF token and redirects to its section
//! with `?ok=1`.

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::i18n::Lang;
use super::session::Staff;
use super::{ok, see_other, when, Frame, OrPage, PageError};
use crate::desk::auth::{self, IssuedToken};
use crate::desk::catalog::{self, NewService, NewUnit, NewUser};
use crate::desk::mail::{self, NewMailbox};
use crate::desk::{telegram_links, Desk};
use crate::domain::role::Role;

/// How many tokens the tokens page lists, newest first.
const TOKENS_LISTED: i64 = 200;

/// One entry of the administration's own tabs: (link, label, current).
pub type Tab = (&'static str, &'static str, bool);

/// The sections this member of staff may open: admins all, supervisors SLA and calendars.
pub fn tabs(staff: &Staff, current: &str) -> Vec<Tab> {
    let l = staff.lang;
    let admin = staff.is(&[Role::Admin]);
    let all: [(&str, &str, &str, bool); 15] = [
        ("overview", "/konsol/admin", "admin.title", admin),
        ("units", "/konsol/admin/unit", "admin.units", admin),
        ("services", "/konsol/admin/layanan", "admin.services", admin),
        ("users", "/konsol/admin/pengguna", "admin.users", admin),
        ("sla", "/konsol/admin/sla", "admin.sla", true),
        ("calendars", "/konsol/admin/kalender", "admin.calendars", true),
        ("mailboxes", "/konsol/admin/kotak-surat", "admin.mailboxes", admin),
        ("quarantine", "/konsol/admin/karantina", "admin.quarantine", true),
        ("telegram", "/konsol/admin/telegram", "admin.telegram", admin),
        ("whatsapp", "/konsol/admin/whatsapp", "admin.whatsapp", admin),
        ("tokens", "/konsol/admin/token", "admin.tokens", admin),
        ("webhooks", "/konsol/admin/webhook", "admin.webhooks", admin),
        ("signins", "/konsol/admin/log-masuk", "admin.signins", admin),
        ("directory", "/konsol/admin/direktori", "admin.directory", admin),
        ("import", "/konsol/admin/impor", "admin.bulk_import", admin),
    ];
    all.iter().filter(|t| t.3).map(|(code, href, key, _)| (*href, l.t(key), *code == current)).collect()
}

/// A form's text, trimmed; `None` when left empty.
pub fn given(text: &str) -> Option<String> {
    Some(text.trim().to_string()).filter(|t| !t.is_empty())
}

fn unit_choices(units: &[catalog::UnitView]) -> Vec<(String, String)> {
    units.iter().map(|u| (u.code.clone(), u.name.clone())).collect()
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/konsol/admin", web::get().to(overview));
    cfg.route("/konsol/admin/unit", web::get().to(units));
    cfg.route("/konsol/admin/unit", web::post().to(add_unit));
    cfg.route("/konsol/admin/layanan", web::get().to(services));
    cfg.route("/konsol/admin/layanan", web::post().to(add_service));
    cfg.route("/konsol/admin/pengguna", web::get().to(users));
    cfg.route("/konsol/admin/pengguna", web::post().to(add_user));
    cfg.route("/konsol/admin/kotak-surat", web::get().to(mailboxes));
    cfg.route("/konsol/admin/kotak-surat", web::post().to(add_mailbox));
    cfg.route("/konsol/admin/telegram", web::get().to(telegram));
    cfg.route("/konsol/admin/token", web::get().to(tokens));
    cfg.route("/konsol/admin/token", web::post().to(issue_token));
    cfg.route("/konsol/admin/token/{id}/cabut", web::post().to(revoke_token));
    super::admin_sla::routes(cfg);
    super::admin_webhooks::routes(cfg);
    super::admin_quarantine::routes(cfg);
    super::admin_people::routes(cfg);
    super::admin_signins::routes(cfg);
    super::admin_whatsapp::routes(cfg);
}

// ---------------------------------------------------------------------------------------------
// Overview

#[derive(Template)]
#[template(path = "admin_overview.html")]
struct OverviewPage {
    f: Frame,
    tabs: Vec<Tab>,
    /// (link, title, what it is for)
    sections: Vec<(&'static str, &'static str, &'static str)>,
}

pub async fn overview(req: HttpRequest, staff: Staff) -> Result<HttpResponse, PageError> {
    staff.require(&[Role::Admin])?;
    let l = staff.lang;
    let sections = [
        ("/konsol/admin/unit", "admin.units", "admin.units_hint"),
        ("/konsol/admin/layanan", "admin.services", "admin.services_hint"),
        ("/konsol/admin/pengguna", "admin.users", "admin.users_hint"),
        ("/konsol/admin/sla", "admin.sla", "admin.sla_hint"),
        ("/konsol/admin/kalender", "admin.calendars", "admin.calendars_hint"),
        ("/konsol/admin/kotak-surat", "admin.mailboxes", "admin.mailboxes_hint"),
        ("/konsol/admin/telegram", "admin.telegram", "admin.telegram_hint"),
        ("/konsol/admin/whatsapp", "admin.whatsapp", "admin.wa_hint"),
        ("/konsol/admin/token", "admin.tokens", "admin.tokens_hint"),
        ("/konsol/admin/webhook", "admin.webhooks", "admin.webhooks_hint"),
    ]
    .iter()
    .map(|(href, title, hint)| (*href, l.t(title), l.t(hint)))
    .collect();
    ok(&OverviewPage {
        f: Frame::staff(&req, &staff, l.t("admin.title"), "admin"),
        tabs: tabs(&staff, "overview"),
        sections,
    })
}

// ---------------------------------------------------------------------------------------------
// Units and services

#[derive(Template)]
#[template(path = "admin_units.html")]
struct UnitsPage {
    f: Frame,
    tabs: Vec<Tab>,
    units: Vec<catalog::UnitView>,
}

pub async fn units(desk: web::Data<Desk>, req: HttpRequest, staff: Staff) -> Result<HttpResponse, PageError> {
    staff.require(&[Role::Admin])?;
    let l = staff.lang;
    let units = desk.read(catalog::list_units).await.or_page(l)?;
    ok(&UnitsPage { f: Frame::staff(&req, &staff, l.t("admin.units"), "admin"), tabs: tabs(&staff, "units"), units })
}

#[derive(Deserialize)]
pub struct UnitForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    tier2: Option<String>,
    #[serde(default)]
    email: String,
}

pub async fn add_unit(
    desk: web::Data<Desk>,
    req: HttpRequest,
    staff: Staff,
    form: web::Form<UnitForm>,
) -> Result<HttpResponse, PageError> {
    staff.require(&[Role::Admin])?;
    staff.check(&req, &form.csrf)?;
    catalog::require_admin(&staff.actor).or_page(staff.lang)?;
    let form = form.into_inner();
    let input = NewUnit {
        code: form.code.trim().to_ascii_uppercase(),
        name: form.name,
        tier2: form.tier2.is_some(),
        email: given(&form.email),
    };
    let actor_id = staff.actor.user_id.clone();
    desk.writer.write(move |tx| catalog::create_unit(tx, Some(&actor_id), input)).await.or_page(staff.lang)?;
    Ok(see_other("/konsol/admin/unit?ok=1"))
}

#[derive(Template)]
#[template(path = "admin_services.html")]
struct ServicesPage {
    f: Frame,
    tabs: Vec<Tab>,
    services: Vec<catalog::ServiceView>,
    units: Vec<(String, String)>,
}

pub async fn services(desk: web::Data<Desk>, req: HttpRequest, staff: Staff) -> Result<HttpResponse, PageError> {
    staff.require(&[Role::Admin])?;
    let l = staff.lang;
    let d = desk.get_ref().clone();
    let (services, units) = desk
        .read(move |conn| Ok((catalog::list_services(&d, conn, None)?, catalog::list_units(conn)?)))
        .await
        .or_page(l)?;
    ok(&ServicesPage {
        f: Frame::staff(&req, &staff, l.t("admin.services"), "admin"),
        tabs: tabs(&staff, "services"),
        services,
        units: unit_choices(&units),
    })
}

#[derive(Deserialize)]
pub struct ServiceForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    unit: String,
}

pub async fn add_service(
    desk: web::Data<Desk>,
    req: HttpRequest,
    staff: Staff,
    form: web::Form<ServiceForm>,
) -> Result<HttpResponse, PageError> {
    staff.require(&[Role::Admin])?;
    staff.check(&req, &form.csrf)?;
    catalog::require_admin(&staff.actor).or_page(staff.lang)?;
    let form = form.into_inner();
    let input = NewService { code: form.code.trim().to_ascii_uppercase(), name: form.name, unit: form.unit };
    let actor_id = staff.actor.user_id.clone();
    desk.writer.write(move |tx| catalog::create_service(tx, Some(&actor_id), input)).await.or_page(staff.lang)?;
    Ok(see_other("/konsol/admin/layanan?ok=1"))
}

// ---------------------------------------------------------------------------------------------
// Users and roles

pub struct UserRow {
    pub username: String,
    pub name: String,
    pub role: &'static str,
    pub unit: String,
    pub email: String,
    pub active: bool,
}

#[derive(Template)]
#[template(path = "admin_users.html")]
struct UsersPage {
    f: Frame,
    tabs: Vec<Tab>,
    users: Vec<UserRow>,
    roles: Vec<(&'static str, &'static str)>,
    units: Vec<(String, String)>,
}

pub async fn users(desk: web::Data<Desk>, req: HttpRequest, staff: Staff) -> Result<HttpResponse, PageError> {
    staff.require(&[Role::Admin])?;
    let l = staff.lang;
    let (d, actor) = (desk.get_ref().clone(), staff.actor.clone());
    let (users, units) = desk
        .read(move |conn| Ok((catalog::list_users(&d, conn, &actor)?, catalog::list_units(conn)?)))
        .await
        .or_page(l)?;
    let users = users
        .into_iter()
        .map(|u| UserRow {
            role: l.role(u.role),
            unit: u.unit.unwrap_or_else(|| "—".into()),
            email: u.email.unwrap_or_else(|| "—".into()),
            username: u.username,
            name: u.name,
            active: u.active,
        })
        .collect();
    ok(&UsersPage {
        f: Frame::staff(&req, &staff, l.t("admin.users"), "admin"),
        tabs: tabs(&staff, "users"),
        users,
        roles: Role::ALL.iter().map(|r| (r.as_str(), l.role(*r))).collect(),
        units: unit_choices(&units),
    })
}

#[derive(Deserialize)]
pub struct UserForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    unit: String,
    #[serde(default)]
    password: String,
}

pub async fn add_user(
    desk: web::Data<Desk>,
    req: HttpRequest,
    staff: Staff,
    form: web::Form<UserForm>,
) -> Result<HttpResponse, PageError> {
    staff.require(&[Role::Admin])?;
    staff.check(&req, &form.csrf)?;
    let l = staff.lang;
    catalog::require_admin(&staff.actor).or_page(l)?;
    let form = form.into_inner();
    let role = Role::parse(form.role.trim()).ok_or_else(|| {
        PageError::invalid(l, format!("role: {:?} is not one of {}", form.role, Role::names().join(", ")))
    })?;
    let input = NewUser {
        username: form.username.trim().to_ascii_lowercase(),
        name: form.name,
        email: given(&form.email),
        password: form.password,
        role,
        unit: given(&form.unit),
    };
    catalog::add_user(&desk, Some(&staff.actor), input).await.or_page(l)?;
    Ok(see_other("/konsol/admin/pengguna?ok=1"))
}

// ---------------------------------------------------------------------------------------------
// Mailboxes

#[derive(Template)]
#[template(path = "admin_mailboxes.html")]
struct MailboxesPage {
    f: Frame,
    tabs: Vec<Tab>,
    mailboxes: Vec<mail::MailboxView>,
    units: Vec<(String, String)>,
}

pub async fn mailboxes(desk: web::Data<Desk>, req: HttpRequest, staff: Staff) -> Result<HttpResponse, PageError> {
    staff.require(&[Role::Admin])?;
    let l = staff.lang;
    let d = desk.get_ref().clone();
    let (mailboxes, units) =
        desk.read(move |conn| Ok((mail::list_mailboxes(&d, conn)?, catalog::list_units(conn)?))).await.or_page(l)?;
    ok(&MailboxesPage {
        f: Frame::staff(&req, &staff, l.t("admin.mailboxes"), "admin"),
        tabs: tabs(&staff, "mailboxes"),
        mailboxes,
        units: unit_choices(&units),
    })
}

#[derive(Deserialize)]
pub struct MailboxForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    unit: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    imap_url: String,
}

pub async fn add_mailbox(
    desk: web::Data<Desk>,
    req: HttpRequest,
    staff: Staff,
    form: web::Form<MailboxForm>,
) -> Result<HttpResponse, PageError> {
    staff.require(&[Role::Admin])?;
    staff.check(&req, &form.csrf)?;
    let form = form.into_inner();
    let input = NewMailbox { name: form.name, unit: form.unit, address: form.address, imap_url: given(&form.imap_url) };
    let (d, actor) = (desk.get_ref().clone(), staff.actor.clone());
    desk.writer.write(move |tx| mail::create_mailbox(tx, &d, Some(&actor), input)).await.or_page(staff.lang)?;
    Ok(see_other("/konsol/admin/kotak-surat?ok=1"))
}

// ---------------------------------------------------------------------------------------------
// Telegram

pub struct ChatRow {
    pub chat_id: i64,
    pub kind: &'static str,
    pub who: String,
    pub updated: String,
}

#[derive(Template)]
#[template(path = "admin_telegram.html")]
struct TelegramPage {
    f: Frame,
    tabs: Vec<Tab>,
    chats: Vec<ChatRow>,
}

pub async fn telegram(desk: web::Data<Desk>, req: HttpRequest, staff: Staff) -> Result<HttpResponse, PageError> {
    staff.require(&[Role::Admin])?;
    let l = staff.lang;
    let (d, actor) = (desk.get_ref().clone(), staff.actor.clone());
    let chats = desk.read(move |conn| telegram_links::list_linked(&d, conn, &actor)).await.or_page(l)?;
    let chats = chats
        .into_iter()
        .map(|c| ChatRow {
            chat_id: c.chat_id,
            kind: if c.unit.is_some() { l.t("admin.tg_unit_group") } else { l.t("admin.tg_account") },
            who: c.unit.or(c.account).unwrap_or_default(),
            updated: when(desk.zone, c.updated_at),
        })
        .collect();
    ok(&TelegramPage {
        f: Frame::staff(&req, &staff, l.t("admin.telegram"), "admin"),
        tabs: tabs(&staff, "telegram"),
        chats,
    })
}

// ---------------------------------------------------------------------------------------------
// API tokens

pub struct TokenRow {
    pub id: String,
    pub owner: String,
    pub label: String,
    pub created: String,
    pub expires: String,
    /// Revoked (when), expired, or live (and then revocable).
    pub state: String,
    pub live: bool,
    pub this_session: bool,
}

#[derive(Template)]
#[template(path = "admin_tokens.html")]
struct TokensPage {
    f: Frame,
    tabs: Vec<Tab>,
    tokens: Vec<TokenRow>,
    issued: Option<IssuedToken>,
    issued_expires: String,
}

async fn tokens_page(
    desk: &Desk,
    req: &HttpRequest,
    staff: &Staff,
    issued: Option<IssuedToken>,
) -> Result<HttpResponse, PageError> {
    let l: Lang = staff.lang;
    let actor = staff.actor.clone();
    let list = desk.read(move |conn| auth::list_tokens(conn, &actor, TOKENS_LISTED)).await.or_page(l)?;
    let now = desk.now();
    let tokens = list
        .into_iter()
        .map(|t| {
            let live = t.revoked_at.is_none() && t.expires_at > now;
            let state = match t.revoked_at {
                Some(at) => format!("{} {}", l.t("admin.revoked"), when(desk.zone, at)),
                None if !live => l.t("admin.expired").to_string(),
                None => l.t("admin.active").to_string(),
            };
            TokenRow {
                this_session: t.id == staff.token_id,
                id: t.id,
                owner: t.owner,
                label: t.label,
                created: when(desk.zone, t.created_at),
                expires: when(desk.zone, t.expires_at),
                state,
                live,
            }
        })
        .collect();
    let issued_expires = issued.as_ref().map(|i| when(desk.zone, i.expires_at)).unwrap_or_default();
    ok(&TokensPage {
        f: Frame::staff(req, staff, l.t("admin.tokens"), "admin"),
        tabs: tabs(staff, "tokens"),
        tokens,
        issued,
        issued_expires,
    })
}

pub async fn tokens(desk: web::Data<Desk>, req: HttpRequest, staff: Staff) -> Result<HttpResponse, PageError> {
    staff.require(&[Role::Admin])?;
    tokens_page(&desk, &req, &staff, None).await
}

#[derive(Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    label: String,
}

/// Issues a labelled integration token and shows it once, on this answer (not a redirect:
/// the secret is never stored and cannot be shown again).
pub async fn issue_token(
    desk: web::Data<Desk>,
    req: HttpRequest,
    staff: Staff,
    form: web::Form<TokenForm>,
) -> Result<HttpResponse, PageError> {
    staff.require(&[Role::Admin])?;
    staff.check(&req, &form.csrf)?;
    let (actor, label) = (staff.actor.clone(), form.into_inner().label);
    let issued =
        desk.writer.write(move |tx| auth::issue_integration_token(tx, &actor, &label)).await.or_page(staff.lang)?;
    tokens_page(&desk, &req, &staff, Some(issued)).await
}

pub async fn revoke_token(
    desk: web::Data<Desk>,
    req: HttpRequest,
    staff: Staff,
    id: web::Path<String>,
    form: web::Form<super::session::CsrfForm>,
) -> Result<HttpResponse, PageError> {
    staff.require(&[Role::Admin])?;
    staff.check(&req, &form.csrf)?;
    let (actor, id) = (staff.actor.clone(), id.into_inner());
    desk.writer.write(move |tx| auth::revoke_any_token(tx, &actor, &id)).await.or_page(staff.lang)?;
    Ok(see_other("/konsol/admin/token?ok=1"))
}

//! `/konsol/admin/whatsapp`: the WhatsApp channel's settings (never its secrets), the message
//! templates used outside the 24-hour window, and how many contacts write to the desk.

use std::sync::Arc;

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

use super::admin::{tabs, Tab};
use super::session::Staff;
use super::{ok, Frame, OrPage, PageError};
use crate::config::TEMPLATE_NOTICES;
use crate::desk::Desk;
use crate::domain::role::Role;
use crate::whatsapp::WhatsApp;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/konsol/admin/whatsapp", web::get().to(page));
}

/// A notice and the template it goes as outside the window (`None`: not configured).
pub struct TemplateLine {
    pub notice: &'static str,
    pub template: Option<String>,
}

pub struct Channel {
    pub phone_number_id: String,
    pub api: String,
    pub max_file: String,
    pub per_minute: u32,
    pub templates: Vec<TemplateLine>,
    pub contacts: i64,
    pub open: i64,
    pub stopped: i64,
}

#[derive(Template)]
#[template(path = "admin_whatsapp.html")]
struct WhatsAppPage {
    f: Frame,
    tabs: Vec<Tab>,
    webhook: String,
    channel: Option<Channel>,
}

async fn page(
    desk: web::Data<Desk>,
    whatsapp: web::Data<Option<Arc<WhatsApp>>>,
    pages: web::Data<super::session::PageSettings>,
    req: HttpRequest,
    staff: Staff,
) -> Result<HttpResponse, PageError> {
    staff.require(&[Role::Admin])?;
    let l = staff.lang;
    let channel = match whatsapp.get_ref() {
        Some(w) => {
            let from = (desk.now() - crate::whatsapp::WINDOW).naive_utc();
            let (contacts, open, stopped) =
                desk.read(move |conn| Ok(crate::db::whatsapp::contact_counts(conn, from)?)).await.or_page(l)?;
            Some(Channel {
                phone_number_id: w.phone_number_id().to_string(),
                api: w.api().to_string(),
                max_file: super::file_size(w.max_file_bytes as i64),
                per_minute: w.messages_per_minute,
                templates: TEMPLATE_NOTICES
                    .iter()
                    .map(|notice| TemplateLine {
                        notice: l.t(&format!("admin.wa_{notice}")),
                        template: w.templates.get(*notice).map(|t| format!("{} ({})", t.name, t.language)),
                    })
                    .collect(),
                contacts,
                open,
                stopped,
            })
        }
        None => None,
    };
    ok(&WhatsAppPage {
        f: Frame::staff(&req, &staff, l.t("admin.whatsapp"), "admin"),
        tabs: tabs(&staff, "whatsapp"),
        webhook: format!("{}/whatsapp/webhook", pages.public_url),
        channel,
    })
}

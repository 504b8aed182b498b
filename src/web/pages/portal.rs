//! The citizens' portal (SPEC 5 web): report a problem without an account, with knowledge-base
//! suggestions while typing, and find the tracking page. Abuse limits: per address and per
//! contact, size limits, a honeypot field and a CSRF cookie.

use actix_multipart::Multipart;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

use super::i18n::Lang;
use super::session::{check_public_csrf, public_csrf};
use super::{html, see_other, Frame, OrPage, PageError};
use crate::desk::kb::ArticleSummary;
use crate::desk::tickets::{self, NewPublicTicket, RequesterInput};
use crate::desk::{Desk, DeskError};
use crate::domain::ticket::Kind;
use crate::web::extract::client_address;

/// One attachment on the public form.
pub const MAX_ATTACHMENT: usize = 5 * 1024 * 1024;

#[derive(Template)]
#[template(path = "portal.html")]
struct PortalPage {
    f: Frame,
    csrf: String,
    units: Vec<(String, String)>,
    services: Vec<(String, String, String)>,
    kinds: Vec<(&'static str, &'static str)>,
    articles: Vec<ArticleSummary>,
    /// Services known to be disrupted now: (code, name, title, since), told before reporting.
    disrupted: Vec<(String, String, String, String)>,
    disrupted_codes: Vec<String>,
    error: Option<String>,
    form: ReportForm,
}

#[derive(Debug, Default, Clone)]
pub struct ReportForm {
    pub name: String,
    pub email: String,
    pub phone: String,
    pub place: String,
    pub kind: String,
    pub title: String,
    pub description: String,
    pub csrf: String,
    pub honeypot: String,
    pub security: bool,
    pub breach: bool,
    /// Follow the known disruption the report joins (the box is ticked when shown).
    pub follow: bool,
    pub file: Option<crate::desk::attachments::Upload>,
}

async fn render(
    desk: &Desk,
    req: &HttpRequest,
    form: ReportForm,
    error: Option<String>,
    status: actix_web::http::StatusCode,
) -> Result<HttpResponse, PageError> {
    let l = Lang::from_request(req);
    let d = desk.clone();
    let now = desk.now();
    let (units, services, articles, known) = desk
        .read(move |conn| {
            let units = crate::desk::catalog::intake_units(conn)?;
            let services = crate::desk::catalog::intake_services(&d, conn)?;
            let articles = crate::desk::kb::search(conn, None, None, None, 5)?;
            let known = crate::desk::disruptions::status::current_outages(conn, now, l.code())?;
            Ok((units, services, articles, known))
        })
        .await
        .or_page(l)?;
    let (csrf, cookie) = public_csrf(req);
    let page = PortalPage {
        f: Frame::public(req, l.t("portal.title"), "portal"),
        csrf,
        units: units.into_iter().map(|u| (u.code, u.name)).collect(),
        services: services.into_iter().map(|s| (s.code, s.name, s.unit)).collect(),
        kinds: [Kind::Incident, Kind::ServiceRequest, Kind::Complaint, Kind::Information]
            .iter()
            .map(|k| (k.as_str(), l.kind(*k)))
            .collect(),
        articles,
        disrupted: known
            .iter()
            .map(|d| (d.service.clone(), d.service_name.clone(), d.title.clone(), super::when(desk.zone, d.starts_at)))
            .collect(),
        disrupted_codes: known.iter().map(|d| d.service.clone()).collect(),
        error,
        form,
    };
    let mut response = html(status, &page);
    if let Some(c) = cookie {
        let _ = response.add_cookie(&c);
    }
    Ok(response)
}

pub async fn home(desk: web::Data<Desk>, req: HttpRequest) -> Result<HttpResponse, PageError> {
    let form = ReportForm { kind: "incident".into(), follow: true, ..ReportForm::default() };
    render(&desk, &req, form, None, actix_web::http::StatusCode::OK).await
}

/// Reads the multipart form: one attachment of at most [`MAX_ATTACHMENT`], text within the
/// shared reader's limit.
async fn read_form(l: Lang, payload: Multipart) -> Result<ReportForm, PageError> {
    let fields = crate::web::upload::read(payload, "attachment", 1, MAX_ATTACHMENT)
        .await
        .map_err(|e| PageError::invalid(l, format!("{}: {}", e.field, e.detail)))?;
    let text = |name: &str| fields.get(name).unwrap_or_default().to_string();
    let ticked = |name: &str| fields.get(name).is_some_and(|v| !v.is_empty());
    Ok(ReportForm {
        name: text("name"),
        email: text("email"),
        phone: text("phone"),
        place: text("place"),
        kind: text("kind"),
        title: text("title"),
        description: text("description"),
        csrf: text("csrf"),
        honeypot: text("website"),
        security: ticked("security_incident"),
        breach: ticked("personal_data_breach"),
        follow: ticked("follow_disruption"),
        // An empty file adds nothing to a report; it is dropped as before.
        file: fields.files.into_iter().find(|f| !f.bytes.is_empty()),
    })
}

pub async fn submit(desk: web::Data<Desk>, req: HttpRequest, payload: Multipart) -> Result<HttpResponse, PageError> {
    let l = Lang::from_request(&req);
    let form = read_form(l, payload).await?;
    check_public_csrf(&req, &form.csrf, l)?;
    let unprocessable = actix_web::http::StatusCode::UNPROCESSABLE_ENTITY;
    // A filled honeypot is a robot: refuse without saying why.
    if !form.honeypot.is_empty() {
        return Err(PageError::invalid(l, l.t("error.invalid")));
    }
    let client = client_address(&req);
    let contact = format!("contact:{}", form.email.trim().to_lowercase());
    for key in [client.as_str(), contact.as_str()] {
        if desk.auth.public_intake.blocked_for(&desk, key).await.is_some() {
            let error = Some(l.t("portal.too_many").to_string());
            return render(&desk, &req, form, error, actix_web::http::StatusCode::TOO_MANY_REQUESTS).await;
        }
    }
    let Some(kind) = Kind::parse(&form.kind) else {
        return render(&desk, &req, form, Some(format!("kind: {}", l.t("error.invalid"))), unprocessable).await;
    };
    let (unit, service) = match form.place.split_once(':') {
        Some(("unit", code)) => (Some(code.to_string()), None),
        Some(("service", code)) => (None, Some(code.to_string())),
        _ => (None, None),
    };
    let some = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
    let input = NewPublicTicket {
        kind,
        title: form.title.trim().to_string(),
        description: form.description.clone(),
        unit,
        service,
        impact: None,
        urgency: None,
        requester: RequesterInput {
            name: form.name.trim().to_string(),
            email: some(&form.email),
            telegram_id: None,
            phone: some(&form.phone),
            language: Some(l.code().to_string()),
        },
        security_incident: Some(form.security).filter(|s| *s),
        personal_data_breach: Some(form.breach).filter(|b| *b),
        follow_disruption: Some(form.follow),
    };
    if input.requester.email.is_none() {
        return render(&desk, &req, form, Some(format!("email: {}", l.t("portal.contact_hint"))), unprocessable).await;
    }
    let file = form.file.clone();
    let d = desk.get_ref().clone();
    let result = desk
        .writer
        .write(move |tx| {
            let opened = tickets::open_ticket(tx, &d, None, input.into())?;
            if let Some(upload) = &file {
                crate::desk::attachments::attach(tx, &opened.ticket.row.id, None, false, upload)?;
            }
            Ok((opened.ticket.row.number, opened.tracking_token.unwrap_or_default()))
        })
        .await;
    let (number, token) = match result {
        Ok(done) => done,
        Err(DeskError::Invalid { field, detail }) => {
            return render(&desk, &req, form, Some(format!("{field}: {detail}")), unprocessable).await;
        }
        Err(e) => return Err(PageError::from_desk(l, e)),
    };
    desk.auth.public_intake.hit(&desk, &client).await;
    desk.auth.public_intake.hit(&desk, &contact).await;
    crate::web::metrics::TICKETS_OPENED.inc();
    Ok(see_other(format!("/lacak/{}?token={}&baru=1", super::urlencode(&number), super::urlencode(&token))))
}

//! The directory and bulk onboarding in the admin console: the group mappings (one per line,
//! `group,role,unit`, in the order they are tried) and the CSV upload of units, services and
//! people — a preview naming every bad line and field first, then the import of all lines or
//! none. The same use cases as `/api/v1/directory/group-mappings` and `/api/v1/import/{kind}`.

use actix_multipart::Multipart;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use futures_util::StreamExt;
use serde::Deserialize;

use super::admin::{tabs, Tab};
use super::i18n::Lang;
use super::session::Staff;
use super::{ok, Frame, OrPage, PageError};
use crate::desk::directory::{self, GroupMapping};
use crate::desk::import::{self, ImportReport, Kind};
use crate::desk::{Desk, DeskError};
use crate::domain::role::Role;

/// What one upload may hold here; larger files go through `meja import` or the API.
const MAX_UPLOAD: usize = 2 * 1024 * 1024;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/konsol/admin/direktori", web::get().to(mappings));
    cfg.route("/konsol/admin/direktori", web::post().to(save_mappings));
    cfg.route("/konsol/admin/impor", web::get().to(import_form));
    cfg.service(
        web::resource("/konsol/admin/impor")
            .app_data(web::PayloadConfig::new(MAX_UPLOAD + 64 * 1024))
            .route(web::post().to(import_upload)),
    );
}

#[derive(Template)]
#[template(path = "admin_directory.html")]
struct DirectoryPage {
    f: Frame,
    tabs: Vec<Tab>,
    text: String,
    error: Option<String>,
    saved: bool,
    ldap: bool,
    sso: bool,
}

fn as_lines(mappings: &[GroupMapping]) -> String {
    mappings.iter().map(|m| format!("{},{},{}\n", m.group, m.role.as_str(), m.unit.as_deref().unwrap_or(""))).collect()
}

/// `group,role,unit` per line; the group may hold commas when it is quoted (a DN).
fn parse_lines(text: &str) -> Result<Vec<GroupMapping>, String> {
    let mut reader =
        csv::ReaderBuilder::new().has_headers(false).flexible(true).trim(csv::Trim::All).from_reader(text.as_bytes());
    let mut out = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let record = record.map_err(|e| format!("line {}: {e}", i + 1))?;
        if record.iter().all(str::is_empty) {
            continue;
        }
        let role_text = record.get(1).unwrap_or_default();
        let role = Role::parse(role_text)
            .ok_or_else(|| format!("line {}: role {role_text:?} is not one of {}", i + 1, Role::names().join(", ")))?;
        let unit = record.get(2).map(str::to_string).filter(|u| !u.is_empty());
        out.push(GroupMapping { group: record.get(0).unwrap_or_default().to_string(), role, unit });
    }
    Ok(out)
}

async fn directory_page(
    desk: &Desk,
    req: &HttpRequest,
    staff: &Staff,
    text: Option<String>,
    error: Option<String>,
    saved: bool,
) -> Result<HttpResponse, PageError> {
    let l = staff.lang;
    let text = match text {
        Some(t) => t,
        None => {
            let (d, actor) = (desk.clone(), staff.actor.clone());
            as_lines(&desk.read(move |conn| directory::list_mappings(&d, conn, &actor)).await.or_page(l)?)
        }
    };
    let page = DirectoryPage {
        f: Frame::staff(req, staff, l.t("admin.directory"), "admin"),
        tabs: tabs(staff, "directory"),
        text,
        error,
        saved,
        ldap: desk.ldap.is_some(),
        sso: desk.oidc.is_some(),
    };
    let status = if page.error.is_some() {
        actix_web::http::StatusCode::UNPROCESSABLE_ENTITY
    } else {
        actix_web::http::StatusCode::OK
    };
    Ok(super::html(status, &page))
}

pub async fn mappings(desk: web::Data<Desk>, req: HttpRequest, staff: Staff) -> Result<HttpResponse, PageError> {
    staff.require(&[Role::Admin])?;
    directory_page(&desk, &req, &staff, None, None, false).await
}

#[derive(Deserialize)]
pub struct MappingsForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    mappings: String,
}

pub async fn save_mappings(
    desk: web::Data<Desk>,
    req: HttpRequest,
    staff: Staff,
    form: web::Form<MappingsForm>,
) -> Result<HttpResponse, PageError> {
    staff.require(&[Role::Admin])?;
    staff.check(&req, &form.csrf)?;
    let form = form.into_inner();
    let parsed = match parse_lines(&form.mappings) {
        Ok(list) => list,
        Err(e) => return directory_page(&desk, &req, &staff, Some(form.mappings), Some(e), false).await,
    };
    let (d, actor) = (desk.get_ref().clone(), staff.actor.clone());
    match desk.writer.write(move |tx| directory::replace_mappings(tx, &d, &actor, parsed)).await {
        Ok(_) => directory_page(&desk, &req, &staff, None, None, true).await,
        Err(DeskError::Invalid { field, detail }) => {
            // `[2].unit` names the third line.
            let line = field.trim_start_matches('[').split(']').next().and_then(|n| n.parse::<usize>().ok());
            let place = line.map_or(field.clone(), |n| format!("line {}", n + 1));
            directory_page(&desk, &req, &staff, Some(form.mappings), Some(format!("{place}: {detail}")), false).await
        }
        Err(e) => Err(PageError::from_desk(staff.lang, e)),
    }
}

#[derive(Template)]
#[template(path = "admin_import.html")]
struct ImportPage {
    f: Frame,
    tabs: Vec<Tab>,
    kind: String,
    report: Option<ImportReport>,
    /// The checked file, carried to the import button.
    content: String,
}

pub async fn import_form(req: HttpRequest, staff: Staff) -> Result<HttpResponse, PageError> {
    staff.require(&[Role::Admin])?;
    let l = staff.lang;
    ok(&ImportPage {
        f: Frame::staff(&req, &staff, l.t("admin.bulk_import"), "admin"),
        tabs: tabs(&staff, "import"),
        kind: "users".into(),
        report: None,
        content: String::new(),
    })
}

/// The upload's fields: the kind, the file (or the checked text carried back), the token, and
/// whether to import or only check.
async fn read_upload(l: Lang, mut payload: Multipart) -> Result<(String, String, String, bool), PageError> {
    let (mut kind, mut content, mut csrf, mut apply) = (String::new(), String::new(), String::new(), false);
    while let Some(field) = payload.next().await {
        let mut field = field.map_err(|e| PageError::invalid(l, format!("form: {e}")))?;
        let name = field.name().unwrap_or_default().to_string();
        let mut bytes = Vec::new();
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(|e| PageError::invalid(l, format!("{name}: {e}")))?;
            if bytes.len() + chunk.len() > MAX_UPLOAD {
                return Err(PageError::invalid(l, format!("{name}: larger than 2 MB; use meja import")));
            }
            bytes.extend_from_slice(&chunk);
        }
        let text = String::from_utf8(bytes)
            .map_err(|_| PageError::invalid(l, format!("{name}: not UTF-8 text (save the file as \"CSV UTF-8\")")))?;
        match name.as_str() {
            "kind" => kind = text,
            "file" | "content" if !text.trim().is_empty() => content = text,
            "csrf" => csrf = text,
            "apply" => apply = !text.is_empty(),
            _ => {}
        }
    }
    Ok((kind, content, csrf, apply))
}

pub async fn import_upload(
    desk: web::Data<Desk>,
    req: HttpRequest,
    staff: Staff,
    payload: Multipart,
) -> Result<HttpResponse, PageError> {
    staff.require(&[Role::Admin])?;
    let l = staff.lang;
    let (kind_text, content, csrf, apply) = read_upload(l, payload).await?;
    staff.check(&req, &csrf)?;
    let kind = Kind::parse(&kind_text).ok_or_else(|| PageError::invalid(l, "kind: units, services or users"))?;
    let report = import::run(&desk, Some(&staff.actor), kind, content.clone(), apply).await.or_page(l)?;
    let status = if report.errors.is_empty() {
        actix_web::http::StatusCode::OK
    } else {
        actix_web::http::StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = ImportPage {
        f: Frame::staff(&req, &staff, l.t("admin.bulk_import"), "admin"),
        tabs: tabs(&staff, "import"),
        kind: kind_text,
        content: if report.applied { String::new() } else { content },
        report: Some(report),
    };
    Ok(super::html(status, &page))
}

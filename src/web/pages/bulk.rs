//! Bulk actions from the console's queue (issue 15): the tickets ticked on the page (or all
//! of the page), one action, and a page that lists what was done and what was refused.

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

use super::i18n::Lang;
use super::session::Staff;
use super::{ok, Frame, OrPage, PageError};
use crate::desk::tickets::bulk::{self, BulkAction, BulkOutcome};
use crate::desk::tickets::ActionRequest;
use crate::desk::{Desk, DeskError};
use crate::domain::ticket::Level;

/// The queue's bulk form, read by hand: `nomor` and `halaman` repeat, which a derived form
/// cannot hold.
#[derive(Debug, Default)]
struct BulkForm {
    csrf: String,
    action: String,
    ticked: Vec<String>,
    /// Every ticket shown on the page, used when "all on this page" is ticked (works without
    /// script).
    page: Vec<String>,
    whole_page: bool,
    username: String,
    unit: String,
    impact: String,
    urgency: String,
    reason: String,
    resolution: String,
    note: String,
}

impl BulkForm {
    fn parse(body: &[u8]) -> BulkForm {
        let mut form = BulkForm::default();
        for (key, value) in url::form_urlencoded::parse(body) {
            let value = value.into_owned();
            match key.as_ref() {
                "csrf" => form.csrf = value,
                "aksi" => form.action = value,
                "nomor" => form.ticked.push(value),
                "halaman" => form.page.push(value),
                "semua" => form.whole_page = value == "1",
                "username" => form.username = value,
                "unit" => form.unit = value,
                "impact" => form.impact = value,
                "urgency" => form.urgency = value,
                "reason" => form.reason = value,
                "resolution" => form.resolution = value,
                "body" => form.note = value,
                _ => {}
            }
        }
        form
    }

    fn action(&self, l: Lang) -> Result<BulkAction, PageError> {
        let optional = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
        let level = |field: &str, v: &str| {
            Level::parse(v).ok_or_else(|| PageError::invalid(l, format!("{field}: must be high, medium or low")))
        };
        let request = match self.action.as_str() {
            "assign" => ActionRequest::Assign { username: self.username.trim().to_string() },
            "transfer" => ActionRequest::Transfer { unit: self.unit.clone(), reason: optional(&self.reason) },
            "priority" => ActionRequest::Priority {
                impact: level("impact", &self.impact)?,
                urgency: level("urgency", &self.urgency)?,
            },
            "pend" => ActionRequest::Pend { reason: optional(&self.reason) },
            "resolve" => ActionRequest::Resolve { resolution: self.resolution.clone(), resolve_linked: false },
            "close" => ActionRequest::Close,
            "cancel" => ActionRequest::Cancel { reason: self.reason.clone() },
            "note" => return Ok(BulkAction::Note { body: self.note.clone() }),
            _ => return Err(PageError::invalid(l, l.t("bulk.choose_action"))),
        };
        Ok(BulkAction::Act(request))
    }

    fn numbers(self) -> Vec<String> {
        if self.whole_page {
            self.page
        } else {
            self.ticked
        }
    }
}

struct ResultRow {
    number: String,
    done: bool,
    reason: String,
}

#[derive(Template)]
#[template(path = "bulk_result.html")]
struct BulkResultPage {
    f: Frame,
    action: &'static str,
    done: usize,
    refused: usize,
    rows: Vec<ResultRow>,
}

/// Why a ticket was refused, in the viewer's language where the desk has the words.
fn refusal(l: Lang, e: DeskError) -> String {
    match e {
        DeskError::NotFound { .. } => l.t("bulk.not_found").to_string(),
        DeskError::Forbidden(_) => l.t("bulk.forbidden").to_string(),
        other => PageError::from_desk(l, other).detail,
    }
}

pub async fn apply(
    desk: web::Data<Desk>,
    req: HttpRequest,
    staff: Staff,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let form = BulkForm::parse(&body);
    staff.check(&req, &form.csrf)?;
    let l = staff.lang;
    let action = form.action(l)?;
    let label = action_label(l, &form.action);
    let numbers = form.numbers();
    if numbers.is_empty() {
        return Err(PageError::invalid(l, l.t("bulk.none_ticked")));
    }
    let numbers = bulk::check_numbers(numbers).or_page(l)?;
    let outcomes = bulk::run(desk.get_ref(), &staff.actor, numbers, action).await.or_page(l)?;
    let rows: Vec<ResultRow> = outcomes
        .into_iter()
        .map(|BulkOutcome { number, result }| match result {
            Ok(()) => ResultRow { number, done: true, reason: String::new() },
            Err(e) => ResultRow { number, done: false, reason: refusal(l, e) },
        })
        .collect();
    let done = rows.iter().filter(|r| r.done).count();
    let page = BulkResultPage {
        f: Frame::staff(&req, &staff, l.t("bulk.result_title"), "queue"),
        action: label,
        done,
        refused: rows.len() - done,
        rows,
    };
    ok(&page)
}

/// The words of an action as the queue's bulk form names it.
pub fn action_label(l: Lang, action: &str) -> &'static str {
    match action {
        "assign" => l.t("bulk.assign"),
        "transfer" => l.t("bulk.transfer"),
        "priority" => l.t("bulk.priority"),
        "pend" => l.t("bulk.pend"),
        "resolve" => l.t("bulk.resolve"),
        "close" => l.t("bulk.close"),
        "cancel" => l.t("bulk.cancel"),
        _ => l.t("bulk.note"),
    }
}

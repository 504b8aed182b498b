//! Bulk actions from the console's queue (issue 15): the tickets ticked on the page (or all
//! of the page), one action, and a page that lists what was done and what was refused.

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

use super::i18n::Lang;
use super::session::Staff;
use super::ticket::{request_for, ActionFormData};
use super::{ok, Frame, OrPage, PageError};
use crate::desk::tickets::bulk::{self, BulkAction, BulkOutcome, BULK_ACTIONS};
use crate::desk::{Desk, DeskError};
use crate::domain::ticket::Action;

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

    /// The action, with its fields read as the ticket page reads them.
    fn action(&self, l: Lang) -> Result<BulkAction, PageError> {
        if self.action == "note" {
            return Ok(BulkAction::Note { body: self.note.clone() });
        }
        let action = Some(self.action.as_str())
            .filter(|a| BULK_ACTIONS.contains(a))
            .and_then(Action::parse)
            .ok_or_else(|| PageError::invalid(l, l.t("bulk.choose_action")))?;
        let fields = ActionFormData {
            username: self.username.trim().to_string(),
            reason: self.reason.clone(),
            resolution: self.resolution.clone(),
            unit: self.unit.clone(),
            impact: self.impact.clone(),
            urgency: self.urgency.clone(),
            ..ActionFormData::default()
        };
        Ok(BulkAction::Act(request_for(l, action, fields)?))
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

//! The staff console's queue: my tickets, my unit's, tier 2's or everything in scope, with
//! the filters of the API and an SLA countdown badge per ticket.

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::i18n::Lang;
use super::session::Staff;
use super::{ok, when, Frame, OrPage, PageError};
use crate::desk::queue::{self, QueueQuery};
use crate::desk::tickets::bulk::BULK_ACTIONS;
use crate::desk::view::TicketView;
use crate::desk::Desk;
use crate::domain::role::Role;
use crate::domain::sla::TargetState;
use crate::domain::ticket::{Kind, Level, Priority, Status};

/// The countdown shown beside a ticket: the clock that matters now (first response until it
/// is met, then resolution), coloured at the policy's warning thresholds.
pub struct SlaBadge {
    pub class: &'static str,
    pub text: String,
    pub due: String,
    pub state: &'static str,
    pub total: i64,
    pub warn: u32,
    pub critical: u32,
    pub business: bool,
    pub label: &'static str,
}

pub fn sla_badge(desk: &Desk, l: Lang, t: &TicketView) -> SlaBadge {
    let rules = desk.rules();
    let (targets, calendar) = rules.for_priority(t.priority);
    let first_open = matches!(t.sla.first_response.state, TargetState::Running | TargetState::Breached)
        && t.first_response_at.is_none()
        && matches!(t.status, Status::New | Status::Open | Status::Pending);
    let (target, total, label) = if first_open {
        (&t.sla.first_response, targets.first_response_minutes, l.t("ticket.first_response"))
    } else {
        (&t.sla.resolution, targets.resolution_minutes, l.t("ticket.resolution"))
    };
    let warn = targets.warn_percents.first().copied().unwrap_or(75);
    // The last warning threshold before the breach (90% by default) gets a colour of its own.
    let critical = targets.warn_percents.iter().copied().filter(|p| *p < 100).max().unwrap_or(90).max(warn);
    let (class, text) = match (target.state, target.remaining_minutes) {
        (TargetState::Met, _) => ("ok", l.sla_state(TargetState::Met).to_string()),
        (TargetState::Paused, Some(left)) => {
            ("paused", format!("{} · {}", l.sla_state(TargetState::Paused), human(left)))
        }
        (TargetState::Paused, None) => ("paused", l.sla_state(TargetState::Paused).to_string()),
        (TargetState::Breached, Some(left)) => ("late", format!("{} {}", l.t("sla.over"), human(left))),
        (TargetState::Breached, None) => ("late", l.sla_state(TargetState::Breached).to_string()),
        (TargetState::Running, Some(left)) => {
            let used = if total > 0 { 100 - (100 * left / total) } else { 100 };
            let class = if used >= i64::from(critical) && critical > warn {
                "crit"
            } else if used >= i64::from(warn) {
                "warn"
            } else {
                "ok"
            };
            (class, format!("{} {}", human(left), l.t("sla.left")))
        }
        (TargetState::Running, None) => ("ok", l.sla_state(TargetState::Running).to_string()),
    };
    SlaBadge {
        class,
        text,
        due: target.due.to_rfc3339(),
        state: target.state.as_str(),
        total,
        warn,
        critical,
        business: calendar.name != "24x7",
        label,
    }
}

/// 2h 3j 15m: days, hours, minutes of business time.
pub fn human(minutes: i64) -> String {
    let m = minutes.abs();
    let (d, h, r) = (m / 1440, (m % 1440) / 60, m % 60);
    match (d, h) {
        (0, 0) => format!("{r}m"),
        (0, _) => format!("{h}j {r}m"),
        _ => format!("{d}h {h}j {r}m"),
    }
}

pub struct Row {
    pub number: String,
    pub title: String,
    /// In a search's results: the title and an excerpt as HTML, the text escaped and the
    /// matching words in `<mark>` (`domain::search::highlight`).
    pub title_marked: Option<String>,
    pub excerpt: Option<String>,
    pub status: &'static str,
    pub status_code: &'static str,
    pub priority: &'static str,
    pub priority_class: String,
    pub kind: &'static str,
    pub unit: String,
    pub tier: i32,
    pub assignee: String,
    pub created: String,
    pub security: bool,
    pub sla: SlaBadge,
}

#[derive(Template)]
#[template(path = "queue.html")]
struct QueuePage {
    f: Frame,
    views: Vec<(&'static str, &'static str, bool)>,
    view: String,
    rows: Vec<Row>,
    next: Option<String>,
    q: QueueForm,
    statuses: Vec<(String, &'static str)>,
    kinds: Vec<(&'static str, &'static str)>,
    priorities: Vec<&'static str>,
    services: Vec<(String, String)>,
    /// The bulk form's choices: actions, units to transfer to, impact and urgency levels.
    bulk_actions: Vec<(&'static str, &'static str)>,
    units: Vec<(String, String)>,
    levels: Vec<(&'static str, &'static str)>,
    /// The viewer's saved views, and the current filter's query string (to save it).
    saved: Vec<SavedTab>,
    here: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct QueueForm {
    #[serde(default)]
    pub tampilan: String,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub priority: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub service: String,
    #[serde(default)]
    pub breached: String,
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub cursor: String,
}

impl QueueForm {
    /// The filters as a query string (no page cursor): what a saved view keeps.
    pub fn query_string(&self) -> String {
        let pairs = [
            ("tampilan", &self.tampilan),
            ("status", &self.status),
            ("priority", &self.priority),
            ("kind", &self.kind),
            ("service", &self.service),
            ("breached", &self.breached),
            ("q", &self.q),
        ];
        pairs
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| format!("{k}={}", super::urlencode(v)))
            .collect::<Vec<_>>()
            .join("&")
    }

    /// The same filters, on the next page.
    fn next_link(&self, cursor: &str) -> String {
        let filters = self.query_string();
        let joiner = if filters.is_empty() { "" } else { "&" };
        format!("/konsol?{filters}{joiner}cursor={}", super::urlencode(cursor))
    }

    /// The queue query these filters ask of the desk, for this viewer (the view names whose
    /// tickets: the unit's, tier 2's, one's own or all the viewer may see).
    pub fn to_query(&mut self, staff: &Staff) -> QueueQuery {
        let views = views_for(staff.actor.role);
        if !views.contains(&self.tampilan.as_str()) {
            self.tampilan = views.first().copied().unwrap_or("semua").to_string();
        }
        let status = match self.status.as_str() {
            "" => "active".to_string(),
            "semua" => String::new(),
            other => other.to_string(),
        };
        QueueQuery {
            status: Some(status),
            unit: (self.tampilan == "unit").then(|| staff.unit_code.clone()).flatten(),
            tier: (self.tampilan == "tier2").then(|| "2".to_string()),
            priority: Some(self.priority.clone()),
            breached: (self.breached == "1").then(|| "true".to_string()),
            assignee: (self.tampilan == "saya").then(|| "me".to_string()),
            kind: Some(self.kind.clone()),
            service: Some(self.service.clone()),
            q: Some(self.q.clone()).filter(|q| !q.trim().is_empty()),
            cursor: Some(self.cursor.clone()),
            limit: Some("50".into()),
        }
    }
}

/// A saved view as a tab: its link, and how many tickets it finds now.
pub struct SavedTab {
    pub id: String,
    pub name: String,
    pub link: String,
    pub count: String,
    pub current: bool,
}

/// The views a role has, the first being its default.
fn views_for(role: Role) -> Vec<&'static str> {
    match role {
        Role::AgentT1 => vec!["unit", "saya", "semua"],
        Role::AgentT2 => vec!["tier2", "saya", "semua"],
        Role::UnitHead => vec!["unit", "semua"],
        Role::Supervisor | Role::Admin => vec!["semua", "tier2", "saya"],
        Role::Requester => vec![],
    }
}

fn view_label(l: Lang, view: &str) -> &'static str {
    match view {
        "saya" => l.t("queue.mine"),
        "unit" => l.t("queue.unit"),
        "tier2" => l.t("queue.tier2"),
        _ => l.t("queue.all"),
    }
}

pub async fn queue(
    desk: web::Data<Desk>,
    req: HttpRequest,
    staff: Staff,
    form: web::Query<QueueForm>,
) -> Result<HttpResponse, PageError> {
    let l = staff.lang;
    let mut form = form.into_inner();
    let views = views_for(staff.actor.role);
    let query = form.to_query(&staff);
    let here = form.query_string();
    // Each saved view's filter, as this viewer's query, to count it.
    let saved_queries: Vec<(crate::desk::saved_views::SavedView, Option<QueueQuery>)> = desk
        .read({
            let actor = staff.actor.clone();
            move |conn| crate::desk::saved_views::list(conn, &actor)
        })
        .await
        .or_page(l)?
        .into_iter()
        .map(|v| {
            let parsed = serde_urlencoded::from_str::<QueueForm>(&v.query).ok().map(|mut f| {
                f.cursor.clear();
                f.to_query(&staff)
            });
            (v, parsed)
        })
        .collect();
    let d = desk.get_ref().clone();
    let actor = staff.actor.clone();
    let (page, services, units, saved) = desk
        .read(move |conn| {
            let page = queue::list(&d, conn, &actor, &query)?;
            let services = crate::desk::catalog::list_services(&d, conn, None)?;
            let units = crate::desk::catalog::intake_units(conn)?;
            let mut saved = Vec::with_capacity(saved_queries.len());
            for (view, query) in saved_queries {
                // A view whose filter no longer holds (a service since removed) counts as
                // nothing rather than breaking the queue.
                let count = match query {
                    Some(q) => queue::count(&d, conn, &actor, &q).ok(),
                    None => None,
                };
                saved.push((view, count));
            }
            Ok((page, services, units, saved))
        })
        .await
        .or_page(l)?;
    let saved = saved
        .into_iter()
        .map(|(v, count)| SavedTab {
            current: v.query == here,
            link: format!("/konsol?{}", v.query),
            count: match count {
                Some(c) if c.more => format!("{}+", c.count),
                Some(c) => c.count.to_string(),
                None => "—".into(),
            },
            id: v.id,
            name: v.name,
        })
        .collect();
    let rows = page
        .items
        .iter()
        .map(|t| Row {
            number: t.number.clone(),
            title: t.title.clone(),
            title_marked: t.highlight.as_ref().map(|h| h.title.clone()),
            excerpt: t.highlight.as_ref().and_then(|h| h.excerpt.clone()),
            status: l.status(t.status),
            status_code: t.status.as_str(),
            priority: t.priority.as_str(),
            priority_class: t.priority.as_str().to_lowercase(),
            kind: l.kind(t.kind),
            unit: t.unit.clone(),
            tier: t.tier,
            assignee: t.assignee.clone().unwrap_or_else(|| "—".into()),
            created: when(desk.zone, t.created_at),
            security: t.security_incident,
            sla: sla_badge(&desk, l, t),
        })
        .collect();
    let mut statuses = vec![("".to_string(), l.t("queue.active")), ("semua".to_string(), l.t("queue.any"))];
    statuses.extend(Status::ALL.iter().map(|s| (s.as_str().to_string(), l.status(*s))));
    let page_view = QueuePage {
        f: Frame::staff(&req, &staff, l.t("queue.title"), "queue"),
        views: views.iter().map(|v| (*v, view_label(l, v), *v == form.tampilan)).collect(),
        view: form.tampilan.clone(),
        rows,
        next: page.next_cursor.as_deref().map(|c| form.next_link(c)),
        statuses,
        kinds: Kind::ALL.iter().map(|k| (k.as_str(), l.kind(*k))).collect(),
        priorities: Priority::ALL.iter().map(|p| p.as_str()).collect(),
        services: services.into_iter().map(|s| (s.code, s.name)).collect(),
        bulk_actions: BULK_ACTIONS.iter().map(|a| (*a, super::bulk::action_label(l, a))).collect(),
        units: units.into_iter().map(|u| (u.code, u.name)).collect(),
        levels: Level::ALL.iter().map(|v| (v.as_str(), l.level(*v))).collect(),
        saved,
        here,
        q: form,
    };
    ok(&page_view)
}

#[cfg(test)]
mod tests {
    use super::human;

    #[test]
    fn durations_read_as_days_hours_minutes() {
        assert_eq!(human(5), "5m");
        assert_eq!(human(-65), "1j 5m");
        assert_eq!(human(1440 + 61), "1h 1j 1m");
    }
}

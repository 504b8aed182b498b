//! The public status page (`/status`): every service of the catalogue by unit with its state,
//! the current and announced disruptions with their latest update, 90 days per service, and
//! an Atom feed of the updates. No script, no sign-in; small enough for a phone on a slow link.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use atom_syndication::{Content, Entry, Feed, FixedDateTime, Link, Person, Text};

use super::i18n::Lang;
use super::{ok, when, Frame, OrPage, PageError};
use crate::desk::disruptions::status::{self, ServiceHistory, StatusPage};
use crate::desk::disruptions::DisruptionView;
use crate::desk::Desk;

/// Entries in the Atom feed.
const FEED_ENTRIES: i64 = 50;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/status", web::get().to(page));
    cfg.route("/status/feed.atom", web::get().to(feed));
    cfg.route("/status/{service}", web::get().to(service));
}

/// A disruption as the page prints it, times in the city's zone.
pub struct Shown {
    pub service: String,
    pub service_name: String,
    pub state: String,
    pub state_label: String,
    pub title: String,
    pub since: String,
    pub until: Option<String>,
    pub expected: Option<String>,
    pub duration: String,
    pub updates: Vec<(String, String)>,
}

fn duration_words(l: Lang, minutes: i64) -> String {
    let (days, hours, mins) = (minutes / 1440, minutes % 1440 / 60, minutes % 60);
    let (d, h, m) = if l == Lang::En { ("d", "h", "min") } else { ("hr", "jam", "mnt") };
    match (days, hours) {
        (0, 0) => format!("{mins} {m}"),
        (0, _) => format!("{hours} {h} {mins} {m}"),
        _ => format!("{days} {d} {hours} {h}"),
    }
}

pub fn shown(desk: &Desk, l: Lang, d: DisruptionView) -> Shown {
    Shown {
        since: when(desk.zone, d.starts_at),
        until: d.ended_at.map(|e| when(desk.zone, e)),
        expected: d.expected_end.map(|e| when(desk.zone, e)),
        duration: duration_words(l, d.duration_minutes),
        updates: d.updates.into_iter().map(|u| (when(desk.zone, u.at), u.body)).collect(),
        service: d.service,
        service_name: d.service_name,
        state: d.state,
        state_label: d.state_label,
        title: d.title,
    }
}

/// One service's line on the page, kept short: 200 services must fit in 20 KB.
pub struct Line {
    pub code: String,
    pub name: String,
    pub normal: bool,
    /// `s1`..`s3` for maintenance, partial and major outage (the stylesheet colours them).
    pub class: &'static str,
    pub label: String,
    pub uptime: String,
}

/// 100% rather than 100.00%: most services are, and the page stays small.
fn uptime_text(value: f64) -> String {
    if value >= 100.0 {
        "100%".into()
    } else {
        format!("{value:.2}%")
    }
}

fn lines(page: &StatusPage) -> Vec<(String, Vec<Line>)> {
    page.units
        .iter()
        .map(|u| {
            let services = u
                .services
                .iter()
                .map(|s| Line {
                    code: s.code.clone(),
                    name: s.name.clone(),
                    normal: s.state == "normal",
                    class: match s.state.as_str() {
                        "maintenance" => "s1",
                        "partial_outage" => "s2",
                        _ => "s3",
                    },
                    label: s.state_label.clone(),
                    uptime: uptime_text(s.uptime_90d),
                })
                .collect();
            (u.name.clone(), services)
        })
        .collect()
}

#[derive(Template)]
#[template(path = "status.html")]
struct StatusHtml {
    f: Frame,
    overall: String,
    overall_state: String,
    current: Vec<Shown>,
    scheduled: Vec<Shown>,
    units: Vec<(String, Vec<Line>)>,
    updated: String,
}

pub async fn page(desk: web::Data<Desk>, req: HttpRequest) -> Result<HttpResponse, PageError> {
    let l = Lang::from_request(&req);
    let now = desk.now();
    let page = desk.read(move |conn| status::page(conn, now, l.code())).await.or_page(l)?;
    let overall = if page.overall == "normal" { l.t("status.all_normal") } else { l.t("status.some_disrupted") };
    let current = page.current.iter().cloned().map(|d| shown(&desk, l, d)).collect();
    let scheduled = page.scheduled.iter().cloned().map(|d| shown(&desk, l, d)).collect();
    let mut response = ok(&StatusHtml {
        f: Frame::public(&req, l.t("status.title"), "status"),
        overall: overall.to_string(),
        overall_state: page.overall.clone(),
        current,
        scheduled,
        units: lines(&page),
        updated: when(desk.zone, page.generated_at),
    })?;
    response.headers_mut().insert(header::CACHE_CONTROL, header::HeaderValue::from_static("public, max-age=30"));
    Ok(response)
}

#[derive(Template)]
#[template(path = "status_service.html")]
struct ServiceHtml {
    f: Frame,
    history: ServiceHistory,
    disruptions: Vec<Shown>,
}

pub async fn service(
    desk: web::Data<Desk>,
    req: HttpRequest,
    code: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let l = Lang::from_request(&req);
    let (now, code) = (desk.now(), code.into_inner());
    let mut history = desk.read(move |conn| status::service_history(conn, &code, now, l.code())).await.or_page(l)?;
    let disruptions = std::mem::take(&mut history.disruptions).into_iter().map(|d| shown(&desk, l, d)).collect();
    ok(&ServiceHtml { f: Frame::public(&req, history.name.clone(), "status"), history, disruptions })
}

/// `/status/feed.atom`: the newest public updates, for anyone who follows the city's services.
pub async fn feed(desk: web::Data<Desk>, req: HttpRequest) -> Result<HttpResponse, PageError> {
    let l = Lang::from_request(&req);
    let now = desk.now();
    let base =
        req.app_data::<web::Data<super::session::PageSettings>>().map(|s| s.public_url.clone()).unwrap_or_default();
    let rows = desk.read(move |conn| status::recent_updates(conn, FEED_ENTRIES)).await.or_page(l)?;
    let stamp = |at: chrono::DateTime<chrono::Utc>| -> FixedDateTime { at.fixed_offset() };
    let updated = rows.first().map(|r| r.at).unwrap_or(now);
    let entries: Vec<Entry> = rows
        .into_iter()
        .map(|r| {
            let mut entry = Entry::default();
            entry.set_id(format!("urn:meja:disruption-update:{}", r.update_id));
            entry.set_title(Text::plain(format!("{} — {}: {}", r.service_name, r.state_label, r.title)));
            entry.set_updated(stamp(r.at));
            entry.set_published(Some(stamp(r.at)));
            entry.set_links(vec![Link { href: format!("{base}/status/{}", r.service), ..Link::default() }]);
            let mut content = Content::default();
            content.set_content_type(Some("text".to_string()));
            content.set_value(Some(r.body));
            entry.set_content(Some(content));
            entry
        })
        .collect();
    let mut feed = Feed::default();
    feed.set_id(format!("{base}/status"));
    feed.set_title(Text::plain(l.t("status.feed_title")));
    feed.set_updated(stamp(updated));
    feed.set_authors(vec![Person { name: "Service Desk".into(), ..Person::default() }]);
    feed.set_links(vec![
        Link { href: format!("{base}/status"), ..Link::default() },
        Link { href: format!("{base}/status/feed.atom"), rel: "self".into(), ..Link::default() },
    ]);
    feed.set_entries(entries);
    Ok(HttpResponse::Ok()
        .content_type("application/atom+xml; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=60"))
        .body(feed.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_people_say_them() {
        assert_eq!(duration_words(Lang::Id, 45), "45 mnt");
        assert_eq!(duration_words(Lang::Id, 90), "1 jam 30 mnt");
        assert_eq!(duration_words(Lang::En, 1500), "1 d 1 h");
        assert_eq!(uptime_text(100.0), "100%");
        assert_eq!(uptime_text(99.5), "99.50%");
    }
}

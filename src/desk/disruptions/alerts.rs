//! Alerts from monitoring (Prometheus Alertmanager or any tool that posts JSON): a firing alert
//! for a service opens, or updates, one problem ticket at tier 2 and, when the service says so,
//! declares it disrupted; the resolved alert notes it and ends what the alert declared.

use chrono::Duration;
use serde::Serialize;
use serde_json::json;

use super::{end_of, escalate_new_problem, finish, open_problem, record_declared, state_of};
use crate::db::catalog::{self as catalog_db, ServiceRow};
use crate::db::disruptions::{self as db, AlertRow, AlertTicketRow, DisruptionRow};
use crate::db::tickets::{self as tickets_db, MessageRow, TicketRow};
use crate::desk::tickets::{add_pause, recompute_resolution_due};
use crate::desk::view::utc;
use crate::desk::{new_id, Desk, DeskResult, Tx};
use crate::domain::disruption::{alert_ticket_choice, is_current, AlertTicket, DisruptionState};
use crate::domain::ticket::{Priority, Status};

/// The alert webhooks' settings: the bearer token monitoring must send, the quiet period.
#[derive(Clone)]
pub struct AlertIntake {
    token_sha256: Option<String>,
    pub quiet: Duration,
}

impl AlertIntake {
    pub fn from_settings(settings: &crate::config::Settings) -> Self {
        AlertIntake {
            token_sha256: settings.alert_token.as_ref().map(|t| crate::desk::auth::sha256_hex(t.expose())),
            quiet: Duration::minutes(settings.alert_quiet_minutes),
        }
    }

    /// Whether `Authorization: Bearer <token>` carries the configured token (compared as
    /// SHA-256 digests in constant time). Always false while no token is configured.
    pub fn accepts(&self, authorization: Option<&str>) -> bool {
        let (Some(expected), Some(given)) = (&self.token_sha256, authorization.and_then(|a| a.strip_prefix("Bearer ")))
        else {
            return false;
        };
        let given = crate::desk::auth::sha256_hex(given.trim());
        crate::desk::tickets::constant_time_eq(expected.as_bytes(), given.as_bytes())
    }
}

/// Who writes the notes monitoring adds to tickets.
const MONITORING: &str = "Pemantauan layanan";
/// Longest summary kept (Alertmanager annotations can be long).
const MAX_SUMMARY: usize = 500;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlertStatus {
    Firing,
    Resolved,
}

/// One alert as either webhook form gives it.
#[derive(Debug, Clone)]
pub struct IncomingAlert {
    /// `alertmanager` or `generic`.
    pub source: &'static str,
    pub fingerprint: String,
    pub service: String,
    pub status: AlertStatus,
    pub summary: String,
    pub labels: serde_json::Value,
}

/// What became of one alert.
#[derive(Debug, Clone, Serialize)]
pub struct AlertOutcome {
    pub fingerprint: String,
    /// `ticket_opened`, `ticket_updated`, `ticket_reopened`, `repeated`, `resolved`,
    /// `unknown_service`.
    pub outcome: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ticket: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disruption: Option<String>,
}

/// Takes a batch of alerts, each on its own terms; `quiet` is how long after its resolution a
/// monitoring ticket is reopened rather than a new one opened (a flapping alert).
pub fn receive(tx: &mut Tx, desk: &Desk, alerts: Vec<IncomingAlert>, quiet: Duration) -> DeskResult<Vec<AlertOutcome>> {
    alerts.into_iter().map(|alert| receive_one(tx, desk, alert, quiet)).collect()
}

fn receive_one(tx: &mut Tx, desk: &Desk, alert: IncomingAlert, quiet: Duration) -> DeskResult<AlertOutcome> {
    let now = tx.now.naive_utc();
    let summary: String = alert.summary.trim().chars().take(MAX_SUMMARY).collect();
    let service = match catalog_db::service_by_code(tx.conn, alert.service.trim())? {
        Some(s) if s.active => Some(s),
        _ => catalog_db::service_by_code(tx.conn, &alert.service.trim().to_uppercase())?.filter(|s| s.active),
    };
    let status = match alert.status {
        AlertStatus::Firing => "firing",
        AlertStatus::Resolved => "resolved",
    };
    // Alerts for one service wait for each other from here (PostgreSQL): the alert is read after
    // the lock, so two copies of a new alert do not both insert it.
    if let Some(s) = &service {
        db::lock_service(tx.conn, &s.id)?;
    }
    let known = db::alert(tx.conn, &alert.fingerprint)?;
    let changed = known.as_ref().is_none_or(|k| k.status != status);
    let mut row = known.unwrap_or_else(|| AlertRow {
        fingerprint: alert.fingerprint.clone(),
        source: alert.source.into(),
        service_label: alert.service.clone(),
        service_id: service.as_ref().map(|s| s.id.clone()),
        status: status.into(),
        summary: summary.clone(),
        labels: alert.labels.to_string(),
        ticket_id: None,
        received: 0,
        first_seen_at: now,
        status_changed_at: now,
        last_received_at: now,
    });
    let first_sight = row.received == 0;
    // A service added (or a label fixed) after the alert was first seen: it is known now.
    row.service_id = service.as_ref().map(|s| s.id.clone());
    row.received += 1;
    row.last_received_at = now;
    row.summary = summary.clone();
    row.labels = alert.labels.to_string();
    if changed {
        row.status = status.into();
        row.status_changed_at = now;
    }
    let mut outcome =
        AlertOutcome { fingerprint: row.fingerprint.clone(), outcome: "repeated", ticket: None, disruption: None };
    let Some(service) = service else {
        // Kept for an admin to map; no ticket for a service nobody knows.
        save(tx, &row, first_sight)?;
        if first_sight {
            tx.record(
                None,
                None,
                "alert.unknown_service",
                json!({ "fingerprint": row.fingerprint, "service": row.service_label }),
            )?;
        }
        outcome.outcome = "unknown_service";
        return Ok(outcome);
    };
    match alert.status {
        AlertStatus::Firing => {
            let (ticket, what) = firing(tx, desk, &service, &row, changed, &summary, quiet)?;
            row.ticket_id = Some(ticket.id.clone());
            outcome.outcome = what;
            outcome.ticket = Some(ticket.number.clone());
            save(tx, &row, first_sight)?;
            if changed {
                outcome.disruption = declare_if_wanted(tx, &service, &ticket)?;
            }
        }
        AlertStatus::Resolved => {
            save(tx, &row, first_sight)?;
            if changed && !first_sight {
                outcome.outcome = "resolved";
                if let Some(ticket) =
                    row.ticket_id.as_deref().map(|id| tickets_db::by_id(tx.conn, id)).transpose()?.flatten()
                {
                    note(tx, &ticket, format!("Peringatan pemantauan selesai: {summary}"))?;
                    outcome.ticket = Some(ticket.number);
                }
                outcome.disruption = end_if_all_clear(tx, &service)?;
            }
        }
    }
    Ok(outcome)
}

fn save(tx: &mut Tx, row: &AlertRow, new: bool) -> DeskResult<()> {
    if new {
        db::insert_alert(tx.conn, row)?;
    } else {
        db::save_alert(tx.conn, row)?;
    }
    Ok(())
}

/// The service's monitoring ticket for a firing alert: noted, reopened or newly opened.
fn firing(
    tx: &mut Tx,
    desk: &Desk,
    service: &ServiceRow,
    alert: &AlertRow,
    changed: bool,
    summary: &str,
    quiet: Duration,
) -> DeskResult<(TicketRow, &'static str)> {
    let now = tx.now.naive_utc();
    let held = db::alert_ticket(tx.conn, &service.id)?;
    if let Some(mut held) = held.clone() {
        if let Some(mut ticket) = tickets_db::by_id_for_update(tx.conn, &held.ticket_id)? {
            match alert_ticket_choice(&ticket.status, ticket.resolved_at, now, quiet) {
                AlertTicket::Note => {
                    held.last_alert_at = now;
                    db::put_alert_ticket(tx.conn, &held)?;
                    if !changed {
                        return Ok((ticket, "repeated"));
                    }
                    note(tx, &ticket, format!("Peringatan pemantauan: {summary}"))?;
                    return Ok((ticket, "ticket_updated"));
                }
                AlertTicket::Reopen => {
                    reopen(tx, desk, &mut ticket, summary)?;
                    held.last_alert_at = now;
                    db::put_alert_ticket(tx.conn, &held)?;
                    return Ok((ticket, "ticket_reopened"));
                }
                AlertTicket::New => {}
            }
        }
    }
    let title: String = format!("{}: {summary}", service.code).chars().take(crate::desk::tickets::MAX_TITLE).collect();
    let ticket_id = open_problem(tx, desk, None, service, &title, DisruptionState::MajorOutage)?;
    // Monitoring's problems go to tier 2 (Diskominfo runs the servers) and tier 2 hears of it.
    let ticket = escalate_new_problem(tx, None, &ticket_id, "peringatan pemantauan")?;
    note(tx, &ticket, format!("Peringatan pemantauan ({}): {summary}", alert.source))?;
    db::put_alert_ticket(
        tx.conn,
        &AlertTicketRow {
            service_id: service.id.clone(),
            ticket_id: ticket.id.clone(),
            disruption_id: None,
            last_alert_at: now,
        },
    )?;
    Ok((ticket, "ticket_opened"))
}

/// A flapping alert fires again soon after its ticket was resolved: the same case goes on.
fn reopen(tx: &mut Tx, desk: &Desk, ticket: &mut TicketRow, summary: &str) -> DeskResult<()> {
    let priority = Priority::parse(&ticket.priority).unwrap_or(Priority::P2);
    if let Some(resolved) = ticket.resolved_at.take() {
        add_pause(desk, ticket, priority, utc(resolved), tx.now);
    }
    recompute_resolution_due(desk, ticket, priority)?;
    ticket.status = Status::Open.as_str().into();
    ticket.active = true;
    ticket.updated_at = tx.now.naive_utc();
    crate::desk::sla::reschedule(tx.conn, &desk.rules(), ticket, None)?;
    tickets_db::save(tx.conn, ticket)?;
    tx.record(
        Some(&ticket.id),
        None,
        "ticket.reopened",
        json!({ "from_status": "resolved", "to_status": "open", "reason": "peringatan pemantauan aktif kembali" }),
    )?;
    note(tx, ticket, format!("Peringatan pemantauan aktif kembali: {summary}"))
}

fn note(tx: &mut Tx, ticket: &TicketRow, body: String) -> DeskResult<()> {
    let row = MessageRow {
        id: new_id(),
        ticket_id: ticket.id.clone(),
        author_id: None,
        author_name: MONITORING.into(),
        internal: true,
        body,
        channel: "api".into(),
        created_at: tx.now.naive_utc(),
    };
    tickets_db::insert_message(tx.conn, &row)?;
    Ok(())
}

/// Declares the service disrupted (`major_outage`) when its setting asks for it and it is not
/// already: the status page then shows what monitoring sees.
fn declare_if_wanted(tx: &mut Tx, service: &ServiceRow, ticket: &TicketRow) -> DeskResult<Option<String>> {
    if !db::alert_declares(tx.conn, &service.id)? {
        return Ok(None);
    }
    let now = tx.now.naive_utc();
    let running = db::open(tx.conn)?.into_iter().find(|d| {
        d.service_id == service.id
            && state_of(d) != DisruptionState::Maintenance
            && is_current(d.starts_at, end_of(d), now)
    });
    if let Some(d) = running {
        remember_disruption(tx, service, &d.id)?;
        return Ok(Some(d.id));
    }
    let row = DisruptionRow {
        id: new_id(),
        service_id: service.id.clone(),
        state: DisruptionState::MajorOutage.as_str().into(),
        title: format!("Gangguan {}", service.name).chars().take(super::MAX_TITLE).collect(),
        problem_ticket_id: Some(ticket.id.clone()),
        source: "alert".into(),
        starts_at: now,
        planned_end_at: None,
        ended_at: None,
        created_by: None,
        created_at: now,
        updated_at: now,
    };
    // The alert's own words (host names, addresses) stay on the internal note: the public
    // hears a fixed sentence, and staff publish what they want said.
    let first = format!("Pemantauan mendeteksi gangguan pada layanan {}. Petugas sedang menanganinya.", service.name);
    record_declared(tx, None, &row, service, first)?;
    remember_disruption(tx, service, &row.id)?;
    Ok(Some(row.id))
}

/// Keeps the outage monitoring sees for the service, so that its last alert's resolution ends it.
fn remember_disruption(tx: &mut Tx, service: &ServiceRow, disruption_id: &str) -> DeskResult<()> {
    if let Some(mut held) = db::alert_ticket(tx.conn, &service.id)? {
        if held.disruption_id.as_deref() != Some(disruption_id) {
            held.disruption_id = Some(disruption_id.to_string());
            db::put_alert_ticket(tx.conn, &held)?;
        }
    }
    Ok(())
}

/// When the service's last firing alert resolves, ends the disruption an alert declared.
fn end_if_all_clear(tx: &mut Tx, service: &ServiceRow) -> DeskResult<Option<String>> {
    if db::firing_of_service(tx.conn, &service.id)? > 0 || !db::alert_declares(tx.conn, &service.id)? {
        return Ok(None);
    }
    let Some(held) = db::alert_ticket(tx.conn, &service.id)? else { return Ok(None) };
    let Some(id) = held.disruption_id else { return Ok(None) };
    let Some(row) = db::by_id_for_update(tx.conn, &id)? else { return Ok(None) };
    if row.ended_at.is_some() || row.source != "alert" {
        return Ok(None);
    }
    let row = finish(tx, None, row, service, "Pemantauan menunjukkan layanan sudah kembali normal.".into())?;
    Ok(Some(row.id))
}

/// One alert as the admin's list shows it.
#[derive(Debug, Clone, Serialize)]
pub struct AlertView {
    pub fingerprint: String,
    pub source: String,
    /// The `service` label as monitoring sent it.
    pub service_label: String,
    /// The catalogue service it matched; absent for an unknown service.
    pub service: Option<String>,
    pub status: String,
    pub summary: String,
    pub ticket: Option<String>,
    pub received: i64,
    pub first_seen_at: chrono::DateTime<chrono::Utc>,
    pub last_received_at: chrono::DateTime<chrono::Utc>,
}

/// The newest 200 alerts (only those for unknown services when asked).
pub fn list(conn: &mut crate::db::DbConn, unknown_only: bool) -> DeskResult<Vec<AlertView>> {
    let rows = db::recent_alerts(conn, unknown_only, 200)?;
    let mut views = Vec::with_capacity(rows.len());
    for row in rows {
        let service = match &row.service_id {
            Some(id) => catalog_db::service_by_id(conn, id)?.map(|s| s.code),
            None => None,
        };
        let ticket = match &row.ticket_id {
            Some(id) => tickets_db::by_id(conn, id)?.map(|t| t.number),
            None => None,
        };
        views.push(AlertView {
            fingerprint: row.fingerprint,
            source: row.source,
            service_label: row.service_label,
            service,
            status: row.status,
            summary: row.summary,
            ticket,
            received: row.received,
            first_seen_at: utc(row.first_seen_at),
            last_received_at: utc(row.last_received_at),
        });
    }
    Ok(views)
}

//! The periodic report (laporan pelaksanaan tugas, SPEC section 8): its figures, the maths
//! behind them and the tables every format is rendered from. Pure: the queries are in
//! `db::reports`, the renderers in `reports`.

pub mod period;
pub mod stats;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

pub use period::Period;
pub use stats::Durations;

/// Who the report is about: one unit, or the whole city.
#[derive(Debug, Clone, Serialize)]
pub struct Scope {
    /// The unit's code, or `all`.
    pub code: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct PeriodInfo {
    pub label: String,
    pub title: String,
    pub first_day: NaiveDate,
    pub last_day: NaiveDate,
    pub zone: String,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// The instant the figures describe: the period's end, or the moment of generation while
    /// the period is still running.
    pub as_of: DateTime<Utc>,
    /// Set when the period began before the ticket history was kept (a database older than
    /// it): its figures come from the history reconstructed from the audit log, exact from
    /// this instant on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub history_exact_from: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Counted {
    pub key: String,
    pub label: String,
    pub count: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct KindChannel {
    pub kind: String,
    pub channel: String,
    pub count: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Volume {
    pub total: i64,
    pub by_kind_channel: Vec<KindChannel>,
    pub by_service: Vec<Counted>,
    /// Every day of the period, in its zone, zeros included.
    pub per_day: Vec<Counted>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Outcomes {
    pub resolved: i64,
    pub closed: i64,
    pub cancelled: i64,
    pub backlog: i64,
    /// `0-1`, `1-3`, `3-7`, `7-30`, `>30` days old at `as_of`.
    pub backlog_by_age: Vec<Counted>,
}

/// One SLA target (first response or resolution) of the tickets of one priority opened in the
/// period, judged at `as_of`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct TargetFigures {
    pub met: i64,
    pub breached: i64,
    /// Not yet due and not yet reached at `as_of`.
    pub running: i64,
    pub compliance_percent: Option<f64>,
    /// Business time, on the priority's calendar.
    pub business_minutes: Durations,
}

#[derive(Debug, Clone, Serialize)]
pub struct PrioritySla {
    pub priority: String,
    pub tickets: i64,
    pub first_response: TargetFigures,
    pub resolution: TargetFigures,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Breaches {
    /// Breach alerts fired during the period (whenever the ticket was opened).
    pub first_response: i64,
    pub resolution: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Sla {
    pub per_priority: Vec<PrioritySla>,
    pub breaches: Breaches,
}

#[derive(Debug, Clone, Serialize)]
pub struct Tiers {
    pub opened: i64,
    pub escalated: i64,
    pub escalation_rate_percent: Option<f64>,
    /// Escalation to the first action of a tier-2 agent, business minutes.
    pub tier2_first_action: Durations,
    /// Escalation to resolution, business minutes.
    pub tier2_resolution: Durations,
    /// Hand-backs from tier 2 to tier 1 during the period.
    pub returned: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Incident {
    pub number: String,
    pub unit: String,
    pub priority: String,
    pub status: String,
    pub reported_at: DateTime<Utc>,
    /// SPEC 6: the written notice is due 24 hours (wall clock) after the flag.
    pub notice_due: DateTime<Utc>,
    pub notice_produced_at: Option<DateTime<Utc>>,
    /// `met`, `breached` or `running` at the end of the period.
    pub notice_state: String,
    pub personal_data_breach: bool,
    /// UU 27/2022 Pasal 46: data subjects and the authority told within 72 hours of the flag.
    pub breach_notice_due: Option<DateTime<Utc>>,
    pub breach_notified_at: Option<DateTime<Utc>>,
    pub breach_notice_state: Option<String>,
    pub first_response_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Csat {
    /// Ratings asked for (tickets resolved in the period).
    pub requested: i64,
    pub responses: i64,
    pub response_rate_percent: Option<f64>,
    pub mean: Option<f64>,
    /// Responses with rating 1, 2, 3, 4, 5.
    pub distribution: [i64; 5],
}

#[derive(Debug, Clone, Serialize)]
pub struct Problem {
    pub number: String,
    pub status: String,
    pub opened_at: DateTime<Utc>,
    pub linked_incidents: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Agent {
    pub username: String,
    pub name: String,
    pub unit: String,
    /// Tickets the agent resolved during the period.
    pub resolved: i64,
    pub public_replies: i64,
    pub internal_notes: i64,
    /// Tickets assigned to the agent and still open at `as_of`.
    pub open_assigned: i64,
    /// Minutes the agent recorded during the period (issue 15).
    pub minutes_spent: i64,
}

/// Everything in one report. Serialised, this is the report's data section: the same period
/// and data always give the same bytes (the generation time is kept outside).
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub scope: Scope,
    pub period: PeriodInfo,
    pub volume: Volume,
    pub outcomes: Outcomes,
    pub sla: Sla,
    pub tiers: Tiers,
    pub security_incidents: Vec<Incident>,
    pub csat: Csat,
    pub top_services: Vec<Counted>,
    pub problems: Vec<Problem>,
    /// Disruptions per service (status gangguan): count, minutes down, minutes of
    /// maintenance, tickets linked; clipped to the period.
    pub disruptions: Vec<crate::domain::disruption::ServiceDisruptions>,
    /// Only in reports read by a supervisor or a unit head (SPEC 8.8).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agents: Option<Vec<Agent>>,
}

/// A report as delivered: its data, when it was made and the SHA-256 of the data section.
#[derive(Debug, Clone, Serialize)]
pub struct ReportDocument {
    pub generated_at: DateTime<Utc>,
    pub data_sha256: String,
    pub report: Report,
}

impl ReportDocument {
    pub fn new(report: Report, generated_at: DateTime<Utc>) -> ReportDocument {
        let data_sha256 = sha256_hex(&serde_json::to_vec(&report).unwrap_or_default());
        ReportDocument { generated_at, data_sha256, report }
    }
}

/// The SHA-256 of some bytes, in lower-case hex: the fingerprint of report data and files.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(<sha2::Sha256 as sha2::Digest>::digest(bytes))
}

pub const AGE_BUCKETS: [(&str, &str); 5] =
    [("0-1", "0–1 hari"), ("1-3", "1–3 hari"), ("3-7", "3–7 hari"), ("7-30", "7–30 hari"), (">30", "> 30 hari")];

pub fn kind_label(kind: &str) -> &str {
    match kind {
        "incident" => "Gangguan",
        "service_request" => "Permintaan",
        "complaint" => "Keluhan",
        "problem" => "Masalah",
        "change" => "Perubahan",
        "information" => "Informasi",
        other => other,
    }
}

pub fn channel_label(channel: &str) -> &str {
    match channel {
        "web" => "Web",
        "email" => "E-mail",
        "telegram" => "Telegram",
        "whatsapp" => "WhatsApp",
        "api" => "API",
        "phone" => "Telepon",
        other => other,
    }
}

pub fn status_label(status: &str) -> &str {
    match status {
        "new" => "Baru",
        "open" => "Dikerjakan",
        "pending" => "Menunggu pelapor",
        "resolved" => "Selesai",
        "closed" => "Ditutup",
        "cancelled" => "Dibatalkan",
        other => other,
    }
}

/// A cell of a report table. Numbers stay numbers in every format.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Int(i64),
    Num(f64),
    Text(String),
    Empty,
}

impl Cell {
    fn opt(value: Option<f64>) -> Cell {
        value.map_or(Cell::Empty, Cell::Num)
    }

    fn time(value: Option<DateTime<Utc>>, zone: chrono_tz::Tz) -> Cell {
        value.map_or(Cell::Empty, |t| Cell::Text(t.with_timezone(&zone).format("%Y-%m-%d %H:%M").to_string()))
    }

    /// The cell as text: numbers without trailing zeros, times as written.
    pub fn text(&self) -> String {
        match self {
            Cell::Int(n) => n.to_string(),
            Cell::Num(x) => format!("{x}"),
            Cell::Text(t) => t.clone(),
            Cell::Empty => String::new(),
        }
    }
}

/// One table of the report: what CSV files, XLSX sheets and the tables of HTML/PDF show.
#[derive(Debug, Clone)]
pub struct Table {
    /// File and sheet name: `volume_by_kind_channel`.
    pub name: &'static str,
    /// Heading in Bahasa Indonesia.
    pub title: &'static str,
    pub columns: Vec<&'static str>,
    pub rows: Vec<Vec<Cell>>,
}

fn target_cells(t: &TargetFigures) -> [Cell; 6] {
    [
        Cell::Int(t.met),
        Cell::Int(t.breached),
        Cell::Int(t.running),
        Cell::opt(t.compliance_percent),
        Cell::opt(t.business_minutes.median),
        Cell::opt(t.business_minutes.p90),
    ]
}

impl Report {
    pub fn zone(&self) -> chrono_tz::Tz {
        self.period.zone.parse().unwrap_or(chrono_tz::Asia::Jakarta)
    }

    /// The tables, in the order the report presents them.
    pub fn tables(&self) -> Vec<Table> {
        let zone = self.zone();
        let mut tables = vec![
            Table {
                name: "summary",
                title: "Ringkasan",
                columns: vec!["measure", "value"],
                rows: [
                    ("Tiket masuk", Cell::Int(self.volume.total)),
                    ("Diselesaikan", Cell::Int(self.outcomes.resolved)),
                    ("Ditutup", Cell::Int(self.outcomes.closed)),
                    ("Dibatalkan", Cell::Int(self.outcomes.cancelled)),
                    ("Tunggakan akhir periode", Cell::Int(self.outcomes.backlog)),
                    ("Pelanggaran SLA respons pertama", Cell::Int(self.sla.breaches.first_response)),
                    ("Pelanggaran SLA penyelesaian", Cell::Int(self.sla.breaches.resolution)),
                    ("Eskalasi ke Tier 2", Cell::Int(self.tiers.escalated)),
                    ("Tingkat eskalasi (%)", Cell::opt(self.tiers.escalation_rate_percent)),
                    ("Dikembalikan ke Tier 1", Cell::Int(self.tiers.returned)),
                    ("Insiden keamanan", Cell::Int(self.security_incidents.len() as i64)),
                    (
                        "Laporan insiden tepat waktu (24 jam)",
                        Cell::Int(self.security_incidents.iter().filter(|i| i.notice_state == "met").count() as i64),
                    ),
                    (
                        "Kebocoran data pribadi",
                        Cell::Int(self.security_incidents.iter().filter(|i| i.personal_data_breach).count() as i64),
                    ),
                    (
                        "Pemberitahuan kebocoran tepat waktu (72 jam)",
                        Cell::Int(
                            self.security_incidents
                                .iter()
                                .filter(|i| i.breach_notice_state.as_deref() == Some("met"))
                                .count() as i64,
                        ),
                    ),
                    ("Survei kepuasan dijawab", Cell::Int(self.csat.responses)),
                    ("Rata-rata kepuasan (1–5)", Cell::opt(self.csat.mean)),
                ]
                .into_iter()
                .map(|(label, value)| vec![Cell::Text(label.into()), value])
                .collect(),
            },
            Table {
                name: "volume_by_kind_channel",
                title: "Volume menurut jenis dan kanal",
                columns: vec!["kind", "channel", "tickets"],
                rows: self
                    .volume
                    .by_kind_channel
                    .iter()
                    .map(|r| {
                        vec![
                            Cell::Text(kind_label(&r.kind).into()),
                            Cell::Text(channel_label(&r.channel).into()),
                            Cell::Int(r.count),
                        ]
                    })
                    .collect(),
            },
            Table {
                name: "volume_by_service",
                title: "Volume menurut layanan",
                columns: vec!["service", "name", "tickets"],
                rows: counted_rows(&self.volume.by_service),
            },
            Table {
                name: "volume_per_day",
                title: "Volume per hari",
                columns: vec!["day", "tickets"],
                rows: self.volume.per_day.iter().map(|r| vec![Cell::Text(r.key.clone()), Cell::Int(r.count)]).collect(),
            },
            Table {
                name: "backlog_by_age",
                title: "Tunggakan menurut umur",
                columns: vec!["age_days", "tickets"],
                rows: self
                    .outcomes
                    .backlog_by_age
                    .iter()
                    .map(|r| vec![Cell::Text(r.label.clone()), Cell::Int(r.count)])
                    .collect(),
            },
            Table {
                name: "sla_per_priority",
                title: "Kepatuhan SLA per prioritas (waktu kerja, menit)",
                columns: vec![
                    "priority",
                    "tickets",
                    "first_response_met",
                    "first_response_breached",
                    "first_response_running",
                    "first_response_compliance_percent",
                    "first_response_median_minutes",
                    "first_response_p90_minutes",
                    "resolution_met",
                    "resolution_breached",
                    "resolution_running",
                    "resolution_compliance_percent",
                    "resolution_median_minutes",
                    "resolution_p90_minutes",
                ],
                rows: self
                    .sla
                    .per_priority
                    .iter()
                    .map(|p| {
                        let mut row = vec![Cell::Text(p.priority.clone()), Cell::Int(p.tickets)];
                        row.extend(target_cells(&p.first_response));
                        row.extend(target_cells(&p.resolution));
                        row
                    })
                    .collect(),
            },
            Table {
                name: "tiers",
                title: "Tier 1 dan Tier 2",
                columns: vec!["measure", "count", "median_minutes", "p90_minutes"],
                rows: vec![
                    vec![Cell::Text("Tiket masuk".into()), Cell::Int(self.tiers.opened), Cell::Empty, Cell::Empty],
                    vec![Cell::Text("Dieskalasi".into()), Cell::Int(self.tiers.escalated), Cell::Empty, Cell::Empty],
                    vec![
                        Cell::Text("Tier 2: sampai tindakan pertama".into()),
                        Cell::Int(self.tiers.tier2_first_action.count),
                        Cell::opt(self.tiers.tier2_first_action.median),
                        Cell::opt(self.tiers.tier2_first_action.p90),
                    ],
                    vec![
                        Cell::Text("Tier 2: sampai selesai".into()),
                        Cell::Int(self.tiers.tier2_resolution.count),
                        Cell::opt(self.tiers.tier2_resolution.median),
                        Cell::opt(self.tiers.tier2_resolution.p90),
                    ],
                    vec![
                        Cell::Text("Dikembalikan ke Tier 1".into()),
                        Cell::Int(self.tiers.returned),
                        Cell::Empty,
                        Cell::Empty,
                    ],
                ],
            },
            Table {
                name: "security_incidents",
                title: "Insiden keamanan",
                columns: vec![
                    "number",
                    "unit",
                    "priority",
                    "status",
                    "reported_at",
                    "notice_due",
                    "notice_produced_at",
                    "notice_state",
                    "personal_data_breach",
                    "breach_notice_due",
                    "breach_notified_at",
                    "breach_notice_state",
                    "first_response_at",
                    "resolved_at",
                ],
                rows: self
                    .security_incidents
                    .iter()
                    .map(|i| {
                        vec![
                            Cell::Text(i.number.clone()),
                            Cell::Text(i.unit.clone()),
                            Cell::Text(i.priority.clone()),
                            Cell::Text(status_label(&i.status).into()),
                            Cell::time(Some(i.reported_at), zone),
                            Cell::time(Some(i.notice_due), zone),
                            Cell::time(i.notice_produced_at, zone),
                            Cell::Text(i.notice_state.clone()),
                            Cell::Text(if i.personal_data_breach { "ya" } else { "tidak" }.into()),
                            Cell::time(i.breach_notice_due, zone),
                            Cell::time(i.breach_notified_at, zone),
                            Cell::Text(i.breach_notice_state.clone().unwrap_or_default()),
                            Cell::time(i.first_response_at, zone),
                            Cell::time(i.resolved_at, zone),
                        ]
                    })
                    .collect(),
            },
            Table {
                name: "csat",
                title: "Survei kepuasan",
                columns: vec!["measure", "value"],
                rows: {
                    let mut rows = vec![
                        vec![Cell::Text("Diminta".into()), Cell::Int(self.csat.requested)],
                        vec![Cell::Text("Dijawab".into()), Cell::Int(self.csat.responses)],
                        vec![Cell::Text("Tingkat jawaban (%)".into()), Cell::opt(self.csat.response_rate_percent)],
                        vec![Cell::Text("Rata-rata".into()), Cell::opt(self.csat.mean)],
                    ];
                    for (i, n) in self.csat.distribution.iter().enumerate() {
                        rows.push(vec![Cell::Text(format!("Nilai {}", i + 1)), Cell::Int(*n)]);
                    }
                    rows
                },
            },
            Table {
                name: "top_services_by_incidents",
                title: "Layanan dengan gangguan terbanyak",
                columns: vec!["service", "name", "incidents"],
                rows: counted_rows(&self.top_services),
            },
            Table {
                name: "problems",
                title: "Masalah dan gangguan terkait",
                columns: vec!["number", "status", "opened_at", "linked_incidents", "incident_numbers"],
                rows: self
                    .problems
                    .iter()
                    .map(|p| {
                        vec![
                            Cell::Text(p.number.clone()),
                            Cell::Text(status_label(&p.status).into()),
                            Cell::time(Some(p.opened_at), zone),
                            Cell::Int(p.linked_incidents.len() as i64),
                            Cell::Text(p.linked_incidents.join(" ")),
                        ]
                    })
                    .collect(),
            },
        ];
        tables.push(Table {
            name: "service_disruptions",
            title: "Gangguan layanan (status gangguan)",
            columns: vec![
                "service",
                "name",
                "unit",
                "disruptions",
                "outage_minutes",
                "maintenance_minutes",
                "linked_tickets",
            ],
            rows: self
                .disruptions
                .iter()
                .map(|d| {
                    vec![
                        Cell::Text(d.service.clone()),
                        Cell::Text(d.name.clone()),
                        Cell::Text(d.unit.clone()),
                        Cell::Int(d.disruptions),
                        Cell::Int(d.outage_minutes),
                        Cell::Int(d.maintenance_minutes),
                        Cell::Int(d.linked_tickets),
                    ]
                })
                .collect(),
        });
        if let Some(agents) = &self.agents {
            tables.push(Table {
                name: "agents",
                title: "Kinerja petugas",
                columns: vec![
                    "username",
                    "name",
                    "unit",
                    "resolved",
                    "public_replies",
                    "internal_notes",
                    "open_assigned",
                    "minutes_spent",
                ],
                rows: agents
                    .iter()
                    .map(|a| {
                        vec![
                            Cell::Text(a.username.clone()),
                            Cell::Text(a.name.clone()),
                            Cell::Text(a.unit.clone()),
                            Cell::Int(a.resolved),
                            Cell::Int(a.public_replies),
                            Cell::Int(a.internal_notes),
                            Cell::Int(a.open_assigned),
                            Cell::Int(a.minutes_spent),
                        ]
                    })
                    .collect(),
            });
        }
        tables
    }
}

fn counted_rows(items: &[Counted]) -> Vec<Vec<Cell>> {
    items.iter().map(|r| vec![Cell::Text(r.key.clone()), Cell::Text(r.label.clone()), Cell::Int(r.count)]).collect()
}

/// The Bahasa Indonesia header of a table column (CSV and XLSX keep the stable English names).
pub fn column_label(column: &str) -> &str {
    match column {
        "measure" => "Ukuran",
        "value" => "Nilai",
        "kind" => "Jenis",
        "channel" => "Kanal",
        "tickets" => "Tiket",
        "service" => "Kode layanan",
        "name" => "Nama",
        "day" => "Tanggal",
        "age_days" => "Umur",
        "priority" => "Prioritas",
        "first_response_met" => "Respons tepat",
        "first_response_breached" => "Respons terlambat",
        "first_response_running" => "Respons berjalan",
        "first_response_compliance_percent" => "Kepatuhan respons (%)",
        "first_response_median_minutes" => "Median respons (menit)",
        "first_response_p90_minutes" => "P90 respons (menit)",
        "resolution_met" => "Selesai tepat",
        "resolution_breached" => "Selesai terlambat",
        "resolution_running" => "Selesai berjalan",
        "resolution_compliance_percent" => "Kepatuhan selesai (%)",
        "resolution_median_minutes" => "Median selesai (menit)",
        "resolution_p90_minutes" => "P90 selesai (menit)",
        "count" => "Jumlah",
        "median_minutes" => "Median (menit)",
        "p90_minutes" => "P90 (menit)",
        "number" => "Nomor",
        "unit" => "Unit",
        "status" => "Status",
        "reported_at" => "Dilaporkan",
        "notice_due" => "Batas laporan 24 jam",
        "first_response_at" => "Respons pertama",
        "resolved_at" => "Diselesaikan",
        "incidents" => "Gangguan",
        "opened_at" => "Dibuka",
        "linked_incidents" => "Gangguan terkait",
        "incident_numbers" => "Nomor gangguan",
        "username" => "Pengguna",
        "resolved" => "Diselesaikan",
        "public_replies" => "Balasan",
        "internal_notes" => "Catatan internal",
        "open_assigned" => "Masih ditangani",
        "minutes_spent" => "Waktu kerja (menit)",
        other => other,
    }
}

//! `meja report …`: generate a report to a file, archive a period, list the archive, write
//! review notes and the SPBE evidence pack.

use anyhow::Context;
use clap::Subcommand;

use crate::config::Settings;
use crate::desk::report_archive::{self, ArchivePlan};
use crate::desk::{evidence, reports, Desk};
use crate::domain::report::{Period, ReportDocument};
use crate::domain::role::{Actor, Role};
use crate::reports::Format;

#[derive(Subcommand)]
pub enum ReportCommand {
    /// Write a report: `meja report generate --unit DINKES --period 2026-11 --format pdf -o laporan.pdf`.
    Generate {
        /// A unit code, or `all` for the whole city.
        #[arg(long, default_value = "all")]
        unit: String,
        /// 2026-11, 2026-Q4, 2026-S2, 2026 or 2026-11-01..2026-11-15 (default: this month).
        #[arg(long)]
        period: Option<String>,
        /// json, csv (a ZIP of one CSV per table), xlsx, pdf or html.
        #[arg(long, default_value = "pdf")]
        format: String,
        #[arg(short, long)]
        output: std::path::PathBuf,
    },
    /// Archive (store, fingerprint in the audit log, mail) every unit's and the city's report of
    /// a period now, as the monthly job does; reports already archived are kept as they are.
    Archive {
        #[arg(long)]
        period: String,
    },
    /// The archived reports.
    List {
        #[arg(long)]
        period: Option<String>,
    },
    /// The evidence pack for the SPBE evaluation: `meja report evidence --period 2026 -o bukti.zip`.
    Evidence {
        #[arg(long)]
        period: String,
        #[arg(short, long)]
        output: std::path::PathBuf,
    },
}

/// The operator at the console reads everything, as a supervisor does.
fn operator() -> Actor {
    Actor { user_id: String::new(), username: "cli".into(), name: "cli".into(), role: Role::Supervisor, unit_id: None }
}

fn period(text: &str) -> anyhow::Result<Period> {
    Period::parse(text).map_err(|e| anyhow::anyhow!("--period: {e}"))
}

pub fn run(command: ReportCommand, desk: &Desk, settings: &Settings) -> anyhow::Result<()> {
    match command {
        ReportCommand::Generate { unit, period: text, format, output } => {
            let format = Format::parse(&format).map_err(|e| anyhow::anyhow!("--format: {e}"))?;
            let period = reports::requested_period(desk, text.as_deref(), None, None)?;
            let doc = desk.read_blocking(|conn| {
                // The operator's report has everything, per-agent figures included.
                let scope = if unit.eq_ignore_ascii_case("all") { None } else { Some(unit.as_str()) };
                let audience = reports::audience_of(conn, scope)?;
                Ok(ReportDocument::new(reports::compute(desk, conn, &audience, &period)?, desk.now()))
            })?;
            let bytes = crate::reports::render(&doc, format)?;
            std::fs::write(&output, &bytes).with_context(|| format!("writing {}", output.display()))?;
            println!(
                "{} ({} bytes): {} — {}, data SHA-256 {}",
                output.display(),
                bytes.len(),
                doc.report.scope.name,
                doc.report.period.title,
                doc.data_sha256
            );
        }
        ReportCommand::Archive { period: text } => {
            let plan = ArchivePlan::from_settings(settings);
            for outcome in report_archive::archive_all(desk, &plan, &period(&text)?, None, true)? {
                let r = &outcome.report;
                println!(
                    "{:<16} {:<10} {} {}",
                    r.scope,
                    r.period,
                    r.data_sha256,
                    if outcome.created { "archived" } else { "already archived" }
                );
            }
        }
        ReportCommand::List { period: text } => {
            let period = text.as_deref().map(period).transpose()?;
            for r in desk.read_blocking(|conn| report_archive::list(conn, &operator(), period.as_ref(), None))? {
                println!(
                    "{}  {:<16} {:<10} {}  {}",
                    r.id,
                    r.scope,
                    r.period,
                    r.generated_at.to_rfc3339(),
                    r.data_sha256
                );
            }
        }
        ReportCommand::Evidence { period: text, output } => {
            let period = period(&text)?;
            let bytes = desk.read_blocking(|conn| evidence::pack(desk, conn, None, &period))?;
            std::fs::write(&output, &bytes).with_context(|| format!("writing {}", output.display()))?;
            println!("{} ({} bytes): evidence pack for {}", output.display(), bytes.len(), period.title());
        }
    }
    Ok(())
}

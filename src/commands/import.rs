//! `meja import units|services|users <file.csv> [--dry-run]`: bulk onboarding from the
//! server's command line, through the same use case as the console's upload (audited without
//! an actor). Every bad line is printed with its line number and field, and nothing is written.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;

use crate::desk::import::{self, Kind};
use crate::desk::Desk;

#[derive(Args, Debug)]
pub struct ImportArgs {
    /// units (code,name,tier2), services (code,name,unit) or users
    /// (username,name,email,phone,role,unit,nip[,sign_in]).
    #[arg(value_parser = parse_kind)]
    pub kind: Kind,
    /// The CSV file (UTF-8, comma- or semicolon-separated, a header line first).
    pub file: PathBuf,
    /// Only check the file: report what would be created and every bad line.
    #[arg(long)]
    pub dry_run: bool,
}

fn parse_kind(text: &str) -> Result<Kind, String> {
    Kind::parse(text).ok_or_else(|| "units, services or users".to_string())
}

/// Returns whether the file was good (imported, or would be).
pub fn run(args: ImportArgs, desk: &Desk) -> anyhow::Result<bool> {
    let bytes = std::fs::read(&args.file).with_context(|| format!("reading {}", args.file.display()))?;
    let text = String::from_utf8(bytes)
        .map_err(|_| anyhow::anyhow!("{} is not UTF-8 text (save it as \"CSV UTF-8\")", args.file.display()))?;
    let runtime = tokio::runtime::Builder::new_current_thread().build()?;
    let report = runtime.block_on(import::run(desk, None, args.kind, text, !args.dry_run))?;
    for e in &report.errors {
        eprintln!("{}:{}: {}: {}", args.file.display(), e.line, e.field, e.detail);
    }
    if !report.errors.is_empty() {
        let mut lines: Vec<usize> = report.errors.iter().map(|e| e.line).collect();
        lines.dedup();
        eprintln!("{} problem(s) on {} line(s); nothing was imported", report.errors.len(), lines.len());
        return Ok(false);
    }
    if report.applied {
        let kind =
            serde_json::to_value(report.kind).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
        println!("imported {} {kind} ({} invitation link(s) mailed)", report.created, report.invited);
    } else {
        println!("{} line(s) can be imported; run again without --dry-run to import them", report.created);
    }
    Ok(true)
}

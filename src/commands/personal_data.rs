//! `meja personal-data export|anonymise`: the same use cases as the API, for the operator at
//! the server (audited without an actor, as every command-line change).

use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Subcommand};

use crate::desk::personal_data::anonymise::{anonymise, AnonymiseRequest};
use crate::desk::personal_data::export::export_audited_blocking;
use crate::desk::personal_data::retention;
use crate::desk::personal_data::Lookup;
use crate::desk::Desk;

/// Exactly one of these names the requester.
#[derive(Args, Debug, Clone)]
pub struct RequesterKey {
    #[arg(long)]
    pub email: Option<String>,
    #[arg(long)]
    pub phone: Option<String>,
    #[arg(long)]
    pub telegram_id: Option<String>,
    /// A ticket number of the requester.
    #[arg(long)]
    pub ticket: Option<String>,
}

impl RequesterKey {
    fn lookup(self) -> Lookup {
        Lookup { email: self.email, phone: self.phone, telegram_id: self.telegram_id, ticket: self.ticket }
    }
}

#[derive(Subcommand, Debug)]
pub enum PersonalDataCommand {
    /// Write everything held about one requester to a ZIP (data.json and their files).
    Export {
        #[command(flatten)]
        key: RequesterKey,
        #[arg(short, long)]
        output: PathBuf,
    },
    /// Anonymise one requester: identity, own words and files go; tickets and figures stay.
    Anonymise {
        #[command(flatten)]
        key: RequesterKey,
        /// Why (the request and its date); kept in the audit log.
        #[arg(long)]
        reason: String,
    },
    /// Run the retention job once with this many days (default: the `retention_days` setting).
    Retention {
        #[arg(long)]
        days: Option<i64>,
    },
}

pub fn run(command: PersonalDataCommand, desk: &Desk, retention_days: i64) -> anyhow::Result<()> {
    match command {
        PersonalDataCommand::Export { key, output } => {
            let exported = export_audited_blocking(desk, key.lookup())?;
            std::fs::write(&output, &exported.zip).with_context(|| format!("writing {}", output.display()))?;
            println!(
                "{}: {} requester record(s), {} ticket(s), {} message(s), {} file(s)",
                output.display(),
                exported.counts.requesters,
                exported.counts.tickets,
                exported.counts.messages,
                exported.counts.attachments
            );
        }
        PersonalDataCommand::Anonymise { key, reason } => {
            let k = key.lookup();
            let request = AnonymiseRequest {
                email: k.email,
                phone: k.phone,
                telegram_id: k.telegram_id,
                ticket: k.ticket,
                reason,
            };
            let d = desk.clone();
            let erased = desk.writer.write_blocking(move |tx| anonymise(tx, &d, None, &request))?;
            println!("{}", serde_json::to_string(&erased)?);
        }
        PersonalDataCommand::Retention { days } => {
            let days = days.unwrap_or(retention_days);
            anyhow::ensure!(days > 0, "retention is off: give --days or set MEJA_RETENTION_DAYS");
            let report = retention::run_blocking(desk, days, retention::DEFAULT_BATCH)?;
            println!("{}", serde_json::to_string(&report)?);
        }
    }
    Ok(())
}

//! Command-line subcommands that are more than a line or two: parsed by clap in `main.rs`,
//! carried out here through the same use cases as the API.

pub mod backup;
pub mod import;
pub mod personal_data;
pub mod reports;
pub mod sla;

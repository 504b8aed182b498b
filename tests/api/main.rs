//! Integration tests of the desk core: one binary, every test on SQLite and on PostgreSQL.

mod helpers;

mod accounts;
mod admin_pages;
mod alertmanager;
mod audit;
mod auto_close;
mod backup;
mod bad_input;
mod catalog;
mod compliance;
mod directory;
mod email;
mod email_intake;
mod erasure;
mod fake_telegram;
mod holidays;
mod incidents;
mod kb;
mod limits;
mod login;
mod outage;
mod pages;
mod personal_data;
mod probe_findings;
mod queue;
mod reports;
mod scopes;
mod sla;
mod sso;
mod status_page;
mod telegram;
mod tickets;
mod tracking;
mod two_factor;
mod webhooks;

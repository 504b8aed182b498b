//! Use cases. Each state change is one function that runs in the writer's transaction and
//! writes the row, its audit event and its outbox entries together; reads use the pool.

pub mod accounts;
pub mod attachments;
pub mod audit;
pub mod audit_upgrade;
pub mod auth;
pub mod auto_close;
pub mod canned;
pub mod canned_files;
pub mod catalog;
pub mod csat;
pub mod dashboard;
pub mod deliveries;
pub mod directory;
pub mod disruptions;
pub mod error;
pub mod evidence;
pub mod followers;
pub mod holidays;
pub mod import;
pub mod incident_notice;
pub mod incidents;
pub mod kb;
pub mod ldap;
pub mod links;
pub mod live;
pub mod mail;
pub mod names;
pub mod oidc;
pub mod password_reset;
pub mod passwords;
pub mod personal_data;
pub mod queue;
pub mod report_archive;
pub mod reports;
pub mod requesters;
pub mod saved_views;
pub mod scheduler;
pub mod sessions;
pub mod signins;
pub mod sla;
pub mod telegram_links;
pub mod throttle;
pub mod ticket_history;
pub mod tickets;
pub mod time_spent;
pub mod token_checks;
pub mod tracking;
pub mod two_factor;
pub mod view;
pub mod webhooks;
pub mod writer;

use std::sync::{Arc, RwLock};

use chrono::{DateTime, Utc};

pub use error::{DeskError, DeskResult};
pub use writer::{Tx, Writer};

use crate::clock::Clock;
use crate::db::{DbConn, DbUrl, Pool};
use crate::domain::sla::SlaRules;

/// Everything the use cases share: the database, the writer, the clock and the SLA rules.
#[derive(Clone)]
pub struct Desk {
    pub url: DbUrl,
    pub pool: Pool,
    pub writer: Writer,
    pub clock: Arc<dyn Clock>,
    /// Calendars and policy, read with [`Desk::rules`]; reloaded after edits.
    rules: Arc<RwLock<Arc<SlaRules>>>,
    /// The city's time zone, for the year in ticket numbers.
    pub zone: chrono_tz::Tz,
    /// Mail above this size is quarantined (settings: `mail_max_bytes`).
    pub mail_max_bytes: usize,
    /// Largest file sent with a message (settings: `attachment_max_bytes`).
    pub attachment_max_bytes: usize,
    /// SPEC 2: a resolved ticket closes after this many business minutes of `jam-kerja`
    /// without a reply (3 working days of 450 minutes by default; 0 never).
    pub auto_close_minutes: i64,
    pub names: Arc<names::Names>,
    pub number_prefix: Arc<str>,
    pub auth: Arc<auth::AuthGuards>,
    /// Bearer tokens of concurrent requests, checked together.
    pub token_checks: token_checks::TokenChecks,
    /// Roles that must sign in with a second factor (settings: `two_factor_roles`).
    pub two_factor_roles: Arc<[crate::domain::role::Role]>,
    /// The Pemda's directory, when people sign in through it (settings: `ldap`).
    pub ldap: Option<Arc<ldap::Directory>>,
    /// The Pemda's single sign-on, when it has one (settings: `oidc`).
    pub oidc: Option<Arc<oidc::Sso>>,
    /// The day this process last logged that the coming year has no holidays.
    pub holiday_warned_on: Arc<std::sync::Mutex<Option<chrono::NaiveDate>>>,
    /// Changes for the live console's open pages (issue 15).
    pub live: Arc<live::Hub>,
}

impl Desk {
    pub fn open(
        url: &DbUrl,
        pool_size: u32,
        writers: usize,
        clock: Arc<dyn Clock>,
        number_prefix: &str,
    ) -> DeskResult<Desk> {
        let pool = url.pool(pool_size)?;
        let writer = Writer::start(url, clock.clone(), writers)?;
        let rules = {
            let mut conn = pool.get().map_err(|e| DeskError::Unavailable(format!("database busy: {e}")))?;
            writer.webhooks.load(&mut conn)?;
            sla::load_rules(&mut conn)?
        };
        let zone = rules.calendars.find("jam-kerja").map_or(chrono_tz::Asia::Jakarta, |c| c.zone);
        let token_checks = token_checks::TokenChecks::start(pool.clone(), clock.clone())?;
        Ok(Desk {
            url: url.clone(),
            pool,
            writer,
            clock,
            rules: Arc::new(RwLock::new(Arc::new(rules))),
            zone,
            mail_max_bytes: mail::DEFAULT_MAX_MAIL_BYTES,
            attachment_max_bytes: attachments::DEFAULT_MAX_BYTES,
            auto_close_minutes: auto_close::DEFAULT_DAYS * auto_close::WORKING_DAY_MINUTES,
            names: Arc::new(names::Names::default()),
            number_prefix: Arc::from(number_prefix),
            auth: Arc::new(auth::AuthGuards::default()),
            token_checks,
            two_factor_roles: Arc::from(Vec::new()),
            ldap: None,
            oidc: None,
            holiday_warned_on: Arc::default(),
            live: Arc::default(),
        })
    }

    /// Finishes queued changes and closes the writers' connections; for processes about to exit.
    pub fn close(self) {
        self.writer.shutdown();
        self.token_checks.shutdown();
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Runs a read on a pooled connection, off the async workers.
    pub async fn read<T, F>(&self, f: F) -> DeskResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConn) -> DeskResult<T> + Send + 'static,
    {
        let pool = self.pool.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = pool.get().map_err(|e| DeskError::Unavailable(format!("database busy: {e}")))?;
            f(&mut conn)
        })
        .await
        .map_err(|e| DeskError::Internal(format!("read task failed: {e}")))?
    }

    /// A unit's code: from what this process has read before, else read (off the async workers).
    pub async fn unit_code(&self, unit_id: &str) -> DeskResult<String> {
        if let Some(code) = self.names.known_unit_code(unit_id) {
            return Ok(code);
        }
        let (names, id) = (self.names.clone(), unit_id.to_string());
        self.read(move |conn| names.unit_code(conn, &id)).await
    }

    /// The same read, for the command line.
    pub fn read_blocking<T, F>(&self, f: F) -> DeskResult<T>
    where
        F: FnOnce(&mut DbConn) -> DeskResult<T>,
    {
        let mut conn = self.pool.get().map_err(|e| DeskError::Unavailable(format!("database busy: {e}")))?;
        f(&mut conn)
    }
}

/// A new time-ordered id: sorting by id sorts by creation.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

//! Settings: defaults, then an optional `meja.toml`, then `MEJA_*` environment variables.
//! Secrets never appear in `Debug` output or logs.

use std::path::{Path, PathBuf};

use serde::Deserialize;

mod directory;
pub use directory::{LdapSettings, OidcSettings};
mod whatsapp;
pub use whatsapp::{Template, WhatsAppSettings, TEMPLATE_NOTICES};

pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/meja.db";
pub const DEFAULT_BIND: &str = "127.0.0.1:8080";

#[derive(Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// `sqlite://path` (default `sqlite://data/meja.db`) or `postgres://…`. A secret: it may
    /// carry a password.
    pub database_url: Secret,
    pub bind: String,
    /// The first admin's password; generated and printed once when unset.
    pub admin_password: Option<Secret>,
    /// Ticket number prefix: `SD` gives `SD-2026-000042`.
    pub number_prefix: String,
    /// Largest accepted request body, in bytes.
    pub body_limit_bytes: usize,
    /// Read connections kept open.
    pub pool_size: u32,
    /// Parallel write transactions on PostgreSQL (SQLite always has one writer); default one
    /// per core, at least two and at most eight. More than the cores only queue for the audit
    /// chain's head and make the batches smaller (docs/benchmarks.md: 4 writers on 2 cores
    /// opened a fifth fewer tickets a second than 2).
    pub writers: usize,
    /// HTTP worker threads; default one per core.
    pub workers: Option<usize>,
    /// Log as JSON lines instead of text.
    pub log_json: bool,
    /// Addresses of the reverse proxies in front of meja (`127.0.0.1` for nginx on the same
    /// host): from them, and only from them, `X-Forwarded-For` names the client for the abuse
    /// limits (login throttling, public reports). Empty: the peer address counts.
    pub trusted_proxies: Vec<String>,
    /// Roles that must enrol a second factor (TOTP) and sign in with it (`MEJA_2FA_REQUIRED_ROLES`,
    /// `admin,supervisor` by default; `none` for nobody).
    pub two_factor_roles: Vec<String>,
    /// Days the sign-in log keeps its entries (`MEJA_SIGNIN_LOG_DAYS`, 365).
    pub signin_log_days: i64,
    /// Run the background jobs (the SLA scheduler) inside `meja serve`; `--no-jobs` turns
    /// them off for web-only processes, `meja jobs` runs them alone.
    pub jobs: bool,
    /// Seconds between scheduler passes; SPEC wants alerts within 60 s of their instant.
    pub jobs_interval_seconds: u64,
    /// Tickets per scheduler transaction.
    pub jobs_batch: i64,
    /// Mail larger than this is quarantined and answered instead of taken in (SPEC 5: 25 MB).
    pub mail_max_bytes: usize,
    /// Largest file staff (or a requester) may send with a reply or note; 10 MB by default.
    pub attachment_max_bytes: usize,
    /// Outgoing mail server in lettre's URL syntax: `smtp://host:25`, `smtp://host:587?tls=required`,
    /// `smtps://user:pass@host`. Unset: notices wait in the outbox. A secret (it may carry a password).
    pub smtp_url: Option<Secret>,
    /// Sender of notices when the ticket's unit has no mailbox of its own.
    pub mail_from: String,
    /// The address citizens reach the desk at, for the links in mails.
    pub public_url: String,
    /// Seconds between IMAP polls (besides IDLE).
    pub imap_poll_secs: u64,
    /// Automatic mails (not agents' replies) to one address per day; SPEC 5 loop protection.
    pub mail_daily_limit: i64,
    /// Monthly reports are archived and mailed on this working day after the month closes
    /// (1 = the first working day of the next month, on the `jam-kerja` calendar).
    pub report_working_day: u32,
    /// Addresses that receive every archived report (Diskominfo); unit heads with an e-mail
    /// address receive their own unit's report besides.
    pub report_recipients: Vec<String>,
    /// Attach the XLSX to report mails besides the PDF.
    pub report_attach_xlsx: bool,
    /// The bot's token from BotFather; the Telegram channel runs when it is set. A secret.
    pub telegram_token: Option<Secret>,
    /// The Bot API base URL (default Telegram's; a local Bot API server or a test fake).
    pub telegram_api_url: Option<String>,
    /// Largest photo or document taken from a chat (the Bot API serves at most 20 MB).
    pub telegram_max_file_bytes: u64,
    /// Webhook mode: the public HTTPS URL of `/telegram/webhook` (long polling when unset).
    pub telegram_webhook_url: Option<String>,
    /// The WhatsApp channel (Cloud API): the access token; the channel runs when it is set.
    pub whatsapp: WhatsAppSettings,
    /// Working days after which a resolved ticket without a reply is closed (0: never).
    pub auto_close_days: i64,
    /// Days after which the requesters of tickets that are all closed or cancelled are
    /// anonymised (UU 27/2022 Pasal 44); 0 (the default) keeps them until erased on request.
    /// 1825 (five years) is a sensible value.
    pub retention_days: i64,
    /// Sign-in through the Pemda's directory (LDAP / Active Directory); off when unset.
    pub ldap: Option<LdapSettings>,
    /// Single sign-on through an OpenID Connect provider; off when unset.
    pub oidc: Option<OidcSettings>,
    /// The bearer token monitoring (Alertmanager's `authorization.credentials`) sends to
    /// `/api/v1/alerts/…`; the alert webhooks refuse everything while it is unset. A secret.
    pub alert_token: Option<Secret>,
    /// Minutes after its resolution during which a firing alert reopens the service's
    /// monitoring ticket instead of opening another (a flapping alert).
    pub alert_quiet_minutes: i64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            database_url: Secret::new(DEFAULT_DATABASE_URL),
            bind: DEFAULT_BIND.into(),
            admin_password: None,
            number_prefix: crate::domain::number::DEFAULT_PREFIX.into(),
            body_limit_bytes: 1024 * 1024,
            pool_size: 8,
            writers: std::thread::available_parallelism().map_or(2, |n| n.get()).clamp(2, 8),
            workers: None,
            log_json: false,
            trusted_proxies: Vec::new(),
            two_factor_roles: vec!["admin".into(), "supervisor".into()],
            signin_log_days: 365,
            jobs: true,
            jobs_interval_seconds: 15,
            jobs_batch: crate::desk::scheduler::DEFAULT_BATCH,
            mail_max_bytes: crate::desk::mail::DEFAULT_MAX_MAIL_BYTES,
            attachment_max_bytes: crate::desk::attachments::DEFAULT_MAX_BYTES,
            smtp_url: None,
            mail_from: "Service Desk <servicedesk@localhost>".into(),
            public_url: "http://127.0.0.1:8080".into(),
            imap_poll_secs: 30,
            mail_daily_limit: 10,
            report_working_day: 1,
            report_recipients: Vec::new(),
            report_attach_xlsx: false,
            telegram_token: None,
            telegram_api_url: None,
            telegram_max_file_bytes: 20 * 1024 * 1024,
            telegram_webhook_url: None,
            whatsapp: WhatsAppSettings::default(),
            auto_close_days: crate::desk::auto_close::DEFAULT_DAYS,
            retention_days: 0,
            ldap: None,
            oidc: None,
            alert_token: None,
            alert_quiet_minutes: 30,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {0}: {1}")]
    Read(PathBuf, std::io::Error),
    #[error("{0}: {1}")]
    Parse(PathBuf, toml::de::Error),
    #[error("{name}: {detail}")]
    Env { name: &'static str, detail: String },
}

impl Settings {
    /// `MEJA_CONFIG` names the file; else `meja.toml` in the working directory if present.
    pub fn load() -> Result<Settings, ConfigError> {
        let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let file = env("MEJA_CONFIG").map(PathBuf::from).or_else(|| {
            let local = PathBuf::from("meja.toml");
            local.exists().then_some(local)
        });
        let mut settings = match file {
            Some(path) => Settings::from_file(&path)?,
            None => Settings::default(),
        };
        settings.apply_env(env)?;
        Ok(settings)
    }

    pub fn from_file(path: &Path) -> Result<Settings, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Read(path.to_path_buf(), e))?;
        toml::from_str(&text).map_err(|e| ConfigError::Parse(path.to_path_buf(), e))
    }

    pub fn apply_env(&mut self, env: impl Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
        fn number<T: std::str::FromStr>(name: &'static str, value: String) -> Result<T, ConfigError> {
            value.parse().map_err(|_| ConfigError::Env { name, detail: format!("{value:?} is not a number") })
        }
        if let Some(v) = env("MEJA_DATABASE_URL") {
            self.database_url = Secret::new(v);
        }
        if let Some(v) = env("MEJA_BIND") {
            self.bind = v;
        }
        if let Some(v) = env("MEJA_ADMIN_PASSWORD") {
            self.admin_password = Some(Secret::new(v));
        }
        if let Some(v) = env("MEJA_NUMBER_PREFIX") {
            self.number_prefix = v;
        }
        if let Some(v) = env("MEJA_BODY_LIMIT_BYTES") {
            self.body_limit_bytes = number("MEJA_BODY_LIMIT_BYTES", v)?;
        }
        if let Some(v) = env("MEJA_POOL_SIZE") {
            self.pool_size = number("MEJA_POOL_SIZE", v)?;
        }
        if let Some(v) = env("MEJA_WRITERS") {
            self.writers = number("MEJA_WRITERS", v)?;
        }
        if let Some(v) = env("MEJA_WORKERS") {
            self.workers = Some(number("MEJA_WORKERS", v)?);
        }
        if let Some(v) = env("MEJA_LOG_JSON") {
            self.log_json = matches!(v.as_str(), "1" | "true" | "yes");
        }
        if let Some(v) = env("MEJA_TRUSTED_PROXIES") {
            self.trusted_proxies = v.split(',').map(|a| a.trim().to_string()).filter(|a| !a.is_empty()).collect();
        }
        if let Some(bad) = self.trusted_proxies.iter().find(|a| a.parse::<std::net::IpAddr>().is_err()) {
            return Err(ConfigError::Env { name: "trusted_proxies", detail: format!("{bad:?} is not an IP address") });
        }
        if let Some(v) = env("MEJA_2FA_REQUIRED_ROLES") {
            let roles = crate::desk::two_factor::parse_required_roles(&v)
                .map_err(|detail| ConfigError::Env { name: "two_factor_roles", detail })?;
            self.two_factor_roles = roles.iter().map(|r| r.as_str().to_string()).collect();
        }
        if let Some(v) = env("MEJA_SIGNIN_LOG_DAYS") {
            self.signin_log_days = number("MEJA_SIGNIN_LOG_DAYS", v)?;
        }
        if !(1..=36_500).contains(&self.signin_log_days) {
            return Err(ConfigError::Env { name: "signin_log_days", detail: "must be 1-36500".into() });
        }
        if let Some(v) = env("MEJA_JOBS") {
            self.jobs = !matches!(v.as_str(), "0" | "false" | "no");
        }
        if let Some(v) = env("MEJA_JOBS_INTERVAL_SECONDS") {
            self.jobs_interval_seconds = number("MEJA_JOBS_INTERVAL_SECONDS", v)?;
        }
        if let Some(v) = env("MEJA_JOBS_BATCH") {
            self.jobs_batch = number("MEJA_JOBS_BATCH", v)?;
        }
        if let Some(v) = env("MEJA_SMTP_URL") {
            self.smtp_url = Some(Secret::new(v));
        }
        if let Some(v) = env("MEJA_MAIL_FROM") {
            self.mail_from = v;
        }
        if let Some(v) = env("MEJA_PUBLIC_URL") {
            self.public_url = v.trim_end_matches('/').to_string();
        }
        if let Some(v) = env("MEJA_IMAP_POLL_SECS") {
            self.imap_poll_secs = number("MEJA_IMAP_POLL_SECS", v)?;
        }
        if let Some(v) = env("MEJA_MAIL_DAILY_LIMIT") {
            self.mail_daily_limit = number("MEJA_MAIL_DAILY_LIMIT", v)?;
        }
        if let Some(v) = env("MEJA_MAIL_MAX_BYTES") {
            self.mail_max_bytes = number("MEJA_MAIL_MAX_BYTES", v)?;
        }
        if let Some(v) = env("MEJA_ATTACHMENT_MAX_BYTES") {
            self.attachment_max_bytes = number("MEJA_ATTACHMENT_MAX_BYTES", v)?;
        }
        if let Some(v) = env("MEJA_REPORT_WORKING_DAY") {
            self.report_working_day = number("MEJA_REPORT_WORKING_DAY", v)?;
        }
        if let Some(v) = env("MEJA_REPORT_RECIPIENTS") {
            self.report_recipients = v.split(',').map(|a| a.trim().to_string()).filter(|a| !a.is_empty()).collect();
        }
        if let Some(v) = env("MEJA_REPORT_ATTACH_XLSX") {
            self.report_attach_xlsx = matches!(v.as_str(), "1" | "true" | "yes");
        }
        if let Some(v) = env("MEJA_TELEGRAM_TOKEN") {
            self.telegram_token = Some(Secret::new(v));
        }
        if let Some(v) = env("MEJA_TELEGRAM_API_URL") {
            self.telegram_api_url = Some(v);
        }
        if let Some(v) = env("MEJA_AUTO_CLOSE_DAYS") {
            self.auto_close_days = number("MEJA_AUTO_CLOSE_DAYS", v)?;
        }
        if let Some(v) = env("MEJA_RETENTION_DAYS") {
            self.retention_days = number("MEJA_RETENTION_DAYS", v)?;
        }
        if !(0..=36_500).contains(&self.retention_days) {
            return Err(ConfigError::Env { name: "retention_days", detail: "must be 0-36500 (0: off)".into() });
        }
        if !(0..=60).contains(&self.auto_close_days) {
            return Err(ConfigError::Env { name: "auto_close_days", detail: "must be 0-60 (0: never)".into() });
        }
        if let Some(v) = env("MEJA_TELEGRAM_WEBHOOK_URL") {
            self.telegram_webhook_url = Some(v);
        }
        self.whatsapp.apply_env(&env)?;
        if let Some(v) = env("MEJA_TELEGRAM_MAX_FILE_BYTES") {
            self.telegram_max_file_bytes = number("MEJA_TELEGRAM_MAX_FILE_BYTES", v)?;
        }
        if !(1..=20).contains(&self.report_working_day) {
            return Err(ConfigError::Env { name: "report_working_day", detail: "must be 1-20".into() });
        }
        if let Some(bad) = self.report_recipients.iter().find(|a| a.parse::<lettre::Address>().is_err()) {
            return Err(ConfigError::Env {
                name: "report_recipients",
                detail: format!("{bad:?} is not an e-mail address"),
            });
        }
        if !(1..=50).contains(&self.jobs_interval_seconds) {
            return Err(ConfigError::Env {
                name: "jobs_interval_seconds",
                detail: "must be 1-50 (alerts are due within 60 s of their instant)".into(),
            });
        }
        if !(1..=10_000).contains(&self.jobs_batch) {
            return Err(ConfigError::Env { name: "jobs_batch", detail: "must be 1-10000".into() });
        }
        if let Some(v) = env("MEJA_ALERT_TOKEN") {
            self.alert_token = Some(Secret::new(v));
        }
        if let Some(v) = env("MEJA_ALERT_QUIET_MINUTES") {
            self.alert_quiet_minutes = number("MEJA_ALERT_QUIET_MINUTES", v)?;
        }
        if !(0..=10_080).contains(&self.alert_quiet_minutes) {
            return Err(ConfigError::Env { name: "alert_quiet_minutes", detail: "must be 0-10080 (a week)".into() });
        }
        if self.alert_token.as_ref().is_some_and(|t| t.expose().len() < 16) {
            return Err(ConfigError::Env { name: "alert_token", detail: "must be at least 16 characters".into() });
        }
        directory::apply_env(self, &env)?;
        let prefix_ok =
            (1..=10).contains(&self.number_prefix.len()) && self.number_prefix.bytes().all(|b| b.is_ascii_uppercase());
        if !prefix_ok {
            return Err(ConfigError::Env { name: "number_prefix", detail: "must be 1–10 capital letters".into() });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_overrides_defaults_and_secrets_stay_hidden() {
        let mut s = Settings::default();
        s.apply_env(|name| match name {
            "MEJA_DATABASE_URL" => Some("postgres://meja:sangat-rahasia@db/meja".into()),
            "MEJA_ADMIN_PASSWORD" => Some("sangat-rahasia".into()),
            "MEJA_BIND" => Some("0.0.0.0:9000".into()),
            _ => None,
        })
        .expect("valid");
        assert_eq!(s.bind, "0.0.0.0:9000");
        assert!(!format!("{s:?}").contains("sangat-rahasia"));
        assert!(s.apply_env(|n| (n == "MEJA_POOL_SIZE").then(|| "banyak".into())).is_err());
    }

    #[test]
    fn toml_file_is_read() {
        let s: Settings = toml::from_str("bind = \"127.0.0.1:9999\"\nnumber_prefix = \"HD\"").expect("toml");
        assert_eq!(s.bind, "127.0.0.1:9999");
        assert_eq!(s.number_prefix, "HD");
        assert_eq!(s.pool_size, 8);
        assert!(toml::from_str::<Settings>("bnid = \"x\"").is_err());
    }
}

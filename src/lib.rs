#![recursion_limit = "512"]
//! meja: the service desk for SPBE.
//!
//! `Application::build(Settings)` opens the database (migrating it), makes sure an admin
//! exists, and binds the HTTP server; `main.rs` is a thin command line around this library.

pub mod bench;
pub mod bench_auth;
pub mod bench_bulk;
pub mod bench_report;
pub mod bench_search;
mod bench_sla;
mod bench_status;
pub mod clock;
pub mod commands;
pub mod config;
pub mod conversation;
pub mod db;
pub mod delivery;
pub mod demo;
mod demo_status;
pub mod desk;
pub mod domain;
pub mod email;
pub mod reports;
pub mod telegram;
pub mod web;
pub mod webhooks;
pub mod whatsapp;

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::dev::Server;
use actix_web::middleware::from_fn;
use actix_web::{web as aweb, App, HttpServer};
use anyhow::Context;

use clock::Clock;
use config::Settings;
use db::DbUrl;
use desk::Desk;

/// Opens the database named in the settings, runs pending migrations and returns the desk.
pub fn open_desk(settings: &Settings, clock: Arc<dyn Clock>) -> anyhow::Result<Desk> {
    let url = DbUrl::parse(settings.database_url.expose())?;
    let mut conn = url.connect().with_context(|| format!("opening {url:?}"))?;
    let applied = db::migrate(&mut conn).context("migrating the database")?;
    if applied > 0 {
        tracing::info!(applied, "migrations applied");
    }
    match desk::audit_upgrade::separate_free_text(&mut conn, clock.now()).context("upgrading the audit log")? {
        desk::audit_upgrade::Upgrade::AlreadyDone => {}
        desk::audit_upgrade::Upgrade::Done { relinked, texts_moved } => {
            tracing::info!(relinked, texts_moved, "audit log upgraded: free text kept apart from events")
        }
        desk::audit_upgrade::Upgrade::Refused { seq, reason } => tracing::error!(
            seq,
            reason,
            "the audit chain does not verify, so its free text was not moved; run `meja audit verify`"
        ),
    }
    let backfilled =
        desk::ticket_history::backfill(&mut conn, clock.now()).context("back-filling the ticket history")?;
    if backfilled > 0 {
        tracing::info!(backfilled, "ticket history reconstructed from the audit log for older tickets");
    }
    drop(conn);
    let mut desk = Desk::open(&url, settings.pool_size, settings.writers, clock, &settings.number_prefix)?;
    desk.mail_max_bytes = settings.mail_max_bytes;
    desk.attachment_max_bytes = settings.attachment_max_bytes;
    let roles = desk::two_factor::parse_required_roles(&settings.two_factor_roles.join(","))
        .map_err(|e| anyhow::anyhow!("two_factor_roles: {e}"))?;
    desk.two_factor_roles = std::sync::Arc::from(roles);
    if let Some(ldap) = &settings.ldap {
        desk.ldap = Some(std::sync::Arc::new(desk::ldap::Directory::new(ldap.clone())?));
    }
    if let Some(oidc) = &settings.oidc {
        desk.oidc = Some(std::sync::Arc::new(desk::oidc::Sso::new(oidc.clone(), &settings.public_url)?));
    }
    desk.auto_close_minutes = settings.auto_close_days * desk::auto_close::WORKING_DAY_MINUTES;
    Ok(desk)
}

pub struct Application {
    port: u16,
    server: Server,
    jobs: Option<Jobs>,
    pub desk: Desk,
    /// Set when this start created the admin with a generated password, to print once.
    pub generated_admin_password: Option<String>,
}

impl Application {
    pub fn build(settings: &Settings, clock: Arc<dyn Clock>) -> anyhow::Result<Application> {
        let desk = open_desk(settings, clock)?;
        let configured = settings.admin_password.as_ref().map(|s| s.expose().to_string());
        let created = desk::catalog::ensure_admin(&desk, configured.as_deref())?;
        let generated_admin_password = if configured.is_none() { created } else { None };
        let listener = TcpListener::bind(&settings.bind).with_context(|| format!("binding {}", settings.bind))?;
        let port = listener.local_addr()?.port();
        let chats = Chats::from_settings(settings);
        let bot_data = aweb::Data::new(chats.telegram.clone());
        let whatsapp_data = aweb::Data::new(chats.whatsapp.clone());
        let data = aweb::Data::new(desk.clone());
        let plan = aweb::Data::new(desk::report_archive::ArchivePlan::from_settings(settings));
        let body_limit = settings.body_limit_bytes;
        let pages = aweb::Data::new(web::pages::session::PageSettings {
            secure_cookies: settings.public_url.starts_with("https://"),
            public_url: settings.public_url.trim_end_matches('/').to_string(),
        });
        let proxies = aweb::Data::new(web::extract::TrustedProxies::from_settings(settings));
        let alert_intake = aweb::Data::new(desk::disruptions::alerts::AlertIntake::from_settings(settings));
        let mut server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .app_data(plan.clone())
                .app_data(bot_data.clone())
                .app_data(whatsapp_data.clone())
                .app_data(pages.clone())
                .app_data(proxies.clone())
                .app_data(alert_intake.clone())
                .wrap(from_fn(web::head_as_get))
                .wrap(web::security_headers())
                .wrap(from_fn(web::metrics::record))
                .configure(|cfg| web::configure(cfg, body_limit))
                .default_service(aweb::to(web::fallback))
        })
        .backlog(1024);
        if let Some(workers) = settings.workers {
            server = server.workers(workers);
        }
        let server = server.listen(listener)?.run();
        let jobs = Some(if settings.jobs {
            start_jobs(&desk, settings, chats)
        } else {
            start_rules_refresher(&desk, settings)
        });
        Ok(Application { port, server, jobs, desk, generated_admin_password })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn server_handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let result = self.server.await;
        if let Some(jobs) = self.jobs {
            jobs.shutdown().await;
        }
        result
    }
}

/// The background tasks of a process, to stop and wait for at shutdown: a delivery pass in
/// flight records what the SMTP server accepted before the process exits.
pub struct Jobs {
    stop: tokio::sync::watch::Sender<bool>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Jobs {
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        for task in self.tasks {
            let _ = tokio::time::timeout(std::time::Duration::from_secs(60), task).await;
        }
    }
}

/// Archives the month's reports once its working day has come (SPEC 8); checks every minute.
async fn monthly_reports(
    desk: Desk,
    plan: desk::report_archive::ArchivePlan,
    mut stopped: tokio::sync::watch::Receiver<bool>,
) {
    loop {
        let d = desk.clone();
        let p = plan.clone();
        match tokio::task::spawn_blocking(move || desk::report_archive::run_due(&d, &p)).await {
            Ok(Ok(done)) if !done.is_empty() => tracing::info!(reports = done.len(), "monthly reports archived"),
            Ok(Ok(_)) => {}
            Ok(Err(e)) => tracing::error!(error = %e, "monthly reports: will try again"),
            Err(e) => tracing::error!(error = %e, "monthly reports task failed"),
        }
        tokio::select! {
            _ = tokio::time::sleep(std::time::Duration::from_secs(60)) => {}
            _ = stopped.changed() => break,
        }
    }
}

/// A web-only process (`serve --no-jobs`) still rereads the SLA rules every interval, so that
/// tickets it opens or changes count against edits made by other processes or the CLI.
pub fn start_rules_refresher(desk: &Desk, settings: &Settings) -> Jobs {
    let (stop, mut stopped) = tokio::sync::watch::channel(false);
    let interval = std::time::Duration::from_secs(settings.jobs_interval_seconds);
    let desk = desk.clone();
    let task = actix_web::rt::spawn(async move {
        loop {
            tokio::select! {
                _ = tokio::time::sleep(interval) => {}
                _ = stopped.changed() => break,
            }
            let d = desk.clone();
            if let Ok(Err(e)) = tokio::task::spawn_blocking(move || d.reload_rules()).await {
                tracing::warn!(error = %e, "could not reload SLA rules; using the previous ones");
            }
            // Webhook subscriptions made by another process: this one queues their events too.
            let d = desk.clone();
            if let Ok(Err(e)) = tokio::task::spawn_blocking(move || d.reload_webhooks()).await {
                tracing::warn!(error = %e, "could not reload the webhook subscriptions; using the previous ones");
            }
        }
    });
    Jobs { stop, tasks: vec![task] }
}

/// Starts the background jobs on the current runtime; `Jobs::shutdown` stops them after the
/// pass in progress.
/// The chat channels configured: each runs when its token is set.
#[derive(Clone, Default)]
pub struct Chats {
    pub telegram: Option<Arc<telegram::Telegram>>,
    pub whatsapp: Option<Arc<whatsapp::WhatsApp>>,
}

impl Chats {
    /// A channel whose settings are wrong is off, said in the log; the desk runs on.
    pub fn from_settings(settings: &Settings) -> Chats {
        let telegram = telegram::Telegram::from_settings(settings).unwrap_or_else(|e| {
            tracing::error!(error = %e, "the Telegram channel is off");
            None
        });
        let whatsapp = whatsapp::WhatsApp::from_settings(settings).unwrap_or_else(|e| {
            tracing::error!(error = %e, "the WhatsApp channel is off");
            None
        });
        Chats { telegram, whatsapp }
    }
}

pub fn start_jobs(desk: &Desk, settings: &Settings, chats: Chats) -> Jobs {
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let interval = std::time::Duration::from_secs(settings.jobs_interval_seconds);
    let parallel = if matches!(desk.url, DbUrl::Postgres(_)) { settings.writers.max(1) } else { 1 };
    let mut tasks = vec![actix_web::rt::spawn(desk::scheduler::run(
        desk.clone(),
        interval,
        settings.jobs_batch,
        parallel,
        stopped.clone(),
    ))];
    match email::outbound::Mailer::from_settings(settings) {
        Ok(Some(mailer)) => {
            tasks.push(actix_web::rt::spawn(email::outbound::run(desk.clone(), Arc::new(mailer), stopped.clone())));
        }
        Ok(None) => tracing::info!("no MEJA_SMTP_URL: e-mail notices wait in the outbox"),
        Err(e) => tracing::error!(error = %e, "e-mail delivery is off"),
    }
    match webhooks::Sender::new() {
        Ok(sender) => tasks.push(actix_web::rt::spawn(webhooks::run(desk.clone(), Arc::new(sender), stopped.clone()))),
        Err(e) => tracing::error!(error = %e, "webhook delivery is off"),
    }
    let poll = std::time::Duration::from_secs(settings.imap_poll_secs);
    tasks.push(actix_web::rt::spawn(email::imap_intake::supervise(desk.clone(), poll, stopped.clone())));
    let plan = desk::report_archive::ArchivePlan::from_settings(settings);
    tasks.push(actix_web::rt::spawn(monthly_reports(desk.clone(), plan, stopped.clone())));
    let retention =
        desk::personal_data::retention::run_periodically(desk.clone(), settings.retention_days, stopped.clone());
    tasks.push(actix_web::rt::spawn(retention));
    let signin_log = desk::signins::prune_periodically(desk.clone(), settings.signin_log_days, stopped.clone());
    tasks.push(actix_web::rt::spawn(signin_log));
    match chats.whatsapp {
        Some(whatsapp) => tasks.extend(whatsapp::start(desk, whatsapp, stopped.clone())),
        None => tracing::info!("no MEJA_WHATSAPP_TOKEN: the WhatsApp channel is off"),
    }
    match chats.telegram {
        Some(bot) => tasks.extend(telegram::start(desk, bot, stopped)),
        None => tracing::info!("no MEJA_TELEGRAM_TOKEN (or a bad Telegram setting): the Telegram channel is off"),
    }
    Jobs { stop, tasks }
}

//! The `meja` command line: parses, builds settings, calls into the library.

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::{Parser, Subcommand};

use meja::clock::SystemClock;
use meja::config::Settings;
use meja::desk::audit::Verdict;
use meja::desk::catalog::{self, NewService, NewUnit, NewUser};
use meja::domain::role::Role;

/// jemalloc gives freed memory back to the system (after a few seconds' decay), where glibc's
/// allocator keeps what every thread's arena once held: a burst of sign-ins (19 MiB of Argon2
/// working memory each, on the blocking threads) left the process at 300 MiB for good.
#[cfg(all(target_os = "linux", not(target_env = "musl")))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[derive(Parser)]
#[command(name = "meja", version, about = "Service desk for SPBE (Tier 1 in every PD, Tier 2 at Diskominfo)")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the desk: web, API and background work, in one process.
    Serve {
        /// Seed a demo city (Diskominfo, six PDs, staff, a few hundred tickets) if the database is empty.
        #[arg(long)]
        demo: bool,
        /// Serve the web and API only; leave the SLA scheduler to a `meja jobs` process.
        #[arg(long)]
        no_jobs: bool,
    },
    /// Run the background jobs (the SLA scheduler) without the web server.
    Jobs {
        /// One pass over everything due, then exit.
        #[arg(long)]
        once: bool,
    },
    /// Desk e-mail addresses.
    Mailbox {
        #[command(subcommand)]
        command: MailboxCommand,
    },
    /// Take in one e-mail from standard input (for an MTA pipe): `meja ingest-email --mailbox dinkes < message.eml`.
    /// Exit 0 once the message is kept (a ticket, a reply, an ignored autoreply, a bounce, or the
    /// quarantine for what the desk will not take in); 75 to have the MTA keep it and retry (it
    /// could not be stored); 65 only for empty input.
    IngestEmail {
        #[arg(long)]
        mailbox: String,
    },
    /// Business calendars and holidays.
    Calendar {
        #[command(subcommand)]
        command: meja::commands::sla::CalendarCommand,
    },
    /// SLA due times and policies.
    Sla {
        #[command(subcommand)]
        command: meja::commands::sla::SlaCommand,
    },
    /// Periodic reports (laporan pelaksanaan tugas), their archive and the SPBE evidence pack.
    Report {
        #[command(subcommand)]
        command: meja::commands::reports::ReportCommand,
    },
    /// Personal data of requesters (UU 27/2022): export to a ZIP, anonymise, run the retention job.
    PersonalData {
        #[command(subcommand)]
        command: meja::commands::personal_data::PersonalDataCommand,
    },
    /// Write a backup: SQLite's online backup (while meja serves), or pg_dump (custom format).
    Backup {
        #[arg(short, long)]
        output: std::path::PathBuf,
    },
    /// Restore a backup into the configured database (stop meja first), then verify the audit chain.
    Restore {
        input: std::path::PathBuf,
        /// Replace an existing SQLite database file.
        #[arg(long)]
        force: bool,
    },
    /// Apply pending database migrations and exit.
    Migrate,
    /// The audit log.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Units (Perangkat Daerah).
    Unit {
        #[command(subcommand)]
        command: UnitCommand,
    },
    /// Services of the catalogue.
    Service {
        #[command(subcommand)]
        command: ServiceCommand,
    },
    /// People.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Bulk onboarding from CSV: `meja import units|services|users FILE [--dry-run]`; every bad
    /// line is named and nothing is written unless the whole file is good.
    Import(meja::commands::import::ImportArgs),
    /// Measurements for docs/benchmarks.md.
    Bench {
        #[command(subcommand)]
        command: meja::bench::BenchCommand,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Recompute the hash chain; exit 1 naming the first altered or missing event.
    Verify,
}

#[derive(Subcommand)]
enum MailboxCommand {
    /// `meja mailbox add dinkes --unit DINKES --address layanan.dinkes@kota.go.id [--imap imaps://user:pass@host:993/INBOX]`
    Add {
        name: String,
        #[arg(long)]
        unit: String,
        #[arg(long)]
        address: String,
        #[arg(long)]
        imap: Option<String>,
    },
    List,
}

#[derive(Subcommand)]
enum UnitCommand {
    Add {
        #[arg(long)]
        code: String,
        #[arg(long)]
        name: String,
        /// This unit is the tier-2 unit (Diskominfo).
        #[arg(long)]
        tier2: bool,
        #[arg(long)]
        email: Option<String>,
    },
    List,
}

#[derive(Subcommand)]
enum ServiceCommand {
    Add {
        #[arg(long)]
        code: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        unit: String,
    },
    List,
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create a user; the password is read from MEJA_USER_PASSWORD or generated and printed.
    Add {
        #[arg(long)]
        username: String,
        #[arg(long)]
        name: String,
        #[arg(long, value_parser = parse_role)]
        role: Role,
        #[arg(long)]
        unit: Option<String>,
        #[arg(long)]
        email: Option<String>,
    },
    List,
    /// Change a person: only the fields given; an empty value clears an optional one.
    Edit {
        #[arg(long)]
        username: String,
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        email: Option<String>,
        #[arg(long)]
        phone: Option<String>,
        #[arg(long, value_parser = parse_role)]
        role: Option<Role>,
        #[arg(long)]
        unit: Option<String>,
        #[arg(long)]
        nip: Option<String>,
        #[arg(long)]
        language: Option<String>,
        /// `false` switches the account off (every session ends, open tickets return to the
        /// unit's queue); `true` on again.
        #[arg(long)]
        active: Option<bool>,
    },
    /// Give a temporary password (made up and printed, or MEJA_USER_PASSWORD), to be changed at
    /// the next sign-in.
    Password {
        #[arg(long)]
        username: String,
    },
}

fn parse_role(text: &str) -> Result<Role, String> {
    Role::parse(text).ok_or_else(|| format!("one of {}", Role::names().join(", ")))
}

fn init_logging(settings: &Settings) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    if settings.log_json {
        builder.json().init();
    } else {
        builder.init();
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let settings = match Settings::load() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("meja: configuration: {e}");
            return ExitCode::from(2);
        }
    };
    init_logging(&settings);
    match run(cli.command, settings) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("meja: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(command: Command, settings: Settings) -> anyhow::Result<ExitCode> {
    match command {
        Command::Serve { .. } | Command::Jobs { .. } | Command::Bench { .. } => run_service(command, settings),
        Command::Backup { output } => meja::commands::backup::backup(&settings, &output).map(|_| ExitCode::SUCCESS),
        Command::Restore { input, force } => {
            meja::commands::backup::restore(&settings, &input, force).map(|_| ExitCode::SUCCESS)
        }
        Command::Report { command } => {
            let desk = meja::open_desk(&settings, Arc::new(SystemClock))?;
            let result = meja::commands::reports::run(command, &desk, &settings);
            desk.close();
            result.map(|_| ExitCode::SUCCESS)
        }
        Command::PersonalData { command } => {
            let desk = meja::open_desk(&settings, Arc::new(SystemClock))?;
            let result = meja::commands::personal_data::run(command, &desk, settings.retention_days);
            desk.close();
            result.map(|_| ExitCode::SUCCESS)
        }
        command => {
            let desk = meja::open_desk(&settings, Arc::new(SystemClock))?;
            let result = run_with_desk(command, &desk);
            desk.close();
            result
        }
    }
}

/// The commands that run for long and manage their own database handles.
fn run_service(command: Command, settings: Settings) -> anyhow::Result<ExitCode> {
    match command {
        Command::Serve { demo, no_jobs } => {
            let mut settings = settings;
            if no_jobs {
                settings.jobs = false;
            }
            serve(settings, demo)
        }
        Command::Jobs { once } => meja::commands::sla::run_jobs(&settings, once).map(|_| ExitCode::SUCCESS),
        Command::Bench { command } => meja::bench::run(command, &settings).map(|_| ExitCode::SUCCESS),
        _ => unreachable!("run() sends only long-running commands here"),
    }
}

/// One-shot commands on an open desk; `run` closes it afterwards.
fn run_with_desk(command: Command, desk: &meja::desk::Desk) -> anyhow::Result<ExitCode> {
    match command {
        Command::Calendar { command } => meja::commands::sla::run_calendar(command, desk).map(|_| ExitCode::SUCCESS),
        Command::Sla { command } => meja::commands::sla::run_sla(command, desk).map(|_| ExitCode::SUCCESS),
        Command::Import(args) => {
            meja::commands::import::run(args, desk).map(|good| if good { ExitCode::SUCCESS } else { ExitCode::FAILURE })
        }
        Command::Migrate => {
            println!("database is up to date");
            Ok(ExitCode::SUCCESS)
        }
        Command::Mailbox { command } => {
            match command {
                MailboxCommand::Add { name, unit, address, imap } => {
                    let d = desk.clone();
                    let input = meja::desk::mail::NewMailbox { name, unit, address, imap_url: imap };
                    let m =
                        desk.writer.write_blocking(move |tx| meja::desk::mail::create_mailbox(tx, &d, None, input))?;
                    println!("mailbox {} <{}> → {}{}", m.name, m.address, m.unit, if m.imap { " (IMAP)" } else { "" });
                }
                MailboxCommand::List => {
                    let d = desk.clone();
                    for m in desk.read_blocking(move |conn| meja::desk::mail::list_mailboxes(&d, conn))? {
                        println!(
                            "{:<16} {:<36} {:<14} {}",
                            m.name,
                            m.address,
                            m.unit,
                            if m.imap { "IMAP" } else { "" }
                        );
                    }
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::IngestEmail { mailbox } => {
            use std::io::Read;
            let mut raw = Vec::new();
            std::io::stdin().read_to_end(&mut raw).context("reading the message from standard input")?;
            if raw.iter().all(u8::is_ascii_whitespace) {
                eprintln!("meja: no message on standard input");
                return Ok(ExitCode::from(65));
            }
            // 0 once the message is kept (a ticket, a reply, a recorded ignore or bounce, or the
            // quarantine); 75 (EX_TEMPFAIL) only when it could not be stored, so the MTA keeps it
            // and tries again.
            match meja::desk::mail::take_in_blocking(desk, &mailbox, raw) {
                Ok(result) => {
                    println!("{}", serde_json::to_string(&result)?);
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => {
                    eprintln!("meja: not stored, try again later: {e}");
                    Ok(ExitCode::from(75))
                }
            }
        }
        Command::Audit { command: AuditCommand::Verify } => {
            let verdict = desk.read_blocking(meja::desk::audit::verify)?;
            match verdict {
                Verdict::Intact { events, erased_texts } => {
                    println!("audit chain intact: {events} events verified");
                    for erased in erased_texts {
                        println!("{erased}");
                    }
                    Ok(ExitCode::SUCCESS)
                }
                Verdict::Broken { seq, reason } => {
                    println!("audit chain BROKEN at event {seq}: {reason}");
                    Ok(ExitCode::FAILURE)
                }
            }
        }
        Command::Unit { command } => {
            match command {
                UnitCommand::Add { code, name, tier2, email } => {
                    let unit = desk.writer.write_blocking(move |tx| {
                        catalog::create_unit(tx, None, NewUnit { code, name, tier2, email })
                    })?;
                    println!("unit {} created{}", unit.code, if unit.tier2 { " (tier 2)" } else { "" });
                }
                UnitCommand::List => {
                    for u in desk.read_blocking(catalog::list_units)? {
                        println!("{:<16} {}{}", u.code, u.name, if u.tier2 { "  [tier 2]" } else { "" });
                    }
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Service { command } => {
            match command {
                ServiceCommand::Add { code, name, unit } => {
                    let s = desk
                        .writer
                        .write_blocking(move |tx| catalog::create_service(tx, None, NewService { code, name, unit }))?;
                    println!("service {} created for {}", s.code, s.unit);
                }
                ServiceCommand::List => {
                    let d = desk.clone();
                    for s in desk.read_blocking(|conn| catalog::list_services(&d, conn, None))? {
                        println!("{:<16} {:<14} {}", s.code, s.unit, s.name);
                    }
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::User { command } => {
            match command {
                UserCommand::Add { username, name, role, unit, email } => {
                    let given = std::env::var("MEJA_USER_PASSWORD").ok().filter(|p| !p.is_empty());
                    let password = given.clone().unwrap_or_else(|| meja::desk::auth::random_secret(10));
                    let input = NewUser { username, name, email, password: password.clone(), role, unit };
                    catalog::check_new_user(&input)?;
                    let hash = meja::desk::auth::hash_password(&password)?;
                    let user = desk.writer.write_blocking(move |tx| catalog::create_user(tx, None, input, hash))?;
                    println!("user {} ({}) created", user.username, user.role);
                    if given.is_none() {
                        println!("password: {password}");
                    }
                }
                UserCommand::Edit { username, name, email, phone, role, unit, nip, language, active } => {
                    let patch =
                        meja::desk::accounts::UserPatch { name, email, phone, role, unit, nip, language, active };
                    let d = desk.clone();
                    let user = desk
                        .writer
                        .write_blocking(move |tx| meja::desk::accounts::update_user(tx, &d, None, &username, patch))?;
                    println!(
                        "user {} ({}, {}){}",
                        user.username,
                        user.role,
                        user.unit.unwrap_or_else(|| "no unit".into()),
                        if user.active { "" } else { " switched off" }
                    );
                }
                UserCommand::Password { username } => {
                    let chosen = std::env::var("MEJA_USER_PASSWORD").ok().filter(|p| !p.is_empty());
                    let input = meja::desk::passwords::TemporaryPassword { password: chosen };
                    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
                    let set = runtime.block_on(meja::desk::passwords::set_temporary(desk, None, &username, input))?;
                    match set.password {
                        Some(p) => {
                            println!("temporary password of {}: {p}  (to be changed at the next sign-in)", set.username)
                        }
                        None => {
                            println!("temporary password of {} set (to be changed at the next sign-in)", set.username)
                        }
                    }
                }
                UserCommand::List => {
                    let admin = meja::domain::role::Actor {
                        user_id: String::new(),
                        username: "cli".into(),
                        name: "cli".into(),
                        role: Role::Admin,
                        unit_id: None,
                    };
                    let d = desk.clone();
                    for u in desk.read_blocking(|conn| catalog::list_users(&d, conn, &admin))? {
                        println!(
                            "{:<20} {:<11} {:<14} {}",
                            u.username,
                            u.role.as_str(),
                            u.unit.unwrap_or_default(),
                            u.name
                        );
                    }
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Serve { .. }
        | Command::Jobs { .. }
        | Command::Bench { .. }
        | Command::Report { .. }
        | Command::PersonalData { .. }
        | Command::Backup { .. }
        | Command::Restore { .. } => {
            unreachable!("run() handles these commands itself")
        }
    }
}

fn serve(mut settings: Settings, demo: bool) -> anyhow::Result<ExitCode> {
    // The demo city is for trying the desk out: its admin and supervisors sign in with the
    // demo password alone unless MEJA_2FA_REQUIRED_ROLES says otherwise.
    let relaxed = demo && std::env::var_os("MEJA_2FA_REQUIRED_ROLES").is_none();
    if relaxed {
        settings.two_factor_roles.clear();
    }
    let demo_logins = if demo { meja::demo::seed(&settings).context("seeding the demo city")? } else { None };
    let system = actix_web::rt::System::new();
    system.block_on(async move {
        let app = meja::Application::build(&settings, Arc::new(SystemClock))?;
        println!("meja is serving on http://{}:{}/", settings.bind.rsplit_once(':').map_or("127.0.0.1", |(h, _)| h), app.port());
        println!("database: {}", app.desk.url.backend_name());
        if relaxed {
            println!("demo: two-factor sign-in is not required (set MEJA_2FA_REQUIRED_ROLES=admin,supervisor to require it)");
        }
        if let Some(password) = &app.generated_admin_password {
            println!("first start: created user 'admin' with password {password}  (shown once; set MEJA_ADMIN_PASSWORD to choose it)");
        }
        if demo {
            match &demo_logins {
                Some(logins) => {
                    println!("demo city seeded; every demo account uses the password {}", meja::demo::DEMO_PASSWORD);
                    for l in logins {
                        println!("  {:<22} {:<11} {}", l.username, l.role.as_str(), l.unit.as_deref().unwrap_or(""));
                    }
                }
                None => println!("demo: the database already has units; nothing seeded (demo password: {})", meja::demo::DEMO_PASSWORD),
            }
        }
        let desk = app.desk.clone();
        app.run_until_stopped().await?;
        desk.close();
        Ok(ExitCode::SUCCESS)
    })
}

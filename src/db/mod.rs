//! The database: one connection type over SQLite and PostgreSQL, chosen by the URL scheme.
//! This module tree is the only place that writes SQL.

/// Inserts rows with multi-row `INSERT`s of [`events::INSERT_CHUNK`] rows. Per backend: diesel
/// builds multi-row inserts for each database, not for the multi-backend connection. The rows'
/// `Insertable` must write `None` as NULL (`treat_none_as_default_value = false`), which SQLite
/// needs in a multi-row `VALUES`.
macro_rules! insert_many {
    ($conn:expr, $table:expr, $rows:expr) => {
        for chunk in $rows.chunks($crate::db::events::INSERT_CHUNK) {
            match $conn {
                $crate::db::DbConn::Pg(c) => diesel::insert_into($table).values(chunk).execute(c)?,
                $crate::db::DbConn::Sqlite(c) => diesel::insert_into($table).values(chunk).execute(c)?,
            };
        }
    };
}
pub(crate) use insert_many;

pub mod audit_texts;
pub mod backup;
pub mod canned;
pub mod catalog;
pub mod dashboard;
pub mod directory;
pub mod disruptions;
pub mod events;
pub mod followers;
pub mod hot;
pub mod incidents;
pub mod kb;
pub mod limits;
pub mod live;
pub mod mail;
pub mod merges;
pub mod outbox;
pub mod outbox_queue;
pub mod password_resets;
pub mod personal_data;
pub mod report_archive;
pub mod reports;
pub mod saved_views;
pub mod schema;
pub mod signins;
pub mod sla;
pub mod telegram;
pub mod ticket_history;
pub mod ticket_search;
pub mod tickets;
pub mod time_entries;
pub mod tokens;
pub mod two_factor;
pub mod webhooks;
pub mod whatsapp;

use std::path::PathBuf;
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::r2d2::{self, ManageConnection, R2D2Connection};
use diesel::sqlite::SqliteConnection;
use diesel::Connection;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// Any number will do as long as every `meja` process uses the same one.
const MIGRATION_LOCK_KEY: i64 = 0x6d65_6a61; // "meja"

#[derive(diesel::MultiConnection)]
pub enum DbConn {
    Sqlite(SqliteConnection),
    Pg(PgConnection),
}

pub type Pool = r2d2::Pool<Manager>;
pub type PooledConn = r2d2::PooledConnection<Manager>;

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("database URL must start with sqlite:// or postgres:// (got {0:?})")]
    UnknownScheme(String),
    #[error("cannot open the database: {0}")]
    Connect(#[from] diesel::ConnectionError),
    #[error("database error: {0}")]
    Query(#[from] diesel::result::Error),
    #[error("cannot create the database directory {0}: {1}")]
    Directory(PathBuf, std::io::Error),
    #[error("migrations failed: {0}")]
    Migration(String),
    #[error("connection pool: {0}")]
    Pool(#[from] r2d2::PoolError),
}

/// A parsed `MEJA_DATABASE_URL`. Unknown schemes are refused rather than guessed, so a typo
/// never silently creates a file named like a URL.
#[derive(Clone, PartialEq, Eq)]
pub enum DbUrl {
    Sqlite(PathBuf),
    Postgres(String),
}

impl std::fmt::Debug for DbUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DbUrl::Sqlite(path) => write!(f, "sqlite://{}", path.display()),
            // The URL may carry a password.
            DbUrl::Postgres(_) => f.write_str("postgres://…"),
        }
    }
}

impl DbUrl {
    pub fn parse(url: &str) -> Result<Self, DbError> {
        if let Some(path) = url.strip_prefix("sqlite://") {
            if path.is_empty() {
                return Err(DbError::UnknownScheme(url.to_string()));
            }
            Ok(DbUrl::Sqlite(PathBuf::from(path)))
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(DbUrl::Postgres(url.to_string()))
        } else {
            let scheme = url.split("://").next().unwrap_or(url);
            Err(DbError::UnknownScheme(scheme.to_string()))
        }
    }

    pub fn backend_name(&self) -> &'static str {
        match self {
            DbUrl::Sqlite(_) => "sqlite",
            DbUrl::Postgres(_) => "postgres",
        }
    }

    pub fn connect(&self) -> Result<DbConn, DbError> {
        match self {
            DbUrl::Sqlite(path) => {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir).map_err(|e| DbError::Directory(dir.to_path_buf(), e))?;
                }
                let mut conn = SqliteConnection::establish(&path.to_string_lossy())?;
                // WAL lets readers run beside the single writer; FULL makes every commit
                // durable (group commit in the writer keeps that affordable); foreign keys are
                // off by default in SQLite.
                conn.batch_execute(
                    "PRAGMA busy_timeout = 10000; PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
                     PRAGMA foreign_keys = ON; PRAGMA cache_size = -4000;",
                )
                .map_err(DbError::Query)?;
                Ok(DbConn::Sqlite(conn))
            }
            DbUrl::Postgres(url) => Ok(DbConn::Pg(PgConnection::establish(&with_liveness_checks(url))?)),
        }
    }

    /// The writer's connection: on SQLite it gets a larger page cache, since every change
    /// goes through it; the read connections keep a small one to bound memory.
    pub fn connect_writer(&self) -> Result<DbConn, DbError> {
        let mut conn = self.connect()?;
        if let DbConn::Sqlite(c) = &mut conn {
            c.batch_execute("PRAGMA cache_size = -16000;")?;
        }
        Ok(conn)
    }

    pub fn pool(&self, size: u32) -> Result<Pool, DbError> {
        // No minimum of idle connections: r2d2 replenishes a minimum on a background thread,
        // and a command-line process exiting while that thread is inside the PostgreSQL client
        // library crashes. Connections open on demand and stay pooled.
        let pool = r2d2::Pool::builder()
            .max_size(size)
            .min_idle(Some(0))
            // A connection idle this long is closed: after a quiet spell a request starts on a
            // fresh one, not on one a database restart may have left dead.
            .idle_timeout(Some(Duration::from_secs(60)))
            .connection_timeout(Duration::from_secs(10))
            .build(Manager { url: self.clone() })?;
        Ok(pool)
    }
}

/// r2d2 manager that opens connections the way `DbUrl::connect` does (pragmas included).
#[derive(Debug)]
pub struct Manager {
    url: DbUrl,
}

impl ManageConnection for Manager {
    type Connection = DbConn;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<DbConn, r2d2::Error> {
        self.url.connect().map_err(|e| match e {
            DbError::Connect(c) => r2d2::Error::ConnectionError(c),
            DbError::Query(q) => r2d2::Error::QueryError(q),
            other => r2d2::Error::ConnectionError(diesel::ConnectionError::BadConnection(other.to_string())),
        })
    }

    /// Called on every checkout. The `SELECT 1` that proves a connection alive is one more round
    /// trip for every request, so it is sent only while connections are suspect.
    fn is_valid(&self, conn: &mut DbConn) -> Result<(), r2d2::Error> {
        if !connections_suspect() {
            return Ok(());
        }
        conn.ping().map(|_| ()).map_err(r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut DbConn) -> bool {
        let broken = conn.is_broken();
        if broken {
            suspect_connections();
        }
        broken
    }
}

/// Until this instant (seconds since the epoch) every pooled connection is pinged before use.
static SUSPECT_UNTIL: std::sync::atomic::AtomicI64 = std::sync::atomic::AtomicI64::new(0);
/// How long connections stay suspect after one was found broken: longer than a database
/// restart or failover takes, so that every connection the old server left dead is found at
/// checkout rather than by a request.
const SUSPECT_FOR_SECONDS: i64 = 120;

/// Says that the database may have dropped connections (one was found broken): for a while,
/// pooled connections are checked before use.
pub fn suspect_connections() {
    let until = chrono::Utc::now().timestamp() + SUSPECT_FOR_SECONDS;
    SUSPECT_UNTIL.fetch_max(until, std::sync::atomic::Ordering::Relaxed);
}

fn connections_suspect() -> bool {
    chrono::Utc::now().timestamp() < SUSPECT_UNTIL.load(std::sync::atomic::Ordering::Relaxed)
}

/// Runs pending migrations. On PostgreSQL under an advisory lock, so several processes can
/// start at once and exactly one of them migrates.
pub fn migrate(conn: &mut DbConn) -> Result<usize, DbError> {
    let migration_error = |e: Box<dyn std::error::Error + Send + Sync>| DbError::Migration(e.to_string());
    match conn {
        DbConn::Sqlite(c) => Ok(c.run_pending_migrations(SQLITE_MIGRATIONS).map_err(migration_error)?.len()),
        DbConn::Pg(c) => {
            c.batch_execute(&format!("SELECT pg_advisory_lock({MIGRATION_LOCK_KEY})"))?;
            let result = c.run_pending_migrations(POSTGRES_MIGRATIONS).map(|v| v.len());
            c.batch_execute(&format!("SELECT pg_advisory_unlock({MIGRATION_LOCK_KEY})"))?;
            result.map_err(migration_error)
        }
    }
}

/// Reverts every migration and applies them again: used by the migration test.
pub fn redo_all_migrations(conn: &mut DbConn) -> Result<(), DbError> {
    let migration_error = |e: Box<dyn std::error::Error + Send + Sync>| DbError::Migration(e.to_string());
    match conn {
        DbConn::Sqlite(c) => {
            c.revert_all_migrations(SQLITE_MIGRATIONS).map_err(migration_error)?;
            c.run_pending_migrations(SQLITE_MIGRATIONS).map_err(migration_error)?;
        }
        DbConn::Pg(c) => {
            c.revert_all_migrations(POSTGRES_MIGRATIONS).map_err(migration_error)?;
            c.run_pending_migrations(POSTGRES_MIGRATIONS).map_err(migration_error)?;
        }
    }
    Ok(())
}

/// `SELECT 1`, for `/healthz`.
pub fn ping(conn: &mut DbConn) -> Result<(), DbError> {
    conn.batch_execute("SELECT 1")?;
    Ok(())
}

/// Client settings that notice a PostgreSQL server gone silent (its host dead, the network path
/// dropped) within about a minute. The kernel's defaults wait two hours before probing an idle
/// connection and about fifteen minutes for unacknowledged data, and a read waiting on such a
/// connection holds its request that long — and, since their reads are shared, the token checks
/// of every request of the process. A server that is busy but alive answers the probes, so long
/// queries are not cut. Ignored on Unix sockets; a setting given in the URL wins.
const LIVENESS_CHECKS: [(&str, &str); 4] = [
    ("keepalives_idle", "30"),
    ("keepalives_interval", "10"),
    ("keepalives_count", "3"),
    ("tcp_user_timeout", "60000"),
];

fn with_liveness_checks(url: &str) -> String {
    let given: Vec<&str> = url
        .split_once('?')
        .map(|(_, query)| query.split('&').map(|p| p.split('=').next().unwrap_or(p)).collect())
        .unwrap_or_default();
    let mut out = url.to_string();
    for (key, value) in LIVENESS_CHECKS.iter().filter(|(key, _)| !given.contains(key)) {
        out.push(if out.contains('?') { '&' } else { '?' });
        out.push_str(&format!("{key}={value}"));
    }
    out
}

/// Portable SQL functions used by the queries.
pub mod functions {
    diesel::define_sql_function!(fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_schemes() {
        assert_eq!(DbUrl::parse("sqlite://data/meja.db").ok(), Some(DbUrl::Sqlite(PathBuf::from("data/meja.db"))));
        assert!(matches!(DbUrl::parse("postgres://u@h/db"), Ok(DbUrl::Postgres(_))));
        assert!(matches!(DbUrl::parse("postgresql://u@h/db"), Ok(DbUrl::Postgres(_))));
        match DbUrl::parse("mysql://root@localhost/meja") {
            Err(DbError::UnknownScheme(s)) => assert_eq!(s, "mysql"),
            other => panic!("expected refusal, got {other:?}"),
        }
        assert!(DbUrl::parse("data/meja.db").is_err());
        assert!(format!("{:?}", DbUrl::parse("postgres://u:secret@h/db").ok()).contains("…"));
    }

    #[test]
    fn postgres_connections_notice_a_silent_server() {
        assert_eq!(
            with_liveness_checks("postgres://u@h/db"),
            "postgres://u@h/db?keepalives_idle=30&keepalives_interval=10&keepalives_count=3&tcp_user_timeout=60000"
        );
        // The operator's own settings stay and win.
        assert_eq!(
            with_liveness_checks("postgres://u@h/db?sslmode=require&keepalives_idle=5&tcp_user_timeout=0"),
            "postgres://u@h/db?sslmode=require&keepalives_idle=5&tcp_user_timeout=0&keepalives_interval=10&keepalives_count=3"
        );
    }
}

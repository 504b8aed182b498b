//! `meja backup -o <file>` and `meja restore <file>`: SQLite by its online backup (while meja
//! serves), PostgreSQL by `pg_dump`/`pg_restore` (custom format). After a restore the audit
//! chain is verified.

use std::path::Path;
use std::process::Command;

use anyhow::Context;

use crate::config::Settings;
use crate::db::DbUrl;

const SQLITE_MAGIC: &[u8] = b"SQLite format 3\0";

/// Runs a PostgreSQL client tool against `url` without putting the password on its command
/// line (other users of the server can read command lines).
fn pg_tool(tool: &str, url: &str, args: &[String]) -> anyhow::Result<()> {
    let mut parsed = url::Url::parse(url).context("the PostgreSQL URL")?;
    let password = parsed.password().map(percent_decode);
    let _ = parsed.set_password(None);
    let mut command = Command::new(tool);
    command.args(args).arg(format!("--dbname={parsed}"));
    if let Some(password) = password {
        command.env("PGPASSWORD", password);
    }
    let status = command
        .status()
        .with_context(|| format!("running {tool}: install the PostgreSQL client tools (postgresql-client)"))?;
    anyhow::ensure!(status.success(), "{tool} failed ({status})");
    Ok(())
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(&text[i + 1..i + 3], 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

pub fn backup(settings: &Settings, output: &Path) -> anyhow::Result<()> {
    anyhow::ensure!(!output.exists(), "{} exists already: give a new file name", output.display());
    let url = DbUrl::parse(settings.database_url.expose())?;
    match &url {
        DbUrl::Sqlite(_) => {
            let mut conn = url.connect()?;
            crate::db::backup::sqlite_vacuum_into(&mut conn, output).map_err(anyhow::Error::msg)?;
        }
        DbUrl::Postgres(u) => {
            let args =
                ["--format=custom".to_string(), "--no-owner".to_string(), format!("--file={}", output.display())];
            pg_tool("pg_dump", u, &args)?;
        }
    }
    let bytes = std::fs::read(output).with_context(|| format!("reading {}", output.display()))?;
    println!(
        "backup of the {} database written to {} ({} bytes, SHA-256 {})",
        url.backend_name(),
        output.display(),
        bytes.len(),
        crate::domain::report::sha256_hex(&bytes)
    );
    Ok(())
}

/// Replaces the configured database with the backup (meja must be stopped; `force` to replace
/// an existing SQLite file), then migrates and verifies the audit chain.
pub fn restore(settings: &Settings, input: &Path, force: bool) -> anyhow::Result<()> {
    anyhow::ensure!(input.exists(), "{} does not exist", input.display());
    let url = DbUrl::parse(settings.database_url.expose())?;
    match &url {
        DbUrl::Sqlite(path) => {
            let head = std::fs::read(input).with_context(|| format!("reading {}", input.display()))?;
            anyhow::ensure!(head.starts_with(SQLITE_MAGIC), "{} is not a SQLite backup", input.display());
            anyhow::ensure!(
                force || !path.exists(),
                "{} exists: stop meja, then restore with --force to replace it",
                path.display()
            );
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir)?;
            }
            // Copy beside the target, then rename over it: a crash leaves the old or the new.
            let partial = path.with_extension("restoring");
            std::fs::copy(input, &partial)?;
            std::fs::File::open(&partial)?.sync_all()?;
            for stale in ["-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{stale}", path.display()));
            }
            std::fs::rename(&partial, path)?;
        }
        DbUrl::Postgres(u) => {
            let args = [
                "--clean".to_string(),
                "--if-exists".to_string(),
                "--no-owner".to_string(),
                "--single-transaction".to_string(),
                input.display().to_string(),
            ];
            pg_tool("pg_restore", u, &args)?;
        }
    }
    let desk = crate::open_desk(settings, std::sync::Arc::new(crate::clock::SystemClock))?;
    let verdict = desk.read_blocking(crate::desk::audit::verify);
    desk.close();
    match verdict? {
        crate::desk::audit::Verdict::Intact { events, .. } => {
            println!("restored {}; audit chain intact: {events} events verified", input.display());
            Ok(())
        }
        crate::desk::audit::Verdict::Broken { seq, reason } => {
            anyhow::bail!("restored, but the audit chain is BROKEN at event {seq}: {reason}")
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn passwords_are_decoded() {
        assert_eq!(super::percent_decode("p%40ss%2Fw0rd"), "p@ss/w0rd");
        assert_eq!(super::percent_decode("plain%"), "plain%");
    }
}

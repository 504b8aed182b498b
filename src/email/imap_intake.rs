//! Intake from IMAP mailboxes (SPEC 5): unseen messages are fetched without marking them
//! (`BODY.PEEK[]`), taken in through the writer, and flagged `\Seen` only after their ticket
//! committed. A process killed in between leaves the message unseen: the next pass takes it in
//! again and the intake recognises it by its Message-ID (or the hash of its bytes), so nothing
//! is lost and nothing doubled. Between passes the connection waits in IDLE, with a poll every
//! `imap_poll_secs` besides.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use imap::extensions::idle::SetReadTimeout;
use imap::Session;
use serde::Serialize;

use crate::desk::Desk;

/// Where a mailbox is read: from `imap[s]://user:password@host[:port][/FOLDER]`.
#[derive(Clone, PartialEq, Eq)]
pub struct ImapTarget {
    pub host: String,
    pub port: u16,
    pub tls: bool,
    pub user: String,
    pub password: String,
    pub folder: String,
}

impl std::fmt::Debug for ImapTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}://{}@{}:{}/{}",
            if self.tls { "imaps" } else { "imap" },
            self.user,
            self.host,
            self.port,
            self.folder
        )
    }
}

fn percent_decode(text: &str) -> Result<String, String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text.get(i + 1..i + 3).ok_or("a % escape is cut short")?;
            out.push(u8::from_str_radix(hex, 16).map_err(|_| format!("%{hex} is not an escape"))?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| "escapes are not UTF-8".to_string())
}

pub fn parse_imap_url(url: &str) -> Result<ImapTarget, String> {
    let (tls, rest) = if let Some(r) = url.strip_prefix("imaps://") {
        (true, r)
    } else if let Some(r) = url.strip_prefix("imap://") {
        (false, r)
    } else {
        return Err("must start with imaps:// (or imap:// on a trusted network)".into());
    };
    let (credentials, location) = rest.rsplit_once('@').ok_or("user:password@ is missing")?;
    let (user, password) = credentials.split_once(':').ok_or("the password is missing (user:password@)")?;
    let (hostport, folder) = location.split_once('/').unwrap_or((location, "INBOX"));
    let (host, port) = match hostport.rsplit_once(':') {
        Some((h, p)) => (h, p.parse::<u16>().map_err(|_| format!("port {p:?} is not a number"))?),
        None => (hostport, if tls { 993 } else { 143 }),
    };
    if host.is_empty() {
        return Err("the host is missing".into());
    }
    Ok(ImapTarget {
        host: host.to_string(),
        port,
        tls,
        user: percent_decode(user)?,
        password: percent_decode(password)?,
        folder: if folder.is_empty() { "INBOX".into() } else { percent_decode(folder)? },
    })
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct PollReport {
    pub fetched: usize,
    pub taken_in: usize,
    pub duplicates: usize,
    pub unreadable: usize,
}

/// A message the desk refused is quarantined in the database and marked seen and flagged on the
/// server (standard flags: a keyword of our own would make some servers announce new flags
/// mid-command), for an operator to look at.
const UNREADABLE_FLAGS: &str = "+FLAGS (\\Seen \\Flagged)";

fn pass<T: Read + Write>(
    session: &mut Session<T>,
    desk: &Desk,
    mailbox: &str,
    folder: &str,
) -> anyhow::Result<PollReport> {
    use anyhow::Context;
    session.select(folder).with_context(|| format!("SELECT {folder}"))?;
    let mut uids: Vec<u32> = session.uid_search("UNSEEN").context("UID SEARCH")?.into_iter().collect();
    uids.sort_unstable();
    let mut report = PollReport::default();
    for uid in uids {
        let fetched = session.uid_fetch(uid.to_string(), "BODY.PEEK[]").with_context(|| format!("UID FETCH {uid}"))?;
        let Some(raw) = fetched.iter().find_map(|f| f.body().map(<[u8]>::to_vec)) else { continue };
        report.fetched += 1;
        match crate::desk::mail::take_in_blocking(desk, mailbox, raw) {
            Ok(result) => {
                match result.outcome.as_str() {
                    "duplicate" => report.duplicates += 1,
                    "quarantined" => report.unreadable += 1,
                    _ => report.taken_in += 1,
                }
                // Only now, with the message stored, is it marked on the server; a quarantined
                // one is also flagged there for whoever reads the mailbox by hand.
                let flags = if result.outcome == "quarantined" { UNREADABLE_FLAGS } else { "+FLAGS (\\Seen)" };
                session.uid_store(uid.to_string(), flags).with_context(|| format!("UID STORE {uid}"))?;
            }
            // Not stored (the database is unavailable): stop here, the message stays unseen.
            Err(e) => return Err(anyhow::anyhow!("taking in uid {uid}: {e}")),
        }
    }
    Ok(report)
}

fn login<T: Read + Write>(client: imap::Client<T>, target: &ImapTarget) -> anyhow::Result<Session<T>> {
    client.login(&target.user, &target.password).map_err(|(e, _)| anyhow::anyhow!("IMAP login as {}: {e}", target.user))
}

/// One pass over a mailbox: connect, take in what is unseen, log out. For `meja jobs --once`,
/// tests and benchmarks.
pub fn poll_once(desk: &Desk, mailbox: &str, target: &ImapTarget) -> anyhow::Result<PollReport> {
    let addr = (target.host.as_str(), target.port);
    if target.tls {
        let tls = native_tls::TlsConnector::new()?;
        let mut session = login(imap::connect(addr, &target.host, &tls)?, target)?;
        let report = pass(&mut session, desk, mailbox, &target.folder);
        let _ = session.logout();
        report
    } else {
        let mut client = imap::Client::new(TcpStream::connect(addr)?);
        client.read_greeting()?;
        let mut session = login(client, target)?;
        let report = pass(&mut session, desk, mailbox, &target.folder);
        let _ = session.logout();
        report
    }
}

/// Passes, then IDLE until the server reports news or `poll` elapses, until `stop`.
fn serve_session<T: Read + Write + SetReadTimeout>(
    session: &mut Session<T>,
    desk: &Desk,
    mailbox: &str,
    folder: &str,
    poll: Duration,
    stop: &AtomicBool,
) -> anyhow::Result<()> {
    while !stop.load(Ordering::Relaxed) {
        let report = pass(session, desk, mailbox, folder)?;
        if report.fetched > 0 {
            tracing::info!(mailbox, fetched = report.fetched, taken_in = report.taken_in, "IMAP intake");
        }
        session.idle()?.wait_with_timeout(poll)?;
    }
    Ok(())
}

/// The intake loop of one mailbox, on its own thread; reconnects after errors.
pub fn run_mailbox(desk: Desk, mailbox: String, target: ImapTarget, poll: Duration, stop: Arc<AtomicBool>) {
    tracing::info!(mailbox, target = ?target, "IMAP intake started");
    while !stop.load(Ordering::Relaxed) {
        let addr = (target.host.as_str(), target.port);
        let result = if target.tls {
            native_tls::TlsConnector::new()
                .map_err(anyhow::Error::from)
                .and_then(|tls| Ok(imap::connect(addr, &target.host, &tls)?))
                .and_then(|client| login(client, &target))
                .and_then(|mut s| serve_session(&mut s, &desk, &mailbox, &target.folder, poll, &stop))
        } else {
            TcpStream::connect(addr)
                .map_err(anyhow::Error::from)
                .and_then(|stream| {
                    let mut client = imap::Client::new(stream);
                    client.read_greeting()?;
                    Ok(client)
                })
                .and_then(|client| login(client, &target))
                .and_then(|mut s| serve_session(&mut s, &desk, &mailbox, &target.folder, poll, &stop))
        };
        if let Err(e) = result {
            tracing::warn!(mailbox, error = %e, "IMAP intake interrupted; reconnecting in 10 s");
            for _ in 0..10 {
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                std::thread::sleep(Duration::from_secs(1));
            }
        }
    }
}

/// How often the list of mailboxes is read again, so a mailbox added while `meja` runs is read
/// without a restart.
const RESCAN: Duration = Duration::from_secs(30);

/// Starts a reader thread for every mailbox with an IMAP URL, and for mailboxes added later;
/// when `stopped` turns true the threads finish their pass and end.
pub async fn supervise(desk: Desk, poll: Duration, mut stopped: tokio::sync::watch::Receiver<bool>) {
    let flag = Arc::new(AtomicBool::new(false));
    let mut started: std::collections::HashSet<String> = std::collections::HashSet::new();
    loop {
        let d = desk.clone();
        let listed =
            tokio::task::spawn_blocking(move || d.read_blocking(|conn| Ok(crate::db::mail::mailboxes_all(conn)?)))
                .await;
        match listed {
            Ok(Ok(mailboxes)) => {
                for mailbox in mailboxes {
                    let Some(url) = &mailbox.imap_url else { continue };
                    if started.contains(&mailbox.name) {
                        continue;
                    }
                    match parse_imap_url(url) {
                        Ok(target) => {
                            let (d, f, name) = (desk.clone(), flag.clone(), mailbox.name.clone());
                            let spawned = std::thread::Builder::new()
                                .name(format!("meja-imap-{name}"))
                                .spawn(move || run_mailbox(d, name, target, poll, f));
                            match spawned {
                                Ok(_) => {
                                    started.insert(mailbox.name.clone());
                                }
                                Err(e) => {
                                    tracing::error!(mailbox = %mailbox.name, error = %e, "cannot start the IMAP intake")
                                }
                            }
                        }
                        Err(e) => {
                            started.insert(mailbox.name.clone());
                            tracing::error!(mailbox = %mailbox.name, error = %e, "bad IMAP URL; this mailbox is not read");
                        }
                    }
                }
            }
            Ok(Err(e)) => tracing::warn!(error = %e, "cannot read the mailboxes; trying again"),
            Err(e) => tracing::warn!(error = %e, "mailbox scan task failed"),
        }
        tokio::select! {
            _ = tokio::time::sleep(RESCAN) => {}
            _ = stopped.changed() => break,
        }
        if *stopped.borrow() {
            break;
        }
    }
    flag.store(true, Ordering::Relaxed);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn imap_urls() {
        let t = parse_imap_url("imaps://layanan%40kota.go.id:p%40ss:w@mail.kota.go.id/INBOX").expect("parses");
        assert_eq!(
            (t.user.as_str(), t.password.as_str(), t.host.as_str(), t.port, t.tls),
            ("layanan@kota.go.id", "p@ss:w", "mail.kota.go.id", 993, true)
        );
        let t = parse_imap_url("imap://desk:rahasia@127.0.0.1:10143").expect("parses");
        assert_eq!((t.port, t.tls, t.folder.as_str()), (10143, false, "INBOX"));
        assert!(parse_imap_url("pop3://a:b@c").is_err());
        assert!(parse_imap_url("imaps://host").is_err());
        assert!(!format!("{t:?}").contains("rahasia"), "the password is not printed");
    }
}

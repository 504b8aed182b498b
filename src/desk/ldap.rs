//! Sign-in through the Pemda's directory (OpenLDAP or Active Directory). For each sign-in meja
//! opens one connection (StartTLS on `ldap://`, TLS on `ldaps://`; a private CA from
//! `ldap.ca_file`), binds with its own search account, finds the person with the user filter,
//! reads their name, address, NIP and groups, and then binds as the person with the password
//! they typed: the directory alone judges it, and it is never stored. A person the filter no
//! longer finds (removed) or the directory marks disabled (Active Directory's
//! `userAccountControl`, OpenLDAP's `pwdAccountLockedTime`) cannot sign in.

use std::time::Duration;

use ldap3::{ldap_escape, LdapConnAsync, LdapConnSettings, LdapError, Scope, SearchEntry, StdStream};

use super::directory::DirectoryPerson;
use super::{DeskError, DeskResult};
use crate::config::LdapSettings;

/// LDAP result code 49: wrong password (or an unusable account) at bind.
const INVALID_CREDENTIALS: u32 = 49;
/// Active Directory's ACCOUNTDISABLE bit of `userAccountControl`.
const AD_ACCOUNT_DISABLED: u64 = 0x2;

/// Why the directory did not give a person.
#[derive(Debug, PartialEq, Eq)]
pub enum Failure {
    /// No such person under the base (or more than one: a filter that is not unique).
    NotFound,
    WrongPassword,
    Disabled,
    /// The directory cannot be reached or refused meja's own account: the reason, for the log.
    Unavailable(String),
}

pub struct Directory {
    settings: LdapSettings,
    tls: Option<native_tls::TlsConnector>,
}

impl std::fmt::Debug for Directory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Directory").field("url", &self.settings.url).finish_non_exhaustive()
    }
}

fn unavailable(step: &str, e: LdapError) -> Failure {
    Failure::Unavailable(format!("{step}: {e}"))
}

impl Directory {
    /// Checks the settings and reads the CA file once, at start.
    pub fn new(settings: LdapSettings) -> DeskResult<Directory> {
        let tls = match &settings.ca_file {
            Some(path) => {
                let pem = std::fs::read(path)
                    .map_err(|e| DeskError::Internal(format!("ldap.ca_file {}: {e}", path.display())))?;
                let ca = native_tls::Certificate::from_pem(&pem)
                    .map_err(|e| DeskError::Internal(format!("ldap.ca_file {}: {e}", path.display())))?;
                let connector = native_tls::TlsConnector::builder()
                    .add_root_certificate(ca)
                    .build()
                    .map_err(|e| DeskError::Internal(format!("TLS for the directory: {e}")))?;
                Some(connector)
            }
            None => None,
        };
        Ok(Directory { settings, tls })
    }

    /// The person behind `username` and `password`, or why not. Bounded by the configured
    /// timeout as a whole: a directory that hangs is a directory that is down.
    pub async fn authenticate(&self, username: &str, password: &str) -> Result<DirectoryPerson, Failure> {
        // An empty password is an "unauthenticated bind" to LDAP, which succeeds: never try it.
        if password.is_empty() {
            return Err(Failure::WrongPassword);
        }
        let limit = Duration::from_secs(self.settings.timeout_secs.max(1));
        match tokio::time::timeout(limit, self.look_up_and_bind(username, password)).await {
            Ok(result) => result,
            Err(_) => Err(Failure::Unavailable(format!("no answer within {} s", limit.as_secs()))),
        }
    }

    /// The TCP connection, opened here so that Nagle's algorithm is off: ldap3 writes the
    /// TLS handshake's end and the first request back to back, and with it on the request
    /// waited ~40 ms for the directory's delayed ACK on every sign-in.
    async fn connect(&self) -> Result<std::net::TcpStream, Failure> {
        let url = url::Url::parse(&self.settings.url).map_err(|e| Failure::Unavailable(format!("ldap.url: {e}")))?;
        let host = url.host_str().filter(|h| !h.is_empty()).unwrap_or("localhost").to_string();
        let port = url.port().unwrap_or(if url.scheme() == "ldaps" { 636 } else { 389 });
        let stream = tokio::net::TcpStream::connect((host.as_str(), port))
            .await
            .map_err(|e| Failure::Unavailable(format!("connect to {host}:{port}: {e}")))?;
        let nodelay = stream.set_nodelay(true);
        let stream =
            nodelay.and_then(|()| stream.into_std()).map_err(|e| Failure::Unavailable(format!("socket: {e}")))?;
        Ok(stream)
    }

    async fn look_up_and_bind(&self, username: &str, password: &str) -> Result<DirectoryPerson, Failure> {
        let s = &self.settings;
        let mut conn_settings = LdapConnSettings::new()
            .set_conn_timeout(Duration::from_secs(s.timeout_secs.max(1)))
            .set_starttls(s.url.starts_with("ldap://"));
        if let Some(tls) = &self.tls {
            conn_settings = conn_settings.set_connector(tls.clone());
        }
        let stream = self.connect().await?;
        conn_settings = conn_settings.set_std_stream(StdStream::Tcp(stream));
        let (conn, mut ldap) =
            LdapConnAsync::with_settings(conn_settings, &s.url).await.map_err(|e| unavailable("connect", e))?;
        ldap3::drive!(conn);
        ldap.simple_bind(&s.bind_dn, s.bind_password.expose())
            .await
            .and_then(|r| r.success())
            .map_err(|e| unavailable("bind as the search account", e))?;

        let filter = s.user_filter.replace("{username}", &ldap_escape(username));
        let attributes = [
            s.name_attribute.as_str(),
            s.mail_attribute.as_str(),
            s.nip_attribute.as_str(),
            "memberOf",
            "userAccountControl",
            "pwdAccountLockedTime",
        ];
        let (entries, _) = ldap
            .search(&s.base_dn, Scope::Subtree, &filter, attributes.to_vec())
            .await
            .and_then(|r| r.success())
            .map_err(|e| unavailable("search for the person", e))?;
        if entries.len() != 1 {
            if entries.len() > 1 {
                tracing::warn!(username, found = entries.len(), "ldap.user_filter finds more than one entry");
            }
            let _ = ldap.unbind().await;
            return Err(Failure::NotFound);
        }
        let entry = SearchEntry::construct(entries.into_iter().next().expect("one entry"));
        let first = |attribute: &str| entry.attrs.get(attribute).and_then(|values| values.first()).cloned();
        let ad_disabled = first("userAccountControl")
            .and_then(|v| v.parse::<u64>().ok())
            .is_some_and(|flags| flags & AD_ACCOUNT_DISABLED != 0);
        if ad_disabled || first("pwdAccountLockedTime").is_some() {
            let _ = ldap.unbind().await;
            return Err(Failure::Disabled);
        }

        let mut groups: Vec<String> = entry.attrs.get("memberOf").cloned().unwrap_or_default();
        let group_filter =
            s.group_filter.replace("{dn}", &ldap_escape(&entry.dn)).replace("{username}", &ldap_escape(username));
        let (group_entries, _) = ldap
            .search(&s.base_dn, Scope::Subtree, &group_filter, vec!["1.1"])
            .await
            .and_then(|r| r.success())
            .map_err(|e| unavailable("search for the person's groups", e))?;
        groups.extend(group_entries.into_iter().map(|g| SearchEntry::construct(g).dn));

        let person_bind =
            ldap.simple_bind(&entry.dn, password).await.map_err(|e| unavailable("bind as the person", e))?;
        let _ = ldap.unbind().await;
        match person_bind.rc {
            0 => {}
            INVALID_CREDENTIALS => return Err(Failure::WrongPassword),
            rc => {
                return Err(Failure::Unavailable(format!("bind as the person: result code {rc} {}", person_bind.text)))
            }
        }
        Ok(DirectoryPerson {
            username: username.to_string(),
            name: first(&s.name_attribute).unwrap_or_default(),
            email: first(&s.mail_attribute),
            nip: first(&s.nip_attribute),
            groups,
            source: "ldap",
        })
    }
}

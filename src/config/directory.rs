//! Settings of sign-in through the Pemda's directory (LDAP / Active Directory) and single
//! sign-on (OpenID Connect): `[ldap]` and `[oidc]` in `meja.toml`, or `MEJA_LDAP_*` and
//! `MEJA_OIDC_*`.

use std::path::PathBuf;

use serde::Deserialize;

use super::{ConfigError, Secret, Settings};

/// `MEJA_LDAP_*`: where the directory is, the account meja searches it with, and which
/// attributes hold a person's name, address and NIP.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LdapSettings {
    /// `ldap://host:389` (always upgraded with StartTLS) or `ldaps://host:636`.
    pub url: String,
    pub bind_dn: String,
    pub bind_password: Secret,
    pub base_dn: String,
    /// `{username}` is replaced (escaped): `(uid={username})`, `(sAMAccountName={username})`.
    #[serde(default = "LdapSettings::default_user_filter")]
    pub user_filter: String,
    /// Groups a person is in, besides a `memberOf` attribute: `{dn}` and `{username}` replaced.
    #[serde(default = "LdapSettings::default_group_filter")]
    pub group_filter: String,
    /// A PEM file with the CA of a directory whose certificate a private CA signed.
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    #[serde(default = "LdapSettings::default_name_attribute")]
    pub name_attribute: String,
    #[serde(default = "LdapSettings::default_mail_attribute")]
    pub mail_attribute: String,
    #[serde(default = "LdapSettings::default_nip_attribute")]
    pub nip_attribute: String,
    /// Seconds to wait for the directory before telling its people it cannot be reached.
    #[serde(default = "LdapSettings::default_timeout")]
    pub timeout_secs: u64,
}

impl LdapSettings {
    fn default_user_filter() -> String {
        "(uid={username})".into()
    }
    fn default_group_filter() -> String {
        "(|(member={dn})(uniqueMember={dn})(memberUid={username}))".into()
    }
    fn default_name_attribute() -> String {
        "cn".into()
    }
    fn default_mail_attribute() -> String {
        "mail".into()
    }
    fn default_nip_attribute() -> String {
        "employeeNumber".into()
    }
    fn default_timeout() -> u64 {
        5
    }
}

/// `MEJA_OIDC_*`: the provider (found by discovery from its issuer) and meja's client there.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OidcSettings {
    pub issuer: String,
    pub client_id: String,
    pub client_secret: Secret,
    /// The claim that lists a person's groups (`groups` by default).
    #[serde(default = "OidcSettings::default_groups_claim")]
    pub groups_claim: String,
}

impl OidcSettings {
    fn default_groups_claim() -> String {
        "groups".into()
    }
}

/// Reads `MEJA_LDAP_*` and `MEJA_OIDC_*`. A URL (an issuer) turns the method on; the rest is
/// then required, and a partial setting is an error rather than a directory silently unused.
pub(super) fn apply_env(settings: &mut Settings, env: &impl Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
    let required = |name: &'static str| env(name).ok_or(ConfigError::Env { name, detail: "is required".into() });
    if let Some(url) = env("MEJA_LDAP_URL") {
        settings.ldap = Some(LdapSettings {
            url,
            bind_dn: required("MEJA_LDAP_BIND_DN")?,
            bind_password: Secret::new(required("MEJA_LDAP_BIND_PASSWORD")?),
            base_dn: required("MEJA_LDAP_BASE_DN")?,
            user_filter: env("MEJA_LDAP_USER_FILTER").unwrap_or_else(LdapSettings::default_user_filter),
            group_filter: env("MEJA_LDAP_GROUP_FILTER").unwrap_or_else(LdapSettings::default_group_filter),
            ca_file: env("MEJA_LDAP_CA_FILE").map(PathBuf::from),
            name_attribute: env("MEJA_LDAP_NAME_ATTRIBUTE").unwrap_or_else(LdapSettings::default_name_attribute),
            mail_attribute: env("MEJA_LDAP_MAIL_ATTRIBUTE").unwrap_or_else(LdapSettings::default_mail_attribute),
            nip_attribute: env("MEJA_LDAP_NIP_ATTRIBUTE").unwrap_or_else(LdapSettings::default_nip_attribute),
            timeout_secs: match env("MEJA_LDAP_TIMEOUT_SECS") {
                Some(v) => v.parse().map_err(|_| ConfigError::Env {
                    name: "MEJA_LDAP_TIMEOUT_SECS",
                    detail: format!("{v:?} is not a number"),
                })?,
                None => LdapSettings::default_timeout(),
            },
        });
    }
    if let Some(ldap) = &settings.ldap {
        if !(ldap.url.starts_with("ldap://") || ldap.url.starts_with("ldaps://")) {
            return Err(ConfigError::Env { name: "ldap.url", detail: "must start with ldap:// or ldaps://".into() });
        }
        if !ldap.user_filter.contains("{username}") {
            return Err(ConfigError::Env { name: "ldap.user_filter", detail: "must contain {username}".into() });
        }
    }
    if let Some(issuer) = env("MEJA_OIDC_ISSUER") {
        settings.oidc = Some(OidcSettings {
            issuer,
            client_id: required("MEJA_OIDC_CLIENT_ID")?,
            client_secret: Secret::new(required("MEJA_OIDC_CLIENT_SECRET")?),
            groups_claim: env("MEJA_OIDC_GROUPS_CLAIM").unwrap_or_else(OidcSettings::default_groups_claim),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ldap_from_env_needs_every_part_and_keeps_its_password_hidden() {
        let vars = |name: &str| -> Option<String> {
            match name {
                "MEJA_LDAP_URL" => Some("ldap://127.0.0.1:389".into()),
                "MEJA_LDAP_BIND_DN" => Some("cn=meja,dc=kota,dc=test".into()),
                "MEJA_LDAP_BIND_PASSWORD" => Some("sangat-rahasia".into()),
                "MEJA_LDAP_BASE_DN" => Some("dc=kota,dc=test".into()),
                _ => None,
            }
        };
        let mut s = Settings::default();
        s.apply_env(vars).expect("valid");
        let ldap = s.ldap.as_ref().expect("on");
        assert_eq!(ldap.user_filter, "(uid={username})");
        assert_eq!(ldap.nip_attribute, "employeeNumber");
        assert!(!format!("{s:?}").contains("sangat-rahasia"));
        let mut partial = Settings::default();
        let err = partial.apply_env(|n| (n == "MEJA_LDAP_URL").then(|| "ldap://x".into())).expect_err("partial");
        assert!(err.to_string().contains("MEJA_LDAP_BIND_DN"), "{err}");
    }
}

//! Settings of the WhatsApp channel (Meta's WhatsApp Business Cloud API): `[whatsapp]` in
//! `meja.toml`, or `MEJA_WHATSAPP_*`.

use serde::Deserialize;

use super::{ConfigError, Secret};

/// A pre-approved template message: its name and language as registered with Meta.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Template {
    pub name: String,
    #[serde(default = "Template::default_language")]
    pub language: String,
}

impl Template {
    fn default_language() -> String {
        "id".into()
    }
}

/// The notices that may go outside the 24-hour window, each as its own template: received
/// (number, title), reply (number), status (number, status), resolved (number; the rating).
pub const TEMPLATE_NOTICES: [&str; 4] = ["received", "reply", "status", "resolved"];

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WhatsAppSettings {
    /// The access token (a system user's permanent token); the channel runs when it is set.
    pub token: Option<Secret>,
    pub phone_number_id: String,
    /// The app secret: every webhook POST is signed with it (`X-Hub-Signature-256`).
    pub app_secret: Option<Secret>,
    /// What Meta echoes in the verification handshake (`hub.verify_token`).
    pub verify_token: Option<Secret>,
    /// Meta's Graph API by default; the tests point it to a local fake.
    pub api_url: String,
    pub api_version: String,
    /// Template per notice (`received`, `reply`, `status`, `resolved`).
    pub templates: std::collections::BTreeMap<String, Template>,
    /// Largest photo, document or voice note taken from a chat (Meta allows 100 MB documents).
    pub max_file_bytes: u64,
    /// Messages one contact may send per minute before the desk stops answering it for a while.
    pub messages_per_minute: u32,
}

impl Default for WhatsAppSettings {
    fn default() -> Self {
        WhatsAppSettings {
            token: None,
            phone_number_id: String::new(),
            app_secret: None,
            verify_token: None,
            api_url: "https://graph.facebook.com".into(),
            api_version: "v21.0".into(),
            templates: Default::default(),
            max_file_bytes: 16 * 1024 * 1024,
            messages_per_minute: 30,
        }
    }
}

impl WhatsAppSettings {
    /// `MEJA_WHATSAPP_TEMPLATES="received=meja_diterima:id,reply=meja_balasan:id,…"`.
    fn parse_templates(text: &str) -> Result<std::collections::BTreeMap<String, Template>, ConfigError> {
        let bad = |detail: String| ConfigError::Env { name: "MEJA_WHATSAPP_TEMPLATES", detail };
        let mut templates = std::collections::BTreeMap::new();
        for item in text.split(',').map(str::trim).filter(|i| !i.is_empty()) {
            let (notice, template) =
                item.split_once('=').ok_or_else(|| bad(format!("{item:?} is not notice=name[:language]")))?;
            let notice = notice.trim();
            if !TEMPLATE_NOTICES.contains(&notice) {
                return Err(bad(format!("{notice:?} is not one of {}", TEMPLATE_NOTICES.join(", "))));
            }
            let (name, language) = template.split_once(':').unwrap_or((template, "id"));
            if name.trim().is_empty() {
                return Err(bad(format!("{item:?} names no template")));
            }
            templates.insert(
                notice.to_string(),
                Template { name: name.trim().to_string(), language: language.trim().to_string() },
            );
        }
        Ok(templates)
    }

    pub fn apply_env(&mut self, env: &impl Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
        if let Some(v) = env("MEJA_WHATSAPP_TOKEN") {
            self.token = Some(Secret::new(v));
        }
        if let Some(v) = env("MEJA_WHATSAPP_PHONE_NUMBER_ID") {
            self.phone_number_id = v;
        }
        if let Some(v) = env("MEJA_WHATSAPP_APP_SECRET") {
            self.app_secret = Some(Secret::new(v));
        }
        if let Some(v) = env("MEJA_WHATSAPP_VERIFY_TOKEN") {
            self.verify_token = Some(Secret::new(v));
        }
        if let Some(v) = env("MEJA_WHATSAPP_API_URL") {
            self.api_url = v;
        }
        if let Some(v) = env("MEJA_WHATSAPP_API_VERSION") {
            self.api_version = v;
        }
        if let Some(v) = env("MEJA_WHATSAPP_TEMPLATES") {
            self.templates = Self::parse_templates(&v)?;
        }
        if let Some(v) = env("MEJA_WHATSAPP_MAX_FILE_BYTES") {
            self.max_file_bytes = v.parse().map_err(|_| ConfigError::Env {
                name: "MEJA_WHATSAPP_MAX_FILE_BYTES",
                detail: format!("{v:?} is not a number"),
            })?;
        }
        if let Some(v) = env("MEJA_WHATSAPP_MESSAGES_PER_MINUTE") {
            self.messages_per_minute = v.parse().map_err(|_| ConfigError::Env {
                name: "MEJA_WHATSAPP_MESSAGES_PER_MINUTE",
                detail: format!("{v:?} is not a number"),
            })?;
        }
        if self.token.is_some() {
            let missing =
                |name: &'static str| ConfigError::Env { name, detail: "is required with MEJA_WHATSAPP_TOKEN".into() };
            if self.phone_number_id.trim().is_empty() {
                return Err(missing("MEJA_WHATSAPP_PHONE_NUMBER_ID"));
            }
            // Without the app secret no webhook could be trusted: refuse to start half-configured.
            let blank = |s: &Option<Secret>| s.as_ref().is_none_or(|s| s.expose().trim().is_empty());
            if blank(&self.app_secret) {
                return Err(missing("MEJA_WHATSAPP_APP_SECRET"));
            }
            if blank(&self.verify_token) {
                return Err(missing("MEJA_WHATSAPP_VERIFY_TOKEN"));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_and_required_settings() {
        let parsed =
            WhatsAppSettings::parse_templates("received=meja_diterima:id, resolved=meja_selesai").expect("parses");
        assert_eq!(parsed["resolved"], Template { name: "meja_selesai".into(), language: "id".into() });
        assert!(WhatsAppSettings::parse_templates("kabar=x").is_err());
        let mut half = WhatsAppSettings::default();
        let env = |name: &str| (name == "MEJA_WHATSAPP_TOKEN").then(|| "EAAB".to_string());
        assert!(half.apply_env(&env).is_err(), "a token without the phone number id, app secret and verify token");
    }
}

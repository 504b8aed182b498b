//! Single sign-on through the Pemda's OpenID Connect provider: the authorization code flow with
//! PKCE (S256), `state` and `nonce`. The provider is found by discovery from its issuer (kept
//! ten minutes, so a rotated signing key is picked up); the ID token's signature is checked
//! against the provider's published keys and its issuer, audience, expiry and nonce by the
//! `openidconnect` crate. What a sign-on must find again at the callback (nonce, PKCE verifier,
//! where to go next) is kept in the database under the SHA-256 of its state, single use, ten
//! minutes; the browser also holds the state in a cookie, so a callback link cannot be replayed
//! into another person's browser (login CSRF). Claims (`preferred_username`, `email`, `name` and
//! the groups claim) are mapped to role and unit like the directory's.

use std::collections::HashMap;
use std::sync::RwLock;
use std::time::{Duration, Instant};

use openidconnect::core::{
    CoreAuthDisplay, CoreAuthPrompt, CoreAuthenticationFlow, CoreClaimName, CoreClaimType, CoreClientAuthMethod,
    CoreErrorResponseType, CoreGenderClaim, CoreGrantType, CoreJsonWebKey, CoreJweContentEncryptionAlgorithm,
    CoreJweKeyManagementAlgorithm, CoreJwsSigningAlgorithm, CoreResponseMode, CoreResponseType, CoreRevocableToken,
    CoreRevocationErrorResponse, CoreSubjectIdentifierType, CoreTokenIntrospectionResponse, CoreTokenType,
};
use openidconnect::{
    reqwest, AdditionalClaims, AdditionalProviderMetadata, AuthorizationCode, Client, ClientId, ClientSecret,
    CsrfToken, EmptyExtraTokenFields, EndpointMaybeSet, EndpointNotSet, EndpointSet, IdTokenFields, IssuerUrl, Nonce,
    OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier, ProviderMetadata, RedirectUrl, Scope,
    StandardErrorResponse, StandardTokenResponse, TokenResponse, UserInfoClaims,
};
use serde::{Deserialize, Serialize};

use super::auth::sha256_hex;
use super::directory::DirectoryPerson;
use super::error::with_causes;
use super::{Desk, DeskError, DeskResult};
use crate::config::OidcSettings;
use crate::db::directory::{self as db, OidcLoginRow};

/// How long a sign-on may take from meja to the provider and back.
pub const LOGIN_LIFETIME: chrono::Duration = chrono::Duration::minutes(10);
/// How long discovery (and the provider's keys) is kept before it is fetched again.
const DISCOVERY_LIFETIME: Duration = Duration::from_secs(600);
const HTTP_TIMEOUT: Duration = Duration::from_secs(10);

/// Claims besides the standard ones: the groups claim has the name the settings give it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ExtraClaims {
    #[serde(flatten)]
    other: HashMap<String, serde_json::Value>,
}
impl AdditionalClaims for ExtraClaims {}

/// The provider's sign-out address (OpenID Connect RP-Initiated Logout), when it has one.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct LogoutMetadata {
    #[serde(default)]
    end_session_endpoint: Option<String>,
}
impl AdditionalProviderMetadata for LogoutMetadata {}

type Metadata = ProviderMetadata<
    LogoutMetadata,
    CoreAuthDisplay,
    CoreClientAuthMethod,
    CoreClaimName,
    CoreClaimType,
    CoreGrantType,
    CoreJweContentEncryptionAlgorithm,
    CoreJweKeyManagementAlgorithm,
    CoreJsonWebKey,
    CoreResponseMode,
    CoreResponseType,
    CoreSubjectIdentifierType,
>;
type TokenFields = IdTokenFields<
    ExtraClaims,
    EmptyExtraTokenFields,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJwsSigningAlgorithm,
>;
type SsoClient = Client<
    ExtraClaims,
    CoreAuthDisplay,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJsonWebKey,
    CoreAuthPrompt,
    StandardErrorResponse<CoreErrorResponseType>,
    StandardTokenResponse<TokenFields, CoreTokenType>,
    CoreTokenIntrospectionResponse,
    CoreRevocableToken,
    CoreRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

struct Discovered {
    client: SsoClient,
    end_session: Option<String>,
    at: Instant,
}

pub struct Sso {
    settings: OidcSettings,
    redirect: RedirectUrl,
    http: reqwest::Client,
    discovered: RwLock<Option<std::sync::Arc<Discovered>>>,
}

impl std::fmt::Debug for Sso {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sso").field("issuer", &self.settings.issuer).finish_non_exhaustive()
    }
}

fn unavailable(what: &str, e: impl std::error::Error) -> DeskError {
    tracing::warn!(error = %with_causes(&e), "single sign-on: {what}");
    DeskError::DirectoryUnavailable(format!("the sign-on provider cannot be reached ({what}); try again shortly"))
}

/// A refusal of the callback: something about it is wrong, and it is logged as such.
fn refused(detail: impl Into<String>) -> DeskError {
    DeskError::Unauthorized(detail.into())
}

/// A sign-on begun: where to send the browser, and the state its cookie keeps.
pub struct Begun {
    pub authorize_url: String,
    pub state: String,
}

/// A sign-on finished: the person, and where they were going.
pub struct Finished {
    pub person: DirectoryPerson,
    pub next: Option<String>,
}

impl Sso {
    /// `public_url` is the desk's address: the callback is `{public_url}/masuk/sso/callback`.
    pub fn new(settings: OidcSettings, public_url: &str) -> DeskResult<Sso> {
        let redirect = RedirectUrl::new(format!("{}/masuk/sso/callback", public_url.trim_end_matches('/')))
            .map_err(|e| DeskError::Internal(format!("public_url: {e}")))?;
        IssuerUrl::new(settings.issuer.clone()).map_err(|e| DeskError::Internal(format!("oidc.issuer: {e}")))?;
        let http = reqwest::ClientBuilder::new()
            // The token endpoint must answer itself: a redirect there is an attack (SSRF).
            .redirect(reqwest::redirect::Policy::none())
            .timeout(HTTP_TIMEOUT)
            // No pooled connections: each web worker has its own runtime, and a connection made
            // on one cannot carry a request made on another ("error sending request").
            .pool_max_idle_per_host(0)
            .build()
            .map_err(|e| DeskError::Internal(format!("HTTP client: {e}")))?;
        Ok(Sso { settings, redirect, http, discovered: RwLock::new(None) })
    }

    async fn provider(&self) -> DeskResult<std::sync::Arc<Discovered>> {
        let cached = self.discovered.read().ok().and_then(|d| d.clone());
        if let Some(d) = cached.filter(|d| d.at.elapsed() < DISCOVERY_LIFETIME) {
            return Ok(d);
        }
        let issuer = IssuerUrl::new(self.settings.issuer.clone()).map_err(|e| DeskError::Internal(e.to_string()))?;
        let metadata = Metadata::discover_async(issuer, &self.http).await.map_err(|e| unavailable("discovery", e))?;
        let end_session = metadata.additional_metadata().end_session_endpoint.clone();
        let client = SsoClient::from_provider_metadata(
            metadata,
            ClientId::new(self.settings.client_id.clone()),
            Some(ClientSecret::new(self.settings.client_secret.expose().to_string())),
        )
        .set_redirect_uri(self.redirect.clone());
        let discovered = std::sync::Arc::new(Discovered { client, end_session, at: Instant::now() });
        if let Ok(mut slot) = self.discovered.write() {
            *slot = Some(discovered.clone());
        }
        Ok(discovered)
    }

    /// Starts a sign-on: a fresh state, nonce and PKCE pair, kept for the callback.
    pub async fn begin(&self, desk: &Desk, next: Option<String>) -> DeskResult<Begun> {
        let provider = self.provider().await?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (url, state, nonce) = provider
            .client
            .authorize_url(CoreAuthenticationFlow::AuthorizationCode, CsrfToken::new_random, Nonce::new_random)
            .add_scope(Scope::new("profile".into()))
            .add_scope(Scope::new("email".into()))
            .add_scope(Scope::new(self.settings.groups_claim.clone()))
            .set_pkce_challenge(challenge)
            .url();
        let row = OidcLoginRow {
            state_hash: sha256_hex(state.secret()),
            nonce: nonce.secret().clone(),
            pkce_verifier: verifier.secret().clone(),
            next_path: next,
            created_at: desk.now().naive_utc(),
        };
        desk.writer
            .write(move |tx| {
                db::prune_oidc_logins(tx.conn, tx.now.naive_utc() - LOGIN_LIFETIME)?;
                Ok(db::insert_oidc_login(tx.conn, &row)?)
            })
            .await?;
        Ok(Begun { authorize_url: url.to_string(), state: state.secret().clone() })
    }

    /// Finishes a sign-on at the callback: the state must be the one this browser began with,
    /// unused and fresh; the code is exchanged with the PKCE verifier; the ID token is checked.
    pub async fn finish(
        &self,
        desk: &Desk,
        state: &str,
        browser_state: Option<&str>,
        code: &str,
    ) -> DeskResult<Finished> {
        if browser_state != Some(state) {
            return Err(refused("state does not match the sign-on this browser began"));
        }
        let state_hash = sha256_hex(state);
        let login = desk.writer.write(move |tx| Ok(db::take_oidc_login(tx.conn, &state_hash)?)).await?;
        let login = login.ok_or_else(|| refused("unknown or already used state"))?;
        if desk.now().naive_utc() - login.created_at > LOGIN_LIFETIME {
            return Err(refused("the sign-on took longer than ten minutes"));
        }
        let provider = self.provider().await?;
        let request = provider
            .client
            .exchange_code(AuthorizationCode::new(code.to_string()))
            .map_err(|e| unavailable("no token endpoint", e))?
            .set_pkce_verifier(PkceCodeVerifier::new(login.pkce_verifier.clone()));
        let tokens = request.request_async(&self.http).await.map_err(|e| {
            let why = with_causes(&e);
            tracing::warn!(error = %why, "single sign-on: code exchange refused");
            refused(format!("the provider refused the code: {why}"))
        })?;
        let id_token = tokens.id_token().ok_or_else(|| refused("the provider sent no ID token"))?;
        let verifier = provider.client.id_token_verifier();
        let claims = id_token
            .claims(&verifier, &Nonce::new(login.nonce.clone()))
            .map_err(|e| refused(format!("ID token refused: {}", with_causes(&e))))?
            .clone();
        let username = claims
            .preferred_username()
            .map(|u| u.as_str().to_lowercase())
            .ok_or_else(|| refused("the ID token has no preferred_username"))?;
        let mut groups = groups_of(claims.additional_claims(), &self.settings.groups_claim);
        if groups.is_none() {
            // Some providers keep groups out of the ID token and give them at the userinfo endpoint.
            if let Ok(request) =
                provider.client.user_info(tokens.access_token().clone(), Some(claims.subject().clone()))
            {
                let info: Result<UserInfoClaims<ExtraClaims, CoreGenderClaim>, _> =
                    request.request_async(&self.http).await;
                match info {
                    Ok(info) => groups = groups_of(info.additional_claims(), &self.settings.groups_claim),
                    Err(e) => tracing::warn!(error = %e, "single sign-on: userinfo unavailable"),
                }
            }
        }
        let person = DirectoryPerson {
            username,
            name: claims.name().and_then(|n| n.get(None)).map(|n| n.as_str().to_string()).unwrap_or_default(),
            email: claims.email().map(|e| e.as_str().to_string()),
            nip: None,
            groups: groups.unwrap_or_default(),
            source: "oidc",
        };
        Ok(Finished { person, next: login.next_path })
    }

    /// Where the browser goes to sign out at the provider too, if it says: back to `/masuk`.
    pub async fn logout_url(&self, public_url: &str) -> Option<String> {
        let provider = self.provider().await.ok()?;
        let end = provider.end_session.as_ref()?;
        let mut url = url::Url::parse(end).ok()?;
        url.query_pairs_mut()
            .append_pair("client_id", &self.settings.client_id)
            .append_pair("post_logout_redirect_uri", &format!("{}/masuk", public_url.trim_end_matches('/')));
        Some(url.to_string())
    }
}

/// The groups a claim lists: an array of strings, or one string.
fn groups_of(claims: &ExtraClaims, name: &str) -> Option<Vec<String>> {
    match claims.other.get(name)? {
        serde_json::Value::Array(items) => Some(items.iter().filter_map(|v| v.as_str().map(str::to_string)).collect()),
        serde_json::Value::String(one) => Some(vec![one.clone()]),
        _ => None,
    }
}

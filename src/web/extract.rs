//! Request extractors: JSON bodies that name the field at fault, and bearer-token users.

use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::{header, StatusCode};
use actix_web::{web, FromRequest, HttpRequest};
use serde::de::DeserializeOwned;

use super::errors::ApiError;
use crate::desk::{auth, Desk};
use crate::domain::role::Actor;

/// Parses a JSON body into `T`. Errors say which field is wrong (`requester.email: invalid
/// type ...`), refuse invalid UTF-8 and oversized bodies, and never reach a handler.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    if std::str::from_utf8(bytes).is_err() {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_utf8",
            "The request body is not UTF-8",
            "the body must be UTF-8 encoded JSON",
        ));
    }
    let body = if bytes.iter().all(u8::is_ascii_whitespace) { b"{}".as_slice() } else { bytes };
    let mut de = serde_json::Deserializer::from_slice(body);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let message = inner.to_string();
        if inner.is_syntax() || inner.is_eof() {
            return ApiError::malformed(format!("malformed JSON: {message}"));
        }
        // serde reports a missing field at its parent; name the field itself. (An unknown
        // field's path already ends with its name.)
        let missing = message.strip_prefix("missing field `").and_then(|m| m.split('`').next());
        let field = match missing {
            Some(name) if path == "." => name.to_string(),
            Some(name) => format!("{path}.{name}"),
            None if path == "." => "body".to_string(),
            None => path,
        };
        let detail = message.split(" at line ").next().unwrap_or(&message).to_string();
        ApiError::bad_field(StatusCode::BAD_REQUEST, field, detail)
    })?;
    de.end().map_err(|e| ApiError::malformed(format!("trailing characters after JSON: {e}")))?;
    Ok(value)
}

pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for ApiJson<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let bytes = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            let bytes = bytes.await.map_err(body_error)?;
            parse_json(&bytes).map(ApiJson)
        })
    }
}

/// The raw body, with the same limit and errors as `ApiJson`.
pub struct RawBody(pub web::Bytes);

impl FromRequest for RawBody {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let bytes = web::Bytes::from_request(req, payload);
        Box::pin(async move { bytes.await.map(RawBody).map_err(body_error) })
    }
}

fn body_error(e: actix_web::Error) -> ApiError {
    if e.as_response_error().status_code() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "body_too_large", "The request body is too large", e.to_string())
    } else {
        ApiError::malformed(format!("cannot read the body: {e}"))
    }
}

/// The signed-in user behind `Authorization: Bearer …`.
pub struct Authenticated {
    pub actor: Actor,
    pub token_id: String,
}

impl FromRequest for Authenticated {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let desk = req.app_data::<web::Data<Desk>>().cloned();
        let token = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
            .map(|t| t.trim().to_string());
        Box::pin(async move {
            let desk = desk.ok_or_else(|| ApiError::unauthorized("no desk"))?;
            let token = token.ok_or_else(|| {
                ApiError::unauthorized("send Authorization: Bearer <token>; get one from POST /api/v1/auth/token")
            })?;
            let found = desk.token_checks.check(&token).await?;
            let (actor, token_id) =
                found.ok_or_else(|| ApiError::unauthorized("the token is unknown, expired or revoked"))?;
            auth::note_use(&desk, &token_id);
            Ok(Authenticated { actor, token_id })
        })
    }
}

/// The reverse proxies whose `X-Forwarded-For` is believed (settings: `trusted_proxies`).
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(pub Vec<IpAddr>);

impl TrustedProxies {
    pub fn from_settings(settings: &crate::config::Settings) -> TrustedProxies {
        TrustedProxies(settings.trusted_proxies.iter().filter_map(|a| a.parse().ok()).collect())
    }
}

/// The client's address, for the abuse limits: the peer address, not a forwarded header that
/// any client could set — unless the peer is one of the configured reverse proxies. Then it is
/// the right-most address of `X-Forwarded-For` that is not a trusted proxy itself: the client as
/// our proxy saw it (entries further left were written by the client and prove nothing).
pub fn client_address(req: &HttpRequest) -> String {
    let Some(peer) = req.peer_addr().map(|a| a.ip()) else { return "unknown".into() };
    let trusted = req.app_data::<web::Data<TrustedProxies>>().map(|t| t.0.as_slice()).unwrap_or_default();
    if !trusted.contains(&peer) {
        return peer.to_string();
    }
    let forwarded: Vec<&str> = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    for entry in forwarded.iter().rev() {
        match entry.parse::<IpAddr>() {
            Ok(ip) if trusted.contains(&ip) => continue,
            Ok(ip) => return ip.to_string(),
            Err(_) => break,
        }
    }
    peer.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Inner {
        name: String,
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Outer {
        title: String,
        requester: Inner,
    }

    #[test]
    fn forwarded_addresses_count_only_from_trusted_proxies() {
        use actix_web::test::TestRequest;
        let proxy: std::net::SocketAddr = "127.0.0.1:50000".parse().expect("addr");
        let request = |peer: std::net::SocketAddr, forwarded: Option<&str>, trusted: &[&str]| {
            let mut r = TestRequest::default()
                .peer_addr(peer)
                .app_data(web::Data::new(TrustedProxies(trusted.iter().map(|a| a.parse().expect("ip")).collect())));
            if let Some(f) = forwarded {
                r = r.insert_header(("X-Forwarded-For", f));
            }
            client_address(&r.to_http_request())
        };
        // Nothing trusted: the header is anybody's say-so.
        assert_eq!(request(proxy, Some("203.0.113.7"), &[]), "127.0.0.1");
        // From the trusted proxy: the address it appended, not what the client wrote before it.
        assert_eq!(request(proxy, Some("203.0.113.7"), &["127.0.0.1"]), "203.0.113.7");
        assert_eq!(request(proxy, Some("10.9.9.9, 203.0.113.7"), &["127.0.0.1"]), "203.0.113.7");
        // Through two proxies of ours.
        assert_eq!(request(proxy, Some("203.0.113.7, 10.0.0.2"), &["127.0.0.1", "10.0.0.2"]), "203.0.113.7");
        // A trusted proxy that sent no (or a garbled) header: the proxy itself.
        assert_eq!(request(proxy, None, &["127.0.0.1"]), "127.0.0.1");
        assert_eq!(request(proxy, Some("bukan-alamat"), &["127.0.0.1"]), "127.0.0.1");
        // Another peer sending the header is not believed.
        let other: std::net::SocketAddr = "198.51.100.4:40000".parse().expect("addr");
        assert_eq!(request(other, Some("203.0.113.7"), &["127.0.0.1"]), "198.51.100.4");
    }

    #[test]
    fn errors_name_the_field() {
        let e = parse_json::<Outer>(br#"{"title": 5}"#).expect_err("wrong type");
        assert_eq!(e.field.as_deref(), Some("title"));
        let e = parse_json::<Outer>(br#"{"title": "x"}"#).expect_err("missing");
        assert_eq!(e.field.as_deref(), Some("requester"));
        let e = parse_json::<Outer>(br#"{"title": "x", "requester": {}}"#).expect_err("missing nested");
        assert_eq!(e.field.as_deref(), Some("requester.name"));
        let e = parse_json::<Outer>(b"{\"title\": \"\xff\"}").expect_err("utf8");
        assert_eq!(e.code, "invalid_utf8");
        let e = parse_json::<Outer>(br#"{"title": "#).expect_err("syntax");
        assert_eq!(e.code, "malformed_body");
    }
}

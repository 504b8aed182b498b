//! Every error leaves as `application/problem+json` (RFC 9457) with a stable `type` and
//! `code`, the field at fault where there is one, and no internals.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use serde_json::json;

use crate::desk::DeskError;

pub const PROBLEM_JSON: &str = "application/problem+json";

/// Boxed so that `Result<_, ApiError>` stays small on the happy path.
#[derive(Debug)]
pub struct ApiError(pub Box<Problem>);

impl std::ops::Deref for ApiError {
    type Target = Problem;
    fn deref(&self) -> &Problem {
        &self.0
    }
}

impl From<Problem> for ApiError {
    fn from(p: Problem) -> Self {
        ApiError(Box::new(p))
    }
}

#[derive(Debug)]
pub struct Problem {
    pub status: StatusCode,
    pub code: &'static str,
    pub title: &'static str,
    pub detail: String,
    pub field: Option<String>,
    pub allowed_actions: Option<Vec<String>>,
    pub retry_after_secs: Option<u64>,
}

impl Problem {
    /// The problem document (RFC 9457): what an error answers, and what a bulk call reports
    /// for each ticket it could not change.
    pub fn body(&self) -> serde_json::Value {
        let mut body = json!({
            "type": format!("urn:meja:problem:{}", self.code),
            "title": self.title,
            "status": self.status.as_u16(),
            "detail": self.detail,
            "code": self.code,
        });
        if let Some(field) = &self.field {
            body["field"] = json!(field);
        }
        if let Some(allowed) = &self.allowed_actions {
            body["allowed_actions"] = json!(allowed);
        }
        body
    }
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, title: &'static str, detail: impl Into<String>) -> Self {
        Problem {
            status,
            code,
            title,
            detail: detail.into(),
            field: None,
            allowed_actions: None,
            retry_after_secs: None,
        }
        .into()
    }

    pub fn bad_field(status: StatusCode, field: impl Into<String>, detail: impl Into<String>) -> Self {
        let field = field.into();
        let detail = detail.into();
        let mut problem = ApiError::new(status, "invalid_field", "A field is invalid", format!("{field}: {detail}"));
        problem.0.field = Some(field);
        problem
    }

    pub fn malformed(detail: impl Into<String>) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, "malformed_body", "The request body is not valid JSON", detail)
    }

    pub fn not_found(detail: impl Into<String>) -> Self {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", "Not found", detail)
    }

    pub fn unauthorized(detail: impl Into<String>) -> Self {
        ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", "Authentication required", detail)
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({}): {}", self.status, self.code, self.detail)
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let body = self.body();
        let mut response = HttpResponse::build(self.status);
        response.insert_header((header::CONTENT_TYPE, PROBLEM_JSON));
        if let Some(secs) = self.retry_after_secs {
            response.insert_header((header::RETRY_AFTER, secs.to_string()));
        }
        if self.status == StatusCode::UNAUTHORIZED {
            response.insert_header((header::WWW_AUTHENTICATE, "Bearer realm=\"meja\""));
        }
        response.body(body.to_string())
    }
}

impl ApiError {
    fn with_allowed(mut self, allowed: Option<Vec<String>>) -> Self {
        self.0.allowed_actions = allowed;
        self
    }

    fn with_retry_after(mut self, secs: u64) -> Self {
        self.0.retry_after_secs = Some(secs);
        self
    }
}

impl From<DeskError> for ApiError {
    fn from(e: DeskError) -> Self {
        match e {
            DeskError::Invalid { field, detail } => {
                ApiError::bad_field(StatusCode::UNPROCESSABLE_ENTITY, field, detail)
            }
            DeskError::NotFound { what, key } => ApiError::not_found(format!("{what} {key} not found")),
            DeskError::Conflict { code, detail, allowed } => {
                ApiError::new(StatusCode::CONFLICT, code, "The current state does not allow this", detail)
                    .with_allowed(allowed)
            }
            DeskError::Forbidden(detail) => {
                ApiError::new(StatusCode::FORBIDDEN, "forbidden", "Not allowed for your role", detail)
            }
            DeskError::Refused { code, detail } => {
                ApiError::new(StatusCode::FORBIDDEN, code, "Not allowed until this is done", detail)
            }
            DeskError::Unauthorized(detail) => ApiError::unauthorized(detail),
            DeskError::SecondFactorRequired(detail) => {
                ApiError::new(StatusCode::UNAUTHORIZED, "totp_required", "The second factor is required", detail)
            }
            DeskError::TooManyRequests { detail, retry_after_secs } => {
                ApiError::new(StatusCode::TOO_MANY_REQUESTS, "too_many_requests", "Too many requests", detail)
                    .with_retry_after(retry_after_secs)
            }
            DeskError::Unavailable(detail) => {
                ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", "Temporarily unavailable", detail)
                    .with_retry_after(1)
            }
            DeskError::DirectoryUnavailable(detail) => ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "directory_unavailable",
                "The directory cannot be reached",
                detail,
            )
            .with_retry_after(30),
            DeskError::Internal(cause) => {
                tracing::error!(%cause, "internal error");
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "Internal error",
                    "something went wrong on our side; it has been logged",
                )
            }
        }
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

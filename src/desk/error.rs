//! Errors of the use cases. Which one to use:
//! - `Invalid`: the caller sent something wrong; name the field (`requester.email`, `unit`).
//! - `NotFound`: a ticket outside the caller's scope is also "not found" (SPEC section 3).
//! - `Conflict`: valid input that the current state refuses (a forbidden transition, a
//!   duplicate code); transitions list what is allowed instead.
//! - `Forbidden`: the caller sees the thing but its role may not do this.
//! - `Internal`: anything else; logged with its cause, shown without internals.

#[derive(Debug, thiserror::Error)]
pub enum DeskError {
    #[error("{field}: {detail}")]
    Invalid { field: String, detail: String },
    #[error("{what} {key} not found")]
    NotFound { what: &'static str, key: String },
    #[error("{detail}")]
    Conflict { code: &'static str, detail: String, allowed: Option<Vec<String>> },
    #[error("{0}")]
    Forbidden(String),
    /// Not allowed until the person does something first (change a temporary password, enrol
    /// a second factor): a 403 whose problem type names it, so a client can lead them there.
    #[error("{detail}")]
    Refused { code: &'static str, detail: String },
    /// The password was right; the second factor's code is missing (401 `totp_required`).
    #[error("{0}")]
    SecondFactorRequired(String),
    #[error("{0}")]
    Unauthorized(String),
    #[error("{detail}")]
    TooManyRequests { detail: String, retry_after_secs: u64 },
    #[error("{0}")]
    Unavailable(String),
    /// The Pemda's directory (LDAP) cannot be reached: its people cannot sign in just now,
    /// accounts of this desk can.
    #[error("{0}")]
    DirectoryUnavailable(String),
    #[error("internal error: {0}")]
    Internal(String),
}

pub type DeskResult<T> = Result<T, DeskError>;

/// An error with the causes it wraps: an HTTP client's own message alone ("error sending
/// request", "Request failed") says too little to act on.
pub fn with_causes(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        text.push_str(": ");
        text.push_str(&c.to_string());
        cause = c.source();
    }
    text
}

impl DeskError {
    pub fn invalid(field: impl Into<String>, detail: impl Into<String>) -> Self {
        DeskError::Invalid { field: field.into(), detail: detail.into() }
    }

    pub fn not_found(what: &'static str, key: impl Into<String>) -> Self {
        DeskError::NotFound { what, key: key.into() }
    }

    pub fn conflict(code: &'static str, detail: impl Into<String>) -> Self {
        DeskError::Conflict { code, detail: detail.into(), allowed: None }
    }
}

impl From<diesel::result::Error> for DeskError {
    fn from(e: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        match e {
            Error::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => DeskError::Conflict {
                code: "already_exists",
                detail: format!("already exists ({})", info.message()),
                allowed: None,
            },
            // The database went away under the query (a restart or failover of the server):
            // nothing was saved, and a retry once it is back will do. The connection is
            // dropped by its pool or reopened by the writer.
            Error::DatabaseError(DatabaseErrorKind::ClosedConnection, _) | Error::BrokenTransactionManager => {
                DeskError::Unavailable("the database is unreachable; nothing was saved, please retry".into())
            }
            other => DeskError::Internal(other.to_string()),
        }
    }
}

impl From<crate::db::DbError> for DeskError {
    fn from(e: crate::db::DbError) -> Self {
        match e {
            crate::db::DbError::Pool(p) => DeskError::Unavailable(format!("database busy: {p}")),
            crate::db::DbError::Query(q) => q.into(),
            crate::db::DbError::Connect(c) => {
                tracing::warn!(error = %c, "cannot connect to the database");
                DeskError::Unavailable("the database is unreachable; please retry".into())
            }
            other => DeskError::Internal(other.to_string()),
        }
    }
}

impl From<crate::domain::sla::calendar::CalendarError> for DeskError {
    fn from(e: crate::domain::sla::calendar::CalendarError) -> Self {
        DeskError::Internal(e.to_string())
    }
}

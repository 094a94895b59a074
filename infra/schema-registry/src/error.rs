//! The registry's errors and their one mapping to Confluent's error response:
//! `{"error_code": N, "message": "..."}` with the HTTP status Confluent uses for `N`.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::http::reply::Reply;

/// Everything the registry can answer with instead of a result. Messages follow Confluent's
/// wording; none of them carries internal details (store errors are logged, not echoed).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("Subject '{0}' not found.")]
    SubjectNotFound(String),
    #[error("Version {0} not found.")]
    VersionNotFound(String),
    #[error("Schema not found")]
    SchemaNotFound,
    #[error("Schema {0} not found")]
    SchemaIdNotFound(i32),
    #[error("Subject '{0}' was soft deleted. Set permanent=true to delete permanently")]
    SubjectSoftDeleted(String),
    #[error("Subject '{0}' was not deleted first before being permanently deleted")]
    SubjectNotSoftDeleted(String),
    #[error(
        "Subject '{subject}' Version {version} was soft deleted. Set permanent=true to delete permanently"
    )]
    VersionSoftDeleted { subject: String, version: i32 },
    #[error(
        "Subject '{subject}' Version {version} was not deleted first before being permanently deleted"
    )]
    VersionNotSoftDeleted { subject: String, version: i32 },
    #[error("Subject '{0}' does not have subject-level compatibility configured")]
    SubjectCompatibilityNotConfigured(String),
    #[error("Subject '{0}' does not have subject-level mode configured")]
    SubjectModeNotConfigured(String),
    #[error(
        "Schema being registered is incompatible with an earlier schema for subject \"{subject}\", details: [{}]",
        .details.join(", ")
    )]
    IncompatibleSchema {
        subject: String,
        details: Vec<String>,
    },
    #[error("Invalid schema: {0}")]
    InvalidSchema(String),
    #[error(
        "The specified version '{0}' is not a valid version id. Allowed values are between [1, 2^31-1] and the string \"latest\""
    )]
    InvalidVersion(String),
    #[error(
        "Invalid compatibility level. Valid values are none, backward, forward, full, backward_transitive, forward_transitive, and full_transitive"
    )]
    InvalidCompatibilityLevel,
    #[error("Invalid mode. The only supported mode is READWRITE")]
    InvalidMode,
    #[error("Error in the backend datastore")]
    Store(#[source] plinth_infra_postgres::Error),
    /// The request body is not JSON (`400`) or not the JSON the endpoint expects (`422`).
    #[error("{message}")]
    InvalidRequest { status: u16, message: String },
    #[error("HTTP 404 Not Found")]
    EndpointNotFound,
    #[error("HTTP 405 Method Not Allowed")]
    MethodNotAllowed,
    #[error("HTTP 415 Unsupported Media Type")]
    UnsupportedMediaType,
    /// A change (register, delete, configure) without the writers' credentials.
    #[error("Unauthorized")]
    Unauthorized,
}

/// Result with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// Confluent's error code: a five-digit code whose first three digits are the HTTP status, or
    /// a plain HTTP status.
    pub fn error_code(&self) -> u32 {
        match self {
            Self::SubjectNotFound(_) => 40401,
            Self::VersionNotFound(_) => 40402,
            Self::SchemaNotFound | Self::SchemaIdNotFound(_) => 40403,
            Self::SubjectSoftDeleted(_) => 40404,
            Self::SubjectNotSoftDeleted(_) => 40405,
            Self::VersionSoftDeleted { .. } => 40406,
            Self::VersionNotSoftDeleted { .. } => 40407,
            Self::SubjectCompatibilityNotConfigured(_) => 40408,
            Self::SubjectModeNotConfigured(_) => 40409,
            Self::IncompatibleSchema { .. } => 409,
            Self::InvalidSchema(_) => 42201,
            Self::InvalidVersion(_) => 42202,
            Self::InvalidCompatibilityLevel => 42203,
            Self::InvalidMode => 42204,
            Self::Store(_) => 50001,
            Self::InvalidRequest { status, .. } => u32::from(*status),
            Self::EndpointNotFound => 404,
            Self::MethodNotAllowed => 405,
            Self::UnsupportedMediaType => 415,
            Self::Unauthorized => 401,
        }
    }

    /// The HTTP status that goes with [`Error::error_code`].
    pub fn status(&self) -> StatusCode {
        let code = self.error_code();
        let status = if code >= 10_000 { code / 100 } else { code };
        StatusCode::from_u16(status as u16).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }
}

impl From<plinth_infra_postgres::Error> for Error {
    fn from(error: plinth_infra_postgres::Error) -> Self {
        Self::Store(error)
    }
}

impl From<tokio_postgres::Error> for Error {
    fn from(error: tokio_postgres::Error) -> Self {
        Self::Store(plinth_infra_postgres::Error::Query(error))
    }
}

impl From<deadpool_postgres::PoolError> for Error {
    fn from(error: deadpool_postgres::PoolError) -> Self {
        Self::Store(plinth_infra_postgres::Error::Connection(error))
    }
}

/// Confluent's error body.
#[derive(Debug, Serialize)]
struct ErrorBody {
    error_code: u32,
    message: String,
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        if let Self::Store(source) = &self {
            tracing::error!(error = %source, "Schema registry store failed.");
        }
        let body = ErrorBody {
            error_code: self.error_code(),
            message: self.to_string(),
        };
        let challenge = matches!(self, Self::Unauthorized).then_some([(
            axum::http::header::WWW_AUTHENTICATE,
            "Basic realm=\"plinth-schema-registry\"",
        )]);
        (self.status(), challenge, Reply(body)).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_digit_codes_answer_with_their_first_three_digits_as_status() {
        assert_eq!(
            Error::SubjectNotFound("s".into()).status(),
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            Error::InvalidSchema("x".into()).status(),
            StatusCode::UNPROCESSABLE_ENTITY
        );
        assert_eq!(
            Error::IncompatibleSchema {
                subject: "s".into(),
                details: vec![]
            }
            .status(),
            StatusCode::CONFLICT
        );
        assert_eq!(
            Error::MethodNotAllowed.status(),
            StatusCode::METHOD_NOT_ALLOWED
        );
    }
}

//! The goals service's errors and their one mapping to gRPC statuses.

use lacak_runtime::error::{database_status, with_info};
use lacak_runtime::{FieldViolation, Violations};
use sea_orm::DbErr;
use tonic::{Code, Status};

/// The `ErrorInfo.domain` of every goals error.
pub const DOMAIN: &str = "goals.lacak.dev";

#[derive(Debug, thiserror::Error)]
pub enum GoalsError {
    #[error("invalid request")]
    Invalid(Violations),
    #[error("{what} {name:?} not found")]
    NotFound { what: &'static str, name: String },
    #[error("{what} {name:?} already exists")]
    AlreadyExists { what: &'static str, name: String },
    #[error("{message}")]
    FailedPrecondition { reason: &'static str, message: String },
    #[error("{0}")]
    PermissionDenied(String),
    #[error("{0}")]
    Aborted(String),
    #[error("the goals database is not ready yet")]
    NotReady,
    #[error(transparent)]
    Database(#[from] DbErr),
}

impl GoalsError {
    pub fn not_found(what: &'static str, name: impl Into<String>) -> Self {
        GoalsError::NotFound {
            what,
            name: name.into(),
        }
    }

    pub fn denied(message: impl Into<String>) -> Self {
        GoalsError::PermissionDenied(message.into())
    }

    pub fn precondition(reason: &'static str, message: impl Into<String>) -> Self {
        GoalsError::FailedPrecondition {
            reason,
            message: message.into(),
        }
    }

    pub fn invalid(field: &str, description: impl Into<String>) -> Self {
        GoalsError::Invalid(FieldViolation::new(field, description).into())
    }
}

impl From<Violations> for GoalsError {
    fn from(violations: Violations) -> Self {
        GoalsError::Invalid(violations)
    }
}

impl From<FieldViolation> for GoalsError {
    fn from(violation: FieldViolation) -> Self {
        GoalsError::Invalid(violation.into())
    }
}

impl From<GoalsError> for Status {
    fn from(error: GoalsError) -> Self {
        let message = error.to_string();
        match error {
            GoalsError::Invalid(violations) => violations.into_status(DOMAIN),
            GoalsError::NotFound { what, .. } => with_info(
                Code::NotFound,
                message,
                &format!("{}_NOT_FOUND", what.to_uppercase().replace(' ', "_")),
                DOMAIN,
            ),
            GoalsError::AlreadyExists { what, .. } => with_info(
                Code::AlreadyExists,
                message,
                &format!("{}_ALREADY_EXISTS", what.to_uppercase().replace(' ', "_")),
                DOMAIN,
            ),
            GoalsError::FailedPrecondition { reason, .. } => {
                with_info(Code::FailedPrecondition, message, reason, DOMAIN)
            }
            GoalsError::PermissionDenied(_) => with_info(Code::PermissionDenied, message, "PERMISSION_DENIED", DOMAIN),
            GoalsError::Aborted(_) => with_info(Code::Aborted, message, "ETAG_MISMATCH", DOMAIN),
            GoalsError::NotReady => with_info(Code::Unavailable, message, "NOT_READY", DOMAIN),
            GoalsError::Database(error) => database_status(&error, DOMAIN),
        }
    }
}

pub type GoalsResult<T> = Result<T, GoalsError>;

//! The monitoring service's errors: the suite's one error type, in the monitoring domain. Its
//! single mapping to gRPC statuses lives in `lacak_runtime::error`.

use lacak_runtime::{ErrorDomain, ServiceError};

/// The `ErrorInfo.domain` of every monitoring error.
#[derive(Debug)]
pub struct Monitoring;

impl ErrorDomain for Monitoring {
    const DOMAIN: &'static str = "monitoring.lacak.dev";
}

pub type MonitoringError = ServiceError<Monitoring>;
pub type MonitoringResult<T> = Result<T, MonitoringError>;

/// A stored value that cannot be read: an error naming the row, never a silent default.
pub fn corrupt(row: impl std::fmt::Display, problem: impl std::fmt::Display) -> MonitoringError {
    MonitoringError::Database(sea_orm::DbErr::Custom(format!("{row} does not read back: {problem}")))
}

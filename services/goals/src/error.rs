//! The goals service's errors: the suite's one error type, in the goals domain. Its single
//! mapping to gRPC statuses lives in `lacak_runtime::error`.

use lacak_runtime::{ErrorDomain, ServiceError};

/// The `ErrorInfo.domain` of every goals error.
#[derive(Debug)]
pub struct Goals;

impl ErrorDomain for Goals {
    const DOMAIN: &'static str = "goals.lacak.dev";
}

pub type GoalsError = ServiceError<Goals>;
pub type GoalsResult<T> = Result<T, GoalsError>;

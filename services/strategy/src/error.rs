//! The strategy service's errors: the suite's one error type, in the strategy domain. Its single
//! mapping to gRPC statuses lives in `lacak_runtime::error`.

use lacak_runtime::{ErrorDomain, ServiceError};

/// The `ErrorInfo.domain` of every strategy error.
#[derive(Debug)]
pub struct Strategy;

impl ErrorDomain for Strategy {
    const DOMAIN: &'static str = "strategy.lacak.dev";
}

pub type StrategyError = ServiceError<Strategy>;
pub type StrategyResult<T> = Result<T, StrategyError>;

//! The inventory service's errors: the suite's one error type, in the inventory domain. Its
//! single mapping to gRPC statuses lives in `lacak_runtime::error`.

use lacak_runtime::{ErrorDomain, ServiceError};

/// The `ErrorInfo.domain` of every inventory error.
#[derive(Debug)]
pub struct Inventory;

impl ErrorDomain for Inventory {
    const DOMAIN: &'static str = "inventory.lacak.dev";
}

pub type InventoryError = ServiceError<Inventory>;
pub type InventoryResult<T> = Result<T, InventoryError>;

//! What every Lacak service shares: configuration, the server stack, identity, the database,
//! error mapping, idempotency, pagination and clients for calls between services.

pub mod auth;
pub mod client;
pub mod config;
pub mod convert;
pub mod db;
pub mod error;
pub mod idempotency;
pub mod page;
pub mod server;

pub use auth::{Authenticator, CallContext, TokenIssuer};
pub use error::{FieldViolation, Violations};
pub use server::{Readiness, ServerHost};

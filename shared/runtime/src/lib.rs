//! What every Lacak service shares: configuration, the server stack, identity, the database,
//! error mapping, idempotency, pagination and clients for calls between services.

pub mod auth;
pub mod client;
pub mod config;
pub mod convert;
pub mod db;
pub mod error;
pub mod goals;
pub mod idempotency;
pub mod names;
pub mod page;
pub mod schema;
pub mod server;
pub mod tls;
pub mod validate;

pub use auth::{Authenticator, CallContext, TokenIssuer};
pub use error::{ErrorDomain, FieldViolation, ServiceError, Violations};
pub use server::{Readiness, ServerHost};

/// Implements a generated gRPC service trait by handing each method to a handler
/// `async fn(&Api, Request<Req>) -> Result<Resp, ServiceError<_>>`, so handlers stay plain
/// functions grouped by resource and the trait impl is one list. Streaming methods, whose
/// shapes differ, go verbatim in a trailing `streaming { … }` block.
#[macro_export]
macro_rules! delegate_rpcs {
    ($service:path, $api:ty { $($method:ident: $request:ty => $response:ty = $handler:path;)* } $(streaming { $($streaming:tt)* })?) => {
        #[::tonic::async_trait]
        impl $service for $api {
            $(
                async fn $method(
                    &self,
                    request: ::tonic::Request<$request>,
                ) -> ::std::result::Result<::tonic::Response<$response>, ::tonic::Status> {
                    $handler(self, request).await.map(::tonic::Response::new).map_err(::tonic::Status::from)
                }
            )*
            $($($streaming)*)?
        }
    };
}

//! The goals service: org structure, fiscal calendars, quotas with their full history, action
//! plans and quota reviews, served as `lacak.goals.v1.GoalsService`.

mod api;
mod domain;
mod error;
mod migration;
mod store;

use std::future::Future;

use lacak_proto::goals::goals_service_server::GoalsServiceServer;
use lacak_runtime::ServerHost;
use lacak_runtime::db::{DbSetupError, ReadyDb};

pub use migration::Migrator;

/// The gRPC service name, also its readiness name in `grpc.health.v1`.
pub const SERVICE_NAME: &str = "lacak.goals.v1.GoalsService";

/// Adds the goals service to `host`, NOT_SERVING for now. The returned future connects to and
/// migrates `database_url`, hands the database to the handlers and reports the service ready.
pub async fn mount(
    host: &mut ServerHost,
    database_url: &str,
) -> impl Future<Output = Result<(), DbSetupError>> + Send + 'static {
    let db = ReadyDb::new();
    let server = GoalsServiceServer::new(api::GoalsApi::new(db.clone()))
        .max_decoding_message_size(host.max_message_bytes())
        .max_encoding_message_size(host.max_message_bytes());
    host.routes_mut().add_service(server);
    let readiness = host.register(SERVICE_NAME).await;
    db.connect_when_ready::<Migrator>(database_url, readiness)
}

//! The monitoring service: customers, leads, deals and sales recorded one at a time or ingested
//! in batches exactly once, turned into KPIs, tracking reports, trends and weak points, served as
//! `lacak.monitoring.v1.MonitoringService`.

mod api;
mod costing;
mod deps;
mod domain;
mod error;
mod export;
mod feed;
mod ingest;
mod kpis;
mod migration;
mod outlook;
mod quota_periods;
mod records;
mod report;
mod store;
mod trend;

use std::future::Future;
use std::time::Duration;

use lacak_proto::monitoring::monitoring_service_server::MonitoringServiceServer;
use lacak_runtime::ServerHost;
use lacak_runtime::db::{DbSetupError, ReadyDb};
use lacak_runtime::server::CallsAtOnce;

pub use deps::Dependencies;
pub use migration::Migrator;

/// The gRPC service name, also its readiness name in `grpc.health.v1`.
pub const SERVICE_NAME: &str = "lacak.monitoring.v1.MonitoringService";

/// How often sales awaiting a cost are offered to inventory again.
pub const COSTING_INTERVAL: Duration = Duration::from_secs(2);

/// Adds the monitoring service to `host`, NOT_SERVING for now. The returned future connects to
/// and migrates `database_url`, hands the database to the handlers and reports the service ready.
/// A background task costs sales that inventory could not value when they arrived, until the
/// server drains.
pub async fn mount(
    host: &mut ServerHost,
    database_url: &str,
    deps: Dependencies,
) -> impl Future<Output = Result<(), DbSetupError>> + Send + 'static {
    let db = ReadyDb::new();
    let draining = host.draining();
    let feed = feed::Feed::for_database(database_url, &draining);
    let server = MonitoringServiceServer::new(api::MonitoringApi::new(
        db.clone(),
        deps.clone(),
        feed.clone(),
        draining.clone(),
    ))
    .max_decoding_message_size(host.max_message_bytes())
    .max_encoding_message_size(host.max_message_bytes());
    // An IngestEvents batch is read into memory whole before it is handled: only a few at once.
    let server = CallsAtOnce::new(
        server,
        "IngestEvents",
        ingest::BATCHES_AT_ONCE,
        ingest::BATCH_ADMISSION_WAIT,
    );
    host.routes_mut().add_service(server);
    let readiness = host.register(SERVICE_NAME).await;
    tokio::spawn(costing::run(db.clone(), deps, feed, COSTING_INTERVAL, draining));
    db.connect_when_ready::<Migrator>(database_url, readiness)
}

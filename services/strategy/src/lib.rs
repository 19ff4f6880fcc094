//! The strategy service: action plans evaluated against what monitoring measures, adjustments
//! recommended and — once accepted — applied through the service that owns the data, verified by
//! difference in differences after a window, next period's quotas proposed from forecasts of each
//! owner's history, and demand trends found by change-point detection. Served as
//! `lacak.strategy.v1.StrategyService`. Strategy calls goals, inventory and monitoring; nobody
//! calls it.

mod api;
mod apply;
mod clock;
mod conv;
mod deps;
mod domain;
mod error;
mod evaluation;
mod follow_up;
mod forecasts;
mod generate;
mod history;
mod migration;
mod schedule;
mod series_forecast;
mod store;

use std::future::Future;
use std::time::Duration;

use lacak_proto::strategy::strategy_service_server::StrategyServiceServer;
use lacak_runtime::ServerHost;
use lacak_runtime::db::{DbSetupError, ReadyDb};

pub use clock::Clock;
pub use deps::Dependencies;
pub use migration::Migrator;
pub use series_forecast::HISTORY_CAP_MONTHS;

/// The gRPC service name, also its readiness name in `grpc.health.v1`.
pub const SERVICE_NAME: &str = "lacak.strategy.v1.StrategyService";

/// How strategy behaves.
#[derive(Clone)]
pub struct Settings {
    /// Months compared before and after an applied change.
    pub verification_months: u32,
    /// How often each team that asked for recommendations gets fresh ones, due verifications are
    /// computed and closed forecasts scored.
    pub refresh_every: Duration,
    pub clock: Clock,
    /// Months of history forecasts read at most (forecasts, backtests, quota proposals, plan
    /// evaluations).
    pub forecast_history_months: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            verification_months: 3,
            refresh_every: Duration::from_secs(24 * 3600),
            clock: Clock::system(),
            forecast_history_months: series_forecast::HISTORY_CAP_MONTHS,
        }
    }
}

/// Adds the strategy service to `host`, NOT_SERVING for now. The returned future connects to and
/// migrates `database_url`, hands the database to the handlers and reports the service ready. A
/// background task refreshes recommendations on the schedule, verifies what fell due and scores
/// closed forecasts.
pub async fn mount(
    host: &mut ServerHost,
    database_url: &str,
    deps: Dependencies,
    settings: Settings,
) -> impl Future<Output = Result<(), DbSetupError>> + Send + 'static {
    let db = ReadyDb::new();
    let server = StrategyServiceServer::new(api::StrategyApi::new(db.clone(), deps.clone(), settings.clone()))
        .max_decoding_message_size(host.max_message_bytes())
        .max_encoding_message_size(host.max_message_bytes());
    host.routes_mut().add_service(server);
    let readiness = host.register(SERVICE_NAME).await;
    tokio::spawn(schedule::run(db.clone(), deps, settings, host.draining()));
    db.connect_when_ready::<Migrator>(database_url, readiness)
}

//! The gRPC face of the strategy service: thin handlers, one file per concern.

mod convert;
mod evaluation;
mod forecasting;
mod quotas;
mod recommendations;
mod trends;

use std::sync::Arc;

use lacak_domain::{PeriodId, Principal, Role, validate_currency_code};
use lacak_proto::strategy as pb;
use lacak_proto::strategy::strategy_service_server::StrategyService;
use lacak_runtime::auth::CallContext;
use lacak_runtime::db::ReadyDb;
use lacak_runtime::{FieldViolation, Violations};
use sea_orm::DatabaseConnection;
use tonic::Request;

use crate::Settings;
use crate::deps::{Dependencies, Org};
use crate::error::{StrategyError, StrategyResult};

/// The handlers' shared state.
#[derive(Clone)]
pub struct StrategyApi {
    db: ReadyDb,
    deps: Dependencies,
    settings: Settings,
}

impl StrategyApi {
    pub fn new(db: ReadyDb, deps: Dependencies, settings: Settings) -> Self {
        Self { db, deps, settings }
    }

    fn db(&self) -> StrategyResult<&DatabaseConnection> {
        self.db.get()
    }

    /// The organisation, once the caller is known to be someone who steers (not a rep).
    async fn org_for(&self, ctx: &CallContext) -> StrategyResult<Arc<Org>> {
        require_steerer(&ctx.principal)?;
        self.deps.org(ctx).await
    }

    /// Checks the caller may steer `team` (an id); unknown and foreign teams both read as
    /// PERMISSION_DENIED for managers, NOT_FOUND for admins.
    fn check_team(&self, org: &Org, caller: &Principal, team: &str) -> StrategyResult<()> {
        let known = org.parents.contains_key(team);
        if known && org.may_steer(caller, team) {
            return Ok(());
        }
        if !known && matches!(caller.role, Role::Admin | Role::Service) {
            return Err(StrategyError::not_found("team", format!("teams/{team}")));
        }
        Err(StrategyError::denied(format!(
            "teams/{team} is not among the teams you lead"
        )))
    }
}

fn caller<T>(request: &Request<T>) -> StrategyResult<CallContext> {
    lacak_runtime::auth::caller(request)
        .cloned()
        .map_err(|status| StrategyError::denied(status.message().to_owned()))
}

/// Strategy is for admins, managers and services; reps see their own numbers in monitoring.
fn require_steerer(caller: &Principal) -> StrategyResult<()> {
    match caller.role {
        Role::Admin | Role::Manager | Role::Service => Ok(()),
        Role::Rep => Err(StrategyError::denied(
            "strategy is for admins and managers; reps read their numbers in monitoring",
        )),
    }
}

fn parse_team(name: &str, field: &str) -> Result<String, FieldViolation> {
    if name.is_empty() {
        return Err(FieldViolation::new(field, "is required: \"teams/{id}\""));
    }
    lacak_runtime::names::parse_name(name, "teams", field)
}

fn parse_period(v: &mut Violations, text: &str) -> Option<PeriodId> {
    let period = text.parse::<PeriodId>().ok();
    if period.is_none() {
        v.add(
            "period",
            "must be a fiscal period such as FY2026, FY2026-Q3 or FY2026-M07",
        );
    }
    period
}

fn check_currency(v: &mut Violations, currency: &str) {
    if validate_currency_code(currency).is_err() {
        v.add("currency_code", "is required: an ISO 4217 code such as IDR or USD");
    }
}

lacak_runtime::delegate_rpcs! {
    StrategyService, StrategyApi {
        evaluate_action_plan: pb::EvaluateActionPlanRequest => pb::EvaluateActionPlanResponse = evaluation::evaluate;
        generate_recommendations: pb::GenerateRecommendationsRequest => pb::GenerateRecommendationsResponse = recommendations::generate;
        get_recommendation: pb::GetRecommendationRequest => pb::GetRecommendationResponse = recommendations::get;
        list_recommendations: pb::ListRecommendationsRequest => pb::ListRecommendationsResponse = recommendations::list;
        accept_recommendation: pb::AcceptRecommendationRequest => pb::AcceptRecommendationResponse = recommendations::accept;
        reject_recommendation: pb::RejectRecommendationRequest => pb::RejectRecommendationResponse = recommendations::reject;
        get_verification: pb::GetVerificationRequest => pb::GetVerificationResponse = recommendations::verification;
        propose_quotas: pb::ProposeQuotasRequest => pb::ProposeQuotasResponse = quotas::propose;
        list_forecasts: pb::ListForecastsRequest => pb::ListForecastsResponse = quotas::list_forecasts;
        list_demand_trends: pb::ListDemandTrendsRequest => pb::ListDemandTrendsResponse = trends::list;
        forecast_series: pb::ForecastSeriesRequest => pb::ForecastSeriesResponse = forecasting::forecast;
        backtest_forecasts: pb::BacktestForecastsRequest => pb::BacktestForecastsResponse = forecasting::backtest;
    }
}

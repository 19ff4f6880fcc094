//! ForecastSeries and BacktestForecasts.

use chrono::{DateTime, Utc};
use lacak_domain::{FiscalCalendar, PeriodId, Role};
use lacak_forecast::{Forecast, MethodScore};
use lacak_proto::{goals as gpb, strategy as pb};
use lacak_runtime::Violations;
use lacak_runtime::auth::CallContext;
use lacak_runtime::convert::{timestamp_from_proto, timestamp_to_proto};
use rust_decimal::Decimal;
use tonic::Request;

use super::{StrategyApi, caller, check_currency};
use crate::conv::to_decimal;
use crate::domain::recommend::decimal;
use crate::error::{StrategyError, StrategyResult};
use crate::series_forecast::{
    History, MAX_HORIZON, MAX_ORIGINS, SeriesQuery, backtest_history, counted, first_month, forecast_all, forecastable,
    histories, scope_dimension, too_short, whole_periods,
};

/// Interval levels when none are asked for, in percent.
const DEFAULT_LEVELS: [f64; 2] = [80.0, 95.0];
/// The most interval levels one call asks for.
const MAX_LEVELS: usize = 5;
/// Horizon and cut points when 0 is sent.
const DEFAULT_MONTHS: usize = 12;

pub async fn forecast(
    api: &StrategyApi,
    request: Request<pb::ForecastSeriesRequest>,
) -> StrategyResult<pb::ForecastSeriesResponse> {
    let ctx = caller(&request)?;
    let body = request.into_inner();
    let mut v = Violations::new();
    let query = series_query(
        &mut v,
        api,
        &body.owner,
        body.metric,
        &body.scope,
        body.as_of.as_ref(),
        &body.currency_code,
    );
    if body.each_member && !body.owner.starts_with("teams/") {
        v.add("each_member", "needs a team owner: \"teams/{id}\"");
    }
    if body.each_member && !body.scope.is_empty() {
        v.add("each_member", "cannot be combined with a scope");
    }
    let horizon = count(&mut v, "horizon_months", body.horizon_months, MAX_HORIZON);
    let levels = check_levels(&mut v, &body.interval_levels_percent);
    v.finish()?;
    let calendar = authorise(api, &ctx, &query.owner).await?;
    let as_of = query.as_of;
    let read = histories(
        &api.deps,
        &ctx,
        &calendar,
        &query,
        body.each_member,
        api.settings.forecast_history_months,
    )
    .await?;
    let fractions: Vec<f64> = levels.iter().map(|l| l / 100.0).collect();
    let months = months_ahead(&calendar, as_of, horizon);
    let mut forecasts = Vec::new();
    let fitted = forecast_all(read.iter().map(History::values).collect(), horizon, &fractions).await;
    for (index, (history, fitted)) in read.into_iter().zip(fitted).enumerate() {
        match fitted {
            Ok(forecast) => forecasts.push(series_forecast(
                &calendar, &query, &history, &forecast, &months, &levels,
            )),
            // The owner's own series first: refused when it cannot be forecast. Members without
            // enough history are left out.
            Err(error) if index == 0 => return Err(too_short(&history.subject, &error, &query)),
            Err(_) => {}
        }
    }
    if forecasts.is_empty() {
        return Err(too_short(
            &query.owner,
            &lacak_forecast::ForecastError::TooShort {
                needed: lacak_forecast::MIN_HISTORY,
                got: 0,
            },
            &query,
        ));
    }
    Ok(pb::ForecastSeriesResponse { forecasts })
}

pub async fn backtest(
    api: &StrategyApi,
    request: Request<pb::BacktestForecastsRequest>,
) -> StrategyResult<pb::BacktestForecastsResponse> {
    let ctx = caller(&request)?;
    let body = request.into_inner();
    let mut v = Violations::new();
    let query = series_query(
        &mut v,
        api,
        &body.owner,
        body.metric,
        &body.scope,
        body.as_of.as_ref(),
        &body.currency_code,
    );
    let origins = count(&mut v, "origins", body.origins, MAX_ORIGINS);
    let horizon = count(&mut v, "horizon_months", body.horizon_months, MAX_HORIZON);
    let levels = check_levels(&mut v, &body.interval_levels_percent);
    v.finish()?;
    let calendar = authorise(api, &ctx, &query.owner).await?;
    let history = histories(
        &api.deps,
        &ctx,
        &calendar,
        &query,
        false,
        api.settings.forecast_history_months,
    )
    .await?
    .into_iter()
    .next()
    .unwrap_or(History {
        subject: query.owner.clone(),
        months: Vec::new(),
    });
    let fractions: Vec<f64> = levels.iter().map(|l| l / 100.0).collect();
    let scores = backtest_history(&history, origins, horizon, fractions)
        .await
        .map_err(|error| too_short(&history.subject, &error, &query))?;
    let first_cut = history.months.len() - horizon - (origins - 1);
    let mut methods: Vec<pb::MethodScore> = scores.iter().map(|s| method_score(s, &levels)).collect();
    // The automatic choice first, then by WAPE (the library gives them by method).
    methods.sort_by_key(|m| (m.method != "automatic", wape_key(m)));
    Ok(pb::BacktestForecastsResponse {
        methods,
        history_months: history.months.len() as i32,
        origin_periods: history.months[first_cut..first_cut + origins]
            .iter()
            .map(|(period, _)| period.to_string())
            .collect(),
    })
}

/// The series asked for, with what is wrong with it added to `v`.
fn series_query(
    v: &mut Violations,
    api: &StrategyApi,
    owner: &str,
    metric: i32,
    scope: &str,
    as_of: Option<&prost_types::Timestamp>,
    currency: &str,
) -> SeriesQuery {
    let metric = check_metric(v, metric);
    check_scope(v, scope);
    if !scope.is_empty() && counted(metric) {
        v.add(
            "scope",
            "deals won, leads and new customers are counted per member, not per product, category, region or segment: leave it empty",
        );
    }
    check_owner(v, owner);
    let as_of = origin(v, as_of, api);
    check_currency(v, currency);
    SeriesQuery {
        owner: owner.to_owned(),
        metric,
        scope: scope.to_owned(),
        currency: currency.to_owned(),
        as_of,
    }
}

fn wape_key(score: &pb::MethodScore) -> Decimal {
    crate::conv::decimal(&score.wape_percent).unwrap_or(Decimal::MAX)
}

fn check_metric(v: &mut Violations, metric: i32) -> gpb::Metric {
    match gpb::Metric::try_from(metric) {
        Ok(gpb::Metric::Unspecified) => gpb::Metric::Revenue,
        Ok(metric) if forecastable(metric) => metric,
        Ok(_) => {
            v.add(
                "metric",
                "forecasts are made of revenue, units sold, gross margin, deals won, leads generated and new \
                 customers; rates are not summed month by month",
            );
            gpb::Metric::Revenue
        }
        Err(_) => {
            v.add("metric", "is not a known metric");
            gpb::Metric::Revenue
        }
    }
}

fn check_scope(v: &mut Violations, scope: &str) {
    if !scope.is_empty() && scope_dimension(scope).is_none() {
        v.add(
            "scope",
            "must be empty or \"products/{sku}\", \"categories/{id}\", \"regions/{id}\" or \"segments/{id}\"",
        );
    }
}

fn check_owner(v: &mut Violations, owner: &str) {
    let named = |prefix: &str| {
        owner
            .strip_prefix(prefix)
            .is_some_and(|id| !id.is_empty() && !id.contains('/'))
    };
    if !(owner.is_empty() || named("members/") || named("teams/")) {
        v.add(
            "owner",
            "must be \"members/{id}\", \"teams/{id}\", or empty for the whole tenant",
        );
    }
}

/// A count between 1 and `max`, the default when 0.
fn count(v: &mut Violations, field: &str, value: i32, max: usize) -> usize {
    match value {
        0 => DEFAULT_MONTHS,
        n if n > 0 && n as usize <= max => n as usize,
        _ => {
            v.add(field, format!("must be between 1 and {max} (0 for {DEFAULT_MONTHS})"));
            DEFAULT_MONTHS
        }
    }
}

/// Levels in percent, deduplicated in the order asked.
fn check_levels(v: &mut Violations, levels: &[f64]) -> Vec<f64> {
    if levels.is_empty() {
        return DEFAULT_LEVELS.to_vec();
    }
    if levels.len() > MAX_LEVELS {
        v.add("interval_levels_percent", format!("at most {MAX_LEVELS} levels"));
    }
    if let Some(bad) = levels.iter().find(|l| !(l.is_finite() && **l > 0.0 && **l < 100.0)) {
        v.add(
            "interval_levels_percent",
            format!("{bad} is not strictly between 0 and 100"),
        );
    }
    let mut out: Vec<f64> = Vec::new();
    for &level in levels {
        if !out.contains(&level) {
            out.push(level);
        }
    }
    out
}

fn origin(v: &mut Violations, as_of: Option<&prost_types::Timestamp>, api: &StrategyApi) -> DateTime<Utc> {
    let now = api.settings.clock.now();
    match as_of.map(|t| timestamp_from_proto(t, "as_of")) {
        None => now,
        Some(Ok(at)) => at,
        Some(Err(violation)) => {
            v.push(violation);
            now
        }
    }
}

/// Managers forecast the teams they lead and their members; the whole tenant is for admins and
/// services. Gives the tenant's calendar.
async fn authorise(api: &StrategyApi, ctx: &CallContext, owner: &str) -> StrategyResult<FiscalCalendar> {
    let org = api.org_for(ctx).await?;
    if owner.is_empty() {
        if !matches!(ctx.principal.role, Role::Admin | Role::Service) {
            return Err(StrategyError::denied(
                "the whole tenant's series is for admins; name a team you lead",
            ));
        }
    } else if let Some(team) = owner.strip_prefix("teams/") {
        api.check_team(&org, &ctx.principal, team)?;
    } else if !org.may_steer_owner(&ctx.principal, owner) {
        return Err(StrategyError::denied(format!("{owner} is outside the teams you lead")));
    }
    api.deps.calendar(ctx).await
}

/// The fiscal months forecast, with their starts.
fn months_ahead(calendar: &FiscalCalendar, as_of: DateTime<Utc>, horizon: usize) -> Vec<(PeriodId, DateTime<Utc>)> {
    let mut out = Vec::with_capacity(horizon);
    let mut month = Some(first_month(calendar, as_of));
    while let Some(period) = month {
        if out.len() == horizon {
            break;
        }
        if let Ok((start, _)) = calendar.bounds(&period) {
            out.push((period, start));
        }
        month = period.next();
    }
    out
}

fn number(value: f64) -> Option<lacak_proto::common::Decimal> {
    to_decimal(decimal(value).round_dp(2))
}

fn intervals(levels: &[f64], bounds: impl Fn(f64) -> Option<(f64, f64)>) -> Vec<pb::PredictionInterval> {
    levels
        .iter()
        .filter_map(|&level| {
            let (lower, upper) = bounds(level / 100.0)?;
            Some(pb::PredictionInterval {
                level_percent: to_decimal(decimal(level)),
                lower: number(lower),
                upper: number(upper),
            })
        })
        .collect()
}

fn series_forecast(
    calendar: &FiscalCalendar,
    query: &SeriesQuery,
    history: &History,
    forecast: &Forecast,
    months: &[(PeriodId, DateTime<Utc>)],
    levels: &[f64],
) -> pb::SeriesForecast {
    let month_entries = months
        .iter()
        .enumerate()
        .map(|(h, (period, start))| pb::ForecastMonth {
            period: period.to_string(),
            start_time: Some(timestamp_to_proto(*start)),
            point: number(forecast.point[h]),
            intervals: intervals(levels, |level| {
                forecast.interval(level).map(|i| (i.lower[h], i.upper[h]))
            }),
        })
        .collect();
    let totals = whole_periods(calendar, months)
        .into_iter()
        .map(|(period, steps)| pb::ForecastTotal {
            period: period.to_string(),
            point: number(forecast.point[steps.clone()].iter().sum::<f64>()),
            intervals: intervals(levels, |level| {
                forecast.total(steps.clone(), level).map(|t| (t.lower, t.upper))
            }),
        })
        .collect();
    pb::SeriesForecast {
        subject: history.subject.clone(),
        metric: query.metric as i32,
        scope: query.scope.clone(),
        method: forecast.method.name().to_owned(),
        method_reason: forecast.reason(),
        combined_methods: forecast.parts.iter().map(|m| m.name().to_owned()).collect(),
        validation: forecast
            .scores
            .iter()
            .map(|(method, wape)| pb::MethodScore {
                method: method.name().to_owned(),
                wape_percent: number(*wape),
                mase: None,
                coverage: Vec::new(),
                months: 0,
            })
            .collect(),
        history: history
            .months
            .iter()
            .map(|(period, value)| pb::MonthValue {
                period: period.to_string(),
                value: to_decimal(*value),
            })
            .collect(),
        months: month_entries,
        totals,
        origin_time: Some(timestamp_to_proto(query.as_of)),
    }
}

fn method_score(score: &MethodScore, levels: &[f64]) -> pb::MethodScore {
    pb::MethodScore {
        method: score.method.map(|m| m.name()).unwrap_or("automatic").to_owned(),
        wape_percent: number(score.wape),
        mase: score.mase.and_then(|m| to_decimal(decimal(m).round_dp(4))),
        coverage: score
            .coverage
            .iter()
            .zip(levels)
            .map(|(&(_, covered), &level)| pb::IntervalCoverage {
                level_percent: to_decimal(decimal(level)),
                covered_percent: number(covered * 100.0),
            })
            .collect(),
        months: score.months as i32,
    }
}

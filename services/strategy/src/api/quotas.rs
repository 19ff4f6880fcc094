//! ProposeQuotas and ListForecasts.

use lacak_domain::Role;
use lacak_proto::{goals as gpb, strategy as pb};
use lacak_runtime::Violations;
use lacak_runtime::convert::timestamp_to_proto;
use lacak_runtime::page::PageRequest;
use rust_decimal::Decimal;
use tonic::Request;

use super::convert::evidence;
use super::{StrategyApi, caller, check_currency, parse_period, parse_team};
use crate::conv::{to_decimal, to_measure, to_money};
use crate::domain::model::Evidence;
use crate::error::{StrategyError, StrategyResult};
use crate::forecasts::{propose as run, score_closed};
use crate::store;

pub async fn propose(
    api: &StrategyApi,
    request: Request<pb::ProposeQuotasRequest>,
) -> StrategyResult<pb::ProposeQuotasResponse> {
    let ctx = caller(&request)?;
    let body = request.into_inner();
    let mut v = Violations::new();
    let team = v.take(parse_team(&body.team, "team"));
    let period = parse_period(&mut v, &body.period);
    check_currency(&mut v, &body.currency_code);
    let mut metrics: Vec<gpb::Metric> = Vec::new();
    for (i, metric) in body.metrics.iter().enumerate() {
        match gpb::Metric::try_from(*metric) {
            Ok(gpb::Metric::Unspecified) | Err(_) => v.add(format!("metrics[{i}]"), "is not a known metric"),
            Ok(metric) if metrics.contains(&metric) => v.add(format!("metrics[{i}]"), "is asked twice"),
            Ok(metric) => metrics.push(metric),
        }
    }
    if metrics.is_empty() {
        metrics.push(gpb::Metric::Revenue);
    }
    v.finish()?;
    let (Some(team), Some(period)) = (team, period) else {
        return Err(StrategyError::invalid("team", "is invalid"));
    };
    let org = api.org_for(&ctx).await?;
    api.check_team(&org, &ctx.principal, &team)?;
    let calendar = api.deps.calendar(&ctx).await?;
    let now = api.settings.clock.now();
    let (proposals, gaps) = run(
        api.db()?,
        &api.deps,
        &ctx,
        &calendar,
        &org,
        &team,
        period,
        &metrics,
        &body.currency_code,
        (now, api.settings.forecast_history_months),
    )
    .await?;
    let currency = body.currency_code.as_str();
    Ok(pb::ProposeQuotasResponse {
        proposals: proposals
            .into_iter()
            .map(|p| pb::QuotaProposal {
                owner: p.owner,
                period: period.to_string(),
                metric: p.metric as i32,
                forecast: Some(pb::Projection {
                    point: to_decimal(p.point),
                    lower: to_decimal(p.lower),
                    upper: to_decimal(p.upper),
                    level_percent: to_decimal(Decimal::from(80)),
                }),
                past_attainment_percent: p.past_attainment.and_then(to_decimal),
                proposed_target: match p.metric {
                    gpb::Metric::Revenue | gpb::Metric::GrossMargin => to_money(currency, p.target),
                    _ => None,
                },
                target: to_measure(p.metric, currency, p.target),
                seasonal_profile: p.profile.into_iter().filter_map(to_decimal).collect(),
                rationale: p.rationale,
                forecast_snapshot: p.snapshot,
            })
            .collect(),
        gaps: gaps
            .into_iter()
            .map(|g| pb::QuotaGap {
                owner: g.owner,
                metric: g.metric as i32,
                evidence: Some(evidence(&Evidence {
                    kpi: g.kpi,
                    value: Some(g.value),
                    reference: Some(g.reference),
                    p_value: None,
                    since: None,
                    explanation: g.explanation,
                })),
            })
            .collect(),
    })
}

pub async fn list_forecasts(
    api: &StrategyApi,
    request: Request<pb::ListForecastsRequest>,
) -> StrategyResult<pb::ListForecastsResponse> {
    let ctx = caller(&request)?;
    let body = request.into_inner();
    let mut v = Violations::new();
    if !(body.owner.is_empty() || body.owner.starts_with("members/") || body.owner.starts_with("teams/")) {
        v.add("owner", "must look like \"members/{id}\" or \"teams/{id}\"");
    }
    if !body.period.is_empty() && body.period.parse::<lacak_domain::PeriodId>().is_err() {
        v.add("period", "must be a fiscal period such as FY2026-Q3");
    }
    let page = v.take(PageRequest::parse(
        body.page_size,
        &body.page_token,
        &[&ctx.principal.tenant, "forecasts", &body.owner, &body.period],
    ));
    v.finish()?;
    let Some(page) = page else {
        return Err(StrategyError::invalid("page_token", "is invalid"));
    };
    let org = api.org_for(&ctx).await?;
    let owners: Option<Vec<String>> = if !body.owner.is_empty() {
        if !org.may_steer_owner(&ctx.principal, &body.owner) {
            return Err(StrategyError::denied(format!(
                "{} is outside the teams you lead",
                body.owner
            )));
        }
        Some(vec![body.owner.clone()])
    } else if ctx.principal.role == Role::Manager {
        let mut owners = Vec::new();
        for led in &ctx.principal.teams {
            for team in org.subtree(led) {
                owners.push(format!("teams/{team}"));
            }
            owners.extend(org.members_of(led).into_iter().map(|m| format!("members/{m}")));
        }
        Some(owners)
    } else {
        None
    };
    // Forecasts whose period has closed are scored before they are read.
    let calendar = api.deps.calendar(&ctx).await?;
    let db = api.db()?;
    score_closed(db, &api.deps, &ctx, &calendar, api.settings.clock.now()).await?;
    let rows = store::list_forecasts(
        db,
        &ctx.principal.tenant,
        owners.as_deref(),
        &body.period,
        page.after.as_deref(),
        page.fetch_limit(),
    )
    .await?;
    let (rows, next_page_token) = page.finish(rows, |r| r.id.clone());
    let dec = |text: &Option<String>| {
        text.as_deref()
            .and_then(|t| t.parse::<Decimal>().ok())
            .and_then(to_decimal)
    };
    Ok(pb::ListForecastsResponse {
        forecasts: rows
            .into_iter()
            .map(|r| pb::Forecast {
                name: format!("forecasts/{}", r.id),
                owner: r.owner.clone(),
                period: r.period.clone(),
                metric: r.metric.parse().unwrap_or_default(),
                projection: Some(pb::Projection {
                    point: dec(&Some(r.point.clone())),
                    lower: dec(&Some(r.lower.clone())),
                    upper: dec(&Some(r.upper.clone())),
                    level_percent: dec(&Some(r.level.clone())),
                }),
                method: r.method.clone(),
                create_time: Some(timestamp_to_proto(r.create_time)),
                origin_time: r.origin_time.map(timestamp_to_proto),
                actual: dec(&r.actual),
                wape_percent: dec(&r.wape),
                bias_percent: dec(&r.bias),
            })
            .collect(),
        next_page_token,
    })
}

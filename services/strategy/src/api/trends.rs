//! ListDemandTrends: products, categories, segments and regions whose demand moved beyond noise.

use std::collections::BTreeMap;

use lacak_domain::Role;
use lacak_forecast::DemandTrend;
use lacak_proto::{monitoring as mpb, strategy as pb};
use lacak_runtime::Violations;
use rust_decimal::Decimal;
use tonic::Request;

use super::{StrategyApi, caller, check_currency};
use crate::conv::{to_decimal, to_money};
use crate::error::{StrategyError, StrategyResult};
use crate::history::{Month, Series, closed_months, trend};

/// Months read when the request says 0.
pub const DEFAULT_MONTHS: i32 = 24;
/// The fewest months a change point can be seen in, and the most one call reads.
pub const MONTHS_RANGE: std::ops::RangeInclusive<i32> = 6..=120;

pub async fn list(
    api: &StrategyApi,
    request: Request<pb::ListDemandTrendsRequest>,
) -> StrategyResult<pb::ListDemandTrendsResponse> {
    let ctx = caller(&request)?;
    let body = request.into_inner();
    let mut v = Violations::new();
    check_currency(&mut v, &body.currency_code);
    let months = if body.months == 0 { DEFAULT_MONTHS } else { body.months };
    if !MONTHS_RANGE.contains(&months) {
        v.add("months", "must be 0 (24 months) or between 6 and 120");
    }
    v.finish()?;
    let org = api.org_for(&ctx).await?;
    let calendar = api.deps.calendar(&ctx).await?;
    let now = api.settings.clock.now();
    let Some((first, last)) = closed_months(&calendar, now, months as u32) else {
        return Err(StrategyError::invalid(
            "months",
            "reaches before the calendar's first year",
        ));
    };
    // Admins read the tenant; managers the teams they lead.
    let owners: Vec<String> = match ctx.principal.role {
        Role::Manager => ctx.principal.teams.iter().map(|t| format!("teams/{t}")).collect(),
        _ => vec![String::new()],
    };
    drop(org);
    let mut merged: BTreeMap<String, Series> = BTreeMap::new();
    for owner in &owners {
        for dimension in [
            mpb::SeriesDimension::Product,
            mpb::SeriesDimension::Segment,
            mpb::SeriesDimension::Region,
        ] {
            let series = api
                .deps
                .series(
                    &ctx,
                    owner,
                    dimension,
                    &first.to_string(),
                    &last.to_string(),
                    &body.currency_code,
                )
                .await?;
            for s in series.into_iter().map(Series::from_proto) {
                add(&mut merged, s);
            }
        }
    }
    // Categories: their products' series added up.
    let products = api.deps.products(&ctx).await?;
    let by_category: Vec<Series> = products
        .iter()
        .filter(|p| !p.category.is_empty())
        .filter_map(|p| {
            let s = merged.get(&p.name)?;
            Some(Series {
                subject: p.category.clone(),
                months: s.months.clone(),
            })
        })
        .collect();
    for s in by_category {
        add(&mut merged, s);
    }
    let mut trends: Vec<(Decimal, pb::DemandTrend)> = merged
        .values()
        .filter_map(trend)
        .map(|t| {
            let size = (t.after - t.before).abs();
            let direction = match t.direction {
                DemandTrend::Rising => pb::TrendDirection::Rising,
                DemandTrend::Falling => pb::TrendDirection::Falling,
                _ => pb::TrendDirection::Emerging,
            };
            (
                size,
                pb::DemandTrend {
                    subject: t.subject.clone(),
                    direction: direction as i32,
                    change_period: t.change_period.to_string(),
                    before: to_money(&body.currency_code, t.before),
                    after: to_money(&body.currency_code, t.after),
                    change_percent: t.change_percent().and_then(to_decimal),
                },
            )
        })
        .collect();
    trends.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.subject.cmp(&b.1.subject)));
    Ok(pb::ListDemandTrendsResponse {
        trends: trends.into_iter().map(|(_, t)| t).collect(),
    })
}

/// Adds `series` into the one of the same subject, month by month.
fn add(merged: &mut BTreeMap<String, Series>, series: Series) {
    match merged.get_mut(&series.subject) {
        None => {
            merged.insert(series.subject.clone(), series);
        }
        Some(existing) => {
            for (into, from) in existing.months.iter_mut().zip(series.months) {
                let Month { revenue, margin, .. } = from;
                into.revenue += revenue;
                into.margin += margin;
            }
        }
    }
}

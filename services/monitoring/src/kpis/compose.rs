//! The wire KPIs of an owner from the facts: counts over every currency, money per currency, the
//! pipeline at the facts' pipeline time, and attainment against the owner's quotas.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use lacak_domain::SeasonalProfile;
use lacak_domain::kpi::{self, PeriodProgress};
use lacak_proto::goals as gpb;
use lacak_proto::monitoring as pb;
use lacak_runtime::convert::{
    Measure, decimal_from_proto, decimal_to_proto, duration_to_proto, measure_from_proto, measure_to_proto,
    money_to_proto, timestamp_to_proto,
};
use rust_decimal::{Decimal, RoundingStrategy};

use super::facts::PeriodFacts;
use super::figures::Figures;
use super::{Scope, kpi_error, money};
use crate::domain::access::Owner;
use crate::domain::pipeline::{PipelineAmounts, PipelineKey};
use crate::domain::units::from_units;
use crate::error::MonitoringResult;

/// The KPIs of `owner` (`None`: the whole tenant) over `facts`, with its quotas' attainments.
pub fn compose(
    owner: Option<&Owner>,
    members: &[String],
    facts: &PeriodFacts,
    quotas: &[gpb::Quota],
) -> MonitoringResult<pb::Kpis> {
    let set: HashSet<&str> = members.iter().map(String::as_str).collect();
    let figures = facts.group_figures(&|member| set.contains(member))?;
    let win_rate = figures.win_rate();
    let cycle = figures.time_to_close();
    let quotas: Vec<&gpb::Quota> = quotas
        .iter()
        .filter(|q| quota_in_scope(q, &facts.scope))
        .filter(|q| facts.currency.is_empty() || quota_currency(q).is_none_or(|c| c == facts.currency))
        .collect();
    let currencies: BTreeSet<String> = if facts.currency.is_empty() {
        figures
            .sales_by_currency
            .keys()
            .cloned()
            .chain(figures.won_by_currency.keys().cloned())
            .chain(figures.pipeline.iter().map(|(k, _)| k.currency.clone()))
            .chain(quotas.iter().filter_map(|q| quota_currency(q)))
            .collect()
    } else {
        BTreeSet::from([facts.currency.clone()])
    };
    let currency_figures = currencies
        .iter()
        .map(|currency| money_figures(currency, facts, &figures, &quotas, win_rate, cycle.as_ref()))
        .collect::<MonitoringResult<Vec<_>>>()?;
    let asked = currency_figures.iter().find(|f| f.currency_code == facts.currency);
    let attainments = quotas
        .iter()
        .filter_map(|quota| attainment(quota, facts, &figures).transpose())
        .collect::<MonitoringResult<Vec<_>>>()?;
    let whole = |count: Decimal| {
        count
            .round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero)
            .try_into()
            .unwrap_or(i64::MAX)
    };
    #[allow(deprecated)]
    let kpis = pb::Kpis {
        owner: owner.map(Owner::name).unwrap_or_default(),
        period: facts.period.to_string(),
        scope: Some(facts.scope.to_proto()),
        read_time: Some(timestamp_to_proto(facts.as_of)),
        revenue: asked.and_then(|f| f.revenue.clone()),
        units_sold: Some(decimal_to_proto(from_units(figures.units))),
        gross_margin: asked.and_then(|f| f.gross_margin.clone()),
        gross_margin_percent: asked.and_then(|f| f.gross_margin_percent.clone()),
        deals_won: whole(figures.won_count),
        deals_lost: whole(figures.lost_count),
        win_rate_percent: win_rate.map(decimal_to_proto),
        average_deal_size: asked.and_then(|f| f.average_deal_size.clone()),
        leads_created: figures.leads_created as i64,
        lead_cohort: Some(pb::LeadCohort {
            leads: figures.cohort.leads as i64,
            converted: figures.cohort.converted as i64,
            conversion_percent: figures.cohort.conversion_rate.map(decimal_to_proto),
            average_time_to_convert: figures.cohort.time_to_convert.map(|s| duration_to_proto(s.average)),
            median_time_to_convert: figures.cohort.time_to_convert.map(|s| duration_to_proto(s.median)),
        }),
        stage_conversions: stage_conversions(facts, &figures),
        average_time_to_close: cycle.map(|s| duration_to_proto(s.average)),
        median_time_to_close: cycle.map(|s| duration_to_proto(s.median)),
        sales_velocity_per_day: asked.and_then(|f| f.sales_velocity_per_day.clone()),
        open_pipeline: asked.and_then(|f| f.open_pipeline.clone()),
        weighted_pipeline: asked.and_then(|f| f.weighted_pipeline.clone()),
        pipeline_coverage: asked.and_then(|f| f.pipeline_coverage.clone()),
        new_customers: figures.new_customers as i64,
        retention_percent: figures.retention.map(decimal_to_proto),
        churn_percent: figures.retention.map(|r| decimal_to_proto(Decimal::ONE_HUNDRED - r)),
        attainments,
        won_deal_count: Some(decimal_to_proto(figures.won_count)),
        lost_deal_count: Some(decimal_to_proto(figures.lost_count)),
        won_amount: asked.and_then(|f| f.won_amount.clone()),
        pipeline_time: Some(timestamp_to_proto(facts.pipeline_time)),
        open_deal_count: Some(decimal_to_proto(figures.open_count())),
        stage_weighted_pipeline: asked.and_then(|f| f.stage_weighted_pipeline.clone()),
        pipeline_stages: pipeline_stages(facts, &figures),
        stage_cohorts: figures
            .stage_cohorts
            .iter()
            .map(|c| pb::StageCohort {
                stage: facts.sales_pipeline.stages[c.stage].stage.clone(),
                next_stage: facts.sales_pipeline.next_stage(c.stage),
                entered: Some(decimal_to_proto(c.entered)),
                advanced: Some(decimal_to_proto(c.advanced)),
                conversion_percent: c.rate.map(decimal_to_proto),
            })
            .collect(),
        currency_figures,
    };
    Ok(kpis)
}

/// The currency of a money quota; `None` for counts and rates.
fn quota_currency(quota: &gpb::Quota) -> Option<String> {
    match measure_from_proto(quota.target.as_ref(), "target") {
        Ok(Measure::Money(target)) => Some(target.currency),
        _ => None,
    }
}

/// The money KPIs in one currency.
fn money_figures(
    currency: &str,
    facts: &PeriodFacts,
    figures: &Figures,
    quotas: &[&gpb::Quota],
    win_rate: Option<Decimal>,
    cycle: Option<&kpi::DurationStats>,
) -> MonitoringResult<pb::CurrencyFigures> {
    let sums = figures.sales_by_currency.get(currency).copied().unwrap_or_default();
    let revenue = money(currency, from_units(sums.revenue));
    let costed = money(currency, from_units(sums.costed_revenue));
    let margin = kpi::gross_margin(&costed, &money(currency, from_units(sums.cost))).map_err(kpi_error)?;
    let margin_percent = kpi::gross_margin_percent(&costed, &margin).map_err(kpi_error)?;
    let (won_amount, _) = figures.won_in(currency);
    let average = figures.average_deal_size(currency);
    let (open, by_category, by_stage) =
        figures.pipeline_in(currency, &|stage| facts.sales_pipeline.probability(stage))?;
    let velocity = match (win_rate, &average, cycle) {
        (Some(rate), Some(size), Some(cycle)) => {
            kpi::sales_velocity(figures.open_count_in(currency), rate, size, cycle.average).map_err(kpi_error)?
        }
        _ => None,
    };
    let revenue_quota = quotas
        .iter()
        .find(|q| q.metric == gpb::Metric::Revenue as i32 && quota_currency(q).as_deref() == Some(currency));
    let coverage = match revenue_quota.and_then(|q| measure_from_proto(q.target.as_ref(), "target").ok()) {
        Some(Measure::Money(target)) => kpi::pipeline_coverage(&open, &target, &revenue).map_err(kpi_error)?,
        _ => None,
    };
    Ok(pb::CurrencyFigures {
        currency_code: currency.to_owned(),
        revenue: Some(money_to_proto(&revenue)),
        gross_margin: Some(money_to_proto(&margin)),
        gross_margin_percent: margin_percent.map(decimal_to_proto),
        won_amount: Some(money_to_proto(&money(currency, won_amount))),
        average_deal_size: average.as_ref().map(money_to_proto),
        open_pipeline: Some(money_to_proto(&open)),
        weighted_pipeline: Some(money_to_proto(&by_category)),
        stage_weighted_pipeline: Some(money_to_proto(&by_stage)),
        sales_velocity_per_day: velocity.as_ref().map(money_to_proto),
        pipeline_coverage: coverage.map(decimal_to_proto),
    })
}

/// The stage cohorts in the older shape: each stage to the next (won after the last), the counts
/// rounded to whole deals, and the credit-weighted mean time from first entry to going on.
fn stage_conversions(facts: &PeriodFacts, figures: &Figures) -> Vec<pb::StageConversion> {
    let whole = |count: Decimal| {
        count
            .round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero)
            .try_into()
            .unwrap_or(i64::MAX)
    };
    figures
        .stage_cohorts
        .iter()
        .map(|c| pb::StageConversion {
            from_stage: facts.sales_pipeline.stages[c.stage].stage.clone(),
            to_stage: facts.sales_pipeline.next_stage(c.stage),
            entered: whole(c.entered),
            advanced: whole(c.advanced),
            conversion_percent: c.rate.map(decimal_to_proto),
            average_time_in_stage: c
                .mean_seconds_to_advance()
                .map(|seconds| duration_to_proto(chrono::Duration::seconds(seconds))),
        })
        .collect()
}

/// The pipeline by stage: the sales pipeline's stages in order, then other stages by name.
fn pipeline_stages(facts: &PeriodFacts, figures: &Figures) -> Vec<pb::PipelineStageFigures> {
    let mut by_stage = stage_sums(&figures.pipeline, &facts.currency);
    let mut order: Vec<&str> = facts.sales_pipeline.stages.iter().map(|s| s.stage.as_str()).collect();
    order.extend(
        by_stage
            .keys()
            .copied()
            .filter(|stage| facts.sales_pipeline.position(stage).is_none()),
    );
    order
        .into_iter()
        .map(|stage| {
            let (count, amounts) = by_stage.remove(stage).unwrap_or_default();
            pb::PipelineStageFigures {
                stage: stage.to_owned(),
                win_probability_percent: facts.sales_pipeline.probability(stage).map(decimal_to_proto),
                open_deal_count: Some(decimal_to_proto(from_units(count))),
                amounts: amounts
                    .into_iter()
                    .map(|(currency, units)| money_to_proto(&money(currency, from_units(units))))
                    .collect(),
            }
        })
        .collect()
}

/// Per stage, the credited open deals in every currency and the amounts per currency: the asked
/// currency's only, or every currency's when `currency` is empty.
fn stage_sums<'a>(
    pipeline: &'a [(PipelineKey, PipelineAmounts)],
    currency: &str,
) -> BTreeMap<&'a str, (i64, BTreeMap<&'a str, i64>)> {
    let mut by_stage: BTreeMap<&str, (i64, BTreeMap<&str, i64>)> = BTreeMap::new();
    for (key, amounts) in pipeline {
        let entry = by_stage.entry(key.stage.as_str()).or_default();
        entry.0 += amounts.count;
        if currency.is_empty() || key.currency == currency {
            *entry.1.entry(key.currency.as_str()).or_default() += amounts.amount;
        }
    }
    by_stage
}

/// Whether a quota is about the scope the facts were read for.
pub fn quota_in_scope(quota: &gpb::Quota, scope: &Scope) -> bool {
    Scope::from_proto(quota.scope.as_ref(), "scope").is_ok_and(|s| &s == scope)
}

/// The actual of a quota's metric from the figures, money in the quota's own currency.
fn attainment(quota: &gpb::Quota, facts: &PeriodFacts, figures: &Figures) -> MonitoringResult<Option<pb::Attainment>> {
    let Ok(target) = measure_from_proto(quota.target.as_ref(), "target") else {
        return Ok(None);
    };
    let metric = gpb::Metric::try_from(quota.metric).unwrap_or(gpb::Metric::Unspecified);
    let in_currency = |currency: Option<&str>| {
        currency
            .and_then(|c| figures.sales_by_currency.get(c))
            .copied()
            .unwrap_or_default()
    };
    let actual = match metric {
        gpb::Metric::Revenue => from_units(in_currency(target.currency()).revenue),
        gpb::Metric::GrossMargin => {
            let sums = in_currency(target.currency());
            from_units(sums.costed_revenue - sums.cost)
        }
        gpb::Metric::UnitsSold => from_units(figures.units),
        gpb::Metric::DealsWon => figures.won_count,
        gpb::Metric::NewCustomers => Decimal::from(figures.new_customers),
        gpb::Metric::LeadsGenerated => Decimal::from(figures.leads_created),
        gpb::Metric::CustomerRetentionRate => figures.retention.unwrap_or_default(),
        gpb::Metric::LeadConversionRate => figures.cohort.conversion_rate.unwrap_or_default(),
        gpb::Metric::Unspecified => return Ok(None),
    };
    let is_rate = matches!(
        metric,
        gpb::Metric::CustomerRetentionRate | gpb::Metric::LeadConversionRate
    );
    let projection = if is_rate {
        Some(actual)
    } else {
        let months = facts.period.months().len();
        let weights: Vec<Decimal> = quota
            .seasonal_profile
            .iter()
            .filter_map(|w| decimal_from_proto(w, "seasonal_profile").ok())
            .collect();
        let profile = if weights.len() == months {
            SeasonalProfile::new(weights, months)
        } else {
            SeasonalProfile::even(months)
        };
        match profile {
            Ok(profile) => {
                let progress = PeriodProgress::at(&facts.calendar, &facts.period, facts.as_of).map_err(kpi_error)?;
                kpi::projected_total(actual, &profile, &progress).map_err(kpi_error)?
            }
            Err(_) => None,
        }
    };
    Ok(Some(pb::Attainment {
        metric: quota.metric,
        quota: quota.name.clone(),
        target: Some(measure_to_proto(&target)),
        actual: Some(measure_to_proto(&target.with_amount(actual))),
        variance: Some(measure_to_proto(
            &target.with_amount(kpi::variance(actual, target.amount())),
        )),
        attainment_percent: kpi::attainment_percent(actual, target.amount()).map(decimal_to_proto),
        projection: projection.map(|p| measure_to_proto(&target.with_amount(p))),
        // The quota's own period and target: `quota_periods::label` tells them.
        ..Default::default()
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(stage: &str, currency: &str, amount: i64, count: i64) -> (PipelineKey, PipelineAmounts) {
        let key = PipelineKey {
            member: "ana".into(),
            currency: currency.into(),
            stage: stage.into(),
            category: "pipeline".into(),
            region: String::new(),
            segment: String::new(),
        };
        (key, PipelineAmounts { amount, count })
    }

    #[test]
    fn a_stage_counts_every_currency_but_shows_the_asked_currency_only() {
        // propose: 6,000 IDR (one deal) and half of a 2,000 USD deal, in ten-thousandths.
        let rows = [
            row("propose", "IDR", 60_000_000, 10_000),
            row("propose", "USD", 10_000_000, 5_000),
        ];
        let idr = stage_sums(&rows, "IDR");
        // 1 + 0.5 deals = 15,000 ten-thousandths; only the IDR amount.
        assert_eq!(idr["propose"], (15_000, BTreeMap::from([("IDR", 60_000_000)])));
        let every = stage_sums(&rows, "");
        assert_eq!(
            every["propose"],
            (15_000, BTreeMap::from([("IDR", 60_000_000), ("USD", 10_000_000)]))
        );
    }
}

//! Action plan evaluation: each of the plan's quotas projected to its period's end from the
//! owner's own history (with a prediction interval), against its target; milestones past due and
//! not reached; the plan's status.

use chrono::{DateTime, Utc};
use lacak_domain::{FiscalCalendar, PeriodId, PeriodKind};
use lacak_forecast::forecast_monthly;
use lacak_proto::{goals as gpb, monitoring as mpb};
use lacak_runtime::auth::CallContext;
use rust_decimal::Decimal;

use crate::conv::measure;
use crate::deps::Dependencies;
use crate::domain::evaluate::{Outlook, QuotaOutlook, behind_since, outlook};
use crate::domain::model::Evidence;
use crate::domain::recommend::decimal as to_dec;
use crate::error::StrategyResult;
use crate::forecasts::LEVEL;
use crate::history::Series;
use crate::series_forecast::SeriesRead;
use crate::series_forecast::off_workers;

pub struct Evaluation {
    pub outlook: Option<Outlook>,
    /// Whether the interval came from a forecast (else the run-rate projection alone).
    pub forecast: bool,
    pub evidence: Vec<Evidence>,
}

fn metric_name(metric: i32) -> String {
    gpb::Metric::try_from(metric)
        .map(|m| m.as_str_name().trim_start_matches("METRIC_").to_lowercase())
        .unwrap_or_else(|_| "metric".into())
}

pub async fn evaluate(
    deps: &Dependencies,
    ctx: &CallContext,
    calendar: &FiscalCalendar,
    plan: &gpb::ActionPlan,
    currency: &str,
    (now, history_months): (DateTime<Utc>, u32),
) -> StrategyResult<Evaluation> {
    let mut outlooks = Vec::new();
    let mut evidence = Vec::new();
    let mut forecast_used = true;
    for name in &plan.quotas {
        let quota = deps.quota(ctx, name).await?;
        let Some(target) = measure(&quota.target) else { continue };
        let Ok(period) = quota.period.parse::<PeriodId>() else {
            continue;
        };
        let kpis = deps.kpis(ctx, &quota.owner, &quota.period, currency).await?;
        let Some(attainment) = kpis.attainments.iter().find(|a| a.quota == quota.name) else {
            continue;
        };
        let actual = measure(&attainment.actual).unwrap_or_default();
        let run_rate = measure(&attainment.projection).unwrap_or(actual);
        let (start, _) = calendar.bounds(&period).unwrap_or((now, now));
        let revenue = quota.metric == gpb::Metric::Revenue as i32 && crate::conv::unscoped(&quota.scope);
        let interval = if revenue {
            revenue_interval(
                deps,
                ctx,
                calendar,
                &quota.owner,
                period,
                target,
                currency,
                (now, history_months),
            )
            .await?
        } else {
            None
        };
        let (point, lower, upper, behind) = match interval {
            Some((point, lower, upper, behind)) => (point, lower, upper, behind),
            None => {
                forecast_used = false;
                (run_rate, run_rate, run_rate, None)
            }
        };
        let metric = metric_name(quota.metric);
        let share = if target.is_zero() {
            Decimal::ZERO
        } else {
            (point / target * Decimal::ONE_HUNDRED).round_dp(1)
        };
        evidence.push(Evidence {
            kpi: format!("{metric}_projection"),
            value: Some(point.round_dp(2)),
            reference: Some(target),
            p_value: None,
            since: Some(behind.unwrap_or(start)),
            explanation: format!(
                "{} of {} projected for {} ({share}% of target; {} booked so far{})",
                point.round_dp(0),
                quota.name,
                quota.period,
                actual.round_dp(0),
                if behind.is_some() {
                    ", behind plan since the month given"
                } else {
                    ""
                }
            ),
        });
        outlooks.push(QuotaOutlook {
            quota: quota.name.clone(),
            metric,
            target,
            actual,
            point,
            lower,
            upper,
        });
    }
    for milestone in &plan.milestones {
        let due = milestone
            .due_time
            .as_ref()
            .and_then(|t| lacak_runtime::convert::timestamp_from_proto(t, "due_time").ok());
        if milestone.reached || due.is_none_or(|due| due > now) {
            continue;
        }
        evidence.push(Evidence {
            kpi: "milestone".into(),
            value: None,
            reference: measure(&milestone.target),
            p_value: None,
            since: due,
            explanation: format!("milestone \"{}\" was due and is not reached", milestone.title),
        });
    }
    Ok(Evaluation {
        outlook: outlook(&outlooks),
        forecast: forecast_used,
        evidence,
    })
}

/// The owner's revenue in `period`: closed months as booked, the rest forecast from up to
/// `history_months` of history; with the start of the current shortfall against the target spread evenly.
#[allow(clippy::too_many_arguments)]
async fn revenue_interval(
    deps: &Dependencies,
    ctx: &CallContext,
    calendar: &FiscalCalendar,
    owner: &str,
    period: PeriodId,
    target: Decimal,
    currency: &str,
    (now, history_months): (DateTime<Utc>, u32),
) -> StrategyResult<Option<(Decimal, Decimal, Decimal, Option<DateTime<Utc>>)>> {
    let months = period.months();
    let current = calendar.period_containing(now, PeriodKind::Month);
    let Some(last_closed) = current.previous() else {
        return Ok(None);
    };
    let series = SeriesRead::back_from(calendar, last_closed, history_months, currency, false)
        .read(deps, ctx, owner, mpb::SeriesDimension::Total)
        .await?;
    let Some(series) = series.into_iter().next().map(Series::from_proto) else {
        return Ok(None);
    };
    let closed: Vec<PeriodId> = months
        .iter()
        .copied()
        .filter(|m| series.months.iter().any(|s| s.period == *m))
        .collect();
    let open = months.len() - closed.len();
    let booked: Decimal = series.revenue_of(&closed).iter().sum();
    let values = series.revenue();
    let start = values.iter().position(|&v| v > 0.0).unwrap_or(values.len());
    let (point, lower, upper) = if open == 0 {
        (booked, booked, booked)
    } else {
        // The open months are the last `open` of a horizon that runs from the month after the
        // last closed one to the period's end.
        let horizon = open.max(
            months
                .iter()
                .position(|m| *m == current)
                .map(|i| months.len() - i)
                .unwrap_or(open),
        );
        let history = values[start..].to_vec();
        let fitted = off_workers(move || forecast_monthly(&history, horizon, &[LEVEL])).await;
        // The interval of the open months' sum, not the sum of their bounds.
        let Some(total) = fitted.ok().and_then(|f| f.total(horizon - open..horizon, LEVEL)) else {
            return Ok(None);
        };
        let money = |v: f64| to_dec(v.max(0.0));
        (
            booked + money(total.point),
            booked + money(total.lower),
            booked + money(total.upper),
        )
    };
    let actual = series.revenue_of(&closed);
    let per_month = target / Decimal::from(months.len().max(1) as u64);
    let plan = vec![per_month; closed.len()];
    let behind = behind_since(&actual, &plan).and_then(|i| calendar.bounds(&closed[i]).ok().map(|b| b.0));
    Ok(Some((point.round_dp(2), lower.round_dp(2), upper.round_dp(2), behind)))
}

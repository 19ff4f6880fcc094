//! Quota re-evaluation: next period's target per member and team from a forecast of their own
//! history, past attainment and a learned monthly profile; every forecast kept, and scored once its
//! period has closed.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use futures::{StreamExt, TryStreamExt};
use lacak_domain::{FiscalCalendar, PeriodId, PeriodKind};
use lacak_forecast::{bias, monthly_profile, next_value, wape};
use lacak_proto::{goals as gpb, monitoring as mpb};
use lacak_runtime::auth::CallContext;
use rust_decimal::Decimal;
use sea_orm::DatabaseConnection;

use crate::conv::{decimal, measure};
use crate::deps::{Dependencies, Org};
use crate::domain::propose::{mean_attainment, proposed_target};
use crate::domain::recommend::{decimal as to_dec, float};
use crate::error::StrategyResult;
use crate::history::Series;
use crate::series_forecast::{SeriesRead, counted, forecast_all, forecastable, metric_words};
use crate::store::{self, NewForecast};

/// The prediction interval's coverage.
pub const LEVEL: f64 = 0.8;
/// Reads one proposal runs at once against another service: enough to overlap their waits, few
/// enough to leave the callee room for other callers.
const READS_AT_ONCE: usize = 8;
/// Pipeline below this multiple of the remaining quota shows a lead generation gap.
pub const THIN_PIPELINE: Decimal = Decimal::from_parts(3, 0, 0, false, 0);
/// Churn above this percentage shows a retention gap.
pub const HIGH_CHURN: Decimal = Decimal::from_parts(10, 0, 0, false, 0);

/// A proposal for one owner and metric.
#[derive(Debug, Clone, PartialEq)]
pub struct Proposal {
    pub owner: String,
    pub metric: gpb::Metric,
    pub point: Decimal,
    pub lower: Decimal,
    pub upper: Decimal,
    pub past_attainment: Option<Decimal>,
    pub target: Decimal,
    pub profile: Vec<Decimal>,
    pub rationale: String,
    pub snapshot: String,
}

/// A quota kind the data says is missing.
#[derive(Debug, Clone, PartialEq)]
pub struct Gap {
    pub owner: String,
    pub metric: gpb::Metric,
    pub kpi: String,
    pub value: Decimal,
    pub reference: Decimal,
    pub explanation: String,
}

/// Past periods a rate's proposal is read from.
pub const RATE_PERIODS: usize = 4;

/// Whether `metric` is a rate (a percentage of a period, proposed from past periods' KPIs).
pub fn is_rate(metric: gpb::Metric) -> bool {
    matches!(
        metric,
        gpb::Metric::CustomerRetentionRate | gpb::Metric::LeadConversionRate
    )
}

fn months_between(first: PeriodId, last: PeriodId) -> usize {
    let mut count = 1;
    let mut at = first;
    while at != last && count <= 240 {
        match at.next() {
            Some(next) => at = next,
            None => break,
        }
        count += 1;
    }
    count
}

/// Proposals of `metrics` for the team, each sub-team and each member (rates for the teams only),
/// and the gaps.
#[allow(clippy::too_many_arguments)]
pub async fn propose(
    db: &DatabaseConnection,
    deps: &Dependencies,
    ctx: &CallContext,
    calendar: &FiscalCalendar,
    org: &Org,
    team: &str,
    period: PeriodId,
    metrics: &[gpb::Metric],
    currency: &str,
    (now, history_months): (DateTime<Utc>, u32),
) -> StrategyResult<(Vec<Proposal>, Vec<Gap>)> {
    let months = period.months();
    let (Some(first_of_period), Some(last_of_period)) = (months.first().copied(), months.last().copied()) else {
        return Ok((Vec::new(), Vec::new()));
    };
    // History ends with the last closed month, and never inside the period proposed for.
    let current = calendar.period_containing(now, PeriodKind::Month);
    let Some(end) = [first_of_period, current]
        .into_iter()
        .filter_map(|m| m.previous())
        .min_by_key(|m| calendar.bounds(m).map(|b| b.0).unwrap_or(now))
    else {
        return Ok((Vec::new(), Vec::new()));
    };
    let horizon = months_between(end, last_of_period) - 1;
    // The forecasts' origin: the end of the last month of history.
    let origin = calendar.bounds(&end).map(|b| b.1).unwrap_or(now);
    let summed: Vec<gpb::Metric> = metrics.iter().copied().filter(|m| forecastable(*m)).collect();
    let rates: Vec<gpb::Metric> = metrics.iter().copied().filter(|m| is_rate(*m)).collect();

    let reading = SeriesRead::back_from(
        calendar,
        end,
        history_months,
        currency,
        summed.iter().any(|m| counted(*m)),
    );
    let mut teams: Vec<String> = org.subtree(team).into_iter().collect();
    teams.sort();
    // The members' series and each team's total, read at once.
    let team_owner = format!("teams/{team}");
    let team_owners: Vec<String> = teams.iter().map(|sub| format!("teams/{sub}")).collect();
    let series: Vec<Series> = if summed.is_empty() {
        Vec::new()
    } else {
        let members = reading.read(deps, ctx, &team_owner, mpb::SeriesDimension::Member);
        // Futures made first, then run a few at a time: a closure making them would not be `Send`.
        let total_reads: Vec<_> = team_owners
            .iter()
            .map(|owner| reading.read(deps, ctx, owner, mpb::SeriesDimension::Total))
            .collect();
        let totals = futures::stream::iter(total_reads)
            .buffered(READS_AT_ONCE)
            .try_collect::<Vec<_>>();
        let (members, totals) = tokio::try_join!(members, totals)?;
        members
            .into_iter()
            .chain(totals.into_iter().flatten())
            .map(Series::from_proto)
            .collect()
    };

    // Every owner's history of every metric, fitted off the async workers in one batch per core.
    let jobs: Vec<(usize, gpb::Metric)> = summed
        .iter()
        .flat_map(|&metric| (0..series.len()).map(move |i| (i, metric)))
        .collect();
    let histories: Vec<Vec<f64>> = jobs
        .iter()
        .map(|&(i, metric)| {
            let values = series[i].values(metric);
            let first = values.iter().position(|&v| v != 0.0).unwrap_or(values.len());
            values[first..].to_vec()
        })
        .collect();
    let lengths: Vec<usize> = histories.iter().map(Vec::len).collect();
    let fitted = forecast_all(histories, horizon, &[LEVEL]);
    // Past quotas of the whole subtree, every metric, in one listing; the rates' past periods.
    let quotas = deps.quotas_in_subtree(ctx, &team_owner);
    let past_periods = closed_periods(calendar, period, end);
    let rate_reads = rate_history(deps, ctx, &team_owners, &past_periods, &rates, currency);
    let (fitted, quotas, rate_values, gaps) = async {
        let fitted = fitted.await;
        let (quotas, rate_values, gaps) =
            tokio::try_join!(quotas, rate_reads, gaps(deps, ctx, calendar, team, currency, now))?;
        Ok::<_, crate::error::StrategyError>((fitted, quotas, rate_values, gaps))
    }
    .await?;
    let mut quotas_of: HashMap<String, Vec<gpb::Quota>> = HashMap::new();
    for quota in quotas {
        quotas_of.entry(quota.owner.clone()).or_default().push(quota);
    }

    let period_indices: Vec<u32> = months.iter().map(|m| m.index).collect();
    // Each proposal with the method of its forecast, kept once all are made.
    let mut drafts: Vec<(Proposal, &str)> = Vec::new();
    for ((&(i, metric), history_len), fitted) in jobs.iter().zip(lengths).zip(fitted) {
        let s = &series[i];
        let forecast = match fitted {
            Ok(forecast) => forecast,
            Err(error) => {
                tracing::debug!(owner = %s.subject, ?metric, %error, "no forecast");
                continue;
            }
        };
        // The period is the last months of the horizon; its interval is that of their sum.
        let steps = forecast.point.len().saturating_sub(months.len())..forecast.point.len();
        let Some(total) = forecast.total(steps, LEVEL) else {
            continue;
        };
        let round = |v: f64| to_dec(v).round_dp(2).max(Decimal::ZERO);
        let (point, lower, upper) = (round(total.point), round(total.lower), round(total.upper));
        let owner_quotas = quotas_of.get(s.subject.as_str()).map(Vec::as_slice).unwrap_or_default();
        let past = mean_attainment(&past_attainment(calendar, owner_quotas, metric, s, end));
        let history_points: Vec<(i32, u32, f64)> = s
            .months
            .iter()
            .map(|m| (m.period.fiscal_year, m.period.index, float(m.value(metric))))
            .collect();
        let profile = monthly_profile(&history_points, &period_indices).unwrap_or_default();
        let method = forecast.method.name();
        let evidence = format!("{history_len} months of {} forecast ({method})", metric_words(metric));
        drafts.push((
            draft(
                period,
                (&s.subject, metric),
                (point, lower, upper),
                past,
                profile,
                &evidence,
            ),
            method,
        ));
    }
    for (owner, by_metric) in team_owners.iter().zip(rate_values) {
        for (metric, values) in rates.iter().zip(by_metric) {
            let past: Vec<f64> = values.iter().map(|(_, v)| float(*v)).collect();
            let Some(next) = next_value(&past, LEVEL, (0.0, 100.0)) else {
                continue;
            };
            let round = |v: f64| to_dec(v).round_dp(2);
            let (point, lower, upper) = (round(next.point), round(next.lower), round(next.upper));
            let owner_quotas = quotas_of.get(owner.as_str()).map(Vec::as_slice).unwrap_or_default();
            let pairs: Vec<(Decimal, Decimal)> = owner_quotas
                .iter()
                .filter(|q| q.metric == *metric as i32 && crate::conv::unscoped(&q.scope))
                .filter_map(|q| {
                    let actual = values.iter().find(|(p, _)| p.to_string() == q.period)?.1;
                    Some((actual, measure(&q.target)?))
                })
                .collect();
            let evidence = format!(
                "{} over the last {} {}s ({}), mean and Student-t interval",
                metric_words(*metric),
                values.len(),
                kind_word(period.kind),
                values
                    .iter()
                    .map(|(p, v)| format!("{p} {}%", v.round_dp(1).normalize()))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            let target_cap = upper.min(Decimal::ONE_HUNDRED);
            drafts.push((
                draft(
                    period,
                    (owner, *metric),
                    (point, lower, target_cap),
                    mean_attainment(&pairs),
                    Vec::new(),
                    &evidence,
                ),
                "past-periods",
            ));
        }
    }
    // Every forecast behind the proposals kept at once.
    let period_name = period.to_string();
    let kept: Vec<NewForecast> = drafts
        .iter()
        .map(|(proposal, method)| NewForecast {
            owner: &proposal.owner,
            period: &period_name,
            metric: proposal.metric as i32,
            currency,
            point: proposal.point,
            lower: proposal.lower,
            upper: proposal.upper,
            level: Decimal::from(80),
            method,
            origin,
        })
        .collect();
    let ids = store::keep_forecasts(db, &ctx.principal.tenant, &kept, now).await?;
    let proposals = drafts
        .into_iter()
        .zip(ids)
        .map(|((proposal, _), id)| Proposal {
            snapshot: format!("forecasts/{id}"),
            ..proposal
        })
        .collect();
    Ok((proposals, gaps))
}

/// A proposal from a forecast of the period: the target from the point, the interval's upper bound
/// and past attainment, the rationale in words; its snapshot is named once the forecast is kept.
fn draft(
    period: PeriodId,
    (owner, metric): (&str, gpb::Metric),
    (point, lower, upper): (Decimal, Decimal, Decimal),
    past: Option<Decimal>,
    profile: Vec<Decimal>,
    evidence: &str,
) -> Proposal {
    let target = proposed_target(point, upper, past);
    let rationale = format!(
        "{evidence} at {} for {period} ({}–{} at 80%); {}; target {}",
        point.round_dp(2).normalize(),
        lower.round_dp(2).normalize(),
        upper.round_dp(2).normalize(),
        match past {
            Some(p) if p >= Decimal::ONE_HUNDRED => format!(
                "past targets met on average ({}%), so stretched 5% within the interval",
                p.normalize()
            ),
            Some(p) => format!("past attainment {}% on average, so no stretch", p.normalize()),
            None => "no past target to compare with".to_owned(),
        },
        target.normalize(),
    );
    Proposal {
        owner: owner.to_owned(),
        metric,
        point,
        lower,
        upper,
        past_attainment: past,
        target,
        profile,
        rationale,
        snapshot: String::new(),
    }
}

fn kind_word(kind: PeriodKind) -> &'static str {
    match kind {
        PeriodKind::Month => "month",
        PeriodKind::Quarter => "quarter",
        PeriodKind::Year => "year",
    }
}

/// Up to [`RATE_PERIODS`] periods of `period`'s kind that closed by the end of `history_end`,
/// the latest last.
fn closed_periods(calendar: &FiscalCalendar, period: PeriodId, history_end: PeriodId) -> Vec<PeriodId> {
    let Ok((_, end)) = calendar.bounds(&history_end) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut at = period.previous();
    while let Some(p) = at {
        if out.len() == RATE_PERIODS {
            break;
        }
        if calendar.bounds(&p).is_ok_and(|(_, closes)| closes <= end) {
            out.push(p);
        }
        at = p.previous();
    }
    out.reverse();
    out
}

/// Each team's rates in each past period, from its KPIs: per owner, per rate, (period, value) for
/// the periods that have one.
async fn rate_history(
    deps: &Dependencies,
    ctx: &CallContext,
    owners: &[String],
    periods: &[PeriodId],
    rates: &[gpb::Metric],
    currency: &str,
) -> StrategyResult<Vec<Vec<Vec<(PeriodId, Decimal)>>>> {
    if rates.is_empty() {
        return Ok(owners.iter().map(|_| Vec::new()).collect());
    }
    let asks: Vec<(usize, PeriodId, String)> = (0..owners.len())
        .flat_map(|o| periods.iter().map(move |p| (o, *p, p.to_string())))
        .collect();
    let reads: Vec<_> = asks
        .iter()
        .map(|(o, _, p)| deps.kpis(ctx, &owners[*o], p, currency))
        .collect();
    let kpis = futures::stream::iter(reads)
        .buffered(READS_AT_ONCE)
        .try_collect::<Vec<_>>()
        .await?;
    let mut out: Vec<Vec<Vec<(PeriodId, Decimal)>>> = owners.iter().map(|_| vec![Vec::new(); rates.len()]).collect();
    for ((o, p, _), kpis) in asks.iter().zip(kpis) {
        let (o, p) = (*o, *p);
        for (r, metric) in rates.iter().enumerate() {
            if let Some(value) = rate_of(&kpis, *metric) {
                out[o][r].push((p, value));
            }
        }
    }
    Ok(out)
}

/// A rate's value in a period's KPIs: retention, or the lead cohort's conversion.
fn rate_of(kpis: &mpb::Kpis, metric: gpb::Metric) -> Option<Decimal> {
    match metric {
        gpb::Metric::CustomerRetentionRate => decimal(&kpis.retention_percent),
        gpb::Metric::LeadConversionRate => kpis.lead_cohort.as_ref().and_then(|c| decimal(&c.conversion_percent)),
        _ => None,
    }
}

/// The owner's past unscoped quotas of `metric` that closed within the history, with what was done.
fn past_attainment(
    calendar: &FiscalCalendar,
    quotas: &[gpb::Quota],
    metric: gpb::Metric,
    series: &Series,
    history_end: PeriodId,
) -> Vec<(Decimal, Decimal)> {
    let end = calendar.bounds(&history_end).map(|b| b.1).ok();
    let mut pairs = Vec::new();
    for quota in quotas {
        if quota.metric != metric as i32 || !crate::conv::unscoped(&quota.scope) {
            continue;
        }
        let (Ok(period), Some(target)) = (quota.period.parse::<PeriodId>(), measure(&quota.target)) else {
            continue;
        };
        let closed = calendar.bounds(&period).ok().map(|b| b.1);
        let first = period.months().first().copied();
        let covered = first.is_some_and(|f| series.months.iter().any(|m| m.period == f));
        if closed.is_some() && closed <= end && covered {
            let actual: Decimal = series.metric_of(metric, &period.months()).iter().sum();
            pairs.push((actual, target));
        }
    }
    pairs
}

/// Team-level quota kinds the data asks for: lead generation where the pipeline is thin, retention
/// where customers churn.
async fn gaps(
    deps: &Dependencies,
    ctx: &CallContext,
    calendar: &FiscalCalendar,
    team: &str,
    currency: &str,
    now: DateTime<Utc>,
) -> StrategyResult<Vec<Gap>> {
    let owner = format!("teams/{team}");
    let quarter = calendar.period_containing(now, PeriodKind::Quarter).to_string();
    let kpis = deps.kpis(ctx, &owner, &quarter, currency).await?;
    let has = async |metric: gpb::Metric| -> StrategyResult<bool> {
        Ok(!deps.quotas(ctx, &owner, "", metric).await?.is_empty())
    };
    let mut out = Vec::new();
    if let Some(coverage) = decimal(&kpis.pipeline_coverage)
        && coverage < THIN_PIPELINE
        && !has(gpb::Metric::LeadsGenerated).await?
    {
        out.push(Gap {
            owner: owner.clone(),
            metric: gpb::Metric::LeadsGenerated,
            kpi: "pipeline_coverage".into(),
            value: coverage,
            reference: THIN_PIPELINE,
            explanation: format!(
                "open pipeline covers {}× the remaining revenue quota in {quarter}, under {THIN_PIPELINE}×, and no \
                 lead generation quota drives it",
                coverage.round_dp(2).normalize()
            ),
        });
    }
    if let Some(churn) = decimal(&kpis.churn_percent)
        && churn > HIGH_CHURN
        && !has(gpb::Metric::CustomerRetentionRate).await?
    {
        out.push(Gap {
            owner,
            metric: gpb::Metric::CustomerRetentionRate,
            kpi: "churn_percent".into(),
            value: churn,
            reference: HIGH_CHURN,
            explanation: format!(
                "{}% of customers churned in {quarter}, over {HIGH_CHURN}%, and no retention quota holds anyone to it",
                churn.round_dp(2).normalize()
            ),
        });
    }
    Ok(out)
}

/// Scores the tenant's kept forecasts whose period has closed: the actual, WAPE and bias.
pub async fn score_closed(
    db: &DatabaseConnection,
    deps: &Dependencies,
    ctx: &CallContext,
    calendar: &FiscalCalendar,
    now: DateTime<Utc>,
) -> StrategyResult<usize> {
    let mut scored = 0;
    for forecast in store::unscored(db, Some(&ctx.principal.tenant)).await? {
        let Ok(period) = forecast.period.parse::<PeriodId>() else {
            continue;
        };
        let Ok((_, end)) = calendar.bounds(&period) else {
            continue;
        };
        let months = period.months();
        if end > now || months.is_empty() {
            continue;
        }
        let metric = forecast
            .metric
            .parse::<i32>()
            .ok()
            .and_then(|m| gpb::Metric::try_from(m).ok())
            .unwrap_or(gpb::Metric::Revenue);
        let actual = if is_rate(metric) {
            let kpis = deps
                .kpis(ctx, &forecast.owner, &forecast.period, &forecast.currency)
                .await?;
            let Some(value) = rate_of(&kpis, metric) else {
                continue;
            };
            value
        } else {
            let reading = SeriesRead {
                calendar,
                first: months[0],
                last: months[months.len() - 1],
                currency: &forecast.currency,
                counts: counted(metric),
                from_first_record: false,
            };
            reading
                .read(deps, ctx, &forecast.owner, mpb::SeriesDimension::Total)
                .await?
                .into_iter()
                .map(Series::from_proto)
                .flat_map(|s| s.metric_of(metric, &months))
                .sum()
        };
        let point = lacak_runtime::error::stored_decimal(
            &forecast.point,
            "forecasts",
            "point",
            format!("forecasts/{}", forecast.id),
        )?;
        let (a, f) = ([float(actual)], [float(point)]);
        let w = wape(&a, &f).map(|v| to_dec(v).round_dp(2));
        let b = bias(&a, &f).map(|v| to_dec(v).round_dp(2));
        store::score(db, &forecast, actual, w, b, now).await?;
        scored += 1;
    }
    Ok(scored)
}

//! Quota re-evaluation: next period's target per member and team from a forecast of their own
//! history, past attainment and a learned monthly profile; every forecast kept, and scored once its
//! period has closed.

use chrono::{DateTime, Utc};
use futures::{StreamExt, TryStreamExt};
use lacak_domain::{FiscalCalendar, PeriodId, PeriodKind};
use lacak_forecast::{bias, monthly_profile, wape};
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
use crate::series_forecast::forecast_all;
use crate::store::{self, NewForecast};

/// Months of history a forecast reads.
pub const HISTORY_MONTHS: u32 = 36;
/// The prediction interval's coverage.
pub const LEVEL: f64 = 0.8;
/// Reads one proposal runs at once against another service: enough to overlap their waits, few
/// enough to leave the callee room for other callers.
const READS_AT_ONCE: usize = 8;
/// Pipeline below this multiple of the remaining quota shows a lead generation gap.
pub const THIN_PIPELINE: Decimal = Decimal::from_parts(3, 0, 0, false, 0);
/// Churn above this percentage shows a retention gap.
pub const HIGH_CHURN: Decimal = Decimal::from_parts(10, 0, 0, false, 0);

/// A proposal for one owner.
#[derive(Debug, Clone, PartialEq)]
pub struct Proposal {
    pub owner: String,
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

/// Proposals for the team, each sub-team and each member, and the gaps.
#[allow(clippy::too_many_arguments)]
pub async fn propose(
    db: &DatabaseConnection,
    deps: &Dependencies,
    ctx: &CallContext,
    calendar: &FiscalCalendar,
    org: &Org,
    team: &str,
    period: PeriodId,
    currency: &str,
    now: DateTime<Utc>,
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
    let mut start = end;
    for _ in 1..HISTORY_MONTHS {
        start = start.previous().unwrap_or(start);
    }
    let horizon = months_between(end, last_of_period) - 1;

    let (first, last) = (start.to_string(), end.to_string());
    let mut teams: Vec<String> = org.subtree(team).into_iter().collect();
    teams.sort();
    // The members' series and each team's total, read at once.
    let team_owner = format!("teams/{team}");
    let members = deps.series(ctx, &team_owner, mpb::SeriesDimension::Member, &first, &last, currency);
    // Futures made first, then run a few at a time: a closure making them would not be `Send`.
    let team_owners: Vec<String> = teams.iter().map(|sub| format!("teams/{sub}")).collect();
    let total_reads: Vec<_> = team_owners
        .iter()
        .map(|owner| deps.series(ctx, owner, mpb::SeriesDimension::Total, &first, &last, currency))
        .collect();
    let totals = futures::stream::iter(total_reads)
        .buffered(READS_AT_ONCE)
        .try_collect::<Vec<_>>();
    let (members, totals) = tokio::try_join!(members, totals)?;
    let series: Vec<Series> = members
        .into_iter()
        .chain(totals.into_iter().flatten())
        .map(Series::from_proto)
        .collect();

    let period_indices: Vec<u32> = months.iter().map(|m| m.index).collect();
    // Each owner's model is fitted off the async workers, in one batch per core.
    let histories: Vec<Vec<f64>> = series
        .iter()
        .map(|s| {
            let values = s.revenue();
            let first_sale = values.iter().position(|&v| v > 0.0).unwrap_or(values.len());
            values[first_sale..].to_vec()
        })
        .collect();
    let lengths: Vec<usize> = histories.iter().map(Vec::len).collect();
    let fitted: Vec<_> = lengths
        .into_iter()
        .zip(forecast_all(histories, horizon, &[LEVEL]).await)
        .collect();
    // Past attainment asks goals for each owner's quotas: a few owners at a time.
    let past_reads: Vec<_> = series
        .iter()
        .map(|s| past_attainment(deps, ctx, calendar, &s.subject, s, end))
        .collect();
    let pasts = futures::stream::iter(past_reads)
        .buffered(READS_AT_ONCE)
        .try_collect::<Vec<_>>();
    let (pasts, gaps) = tokio::try_join!(pasts, gaps(deps, ctx, calendar, team, currency, now))?;

    let mut proposals = Vec::new();
    for ((s, (history_len, fitted)), pairs) in series.iter().zip(fitted).zip(pasts) {
        let forecast = match fitted {
            Ok(forecast) => forecast,
            Err(error) => {
                tracing::debug!(owner = %s.subject, %error, "no forecast");
                continue;
            }
        };
        // The period is the last months of the horizon; its interval is that of their sum.
        let steps = forecast.point.len().saturating_sub(months.len())..forecast.point.len();
        let Some(total) = forecast.total(steps, LEVEL) else {
            continue;
        };
        let money = |v: f64| to_dec(v).round_dp(2).max(Decimal::ZERO);
        let (point, lower, upper) = (money(total.point), money(total.lower), money(total.upper));
        let past = mean_attainment(&pairs);
        let target = proposed_target(point, upper, past);
        let history_points: Vec<(i32, u32, f64)> = s
            .months
            .iter()
            .map(|m| (m.period.fiscal_year, m.period.index, float(m.revenue)))
            .collect();
        let profile = monthly_profile(&history_points, &period_indices).unwrap_or_default();
        let method = forecast.method.name();
        let snapshot = store::keep_forecast(
            db,
            &ctx.principal.tenant,
            &NewForecast {
                owner: &s.subject,
                period: &period.to_string(),
                metric: gpb::Metric::Revenue as i32,
                currency,
                point,
                lower,
                upper,
                level: Decimal::from(80),
                method,
            },
            now,
        )
        .await?;
        let rationale = format!(
            "{} months of history forecast ({method}) at {} for {period} ({}–{} at 80%); {}; target {}",
            history_len,
            point.round_dp(0),
            lower.round_dp(0),
            upper.round_dp(0),
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
        proposals.push(Proposal {
            owner: s.subject.clone(),
            point,
            lower,
            upper,
            past_attainment: past,
            target,
            profile,
            rationale,
            snapshot: format!("forecasts/{snapshot}"),
        });
    }
    Ok((proposals, gaps))
}

/// The owner's past revenue quotas that closed within the history, with what was sold.
async fn past_attainment(
    deps: &Dependencies,
    ctx: &CallContext,
    calendar: &FiscalCalendar,
    owner: &str,
    series: &Series,
    history_end: PeriodId,
) -> StrategyResult<Vec<(Decimal, Decimal)>> {
    let end = calendar.bounds(&history_end).map(|b| b.1).ok();
    let mut pairs = Vec::new();
    for quota in deps.quotas(ctx, owner, "", gpb::Metric::Revenue).await? {
        if !crate::conv::unscoped(&quota.scope) {
            continue;
        }
        let (Ok(period), Some(target)) = (quota.period.parse::<PeriodId>(), measure(&quota.target)) else {
            continue;
        };
        let closed = calendar.bounds(&period).ok().map(|b| b.1);
        let first = period.months().first().copied();
        let covered = first.is_some_and(|f| series.months.iter().any(|m| m.period == f));
        if closed.is_some() && closed <= end && covered {
            let actual: Decimal = series.revenue_of(&period.months()).iter().sum();
            pairs.push((actual, target));
        }
    }
    Ok(pairs)
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
        let series = deps
            .series(
                ctx,
                &forecast.owner,
                mpb::SeriesDimension::Total,
                &months[0].to_string(),
                &months[months.len() - 1].to_string(),
                &forecast.currency,
            )
            .await?;
        let actual: Decimal = series
            .into_iter()
            .map(Series::from_proto)
            .flat_map(|s| s.months.into_iter().map(|m| m.revenue))
            .sum();
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

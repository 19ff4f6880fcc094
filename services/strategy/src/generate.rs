//! Generation: gathers what monitoring, goals and inventory say about a team and period, turns it
//! into proposals by the rules of `domain::recommend`, and files them.

use std::collections::HashMap;

use futures::{StreamExt, TryStreamExt};

use chrono::{DateTime, Utc};
use lacak_domain::{FiscalCalendar, PeriodId, PeriodKind};
use lacak_forecast::{DemandTrend, monthly_profile};
use lacak_proto::{goals as gpb, inventory as ipb, monitoring as mpb};
use lacak_runtime::auth::CallContext;
use rust_decimal::Decimal;
use sea_orm::DatabaseConnection;

use crate::conv::{amount, decimal, measure};
use crate::deps::{Dependencies, Org};
use crate::domain::recommend::{
    self, MemberPicture, ProductPicture, QuotaPicture, TeamPicture, TrendPicture, WeakPoint, float,
};
use crate::error::StrategyResult;
use crate::history::{Series, closed_months, trend};
use crate::store::{self, Batch, Stored};

/// Months of history read for profiles and trends.
pub const HISTORY_MONTHS: u32 = 36;

/// What one generation is about.
pub struct Ask<'a> {
    pub team: &'a str,
    pub period: PeriodId,
    pub currency: &'a str,
    pub now: DateTime<Utc>,
}

fn weak_kind(kind: i32) -> &'static str {
    match mpb::WeakPointKind::try_from(kind) {
        Ok(mpb::WeakPointKind::MemberLeadConversion) => "lead_conversion",
        Ok(mpb::WeakPointKind::MemberWinRate) => "win_rate",
        Ok(mpb::WeakPointKind::TimeInStage) => "time_in_stage",
        _ => "stage_conversion",
    }
}

fn to_trend(found: crate::history::Trend) -> TrendPicture {
    TrendPicture {
        rising: found.direction == DemandTrend::Rising,
        emerging: found.direction == DemandTrend::Emerging,
        subject: found.subject,
        before: found.before,
        after: found.after,
        since: found.since,
    }
}

/// Proposes and files recommendations for the team and period; answers them as filed.
pub async fn generate(
    db: &DatabaseConnection,
    deps: &Dependencies,
    ctx: &CallContext,
    calendar: &FiscalCalendar,
    org: &Org,
    ask: &Ask<'_>,
) -> StrategyResult<Vec<Stored>> {
    let picture = picture(deps, ctx, calendar, org, ask).await?;
    let proposals = recommend::recommend(&picture);
    let period = ask.period.to_string();
    let team_path = org.path(ask.team);
    let batch = Batch {
        tenant: &ctx.principal.tenant,
        team: &format!("teams/{}", ask.team),
        team_path: &team_path,
        period: &period,
        currency: ask.currency,
        now: ask.now,
    };
    let filed = store::file_generation(db, &batch, &proposals).await?;
    tracing::info!(team = ask.team, period = %period, proposals = filed.len(), "recommendations generated");
    Ok(filed)
}

async fn picture(
    deps: &Dependencies,
    ctx: &CallContext,
    calendar: &FiscalCalendar,
    org: &Org,
    ask: &Ask<'_>,
) -> StrategyResult<TeamPicture> {
    let team_owner = format!("teams/{}", ask.team);
    let period = ask.period.to_string();
    let (start, end) = calendar
        .bounds(&ask.period)
        .map_err(|e| crate::error::StrategyError::invalid("period", e.to_string()))?;
    let elapsed = ((ask.now - start).num_seconds() as f64 / (end - start).num_seconds().max(1) as f64).clamp(0.0, 1.0);

    // Independent reads at once: the report, each member's history, the plans and the portfolio.
    let history_read = async {
        match closed_months(calendar, ask.now, HISTORY_MONTHS) {
            Some((first, last)) => deps
                .series(
                    ctx,
                    &team_owner,
                    mpb::SeriesDimension::Member,
                    &first.to_string(),
                    &last.to_string(),
                    ask.currency,
                )
                .await
                .map(|series| {
                    series
                        .into_iter()
                        .map(Series::from_proto)
                        .map(|s| (s.subject.clone(), s))
                        .collect::<HashMap<_, _>>()
                }),
            None => Ok(HashMap::new()),
        }
    };
    let (report, history, plans, (products, markets), members) = tokio::try_join!(
        deps.tracking_report(ctx, ask.team, &period, ask.currency),
        history_read,
        deps.active_plans(ctx),
        portfolio_and_markets(deps, ctx, calendar, &team_owner, ask),
        member_reads(deps, ctx, org, ask, &period),
    )?;
    let weak_points = report
        .weak_points
        .iter()
        .map(|w| WeakPoint {
            kind: weak_kind(w.kind),
            member: w.member.trim_start_matches("members/").to_owned(),
            stage: w.stage.clone(),
            value: decimal(&w.value).unwrap_or_default(),
            baseline: decimal(&w.baseline).unwrap_or_default(),
            p_value: decimal(&w.p_value),
            revenue_at_stake: amount(&w.revenue_at_stake),
            explanation: w.explanation.clone(),
        })
        .collect();

    let period_months: Vec<u32> = ask.period.months().iter().map(|m| m.index).collect();

    let mut pictures = Vec::with_capacity(members.len());
    for (member, quotas, kpis) in members {
        let quota = quotas.iter().find(|q| crate::conv::unscoped(&q.scope));
        let attainment = quota.and_then(|q| kpis.attainments.iter().find(|a| a.quota == q.name));
        let owner = format!("members/{member}");
        let learned_profile = history.get(&owner).and_then(|series| {
            let points: Vec<(i32, u32, f64)> = series
                .months
                .iter()
                .map(|m| (m.period.fiscal_year, m.period.index, float(m.revenue)))
                .collect();
            monthly_profile(&points, &period_months)
        });
        pictures.push(MemberPicture {
            member,
            quota: quota.and_then(|q| {
                Some(QuotaPicture {
                    name: q.name.clone(),
                    target: measure(&q.target)?,
                    profile: q
                        .seasonal_profile
                        .iter()
                        .filter_map(|d| decimal(&Some(d.clone())))
                        .collect(),
                    months: period_months.len(),
                })
            }),
            projection: attainment.and_then(|a| measure(&a.projection)),
            actual: amount(&kpis.revenue),
            learned_profile,
        });
    }

    let plans = plans.into_iter().map(|plan| (plan.owner, plan.name)).collect();
    let member_teams = org
        .member_teams
        .iter()
        .map(|(member, team)| {
            let mut lineage = org.lineage(team);
            lineage.reverse();
            (member.clone(), lineage)
        })
        .collect();

    let month = calendar.period_containing(ask.now, PeriodKind::Month);
    let next_month = month
        .next()
        .and_then(|next| calendar.bounds(&next).ok())
        .unwrap_or((end, end));
    Ok(TeamPicture {
        team: ask.team.to_owned(),
        period,
        period_end: end,
        elapsed,
        members: pictures,
        weak_points,
        plans,
        member_teams,
        manager: org.managers.get(ask.team).cloned(),
        products,
        markets,
        next_month,
    })
}

/// Calls to other services one generation runs at once per member read: enough to overlap their
/// waits, few enough to leave the callees room for other callers.
const MEMBER_READS_AT_ONCE: usize = 8;

/// Each member's revenue quotas and KPIs for the period, a few members at a time, in the order of
/// the team's members.
async fn member_reads(
    deps: &Dependencies,
    ctx: &CallContext,
    org: &Org,
    ask: &Ask<'_>,
    period: &str,
) -> StrategyResult<Vec<(String, Vec<gpb::Quota>, mpb::Kpis)>> {
    // Futures made first, then run a few at a time: a closure making them would not be `Send`.
    let reads: Vec<_> = org
        .members_of(ask.team)
        .into_iter()
        .map(|member| async move {
            let owner = format!("members/{member}");
            let (quotas, kpis) = tokio::try_join!(
                deps.quotas(ctx, &owner, period, gpb::Metric::Revenue),
                deps.kpis(ctx, &owner, period, ask.currency),
            )?;
            Ok((member, quotas, kpis))
        })
        .collect();
    futures::stream::iter(reads)
        .buffered(MEMBER_READS_AT_ONCE)
        .try_collect()
        .await
}

/// The team's products with inventory's assessment and their demand trend; segment and region
/// trends.
async fn portfolio_and_markets(
    deps: &Dependencies,
    ctx: &CallContext,
    calendar: &FiscalCalendar,
    team_owner: &str,
    ask: &Ask<'_>,
) -> StrategyResult<(Vec<ProductPicture>, Vec<TrendPicture>)> {
    let Some((first, last)) = closed_months(calendar, ask.now, HISTORY_MONTHS) else {
        return Ok((Vec::new(), Vec::new()));
    };
    let (first, last) = (first.to_string(), last.to_string());
    let read = |dimension| deps.series(ctx, team_owner, dimension, &first, &last, ask.currency);
    let by_product: HashMap<String, Series> = read(mpb::SeriesDimension::Product)
        .await?
        .into_iter()
        .map(Series::from_proto)
        .map(|s| (s.subject.clone(), s))
        .collect();
    let portfolio = deps.portfolio(ctx, ask.currency).await?;
    let mut products = Vec::new();
    for item in portfolio.items {
        let Some(series) = by_product.get(&item.product) else {
            continue;
        };
        let quadrant = ipb::Quadrant::try_from(item.quadrant).unwrap_or(ipb::Quadrant::Unspecified);
        let recent: Vec<Decimal> = series.months.iter().rev().take(3).map(|m| m.margin).collect();
        let monthly_margin = if recent.is_empty() {
            Decimal::ZERO
        } else {
            recent.iter().sum::<Decimal>() / Decimal::from(recent.len() as u64)
        };
        products.push(ProductPicture {
            sku: item.product.trim_start_matches("products/").to_owned(),
            high_margin: matches!(
                quadrant,
                ipb::Quadrant::HighMarginHighPotential | ipb::Quadrant::HighMarginLowPotential
            ),
            low_potential: matches!(quadrant, ipb::Quadrant::LowMarginLowPotential),
            margin_percent: item.profitability.as_ref().and_then(|p| decimal(&p.net_margin_percent)),
            trend: trend(series).map(to_trend),
            monthly_margin: monthly_margin.round_dp(2),
        });
    }
    let mut markets = Vec::new();
    for dimension in [mpb::SeriesDimension::Segment, mpb::SeriesDimension::Region] {
        for series in read(dimension).await? {
            if let Some(found) = trend(&Series::from_proto(series)) {
                markets.push(to_trend(found));
            }
        }
    }
    Ok((products, markets))
}

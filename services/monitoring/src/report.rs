//! The sales tracking report of a team and period: each member against their revenue target,
//! ranked, with the team's line; and its weak points — members and funnel stages that differ from
//! the team's baseline by more than chance, ranked by revenue at stake. The trend is in `trend`.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use lacak_domain::PeriodId;
use lacak_domain::kpi::{self, SIGNIFICANCE};
use lacak_proto::goals as gpb;
use lacak_proto::monitoring as pb;
use lacak_runtime::convert::{
    Measure, decimal_from_proto, decimal_to_proto, duration_to_proto, measure_from_proto, money_to_proto,
};
use rust_decimal::Decimal;
use rust_decimal::prelude::FromPrimitive;

use crate::domain::access::Org;
use crate::error::MonitoringResult;
use crate::kpis::{Figures, PeriodFacts, money};
use crate::outlook::{MemberRevenue, Outlook, RevenueTarget, team_performance};
use crate::store::deals::DealRecord;

/// Each member's revenue target for the period, unscoped and in `currency`, with its profile.
pub fn revenue_targets(quotas: &[gpb::Quota], currency: &str) -> HashMap<String, RevenueTarget> {
    quotas
        .iter()
        .filter(|q| q.metric == gpb::Metric::Revenue as i32)
        .filter(|q| q.scope.as_ref().is_none_or(|s| *s == Default::default()))
        .filter_map(|q| {
            let member = q.owner.strip_prefix("members/")?;
            match measure_from_proto(q.target.as_ref(), "target").ok()? {
                Measure::Money(m) if m.currency == currency => Some((
                    member.to_owned(),
                    RevenueTarget {
                        amount: m.amount,
                        // Goals checks profiles on write; one that cannot be read projects evenly.
                        weights: q
                            .seasonal_profile
                            .iter()
                            .filter_map(|w| decimal_from_proto(w, "seasonal_profile").ok())
                            .collect(),
                    },
                )),
                _ => None,
            }
        })
        .collect()
}

/// The per-member table, ranked by attainment (members without a target last, by revenue), each
/// with their projection; and the team's line summing them.
pub fn member_table(
    org: &Org,
    members: &[(String, Figures)],
    currency: &str,
    targets: &HashMap<String, RevenueTarget>,
    outlook: &Outlook,
) -> MonitoringResult<(Vec<pb::MemberPerformance>, pb::TeamPerformance)> {
    let mut rows = Vec::with_capacity(members.len());
    let mut sums = Vec::with_capacity(members.len());
    for (member, figures) in members {
        let actual = figures.revenue();
        let planned = targets.get(member);
        let target = planned.map(|t| t.amount);
        let attainment = target.and_then(|t| kpi::attainment_percent(actual, t));
        let projection = outlook.projection(actual, planned)?;
        sums.push(MemberRevenue {
            actual,
            target,
            projection,
        });
        rows.push((
            attainment,
            actual,
            pb::MemberPerformance {
                member: format!("members/{member}"),
                display_name: org
                    .members
                    .get(member)
                    .map(|m| m.display_name.clone())
                    .unwrap_or_default(),
                rank: 0,
                target: target.map(|t| money_to_proto(&money(currency, t))),
                actual: Some(money_to_proto(&money(currency, actual))),
                variance: target.map(|t| money_to_proto(&money(currency, kpi::variance(actual, t)))),
                attainment_percent: attainment.map(decimal_to_proto),
                lead_conversion_percent: figures.cohort.conversion_rate.map(decimal_to_proto),
                win_rate_percent: figures.win_rate().map(decimal_to_proto),
                median_time_to_close: figures.time_to_close().map(|s| duration_to_proto(s.median)),
                projection: projection.map(|p| money_to_proto(&money(currency, p))),
                projected_attainment_percent: projection
                    .zip(target)
                    .and_then(|(p, t)| kpi::attainment_percent(p, t))
                    .map(decimal_to_proto),
            },
        ));
    }
    rows.sort_by(|a, b| {
        b.0.is_some()
            .cmp(&a.0.is_some())
            .then(b.0.cmp(&a.0))
            .then(b.1.cmp(&a.1))
            .then(a.2.member.cmp(&b.2.member))
    });
    let table = rows
        .into_iter()
        .enumerate()
        .map(|(i, (_, _, mut row))| {
            row.rank = i as i32 + 1;
            row
        })
        .collect();
    Ok((table, team_performance(&sums, currency)))
}

fn to_decimal(value: f64) -> Decimal {
    Decimal::from_f64(value).unwrap_or_default().round_dp(6).normalize()
}

fn rate(successes: u64, trials: u64) -> Option<f64> {
    (trials > 0).then(|| successes as f64 / trials as f64 * 100.0)
}

/// A weak point found by a proportion test: `observed` below `baseline` beyond chance. Each
/// success missed is worth `worth_each` (a won deal's average amount, times the team's win rate
/// where a success is a step before the win).
#[allow(clippy::too_many_arguments)]
fn proportion_weak_point(
    kind: pb::WeakPointKind,
    member: &str,
    stage: &str,
    (successes, trials): (u64, u64),
    (base_successes, base_trials): (u64, u64),
    worth_each: Decimal,
    currency: &str,
    describe: impl Fn(f64, f64, f64) -> String,
) -> Option<(Decimal, pb::WeakPoint)> {
    let test = kpi::two_proportion_test(successes, trials, base_successes, base_trials)?;
    if test.rate_a >= test.rate_b || test.p_value >= SIGNIFICANCE {
        return None;
    }
    let at_stake = (test.rate_b - test.rate_a) / Decimal::ONE_HUNDRED * Decimal::from(trials) * worth_each;
    let at_stake = at_stake.round_dp(2);
    let observed = rate(successes, trials)?;
    let baseline = rate(base_successes, base_trials)?;
    Some((
        at_stake,
        pb::WeakPoint {
            kind: kind as i32,
            member: if member.is_empty() {
                String::new()
            } else {
                format!("members/{member}")
            },
            stage: stage.to_owned(),
            value: Some(decimal_to_proto(test.rate_a)),
            baseline: Some(decimal_to_proto(test.rate_b)),
            p_value: Some(decimal_to_proto(to_decimal(test.p_value))),
            revenue_at_stake: Some(money_to_proto(&money(currency, at_stake))),
            explanation: describe(observed, baseline, test.p_value),
        },
    ))
}

/// Per stage: deals that reached it and advanced to the next, and days spent in it.
struct StageStats {
    order: Vec<String>,
    reached: HashMap<String, (u64, u64)>,
    days: HashMap<String, Vec<f64>>,
}

fn stage_stats(records: &[&DealRecord], order: &[String]) -> StageStats {
    let histories: Vec<Vec<String>> = records
        .iter()
        .map(|r| r.stages.iter().map(|s| s.to_stage.clone()).collect())
        .collect();
    let order = order.to_vec();
    let mut reached = HashMap::new();
    for conversion in kpi::stage_conversion(&order, &histories) {
        reached.insert(
            order[conversion.from].clone(),
            (conversion.advanced, conversion.reached),
        );
    }
    let mut days: HashMap<String, Vec<f64>> = HashMap::new();
    for record in records {
        for pair in record.stages.windows(2) {
            let spent = (pair[1].time - pair[0].time).num_seconds() as f64 / 86_400.0;
            days.entry(pair[0].to_stage.clone()).or_default().push(spent);
        }
    }
    StageStats { order, reached, days }
}

/// Members and stages weaker than the baseline beyond chance, ranked by revenue at stake.
pub fn weak_points(
    org: &Org,
    members: &[(String, Figures)],
    facts: &PeriodFacts,
    team: &Figures,
    baseline_deals: &[DealRecord],
) -> MonitoringResult<Vec<pb::WeakPoint>> {
    let currency = facts.currency.as_str();
    let average_deal = team.average_deal_size(currency).map_or(Decimal::ZERO, |m| m.amount);
    let name = |member: &str| {
        org.members
            .get(member)
            .map(|m| m.display_name.clone())
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| member.to_owned())
    };
    let win_fraction = team.win_rate().unwrap_or_default() / Decimal::ONE_HUNDRED;
    let mut found: Vec<(Decimal, pb::WeakPoint)> = Vec::new();
    let team_won = team.won_deals;
    for (member, mine) in members {
        // The rest of the team's counts: the team's less the member's (counts add up).
        let won = mine.won_deals;
        let who = name(member);
        found.extend(proportion_weak_point(
            pb::WeakPointKind::MemberLeadConversion,
            member,
            "",
            (mine.cohort.converted, mine.cohort.leads),
            (
                team.cohort.converted - mine.cohort.converted,
                team.cohort.leads - mine.cohort.leads,
            ),
            average_deal * win_fraction,
            currency,
            |o, b, p| {
                format!(
                    "{who} converts {o:.1}% of leads to deals against {b:.1}% for the rest of the team (p = {p:.4})"
                )
            },
        ));
        found.extend(proportion_weak_point(
            pb::WeakPointKind::MemberWinRate,
            member,
            "",
            (won, won + mine.lost_deals),
            (team_won - won, team_won - won + team.lost_deals - mine.lost_deals),
            average_deal,
            currency,
            |o, b, p| {
                format!("{who} wins {o:.1}% of closed deals against {b:.1}% for the rest of the team (p = {p:.4})")
            },
        ));
    }

    let set: HashSet<&str> = members.iter().map(|(m, _)| m.as_str()).collect();
    let credited = |r: &&DealRecord| r.credit.iter().any(|s| set.contains(s.member.as_str()));
    let now: Vec<&DealRecord> = facts.active.iter().filter(credited).collect();
    let before: Vec<&DealRecord> = baseline_deals.iter().filter(credited).collect();
    let order = facts.funnel_order(
        now.iter()
            .map(|r| r.stages.iter().map(|s| s.to_stage.clone()).collect()),
    );
    let current = stage_stats(&now, &order);
    let baseline = stage_stats(&before, &order);
    for stage in &current.order {
        if let (Some(&(advanced, reached)), Some(&(base_advanced, base_reached))) =
            (current.reached.get(stage), baseline.reached.get(stage))
        {
            found.extend(proportion_weak_point(
                pb::WeakPointKind::StageConversion,
                "",
                stage,
                (advanced, reached),
                (base_advanced, base_reached),
                average_deal * win_fraction,
                currency,
                |o, b, p| format!("{o:.1}% of deals leave \"{stage}\" forward this period against {b:.1}% over the previous four (p = {p:.4})"),
            ));
        }
        if let (Some(days), Some(base_days)) = (current.days.get(stage), baseline.days.get(stage))
            && let Some(test) = kpi::welch_test(days, base_days)
            && test.mean_a > test.mean_b
            && test.p_value < SIGNIFICANCE
        {
            let slower = ((test.mean_a - test.mean_b) / test.mean_a).clamp(0.0, 1.0);
            let at_stake = (to_decimal(slower) * Decimal::from(days.len()) * average_deal * win_fraction).round_dp(2);
            found.push((
                at_stake,
                pb::WeakPoint {
                    kind: pb::WeakPointKind::TimeInStage as i32,
                    member: String::new(),
                    stage: stage.clone(),
                    value: Some(decimal_to_proto(to_decimal(test.mean_a))),
                    baseline: Some(decimal_to_proto(to_decimal(test.mean_b))),
                    p_value: Some(decimal_to_proto(to_decimal(test.p_value))),
                    revenue_at_stake: Some(money_to_proto(&money(currency, at_stake))),
                    explanation: format!(
                        "deals spend {:.1} days in \"{stage}\" this period against {:.1} over the previous four (p = {:.4})",
                        test.mean_a, test.mean_b, test.p_value
                    ),
                },
            ));
        }
    }
    // By revenue at stake; equal stakes by the stronger evidence (smaller p-value), then by name.
    let p = |w: &pb::WeakPoint| {
        w.p_value
            .as_ref()
            .and_then(|d| d.value.parse::<Decimal>().ok())
            .unwrap_or(Decimal::ONE)
    };
    found.sort_by(|a, b| {
        b.0.cmp(&a.0)
            .then(p(&a.1).cmp(&p(&b.1)))
            .then(a.1.explanation.cmp(&b.1.explanation))
    });
    Ok(found.into_iter().map(|(_, w)| w).collect())
}

/// The start of the baseline window: four periods of the same kind before `period`.
pub fn baseline_start(facts: &PeriodFacts) -> DateTime<Utc> {
    let mut period: PeriodId = facts.period;
    for _ in 0..4 {
        match period.previous() {
            Some(previous) => period = previous,
            None => break,
        }
    }
    facts
        .calendar
        .bounds(&period)
        .map_or(facts.bounds.0, |(start, _)| start)
}

//! A quota of a quarter or a year read for one of its months or quarters: which months count, what
//! part of the target falls in them, and how the quota's season runs within them.

use lacak_domain::{DistributionError, PeriodId, PeriodKind, SeasonalProfile};
use rust_decimal::{Decimal, RoundingStrategy};

/// The places a restricted profile's weights keep; the last month takes the remainder, so the
/// weights still sum to exactly 100.
const WEIGHT_SCALE: u32 = 9;

/// The periods strictly containing `period`, whose quotas it is also read against: a month's
/// quarter and year, a quarter's year, none for a year.
pub fn enclosing_periods(period: &PeriodId) -> Vec<PeriodId> {
    match period.kind {
        PeriodKind::Month => period.quarter_of().into_iter().chain([period.parent_year()]).collect(),
        PeriodKind::Quarter => vec![period.parent_year()],
        PeriodKind::Year => Vec::new(),
    }
}

/// A quota as it stands for one of its sub-periods.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuotaShare {
    /// The sub-period's target: the sum of its months' targets; for a rate, the rate itself.
    pub target: Decimal,
    /// The quota's seasonal profile over the sub-period's months, scaled to sum to 100: what a
    /// projection within the sub-period weighs its months by.
    pub profile: SeasonalProfile,
}

/// What a quota has to say about its months.
pub struct QuotaPlan<'a> {
    /// The quota's own period.
    pub period: PeriodId,
    /// A rate (retention, conversion) is the same every month and is never split.
    pub is_rate: bool,
    /// The quota's target for its whole period.
    pub target: Decimal,
    /// Each month's target, as goals split it.
    pub monthly_targets: &'a [(PeriodId, Decimal)],
    /// One weight per month of the quota's period, summing to 100; empty for an even split.
    pub weights: &'a [Decimal],
}

/// Why a quota cannot be read for a period.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShareError {
    /// The period is the quota's own or lies outside it.
    #[error("{sub} is not a part of {period}")]
    NotAPart { period: PeriodId, sub: PeriodId },
    /// Goals sent no target for a month of the quota.
    #[error("the quota has no target for {0}")]
    MissingMonth(PeriodId),
    /// The weights are not a profile of the quota's months.
    #[error("the quota's seasonal profile is unusable: {0}")]
    Profile(#[from] DistributionError),
}

/// The part of `plan` that falls in `sub`, a month or quarter strictly inside the quota's period.
///
/// - target: `Σ monthly target` over `sub`'s months (a rate: the quota's target);
/// - profile: the weights `w` of `sub`'s months, each `w × 100 / Σ w` (rounded to 9 places, the
///   last month taking the remainder); an even quota stays even. Months weighing nothing at all
///   (`Σ w = 0`, so a zero target) project evenly: no season is planned in them to follow.
pub fn quota_share(plan: &QuotaPlan, sub: &PeriodId) -> Result<QuotaShare, ShareError> {
    if *sub == plan.period || !plan.period.contains(sub) {
        return Err(ShareError::NotAPart {
            period: plan.period,
            sub: *sub,
        });
    }
    let months = sub.months();
    let target = if plan.is_rate {
        plan.target
    } else {
        let mut sum = Decimal::ZERO;
        for month in &months {
            let (_, amount) = plan
                .monthly_targets
                .iter()
                .find(|(period, _)| period == month)
                .ok_or(ShareError::MissingMonth(*month))?;
            sum += amount;
        }
        sum
    };
    let even = SeasonalProfile::even(months.len())?;
    if plan.weights.is_empty() {
        return Ok(QuotaShare { target, profile: even });
    }
    let all = plan.period.months();
    // Checked against the quota's months first, so positions below are in range.
    SeasonalProfile::new(plan.weights.to_vec(), all.len())?;
    let picked: Vec<Decimal> = months
        .iter()
        .filter_map(|month| all.iter().position(|m| m == month))
        .map(|i| plan.weights[i])
        .collect();
    let total: Decimal = picked.iter().sum();
    if total.is_zero() {
        return Ok(QuotaShare { target, profile: even });
    }
    let mut weights: Vec<Decimal> = picked
        .iter()
        .map(|w| (w * Decimal::ONE_HUNDRED / total).round_dp_with_strategy(WEIGHT_SCALE, RoundingStrategy::ToZero))
        .collect();
    // Rounding down keeps the remainder, and so the last weight, non-negative.
    let rest: Decimal = weights[..weights.len() - 1].iter().sum();
    if let Some(last) = weights.last_mut() {
        *last = Decimal::ONE_HUNDRED - rest;
    }
    let profile = SeasonalProfile::new(weights, months.len())?;
    Ok(QuotaShare { target, profile })
}

#[cfg(test)]
mod tests {
    use super::*;
    use lacak_domain::kpi::{PeriodProgress, expected_share_elapsed, projected_total};

    fn id(s: &str) -> PeriodId {
        s.parse().unwrap()
    }

    fn dec(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn decs(values: &[&str]) -> Vec<Decimal> {
        values.iter().map(|v| dec(v)).collect()
    }

    /// A yearly 120,000 over weights 5,5,10 | 10,5,5 | 10,10,10 | 10,10,10 (sum 100): monthly
    /// targets 6,000, 6,000, 12,000 | 12,000, 6,000, 6,000 | then 12,000 each.
    fn yearly() -> (Vec<(PeriodId, Decimal)>, Vec<Decimal>) {
        let weights = decs(&["5", "5", "10", "10", "5", "5", "10", "10", "10", "10", "10", "10"]);
        let months = id("FY2026").months();
        let targets = months
            .into_iter()
            .zip(&weights)
            .map(|(m, w)| (m, w * dec("1200")))
            .collect();
        (targets, weights)
    }

    fn plan<'a>(period: &str, monthly: &'a [(PeriodId, Decimal)], weights: &'a [Decimal]) -> QuotaPlan<'a> {
        QuotaPlan {
            period: id(period),
            is_rate: false,
            target: monthly.iter().map(|(_, t)| t).sum(),
            monthly_targets: monthly,
            weights,
        }
    }

    #[test]
    fn a_month_and_a_quarter_have_their_enclosing_periods() {
        assert_eq!(enclosing_periods(&id("FY2026-M05")), [id("FY2026-Q2"), id("FY2026")]);
        assert_eq!(enclosing_periods(&id("FY2026-Q3")), [id("FY2026")]);
        assert!(enclosing_periods(&id("FY2026")).is_empty());
    }

    #[test]
    fn a_quarter_of_a_yearly_quota_takes_its_months_targets_and_season() {
        let (monthly, weights) = yearly();
        let share = quota_share(&plan("FY2026", &monthly, &weights), &id("FY2026-Q2")).unwrap();
        // 12,000 + 6,000 + 6,000.
        assert_eq!(share.target, dec("24000"));
        // 10, 5, 5 of a total 20: 50, 25, 25.
        assert_eq!(share.profile.weights(), decs(&["50", "25", "25"]));
        assert!(!share.profile.is_even());
    }

    #[test]
    fn a_month_of_a_yearly_quota_is_that_months_target_with_all_its_weight() {
        let (monthly, weights) = yearly();
        let share = quota_share(&plan("FY2026", &monthly, &weights), &id("FY2026-M05")).unwrap();
        assert_eq!(share.target, dec("6000"));
        assert_eq!(share.profile.weights(), decs(&["100"]));
    }

    #[test]
    fn a_month_of_a_quarterly_quota() {
        // 10,000 over 50 / 30 / 20: 5,000, 3,000, 2,000.
        let monthly: Vec<(PeriodId, Decimal)> = id("FY2026-Q3")
            .months()
            .into_iter()
            .zip(decs(&["5000", "3000", "2000"]))
            .collect();
        let weights = decs(&["50", "30", "20"]);
        let share = quota_share(&plan("FY2026-Q3", &monthly, &weights), &id("FY2026-M08")).unwrap();
        assert_eq!(share.target, dec("3000"));
        assert_eq!(share.profile.weights(), decs(&["100"]));
    }

    #[test]
    fn weights_that_do_not_divide_evenly_still_sum_to_100() {
        // Q1 weighs 1 + 1 + 1 = 3 of the year (the other nine months share the other 97): each
        // month 1 × 100 / 3 = 33.333333333 (rounded down), the last 100 − 66.666666666.
        let mut weights = decs(&["1", "1", "1"]);
        weights.extend(std::iter::repeat_n(dec("97") / dec("9"), 9));
        let rest: Decimal = weights[..11].iter().sum();
        weights[11] = Decimal::ONE_HUNDRED - rest;
        let monthly: Vec<(PeriodId, Decimal)> = id("FY2026").months().into_iter().map(|m| (m, dec("1"))).collect();
        let share = quota_share(&plan("FY2026", &monthly, &weights), &id("FY2026-Q1")).unwrap();
        assert_eq!(
            share.profile.weights(),
            decs(&["33.333333333", "33.333333333", "33.333333334"])
        );
        // 1 + 1 + 1.
        assert_eq!(share.target, dec("3"));
    }

    #[test]
    fn an_even_quota_stays_even_and_a_rate_is_not_summed() {
        let monthly: Vec<(PeriodId, Decimal)> = id("FY2026").months().into_iter().map(|m| (m, dec("10000"))).collect();
        let share = quota_share(&plan("FY2026", &monthly, &[]), &id("FY2026-Q4")).unwrap();
        assert_eq!(share.target, dec("30000"));
        assert!(share.profile.is_even());

        let rates: Vec<(PeriodId, Decimal)> = id("FY2026").months().into_iter().map(|m| (m, dec("80"))).collect();
        let rate = QuotaPlan {
            is_rate: true,
            target: dec("80"),
            ..plan("FY2026", &rates, &[])
        };
        // Every month carries 80%, so the quarter does too: not 3 × 80.
        assert_eq!(quota_share(&rate, &id("FY2026-Q2")).unwrap().target, dec("80"));
    }

    #[test]
    fn months_that_weigh_nothing_project_evenly() {
        let mut weights = vec![Decimal::ZERO; 3];
        weights.extend(std::iter::repeat_n(dec("100") / dec("9"), 9));
        let rest: Decimal = weights[..11].iter().sum();
        weights[11] = Decimal::ONE_HUNDRED - rest;
        let monthly: Vec<(PeriodId, Decimal)> = id("FY2026").months().into_iter().map(|m| (m, dec("0"))).collect();
        let share = quota_share(&plan("FY2026", &monthly, &weights), &id("FY2026-Q1")).unwrap();
        assert_eq!(share.target, Decimal::ZERO);
        assert!(share.profile.is_even());
    }

    #[test]
    fn only_strict_parts_with_every_month_planned_are_read() {
        let (monthly, weights) = yearly();
        let year = plan("FY2026", &monthly, &weights);
        assert!(matches!(
            quota_share(&year, &id("FY2026")),
            Err(ShareError::NotAPart { .. })
        ));
        assert!(matches!(
            quota_share(&year, &id("FY2027-Q1")),
            Err(ShareError::NotAPart { .. })
        ));
        let missing = &monthly[..4];
        assert_eq!(
            quota_share(&plan("FY2026", missing, &weights), &id("FY2026-Q2")),
            Err(ShareError::MissingMonth(id("FY2026-M05")))
        );
        let short = decs(&["50", "50"]);
        assert!(matches!(
            quota_share(&plan("FY2026", &monthly, &short), &id("FY2026-Q2")),
            Err(ShareError::Profile(_))
        ));
    }

    #[test]
    fn the_projection_within_a_quarter_follows_the_quotas_season_there() {
        let (monthly, weights) = yearly();
        let share = quota_share(&plan("FY2026", &monthly, &weights), &id("FY2026-Q2")).unwrap();
        // April done (50%), half of May (25% × 0.5 = 12.5%): 62.5% of the quarter's plan expected.
        let progress = PeriodProgress {
            completed_months: 1,
            fraction_of_current: dec("0.5"),
        };
        assert_eq!(expected_share_elapsed(&share.profile, &progress).unwrap(), dec("62.5"));
        // 15,000 sold by then projects to 15,000 / 0.625 = 24,000: right on the quarter's target,
        // where a straight line over 1.5 of 3 months would have said 30,000.
        assert_eq!(
            projected_total(dec("15000"), &share.profile, &progress).unwrap(),
            Some(dec("24000"))
        );
    }
}

//! Quota attainment: attainment %, variance, and a seasonally weighted projection to the period's end.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use super::cycle::duration_in_days;
use super::{KpiError, check_same_currency, money_sub, percent, round_quotient};
use crate::{FiscalCalendar, Money, PeriodId, SeasonalProfile};

/// Attainment: `actual / target × 100`; `None` when the target is not positive.
pub fn attainment_percent(actual: Decimal, target: Decimal) -> Option<Decimal> {
    if target <= Decimal::ZERO {
        return None;
    }
    percent(actual, target)
}

/// Attainment of a money target, where no actual (no sales) reads as zero in the target's currency.
pub fn money_attainment_percent(actual: Option<&Money>, target: &Money) -> Result<Option<Decimal>, KpiError> {
    let Some(actual) = actual else {
        return Ok(attainment_percent(Decimal::ZERO, target.amount));
    };
    check_same_currency(target, actual)?;
    Ok(attainment_percent(actual.amount, target.amount))
}

/// Variance: `actual − target`; negative when short of the target. Saturates at a decimal's range.
pub fn variance(actual: Decimal, target: Decimal) -> Decimal {
    actual.saturating_sub(target)
}

/// Variance where a period with no sales has no actual: `None` reads as 0, giving `−target`.
pub fn variance_or_zero(actual: Option<Decimal>, target: Decimal) -> Decimal {
    variance(actual.unwrap_or(Decimal::ZERO), target)
}

/// Variance of a money target: `actual − target`, with no actual read as zero in the target's
/// currency, so a period without sales shows the whole target as a shortfall.
pub fn money_variance(actual: Option<&Money>, target: &Money) -> Result<Money, KpiError> {
    match actual {
        Some(actual) => money_sub(actual, target),
        None => money_sub(&Money::new(&target.currency, Decimal::ZERO)?, target),
    }
}

/// How far into a period an instant lies, counted in the period's months.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeriodProgress {
    /// Months of the period wholly past.
    pub completed_months: usize,
    /// The elapsed fraction of the month under way, `0..=1`; 0 once every month is past.
    pub fraction_of_current: Decimal,
}

impl PeriodProgress {
    /// The progress through `period` at `as_of`, by the calendar's month boundaries: the current
    /// month's fraction is `(as_of − month start) / (month end − month start)` in time. Before the
    /// period nothing has elapsed; at or after its end every month has.
    pub fn at(calendar: &FiscalCalendar, period: &PeriodId, as_of: DateTime<Utc>) -> Result<Self, KpiError> {
        calendar.bounds(period)?;
        let mut progress = PeriodProgress {
            completed_months: 0,
            fraction_of_current: Decimal::ZERO,
        };
        for month in period.months() {
            let (start, end) = calendar.bounds(&month)?;
            if as_of >= end {
                progress.completed_months += 1;
                continue;
            }
            if as_of > start {
                progress.fraction_of_current = duration_in_days(as_of - start) / duration_in_days(end - start);
            }
            break;
        }
        Ok(progress)
    }
}

/// The share of the period's target expected by now, in percent:
/// `Σ weights of completed months + weight of the current month × fraction elapsed` (an even
/// profile uses its exact share `100 / months` per month, as [`crate::distribute`] does).
pub fn expected_share_elapsed(profile: &SeasonalProfile, progress: &PeriodProgress) -> Result<Decimal, KpiError> {
    let PeriodProgress {
        completed_months,
        fraction_of_current,
    } = *progress;
    let months = profile.months();
    let invalid = KpiError::InvalidProgress {
        completed_months,
        fraction: fraction_of_current,
        months,
    };
    if !(Decimal::ZERO..=Decimal::ONE).contains(&fraction_of_current)
        || completed_months > months
        || (completed_months == months && !fraction_of_current.is_zero())
    {
        return Err(invalid);
    }
    if profile.is_even() {
        let elapsed_months = Decimal::from(completed_months) + fraction_of_current;
        return Ok(elapsed_months * Decimal::ONE_HUNDRED / Decimal::from(months));
    }
    let weights = profile.weights();
    // Weights are checked to be non-negative and to sum to 100, so nothing here can overflow.
    let completed: Decimal = weights[..completed_months].iter().sum();
    let current = weights
        .get(completed_months)
        .map_or(Decimal::ZERO, |weight| weight * fraction_of_current);
    Ok(completed + current)
}

/// Seasonally weighted run-rate projection to the period's end:
/// `actual_to_date / (expected_share_elapsed / 100)`.
///
/// `None` when nothing is expected to have elapsed yet (the share is 0). Once the whole period has
/// elapsed the share is 100 and the projection is the actual itself.
pub fn projected_total(
    actual_to_date: Decimal,
    profile: &SeasonalProfile,
    progress: &PeriodProgress,
) -> Result<Option<Decimal>, KpiError> {
    let share = expected_share_elapsed(profile, progress)?;
    if share.is_zero() {
        return Ok(None);
    }
    let projected = actual_to_date
        .checked_mul(Decimal::ONE_HUNDRED)
        .and_then(|scaled| scaled.checked_div(share))
        .ok_or(KpiError::Overflow)?;
    Ok(Some(round_quotient(projected)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn dec(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn idr(s: &str) -> Money {
        Money::new("IDR", dec(s)).unwrap()
    }

    fn profile(weights: &[&str]) -> SeasonalProfile {
        SeasonalProfile::new(weights.iter().map(|w| dec(w)).collect(), weights.len()).unwrap()
    }

    fn progress(completed_months: usize, fraction: &str) -> PeriodProgress {
        PeriodProgress {
            completed_months,
            fraction_of_current: dec(fraction),
        }
    }

    #[test]
    fn attainment_is_actual_over_target() {
        // 120 / 100 × 100 = 120; 0 / 100 = 0; 1 / 3 × 100 = 33.333333333.
        assert_eq!(attainment_percent(dec("120"), dec("100")), Some(dec("120")));
        assert_eq!(attainment_percent(Decimal::ZERO, dec("100")), Some(Decimal::ZERO));
        assert_eq!(attainment_percent(dec("1"), dec("3")), Some(dec("33.333333333")));
        assert_eq!(attainment_percent(dec("5"), Decimal::ZERO), None);
        assert_eq!(attainment_percent(dec("5"), dec("-10")), None);
        // No sales against 50,000: 0%; 45,000 of 50,000: 90%.
        assert_eq!(money_attainment_percent(None, &idr("50000")), Ok(Some(Decimal::ZERO)));
        assert_eq!(
            money_attainment_percent(Some(&idr("45000")), &idr("50000")),
            Ok(Some(dec("90")))
        );
        let usd = Money::new("USD", dec("1")).unwrap();
        assert!(matches!(
            money_attainment_percent(Some(&usd), &idr("50000")),
            Err(KpiError::CurrencyMismatch { .. })
        ));
    }

    #[test]
    fn variance_is_actual_minus_target_and_no_sales_is_the_whole_target_short() {
        // 80 − 100 = −20; 130 − 100 = +30.
        assert_eq!(variance(dec("80"), dec("100")), dec("-20"));
        assert_eq!(variance(dec("130"), dec("100")), dec("30"));
        // A period with no sales: 0 − 100 = −100, never a missing value.
        assert_eq!(variance_or_zero(None, dec("100")), dec("-100"));
        assert_eq!(variance_or_zero(Some(dec("100")), dec("100")), Decimal::ZERO);
        assert_eq!(money_variance(None, &idr("50000")), Ok(idr("-50000")));
        assert_eq!(money_variance(Some(&idr("52500")), &idr("50000")), Ok(idr("2500")));
        let usd = Money::new("USD", dec("1")).unwrap();
        assert!(matches!(
            money_variance(Some(&usd), &idr("50000")),
            Err(KpiError::CurrencyMismatch { .. })
        ));
    }

    #[test]
    fn the_expected_share_follows_the_seasonal_weights() {
        let quarter = profile(&["20", "30", "50"]);
        // One month past and half of the second: 20 + 30 × 0.5 = 35.
        assert_eq!(expected_share_elapsed(&quarter, &progress(1, "0.5")), Ok(dec("35")));
        assert_eq!(expected_share_elapsed(&quarter, &progress(0, "0")), Ok(Decimal::ZERO));
        assert_eq!(expected_share_elapsed(&quarter, &progress(3, "0")), Ok(dec("100")));
        // Even over 12 months, 3 months past: 3 × 100 / 12 = 25 exactly, not 3 × 8.3333.
        let even = SeasonalProfile::even(12).unwrap();
        assert_eq!(expected_share_elapsed(&even, &progress(3, "0")), Ok(dec("25")));
        for (months, fraction) in [(3, "0.5"), (4, "0"), (1, "1.5"), (1, "-0.1")] {
            assert!(matches!(
                expected_share_elapsed(&quarter, &progress(months, fraction)),
                Err(KpiError::InvalidProgress { .. })
            ));
        }
    }

    #[test]
    fn the_projection_scales_the_actual_by_the_share_expected_so_far() {
        let quarter = profile(&["20", "30", "50"]);
        // 35% expected by mid-February; 42,000 sold: 42,000 / 0.35 = 120,000.
        assert_eq!(
            projected_total(dec("42000"), &quarter, &progress(1, "0.5")),
            Ok(Some(dec("120000")))
        );
        // Two months past (20 + 30 = 50%): 30,000 / 0.5 = 60,000. A straight-line run rate would say
        // 30,000 / (2/3) = 45,000 and miss the heavy third month.
        assert_eq!(
            projected_total(dec("30000"), &quarter, &progress(2, "0")),
            Ok(Some(dec("60000")))
        );
        // 10,000 after a third of the first month: share 20 / 3 = 6.666…%; 10,000 × 100 / 6.666… = 150,000.
        assert_eq!(
            projected_total(dec("10000"), &quarter, &progress(0, "0.3333333333333333333333333333")),
            Ok(Some(dec("150000")))
        );
        assert_eq!(projected_total(dec("10000"), &quarter, &progress(0, "0")), Ok(None));
        // A month weighted 0 expects nothing either.
        let late = profile(&["0", "50", "50"]);
        assert_eq!(projected_total(dec("10000"), &late, &progress(0, "0.9")), Ok(None));
        assert_eq!(
            projected_total(dec("77"), &quarter, &progress(3, "0")),
            Ok(Some(dec("77")))
        );
    }

    #[test]
    fn progress_is_read_from_the_fiscal_calendar() {
        let calendar = FiscalCalendar::default();
        let q1: PeriodId = "FY2026-Q1".parse().unwrap();
        let at = |s: &str| PeriodProgress::at(&calendar, &q1, s.parse().unwrap()).unwrap();
        // January is past; 7 of February's 28 days: 7 / 28 = 0.25.
        assert_eq!(at("2026-02-08T00:00:00Z"), progress(1, "0.25"));
        // 12 h into January's 31 days: 0.5 / 31.
        assert_eq!(at("2026-01-01T12:00:00Z").fraction_of_current, dec("0.5") / dec("31"));
        assert_eq!(at("2025-12-31T00:00:00Z"), progress(0, "0"));
        assert_eq!(at("2026-01-01T00:00:00Z"), progress(0, "0"));
        assert_eq!(at("2026-04-01T00:00:00Z"), progress(3, "0"));
        assert_eq!(at("2027-01-01T00:00:00Z"), progress(3, "0"));
        let bad = PeriodId {
            fiscal_year: 2026,
            kind: crate::PeriodKind::Month,
            index: 13,
        };
        assert!(matches!(
            PeriodProgress::at(&calendar, &bad, Utc::now()),
            Err(KpiError::Calendar(_))
        ));
    }

    /// Seasonal profiles of 1 to 12 months with weights of two places.
    fn any_profile() -> impl Strategy<Value = SeasonalProfile> {
        prop_oneof![
            (1..=12_usize).prop_map(|months| SeasonalProfile::even(months).unwrap()),
            proptest::collection::vec(0..=10_000_i64, 0..11).prop_map(|mut cuts| {
                cuts.extend([0, 10_000]);
                cuts.sort_unstable();
                let weights: Vec<Decimal> = cuts.windows(2).map(|w| Decimal::new(w[1] - w[0], 2)).collect();
                let months = weights.len();
                SeasonalProfile::new(weights, months).unwrap()
            }),
        ]
    }

    proptest! {
        #[test]
        fn the_projection_is_the_actual_once_the_period_is_over(actual in -1_000_000_000_000_i64..1_000_000_000_000, profile in any_profile()) {
            let actual = Decimal::new(actual, 2);
            let months = profile.months();
            let over = PeriodProgress { completed_months: months, fraction_of_current: Decimal::ZERO };
            prop_assert_eq!(projected_total(actual, &profile, &over).unwrap(), Some(actual));
            let last_day_done = PeriodProgress { completed_months: months - 1, fraction_of_current: Decimal::ONE };
            prop_assert_eq!(projected_total(actual, &profile, &last_day_done).unwrap(), Some(actual));
        }

        #[test]
        fn attainment_of_a_sum_is_the_target_weighted_attainment(
            periods in proptest::collection::vec((0..10_000_000_i64, 1..10_000_000_i64), 1..12),
        ) {
            let actuals: Vec<Decimal> = periods.iter().map(|(a, _)| Decimal::new(*a, 2)).collect();
            let targets: Vec<Decimal> = periods.iter().map(|(_, t)| Decimal::new(*t, 2)).collect();
            let total_target: Decimal = targets.iter().sum();
            let whole = attainment_percent(actuals.iter().sum(), total_target).unwrap();
            let weighted: Decimal = actuals
                .iter()
                .zip(&targets)
                .map(|(a, t)| attainment_percent(*a, *t).unwrap() * t / total_target)
                .sum();
            // Each period's attainment is rounded to nine places, so the two agree to about 10^-8.
            prop_assert!((whole - weighted).abs() < dec("0.00000001"), "{whole} vs {weighted}");
        }

        #[test]
        fn proportional_targets_give_the_same_attainment_to_the_sum(
            rate in 0..300_i64,
            targets in proptest::collection::vec(1..10_000_000_i64, 1..12),
        ) {
            // Every period sells `rate`% of its target, so the sum attains exactly `rate`%.
            let rate = Decimal::from(rate);
            let targets: Vec<Decimal> = targets.iter().map(|t| Decimal::new(*t, 2)).collect();
            let actuals: Vec<Decimal> = targets.iter().map(|t| t * rate / Decimal::ONE_HUNDRED).collect();
            for (a, t) in actuals.iter().zip(&targets) {
                prop_assert_eq!(attainment_percent(*a, *t), Some(rate));
            }
            prop_assert_eq!(attainment_percent(actuals.iter().sum(), targets.iter().sum()), Some(rate));
        }

        #[test]
        fn variance_and_target_make_the_actual(actual in -1_000_000_000_i64..1_000_000_000, target in 0..1_000_000_000_i64) {
            let (actual, target) = (Decimal::new(actual, 2), Decimal::new(target, 2));
            prop_assert_eq!(variance(actual, target) + target, actual);
        }
    }
}

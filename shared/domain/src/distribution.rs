//! Seasonal profiles, and splitting a period's target into monthly targets that add up exactly.

use rust_decimal::{Decimal, RoundingStrategy};

/// The scale [`SeasonalProfile::even`] stores its weights at.
const EVEN_WEIGHT_SCALE: u32 = 4;

/// Why a list of weights is not a seasonal profile.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DistributionError {
    /// A profile needs at least one month to put the 100% on.
    #[error("a seasonal profile needs at least one month")]
    Empty,
    /// One weight per month of the period is required.
    #[error("expected {expected} monthly weights, got {got}")]
    WrongLength {
        /// The number of months in the period.
        expected: usize,
        /// The number of weights given.
        got: usize,
    },
    /// Targets are never planned below zero.
    #[error("weight for month {index} is negative", index = index + 1)]
    Negative {
        /// 0-based position of the first negative weight.
        index: usize,
    },
    /// Weights are percentages of the whole and must add up to exactly 100.
    #[error("weights sum to {sum}; they must sum to exactly 100")]
    BadSum {
        /// The sum found.
        sum: Decimal,
    },
}

/// How a period's target is spread over its months: one percentage per month, summing to 100.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeasonalProfile {
    weights: Vec<Decimal>,
    /// An even split: shares are computed exactly, not from the rounded weights shown.
    even: bool,
}

impl SeasonalProfile {
    /// A profile over `months` months, checked for length, sign and an exact sum of 100.
    pub fn new(weights: Vec<Decimal>, months: usize) -> Result<Self, DistributionError> {
        if months == 0 {
            return Err(DistributionError::Empty);
        }
        if weights.len() != months {
            return Err(DistributionError::WrongLength {
                expected: months,
                got: weights.len(),
            });
        }
        if let Some(index) = weights.iter().position(|w| *w < Decimal::ZERO) {
            return Err(DistributionError::Negative { index });
        }
        // Saturating: a sum too large to represent is just as wrong as any other sum but 100.
        let sum = weights.iter().fold(Decimal::ZERO, |sum, w| sum.saturating_add(*w));
        if sum != Decimal::ONE_HUNDRED {
            return Err(DistributionError::BadSum { sum });
        }
        Ok(SeasonalProfile { weights, even: false })
    }

    /// Equal weights over `months` months, at four decimal places; the last month takes the
    /// remainder so the sum is exactly 100 (for 12 months: eleven of 8.3333 and one of 8.3337).
    pub fn even(months: usize) -> Result<Self, DistributionError> {
        if months == 0 {
            return Err(DistributionError::Empty);
        }
        // Rounding the share down keeps the last month's remainder non-negative.
        let share = (Decimal::ONE_HUNDRED / Decimal::from(months))
            .round_dp_with_strategy(EVEN_WEIGHT_SCALE, RoundingStrategy::ToZero);
        let mut weights = vec![share; months - 1];
        weights.push(Decimal::ONE_HUNDRED - share * Decimal::from(months - 1));
        Self::new(weights, months).map(|profile| SeasonalProfile { even: true, ..profile })
    }

    /// Whether this is an even split.
    pub fn is_even(&self) -> bool {
        self.even
    }

    /// The monthly percentages, in month order.
    pub fn weights(&self) -> &[Decimal] {
        &self.weights
    }

    /// How many months the profile covers.
    pub fn months(&self) -> usize {
        self.weights.len()
    }
}

/// Splits `total` over the profile's months, each rounded to `scale` decimal places.
/// An even profile gives every month the same ideal share, `total / months`.
///
/// The months add up to exactly `total` rounded to `scale` (half away from zero). Each month
/// starts from its ideal share `total × weight / 100` rounded down; the units left over go one
/// each to the months with the largest discarded remainders, ties to the earliest month
/// (the largest-remainder method). Negative totals split the same way. `scale` is capped at 28,
/// the most a decimal carries.
pub fn distribute(total: Decimal, profile: &SeasonalProfile, scale: u32) -> Vec<Decimal> {
    let scale = scale.min(Decimal::MAX_SCALE);
    let unit = Decimal::new(1, scale);
    let total = total.round_dp_with_strategy(scale, RoundingStrategy::MidpointAwayFromZero);
    // Each weight is at most 100, so no share exceeds the total and nothing overflows. An even
    // split divides exactly, so 100,000 over three months is 33,333.34 + 33,333.33 + 33,333.33.
    let months = Decimal::from(profile.weights.len());
    let ideals: Vec<Decimal> = profile
        .weights
        .iter()
        .map(|w| {
            if profile.even {
                total / months
            } else {
                total * (w / Decimal::ONE_HUNDRED)
            }
        })
        .collect();
    let mut targets: Vec<Decimal> = ideals
        .iter()
        .map(|ideal| ideal.round_dp_with_strategy(scale, RoundingStrategy::ToNegativeInfinity))
        .collect();

    let mut order: Vec<usize> = (0..targets.len()).collect();
    // A stable sort keeps the earlier month first among equal remainders.
    order.sort_by(|&a, &b| (ideals[b] - targets[b]).cmp(&(ideals[a] - targets[a])));

    let mut left = total - targets.iter().sum::<Decimal>();
    for &month in &order {
        if left < unit {
            break;
        }
        targets[month] += unit;
        left -= unit;
    }
    // Only a share that lost digits to a decimal's 28-digit precision leaves anything here;
    // it is a whole number of units, and the sum must stay exact.
    if let Some(&first) = order.first() {
        targets[first] += left;
    }
    targets
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn dec(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn decs(values: &[&str]) -> Vec<Decimal> {
        values.iter().map(|s| dec(s)).collect()
    }

    fn profile(weights: &[&str]) -> Result<SeasonalProfile, DistributionError> {
        SeasonalProfile::new(decs(weights), weights.len())
    }

    #[test]
    fn profiles_are_checked() {
        let wrong_length = DistributionError::WrongLength { expected: 3, got: 2 };
        assert_eq!(SeasonalProfile::new(decs(&["50", "50"]), 3), Err(wrong_length));
        let negative = profile(&["110", "-10"]).unwrap_err();
        assert_eq!(negative.to_string(), "weight for month 2 is negative");
        let bad_sum = DistributionError::BadSum { sum: dec("99.99") };
        assert_eq!(profile(&["33.33", "33.33", "33.33"]), Err(bad_sum));
        assert_eq!(profile(&[]), Err(DistributionError::Empty));
        assert_eq!(SeasonalProfile::even(0), Err(DistributionError::Empty));
        let weights = profile(&["20", "30.5", "49.5"]).unwrap();
        assert_eq!(weights.weights(), decs(&["20", "30.5", "49.5"]));
    }

    #[test]
    fn even_profiles_put_the_remainder_last() {
        let twelve = SeasonalProfile::even(12).unwrap();
        assert_eq!(&twelve.weights()[..11], vec![dec("8.3333"); 11]);
        assert_eq!(twelve.weights()[11], dec("8.3337"));
        assert_eq!(
            SeasonalProfile::even(4).unwrap().weights(),
            decs(&["25", "25", "25", "25"])
        );
        assert_eq!(SeasonalProfile::even(1).unwrap().weights(), decs(&["100"]));
        assert!(SeasonalProfile::even(4).unwrap().is_even());
        assert!(!profile(&["25", "25", "25", "25"]).unwrap().is_even());
    }

    #[test]
    fn an_even_split_is_exact_to_the_unit() {
        let quarter = SeasonalProfile::even(3).unwrap();
        assert_eq!(
            distribute(dec("100000"), &quarter, 2),
            decs(&["33333.34", "33333.33", "33333.33"])
        );
        assert_eq!(
            distribute(dec("120000"), &quarter, 2),
            decs(&["40000", "40000", "40000"])
        );
    }

    #[test]
    fn an_even_quarter_of_300_is_100_a_month() {
        let quarter = SeasonalProfile::even(3).unwrap();
        let hundreds = decs(&["100", "100", "100"]);
        assert_eq!(distribute(dec("300"), &quarter, 0), hundreds);
        assert_eq!(distribute(dec("300"), &quarter, 2), hundreds);
    }

    #[test]
    fn leftover_units_go_to_the_largest_remainders() {
        let quarter = profile(&["20", "30", "50"]).unwrap();
        // Ideal shares 0.2, 0.3, 0.5 of a single unit: the last has the largest remainder.
        assert_eq!(distribute(dec("1"), &quarter, 0), decs(&["0", "0", "1"]));
        // Ideal 2.2, 3.3, 5.5 rounds down to 2, 3, 5; one unit is left for the 0.5 remainder.
        assert_eq!(distribute(dec("11"), &quarter, 0), decs(&["2", "3", "6"]));
        // Equal remainders: the earliest months win.
        let even = SeasonalProfile::even(4).unwrap();
        assert_eq!(distribute(dec("10"), &even, 0), decs(&["3", "3", "2", "2"]));
        // The total itself is rounded first: 10.005 becomes 10.01.
        let cents = decs(&["2.51", "2.50", "2.50", "2.50"]);
        assert_eq!(distribute(dec("10.005"), &even, 2), cents);
        // Ideal -2.5 each rounds down to -3, leaving two units for the earliest months.
        let negative = decs(&["-2", "-2", "-3", "-3"]);
        assert_eq!(distribute(dec("-10"), &even, 0), negative);
    }

    fn any_profile() -> impl Strategy<Value = SeasonalProfile> {
        proptest::collection::vec(0..=1_000_000_u32, 1..=12).prop_map(|raw| {
            // Scale raw integers into percentages with four places, then fix the sum on the last.
            let sum = raw.iter().map(|&r| u64::from(r)).sum::<u64>().max(1);
            let mut weights: Vec<Decimal> = raw
                .iter()
                .map(|&r| Decimal::from(u64::from(r) * 1_000_000 / sum) / Decimal::from(10_000))
                .collect();
            let rest: Decimal = weights[1..].iter().sum();
            weights[0] = Decimal::ONE_HUNDRED - rest;
            let months = weights.len();
            SeasonalProfile::new(weights, months).unwrap()
        })
    }

    fn any_total() -> impl Strategy<Value = Decimal> {
        (-1_000_000_000_000_i64..1_000_000_000_000, 0..=6_u32).prop_map(|(m, s)| Decimal::new(m, s))
    }

    proptest! {
        #[test]
        fn monthly_targets_add_up_exactly(total in any_total(), profile in any_profile(), scale in 0..=6_u32) {
            let targets = distribute(total, &profile, scale);
            prop_assert_eq!(targets.len(), profile.months());
            let expected = total.round_dp_with_strategy(scale, RoundingStrategy::MidpointAwayFromZero);
            prop_assert_eq!(targets.iter().sum::<Decimal>(), expected);
            for t in &targets {
                prop_assert!(t.scale() <= scale, "{t} has more than {scale} places");
            }
        }

        #[test]
        fn each_month_is_within_one_unit_of_its_share(total in any_total(), profile in any_profile(), scale in 0..=6_u32) {
            let rounded = total.round_dp_with_strategy(scale, RoundingStrategy::MidpointAwayFromZero);
            let unit = Decimal::new(1, scale);
            for (target, weight) in distribute(total, &profile, scale).iter().zip(profile.weights()) {
                let ideal = rounded * weight / Decimal::ONE_HUNDRED;
                prop_assert!((*target - ideal).abs() < unit, "{target} vs ideal {ideal}");
            }
        }

        #[test]
        fn even_profiles_are_valid(months in 1..=120_usize) {
            let profile = SeasonalProfile::even(months).unwrap();
            prop_assert_eq!(profile.weights().iter().sum::<Decimal>(), Decimal::ONE_HUNDRED);
        }
    }
}

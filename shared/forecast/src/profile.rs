//! Seasonal profiles learned from history: how a period's total has spread over its months in past years.

use lacak_domain::{SeasonalProfile, distribute};
use rust_decimal::Decimal;
use rust_decimal::prelude::FromPrimitive;

/// Decimal places of a learned profile's percentages, as in [`SeasonalProfile::even`].
pub const PROFILE_SCALE: u32 = 4;

/// Decimal places the averaged shares are carried at before the final rounding to [`PROFILE_SCALE`].
const SHARE_SCALE: u32 = 12;

/// The percentage of the period's total that fell in each of `months_in_period` (fiscal month
/// indices, 1 = the fiscal year's first month), learned from `history_by_month`, given as
/// `(fiscal year, fiscal month index, value)`.
///
/// For each fiscal year that has a value for every month of the period, the year's share of month
/// `m` is `v(m) / Σ v(period's months)`; the profile is the mean of those shares over the years,
/// each year weighing the same whatever its volume, times 100. The percentages are rounded to
/// [`PROFILE_SCALE`] places by [`distribute`]'s largest-remainder method, so they sum to exactly 100
/// and are a valid [`SeasonalProfile`] for the period; they come in the order of `months_in_period`.
///
/// - Several values for one year and month are added up (e.g. one per product).
/// - A negative value (returns beyond sales) counts as 0: a target is never planned below zero.
/// - A year missing one of the period's months is skipped, so a member who started mid-year does not
///   look as if they sold nothing before: the caller gives 0 for months with no sales.
/// - A year whose period total is 0 is skipped: it shows no spread.
/// - Values that are not finite are ignored, which leaves their month missing.
///
/// `None` when no year qualifies, or when `months_in_period` is empty, repeats a month or names one
/// outside `1..=12`.
pub fn monthly_profile(history_by_month: &[(i32, u32, f64)], months_in_period: &[u32]) -> Option<Vec<Decimal>> {
    if !valid_period(months_in_period) {
        return None;
    }
    let mut years: Vec<i32> = history_by_month.iter().map(|&(year, _, _)| year).collect();
    years.sort_unstable();
    years.dedup();

    let mut summed_shares = vec![0.0; months_in_period.len()];
    let mut counted_years = 0_u32;
    for year in years {
        if let Some(shares) = year_shares(history_by_month, year, months_in_period) {
            summed_shares
                .iter_mut()
                .zip(shares)
                .for_each(|(sum, share)| *sum += share);
            counted_years += 1;
        }
    }
    if counted_years == 0 {
        return None;
    }
    let mean_shares: Vec<f64> = summed_shares.iter().map(|s| s / f64::from(counted_years)).collect();
    exact_percentages(&mean_shares).map(|profile| profile.weights().to_vec())
}

fn valid_period(months: &[u32]) -> bool {
    let mut seen = [false; 12];
    !months.is_empty()
        && months.iter().all(|&m| {
            let fresh = (1..=12).contains(&m) && !seen[m as usize - 1];
            if fresh {
                seen[m as usize - 1] = true;
            }
            fresh
        })
}

/// One year's share of its period total per month, or `None` when the year does not qualify.
fn year_shares(history: &[(i32, u32, f64)], year: i32, months: &[u32]) -> Option<Vec<f64>> {
    let mut values = vec![None::<f64>; months.len()];
    for &(_, month, value) in history.iter().filter(|&&(y, _, v)| y == year && v.is_finite()) {
        if let Some(slot) = months.iter().position(|&m| m == month) {
            *values[slot].get_or_insert(0.0) += value;
        }
    }
    let values: Vec<f64> = values
        .into_iter()
        .map(|v| v.map(|v| v.max(0.0)))
        .collect::<Option<_>>()?;
    let total: f64 = values.iter().sum();
    (total > 0.0 && total.is_finite()).then(|| values.iter().map(|v| v / total).collect())
}

/// Percentages for `shares` (non-negative, summing to about 1) at [`PROFILE_SCALE`] places, summing to
/// exactly 100.
fn exact_percentages(shares: &[f64]) -> Option<SeasonalProfile> {
    let mut weights: Vec<Decimal> = shares
        .iter()
        .map(|&share| Decimal::from_f64(share * 100.0).map(|w| w.round_dp(SHARE_SCALE)))
        .collect::<Option<_>>()?;
    // The float shares miss 100 by rounding noise only; the largest weight absorbs it, being the one
    // that cannot turn negative. The profile is then exact and `distribute` rounds it to the scale
    // shown without losing a unit.
    let largest = (0..weights.len()).max_by_key(|&i| weights[i])?;
    let others: Decimal = weights
        .iter()
        .enumerate()
        .filter(|&(i, _)| i != largest)
        .map(|(_, w)| *w)
        .sum();
    weights[largest] = Decimal::ONE_HUNDRED - others;
    let months = weights.len();
    let precise = SeasonalProfile::new(weights, months).ok()?;
    let rounded = distribute(Decimal::ONE_HUNDRED, &precise, PROFILE_SCALE)
        .into_iter()
        .map(|w| w.normalize())
        .collect();
    SeasonalProfile::new(rounded, months).ok()
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

    #[test]
    fn shares_are_averaged_over_years() {
        // 2023: 100, 200, 700 → 10%, 20%, 70%; 2024: 300, 300, 400 → 30%, 30%, 40%.
        // Each year weighs the same: 20%, 25%, 55%, though 2024 sold more.
        let history = [
            (2023, 1, 100.0),
            (2023, 2, 200.0),
            (2023, 3, 700.0),
            (2024, 1, 300.0),
            (2024, 2, 300.0),
            (2024, 3, 400.0),
        ];
        assert_eq!(monthly_profile(&history, &[1, 2, 3]), Some(decs(&["20", "25", "55"])));
        // The months come back in the order asked.
        assert_eq!(monthly_profile(&history, &[3, 1, 2]), Some(decs(&["55", "20", "25"])));
    }

    #[test]
    fn thirds_round_to_exactly_100() {
        let history = [(2024, 4, 1.0), (2024, 5, 1.0), (2024, 6, 1.0)];
        let profile = monthly_profile(&history, &[4, 5, 6]).unwrap();
        assert_eq!(profile.iter().sum::<Decimal>(), Decimal::ONE_HUNDRED);
        let mut sorted = profile.clone();
        sorted.sort();
        assert_eq!(sorted, decs(&["33.3333", "33.3333", "33.3334"]));
    }

    #[test]
    fn incomplete_empty_and_negative_years() {
        let history = [
            // Joined in month 2 of 2022: the year is left out rather than read as a zero month 1.
            (2022, 2, 900.0),
            (2022, 3, 100.0),
            // Nothing sold in 2023's quarter: no spread to learn.
            (2023, 1, 0.0),
            (2023, 2, 0.0),
            (2023, 3, 0.0),
            // Two products in month 1 add up; month 3's net returns count as nothing sold.
            (2024, 1, 30.0),
            (2024, 1, 20.0),
            (2024, 2, 50.0),
            (2024, 3, -10.0),
        ];
        assert_eq!(monthly_profile(&history, &[1, 2, 3]), Some(decs(&["50", "50", "0"])));
        assert_eq!(monthly_profile(&history[..5], &[1, 2, 3]), None);
    }

    #[test]
    fn bad_periods_and_no_data_give_none() {
        let history = [(2024, 1, 1.0), (2024, 2, 1.0)];
        assert_eq!(monthly_profile(&history, &[]), None);
        assert_eq!(monthly_profile(&history, &[1, 1]), None);
        assert_eq!(monthly_profile(&history, &[0, 1]), None);
        assert_eq!(monthly_profile(&history, &[12, 13]), None);
        assert_eq!(monthly_profile(&[], &[1, 2]), None);
        assert_eq!(monthly_profile(&[(2024, 1, f64::NAN), (2024, 2, 1.0)], &[1, 2]), None);
    }

    fn any_history() -> impl Strategy<Value = Vec<(i32, u32, f64)>> {
        proptest::collection::vec((2019..2025_i32, 1..=12_u32, -100.0..1e7_f64), 0..200)
    }

    fn any_period() -> impl Strategy<Value = Vec<u32>> {
        (1..=12_u32, 1..=12_u32).prop_map(|(first, len)| (first..=(first + len - 1).min(12)).collect())
    }

    proptest! {
        #[test]
        fn profiles_sum_to_exactly_100(history in any_history(), months in any_period()) {
            if let Some(profile) = monthly_profile(&history, &months) {
                prop_assert_eq!(profile.len(), months.len());
                prop_assert_eq!(profile.iter().sum::<Decimal>(), Decimal::ONE_HUNDRED);
                for weight in &profile {
                    prop_assert!(*weight >= Decimal::ZERO && weight.scale() <= PROFILE_SCALE, "{weight}");
                }
                prop_assert!(SeasonalProfile::new(profile.clone(), months.len()).is_ok());
            }
        }

        #[test]
        fn a_full_year_of_one_pattern_is_learned_back(weights in proptest::collection::vec(1..1000_u32, 12)) {
            // The same pattern at three volumes: each year weighs the same, so the pattern comes back.
            let mut history = Vec::new();
            for year in 2020..2023 {
                for (month, weight) in (1..=12).zip(&weights) {
                    history.push((year, month, f64::from(*weight) * f64::from(year - 2019)));
                }
            }
            let profile = monthly_profile(&history, &(1..=12).collect::<Vec<_>>()).unwrap();
            let total: u32 = weights.iter().sum();
            for (learned, weight) in profile.iter().zip(&weights) {
                let exact = f64::from(*weight) / f64::from(total) * 100.0;
                let learned: f64 = learned.to_string().parse().unwrap();
                prop_assert!((learned - exact).abs() <= 0.0001 + 1e-9, "{learned} vs {exact}");
            }
        }
    }
}

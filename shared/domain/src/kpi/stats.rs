//! Significance tests: is a member's or a stage's rate or duration really off its baseline, or just noise?

use rust_decimal::Decimal;
use statrs::distribution::{ContinuousCDF, Normal, StudentsT};

use super::count_percent;

/// The p-value below which a difference is taken as real rather than chance: the conventional 5%,
/// so about one comparison in twenty between equal groups is still flagged. The monitoring report
/// tests each member and stage separately and ranks the flags by revenue at stake, which keeps those
/// false alarms at the bottom of the list rather than hiding them.
pub const SIGNIFICANCE: f64 = 0.05;

/// A two-proportion z-test of group A's rate against group B's.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ProportionTest {
    /// `successes_a / trials_a × 100`, rounded to 9 places.
    pub rate_a: Decimal,
    /// `successes_b / trials_b × 100`, rounded to 9 places.
    pub rate_b: Decimal,
    /// How many standard errors A's rate lies above B's (negative when below).
    pub z: f64,
    /// Two-sided p-value: the chance of a gap at least this wide if both groups shared one rate.
    pub p_value: f64,
}

/// Welch's t-test of sample A's mean against sample B's.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MeanTest {
    /// Mean of sample A.
    pub mean_a: f64,
    /// Mean of sample B.
    pub mean_b: f64,
    /// How many standard errors A's mean lies above B's (negative when below).
    pub t: f64,
    /// Welch–Satterthwaite degrees of freedom.
    pub df: f64,
    /// Two-sided p-value: the chance of a gap at least this wide if both samples shared one mean.
    pub p_value: f64,
}

/// Pooled two-proportion z-test with a two-sided p-value:
///
/// ```text
/// p̂ = (x_a + x_b) / (n_a + n_b)
/// z = (x_a/n_a − x_b/n_b) / √(p̂ (1 − p̂) (1/n_a + 1/n_b))
/// p = 2 · P(Z > |z|),  Z ~ N(0, 1)
/// ```
///
/// `None` when either group has no trials, when successes exceed trials, or when the pooled
/// proportion is 0 or 1 (everyone failed or everyone succeeded: no variance to test against).
pub fn two_proportion_test(successes_a: u64, trials_a: u64, successes_b: u64, trials_b: u64) -> Option<ProportionTest> {
    if trials_a == 0 || trials_b == 0 || successes_a > trials_a || successes_b > trials_b {
        return None;
    }
    let (x_a, n_a, x_b, n_b) = (successes_a as f64, trials_a as f64, successes_b as f64, trials_b as f64);
    let pooled = (x_a + x_b) / (n_a + n_b);
    if pooled <= 0.0 || pooled >= 1.0 {
        return None;
    }
    let standard_error = (pooled * (1.0 - pooled) * (1.0 / n_a + 1.0 / n_b)).sqrt();
    let z = (x_a / n_a - x_b / n_b) / standard_error;
    Some(ProportionTest {
        rate_a: count_percent(successes_a, trials_a)?,
        rate_b: count_percent(successes_b, trials_b)?,
        z,
        p_value: two_sided(&Normal::standard(), z),
    })
}

/// Welch's t-test (unequal variances) with a two-sided p-value:
///
/// ```text
/// v_a = s_a² / n_a,  v_b = s_b² / n_b         (s² the sample variance, divided by n − 1)
/// t = (mean_a − mean_b) / √(v_a + v_b)
/// df = (v_a + v_b)² / (v_a² / (n_a − 1) + v_b² / (n_b − 1))
/// p = 2 · P(T > |t|),  T ~ Student's t with df degrees of freedom
/// ```
///
/// `None` when either sample has fewer than 2 values, when any value is not finite, or when both
/// samples have zero variance (every value equal within each: there is no spread to test against).
pub fn welch_test(a: &[f64], b: &[f64]) -> Option<MeanTest> {
    let (n_a, mean_a, variance_a) = sample_moments(a)?;
    let (n_b, mean_b, variance_b) = sample_moments(b)?;
    let (v_a, v_b) = (variance_a / n_a, variance_b / n_b);
    let squared_error = v_a + v_b;
    if squared_error <= 0.0 || !squared_error.is_finite() {
        return None;
    }
    let t = (mean_a - mean_b) / squared_error.sqrt();
    // Shares of the squared error rather than the raw v², which under- or overflow for extreme data.
    let (share_a, share_b) = (v_a / squared_error, v_b / squared_error);
    let df = 1.0 / (share_a * share_a / (n_a - 1.0) + share_b * share_b / (n_b - 1.0));
    if t.is_nan() {
        return None;
    }
    let distribution = StudentsT::new(0.0, 1.0, df).ok()?;
    Some(MeanTest {
        mean_a,
        mean_b,
        t,
        df,
        p_value: two_sided(&distribution, t),
    })
}

/// `(n, mean, sample variance)` of at least two finite values, the variance over `n − 1`.
fn sample_moments(values: &[f64]) -> Option<(f64, f64, f64)> {
    if values.len() < 2 || values.iter().any(|v| !v.is_finite()) {
        return None;
    }
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    // Two passes: deviations from the mean, not Σx² − n·mean², which cancels badly.
    let squared_deviations: f64 = values.iter().map(|v| (v - mean) * (v - mean)).sum();
    Some((n, mean, squared_deviations / (n - 1.0)))
}

/// `2 · P(X > |statistic|)` for a distribution symmetric about 0, at most 1.
fn two_sided(distribution: &impl ContinuousCDF<f64, f64>, statistic: f64) -> f64 {
    // The upper tail directly, so a tiny p-value is not lost to 1 − cdf rounding to 0.
    (2.0 * distribution.sf(statistic.abs())).min(1.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn dec(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn assert_close(actual: f64, expected: f64, tolerance: f64) {
        assert!(
            (actual - expected).abs() <= tolerance,
            "{actual} is not within {tolerance} of {expected}"
        );
    }

    #[test]
    fn a_lower_conversion_on_a_hundred_leads_is_significant() {
        // 45/100 against 60/100: p̂ = 105/200 = 0.525, SE = √(0.525 · 0.475 · (1/100 + 1/100)) = 0.0706222,
        // z = −0.15 / 0.0706222 = −2.123977. Reference: python3 with scipy 1.17.1,
        // 2 * norm.sf(2.1239769762) = 0.0336721.
        let test = two_proportion_test(45, 100, 60, 100).unwrap();
        assert_eq!(test.rate_a, dec("45"));
        assert_eq!(test.rate_b, dec("60"));
        assert_close(test.z, -2.123_977, 1e-6);
        assert_close(test.p_value, 0.033_672_1, 1e-7);
        assert!(test.p_value < SIGNIFICANCE);
    }

    #[test]
    fn a_small_gap_on_few_trials_is_not_significant() {
        // 2/3 against 1/2: p̂ = 3/5, z = (1/6) / √(0.24 · (1/3 + 1/2)) = 0.372678.
        // Reference: scipy 1.17.1, 2 * norm.sf(0.372678) = 0.709388.
        let test = two_proportion_test(2, 3, 1, 2).unwrap();
        assert_eq!(test.rate_a, dec("66.666666667"));
        assert_eq!(test.rate_b, dec("50"));
        assert_close(test.z, 0.372_678, 1e-6);
        assert_close(test.p_value, 0.709_388, 1e-6);
        assert!(test.p_value >= SIGNIFICANCE);
    }

    #[test]
    fn proportions_without_trials_or_variance_cannot_be_tested() {
        assert_eq!(two_proportion_test(0, 0, 5, 10), None);
        assert_eq!(two_proportion_test(5, 10, 0, 0), None);
        // Everyone failed, or everyone succeeded, in both groups.
        assert_eq!(two_proportion_test(0, 10, 0, 20), None);
        assert_eq!(two_proportion_test(10, 10, 20, 20), None);
        // More successes than trials is bad data, not a rate above 100%.
        assert_eq!(two_proportion_test(11, 10, 5, 10), None);
    }

    #[test]
    fn welch_matches_an_independent_computation() {
        // Days in stage for two small groups. By hand: means 5 and 10, sample variances 10/4 = 2.5 and
        // 42/5 = 8.4, so t = −5 / √(2.5/5 + 8.4/6) = −5 / √1.9 = −3.627381 and
        // df = 1.9² / (0.5²/4 + 1.4²/5) = 7.942794. Reference: python3 with scipy 1.17.1,
        // ttest_ind([3, 4, 5, 6, 7], [6, 8, 9, 11, 12, 14], equal_var=False) gives
        // statistic −3.6273813, df 7.9427943, pvalue 0.0067924.
        let test = welch_test(&[3.0, 4.0, 5.0, 6.0, 7.0], &[6.0, 8.0, 9.0, 11.0, 12.0, 14.0]).unwrap();
        assert_close(test.mean_a, 5.0, 1e-12);
        assert_close(test.mean_b, 10.0, 1e-12);
        assert_close(test.t, -3.627_381_3, 1e-7);
        assert_close(test.df, 7.942_794_3, 1e-7);
        assert_close(test.p_value, 0.006_792_4, 1e-7);
        assert!(test.p_value < SIGNIFICANCE);
    }

    #[test]
    fn welch_tolerates_one_sample_without_spread() {
        // All of A equal: v_a = 0, so df = n_b − 1 = 2 and t = (1 − 3) / √(1/3) = −3.464102.
        // Reference: scipy 1.17.1, ttest_ind([1, 1, 1], [2, 3, 4], equal_var=False) gives
        // statistic −3.4641016, df 2, pvalue 0.0741799.
        let test = welch_test(&[1.0, 1.0, 1.0], &[2.0, 3.0, 4.0]).unwrap();
        assert_close(test.df, 2.0, 1e-12);
        assert_close(test.t, -3.464_101_6, 1e-7);
        assert_close(test.p_value, 0.074_179_9, 1e-7);
    }

    #[test]
    fn means_without_enough_data_or_spread_cannot_be_tested() {
        assert_eq!(welch_test(&[1.0], &[1.0, 2.0]), None);
        assert_eq!(welch_test(&[1.0, 2.0], &[]), None);
        assert_eq!(welch_test(&[2.0, 2.0], &[5.0, 5.0, 5.0]), None);
        assert_eq!(welch_test(&[1.0, f64::NAN], &[1.0, 2.0]), None);
        assert_eq!(welch_test(&[1.0, 2.0], &[1.0, f64::INFINITY]), None);
    }

    fn welch_sample() -> impl Strategy<Value = Vec<f64>> {
        proptest::collection::vec(-1e6..1e6_f64, 0..30)
    }

    proptest! {
        #[test]
        fn proportion_p_values_are_probabilities_symmetric_in_the_groups(
            (trials_a, successes_a) in (0..500_u64).prop_flat_map(|n| (Just(n), 0..=n)),
            (trials_b, successes_b) in (0..500_u64).prop_flat_map(|n| (Just(n), 0..=n)),
        ) {
            let forward = two_proportion_test(successes_a, trials_a, successes_b, trials_b);
            let backward = two_proportion_test(successes_b, trials_b, successes_a, trials_a);
            match (forward, backward) {
                (Some(f), Some(b)) => {
                    prop_assert!((0.0..=1.0).contains(&f.p_value), "{f:?}");
                    prop_assert_eq!(f.p_value, b.p_value);
                    prop_assert_eq!(f.z, -b.z);
                    prop_assert_eq!((f.rate_a, f.rate_b), (b.rate_b, b.rate_a));
                }
                (None, None) => {}
                other => prop_assert!(false, "{other:?}"),
            }
        }

        #[test]
        fn equal_rates_are_never_significant(successes in 0..100_u64, extra in 0..100_u64) {
            let trials = successes + extra;
            if let Some(test) = two_proportion_test(successes, trials, successes, trials) {
                prop_assert_eq!(test.z, 0.0);
                prop_assert_eq!(test.p_value, 1.0);
            }
        }

        #[test]
        fn welch_p_values_are_probabilities_symmetric_in_the_samples(a in welch_sample(), b in welch_sample()) {
            match (welch_test(&a, &b), welch_test(&b, &a)) {
                (Some(f), Some(r)) => {
                    prop_assert!((0.0..=1.0).contains(&f.p_value), "{f:?}");
                    prop_assert_eq!(f.p_value, r.p_value);
                    prop_assert_eq!(f.t, -r.t);
                    prop_assert_eq!(f.df, r.df);
                }
                (None, None) => {}
                other => prop_assert!(false, "{other:?}"),
            }
        }

        #[test]
        fn identical_samples_are_never_significant(a in welch_sample()) {
            if let Some(test) = welch_test(&a, &a) {
                prop_assert_eq!(test.t, 0.0);
                prop_assert_eq!(test.p_value, 1.0);
            }
        }
    }
}

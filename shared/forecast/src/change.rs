//! Shifts in demand beyond noise: change points in a sales series, and whether demand is rising,
//! falling or emerging.

use augurs_changepoint::{Detector, NormalGammaDetector};
use lacak_domain::kpi::{SIGNIFICANCE, welch_test};

/// The fewest observations on each side of a change: a shorter run is an outlier, not a new level.
pub const MIN_SEGMENT: usize = 3;

/// A product or member is new while it has sold for at most this many months.
pub const EMERGING_MONTHS: usize = 12;

/// How many times its first months' level a new series must reach in its latest months to be
/// emerging rather than merely new.
pub const EMERGING_GROWTH: f64 = 2.0;

/// Where a series moved to a new level, and by how much.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChangePoint {
    /// 0-based index of the first observation at the new level.
    pub index: usize,
    /// Mean of the run before `index`, back to the previous change point or the start.
    pub mean_before: f64,
    /// Mean of the run from `index` up to the next change point or the end.
    pub mean_after: f64,
    /// Two-sided p-value of Welch's test between the two runs; 0 when neither run varies at all.
    pub p_value: f64,
}

/// Which way demand is heading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DemandTrend {
    /// The latest change beyond noise is upwards.
    Rising,
    /// The latest change beyond noise is downwards.
    Falling,
    /// Little history, then fast growth: sold for at most [`EMERGING_MONTHS`] months, and the latest
    /// third of them averages at least [`EMERGING_GROWTH`] times the first third.
    Emerging,
    /// No change beyond noise (or too little data to see one).
    Steady,
}

/// The points where `series` (oldest first, evenly spaced) moves to a new mean level, with the means
/// on either side; only changes beyond noise.
///
/// Candidates come from Bayesian online change-point detection (`augurs-changepoint`, a Normal model
/// with a Normal-Gamma prior, expected run length 250) run on the series standardised by a robust
/// noise scale: `σ = 1.4826 · MAD(Δy) / √2`, the median absolute deviation of month-to-month
/// differences, which a few level shifts do not inflate. A candidate is kept only while the runs on
/// either side each have at least [`MIN_SEGMENT`] observations and differ by Welch's t-test with
/// `p < SIGNIFICANCE` (0.05); the weakest failing candidate is merged into its neighbours and the
/// rest retested until every one passes.
///
/// The model is a piecewise-constant mean, so seasonal swings read as changes: pass a seasonally
/// adjusted series (e.g. [`crate::seasonally_adjusted`]) or yearly figures. A steady ramp shows as a
/// staircase of changes in one direction.
///
/// Empty when the series has fewer than `2 ×` [`MIN_SEGMENT`] values, a value that is not finite, or
/// no variation at all.
pub fn change_points(series: &[f64]) -> Vec<ChangePoint> {
    if series.len() < 2 * MIN_SEGMENT || series.iter().any(|v| !v.is_finite()) {
        return Vec::new();
    }
    let Some(scale) = noise_scale(series) else {
        return Vec::new();
    };
    let centre = median(series.to_vec());
    let standardised: Vec<f64> = series.iter().map(|v| (v - centre) / scale).collect();
    // The detector gives the last index of each run; the change is at the next one. Index 0 is the
    // start of the series, not a change.
    let candidates: Vec<usize> = NormalGammaDetector::default()
        .detect_changepoints(&standardised)
        .into_iter()
        .map(|end| end + 1)
        .filter(|&start| start > 0 && start < series.len())
        .collect();
    significant_changes(series, candidates)
}

/// Classifies where demand is heading from a monthly series (oldest first).
///
/// [`DemandTrend::Emerging`] comes first: the series counts from its first positive month, and
/// with at least 3 and at most [`EMERGING_MONTHS`] months since then, the mean of the latest third
/// is at least [`EMERGING_GROWTH`] times the mean of the first third. Otherwise the direction of the
/// latest [`change_points`] decides [`DemandTrend::Rising`] or [`DemandTrend::Falling`];
/// without one it is [`DemandTrend::Steady`].
pub fn classify_trend(series: &[f64]) -> DemandTrend {
    if is_emerging(series) {
        return DemandTrend::Emerging;
    }
    match change_points(series).last() {
        Some(change) if change.mean_after > change.mean_before => DemandTrend::Rising,
        Some(change) if change.mean_after < change.mean_before => DemandTrend::Falling,
        _ => DemandTrend::Steady,
    }
}

fn is_emerging(series: &[f64]) -> bool {
    let Some(first_sale) = series.iter().position(|&v| v > 0.0) else {
        return false;
    };
    let active = &series[first_sale..];
    if !(3..=EMERGING_MONTHS).contains(&active.len()) || active.iter().any(|v| !v.is_finite()) {
        return false;
    }
    let third = active.len() / 3;
    let early = mean(&active[..third]);
    let late = mean(&active[active.len() - third..]);
    late > 0.0 && late >= EMERGING_GROWTH * early
}

/// Drops candidates until every remaining one separates two runs that differ beyond noise.
fn significant_changes(series: &[f64], mut starts: Vec<usize>) -> Vec<ChangePoint> {
    loop {
        let changes: Vec<(usize, Option<ChangePoint>)> = (0..starts.len())
            .map(|k| {
                let from = if k == 0 { 0 } else { starts[k - 1] };
                let to = starts.get(k + 1).copied().unwrap_or(series.len());
                (
                    k,
                    tested_change(&series[from..starts[k]], &series[starts[k]..to], starts[k]),
                )
            })
            .collect();
        // The weakest: a run too short first, then the largest p-value.
        let weakest = changes
            .iter()
            .filter_map(|(k, change)| match change {
                None => Some((*k, f64::INFINITY)),
                Some(c) if c.p_value >= SIGNIFICANCE => Some((*k, c.p_value)),
                Some(_) => None,
            })
            .max_by(|a, b| a.1.total_cmp(&b.1));
        match weakest {
            Some((k, _)) => {
                starts.remove(k);
            }
            None => return changes.into_iter().filter_map(|(_, change)| change).collect(),
        }
    }
}

/// The change between two adjacent runs, or `None` when a run is too short to tell.
fn tested_change(before: &[f64], after: &[f64], index: usize) -> Option<ChangePoint> {
    if before.len() < MIN_SEGMENT || after.len() < MIN_SEGMENT {
        return None;
    }
    let (mean_before, mean_after) = (mean(before), mean(after));
    let p_value = match welch_test(after, before) {
        Some(test) => test.p_value,
        // Neither run varies: any difference between them is beyond noise, and none is no change.
        None if mean_before != mean_after => 0.0,
        None => 1.0,
    };
    Some(ChangePoint {
        index,
        mean_before,
        mean_after,
        p_value,
    })
}

/// A robust estimate of the noise's standard deviation; `None` for a constant series.
fn noise_scale(series: &[f64]) -> Option<f64> {
    let differences: Vec<f64> = series.windows(2).map(|pair| pair[1] - pair[0]).collect();
    let centre = median(differences.clone());
    let deviations = differences.iter().map(|d| (d - centre).abs()).collect();
    // 1.4826 · MAD estimates a normal standard deviation; a difference of two values has √2 times
    // the noise of one.
    let robust = 1.4826 * median(deviations) / std::f64::consts::SQRT_2;
    if robust > 0.0 {
        return Some(robust);
    }
    // Most differences are exactly equal (a clean step, or data with few distinct values): fall back
    // on the plain standard deviation of the differences.
    let average = mean(&differences);
    let variance = differences.iter().map(|d| (d - average).powi(2)).sum::<f64>() / differences.len() as f64;
    let spread = variance.sqrt() / std::f64::consts::SQRT_2;
    (spread > 0.0 && spread.is_finite()).then_some(spread)
}

fn mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len() as f64
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    let middle = values.len() / 2;
    if values.len() % 2 == 1 {
        values[middle]
    } else {
        (values[middle - 1] + values[middle]) / 2.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A fixed ±3 wobble, so the tests need no random numbers.
    fn wobble(t: usize) -> f64 {
        [0.0, 2.0, -1.5, 3.0, -2.5, 1.0, -3.0, 1.5][t % 8]
    }

    fn levels(runs: &[(usize, f64)]) -> Vec<f64> {
        runs.iter()
            .flat_map(|&(months, level)| std::iter::repeat_n(level, months))
            .enumerate()
            .map(|(t, level)| level + wobble(t))
            .collect()
    }

    fn assert_close(actual: f64, expected: f64, tolerance: f64) {
        assert!(
            (actual - expected).abs() <= tolerance,
            "{actual} is not within {tolerance} of {expected}"
        );
    }

    #[test]
    fn a_step_is_found_where_it_happens() {
        let series = levels(&[(20, 100.0), (16, 130.0)]);
        let changes = change_points(&series);
        assert_eq!(changes.len(), 1, "{changes:?}");
        assert_eq!(changes[0].index, 20);
        assert_close(changes[0].mean_before, 100.0, 1.0);
        assert_close(changes[0].mean_after, 130.0, 1.0);
        assert!(changes[0].p_value < 1e-6);
        assert_eq!(classify_trend(&series), DemandTrend::Rising);
    }

    #[test]
    fn a_clean_step_is_exact() {
        let series: Vec<f64> = [5.0; 10].into_iter().chain([9.0; 10]).collect();
        let expected = ChangePoint {
            index: 10,
            mean_before: 5.0,
            mean_after: 9.0,
            p_value: 0.0,
        };
        assert_eq!(change_points(&series), vec![expected]);
    }

    #[test]
    fn a_fall_and_a_recovery() {
        let series = levels(&[(15, 100.0), (15, 70.0), (18, 110.0)]);
        let found: Vec<usize> = change_points(&series).iter().map(|c| c.index).collect();
        assert_eq!(found, vec![15, 30]);
        // The latest change decides: demand is rising again.
        assert_eq!(classify_trend(&series), DemandTrend::Rising);
        assert_eq!(
            classify_trend(&levels(&[(24, 100.0), (12, 60.0)])),
            DemandTrend::Falling
        );
    }

    #[test]
    fn noise_and_single_spikes_are_not_changes() {
        let flat = levels(&[(36, 100.0)]);
        assert!(change_points(&flat).is_empty());
        assert_eq!(classify_trend(&flat), DemandTrend::Steady);
        let mut spike = flat.clone();
        spike[15] = 200.0;
        assert!(change_points(&spike).is_empty(), "{:?}", change_points(&spike));
    }

    #[test]
    fn too_little_or_bad_data_has_no_changes() {
        assert!(change_points(&[1.0, 1.0, 5.0, 5.0, 5.0]).is_empty());
        assert!(change_points(&[3.0; 24]).is_empty());
        assert!(change_points(&[1.0, 2.0, f64::NAN, 1.0, 2.0, 1.0, 2.0]).is_empty());
        assert_eq!(classify_trend(&[]), DemandTrend::Steady);
        assert_eq!(classify_trend(&[0.0; 12]), DemandTrend::Steady);
    }

    #[test]
    fn a_new_product_taking_off_is_emerging() {
        let launch = [0.0, 0.0, 0.0, 0.0, 2.0, 3.0, 5.0, 8.0, 12.0, 20.0];
        assert_eq!(classify_trend(&launch), DemandTrend::Emerging);
        // New but flat is only new.
        assert_eq!(
            classify_trend(&[0.0, 0.0, 5.0, 6.0, 5.0, 6.0, 5.0, 6.0]),
            DemandTrend::Steady
        );
        // Growth after more than a year of sales is a rise, not an emergence.
        let established = levels(&[(24, 50.0), (12, 120.0)]);
        assert_eq!(classify_trend(&established), DemandTrend::Rising);
    }

    proptest! {
        #[test]
        fn changes_are_ordered_separated_and_significant(series in proptest::collection::vec(0.0..1e4_f64, 0..60)) {
            let changes = change_points(&series);
            let mut previous = 0;
            for change in &changes {
                prop_assert!(change.index >= previous + MIN_SEGMENT, "{changes:?}");
                prop_assert!(change.index + MIN_SEGMENT <= series.len());
                prop_assert!(change.p_value < SIGNIFICANCE);
                previous = change.index;
            }
        }
    }
}

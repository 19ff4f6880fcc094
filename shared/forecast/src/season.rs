//! Classical seasonal decomposition of a monthly series: whether it has a 12-month season at all,
//! and if so a factor per calendar month to take out before a non-seasonal model and put back after.

use crate::forecast::{MIN_SEASONAL_HISTORY, SEASON_LENGTH};

/// One-sided 90% quantile of the standard normal: the autocorrelation at lag 12 must clear this many
/// standard errors (Bartlett's) for the series to count as seasonal.
const SEASONAL_EVIDENCE: f64 = 1.645;

/// Years of the most recent history the factors are averaged over: seasons drift, and a factor
/// from a decade ago misleads (on the bench's public series, three years beat all of them).
const SEASON_YEARS: usize = 3;

/// A factor per position in the year, positions counted from the first month of the history.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Season {
    factors: [f64; SEASON_LENGTH],
    multiplicative: bool,
}

impl Season {
    /// The season of `history`: none (factors of 1) when it is shorter than two years or its
    /// autocorrelation at lag 12 is within noise; else ratios (every month positive) or differences
    /// to a centred 2×12 moving average, averaged per position over the last [`SEASON_YEARS`] years and normalised.
    pub(crate) fn of(history: &[f64]) -> Season {
        let none = Season {
            factors: [1.0; SEASON_LENGTH],
            multiplicative: true,
        };
        let n = history.len();
        if n < MIN_SEASONAL_HISTORY || !is_seasonal(history) {
            return none;
        }
        let multiplicative = history.iter().all(|&y| y > 0.0);
        let half = SEASON_LENGTH / 2;
        let mut sums = [0.0; SEASON_LENGTH];
        let mut counts = [0usize; SEASON_LENGTH];
        for t in half.max((n - half).saturating_sub(SEASON_YEARS * SEASON_LENGTH))..n - half {
            let window = &history[t - half..=t + half];
            let trend = (window[1..SEASON_LENGTH].iter().sum::<f64>() + 0.5 * (window[0] + window[SEASON_LENGTH]))
                / SEASON_LENGTH as f64;
            let detrended = if multiplicative {
                history[t] / trend
            } else {
                history[t] - trend
            };
            if detrended.is_finite() {
                sums[t % SEASON_LENGTH] += detrended;
                counts[t % SEASON_LENGTH] += 1;
            }
        }
        if counts.contains(&0) {
            return none;
        }
        let mut factors = [0.0; SEASON_LENGTH];
        for (i, factor) in factors.iter_mut().enumerate() {
            *factor = sums[i] / counts[i] as f64;
        }
        let mean = factors.iter().sum::<f64>() / SEASON_LENGTH as f64;
        for factor in &mut factors {
            if multiplicative {
                *factor /= mean;
            } else {
                *factor -= mean;
            }
        }
        if factors.iter().any(|f| !f.is_finite() || (multiplicative && *f <= 0.0)) {
            return none;
        }
        Season {
            factors,
            multiplicative,
        }
    }

    /// The series with the season taken out.
    pub(crate) fn adjust(&self, history: &[f64]) -> Vec<f64> {
        history.iter().enumerate().map(|(t, &y)| self.remove(t, y)).collect()
    }

    /// Forecasts of the adjusted series for the months after a history of `len` months, with the
    /// season put back.
    pub(crate) fn restore(&self, len: usize, adjusted: &[f64]) -> Vec<f64> {
        adjusted
            .iter()
            .enumerate()
            .map(|(h, &y)| {
                let factor = self.factors[(len + h) % SEASON_LENGTH];
                if self.multiplicative { y * factor } else { y + factor }
            })
            .collect()
    }

    fn remove(&self, t: usize, y: f64) -> f64 {
        let factor = self.factors[t % SEASON_LENGTH];
        if self.multiplicative { y / factor } else { y - factor }
    }
}

/// Whether the autocorrelation at lag 12 exceeds [`SEASONAL_EVIDENCE`] standard errors, with
/// Bartlett's standard error from the autocorrelations at lags 1 to 11.
fn is_seasonal(history: &[f64]) -> bool {
    let n = history.len() as f64;
    let mean = history.iter().sum::<f64>() / n;
    let variance: f64 = history.iter().map(|y| (y - mean).powi(2)).sum();
    if variance <= 0.0 {
        return false;
    }
    let acf = |lag: usize| -> f64 {
        history
            .iter()
            .zip(&history[lag..])
            .map(|(a, b)| (a - mean) * (b - mean))
            .sum::<f64>()
            / variance
    };
    let spread: f64 = (1..SEASON_LENGTH).map(|lag| acf(lag).powi(2)).sum();
    let limit = SEASONAL_EVIDENCE * ((1.0 + 2.0 * spread) / n).sqrt();
    acf(SEASON_LENGTH).abs() > limit
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHAPE: [f64; 12] = [0.8, 0.75, 0.9, 0.95, 1.0, 1.05, 0.95, 0.9, 1.0, 1.1, 1.25, 1.35];

    #[test]
    fn a_pure_season_is_found_and_taken_out_exactly() {
        let series: Vec<f64> = (0..48).map(|t| 200.0 * SHAPE[t % 12]).collect();
        let season = Season::of(&series);
        let adjusted = season.adjust(&series);
        let mean_shape = SHAPE.iter().sum::<f64>() / 12.0;
        for value in &adjusted {
            assert!((value - 200.0 * mean_shape).abs() < 1e-9, "{value}");
        }
        // Put back for the next months: the shape again, in calendar order.
        let restored = season.restore(48, &[200.0 * mean_shape; 14]);
        for (h, value) in restored.iter().enumerate() {
            assert!((value - 200.0 * SHAPE[h % 12]).abs() < 1e-9, "{h}: {value}");
        }
    }

    #[test]
    fn no_season_in_noise_or_short_series() {
        let noise: Vec<f64> = (0..48).map(|t| 100.0 + [3.0, -5.0, 1.0, 4.0, -2.0][t % 5]).collect();
        assert_eq!(Season::of(&noise).adjust(&noise), noise);
        let short: Vec<f64> = (0..23).map(|t| 200.0 * SHAPE[t % 12]).collect();
        assert_eq!(Season::of(&short).adjust(&short), short);
    }

    #[test]
    fn months_without_sales_make_the_season_additive() {
        let series: Vec<f64> = (0..36).map(|t| 100.0 * SHAPE[t % 12] - 80.0).collect();
        let season = Season::of(&series);
        assert!(!season.multiplicative);
        let adjusted = season.adjust(&series);
        assert!(adjusted.iter().all(|v| (v - adjusted[0]).abs() < 1e-9));
    }
}

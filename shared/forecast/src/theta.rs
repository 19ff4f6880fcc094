//! The Theta method (Assimakopoulos and Nikolopoulos, 2000) in Hyndman and Billah's form: simple
//! exponential smoothing with a drift of half the series' linear trend. No crate we use has it; it
//! is two closed forms and a one-dimensional search.

/// Smoothing weights searched: SES with α near 0 never moves, and near 1 is the naive forecast.
const ALPHA_RANGE: (f64, f64) = (0.01, 0.99);
/// Golden-section steps; the bracket shrinks to 0.618⁴⁰ of its width, far below what changes a forecast.
const SEARCH_STEPS: usize = 40;

/// `horizon` forecasts of a non-seasonal (or seasonally adjusted) series of at least 2 values:
/// `ŷ(h) = ℓₙ + b/2 · ((h − 1) + (1 − (1 − α)ⁿ) / α)`, with `ℓₙ` and `α` from SES fitted by least
/// squares of one-step errors and `b` the least-squares slope of the series on time.
pub(crate) fn theta(series: &[f64], horizon: usize) -> Vec<f64> {
    let n = series.len();
    if n < 2 {
        return vec![series.first().copied().unwrap_or(0.0); horizon];
    }
    let alpha = best_alpha(series);
    let level = smooth(series, alpha).1;
    let slope = slope(series);
    let carry = (1.0 - (1.0 - alpha).powi(n as i32)) / alpha;
    (1..=horizon)
        .map(|h| level + slope / 2.0 * ((h - 1) as f64 + carry))
        .collect()
}

/// Sum of squared one-step errors and the final level of SES with weight `alpha`, started at the
/// first value.
fn smooth(series: &[f64], alpha: f64) -> (f64, f64) {
    let mut level = series[0];
    let mut squares = 0.0;
    for &y in &series[1..] {
        squares += (y - level).powi(2);
        level += alpha * (y - level);
    }
    (squares, level)
}

fn best_alpha(series: &[f64]) -> f64 {
    let ratio = (5f64.sqrt() - 1.0) / 2.0;
    let (mut low, mut high) = ALPHA_RANGE;
    let mut a = high - ratio * (high - low);
    let mut b = low + ratio * (high - low);
    let (mut fa, mut fb) = (smooth(series, a).0, smooth(series, b).0);
    for _ in 0..SEARCH_STEPS {
        if fa <= fb {
            high = b;
            (b, fb) = (a, fa);
            a = high - ratio * (high - low);
            fa = smooth(series, a).0;
        } else {
            low = a;
            (a, fa) = (b, fb);
            b = low + ratio * (high - low);
            fb = smooth(series, b).0;
        }
    }
    (low + high) / 2.0
}

fn slope(series: &[f64]) -> f64 {
    let n = series.len() as f64;
    let mean_t = (n - 1.0) / 2.0;
    let mean_y = series.iter().sum::<f64>() / n;
    let (mut num, mut den) = (0.0, 0.0);
    for (t, y) in series.iter().enumerate() {
        let dt = t as f64 - mean_t;
        num += dt * (y - mean_y);
        den += dt * dt;
    }
    if den > 0.0 { num / den } else { 0.0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_straight_line_continues_at_half_its_slope_from_the_last_level() {
        // y = 10 + 2t: SES tracks it with α → 0.99, ℓₙ ≈ y₍ₙ₋₁₎ minus a lag of about (1 − α)/α · 2.
        let line: Vec<f64> = (0..30).map(|t| 10.0 + 2.0 * t as f64).collect();
        let forecast = theta(&line, 3);
        // Steps of b/2 = 1 a month.
        assert!((forecast[1] - forecast[0] - 1.0).abs() < 1e-9);
        assert!((forecast[2] - forecast[1] - 1.0).abs() < 1e-9);
        assert!((forecast[0] - 69.0).abs() < 0.1, "{forecast:?}");
    }

    #[test]
    fn a_flat_series_stays_flat() {
        assert_eq!(theta(&[5.0; 12], 4), vec![5.0; 4]);
        assert_eq!(theta(&[7.0], 2), vec![7.0; 2]);
    }

    #[test]
    fn noise_is_smoothed_not_followed() {
        let noisy: Vec<f64> = (0..40).map(|t| 100.0 + if t % 2 == 0 { 10.0 } else { -10.0 }).collect();
        let alpha = best_alpha(&noisy);
        assert!(alpha < 0.2, "{alpha}");
        assert!((theta(&noisy, 1)[0] - 100.0).abs() < 5.0);
    }
}

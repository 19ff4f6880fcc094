//! The next value of a rate (retention, conversion) from the same rate in past periods: it does not
//! add up month by month, so it is not forecast as a series, but as one more draw of its past values.

use statrs::distribution::{ContinuousCDF, StudentsT};

/// A prediction of the next value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NextValue {
    /// The mean of the past values.
    pub point: f64,
    /// The prediction interval's lower bound, clamped to `bounds`.
    pub lower: f64,
    /// Its upper bound, likewise.
    pub upper: f64,
}

/// The mean of `past` with a prediction interval at `level` for one more value drawn like them:
/// `mean ± t(n − 1) · s · √(1 + 1/n)`, clamped to `bounds` (e.g. 0–100 for a percentage).
///
/// `None` with fewer than two values, a non-finite one, or a level outside (0, 1).
pub fn next_value(past: &[f64], level: f64, bounds: (f64, f64)) -> Option<NextValue> {
    let n = past.len();
    if n < 2 || !(level > 0.0 && level < 1.0) || past.iter().any(|v| !v.is_finite()) {
        return None;
    }
    let mean = past.iter().sum::<f64>() / n as f64;
    let variance = past.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
    let t = StudentsT::new(0.0, 1.0, (n - 1) as f64)
        .ok()?
        .inverse_cdf(0.5 + level / 2.0);
    let half = t * variance.sqrt() * (1.0 + 1.0 / n as f64).sqrt();
    let clamp = |v: f64| v.clamp(bounds.0, bounds.1);
    Some(NextValue {
        point: clamp(mean),
        lower: clamp(mean - half),
        upper: clamp(mean + half),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_interval_is_the_students_t_prediction_interval() {
        // 80, 84, 88, 92: mean 86, s = √(80/3) = 5.164; t(3) at 90% = 1.6377; √(1 + 1/4) = 1.1180.
        // Half-width 1.6377 × 5.164 × 1.1180 = 9.455.
        let next = next_value(&[80.0, 84.0, 88.0, 92.0], 0.8, (0.0, 100.0)).unwrap();
        assert!((next.point - 86.0).abs() < 1e-12);
        assert!((next.lower - 76.545).abs() < 0.01, "{next:?}");
        assert!((next.upper - 95.455).abs() < 0.01, "{next:?}");
    }

    #[test]
    fn bounds_hold_and_too_little_is_refused() {
        let next = next_value(&[97.0, 99.0, 100.0], 0.95, (0.0, 100.0)).unwrap();
        assert_eq!(next.upper, 100.0);
        assert!(next.lower < next.point);
        let flat = next_value(&[50.0, 50.0], 0.8, (0.0, 100.0)).unwrap();
        assert_eq!((flat.lower, flat.point, flat.upper), (50.0, 50.0, 50.0));
        assert_eq!(next_value(&[50.0], 0.8, (0.0, 100.0)), None);
        assert_eq!(next_value(&[50.0, f64::NAN], 0.8, (0.0, 100.0)), None);
        assert_eq!(next_value(&[1.0, 2.0], 1.0, (0.0, 100.0)), None);
    }
}

//! Prediction intervals from the errors a method made on the series' own past (split conformal
//! prediction): no distribution assumed, so intervals are as wide as the method's real misses.

use crate::forecast::SEASON_LENGTH;

/// Fewer errors than this and the intervals come from month-to-month changes of the history instead.
const MIN_ERRORS: usize = 8;
/// The correlation assumed between months when the validation cannot tell.
const DEFAULT_CORRELATION: f64 = 0.5;
/// The highest correlation used: a sum's interval stays narrower than its months' widths added up.
const MAX_CORRELATION: f64 = 0.95;

/// A candidate's forecast from one cut point of the history, beside what happened.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Trial {
    pub(crate) actual: Vec<f64>,
    pub(crate) point: Vec<f64>,
    /// Mean absolute value of the last year before the cut: the scale of additive errors.
    level: f64,
    /// Mean absolute seasonal-naive error within the training months (one-step naive under 13
    /// months): MASE's denominator.
    pub(crate) naive_error: f64,
}

impl Trial {
    /// The same cut point with another forecast.
    pub(crate) fn with_point(&self, point: Vec<f64>) -> Trial {
        Trial { point, ..self.clone() }
    }

    pub(crate) fn new(train: &[f64], actual: &[f64], point: Vec<f64>) -> Trial {
        Trial {
            actual: actual.to_vec(),
            point,
            level: level(train),
            naive_error: seasonal_naive_error(train),
        }
    }
}

fn level(history: &[f64]) -> f64 {
    let last = &history[history.len().saturating_sub(SEASON_LENGTH)..];
    last.iter().map(|y| y.abs()).sum::<f64>() / last.len().max(1) as f64
}

/// The scale of MASE for a forecast made from `history`: the mean absolute error of seasonal
/// naive within it, `mean |y_t − y_{t−12}|` (lag 1 under 13 months).
pub fn seasonal_naive_error(history: &[f64]) -> f64 {
    let lag = if history.len() > SEASON_LENGTH {
        SEASON_LENGTH
    } else {
        1
    };
    let diffs: Vec<f64> = history
        .iter()
        .zip(&history[lag.min(history.len())..])
        .map(|(a, b)| (b - a).abs())
        .collect();
    diffs.iter().sum::<f64>() / diffs.len().max(1) as f64
}

/// The error model behind a forecast's intervals.
///
/// Each error is `ln(actual / forecast)` when every month of the history and of the validation is
/// positive ("log" errors), else `(actual − forecast) / level`, the level being the mean absolute
/// value of the year before the cut. An error `h` months ahead is divided by `√h`, so errors from
/// every step ahead pool into one sample; the interval at level `L` for month `h` is the sample's
/// `(1 − L)/2` and `(1 + L)/2` quantiles, taken at ranks `⌊(m + 1)(1 − L)/2⌋` and
/// `⌈(m + 1)(1 + L)/2⌉` of `m` errors (the conformal correction), times `√h`.
#[derive(Debug, Clone, PartialEq)]
pub struct Errors {
    /// Errors as ratios (`true`) or relative to the level (`false`).
    pub log: bool,
    /// The scaled errors, sorted.
    scaled: Vec<f64>,
    /// Where they came from: the validation of the chosen method, or (too few of those) the
    /// history's own month-to-month changes.
    pub from_validation: bool,
    /// Correlation of errors between months of one cut point: `Σ_cuts Σ_{i≠j} eᵢeⱼ / Σ_cuts Σ_{i≠j} |eᵢ||eⱼ|`,
    /// within `[0, 0.95]`; 0.5 when nothing could tell.
    pub correlation: f64,
    /// The level additive errors are relative to, for the forecast's own history.
    level: f64,
}

impl Errors {
    pub(crate) fn from_trials(trials: &[Trial], history: &[f64]) -> Errors {
        let positive = |v: &[f64]| v.iter().all(|&y| y > 0.0);
        let log = positive(history) && trials.iter().all(|t| positive(&t.actual) && positive(&t.point));
        let error = |t: &Trial, a: f64, f: f64| {
            if log {
                (a / f).ln()
            } else {
                (a - f) / t.level.max(f64::MIN_POSITIVE)
            }
        };
        let mut scaled = Vec::new();
        let (mut cross, mut most) = (0.0, 0.0);
        for trial in trials {
            let errors: Vec<f64> = trial
                .actual
                .iter()
                .zip(&trial.point)
                .map(|(&a, &f)| error(trial, a, f))
                .collect();
            scaled.extend(errors.iter().enumerate().map(|(h, e)| e / ((h + 1) as f64).sqrt()));
            let (sum, abs_sum, squares) = errors
                .iter()
                .fold((0.0, 0.0, 0.0), |(s, a, q), e| (s + e, a + e.abs(), q + e * e));
            cross += sum * sum - squares;
            most += abs_sum * abs_sum - squares;
        }
        let correlation = if most > 0.0 && cross.is_finite() {
            (cross / most).clamp(0.0, MAX_CORRELATION)
        } else {
            DEFAULT_CORRELATION
        };
        let from_validation = scaled.iter().filter(|e| e.is_finite()).count() >= MIN_ERRORS;
        if !from_validation {
            // Month-to-month changes: what a forecast one month ahead would miss by, at the least.
            let log = positive(history);
            let level = level(history).max(f64::MIN_POSITIVE);
            scaled = history
                .windows(2)
                .map(|w| if log { (w[1] / w[0]).ln() } else { (w[1] - w[0]) / level })
                .collect();
            return Errors::sorted(scaled, log, false, DEFAULT_CORRELATION, level);
        }
        Errors::sorted(scaled, log, true, correlation, level(history))
    }

    fn sorted(mut scaled: Vec<f64>, log: bool, from_validation: bool, correlation: f64, level: f64) -> Errors {
        scaled.retain(|e| e.is_finite());
        scaled.sort_by(f64::total_cmp);
        Errors {
            log,
            scaled,
            from_validation,
            correlation,
            level,
        }
    }

    /// How many errors the intervals rest on.
    pub fn count(&self) -> usize {
        self.scaled.len()
    }

    /// Bounds around `point` at `level`, one pair per month ahead.
    pub(crate) fn interval(&self, point: &[f64], level: f64) -> crate::Interval {
        let (low, high) = self.quantiles(level);
        let (mut lower, mut upper) = (Vec::with_capacity(point.len()), Vec::with_capacity(point.len()));
        for (h, &f) in point.iter().enumerate() {
            let root = ((h + 1) as f64).sqrt();
            if self.log && f > 0.0 {
                lower.push(f * (low * root).exp());
                upper.push(f * (high * root).exp());
            } else {
                lower.push(f + low * root * self.level);
                upper.push(f + high * root * self.level);
            }
        }
        crate::Interval { level, lower, upper }
    }

    /// The lower and upper scaled errors at `level`: never above 0 and never below 0 respectively,
    /// so an interval always holds its point.
    fn quantiles(&self, level: f64) -> (f64, f64) {
        let m = self.scaled.len();
        if m == 0 {
            return (0.0, 0.0);
        }
        let tail = (1.0 - level) / 2.0;
        let rank_low = ((m + 1) as f64 * tail).floor() as usize;
        let rank_high = ((m + 1) as f64 * (1.0 - tail)).ceil() as usize;
        let low = self.scaled[rank_low.clamp(1, m) - 1];
        let high = self.scaled[rank_high.clamp(1, m) - 1];
        (low.min(0.0), high.max(0.0))
    }
}

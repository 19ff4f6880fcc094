//! Scoring forecasting methods on a series' own history with a rolling origin.

use std::collections::BTreeMap;

use crate::calibrate::Trial;
use crate::forecast::{ForecastError, ForecastMethod, MIN_HISTORY, Tried, Validation, check_levels};

/// How one method did over every origin of a backtest.
#[derive(Debug, Clone, PartialEq)]
pub struct MethodScore {
    /// The method; `None` for the automatic choice ([`crate::forecast_monthly`]).
    pub method: Option<ForecastMethod>,
    /// WAPE over every month forecast at every origin, pooled.
    pub wape: f64,
    /// Mean over origins of each origin's MASE (its training months' seasonal-naive error as scale);
    /// `None` when no origin had a scale.
    pub mase: Option<f64>,
    /// Per level asked: the share of months whose actual fell inside the interval, 0–1.
    pub coverage: Vec<(f64, f64)>,
    /// Months scored.
    pub months: usize,
}

/// Forecasts `horizon` months from each of `origins` cut points, the last one leaving exactly
/// `horizon` months after it and each earlier one a month before the next, and scores the automatic
/// choice and every method it chose among (each with intervals from its own validation errors).
///
/// The history the forecast at a cut point sees ends at the cut: nothing after it is read.
///
/// Errors: a level outside (0, 1), a non-finite value, `horizon` or `origins` of 0, or too little
/// history for the first cut point to leave [`MIN_HISTORY`] months before it.
pub fn backtest(
    history: &[f64],
    origins: usize,
    horizon: usize,
    levels: &[f64],
    validation: Validation,
) -> Result<Vec<MethodScore>, ForecastError> {
    check_levels(levels)?;
    if let Some(index) = history.iter().position(|y| !y.is_finite()) {
        return Err(ForecastError::NotFinite { index });
    }
    let needed = MIN_HISTORY + horizon + origins.saturating_sub(1);
    if horizon == 0 || origins == 0 || history.len() < needed {
        return Err(ForecastError::TooShort {
            needed: needed.max(MIN_HISTORY + 1),
            got: history.len(),
        });
    }
    let first = history.len() - horizon - (origins - 1);
    let mut tallies: BTreeMap<Option<ForecastMethod>, Tally> = BTreeMap::new();
    for cut in first..first + origins {
        let (train, actual) = (&history[..cut], &history[cut..cut + horizon]);
        let tried = Tried::on(train, horizon, validation);
        let chosen = tried.best();
        for method in tried.methods(train.len()) {
            let Ok(forecast) = tried.finish(method, train, levels, false) else {
                continue;
            };
            let trial = Trial::new(train, actual, forecast.point.clone());
            let keys = if method == chosen {
                vec![None, Some(method)]
            } else {
                vec![Some(method)]
            };
            for key in keys {
                tallies.entry(key).or_default().add(&trial, &forecast.intervals);
            }
        }
    }
    Ok(tallies
        .into_iter()
        .filter(|(_, tally)| tally.origins == origins)
        .filter_map(|(method, tally)| tally.score(method, levels))
        .collect())
}

#[derive(Default)]
struct Tally {
    origins: usize,
    actual: Vec<f64>,
    point: Vec<f64>,
    mase: Vec<f64>,
    /// Per level (in the order asked), months inside.
    inside: Vec<usize>,
}

impl Tally {
    fn add(&mut self, trial: &Trial, intervals: &[crate::Interval]) {
        self.origins += 1;
        self.actual.extend(&trial.actual);
        self.point.extend(&trial.point);
        if let Some(m) = crate::mase(&trial.actual, &trial.point, trial.naive_error) {
            self.mase.push(m);
        }
        self.inside.resize(intervals.len(), 0);
        for (count, interval) in self.inside.iter_mut().zip(intervals) {
            *count += trial
                .actual
                .iter()
                .enumerate()
                .filter(|&(h, a)| interval.lower[h] <= *a && *a <= interval.upper[h])
                .count();
        }
    }

    fn score(self, method: Option<ForecastMethod>, levels: &[f64]) -> Option<MethodScore> {
        let months = self.actual.len();
        Some(MethodScore {
            method,
            wape: crate::wape(&self.actual, &self.point)?,
            mase: (!self.mase.is_empty()).then(|| self.mase.iter().sum::<f64>() / self.mase.len() as f64),
            coverage: levels
                .iter()
                .zip(&self.inside)
                .map(|(&level, &inside)| (level, inside as f64 / months.max(1) as f64))
                .collect(),
            months,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_method_is_scored_on_the_same_months() {
        let series: Vec<f64> = (0..60)
            .map(|t| 100.0 + t as f64 + [5.0, -3.0, 8.0, -6.0][t % 4])
            .collect();
        let scores = backtest(&series, 4, 6, &[0.8], Validation::default()).unwrap();
        assert_eq!(scores[0].method, None, "the automatic choice first");
        assert!(scores.iter().any(|s| s.method == Some(ForecastMethod::SeasonalNaive)));
        for score in &scores {
            assert_eq!(score.months, 24);
            assert_eq!(score.coverage.len(), 1);
            assert!((0.0..=1.0).contains(&score.coverage[0].1));
        }
    }

    #[test]
    fn the_last_cut_point_leaves_exactly_the_horizon() {
        // Constant until its last 3 months, which jump: the one cut point, 3 months before the
        // end, sees only the constant part.
        let mut series = vec![50.0; 40];
        series.extend([500.0, 500.0, 500.0]);
        let scores = backtest(&series, 1, 3, &[0.8], Validation::default()).unwrap();
        let naive = scores
            .iter()
            .find(|s| s.method == Some(ForecastMethod::SeasonalNaive))
            .unwrap();
        // Forecast 50 for actuals of 500: WAPE 90%.
        assert!((naive.wape - 90.0).abs() < 1e-9, "{}", naive.wape);
        assert!(matches!(
            backtest(&series, 40, 3, &[0.8], Validation::default()),
            Err(ForecastError::TooShort { .. })
        ));
        assert!(matches!(
            backtest(&series, 1, 3, &[1.2], Validation::default()),
            Err(ForecastError::InvalidLevel(_))
        ));
    }
}

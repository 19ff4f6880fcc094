//! Forecasts of monthly series with prediction intervals, and the seasonal-naive baseline they must beat.

use augurs_core::{Fit, Predict};
use augurs_ets::AutoETS;
use augurs_mstl::MSTLModel;

use crate::wape;

/// Months in a year: the seasonal period of a monthly series.
pub const SEASON_LENGTH: usize = 12;

/// The fewest months [`forecast_monthly`] forecasts from. The non-seasonal exponential smoothing
/// search estimates up to four parameters (level, trend and their smoothing weights) and needs a few
/// observations beyond them to choose between models; under eight months it has nothing to choose on.
pub const MIN_HISTORY: usize = 8;

/// The fewest months from which the seasonal model is used: two full years, so every calendar month
/// has been seen twice and a seasonal pattern can be told apart from a one-off.
pub const MIN_SEASONAL_HISTORY: usize = 2 * SEASON_LENGTH;

/// Why a series could not be forecast.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ForecastError {
    /// Too little history to fit the model (or, for the baseline, to repeat a season).
    #[error("{needed} months of history are needed to forecast, got {got}")]
    TooShort {
        /// The fewest months accepted.
        needed: usize,
        /// The months given.
        got: usize,
    },
    /// A value of the history is NaN or infinite.
    #[error("month {index} of the history is not a finite number", index = index + 1)]
    NotFinite {
        /// 0-based position of the first such value.
        index: usize,
    },
    /// The interval level is a probability strictly between 0 and 1.
    #[error("prediction interval level {0} is not strictly between 0 and 1")]
    InvalidLevel(f64),
    /// The model library could not fit or predict (e.g. its optimiser failed on degenerate data).
    #[error("the forecasting model failed: {0}")]
    Model(String),
}

/// The fewest held-out months on which [`forecast_monthly`] compares the multiplicative and the
/// additive seasonal model before choosing one.
pub const MIN_VALIDATION_MONTHS: usize = 6;

/// How much better the additive seasonal model must do on the held-out months, as a fraction of the
/// multiplicative model's WAPE, to be chosen. Multiplicative seasonality is the rule in sales and a
/// single year of held-out months is a noisy judge: on generated multiplicative series, choosing the
/// plain winner picked the additive model often enough to lose a fifth of the accuracy. Where
/// logarithms truly misread a series (steady growth from a small base) the additive model's error is
/// a quarter of the other's, well past this bar.
pub const ADDITIVE_EVIDENCE: f64 = 0.5;

/// Which model produced a [`Forecast`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ForecastMethod {
    /// MSTL decomposition with a 12-month season of `ln(y)`; exponential smoothing (AutoETS, no
    /// seasonal component) forecasts the deseasonalised series, the last year's seasonal component is
    /// added back, and the result is raised back with `exp`. Seasonal swings and growth in proportion
    /// to the level.
    SeasonalMultiplicative,
    /// The same on `y` itself: seasonal swings and growth of a fixed size.
    SeasonalAdditive,
    /// Exponential smoothing (AutoETS) without a seasonal component.
    NonSeasonal,
}

/// Point forecasts with a prediction interval for each step ahead.
#[derive(Debug, Clone, PartialEq)]
pub struct Forecast {
    /// The forecast for each of the next `horizon` months.
    pub point: Vec<f64>,
    /// Lower bound of the prediction interval for each month.
    pub lower: Vec<f64>,
    /// Upper bound of the prediction interval for each month.
    pub upper: Vec<f64>,
    /// The probability each interval is meant to cover, e.g. 0.8.
    pub level: f64,
    /// The model that produced the forecast.
    pub method: ForecastMethod,
}

/// Forecasts the next `horizon` months of `history` (oldest first, one value per month, no gaps),
/// with prediction intervals meant to cover the true value with probability `level` (e.g. 0.8).
///
/// - With at least [`MIN_SEASONAL_HISTORY`] months, a seasonal model: MSTL with a 12-month period,
///   and AutoETS on the deseasonalised series. Sales seasonality is usually multiplicative (December
///   is a share of the year, not a fixed amount on top) but not always, and fitting on logarithms
///   misreads a series that grows linearly from a small base. So when every month is positive and
///   there are at least `MIN_SEASONAL_HISTORY + MIN_VALIDATION_MONTHS` months, both
///   [`ForecastMethod::SeasonalMultiplicative`] and [`ForecastMethod::SeasonalAdditive`] are fitted
///   without the last `min(12, n − 24)` months and scored by WAPE on them; additive is chosen only
///   when its WAPE is under [`ADDITIVE_EVIDENCE`] times the multiplicative one, and the chosen model
///   is refitted on the whole history. With fewer months, multiplicative when every month is
///   positive; additive otherwise. A multiplicative point forecast is the median
///   of its predictive distribution, not its mean; that suits WAPE, whose absolute errors are
///   smallest at the median.
/// - With [`MIN_HISTORY`] months or more but less than two years: [`ForecastMethod::NonSeasonal`].
///
/// AutoETS chooses among additive or multiplicative errors and no, additive or damped additive
/// trend, by AICc. The intervals come from the ETS model of the deseasonalised series; the seasonal
/// component is taken as known, so they are somewhat narrow.
///
/// Errors: fewer than [`MIN_HISTORY`] months, a non-finite value, a `level` outside `(0, 1)`, or a
/// failure of the model library. A `horizon` of 0 gives an empty forecast.
pub fn forecast_monthly(history: &[f64], horizon: usize, level: f64) -> Result<Forecast, ForecastError> {
    if !(level > 0.0 && level < 1.0) {
        return Err(ForecastError::InvalidLevel(level));
    }
    check_history(history, MIN_HISTORY)?;
    let method = if history.len() < MIN_SEASONAL_HISTORY {
        ForecastMethod::NonSeasonal
    } else {
        seasonal_method(history)?
    };
    let (point, lower, upper) = if horizon == 0 {
        (Vec::new(), Vec::new(), Vec::new())
    } else {
        fit_and_predict(history, method, horizon, Some(level))?
    };
    let complete = [&point, &lower, &upper].iter().all(|steps| steps.len() == horizon);
    if !complete || point.iter().chain(&lower).chain(&upper).any(|v| !v.is_finite()) {
        return Err(ForecastError::Model(
            "the model gave no finite forecast for every month".into(),
        ));
    }
    Ok(Forecast {
        point,
        lower,
        upper,
        level,
        method,
    })
}

/// The seasonal-naive forecast: each month repeats the same month of the last year on record,
/// `ŷ[n + h] = y[n − 12 + (h mod 12)]` for `h = 0, 1, …`. The baseline a real forecast must beat.
///
/// Errors: fewer than [`SEASON_LENGTH`] months, or a non-finite value among them.
pub fn seasonal_naive(history: &[f64], horizon: usize) -> Result<Vec<f64>, ForecastError> {
    check_history(history, SEASON_LENGTH)?;
    let last_year = &history[history.len() - SEASON_LENGTH..];
    Ok(last_year.iter().copied().cycle().take(horizon).collect())
}

/// `history` with its 12-month seasonal component taken out, for reading trends and change points
/// in monthly sales without mistaking December for a surge.
///
/// The seasonal component `s` is MSTL's (period 12), of `ln(y)` or of `y` as [`forecast_monthly`]
/// would choose: multiplicatively `y / exp(s)`, additively `y − s`.
///
/// Errors: fewer than [`MIN_SEASONAL_HISTORY`] months, a non-finite value, or a failure of the
/// decomposition.
pub fn seasonally_adjusted(history: &[f64]) -> Result<Vec<f64>, ForecastError> {
    check_history(history, MIN_SEASONAL_HISTORY)?;
    let multiplicative = seasonal_method(history)? == ForecastMethod::SeasonalMultiplicative;
    let series: Vec<f32> = history
        .iter()
        .map(|&y| if multiplicative { y.ln() } else { y } as f32)
        .collect();
    let decomposition = augurs_mstl::stlrs::MstlParams::new()
        .fit(&series, &[SEASON_LENGTH])
        .map_err(model_error)?;
    let seasonal = decomposition
        .seasonal()
        .first()
        .ok_or_else(|| ForecastError::Model("the decomposition found no seasonal component".into()))?;
    let adjusted: Vec<f64> = history
        .iter()
        .zip(seasonal)
        .map(|(&y, &s)| {
            if multiplicative {
                y / f64::from(s).exp()
            } else {
                y - f64::from(s)
            }
        })
        .collect();
    if adjusted.len() != history.len() || adjusted.iter().any(|v| !v.is_finite()) {
        return Err(ForecastError::Model(
            "the decomposition gave no finite value for every month".into(),
        ));
    }
    Ok(adjusted)
}

fn check_history(history: &[f64], needed: usize) -> Result<(), ForecastError> {
    if let Some(index) = history.iter().position(|y| !y.is_finite()) {
        return Err(ForecastError::NotFinite { index });
    }
    if history.len() < needed {
        return Err(ForecastError::TooShort {
            needed,
            got: history.len(),
        });
    }
    Ok(())
}

/// Multiplicative or additive seasonality for a history of at least two years.
fn seasonal_method(history: &[f64]) -> Result<ForecastMethod, ForecastError> {
    if history.iter().any(|&y| y <= 0.0) {
        return Ok(ForecastMethod::SeasonalAdditive);
    }
    let holdout = (history.len() - MIN_SEASONAL_HISTORY).min(SEASON_LENGTH);
    if holdout < MIN_VALIDATION_MONTHS {
        return Ok(ForecastMethod::SeasonalMultiplicative);
    }
    let (training, held_out) = history.split_at(history.len() - holdout);
    let score = |method| {
        fit_and_predict(training, method, holdout, None)
            .ok()
            .and_then(|(point, _, _)| wape(held_out, &point))
    };
    let multiplicative = score(ForecastMethod::SeasonalMultiplicative);
    let additive = score(ForecastMethod::SeasonalAdditive);
    Ok(match (multiplicative, additive) {
        (Some(m), Some(a)) if a < ADDITIVE_EVIDENCE * m => ForecastMethod::SeasonalAdditive,
        (None, Some(_)) => ForecastMethod::SeasonalAdditive,
        _ => ForecastMethod::SeasonalMultiplicative,
    })
}

type Steps = (Vec<f64>, Vec<f64>, Vec<f64>);

/// Point forecasts and, when `level` is given, interval bounds (else empty) on the original scale.
fn fit_and_predict(
    history: &[f64],
    method: ForecastMethod,
    horizon: usize,
    level: Option<f64>,
) -> Result<Steps, ForecastError> {
    let forecast = match method {
        ForecastMethod::NonSeasonal => {
            let fitted = AutoETS::non_seasonal().fit(history).map_err(model_error)?;
            fitted.predict(horizon, level).map_err(model_error)?
        }
        ForecastMethod::SeasonalAdditive => seasonal_model(history, horizon, level)?,
        ForecastMethod::SeasonalMultiplicative => {
            let logs: Vec<f64> = history.iter().map(|y| y.ln()).collect();
            seasonal_model(&logs, horizon, level)?
        }
    };
    let (lower, upper) = match (forecast.intervals, level) {
        (Some(intervals), Some(_)) => (intervals.lower, intervals.upper),
        (None, Some(_)) => return Err(ForecastError::Model("the model gave no prediction intervals".into())),
        (_, None) => (Vec::new(), Vec::new()),
    };
    let mut steps = (forecast.point, lower, upper);
    if method == ForecastMethod::SeasonalMultiplicative {
        // exp is increasing, so bounds of ln(y) raised back are bounds of y with the same coverage.
        for values in [&mut steps.0, &mut steps.1, &mut steps.2] {
            values.iter_mut().for_each(|v| *v = v.exp());
        }
    }
    Ok(steps)
}

fn seasonal_model(series: &[f64], horizon: usize, level: Option<f64>) -> Result<augurs_core::Forecast, ForecastError> {
    let trend = AutoETS::non_seasonal().into_trend_model();
    let fitted = MSTLModel::new(vec![SEASON_LENGTH], trend)
        .fit(series)
        .map_err(model_error)?;
    fitted.predict(horizon, level).map_err(model_error)
}

fn model_error(err: impl std::fmt::Display) -> ForecastError {
    ForecastError::Model(err.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEASON: [f64; 12] = [0.8, 0.75, 0.9, 0.95, 1.0, 1.05, 0.95, 0.9, 1.0, 1.1, 1.25, 1.35];

    fn seasonal_series(months: usize) -> Vec<f64> {
        (0..months)
            .map(|t| (1000.0 + 10.0 * t as f64) * SEASON[t % 12])
            .collect()
    }

    #[test]
    fn too_little_or_bad_history_is_refused() {
        let short = forecast_monthly(&[1.0; 7], 3, 0.8).unwrap_err();
        assert_eq!(short, ForecastError::TooShort { needed: 8, got: 7 });
        assert_eq!(short.to_string(), "8 months of history are needed to forecast, got 7");
        let mut gap = vec![1.0; 12];
        gap[4] = f64::NAN;
        let not_finite = forecast_monthly(&gap, 3, 0.8).unwrap_err();
        assert_eq!(not_finite.to_string(), "month 5 of the history is not a finite number");
        for level in [0.0, 1.0, -0.5, f64::NAN] {
            assert!(matches!(
                forecast_monthly(&[1.0; 12], 3, level),
                Err(ForecastError::InvalidLevel(_))
            ));
        }
        let baseline = seasonal_naive(&[1.0; 11], 3).unwrap_err();
        assert_eq!(baseline, ForecastError::TooShort { needed: 12, got: 11 });
    }

    #[test]
    fn two_years_make_a_season() {
        let year = forecast_monthly(&seasonal_series(23), 6, 0.8).unwrap();
        assert_eq!(year.method, ForecastMethod::NonSeasonal);
        let two_years = forecast_monthly(&seasonal_series(24), 6, 0.8).unwrap();
        assert_eq!(two_years.method, ForecastMethod::SeasonalMultiplicative);
        // A month without sales rules out logarithms.
        let mut with_zero = seasonal_series(36);
        with_zero[3] = 0.0;
        assert_eq!(
            forecast_monthly(&with_zero, 6, 0.8).unwrap().method,
            ForecastMethod::SeasonalAdditive
        );
    }

    #[test]
    fn intervals_bracket_the_point_forecast() {
        for months in [8, 15, 24, 36, 60] {
            let forecast = forecast_monthly(&seasonal_series(months), 14, 0.8).unwrap();
            assert_eq!(forecast.point.len(), 14);
            assert_eq!(forecast.level, 0.8);
            for ((point, lower), upper) in forecast.point.iter().zip(&forecast.lower).zip(&forecast.upper) {
                assert!(
                    lower <= point && point <= upper,
                    "{lower} ≤ {point} ≤ {upper} ({months} months)"
                );
            }
        }
        let none = forecast_monthly(&seasonal_series(30), 0, 0.8).unwrap();
        assert!(none.point.is_empty() && none.lower.is_empty() && none.upper.is_empty());
    }

    #[test]
    fn a_clean_seasonal_series_is_forecast_closely() {
        let series = seasonal_series(60);
        let forecast = forecast_monthly(&series[..48], 12, 0.8).unwrap();
        let score = wape(&series[48..], &forecast.point).unwrap();
        assert!(score < 2.0, "WAPE {score}");
    }

    #[test]
    fn steady_growth_from_a_small_base_is_not_read_as_seasonal() {
        // Logarithms of 1, 2, …, 36 curve sharply at first; fitted on them, the early curve shows up
        // as a seasonal pattern. The held-out year exposes it and the additive model is used.
        let series: Vec<f64> = (1..=48).map(f64::from).collect();
        let forecast = forecast_monthly(&series[..36], 12, 0.8).unwrap();
        assert_eq!(forecast.method, ForecastMethod::SeasonalAdditive);
        assert!(wape(&series[36..], &forecast.point).unwrap() < 10.0);
    }

    #[test]
    fn seasonal_naive_repeats_the_last_year() {
        let history: Vec<f64> = (1..=24).map(f64::from).collect();
        let expected: Vec<f64> = (13..=24).chain(13..=14).map(f64::from).collect();
        assert_eq!(seasonal_naive(&history, 14).unwrap(), expected);
        assert_eq!(seasonal_naive(&history, 0).unwrap(), Vec::<f64>::new());
    }

    #[test]
    fn seasonal_adjustment_flattens_a_pure_season() {
        let series: Vec<f64> = (0..36).map(|t| 500.0 * SEASON[t % 12]).collect();
        let adjusted = seasonally_adjusted(&series).unwrap();
        let (low, high) = adjusted
            .iter()
            .fold((f64::MAX, f64::MIN), |(lo, hi), v| (lo.min(*v), hi.max(*v)));
        assert!(high / low < 1.01, "{low}..{high}");
        assert!(matches!(
            seasonally_adjusted(&series[..23]),
            Err(ForecastError::TooShort { needed: 24, .. })
        ));
    }
}

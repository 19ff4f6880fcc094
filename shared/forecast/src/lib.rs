//! The statistics of Lacak's strategy service as plain functions: monthly forecasts with prediction
//! intervals and their scoring, seasonal profiles learned from history, change points in demand, and
//! difference in differences for whether an adjustment worked.
//!
//! Statistics are `f64` (they are estimates, not money); profiles, which become targets, are decimals.
//! `docs/KPIS.md` ("Strategy statistics") lists every formula.

#![warn(missing_docs)]

mod accuracy;
mod backtest;
mod calibrate;
mod change;
mod did;
mod forecast;
mod profile;
mod rate;
mod season;
mod theta;

pub use accuracy::{bias, mase, wape};
pub use backtest::{MethodScore, backtest};
pub use calibrate::{Errors, seasonal_naive_error};
pub use change::{
    ChangePoint, DemandTrend, EMERGING_GROWTH, EMERGING_MONTHS, MIN_SEGMENT, change_points, classify_trend,
};
pub use did::{DidResult, MIN_CONTROL_UNITS, Verdict, difference_in_differences};
pub use forecast::{
    Forecast, ForecastError, ForecastMethod, Interval, MIN_DAMPED_HISTORY, MIN_HISTORY, MIN_SEASONAL_HISTORY,
    SEASON_LENGTH, Total, Validation, forecast_monthly, forecast_with, seasonal_naive, seasonally_adjusted,
};
pub use profile::{PROFILE_SCALE, monthly_profile};
pub use rate::{NextValue, next_value};

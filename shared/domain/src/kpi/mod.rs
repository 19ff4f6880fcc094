//! KPI formulas of sales monitoring as pure functions: sales, funnel, pipeline, customers, attainment,
//! and the significance tests and trends the tracking report reads them with.
//!
//! Conventions every formula here follows (`docs/KPIS.md` lists each KPI):
//! - Rates are percentages, 0..=100 when the parts are, never fractions; coverage is a plain ratio.
//! - A KPI whose denominator is zero (or that has no data to speak of) is `None`, never 0 and never an error.
//! - Money is summed only within one currency: mixing is [`KpiError::CurrencyMismatch`], never a silent sum.
//! - Sums and credited shares are exact; quotients are rounded half away from zero to
//!   [`QUOTIENT_SCALE`] places, so every result fits google.type.Money's nanos and the wire `Decimal`.
//! - A period is a half-open `[start, end)` pair of UTC instants, as [`crate::FiscalCalendar::bounds`] gives.

mod attainment;
mod customers;
mod cycle;
mod deals;
mod funnel;
mod pipeline;
mod rollup;
mod sales;
mod stats;
mod trend;

pub use attainment::{
    PeriodProgress, attainment_percent, expected_share_elapsed, money_attainment_percent, money_variance,
    projected_total, variance, variance_or_zero,
};
pub use customers::{churn_rate, new_customers, retention_rate};
pub use cycle::{DurationStats, duration_in_days, duration_stats, sales_velocity, time_to_close};
pub use deals::{CohortDeal, StageCohort, credited_average, credited_count, credited_win_rate, stage_cohorts};
pub use funnel::{LeadCohort, StageConversion, lead_cohort, lead_count, stage_conversion, win_rate};
pub use pipeline::{open_pipeline, pipeline_coverage, remaining_quota, weighted_pipeline};
pub use rollup::OrgChart;
pub use sales::{
    CreditShare, SaleLine, SalesTotals, average_deal_size, credited_amount, credited_sales, gross_margin,
    gross_margin_percent, split_credit,
};
pub use stats::{MeanTest, ProportionTest, SIGNIFICANCE, two_proportion_test, welch_test};
pub use trend::{moving_average, weekly_bucket_start};

use chrono::{DateTime, Utc};
use rust_decimal::{Decimal, RoundingStrategy};

use crate::{CalendarError, Money, MoneyError};

/// Decimal places every quotient (rate, ratio, average, projection) is rounded to: the nanos of
/// google.type.Money, so a result always converts to the wire without a further rounding decision.
pub const QUOTIENT_SCALE: u32 = 9;

/// A period as UTC instants: `start` inclusive, `end` exclusive.
pub type Bounds = (DateTime<Utc>, DateTime<Utc>);

/// Why a KPI could not be computed from its inputs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KpiError {
    /// Amounts in different currencies met in one sum or comparison.
    #[error("cannot combine {left} with {right}: amounts in different currencies are never summed")]
    CurrencyMismatch {
        /// The currency expected (or met first).
        left: String,
        /// The other currency.
        right: String,
    },
    /// Any other money error, e.g. a malformed currency code.
    #[error(transparent)]
    Money(MoneyError),
    /// A sum or product left the range of a decimal.
    #[error("a KPI sum or product overflows the range of a decimal")]
    Overflow,
    /// A share, probability or rate that must be a percentage is outside `0..=100`.
    #[error("percentage {0} out of range; expected 0..=100")]
    PercentOutOfRange(Decimal),
    /// The credit shares of one sale line do not add up to the whole line.
    #[error("credit shares sum to {0}; they must sum to exactly 100")]
    SharesNot100(Decimal),
    /// A conversion or close recorded before the lead or deal was created.
    #[error("{end} is before {start}: a duration cannot be negative")]
    EndsBeforeStart {
        /// When the lead or deal was created.
        start: DateTime<Utc>,
        /// When it converted or closed.
        end: DateTime<Utc>,
    },
    /// Progress through a period that the period cannot have.
    #[error("{completed_months} completed months and {fraction} of the next do not fit a period of {months} months")]
    InvalidProgress {
        /// Whole months completed.
        completed_months: usize,
        /// Fraction of the current month elapsed.
        fraction: Decimal,
        /// Months in the period.
        months: usize,
    },
    /// The period could not be placed in time.
    #[error(transparent)]
    Calendar(#[from] CalendarError),
}

impl From<MoneyError> for KpiError {
    fn from(err: MoneyError) -> Self {
        match err {
            MoneyError::CurrencyMismatch { left, right } => KpiError::CurrencyMismatch { left, right },
            MoneyError::Overflow => KpiError::Overflow,
            other => KpiError::Money(other),
        }
    }
}

/// Σ amounts, all in the currency of the first; `Ok(None)` when there are none.
pub fn sum_money<'a>(amounts: impl IntoIterator<Item = &'a Money>) -> Result<Option<Money>, KpiError> {
    let mut amounts = amounts.into_iter();
    let Some(first) = amounts.next() else {
        return Ok(None);
    };
    amounts
        .try_fold(first.clone(), |sum, amount| sum.checked_add(amount))
        .map(Some)
        .map_err(KpiError::from)
}

/// Σ amounts, every one in `currency`; zero in `currency` when there are none.
pub fn sum_money_in<'a>(currency: &str, amounts: impl IntoIterator<Item = &'a Money>) -> Result<Money, KpiError> {
    let zero = Money::new(currency, Decimal::ZERO)?;
    Ok(amounts
        .into_iter()
        .try_fold(zero, |sum, amount| sum.checked_add(amount))?)
}

/// Rounds a quotient to [`QUOTIENT_SCALE`] places, half away from zero, without trailing zeros.
fn round_quotient(value: Decimal) -> Decimal {
    value
        .round_dp_with_strategy(QUOTIENT_SCALE, RoundingStrategy::MidpointAwayFromZero)
        .normalize()
}

/// `numerator / denominator` for a non-zero denominator, saturating where a decimal overflows: only
/// a quotient beyond 10^28 does, which no real KPI reaches.
fn saturating_div(numerator: Decimal, denominator: Decimal) -> Decimal {
    numerator.checked_div(denominator).unwrap_or({
        if numerator.is_sign_negative() == denominator.is_sign_negative() {
            Decimal::MAX
        } else {
            Decimal::MIN
        }
    })
}

/// `part / whole × 100`, rounded; `None` when `whole` is zero.
fn percent(part: Decimal, whole: Decimal) -> Option<Decimal> {
    if whole.is_zero() {
        return None;
    }
    Some(round_quotient(
        saturating_div(part, whole).saturating_mul(Decimal::ONE_HUNDRED),
    ))
}

/// `part / whole × 100` for counts; `None` when `whole` is zero.
fn count_percent(part: u64, whole: u64) -> Option<Decimal> {
    percent(Decimal::from(part), Decimal::from(whole))
}

/// Checks that a percentage lies in `0..=100`.
fn check_percent(value: Decimal) -> Result<Decimal, KpiError> {
    if (Decimal::ZERO..=Decimal::ONE_HUNDRED).contains(&value) {
        Ok(value)
    } else {
        Err(KpiError::PercentOutOfRange(value))
    }
}

/// `left − right`, both in one currency.
fn money_sub(left: &Money, right: &Money) -> Result<Money, KpiError> {
    // Negating a decimal never overflows, and checked_add owns the currency check.
    let negated = Money {
        currency: right.currency.clone(),
        amount: -right.amount,
    };
    Ok(left.checked_add(&negated)?)
}

/// Checks that two amounts are in one currency.
fn check_same_currency(left: &Money, right: &Money) -> Result<(), KpiError> {
    if left.currency == right.currency {
        Ok(())
    } else {
        Err(KpiError::CurrencyMismatch {
            left: left.currency.clone(),
            right: right.currency.clone(),
        })
    }
}

/// Whether `instant` falls in `[start, end)`.
fn within((start, end): Bounds, instant: DateTime<Utc>) -> bool {
    start <= instant && instant < end
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn idr(s: &str) -> Money {
        Money::new("IDR", dec(s)).unwrap()
    }

    fn usd(s: &str) -> Money {
        Money::new("USD", dec(s)).unwrap()
    }

    #[test]
    fn money_is_summed_in_one_currency_only() {
        // 1,500.25 + 499.75 = 2,000.
        let amounts = [idr("1500.25"), idr("499.75")];
        assert_eq!(sum_money(&amounts), Ok(Some(idr("2000"))));
        assert_eq!(sum_money(&[]), Ok(None));
        assert_eq!(sum_money_in("IDR", &amounts), Ok(idr("2000")));
        assert_eq!(sum_money_in("IDR", &[]), Ok(idr("0")));
        let mixed = [idr("1"), usd("1")];
        let mismatch = KpiError::CurrencyMismatch {
            left: "IDR".into(),
            right: "USD".into(),
        };
        assert_eq!(sum_money(&mixed), Err(mismatch.clone()));
        assert_eq!(sum_money_in("IDR", &mixed), Err(mismatch));
        assert!(matches!(sum_money_in("usd", &[]), Err(KpiError::Money(_))));
    }

    #[test]
    fn money_errors_keep_their_meaning() {
        let mismatch = MoneyError::CurrencyMismatch {
            left: "IDR".into(),
            right: "USD".into(),
        };
        assert_eq!(
            KpiError::from(mismatch).to_string(),
            "cannot combine IDR with USD: amounts in different currencies are never summed"
        );
        assert_eq!(KpiError::from(MoneyError::Overflow), KpiError::Overflow);
        let bad = MoneyError::InvalidCurrency("usd".into());
        assert_eq!(KpiError::from(bad.clone()), KpiError::Money(bad));
    }

    #[test]
    fn percentages_round_half_away_from_zero_to_nine_places() {
        // 2 / 3 × 100 = 66.666…; the tenth place is 6, so the ninth rounds up.
        assert_eq!(count_percent(2, 3), Some(dec("66.666666667")));
        // −1 / 3 × 100 = −33.333…
        assert_eq!(percent(dec("-1"), dec("3")), Some(dec("-33.333333333")));
        assert_eq!(count_percent(1, 0), None);
        assert_eq!(percent(Decimal::MAX, dec("0.5")), Some(Decimal::MAX));
        assert_eq!(percent(Decimal::MAX, dec("-0.5")), Some(Decimal::MIN));
    }

    #[test]
    fn money_subtracts_only_within_a_currency() {
        let idr = |s: &str| Money::new("IDR", dec(s)).unwrap();
        assert_eq!(money_sub(&idr("100"), &idr("250.5")), Ok(idr("-150.5")));
        let usd = Money::new("USD", Decimal::ONE).unwrap();
        assert!(matches!(
            money_sub(&idr("1"), &usd),
            Err(KpiError::CurrencyMismatch { .. })
        ));
    }
}

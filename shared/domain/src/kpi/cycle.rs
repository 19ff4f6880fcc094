//! How long selling takes: time to close, duration averages and medians, and sales velocity.

use chrono::{DateTime, Duration, Utc};
use rust_decimal::Decimal;

use super::{KpiError, check_percent, round_quotient};
use crate::Money;

const NANOS_PER_SECOND: i128 = 1_000_000_000;
const SECONDS_PER_DAY: i64 = 86_400;

/// The average and median of some durations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DurationStats {
    /// How many durations were measured.
    pub count: usize,
    /// `Σ durations / count`, to the nanosecond, rounded down.
    pub average: Duration,
    /// The middle duration; for an even count the mean of the two middle ones, rounded down.
    pub median: Duration,
}

/// The average (`Σ d / n`) and median of `durations`; `None` when there are none.
pub fn duration_stats(durations: &[Duration]) -> Option<DurationStats> {
    let mut nanos: Vec<i128> = durations.iter().map(|d| to_nanos(*d)).collect();
    nanos.sort_unstable();
    let count = nanos.len();
    let middle = count / 2;
    let median = match count {
        0 => return None,
        n if n % 2 == 1 => nanos[middle],
        _ => (nanos[middle - 1] + nanos[middle]).div_euclid(2),
    };
    // i128 holds the sum of 10^13 durations at chrono's extreme, far beyond any data set.
    let average = nanos.iter().sum::<i128>().div_euclid(count as i128);
    Some(DurationStats {
        count,
        average: from_nanos(average),
        median: from_nanos(median),
    })
}

/// Time to close over won deals, each given as `(created_at, won_at)`: the average and median of
/// `won_at − created_at`; `None` when no deal was won. A deal won before it was created is an error.
pub fn time_to_close(won_deals: &[(DateTime<Utc>, DateTime<Utc>)]) -> Result<Option<DurationStats>, KpiError> {
    let durations = won_deals
        .iter()
        .map(|&(created, won)| elapsed(created, won))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(duration_stats(&durations))
}

/// A duration in days: `seconds / 86,400`, fractional (a decimal's 28 digits), from nanosecond precision.
pub fn duration_in_days(duration: Duration) -> Decimal {
    // Whole seconds fit an i64 and nanos scale 9: neither conversion can fail or lose anything.
    let seconds = Decimal::from(duration.num_seconds()) + Decimal::new(i64::from(duration.subsec_nanos()), 9);
    seconds / Decimal::from(SECONDS_PER_DAY)
}

/// Sales velocity, money per day:
/// `open_deals × (win_rate_percent / 100) × average_deal_size / days(average_cycle)`; the open
/// deals may be a credited count (1.5 deals).
///
/// `None` when the average cycle is not positive. `win_rate_percent` must lie in `0..=100`.
pub fn sales_velocity(
    open_deals: Decimal,
    win_rate_percent: Decimal,
    average_deal_size: &Money,
    average_cycle: Duration,
) -> Result<Option<Money>, KpiError> {
    let win_fraction = check_percent(win_rate_percent)? / Decimal::ONE_HUNDRED;
    let days = duration_in_days(average_cycle);
    if days <= Decimal::ZERO {
        return Ok(None);
    }
    let per_day = open_deals
        .checked_mul(win_fraction)
        .and_then(|expected_wins| expected_wins.checked_mul(average_deal_size.amount))
        .and_then(|expected_value| expected_value.checked_div(days))
        .ok_or(KpiError::Overflow)?;
    Ok(Some(Money {
        currency: average_deal_size.currency.clone(),
        amount: round_quotient(per_day),
    }))
}

/// `end − start`, refusing a negative duration.
pub(super) fn elapsed(start: DateTime<Utc>, end: DateTime<Utc>) -> Result<Duration, KpiError> {
    if end < start {
        return Err(KpiError::EndsBeforeStart { start, end });
    }
    Ok(end - start)
}

fn to_nanos(duration: Duration) -> i128 {
    i128::from(duration.num_seconds()) * NANOS_PER_SECOND + i128::from(duration.subsec_nanos())
}

/// Back from nanoseconds. Only means and medians of real durations come here, and those lie
/// between the smallest and the largest, so the saturation never applies.
fn from_nanos(nanos: i128) -> Duration {
    let seconds = i64::try_from(nanos.div_euclid(NANOS_PER_SECOND)).ok();
    let subsec = u32::try_from(nanos.rem_euclid(NANOS_PER_SECOND)).ok();
    match (seconds, subsec) {
        (Some(seconds), Some(subsec)) => Duration::new(seconds, subsec),
        _ => None,
    }
    .unwrap_or(if nanos < 0 { Duration::MIN } else { Duration::MAX })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn dec(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn idr(s: &str) -> Money {
        Money::new("IDR", dec(s)).unwrap()
    }

    #[test]
    fn average_and_median_of_durations() {
        let days = |d: &[i64]| d.iter().map(|&n| Duration::days(n)).collect::<Vec<_>>();
        // 2, 4, 30 days: mean 36 / 3 = 12 days, median 4 days.
        let odd = duration_stats(&days(&[30, 2, 4])).unwrap();
        assert_eq!(
            (odd.count, odd.average, odd.median),
            (3, Duration::days(12), Duration::days(4))
        );
        // 1, 2, 4, 10 days: mean 17 / 4 = 4.25 days = 4 days 6 h; median (2 + 4) / 2 = 3 days.
        let even = duration_stats(&days(&[10, 1, 4, 2])).unwrap();
        assert_eq!(even.average, Duration::days(4) + Duration::hours(6));
        assert_eq!(even.median, Duration::days(3));
        // 1 ns and 2 ns: the mean 1.5 ns rounds down to 1 ns.
        let tiny = duration_stats(&[Duration::nanoseconds(1), Duration::nanoseconds(2)]).unwrap();
        assert_eq!(
            (tiny.average, tiny.median),
            (Duration::nanoseconds(1), Duration::nanoseconds(1))
        );
        assert_eq!(duration_stats(&[]), None);
        let extreme = duration_stats(&[Duration::MAX, Duration::MAX, Duration::MIN]).unwrap();
        assert_eq!(extreme.median, Duration::MAX);
    }

    #[test]
    fn time_to_close_runs_from_creation_to_win() {
        let won = [
            // 10 days.
            (utc("2026-01-01T00:00:00Z"), utc("2026-01-11T00:00:00Z")),
            // 20 days 12 hours.
            (utc("2026-01-05T00:00:00Z"), utc("2026-01-25T12:00:00Z")),
        ];
        // Mean (10 d + 20.5 d) / 2 = 15.25 d = 15 d 6 h; with two deals the median is the same.
        let stats = time_to_close(&won).unwrap().unwrap();
        assert_eq!(stats.average, Duration::days(15) + Duration::hours(6));
        assert_eq!(stats.median, stats.average);
        assert_eq!(time_to_close(&[]), Ok(None));
        let backwards = (utc("2026-02-01T00:00:00Z"), utc("2026-01-31T00:00:00Z"));
        assert_eq!(
            time_to_close(&[backwards]),
            Err(KpiError::EndsBeforeStart {
                start: backwards.0,
                end: backwards.1
            })
        );
    }

    #[test]
    fn durations_read_in_fractional_days() {
        // 36 h = 1.5 d; −6 h = −0.25 d; 90 min = 1.5 / 24 = 0.0625 d; 1 s = 1 / 86,400 = 0.0000115740…
        assert_eq!(duration_in_days(Duration::hours(36)), dec("1.5"));
        assert_eq!(duration_in_days(Duration::hours(-6)), dec("-0.25"));
        assert_eq!(duration_in_days(Duration::minutes(90)), dec("0.0625"));
        assert_eq!(
            duration_in_days(Duration::seconds(1)),
            dec("0.0000115740740740740740740741")
        );
    }

    #[test]
    fn velocity_is_expected_won_value_per_day_of_cycle() {
        // 20 open × 25% × 4,000 = 20,000 expected; over a 40-day cycle: 500 a day.
        let velocity = sales_velocity(Decimal::from(20), dec("25"), &idr("4000"), Duration::days(40));
        assert_eq!(velocity, Ok(Some(idr("500"))));
        // 10 × 50% × 1,000 = 5,000 over 3 days = 1,666.666666667 a day (nine places).
        let velocity = sales_velocity(Decimal::from(10), dec("50"), &idr("1000"), Duration::days(3));
        assert_eq!(velocity, Ok(Some(idr("1666.666666667"))));
        assert_eq!(
            sales_velocity(Decimal::from(10), dec("50"), &idr("1000"), Duration::zero()),
            Ok(None)
        );
        assert_eq!(
            sales_velocity(Decimal::from(10), dec("150"), &idr("1000"), Duration::days(1)),
            Err(KpiError::PercentOutOfRange(dec("150")))
        );
        let huge = Money::new("IDR", Decimal::MAX).unwrap();
        assert_eq!(
            sales_velocity(Decimal::MAX, dec("100"), &huge, Duration::days(1)),
            Err(KpiError::Overflow)
        );
    }

    proptest! {
        #[test]
        fn the_average_and_median_lie_within_the_range(secs in proptest::collection::vec(-1_000_000_000_i64..1_000_000_000, 1..30)) {
            let durations: Vec<Duration> = secs.iter().map(|&s| Duration::seconds(s)).collect();
            let stats = duration_stats(&durations).unwrap();
            let (min, max) = (durations.iter().min().unwrap(), durations.iter().max().unwrap());
            prop_assert!(*min <= stats.average && stats.average <= *max);
            prop_assert!(*min <= stats.median && stats.median <= *max);
        }
    }
}

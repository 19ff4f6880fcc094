//! Trends over consecutive periods: trailing moving averages and the weeks that periods fall into.

use chrono::{Datelike, Days, NaiveDate};
use rust_decimal::Decimal;

use super::round_quotient;

/// Trailing simple moving average: entry `i` is `(values[i − window + 1] + … + values[i]) / window`,
/// rounded to 9 places; `None` for the first `window − 1` entries, before a full window exists.
///
/// The result has one entry per value. A `window` of 0 is taken as 1, so every value is its own
/// average (rounded to 9 places).
pub fn moving_average(values: &[Decimal], window: usize) -> Vec<Option<Decimal>> {
    let window = window.max(1);
    let warming_up = values.len().min(window - 1);
    let averages = values.windows(window).map(|span| Some(round_quotient(mean(span))));
    std::iter::repeat_n(None, warming_up).chain(averages).collect()
}

/// The week a date falls in, named by its Monday: the Monday on or before `date`.
///
/// Saturates at the earliest date chrono can represent, which has no Monday before it.
pub fn weekly_bucket_start(date: NaiveDate) -> NaiveDate {
    let since_monday = u64::from(date.weekday().num_days_from_monday());
    date.checked_sub_days(Days::new(since_monday)).unwrap_or(NaiveDate::MIN)
}

/// `Σ span / |span|` for a non-empty span, unrounded.
fn mean(span: &[Decimal]) -> Decimal {
    let count = Decimal::from(span.len());
    match span
        .iter()
        .try_fold(Decimal::ZERO, |sum, value| sum.checked_add(*value))
    {
        Some(sum) => sum / count,
        // Only a sum past ~7.9·10²⁸ overflows. Dividing each value first keeps every partial sum
        // within the span's own range, at the cost of exactness in the 28th digit.
        None => span
            .iter()
            .fold(Decimal::ZERO, |sum, value| sum.saturating_add(*value / count)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Weekday;
    use proptest::prelude::*;

    fn dec(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn date(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn averages(values: &[&str], window: usize) -> Vec<Option<Decimal>> {
        let values: Vec<Decimal> = values.iter().map(|v| dec(v)).collect();
        moving_average(&values, window)
    }

    #[test]
    fn a_three_period_average_starts_once_three_periods_exist() {
        // Monthly revenue 10, 20, 30, 40, 50 → (10+20+30)/3 = 20, then 30, then 40.
        let expected = [None, None, Some(dec("20")), Some(dec("30")), Some(dec("40"))];
        assert_eq!(averages(&["10", "20", "30", "40", "50"], 3), expected);
    }

    #[test]
    fn averages_round_to_nine_places() {
        // (1 + 1 + 2) / 3 = 1.333…; (1 + 2 + 2) / 3 = 1.666…, the ninth place rounding up.
        let expected = [None, None, Some(dec("1.333333333")), Some(dec("1.666666667"))];
        assert_eq!(averages(&["1", "1", "2", "2"], 3), expected);
        // Negative values (e.g. a variance) round half away from zero: −1 / 3.
        let expected = [None, None, Some(dec("-0.333333333"))];
        assert_eq!(averages(&["0", "0", "-1"], 3), expected);
    }

    #[test]
    fn short_series_and_zero_windows() {
        assert_eq!(averages(&["5", "7"], 3), [None, None]);
        assert_eq!(averages(&[], 3), []);
        // A window of 0 is a window of 1: each value is its own average.
        assert_eq!(averages(&["5", "7"], 0), [Some(dec("5")), Some(dec("7"))]);
    }

    #[test]
    fn averages_of_huge_values_do_not_overflow() {
        // MAX + MAX overflows a decimal; their average is MAX itself.
        let values = [Decimal::MAX, Decimal::MAX];
        assert_eq!(moving_average(&values, 2), [None, Some(Decimal::MAX)]);
        let values = [Decimal::MIN, Decimal::MIN, Decimal::MIN];
        assert_eq!(moving_average(&values, 3), [None, None, Some(Decimal::MIN)]);
    }

    #[test]
    fn weeks_start_on_monday() {
        // 2026-03-02 is a Monday, 2026-03-08 the Sunday of the same week.
        assert_eq!(weekly_bucket_start(date("2026-03-02")), date("2026-03-02"));
        assert_eq!(weekly_bucket_start(date("2026-03-05")), date("2026-03-02"));
        assert_eq!(weekly_bucket_start(date("2026-03-08")), date("2026-03-02"));
        // Across a year end: Thursday 1 January 2026 is in the week of Monday 29 December 2025.
        assert_eq!(weekly_bucket_start(date("2026-01-01")), date("2025-12-29"));
        assert_eq!(weekly_bucket_start(NaiveDate::MIN), NaiveDate::MIN);
    }

    /// Decimals with at most 9 places, so the 9-place rounding of an average cannot leave its window.
    fn amount() -> impl Strategy<Value = Decimal> {
        (-1_000_000_000_000_i64..1_000_000_000_000, 0..=9_u32).prop_map(|(units, scale)| Decimal::new(units, scale))
    }

    proptest! {
        #[test]
        fn a_window_of_one_is_the_series_itself(values in proptest::collection::vec(amount(), 0..30)) {
            let expected: Vec<Option<Decimal>> = values.iter().copied().map(Some).collect();
            prop_assert_eq!(moving_average(&values, 1), expected);
        }

        #[test]
        fn every_average_lies_within_its_window(
            values in proptest::collection::vec(amount(), 0..30),
            window in 0..8_usize,
        ) {
            let averages = moving_average(&values, window);
            let window = window.max(1);
            prop_assert_eq!(averages.len(), values.len());
            for (i, average) in averages.into_iter().enumerate() {
                match average {
                    None => prop_assert!(i + 1 < window),
                    Some(average) => {
                        let span = &values[i + 1 - window..=i];
                        let min = span.iter().min().copied().unwrap();
                        let max = span.iter().max().copied().unwrap();
                        prop_assert!(min <= average && average <= max, "{average} outside {span:?}");
                    }
                }
            }
        }

        #[test]
        fn a_week_starts_on_the_monday_at_most_six_days_back(days in -200_000_i64..200_000) {
            let day = date("2026-01-01") + chrono::Duration::days(days);
            let monday = weekly_bucket_start(day);
            prop_assert_eq!(monday.weekday(), Weekday::Mon);
            prop_assert!(monday <= day && day - monday < chrono::Duration::days(7));
        }
    }
}

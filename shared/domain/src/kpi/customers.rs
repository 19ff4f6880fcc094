//! Customers: how many were won in a period, and how many of those already there were kept.

use std::collections::HashSet;
use std::hash::Hash;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use super::{Bounds, count_percent, within};

/// New customers: those acquired within `period` (`start ≤ acquired_at < end`).
pub fn new_customers(acquired_at: impl IntoIterator<Item = DateTime<Utc>>, period: Bounds) -> u64 {
    acquired_at.into_iter().filter(|&at| within(period, at)).count() as u64
}

/// Retention rate: `|active at start ∩ active at end| / |active at start| × 100`.
///
/// Customers acquired during the period are not in the start set, so they never lift retention.
/// Repeated ids count once. `None` when no customer was active at the start.
pub fn retention_rate<T: Eq + Hash>(
    active_at_start: impl IntoIterator<Item = T>,
    active_at_end: impl IntoIterator<Item = T>,
) -> Option<Decimal> {
    let start: HashSet<T> = active_at_start.into_iter().collect();
    let end: HashSet<T> = active_at_end.into_iter().collect();
    let retained = start.intersection(&end).count() as u64;
    count_percent(retained, start.len() as u64)
}

/// Churn rate: `100 − retention rate`; `None` when no customer was active at the start.
pub fn churn_rate<T: Eq + Hash>(
    active_at_start: impl IntoIterator<Item = T>,
    active_at_end: impl IntoIterator<Item = T>,
) -> Option<Decimal> {
    retention_rate(active_at_start, active_at_end).map(|retention| Decimal::ONE_HUNDRED - retention)
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

    #[test]
    fn new_customers_are_those_acquired_in_the_period() {
        let q1 = (utc("2026-01-01T00:00:00Z"), utc("2026-04-01T00:00:00Z"));
        let acquired = [
            utc("2025-12-31T12:00:00Z"),
            utc("2026-01-01T00:00:00Z"),
            utc("2026-03-15T00:00:00Z"),
            utc("2026-04-01T00:00:00Z"),
        ];
        // The second and third fall in [1 Jan, 1 Apr).
        assert_eq!(new_customers(acquired, q1), 2);
        assert_eq!(new_customers([], q1), 0);
    }

    #[test]
    fn retention_counts_only_customers_there_at_the_start() {
        let start = ["a", "b", "c", "d"];
        // a, b, c stayed; d left; e and f are new and do not count.
        let end = ["a", "b", "c", "e", "f"];
        // 3 / 4 × 100 = 75 retained; 100 − 75 = 25 churned.
        assert_eq!(retention_rate(start, end), Some(dec("75")));
        assert_eq!(churn_rate(start, end), Some(dec("25")));
        // 1 of 3 stayed: 33.333333333 retained, 66.666666667 churned.
        assert_eq!(retention_rate(["a", "b", "c"], ["b"]), Some(dec("33.333333333")));
        assert_eq!(churn_rate(["a", "b", "c"], ["b"]), Some(dec("66.666666667")));
        // Repeated ids count once: 1 of 2.
        assert_eq!(retention_rate(["a", "a", "b"], ["a"]), Some(dec("50")));
        assert_eq!(retention_rate::<&str>([], ["a"]), None);
        assert_eq!(churn_rate::<&str>([], []), None);
    }

    proptest! {
        #[test]
        fn retention_and_churn_make_100(
            start in proptest::collection::vec(0..50_u32, 0..40),
            end in proptest::collection::vec(0..50_u32, 0..40),
        ) {
            let retention = retention_rate(start.clone(), end.clone());
            let churn = churn_rate(start.clone(), end);
            match (retention, churn) {
                (Some(r), Some(c)) => {
                    prop_assert_eq!(r + c, Decimal::ONE_HUNDRED);
                    prop_assert!((Decimal::ZERO..=Decimal::ONE_HUNDRED).contains(&r));
                }
                (None, None) => prop_assert!(start.is_empty()),
                other => prop_assert!(false, "{other:?}"),
            }
        }
    }
}

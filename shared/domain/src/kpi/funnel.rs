//! The sales funnel: lead volume, lead-to-deal cohort conversion, stage-to-stage conversion, win rate.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use super::cycle::{DurationStats, duration_stats, elapsed};
use super::{Bounds, KpiError, count_percent, percent, within};

/// Win rate: `won / (won + lost) × 100`; `None` when no deal has closed.
pub fn win_rate(won: u64, lost: u64) -> Option<Decimal> {
    // As decimals the sum of two u64 cannot overflow.
    let won = Decimal::from(won);
    percent(won, won + Decimal::from(lost))
}

/// Lead count: the leads created within `period` (`start ≤ created_at < end`).
pub fn lead_count(created_at: impl IntoIterator<Item = DateTime<Utc>>, period: Bounds) -> u64 {
    created_at.into_iter().filter(|&at| within(period, at)).count() as u64
}

/// What became of the leads created in one period, as known at some instant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeadCohort {
    /// Leads created in the period, up to the as-of instant.
    pub leads: u64,
    /// Of those, how many had converted to a deal by the as-of instant.
    pub converted: u64,
    /// `converted / leads × 100`; `None` for an empty cohort.
    pub conversion_rate: Option<Decimal>,
    /// Average and median of `converted_at − created_at` over the converted; `None` when none did.
    pub time_to_convert: Option<DurationStats>,
}

/// Lead-to-deal conversion of the cohort of leads created within `period`, as known at `as_of`.
///
/// Each lead is `(created_at, converted_at)`. The cohort is the leads with `start ≤ created_at < end`
/// and `created_at ≤ as_of`; a lead counts as converted when `converted_at ≤ as_of`, however long
/// after the period that was. Rate: `converted / cohort × 100`. A conversion before its lead's
/// creation is an error.
pub fn lead_cohort(
    leads: &[(DateTime<Utc>, Option<DateTime<Utc>>)],
    period: Bounds,
    as_of: DateTime<Utc>,
) -> Result<LeadCohort, KpiError> {
    let mut cohort: u64 = 0;
    let mut durations = Vec::new();
    for &(created, converted) in leads {
        if !within(period, created) || created > as_of {
            continue;
        }
        cohort += 1;
        if let Some(converted) = converted {
            let took = elapsed(created, converted)?;
            if converted <= as_of {
                durations.push(took);
            }
        }
    }
    let converted = durations.len() as u64;
    Ok(LeadCohort {
        leads: cohort,
        converted,
        conversion_rate: count_percent(converted, cohort),
        time_to_convert: duration_stats(&durations),
    })
}

/// How many deals moved on from one funnel stage to the next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StageConversion {
    /// 0-based position of the stage in the ordered stages; the next stage is `from + 1`.
    pub from: usize,
    /// Deals that reached stage `from`.
    pub reached: u64,
    /// Of those, deals that reached stage `from + 1`.
    pub advanced: u64,
    /// `advanced / reached × 100`; `None` when no deal reached stage `from`.
    pub rate: Option<Decimal>,
}

/// Stage-to-stage conversion: for each pair of consecutive `stages`, the share of deals that reached
/// stage k+1 among those that reached stage k: `reached(k+1) / reached(k) × 100`.
///
/// `histories` holds each deal's stage history. A deal has reached stage k when its history holds
/// stage k or any later stage: a deal that skipped a stage still passed it, so rates never exceed 100.
/// Stages not in `stages` (such as "lost") are ignored. Gives `stages.len() − 1` entries.
pub fn stage_conversion<S: PartialEq, H: AsRef<[S]>>(stages: &[S], histories: &[H]) -> Vec<StageConversion> {
    let mut reached = vec![0_u64; stages.len()];
    for history in histories {
        let furthest = history
            .as_ref()
            .iter()
            .filter_map(|stage| stages.iter().position(|s| s == stage))
            .max();
        if let Some(furthest) = furthest {
            for count in &mut reached[..=furthest] {
                *count += 1;
            }
        }
    }
    reached
        .windows(2)
        .enumerate()
        .map(|(from, pair)| StageConversion {
            from,
            reached: pair[0],
            advanced: pair[1],
            rate: count_percent(pair[1], pair[0]),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;
    use proptest::prelude::*;

    fn dec(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn january() -> Bounds {
        (utc("2026-01-01T00:00:00Z"), utc("2026-02-01T00:00:00Z"))
    }

    #[test]
    fn win_rate_counts_closed_deals_only() {
        // 3 won, 1 lost: 3 / 4 × 100 = 75.
        assert_eq!(win_rate(3, 1), Some(dec("75")));
        // 1 / 3 × 100 = 33.333333333.
        assert_eq!(win_rate(1, 2), Some(dec("33.333333333")));
        assert_eq!(win_rate(0, 5), Some(Decimal::ZERO));
        assert_eq!(win_rate(0, 0), None);
        // u64::MAX / (2 × u64::MAX) × 100 = 50, even though the sum leaves u64.
        assert_eq!(win_rate(u64::MAX, u64::MAX), Some(dec("50")));
    }

    #[test]
    fn leads_count_in_the_period_they_were_created() {
        let created = [
            utc("2025-12-31T23:59:59Z"),
            utc("2026-01-01T00:00:00Z"),
            utc("2026-01-31T23:59:59Z"),
            utc("2026-02-01T00:00:00Z"),
        ];
        // Only the second and third fall in [1 Jan, 1 Feb).
        assert_eq!(lead_count(created, january()), 2);
        assert_eq!(lead_count([], january()), 0);
    }

    #[test]
    fn a_cohort_follows_its_leads_past_the_period() {
        let leads = [
            // Converted 10 days later, inside January.
            (utc("2026-01-05T00:00:00Z"), Some(utc("2026-01-15T00:00:00Z"))),
            // Converted 30 days later, in February: still January's cohort.
            (utc("2026-01-20T00:00:00Z"), Some(utc("2026-02-19T00:00:00Z"))),
            // Converts after the as-of instant: not yet converted.
            (utc("2026-01-25T00:00:00Z"), Some(utc("2026-03-10T00:00:00Z"))),
            // Never converted.
            (utc("2026-01-28T00:00:00Z"), None),
            // Created in December: another cohort, even though it converted in January.
            (utc("2025-12-20T00:00:00Z"), Some(utc("2026-01-02T00:00:00Z"))),
        ];
        let cohort = lead_cohort(&leads, january(), utc("2026-03-01T00:00:00Z")).unwrap();
        // 4 leads, 2 converted: 2 / 4 × 100 = 50; times 10 d and 30 d: mean and median 20 d.
        assert_eq!((cohort.leads, cohort.converted), (4, 2));
        assert_eq!(cohort.conversion_rate, Some(dec("50")));
        let took = cohort.time_to_convert.unwrap();
        assert_eq!((took.average, took.median), (Duration::days(20), Duration::days(20)));
        // As of 21 January only the first two leads exist and only the first has converted: 1 / 2.
        let early = lead_cohort(&leads, january(), utc("2026-01-21T00:00:00Z")).unwrap();
        assert_eq!(
            (early.leads, early.converted, early.conversion_rate),
            (2, 1, Some(dec("50")))
        );
        let empty = lead_cohort(&[], january(), utc("2026-03-01T00:00:00Z")).unwrap();
        assert_eq!(
            (empty.leads, empty.conversion_rate, empty.time_to_convert),
            (0, None, None)
        );
        let backwards = [(utc("2026-01-05T00:00:00Z"), Some(utc("2026-01-04T00:00:00Z")))];
        assert!(matches!(
            lead_cohort(&backwards, january(), utc("2026-03-01T00:00:00Z")),
            Err(KpiError::EndsBeforeStart { .. })
        ));
    }

    #[test]
    fn each_stage_converts_into_the_next() {
        let stages = ["qualified", "proposal", "negotiation", "won"];
        let histories: Vec<Vec<&str>> = vec![
            vec!["qualified", "proposal", "negotiation", "won"],
            vec!["qualified", "proposal", "lost"],
            vec!["qualified", "lost"],
            // Skipped the proposal: it still passed it.
            vec!["qualified", "negotiation"],
            vec![],
        ];
        // Reached: qualified 4, proposal 3, negotiation 2, won 1.
        let conversions = stage_conversion(&stages, &histories);
        let rates: Vec<_> = conversions.iter().map(|c| (c.reached, c.advanced, c.rate)).collect();
        assert_eq!(
            rates,
            [
                // 3 / 4 × 100 = 75; 2 / 3 × 100 = 66.666666667; 1 / 2 × 100 = 50.
                (4, 3, Some(dec("75"))),
                (3, 2, Some(dec("66.666666667"))),
                (2, 1, Some(dec("50")))
            ]
        );
        let none: Vec<Vec<&str>> = vec![];
        assert!(stage_conversion(&stages, &none).iter().all(|c| c.rate.is_none()));
        assert!(stage_conversion(&stages[..1], &histories).is_empty());
    }

    proptest! {
        #[test]
        fn stage_rates_never_exceed_100(histories in proptest::collection::vec(proptest::collection::vec(0..6_u8, 0..6), 0..20)) {
            let stages = [0_u8, 1, 2, 3, 4];
            for c in stage_conversion(&stages, &histories) {
                prop_assert!(c.advanced <= c.reached);
                if let Some(rate) = c.rate {
                    prop_assert!((Decimal::ZERO..=Decimal::ONE_HUNDRED).contains(&rate));
                }
            }
        }
    }
}

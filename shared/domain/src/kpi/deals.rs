//! Deal KPIs under split credit: credited won and lost counts and win rate, and stage cohorts — of
//! the deals that first entered a stage in a period, the credited share that went on to a later one.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use super::{Bounds, percent, round_quotient, saturating_div, within};

/// A credited share of one deal: `percent / 100` of it (a 60% share is 0.6 of a deal).
pub fn credited_count(share_percent: Decimal) -> Decimal {
    share_percent / Decimal::ONE_HUNDRED
}

/// Win rate over credited counts: `won / (won + lost) × 100`; `None` when nothing closed.
pub fn credited_win_rate(won: Decimal, lost: Decimal) -> Option<Decimal> {
    percent(won, won + lost)
}

/// The credit-weighted mean of the full amounts of some deals: `Σ share × amount / Σ share`,
/// rounded; `None` when no share is held.
pub fn credited_average(credited_amount: Decimal, credited_count: Decimal) -> Option<Decimal> {
    (!credited_count.is_zero()).then(|| round_quotient(saturating_div(credited_amount, credited_count)))
}

/// One deal as a stage cohort reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct CohortDeal {
    /// The owner's credited share of the deal (0..=1).
    pub share: Decimal,
    /// Its moves in the order recorded: the position of the stage entered in the pipeline (`None`
    /// for a stage outside it), and when.
    pub entries: Vec<(Option<usize>, DateTime<Utc>)>,
    /// When it was won, if its final outcome is a win.
    pub won_at: Option<DateTime<Utc>>,
}

/// The cohort of one stage.
#[derive(Debug, Clone, PartialEq)]
pub struct StageCohort {
    /// The stage's position in the pipeline.
    pub stage: usize,
    /// Credited deals whose first entry into the stage lies in the period.
    pub entered: Decimal,
    /// Of those, the credited share that later reached a later stage or was won.
    pub advanced: Decimal,
    /// `advanced / entered × 100`; `None` for an empty cohort.
    pub rate: Option<Decimal>,
    /// Σ share × seconds from the first entry to going on, over those that went on.
    pub advance_seconds: Decimal,
}

impl StageCohort {
    /// A cohort from its credited sums.
    pub fn new(stage: usize, entered: Decimal, advanced: Decimal, advance_seconds: Decimal) -> StageCohort {
        StageCohort {
            stage,
            entered,
            advanced,
            rate: percent(advanced, entered),
            advance_seconds,
        }
    }

    /// The credit-weighted mean time, in whole seconds, from the first entry to going on (to a
    /// later stage or the win, whichever came first); `None` when none went on.
    pub fn mean_seconds_to_advance(&self) -> Option<i64> {
        (!self.advanced.is_zero()).then(|| {
            use rust_decimal::prelude::ToPrimitive;
            (self.advance_seconds / self.advanced)
                .round_dp_with_strategy(0, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
                .to_i64()
                .unwrap_or(i64::MAX)
        })
    }
}

/// Stage cohorts of a period, as known at `as_of`, for a pipeline of `stages` open stages.
///
/// A deal joins the cohort of stage k when its *first* entry into k lies in `period` (and not after
/// `as_of`); entering k again after moving back adds nothing. It advanced when, after that first
/// entry and by `as_of`, it entered any stage after k or was won (won follows the last open stage;
/// lost is never progress). Each deal counts by its credited share.
pub fn stage_cohorts(stages: usize, deals: &[CohortDeal], period: Bounds, as_of: DateTime<Utc>) -> Vec<StageCohort> {
    let mut entered = vec![Decimal::ZERO; stages];
    let mut advanced = vec![Decimal::ZERO; stages];
    let mut seconds = vec![Decimal::ZERO; stages];
    for deal in deals {
        for k in 0..stages {
            let Some(first) = deal.entries.iter().position(|(stage, _)| *stage == Some(k)) else {
                continue;
            };
            let at = deal.entries[first].1;
            if !within(period, at) || at > as_of {
                continue;
            }
            entered[k] += deal.share;
            // The first later entry into a later stage, or the win, whichever came first.
            let went_on = deal.entries[first + 1..]
                .iter()
                .filter(|(stage, time)| stage.is_some_and(|s| s > k) && *time <= as_of)
                .map(|(_, time)| *time)
                .chain(deal.won_at.filter(|won| *won <= as_of))
                .min();
            if let Some(went_on) = went_on {
                advanced[k] += deal.share;
                seconds[k] += deal.share * Decimal::from((went_on - at).num_seconds().max(0));
            }
        }
    }
    (0..stages)
        .map(|stage| StageCohort::new(stage, entered[stage], advanced[stage], seconds[stage]))
        .collect()
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

    fn march() -> Bounds {
        (utc("2026-03-01T00:00:00Z"), utc("2026-04-01T00:00:00Z"))
    }

    fn deal(share: &str, entries: &[(Option<usize>, &str)], won_at: Option<&str>) -> CohortDeal {
        CohortDeal {
            share: dec(share),
            entries: entries.iter().map(|(s, t)| (*s, utc(t))).collect(),
            won_at: won_at.map(utc),
        }
    }

    #[test]
    fn credited_counts_and_win_rate() {
        assert_eq!(credited_count(dec("60")), dec("0.6"));
        // won 1.5, lost 0.5: 1.5 / 2 × 100 = 75.
        assert_eq!(credited_win_rate(dec("1.5"), dec("0.5")), Some(dec("75")));
        assert_eq!(credited_win_rate(Decimal::ZERO, Decimal::ZERO), None);
        // Half of a 1,000 deal and all of a 400 one: (500 + 400) / 1.5 = 600.
        assert_eq!(credited_average(dec("900"), dec("1.5")), Some(dec("600")));
        assert_eq!(credited_average(dec("100"), dec("0")), None);
    }

    #[test]
    fn a_cohort_is_first_entries_in_the_period_followed_to_as_of() {
        let as_of = utc("2026-06-01T00:00:00Z");
        let deals = [
            // Enters 0 in March, reaches 1 in April: advances from 0; its cohort for 1 is April's.
            deal(
                "1",
                &[(Some(0), "2026-03-02T00:00:00Z"), (Some(1), "2026-04-02T00:00:00Z")],
                None,
            ),
            // Half a deal: enters 0 and 1 in March, then won in May: advances from both.
            deal(
                "0.5",
                &[(Some(0), "2026-03-03T00:00:00Z"), (Some(1), "2026-03-04T00:00:00Z")],
                Some("2026-05-01T00:00:00Z"),
            ),
            // Enters 1 in February, back to 0 in March (its first entry into 0), then 1 again in
            // March: a re-entry, so no cohort member for 1; it advanced from 0.
            deal(
                "1",
                &[
                    (Some(1), "2026-02-10T00:00:00Z"),
                    (Some(0), "2026-03-05T00:00:00Z"),
                    (Some(1), "2026-03-06T00:00:00Z"),
                ],
                None,
            ),
            // Enters 0 in March and is lost (nothing after): no progress.
            deal("0.25", &[(Some(0), "2026-03-07T00:00:00Z")], None),
            // A stage outside the pipeline counts nowhere; reaching 2 after June is past as_of.
            deal(
                "1",
                &[
                    (None, "2026-03-01T00:00:00Z"),
                    (Some(1), "2026-03-08T00:00:00Z"),
                    (Some(2), "2026-07-01T00:00:00Z"),
                ],
                None,
            ),
        ];
        let cohorts = stage_cohorts(3, &deals, march(), as_of);
        // Stage 0: deals 1 (1), 2 (0.5), 3 (1), 4 (0.25) entered = 2.75; advanced 1 + 0.5 + 1 = 2.5.
        assert_eq!(cohorts[0].entered, dec("2.75"));
        assert_eq!(cohorts[0].advanced, dec("2.5"));
        // 2.5 / 2.75 × 100 = 90.909090909…
        assert_eq!(cohorts[0].rate, Some(dec("90.909090909")));
        // Stage 1: deal 2 (0.5, won → advanced) and deal 5 (1, reached 2 only after as_of).
        assert_eq!((cohorts[1].entered, cohorts[1].advanced), (dec("1.5"), dec("0.5")));
        // Stage 2: nobody entered it in March.
        assert_eq!((cohorts[2].entered, cohorts[2].rate), (Decimal::ZERO, None));
    }

    #[test]
    fn reaching_a_later_stage_before_the_first_entry_is_not_progress() {
        // Entered 2 in February, moved back to 0 in March: for stage 0 it did not advance afterwards.
        let deals = [deal(
            "1",
            &[(Some(2), "2026-02-01T00:00:00Z"), (Some(0), "2026-03-10T00:00:00Z")],
            None,
        )];
        let cohorts = stage_cohorts(3, &deals, march(), utc("2026-12-01T00:00:00Z"));
        assert_eq!((cohorts[0].entered, cohorts[0].advanced), (dec("1"), Decimal::ZERO));
    }

    proptest! {
        #[test]
        fn advanced_never_exceeds_entered(
            moves in prop::collection::vec((prop::option::of(0usize..4), 0i64..90), 1..8),
            won in prop::option::of(0i64..120),
        ) {
            let start = utc("2026-03-01T00:00:00Z");
            let deal = CohortDeal {
                share: Decimal::ONE,
                entries: moves.iter().map(|(s, d)| (*s, start + chrono::Duration::days(*d))).collect(),
                won_at: won.map(|d| start + chrono::Duration::days(d)),
            };
            for cohort in stage_cohorts(4, &[deal], march(), utc("2026-09-01T00:00:00Z")) {
                prop_assert!(cohort.advanced <= cohort.entered);
                prop_assert!(cohort.entered <= Decimal::ONE);
            }
        }
    }
}

//! What a deal adds to the period rollups of deals, so a KPI read sums rows per member and month
//! instead of reading the period's deals:
//! - **outcomes**, per member, local month of the final close, currency, region and segment: the
//!   credited count of deals won and lost and the credited won amount (ten-thousandths that add up
//!   to one deal and to its amount), the times to close of the won deals the member alone holds
//!   credit in and the number of such lost deals, and the won and lost deals whose credit is
//!   shared by id, so time to close counts each deal once for a group of members and its median is
//!   exact, while a row holds ids only for the few split deals;
//! - **stage cohorts**, per member, local month of the deal's first entry into a stage of the
//!   sales pipeline, stage, region and segment: the credited count that entered, the credited
//!   count that went on (reached a later stage or was won) and, of those, the credited time it
//!   took (count × seconds).
//!
//! A deal's change replaces what it added before with what it adds after ([`change`]). The rows
//! hold what is known now: a read that follows cohorts to an earlier instant reads the deals.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use lacak_domain::kpi::split_credit;
use rust_decimal::Decimal;

use super::rollup::{RollupError, Share, local_month};
use super::units::{SCALE, to_units};

/// One member's outcome row.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OutcomeKey {
    pub member: String,
    pub month: i32,
    pub currency: String,
    pub region: String,
    pub segment: String,
}

/// Credited counts and amounts in ten-thousandths; times to close in nanoseconds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OutcomeSums {
    pub won: i64,
    pub lost: i64,
    pub won_amount: i64,
    /// Times to close of the won deals the member alone holds credit in, ascending: no other
    /// member's row holds them, so a group takes them all.
    pub won_alone: Vec<i64>,
    /// How many lost deals the member alone holds credit in.
    pub lost_alone: i64,
    /// Won deals whose credit is shared, by id with their time to close: a group holding two of
    /// the shares takes each once.
    pub won_shared: BTreeMap<String, i64>,
    /// Lost deals whose credit is shared, by id.
    pub lost_shared: BTreeSet<String>,
}

impl OutcomeSums {
    pub fn is_empty(&self) -> bool {
        self.won == 0
            && self.lost == 0
            && self.won_amount == 0
            && self.won_alone.is_empty()
            && self.lost_alone == 0
            && self.won_shared.is_empty()
            && self.lost_shared.is_empty()
    }

    /// Adds another row's sums to this one (the same deal never in both).
    pub fn merge(&mut self, other: OutcomeSums) {
        self.won += other.won;
        self.lost += other.lost;
        self.won_amount += other.won_amount;
        for nanos in other.won_alone {
            insert_sorted(&mut self.won_alone, nanos);
        }
        self.lost_alone += other.lost_alone;
        self.won_shared.extend(other.won_shared);
        self.lost_shared.extend(other.lost_shared);
    }
}

fn insert_sorted(values: &mut Vec<i64>, value: i64) {
    let at = values.partition_point(|v| *v < value);
    values.insert(at, value);
}

/// The deals a group's outcome rows hold, each once.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DistinctDeals {
    /// Time to close of each won deal, in no particular order.
    pub won_durations: Vec<i64>,
    pub lost: u64,
}

/// The deals the rows of a group's members hold, each once however many of them hold credit.
pub fn distinct_deals<'a>(rows: impl IntoIterator<Item = &'a OutcomeSums>) -> DistinctDeals {
    let mut out = DistinctDeals::default();
    let (mut won_shared, mut lost_shared) = (BTreeMap::new(), BTreeSet::new());
    let mut lost_alone = 0;
    for row in rows {
        out.won_durations.extend_from_slice(&row.won_alone);
        lost_alone += row.lost_alone;
        won_shared.extend(row.won_shared.iter().map(|(id, nanos)| (id.as_str(), *nanos)));
        lost_shared.extend(row.lost_shared.iter().map(String::as_str));
    }
    out.won_durations.extend(won_shared.into_values());
    out.lost = (lost_alone.max(0) as u64) + lost_shared.len() as u64;
    out
}

/// One member's stage cohort row.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CohortKey {
    pub member: String,
    pub month: i32,
    pub stage: String,
    pub region: String,
    pub segment: String,
}

/// Credited counts in ten-thousandths; `advance_seconds` sums count × seconds to go on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CohortSums {
    pub entered: i64,
    pub advanced: i64,
    pub advance_seconds: i64,
}

impl CohortSums {
    pub fn add(&mut self, other: CohortSums) {
        self.entered += other.entered;
        self.advanced += other.advanced;
        self.advance_seconds += other.advance_seconds;
    }

    pub fn negated(self) -> CohortSums {
        CohortSums {
            entered: -self.entered,
            advanced: -self.advanced,
            advance_seconds: -self.advance_seconds,
        }
    }

    pub fn is_zero(&self) -> bool {
        self.entered == 0 && self.advanced == 0 && self.advance_seconds == 0
    }
}

/// A deal as the rollups see it.
#[derive(Debug, Clone, PartialEq)]
pub struct DealState<'a> {
    pub id: &'a str,
    /// The credit: the shares given, or the owner's 100.
    pub credit: &'a [Share],
    pub currency: &'a str,
    pub amount: Decimal,
    pub create_time: DateTime<Utc>,
    /// "won", "lost" or empty while open.
    pub outcome: &'a str,
    pub close_time: Option<DateTime<Utc>>,
    pub region: &'a str,
    pub segment: &'a str,
    /// Stages entered, oldest first.
    pub entries: &'a [(String, DateTime<Utc>)],
}

/// What a deal adds to both rollups.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DealRollups {
    pub outcomes: BTreeMap<OutcomeKey, OutcomeSums>,
    pub cohorts: BTreeMap<CohortKey, CohortSums>,
}

/// What `deal` adds, with months in `tz` and cohorts over the sales pipeline's `stages` in order.
pub fn contribution(deal: &DealState<'_>, stages: &[String], tz: Tz) -> Result<DealRollups, RollupError> {
    let mut out = DealRollups::default();
    if deal.credit.is_empty() {
        return Ok(out);
    }
    let shares: Vec<Decimal> = deal.credit.iter().map(|s| s.percent).collect();
    let counts = split_credit(Decimal::ONE, &shares, SCALE)?
        .into_iter()
        .map(|c| to_units(c).ok_or(RollupError::TooLarge))
        .collect::<Result<Vec<i64>, _>>()?;
    let amounts = split_credit(deal.amount, &shares, SCALE)?
        .into_iter()
        .map(|a| to_units(a).ok_or(RollupError::TooLarge))
        .collect::<Result<Vec<i64>, _>>()?;
    let won_at = deal.close_time.filter(|_| deal.outcome == "won");

    if let Some(closed) = deal.close_time.filter(|_| matches!(deal.outcome, "won" | "lost")) {
        let month = local_month(closed, tz);
        let nanos = (closed - deal.create_time)
            .num_nanoseconds()
            .ok_or(RollupError::TooLarge)?;
        for ((share, count), amount) in deal.credit.iter().zip(&counts).zip(&amounts) {
            let key = OutcomeKey {
                member: share.member.clone(),
                month,
                currency: deal.currency.to_owned(),
                region: deal.region.to_owned(),
                segment: deal.segment.to_owned(),
            };
            let row = out.outcomes.entry(key).or_default();
            let alone = deal.credit.len() == 1;
            match (deal.outcome == "won", alone) {
                (true, true) => insert_sorted(&mut row.won_alone, nanos),
                (true, false) => {
                    row.won_shared.insert(deal.id.to_owned(), nanos);
                }
                (false, true) => row.lost_alone += 1,
                (false, false) => {
                    row.lost_shared.insert(deal.id.to_owned());
                }
            }
            if deal.outcome == "won" {
                row.won += count;
                row.won_amount += amount;
            } else {
                row.lost += count;
            }
        }
    }

    let positions: Vec<(Option<usize>, DateTime<Utc>)> = deal
        .entries
        .iter()
        .map(|(stage, at)| (stages.iter().position(|s| s == stage), *at))
        .collect();
    for (k, stage) in stages.iter().enumerate() {
        let Some(first) = positions.iter().position(|(p, _)| *p == Some(k)) else {
            continue;
        };
        let entered_at = positions[first].1;
        // Going on: the first later entry into a later stage, or the win, whichever came first.
        let later = positions[first + 1..]
            .iter()
            .filter(|(p, _)| p.is_some_and(|p| p > k))
            .map(|(_, at)| *at)
            .min();
        let went_on = match (later, won_at) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let seconds = went_on.map(|at| (at - entered_at).num_seconds().max(0));
        for (share, count) in deal.credit.iter().zip(&counts) {
            let key = CohortKey {
                member: share.member.clone(),
                month: local_month(entered_at, tz),
                stage: stage.clone(),
                region: deal.region.to_owned(),
                segment: deal.segment.to_owned(),
            };
            let sums = CohortSums {
                entered: *count,
                advanced: if went_on.is_some() { *count } else { 0 },
                advance_seconds: seconds.map_or(Ok(0), |s| s.checked_mul(*count).ok_or(RollupError::TooLarge))?,
            };
            out.cohorts.entry(key).or_default().add(sums);
        }
    }
    Ok(out)
}

/// A change to an outcome row: sums to add, deals to drop and to put (after dropping).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OutcomeChange {
    pub won: i64,
    pub lost: i64,
    pub won_amount: i64,
    /// Times to close to take out of, and to put into, the deals the member holds alone.
    pub drop_won_alone: Vec<i64>,
    pub put_won_alone: Vec<i64>,
    pub lost_alone: i64,
    /// Shared deals by id.
    pub drop: BTreeSet<String>,
    pub put_won: BTreeMap<String, i64>,
    pub put_lost: BTreeSet<String>,
}

impl OutcomeChange {
    /// The row after the change.
    pub fn apply(&self, row: &mut OutcomeSums) {
        row.won += self.won;
        row.lost += self.lost;
        row.won_amount += self.won_amount;
        for nanos in &self.drop_won_alone {
            if let Ok(at) = row.won_alone.binary_search(nanos) {
                row.won_alone.remove(at);
            }
        }
        for nanos in &self.put_won_alone {
            insert_sorted(&mut row.won_alone, *nanos);
        }
        row.lost_alone += self.lost_alone;
        for id in &self.drop {
            row.won_shared.remove(id);
            row.lost_shared.remove(id);
        }
        row.won_shared
            .extend(self.put_won.iter().map(|(id, nanos)| (id.clone(), *nanos)));
        row.lost_shared.extend(self.put_lost.iter().cloned());
    }
}

/// The changes that take the rollups from what a deal added `before` to what it adds `after`,
/// without the rows that do not change.
pub fn change(
    before: &DealRollups,
    after: &DealRollups,
) -> (BTreeMap<OutcomeKey, OutcomeChange>, BTreeMap<CohortKey, CohortSums>) {
    let mut outcomes: BTreeMap<OutcomeKey, OutcomeChange> = BTreeMap::new();
    for (key, sums) in &before.outcomes {
        if after.outcomes.get(key) == Some(sums) {
            continue;
        }
        let row = outcomes.entry(key.clone()).or_default();
        row.won -= sums.won;
        row.lost -= sums.lost;
        row.won_amount -= sums.won_amount;
        row.drop_won_alone.extend_from_slice(&sums.won_alone);
        row.lost_alone -= sums.lost_alone;
        row.drop.extend(sums.won_shared.keys().cloned());
        row.drop.extend(sums.lost_shared.iter().cloned());
    }
    for (key, sums) in &after.outcomes {
        if before.outcomes.get(key) == Some(sums) {
            continue;
        }
        let row = outcomes.entry(key.clone()).or_default();
        row.won += sums.won;
        row.lost += sums.lost;
        row.won_amount += sums.won_amount;
        row.put_won_alone.extend_from_slice(&sums.won_alone);
        row.lost_alone += sums.lost_alone;
        row.put_won
            .extend(sums.won_shared.iter().map(|(id, n)| (id.clone(), *n)));
        row.put_lost.extend(sums.lost_shared.iter().cloned());
    }
    let mut cohorts: BTreeMap<CohortKey, CohortSums> = after.cohorts.clone();
    for (key, sums) in &before.cohorts {
        cohorts.entry(key.clone()).or_default().add(sums.negated());
    }
    cohorts.retain(|_, sums| !sums.is_zero());
    (outcomes, cohorts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn share(member: &str, percent: i64) -> Share {
        Share {
            member: member.into(),
            percent: Decimal::from(percent),
        }
    }

    fn stages() -> Vec<String> {
        ["qualify", "propose", "negotiate"].map(String::from).to_vec()
    }

    const JAKARTA: Tz = chrono_tz::Asia::Jakarta;

    #[test]
    fn a_won_split_deal_credits_each_member_in_the_local_month_of_its_close() {
        let credit = [share("ana", 60), share("budi", 40)];
        let entries = [
            ("qualify".to_string(), utc("2026-02-27T10:00:00Z")),
            ("negotiate".to_string(), utc("2026-03-05T00:00:00Z")),
        ];
        let deal = DealState {
            id: "d1",
            credit: &credit,
            currency: "IDR",
            amount: Decimal::from(1_000),
            create_time: utc("2026-02-27T10:00:00Z"),
            outcome: "won",
            // 18:00 UTC on 31 March is 1 April in Jakarta (UTC+7).
            close_time: Some(utc("2026-03-31T18:00:00Z")),
            region: "java",
            segment: "",
            entries: &entries,
        };
        let rows = contribution(&deal, &stages(), JAKARTA).unwrap();
        let april = 2026 * 12 + 3;
        let ana = &rows.outcomes[&OutcomeKey {
            member: "ana".into(),
            month: april,
            currency: "IDR".into(),
            region: "java".into(),
            segment: String::new(),
        }];
        // 0.6 of a deal and 600 of its 1,000, in ten-thousandths.
        assert_eq!((ana.won, ana.won_amount, ana.lost), (6_000, 6_000_000, 0));
        // 27 Feb 10:00 to 31 Mar 18:00: 32 days 8 hours.
        let nanos = (32 * 86_400 + 8 * 3_600) * 1_000_000_000_i64;
        assert_eq!(ana.won_shared, BTreeMap::from([("d1".to_string(), nanos)]));
        assert!(ana.won_alone.is_empty(), "a split deal is held by id");
        // Cohorts: qualify entered (27 Feb 17:00 local: February) and went on at the move to
        // negotiate; negotiate entered in March and went on at the win; propose was skipped.
        let qualify = rows.cohorts[&CohortKey {
            member: "budi".into(),
            month: 2026 * 12 + 1,
            stage: "qualify".into(),
            region: "java".into(),
            segment: String::new(),
        }];
        let to_negotiate = (5 * 86_400 + 14 * 3_600) * 4_000;
        assert_eq!(
            qualify,
            CohortSums {
                entered: 4_000,
                advanced: 4_000,
                advance_seconds: to_negotiate
            }
        );
        assert_eq!(rows.cohorts.len(), 4, "qualify and negotiate, for each of two members");
    }

    #[test]
    fn a_reopened_deal_takes_its_outcome_back_and_keeps_its_cohort_entries() {
        let credit = [share("ana", 100)];
        let entries = [
            ("qualify".to_string(), utc("2026-03-01T00:00:00Z")),
            ("propose".to_string(), utc("2026-04-10T00:00:00Z")),
        ];
        let closed = DealState {
            id: "d2",
            credit: &credit,
            currency: "USD",
            amount: Decimal::from(500),
            create_time: utc("2026-03-01T00:00:00Z"),
            outcome: "lost",
            close_time: Some(utc("2026-04-20T00:00:00Z")),
            region: "",
            segment: "",
            entries: &entries[..1],
        };
        let reopened = DealState {
            outcome: "",
            close_time: None,
            entries: &entries,
            ..closed.clone()
        };
        let before = contribution(&closed, &stages(), chrono_tz::UTC).unwrap();
        let after = contribution(&reopened, &stages(), chrono_tz::UTC).unwrap();
        let (outcomes, cohorts) = change(&before, &after);
        let lost = &outcomes.values().next().unwrap();
        assert_eq!(lost.lost, -10_000);
        assert_eq!(lost.lost_alone, -1, "ana alone held it: counted, not named");
        assert!(lost.drop.is_empty());
        // qualify now went on (to propose), and propose has a cohort entry of its own.
        assert_eq!(cohorts.len(), 2);
        let mut row = OutcomeSums {
            lost: 10_000,
            lost_alone: 1,
            ..Default::default()
        };
        lost.apply(&mut row);
        assert!(row.is_empty());
    }

    #[test]
    fn deals_held_alone_are_kept_as_times_only_and_a_group_counts_split_deals_once() {
        let day = 86_400_000_000_000_i64;
        let won = |id: &'static str, credit: &'static [Share], days: i64| {
            let deal = DealState {
                id,
                credit,
                currency: "IDR",
                amount: Decimal::from(100),
                create_time: utc("2026-03-01T00:00:00Z"),
                outcome: "won",
                close_time: Some(utc("2026-03-01T00:00:00Z") + chrono::Duration::days(days)),
                region: "",
                segment: "",
                entries: &[],
            };
            contribution(&deal, &stages(), chrono_tz::UTC).unwrap()
        };
        static ANA: std::sync::LazyLock<[Share; 1]> = std::sync::LazyLock::new(|| [share("ana", 100)]);
        static SPLIT: std::sync::LazyLock<[Share; 2]> =
            std::sync::LazyLock::new(|| [share("ana", 50), share("budi", 50)]);
        // Two of ana's own deals closed after the same 3 days: two times, no ids.
        let mut ana = OutcomeSums::default();
        let mut budi = OutcomeSums::default();
        for rows in [won("a1", &*ANA, 3), won("a2", &*ANA, 3), won("s1", &*SPLIT, 10)] {
            for (key, sums) in rows.outcomes {
                if key.member == "ana" {
                    ana.merge(sums)
                } else {
                    budi.merge(sums)
                }
            }
        }
        assert_eq!(ana.won_alone, [3 * day, 3 * day]);
        assert_eq!(ana.won_shared.len(), 1);
        let team = distinct_deals([&ana, &budi]);
        let mut times = team.won_durations.clone();
        times.sort();
        assert_eq!(times, [3 * day, 3 * day, 10 * day], "the split deal once");
        // One of the equal times goes when its deal is reopened; the other stays.
        let (changes, _) = change(&won("a2", &*ANA, 3), &DealRollups::default());
        changes.values().next().unwrap().apply(&mut ana);
        assert_eq!(ana.won_alone, [3 * day]);
    }

    #[test]
    fn an_unchanged_deal_changes_nothing() {
        let credit = [share("ana", 50), share("budi", 50)];
        let entries = [("propose".to_string(), utc("2026-03-01T00:00:00Z"))];
        let deal = DealState {
            id: "d3",
            credit: &credit,
            currency: "USD",
            amount: Decimal::from(3),
            create_time: utc("2026-03-01T00:00:00Z"),
            outcome: "won",
            close_time: Some(utc("2026-03-02T00:00:00Z")),
            region: "",
            segment: "",
            entries: &entries,
        };
        let rows = contribution(&deal, &stages(), chrono_tz::UTC).unwrap();
        let (outcomes, cohorts) = change(&rows, &rows);
        assert!(outcomes.is_empty() && cohorts.is_empty());
        // 3 split 50/50 adds up: 1.5 each, in ten-thousandths.
        let total: i64 = rows.outcomes.values().map(|r| r.won_amount).sum();
        assert_eq!(total, 30_000);
    }

    mod agreement {
        use super::*;
        use lacak_domain::kpi::{CohortDeal, stage_cohorts};
        use proptest::prelude::*;

        fn moves() -> impl Strategy<Value = Vec<(usize, i64)>> {
            // Stage positions 0..4 (3 is outside the pipeline), hours after creation.
            prop::collection::vec((0usize..4, 0i64..2_000), 1..6)
        }

        proptest! {
            /// Summed over every month, a deal's cohort rows say what the stage cohorts of a
            /// period holding its whole history say, followed to any later instant.
            #[test]
            fn cohort_rows_agree_with_the_stage_cohorts(
                moves in moves(),
                outcome in 0usize..3,
                close_hours in 0i64..3_000,
                percent in 1i64..=100,
            ) {
                let created = utc("2026-01-01T00:00:00Z");
                let mut hours: Vec<i64> = moves.iter().map(|(_, h)| *h).collect();
                hours.sort_unstable();
                hours[0] = 0;
                let names = ["qualify", "propose", "negotiate", "legal"];
                let entries: Vec<(String, DateTime<Utc>)> = moves
                    .iter()
                    .zip(&hours)
                    .map(|((stage, _), h)| (names[*stage].to_string(), created + chrono::Duration::hours(*h)))
                    .collect();
                let last = *hours.last().unwrap_or(&0);
                let close = created + chrono::Duration::hours(last + close_hours);
                let outcome = ["", "won", "lost"][outcome];
                let credit = if percent == 100 {
                    vec![share("ana", 100)]
                } else {
                    vec![share("ana", percent), share("budi", 100 - percent)]
                };
                let deal = DealState {
                    id: "d",
                    credit: &credit,
                    currency: "USD",
                    amount: Decimal::from(10),
                    create_time: created,
                    outcome,
                    close_time: (!outcome.is_empty()).then_some(close),
                    region: "",
                    segment: "",
                    entries: &entries,
                };
                let rows = contribution(&deal, &stages(), chrono_tz::UTC).unwrap();
                let whole = (utc("2025-01-01T00:00:00Z"), utc("2030-01-01T00:00:00Z"));
                let cohort_deal = CohortDeal {
                    share: Decimal::from(percent) / Decimal::ONE_HUNDRED,
                    entries: entries
                        .iter()
                        .map(|(stage, at)| (stages().iter().position(|s| s == stage), *at))
                        .collect(),
                    won_at: deal.close_time.filter(|_| outcome == "won"),
                };
                let expected = stage_cohorts(3, &[cohort_deal], whole, whole.1);
                for cohort in expected {
                    let mut sums = CohortSums::default();
                    for (key, row) in &rows.cohorts {
                        if key.member == "ana" && key.stage == stages()[cohort.stage] {
                            sums.add(*row);
                        }
                    }
                    let units = Decimal::new(10_000, 0);
                    prop_assert_eq!(Decimal::from(sums.entered) / units, cohort.entered);
                    prop_assert_eq!(Decimal::from(sums.advanced) / units, cohort.advanced);
                    prop_assert_eq!(Decimal::from(sums.advance_seconds) / units, cohort.advance_seconds);
                }
            }
        }
    }
}

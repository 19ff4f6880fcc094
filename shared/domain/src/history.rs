//! Targets over time: which value was in force at an instant, and how far a team's members fall short of it.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

/// A target value taking effect at an instant, until a later change replaces it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetChange {
    /// When the value starts to apply.
    pub effective_at: DateTime<Utc>,
    /// The target from then on.
    pub value: Decimal,
}

/// The target in force at `at`: the value of the latest change with `effective_at <= at`.
///
/// `changes` need not be sorted. Among changes effective at the same instant the one later in
/// the slice wins, so appending a correction overrides what it corrects. `None` before the
/// first change.
pub fn target_as_of(changes: &[TargetChange], at: DateTime<Utc>) -> Option<Decimal> {
    changes
        .iter()
        .filter(|change| change.effective_at <= at)
        .fold(None::<&TargetChange>, |latest, change| match latest {
            Some(latest) if latest.effective_at > change.effective_at => Some(latest),
            _ => Some(change),
        })
        .map(|change| change.value)
}

/// How a team's target compares with the sum of its members' targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AllocationGap {
    /// The team's own target.
    pub team_target: Decimal,
    /// The sum of the members' targets.
    pub members_total: Decimal,
    /// `team_target − members_total`: positive when under-allocated (members carry less than
    /// the team owes), negative when over-allocated, zero when fully allocated.
    pub gap: Decimal,
}

/// Compares a team's target with its members' targets: `gap = team_target − Σ member_targets`.
///
/// A positive gap means the team is under-allocated, a negative one over-allocated. Sums beyond
/// a decimal's range saturate rather than panic.
pub fn allocation_gap(team_target: Decimal, member_targets: &[Decimal]) -> AllocationGap {
    let members_total = member_targets
        .iter()
        .fold(Decimal::ZERO, |sum, target| sum.saturating_add(*target));
    AllocationGap {
        team_target,
        members_total,
        gap: team_target.saturating_sub(members_total),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(secs, 0).unwrap()
    }

    fn change(secs: i64, value: i64) -> TargetChange {
        TargetChange {
            effective_at: at(secs),
            value: Decimal::from(value),
        }
    }

    #[test]
    fn the_latest_change_at_or_before_the_instant_applies() {
        let changes = [change(200, 2), change(100, 1), change(300, 3)];
        assert_eq!(target_as_of(&changes, at(99)), None);
        assert_eq!(target_as_of(&changes, at(100)), Some(Decimal::from(1)));
        assert_eq!(target_as_of(&changes, at(250)), Some(Decimal::from(2)));
        assert_eq!(target_as_of(&changes, at(300)), Some(Decimal::from(3)));
        assert_eq!(target_as_of(&changes, at(10_000)), Some(Decimal::from(3)));
        assert_eq!(target_as_of(&[], at(0)), None);
    }

    #[test]
    fn a_later_entry_at_the_same_instant_overrides() {
        let changes = [change(100, 1), change(100, 7), change(50, 9)];
        assert_eq!(target_as_of(&changes, at(100)), Some(Decimal::from(7)));
    }

    #[test]
    fn the_gap_says_how_much_is_left_to_allocate() {
        let members = [Decimal::new(40_000, 0), Decimal::new(35_500, 0)];
        let under = allocation_gap(Decimal::new(100_000, 0), &members);
        assert_eq!(under.members_total, Decimal::new(75_500, 0));
        assert_eq!(under.gap, Decimal::new(24_500, 0));
        let over = allocation_gap(Decimal::new(70_000, 0), &members);
        assert_eq!(over.gap, Decimal::new(-5_500, 0));
        let none = allocation_gap(Decimal::new(1_234, 1), &[]);
        assert_eq!((none.members_total, none.gap), (Decimal::ZERO, Decimal::new(1_234, 1)));
    }

    /// Few distinct instants, so changes often coincide.
    fn any_changes(len: std::ops::Range<usize>) -> impl Strategy<Value = Vec<TargetChange>> {
        proptest::collection::vec((0..20_i64, -1_000..1_000_i64), len)
            .prop_map(|pairs| pairs.into_iter().map(|(secs, value)| change(secs, value)).collect())
    }

    proptest! {
        #[test]
        fn at_a_change_the_last_change_at_that_instant_applies(changes in any_changes(1..12), pick in any::<prop::sample::Index>()) {
            let instant = changes[pick.index(changes.len())].effective_at;
            let last_there = changes.iter().rev().find(|c| c.effective_at == instant).map(|c| c.value);
            prop_assert_eq!(target_as_of(&changes, instant), last_there);
        }

        #[test]
        fn once_a_target_applies_one_always_does(changes in any_changes(0..12), a in -5..25_i64, b in -5..25_i64) {
            let (early, late) = (at(a.min(b)), at(a.max(b)));
            if target_as_of(&changes, early).is_some() {
                prop_assert!(target_as_of(&changes, late).is_some());
            }
            let first = changes.iter().map(|c| c.effective_at).min();
            prop_assert_eq!(target_as_of(&changes, early).is_none(), first.is_none_or(|f| early < f));
        }

        #[test]
        fn rising_targets_read_as_rising_over_time(secs in proptest::collection::vec(0..20_i64, 0..12), a in -5..25_i64, b in -5..25_i64) {
            // Each change's value is its own instant, so the value in force can only grow.
            let changes: Vec<TargetChange> = secs.iter().map(|&s| change(s, s)).collect();
            let (early, late) = (at(a.min(b)), at(a.max(b)));
            if let (Some(x), Some(y)) = (target_as_of(&changes, early), target_as_of(&changes, late)) {
                prop_assert!(x <= y);
            }
        }

        #[test]
        fn gap_and_members_make_up_the_team_target(
            team in -1_000_000_000_000_i64..1_000_000_000_000,
            members in proptest::collection::vec(-1_000_000_000_i64..1_000_000_000, 0..50),
        ) {
            let members: Vec<Decimal> = members.into_iter().map(|m| Decimal::new(m, 2)).collect();
            let team_target = Decimal::new(team, 2);
            let result = allocation_gap(team_target, &members);
            prop_assert_eq!(result.gap + result.members_total, team_target);
            prop_assert_eq!(result.members_total, members.iter().sum::<Decimal>());
        }
    }
}

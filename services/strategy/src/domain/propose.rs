//! Next period's target for an owner, from a forecast of their own history and how they did
//! against past targets.

use rust_decimal::Decimal;

/// The stretch added for owners who have met their targets on average.
pub const STRETCH: Decimal = Decimal::from_parts(5, 0, 0, false, 2);

/// The proposed target: the forecast's point, stretched by [`STRETCH`] when past attainment
/// averages 100% or more, never above the interval's upper bound nor below zero; whole units.
pub fn proposed_target(point: Decimal, upper: Decimal, past_attainment: Option<Decimal>) -> Decimal {
    let stretched = match past_attainment {
        Some(attained) if attained >= Decimal::ONE_HUNDRED => point * (Decimal::ONE + STRETCH),
        _ => point,
    };
    stretched.min(upper.max(point)).max(Decimal::ZERO).round_dp(0)
}

/// Mean attainment in percent over past (actual, target) pairs with positive targets.
pub fn mean_attainment(pairs: &[(Decimal, Decimal)]) -> Option<Decimal> {
    let rates: Vec<Decimal> = pairs
        .iter()
        .filter(|(_, target)| *target > Decimal::ZERO)
        .map(|(actual, target)| actual / target * Decimal::ONE_HUNDRED)
        .collect();
    (!rates.is_empty()).then(|| (rates.iter().sum::<Decimal>() / Decimal::from(rates.len() as u64)).round_dp(2))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn achievers_are_stretched_within_the_interval() {
        let d = |v: i64| Decimal::from(v);
        assert_eq!(proposed_target(d(1000), d(1200), Some(d(110))), d(1050));
        assert_eq!(proposed_target(d(1000), d(1020), Some(d(110))), d(1020));
        assert_eq!(proposed_target(d(1000), d(1200), Some(d(90))), d(1000));
        assert_eq!(proposed_target(d(1000), d(1200), None), d(1000));
        assert_eq!(proposed_target(d(-5), d(10), None), d(0));
        assert_eq!(
            mean_attainment(&[(d(90), d(100)), (d(110), d(100)), (d(5), d(0))]),
            Some(d(100))
        );
        assert_eq!(mean_attainment(&[]), None);
    }

    proptest! {
        #[test]
        fn a_proposal_lies_between_the_point_and_the_upper_bound(
            point in 0i64..10_000_000, spread in 0i64..1_000_000, attained in proptest::option::of(0i64..300),
        ) {
            let (point, upper) = (Decimal::from(point), Decimal::from(point + spread));
            let proposed = proposed_target(point, upper, attained.map(Decimal::from));
            prop_assert!(proposed >= point.round_dp(0) && proposed <= upper);
        }
    }
}

//! Rollup amounts as integers: ten-thousandths of a currency unit (or of a product unit), so
//! both databases add them exactly and fast. A sale line's value is rounded half away from zero
//! to four places once, when it is booked; every sum after that is exact.

use rust_decimal::{Decimal, RoundingStrategy};

/// Decimal places kept in rollups.
pub const SCALE: u32 = 4;

/// `value` rounded to [`SCALE`] places, as an integer count of 10⁻⁴; `None` beyond `i64`.
pub fn to_units(value: Decimal) -> Option<i64> {
    let mut rounded = value.round_dp_with_strategy(SCALE, RoundingStrategy::MidpointAwayFromZero);
    rounded.rescale(SCALE);
    i64::try_from(rounded.mantissa()).ok()
}

/// The decimal a count of 10⁻⁴ stands for, normalised (no trailing zeros).
pub fn from_units(units: i64) -> Decimal {
    Decimal::new(units, SCALE).normalize()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn dec(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn rounds_half_away_from_zero_to_four_places() {
        assert_eq!(to_units(dec("1.23455")), Some(12346));
        assert_eq!(to_units(dec("-1.23455")), Some(-12346));
        assert_eq!(to_units(dec("1000")), Some(10_000_000));
        assert_eq!(from_units(12346), dec("1.2346"));
        assert_eq!(from_units(10_000_000).to_string(), "1000");
    }

    #[test]
    fn refuses_what_an_i64_cannot_hold() {
        assert_eq!(to_units(dec("1e20")), None);
    }

    proptest! {
        #[test]
        fn four_place_values_round_trip(units in -1_000_000_000_000i64..1_000_000_000_000) {
            prop_assert_eq!(to_units(from_units(units)), Some(units));
        }
    }
}

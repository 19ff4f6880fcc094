//! Money: an ISO-4217 currency and an exact decimal amount, and its google.type.Money wire form.

use std::fmt;

use rust_decimal::Decimal;

/// The most decimal places google.type.Money can carry (nanos).
const MAX_SCALE: u32 = 9;
const NANOS_PER_UNIT: i128 = 1_000_000_000;

/// Why an amount of money could not be built, converted or combined.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    /// The currency is not three uppercase ASCII letters.
    #[error("invalid currency code {0:?}; expected three uppercase ASCII letters (ISO 4217), e.g. \"USD\"")]
    InvalidCurrency(String),
    /// `nanos` is outside `-999_999_999..=999_999_999`.
    #[error("nanos {0} out of range; expected -999999999..=999999999")]
    NanosOutOfRange(i32),
    /// `units` and `nanos` disagree in sign, which google.type.Money forbids.
    #[error("units {units} and nanos {nanos} have opposite signs")]
    MixedSigns {
        /// The whole units given.
        units: i64,
        /// The nanos given.
        nanos: i32,
    },
    /// Two amounts in different currencies were to be combined.
    #[error("cannot combine {left} with {right}: amounts in different currencies are never summed")]
    CurrencyMismatch {
        /// The currency of the left-hand amount.
        left: String,
        /// The currency of the right-hand amount.
        right: String,
    },
    /// The amount has more decimal places than nanos can carry; rounding is the caller's decision.
    #[error("amount {0} has more than 9 decimal places")]
    TooPrecise(Decimal),
    /// The amount's whole units do not fit in an `i64`.
    #[error("amount {0} does not fit in 64-bit units")]
    OutOfRange(Decimal),
    /// A sum exceeded the range of a decimal.
    #[error("sum overflows the range of a decimal")]
    Overflow,
}

/// Checks that `code` looks like an ISO-4217 code: exactly three uppercase ASCII letters.
///
/// Membership in the ISO list is not checked, so newly issued codes need no release of Lacak.
pub fn validate_currency_code(code: &str) -> Result<(), MoneyError> {
    if code.len() == 3 && code.bytes().all(|b| b.is_ascii_uppercase()) {
        Ok(())
    } else {
        Err(MoneyError::InvalidCurrency(code.to_owned()))
    }
}

/// An exact amount in one currency.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Money {
    /// ISO-4217 code: three uppercase ASCII letters.
    pub currency: String,
    /// The amount, never a float.
    pub amount: Decimal,
}

impl Money {
    /// An amount in `currency`, once the code is known to be well formed.
    pub fn new(currency: &str, amount: Decimal) -> Result<Money, MoneyError> {
        validate_currency_code(currency)?;
        Ok(Money {
            currency: currency.to_owned(),
            amount,
        })
    }

    /// Reads google.type.Money: `units` whole units plus `nanos` billionths, both of one sign.
    pub fn from_units_nanos(currency: &str, units: i64, nanos: i32) -> Result<Money, MoneyError> {
        validate_currency_code(currency)?;
        if i128::from(nanos).abs() >= NANOS_PER_UNIT {
            return Err(MoneyError::NanosOutOfRange(nanos));
        }
        if (units > 0 && nanos < 0) || (units < 0 && nanos > 0) {
            return Err(MoneyError::MixedSigns { units, nanos });
        }
        // |units| * 10^9 stays below 2^93, inside a decimal's 96-bit mantissa.
        let total = i128::from(units) * NANOS_PER_UNIT + i128::from(nanos);
        let amount = Decimal::try_from_i128_with_scale(total, MAX_SCALE)
            .map_err(|_| MoneyError::OutOfRange(Decimal::from(units)))?
            .normalize();
        Ok(Money {
            currency: currency.to_owned(),
            amount,
        })
    }

    /// Writes google.type.Money's `(units, nanos)`; never rounds.
    pub fn to_units_nanos(&self) -> Result<(i64, i32), MoneyError> {
        let amount = self.amount.normalize();
        let scale = amount.scale();
        if scale > MAX_SCALE {
            return Err(MoneyError::TooPrecise(self.amount));
        }
        // A 96-bit mantissa times at most 10^9 fits comfortably in an i128.
        let total = amount.mantissa() * 10_i128.pow(MAX_SCALE - scale);
        let units = i64::try_from(total / NANOS_PER_UNIT).map_err(|_| MoneyError::OutOfRange(self.amount))?;
        let nanos = i32::try_from(total % NANOS_PER_UNIT).map_err(|_| MoneyError::OutOfRange(self.amount))?;
        Ok((units, nanos))
    }

    /// The sum of two amounts in the same currency.
    pub fn checked_add(&self, other: &Money) -> Result<Money, MoneyError> {
        if self.currency != other.currency {
            return Err(MoneyError::CurrencyMismatch {
                left: self.currency.clone(),
                right: other.currency.clone(),
            });
        }
        let amount = self.amount.checked_add(other.amount).ok_or(MoneyError::Overflow)?;
        Ok(Money {
            currency: self.currency.clone(),
            amount,
        })
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.amount, self.currency)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn dec(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn currency_codes_are_three_uppercase_letters() {
        assert!(validate_currency_code("IDR").is_ok());
        for bad in ["", "usd", "US", "USDT", "U$D", "ÜSD"] {
            assert_eq!(
                validate_currency_code(bad),
                Err(MoneyError::InvalidCurrency(bad.to_owned())),
                "{bad:?}"
            );
        }
        assert!(Money::new("eur", Decimal::ONE).is_err());
    }

    #[test]
    fn units_and_nanos_read_as_google_type_money() {
        let m = Money::from_units_nanos("USD", 12, 500_000_000).unwrap();
        assert_eq!(m.amount, dec("12.5"));
        let m = Money::from_units_nanos("USD", -1, -750_000_000).unwrap();
        assert_eq!(m.amount, dec("-1.75"));
        let m = Money::from_units_nanos("USD", 0, -1).unwrap();
        assert_eq!(m.amount, dec("-0.000000001"));
        let m = Money::from_units_nanos("USD", i64::MAX, 999_999_999).unwrap();
        assert_eq!(m.to_units_nanos().unwrap(), (i64::MAX, 999_999_999));
    }

    #[test]
    fn malformed_units_and_nanos_are_rejected() {
        let usd = |units, nanos| Money::from_units_nanos("USD", units, nanos);
        assert!(matches!(usd(1, -5), Err(MoneyError::MixedSigns { .. })));
        assert!(matches!(usd(-1, 5), Err(MoneyError::MixedSigns { .. })));
        assert_eq!(usd(0, 1_000_000_000), Err(MoneyError::NanosOutOfRange(1_000_000_000)));
        assert_eq!(usd(0, i32::MIN), Err(MoneyError::NanosOutOfRange(i32::MIN)));
    }

    #[test]
    fn writing_units_and_nanos_never_rounds() {
        let m = Money::new("JPY", dec("-3.250")).unwrap();
        assert_eq!(m.to_units_nanos(), Ok((-3, -250_000_000)));
        // Trailing zeros beyond nine places lose nothing, so they are accepted.
        let m = Money::new("JPY", dec("1.0000000010")).unwrap();
        assert_eq!(m.to_units_nanos(), Ok((1, 1)));
        let m = Money::new("JPY", dec("0.0000000001")).unwrap();
        assert_eq!(m.to_units_nanos(), Err(MoneyError::TooPrecise(dec("0.0000000001"))));
        let m = Money::new("JPY", Decimal::MAX).unwrap();
        assert_eq!(m.to_units_nanos(), Err(MoneyError::OutOfRange(Decimal::MAX)));
    }

    #[test]
    fn only_amounts_in_one_currency_are_summed() {
        let a = Money::new("IDR", dec("1500.25")).unwrap();
        let b = Money::new("IDR", dec("-0.25")).unwrap();
        assert_eq!(a.checked_add(&b).unwrap().amount, dec("1500"));
        let usd = Money::new("USD", Decimal::ONE).unwrap();
        assert_eq!(
            a.checked_add(&usd).unwrap_err().to_string(),
            "cannot combine IDR with USD: amounts in different currencies are never summed"
        );
        let max = Money::new("IDR", Decimal::MAX).unwrap();
        assert_eq!(max.checked_add(&max), Err(MoneyError::Overflow));
    }

    /// Decimals with at most nine places whose units fit in an i64.
    fn wire_amount() -> impl Strategy<Value = Decimal> {
        let reach = i128::from(i64::MAX) * NANOS_PER_UNIT + NANOS_PER_UNIT - 1;
        (-reach..=reach, 0..=MAX_SCALE).prop_map(|(nanos, scale)| {
            let d = Decimal::from_i128_with_scale(nanos, MAX_SCALE);
            // Fewer places too, truncating toward zero so the units stay in range.
            d.round_dp_with_strategy(scale, rust_decimal::RoundingStrategy::ToZero)
        })
    }

    proptest! {
        #[test]
        fn units_nanos_round_trip(amount in wire_amount()) {
            let m = Money::new("EUR", amount).unwrap();
            let (units, nanos) = m.to_units_nanos().unwrap();
            prop_assert!(units == 0 || nanos == 0 || (units > 0) == (nanos > 0));
            prop_assert_eq!(Money::from_units_nanos("EUR", units, nanos).unwrap(), m);
        }

        #[test]
        fn valid_wire_values_round_trip(units in any::<i64>(), nanos in 0..1_000_000_000_i32) {
            let nanos = if units < 0 { -nanos } else { nanos };
            let m = Money::from_units_nanos("EUR", units, nanos).unwrap();
            prop_assert_eq!(m.to_units_nanos().unwrap(), (units, nanos));
        }
    }
}

//! Conversions between the common proto types (money, decimals, measures, timestamps) and Rust.

use chrono::{DateTime, Utc};
use lacak_domain::money::Money;
use lacak_proto::common as pb;
use rust_decimal::Decimal;

use crate::error::FieldViolation;

/// An exact decimal from `Decimal { value }`; `field` names it in the violation.
pub fn decimal_from_proto(value: &pb::Decimal, field: &str) -> Result<Decimal, FieldViolation> {
    parse_decimal(&value.value, field)
}

/// An exact decimal in plain notation ("1250.50", "-3"); scientific notation is refused so that
/// every client writes amounts the same way.
pub fn parse_decimal(text: &str, field: &str) -> Result<Decimal, FieldViolation> {
    let text = text.trim();
    if text.is_empty() {
        return Err(FieldViolation::new(field, "is required: a decimal such as \"1250.50\""));
    }
    let scientific = text.contains(['e', 'E']);
    match (text.parse::<Decimal>(), Decimal::from_scientific(text)) {
        (Ok(value), _) if !scientific => Ok(value),
        (_, Ok(_)) if scientific => Err(FieldViolation::new(
            field,
            "must be plain decimal notation, not scientific",
        )),
        _ => Err(FieldViolation::new(field, format!("{text:?} is not a decimal number"))),
    }
}

pub fn decimal_to_proto(value: Decimal) -> pb::Decimal {
    pb::Decimal {
        value: value.normalize().to_string(),
    }
}

/// Money from proto; a violation names the part at fault (`<field>.currency_code`, `<field>.nanos`).
pub fn money_from_proto(value: &pb::Money, field: &str) -> Result<Money, FieldViolation> {
    use lacak_domain::MoneyError;
    Money::from_units_nanos(&value.currency_code, value.units, value.nanos).map_err(|e| {
        let part = match e {
            MoneyError::InvalidCurrency(_) => format!("{field}.currency_code"),
            MoneyError::NanosOutOfRange(_) | MoneyError::MixedSigns { .. } => format!("{field}.nanos"),
            _ => field.to_owned(),
        };
        FieldViolation::new(part, e.to_string())
    })
}

/// Money as proto; amounts beyond the proto's range or precision are a bug upstream, reported as such.
pub fn money_to_proto(value: &Money) -> pb::Money {
    let (units, nanos) = value.to_units_nanos().unwrap_or_else(|_| {
        tracing::error!(amount = %value.amount, "money out of proto range; rounding");
        let rounded = Money {
            currency: value.currency.clone(),
            amount: value.amount.round_dp(9),
        };
        rounded.to_units_nanos().unwrap_or((0, 0))
    });
    pb::Money {
        currency_code: value.currency.clone(),
        units,
        nanos,
    }
}

/// A measure as Rust: an amount and, for money, its currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Measure {
    Money(Money),
    Quantity(Decimal),
}

impl Measure {
    pub fn amount(&self) -> Decimal {
        match self {
            Measure::Money(m) => m.amount,
            Measure::Quantity(q) => *q,
        }
    }

    pub fn currency(&self) -> Option<&str> {
        match self {
            Measure::Money(m) => Some(&m.currency),
            Measure::Quantity(_) => None,
        }
    }

    /// The same kind of measure with another amount.
    pub fn with_amount(&self, amount: Decimal) -> Measure {
        match self {
            Measure::Money(m) => Measure::Money(Money {
                currency: m.currency.clone(),
                amount,
            }),
            Measure::Quantity(_) => Measure::Quantity(amount),
        }
    }
}

pub fn measure_from_proto(value: Option<&pb::Measure>, field: &str) -> Result<Measure, FieldViolation> {
    match value.and_then(|m| m.kind.as_ref()) {
        None => Err(FieldViolation::new(field, "is required: set `money` or `quantity`")),
        Some(pb::measure::Kind::Money(money)) => money_from_proto(money, &format!("{field}.money")).map(Measure::Money),
        Some(pb::measure::Kind::Quantity(quantity)) => {
            decimal_from_proto(quantity, &format!("{field}.quantity.value")).map(Measure::Quantity)
        }
    }
}

pub fn measure_to_proto(value: &Measure) -> pb::Measure {
    pb::Measure {
        kind: Some(match value {
            Measure::Money(m) => pb::measure::Kind::Money(money_to_proto(m)),
            Measure::Quantity(q) => pb::measure::Kind::Quantity(decimal_to_proto(*q)),
        }),
    }
}

pub fn timestamp_to_proto(value: DateTime<Utc>) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: value.timestamp(),
        nanos: value.timestamp_subsec_nanos() as i32,
    }
}

/// The first instant a request may name: 1900-01-01T00:00:00Z.
pub const EARLIEST_SECONDS: i64 = -2_208_988_800;
/// The first instant after those a request may name: 10000-01-01T00:00:00Z.
pub const AFTER_LATEST_SECONDS: i64 = 253_402_300_800;

/// An instant from proto, cut to the microsecond: PostgreSQL keeps no finer, and an instant must
/// read back as it was written on every database. Instants before 1900 or after 9999 are refused:
/// none is a sales record's, and beyond them databases and clients disagree on what they mean.
pub fn timestamp_from_proto(value: &prost_types::Timestamp, field: &str) -> Result<DateTime<Utc>, FieldViolation> {
    if !(0..1_000_000_000).contains(&value.nanos) {
        return Err(FieldViolation::new(field, "nanos must be within 0..=999,999,999"));
    }
    if !(EARLIEST_SECONDS..AFTER_LATEST_SECONDS).contains(&value.seconds) {
        return Err(FieldViolation::new(
            field,
            "must lie between 1900-01-01T00:00:00Z and 9999-12-31T23:59:59Z",
        ));
    }
    DateTime::from_timestamp(value.seconds, (value.nanos / 1000 * 1000) as u32)
        .ok_or_else(|| FieldViolation::new(field, "is outside the supported range of instants"))
}

/// A chrono duration as a protobuf duration (seconds and nanoseconds of the same sign).
pub fn duration_to_proto(duration: chrono::Duration) -> prost_types::Duration {
    prost_types::Duration {
        seconds: duration.num_seconds(),
        nanos: duration.subsec_nanos(),
    }
}

/// Now, to the microsecond, like every stored instant.
pub fn now() -> DateTime<Utc> {
    use chrono::SubsecRound;
    Utc::now().trunc_subsecs(6)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64) -> prost_types::Timestamp {
        prost_types::Timestamp { seconds, nanos: 0 }
    }

    #[test]
    fn instants_from_1900_to_9999_are_read_and_others_refused_naming_the_field() {
        let first = timestamp_from_proto(&at(EARLIEST_SECONDS), "sale.book_time").unwrap();
        assert_eq!(first.to_rfc3339(), "1900-01-01T00:00:00+00:00");
        let last = timestamp_from_proto(&at(AFTER_LATEST_SECONDS - 1), "sale.book_time").unwrap();
        assert_eq!(last.to_rfc3339(), "9999-12-31T23:59:59+00:00");
        // 1899-12-31T23:59:59Z, 10000-01-01, and the year −262143 a client once sent.
        for seconds in [EARLIEST_SECONDS - 1, AFTER_LATEST_SECONDS, -8_334_632_851_200] {
            let refused = timestamp_from_proto(&at(seconds), "sale.book_time").unwrap_err();
            assert_eq!(refused.field, "sale.book_time");
        }
    }
}

//! Reading numbers out of the other services' messages, and writing strategy's own.

use lacak_domain::Money;
use lacak_proto::common as cpb;
use lacak_runtime::convert::{decimal_from_proto, decimal_to_proto, money_from_proto, money_to_proto};
use rust_decimal::Decimal;

/// A money amount, 0 when missing or unreadable.
pub fn amount(money: &Option<cpb::Money>) -> Decimal {
    money
        .as_ref()
        .and_then(|m| money_from_proto(m, "money").ok())
        .map(|m| m.amount)
        .unwrap_or_default()
}

/// A measure's value, money or quantity.
pub fn measure(value: &Option<cpb::Measure>) -> Option<Decimal> {
    match value.as_ref()?.kind.as_ref()? {
        cpb::measure::Kind::Money(money) => money_from_proto(money, "money").ok().map(|m| m.amount),
        cpb::measure::Kind::Quantity(quantity) => decimal_from_proto(quantity, "quantity").ok(),
    }
}

pub fn decimal(value: &Option<cpb::Decimal>) -> Option<Decimal> {
    value.as_ref().and_then(|d| decimal_from_proto(d, "decimal").ok())
}

pub fn to_decimal(value: Decimal) -> Option<cpb::Decimal> {
    Some(decimal_to_proto(value.normalize()))
}

pub fn to_money(currency: &str, amount: Decimal) -> Option<cpb::Money> {
    Some(money_to_proto(&Money {
        currency: currency.to_owned(),
        amount: amount.round_dp(9),
    }))
}

/// Whether a quota's scope is the whole business (unset, or set with nothing in it).
pub fn unscoped(scope: &Option<cpb::Scope>) -> bool {
    scope.as_ref().is_none_or(|s| {
        s.product.is_empty() && s.product_category.is_empty() && s.region.is_empty() && s.segment.is_empty()
    })
}

/// A quantity, 0 when missing or unreadable.
pub fn quantity(value: &Option<cpb::Decimal>) -> Decimal {
    decimal(value).unwrap_or_default()
}

/// A value of `metric` as a quota holds it: money for revenue and gross margin, else a quantity.
pub fn to_measure(metric: lacak_proto::goals::Metric, currency: &str, value: Decimal) -> Option<cpb::Measure> {
    use lacak_proto::goals::Metric;
    let kind = match metric {
        Metric::Revenue | Metric::GrossMargin => cpb::measure::Kind::Money(to_money(currency, value)?),
        _ => cpb::measure::Kind::Quantity(to_decimal(value)?),
    };
    Some(cpb::Measure { kind: Some(kind) })
}

//! The open pipeline: its value, its probability-weighted value, and how well it covers what is left to sell.

use rust_decimal::Decimal;

use super::{KpiError, check_percent, check_same_currency, money_sub, round_quotient, sum_money_in};
use crate::Money;

/// Open pipeline: `Σ amount` of the open deals, all in `currency`; zero when none are open.
pub fn open_pipeline<'a>(currency: &str, open_amounts: impl IntoIterator<Item = &'a Money>) -> Result<Money, KpiError> {
    sum_money_in(currency, open_amounts)
}

/// Weighted pipeline: `Σ amount × weight / 100` over the open deals, each weight (a stage
/// probability or a forecast-category weight) a percentage in `0..=100`; zero when none are open.
pub fn weighted_pipeline<'a>(
    currency: &str,
    open_deals: impl IntoIterator<Item = (&'a Money, Decimal)>,
) -> Result<Money, KpiError> {
    let mut total = Money::new(currency, Decimal::ZERO)?;
    for (amount, weight) in open_deals {
        let fraction = check_percent(weight)? / Decimal::ONE_HUNDRED;
        let weighted = Money {
            currency: amount.currency.clone(),
            amount: amount.amount.checked_mul(fraction).ok_or(KpiError::Overflow)?,
        };
        total = total.checked_add(&weighted)?;
    }
    Ok(total)
}

/// Remaining quota: `target − actual`; negative once the target is exceeded.
pub fn remaining_quota(target: &Money, actual: &Money) -> Result<Money, KpiError> {
    money_sub(target, actual)
}

/// Pipeline coverage, a ratio (3 reads "3×"): `open_pipeline / (target − actual)`.
///
/// `None` when nothing remains to sell (`target − actual ≤ 0`): coverage of nothing means nothing.
pub fn pipeline_coverage(open_pipeline: &Money, target: &Money, actual: &Money) -> Result<Option<Decimal>, KpiError> {
    let remaining = remaining_quota(target, actual)?;
    check_same_currency(open_pipeline, &remaining)?;
    if remaining.amount <= Decimal::ZERO {
        return Ok(None);
    }
    let ratio = open_pipeline
        .amount
        .checked_div(remaining.amount)
        .ok_or(KpiError::Overflow)?;
    Ok(Some(round_quotient(ratio)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn idr(s: &str) -> Money {
        Money::new("IDR", dec(s)).unwrap()
    }

    fn usd(s: &str) -> Money {
        Money::new("USD", dec(s)).unwrap()
    }

    #[test]
    fn open_pipeline_sums_open_deals_in_one_currency() {
        // 10,000 + 25,000 + 5,000.50 = 40,000.50.
        let open = [idr("10000"), idr("25000"), idr("5000.50")];
        assert_eq!(open_pipeline("IDR", &open), Ok(idr("40000.50")));
        assert_eq!(open_pipeline("IDR", &[]), Ok(idr("0")));
        assert!(matches!(
            open_pipeline("IDR", &[idr("1"), usd("1")]),
            Err(KpiError::CurrencyMismatch { .. })
        ));
    }

    #[test]
    fn weighted_pipeline_weighs_each_deal_by_its_probability() {
        let (a, b, c) = (idr("10000"), idr("25000"), idr("5000"));
        // 10,000 × 10% + 25,000 × 60% + 5,000 × 100% = 1,000 + 15,000 + 5,000 = 21,000.
        let deals = [(&a, dec("10")), (&b, dec("60")), (&c, dec("100"))];
        assert_eq!(weighted_pipeline("IDR", deals), Ok(idr("21000")));
        // 333.33 × 33.3% = 110.99889: exact, not rounded.
        let odd = idr("333.33");
        assert_eq!(weighted_pipeline("IDR", [(&odd, dec("33.3"))]), Ok(idr("110.99889")));
        assert_eq!(weighted_pipeline("IDR", []), Ok(idr("0")));
        assert_eq!(
            weighted_pipeline("IDR", [(&a, dec("101"))]),
            Err(KpiError::PercentOutOfRange(dec("101")))
        );
        let dollars = usd("1");
        assert!(matches!(
            weighted_pipeline("IDR", [(&dollars, dec("50"))]),
            Err(KpiError::CurrencyMismatch { .. })
        ));
    }

    #[test]
    fn coverage_is_pipeline_over_what_remains_to_sell() {
        // Target 100,000, sold 40,000: 60,000 remains; 180,000 of pipeline covers it 3×.
        assert_eq!(remaining_quota(&idr("100000"), &idr("40000")), Ok(idr("60000")));
        assert_eq!(
            pipeline_coverage(&idr("180000"), &idr("100000"), &idr("40000")),
            Ok(Some(dec("3")))
        );
        // 50,000 / 60,000 = 0.833333333 (nine places).
        assert_eq!(
            pipeline_coverage(&idr("50000"), &idr("100000"), &idr("40000")),
            Ok(Some(dec("0.833333333")))
        );
        // No sales yet: the whole target remains; 0 pipeline covers 0×.
        assert_eq!(
            pipeline_coverage(&idr("0"), &idr("100000"), &idr("0")),
            Ok(Some(Decimal::ZERO))
        );
        // Target met or beaten: nothing remains, no coverage.
        assert_eq!(
            pipeline_coverage(&idr("5000"), &idr("100000"), &idr("100000")),
            Ok(None)
        );
        assert_eq!(remaining_quota(&idr("100000"), &idr("120000")), Ok(idr("-20000")));
        assert_eq!(
            pipeline_coverage(&idr("5000"), &idr("100000"), &idr("120000")),
            Ok(None)
        );
        assert!(matches!(
            pipeline_coverage(&usd("5000"), &idr("100000"), &idr("0")),
            Err(KpiError::CurrencyMismatch { .. })
        ));
        assert!(matches!(
            pipeline_coverage(&idr("5000"), &idr("100000"), &usd("0")),
            Err(KpiError::CurrencyMismatch { .. })
        ));
    }
}

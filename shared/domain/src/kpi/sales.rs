//! Sales credited to members by split shares: revenue, units, gross margin, margin % and deal size.

use rust_decimal::Decimal;

use super::{KpiError, check_percent, check_same_currency, money_sub, percent, round_quotient, sum_money};
use crate::{Money, SeasonalProfile, distribute};

/// One member's percentage of a sale line's credit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreditShare {
    /// The member credited.
    pub member_id: String,
    /// Their share, 0..=100; the shares of a line sum to exactly 100.
    pub percent: Decimal,
}

/// A sold line item, with the cost captured at the time of sale and who gets credit for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SaleLine {
    /// Net revenue of the line (after discounts); negative for a return.
    pub revenue: Money,
    /// Cost of what was sold, as captured at the time of sale.
    pub cost: Money,
    /// Units sold.
    pub units: Decimal,
    /// Who is credited, by percentage; a member may appear more than once.
    pub credit: Vec<CreditShare>,
}

/// What a member or a group of members is credited with over some sale lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SalesTotals {
    /// Σ credited revenue.
    pub revenue: Money,
    /// Σ credited cost.
    pub cost: Money,
    /// `revenue − cost`.
    pub gross_margin: Money,
    /// Σ credited units.
    pub units: Decimal,
}

impl SalesTotals {
    /// `gross_margin / revenue × 100`; `None` when revenue is zero.
    pub fn gross_margin_percent(&self) -> Option<Decimal> {
        percent(self.gross_margin.amount, self.revenue.amount)
    }
}

/// One member's exact credit: `amount × share_percent / 100`, unrounded.
///
/// Exact (within a decimal's 28 places) because dividing by 100 only moves the decimal point, so the credits of shares that sum
/// to 100 always sum to the amount. `share_percent` must lie in `0..=100`.
pub fn credited_amount(amount: Decimal, share_percent: Decimal) -> Result<Decimal, KpiError> {
    let fraction = check_percent(share_percent)? / Decimal::ONE_HUNDRED;
    amount.checked_mul(fraction).ok_or(KpiError::Overflow)
}

/// Splits `amount` by `shares` (percentages summing to exactly 100) into amounts with `scale`
/// decimal places (2 for cents) that sum to exactly `amount` rounded to `scale`.
///
/// `credit_i = ⌊amount × share_i / 100⌋` at `scale`, then the units left over go one each to the
/// largest discarded remainders, ties to the earlier share (largest-remainder method, the same
/// rounding as [`distribute`]). Use it where credits are booked in minor units; the totals of
/// [`credited_sales`] use the exact credits instead.
pub fn split_credit(amount: Decimal, shares: &[Decimal], scale: u32) -> Result<Vec<Decimal>, KpiError> {
    let sum = check_shares(shares.iter().copied())?;
    let profile = SeasonalProfile::new(shares.to_vec(), shares.len()).map_err(|_| KpiError::SharesNot100(sum))?;
    Ok(distribute(amount, &profile, scale))
}

/// Revenue, cost, gross margin and units credited to the members `credited` accepts.
///
/// For each line, `p = Σ percent` of its shares held by accepted members; the line adds
/// `revenue × p / 100`, `cost × p / 100` and `units × p / 100`. So a 60/40 split of 1,000 credits
/// 600 and 400, and a team holding both members is credited 1,000, never 2,000. Every line, credited
/// or not, must be in `currency` and have valid shares: the lines are the report's scope.
pub fn credited_sales(
    lines: &[SaleLine],
    currency: &str,
    credited: impl Fn(&str) -> bool,
) -> Result<SalesTotals, KpiError> {
    let zero = Money::new(currency, Decimal::ZERO)?;
    let (mut revenue, mut cost, mut units) = (zero.clone(), zero, Decimal::ZERO);
    for line in lines {
        check_shares(line.credit.iter().map(|share| share.percent))?;
        let held: Decimal = line
            .credit
            .iter()
            .filter(|share| credited(&share.member_id))
            .map(|share| share.percent)
            .sum();
        revenue = revenue.checked_add(&credited_money(&line.revenue, held)?)?;
        cost = cost.checked_add(&credited_money(&line.cost, held)?)?;
        units = units
            .checked_add(credited_amount(line.units, held)?)
            .ok_or(KpiError::Overflow)?;
    }
    let gross_margin = money_sub(&revenue, &cost)?;
    Ok(SalesTotals {
        revenue,
        cost,
        gross_margin,
        units,
    })
}

/// Gross margin: `revenue − cost`.
pub fn gross_margin(revenue: &Money, cost: &Money) -> Result<Money, KpiError> {
    money_sub(revenue, cost)
}

/// Gross margin percentage: `margin / revenue × 100`; `None` when revenue is zero.
pub fn gross_margin_percent(revenue: &Money, margin: &Money) -> Result<Option<Decimal>, KpiError> {
    check_same_currency(revenue, margin)?;
    Ok(percent(margin.amount, revenue.amount))
}

/// Average deal size: `Σ won amounts / number of deals won`; `None` when none were won.
pub fn average_deal_size<'a>(won_amounts: impl IntoIterator<Item = &'a Money>) -> Result<Option<Money>, KpiError> {
    let mut count: u64 = 0;
    let total = sum_money(won_amounts.into_iter().inspect(|_| count += 1))?;
    Ok(total.map(|total| Money {
        amount: round_quotient(total.amount / Decimal::from(count)),
        currency: total.currency,
    }))
}

/// Checks each share is a percentage and that they sum to exactly 100; returns the sum.
fn check_shares(shares: impl IntoIterator<Item = Decimal>) -> Result<Decimal, KpiError> {
    let mut sum = Decimal::ZERO;
    for share in shares {
        // Each share is at most 100: no realistic number of them overflows the sum.
        sum += check_percent(share)?;
    }
    if sum == Decimal::ONE_HUNDRED {
        Ok(sum)
    } else {
        Err(KpiError::SharesNot100(sum))
    }
}

fn credited_money(amount: &Money, share_percent: Decimal) -> Result<Money, KpiError> {
    Ok(Money {
        currency: amount.currency.clone(),
        amount: credited_amount(amount.amount, share_percent)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn dec(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn decs(values: &[&str]) -> Vec<Decimal> {
        values.iter().map(|s| dec(s)).collect()
    }

    fn idr(s: &str) -> Money {
        Money::new("IDR", dec(s)).unwrap()
    }

    fn usd(s: &str) -> Money {
        Money::new("USD", dec(s)).unwrap()
    }

    fn line(revenue: &str, cost: &str, units: &str, credit: &[(&str, &str)]) -> SaleLine {
        SaleLine {
            revenue: idr(revenue),
            cost: idr(cost),
            units: dec(units),
            credit: credit
                .iter()
                .map(|(member, percent)| CreditShare {
                    member_id: (*member).to_owned(),
                    percent: dec(percent),
                })
                .collect(),
        }
    }

    #[test]
    fn each_member_is_credited_their_share() {
        // 1,000 × 60 / 100 = 600; 1,000 × 40 / 100 = 400; 100.01 × 33.33 / 100 = 33.333333.
        assert_eq!(credited_amount(dec("1000"), dec("60")), Ok(dec("600")));
        assert_eq!(credited_amount(dec("1000"), dec("40")), Ok(dec("400")));
        assert_eq!(credited_amount(dec("100.01"), dec("33.33")), Ok(dec("33.333333")));
        assert_eq!(
            credited_amount(dec("1000"), dec("100.5")),
            Err(KpiError::PercentOutOfRange(dec("100.5")))
        );
        assert_eq!(
            credited_amount(dec("1000"), dec("-1")),
            Err(KpiError::PercentOutOfRange(dec("-1")))
        );
    }

    #[test]
    fn a_split_in_cents_adds_up_to_the_amount() {
        let thirds = decs(&["33.3333", "33.3333", "33.3334"]);
        // Ideal: 33.3333, 33.3333, 33.3334 → floors 33.33 each (99.99), remainders .0033, .0033, .0034:
        // the third has the largest remainder and takes the cent left over.
        assert_eq!(
            split_credit(dec("100"), &thirds, 2),
            Ok(decs(&["33.33", "33.33", "33.34"]))
        );
        assert_eq!(
            split_credit(dec("1000"), &decs(&["60", "40"]), 2),
            Ok(decs(&["600", "400"]))
        );
        // A return splits the same way: −10.01 × 50% = −5.005, floored to −5.01 each (−10.02); the
        // cent left over goes to the tied remainders' earlier share: −5.00 and −5.01.
        assert_eq!(
            split_credit(dec("-10.01"), &decs(&["50", "50"]), 2),
            Ok(decs(&["-5.00", "-5.01"]))
        );
        assert_eq!(
            split_credit(dec("10"), &decs(&["60", "60"]), 2),
            Err(KpiError::SharesNot100(dec("120")))
        );
        assert_eq!(
            split_credit(dec("10"), &[], 2),
            Err(KpiError::SharesNot100(Decimal::ZERO))
        );
        assert_eq!(
            split_credit(dec("10"), &decs(&["110", "-10"]), 2),
            Err(KpiError::PercentOutOfRange(dec("110")))
        );
    }

    #[test]
    fn a_split_line_counts_once_for_the_team_and_by_share_for_each_member() {
        let lines = [
            // 1,000 revenue, 700 cost, 10 units, split 60/40 between ana and budi.
            line("1000", "700", "10", &[("ana", "60"), ("budi", "40")]),
            // 500 revenue, 200 cost, 2 units, all budi's.
            line("500", "200", "2", &[("budi", "100")]),
        ];
        let ana = credited_sales(&lines, "IDR", |m| m == "ana").unwrap();
        // ana: revenue 600, cost 420, margin 180, units 6; margin % = 180 / 600 × 100 = 30.
        assert_eq!(
            (
                ana.revenue.clone(),
                ana.cost.clone(),
                ana.gross_margin.clone(),
                ana.units
            ),
            (idr("600"), idr("420"), idr("180"), dec("6"))
        );
        assert_eq!(ana.gross_margin_percent(), Some(dec("30")));
        let budi = credited_sales(&lines, "IDR", |m| m == "budi").unwrap();
        // budi: 400 + 500 = 900 revenue, 280 + 200 = 480 cost, 420 margin, 4 + 2 = 6 units.
        assert_eq!(
            (budi.revenue, budi.gross_margin, budi.units),
            (idr("900"), idr("420"), dec("6"))
        );
        let team = credited_sales(&lines, "IDR", |m| m == "ana" || m == "budi").unwrap();
        // The team: 1,000 + 500 = 1,500, not 1,000 + 1,000 + 500.
        assert_eq!(
            (team.revenue, team.cost, team.units),
            (idr("1500"), idr("900"), dec("12"))
        );
        let nobody = credited_sales(&lines, "IDR", |_| false).unwrap();
        assert_eq!((nobody.gross_margin_percent(), nobody.revenue), (None, idr("0")));
    }

    #[test]
    fn credited_sales_reject_mixed_currencies_and_bad_splits() {
        let mut foreign = line("10", "5", "1", &[("ana", "100")]);
        foreign.revenue = usd("10");
        assert!(matches!(
            credited_sales(&[foreign], "IDR", |_| true),
            Err(KpiError::CurrencyMismatch { .. })
        ));
        let unsplit = line("10", "5", "1", &[("ana", "60"), ("budi", "30")]);
        // Even a line nobody asked about must be whole: 60 + 30 = 90.
        assert_eq!(
            credited_sales(&[unsplit], "IDR", |_| false),
            Err(KpiError::SharesNot100(dec("90")))
        );
    }

    #[test]
    fn gross_margin_and_its_percentage() {
        // 1,200 − 900 = 300; 300 / 1,200 × 100 = 25.
        assert_eq!(gross_margin(&idr("1200"), &idr("900")), Ok(idr("300")));
        assert_eq!(gross_margin_percent(&idr("1200"), &idr("300")), Ok(Some(dec("25"))));
        // Sold below cost: 100 − 150 = −50; −50 / 100 × 100 = −50.
        assert_eq!(gross_margin_percent(&idr("100"), &idr("-50")), Ok(Some(dec("-50"))));
        assert_eq!(gross_margin_percent(&idr("0"), &idr("0")), Ok(None));
        assert!(matches!(
            gross_margin(&idr("1"), &usd("1")),
            Err(KpiError::CurrencyMismatch { .. })
        ));
        assert!(matches!(
            gross_margin_percent(&idr("1"), &usd("1")),
            Err(KpiError::CurrencyMismatch { .. })
        ));
    }

    #[test]
    fn average_deal_size_is_won_amount_over_deals_won() {
        // (1,000 + 2,000 + 4,000) / 3 = 2,333.333333333 (nine places).
        let won = [idr("1000"), idr("2000"), idr("4000")];
        assert_eq!(average_deal_size(&won), Ok(Some(idr("2333.333333333"))));
        assert_eq!(average_deal_size(&won[..2]), Ok(Some(idr("1500"))));
        assert_eq!(average_deal_size(&[]), Ok(None));
        assert!(matches!(
            average_deal_size(&[idr("1"), usd("1")]),
            Err(KpiError::CurrencyMismatch { .. })
        ));
    }

    /// Percentages with two places summing to exactly 100, from cut points in basis points.
    fn any_shares() -> impl Strategy<Value = Vec<Decimal>> {
        proptest::collection::vec(0..=10_000_i64, 0..6).prop_map(|mut cuts| {
            cuts.push(0);
            cuts.push(10_000);
            cuts.sort_unstable();
            cuts.windows(2).map(|w| Decimal::new(w[1] - w[0], 2)).collect()
        })
    }

    proptest! {
        #[test]
        fn split_credits_sum_exactly_to_the_amount(cents in -1_000_000_000_000_i64..1_000_000_000_000, shares in any_shares()) {
            let amount = Decimal::new(cents, 2);
            let credits = split_credit(amount, &shares, 2).unwrap();
            prop_assert_eq!(credits.iter().sum::<Decimal>(), amount);
            for (credit, share) in credits.iter().zip(&shares) {
                let exact = credited_amount(amount, *share).unwrap();
                prop_assert!((*credit - exact).abs() < dec("0.01"), "{credit} vs {exact}");
            }
        }

        #[test]
        fn members_credits_add_up_to_the_team_credit(
            lines in proptest::collection::vec((0..1_000_000_i64, any_shares()), 0..10),
        ) {
            let members = ["ana", "budi", "citra", "dewi", "eko", "fajar", "gita"];
            let lines: Vec<SaleLine> = lines
                .into_iter()
                .map(|(cents, shares)| SaleLine {
                    revenue: Money::new("IDR", Decimal::new(cents, 2)).unwrap(),
                    cost: Money::new("IDR", Decimal::new(cents / 2, 2)).unwrap(),
                    units: Decimal::ONE,
                    credit: shares
                        .into_iter()
                        .zip(members)
                        .map(|(percent, m)| CreditShare { member_id: m.to_owned(), percent })
                        .collect(),
                })
                .collect();
            let team = credited_sales(&lines, "IDR", |_| true).unwrap();
            let each: Decimal = members
                .iter()
                .map(|m| credited_sales(&lines, "IDR", |x| x == *m).unwrap().revenue.amount)
                .sum();
            prop_assert_eq!(each, team.revenue.amount);
            prop_assert_eq!(team.revenue.amount, lines.iter().map(|l| l.revenue.amount).sum::<Decimal>());
            prop_assert_eq!(team.units, Decimal::from(lines.len()));
        }
    }
}

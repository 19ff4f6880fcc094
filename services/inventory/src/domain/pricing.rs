//! Promotions and what a sale earns: net price under the stacking rules, margins, break-even.

use rust_decimal::{Decimal, RoundingStrategy};

/// How a promotion combines with others.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stacking {
    /// Competes alone against everything else that applies.
    Exclusive,
    /// Combines with the other stackable promotions.
    Stackable,
}

/// A promotion's discount on one unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Discount {
    /// Percent off, 0 < p <= 100.
    Percent(Decimal),
    /// A fixed amount off, in one currency.
    Amount { currency: String, amount: Decimal },
}

/// A promotion that applies to the sale being valued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplicablePromotion {
    pub id: String,
    pub discount: Discount,
    pub stacking: Stacking,
}

/// The price the buyer pays and the promotions that made it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetPrice {
    pub price: Decimal,
    pub applied: Vec<String>,
}

/// Rounds money to the cent, half away from zero.
pub fn round_money(value: Decimal) -> Decimal {
    value.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

fn apply(price: Decimal, discount: &Discount) -> Decimal {
    match discount {
        Discount::Percent(p) => price * (Decimal::ONE - p / Decimal::ONE_HUNDRED),
        Discount::Amount { amount, .. } => price - amount,
    }
}

/// The net price of one unit under the stacking rules: the stackable promotions combined
/// (percentages compounding from the largest down, then fixed amounts off), or any one exclusive
/// promotion alone — whichever is lowest for the buyer; never below zero; rounded to the cent.
/// Promotions in another currency than `currency` must be left out by the caller.
pub fn net_price(list_price: Decimal, promotions: &[ApplicablePromotion]) -> NetPrice {
    let mut stackable: Vec<&ApplicablePromotion> = promotions
        .iter()
        .filter(|p| p.stacking == Stacking::Stackable)
        .collect();
    // Largest percentage first; fixed amounts after every percentage.
    stackable.sort_by(|a, b| match (&a.discount, &b.discount) {
        (Discount::Percent(x), Discount::Percent(y)) => y.cmp(x).then_with(|| a.id.cmp(&b.id)),
        (Discount::Percent(_), Discount::Amount { .. }) => std::cmp::Ordering::Less,
        (Discount::Amount { .. }, Discount::Percent(_)) => std::cmp::Ordering::Greater,
        _ => a.id.cmp(&b.id),
    });
    let combined = stackable.iter().fold(list_price, |price, p| apply(price, &p.discount));
    let mut best = NetPrice {
        price: combined.max(Decimal::ZERO),
        applied: stackable.iter().map(|p| p.id.clone()).collect(),
    };
    for exclusive in promotions.iter().filter(|p| p.stacking == Stacking::Exclusive) {
        let price = apply(list_price, &exclusive.discount).max(Decimal::ZERO);
        if price < best.price {
            best = NetPrice {
                price,
                applied: vec![exclusive.id.clone()],
            };
        }
    }
    best.price = round_money(best.price);
    best
}

/// The cost side of a sale: the unit cost and the rates taken from the net price.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CostTerms {
    pub unit_cost: Decimal,
    pub tax_rate_percent: Decimal,
    pub fee_rate_percent: Decimal,
}

/// What one unit and a quantity earn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Earnings {
    pub unit_gross_margin: Decimal,
    /// `None` when the net price is zero.
    pub gross_margin_percent: Option<Decimal>,
    pub unit_tax: Decimal,
    pub unit_fees: Decimal,
    pub unit_net_margin: Decimal,
    pub net_margin_percent: Option<Decimal>,
    pub revenue: Decimal,
    pub gross_margin: Decimal,
    pub net_margin: Decimal,
}

fn percent_of(part: Decimal, whole: Decimal) -> Option<Decimal> {
    (!whole.is_zero()).then(|| {
        (part / whole * Decimal::ONE_HUNDRED).round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
    })
}

/// Margins of selling `quantity` units at `net_price`:
/// gross = net − cost; tax = net × tax%; fees = net × fee% (each to the cent);
/// net margin = gross − tax − fees; percentages are of the net price, to two places.
pub fn earnings(net_price: Decimal, terms: CostTerms, quantity: Decimal) -> Earnings {
    let unit_gross_margin = net_price - terms.unit_cost;
    let unit_tax = round_money(net_price * terms.tax_rate_percent / Decimal::ONE_HUNDRED);
    let unit_fees = round_money(net_price * terms.fee_rate_percent / Decimal::ONE_HUNDRED);
    let unit_net_margin = unit_gross_margin - unit_tax - unit_fees;
    Earnings {
        unit_gross_margin,
        gross_margin_percent: percent_of(unit_gross_margin, net_price),
        unit_tax,
        unit_fees,
        unit_net_margin,
        net_margin_percent: percent_of(unit_net_margin, net_price),
        revenue: net_price * quantity,
        gross_margin: unit_gross_margin * quantity,
        net_margin: unit_net_margin * quantity,
    }
}

/// Units to sell to cover `fixed_cost`: ⌈fixed cost ÷ unit net margin⌉; `None` when a unit earns
/// nothing or loses money, as no volume ever breaks even.
pub fn break_even_units(fixed_cost: Decimal, unit_net_margin: Decimal) -> Option<Decimal> {
    (unit_net_margin > Decimal::ZERO).then(|| (fixed_cost / unit_net_margin).ceil().max(Decimal::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn dec(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn percent(id: &str, p: &str, stacking: Stacking) -> ApplicablePromotion {
        ApplicablePromotion {
            id: id.into(),
            discount: Discount::Percent(dec(p)),
            stacking,
        }
    }

    fn amount(id: &str, a: &str, stacking: Stacking) -> ApplicablePromotion {
        ApplicablePromotion {
            id: id.into(),
            discount: Discount::Amount {
                currency: "USD".into(),
                amount: dec(a),
            },
            stacking,
        }
    }

    #[test]
    fn stackable_percentages_compound_then_amounts_come_off() {
        let promos = [
            amount("five-off", "5", Stacking::Stackable),
            percent("ten", "10", Stacking::Stackable),
            percent("twenty", "20", Stacking::Stackable),
        ];
        // 100 × 0.8 × 0.9 − 5 = 67
        let net = net_price(dec("100"), &promos);
        assert_eq!(net.price, dec("67"));
        assert_eq!(net.applied, ["twenty", "ten", "five-off"]);
    }

    #[test]
    fn an_exclusive_promotion_wins_only_when_it_is_better_for_the_buyer() {
        let stack = [
            percent("ten", "10", Stacking::Stackable),
            percent("five", "5", Stacking::Stackable),
        ];
        let mut promos = stack.to_vec();
        promos.push(percent("fifteen-alone", "15", Stacking::Exclusive));
        // Stacked: 100 × 0.9 × 0.95 = 85.5; exclusive: 85 → the exclusive one.
        let net = net_price(dec("100"), &promos);
        assert_eq!((net.price, net.applied), (dec("85"), vec!["fifteen-alone".to_owned()]));
        promos.push(percent("twelve-alone", "12", Stacking::Exclusive));
        promos.retain(|p| p.id != "fifteen-alone");
        let net = net_price(dec("100"), &promos);
        assert_eq!(net.price, dec("85.5"));
        assert_eq!(net.applied, ["ten", "five"]);
    }

    #[test]
    fn a_price_never_goes_below_zero() {
        let net = net_price(dec("10"), &[amount("big", "25", Stacking::Stackable)]);
        assert_eq!(net.price, Decimal::ZERO);
    }

    #[test]
    fn the_worked_example_of_the_api_guide() {
        let net = net_price(dec("100"), &[percent("ten", "10", Stacking::Exclusive)]).price;
        let terms = CostTerms {
            unit_cost: dec("60"),
            tax_rate_percent: dec("10"),
            fee_rate_percent: dec("2"),
        };
        let e = earnings(net, terms, dec("3"));
        assert_eq!(net, dec("90"));
        assert_eq!(e.unit_gross_margin, dec("30"));
        assert_eq!(e.gross_margin_percent, Some(dec("33.33")));
        assert_eq!((e.unit_tax, e.unit_fees), (dec("9"), dec("1.8")));
        assert_eq!(e.unit_net_margin, dec("19.2"));
        assert_eq!(e.net_margin_percent, Some(dec("21.33")));
        assert_eq!((e.revenue, e.net_margin), (dec("270"), dec("57.6")));
        assert_eq!(break_even_units(dec("1000"), e.unit_net_margin), Some(dec("53")));
        assert_eq!(break_even_units(dec("1000"), dec("-1")), None);
    }

    proptest! {
        #[test]
        fn promotions_never_raise_a_price_nor_push_it_below_zero(
            cents in 0i64..1_000_000,
            percents in proptest::collection::vec(1i64..=100, 0..4),
            amounts in proptest::collection::vec(1i64..50_000, 0..3),
            exclusive in proptest::bool::ANY,
        ) {
            let list = Decimal::new(cents, 2);
            let mut promos: Vec<_> = percents.iter().enumerate()
                .map(|(i, p)| percent(&format!("p{i}"), &p.to_string(), if exclusive && i == 0 { Stacking::Exclusive } else { Stacking::Stackable }))
                .collect();
            promos.extend(amounts.iter().enumerate().map(|(i, a)| amount(&format!("a{i}"), &Decimal::new(*a, 2).to_string(), Stacking::Stackable)));
            let net = net_price(list, &promos);
            prop_assert!(net.price >= Decimal::ZERO);
            prop_assert!(net.price <= round_money(list));
        }

        #[test]
        fn net_margin_is_gross_less_tax_and_fees(
            price in 0i64..1_000_000, cost in 0i64..1_000_000, tax in 0i64..=100, fee in 0i64..=100, qty in 1i64..1000,
        ) {
            let terms = CostTerms { unit_cost: Decimal::new(cost, 2), tax_rate_percent: Decimal::from(tax), fee_rate_percent: Decimal::from(fee) };
            let e = earnings(Decimal::new(price, 2), terms, Decimal::from(qty));
            prop_assert_eq!(e.unit_net_margin, e.unit_gross_margin - e.unit_tax - e.unit_fees);
            prop_assert_eq!(e.net_margin, e.unit_net_margin * Decimal::from(qty));
        }
    }
}

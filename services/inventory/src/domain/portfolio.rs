//! The portfolio assessment: ranks, quadrants against the catalogue's medians, and flags.

use rust_decimal::Decimal;

/// What is known of one catalogue item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemFigures {
    pub sku: String,
    /// Net margin of one unit under running promotions; `None` without price or cost.
    pub unit_net_margin: Option<Decimal>,
    pub net_margin_percent: Option<Decimal>,
    /// Expected yearly volume; `None` without an estimate.
    pub expected_volume: Option<Decimal>,
    pub has_cost: bool,
    pub has_price: bool,
}

/// Where an item sits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quadrant {
    Unplaced,
    HighMarginHighPotential,
    HighMarginLowPotential,
    LowMarginHighPotential,
    LowMarginLowPotential,
}

/// Why an item deserves a look.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flag {
    NegativeMarginUnderPromotions,
    MarginBelowThreshold,
    NoCost,
    NoPrice,
    NoEstimate,
}

/// The assessment of one item; ranks start at 1, 0 means unranked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placement {
    pub sku: String,
    pub expected_contribution: Option<Decimal>,
    pub margin_rank: u32,
    pub contribution_rank: u32,
    pub quadrant: Quadrant,
    pub flags: Vec<Flag>,
}

/// The assessment of a catalogue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assessment {
    /// By contribution rank; unranked items last, by SKU.
    pub placements: Vec<Placement>,
    pub median_margin_percent: Option<Decimal>,
    pub median_expected_volume: Option<Decimal>,
}

/// The median; for an even count, the mean of the two middle values.
pub fn median(mut values: Vec<Decimal>) -> Option<Decimal> {
    if values.is_empty() {
        return None;
    }
    values.sort();
    let mid = values.len() / 2;
    Some(if values.len().is_multiple_of(2) {
        (values[mid - 1] + values[mid]) / Decimal::TWO
    } else {
        values[mid]
    })
}

/// Ranks 1.. by `key` descending (ties by SKU); items without a key stay unranked (0).
fn ranks(items: &[ItemFigures], key: impl Fn(usize) -> Option<Decimal>) -> Vec<u32> {
    let mut order: Vec<(usize, Decimal)> = (0..items.len()).filter_map(|i| key(i).map(|k| (i, k))).collect();
    order.sort_by(|(a, ka), (b, kb)| kb.cmp(ka).then_with(|| items[*a].sku.cmp(&items[*b].sku)));
    let mut ranks = vec![0; items.len()];
    for (rank, (index, _)) in order.into_iter().enumerate() {
        ranks[index] = rank as u32 + 1;
    }
    ranks
}

/// Places every item: expected contribution = unit net margin × expected volume; high margin and
/// high potential mean at or above the catalogue's median; flags for losses under running
/// promotions, margins under `threshold_percent`, and missing cost, price or estimate.
pub fn assess(items: &[ItemFigures], threshold_percent: Decimal) -> Assessment {
    let contributions: Vec<Option<Decimal>> = items
        .iter()
        .map(|i| Some(i.unit_net_margin? * i.expected_volume?))
        .collect();
    let median_margin_percent = median(items.iter().filter_map(|i| i.net_margin_percent).collect());
    let median_expected_volume = median(items.iter().filter_map(|i| i.expected_volume).collect());
    let margin_ranks = ranks(items, |i| items[i].net_margin_percent);
    let contribution_ranks = ranks(items, |i| contributions[i]);

    let mut placements: Vec<Placement> = items
        .iter()
        .enumerate()
        .map(|(index, item)| {
            let quadrant = match (
                item.net_margin_percent,
                item.expected_volume,
                median_margin_percent,
                median_expected_volume,
            ) {
                (Some(margin), Some(volume), Some(mid_margin), Some(mid_volume)) => {
                    match (margin >= mid_margin, volume >= mid_volume) {
                        (true, true) => Quadrant::HighMarginHighPotential,
                        (true, false) => Quadrant::HighMarginLowPotential,
                        (false, true) => Quadrant::LowMarginHighPotential,
                        (false, false) => Quadrant::LowMarginLowPotential,
                    }
                }
                _ => Quadrant::Unplaced,
            };
            let mut flags = Vec::new();
            if item.unit_net_margin.is_some_and(|m| m < Decimal::ZERO) {
                flags.push(Flag::NegativeMarginUnderPromotions);
            }
            if item.net_margin_percent.is_some_and(|p| p < threshold_percent) {
                flags.push(Flag::MarginBelowThreshold);
            }
            if !item.has_cost {
                flags.push(Flag::NoCost);
            }
            if !item.has_price {
                flags.push(Flag::NoPrice);
            }
            if item.expected_volume.is_none() {
                flags.push(Flag::NoEstimate);
            }
            Placement {
                sku: item.sku.clone(),
                expected_contribution: contributions[index],
                margin_rank: margin_ranks[index],
                contribution_rank: contribution_ranks[index],
                quadrant,
                flags,
            }
        })
        .collect();
    placements.sort_by(|a, b| match (a.contribution_rank, b.contribution_rank) {
        (0, 0) => a.sku.cmp(&b.sku),
        (0, _) => std::cmp::Ordering::Greater,
        (_, 0) => std::cmp::Ordering::Less,
        (x, y) => x.cmp(&y),
    });
    Assessment {
        placements,
        median_margin_percent,
        median_expected_volume,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn item(sku: &str, margin: Option<(&str, &str)>, volume: Option<&str>) -> ItemFigures {
        ItemFigures {
            sku: sku.into(),
            unit_net_margin: margin.map(|(m, _)| dec(m)),
            net_margin_percent: margin.map(|(_, p)| dec(p)),
            expected_volume: volume.map(dec),
            has_cost: margin.is_some(),
            has_price: margin.is_some(),
        }
    }

    #[test]
    fn medians_split_the_catalogue_into_quadrants() {
        let items = [
            item("A", Some(("40", "40")), Some("1000")),
            item("B", Some(("30", "30")), Some("10")),
            item("C", Some(("5", "5")), Some("5000")),
            item("D", Some(("-2", "-4")), Some("1")),
        ];
        let a = assess(&items, dec("10"));
        assert_eq!(a.median_margin_percent, Some(dec("17.5")));
        assert_eq!(a.median_expected_volume, Some(dec("505")));
        let by_sku = |s: &str| a.placements.iter().find(|p| p.sku == s).unwrap().clone();
        assert_eq!(by_sku("A").quadrant, Quadrant::HighMarginHighPotential);
        assert_eq!(by_sku("B").quadrant, Quadrant::HighMarginLowPotential);
        assert_eq!(by_sku("C").quadrant, Quadrant::LowMarginHighPotential);
        assert_eq!(by_sku("D").quadrant, Quadrant::LowMarginLowPotential);
        assert_eq!(
            by_sku("D").flags,
            [Flag::NegativeMarginUnderPromotions, Flag::MarginBelowThreshold]
        );
        assert_eq!(by_sku("C").flags, [Flag::MarginBelowThreshold]);
        // Contributions: A 40000, C 25000, B 300, D -2.
        let order: Vec<_> = a
            .placements
            .iter()
            .map(|p| (p.sku.as_str(), p.contribution_rank))
            .collect();
        assert_eq!(order, [("A", 1), ("C", 2), ("B", 3), ("D", 4)]);
        assert_eq!((by_sku("A").margin_rank, by_sku("D").margin_rank), (1, 4));
    }

    #[test]
    fn items_missing_figures_are_flagged_unranked_and_last() {
        let items = [
            item("Z", Some(("10", "20")), Some("5")),
            item("M", None, Some("100")),
            item("N", Some(("10", "20")), None),
        ];
        let a = assess(&items, dec("10"));
        let last: Vec<_> = a.placements.iter().map(|p| p.sku.as_str()).collect();
        assert_eq!(last, ["Z", "M", "N"]);
        let m = &a.placements[1];
        assert_eq!(
            (m.quadrant, m.contribution_rank, m.margin_rank),
            (Quadrant::Unplaced, 0, 0)
        );
        assert_eq!(m.flags, [Flag::NoCost, Flag::NoPrice]);
        assert_eq!(a.placements[2].flags, [Flag::NoEstimate]);
        assert_eq!(median(vec![]), None);
    }
}

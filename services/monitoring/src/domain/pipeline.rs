//! The pipeline as a ledger. An open deal adds to each credited member's pipeline its credited
//! amount and its credited share of one deal, at its stage, forecast category, currency and its
//! customer's region and segment; a change to a deal books the difference between what it added
//! before and what it adds after, at the change's instant. Summing a member's changes up to an
//! instant gives their pipeline then, so a past period's pipeline is read, not replayed.

use std::collections::BTreeMap;

use lacak_domain::kpi::split_credit;
use rust_decimal::Decimal;

use super::rollup::{RollupError, Share};
use super::units::{SCALE, to_units};

/// Where a credited open deal sits: one member's row of the ledger.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PipelineKey {
    pub member: String,
    pub currency: String,
    pub stage: String,
    pub category: String,
    pub region: String,
    pub segment: String,
}

/// Credited amount and deal count, in ten-thousandths.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PipelineAmounts {
    pub amount: i64,
    pub count: i64,
}

impl PipelineAmounts {
    pub fn add(&mut self, other: PipelineAmounts) {
        self.amount += other.amount;
        self.count += other.count;
    }

    pub fn is_zero(&self) -> bool {
        self.amount == 0 && self.count == 0
    }
}

/// What the ledger needs to know of a deal at one moment.
#[derive(Debug, Clone, PartialEq)]
pub struct DealPosition<'a> {
    pub open: bool,
    /// The credit: the shares given, or the owner's 100 (`credit_or_owner`).
    pub credit: &'a [Share],
    pub currency: &'a str,
    pub amount: Decimal,
    pub stage: &'a str,
    pub category: &'a str,
    pub region: &'a str,
    pub segment: &'a str,
}

/// What an open deal adds to its members' pipelines; nothing once it is closed. Amount and count
/// are split in ten-thousandths that add up exactly to the deal's amount and to one deal.
pub fn contribution(position: &DealPosition<'_>) -> Result<BTreeMap<PipelineKey, PipelineAmounts>, RollupError> {
    let mut out = BTreeMap::new();
    if !position.open || position.credit.is_empty() {
        return Ok(out);
    }
    let shares: Vec<Decimal> = position.credit.iter().map(|s| s.percent).collect();
    let amounts = split_credit(position.amount, &shares, SCALE)?;
    let counts = split_credit(Decimal::ONE, &shares, SCALE)?;
    for ((share, amount), count) in position.credit.iter().zip(amounts).zip(counts) {
        let key = PipelineKey {
            member: share.member.clone(),
            currency: position.currency.to_owned(),
            stage: position.stage.to_owned(),
            category: position.category.to_owned(),
            region: position.region.to_owned(),
            segment: position.segment.to_owned(),
        };
        let amounts = PipelineAmounts {
            amount: to_units(amount).ok_or(RollupError::TooLarge)?,
            count: to_units(count).ok_or(RollupError::TooLarge)?,
        };
        out.entry(key).or_insert_with(PipelineAmounts::default).add(amounts);
    }
    Ok(out)
}

/// `after − before`, row by row, without the rows that do not change.
pub fn change(
    before: &BTreeMap<PipelineKey, PipelineAmounts>,
    after: &BTreeMap<PipelineKey, PipelineAmounts>,
) -> BTreeMap<PipelineKey, PipelineAmounts> {
    let mut out: BTreeMap<PipelineKey, PipelineAmounts> = after.clone();
    for (key, amounts) in before {
        out.entry(key.clone()).or_default().add(PipelineAmounts {
            amount: -amounts.amount,
            count: -amounts.count,
        });
    }
    out.retain(|_, amounts| !amounts.is_zero());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn share(member: &str, percent: &str) -> Share {
        Share {
            member: member.into(),
            percent: dec(percent),
        }
    }

    fn position<'a>(credit: &'a [Share], stage: &'a str, open: bool) -> DealPosition<'a> {
        DealPosition {
            open,
            credit,
            currency: "IDR",
            amount: dec("1000"),
            stage,
            category: "commit",
            region: "java",
            segment: "smb",
        }
    }

    #[test]
    fn an_open_deal_credits_each_member_their_share_of_amount_and_count() {
        let credit = [share("ana", "60"), share("budi", "40")];
        let rows = contribution(&position(&credit, "propose", true)).unwrap();
        let by_member: Vec<(&str, PipelineAmounts)> = rows.iter().map(|(k, a)| (k.member.as_str(), *a)).collect();
        // 1,000 × 60% = 600 → 6,000,000 ten-thousandths; 0.6 of a deal → 6,000.
        assert_eq!(
            by_member,
            [
                (
                    "ana",
                    PipelineAmounts {
                        amount: 6_000_000,
                        count: 6_000
                    }
                ),
                (
                    "budi",
                    PipelineAmounts {
                        amount: 4_000_000,
                        count: 4_000
                    }
                ),
            ]
        );
        assert!(contribution(&position(&credit, "propose", false)).unwrap().is_empty());
    }

    #[test]
    fn a_three_way_split_still_adds_up_to_one_deal() {
        let credit = [share("a", "33.33"), share("b", "33.33"), share("c", "33.34")];
        let rows = contribution(&position(&credit, "qualify", true)).unwrap();
        assert_eq!(rows.values().map(|a| a.count).sum::<i64>(), 10_000);
        assert_eq!(rows.values().map(|a| a.amount).sum::<i64>(), 10_000_000);
    }

    #[test]
    fn a_stage_move_books_out_of_one_stage_into_the_next() {
        let credit = [share("ana", "100")];
        let before = contribution(&position(&credit, "qualify", true)).unwrap();
        let after = contribution(&position(&credit, "propose", true)).unwrap();
        let delta = change(&before, &after);
        let moves: Vec<(&str, i64, i64)> = delta
            .iter()
            .map(|(k, a)| (k.stage.as_str(), a.amount, a.count))
            .collect();
        assert_eq!(
            moves,
            [("propose", 10_000_000, 10_000), ("qualify", -10_000_000, -10_000)]
        );
        assert!(change(&before, &before).is_empty());
    }
}

//! How a sale lands in the rollups: each line valued once, credited to its members by their
//! shares (in ten-thousandths that add up to the line), and added to rows per member:
//! - one per local **month** and dimension — all sales, the product, the customer's region and
//!   segment. Fiscal periods are whole local months, so a KPI read for a quarter sums three rows
//!   per member and dimension value, whatever the history holds;
//! - one per local **day**, all sales only: the daily and weekly trends.

use std::collections::HashMap;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use chrono_tz::Tz;
use lacak_domain::kpi::{KpiError, split_credit};
use rust_decimal::Decimal;

use super::units::{SCALE, to_units};

/// The dimension of a rollup row: the unscoped total, or one value of a scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Dim {
    All,
    Product,
    Region,
    Segment,
}

impl Dim {
    pub const fn as_str(self) -> &'static str {
        match self {
            Dim::All => "all",
            Dim::Product => "product",
            Dim::Region => "region",
            Dim::Segment => "segment",
        }
    }
}

/// One member's share of a record's credit, in percent.
#[derive(Debug, Clone, PartialEq)]
pub struct Share {
    pub member: String,
    pub percent: Decimal,
}

/// The credit of a record: the shares given, or all of it to the owner when none are.
pub fn credit_or_owner(owner: &str, shares: &[Share]) -> Vec<Share> {
    if shares.is_empty() {
        vec![Share {
            member: owner.to_owned(),
            percent: Decimal::ONE_HUNDRED,
        }]
    } else {
        shares.to_vec()
    }
}

/// A sale line as booked: its value after discount, its units and, once known, its cost.
#[derive(Debug, Clone, PartialEq)]
pub struct BookedLine {
    pub sku: String,
    pub quantity: Decimal,
    pub revenue: Decimal,
    /// `unit cost × quantity` in the sale's currency; `None` while awaited or when inventory's
    /// cost is in another currency (the line then adds no cost and no costed revenue).
    pub cost: Option<Decimal>,
}

/// `quantity × unit price × (100 − discount%) / 100`.
pub fn line_revenue(quantity: Decimal, unit_price: Decimal, discount_percent: Decimal) -> Option<Decimal> {
    quantity
        .checked_mul(unit_price)?
        .checked_mul(Decimal::ONE_HUNDRED - discount_percent)?
        .checked_div(Decimal::ONE_HUNDRED)
}

/// How long a rollup row's bucket is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Grain {
    /// `bucket` counts days since 1970-01-01 (local dates).
    Day,
    /// `bucket` counts months: `year × 12 + month − 1` (local dates).
    Month,
}

impl Grain {
    pub const fn as_str(self) -> &'static str {
        match self {
            Grain::Day => "day",
            Grain::Month => "month",
        }
    }
}

/// The key of one rollup row.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RollupKey {
    pub dim: Dim,
    pub dim_value: String,
    pub currency: String,
    pub member: String,
    pub grain: Grain,
    pub bucket: i32,
}

/// What one batch adds to one rollup row, in ten-thousandths.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RollupDelta {
    pub revenue: i64,
    pub costed_revenue: i64,
    pub cost: i64,
    pub units: i64,
    pub lines: i64,
}

impl RollupDelta {
    fn add(&mut self, other: &RollupDelta) {
        self.revenue += other.revenue;
        self.costed_revenue += other.costed_revenue;
        self.cost += other.cost;
        self.units += other.units;
        self.lines += other.lines;
    }
}

/// Why a sale cannot be rolled up.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum RollupError {
    #[error(transparent)]
    Kpi(#[from] KpiError),
    #[error("an amount is beyond what a rollup can hold")]
    TooLarge,
}

/// The day number of an instant's local date in `tz`.
pub fn local_day(instant: DateTime<Utc>, tz: Tz) -> i32 {
    day_number(instant.with_timezone(&tz).date_naive())
}

/// The month number (`year × 12 + month − 1`) of an instant's local date in `tz`.
pub fn local_month(instant: DateTime<Utc>, tz: Tz) -> i32 {
    let date = instant.with_timezone(&tz).date_naive();
    date.year() * 12 + date.month0() as i32
}

/// Days since 1970-01-01.
pub fn day_number(date: NaiveDate) -> i32 {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).expect("a valid date");
    i32::try_from((date - epoch).num_days()).unwrap_or(i32::MAX)
}

/// The date of a day number.
pub fn day_date(day: i32) -> NaiveDate {
    NaiveDate::from_ymd_opt(1970, 1, 1).expect("a valid date") + chrono::Duration::days(day.into())
}

/// Where a sale lands: its local day and month and its customer's region and segment.
#[derive(Debug, Clone, PartialEq)]
pub struct SalePlace<'a> {
    pub day: i32,
    pub month: i32,
    pub currency: &'a str,
    pub region: &'a str,
    pub segment: &'a str,
}

/// The deltas of one batch, merged by row so each row is written once per batch.
#[derive(Debug, Default)]
pub struct Rollups {
    rows: HashMap<RollupKey, RollupDelta>,
}

impl Rollups {
    /// Credits `lines` to `credit` at `place`. Each line's revenue, cost and units are split in
    /// ten-thousandths that add up exactly to the line's.
    pub fn add_sale(
        &mut self,
        place: &SalePlace<'_>,
        credit: &[Share],
        lines: &[BookedLine],
    ) -> Result<(), RollupError> {
        self.credit_lines(place, credit, lines, |delta| delta)
    }

    /// Adds cost found later for lines booked without one: their revenue becomes costed. Lines
    /// still without a cost add nothing.
    pub fn add_cost(
        &mut self,
        place: &SalePlace<'_>,
        credit: &[Share],
        lines: &[BookedLine],
    ) -> Result<(), RollupError> {
        let costed: Vec<BookedLine> = lines.iter().filter(|line| line.cost.is_some()).cloned().collect();
        self.credit_lines(place, credit, &costed, |delta| RollupDelta {
            costed_revenue: delta.costed_revenue,
            cost: delta.cost,
            ..RollupDelta::default()
        })
    }

    /// Splits each line among the credited members and adds `keep` of each member's share.
    fn credit_lines(
        &mut self,
        place: &SalePlace<'_>,
        credit: &[Share],
        lines: &[BookedLine],
        keep: impl Fn(RollupDelta) -> RollupDelta,
    ) -> Result<(), RollupError> {
        let shares: Vec<Decimal> = credit.iter().map(|share| share.percent).collect();
        for line in lines {
            let revenue = split_credit(line.revenue, &shares, SCALE)?;
            let units = split_credit(line.quantity, &shares, SCALE)?;
            let cost = line.cost.map(|cost| split_credit(cost, &shares, SCALE)).transpose()?;
            for (i, share) in credit.iter().enumerate() {
                let revenue = to_units(revenue[i]).ok_or(RollupError::TooLarge)?;
                let (costed_revenue, cost) = match &cost {
                    Some(cost) => (revenue, to_units(cost[i]).ok_or(RollupError::TooLarge)?),
                    None => (0, 0),
                };
                let delta = RollupDelta {
                    revenue,
                    costed_revenue,
                    cost,
                    units: to_units(units[i]).ok_or(RollupError::TooLarge)?,
                    lines: 1,
                };
                self.add_everywhere(place, &line.sku, &share.member, &keep(delta));
            }
        }
        Ok(())
    }

    /// Adds a member's delta to the month rows of every dimension and to the day's total.
    fn add_everywhere(&mut self, place: &SalePlace<'_>, sku: &str, member: &str, delta: &RollupDelta) {
        let rows = [
            (Dim::All, "", Grain::Day, place.day),
            (Dim::All, "", Grain::Month, place.month),
            (Dim::Product, sku, Grain::Month, place.month),
            (Dim::Region, place.region, Grain::Month, place.month),
            (Dim::Segment, place.segment, Grain::Month, place.month),
        ];
        for (dim, value, grain, bucket) in rows {
            if dim != Dim::All && value.is_empty() {
                continue;
            }
            self.add(
                RollupKey {
                    dim,
                    dim_value: value.to_owned(),
                    currency: place.currency.to_owned(),
                    member: member.to_owned(),
                    grain,
                    bucket,
                },
                delta,
            );
        }
    }

    fn add(&mut self, key: RollupKey, delta: &RollupDelta) {
        self.rows.entry(key).or_default().add(delta);
    }

    /// The rows in key order: concurrent writers lock rows in the same order and cannot deadlock.
    pub fn into_sorted(self) -> Vec<(RollupKey, RollupDelta)> {
        let mut rows: Vec<_> = self.rows.into_iter().collect();
        rows.sort_by(|a, b| a.0.cmp(&b.0));
        rows
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn dec(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn share(member: &str, percent: &str) -> Share {
        Share {
            member: member.into(),
            percent: dec(percent),
        }
    }

    fn place() -> SalePlace<'static> {
        SalePlace {
            day: 20_000,
            month: 24_314,
            currency: "IDR",
            region: "emea",
            segment: "",
        }
    }

    fn line(revenue: &str, cost: Option<&str>) -> BookedLine {
        BookedLine {
            sku: "sku-1".into(),
            quantity: dec("3"),
            revenue: dec(revenue),
            cost: cost.map(dec),
        }
    }

    fn row(rollups: Rollups, dim: Dim, member: &str) -> RollupDelta {
        rollups
            .into_sorted()
            .into_iter()
            .find(|(k, _)| k.dim == dim && k.grain == Grain::Month && k.member == member)
            .map(|(_, d)| d)
            .unwrap()
    }

    #[test]
    fn a_line_is_its_quantity_times_price_less_discount() {
        assert_eq!(line_revenue(dec("3"), dec("100"), dec("10")), Some(dec("270")));
        assert_eq!(line_revenue(dec("1"), dec("100"), dec("0")), Some(dec("100")));
    }

    #[test]
    fn a_split_credits_each_member_their_share() {
        let mut rollups = Rollups::default();
        let credit = [share("ana", "60"), share("budi", "40")];
        rollups
            .add_sale(&place(), &credit, &[line("1000", Some("700"))])
            .unwrap();
        let rows = rollups.into_sorted();
        // Per member: the day's total, and the month's total, product and region; no segment.
        assert_eq!(rows.len(), 8);
        let ana = rows
            .iter()
            .find(|(k, _)| k.dim == Dim::All && k.grain == Grain::Month && k.member == "ana")
            .unwrap()
            .1;
        assert_eq!(ana.revenue, 6_000_000);
        assert_eq!(ana.cost, 4_200_000);
        assert_eq!(ana.units, 18_000);
        let budi = rows
            .iter()
            .find(|(k, _)| k.dim == Dim::All && k.grain == Grain::Month && k.member == "budi")
            .unwrap()
            .1;
        assert_eq!(ana.revenue + budi.revenue, 10_000_000);
    }

    #[test]
    fn an_uncosted_line_adds_revenue_but_no_costed_revenue_until_its_cost_arrives() {
        let credit = credit_or_owner("ana", &[]);
        let mut booked = Rollups::default();
        booked.add_sale(&place(), &credit, &[line("100", None)]).unwrap();
        let delta = row(booked, Dim::All, "ana");
        assert_eq!((delta.revenue, delta.costed_revenue, delta.cost), (1_000_000, 0, 0));

        let mut costed = Rollups::default();
        costed.add_cost(&place(), &credit, &[line("100", Some("55"))]).unwrap();
        let delta = row(costed, Dim::All, "ana");
        assert_eq!(
            (delta.revenue, delta.costed_revenue, delta.cost),
            (0, 1_000_000, 550_000)
        );
    }

    #[test]
    fn shares_that_do_not_sum_to_100_are_refused() {
        let mut rollups = Rollups::default();
        let credit = [share("ana", "60"), share("budi", "30")];
        assert!(rollups.add_sale(&place(), &credit, &[line("10", None)]).is_err());
    }

    #[test]
    fn local_days_follow_the_tenant_time_zone() {
        let instant: DateTime<Utc> = "2026-01-31T20:00:00Z".parse().unwrap();
        let jakarta = local_day(instant, chrono_tz::Asia::Jakarta);
        let utc = local_day(instant, chrono_tz::UTC);
        assert_eq!(jakarta, utc + 1);
        assert_eq!(day_date(utc), NaiveDate::from_ymd_opt(2026, 1, 31).unwrap());
        assert_eq!(local_month(instant, chrono_tz::Asia::Jakarta), 2026 * 12 + 1);
        assert_eq!(local_month(instant, chrono_tz::UTC), 2026 * 12);
    }

    proptest! {
        #[test]
        fn member_credits_add_up_to_the_line(cents in 0i64..10_000_000_000, a in 0u32..=100) {
            let revenue = Decimal::new(cents, 2);
            let credit = [share("ana", &a.to_string()), share("budi", &(100 - a).to_string())];
            let mut rollups = Rollups::default();
            rollups.add_sale(&place(), &credit, &[line(&revenue.to_string(), None)]).unwrap();
            let total: i64 = rollups
                .into_sorted()
                .iter()
                .filter(|(k, _)| k.dim == Dim::All && k.grain == Grain::Day)
                .map(|(_, d)| d.revenue)
                .sum();
            prop_assert_eq!(total, to_units(revenue).unwrap());
        }
    }
}

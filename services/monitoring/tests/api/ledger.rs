//! The hand-checked ledger (issue 12): one small tenant, every record listed in `ledger.md` with
//! the arithmetic of every expected value, fed through the public gRPC API and read back through
//! GetKpis and GetSalesSeries. Values are worked by hand from the ledger, never by the code under
//! test: money to the cent, ratios to 4 places, durations to the second.

use lacak_proto::common::{Decimal as PbDecimal, Money};
use lacak_proto::monitoring as pb;
use rust_decimal::{Decimal, RoundingStrategy};
use tonic::Code;

use crate::helpers::*;

mod deals;
mod pipeline;
mod quotas;
mod story;

use story::{ledger, ledger_booked_as_it_lands};

/// FY2026-Q3 ends at local midnight of 1 January 2026 in Jakarta.
const Q3_END: &str = "2025-12-31T17:00:00Z";
/// FY2026-Q2 ends at local midnight of 1 October 2025.
const Q2_END: &str = "2025-09-30T17:00:00Z";
/// An explicit instant inside Q3: local midnight of 1 November 2025.
const NOV_1: &str = "2025-10-31T17:00:00Z";
const DAY: i64 = 86_400;

/// Collects every comparison so that one run shows every value that differs.
#[derive(Default)]
pub struct Checks {
    checked: usize,
    wrong: Vec<String>,
}

impl Checks {
    pub fn eq(&mut self, what: &str, got: Option<Decimal>, want: &str) {
        self.checked += 1;
        let want = dec(want);
        if got != Some(want) {
            self.wrong.push(format!("{what}: got {got:?}, hand value {want}"));
        }
    }

    /// Money, exact to the cent.
    pub fn cash(&mut self, what: &str, got: &Option<Money>, want: &str) {
        let got = got.as_ref().map(|m| amount(&Some(m.clone())).round_dp(2).normalize());
        self.eq(what, got, want);
    }

    /// A decimal (count or ratio) rounded half away from zero to 4 places.
    pub fn ratio(&mut self, what: &str, got: &Option<PbDecimal>, want: &str) {
        let got = got.as_ref().map(|d| {
            value(&Some(d.clone()))
                .round_dp_with_strategy(4, RoundingStrategy::MidpointAwayFromZero)
                .normalize()
        });
        self.eq(what, got, want);
    }

    pub fn unset<T: std::fmt::Debug>(&mut self, what: &str, got: &Option<T>) {
        self.checked += 1;
        if got.is_some() {
            self.wrong.push(format!("{what}: got {got:?}, hand value: unset"));
        }
    }

    pub fn int(&mut self, what: &str, got: i64, want: i64) {
        self.eq(what, Some(Decimal::from(got)), &want.to_string());
    }

    pub fn seconds(&mut self, what: &str, got: &Option<prost_types::Duration>, want: i64) {
        self.checked += 1;
        let got = got.as_ref().map(|d| (d.seconds, d.nanos));
        if got != Some((want, 0)) {
            self.wrong.push(format!("{what}: got {got:?}, hand value {want} s"));
        }
    }

    pub fn text(&mut self, what: &str, got: &str, want: &str) {
        self.checked += 1;
        if got != want {
            self.wrong.push(format!("{what}: got {got:?}, hand value {want:?}"));
        }
    }

    #[track_caller]
    pub fn done(self, at_least: usize) {
        eprintln!("{} hand values checked", self.checked);
        assert!(
            self.wrong.is_empty(),
            "{} of {} values differ:\n{}",
            self.wrong.len(),
            self.checked,
            self.wrong.join("\n")
        );
        assert!(self.checked >= at_least, "only {} values checked", self.checked);
    }
}

pub async fn read(suite: &Suite, owner: &str, period: &str, currency: &str, as_of: Option<&str>) -> pb::Kpis {
    kpis_asked(
        suite,
        pb::GetKpisRequest {
            owner: owner.into(),
            period: period.into(),
            currency_code: currency.into(),
            as_of: as_of.and_then(ts),
            ..Default::default()
        },
    )
    .await
}

/// The figures of one currency of a read without a currency.
#[track_caller]
pub fn in_currency<'a>(kpis: &'a pb::Kpis, currency: &str) -> &'a pb::CurrencyFigures {
    kpis.currency_figures
        .iter()
        .find(|f| f.currency_code == currency)
        .unwrap_or_else(|| panic!("no {currency} figures in {:?}", kpis.currency_figures))
}

#[tokio::test]
async fn sales_margins_units_and_new_customers_follow_local_months_and_credit() {
    let suite = spawn_suite().await;
    ledger(&suite).await;
    let mut c = Checks::default();
    // FY2026-Q3 in IDR: (owner, revenue, margin, margin %, units of every currency, new customers).
    for (owner, revenue, margin, percent, units, new) in [
        // s1 2 × 1,000 + s3 60% × 2,000 = 3,200; cost 1,200 + 360 = 1,560; margin 1,640 = 51.25%;
        // units 2 + 0.6 + s4's 0.5 = 3.1; teh (s3's largest share, no owner).
        ("members/ana", "3200", "1640", "51.25", "3.1", 1),
        // s3 40% × 2,000 = 800; cost 240; 560 = 70%; units 0.4; kopi (its owner, s1 was ana's).
        ("members/budi", "800", "560", "70", "0.4", 1),
        // s5 2,700 (sent twice, counted once); cost 1,800; 900 = 33.3333%; 3 + s4's 0.5; gula.
        ("members/citra", "2700", "900", "33.3333", "3.5", 1),
        ("members/dewi", "0", "0", "", "0", 0),
        // ana + budi, s3 once: 4,000; cost 1,800; 2,200 = 55%; 3.1 + 0.4.
        ("teams/emea", "4000", "2200", "55", "3.5", 2),
        ("teams/uk", "800", "560", "70", "0.4", 1),
        ("teams/apac", "2700", "900", "33.3333", "3.5", 1),
        // 4,000 + 2,700 = 6,700; cost 3,600; 3,100 / 6,700 = 46.2687%; 2 + 1 + 1 + 3 = 7 units.
        ("teams/sales", "6700", "3100", "46.2687", "7", 3),
        ("", "6700", "3100", "46.2687", "7", 3),
    ] {
        let k = read(&suite, owner, "FY2026-Q3", "IDR", None).await;
        c.cash(&format!("{owner:?} Q3 revenue"), &k.revenue, revenue);
        c.cash(&format!("{owner:?} Q3 gross margin"), &k.gross_margin, margin);
        if percent.is_empty() {
            c.unset(&format!("{owner:?} Q3 margin %"), &k.gross_margin_percent);
        } else {
            c.ratio(&format!("{owner:?} Q3 margin %"), &k.gross_margin_percent, percent);
        }
        c.ratio(&format!("{owner:?} Q3 units"), &k.units_sold, units);
        c.int(&format!("{owner:?} Q3 new customers"), k.new_customers, new);
    }

    // The local-midnight pair: s2 at 23:59:59 on 30 Sep local is Q2 (M06); s1 at 00:00 on 1 Oct is Q3.
    let budi_q2 = read(&suite, "members/budi", "FY2026-Q2", "IDR", None).await;
    c.cash("budi Q2 revenue", &budi_q2.revenue, "1500");
    c.ratio("budi Q2 units", &budi_q2.units_sold, "1");
    // Months of the tenant in IDR: October s1 2,000 + s3 2,000; November nothing; December s5.
    for (period, revenue) in [
        ("FY2026-M06", "1500"),
        ("FY2026-M07", "4000"),
        ("FY2026-M08", "0"),
        ("FY2026-M09", "2700"),
    ] {
        let k = read(&suite, "", period, "IDR", None).await;
        c.cash(&format!("tenant {period} revenue"), &k.revenue, revenue);
    }
    let november = read(&suite, "", "FY2026-M08", "IDR", None).await;
    c.ratio("tenant M08 units", &november.units_sold, "0");
    c.unset("tenant M08 margin %", &november.gross_margin_percent);

    // Without a currency: no top-level money, one entry per currency.
    let ana = read(&suite, "members/ana", "FY2026-Q3", "", None).await;
    c.unset("ana Q3 revenue without currency", &ana.revenue);
    let codes: Vec<&str> = ana.currency_figures.iter().map(|f| f.currency_code.as_str()).collect();
    c.text("ana Q3 currencies", &codes.join(","), "IDR,USD");
    c.cash("ana Q3 IDR revenue", &in_currency(&ana, "IDR").revenue, "3200");
    // s4: 50% × 100 = 50 USD; cost 50% × 40 = 20; margin 30 = 60%.
    let usd = in_currency(&ana, "USD");
    c.cash("ana Q3 USD revenue", &usd.revenue, "50");
    c.cash("ana Q3 USD margin", &usd.gross_margin, "30");
    c.ratio("ana Q3 USD margin %", &usd.gross_margin_percent, "60");
    // USD alone: the same 50; units still count every currency (3.1).
    let ana_usd = read(&suite, "members/ana", "FY2026-Q3", "USD", None).await;
    c.cash("ana Q3 revenue in USD", &ana_usd.revenue, "50");
    c.ratio("ana Q3 units asked in USD", &ana_usd.units_sold, "3.1");
    // s6 at 00:00 on 1 Jan 2026 local opens Q4: 2 × 120 = 240 USD, cost 80, margin 160 = 66.6667%.
    let citra_q4 = read(&suite, "members/citra", "FY2026-Q4", "USD", None).await;
    c.cash("citra Q4 USD revenue", &citra_q4.revenue, "240");
    c.cash("citra Q4 USD margin", &citra_q4.gross_margin, "160");
    c.ratio("citra Q4 USD margin %", &citra_q4.gross_margin_percent, "66.6667");
    c.ratio("citra Q4 units", &citra_q4.units_sold, "2");
    let citra_q3 = read(&suite, "members/citra", "FY2026-Q3", "USD", None).await;
    c.cash("citra Q3 USD revenue", &citra_q3.revenue, "50");
    c.done(60);
}

/// Deal rollups kept in step with every deal event answer exactly as those built from the deals at
/// the first read, for every owner, period and currency the ledger asks about.
#[tokio::test]
async fn deal_rollups_booked_as_events_land_equal_those_built_from_the_deals() {
    let (kept, built) = (spawn_suite().await, spawn_suite().await);
    ledger_booked_as_it_lands(&kept).await;
    ledger(&built).await;
    let owners = [
        "",
        "teams/sales",
        "teams/emea",
        "teams/uk",
        "teams/apac",
        "members/ana",
        "members/budi",
        "members/citra",
        "members/dewi",
    ];
    let mut compared = 0;
    for owner in owners {
        for period in [
            "FY2026-Q2",
            "FY2026-Q3",
            "FY2026-Q4",
            "FY2026-M08",
            "FY2026-M09",
            "FY2026",
        ] {
            for currency in ["", "IDR", "USD"] {
                let mut a = read(&kept, owner, period, currency, None).await;
                let mut b = read(&built, owner, period, currency, None).await;
                // Asked again with nothing written: the kept answer, worked out once, says the same.
                let mut again = read(&kept, owner, period, currency, None).await;
                // Quotas are named by ids of their own in each suite.
                for kpis in [&mut a, &mut b, &mut again] {
                    kpis.read_time = None;
                    kpis.attainments.iter_mut().for_each(|at| at.quota.clear());
                }
                assert_eq!(a, b, "{owner} {period} {currency:?}");
                assert_eq!(again, a, "{owner} {period} {currency:?} asked again");
                compared += 1;
            }
        }
    }
    assert_eq!(compared, 162);
}

//! The ledger's quotas (a yearly one read for its quarter and months, a deals-won quota on credited
//! counts, one in another currency), its monthly series, and who may read what.

use lacak_proto::common::{Measure, measure};

use super::*;

fn measured(m: &Option<Measure>) -> Option<Decimal> {
    match m.as_ref().and_then(|m| m.kind.clone()) {
        Some(measure::Kind::Money(money)) => Some(amount(&Some(money)).round_dp(2).normalize()),
        Some(measure::Kind::Quantity(q)) => Some(value(&Some(q))),
        None => None,
    }
}

/// (quota period, target, actual, variance, attainment %, projection, whole target)
type Expected<'a> = (&'a str, &'a str, &'a str, &'a str, &'a str, &'a str, &'a str);

fn check_attainment(c: &mut Checks, who: &str, got: Option<&pb::Attainment>, want: Expected<'_>) {
    let Some(a) = got else {
        c.checked += 1;
        c.wrong.push(format!("{who}: no attainment"));
        return;
    };
    let (period, target, actual, variance, percent, projection, whole) = want;
    c.text(&format!("{who} quota period"), &a.quota_period, period);
    c.eq(&format!("{who} target"), measured(&a.target), target);
    c.eq(&format!("{who} actual"), measured(&a.actual), actual);
    c.eq(&format!("{who} variance"), measured(&a.variance), variance);
    c.ratio(&format!("{who} attainment %"), &a.attainment_percent, percent);
    c.eq(&format!("{who} projection"), measured(&a.projection), projection);
    c.eq(&format!("{who} whole target"), measured(&a.quota_target), whole);
}

#[tokio::test]
async fn quotas_are_read_for_sub_periods_in_their_currency_and_on_credited_counts() {
    let suite = spawn_suite().await;
    let quotas = ledger(&suite).await;
    let mut c = Checks::default();
    let (yearly, usd_quarter, deals_won) = (&quotas[0].name, &quotas[1].name, &quotas[2].name);
    // citra's FY2026 48,000 IDR at 10% a month in Oct–Dec: 4,800 each, Q3 14,400. Q3 actual 2,700
    // (s5): −11,700, 18.75%; a finished period projects its actual.
    let q3 = read(&suite, "members/citra", "FY2026-Q3", "IDR", None).await;
    c.int("citra Q3 IDR attainments", q3.attainments.len() as i64, 1);
    let find = |k: &pb::Kpis, quota: &str| k.attainments.iter().find(|a| a.quota == quota).cloned();
    check_attainment(
        &mut c,
        "citra Q3 yearly",
        find(&q3, yearly).as_ref(),
        ("FY2026", "14400", "2700", "-11700", "18.75", "2700", "48000"),
    );
    // Coverage: 8,000 open at Q3's end over 14,400 − 2,700 = 11,700 → 0.6838.
    c.ratio("citra Q3 coverage", &q3.pipeline_coverage, "0.6838");
    // Without a currency the USD quarter comes too: s4's 50 USD of 500 = 10%, −450; its USD
    // coverage is 0 open (d2 was won) over 450.
    let every = read(&suite, "members/citra", "FY2026-Q3", "", None).await;
    c.int(
        "citra Q3 attainments, every currency",
        every.attainments.len() as i64,
        2,
    );
    check_attainment(
        &mut c,
        "citra Q3 USD",
        find(&every, usd_quarter).as_ref(),
        ("FY2026-Q3", "500", "50", "-450", "10", "50", "500"),
    );
    c.ratio(
        "citra Q3 USD coverage",
        &in_currency(&every, "USD").pipeline_coverage,
        "0",
    );
    c.ratio(
        "citra Q3 IDR coverage",
        &in_currency(&every, "IDR").pipeline_coverage,
        "0.6838",
    );
    // The empty month: November 4,800 target, nothing sold. December: 2,700 of 4,800 = 56.25%.
    let nov = read(&suite, "members/citra", "FY2026-M08", "IDR", None).await;
    check_attainment(
        &mut c,
        "citra M08 yearly",
        find(&nov, yearly).as_ref(),
        ("FY2026", "4800", "0", "-4800", "0", "0", "48000"),
    );
    let dec_ = read(&suite, "members/citra", "FY2026-M09", "IDR", None).await;
    check_attainment(
        &mut c,
        "citra M09 yearly",
        find(&dec_, yearly).as_ref(),
        ("FY2026", "4800", "2700", "-2100", "56.25", "2700", "48000"),
    );
    // emea's deals-won quota of 2 against its credited 1.5 (d1 once, d2's half): 75%, −0.5.
    let emea = read(&suite, "teams/emea", "FY2026-Q3", "IDR", None).await;
    check_attainment(
        &mut c,
        "emea Q3 deals won",
        find(&emea, deals_won).as_ref(),
        ("FY2026-Q3", "2", "1.5", "-0.5", "75", "1.5", "2"),
    );
    c.done(40);
}

#[tokio::test]
async fn series_fill_the_empty_month_and_access_follows_the_role() {
    let suite = spawn_suite().await;
    ledger(&suite).await;
    let mut c = Checks::default();
    let mut admin = suite.admin();
    let series = async |admin: &mut Monitoring, owner: &str, dimension: pb::SeriesDimension, currency: &str| {
        admin
            .get_sales_series(pb::GetSalesSeriesRequest {
                owner: owner.into(),
                dimension: dimension as i32,
                start_period: "FY2026-M06".into(),
                end_period: "FY2026-M10".into(),
                currency_code: currency.into(),
                include_counts: false,
                skip_leading_empty_months: false,
            })
            .await
            .expect("a series")
            .into_inner()
            .series
    };
    // The tenant by month, Sep..Jan: s2 1,500 | s1 2,000 + s3 2,000 | nothing | s5 | nothing.
    // In USD: s4 100 in October, s6 240 at local midnight opening January.
    for (currency, want) in [
        ("IDR", ["1500", "4000", "0", "2700", "0"]),
        ("USD", ["0", "100", "0", "0", "240"]),
    ] {
        let total = series(&mut admin, "", pb::SeriesDimension::Total, currency).await;
        c.int(&format!("tenant {currency} series count"), total.len() as i64, 1);
        for (i, want) in want.iter().enumerate() {
            let point = total.first().and_then(|s| s.points.get(i));
            let label = format!("tenant {currency} series point {i}");
            c.cash(&label, &point.and_then(|p| p.revenue.clone()), want);
        }
    }
    // emea by member in IDR: ana 1,200 of s3 + 2,000 in October; budi 1,500 in September, 800 in October.
    let members = series(&mut admin, "teams/emea", pb::SeriesDimension::Member, "IDR").await;
    for (member, want) in [
        ("members/ana", ["0", "3200", "0", "0", "0"]),
        ("members/budi", ["1500", "800", "0", "0", "0"]),
    ] {
        let points = members
            .iter()
            .find(|s| s.subject == member)
            .map(|s| s.points.clone())
            .unwrap_or_default();
        for (i, want) in want.iter().enumerate() {
            c.cash(
                &format!("{member} series point {i}"),
                &points.get(i).and_then(|p| p.revenue.clone()),
                want,
            );
        }
    }

    // A rep reads themself, not the tenant; apac's manager reads apac, not emea.
    let ask = |owner: &str| pb::GetKpisRequest {
        owner: owner.into(),
        period: "FY2026-Q3".into(),
        currency_code: "IDR".into(),
        ..Default::default()
    };
    let mut rep = suite.rep("ana");
    let own = rep
        .get_kpis(ask("members/ana"))
        .await
        .expect("a rep's own KPIs")
        .into_inner()
        .kpis
        .unwrap_or_default();
    c.cash("ana's own Q3 revenue", &own.revenue, "3200");
    let denied = rep.get_kpis(ask("")).await.expect_err("the tenant is not a rep's");
    c.text(
        "rep reading the tenant",
        &format!("{:?}", denied.code()),
        &format!("{:?}", Code::PermissionDenied),
    );
    let mut manager = suite.manager(&["apac"]);
    let apac = manager
        .get_kpis(ask("teams/apac"))
        .await
        .expect("apac's KPIs")
        .into_inner()
        .kpis
        .unwrap_or_default();
    c.cash("apac manager: apac Q3 revenue", &apac.revenue, "2700");
    c.ratio("apac manager: apac Q3 won deals", &apac.won_deal_count, "1.5");
    let denied = manager
        .get_kpis(ask("teams/emea"))
        .await
        .expect_err("emea is not apac's");
    c.text(
        "apac manager reading emea",
        &format!("{:?}", denied.code()),
        &format!("{:?}", Code::PermissionDenied),
    );
    c.done(25);
}

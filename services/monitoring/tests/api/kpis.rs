//! KPIs on hand-computed data: split credit, sub-teams, empty periods, attainment, currencies.

use lacak_proto::common::measure;
use lacak_proto::goals as gpb;
use lacak_proto::monitoring as pb;
use rust_decimal::Decimal;
use tonic::Code;

use crate::helpers::*;

async fn split_story(suite: &Suite) {
    org(suite).await;
    product(suite, "LAP-1", "600").await;
    let mut shared = sale("s-split", "ana", "LAP-1", "1", "1000", "2026-02-10T00:00:00Z");
    shared.credit = split(&[("ana", "60"), ("budi", "40")]);
    ingest(
        suite,
        vec![
            sale_event("s-split", shared),
            sale_event(
                "s-budi",
                sale("s-budi", "budi", "LAP-1", "2", "500", "2026-02-11T00:00:00Z"),
            ),
            sale_event(
                "s-citra",
                sale("s-citra", "citra", "LAP-1", "1", "2000", "2026-03-01T00:00:00Z"),
            ),
            // Next quarter: outside FY2026-Q1.
            sale_event(
                "s-later",
                sale("s-later", "ana", "LAP-1", "1", "999", "2026-04-01T00:00:00Z"),
            ),
        ],
    )
    .await;
}

#[tokio::test]
async fn split_credit_counts_each_members_share_and_a_team_once() {
    let suite = spawn_suite().await;
    split_story(&suite).await;
    let ana = kpis(&suite, "members/ana", "FY2026-Q1").await;
    let budi = kpis(&suite, "members/budi", "FY2026-Q1").await;
    assert_eq!(amount(&ana.revenue), dec("600"));
    assert_eq!(amount(&budi.revenue), dec("1400"), "400 of the split plus 2 × 500");
    assert_eq!(value(&ana.units_sold), dec("0.6"));
    // emea holds ana and, through its sub-team uk, budi: the split sale counts once.
    let emea = kpis(&suite, "teams/emea", "FY2026-Q1").await;
    assert_eq!(amount(&emea.revenue), dec("2000"));
    let sales = kpis(&suite, "teams/sales", "FY2026-Q1").await;
    assert_eq!(amount(&sales.revenue), dec("4000"));
    assert_eq!(value(&sales.units_sold), dec("4"));
    // Cost 600 a unit: margin 4000 − 2400.
    assert_eq!(amount(&sales.gross_margin), dec("1600"));
    assert_eq!(value(&sales.gross_margin_percent), dec("40"));
}

#[tokio::test]
async fn a_period_without_sales_shows_zero_actual_and_the_full_variance() {
    let suite = spawn_suite().await;
    split_story(&suite).await;
    revenue_quota(&suite, "members/ana", "FY2026-Q3", "5000").await;
    let kpis = kpis(&suite, "members/ana", "FY2026-Q3").await;
    assert_eq!(amount(&kpis.revenue), dec("0"));
    let attainment = &kpis.attainments[0];
    let money = |m: &Option<lacak_proto::common::Measure>| match m.as_ref().and_then(|m| m.kind.clone()) {
        Some(measure::Kind::Money(money)) => amount(&Some(money)),
        other => panic!("expected money, got {other:?}"),
    };
    assert_eq!(money(&attainment.actual), dec("0"));
    assert_eq!(money(&attainment.variance), dec("-5000"));
    assert_eq!(value(&attainment.attainment_percent), dec("0"));
    assert!(kpis.win_rate_percent.is_none(), "no closed deals: undefined, not zero");
}

#[tokio::test]
async fn attainment_compares_with_goals_targets_and_never_mixes_currencies() {
    let suite = spawn_suite().await;
    split_story(&suite).await;
    revenue_quota(&suite, "teams/emea", "FY2026-Q1", "4000").await;
    quota(
        &suite,
        "teams/emea",
        "FY2026-Q1",
        gpb::Metric::Revenue,
        measure::Kind::Money(money("USD", "100")),
    )
    .await;
    quota(
        &suite,
        "teams/emea",
        "FY2026-Q1",
        gpb::Metric::UnitsSold,
        measure::Kind::Quantity(num("6").unwrap()),
    )
    .await;
    let kpis = kpis(&suite, "teams/emea", "FY2026-Q1").await;
    let mut seen: Vec<(i32, String, rust_decimal::Decimal)> = kpis
        .attainments
        .iter()
        .map(|a| {
            let (currency, actual) = match a.actual.as_ref().and_then(|m| m.kind.clone()) {
                Some(measure::Kind::Money(m)) => (m.currency_code.clone(), amount(&Some(m))),
                Some(measure::Kind::Quantity(q)) => (String::new(), value(&Some(q))),
                None => panic!("an actual"),
            };
            assert!(a.projection.is_some(), "a finished period projects its actual");
            (a.metric, currency, actual)
        })
        .collect();
    seen.sort();
    // Asked in IDR: the IDR quotas and the currency-free ones; the USD quota is not this currency's.
    assert_eq!(
        seen,
        [
            (gpb::Metric::Revenue as i32, "IDR".to_string(), dec("2000")),
            (gpb::Metric::UnitsSold as i32, String::new(), dec("3")),
        ]
    );
    // Asked without a currency: every quota, each against its own currency's sales.
    let every = kpis_asked(
        &suite,
        pb::GetKpisRequest {
            owner: "teams/emea".into(),
            period: "FY2026-Q1".into(),
            ..Default::default()
        },
    )
    .await;
    let mut all: Vec<(i32, String)> = every
        .attainments
        .iter()
        .map(|a| match a.actual.as_ref().and_then(|m| m.kind.clone()) {
            Some(measure::Kind::Money(m)) => (a.metric, format!("{} {}", m.currency_code.clone(), amount(&Some(m)))),
            _ => (
                a.metric,
                value(&a.actual.as_ref().and_then(|m| match &m.kind {
                    Some(measure::Kind::Quantity(q)) => Some(q.clone()),
                    _ => None,
                }))
                .to_string(),
            ),
        })
        .collect();
    all.sort();
    assert_eq!(
        all,
        [
            (gpb::Metric::Revenue as i32, "IDR 2000".to_string()),
            (gpb::Metric::Revenue as i32, "USD 0".to_string()),
            (gpb::Metric::UnitsSold as i32, "3".to_string()),
        ]
    );
    assert!(every.revenue.is_none(), "no currency asked: money is per currency");
    assert_eq!(every.currency_figures.len(), 2, "IDR sales and a USD quota");
    let idr = kpis
        .attainments
        .iter()
        .find(|a| a.attainment_percent.is_some() && value(&a.attainment_percent) == dec("50"));
    assert!(idr.is_some(), "2000 of 4000 is 50%");
}

#[tokio::test]
async fn open_pipeline_is_weighted_and_covers_the_remaining_quota() {
    let suite = spawn_suite().await;
    split_story(&suite).await;
    revenue_quota(&suite, "members/citra", "FY2026-Q1", "10000").await;
    let mut commit = match deal_event("d-commit", "citra", "4000", "negotiate", "2026-01-10T00:00:00Z").event {
        Some(pb::ingest_event::Event::Deal(d)) => d,
        _ => unreachable!(),
    };
    commit.forecast_category = pb::ForecastCategory::Commit as i32;
    ingest(
        &suite,
        vec![
            event("d-commit", pb::ingest_event::Event::Deal(commit)),
            deal_event("d-early", "citra", "4000", "qualify", "2026-01-11T00:00:00Z"),
        ],
    )
    .await;
    let kpis = kpis(&suite, "members/citra", "FY2026-Q1").await;
    assert_eq!(amount(&kpis.open_pipeline), dec("8000"));
    // 90% of 4000 + 10% of 4000.
    assert_eq!(amount(&kpis.weighted_pipeline), dec("4000"));
    // 8000 open against 10000 − 2000 still to sell.
    assert_eq!(value(&kpis.pipeline_coverage), dec("1"));
}

#[tokio::test]
async fn questions_are_checked_field_by_field() {
    let suite = spawn_suite().await;
    let status = suite
        .admin()
        .get_kpis(pb::GetKpisRequest {
            owner: "ana".into(),
            period: "2026-Q1".into(),
            scope: Some(lacak_proto::common::Scope {
                region: "emea".into(),
                segment: "smb".into(),
                ..Default::default()
            }),
            currency_code: "rupiah".into(),
            as_of: None,
        })
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&status), ["owner", "period", "currency_code", "scope"]);
    let unknown = suite
        .admin()
        .get_kpis(pb::GetKpisRequest {
            owner: "teams/nowhere".into(),
            period: "FY2026".into(),
            scope: None,
            currency_code: "IDR".into(),
            as_of: None,
        })
        .await
        .unwrap_err();
    assert_eq!(unknown.code(), Code::NotFound);
}

fn series_request(owner: &str, dimension: pb::SeriesDimension, start: &str, end: &str) -> pb::GetSalesSeriesRequest {
    pb::GetSalesSeriesRequest {
        owner: owner.into(),
        dimension: dimension as i32,
        start_period: start.into(),
        end_period: end.into(),
        currency_code: "IDR".into(),
        include_counts: false,
        skip_leading_empty_months: false,
    }
}

#[tokio::test]
async fn sales_series_fill_every_month_and_split_by_member_and_product() {
    let suite = spawn_suite().await;
    split_story(&suite).await;
    let mut admin = suite.admin();
    let total = admin
        .get_sales_series(series_request(
            "teams/sales",
            pb::SeriesDimension::Total,
            "FY2026-M01",
            "FY2026-M05",
        ))
        .await
        .unwrap()
        .into_inner()
        .series;
    assert_eq!(total.len(), 1);
    assert_eq!(total[0].subject, "teams/sales");
    let revenue: Vec<Decimal> = total[0].points.iter().map(|p| amount(&p.revenue)).collect();
    assert_eq!(revenue, [dec("0"), dec("2000"), dec("2000"), dec("999"), dec("0")]);
    assert_eq!(total[0].points[1].period, "FY2026-M02");

    let by_member = admin
        .get_sales_series(series_request(
            "teams/emea",
            pb::SeriesDimension::Member,
            "FY2026-M02",
            "FY2026-M02",
        ))
        .await
        .unwrap()
        .into_inner()
        .series;
    let pairs: Vec<(String, Decimal)> = by_member
        .iter()
        .map(|s| (s.subject.clone(), amount(&s.points[0].revenue)))
        .collect();
    assert_eq!(
        pairs,
        [
            ("members/ana".to_owned(), dec("600")),
            ("members/budi".to_owned(), dec("1400"))
        ]
    );

    // The whole tenant by product: every sale of LAP-1, split or not, once.
    let products = admin
        .get_sales_series(series_request(
            "",
            pb::SeriesDimension::Product,
            "FY2026-M01",
            "FY2026-M12",
        ))
        .await
        .unwrap()
        .into_inner()
        .series;
    assert_eq!(products.len(), 1);
    assert_eq!(products[0].subject, "products/LAP-1");
    let sum: Decimal = products[0].points.iter().map(|p| amount(&p.revenue)).sum();
    assert_eq!(sum, dec("4999"));
}

#[tokio::test]
async fn sales_series_refuse_bad_ranges_and_owners_out_of_sight() {
    let suite = spawn_suite().await;
    split_story(&suite).await;
    let status = suite
        .admin()
        .get_sales_series(series_request(
            "team/x",
            pb::SeriesDimension::Total,
            "FY2026-Q1",
            "FY2025-M01",
        ))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(violated_fields(&status), ["owner", "start_period"]);
    let backwards = suite
        .admin()
        .get_sales_series(series_request(
            "",
            pb::SeriesDimension::Total,
            "FY2026-M03",
            "FY2026-M01",
        ))
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&backwards), ["end_period"]);
    // A rep sees their own series, not the team's nor the tenant's.
    let mut rep = suite.rep("ana");
    assert!(
        rep.get_sales_series(series_request(
            "members/ana",
            pb::SeriesDimension::Total,
            "FY2026-M01",
            "FY2026-M03"
        ))
        .await
        .is_ok()
    );
    for owner in ["teams/emea", ""] {
        let status = rep
            .get_sales_series(series_request(
                owner,
                pb::SeriesDimension::Total,
                "FY2026-M01",
                "FY2026-M03",
            ))
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::PermissionDenied, "{owner:?}");
    }
}

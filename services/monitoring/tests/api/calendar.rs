//! Periods follow the tenant's fiscal calendar as goals holds it, year naming included.

use lacak_proto::goals::{FiscalCalendar, FiscalYearNaming, UpdateFiscalCalendarRequest};
use lacak_proto::monitoring as pb;
use rust_decimal::Decimal;

use crate::helpers::*;

/// Fiscal years start in April, in Jakarta (UTC+7, no daylight saving), named by the year they
/// start in; ana sells 1000 IDR at local midnight of 1 April 2026 and 300 IDR a second before.
async fn starting_year_story(suite: &Suite) {
    suite
        .goals(&suite.admin_token())
        .update_fiscal_calendar(UpdateFiscalCalendarRequest {
            fiscal_calendar: Some(FiscalCalendar {
                start_month: 4,
                time_zone: "Asia/Jakarta".into(),
                year_naming: FiscalYearNaming::StartingYear as i32,
                ..Default::default()
            }),
            update_mask: None,
        })
        .await
        .expect("the calendar is set before any quota");
    org(suite).await;
    product(suite, "LAP-1", "100").await;
    ingest(
        suite,
        vec![
            // 2026-04-01T00:00:00+07:00: the first instant of FY2026.
            sale_event(
                "first",
                sale("first", "ana", "LAP-1", "1", "1000", "2026-03-31T17:00:00Z"),
            ),
            // 2026-03-31T23:59:59+07:00: the last second of FY2025.
            sale_event(
                "before",
                sale("before", "ana", "LAP-1", "1", "300", "2026-03-31T16:59:59Z"),
            ),
        ],
    )
    .await;
}

#[tokio::test]
async fn a_sale_on_the_local_first_of_april_opens_the_fiscal_year_named_by_its_start() {
    let suite = spawn_suite().await;
    starting_year_story(&suite).await;

    let revenue = async |period: &str| amount(&kpis(&suite, "members/ana", period).await.revenue);
    // FY2026 = 2026-04-01 .. 2027-04-01 local: the 1000 sale only; its first month likewise.
    assert_eq!(revenue("FY2026-M01").await, dec("1000"));
    assert_eq!(revenue("FY2026-Q1").await, dec("1000"));
    assert_eq!(revenue("FY2026").await, dec("1000"));
    // FY2025 = 2025-04-01 .. 2026-04-01 local; its M12 is March 2026: the 300 sale.
    assert_eq!(revenue("FY2025-M12").await, dec("300"));
    assert_eq!(revenue("FY2025").await, dec("300"));
    // Named by the year it ends, the 1000 sale would be in FY2027; here FY2027 starts in April 2027.
    assert_eq!(revenue("FY2027").await, dec("0"));
}

#[tokio::test]
async fn series_and_reports_label_months_by_the_year_they_start() {
    let suite = spawn_suite().await;
    starting_year_story(&suite).await;
    let mut admin = suite.admin();

    let series = admin
        .get_sales_series(pb::GetSalesSeriesRequest {
            owner: "members/ana".into(),
            dimension: pb::SeriesDimension::Total as i32,
            start_period: "FY2025-M12".into(),
            end_period: "FY2026-M01".into(),
            currency_code: "IDR".into(),
            include_counts: false,
            skip_leading_empty_months: false,
        })
        .await
        .expect("a series")
        .into_inner()
        .series;
    assert_eq!(series.len(), 1);
    let points: Vec<(String, Decimal)> = series[0]
        .points
        .iter()
        .map(|p| (p.period.clone(), amount(&p.revenue)))
        .collect();
    assert_eq!(
        points,
        [
            ("FY2025-M12".to_owned(), dec("300")),
            ("FY2026-M01".to_owned(), dec("1000"))
        ]
    );

    let report = admin
        .get_tracking_report(pb::GetTrackingReportRequest {
            team: "teams/emea".into(),
            period: "FY2026-Q1".into(),
            currency_code: "IDR".into(),
            granularity: pb::Granularity::Month as i32,
            moving_average_window: 2,
        })
        .await
        .expect("a report")
        .into_inner()
        .report
        .expect("the report");
    // FY2026-Q1 is April to June 2026: the 1000 sale opens it, the 300 sale is outside.
    let trend: Vec<(String, Decimal)> = report
        .trend
        .iter()
        .map(|t| (t.label.clone(), amount(&t.revenue)))
        .collect();
    assert_eq!(
        trend,
        [
            ("FY2026-M01".to_owned(), dec("1000")),
            ("FY2026-M02".to_owned(), dec("0")),
            ("FY2026-M03".to_owned(), dec("0"))
        ]
    );
    assert_eq!(report.trend[0].start_time, ts("2026-04-01T00:00:00+07:00"));
}

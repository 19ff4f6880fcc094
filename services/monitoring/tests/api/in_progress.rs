//! The tracking report of a period not yet over: how much has elapsed, each member's and the team's
//! projected attainment beside the actual, and a partial last bucket the moving average leaves out.
//! The period is the current fiscal quarter, so the expected values are worked out here from the
//! instant the report says it read its figures at.

use chrono::{DateTime, Datelike, Duration, NaiveDate, SubsecRound, TimeZone, Utc};
use lacak_proto::common::{Measure, measure};
use lacak_proto::goals::{self as gpb, CreateQuotaRequest, Quota};
use lacak_proto::monitoring as pb;
use rust_decimal::Decimal;
use tonic::Code;

use crate::helpers::*;

/// The current quarter of a calendar-year tenant in UTC (goals' default): its name, start, the
/// starts of its three months and its end.
fn current_quarter(now: DateTime<Utc>) -> (String, [DateTime<Utc>; 4]) {
    let first_month = (now.month0() / 3) * 3 + 1;
    let month_start = |offset: u32| {
        let (year, month) = if first_month + offset > 12 {
            (now.year() + 1, first_month + offset - 12)
        } else {
            (now.year(), first_month + offset)
        };
        Utc.from_utc_datetime(
            &NaiveDate::from_ymd_opt(year, month, 1)
                .unwrap()
                .and_hms_opt(0, 0, 0)
                .unwrap(),
        )
    };
    (
        format!("FY{}-Q{}", now.year(), first_month.div_ceil(3)),
        [month_start(0), month_start(1), month_start(2), month_start(3)],
    )
}

async fn quota_with(suite: &Suite, owner: &str, period: &str, target: &str, weights: &[&str]) {
    let _: Quota = suite
        .goals(&suite.admin_token())
        .create_quota(CreateQuotaRequest {
            quota: Some(Quota {
                owner: owner.to_owned(),
                metric: gpb::Metric::Revenue as i32,
                period: period.to_owned(),
                target: Some(Measure {
                    kind: Some(measure::Kind::Money(money("IDR", target))),
                }),
                seasonal_profile: weights.iter().map(|w| num(w).unwrap()).collect(),
                ..Default::default()
            }),
            reason: "set for the story".into(),
            request_id: String::new(),
        })
        .await
        .expect("a quota")
        .into_inner()
        .quota
        .expect("the quota");
}

fn seconds(d: Duration) -> Decimal {
    Decimal::from(d.num_microseconds().unwrap()) / Decimal::from(1_000_000)
}

/// The share of a quarter's plan expected by `at`, in percent: the weights of the months past
/// plus the current month's weight times its elapsed fraction.
fn expected_share(months: &[DateTime<Utc>; 4], weights: [Decimal; 3], at: DateTime<Utc>) -> Decimal {
    let mut share = Decimal::ZERO;
    for (i, weight) in weights.into_iter().enumerate() {
        let (start, end) = (months[i], months[i + 1]);
        if at >= end {
            share += weight;
        } else if at > start {
            share += weight * seconds(at - start) / seconds(end - start);
        }
    }
    share
}

#[track_caller]
fn close(actual: Decimal, expected: Decimal, what: &str) {
    // Both sides are rounded to 9 places at most; a millionth covers how they got there.
    assert!(
        (actual - expected).abs() < dec("0.000001"),
        "{what}: {actual} against {expected} worked out here"
    );
}

#[tokio::test]
async fn a_quarter_in_progress_shows_elapsed_time_projections_and_a_partial_last_bucket() {
    let suite = spawn_suite().await;
    org(&suite).await;
    product(&suite, "LAP-1", "100").await;
    let (quarter, months) = current_quarter(Utc::now());
    // ana 9,000 evenly; budi 6,000 over 50/30/20; citra none.
    quota_with(&suite, "members/ana", &quarter, "9000", &[]).await;
    quota_with(&suite, "members/budi", &quarter, "6000", &["50", "30", "20"]).await;
    // Everything sold in the quarter's first instant, so it is in whatever has elapsed.
    let opening = months[0].to_rfc3339();
    ingest(
        &suite,
        vec![
            sale_event("a", sale("a", "ana", "LAP-1", "1", "3000", &opening)),
            sale_event("b", sale("b", "budi", "LAP-1", "1", "1200", &opening)),
            sale_event("c", sale("c", "citra", "LAP-1", "1", "500", &opening)),
        ],
    )
    .await;

    let before = Utc::now().trunc_subsecs(6);
    let report = suite
        .admin()
        .get_tracking_report(pb::GetTrackingReportRequest {
            team: "teams/sales".into(),
            period: quarter.clone(),
            currency_code: "IDR".into(),
            granularity: pb::Granularity::Month as i32,
            moving_average_window: 1,
        })
        .await
        .unwrap()
        .into_inner()
        .report
        .unwrap();
    let after = Utc::now();
    let as_of = report.as_of.as_ref().expect("as_of");
    let as_of = Utc.timestamp_opt(as_of.seconds, as_of.nanos as u32).unwrap();
    assert!(before <= as_of && as_of <= after, "{before} ≤ {as_of} ≤ {after}");

    // Elapsed: (as_of − start) / (end − start) × 100.
    let elapsed = seconds(as_of - months[0]) * Decimal::ONE_HUNDRED / seconds(months[3] - months[0]);
    close(value(&report.elapsed_percent), elapsed, "elapsed");
    assert!(value(&report.elapsed_percent) < dec("100"));

    let third = Decimal::ONE_HUNDRED / Decimal::from(3);
    let even = expected_share(&months, [third, third, third], as_of);
    let seasonal = expected_share(&months, [dec("50"), dec("30"), dec("20")], as_of);
    // Each projection is actual × 100 / the share of the plan expected by now.
    let ana_projection = dec("3000") * Decimal::ONE_HUNDRED / even;
    let budi_projection = dec("1200") * Decimal::ONE_HUNDRED / seasonal;
    let citra_projection = dec("500") * Decimal::ONE_HUNDRED / even;
    let row = |member: &str| {
        report
            .members
            .iter()
            .find(|m| m.member == format!("members/{member}"))
            .unwrap()
    };
    let (ana, budi, citra) = (row("ana"), row("budi"), row("citra"));
    // 3,000 / 9,000 = 33.333333333%; 1,200 / 6,000 = 20%.
    assert_eq!(value(&ana.attainment_percent), dec("33.333333333"));
    assert_eq!(value(&budi.attainment_percent), dec("20"));
    close(amount(&ana.projection), ana_projection, "ana's projection");
    close(
        value(&ana.projected_attainment_percent),
        ana_projection / dec("90"),
        "ana's projected attainment",
    );
    close(amount(&budi.projection), budi_projection, "budi's projection");
    close(
        value(&budi.projected_attainment_percent),
        budi_projection / dec("60"),
        "budi's projected attainment",
    );
    close(amount(&citra.projection), citra_projection, "citra's projection");
    assert!(
        citra.projected_attainment_percent.is_none(),
        "no target, no projected attainment"
    );

    // The team: 9,000 + 6,000 = 15,000 against 3,000 + 1,200 + 500 = 4,700 (31.333333333%).
    let team = report.team_performance.as_ref().expect("the team's line");
    assert_eq!(amount(&team.target), dec("15000"));
    assert_eq!(amount(&team.actual), dec("4700"));
    assert_eq!(amount(&team.variance), dec("-10300"));
    assert_eq!(value(&team.attainment_percent), dec("31.333333333"));
    let team_projection = ana_projection + budi_projection + citra_projection;
    close(amount(&team.projection), team_projection, "the team's projection");
    close(
        value(&team.projected_attainment_percent),
        team_projection / dec("150"),
        "the team's projected attainment",
    );

    // Months up to the current one; only that one is partial and has no moving average. With a
    // window of one, every whole month averages to its own revenue.
    let (last, whole) = report.trend.split_last().expect("a bucket");
    assert!(last.partial && last.moving_average.is_none(), "{last:?}");
    for point in whole {
        assert!(!point.partial, "{point:?}");
        assert_eq!(amount(&point.moving_average), amount(&point.revenue));
    }
    let revenue: Decimal = report.trend.iter().map(|p| amount(&p.revenue)).sum();
    assert_eq!(revenue, dec("4700"));
}

#[tokio::test]
async fn today_is_a_partial_day_and_a_finished_quarter_has_nothing_partial() {
    let suite = spawn_suite().await;
    org(&suite).await;
    product(&suite, "LAP-1", "100").await;
    let (quarter, _) = current_quarter(Utc::now());
    quota_with(&suite, "members/ana", "FY2026-Q1", "1000", &[]).await;
    ingest(
        &suite,
        vec![sale_event(
            "a",
            sale("a", "ana", "LAP-1", "1", "800", "2026-02-10T00:00:00Z"),
        )],
    )
    .await;
    let ask = |period: &str, granularity: pb::Granularity| pb::GetTrackingReportRequest {
        team: "teams/emea".into(),
        period: period.into(),
        currency_code: "IDR".into(),
        granularity: granularity as i32,
        moving_average_window: 1,
    };
    let days = suite
        .admin()
        .get_tracking_report(ask(&quarter, pb::Granularity::Day))
        .await
        .unwrap()
        .into_inner()
        .report
        .unwrap();
    let today = Utc::now().date_naive().to_string();
    let (last, whole) = days.trend.split_last().unwrap();
    assert!(
        last.label == today && last.partial && last.moving_average.is_none(),
        "{last:?}"
    );
    assert!(whole.iter().all(|p| !p.partial && p.moving_average.is_some()));

    // FY2026-Q1 is over: all of it elapsed, nothing partial, projections are the actuals.
    let q1 = suite
        .admin()
        .get_tracking_report(ask("FY2026-Q1", pb::Granularity::Month))
        .await
        .unwrap()
        .into_inner()
        .report
        .unwrap();
    assert_eq!(value(&q1.elapsed_percent), dec("100"));
    assert!(q1.trend.iter().all(|p| !p.partial && p.moving_average.is_some()));
    let ana = q1.members.iter().find(|m| m.member == "members/ana").unwrap();
    // 800 / 1,000.
    assert_eq!(amount(&ana.projection), dec("800"));
    assert_eq!(value(&ana.projected_attainment_percent), dec("80"));
    assert_eq!(value(&ana.attainment_percent), dec("80"));

    // The exports show the same: the CSV's projection columns, elapsed and as-of on every row.
    let csv = suite
        .admin()
        .export_tracking_report(pb::ExportTrackingReportRequest {
            team: "teams/emea".into(),
            period: "FY2026-Q1".into(),
            currency_code: "IDR".into(),
            format: pb::ExportFormat::Csv as i32,
        })
        .await
        .unwrap()
        .into_inner();
    let text = String::from_utf8(csv.content).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[0].ends_with("Projection,Projected attainment %,Elapsed %,As of (UTC)"),
        "{}",
        lines[0]
    );
    assert!(
        lines[1].starts_with("1,members/ana,Ana,IDR,1000,800,-200,80,"),
        "{}",
        lines[1]
    );
    assert!(lines[1].contains(",800,80,100,"), "{}", lines[1]);

    // A rep reads no team's report, in progress or not.
    let denied = suite
        .rep("ana")
        .get_tracking_report(ask(&quarter, pb::Granularity::Month))
        .await
        .unwrap_err();
    assert_eq!(denied.code(), Code::PermissionDenied);
}

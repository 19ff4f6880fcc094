//! Quotas of a quarter or a year read for one of their quarters or months: the target is the sum of
//! those months' targets, the actual the shorter period's, and each attainment names its quota's
//! own period and whole target.

use lacak_domain::Role;
use lacak_proto::common::{Measure, measure};
use lacak_proto::goals::{self as gpb, CreateQuotaRequest, Quota};
use lacak_proto::monitoring as pb;
use rust_decimal::Decimal;
use tonic::Code;

use crate::helpers::*;

/// A revenue quota in IDR with a seasonal profile (empty for an even split).
async fn planned_quota(suite: &Suite, owner: &str, period: &str, target: &str, weights: &[&str]) -> Quota {
    suite
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
        .expect("the quota")
}

/// ana: FY2026 120,000 over 5,5,10 | 10,5,5 | 10,10,10 | 10,10,10 %, so monthly 6,000, 6,000,
/// 12,000 | 12,000, 6,000, 6,000 | 12,000 each; FY2026-Q2 20,000 evenly; FY2026-Q1 and FY2025,
/// which contain neither Q2 nor May. budi: FY2026-Q3 10,000 over 50/30/20: 5,000, 3,000, 2,000.
/// Sales: ana 9,000 in April, 4,500 in May, 4,500 in June (Q2: 18,000); budi 1,000 in July and
/// 3,600 in August.
async fn story(suite: &Suite) -> (Quota, Quota, Quota) {
    org(suite).await;
    product(suite, "LAP-1", "100").await;
    let yearly = planned_quota(
        suite,
        "members/ana",
        "FY2026",
        "120000",
        &["5", "5", "10", "10", "5", "5", "10", "10", "10", "10", "10", "10"],
    )
    .await;
    let quarterly = planned_quota(suite, "members/ana", "FY2026-Q2", "20000", &[]).await;
    planned_quota(suite, "members/ana", "FY2026-Q1", "50000", &[]).await;
    planned_quota(suite, "members/ana", "FY2025", "90000", &[]).await;
    let budi = planned_quota(suite, "members/budi", "FY2026-Q3", "10000", &["50", "30", "20"]).await;
    ingest(
        suite,
        vec![
            sale_event(
                "a-apr",
                sale("a-apr", "ana", "LAP-1", "1", "9000", "2026-04-10T00:00:00Z"),
            ),
            sale_event(
                "a-may",
                sale("a-may", "ana", "LAP-1", "1", "4500", "2026-05-20T00:00:00Z"),
            ),
            sale_event(
                "a-jun",
                sale("a-jun", "ana", "LAP-1", "1", "4500", "2026-06-05T00:00:00Z"),
            ),
            sale_event(
                "b-jul",
                sale("b-jul", "budi", "LAP-1", "1", "1000", "2026-07-03T00:00:00Z"),
            ),
            sale_event(
                "b-aug",
                sale("b-aug", "budi", "LAP-1", "1", "3600", "2026-08-12T00:00:00Z"),
            ),
        ],
    )
    .await;
    (yearly, quarterly, budi)
}

#[track_caller]
fn money_of(m: &Option<Measure>) -> Decimal {
    match m.as_ref().and_then(|m| m.kind.clone()) {
        Some(measure::Kind::Money(money)) => amount(&Some(money)),
        other => panic!("expected money, got {other:?}"),
    }
}

/// (quota, quota period, target, actual, variance, attainment %, projection, whole target).
fn read(attainment: &pb::Attainment) -> (String, String, [Decimal; 6]) {
    (
        attainment.quota.clone(),
        attainment.quota_period.clone(),
        [
            money_of(&attainment.target),
            money_of(&attainment.actual),
            money_of(&attainment.variance),
            value(&attainment.attainment_percent),
            money_of(&attainment.projection),
            money_of(&attainment.quota_target),
        ],
    )
}

#[tokio::test]
async fn a_yearly_quota_is_read_for_a_quarter_and_a_month_by_its_monthly_targets() {
    let suite = spawn_suite().await;
    let (yearly, quarterly, _) = story(&suite).await;

    let q2 = kpis(&suite, "members/ana", "FY2026-Q2").await;
    let seen: Vec<_> = q2.attainments.iter().map(read).collect();
    assert_eq!(
        seen,
        [
            // The quarter's own quota first: 18,000 of 20,000 = 90%; the quarter is over, so the
            // projection is the actual.
            (
                quarterly.name.clone(),
                "FY2026-Q2".to_owned(),
                [
                    dec("20000"),
                    dec("18000"),
                    dec("-2000"),
                    dec("90"),
                    dec("18000"),
                    dec("20000")
                ]
            ),
            // The year's April to June: 12,000 + 6,000 + 6,000 = 24,000; 18,000 − 24,000 = −6,000;
            // 18,000 / 24,000 = 75%. Its whole target stays 120,000.
            (
                yearly.name.clone(),
                "FY2026".to_owned(),
                [
                    dec("24000"),
                    dec("18000"),
                    dec("-6000"),
                    dec("75"),
                    dec("18000"),
                    dec("120000")
                ]
            ),
        ]
    );

    let may = kpis(&suite, "members/ana", "FY2026-M05").await;
    let seen: Vec<_> = may.attainments.iter().map(read).collect();
    assert_eq!(
        seen,
        [
            // 20,000 evenly over three months, to the cent with the largest remainders first:
            // 6,666.67, 6,666.67, 6,666.66. May: 4,500 − 6,666.67 = −2,166.67;
            // 4,500 / 6,666.67 × 100 = 67.4999662500168… ≈ 67.49996625.
            (
                quarterly.name.clone(),
                "FY2026-Q2".to_owned(),
                [
                    dec("6666.67"),
                    dec("4500"),
                    dec("-2166.67"),
                    dec("67.49996625"),
                    dec("4500"),
                    dec("20000")
                ]
            ),
            // The year's May: 5% of 120,000 = 6,000; 4,500 / 6,000 = 75%.
            (
                yearly.name.clone(),
                "FY2026".to_owned(),
                [
                    dec("6000"),
                    dec("4500"),
                    dec("-1500"),
                    dec("75"),
                    dec("4500"),
                    dec("120000")
                ]
            ),
        ]
    );
}

#[tokio::test]
async fn a_quarterly_quota_is_read_for_one_of_its_months() {
    let suite = spawn_suite().await;
    let (_, _, budi) = story(&suite).await;
    let august = kpis(&suite, "members/budi", "FY2026-M08").await;
    assert_eq!(amount(&august.revenue), dec("3600"));
    let seen: Vec<_> = august.attainments.iter().map(read).collect();
    // August is 30% of 10,000 = 3,000; 3,600 − 3,000 = +600; 3,600 / 3,000 = 120%.
    assert_eq!(
        seen,
        [(
            budi.name.clone(),
            "FY2026-Q3".to_owned(),
            [
                dec("3000"),
                dec("3600"),
                dec("600"),
                dec("120"),
                dec("3600"),
                dec("10000")
            ]
        )]
    );
    // The quarter itself reads its own quota whole: 4,600 of 10,000.
    let q3 = kpis(&suite, "members/budi", "FY2026-Q3").await;
    assert_eq!(q3.attainments.len(), 1);
    assert_eq!(q3.attainments[0].quota_period, "FY2026-Q3");
    assert_eq!(value(&q3.attainments[0].attainment_percent), dec("46"));
}

#[tokio::test]
async fn wider_quotas_are_read_only_by_who_may_see_the_owner() {
    let suite = spawn_suite().await;
    let (yearly, _, _) = story(&suite).await;
    let ask = |owner: &str| pb::GetKpisRequest {
        owner: owner.into(),
        period: "FY2026-M05".into(),
        scope: None,
        currency_code: "IDR".into(),
        as_of: None,
    };
    // ana reads her own May against her year.
    let own = suite
        .rep("ana")
        .get_kpis(ask("members/ana"))
        .await
        .unwrap()
        .into_inner()
        .kpis
        .unwrap();
    let year = own
        .attainments
        .iter()
        .find(|a| a.quota == yearly.name)
        .expect("the year's May");
    assert_eq!(money_of(&year.target), dec("6000"));
    // budi may not, nor may another tenant's admin, who does not even know ana.
    assert_eq!(
        suite.rep("budi").get_kpis(ask("members/ana")).await.unwrap_err().code(),
        Code::PermissionDenied
    );
    let mut stranger = suite.monitoring(&suite.token(OTHER_TENANT, "admin", Role::Admin, &[]));
    assert_eq!(
        stranger.get_kpis(ask("members/ana")).await.unwrap_err().code(),
        Code::NotFound
    );
}

//! The tracking report: members ranked by attainment, a trend with its moving average, weak
//! points found by significance, and its exports.

use lacak_proto::monitoring as pb;

use crate::helpers::*;

async fn team_story(suite: &Suite) {
    org(suite).await;
    product(suite, "LAP-1", "100").await;
    revenue_quota(suite, "members/ana", "FY2026-Q1", "1000").await;
    revenue_quota(suite, "members/budi", "FY2026-Q1", "2000").await;
    let mut events = vec![
        sale_event("a1", sale("a1", "ana", "LAP-1", "1", "1000", "2026-01-15T00:00:00Z")),
        sale_event("a2", sale("a2", "ana", "LAP-1", "1", "500", "2026-03-15T00:00:00Z")),
        sale_event("b1", sale("b1", "budi", "LAP-1", "1", "500", "2026-02-15T00:00:00Z")),
        sale_event("c1", sale("c1", "citra", "LAP-1", "1", "700", "2026-02-20T00:00:00Z")),
    ];
    // Leads: ana and citra convert 30 of 40; budi 4 of 40.
    for (member, converted) in [("ana", 30), ("citra", 30), ("budi", 4)] {
        for i in 0..40 {
            let id = format!("{member}-{i}");
            let at = "2026-01-10T00:00:00Z";
            let conversion = (i < converted).then_some((id.as_str(), "2026-01-20T00:00:00Z"));
            if let Some((deal, _)) = conversion {
                events.push(deal_event(deal, member, "100", "qualify", "2026-01-20T00:00:00Z"));
            }
            events.push(lead_event(&id, member, at, conversion));
        }
    }
    ingest(suite, events).await;
}

#[tokio::test]
async fn members_are_ranked_by_attainment_and_the_weak_converter_is_named() {
    let suite = spawn_suite().await;
    team_story(&suite).await;
    let report = suite
        .admin()
        .get_tracking_report(pb::GetTrackingReportRequest {
            team: "teams/sales".into(),
            period: "FY2026-Q1".into(),
            currency_code: "IDR".into(),
            granularity: pb::Granularity::Month as i32,
            moving_average_window: 2,
        })
        .await
        .unwrap()
        .into_inner()
        .report
        .unwrap();
    let ranking: Vec<(i32, &str, Option<rust_decimal::Decimal>)> = report
        .members
        .iter()
        .map(|m| {
            (
                m.rank,
                m.member.as_str(),
                m.attainment_percent.as_ref().map(|_| value(&m.attainment_percent)),
            )
        })
        .collect();
    assert_eq!(
        ranking,
        [
            (1, "members/ana", Some(dec("150"))),
            (2, "members/budi", Some(dec("25"))),
            (3, "members/citra", None),
        ]
    );
    assert_eq!(amount(&report.members[1].variance), dec("-1500"));
    assert_eq!(value(&report.members[1].lead_conversion_percent), dec("10"));

    let months: Vec<(&str, rust_decimal::Decimal)> = report
        .trend
        .iter()
        .map(|p| (p.label.as_str(), amount(&p.revenue)))
        .collect();
    assert_eq!(
        months,
        [
            ("FY2026-M01", dec("1000")),
            ("FY2026-M02", dec("1200")),
            ("FY2026-M03", dec("500"))
        ]
    );
    assert!(report.trend[0].moving_average.is_none());
    assert_eq!(amount(&report.trend[1].moving_average), dec("1100"));
    assert_eq!(amount(&report.trend[2].moving_average), dec("850"));

    let weak = report
        .weak_points
        .iter()
        .find(|w| w.kind == pb::WeakPointKind::MemberLeadConversion as i32)
        .expect("budi's lead conversion is a weak point");
    assert_eq!(weak.member, "members/budi");
    assert_eq!(value(&weak.value), dec("10"));
    assert_eq!(value(&weak.baseline), dec("75"));
    assert!(value(&weak.p_value) < dec("0.001"));
    assert!(
        !report.weak_points.iter().any(|w| w.member == "members/ana"),
        "ana converts as well as the team"
    );
}

#[tokio::test]
async fn the_report_exports_as_csv_and_as_a_workbook() {
    let suite = spawn_suite().await;
    team_story(&suite).await;
    let export = |format: pb::ExportFormat| pb::ExportTrackingReportRequest {
        team: "teams/sales".into(),
        period: "FY2026-Q1".into(),
        currency_code: "IDR".into(),
        format: format as i32,
    };
    let csv = suite
        .admin()
        .export_tracking_report(export(pb::ExportFormat::Csv))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(csv.file_name, "tracking-sales-FY2026-Q1.csv");
    assert_eq!(csv.content_type, "text/csv");
    let text = String::from_utf8(csv.content).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4, "a header and three members: {text}");
    assert!(lines[1].contains("members/ana"));
    assert!(
        lines[3].contains("\"Citra, Jr.\""),
        "a name with a comma is quoted: {}",
        lines[3]
    );

    let xlsx = suite
        .admin()
        .export_tracking_report(export(pb::ExportFormat::Xlsx))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(xlsx.file_name, "tracking-sales-FY2026-Q1.xlsx");
    assert!(xlsx.content.starts_with(b"PK"), "an xlsx is a zip");
    assert!(xlsx.content.len() > 5_000);
    let missing = suite
        .admin()
        .export_tracking_report(export(pb::ExportFormat::Unspecified))
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&missing), ["format"]);
}

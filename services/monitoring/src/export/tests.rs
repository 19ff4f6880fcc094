//! The exports checked against reports built by hand.

use std::io::{Cursor, Read};

use chrono::{TimeZone, Utc};
use lacak_proto::monitoring::{TrendPoint, WeakPoint, WeakPointKind};
use lacak_runtime::convert::timestamp_to_proto;

use super::*;

fn idr(units: i64) -> Option<pb::Money> {
    Some(pb::Money {
        currency_code: "IDR".to_owned(),
        units,
        nanos: 0,
    })
}

fn dec(value: &str) -> Option<pb::Decimal> {
    Some(pb::Decimal {
        value: value.to_owned(),
    })
}

fn member(
    rank: i32,
    id: &str,
    name: &str,
    (target, actual): (i64, i64),
    rates: [Option<&str>; 3],
) -> MemberPerformance {
    let [attainment, lead_conversion, win_rate] = rates.map(|r| r.and_then(dec));
    MemberPerformance {
        member: format!("members/{id}"),
        display_name: name.to_owned(),
        rank,
        target: idr(target),
        actual: idr(actual),
        variance: idr(actual - target),
        attainment_percent: attainment,
        lead_conversion_percent: lead_conversion,
        win_rate_percent: win_rate,
        median_time_to_close: None,
        projection: None,
        projected_attainment_percent: None,
    }
}

/// Mid-period: the run-rate projection and what it makes of the target.
fn with_projection(mut member: MemberPerformance, projection: i64, projected: &str) -> MemberPerformance {
    member.projection = idr(projection);
    member.projected_attainment_percent = dec(projected);
    member
}

fn with_median_close(mut member: MemberPerformance, seconds: i64) -> MemberPerformance {
    let mut median = member.median_time_to_close.take().unwrap_or_default();
    median.seconds = seconds;
    member.median_time_to_close = Some(median);
    member
}

/// A weekly bucket starting at Monday midnight in Jakarta, which is Sunday 17:00 UTC.
fn week(sunday: u32, revenue: i64, moving_average: i64, deals_won: i64) -> TrendPoint {
    TrendPoint {
        start_time: Some(timestamp_to_proto(
            Utc.with_ymd_and_hms(2026, 7, sunday, 17, 0, 0).unwrap(),
        )),
        label: format!("2026-07-{:02}", sunday + 1),
        revenue: idr(revenue),
        moving_average: idr(moving_average),
        deals_won,
        partial: false,
    }
}

fn report() -> TrackingReport {
    TrackingReport {
        team: "teams/north".to_owned(),
        period: "FY2026-Q3".to_owned(),
        members: vec![
            with_projection(
                with_median_close(
                    member(
                        1,
                        "ana",
                        "Ana Putri",
                        (100_000, 125_500),
                        [Some("125.5"), Some("32.5"), Some("41.2")],
                    ),
                    12 * 86_400 + 12 * 3_600,
                ),
                150_600,
                "150.6",
            ),
            with_projection(
                member(
                    2,
                    "budi",
                    "Santoso, Budi",
                    (80_000, 60_000),
                    [Some("75"), Some("20"), Some("30")],
                ),
                72_000,
                "90",
            ),
            // No target, so no attainment.
            with_median_close(
                member(3, "citra", "Citra \"CJ\" Lestari", (0, 5_000), [None, Some("10"), None]),
                3 * 86_400,
            ),
        ],
        trend: vec![
            week(5, 40_000, 40_000, 3),
            week(12, 52_000, 46_000, 4),
            week(19, 47_000, 46_333, 4),
            TrendPoint {
                moving_average: None,
                partial: true,
                ..week(26, 51_500, 0, 5)
            },
        ],
        weak_points: vec![
            WeakPoint {
                kind: WeakPointKind::MemberWinRate.into(),
                member: "members/budi".to_owned(),
                value: dec("30"),
                baseline: dec("38.5"),
                p_value: dec("0.012"),
                revenue_at_stake: idr(18_000),
                explanation: "Budi wins 30% of deals; the team wins 38.5%.".to_owned(),
                ..Default::default()
            },
            WeakPoint {
                kind: WeakPointKind::TimeInStage.into(),
                stage: "Negotiation".to_owned(),
                value: dec("14.2"),
                baseline: dec("9"),
                p_value: dec("0.031"),
                revenue_at_stake: idr(9_500),
                explanation: "Deals stay 14.2 days in Negotiation; the team's baseline is 9.".to_owned(),
                ..Default::default()
            },
        ],
        generate_time: Some(timestamp_to_proto(Utc.with_ymd_and_hms(2026, 7, 31, 9, 15, 0).unwrap())),
        // 30 of FY2026-Q3's 92 days (July to September) had passed.
        as_of: Some(timestamp_to_proto(Utc.with_ymd_and_hms(2026, 7, 31, 0, 0, 0).unwrap())),
        elapsed_percent: dec("32.608695652"),
        team_performance: None,
    }
}

#[test]
fn csv_has_a_header_and_one_row_per_member_with_unset_values_empty() {
    let csv = String::from_utf8(report_csv(&report())).unwrap();

    assert_eq!(
        csv,
        "Rank,Member,Display name,Currency,Target,Actual,Variance,Attainment %,Lead conversion %,Win rate %,Median days to close,Projection,Projected attainment %,Elapsed %,As of (UTC)\r\n\
         1,members/ana,Ana Putri,IDR,100000,125500,25500,125.5,32.5,41.2,12.5,150600,150.6,32.608695652,2026-07-31T00:00:00Z\r\n\
         2,members/budi,\"Santoso, Budi\",IDR,80000,60000,-20000,75,20,30,,72000,90,32.608695652,2026-07-31T00:00:00Z\r\n\
         3,members/citra,\"Citra \"\"CJ\"\" Lestari\",IDR,0,5000,5000,,10,,3,,,32.608695652,2026-07-31T00:00:00Z\r\n"
    );
}

#[test]
fn csv_text_quotes_what_needs_it_and_defuses_formulas() {
    assert_eq!(csv_text("Ana"), "Ana");
    assert_eq!(csv_text("line\nbreak"), "\"line\nbreak\"");
    assert_eq!(csv_text("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
    assert_eq!(csv_text("@Budi"), "'@Budi");
}

#[test]
fn headline_totals_members_in_one_currency() {
    let report = report();
    let lines: Vec<MemberLine> = report.members.iter().map(MemberLine::from_proto).collect();

    let head = headline(&lines);

    assert_eq!(head.currency.as_deref(), Some("IDR"));
    assert_eq!(head.target, Some(Decimal::from(180_000)));
    assert_eq!(head.actual, Some(Decimal::from(190_500)));
    assert_eq!(head.variance, Some(Decimal::from(10_500)));
    assert_eq!(head.attainment.map(|a| a.round_dp(2)), Some(Decimal::new(10_583, 2)));
    assert_eq!((head.members, head.on_target), (3, 1));
    // 150,600 + 72,000 + citra's 5,000 sold (no projection of her own); ÷ 180,000 = 126%.
    assert_eq!(head.projection, Some(Decimal::from(227_600)));
    assert_eq!(
        head.projected_attainment.map(|a| a.round_dp(4)),
        Some(Decimal::new(1_264_444, 4))
    );
}

#[test]
fn headline_has_no_totals_across_currencies() {
    let mut report = report();
    let ana = &mut report.members[0];
    for money in [&mut ana.target, &mut ana.actual, &mut ana.variance]
        .into_iter()
        .flatten()
    {
        money.currency_code = "USD".to_owned();
    }
    let lines: Vec<MemberLine> = report.members.iter().map(MemberLine::from_proto).collect();

    let head = headline(&lines);

    assert_eq!((head.currency, head.target, head.attainment), (None, None, None));
    assert_eq!((head.members, head.on_target), (3, 1));
}

/// Every part of an xlsx package, by name, as text.
fn unzip(bytes: Vec<u8>) -> std::collections::BTreeMap<String, String> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    (0..archive.len())
        .map(|i| {
            let mut part = archive.by_index(i).unwrap();
            let mut text = String::new();
            part.read_to_string(&mut text).unwrap();
            (part.name().unwrap().into_owned(), text)
        })
        .collect()
}

/// The stored value of a cell, asserting it is a number (no `t="s"` or other type attribute).
fn number_in<'x>(sheet: &'x str, reference: &str) -> Option<&'x str> {
    let start = sheet.find(&format!("<c r=\"{reference}\""))?;
    let cell = &sheet[start..];
    let open_end = cell.find('>')?;
    if cell[..open_end].ends_with('/') {
        return None;
    }
    let cell = &cell[..cell.find("</c>")?];
    assert!(
        !cell[..open_end].contains(" t=\""),
        "{reference} is not numeric: {cell}"
    );
    Some(&cell[cell.find("<v>")? + 3..cell.find("</v>")?])
}

#[test]
fn workbook_is_a_dashboard_over_member_and_trend_tables() {
    let parts = unzip(report_xlsx(&report(), "North Team").unwrap());

    for part in [
        "xl/worksheets/sheet1.xml",
        "xl/worksheets/sheet2.xml",
        "xl/worksheets/sheet3.xml",
        "xl/charts/chart1.xml",
        "xl/charts/chart2.xml",
        "xl/tables/table1.xml",
        "xl/tables/table2.xml",
    ] {
        assert!(parts.contains_key(part), "missing {part} in {:?}", parts.keys());
    }
    let workbook = &parts["xl/workbook.xml"];
    for sheet in ["name=\"Summary\"", "name=\"Members\"", "name=\"Trend\""] {
        assert!(workbook.contains(sheet), "{workbook}");
    }
    let core = &parts["docProps/core.xml"];
    assert!(
        core.contains("<dc:title>Sales tracking: North Team, FY2026-Q3</dc:title>"),
        "{core}"
    );
    assert!(core.contains("2026-07-31T09:15:00Z"), "{core}");

    let strings = &parts["xl/sharedStrings.xml"];
    for name in [
        "Ana Putri",
        "Santoso, Budi",
        "Citra \"CJ\" Lestari",
        "Negotiation",
        "Time in stage (days)",
    ] {
        assert!(strings.contains(name), "{name} missing from {strings}");
    }

    let summary = &parts["xl/worksheets/sheet1.xml"];
    assert_eq!(number_in(summary, "B5"), Some("180000"));
    assert_eq!(number_in(summary, "B7"), Some("10500"));
    assert_eq!(number_in(summary, "B9"), Some("3"));
    assert_eq!(number_in(summary, "B10"), Some("1"));
    assert_eq!(number_in(summary, "C23"), Some("0.3"));
    assert_eq!(number_in(summary, "F24"), Some("9500"));
    // Row 11, period elapsed: 32.608695652% as a fraction; row 12, projection 227,600.
    assert!(number_in(summary, "B11").is_some_and(|v| v.starts_with("0.3260869")));
    assert_eq!(number_in(summary, "B12"), Some("227600"));
    // 2026-07-31 00:00 is serial 46234.
    assert_eq!(number_in(summary, "B14"), Some("46234"));

    let members = &parts["xl/worksheets/sheet2.xml"];
    assert_eq!(number_in(members, "A2"), Some("1"));
    assert_eq!(number_in(members, "E2"), Some("100000"));
    assert_eq!(number_in(members, "G3"), Some("-20000"));
    assert_eq!(number_in(members, "H2"), Some("1.255"));
    assert_eq!(number_in(members, "K2"), Some("12.5"));
    assert_eq!(number_in(members, "H4"), None, "unset attainment stays empty");
    assert!(members.contains("<colorScale>"), "attainment colour scale");
    assert_eq!(number_in(members, "L3"), Some("72000"));
    assert_eq!(number_in(members, "M3"), Some("0.9"));
    assert_eq!(number_in(members, "L4"), None, "no projection stays empty");

    let trend = &parts["xl/worksheets/sheet3.xml"];
    assert_eq!(number_in(trend, "C2"), Some("40000"));
    assert_eq!(number_in(trend, "E5"), Some("5"));
    assert_eq!(number_in(trend, "D5"), None, "the partial week has no moving average");
    assert!(
        trend.contains(r#"<c r="F5" t="b"><v>1</v></c>"#),
        "the last week is partial: {trend}"
    );
    assert!(
        trend.contains(r#"<c r="F4" t="b"><v>0</v></c>"#),
        "the one before is whole"
    );
    assert!(number_in(trend, "B2").is_some_and(|serial| serial.starts_with("46208.70833")));

    assert!(parts["xl/charts/chart1.xml"].contains("Members!$H$2:$H$4"));
    assert!(parts["xl/charts/chart2.xml"].contains("Trend!$C$2:$C$5"));
    assert!(parts["xl/charts/chart2.xml"].contains("Trend!$D$2:$D$5"));
}

#[test]
fn one_report_always_exports_to_the_same_bytes() {
    let first = report_xlsx(&report(), "North Team").unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1_100));

    assert!(first == report_xlsx(&report(), "North Team").unwrap());
}

#[test]
fn an_empty_report_still_makes_a_workbook() {
    let parts = unzip(report_xlsx(&TrackingReport::default(), "").unwrap());

    assert!(parts.contains_key("xl/worksheets/sheet3.xml"));
    assert!(!parts.contains_key("xl/charts/chart1.xml"));
    assert!(parts["docProps/core.xml"].contains("<dc:title>Sales tracking</dc:title>"));
    assert_eq!(
        String::from_utf8(report_csv(&TrackingReport::default()))
            .unwrap()
            .lines()
            .count(),
        1
    );
}

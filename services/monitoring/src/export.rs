//! Tracking reports exported for people: CSV for scripts and spreadsheets, an Excel workbook as a dashboard.

use chrono::{DateTime, Utc};
use lacak_proto::common as pb;
use lacak_proto::monitoring::{MemberPerformance, TrackingReport, TrendPoint, WeakPoint, WeakPointKind};
use lacak_runtime::convert::{decimal_from_proto, money_from_proto, timestamp_from_proto};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use rust_xlsxwriter::{
    Chart, ChartFormat, ChartLegendPosition, ChartLine, ChartLineDashType, ChartType, ColNum, Color,
    ConditionalFormat3ColorScale, ConditionalFormatType, DocProperties, ExcelDateTime, Format, FormatAlign,
    FormatBorder, RowNum, Table, TableColumn, TableStyle, Workbook, Worksheet, XlsxError,
};

/// The member columns, the same in the CSV and on the "Members" sheet.
const MEMBER_COLUMNS: [&str; 11] = [
    "Rank",
    "Member",
    "Display name",
    "Currency",
    "Target",
    "Actual",
    "Variance",
    "Attainment %",
    "Lead conversion %",
    "Win rate %",
    "Median days to close",
];
/// Where the attainment sits among `MEMBER_COLUMNS`; the colour scale and the chart read it.
const ATTAINMENT_COL: ColNum = 7;
const DISPLAY_NAME_COL: ColNum = 2;

const SUMMARY: &str = "Summary";
const MEMBERS: &str = "Members";
const TREND: &str = "Trend";

/// The summary lists the first weak points only; the report already ranks them by revenue at stake.
const TOP_WEAK_POINTS: usize = 5;
/// The summary row where the weak points start: below the headline and the charts beside it.
const WEAK_POINTS_ROW: RowNum = 20;
const CHART_WIDTH: u32 = 480;
const CHART_HEIGHT: u32 = 300;
/// Autofit measures raw numbers, not their grouped form, so money columns get room for
/// "1,250,000,000.00" (rupiah amounts run into billions).
const MONEY_WIDTH: f64 = 17.0;

/// The report as CSV (RFC 4180, CRLF line ends, UTF-8 without BOM): a header, then one row per
/// member. Money is the exact decimal amount, percentages are numbers of percent (`104.5`), and a
/// value the report leaves unset is an empty field.
pub fn report_csv(report: &TrackingReport) -> Vec<u8> {
    let mut out = String::new();
    push_csv_record(&mut out, MEMBER_COLUMNS.iter().map(|h| csv_text(h)));
    for line in report.members.iter().map(MemberLine::from_proto) {
        let number = |value: Option<Decimal>| value.map(|v| v.normalize().to_string()).unwrap_or_default();
        push_csv_record(
            &mut out,
            [
                line.rank.map(|r| r.to_string()).unwrap_or_default(),
                csv_text(line.member),
                csv_text(line.display_name),
                csv_text(line.currency),
                number(line.target),
                number(line.actual),
                number(line.variance),
                number(line.attainment),
                number(line.lead_conversion),
                number(line.win_rate),
                number(line.median_days_to_close),
            ],
        );
    }
    out.into_bytes()
}

/// The report as an Excel workbook: a "Summary" dashboard (headline, attainment and trend charts,
/// the top weak points), the "Members" table and the "Trend" series the charts draw from.
pub fn report_xlsx(report: &TrackingReport, team_display_name: &str) -> Result<Vec<u8>, XlsxError> {
    let lines: Vec<MemberLine> = report.members.iter().map(MemberLine::from_proto).collect();
    let generated = report
        .generate_time
        .as_ref()
        .and_then(|t| timestamp_from_proto(t, "generate_time").ok());
    let styles = Styles::new();
    let team_name = if team_display_name.is_empty() {
        &report.team
    } else {
        team_display_name
    };

    let mut workbook = Workbook::new();
    workbook.set_properties(&properties(report, team_name, generated));
    workbook.push_worksheet(summary_sheet(report, team_name, generated, &lines, &styles)?);
    workbook.push_worksheet(members_sheet(&lines, &styles)?);
    workbook.push_worksheet(trend_sheet(&report.trend, &styles)?);
    workbook.save_to_buffer()
}

/// One member's figures read into exact values; `None` is a value the report leaves unset. A
/// malformed value is treated as unset, so one bad figure blanks a cell instead of failing the export.
struct MemberLine<'a> {
    rank: Option<i32>,
    member: &'a str,
    display_name: &'a str,
    currency: &'a str,
    target: Option<Decimal>,
    actual: Option<Decimal>,
    variance: Option<Decimal>,
    attainment: Option<Decimal>,
    lead_conversion: Option<Decimal>,
    win_rate: Option<Decimal>,
    median_days_to_close: Option<Decimal>,
}

impl<'a> MemberLine<'a> {
    fn from_proto(member: &'a MemberPerformance) -> Self {
        let monies = [&member.target, &member.actual, &member.variance];
        MemberLine {
            // Ranks start at 1; 0 is proto's "not ranked".
            rank: (member.rank > 0).then_some(member.rank),
            member: &member.member,
            display_name: &member.display_name,
            currency: monies
                .iter()
                .filter_map(|m| m.as_ref())
                .map(|m| m.currency_code.as_str())
                .find(|c| !c.is_empty())
                .unwrap_or_default(),
            target: amount(member.target.as_ref()),
            actual: amount(member.actual.as_ref()),
            variance: amount(member.variance.as_ref()),
            attainment: decimal(member.attainment_percent.as_ref()),
            lead_conversion: decimal(member.lead_conversion_percent.as_ref()),
            win_rate: decimal(member.win_rate_percent.as_ref()),
            median_days_to_close: member.median_time_to_close.as_ref().map(|d| days(d.seconds, d.nanos)),
        }
    }
}

fn amount(value: Option<&pb::Money>) -> Option<Decimal> {
    value.and_then(|m| money_from_proto(m, "money").ok()).map(|m| m.amount)
}

fn decimal(value: Option<&pb::Decimal>) -> Option<Decimal> {
    value.and_then(|d| decimal_from_proto(d, "decimal").ok())
}

/// Days in a duration, to one decimal place: (seconds + nanos ÷ 10⁹) ÷ 86 400.
fn days(seconds: i64, nanos: i32) -> Decimal {
    let total = Decimal::from(seconds) + Decimal::new(nanos.into(), 9);
    (total / Decimal::from(86_400)).round_dp(1).normalize()
}

/// The team's headline. Totals exist only when every member's money is in one currency, because
/// amounts in different currencies are never summed.
#[derive(Debug, PartialEq)]
struct Headline {
    currency: Option<String>,
    target: Option<Decimal>,
    actual: Option<Decimal>,
    variance: Option<Decimal>,
    /// Σ actual ÷ Σ target × 100, unset when Σ target is not positive.
    attainment: Option<Decimal>,
    members: usize,
    /// Members whose attainment is at least 100 %.
    on_target: usize,
}

fn headline(lines: &[MemberLine]) -> Headline {
    let mut currencies = lines.iter().map(|l| l.currency).filter(|c| !c.is_empty());
    let first = currencies.next();
    let currency = match first {
        Some(c) if currencies.all(|other| other == c) => Some(c.to_owned()),
        _ => None,
    };
    let total = |pick: fn(&MemberLine) -> Option<Decimal>| {
        currency.as_ref()?;
        lines
            .iter()
            .filter_map(pick)
            .try_fold(Decimal::ZERO, |sum, v| sum.checked_add(v))
    };
    let target = total(|l| l.target);
    let actual = total(|l| l.actual);
    let variance = actual.zip(target).and_then(|(a, t)| a.checked_sub(t));
    let attainment = actual
        .zip(target.filter(|t| t.is_sign_positive() && !t.is_zero()))
        .and_then(|(a, t)| a.checked_div(t)?.checked_mul(Decimal::ONE_HUNDRED));
    Headline {
        currency,
        target,
        actual,
        variance,
        attainment,
        members: lines.len(),
        on_target: lines
            .iter()
            .filter(|l| l.attainment.is_some_and(|a| a >= Decimal::ONE_HUNDRED))
            .count(),
    }
}

/// A text field of a CSV record (RFC 4180): quoted when it holds a comma, quote or line break,
/// with quotes doubled. Text a spreadsheet would run as a formula (a leading `=`, `+`, `-`, `@`,
/// tab or CR) gets a `'` in front, because display names are typed by users.
fn csv_text(text: &str) -> String {
    let guarded = if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_owned()
    };
    if guarded.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", guarded.replace('"', "\"\""))
    } else {
        guarded
    }
}

fn push_csv_record(out: &mut String, fields: impl IntoIterator<Item = String>) {
    for (i, field) in fields.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&field);
    }
    out.push_str("\r\n");
}

/// The cell formats the sheets share.
struct Styles {
    title: Format,
    subtitle: Format,
    heading: Format,
    column_header: Format,
    money: Format,
    percent: Format,
    days: Format,
    count: Format,
    p_value: Format,
    instant: Format,
    wrapped: Format,
}

impl Styles {
    fn new() -> Self {
        Styles {
            title: Format::new().set_bold().set_font_size(16),
            subtitle: Format::new().set_italic().set_font_color(Color::RGB(0x595959)),
            heading: Format::new()
                .set_bold()
                .set_font_size(12)
                .set_border_bottom(FormatBorder::Thin),
            column_header: Format::new().set_bold().set_background_color(Color::RGB(0xDDEBF7)),
            money: Format::new().set_num_format("#,##0.00"),
            // Percentages are written as fractions (1.045) so Excel formulas and charts treat them as such.
            percent: Format::new().set_num_format("0.0%"),
            days: Format::new().set_num_format("0.0"),
            count: Format::new().set_num_format("0"),
            p_value: Format::new().set_num_format("[<0.0001]\"<0.0001\";0.0000"),
            instant: Format::new().set_num_format("yyyy-mm-dd hh:mm"),
            wrapped: Format::new().set_text_wrap().set_align(FormatAlign::Top),
        }
    }
}

/// Excel stores every number as a float; the exact amounts stay in the CSV and the API.
fn number(value: Option<Decimal>) -> Option<f64> {
    value.and_then(|v| v.to_f64())
}

/// A percent figure (104.5) as the fraction Excel formats as a percentage (1.045).
fn fraction(percent: Option<Decimal>) -> Option<f64> {
    number(percent.and_then(|p| p.checked_div(Decimal::ONE_HUNDRED)))
}

/// Writes a number, or leaves the cell empty where the report has no value.
fn put(sheet: &mut Worksheet, row: RowNum, col: ColNum, value: Option<f64>, format: &Format) -> Result<(), XlsxError> {
    if let Some(value) = value {
        sheet.write_number_with_format(row, col, value, format)?;
    }
    Ok(())
}

/// The sheet row of the `index`-th data row under a header at `header_row`.
fn data_row(header_row: RowNum, index: usize) -> Result<RowNum, XlsxError> {
    RowNum::try_from(index)
        .ok()
        .and_then(|i| header_row.checked_add(i + 1))
        .ok_or(XlsxError::RowColumnLimitError)
}

/// "Sales tracking: North Team, FY2026-Q3", leaving out whatever the report does not name.
fn report_title(team_name: &str, period: &str) -> String {
    let named: Vec<&str> = [team_name, period].into_iter().filter(|p| !p.is_empty()).collect();
    if named.is_empty() {
        "Sales tracking".to_owned()
    } else {
        format!("Sales tracking: {}", named.join(", "))
    }
}

fn properties(report: &TrackingReport, team_name: &str, generated: Option<DateTime<Utc>>) -> DocProperties {
    let properties = DocProperties::new()
        .set_title(report_title(team_name, &report.period))
        .set_subject(format!("Tracking report of {} for {}", report.team, report.period));
    // Created at the report's own instant rather than now, so one report always exports to the same bytes.
    match generated.and_then(|g| ExcelDateTime::from_timestamp(g.timestamp()).ok()) {
        Some(created) => properties.set_creation_datetime(&created),
        None => properties,
    }
}

fn summary_sheet(
    report: &TrackingReport,
    team_name: &str,
    generated: Option<DateTime<Utc>>,
    lines: &[MemberLine],
    s: &Styles,
) -> Result<Worksheet, XlsxError> {
    let mut sheet = Worksheet::new();
    sheet.set_name(SUMMARY)?;
    // Read on screen like a dashboard, printed on one landscape page.
    sheet
        .set_screen_gridlines(false)
        .set_landscape()
        .set_print_fit_to_pages(1, 1);
    for (col, width) in [(0, 24), (1, 22), (2, 12), (3, 12), (4, 10), (5, 18), (6, 70)] {
        sheet.set_column_width(col, width)?;
    }
    sheet.write_string_with_format(0, 0, report_title(team_name, ""), &s.title)?;
    let generated = generated.map(|g| g.format("generated %Y-%m-%d %H:%M UTC").to_string());
    let subtitle = [
        Some(report.period.as_str()),
        Some(report.team.as_str()),
        generated.as_deref(),
    ]
    .into_iter()
    .flatten()
    .filter(|part| !part.is_empty())
    .collect::<Vec<_>>()
    .join(" · ");
    sheet.write_string_with_format(1, 0, subtitle, &s.subtitle)?;

    let head = headline(lines);
    sheet.write_string_with_format(3, 0, "Headline", &s.heading)?;
    sheet.write_string_with_format(3, 1, "", &s.heading)?;
    let money_label = |label: &str| match &head.currency {
        Some(currency) => format!("{label} ({currency})"),
        None => label.to_owned(),
    };
    let figures = [
        (money_label("Target"), number(head.target), &s.money),
        (money_label("Actual"), number(head.actual), &s.money),
        (money_label("Variance"), number(head.variance), &s.money),
        ("Attainment".to_owned(), fraction(head.attainment), &s.percent),
        ("Members".to_owned(), head.members.to_f64(), &s.count),
        ("At or above 100%".to_owned(), head.on_target.to_f64(), &s.count),
    ];
    for (row, (label, value, format)) in (4..).zip(figures) {
        sheet.write_string(row, 0, label)?;
        put(&mut sheet, row, 1, value, format)?;
    }
    if head.currency.is_none() && !lines.is_empty() {
        sheet.write_string_with_format(
            10,
            0,
            "Totals omitted: members are in different currencies.",
            &s.subtitle,
        )?;
    }

    if !lines.is_empty() {
        sheet.insert_chart(3, 3, &attainment_chart(lines.len())?)?;
    }
    if !report.trend.is_empty() {
        let x_offset = CHART_WIDTH + 20;
        sheet.insert_chart_with_offset(3, 3, &trend_chart(report.trend.len())?, x_offset, 0)?;
    }
    write_weak_points(&mut sheet, &report.weak_points, lines, s)?;
    Ok(sheet)
}

fn write_weak_points(
    sheet: &mut Worksheet,
    weak_points: &[WeakPoint],
    lines: &[MemberLine],
    s: &Styles,
) -> Result<(), XlsxError> {
    sheet.write_string_with_format(WEAK_POINTS_ROW, 0, "Top weak points", &s.heading)?;
    if weak_points.is_empty() {
        sheet.write_string(
            WEAK_POINTS_ROW + 1,
            0,
            "None: every member and stage is in line with the team.",
        )?;
        return Ok(());
    }
    let header_row = WEAK_POINTS_ROW + 1;
    let headers = [
        "Kind",
        "Member or stage",
        "Value",
        "Baseline",
        "p-value",
        "Revenue at stake",
        "Explanation",
    ];
    for (col, header) in (0..).zip(headers) {
        sheet.write_string_with_format(header_row, col, header, &s.column_header)?;
    }
    for (i, point) in weak_points.iter().take(TOP_WEAK_POINTS).enumerate() {
        let row = data_row(header_row, i)?;
        let kind = point.kind();
        let subject = if point.member.is_empty() {
            point.stage.clone()
        } else {
            let name = lines.iter().find(|l| l.member == point.member).map(|l| l.display_name);
            name.unwrap_or(&point.member).to_owned()
        };
        // Rates are percentages; time in stage, like an unknown kind, is a plain number (days).
        let (value, baseline, format) = match kind {
            WeakPointKind::TimeInStage | WeakPointKind::Unspecified => (
                number(decimal(point.value.as_ref())),
                number(decimal(point.baseline.as_ref())),
                &s.days,
            ),
            _ => (
                fraction(decimal(point.value.as_ref())),
                fraction(decimal(point.baseline.as_ref())),
                &s.percent,
            ),
        };
        sheet.write_string(row, 0, weak_point_kind(kind))?;
        sheet.write_string(row, 1, subject)?;
        put(sheet, row, 2, value, format)?;
        put(sheet, row, 3, baseline, format)?;
        put(sheet, row, 4, number(decimal(point.p_value.as_ref())), &s.p_value)?;
        put(sheet, row, 5, number(amount(point.revenue_at_stake.as_ref())), &s.money)?;
        sheet.write_string_with_format(row, 6, &point.explanation, &s.wrapped)?;
    }
    Ok(())
}

fn weak_point_kind(kind: WeakPointKind) -> &'static str {
    match kind {
        WeakPointKind::MemberLeadConversion => "Member lead conversion",
        WeakPointKind::MemberWinRate => "Member win rate",
        WeakPointKind::StageConversion => "Stage conversion",
        WeakPointKind::TimeInStage => "Time in stage (days)",
        WeakPointKind::Unspecified => "Unspecified",
    }
}

fn members_sheet(lines: &[MemberLine], s: &Styles) -> Result<Worksheet, XlsxError> {
    let mut sheet = Worksheet::new();
    sheet.set_name(MEMBERS)?;
    sheet.set_landscape().set_print_fit_to_pages(1, 0);
    for (i, line) in lines.iter().enumerate() {
        let row = data_row(0, i)?;
        put(&mut sheet, row, 0, line.rank.map(f64::from), &s.count)?;
        sheet.write_string(row, 1, line.member)?;
        sheet.write_string(row, DISPLAY_NAME_COL, line.display_name)?;
        sheet.write_string(row, 3, line.currency)?;
        put(&mut sheet, row, 4, number(line.target), &s.money)?;
        put(&mut sheet, row, 5, number(line.actual), &s.money)?;
        put(&mut sheet, row, 6, number(line.variance), &s.money)?;
        put(&mut sheet, row, ATTAINMENT_COL, fraction(line.attainment), &s.percent)?;
        put(&mut sheet, row, 8, fraction(line.lead_conversion), &s.percent)?;
        put(&mut sheet, row, 9, fraction(line.win_rate), &s.percent)?;
        put(&mut sheet, row, 10, number(line.median_days_to_close), &s.days)?;
    }
    // A table needs a data row, so an empty report still gets one (blank) row.
    let last_row = data_row(0, lines.len().saturating_sub(1))?;
    let columns = MEMBER_COLUMNS.map(|h| TableColumn::new().set_header(h));
    let table = Table::new()
        .set_name("MemberPerformance")
        .set_style(TableStyle::Medium2)
        .set_columns(&columns);
    sheet.add_table(0, 0, last_row, 10, &table)?;
    if !lines.is_empty() {
        // Red below target, yellow at exactly 100 %, green from 150 % up.
        let scale = ConditionalFormat3ColorScale::new()
            .set_minimum(ConditionalFormatType::Number, 0)
            .set_midpoint(ConditionalFormatType::Number, 1)
            .set_maximum(ConditionalFormatType::Number, 1.5)
            .set_minimum_color(Color::RGB(0xF8696B))
            .set_midpoint_color(Color::RGB(0xFFEB84))
            .set_maximum_color(Color::RGB(0x63BE7B));
        sheet.add_conditional_format(1, ATTAINMENT_COL, last_row, ATTAINMENT_COL, &scale)?;
    }
    sheet.set_freeze_panes(1, 0)?;
    sheet.autofit();
    for col in 4..=6 {
        sheet.set_column_width(col, MONEY_WIDTH)?;
    }
    Ok(sheet)
}

fn trend_sheet(points: &[TrendPoint], s: &Styles) -> Result<Worksheet, XlsxError> {
    let mut sheet = Worksheet::new();
    sheet.set_name(TREND)?;
    let currency = points
        .iter()
        .filter_map(|p| p.revenue.as_ref())
        .map(|m| m.currency_code.as_str())
        .find(|c| !c.is_empty());
    let with_currency = |label: &str| currency.map_or(label.to_owned(), |c| format!("{label} ({c})"));
    for (i, point) in points.iter().enumerate() {
        let row = data_row(0, i)?;
        sheet.write_string(row, 0, &point.label)?;
        let start = point
            .start_time
            .as_ref()
            .and_then(|t| timestamp_from_proto(t, "start_time").ok())
            .and_then(|t| ExcelDateTime::from_timestamp(t.timestamp()).ok());
        if let Some(start) = start {
            sheet.write_datetime_with_format(row, 1, &start, &s.instant)?;
        }
        put(&mut sheet, row, 2, number(amount(point.revenue.as_ref())), &s.money)?;
        put(
            &mut sheet,
            row,
            3,
            number(amount(point.moving_average.as_ref())),
            &s.money,
        )?;
        put(&mut sheet, row, 4, point.deals_won.to_f64(), &s.count)?;
    }
    let last_row = data_row(0, points.len().saturating_sub(1))?;
    // Bucket starts are UTC instants: a tenant's local midnight may fall on the previous UTC day.
    let headers = [
        "Bucket".to_owned(),
        "Start (UTC)".to_owned(),
        with_currency("Revenue"),
        with_currency("Moving average"),
        "Deals won".to_owned(),
    ];
    let columns = headers.map(|h| TableColumn::new().set_header(h));
    let table = Table::new()
        .set_name("RevenueTrend")
        .set_style(TableStyle::Light9)
        .set_columns(&columns);
    sheet.add_table(0, 0, last_row, 4, &table)?;
    sheet.set_freeze_panes(1, 0)?;
    sheet.autofit();
    // Wide enough for the headers too, "Moving average (IDR)" and its filter button.
    for col in 2..=3 {
        sheet.set_column_width(col, MONEY_WIDTH + 5.0)?;
    }
    Ok(sheet)
}

/// Attainment by member as columns, in rank order, drawn from the "Members" table.
fn attainment_chart(members: usize) -> Result<Chart, XlsxError> {
    let last = data_row(0, members.saturating_sub(1))?;
    let mut chart = Chart::new(ChartType::Column);
    chart
        .add_series()
        .set_name((MEMBERS, 0, ATTAINMENT_COL))
        .set_categories((MEMBERS, 1, DISPLAY_NAME_COL, last, DISPLAY_NAME_COL))
        .set_values((MEMBERS, 1, ATTAINMENT_COL, last, ATTAINMENT_COL));
    chart.title().set_name("Attainment by member");
    chart.y_axis().set_num_format("0%").set_min(0);
    chart.legend().set_hidden();
    chart.set_width(CHART_WIDTH).set_height(CHART_HEIGHT);
    Ok(chart)
}

/// Revenue and its moving average per bucket, drawn from the "Trend" table.
fn trend_chart(points: usize) -> Result<Chart, XlsxError> {
    let last = data_row(0, points.saturating_sub(1))?;
    let mut chart = Chart::new(ChartType::Line);
    for (col, dashed) in [(2, false), (3, true)] {
        let series = chart
            .add_series()
            .set_name((TREND, 0, col))
            .set_categories((TREND, 1, 0, last, 0))
            .set_values((TREND, 1, col, last, col));
        if dashed {
            series.set_format(ChartFormat::new().set_line(ChartLine::new().set_dash_type(ChartLineDashType::Dash)));
        }
    }
    chart.title().set_name("Revenue trend");
    chart.y_axis().set_num_format("#,##0");
    chart.legend().set_position(ChartLegendPosition::Bottom);
    chart.set_width(CHART_WIDTH).set_height(CHART_HEIGHT);
    Ok(chart)
}

#[cfg(test)]
mod tests {
    use std::io::{Cursor, Read};

    use chrono::TimeZone;
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
        }
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
        }
    }

    fn report() -> TrackingReport {
        TrackingReport {
            team: "teams/north".to_owned(),
            period: "FY2026-Q3".to_owned(),
            members: vec![
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
                member(
                    2,
                    "budi",
                    "Santoso, Budi",
                    (80_000, 60_000),
                    [Some("75"), Some("20"), Some("30")],
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
                week(26, 51_500, 50_167, 5),
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
        }
    }

    #[test]
    fn csv_has_a_header_and_one_row_per_member_with_unset_values_empty() {
        let csv = String::from_utf8(report_csv(&report())).unwrap();

        assert_eq!(
            csv,
            "Rank,Member,Display name,Currency,Target,Actual,Variance,Attainment %,Lead conversion %,Win rate %,Median days to close\r\n\
             1,members/ana,Ana Putri,IDR,100000,125500,25500,125.5,32.5,41.2,12.5\r\n\
             2,members/budi,\"Santoso, Budi\",IDR,80000,60000,-20000,75,20,30,\r\n\
             3,members/citra,\"Citra \"\"CJ\"\" Lestari\",IDR,0,5000,5000,,10,,3\r\n"
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

        let members = &parts["xl/worksheets/sheet2.xml"];
        assert_eq!(number_in(members, "A2"), Some("1"));
        assert_eq!(number_in(members, "E2"), Some("100000"));
        assert_eq!(number_in(members, "G3"), Some("-20000"));
        assert_eq!(number_in(members, "H2"), Some("1.255"));
        assert_eq!(number_in(members, "K2"), Some("12.5"));
        assert_eq!(number_in(members, "H4"), None, "unset attainment stays empty");
        assert!(members.contains("<colorScale>"), "attainment colour scale");

        let trend = &parts["xl/worksheets/sheet3.xml"];
        assert_eq!(number_in(trend, "C2"), Some("40000"));
        assert_eq!(number_in(trend, "E5"), Some("5"));
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
}

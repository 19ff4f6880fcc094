//! The tracking report as an Excel dashboard: a summary with headline figures, an attainment
//! chart, a trend chart and the top weak points; the members table; the trend series.

use chrono::{DateTime, Utc};
use lacak_proto::monitoring::{TrackingReport, TrendPoint, WeakPoint, WeakPointKind};
use lacak_runtime::convert::timestamp_from_proto;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use rust_xlsxwriter::{
    ColNum, Color, ConditionalFormat3ColorScale, ConditionalFormatType, DocProperties, ExcelDateTime, Format,
    FormatAlign, FormatBorder, RowNum, Table, TableColumn, TableStyle, Workbook, Worksheet, XlsxError,
};

use super::charts::{attainment_chart, trend_chart};
use super::{MEMBER_COLUMNS, MemberLine, amount, decimal, headline};

/// Where the attainment sits among `MEMBER_COLUMNS`; the colour scale and the chart read it.
pub(super) const ATTAINMENT_COL: ColNum = 7;
pub(super) const DISPLAY_NAME_COL: ColNum = 2;
const LAST_MEMBER_COL: ColNum = MEMBER_COLUMNS.len() as ColNum - 1;

const SUMMARY: &str = "Summary";
pub(super) const MEMBERS: &str = "Members";
pub(super) const TREND: &str = "Trend";

/// The summary lists the first weak points only; the report already ranks them by revenue at stake.
const TOP_WEAK_POINTS: usize = 5;
/// The summary row where the weak points start: below the headline and the charts beside it.
const WEAK_POINTS_ROW: RowNum = 20;
pub(super) const CHART_WIDTH: u32 = 480;
pub(super) const CHART_HEIGHT: u32 = 300;
/// Autofit measures raw numbers, not their grouped form, so money columns get room for
/// "1,250,000,000.00" (rupiah amounts run into billions).
const MONEY_WIDTH: f64 = 17.0;

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
pub(super) fn data_row(header_row: RowNum, index: usize) -> Result<RowNum, XlsxError> {
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
        // A period in progress: how far in, and where the run-rate leads.
        (
            "Period elapsed".to_owned(),
            fraction(decimal(report.elapsed_percent.as_ref())),
            &s.percent,
        ),
        (money_label("Projection"), number(head.projection), &s.money),
        (
            "Projected attainment".to_owned(),
            fraction(head.projected_attainment),
            &s.percent,
        ),
    ];
    for (row, (label, value, format)) in (4..).zip(figures) {
        sheet.write_string(row, 0, label)?;
        put(&mut sheet, row, 1, value, format)?;
    }
    let as_of = super::as_of(report).and_then(|t| ExcelDateTime::from_timestamp(t.timestamp()).ok());
    sheet.write_string(13, 0, "As of (UTC)")?;
    if let Some(as_of) = as_of {
        sheet.write_datetime_with_format(13, 1, &as_of, &s.instant)?;
    }
    if head.currency.is_none() && !lines.is_empty() {
        sheet.write_string_with_format(
            14,
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
        put(&mut sheet, row, 11, number(line.projection), &s.money)?;
        put(&mut sheet, row, 12, fraction(line.projected_attainment), &s.percent)?;
    }
    // A table needs a data row, so an empty report still gets one (blank) row.
    let last_row = data_row(0, lines.len().saturating_sub(1))?;
    let columns = MEMBER_COLUMNS.map(|h| TableColumn::new().set_header(h));
    let table = Table::new()
        .set_name("MemberPerformance")
        .set_style(TableStyle::Medium2)
        .set_columns(&columns);
    sheet.add_table(0, 0, last_row, LAST_MEMBER_COL, &table)?;
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
    for col in [4, 5, 6, 11] {
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
        sheet.write_boolean(row, 5, point.partial)?;
    }
    let last_row = data_row(0, points.len().saturating_sub(1))?;
    // Bucket starts are UTC instants: a tenant's local midnight may fall on the previous UTC day.
    let headers = [
        "Bucket".to_owned(),
        "Start (UTC)".to_owned(),
        with_currency("Revenue"),
        with_currency("Moving average"),
        "Deals won".to_owned(),
        // Not over when read: revenue to date, and no moving average.
        "Partial".to_owned(),
    ];
    let columns = headers.map(|h| TableColumn::new().set_header(h));
    let table = Table::new()
        .set_name("RevenueTrend")
        .set_style(TableStyle::Light9)
        .set_columns(&columns);
    sheet.add_table(0, 0, last_row, 5, &table)?;
    sheet.set_freeze_panes(1, 0)?;
    sheet.autofit();
    // Wide enough for the headers too, "Moving average (IDR)" and its filter button.
    for col in 2..=3 {
        sheet.set_column_width(col, MONEY_WIDTH + 5.0)?;
    }
    Ok(sheet)
}

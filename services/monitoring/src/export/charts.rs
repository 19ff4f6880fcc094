//! The workbook's charts: attainment by member and the revenue trend, drawn from its tables.

use rust_xlsxwriter::{Chart, ChartFormat, ChartLegendPosition, ChartLine, ChartLineDashType, ChartType, XlsxError};

use super::xlsx::{ATTAINMENT_COL, CHART_HEIGHT, CHART_WIDTH, DISPLAY_NAME_COL, MEMBERS, TREND, data_row};

/// Attainment by member as columns, in rank order, drawn from the "Members" table.
pub(super) fn attainment_chart(members: usize) -> Result<Chart, XlsxError> {
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
pub(super) fn trend_chart(points: usize) -> Result<Chart, XlsxError> {
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

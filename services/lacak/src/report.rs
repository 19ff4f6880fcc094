//! `lacak report`: a team's tracking report as a table, and as CSV or an Excel dashboard.

use std::path::PathBuf;

use anyhow::Context;
use lacak_proto::monitoring as pb;

use crate::client::{ClientArgs, decimal_text, money_text};

#[derive(clap::Args)]
pub struct ReportArgs {
    #[command(flatten)]
    pub client: ClientArgs,
    /// The team, e.g. "sales" or "teams/sales".
    #[arg(long)]
    pub team: String,
    /// The fiscal period, e.g. FY2026-Q3.
    #[arg(long)]
    pub period: String,
    /// The currency of money figures.
    #[arg(long, default_value = "IDR")]
    pub currency: String,
    /// The trend's buckets: day, week or month.
    #[arg(long, default_value = "month")]
    pub granularity: String,
    /// Also write the Excel dashboard here.
    #[arg(long)]
    pub xlsx: Option<PathBuf>,
    /// Also write the per-member table as CSV here.
    #[arg(long)]
    pub csv: Option<PathBuf>,
}

pub async fn run(args: ReportArgs) -> anyhow::Result<()> {
    let mut clients = args.client.connect().await?;
    let team = if args.team.starts_with("teams/") {
        args.team.clone()
    } else {
        format!("teams/{}", args.team)
    };
    let granularity = match args.granularity.as_str() {
        "day" => pb::Granularity::Day,
        "week" => pb::Granularity::Week,
        "month" => pb::Granularity::Month,
        other => anyhow::bail!("--granularity {other}: expected day, week or month"),
    };
    let report = clients
        .monitoring
        .get_tracking_report(pb::GetTrackingReportRequest {
            team: team.clone(),
            period: args.period.clone(),
            currency_code: args.currency.clone(),
            granularity: granularity as i32,
            moving_average_window: 0,
        })
        .await
        .map_err(status_error)?
        .into_inner()
        .report
        .context("the suite answered without a report")?;
    print!("{}", render(&report));
    for (path, format) in [(&args.csv, pb::ExportFormat::Csv), (&args.xlsx, pb::ExportFormat::Xlsx)] {
        let Some(path) = path else { continue };
        let file = clients
            .monitoring
            .export_tracking_report(pb::ExportTrackingReportRequest {
                team: team.clone(),
                period: args.period.clone(),
                currency_code: args.currency.clone(),
                format: format as i32,
            })
            .await
            .map_err(status_error)?
            .into_inner();
        std::fs::write(path, &file.content).with_context(|| format!("cannot write {}", path.display()))?;
        println!("wrote {} ({} bytes)", path.display(), file.content.len());
    }
    Ok(())
}

/// A status as an error a person can act on, with the fields a BadRequest names.
pub fn status_error(status: tonic::Status) -> anyhow::Error {
    use tonic_types::StatusExt;
    match status.get_error_details().bad_request() {
        Some(bad) if !bad.field_violations.is_empty() => {
            let mut message = format!("{:?}:", status.code());
            for violation in &bad.field_violations {
                message.push_str(&format!("\n  {}: {}", violation.field, violation.description));
            }
            anyhow::anyhow!(message)
        }
        _ => anyhow::anyhow!("{:?}: {}", status.code(), status.message()),
    }
}

fn days(duration: Option<&prost_types::Duration>) -> String {
    duration.map_or("—".into(), |d| format!("{:.1} d", d.seconds as f64 / 86_400.0))
}

/// The report as text tables.
pub fn render(report: &pb::TrackingReport) -> String {
    let mut out = format!("Sales tracking — {} — {}\n\n", report.team, report.period);
    let header = [
        "#",
        "Member",
        "Target",
        "Actual",
        "Variance",
        "Attain.",
        "Lead conv.",
        "Win rate",
        "Median close",
    ];
    let rows: Vec<Vec<String>> = report
        .members
        .iter()
        .map(|m| {
            vec![
                m.rank.to_string(),
                if m.display_name.is_empty() {
                    m.member.clone()
                } else {
                    m.display_name.clone()
                },
                money_text(m.target.as_ref()),
                money_text(m.actual.as_ref()),
                money_text(m.variance.as_ref()),
                decimal_text(m.attainment_percent.as_ref(), "%"),
                decimal_text(m.lead_conversion_percent.as_ref(), "%"),
                decimal_text(m.win_rate_percent.as_ref(), "%"),
                days(m.median_time_to_close.as_ref()),
            ]
        })
        .collect();
    out.push_str(&table(&header, &rows));
    out.push_str("\nTrend\n");
    let trend: Vec<Vec<String>> = report
        .trend
        .iter()
        .map(|p| {
            vec![
                p.label.clone(),
                money_text(p.revenue.as_ref()),
                money_text(p.moving_average.as_ref()),
                p.deals_won.to_string(),
            ]
        })
        .collect();
    out.push_str(&table(&["Bucket", "Revenue", "Moving avg.", "Deals won"], &trend));
    out.push_str("\nWeak points (by revenue at stake)\n");
    if report.weak_points.is_empty() {
        out.push_str("  none beyond chance\n");
    }
    for (i, weak) in report.weak_points.iter().enumerate() {
        out.push_str(&format!(
            "  {}. {} — at stake {}\n",
            i + 1,
            weak.explanation,
            money_text(weak.revenue_at_stake.as_ref())
        ));
    }
    out
}

fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            widths[i] = widths[i].max(cell.chars().count());
        }
    }
    let line = |cells: Vec<String>| -> String {
        let mut text = String::from(" ");
        for (i, cell) in cells.iter().enumerate() {
            let pad = widths[i] - cell.chars().count();
            // Text left, figures right.
            if i == 1 || (i == 0 && header[0] != "#") {
                text.push_str(&format!(" {cell}{} ", " ".repeat(pad)));
            } else {
                text.push_str(&format!(" {}{cell} ", " ".repeat(pad)));
            }
        }
        text.trim_end().to_owned() + "\n"
    };
    let mut out = line(header.iter().map(|h| (*h).to_owned()).collect());
    for row in rows {
        out.push_str(&line(row.clone()));
    }
    out
}

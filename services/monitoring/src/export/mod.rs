//! Tracking reports exported for people: CSV for scripts and spreadsheets, an Excel workbook as a dashboard.
//!
//! `report_csv` is here with the member figures both formats read; the workbook is in `xlsx`.

mod charts;
#[cfg(test)]
mod tests;
mod xlsx;

use chrono::{DateTime, SecondsFormat, Utc};
use lacak_proto::common as pb;
use lacak_proto::monitoring::{MemberPerformance, TrackingReport};
use lacak_runtime::convert::{decimal_from_proto, money_from_proto, timestamp_from_proto};
use rust_decimal::Decimal;

pub use xlsx::report_xlsx;

use crate::domain::progress::team_projection;

/// The member columns, the same in the CSV and on the "Members" sheet. New columns go last, so
/// scripts reading columns by position keep working.
const MEMBER_COLUMNS: [&str; 13] = [
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
    "Projection",
    "Projected attainment %",
];

/// The CSV's columns after the member columns: the same on every row, saying how far into the
/// period the figures were read (a CSV has no other place for them).
const PERIOD_COLUMNS: [&str; 2] = ["Elapsed %", "As of (UTC)"];

/// The report as CSV (RFC 4180, CRLF line ends, UTF-8 without BOM): a header, then one row per
/// member. Money is the exact decimal amount, percentages are numbers of percent (`104.5`),
/// instants RFC 3339 in UTC, and a value the report leaves unset is an empty field.
pub fn report_csv(report: &TrackingReport) -> Vec<u8> {
    let mut out = String::new();
    push_csv_record(
        &mut out,
        MEMBER_COLUMNS.iter().chain(&PERIOD_COLUMNS).map(|h| csv_text(h)),
    );
    let number = |value: Option<Decimal>| value.map(|v| v.normalize().to_string()).unwrap_or_default();
    let elapsed = number(decimal(report.elapsed_percent.as_ref()));
    let as_of = as_of(report)
        .map(|t| t.to_rfc3339_opts(SecondsFormat::AutoSi, true))
        .unwrap_or_default();
    for line in report.members.iter().map(MemberLine::from_proto) {
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
                number(line.projection),
                number(line.projected_attainment),
                elapsed.clone(),
                as_of.clone(),
            ],
        );
    }
    out.into_bytes()
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
    projection: Option<Decimal>,
    projected_attainment: Option<Decimal>,
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
            projection: amount(member.projection.as_ref()),
            projected_attainment: decimal(member.projected_attainment_percent.as_ref()),
        }
    }
}

/// When the report's figures were read; a malformed instant reads as unset.
fn as_of(report: &TrackingReport) -> Option<DateTime<Utc>> {
    report
        .as_of
        .as_ref()
        .and_then(|t| timestamp_from_proto(t, "as_of").ok())
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
    /// Σ projections, a member without one at their actual (as the report's team line).
    projection: Option<Decimal>,
    /// Σ projection ÷ Σ target × 100.
    projected_attainment: Option<Decimal>,
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
    let of_target = |value: Option<Decimal>| {
        value
            .zip(target.filter(|t| t.is_sign_positive() && !t.is_zero()))
            .and_then(|(a, t)| a.checked_div(t)?.checked_mul(Decimal::ONE_HUNDRED))
    };
    let projection = currency
        .as_ref()
        .and_then(|_| team_projection(lines.iter().map(|l| (l.actual.unwrap_or_default(), l.projection))));
    Headline {
        currency,
        target,
        actual,
        variance,
        attainment: of_target(actual),
        projection,
        projected_attainment: of_target(projection),
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

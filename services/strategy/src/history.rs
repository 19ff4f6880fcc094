//! Monthly histories read from monitoring, and the demand trends found in them.

use chrono::{DateTime, Utc};
use lacak_domain::{FiscalCalendar, PeriodId, PeriodKind};
use lacak_forecast::{DemandTrend, change_points, classify_trend, seasonally_adjusted};
use lacak_proto::{goals as gpb, monitoring as mpb};
use lacak_runtime::convert::timestamp_from_proto;
use rust_decimal::Decimal;

use crate::conv::{amount, quantity};
use crate::domain::recommend::{decimal, float};

/// One subject's monthly sales, oldest first.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub subject: String,
    pub months: Vec<Month>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Month {
    pub period: PeriodId,
    pub start: DateTime<Utc>,
    pub revenue: Decimal,
    pub margin: Decimal,
    pub units: Decimal,
    /// Credited deals won; zero unless counts were read, as are leads and customers.
    pub deals_won: Decimal,
    pub leads: Decimal,
    pub customers: Decimal,
}

impl Month {
    /// The month's value of a metric that adds up month by month; zero for a rate.
    pub fn value(&self, metric: gpb::Metric) -> Decimal {
        match metric {
            gpb::Metric::Revenue => self.revenue,
            gpb::Metric::GrossMargin => self.margin,
            gpb::Metric::UnitsSold => self.units,
            gpb::Metric::DealsWon => self.deals_won,
            gpb::Metric::LeadsGenerated => self.leads,
            gpb::Metric::NewCustomers => self.customers,
            _ => Decimal::ZERO,
        }
    }
}

impl Series {
    pub fn from_proto(series: mpb::SalesSeries) -> Series {
        let months = series
            .points
            .into_iter()
            .filter_map(|point| {
                Some(Month {
                    period: point.period.parse().ok()?,
                    start: point
                        .start_time
                        .as_ref()
                        .and_then(|t| timestamp_from_proto(t, "start_time").ok())?,
                    revenue: amount(&point.revenue),
                    margin: amount(&point.gross_margin),
                    units: quantity(&point.units_sold),
                    deals_won: quantity(&point.deals_won),
                    leads: Decimal::from(point.leads_generated.unwrap_or_default()),
                    customers: Decimal::from(point.new_customers.unwrap_or_default()),
                })
            })
            .collect();
        Series {
            subject: series.subject,
            months,
        }
    }

    pub fn revenue(&self) -> Vec<f64> {
        self.values(gpb::Metric::Revenue)
    }

    /// The metric's monthly values, oldest first.
    pub fn values(&self, metric: gpb::Metric) -> Vec<f64> {
        self.months.iter().map(|m| float(m.value(metric))).collect()
    }

    /// The metric's values in the months of `periods`, in their order (0 for a month not in the
    /// series).
    pub fn metric_of(&self, metric: gpb::Metric, periods: &[PeriodId]) -> Vec<Decimal> {
        self.values_of(periods, |m| m.value(metric))
    }

    /// Revenue of the months in `periods`, in their order (0 for a month not in the series).
    pub fn revenue_of(&self, periods: &[PeriodId]) -> Vec<Decimal> {
        self.values_of(periods, |m| m.revenue)
    }

    /// Gross margin of the months in `periods`, likewise.
    pub fn margin_of(&self, periods: &[PeriodId]) -> Vec<Decimal> {
        self.values_of(periods, |m| m.margin)
    }

    fn values_of(&self, periods: &[PeriodId], value: impl Fn(&Month) -> Decimal) -> Vec<Decimal> {
        periods
            .iter()
            .map(|p| {
                self.months
                    .iter()
                    .find(|m| m.period == *p)
                    .map(&value)
                    .unwrap_or_default()
            })
            .collect()
    }
}

/// The `months` closed fiscal months before the one `now` is in: (first, last).
pub fn closed_months(calendar: &FiscalCalendar, now: DateTime<Utc>, months: u32) -> Option<(PeriodId, PeriodId)> {
    let last = calendar.period_containing(now, PeriodKind::Month).previous()?;
    let mut first = last;
    for _ in 1..months {
        first = first.previous()?;
    }
    Some((first, last))
}

/// Which way a subject's demand moved, and from what to what.
#[derive(Debug, Clone, PartialEq)]
pub struct Trend {
    pub subject: String,
    pub direction: DemandTrend,
    pub change_period: PeriodId,
    pub since: DateTime<Utc>,
    pub before: Decimal,
    pub after: Decimal,
}

impl Trend {
    /// after ÷ before × 100 − 100; `None` from nothing.
    pub fn change_percent(&self) -> Option<Decimal> {
        (self.before > Decimal::ZERO)
            .then(|| (self.after / self.before * Decimal::ONE_HUNDRED - Decimal::ONE_HUNDRED).round_dp(2))
    }
}

fn mean(values: &[f64]) -> f64 {
    if values.is_empty() {
        0.0
    } else {
        values.iter().sum::<f64>() / values.len() as f64
    }
}

/// The subject's trend beyond noise, if any. Two years or more are seasonally adjusted first, so
/// a December peak is not read as a surge.
pub fn trend(series: &Series) -> Option<Trend> {
    let raw = series.revenue();
    // A newcomer is judged on its raw months: taking a season out of mostly zeros distorts it.
    let adjusted = seasonally_adjusted(&raw).unwrap_or_else(|_| raw.clone());
    let direction = match classify_trend(&raw) {
        DemandTrend::Emerging => DemandTrend::Emerging,
        _ => classify_trend(&adjusted),
    };
    let (index, before, after) = match direction {
        DemandTrend::Steady => return None,
        DemandTrend::Emerging => {
            let first = raw.iter().position(|&v| v > 0.0)?;
            let active = &raw[first..];
            let third = (active.len() / 3).max(1);
            (first, mean(&active[..third]), mean(&active[active.len() - third..]))
        }
        DemandTrend::Rising | DemandTrend::Falling => {
            let change = change_points(&adjusted).last().copied()?;
            (change.index, change.mean_before.max(0.0), change.mean_after.max(0.0))
        }
    };
    let month = series.months.get(index)?;
    Some(Trend {
        subject: series.subject.clone(),
        direction,
        change_period: month.period,
        since: month.start,
        before: decimal(before).round_dp(2),
        after: decimal(after).round_dp(2),
    })
}

#[cfg(test)]
mod tests {
    use chrono::{Datelike, TimeZone};

    use super::*;

    fn series(values: &[f64]) -> Series {
        let calendar = FiscalCalendar::default();
        let start = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap();
        Series {
            subject: "products/X".into(),
            months: values
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    let at = start
                        .with_month(1)
                        .unwrap()
                        .checked_add_months(chrono::Months::new(i as u32))
                        .unwrap();
                    Month {
                        period: calendar.period_containing(at, PeriodKind::Month),
                        start: at,
                        revenue: decimal(*v),
                        margin: Decimal::ZERO,
                        units: Decimal::ZERO,
                        deals_won: Decimal::ZERO,
                        leads: Decimal::ZERO,
                        customers: Decimal::ZERO,
                    }
                })
                .collect(),
        }
    }

    #[test]
    fn a_level_shift_down_is_a_falling_trend_from_its_month() {
        let mut values: Vec<f64> = (0..18).map(|i| 1000.0 + [5.0, -7.0, 3.0][i % 3]).collect();
        values.extend((0..12).map(|i| 400.0 + [4.0, -2.0, 6.0][i % 3]));
        let found = trend(&series(&values)).expect("a trend");
        assert_eq!(found.direction, DemandTrend::Falling);
        assert_eq!(found.change_period.to_string(), "FY2025-M07");
        assert!(found.change_percent().unwrap() < Decimal::from(-50));
    }

    #[test]
    fn noise_alone_is_no_trend_and_a_new_fast_grower_emerges() {
        let values: Vec<f64> = (0..30).map(|i| 1000.0 + [15.0, -10.0, 5.0, -12.0][i % 4]).collect();
        assert_eq!(trend(&series(&values)), None);
        let mut new = vec![0.0; 24];
        new.extend([10.0, 12.0, 20.0, 35.0, 50.0, 80.0]);
        let found = trend(&series(&new)).expect("emerging");
        assert_eq!(found.direction, DemandTrend::Emerging);
        assert_eq!(found.change_period.to_string(), "FY2026-M01");
    }

    #[test]
    fn closed_months_end_before_the_current_one() {
        let calendar = FiscalCalendar::default();
        let now = Utc.with_ymd_and_hms(2026, 3, 10, 0, 0, 0).unwrap();
        let (first, last) = closed_months(&calendar, now, 24).unwrap();
        assert_eq!(
            (first.to_string(), last.to_string()),
            ("FY2024-M03".into(), "FY2026-M02".into())
        );
    }
}

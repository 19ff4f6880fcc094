//! Forecasts of an owner's monthly series on demand, and backtests of the methods on it: the
//! history read from monitoring up to an origin, the models fitted off the async workers.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use lacak_domain::{FiscalCalendar, PeriodId, PeriodKind};
use lacak_forecast::{Forecast, ForecastError, MethodScore, Validation, backtest, forecast_monthly};
use lacak_proto::{goals as gpb, monitoring as mpb};
use lacak_runtime::auth::CallContext;
use lacak_runtime::convert::decimal_from_proto;
use rust_decimal::Decimal;

use crate::conv::amount;
use crate::deps::{Dependencies, series_request};
use crate::domain::recommend::float;
use crate::error::{StrategyError, StrategyResult};

/// Months of history forecasts read at most, unless the settings say otherwise: ten years.
pub const HISTORY_CAP_MONTHS: u32 = 120;
/// The most months one GetSalesSeries call answers; longer histories are read in windows.
const SERIES_WINDOW: usize = 120;
/// The longest horizon asked.
pub const MAX_HORIZON: usize = 24;
/// The most backtest cut points.
pub const MAX_ORIGINS: usize = 36;

/// What a series is of.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesQuery {
    /// "members/{m}", "teams/{t}", or empty for the tenant.
    pub owner: String,
    pub metric: gpb::Metric,
    /// A "products/…", "categories/…", "regions/…" or "segments/…" subject, or empty.
    pub scope: String,
    pub currency: String,
    pub as_of: DateTime<Utc>,
}

/// One subject's monthly values, oldest first, from its first month with a non-zero value.
#[derive(Debug, Clone, PartialEq)]
pub struct History {
    pub subject: String,
    pub months: Vec<(PeriodId, Decimal)>,
}

impl History {
    pub fn values(&self) -> Vec<f64> {
        self.months.iter().map(|(_, v)| float(*v)).collect()
    }
}

/// The series dimension a scope is read through, and whether a metric can be forecast.
pub fn scope_dimension(scope: &str) -> Option<mpb::SeriesDimension> {
    let (kind, id) = scope.split_once('/')?;
    if id.is_empty() || id.contains('/') {
        return None;
    }
    Some(match kind {
        "products" => mpb::SeriesDimension::Product,
        "categories" => mpb::SeriesDimension::Category,
        "regions" => mpb::SeriesDimension::Region,
        "segments" => mpb::SeriesDimension::Segment,
        _ => return None,
    })
}

/// Whether monthly series of `metric` can be read: every metric that adds up month by month.
pub fn forecastable(metric: gpb::Metric) -> bool {
    matches!(
        metric,
        gpb::Metric::Revenue | gpb::Metric::UnitsSold | gpb::Metric::GrossMargin
    ) || counted(metric)
}

/// Whether `metric` is one of the counts monitoring keeps per member (not per product, category,
/// region or segment).
pub fn counted(metric: gpb::Metric) -> bool {
    matches!(
        metric,
        gpb::Metric::DealsWon | gpb::Metric::LeadsGenerated | gpb::Metric::NewCustomers
    )
}

/// The month the origin falls in: the first month forecast. History ends the month before.
pub fn first_month(calendar: &FiscalCalendar, as_of: DateTime<Utc>) -> PeriodId {
    calendar.period_containing(as_of, PeriodKind::Month)
}

/// A read of monthly series over any number of months: windows of at most [`SERIES_WINDOW`]
/// months read side by side, joined per subject (a subject a window does not list had nothing in
/// those months).
pub struct SeriesRead<'a> {
    pub calendar: &'a FiscalCalendar,
    /// The first and last fiscal months, both included.
    pub first: PeriodId,
    pub last: PeriodId,
    pub currency: &'a str,
    /// Read deals won, leads generated and new customers too.
    pub counts: bool,
    /// Start each series at its first month with anything recorded (when the range is one
    /// window: the join of windows needs every month).
    pub from_first_record: bool,
}

impl<'a> SeriesRead<'a> {
    /// The `months` months that end with `last` (fewer where the calendar begins).
    pub fn back_from(
        calendar: &'a FiscalCalendar,
        last: PeriodId,
        months: u32,
        currency: &'a str,
        counts: bool,
    ) -> SeriesRead<'a> {
        let mut first = last;
        for _ in 1..months.max(1) {
            match first.previous() {
                Some(earlier) => first = earlier,
                None => break,
            }
        }
        SeriesRead {
            calendar,
            first,
            last,
            currency,
            counts,
            from_first_record: false,
        }
    }

    /// The same read, each series from its first month with anything recorded.
    pub fn starting_at_first_record(self) -> SeriesRead<'a> {
        SeriesRead {
            from_first_record: true,
            ..self
        }
    }

    fn months(&self) -> Vec<PeriodId> {
        let mut out = vec![self.first];
        let mut at = self.first;
        while at != self.last {
            match at.next() {
                Some(next) => {
                    out.push(next);
                    at = next;
                }
                None => break,
            }
        }
        out
    }

    /// The owner's series split by `dimension`, every month of the range.
    pub async fn read(
        &self,
        deps: &Dependencies,
        ctx: &CallContext,
        owner: &str,
        dimension: mpb::SeriesDimension,
    ) -> StrategyResult<Vec<mpb::SalesSeries>> {
        let months = self.months();
        let windows: Vec<&[PeriodId]> = months.chunks(SERIES_WINDOW).collect();
        let whole = windows.len() == 1;
        let reads = windows.iter().map(|window| {
            let (first, last) = (window[0].to_string(), window[window.len() - 1].to_string());
            let request = mpb::GetSalesSeriesRequest {
                include_counts: self.counts,
                skip_leading_empty_months: self.from_first_record && whole,
                ..series_request(owner, dimension, &first, &last, self.currency)
            };
            deps.read_series(ctx, request)
        });
        let mut answers = futures::future::try_join_all(reads).await?;
        if whole {
            return Ok(answers.pop().unwrap_or_default());
        }
        Ok(join_windows(&windows, answers, |window| self.zeros(window)))
    }

    /// Points of nothing sold (nor counted) for `months`.
    fn zeros(&self, months: &[PeriodId]) -> Vec<mpb::SeriesPoint> {
        let zero_money = || {
            Some(lacak_proto::common::Money {
                currency_code: self.currency.to_owned(),
                units: 0,
                nanos: 0,
            })
        };
        let zero = || Some(lacak_proto::common::Decimal { value: "0".into() });
        months
            .iter()
            .map(|month| mpb::SeriesPoint {
                period: month.to_string(),
                start_time: self
                    .calendar
                    .bounds(month)
                    .ok()
                    .map(|(start, _)| lacak_runtime::convert::timestamp_to_proto(start)),
                revenue: zero_money(),
                units_sold: zero(),
                gross_margin: zero_money(),
                deals_won: if self.counts { zero() } else { None },
                leads_generated: self.counts.then_some(0),
                new_customers: self.counts.then_some(0),
            })
            .collect()
    }
}

/// The series of consecutive windows joined per subject, oldest first: a subject missing from a
/// window gets `zeros` for its months.
fn join_windows(
    windows: &[&[PeriodId]],
    answers: Vec<Vec<mpb::SalesSeries>>,
    zeros: impl Fn(&[PeriodId]) -> Vec<mpb::SeriesPoint>,
) -> Vec<mpb::SalesSeries> {
    let mut joined: BTreeMap<String, Vec<mpb::SeriesPoint>> = BTreeMap::new();
    for (k, (window, answer)) in windows.iter().zip(answers).enumerate() {
        for series in answer {
            let points = joined
                .entry(series.subject)
                .or_insert_with(|| windows[..k].iter().flat_map(|w| zeros(w)).collect());
            points.extend(series.points);
        }
        let done: usize = windows[..=k].iter().map(|w| w.len()).sum();
        for points in joined.values_mut() {
            if points.len() < done {
                points.extend(zeros(window));
            }
        }
    }
    joined
        .into_iter()
        .map(|(subject, points)| mpb::SalesSeries { subject, points })
        .collect()
}

/// The owner's series (and with `each_member` its members', by subject) up to the origin, at
/// most `cap` months of it.
pub async fn histories(
    deps: &Dependencies,
    ctx: &CallContext,
    calendar: &FiscalCalendar,
    query: &SeriesQuery,
    each_member: bool,
    cap: u32,
) -> StrategyResult<Vec<History>> {
    let Some(last) = first_month(calendar, query.as_of).previous() else {
        return Ok(Vec::new());
    };
    // Each history starts at its first month with any value: the empty months before are not read.
    let reading =
        SeriesRead::back_from(calendar, last, cap, &query.currency, counted(query.metric)).starting_at_first_record();
    let dimension = scope_dimension(&query.scope).unwrap_or(mpb::SeriesDimension::Total);
    let owner_read = reading.read(deps, ctx, &query.owner, dimension);
    let mut series = if each_member {
        let members = reading.read(deps, ctx, &query.owner, mpb::SeriesDimension::Member);
        let (owner, members) = tokio::try_join!(owner_read, members)?;
        owner.into_iter().chain(members).collect::<Vec<_>>()
    } else {
        owner_read.await?
    };
    if dimension != mpb::SeriesDimension::Total {
        // The scope's own series; the owner's name goes on it.
        series.retain(|s| s.subject == query.scope);
        series.iter_mut().for_each(|s| s.subject = query.owner.clone());
    } else if let Some(total) = series.first_mut() {
        total.subject = query.owner.clone();
    }
    series
        .into_iter()
        .map(|s| history(s, query.metric))
        .collect::<StrategyResult<Vec<_>>>()
}

fn history(series: mpb::SalesSeries, metric: gpb::Metric) -> StrategyResult<History> {
    let mut months = Vec::with_capacity(series.points.len());
    for point in series.points {
        let damaged = |what: &str| {
            StrategyError::upstream(
                "reading sales series from monitoring",
                tonic::Status::internal(format!("{what} of {:?} does not read", point.period)),
            )
        };
        let period = point.period.parse::<PeriodId>().map_err(|_| damaged("the month"))?;
        let value = match metric {
            gpb::Metric::UnitsSold => point
                .units_sold
                .as_ref()
                .map(|d| decimal_from_proto(d, "units_sold"))
                .transpose()
                .map_err(|_| damaged("units sold"))?
                .unwrap_or_default(),
            gpb::Metric::GrossMargin => amount(&point.gross_margin),
            gpb::Metric::DealsWon => point
                .deals_won
                .as_ref()
                .map(|d| decimal_from_proto(d, "deals_won"))
                .transpose()
                .map_err(|_| damaged("deals won"))?
                .ok_or_else(|| damaged("deals won"))?,
            gpb::Metric::LeadsGenerated => Decimal::from(point.leads_generated.ok_or_else(|| damaged("leads"))?),
            gpb::Metric::NewCustomers => Decimal::from(point.new_customers.ok_or_else(|| damaged("new customers"))?),
            _ => amount(&point.revenue),
        };
        months.push((period, value));
    }
    let first = months.iter().position(|(_, v)| !v.is_zero()).unwrap_or(months.len());
    months.drain(..first);
    Ok(History {
        subject: series.subject,
        months,
    })
}

/// Runs CPU work (model fitting) on the blocking pool, off the async workers. A panic in it is the
/// caller's, as it would be without the blocking task.
pub async fn off_workers<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(work)
        .await
        .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()))
}

/// Forecasts every history (oldest month first), in as many batches on the blocking pool as there
/// are cores; one result per history, in order.
pub async fn forecast_all(
    histories: Vec<Vec<f64>>,
    horizon: usize,
    levels: &[f64],
) -> Vec<Result<Forecast, ForecastError>> {
    let workers = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let chunk = histories.len().div_ceil(workers).max(1);
    let mut batches = Vec::new();
    let mut rest = histories;
    while !rest.is_empty() {
        let tail = rest.split_off(chunk.min(rest.len()));
        let batch = std::mem::replace(&mut rest, tail);
        let levels = levels.to_vec();
        batches.push(off_workers(move || {
            batch
                .iter()
                .map(|history| forecast_monthly(history, horizon, &levels))
                .collect::<Vec<_>>()
        }));
    }
    futures::future::join_all(batches).await.into_iter().flatten().collect()
}

/// Backtests the methods on one history, on the blocking pool.
pub async fn backtest_history(
    history: &History,
    origins: usize,
    horizon: usize,
    levels: Vec<f64>,
) -> Result<Vec<MethodScore>, ForecastError> {
    let values = history.values();
    off_workers(move || backtest(&values, origins, horizon, &levels, Validation::default())).await
}

/// The refusal for a history too short to forecast.
pub fn too_short(subject: &str, error: &ForecastError, query: &SeriesQuery) -> StrategyError {
    let who = if subject.is_empty() { "the tenant" } else { subject };
    match error {
        ForecastError::TooShort { needed, got } => StrategyError::precondition(
            "HISTORY_TOO_SHORT",
            format!(
                "{who} has {got} months of {} before {} (from the first month with any); {needed} are needed",
                metric_words(query.metric),
                query.as_of.to_rfc3339()
            ),
        ),
        other => StrategyError::precondition("FORECAST_FAILED", format!("{who}: {other}")),
    }
}

/// The metric in words, e.g. "leads generated".
pub fn metric_words(metric: gpb::Metric) -> &'static str {
    match metric {
        gpb::Metric::Revenue => "revenue",
        gpb::Metric::UnitsSold => "units sold",
        gpb::Metric::GrossMargin => "gross margin",
        gpb::Metric::DealsWon => "deals won",
        gpb::Metric::LeadsGenerated => "leads generated",
        gpb::Metric::NewCustomers => "new customers",
        gpb::Metric::CustomerRetentionRate => "customer retention",
        gpb::Metric::LeadConversionRate => "lead conversion",
        gpb::Metric::Unspecified => "the metric",
    }
}

/// The fiscal quarters and years lying wholly within `months` (consecutive, oldest first), each
/// with the range of month indices it covers.
pub fn whole_periods(
    calendar: &FiscalCalendar,
    months: &[(PeriodId, DateTime<Utc>)],
) -> Vec<(PeriodId, std::ops::Range<usize>)> {
    let mut out: Vec<(PeriodId, std::ops::Range<usize>)> = Vec::new();
    for kind in [PeriodKind::Quarter, PeriodKind::Year] {
        let mut at = 0;
        while at < months.len() {
            let period = calendar.period_containing(months[at].1, kind);
            let length = period.months().len();
            let inside = months[at..]
                .iter()
                .take_while(|(_, start)| calendar.period_containing(*start, kind) == period)
                .count();
            if inside == length && period.months().first() == Some(&months[at].0) {
                out.push((period, at..at + length));
            }
            at += inside.max(1);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn windows_join_per_subject_with_zeros_where_a_subject_is_missing() {
        let months: Vec<PeriodId> = ["FY2026-M01", "FY2026-M02", "FY2026-M03", "FY2026-M04", "FY2026-M05"]
            .iter()
            .map(|m| m.parse().unwrap())
            .collect();
        let windows: Vec<&[PeriodId]> = months.chunks(2).collect();
        let point = |m: &PeriodId, v: &str| mpb::SeriesPoint {
            period: m.to_string(),
            units_sold: Some(lacak_proto::common::Decimal { value: v.into() }),
            ..Default::default()
        };
        let series = |subject: &str, window: &[PeriodId], v: &str| mpb::SalesSeries {
            subject: subject.into(),
            points: window.iter().map(|m| point(m, v)).collect(),
        };
        // a sells in the first and last windows, b only in the middle one.
        let answers = vec![
            vec![series("members/a", windows[0], "1")],
            vec![series("members/b", windows[1], "2")],
            vec![series("members/a", windows[2], "3")],
        ];
        let joined = join_windows(&windows, answers, |w| w.iter().map(|m| point(m, "0")).collect());
        let values = |s: &mpb::SalesSeries| -> Vec<(String, String)> {
            s.points
                .iter()
                .map(|p| (p.period.clone(), p.units_sold.as_ref().unwrap().value.clone()))
                .collect()
        };
        let expected = |vs: [&str; 5]| -> Vec<(String, String)> {
            months
                .iter()
                .zip(vs)
                .map(|(m, v)| (m.to_string(), v.to_owned()))
                .collect()
        };
        assert_eq!(joined.len(), 2);
        assert_eq!(joined[0].subject, "members/a");
        assert_eq!(values(&joined[0]), expected(["1", "1", "0", "0", "3"]));
        assert_eq!(values(&joined[1]), expected(["0", "0", "2", "2", "0"]));
    }

    #[test]
    fn scopes_name_their_dimension() {
        assert_eq!(scope_dimension("products/SKU-1"), Some(mpb::SeriesDimension::Product));
        assert_eq!(
            scope_dimension("categories/tools"),
            Some(mpb::SeriesDimension::Category)
        );
        assert_eq!(scope_dimension("regions/java"), Some(mpb::SeriesDimension::Region));
        assert_eq!(scope_dimension("segments/smb"), Some(mpb::SeriesDimension::Segment));
        for bad in ["", "products/", "teams/a", "products/a/b", "sku"] {
            assert_eq!(scope_dimension(bad), None, "{bad}");
        }
    }

    #[test]
    fn only_whole_quarters_and_years_are_totalled() {
        let calendar = FiscalCalendar::default();
        // From 1 February 2026, 24 months: Q1 FY2026 is cut (January missing); Q2 to the end of
        // FY2027 are whole, and so is FY2027.
        let months: Vec<(PeriodId, DateTime<Utc>)> = (0..24)
            .map(|i| {
                let start = Utc.with_ymd_and_hms(2026, 2, 1, 0, 0, 0).unwrap() + chrono::Months::new(i);
                (calendar.period_containing(start, PeriodKind::Month), start)
            })
            .collect();
        let found: Vec<(String, std::ops::Range<usize>)> = whole_periods(&calendar, &months)
            .into_iter()
            .map(|(p, r)| (p.to_string(), r))
            .collect();
        let quarters: Vec<&str> = found
            .iter()
            .filter(|(p, _)| p.contains('Q'))
            .map(|(p, _)| p.as_str())
            .collect();
        assert_eq!(
            quarters,
            [
                "FY2026-Q2",
                "FY2026-Q3",
                "FY2026-Q4",
                "FY2027-Q1",
                "FY2027-Q2",
                "FY2027-Q3",
                "FY2027-Q4"
            ]
        );
        assert_eq!(found[0].1, 2..5);
        let years: Vec<&(String, std::ops::Range<usize>)> = found.iter().filter(|(p, _)| !p.contains('-')).collect();
        assert_eq!(years.len(), 1);
        assert_eq!(years[0], &("FY2027".to_owned(), 11..23));
    }
}

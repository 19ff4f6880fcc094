//! The team's revenue trend of a tracking report: revenue and deals won per day, week or fiscal
//! month from the period's start to the time of reading, with a moving average over whole buckets.

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use lacak_domain::PeriodKind;
use lacak_domain::kpi;
use lacak_proto::monitoring as pb;
use lacak_runtime::convert::{money_to_proto, timestamp_to_proto};
use rust_decimal::Decimal;

use crate::domain::progress;
use crate::domain::rollup::{Grain, day_date, day_number, local_day};
use crate::domain::units::from_units;
use crate::kpis::{PeriodFacts, money};
use crate::store::kpis::{RollupFilter, SalesSums};

/// The day rows of the period, for daily and weekly trends.
pub fn daily(monthly: &RollupFilter, facts: &PeriodFacts) -> RollupFilter {
    RollupFilter {
        grain: Grain::Day,
        start: local_day(facts.bounds.0, facts.calendar.time_zone),
        end: local_day(facts.bounds.1, facts.calendar.time_zone),
        ..monthly.clone()
    }
}

/// Rollup buckets keyed by a day of theirs: month rows by their first day.
pub fn as_days(filter: &RollupFilter, buckets: BTreeMap<i32, SalesSums>) -> BTreeMap<i32, SalesSums> {
    match filter.grain {
        Grain::Day => buckets,
        Grain::Month => buckets
            .into_iter()
            .filter_map(|(month, sums)| {
                let first = NaiveDate::from_ymd_opt(month.div_euclid(12), month.rem_euclid(12) as u32 + 1, 1)?;
                Some((day_number(first), sums))
            })
            .collect(),
    }
}

/// Local midnight starting `day`, as an instant.
fn local_midnight(day: i32, tz: chrono_tz::Tz) -> DateTime<Utc> {
    day_date(day)
        .and_hms_opt(0, 0, 0)
        .and_then(|midnight| midnight.and_local_timezone(tz).earliest())
        .map(|local| local.with_timezone(&Utc))
        .unwrap_or_default()
}

/// The bucket a local day falls in: its start day, when it ends, and its label.
fn bucket(facts: &PeriodFacts, granularity: pb::Granularity, day: i32) -> (i32, DateTime<Utc>, String) {
    let date = day_date(day);
    let tz = facts.calendar.time_zone;
    match granularity {
        pb::Granularity::Day => (day, local_midnight(day + 1, tz), date.to_string()),
        pb::Granularity::Week => {
            let monday = day_number(kpi::weekly_bucket_start(date));
            (monday, local_midnight(monday + 7, tz), day_date(monday).to_string())
        }
        pb::Granularity::Month | pb::Granularity::Unspecified => {
            let midnight = date
                .and_hms_opt(12, 0, 0)
                .and_then(|noon| noon.and_local_timezone(tz).earliest())
                .map(|local| local.with_timezone(&Utc))
                .unwrap_or_default();
            let month = facts.calendar.period_containing(midnight, PeriodKind::Month);
            let (start, end) = facts
                .calendar
                .bounds(&month)
                .map(|(s, e)| (local_day(s, tz), e))
                .unwrap_or((day, local_midnight(day + 1, tz)));
            (start, end, month.to_string())
        }
    }
}

/// One bucket of a trend as it fills: label, end, revenue and deals won.
struct Bucket {
    label: String,
    end: DateTime<Utc>,
    revenue: Decimal,
    won: i64,
}

/// The bucket of a local day, added empty when it is not there yet.
fn bucket_at<'b>(
    buckets: &'b mut BTreeMap<i32, Bucket>,
    facts: &PeriodFacts,
    granularity: pb::Granularity,
    day: i32,
) -> &'b mut Bucket {
    let (key, end, label) = bucket(facts, granularity, day);
    buckets.entry(key).or_insert(Bucket {
        label,
        end,
        revenue: Decimal::ZERO,
        won: 0,
    })
}

/// The team's revenue and deals won per bucket, from the period's start to now (or its end). The
/// bucket holding `as_of` is partial, and has no moving average (`domain::progress`).
pub fn trend(
    facts: &PeriodFacts,
    members: &HashSet<&str>,
    by_day: &BTreeMap<i32, SalesSums>,
    granularity: pb::Granularity,
    window: usize,
) -> Vec<pb::TrendPoint> {
    let tz = facts.calendar.time_zone;
    let (start, end) = facts.bounds;
    let first = local_day(start, tz);
    let last = local_day(end.min(facts.as_of.max(start + Duration::seconds(1))), tz).min(local_day(end, tz) - 1);
    let mut buckets: BTreeMap<i32, Bucket> = BTreeMap::new();
    for day in first..=last.max(first) {
        bucket_at(&mut buckets, facts, granularity, day);
    }
    for (day, sums) in by_day.range(first..=last.max(first)) {
        bucket_at(&mut buckets, facts, granularity, *day).revenue += from_units(sums.revenue);
    }
    for record in facts
        .active
        .iter()
        .filter(|r| r.credit.iter().any(|s| members.contains(s.member.as_str())))
    {
        if record.deal.outcome == "won"
            && let Some(closed) = record.deal.close_time
            && closed >= start
            && closed < end
        {
            bucket_at(&mut buckets, facts, granularity, local_day(closed, tz)).won += 1;
        }
    }
    let revenues: Vec<Decimal> = buckets.values().map(|b| b.revenue).collect();
    let partial: Vec<bool> = buckets
        .values()
        .map(|b| progress::is_partial(b.end, end, facts.as_of))
        .collect();
    let averages = progress::whole_bucket_average(&revenues, &partial, window);
    buckets
        .into_iter()
        .zip(averages.into_iter().zip(partial))
        .map(|((key, bucket), (average, partial))| pb::TrendPoint {
            start_time: Some(timestamp_to_proto(local_midnight(key, tz))),
            label: bucket.label,
            revenue: Some(money_to_proto(&money(&facts.currency, bucket.revenue))),
            moving_average: average.map(|a| money_to_proto(&money(&facts.currency, a))),
            deals_won: bucket.won,
            partial,
        })
        .collect()
}

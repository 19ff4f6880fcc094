//! Sales series: revenue month by month, whole or split, for forecasts and trend detection.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use lacak_domain::{FiscalCalendar, PeriodId, PeriodKind};
use lacak_proto::monitoring as pb;
use lacak_runtime::convert::{decimal_to_proto, money_to_proto, timestamp_to_proto};
use lacak_runtime::{FieldViolation, Violations};
use tonic::Request;

use super::{MonitoringApi, caller, parse_owner};
use crate::domain::access::Owner;
use crate::domain::rollup::{Dim, Grain};
use crate::domain::units::from_units;
use crate::error::{MonitoringError, MonitoringResult};
use crate::kpis::money;
use crate::store;
use crate::store::counts::{Counted, by_month};
use crate::store::deal_rollups::DealRollupFilter;
use crate::store::kpis::{RollupFilter, SalesSums, series};

/// The longest range one call reads, in months.
pub const MAX_MONTHS: usize = 120;

fn fiscal_month(text: &str, field: &str) -> Result<PeriodId, FieldViolation> {
    match text.parse::<PeriodId>() {
        Ok(period) if period.kind == PeriodKind::Month => Ok(period),
        _ => Err(FieldViolation::new(field, "must be a fiscal month such as FY2026-M07")),
    }
}

/// The fiscal months from `start` to `end`, both included; `None` when `end` comes first or the
/// range is longer than [`MAX_MONTHS`].
fn months(start: PeriodId, end: PeriodId) -> Option<Vec<PeriodId>> {
    let mut out = vec![start];
    let mut at = start;
    while at != end {
        at = at.next()?;
        out.push(at);
        if out.len() > MAX_MONTHS {
            return None;
        }
    }
    Some(out)
}

pub async fn get(
    api: &MonitoringApi,
    request: Request<pb::GetSalesSeriesRequest>,
) -> MonitoringResult<pb::GetSalesSeriesResponse> {
    let ctx = caller(&request)?;
    let body = request.into_inner();
    let mut v = Violations::new();
    // `Some(None)`: the whole tenant; `None`: an owner that does not parse.
    let owner = if body.owner.is_empty() {
        Some(None)
    } else {
        v.take(parse_owner(&body.owner, "owner")).map(Some)
    };
    let dimension = match pb::SeriesDimension::try_from(body.dimension) {
        Ok(pb::SeriesDimension::Unspecified | pb::SeriesDimension::Total) => Some(pb::SeriesDimension::Total),
        Ok(known) => Some(known),
        Err(_) => {
            v.add("dimension", "is not a known series dimension");
            None
        }
    };
    let start = v.take(fiscal_month(&body.start_period, "start_period"));
    let end = v.take(fiscal_month(&body.end_period, "end_period"));
    let range = match (start, end) {
        (Some(start), Some(end)) => {
            let range = months(start, end);
            if range.is_none() {
                v.add(
                    "end_period",
                    format!("must be {start} or a later month, at most {MAX_MONTHS} months after it"),
                );
            }
            range
        }
        _ => None,
    };
    if lacak_domain::validate_currency_code(&body.currency_code).is_err() {
        v.add("currency_code", "is required: an ISO 4217 code such as IDR or USD");
    }
    if body.include_counts
        && !matches!(
            dimension,
            Some(pb::SeriesDimension::Total | pb::SeriesDimension::Member)
        )
    {
        v.add(
            "include_counts",
            "counts are kept per member, not per product, category, region or segment: ask TOTAL or MEMBER",
        );
    }
    v.finish()?;
    let (Some(owner), Some(dimension), Some(range)) = (owner, dimension, range) else {
        return Err(MonitoringError::invalid("owner", "is invalid"));
    };

    let members = super::kpis::owner_members(api, &ctx, owner.as_ref()).await?;
    let calendar = *api.deps.calendar(&ctx).await?;
    let buckets: Vec<(PeriodId, i32, prost_types::Timestamp)> = range
        .iter()
        .map(|month| {
            let (year, number) = calendar.calendar_month(month).unwrap_or((1970, 1));
            let start = calendar
                .bounds(month)
                .map(|(start, _)| timestamp_to_proto(start))
                .unwrap_or_default();
            (*month, year * 12 + number as i32 - 1, start)
        })
        .collect();
    let (first, last) = match (buckets.first(), buckets.last()) {
        (Some(first), Some(last)) => (first.1, last.1),
        _ => return Ok(pb::GetSalesSeriesResponse::default()),
    };
    let dim = match dimension {
        // A category's series sums its products' rows.
        pb::SeriesDimension::Product | pb::SeriesDimension::Category => Dim::Product,
        pb::SeriesDimension::Region => Dim::Region,
        pb::SeriesDimension::Segment => Dim::Segment,
        _ => Dim::All,
    };
    let filter = RollupFilter {
        dim,
        values: Vec::new(),
        currency: body.currency_code.clone(),
        members,
        grain: Grain::Month,
        start: first,
        end: last + 1,
    };
    let db = api.db()?;
    let tenant = ctx.principal.tenant.as_str();
    let bounds: Vec<(DateTime<Utc>, DateTime<Utc>)> = range.iter().filter_map(|m| calendar.bounds(m).ok()).collect();
    let counts_read = async {
        if !body.include_counts || bounds.len() != range.len() {
            return Ok(None);
        }
        counts(api, tenant, &calendar, &filter.members, (first, last + 1), &bounds)
            .await
            .map(Some)
    };
    let (rows, categories, counts) = futures::future::try_join3(
        series(db, tenant, &filter),
        async {
            match dimension {
                pb::SeriesDimension::Category => api.deps.sku_categories(&ctx).await,
                _ => Ok(HashMap::new()),
            }
        },
        counts_read,
    )
    .await?;
    let named: BTreeMap<String, BTreeMap<i32, SalesSums>> = match dimension {
        pb::SeriesDimension::Total => {
            let subject = owner.as_ref().map(Owner::name).unwrap_or_default();
            BTreeMap::from([(subject, summed(rows.values(), SalesSums::add))])
        }
        pb::SeriesDimension::Member => {
            let mut rows = rows;
            // A member with leads, deals or customers but no sale has a series too.
            for member in counts.iter().flat_map(|c| c.keys()) {
                rows.entry(member.clone()).or_default();
            }
            prefixed("members", rows)
        }
        pb::SeriesDimension::Product => prefixed("products", rows),
        pb::SeriesDimension::Category => by_category(rows, &categories),
        pb::SeriesDimension::Region => prefixed("regions", rows),
        _ => prefixed("segments", rows),
    };
    let currency = body.currency_code.as_str();
    let series = named
        .into_iter()
        .map(|(subject, by_bucket)| {
            // The subject's counts: the member's own, or every member's for the total.
            let counted: Option<BTreeMap<i32, Counts>> =
                counts.as_ref().map(|counts| match subject.strip_prefix("members/") {
                    Some(member) if dimension == pb::SeriesDimension::Member => {
                        counts.get(member).cloned().unwrap_or_default()
                    }
                    _ => summed(counts.values(), Counts::add),
                });
            // With `skip_leading_empty_months`, from the first month with anything recorded.
            let skip = if body.skip_leading_empty_months {
                buckets
                    .iter()
                    .position(|(_, bucket, _)| {
                        by_bucket.get(bucket).is_some_and(|s| *s != SalesSums::default())
                            || counted
                                .as_ref()
                                .is_some_and(|c| c.get(bucket).is_some_and(|c| *c != Counts::default()))
                    })
                    .unwrap_or(buckets.len())
            } else {
                0
            };
            pb::SalesSeries {
                subject,
                points: buckets[skip..]
                    .iter()
                    .map(|(period, bucket, start)| {
                        let sums = by_bucket.get(bucket).copied().unwrap_or_default();
                        let count = counted.as_ref().map(|c| c.get(bucket).copied().unwrap_or_default());
                        pb::SeriesPoint {
                            period: period.to_string(),
                            start_time: Some(*start),
                            revenue: Some(money_to_proto(&money(currency, from_units(sums.revenue)))),
                            units_sold: Some(decimal_to_proto(from_units(sums.units))),
                            gross_margin: Some(money_to_proto(&money(
                                currency,
                                from_units(sums.costed_revenue - sums.cost),
                            ))),
                            deals_won: count.map(|c| decimal_to_proto(from_units(c.deals_won))),
                            leads_generated: count.map(|c| c.leads),
                            new_customers: count.map(|c| c.customers),
                        }
                    })
                    .collect(),
            }
        })
        .collect();
    Ok(pb::GetSalesSeriesResponse { series })
}

/// Month-by-month sums of several subjects' series.
fn summed<'a, T: Default + 'a>(
    series: impl IntoIterator<Item = &'a BTreeMap<i32, T>>,
    add: impl Fn(&mut T, &T),
) -> BTreeMap<i32, T> {
    let mut total: BTreeMap<i32, T> = BTreeMap::new();
    for by_bucket in series {
        for (bucket, value) in by_bucket {
            add(total.entry(*bucket).or_default(), value);
        }
    }
    total
}

/// One member's counts in one month.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Counts {
    /// Credited deals won, in ten-thousandths.
    deals_won: i64,
    leads: i64,
    customers: i64,
}

impl Counts {
    fn add(&mut self, other: &Counts) {
        self.deals_won += other.deals_won;
        self.leads += other.leads;
        self.customers += other.customers;
    }
}

/// Each member's deals won, leads created and customers acquired per month bucket: deals from
/// their outcome rollups (built first if they must be), the others counted per month.
async fn counts(
    api: &MonitoringApi,
    tenant: &str,
    calendar: &FiscalCalendar,
    members: &[String],
    (start, end): (i32, i32),
    bounds: &[(DateTime<Utc>, DateTime<Utc>)],
) -> MonitoringResult<BTreeMap<String, BTreeMap<i32, Counts>>> {
    let (db, reader) = (api.db()?, api.reader()?);
    let (sales_pipeline, built) = futures::future::try_join(
        store::pipeline::sales_pipeline(reader, tenant),
        store::deal_rollups::basis(reader, tenant),
    )
    .await?;
    let basis = store::deal_rollups::Basis {
        time_zone: calendar.time_zone,
        stages: sales_pipeline.stages.iter().map(|s| s.stage.clone()).collect(),
    };
    store::deal_rollups::ensure_built(db, tenant, built.as_ref(), &basis).await?;
    let filter = DealRollupFilter {
        members: members.to_vec(),
        start,
        end,
        region: None,
        segment: None,
        cohorts: false,
    };
    let (deals, leads, customers) = futures::future::try_join3(
        store::deal_rollups::read(reader, tenant, &filter),
        by_month(reader, tenant, Counted::Leads, members, bounds),
        by_month(reader, tenant, Counted::NewCustomers, members, bounds),
    )
    .await?;
    let mut out: BTreeMap<String, BTreeMap<i32, Counts>> = BTreeMap::new();
    for (key, sums) in &deals.outcomes {
        out.entry(key.member.clone())
            .or_default()
            .entry(key.month)
            .or_default()
            .deals_won += sums.won;
    }
    for (counted, is_lead) in [(leads, true), (customers, false)] {
        for (member, by_month) in counted {
            for (index, n) in by_month {
                let entry = out
                    .entry(member.clone())
                    .or_default()
                    .entry(start + index as i32)
                    .or_default();
                if is_lead {
                    entry.leads += n;
                } else {
                    entry.customers += n;
                }
            }
        }
    }
    Ok(out)
}

fn prefixed(
    collection: &str,
    rows: BTreeMap<String, BTreeMap<i32, SalesSums>>,
) -> BTreeMap<String, BTreeMap<i32, SalesSums>> {
    rows.into_iter()
        .map(|(key, value)| (format!("{collection}/{key}"), value))
        .collect()
}

/// Each product's series added into every category its SKU counts in; uncategorised SKUs drop out.
fn by_category(
    products: BTreeMap<String, BTreeMap<i32, SalesSums>>,
    categories: &HashMap<String, Vec<String>>,
) -> BTreeMap<String, BTreeMap<i32, SalesSums>> {
    let mut out: BTreeMap<String, BTreeMap<i32, SalesSums>> = BTreeMap::new();
    for (sku, by_bucket) in &products {
        for category in categories.get(sku).into_iter().flatten() {
            let series = out.entry(format!("categories/{category}")).or_default();
            for (bucket, sums) in by_bucket {
                series.entry(*bucket).or_default().add(sums);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn revenue(units: i64) -> SalesSums {
        SalesSums {
            revenue: units,
            ..SalesSums::default()
        }
    }

    #[test]
    fn a_category_sums_its_products_and_its_sub_categories() {
        let products = BTreeMap::from([
            (
                "LAP-1".to_owned(),
                BTreeMap::from([(1, revenue(100)), (2, revenue(50))]),
            ),
            ("LAP-2".to_owned(), BTreeMap::from([(2, revenue(7))])),
            ("PH-1".to_owned(), BTreeMap::from([(1, revenue(30))])),
            ("CABLE".to_owned(), BTreeMap::from([(1, revenue(9))])),
        ]);
        let categories = HashMap::from([
            ("LAP-1".to_owned(), vec!["laptops".to_owned(), "hardware".to_owned()]),
            ("LAP-2".to_owned(), vec!["laptops".to_owned(), "hardware".to_owned()]),
            ("PH-1".to_owned(), vec!["hardware".to_owned()]),
        ]);
        let series = by_category(products, &categories);
        let at = |category: &str, bucket: i32| series[category].get(&bucket).map(|s| s.revenue);
        // laptops: month 1 = 100; month 2 = 50 + 7 = 57.
        assert_eq!(
            (at("categories/laptops", 1), at("categories/laptops", 2)),
            (Some(100), Some(57))
        );
        // hardware adds its own PH-1 to the laptops: month 1 = 100 + 30 = 130; month 2 = 57.
        assert_eq!(
            (at("categories/hardware", 1), at("categories/hardware", 2)),
            (Some(130), Some(57))
        );
        assert_eq!(series.len(), 2, "CABLE has no category and makes no series");
    }

    #[test]
    fn a_range_runs_across_fiscal_years_and_refuses_backwards_or_overlong() {
        let start: PeriodId = "FY2025-M11".parse().unwrap();
        let end: PeriodId = "FY2026-M02".parse().unwrap();
        let range = months(start, end).unwrap();
        let labels: Vec<String> = range.iter().map(ToString::to_string).collect();
        assert_eq!(labels, ["FY2025-M11", "FY2025-M12", "FY2026-M01", "FY2026-M02"]);
        assert!(months(end, start).is_none());
        let far: PeriodId = "FY2036-M01".parse().unwrap();
        assert!(months("FY2025-M01".parse().unwrap(), far).is_none());
        assert_eq!(months(start, start).unwrap().len(), 1);
    }
}

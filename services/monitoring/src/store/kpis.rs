//! KPI reads: sums of rollup rows for a set of members, a range of local months (or days), one
//! dimension and one currency. The rows read are at most members × buckets, never the sales.

use std::collections::{BTreeMap, HashMap};

use sea_orm::ConnectionTrait;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query, SelectStatement};

use crate::domain::rollup::{Dim, Grain};
use crate::error::MonitoringResult;

/// Member chunk of one query.
const CHUNK: usize = 500;

/// Which rollup rows to sum.
#[derive(Debug, Clone)]
pub struct RollupFilter {
    pub dim: Dim,
    /// The dimension's values (SKUs, a region…); ignored for [`Dim::All`].
    pub values: Vec<String>,
    /// One currency; empty for every currency (only where rows are grouped by currency).
    pub currency: String,
    pub members: Vec<String>,
    /// Months for KPIs (every dimension); days for daily trends (all sales only).
    pub grain: Grain,
    /// Buckets `[start, end)` of the grain.
    pub start: i32,
    pub end: i32,
}

/// Sums of rollup amounts, in ten-thousandths.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SalesSums {
    pub revenue: i64,
    pub costed_revenue: i64,
    pub cost: i64,
    pub units: i64,
}

impl SalesSums {
    pub fn add(&mut self, other: &SalesSums) {
        self.revenue += other.revenue;
        self.costed_revenue += other.costed_revenue;
        self.cost += other.cost;
        self.units += other.units;
    }
}

/// The rollup sums of `members` grouped by `groups`. Without values, a dimension other than
/// [`Dim::All`] reads every value (callers that mean "none" answer before asking).
fn select(tenant: &str, filter: &RollupFilter, members: &[String], groups: &[&str]) -> SelectStatement {
    let mut query = Query::select();
    for group in groups {
        query.column(Alias::new(*group)).group_by_col(Alias::new(*group));
    }
    query
        .expr_as(Expr::cust("CAST(SUM(revenue) AS BIGINT)"), Alias::new("revenue"))
        .expr_as(
            Expr::cust("CAST(SUM(costed_revenue) AS BIGINT)"),
            Alias::new("costed_revenue"),
        )
        .expr_as(Expr::cust("CAST(SUM(cost) AS BIGINT)"), Alias::new("cost"))
        .expr_as(Expr::cust("CAST(SUM(units) AS BIGINT)"), Alias::new("units"))
        .from(Alias::new("sale_rollups"))
        .and_where(Expr::col(Alias::new("tenant")).eq(tenant))
        .and_where(Expr::col(Alias::new("dim")).eq(filter.dim.as_str()))
        .and_where(Expr::col(Alias::new("member")).is_in(members.iter().cloned()))
        .and_where(Expr::col(Alias::new("grain")).eq(filter.grain.as_str()))
        .and_where(Expr::col(Alias::new("bucket")).gte(filter.start))
        .and_where(Expr::col(Alias::new("bucket")).lt(filter.end));
    if !filter.currency.is_empty() {
        query.and_where(Expr::col(Alias::new("currency")).eq(filter.currency.as_str()));
    }
    if filter.dim == Dim::All {
        query.and_where(Expr::col(Alias::new("dim_value")).eq(""));
    } else if !filter.values.is_empty() {
        query.and_where(Expr::col(Alias::new("dim_value")).is_in(filter.values.iter().cloned()));
    }
    query
}

fn sums(row: &sea_orm::QueryResult) -> MonitoringResult<SalesSums> {
    Ok(SalesSums {
        revenue: row.try_get::<Option<i64>>("", "revenue")?.unwrap_or(0),
        costed_revenue: row.try_get::<Option<i64>>("", "costed_revenue")?.unwrap_or(0),
        cost: row.try_get::<Option<i64>>("", "cost")?.unwrap_or(0),
        units: row.try_get::<Option<i64>>("", "units")?.unwrap_or(0),
    })
}

/// Each member's sums per currency, in every currency the filter admits.
#[tracing::instrument(name = "db.by_member_and_currency", skip_all, fields(otel.kind = "client"))]
pub async fn by_member_and_currency<C: ConnectionTrait>(
    db: &C,
    tenant: &str,
    filter: &RollupFilter,
) -> MonitoringResult<HashMap<String, BTreeMap<String, SalesSums>>> {
    let mut out: HashMap<String, BTreeMap<String, SalesSums>> = HashMap::new();
    if filter.dim != Dim::All && filter.values.is_empty() {
        return Ok(out);
    }
    for members in filter.members.chunks(CHUNK) {
        for row in db
            .query_all(&select(tenant, filter, members, &["member", "currency"]))
            .await?
        {
            let member: String = row.try_get("", "member")?;
            let currency: String = row.try_get("", "currency")?;
            out.entry(member)
                .or_default()
                .entry(currency)
                .or_default()
                .add(&sums(&row)?);
        }
    }
    Ok(out)
}

/// The members' sums per bucket (day or month, as the filter's grain).
#[tracing::instrument(name = "db.by_bucket", skip_all, fields(otel.kind = "client"))]
pub async fn by_bucket<C: ConnectionTrait>(
    db: &C,
    tenant: &str,
    filter: &RollupFilter,
) -> MonitoringResult<BTreeMap<i32, SalesSums>> {
    let mut out: BTreeMap<i32, SalesSums> = BTreeMap::new();
    if filter.dim != Dim::All && filter.values.is_empty() {
        return Ok(out);
    }
    for members in filter.members.chunks(CHUNK) {
        for row in db.query_all(&select(tenant, filter, members, &["bucket"])).await? {
            let bucket: i32 = row.try_get("", "bucket")?;
            out.entry(bucket).or_default().add(&sums(&row)?);
        }
    }
    Ok(out)
}

/// Month-by-month sums per series key: the member (for [`Dim::All`]) or the dimension's value.
/// Keys without rows in the range are absent.
#[tracing::instrument(name = "db.series", skip_all, fields(otel.kind = "client"))]
pub async fn series<C: ConnectionTrait>(
    db: &C,
    tenant: &str,
    filter: &RollupFilter,
) -> MonitoringResult<BTreeMap<String, BTreeMap<i32, SalesSums>>> {
    let key = if filter.dim == Dim::All { "member" } else { "dim_value" };
    let mut out: BTreeMap<String, BTreeMap<i32, SalesSums>> = BTreeMap::new();
    for members in filter.members.chunks(CHUNK) {
        let query = select(tenant, filter, members, &[key, "bucket"]);
        for row in db.query_all(&query).await? {
            let name: String = row.try_get("", key)?;
            let bucket: i32 = row.try_get("", "bucket")?;
            out.entry(name)
                .or_default()
                .entry(bucket)
                .or_default()
                .add(&sums(&row)?);
        }
    }
    Ok(out)
}

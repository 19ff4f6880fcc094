//! Sales, the applied-event ledger and the rollups: the write path of ingestion. Every statement
//! here is one multi-row statement per chunk, so a batch of a thousand sales is a handful of
//! round trips whatever its size.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use lacak_runtime::page::PageRequest;
use rust_decimal::Decimal;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, OnConflict, Query, SimpleExpr};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Value};
use serde::{Deserialize, Serialize};

use super::entities::sale;
use crate::domain::rollup::{RollupDelta, RollupKey};
use crate::error::{MonitoringError, MonitoringResult};

/// Rows per multi-row statement: well under SQLite's 32,766 bound parameters.
const CHUNK: usize = 500;

/// One line of a stored sale.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredLine {
    pub sku: String,
    pub quantity: Decimal,
    pub unit_price: Decimal,
    pub discount_percent: Decimal,
    /// After the discount.
    pub revenue: Decimal,
    /// The unit cost captured from inventory as of the sale's time, once known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit_cost: Option<Decimal>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost_currency: Option<String>,
    /// Whether the unit cost is still awaited from inventory.
    #[serde(default)]
    pub awaiting_cost: bool,
}

impl StoredLine {
    /// `unit cost × quantity` when the cost is known and in the sale's currency.
    pub fn cost_in(&self, currency: &str) -> Option<Decimal> {
        match (&self.unit_cost, &self.cost_currency) {
            (Some(cost), Some(cost_currency)) if cost_currency == currency => cost.checked_mul(self.quantity),
            _ => None,
        }
    }
}

pub fn lines_to_json(lines: &[StoredLine]) -> String {
    serde_json::to_string(lines).unwrap_or_else(|_| "[]".to_owned())
}

pub fn lines_from_json(text: &str) -> Vec<StoredLine> {
    serde_json::from_str(text).unwrap_or_default()
}

/// The ids among `ids` already applied for the tenant: lets a retried batch skip inventory.
#[tracing::instrument(name = "db.applied_events", skip_all, fields(otel.kind = "client"))]
pub async fn applied_events<C: ConnectionTrait>(
    db: &C,
    tenant: &str,
    ids: &[String],
) -> MonitoringResult<HashSet<String>> {
    let mut applied = HashSet::new();
    for chunk in ids.chunks(CHUNK) {
        let query = Query::select()
            .column(Alias::new("external_id"))
            .from(Alias::new("applied_events"))
            .and_where(Expr::col(Alias::new("tenant")).eq(tenant))
            .and_where(Expr::col(Alias::new("external_id")).is_in(chunk.iter().cloned()))
            .to_owned();
        for row in db.query_all(&query).await? {
            applied.insert(row.try_get::<String>("", "external_id")?);
        }
    }
    Ok(applied)
}

/// Records `ids` as applied and answers those this call recorded. An id another transaction
/// holds uncommitted waits for it (PostgreSQL) or cannot exist (SQLite's single writer), so an
/// event is claimed by exactly one batch.
#[tracing::instrument(name = "db.claim_events", skip_all, fields(otel.kind = "client"))]
pub async fn claim_events<C: ConnectionTrait>(
    db: &C,
    tenant: &str,
    ids: &[String],
    now: DateTime<Utc>,
) -> MonitoringResult<HashSet<String>> {
    let mut claimed = HashSet::new();
    for chunk in ids.chunks(CHUNK) {
        let mut insert = Query::insert();
        insert.into_table(Alias::new("applied_events")).columns([
            Alias::new("tenant"),
            Alias::new("external_id"),
            Alias::new("apply_time"),
        ]);
        for id in chunk {
            insert.values_panic([tenant.into(), id.as_str().into(), now.into()]);
        }
        insert
            .on_conflict(
                OnConflict::columns([Alias::new("tenant"), Alias::new("external_id")])
                    .do_nothing()
                    .to_owned(),
            )
            .returning_col(Alias::new("external_id"));
        for row in db.query_all(&insert).await? {
            claimed.insert(row.try_get::<String>("", "external_id")?);
        }
    }
    Ok(claimed)
}

/// Inserts sales whose external id is new; answers the external ids inserted.
#[tracing::instrument(name = "db.insert_new", skip_all, fields(otel.kind = "client"))]
pub async fn insert_new<C: ConnectionTrait>(db: &C, sales: &[sale::Model]) -> MonitoringResult<HashSet<String>> {
    let mut inserted = HashSet::new();
    for chunk in sales.chunks(CHUNK) {
        let mut insert = Query::insert();
        insert.into_table(sale::Entity).columns([
            sale::Column::Tenant,
            sale::Column::Id,
            sale::Column::ExternalId,
            sale::Column::Customer,
            sale::Column::Region,
            sale::Column::Segment,
            sale::Column::Owner,
            sale::Column::Credit,
            sale::Column::Members,
            sale::Column::Lines,
            sale::Column::Currency,
            sale::Column::RevenueUnits,
            sale::Column::BookTime,
            sale::Column::Deal,
            sale::Column::AwaitingCost,
            sale::Column::CreateTime,
        ]);
        for s in chunk {
            let values: [SimpleExpr; 16] = [
                s.tenant.as_str().into(),
                s.id.as_str().into(),
                s.external_id.as_str().into(),
                s.customer.as_str().into(),
                s.region.as_str().into(),
                s.segment.as_str().into(),
                s.owner.as_str().into(),
                s.credit.as_str().into(),
                s.members.as_str().into(),
                s.lines.as_str().into(),
                s.currency.as_str().into(),
                s.revenue_units.into(),
                s.book_time.into(),
                s.deal.as_str().into(),
                s.awaiting_cost.into(),
                s.create_time.into(),
            ];
            insert.values_panic(values);
        }
        insert
            .on_conflict(
                OnConflict::columns([sale::Column::Tenant, sale::Column::ExternalId])
                    .do_nothing()
                    .to_owned(),
            )
            .returning_col(sale::Column::ExternalId);
        for row in db.query_all(&insert).await? {
            inserted.insert(row.try_get::<String>("", "external_id")?);
        }
    }
    Ok(inserted)
}

const ROLLUP_AMOUNTS: [&str; 5] = ["revenue", "costed_revenue", "cost", "units", "lines"];

/// Adds each delta to its rollup row, creating the row when it is the first. The addition runs
/// in the database (`row + excluded`), so concurrent writers never lose one another's amounts.
#[tracing::instrument(name = "db.add_to_rollups", skip_all, fields(otel.kind = "client"))]
pub async fn add_to_rollups<C: ConnectionTrait>(
    db: &C,
    tenant: &str,
    rows: &[(RollupKey, RollupDelta)],
) -> MonitoringResult<()> {
    for chunk in rows.chunks(CHUNK) {
        let mut insert = Query::insert();
        insert.into_table(Alias::new("sale_rollups")).columns(
            ["tenant", "dim", "dim_value", "currency", "member", "grain", "bucket"]
                .into_iter()
                .chain(ROLLUP_AMOUNTS)
                .map(Alias::new),
        );
        for (key, delta) in chunk {
            let values: [SimpleExpr; 12] = [
                tenant.into(),
                key.dim.as_str().into(),
                key.dim_value.as_str().into(),
                key.currency.as_str().into(),
                key.member.as_str().into(),
                key.grain.as_str().into(),
                key.bucket.into(),
                delta.revenue.into(),
                delta.costed_revenue.into(),
                delta.cost.into(),
                delta.units.into(),
                delta.lines.into(),
            ];
            insert.values_panic(values);
        }
        let mut on_conflict = OnConflict::columns(
            ["tenant", "dim", "dim_value", "currency", "member", "grain", "bucket"].map(Alias::new),
        );
        for column in ROLLUP_AMOUNTS {
            on_conflict.value(
                Alias::new(column),
                Expr::cust(format!("sale_rollups.{column} + excluded.{column}")),
            );
        }
        insert.on_conflict(on_conflict.to_owned());
        db.execute(&insert).await?;
    }
    Ok(())
}

#[tracing::instrument(name = "db.get", skip_all, fields(otel.kind = "client"))]
pub async fn get<C: ConnectionTrait>(db: &C, tenant: &str, id: &str) -> MonitoringResult<sale::Model> {
    sale::Entity::find_by_id((tenant.to_owned(), id.to_owned()))
        .one(db)
        .await?
        .ok_or_else(|| MonitoringError::not_found("sale", format!("sales/{id}")))
}

#[tracing::instrument(name = "db.find_external", skip_all, fields(otel.kind = "client"))]
pub async fn find_external<C: ConnectionTrait>(
    db: &C,
    tenant: &str,
    external_id: &str,
) -> MonitoringResult<Option<sale::Model>> {
    Ok(sale::Entity::find()
        .filter(sale::Column::Tenant.eq(tenant))
        .filter(sale::Column::ExternalId.eq(external_id))
        .one(db)
        .await?)
}

/// Filters of a sale list.
pub struct SaleFilter {
    /// Credited to one of these members; `None` for any.
    pub members: Option<Vec<String>>,
    pub start: Option<DateTime<Utc>>,
    pub end: Option<DateTime<Utc>>,
    pub awaiting_cost_only: bool,
}

/// Sales oldest booked first; the page key is "book time|id".
#[tracing::instrument(name = "db.list", skip_all, fields(otel.kind = "client"))]
pub async fn list<C: ConnectionTrait>(
    db: &C,
    tenant: &str,
    filter: &SaleFilter,
    page: &PageRequest,
) -> MonitoringResult<Vec<sale::Model>> {
    let mut query = sale::Entity::find().filter(sale::Column::Tenant.eq(tenant));
    if let Some(members) = &filter.members {
        let mut any = sea_orm::Condition::any();
        for member in members {
            any = any.add(sale::Column::Members.contains(format!(",{member},")));
        }
        query = query.filter(any);
    }
    if let Some(start) = filter.start {
        query = query.filter(sale::Column::BookTime.gte(start));
    }
    if let Some(end) = filter.end {
        query = query.filter(sale::Column::BookTime.lt(end));
    }
    if filter.awaiting_cost_only {
        query = query.filter(awaiting_predicate());
    }
    if let Some(after) = &page.after
        && let Some((time, id)) = after.split_once('|')
        && let Ok(time) = time.parse::<DateTime<Utc>>()
    {
        query = query.filter(
            sea_orm::Condition::any()
                .add(sale::Column::BookTime.gt(time))
                .add(sale::Column::BookTime.eq(time).and(sale::Column::Id.gt(id))),
        );
    }
    Ok(query
        .order_by_asc(sale::Column::BookTime)
        .order_by_asc(sale::Column::Id)
        .limit(page.fetch_limit())
        .all(db)
        .await?)
}

pub fn page_key(sale: &sale::Model) -> String {
    format!("{}|{}", sale.book_time.to_rfc3339(), sale.id)
}

/// `WHERE awaiting_cost` written exactly as the partial index's predicate, so both databases use
/// the index (SQLite matches the predicate's terms literally).
fn awaiting_predicate() -> SimpleExpr {
    Expr::cust("sales.awaiting_cost")
}

/// Awaiting sales whose next costing attempt is due at `now`.
fn due_for_cost(now: DateTime<Utc>) -> sea_orm::Condition {
    sea_orm::Condition::all().add(awaiting_predicate()).add(
        sea_orm::Condition::any()
            .add(sale::Column::NextCostAttempt.is_null())
            .add(sale::Column::NextCostAttempt.lte(now)),
    )
}

/// The tenants with sales due for a costing attempt at `now`, at most `limit`, those whose
/// oldest due attempt is oldest first.
#[tracing::instrument(name = "db.tenants_due_for_cost", skip_all, fields(otel.kind = "client"))]
pub async fn tenants_due_for_cost<C: ConnectionTrait>(
    db: &C,
    now: DateTime<Utc>,
    limit: u64,
) -> MonitoringResult<Vec<String>> {
    let mut tenants: Vec<String> = sale::Entity::find()
        .select_only()
        .column(sale::Column::Tenant)
        .filter(due_for_cost(now))
        .distinct()
        .into_tuple()
        .all(db)
        .await?;
    tenants.sort();
    tenants.truncate(limit as usize);
    Ok(tenants)
}

/// Takes up to `limit` of a tenant's sales due for costing at `now` for this replica: their next
/// attempt moves to `leased_until` in the same statement, so a replica looking next passes them
/// by and takes others. Those never asked come first, then the longest due. Answers the sales taken.
#[tracing::instrument(name = "db.lease_due_for_cost", skip_all, fields(otel.kind = "client"))]
pub async fn lease_due_for_cost<C: ConnectionTrait>(
    db: &C,
    tenant: &str,
    now: DateTime<Utc>,
    leased_until: DateTime<Utc>,
    limit: u64,
) -> MonitoringResult<Vec<sale::Model>> {
    let picked = Query::select()
        .column(sale::Column::Id)
        .from(sale::Entity)
        .and_where(Expr::col(sale::Column::Tenant).eq(tenant))
        .cond_where(due_for_cost(now))
        .order_by_expr(Expr::col(sale::Column::NextCostAttempt).is_null(), sea_orm::Order::Desc)
        .order_by(sale::Column::NextCostAttempt, sea_orm::Order::Asc)
        .order_by(sale::Column::BookTime, sea_orm::Order::Asc)
        .limit(limit)
        .to_owned();
    Ok(sale::Entity::update_many()
        .col_expr(sale::Column::NextCostAttempt, Expr::value(Some(leased_until)))
        .filter(sale::Column::Tenant.eq(tenant))
        .filter(sale::Column::Id.in_subquery(picked))
        // Checked again as the row is written: of two replicas that picked it, one takes it.
        .filter(due_for_cost(now))
        .exec_with_returning(db)
        .await?)
}

/// When the sales a pass could not cost are offered again: `at`, and with `answered` (inventory
/// answered, without a cost) one more attempt counted.
#[tracing::instrument(name = "db.cost_later", skip_all, fields(otel.kind = "client"))]
pub async fn cost_later<C: ConnectionTrait>(
    db: &C,
    tenant: &str,
    ids: &[String],
    at: DateTime<Utc>,
    answered: bool,
) -> MonitoringResult<()> {
    for chunk in ids.chunks(CHUNK) {
        let mut update = sale::Entity::update_many()
            .col_expr(sale::Column::NextCostAttempt, Expr::value(Some(at)))
            .filter(sale::Column::Tenant.eq(tenant))
            .filter(sale::Column::Id.is_in(chunk.iter().map(String::as_str)));
        if answered {
            update = update.col_expr(sale::Column::CostAttempts, Expr::col(sale::Column::CostAttempts).add(1));
        }
        update.exec(db).await?;
    }
    Ok(())
}

/// Replaces a sale's lines if they are still `expected`: the one writer that wins also adds the
/// cost to the rollups. Answers whether this call made the change.
#[tracing::instrument(name = "db.replace_lines", skip_all, fields(otel.kind = "client"))]
pub async fn replace_lines<C: ConnectionTrait>(
    db: &C,
    sale: &sale::Model,
    lines: &str,
    awaiting: bool,
) -> MonitoringResult<bool> {
    let update = Query::update()
        .table(sale::Entity)
        .values([
            (sale::Column::Lines, Value::from(lines).into()),
            (sale::Column::AwaitingCost, Value::from(awaiting).into()),
        ])
        .and_where(Expr::col(sale::Column::Tenant).eq(sale.tenant.as_str()))
        .and_where(Expr::col(sale::Column::Id).eq(sale.id.as_str()))
        .and_where(Expr::col(sale::Column::Lines).eq(sale.lines.as_str()))
        .to_owned();
    Ok(db.execute(&update).await?.rows_affected() == 1)
}

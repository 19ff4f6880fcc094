//! Effective-dated costs and prices, and promotions. "In force at t" is the row with the latest
//! effective time at or before t; of two with the same effective time, the later recorded.

use chrono::{DateTime, Utc};
use lacak_runtime::page::PageRequest;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder,
    QuerySelect,
};

use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query, SubQueryStatement};

use super::entities::{cost_breakdown, price, promotion};
use crate::error::{InventoryError, InventoryResult};

#[tracing::instrument(name = "db.insert_cost", skip_all, fields(otel.kind = "client"))]
pub async fn insert_cost<C: ConnectionTrait>(db: &C, model: cost_breakdown::Model) -> InventoryResult<()> {
    model.into_active_model().insert(db).await?;
    Ok(())
}

#[tracing::instrument(name = "db.cost", skip_all, fields(otel.kind = "client"))]
pub async fn cost<C: ConnectionTrait>(
    db: &C,
    tenant: &str,
    sku: &str,
    id: &str,
) -> InventoryResult<cost_breakdown::Model> {
    cost_breakdown::Entity::find_by_id((tenant.to_owned(), sku.to_owned(), id.to_owned()))
        .one(db)
        .await?
        .ok_or_else(|| InventoryError::not_found("cost breakdown", format!("products/{sku}/costBreakdowns/{id}")))
}

/// A page of a product's costs, newest effective first; the page key is "effective|id".
#[tracing::instrument(name = "db.list_costs", skip_all, fields(otel.kind = "client"))]
pub async fn list_costs<C: ConnectionTrait>(
    db: &C,
    tenant: &str,
    sku: &str,
    page: &PageRequest,
) -> InventoryResult<Vec<cost_breakdown::Model>> {
    let mut query = cost_breakdown::Entity::find()
        .filter(cost_breakdown::Column::Tenant.eq(tenant))
        .filter(cost_breakdown::Column::Sku.eq(sku));
    if let Some((time, id)) = page.after.as_deref().and_then(split_key) {
        query = query.filter(
            Condition::any()
                .add(cost_breakdown::Column::EffectiveTime.lt(time))
                .add(
                    Condition::all()
                        .add(cost_breakdown::Column::EffectiveTime.eq(time))
                        .add(cost_breakdown::Column::Id.lt(id)),
                ),
        );
    }
    Ok(query
        .order_by_desc(cost_breakdown::Column::EffectiveTime)
        .order_by_desc(cost_breakdown::Column::Id)
        .limit(page.fetch_limit())
        .all(db)
        .await?)
}

/// The page key of an effective-dated row.
pub fn effective_key(time: DateTime<Utc>, id: &str) -> String {
    format!("{}|{id}", time.to_rfc3339())
}

/// Reads a key made by [`effective_key`].
pub fn split_key(key: &str) -> Option<(DateTime<Utc>, String)> {
    let (time, id) = key.split_once('|')?;
    let time = DateTime::parse_from_rfc3339(time).ok()?.with_timezone(&Utc);
    Some((time, id.to_owned()))
}

#[tracing::instrument(name = "db.cost_as_of", skip_all, fields(otel.kind = "client"))]
pub async fn cost_as_of<C: ConnectionTrait>(
    db: &C,
    tenant: &str,
    sku: &str,
    at: DateTime<Utc>,
) -> InventoryResult<Option<cost_breakdown::Model>> {
    Ok(cost_breakdown::Entity::find()
        .filter(cost_breakdown::Column::Tenant.eq(tenant))
        .filter(cost_breakdown::Column::Sku.eq(sku))
        .filter(cost_breakdown::Column::EffectiveTime.lte(at))
        .order_by_desc(cost_breakdown::Column::EffectiveTime)
        .order_by_desc(cost_breakdown::Column::Id)
        .one(db)
        .await?)
}

/// `(SELECT MAX(t2.effective) FROM table t2 WHERE t2.key = table.key … AND t2.effective <= at)`: the
/// effective time of the row in force at `at` for the outer row's keys.
fn in_force_at<E: EntityTrait, C: ColumnTrait + Copy>(
    entity: E,
    keys: impl IntoIterator<Item = C>,
    effective: C,
    at: DateTime<Utc>,
) -> Expr {
    let inner = Alias::new("in_force");
    let mut select = Query::select();
    select
        .expr(Expr::col((inner.clone(), effective)).max())
        .from_as(entity, inner.clone())
        .and_where(Expr::col((inner.clone(), effective)).lte(at));
    for key in keys {
        select.and_where(Expr::col((inner.clone(), key)).equals((entity, key)));
    }
    Expr::SubQuery(None, Box::new(SubQueryStatement::SelectStatement(select)))
}

/// The cost rows of the SKUs that matter for instants in `[since, until]`: those taking effect in
/// that window and, per SKU, the last one in force at `since`. One query for a whole batch, reading
/// the window's rows rather than the SKUs' whole history.
#[tracing::instrument(name = "db.costs_of", skip_all, fields(otel.kind = "client"))]
pub async fn costs_of<C: ConnectionTrait>(
    db: &C,
    tenant: &str,
    skus: Vec<String>,
    since: DateTime<Utc>,
    until: DateTime<Utc>,
) -> InventoryResult<Vec<cost_breakdown::Model>> {
    Ok(cost_breakdown::Entity::find()
        .filter(cost_breakdown::Column::Tenant.eq(tenant))
        .filter(cost_breakdown::Column::Sku.is_in(skus))
        .filter(cost_breakdown::Column::EffectiveTime.lte(until))
        .filter(
            Condition::any()
                .add(cost_breakdown::Column::EffectiveTime.gt(since))
                .add(
                    Expr::col((cost_breakdown::Entity, cost_breakdown::Column::EffectiveTime)).eq(in_force_at(
                        cost_breakdown::Entity,
                        [cost_breakdown::Column::Tenant, cost_breakdown::Column::Sku],
                        cost_breakdown::Column::EffectiveTime,
                        since,
                    )),
                ),
        )
        .order_by_asc(cost_breakdown::Column::Sku)
        .order_by_asc(cost_breakdown::Column::EffectiveTime)
        .order_by_asc(cost_breakdown::Column::Id)
        .all(db)
        .await?)
}

#[tracing::instrument(name = "db.insert_price", skip_all, fields(otel.kind = "client"))]
pub async fn insert_price<C: ConnectionTrait>(db: &C, model: price::Model) -> InventoryResult<()> {
    model.into_active_model().insert(db).await?;
    Ok(())
}

#[tracing::instrument(name = "db.price", skip_all, fields(otel.kind = "client"))]
pub async fn price<C: ConnectionTrait>(db: &C, tenant: &str, sku: &str, id: &str) -> InventoryResult<price::Model> {
    price::Entity::find_by_id((tenant.to_owned(), sku.to_owned(), id.to_owned()))
        .one(db)
        .await?
        .ok_or_else(|| InventoryError::not_found("price", format!("products/{sku}/prices/{id}")))
}

#[tracing::instrument(name = "db.list_prices", skip_all, fields(otel.kind = "client"))]
pub async fn list_prices<C: ConnectionTrait>(
    db: &C,
    tenant: &str,
    sku: &str,
    currency: Option<&str>,
    page: &PageRequest,
) -> InventoryResult<Vec<price::Model>> {
    let mut query = price::Entity::find()
        .filter(price::Column::Tenant.eq(tenant))
        .filter(price::Column::Sku.eq(sku));
    if let Some(currency) = currency {
        query = query.filter(price::Column::Currency.eq(currency));
    }
    if let Some((time, id)) = page.after.as_deref().and_then(split_key) {
        query = query.filter(
            Condition::any().add(price::Column::EffectiveTime.lt(time)).add(
                Condition::all()
                    .add(price::Column::EffectiveTime.eq(time))
                    .add(price::Column::Id.lt(id)),
            ),
        );
    }
    Ok(query
        .order_by_desc(price::Column::EffectiveTime)
        .order_by_desc(price::Column::Id)
        .limit(page.fetch_limit())
        .all(db)
        .await?)
}

#[tracing::instrument(name = "db.price_as_of", skip_all, fields(otel.kind = "client"))]
pub async fn price_as_of<C: ConnectionTrait>(
    db: &C,
    tenant: &str,
    sku: &str,
    currency: &str,
    at: DateTime<Utc>,
) -> InventoryResult<Option<price::Model>> {
    Ok(price::Entity::find()
        .filter(price::Column::Tenant.eq(tenant))
        .filter(price::Column::Sku.eq(sku))
        .filter(price::Column::Currency.eq(currency))
        .filter(price::Column::EffectiveTime.lte(at))
        .order_by_desc(price::Column::EffectiveTime)
        .order_by_desc(price::Column::Id)
        .one(db)
        .await?)
}

/// The price rows of the SKUs that matter for instants in `[since, until]`, as [`costs_of`] does
/// for costs (per SKU and currency).
#[tracing::instrument(name = "db.prices_of", skip_all, fields(otel.kind = "client"))]
pub async fn prices_of<C: ConnectionTrait>(
    db: &C,
    tenant: &str,
    skus: Vec<String>,
    since: DateTime<Utc>,
    until: DateTime<Utc>,
) -> InventoryResult<Vec<price::Model>> {
    Ok(price::Entity::find()
        .filter(price::Column::Tenant.eq(tenant))
        .filter(price::Column::Sku.is_in(skus))
        .filter(price::Column::EffectiveTime.lte(until))
        .filter(Condition::any().add(price::Column::EffectiveTime.gt(since)).add(
            Expr::col((price::Entity, price::Column::EffectiveTime)).eq(in_force_at(
                price::Entity,
                [price::Column::Tenant, price::Column::Sku, price::Column::Currency],
                price::Column::EffectiveTime,
                since,
            )),
        ))
        .order_by_asc(price::Column::Sku)
        .order_by_asc(price::Column::EffectiveTime)
        .order_by_asc(price::Column::Id)
        .all(db)
        .await?)
}

#[tracing::instrument(name = "db.insert_promotion", skip_all, fields(otel.kind = "client"))]
pub async fn insert_promotion<C: ConnectionTrait>(db: &C, model: promotion::Model) -> InventoryResult<()> {
    model.into_active_model().insert(db).await?;
    Ok(())
}

#[tracing::instrument(name = "db.promotion", skip_all, fields(otel.kind = "client"))]
pub async fn promotion<C: ConnectionTrait>(db: &C, tenant: &str, id: &str) -> InventoryResult<promotion::Model> {
    promotion::Entity::find_by_id((tenant.to_owned(), id.to_owned()))
        .one(db)
        .await?
        .ok_or_else(|| InventoryError::not_found("promotion", format!("promotions/{id}")))
}

#[tracing::instrument(name = "db.save_promotion", skip_all, fields(otel.kind = "client"))]
pub async fn save_promotion<C: ConnectionTrait>(db: &C, model: promotion::Model) -> InventoryResult<promotion::Model> {
    Ok(model.into_active_model().reset_all().update(db).await?)
}

#[tracing::instrument(name = "db.delete_promotion", skip_all, fields(otel.kind = "client"))]
pub async fn delete_promotion<C: ConnectionTrait>(db: &C, tenant: &str, id: &str) -> InventoryResult<()> {
    promotion::Entity::delete_by_id((tenant.to_owned(), id.to_owned()))
        .exec(db)
        .await?;
    Ok(())
}

#[tracing::instrument(name = "db.list_promotions", skip_all, fields(otel.kind = "client"))]
pub async fn list_promotions<C: ConnectionTrait>(
    db: &C,
    tenant: &str,
    active_at: Option<DateTime<Utc>>,
    page: &PageRequest,
) -> InventoryResult<Vec<promotion::Model>> {
    let mut query = promotion::Entity::find().filter(promotion::Column::Tenant.eq(tenant));
    if let Some(at) = active_at {
        query = query
            .filter(promotion::Column::StartTime.lte(at))
            .filter(promotion::Column::EndTime.gt(at));
    }
    if let Some(after) = &page.after {
        query = query.filter(promotion::Column::Id.gt(after.as_str()));
    }
    Ok(query
        .order_by_asc(promotion::Column::Id)
        .limit(page.fetch_limit())
        .all(db)
        .await?)
}

/// Every promotion running at `at`.
#[tracing::instrument(name = "db.running_at", skip_all, fields(otel.kind = "client"))]
pub async fn running_at<C: ConnectionTrait>(
    db: &C,
    tenant: &str,
    at: DateTime<Utc>,
) -> InventoryResult<Vec<promotion::Model>> {
    Ok(promotion::Entity::find()
        .filter(promotion::Column::Tenant.eq(tenant))
        .filter(promotion::Column::StartTime.lte(at))
        .filter(promotion::Column::EndTime.gt(at))
        .order_by_asc(promotion::Column::Id)
        .all(db)
        .await?)
}

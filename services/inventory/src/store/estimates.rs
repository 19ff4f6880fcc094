//! Market estimates per product, region and segment.

use lacak_runtime::page::PageRequest;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder,
    QuerySelect,
};

use super::entities::market_estimate;
use super::pricing::split_key;
use crate::error::{InventoryError, InventoryResult};

#[tracing::instrument(name = "db.insert", skip_all, fields(otel.kind = "client"))]
pub async fn insert<C: ConnectionTrait>(db: &C, model: market_estimate::Model) -> InventoryResult<()> {
    model.into_active_model().insert(db).await?;
    Ok(())
}

#[tracing::instrument(name = "db.estimate", skip_all, fields(otel.kind = "client"))]
pub async fn estimate<C: ConnectionTrait>(
    db: &C,
    tenant: &str,
    sku: &str,
    id: &str,
) -> InventoryResult<market_estimate::Model> {
    market_estimate::Entity::find_by_id((tenant.to_owned(), sku.to_owned(), id.to_owned()))
        .one(db)
        .await?
        .ok_or_else(|| InventoryError::not_found("market estimate", format!("products/{sku}/marketEstimates/{id}")))
}

/// A page of a product's estimates, newest estimate first; the page key is "time|id".
#[tracing::instrument(name = "db.list", skip_all, fields(otel.kind = "client"))]
pub async fn list<C: ConnectionTrait>(
    db: &C,
    tenant: &str,
    sku: &str,
    page: &PageRequest,
) -> InventoryResult<Vec<market_estimate::Model>> {
    let mut query = market_estimate::Entity::find()
        .filter(market_estimate::Column::Tenant.eq(tenant))
        .filter(market_estimate::Column::Sku.eq(sku));
    if let Some((time, id)) = page.after.as_deref().and_then(split_key) {
        query = query.filter(
            Condition::any()
                .add(market_estimate::Column::EstimateTime.lt(time))
                .add(
                    Condition::all()
                        .add(market_estimate::Column::EstimateTime.eq(time))
                        .add(market_estimate::Column::Id.lt(id)),
                ),
        );
    }
    Ok(query
        .order_by_desc(market_estimate::Column::EstimateTime)
        .order_by_desc(market_estimate::Column::Id)
        .limit(page.fetch_limit())
        .all(db)
        .await?)
}

/// Every estimate of the tenant (for the portfolio assessment).
#[tracing::instrument(name = "db.all", skip_all, fields(otel.kind = "client"))]
pub async fn all<C: ConnectionTrait>(db: &C, tenant: &str) -> InventoryResult<Vec<market_estimate::Model>> {
    Ok(market_estimate::Entity::find()
        .filter(market_estimate::Column::Tenant.eq(tenant))
        .all(db)
        .await?)
}

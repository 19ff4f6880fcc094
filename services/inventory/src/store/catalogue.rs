//! Categories and products.

use std::collections::{HashMap, HashSet};

use lacak_runtime::page::PageRequest;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
};

use super::entities::{category, cost_breakdown, market_estimate, price, product, stock_movement};
use super::is_duplicate;
use crate::error::{InventoryError, InventoryResult};

#[tracing::instrument(name = "db.category", skip_all, fields(otel.kind = "client"))]
pub async fn category<C: ConnectionTrait>(db: &C, tenant: &str, id: &str) -> InventoryResult<category::Model> {
    category::Entity::find_by_id((tenant.to_owned(), id.to_owned()))
        .one(db)
        .await?
        .ok_or_else(|| InventoryError::not_found("category", format!("categories/{id}")))
}

#[tracing::instrument(name = "db.insert_category", skip_all, fields(otel.kind = "client"))]
pub async fn insert_category<C: ConnectionTrait>(db: &C, model: category::Model) -> InventoryResult<()> {
    let name = format!("categories/{}", model.id);
    model.into_active_model().insert(db).await.map_err(|e| {
        if is_duplicate(&e) {
            InventoryError::AlreadyExists { what: "category", name }
        } else {
            e.into()
        }
    })?;
    Ok(())
}

#[tracing::instrument(name = "db.save_category", skip_all, fields(otel.kind = "client"))]
pub async fn save_category<C: ConnectionTrait>(db: &C, model: category::Model) -> InventoryResult<category::Model> {
    Ok(model.into_active_model().reset_all().update(db).await?)
}

#[tracing::instrument(name = "db.list_categories", skip_all, fields(otel.kind = "client"))]
pub async fn list_categories<C: ConnectionTrait>(
    db: &C,
    tenant: &str,
    parent: Option<&str>,
    page: &PageRequest,
) -> InventoryResult<Vec<category::Model>> {
    let mut query = category::Entity::find().filter(category::Column::Tenant.eq(tenant));
    if let Some(parent) = parent {
        query = query.filter(category::Column::ParentId.eq(parent));
    }
    if let Some(after) = &page.after {
        query = query.filter(category::Column::Id.gt(after.as_str()));
    }
    Ok(query
        .order_by_asc(category::Column::Id)
        .limit(page.fetch_limit())
        .all(db)
        .await?)
}

/// Each category's parent, for walking the tree.
#[tracing::instrument(name = "db.category_tree", skip_all, fields(otel.kind = "client"))]
pub async fn category_tree<C: ConnectionTrait>(
    db: &C,
    tenant: &str,
) -> InventoryResult<HashMap<String, Option<String>>> {
    Ok(category::Entity::find()
        .filter(category::Column::Tenant.eq(tenant))
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, c.parent_id))
        .collect())
}

/// A category and every category below it.
pub fn subtree(tree: &HashMap<String, Option<String>>, root: &str) -> HashSet<String> {
    let mut found: HashSet<String> = HashSet::from([root.to_owned()]);
    loop {
        let before = found.len();
        for (id, parent) in tree {
            if parent.as_ref().is_some_and(|p| found.contains(p)) {
                found.insert(id.clone());
            }
        }
        if found.len() == before {
            return found;
        }
    }
}

/// A category and every category above it (what a category promotion may come from).
pub fn ancestry(tree: &HashMap<String, Option<String>>, leaf: &str) -> Vec<String> {
    let mut chain = vec![leaf.to_owned()];
    let mut current = tree.get(leaf).cloned().flatten();
    while let Some(id) = current {
        if chain.contains(&id) {
            break;
        }
        current = tree.get(&id).cloned().flatten();
        chain.push(id);
    }
    chain
}

#[tracing::instrument(name = "db.delete_category", skip_all, fields(otel.kind = "client"))]
pub async fn delete_category<C: ConnectionTrait>(db: &C, tenant: &str, id: &str) -> InventoryResult<()> {
    let children = category::Entity::find()
        .filter(category::Column::Tenant.eq(tenant))
        .filter(category::Column::ParentId.eq(id))
        .count(db)
        .await?;
    let products = product::Entity::find()
        .filter(product::Column::Tenant.eq(tenant))
        .filter(product::Column::CategoryId.eq(id))
        .count(db)
        .await?;
    if children + products > 0 {
        return Err(InventoryError::precondition(
            "CATEGORY_NOT_EMPTY",
            format!("categories/{id} still has {children} sub-categories and {products} products"),
        ));
    }
    category::Entity::delete_by_id((tenant.to_owned(), id.to_owned()))
        .exec(db)
        .await?;
    Ok(())
}

#[tracing::instrument(name = "db.product", skip_all, fields(otel.kind = "client"))]
pub async fn product<C: ConnectionTrait>(db: &C, tenant: &str, sku: &str) -> InventoryResult<product::Model> {
    product::Entity::find_by_id((tenant.to_owned(), sku.to_owned()))
        .one(db)
        .await?
        .ok_or_else(|| InventoryError::not_found("product", format!("products/{sku}")))
}

#[tracing::instrument(name = "db.insert_product", skip_all, fields(otel.kind = "client"))]
pub async fn insert_product<C: ConnectionTrait>(db: &C, model: product::Model) -> InventoryResult<()> {
    let name = format!("products/{}", model.sku);
    model.into_active_model().insert(db).await.map_err(|e| {
        if is_duplicate(&e) {
            InventoryError::AlreadyExists { what: "product", name }
        } else {
            e.into()
        }
    })?;
    Ok(())
}

#[tracing::instrument(name = "db.save_product", skip_all, fields(otel.kind = "client"))]
pub async fn save_product<C: ConnectionTrait>(db: &C, model: product::Model) -> InventoryResult<product::Model> {
    Ok(model.into_active_model().reset_all().update(db).await?)
}

/// Filters of ListProducts.
#[derive(Debug, Default)]
pub struct ProductFilter {
    pub categories: Option<Vec<String>>,
    pub state: Option<&'static str>,
    pub tag: Option<String>,
}

#[tracing::instrument(name = "db.list_products", skip_all, fields(otel.kind = "client"))]
pub async fn list_products<C: ConnectionTrait>(
    db: &C,
    tenant: &str,
    filter: &ProductFilter,
    page: &PageRequest,
) -> InventoryResult<Vec<product::Model>> {
    let mut query = product::Entity::find().filter(product::Column::Tenant.eq(tenant));
    if let Some(categories) = &filter.categories {
        query = query.filter(product::Column::CategoryId.is_in(categories.iter().cloned()));
    }
    if let Some(state) = filter.state {
        query = query.filter(product::Column::State.eq(state));
    }
    if let Some(tag) = &filter.tag {
        // Tags are a JSON array; the quoted form matches whole tags only.
        query = query.filter(product::Column::Tags.contains(format!("{:?}", tag)));
    }
    if let Some(after) = &page.after {
        query = query.filter(product::Column::Sku.gt(after.as_str()));
    }
    Ok(query
        .order_by_asc(product::Column::Sku)
        .limit(page.fetch_limit())
        .all(db)
        .await?)
}

/// Every active product of the tenant (for the portfolio assessment).
#[tracing::instrument(name = "db.active_products", skip_all, fields(otel.kind = "client"))]
pub async fn active_products<C: ConnectionTrait>(db: &C, tenant: &str) -> InventoryResult<Vec<product::Model>> {
    Ok(product::Entity::find()
        .filter(product::Column::Tenant.eq(tenant))
        .filter(product::Column::State.eq("active"))
        .order_by_asc(product::Column::Sku)
        .all(db)
        .await?)
}

/// Products of the given SKUs (for batch valuations).
#[tracing::instrument(name = "db.products_by_sku", skip_all, fields(otel.kind = "client"))]
pub async fn products_by_sku<C: ConnectionTrait>(
    db: &C,
    tenant: &str,
    skus: Vec<String>,
) -> InventoryResult<Vec<product::Model>> {
    Ok(product::Entity::find()
        .filter(product::Column::Tenant.eq(tenant))
        .filter(product::Column::Sku.is_in(skus))
        .all(db)
        .await?)
}

/// Refuses to delete a product with history: retire it instead.
#[tracing::instrument(name = "db.delete_product", skip_all, fields(otel.kind = "client"))]
pub async fn delete_product<C: ConnectionTrait>(db: &C, tenant: &str, sku: &str) -> InventoryResult<()> {
    let history = cost_breakdown::Entity::find()
        .filter(cost_breakdown::Column::Tenant.eq(tenant))
        .filter(cost_breakdown::Column::Sku.eq(sku))
        .count(db)
        .await?
        + price::Entity::find()
            .filter(price::Column::Tenant.eq(tenant))
            .filter(price::Column::Sku.eq(sku))
            .count(db)
            .await?
        + stock_movement::Entity::find()
            .filter(stock_movement::Column::Tenant.eq(tenant))
            .filter(stock_movement::Column::Sku.eq(sku))
            .count(db)
            .await?
        + market_estimate::Entity::find()
            .filter(market_estimate::Column::Tenant.eq(tenant))
            .filter(market_estimate::Column::Sku.eq(sku))
            .count(db)
            .await?;
    if history > 0 {
        return Err(InventoryError::precondition(
            "PRODUCT_HAS_HISTORY",
            format!("products/{sku} has {history} costs, prices, stock movements or estimates; retire it instead"),
        ));
    }
    product::Entity::delete_by_id((tenant.to_owned(), sku.to_owned()))
        .exec(db)
        .await?;
    Ok(())
}

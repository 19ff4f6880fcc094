//! Quota reviews and their items.

use std::collections::HashMap;

use lacak_runtime::page::PageRequest;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, QuerySelect,
};

use super::entities::{quota_review, review_item};
use crate::error::{GoalsError, GoalsResult};

#[tracing::instrument(name = "db.review", skip_all, fields(otel.kind = "client"))]
pub async fn review<C: ConnectionTrait>(db: &C, tenant: &str, id: &str) -> GoalsResult<quota_review::Model> {
    quota_review::Entity::find_by_id((tenant.to_owned(), id.to_owned()))
        .one(db)
        .await?
        .ok_or_else(|| GoalsError::not_found("quota review", format!("quotaReviews/{id}")))
}

#[tracing::instrument(name = "db.items", skip_all, fields(otel.kind = "client"))]
pub async fn items<C: ConnectionTrait>(db: &C, tenant: &str, review_id: &str) -> GoalsResult<Vec<review_item::Model>> {
    Ok(review_item::Entity::find()
        .filter(review_item::Column::Tenant.eq(tenant))
        .filter(review_item::Column::ReviewId.eq(review_id))
        .order_by_asc(review_item::Column::QuotaId)
        .all(db)
        .await?)
}

/// The items of each of `review_ids`, in one query, each review's by quota id.
#[tracing::instrument(name = "db.items_of", skip_all, fields(otel.kind = "client"))]
pub async fn items_of<C: ConnectionTrait>(
    db: &C,
    tenant: &str,
    review_ids: Vec<String>,
) -> GoalsResult<HashMap<String, Vec<review_item::Model>>> {
    let mut by_review: HashMap<String, Vec<review_item::Model>> = HashMap::new();
    if review_ids.is_empty() {
        return Ok(by_review);
    }
    let items = review_item::Entity::find()
        .filter(review_item::Column::Tenant.eq(tenant))
        .filter(review_item::Column::ReviewId.is_in(review_ids))
        .order_by_asc(review_item::Column::ReviewId)
        .order_by_asc(review_item::Column::QuotaId)
        .all(db)
        .await?;
    for item in items {
        by_review.entry(item.review_id.clone()).or_default().push(item);
    }
    Ok(by_review)
}

#[tracing::instrument(name = "db.insert", skip_all, fields(otel.kind = "client"))]
pub async fn insert<C: ConnectionTrait>(
    db: &C,
    review: quota_review::Model,
    items: Vec<review_item::Model>,
) -> GoalsResult<()> {
    review.into_active_model().insert(db).await?;
    for item in items {
        item.into_active_model().insert(db).await?;
    }
    Ok(())
}

#[tracing::instrument(name = "db.save_item", skip_all, fields(otel.kind = "client"))]
pub async fn save_item<C: ConnectionTrait>(db: &C, item: review_item::Model) -> GoalsResult<()> {
    item.into_active_model().reset_all().update(db).await?;
    Ok(())
}

/// Reviews newest first (ids are time-ordered), optionally of one period.
#[tracing::instrument(name = "db.list", skip_all, fields(otel.kind = "client"))]
pub async fn list<C: ConnectionTrait>(
    db: &C,
    tenant: &str,
    period: Option<&str>,
    page: &PageRequest,
) -> GoalsResult<Vec<quota_review::Model>> {
    let mut query = quota_review::Entity::find().filter(quota_review::Column::Tenant.eq(tenant));
    if let Some(period) = period {
        query = query.filter(quota_review::Column::Period.eq(period));
    }
    if let Some(after) = &page.after {
        query = query.filter(quota_review::Column::Id.lt(after.as_str()));
    }
    Ok(query
        .order_by_desc(quota_review::Column::Id)
        .limit(page.fetch_limit())
        .all(db)
        .await?)
}

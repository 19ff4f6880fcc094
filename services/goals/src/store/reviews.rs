//! Quota reviews and their items.

use lacak_runtime::page::PageRequest;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, QuerySelect,
};

use super::entities::{quota_review, review_item};
use crate::error::{GoalsError, GoalsResult};

pub async fn review<C: ConnectionTrait>(db: &C, tenant: &str, id: &str) -> GoalsResult<quota_review::Model> {
    quota_review::Entity::find_by_id((tenant.to_owned(), id.to_owned()))
        .one(db)
        .await?
        .ok_or_else(|| GoalsError::not_found("quota review", format!("quotaReviews/{id}")))
}

pub async fn items<C: ConnectionTrait>(db: &C, tenant: &str, review_id: &str) -> GoalsResult<Vec<review_item::Model>> {
    Ok(review_item::Entity::find()
        .filter(review_item::Column::Tenant.eq(tenant))
        .filter(review_item::Column::ReviewId.eq(review_id))
        .order_by_asc(review_item::Column::QuotaId)
        .all(db)
        .await?)
}

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

pub async fn save_item<C: ConnectionTrait>(db: &C, item: review_item::Model) -> GoalsResult<()> {
    item.into_active_model().reset_all().update(db).await?;
    Ok(())
}

/// Reviews newest first (ids are time-ordered), optionally of one period.
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

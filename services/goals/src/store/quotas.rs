//! Quotas and their change history. A target never changes without a change row written in the
//! same transaction; the quota's revision numbers both the change and the etag.

use lacak_runtime::page::PageRequest;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder,
    QuerySelect,
};

use super::entities::{quota, quota_change};
use crate::domain::access::Visibility;
use crate::domain::names::Owner;
use crate::domain::quota::ChangeSource;
use crate::error::{GoalsError, GoalsResult};

#[tracing::instrument(name = "db.quota", skip_all, fields(otel.kind = "client"))]
pub async fn quota<C: ConnectionTrait>(db: &C, tenant: &str, id: &str) -> GoalsResult<quota::Model> {
    quota::Entity::find_by_id((tenant.to_owned(), id.to_owned()))
        .one(db)
        .await?
        .ok_or_else(|| GoalsError::not_found("quota", format!("quotas/{id}")))
}

/// Writes a new quota with its first change.
#[tracing::instrument(name = "db.insert", skip_all, fields(otel.kind = "client"))]
pub async fn insert<C: ConnectionTrait>(db: &C, model: quota::Model, first: quota_change::Model) -> GoalsResult<()> {
    model.into_active_model().insert(db).await?;
    first.into_active_model().insert(db).await?;
    Ok(())
}

/// Writes a changed quota and its change row, if nobody changed the quota since `expected_revision`.
#[tracing::instrument(name = "db.apply_change", skip_all, fields(otel.kind = "client"))]
pub async fn apply_change<C: ConnectionTrait>(
    db: &C,
    updated: quota::Model,
    expected_revision: i32,
    change: quota_change::Model,
) -> GoalsResult<()> {
    let result = quota::Entity::update_many()
        .col_expr(quota::Column::Target, Expr::value(updated.target.clone()))
        .col_expr(
            quota::Column::SeasonalProfile,
            Expr::value(updated.seasonal_profile.clone()),
        )
        .col_expr(quota::Column::Revision, Expr::value(updated.revision))
        .col_expr(quota::Column::UpdateTime, Expr::value(updated.update_time))
        .filter(quota::Column::Tenant.eq(updated.tenant.as_str()))
        .filter(quota::Column::Id.eq(updated.id.as_str()))
        .filter(quota::Column::Revision.eq(expected_revision))
        .exec(db)
        .await?;
    if result.rows_affected != 1 {
        return Err(GoalsError::Aborted(format!(
            "quotas/{} changed concurrently; read it again and retry",
            updated.id
        )));
    }
    change.into_active_model().insert(db).await?;
    Ok(())
}

/// Filters of ListQuotas.
#[derive(Debug, Default)]
pub struct QuotaFilter {
    pub owner: Option<Owner>,
    /// Only quotas of these teams and members (a team's subtree), as a visibility.
    pub within: Option<Visibility>,
    pub period: Option<String>,
    pub metric: Option<&'static str>,
}

fn visible(visibility: &Visibility) -> Option<Condition> {
    match visibility {
        Visibility::Tenant => None,
        Visibility::Member(me) => Some(
            Condition::all()
                .add(quota::Column::OwnerKind.eq("member"))
                .add(quota::Column::OwnerId.eq(me.as_str())),
        ),
        Visibility::Teams { teams, members } => Some(
            Condition::any()
                .add(
                    Condition::all()
                        .add(quota::Column::OwnerKind.eq("team"))
                        .add(quota::Column::OwnerId.is_in(teams.iter().cloned())),
                )
                .add(
                    Condition::all()
                        .add(quota::Column::OwnerKind.eq("member"))
                        .add(quota::Column::OwnerId.is_in(members.iter().cloned())),
                ),
        ),
    }
}

#[tracing::instrument(name = "db.list", skip_all, fields(otel.kind = "client"))]
pub async fn list<C: ConnectionTrait>(
    db: &C,
    tenant: &str,
    filter: &QuotaFilter,
    visibility: &Visibility,
    page: &PageRequest,
) -> GoalsResult<Vec<quota::Model>> {
    let mut query = quota::Entity::find().filter(quota::Column::Tenant.eq(tenant));
    if let Some(owner) = &filter.owner {
        query = query
            .filter(quota::Column::OwnerKind.eq(owner.kind()))
            .filter(quota::Column::OwnerId.eq(owner.id()));
    }
    if let Some(period) = &filter.period {
        query = query.filter(quota::Column::Period.eq(period.as_str()));
    }
    if let Some(condition) = filter.within.as_ref().and_then(visible) {
        query = query.filter(condition);
    }
    if let Some(metric) = filter.metric {
        query = query.filter(quota::Column::Metric.eq(metric));
    }
    if let Some(condition) = visible(visibility) {
        query = query.filter(condition);
    }
    if let Some(after) = &page.after {
        query = query.filter(quota::Column::Id.gt(after.as_str()));
    }
    Ok(query
        .order_by_asc(quota::Column::Id)
        .limit(page.fetch_limit())
        .all(db)
        .await?)
}

/// A page of a quota's changes, oldest first.
#[tracing::instrument(name = "db.changes", skip_all, fields(otel.kind = "client"))]
pub async fn changes<C: ConnectionTrait>(
    db: &C,
    tenant: &str,
    quota_id: &str,
    page: &PageRequest,
) -> GoalsResult<Vec<quota_change::Model>> {
    let mut query = quota_change::Entity::find()
        .filter(quota_change::Column::Tenant.eq(tenant))
        .filter(quota_change::Column::QuotaId.eq(quota_id));
    if let Some(after) = &page.after {
        let after: i32 = after.parse().unwrap_or(i32::MAX);
        query = query.filter(quota_change::Column::Seq.gt(after));
    }
    Ok(query
        .order_by_asc(quota_change::Column::Seq)
        .limit(page.fetch_limit())
        .all(db)
        .await?)
}

/// The change a strategy recommendation made to a quota, if it made one; a unique index keeps it
/// to one.
#[tracing::instrument(name = "db.recommendation_change", skip_all, fields(otel.kind = "client"))]
pub async fn recommendation_change<C: ConnectionTrait>(
    db: &C,
    tenant: &str,
    quota_id: &str,
    recommendation: &str,
) -> GoalsResult<Option<quota_change::Model>> {
    Ok(quota_change::Entity::find()
        .filter(quota_change::Column::Tenant.eq(tenant))
        .filter(quota_change::Column::QuotaId.eq(quota_id))
        .filter(quota_change::Column::Source.eq(ChangeSource::StrategyRecommendation.as_str()))
        .filter(quota_change::Column::SourceReference.eq(recommendation))
        .one(db)
        .await?)
}

/// Every change of a quota, oldest first (for the target as of an instant).
#[tracing::instrument(name = "db.all_changes", skip_all, fields(otel.kind = "client"))]
pub async fn all_changes<C: ConnectionTrait>(
    db: &C,
    tenant: &str,
    quota_id: &str,
) -> GoalsResult<Vec<quota_change::Model>> {
    Ok(quota_change::Entity::find()
        .filter(quota_change::Column::Tenant.eq(tenant))
        .filter(quota_change::Column::QuotaId.eq(quota_id))
        .order_by_asc(quota_change::Column::Seq)
        .all(db)
        .await?)
}

/// The quotas of one metric, period and scope owned by any of `owners`.
#[tracing::instrument(name = "db.for_owners", skip_all, fields(otel.kind = "client"))]
pub async fn for_owners<C: ConnectionTrait>(
    db: &C,
    tenant: &str,
    metric: &str,
    period: &str,
    scope: &[&str; 4],
    owner_kind: &str,
    owner_ids: Vec<String>,
) -> GoalsResult<Vec<quota::Model>> {
    Ok(quota::Entity::find()
        .filter(quota::Column::Tenant.eq(tenant))
        .filter(quota::Column::Metric.eq(metric))
        .filter(quota::Column::Period.eq(period))
        .filter(quota::Column::ScopeProduct.eq(scope[0]))
        .filter(quota::Column::ScopeCategory.eq(scope[1]))
        .filter(quota::Column::ScopeRegion.eq(scope[2]))
        .filter(quota::Column::ScopeSegment.eq(scope[3]))
        .filter(quota::Column::OwnerKind.eq(owner_kind))
        .filter(quota::Column::OwnerId.is_in(owner_ids))
        .order_by_asc(quota::Column::Id)
        .all(db)
        .await?)
}

/// Every quota of the given periods (for a review).
#[tracing::instrument(name = "db.in_periods", skip_all, fields(otel.kind = "client"))]
pub async fn in_periods<C: ConnectionTrait>(
    db: &C,
    tenant: &str,
    periods: Vec<String>,
) -> GoalsResult<Vec<quota::Model>> {
    Ok(quota::Entity::find()
        .filter(quota::Column::Tenant.eq(tenant))
        .filter(quota::Column::Period.is_in(periods))
        .order_by_asc(quota::Column::Id)
        .all(db)
        .await?)
}

/// Which of `ids` exist in the tenant.
#[tracing::instrument(name = "db.existing_ids", skip_all, fields(otel.kind = "client"))]
pub async fn existing_ids<C: ConnectionTrait>(
    db: &C,
    tenant: &str,
    ids: Vec<String>,
) -> GoalsResult<Vec<quota::Model>> {
    Ok(quota::Entity::find()
        .filter(quota::Column::Tenant.eq(tenant))
        .filter(quota::Column::Id.is_in(ids))
        .all(db)
        .await?)
}

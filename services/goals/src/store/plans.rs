//! Action plans (with their strategies, milestones and state history as JSON) and their tasks.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use lacak_runtime::page::PageRequest;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder,
    QuerySelect,
};
use serde::{Deserialize, Serialize};

use super::entities::{action_plan, task};
use crate::domain::access::Visibility;
use crate::error::{GoalsError, GoalsResult};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredStrategy {
    pub title: String,
    pub description: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredMilestone {
    pub title: String,
    pub due_time: DateTime<Utc>,
    /// "" unless money.
    pub currency: String,
    /// A decimal as text, or "" for none.
    pub target: String,
    pub reached: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredStateChange {
    pub time: DateTime<Utc>,
    pub state: String,
}

/// Reads a JSON column; a damaged one reads as empty instead of failing the request.
pub fn from_json<T: serde::de::DeserializeOwned>(text: &str) -> Vec<T> {
    serde_json::from_str(text).unwrap_or_default()
}

pub fn to_json<T: Serialize>(items: &[T]) -> String {
    serde_json::to_string(items).unwrap_or_else(|_| "[]".to_owned())
}

#[tracing::instrument(name = "db.plan", skip_all, fields(otel.kind = "client"))]
pub async fn plan<C: ConnectionTrait>(db: &C, tenant: &str, id: &str) -> GoalsResult<action_plan::Model> {
    action_plan::Entity::find_by_id((tenant.to_owned(), id.to_owned()))
        .one(db)
        .await?
        .ok_or_else(|| GoalsError::not_found("action plan", format!("actionPlans/{id}")))
}

#[tracing::instrument(name = "db.insert_plan", skip_all, fields(otel.kind = "client"))]
pub async fn insert_plan<C: ConnectionTrait>(db: &C, model: action_plan::Model) -> GoalsResult<()> {
    model.into_active_model().insert(db).await?;
    Ok(())
}

#[tracing::instrument(name = "db.save_plan", skip_all, fields(otel.kind = "client"))]
pub async fn save_plan<C: ConnectionTrait>(db: &C, model: action_plan::Model) -> GoalsResult<action_plan::Model> {
    Ok(model.into_active_model().reset_all().update(db).await?)
}

#[tracing::instrument(name = "db.delete_plan", skip_all, fields(otel.kind = "client"))]
pub async fn delete_plan<C: ConnectionTrait>(db: &C, tenant: &str, id: &str) -> GoalsResult<()> {
    task::Entity::delete_many()
        .filter(task::Column::Tenant.eq(tenant))
        .filter(task::Column::PlanId.eq(id))
        .exec(db)
        .await?;
    action_plan::Entity::delete_by_id((tenant.to_owned(), id.to_owned()))
        .exec(db)
        .await?;
    Ok(())
}

/// Filters of ListActionPlans.
#[derive(Debug, Default)]
pub struct PlanFilter {
    pub owner: Option<(String, String)>,
    pub quota: Option<String>,
    pub state: Option<&'static str>,
}

/// The plans of a tenant a caller may see: by owner, or (for anyone) plans holding their tasks.
#[tracing::instrument(name = "db.list_plans", skip_all, fields(otel.kind = "client"))]
pub async fn list_plans<C: ConnectionTrait>(
    db: &C,
    tenant: &str,
    filter: &PlanFilter,
    visibility: &Visibility,
    me: &str,
    page: &PageRequest,
) -> GoalsResult<Vec<action_plan::Model>> {
    let mut query = action_plan::Entity::find().filter(action_plan::Column::Tenant.eq(tenant));
    if let Some((kind, id)) = &filter.owner {
        query = query
            .filter(action_plan::Column::OwnerKind.eq(kind.as_str()))
            .filter(action_plan::Column::OwnerId.eq(id.as_str()));
    }
    if let Some(quota) = &filter.quota {
        query = query.filter(action_plan::Column::QuotaIds.contains(format!("\"{quota}\"")));
    }
    if let Some(state) = filter.state {
        query = query.filter(action_plan::Column::State.eq(state));
    }
    if *visibility != Visibility::Tenant {
        let with_my_tasks = plan_ids_with_tasks_of(db, tenant, me).await?;
        let mut visible = Condition::any().add(action_plan::Column::Id.is_in(with_my_tasks));
        match visibility {
            Visibility::Tenant => {}
            Visibility::Member(me) => {
                visible = visible.add(
                    Condition::all()
                        .add(action_plan::Column::OwnerKind.eq("member"))
                        .add(action_plan::Column::OwnerId.eq(me.as_str())),
                );
            }
            Visibility::Teams { teams, members } => {
                visible = visible
                    .add(
                        Condition::all()
                            .add(action_plan::Column::OwnerKind.eq("team"))
                            .add(action_plan::Column::OwnerId.is_in(teams.iter().cloned())),
                    )
                    .add(
                        Condition::all()
                            .add(action_plan::Column::OwnerKind.eq("member"))
                            .add(action_plan::Column::OwnerId.is_in(members.iter().cloned())),
                    );
            }
        }
        query = query.filter(visible);
    }
    if let Some(after) = &page.after {
        query = query.filter(action_plan::Column::Id.gt(after.as_str()));
    }
    Ok(query
        .order_by_asc(action_plan::Column::Id)
        .limit(page.fetch_limit())
        .all(db)
        .await?)
}

#[tracing::instrument(name = "db.plan_ids_with_tasks_of", skip_all, fields(otel.kind = "client"))]
pub async fn plan_ids_with_tasks_of<C: ConnectionTrait>(
    db: &C,
    tenant: &str,
    member: &str,
) -> GoalsResult<Vec<String>> {
    let mut ids: Vec<String> = task::Entity::find()
        .filter(task::Column::Tenant.eq(tenant))
        .filter(task::Column::AssigneeId.eq(member))
        .all(db)
        .await?
        .into_iter()
        .map(|t| t.plan_id)
        .collect();
    ids.dedup();
    Ok(ids)
}

#[tracing::instrument(name = "db.task", skip_all, fields(otel.kind = "client"))]
pub async fn task<C: ConnectionTrait>(db: &C, tenant: &str, plan_id: &str, id: &str) -> GoalsResult<task::Model> {
    task::Entity::find_by_id((tenant.to_owned(), plan_id.to_owned(), id.to_owned()))
        .one(db)
        .await?
        .ok_or_else(|| GoalsError::not_found("task", format!("actionPlans/{plan_id}/tasks/{id}")))
}

#[tracing::instrument(name = "db.insert_task", skip_all, fields(otel.kind = "client"))]
pub async fn insert_task<C: ConnectionTrait>(db: &C, model: task::Model) -> GoalsResult<()> {
    model.into_active_model().insert(db).await?;
    Ok(())
}

#[tracing::instrument(name = "db.save_task", skip_all, fields(otel.kind = "client"))]
pub async fn save_task<C: ConnectionTrait>(db: &C, model: task::Model) -> GoalsResult<task::Model> {
    Ok(model.into_active_model().reset_all().update(db).await?)
}

#[tracing::instrument(name = "db.delete_task", skip_all, fields(otel.kind = "client"))]
pub async fn delete_task<C: ConnectionTrait>(db: &C, tenant: &str, plan_id: &str, id: &str) -> GoalsResult<()> {
    task::Entity::delete_by_id((tenant.to_owned(), plan_id.to_owned(), id.to_owned()))
        .exec(db)
        .await?;
    Ok(())
}

/// Every task of a plan (for its timeline).
#[tracing::instrument(name = "db.tasks_of_plan", skip_all, fields(otel.kind = "client"))]
pub async fn tasks_of_plan<C: ConnectionTrait>(db: &C, tenant: &str, plan_id: &str) -> GoalsResult<Vec<task::Model>> {
    Ok(task::Entity::find()
        .filter(task::Column::Tenant.eq(tenant))
        .filter(task::Column::PlanId.eq(plan_id))
        .order_by_asc(task::Column::Id)
        .all(db)
        .await?)
}

/// The tasks of each of `plan_ids`, in one query, each plan's in id order.
#[tracing::instrument(name = "db.tasks_of_plans", skip_all, fields(otel.kind = "client"))]
pub async fn tasks_of_plans<C: ConnectionTrait>(
    db: &C,
    tenant: &str,
    plan_ids: Vec<String>,
) -> GoalsResult<HashMap<String, Vec<task::Model>>> {
    let mut by_plan: HashMap<String, Vec<task::Model>> = HashMap::new();
    if plan_ids.is_empty() {
        return Ok(by_plan);
    }
    let tasks = task::Entity::find()
        .filter(task::Column::Tenant.eq(tenant))
        .filter(task::Column::PlanId.is_in(plan_ids))
        .order_by_asc(task::Column::PlanId)
        .order_by_asc(task::Column::Id)
        .all(db)
        .await?;
    for task in tasks {
        by_plan.entry(task.plan_id.clone()).or_default().push(task);
    }
    Ok(by_plan)
}

/// Filters of ListTasks; `plans` limits to tasks of those plans, `assignees` to those people.
#[derive(Debug, Default)]
pub struct TaskFilter {
    pub plan: Option<String>,
    pub assignee: Option<String>,
    /// For callers who see part of the tenant: tasks of these plans or of these assignees.
    pub visible_plans: Option<Vec<String>>,
    pub visible_assignees: Option<Vec<String>>,
}

#[tracing::instrument(name = "db.list_tasks", skip_all, fields(otel.kind = "client"))]
pub async fn list_tasks<C: ConnectionTrait>(
    db: &C,
    tenant: &str,
    filter: &TaskFilter,
    page: &PageRequest,
) -> GoalsResult<Vec<task::Model>> {
    let mut query = task::Entity::find().filter(task::Column::Tenant.eq(tenant));
    if let Some(plan) = &filter.plan {
        query = query.filter(task::Column::PlanId.eq(plan.as_str()));
    }
    if let Some(assignee) = &filter.assignee {
        query = query.filter(task::Column::AssigneeId.eq(assignee.as_str()));
    }
    if filter.visible_plans.is_some() || filter.visible_assignees.is_some() {
        let mut visible = Condition::any();
        if let Some(plans) = &filter.visible_plans {
            visible = visible.add(task::Column::PlanId.is_in(plans.iter().cloned()));
        }
        if let Some(assignees) = &filter.visible_assignees {
            visible = visible.add(task::Column::AssigneeId.is_in(assignees.iter().cloned()));
        }
        query = query.filter(visible);
    }
    if let Some(after) = &page.after {
        // Keys are "plan/task" so one order covers tasks across plans.
        if let Some((plan, id)) = after.split_once('/') {
            query = query.filter(
                Condition::any().add(task::Column::PlanId.gt(plan)).add(
                    Condition::all()
                        .add(task::Column::PlanId.eq(plan))
                        .add(task::Column::Id.gt(id)),
                ),
            );
        }
    }
    Ok(query
        .order_by_asc(task::Column::PlanId)
        .order_by_asc(task::Column::Id)
        .limit(page.fetch_limit())
        .all(db)
        .await?)
}

/// The ids of the plans owned by the given teams or members (for a manager's task list).
#[tracing::instrument(name = "db.plan_ids_owned_by", skip_all, fields(otel.kind = "client"))]
pub async fn plan_ids_owned_by<C: ConnectionTrait>(
    db: &C,
    tenant: &str,
    teams: Vec<String>,
    members: Vec<String>,
) -> GoalsResult<Vec<String>> {
    Ok(action_plan::Entity::find()
        .filter(action_plan::Column::Tenant.eq(tenant))
        .filter(
            Condition::any()
                .add(
                    Condition::all()
                        .add(action_plan::Column::OwnerKind.eq("team"))
                        .add(action_plan::Column::OwnerId.is_in(teams)),
                )
                .add(
                    Condition::all()
                        .add(action_plan::Column::OwnerKind.eq("member"))
                        .add(action_plan::Column::OwnerId.is_in(members)),
                ),
        )
        .all(db)
        .await?
        .into_iter()
        .map(|p| p.id)
        .collect())
}

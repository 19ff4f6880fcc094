//! Teams and members, and the visibility a caller derives from them.

use lacak_domain::{Principal, Role};
use lacak_runtime::page::PageRequest;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
};

use super::entities::{action_plan, member, quota, task, team};
use super::is_duplicate;
use crate::domain::access::{OrgTree, PlanCoverage, Visibility, visibility};
use crate::error::{GoalsError, GoalsResult};

#[tracing::instrument(name = "db.team", skip_all, fields(otel.kind = "client"))]
pub async fn team<C: ConnectionTrait>(db: &C, tenant: &str, id: &str) -> GoalsResult<team::Model> {
    team::Entity::find_by_id((tenant.to_owned(), id.to_owned()))
        .one(db)
        .await?
        .ok_or_else(|| GoalsError::not_found("team", format!("teams/{id}")))
}

#[tracing::instrument(name = "db.member", skip_all, fields(otel.kind = "client"))]
pub async fn member<C: ConnectionTrait>(db: &C, tenant: &str, id: &str) -> GoalsResult<member::Model> {
    member::Entity::find_by_id((tenant.to_owned(), id.to_owned()))
        .one(db)
        .await?
        .ok_or_else(|| GoalsError::not_found("member", format!("members/{id}")))
}

#[tracing::instrument(name = "db.insert_team", skip_all, fields(otel.kind = "client"))]
pub async fn insert_team<C: ConnectionTrait>(db: &C, model: team::Model) -> GoalsResult<team::Model> {
    let name = format!("teams/{}", model.id);
    model.into_active_model().insert(db).await.map_err(|e| {
        if is_duplicate(&e) {
            GoalsError::AlreadyExists { what: "team", name }
        } else {
            e.into()
        }
    })
}

#[tracing::instrument(name = "db.insert_member", skip_all, fields(otel.kind = "client"))]
pub async fn insert_member<C: ConnectionTrait>(db: &C, model: member::Model) -> GoalsResult<member::Model> {
    let name = format!("members/{}", model.id);
    model.into_active_model().insert(db).await.map_err(|e| {
        if is_duplicate(&e) {
            GoalsError::AlreadyExists { what: "member", name }
        } else {
            e.into()
        }
    })
}

/// Saves every column of a changed row.
#[tracing::instrument(name = "db.save_team", skip_all, fields(otel.kind = "client"))]
pub async fn save_team<C: ConnectionTrait>(db: &C, model: team::Model) -> GoalsResult<team::Model> {
    Ok(model.into_active_model().reset_all().update(db).await?)
}

#[tracing::instrument(name = "db.save_member", skip_all, fields(otel.kind = "client"))]
pub async fn save_member<C: ConnectionTrait>(db: &C, model: member::Model) -> GoalsResult<member::Model> {
    Ok(model.into_active_model().reset_all().update(db).await?)
}

#[tracing::instrument(name = "db.list_teams", skip_all, fields(otel.kind = "client"))]
pub async fn list_teams<C: ConnectionTrait>(
    db: &C,
    tenant: &str,
    parent: Option<&str>,
    page: &PageRequest,
) -> GoalsResult<Vec<team::Model>> {
    let mut query = team::Entity::find().filter(team::Column::Tenant.eq(tenant));
    if let Some(parent) = parent {
        query = query.filter(team::Column::ParentId.eq(parent));
    }
    if let Some(after) = &page.after {
        query = query.filter(team::Column::Id.gt(after.as_str()));
    }
    Ok(query
        .order_by_asc(team::Column::Id)
        .limit(page.fetch_limit())
        .all(db)
        .await?)
}

/// Members, optionally only those whose team is in `teams`.
#[tracing::instrument(name = "db.list_members", skip_all, fields(otel.kind = "client"))]
pub async fn list_members<C: ConnectionTrait>(
    db: &C,
    tenant: &str,
    teams: Option<Vec<String>>,
    page: &PageRequest,
) -> GoalsResult<Vec<member::Model>> {
    let mut query = member::Entity::find().filter(member::Column::Tenant.eq(tenant));
    if let Some(teams) = teams {
        query = query.filter(member::Column::TeamId.is_in(teams));
    }
    if let Some(after) = &page.after {
        query = query.filter(member::Column::Id.gt(after.as_str()));
    }
    Ok(query
        .order_by_asc(member::Column::Id)
        .limit(page.fetch_limit())
        .all(db)
        .await?)
}

/// The tenant's team hierarchy.
#[tracing::instrument(name = "db.org_tree", skip_all, fields(otel.kind = "client"))]
pub async fn org_tree<C: ConnectionTrait>(db: &C, tenant: &str) -> GoalsResult<OrgTree> {
    let teams = team::Entity::find()
        .filter(team::Column::Tenant.eq(tenant))
        .all(db)
        .await?;
    Ok(OrgTree::new(teams.into_iter().map(|t| (t.id, t.parent_id))))
}

/// The ids of the members of `teams` (not of their sub-teams: pass a subtree for that).
#[tracing::instrument(name = "db.member_ids_in", skip_all, fields(otel.kind = "client"))]
pub async fn member_ids_in<C: ConnectionTrait>(db: &C, tenant: &str, teams: Vec<String>) -> GoalsResult<Vec<String>> {
    Ok(member::Entity::find()
        .filter(member::Column::Tenant.eq(tenant))
        .filter(member::Column::TeamId.is_in(teams))
        .all(db)
        .await?
        .into_iter()
        .map(|m| m.id)
        .collect())
}

/// Who a plan of `team` covers: the members of the team and of the teams below it, and the
/// managers of those teams.
#[tracing::instrument(name = "db.coverage_of", skip_all, fields(otel.kind = "client"))]
pub async fn coverage_of<C: ConnectionTrait>(db: &C, tenant: &str, team: &str) -> GoalsResult<PlanCoverage> {
    let teams = team::Entity::find()
        .filter(team::Column::Tenant.eq(tenant))
        .all(db)
        .await?;
    let tree = OrgTree::new(teams.iter().map(|t| (t.id.clone(), t.parent_id.clone())));
    let subtree = tree.subtree(&[team.to_owned()]);
    let managers = teams
        .into_iter()
        .filter(|t| subtree.contains(&t.id))
        .filter_map(|t| t.manager_id)
        .collect();
    let members = member_ids_in(db, tenant, subtree.into_iter().collect())
        .await?
        .into_iter()
        .collect();
    Ok(PlanCoverage { members, managers })
}

/// What the caller may see. Only managers need the org loaded.
#[tracing::instrument(name = "db.visibility_of", skip_all, fields(otel.kind = "client"))]
pub async fn visibility_of<C: ConnectionTrait>(db: &C, principal: &Principal) -> GoalsResult<Visibility> {
    if principal.role != Role::Manager {
        return Ok(visibility(principal, &OrgTree::default(), &[]));
    }
    let tree = org_tree(db, &principal.tenant).await?;
    let subtree: Vec<String> = tree.subtree(&principal.teams).into_iter().collect();
    let members = member::Entity::find()
        .filter(member::Column::Tenant.eq(principal.tenant.as_str()))
        .filter(member::Column::TeamId.is_in(subtree))
        .all(db)
        .await?
        .into_iter()
        .map(|m| (m.id, m.team_id))
        .collect::<Vec<_>>();
    Ok(visibility(principal, &tree, &members))
}

/// Refuses to delete a team that still has sub-teams, members, quotas or plans.
#[tracing::instrument(name = "db.delete_team", skip_all, fields(otel.kind = "client"))]
pub async fn delete_team<C: ConnectionTrait>(db: &C, tenant: &str, id: &str) -> GoalsResult<()> {
    let children = team::Entity::find()
        .filter(team::Column::Tenant.eq(tenant))
        .filter(team::Column::ParentId.eq(id))
        .count(db)
        .await?;
    let members = member::Entity::find()
        .filter(member::Column::Tenant.eq(tenant))
        .filter(member::Column::TeamId.eq(id))
        .count(db)
        .await?;
    let owned = owned_count(db, tenant, "team", id).await?;
    if children + members + owned > 0 {
        return Err(GoalsError::precondition(
            "TEAM_NOT_EMPTY",
            format!("teams/{id} still has {children} sub-teams, {members} members and {owned} quotas or plans"),
        ));
    }
    team::Entity::delete_by_id((tenant.to_owned(), id.to_owned()))
        .exec(db)
        .await?;
    Ok(())
}

/// Refuses to delete a member who owns quotas or plans or holds tasks: deactivate them instead.
#[tracing::instrument(name = "db.delete_member", skip_all, fields(otel.kind = "client"))]
pub async fn delete_member<C: ConnectionTrait>(db: &C, tenant: &str, id: &str) -> GoalsResult<()> {
    let owned = owned_count(db, tenant, "member", id).await?;
    let tasks = task::Entity::find()
        .filter(task::Column::Tenant.eq(tenant))
        .filter(task::Column::AssigneeId.eq(id))
        .count(db)
        .await?;
    if owned + tasks > 0 {
        return Err(GoalsError::precondition(
            "MEMBER_HAS_HISTORY",
            format!("members/{id} owns {owned} quotas or plans and holds {tasks} tasks; set active = false instead"),
        ));
    }
    member::Entity::delete_by_id((tenant.to_owned(), id.to_owned()))
        .exec(db)
        .await?;
    Ok(())
}

async fn owned_count<C: ConnectionTrait>(db: &C, tenant: &str, kind: &str, id: &str) -> GoalsResult<u64> {
    let quotas = quota::Entity::find()
        .filter(quota::Column::Tenant.eq(tenant))
        .filter(quota::Column::OwnerKind.eq(kind))
        .filter(quota::Column::OwnerId.eq(id))
        .count(db)
        .await?;
    let plans = action_plan::Entity::find()
        .filter(action_plan::Column::Tenant.eq(tenant))
        .filter(action_plan::Column::OwnerKind.eq(kind))
        .filter(action_plan::Column::OwnerId.eq(id))
        .count(db)
        .await?;
    Ok(quotas + plans)
}

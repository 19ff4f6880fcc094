//! Teams: nested, each with an optional manager. Everyone in the tenant reads them.

use lacak_domain::Role;
use lacak_proto::goals as pb;
use lacak_runtime::Violations;
use lacak_runtime::page::PageRequest;
use sea_orm::TransactionTrait;
use tonic::Request;

use super::{GoalsApi, convert, mask_paths, principal, required_text, write_once};
use crate::domain::names::{new_id, parse_name, validate_id};
use crate::error::{GoalsError, GoalsResult};
use crate::store::{self, entities::team};

/// The parent id of a request ("" = top level), checked for form.
fn parent_id(violations: &mut Violations, parent: &str, field: &str) -> Option<String> {
    if parent.is_empty() {
        None
    } else {
        violations.take(parse_name(parent, "teams", field))
    }
}

fn manager_id(violations: &mut Violations, manager: &str, field: &str) -> Option<String> {
    if manager.is_empty() {
        None
    } else {
        violations.take(parse_name(manager, "members", field))
    }
}

pub async fn create(api: &GoalsApi, request: Request<pb::CreateTeamRequest>) -> GoalsResult<pb::CreateTeamResponse> {
    let caller = principal(&request)?;
    let req = request.into_inner();
    let input = req.team.clone().unwrap_or_default();
    let mut violations = Violations::new();
    let display_name = required_text(&mut violations, &input.display_name, "team.display_name", 200);
    let parent = parent_id(&mut violations, &input.parent, "team.parent");
    let manager = manager_id(&mut violations, &input.manager, "team.manager");
    let id = if req.team_id.is_empty() {
        new_id()
    } else {
        violations.take(validate_id(&req.team_id, "team_id"));
        req.team_id.clone()
    };
    violations.finish()?;

    let db = api.db()?;
    let tenant = &caller.tenant;
    let seen = caller.visibility(db).await?;
    match (&caller.role, &parent) {
        (Role::Admin, _) => {}
        (Role::Manager, Some(parent)) if seen.sees_team(parent) => {}
        _ => {
            return Err(GoalsError::denied(
                "only admins create top-level teams; managers create teams under their own",
            ));
        }
    }
    if let Some(parent) = &parent {
        store::org::team(db, tenant, parent).await?;
    }
    if let Some(manager) = &manager {
        store::org::member(db, tenant, manager).await?;
    }
    let now = lacak_runtime::convert::now();
    let model = team::Model {
        tenant: tenant.clone(),
        id,
        display_name,
        parent_id: parent,
        manager_id: manager,
        create_time: now,
        update_time: now,
    };
    let name = write_once(db, tenant, "CreateTeam", &req.request_id, &req, async |txn| {
        let created = store::org::insert_team(txn, model).await?;
        Ok(format!("teams/{}", created.id))
    })
    .await?;
    let created = store::org::team(db, tenant, &parse_name(&name, "teams", "name")?).await?;
    Ok(pb::CreateTeamResponse {
        team: Some(convert::team(&created)),
    })
}

pub async fn get(api: &GoalsApi, request: Request<pb::GetTeamRequest>) -> GoalsResult<pb::GetTeamResponse> {
    let caller = principal(&request)?;
    let id = parse_name(&request.get_ref().name, "teams", "name")?;
    let model = store::org::team(api.db()?, &caller.tenant, &id).await?;
    Ok(pb::GetTeamResponse {
        team: Some(convert::team(&model)),
    })
}

pub async fn list(api: &GoalsApi, request: Request<pb::ListTeamsRequest>) -> GoalsResult<pb::ListTeamsResponse> {
    let caller = principal(&request)?;
    let req = request.into_inner();
    let mut violations = Violations::new();
    let parent = parent_id(&mut violations, &req.parent, "parent");
    let page = violations.take(PageRequest::parse(
        req.page_size,
        &req.page_token,
        &[&caller.tenant, "ListTeams", &req.parent],
    ));
    violations.finish()?;
    let page = page.ok_or_else(|| GoalsError::invalid("page_token", "is invalid"))?;
    let rows = store::org::list_teams(api.db()?, &caller.tenant, parent.as_deref(), &page).await?;
    let (rows, next_page_token) = page.finish(rows, |t| t.id.clone());
    Ok(pb::ListTeamsResponse {
        teams: rows.iter().map(convert::team).collect(),
        next_page_token,
    })
}

pub async fn update(api: &GoalsApi, request: Request<pb::UpdateTeamRequest>) -> GoalsResult<pb::UpdateTeamResponse> {
    let caller = principal(&request)?;
    let req = request.into_inner();
    let input = req.team.unwrap_or_default();
    let id = parse_name(&input.name, "teams", "team.name")?;
    let paths = mask_paths(req.update_mask.as_ref(), &["display_name", "parent", "manager"])?;
    let db = api.db()?;
    let tenant = &caller.tenant;
    let mut model = store::org::team(db, tenant, &id).await?;
    let seen = caller.visibility(db).await?;
    let may_change = caller.role == Role::Admin || (caller.role == Role::Manager && seen.sees_team(&id));
    if !may_change {
        return Err(GoalsError::denied(format!("you may not change teams/{id}")));
    }

    let mut violations = Violations::new();
    for path in &paths {
        match path.as_str() {
            "display_name" => {
                model.display_name = required_text(&mut violations, &input.display_name, "team.display_name", 200)
            }
            "parent" => model.parent_id = parent_id(&mut violations, &input.parent, "team.parent"),
            "manager" => model.manager_id = manager_id(&mut violations, &input.manager, "team.manager"),
            _ => {}
        }
    }
    violations.finish()?;
    if paths.iter().any(|p| p == "parent") {
        match &model.parent_id {
            Some(parent) => {
                store::org::team(db, tenant, parent).await?;
                if store::org::org_tree(db, tenant).await?.would_cycle(&id, parent) {
                    return Err(GoalsError::invalid(
                        "team.parent",
                        "would make the team its own ancestor",
                    ));
                }
                if caller.role == Role::Manager && !seen.sees_team(parent) {
                    return Err(GoalsError::denied(
                        "managers may move teams only within their own subtree",
                    ));
                }
            }
            None if caller.role != Role::Admin => {
                return Err(GoalsError::denied("only admins make a team top-level"));
            }
            None => {}
        }
    }
    if let Some(manager) = &model.manager_id {
        store::org::member(db, tenant, manager).await?;
    }
    model.update_time = lacak_runtime::convert::now();
    let saved = store::org::save_team(db, model).await?;
    Ok(pb::UpdateTeamResponse {
        team: Some(convert::team(&saved)),
    })
}

pub async fn delete(api: &GoalsApi, request: Request<pb::DeleteTeamRequest>) -> GoalsResult<pb::DeleteTeamResponse> {
    let caller = principal(&request)?;
    let id = parse_name(&request.get_ref().name, "teams", "name")?;
    let db = api.db()?;
    store::org::team(db, &caller.tenant, &id).await?;
    let seen = caller.visibility(db).await?;
    let may_delete = caller.role == Role::Admin
        || (caller.role == Role::Manager && seen.sees_team(&id) && !caller.teams.contains(&id));
    if !may_delete {
        return Err(GoalsError::denied(format!("you may not delete teams/{id}")));
    }
    let txn = db.begin().await?;
    store::org::delete_team(&txn, &caller.tenant, &id).await?;
    txn.commit().await?;
    Ok(pb::DeleteTeamResponse {})
}

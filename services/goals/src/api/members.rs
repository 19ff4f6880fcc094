//! Members: the people sales are recorded against. Everyone in the tenant reads the directory.

use lacak_domain::{Principal, Role};
use lacak_proto::goals as pb;
use lacak_runtime::Violations;
use lacak_runtime::page::PageRequest;
use sea_orm::TransactionTrait;
use tonic::Request;

use super::{GoalsApi, convert, mask_paths, principal, required_text, write_once};
use crate::domain::access::Visibility;
use crate::domain::names::{new_id, parse_name, validate_id};
use crate::error::{GoalsError, GoalsResult};
use crate::store::{self, entities::member};

fn team_id(violations: &mut Violations, team: &str, field: &str) -> Option<String> {
    if team.is_empty() {
        None
    } else {
        violations.take(parse_name(team, "teams", field))
    }
}

fn check_email(violations: &mut Violations, email: &str, field: &str) -> String {
    let email = email.trim();
    if !email.is_empty() && (email.len() > 254 || !email.contains('@') || email.contains(char::is_whitespace)) {
        violations.add(field, "is not an e-mail address");
    }
    email.to_owned()
}

/// Admins place members anywhere; managers only into teams of their subtree.
fn may_place(caller: &Principal, seen: &Visibility, team: Option<&str>) -> bool {
    match caller.role {
        Role::Admin => true,
        Role::Manager => team.is_some_and(|t| seen.sees_team(t)),
        Role::Rep | Role::Service => false,
    }
}

pub async fn create(
    api: &GoalsApi,
    request: Request<pb::CreateMemberRequest>,
) -> GoalsResult<pb::CreateMemberResponse> {
    let caller = principal(&request)?;
    let req = request.into_inner();
    let input = req.member.clone().unwrap_or_default();
    let mut violations = Violations::new();
    let display_name = required_text(&mut violations, &input.display_name, "member.display_name", 200);
    let email = check_email(&mut violations, &input.email, "member.email");
    let team = team_id(&mut violations, &input.team, "member.team");
    let id = if req.member_id.is_empty() {
        new_id()
    } else {
        violations.take(validate_id(&req.member_id, "member_id"));
        req.member_id.clone()
    };
    violations.finish()?;

    let db = api.db()?;
    let tenant = &caller.tenant;
    let seen = caller.visibility(db).await?;
    if !may_place(&caller, seen, team.as_deref()) {
        return Err(GoalsError::denied("you may add members only to teams you manage"));
    }
    if let Some(team) = &team {
        store::org::team(db, tenant, team).await?;
    }
    let now = lacak_runtime::convert::now();
    let model = member::Model {
        tenant: tenant.clone(),
        id,
        display_name,
        email,
        team_id: team,
        active: true,
        create_time: now,
        update_time: now,
    };
    let name = write_once(db, tenant, "CreateMember", &req.request_id, &req, async |txn| {
        let created = store::org::insert_member(txn, model).await?;
        Ok(format!("members/{}", created.id))
    })
    .await?;
    let created = store::org::member(db, tenant, &parse_name(&name, "members", "name")?).await?;
    Ok(pb::CreateMemberResponse {
        member: Some(convert::member(&created)),
    })
}

pub async fn get(api: &GoalsApi, request: Request<pb::GetMemberRequest>) -> GoalsResult<pb::GetMemberResponse> {
    let caller = principal(&request)?;
    let id = parse_name(&request.get_ref().name, "members", "name")?;
    let model = store::org::member(api.db()?, &caller.tenant, &id).await?;
    Ok(pb::GetMemberResponse {
        member: Some(convert::member(&model)),
    })
}

pub async fn list(api: &GoalsApi, request: Request<pb::ListMembersRequest>) -> GoalsResult<pb::ListMembersResponse> {
    let caller = principal(&request)?;
    let req = request.into_inner();
    let mut violations = Violations::new();
    let team = team_id(&mut violations, &req.team, "team");
    let sub_teams = if req.include_sub_teams { "sub" } else { "" };
    let page = violations.take(PageRequest::parse(
        req.page_size,
        &req.page_token,
        &[&caller.tenant, "ListMembers", &req.team, sub_teams],
    ));
    violations.finish()?;
    let page = page.ok_or_else(|| GoalsError::invalid("page_token", "is invalid"))?;
    let db = api.db()?;
    let teams = match team {
        None => None,
        Some(team) => {
            store::org::team(db, &caller.tenant, &team).await?;
            if req.include_sub_teams {
                let tree = store::org::org_tree(db, &caller.tenant).await?;
                Some(tree.subtree(std::slice::from_ref(&team)).into_iter().collect())
            } else {
                Some(vec![team])
            }
        }
    };
    let rows = store::org::list_members(db, &caller.tenant, teams, &page).await?;
    let (rows, next_page_token) = page.finish(rows, |m| m.id.clone());
    Ok(pb::ListMembersResponse {
        members: rows.iter().map(convert::member).collect(),
        next_page_token,
    })
}

pub async fn update(
    api: &GoalsApi,
    request: Request<pb::UpdateMemberRequest>,
) -> GoalsResult<pb::UpdateMemberResponse> {
    let caller = principal(&request)?;
    let req = request.into_inner();
    let input = req.member.unwrap_or_default();
    let id = parse_name(&input.name, "members", "member.name")?;
    let paths = mask_paths(req.update_mask.as_ref(), &["display_name", "email", "team", "active"])?;
    let db = api.db()?;
    let tenant = &caller.tenant;
    let mut model = store::org::member(db, tenant, &id).await?;
    let seen = caller.visibility(db).await?;
    if !may_place(&caller, seen, model.team_id.as_deref()) {
        return Err(GoalsError::denied(format!("you may not change members/{id}")));
    }
    let mut violations = Violations::new();
    for path in &paths {
        match path.as_str() {
            "display_name" => {
                model.display_name = required_text(&mut violations, &input.display_name, "member.display_name", 200)
            }
            "email" => model.email = check_email(&mut violations, &input.email, "member.email"),
            "team" => model.team_id = team_id(&mut violations, &input.team, "member.team"),
            "active" => model.active = input.active,
            _ => {}
        }
    }
    violations.finish()?;
    if !may_place(&caller, seen, model.team_id.as_deref()) {
        return Err(GoalsError::denied("you may move members only into teams you manage"));
    }
    if let Some(team) = &model.team_id {
        store::org::team(db, tenant, team).await?;
    }
    model.update_time = lacak_runtime::convert::now();
    let saved = store::org::save_member(db, model).await?;
    Ok(pb::UpdateMemberResponse {
        member: Some(convert::member(&saved)),
    })
}

pub async fn delete(
    api: &GoalsApi,
    request: Request<pb::DeleteMemberRequest>,
) -> GoalsResult<pb::DeleteMemberResponse> {
    let caller = principal(&request)?;
    let id = parse_name(&request.get_ref().name, "members", "name")?;
    let db = api.db()?;
    let model = store::org::member(db, &caller.tenant, &id).await?;
    let seen = caller.visibility(db).await?;
    if !may_place(&caller, seen, model.team_id.as_deref()) {
        return Err(GoalsError::denied(format!("you may not delete members/{id}")));
    }
    let txn = db.begin().await?;
    store::org::delete_member(&txn, &caller.tenant, &id).await?;
    txn.commit().await?;
    Ok(pb::DeleteMemberResponse {})
}

//! Action plans: strategies, milestones and tasks in service of one or more quotas.

use lacak_domain::Role;
use lacak_proto::goals as pb;
use lacak_runtime::Violations;
use lacak_runtime::convert::{measure_from_proto, measure_to_proto, timestamp_from_proto, timestamp_to_proto};
use lacak_runtime::page::PageRequest;
use sea_orm::{DatabaseConnection, TransactionTrait};
use tonic::Request;

use super::{Caller, GoalsApi, convert, mask_paths, principal, required_text, write_once};
use crate::domain::access::may_write;
use crate::domain::names::{Owner, new_id, parse_name};
use crate::domain::plan::{PlanState, timeline};
use crate::error::{GoalsError, GoalsResult};
use crate::store::entities::{action_plan, task};
use crate::store::plans::{PlanFilter, StoredMilestone, StoredStateChange, StoredStrategy, from_json, to_json};
use crate::store::{self};

const FIELDS: [&str; 7] = [
    "title",
    "description",
    "owner",
    "quotas",
    "state",
    "strategies",
    "milestones",
];

fn strategies(violations: &mut Violations, input: &[pb::Strategy]) -> Vec<StoredStrategy> {
    input
        .iter()
        .enumerate()
        .map(|(i, s)| StoredStrategy {
            title: required_text(violations, &s.title, &format!("action_plan.strategies[{i}].title"), 200),
            description: s.description.trim().to_owned(),
        })
        .collect()
}

fn milestones(violations: &mut Violations, input: &[pb::Milestone]) -> Vec<StoredMilestone> {
    input
        .iter()
        .enumerate()
        .filter_map(|(i, m)| {
            let field = format!("action_plan.milestones[{i}]");
            let title = required_text(violations, &m.title, &format!("{field}.title"), 200);
            let due = match &m.due_time {
                Some(due) => violations.take(timestamp_from_proto(due, &format!("{field}.due_time"))),
                None => {
                    violations.add(format!("{field}.due_time"), "is required");
                    None
                }
            };
            let target = if m.target.is_some() {
                violations.take(measure_from_proto(m.target.as_ref(), &format!("{field}.target")))
            } else {
                None
            };
            due.map(|due_time| StoredMilestone {
                title,
                due_time,
                currency: target
                    .as_ref()
                    .and_then(|t| t.currency())
                    .unwrap_or_default()
                    .to_owned(),
                target: target.map(|t| t.amount().normalize().to_string()).unwrap_or_default(),
                reached: m.reached,
            })
        })
        .collect()
}

fn quota_ids(violations: &mut Violations, names: &[String]) -> Vec<String> {
    if names.is_empty() {
        violations.add("action_plan.quotas", "name at least one quota the plan serves");
    }
    let mut ids: Vec<String> = names
        .iter()
        .enumerate()
        .filter_map(|(i, n)| violations.take(parse_name(n, "quotas", &format!("action_plan.quotas[{i}]"))))
        .collect();
    ids.sort();
    ids.dedup();
    ids
}

/// The quotas exist and the caller sees them.
async fn check_quotas(db: &DatabaseConnection, caller: &Caller, ids: &[String]) -> GoalsResult<()> {
    let found = store::quotas::existing_ids(db, &caller.tenant, ids.to_vec()).await?;
    if let Some(missing) = ids.iter().find(|id| !found.iter().any(|q| &q.id == *id)) {
        return Err(GoalsError::not_found("quota", format!("quotas/{missing}")));
    }
    let seen = caller.visibility(db).await?;
    if let Some(hidden) = found
        .iter()
        .find(|q| !seen.sees_owner(&Owner::from_parts(&q.owner_kind, &q.owner_id)))
    {
        return Err(GoalsError::denied(format!("you may not see quotas/{}", hidden.id)));
    }
    Ok(())
}

async fn require_owner(db: &DatabaseConnection, tenant: &str, owner: &Owner) -> GoalsResult<()> {
    match owner {
        Owner::Member(id) => store::org::member(db, tenant, id).await.map(|_| ()),
        Owner::Team(id) => store::org::team(db, tenant, id).await.map(|_| ()),
    }
}

/// The plan as proto, with its timeline from its milestones, its tasks and its state changes.
async fn to_proto(db: &DatabaseConnection, model: &action_plan::Model) -> GoalsResult<pb::ActionPlan> {
    let tasks = store::plans::tasks_of_plan(db, &model.tenant, &model.id).await?;
    Ok(plan_view(model, &tasks))
}

/// The plan as proto, given its tasks.
fn plan_view(model: &action_plan::Model, tasks: &[task::Model]) -> pb::ActionPlan {
    let strategies: Vec<StoredStrategy> = from_json(&model.strategies);
    let milestones: Vec<StoredMilestone> = from_json(&model.milestones);
    let history: Vec<StoredStateChange> = from_json(&model.state_history);
    let quota_ids: Vec<String> = from_json(&model.quota_ids);
    let entries = timeline(
        &history
            .iter()
            .filter_map(|c| PlanState::parse(&c.state).map(|s| (c.time, s)))
            .collect::<Vec<_>>(),
        &milestones
            .iter()
            .map(|m| (m.due_time, m.title.clone()))
            .collect::<Vec<_>>(),
        &tasks.iter().map(|t| (t.due_time, t.title.clone())).collect::<Vec<_>>(),
    );
    let state = PlanState::parse(&model.state).unwrap_or(PlanState::Draft);
    pb::ActionPlan {
        name: format!("actionPlans/{}", model.id),
        title: model.title.clone(),
        description: model.description.clone(),
        owner: Owner::from_parts(&model.owner_kind, &model.owner_id).name(),
        quotas: quota_ids.iter().map(|id| format!("quotas/{id}")).collect(),
        state: convert::plan_state_to_proto(state) as i32,
        strategies: strategies
            .into_iter()
            .map(|s| pb::Strategy {
                title: s.title,
                description: s.description,
            })
            .collect(),
        milestones: milestones
            .iter()
            .map(|m| pb::Milestone {
                title: m.title.clone(),
                due_time: Some(timestamp_to_proto(m.due_time)),
                target: (!m.target.is_empty())
                    .then(|| measure_to_proto(&convert::stored_measure(&m.currency, &m.target))),
                reached: m.reached,
            })
            .collect(),
        timeline: entries
            .into_iter()
            .map(|e| pb::TimelineEntry {
                time: Some(timestamp_to_proto(e.time)),
                description: e.description,
            })
            .collect(),
        create_time: Some(timestamp_to_proto(model.create_time)),
        update_time: Some(timestamp_to_proto(model.update_time)),
    }
}

/// A plan the caller may read: by its owner, or because it holds one of their tasks.
pub(super) async fn readable_plan(
    db: &DatabaseConnection,
    caller: &Caller,
    id: &str,
) -> GoalsResult<action_plan::Model> {
    let model = store::plans::plan(db, &caller.tenant, id).await?;
    let owner = Owner::from_parts(&model.owner_kind, &model.owner_id);
    if caller.visibility(db).await?.sees_owner(&owner) {
        return Ok(model);
    }
    let mine = store::plans::plan_ids_with_tasks_of(db, &caller.tenant, &caller.subject).await?;
    if mine.contains(&model.id) {
        Ok(model)
    } else {
        Err(GoalsError::denied(format!("you may not see actionPlans/{id}")))
    }
}

/// A plan the caller may change.
pub(super) async fn writable_plan(
    db: &DatabaseConnection,
    caller: &Caller,
    id: &str,
) -> GoalsResult<action_plan::Model> {
    let model = readable_plan(db, caller, id).await?;
    let owner = Owner::from_parts(&model.owner_kind, &model.owner_id);
    if may_write(caller, caller.visibility(db).await?, &owner) {
        Ok(model)
    } else {
        Err(GoalsError::denied(format!("you may not change actionPlans/{id}")))
    }
}

pub async fn create(
    api: &GoalsApi,
    request: Request<pb::CreateActionPlanRequest>,
) -> GoalsResult<pb::CreateActionPlanResponse> {
    let caller = principal(&request)?;
    let req = request.into_inner();
    let input = req.action_plan.clone().unwrap_or_default();
    let mut violations = Violations::new();
    let title = required_text(&mut violations, &input.title, "action_plan.title", 200);
    let owner = violations.take(Owner::parse(&input.owner, "action_plan.owner"));
    let quotas = quota_ids(&mut violations, &input.quotas);
    let state = match input.state {
        0 => Some(PlanState::Draft),
        other => {
            let state = convert::plan_state_from_proto(other);
            if !matches!(state, Some(PlanState::Draft | PlanState::Active)) {
                violations.add("action_plan.state", "a new plan is a draft or active");
            }
            state
        }
    };
    let strategies = strategies(&mut violations, &input.strategies);
    let milestones = milestones(&mut violations, &input.milestones);
    violations.finish()?;
    let (Some(owner), Some(state)) = (owner, state) else {
        return Err(GoalsError::invalid("action_plan", "is incomplete"));
    };
    let db = api.db()?;
    let tenant = &caller.tenant;
    if !may_write(&caller, caller.visibility(db).await?, &owner) {
        return Err(GoalsError::denied(format!(
            "you may not make plans for {}",
            owner.name()
        )));
    }
    require_owner(db, tenant, &owner).await?;
    check_quotas(db, &caller, &quotas).await?;

    let now = lacak_runtime::convert::now();
    let id = new_id();
    let model = action_plan::Model {
        tenant: tenant.clone(),
        id: id.clone(),
        title,
        description: input.description.trim().to_owned(),
        owner_kind: owner.kind().to_owned(),
        owner_id: owner.id().to_owned(),
        state: state.as_str().to_owned(),
        quota_ids: to_json(&quotas),
        strategies: to_json(&strategies),
        milestones: to_json(&milestones),
        state_history: to_json(&[StoredStateChange {
            time: now,
            state: state.as_str().to_owned(),
        }]),
        create_time: now,
        update_time: now,
    };
    let name = write_once(db, tenant, "CreateActionPlan", &req.request_id, &req, async |txn| {
        store::plans::insert_plan(txn, model).await?;
        Ok(format!("actionPlans/{id}"))
    })
    .await?;
    let created = store::plans::plan(db, tenant, &parse_name(&name, "actionPlans", "name")?).await?;
    Ok(pb::CreateActionPlanResponse {
        action_plan: Some(to_proto(db, &created).await?),
    })
}

pub async fn get(api: &GoalsApi, request: Request<pb::GetActionPlanRequest>) -> GoalsResult<pb::GetActionPlanResponse> {
    let caller = principal(&request)?;
    let id = parse_name(&request.get_ref().name, "actionPlans", "name")?;
    let db = api.db()?;
    let model = readable_plan(db, &caller, &id).await?;
    Ok(pb::GetActionPlanResponse {
        action_plan: Some(to_proto(db, &model).await?),
    })
}

pub async fn list(
    api: &GoalsApi,
    request: Request<pb::ListActionPlansRequest>,
) -> GoalsResult<pb::ListActionPlansResponse> {
    let caller = principal(&request)?;
    let req = request.into_inner();
    let mut violations = Violations::new();
    let mut filter = PlanFilter::default();
    if !req.owner.is_empty() {
        filter.owner = violations
            .take(Owner::parse(&req.owner, "owner"))
            .map(|o| (o.kind().to_owned(), o.id().to_owned()));
    }
    if !req.quota.is_empty() {
        filter.quota = violations.take(parse_name(&req.quota, "quotas", "quota"));
    }
    if req.state != 0 {
        match convert::plan_state_from_proto(req.state) {
            Some(state) => filter.state = Some(state.as_str()),
            None => violations.add("state", format!("{} is not a plan state", req.state)),
        }
    }
    let state = req.state.to_string();
    let page = violations.take(PageRequest::parse(
        req.page_size,
        &req.page_token,
        &[
            &caller.tenant,
            &caller.subject,
            "ListActionPlans",
            &req.owner,
            &req.quota,
            &state,
        ],
    ));
    violations.finish()?;
    let page = page.ok_or_else(|| GoalsError::invalid("page_token", "is invalid"))?;
    let db = api.db()?;
    let seen = caller.visibility(db).await?;
    let rows = store::plans::list_plans(db, &caller.tenant, &filter, seen, &caller.subject, &page).await?;
    let (rows, next_page_token) = page.finish(rows, |p| p.id.clone());
    // The page's tasks in one query, whatever the page size.
    let ids: Vec<String> = rows.iter().map(|p| p.id.clone()).collect();
    let mut tasks = store::plans::tasks_of_plans(db, &caller.tenant, ids).await?;
    let action_plans = rows
        .iter()
        .map(|row| plan_view(row, &tasks.remove(&row.id).unwrap_or_default()))
        .collect();
    Ok(pb::ListActionPlansResponse {
        action_plans,
        next_page_token,
    })
}

pub async fn update(
    api: &GoalsApi,
    request: Request<pb::UpdateActionPlanRequest>,
) -> GoalsResult<pb::UpdateActionPlanResponse> {
    let caller = principal(&request)?;
    let req = request.into_inner();
    let input = req.action_plan.unwrap_or_default();
    let id = parse_name(&input.name, "actionPlans", "action_plan.name")?;
    let paths = mask_paths(req.update_mask.as_ref(), &FIELDS)?;
    let db = api.db()?;
    let mut model = writable_plan(db, &caller, &id).await?;
    let now = lacak_runtime::convert::now();
    let mut violations = Violations::new();
    let mut new_owner = None;
    let mut new_quotas = None;
    for path in &paths {
        match path.as_str() {
            "title" => model.title = required_text(&mut violations, &input.title, "action_plan.title", 200),
            "description" => model.description = input.description.trim().to_owned(),
            "owner" => new_owner = violations.take(Owner::parse(&input.owner, "action_plan.owner")),
            "quotas" => new_quotas = Some(quota_ids(&mut violations, &input.quotas)),
            "strategies" => model.strategies = to_json(&strategies(&mut violations, &input.strategies)),
            "milestones" => model.milestones = to_json(&milestones(&mut violations, &input.milestones)),
            "state" => {
                let current = PlanState::parse(&model.state).unwrap_or(PlanState::Draft);
                match convert::plan_state_from_proto(input.state) {
                    None => violations.add("action_plan.state", "is required with the `state` mask path"),
                    Some(next) if !current.may_become(next) => {
                        return Err(GoalsError::precondition(
                            "PLAN_STATE_TRANSITION",
                            format!("a {} plan cannot become {}", current.as_str(), next.as_str()),
                        ));
                    }
                    Some(next) if next != current => {
                        let mut history: Vec<StoredStateChange> = from_json(&model.state_history);
                        history.push(StoredStateChange {
                            time: now,
                            state: next.as_str().to_owned(),
                        });
                        model.state_history = to_json(&history);
                        model.state = next.as_str().to_owned();
                    }
                    Some(_) => {}
                }
            }
            _ => {}
        }
    }
    violations.finish()?;
    if let Some(owner) = new_owner {
        if !may_write(&caller, caller.visibility(db).await?, &owner) {
            return Err(GoalsError::denied(format!(
                "you may not hand plans to {}",
                owner.name()
            )));
        }
        require_owner(db, &caller.tenant, &owner).await?;
        model.owner_kind = owner.kind().to_owned();
        model.owner_id = owner.id().to_owned();
    }
    if let Some(quotas) = new_quotas {
        check_quotas(db, &caller, &quotas).await?;
        model.quota_ids = to_json(&quotas);
    }
    model.update_time = now;
    let saved = store::plans::save_plan(db, model).await?;
    Ok(pb::UpdateActionPlanResponse {
        action_plan: Some(to_proto(db, &saved).await?),
    })
}

pub async fn delete(
    api: &GoalsApi,
    request: Request<pb::DeleteActionPlanRequest>,
) -> GoalsResult<pb::DeleteActionPlanResponse> {
    let caller = principal(&request)?;
    let id = parse_name(&request.get_ref().name, "actionPlans", "name")?;
    let db = api.db()?;
    writable_plan(db, &caller, &id).await?;
    if caller.role == Role::Rep {
        return Err(GoalsError::denied("reps do not delete plans"));
    }
    let txn = db.begin().await?;
    store::plans::delete_plan(&txn, &caller.tenant, &id).await?;
    txn.commit().await?;
    Ok(pb::DeleteActionPlanResponse {})
}

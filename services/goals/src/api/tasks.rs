//! Tasks of action plans: managers assign them, reps move their own along.

use lacak_domain::Role;
use lacak_proto::goals as pb;
use lacak_runtime::Violations;
use lacak_runtime::convert::timestamp_from_proto;
use lacak_runtime::page::PageRequest;
use sea_orm::DatabaseConnection;
use tonic::Request;

use super::plans::{readable_plan, writable_plan};
use super::{Caller, GoalsApi, convert, mask_paths, principal, required_text, write_once};
use crate::domain::access::{PlanCoverage, Visibility, service_task_refusal};
use crate::domain::names::Owner;
use crate::domain::names::{new_id, parse_name, parse_task_name};
use crate::domain::plan::{PlanState, TaskState};
use crate::error::{GoalsError, GoalsResult};
use crate::store::entities::task;
use crate::store::plans::TaskFilter;
use crate::store::{self};

/// A task the caller may read: through its plan, or because it is theirs.
async fn readable_task(db: &DatabaseConnection, caller: &Caller, plan: &str, id: &str) -> GoalsResult<task::Model> {
    let model = store::plans::task(db, &caller.tenant, plan, id).await?;
    if model.assignee_id == caller.subject {
        return Ok(model);
    }
    readable_plan(db, caller, plan).await?;
    Ok(model)
}

fn assignee(violations: &mut Violations, name: &str, field: &str) -> Option<String> {
    violations.take(parse_name(name, "members", field))
}

pub async fn create(api: &GoalsApi, request: Request<pb::CreateTaskRequest>) -> GoalsResult<pb::CreateTaskResponse> {
    let caller = principal(&request)?;
    let req = request.into_inner();
    let input = req.task.clone().unwrap_or_default();
    let mut violations = Violations::new();
    let plan_id = violations.take(parse_name(&req.parent, "actionPlans", "parent"));
    let title = required_text(&mut violations, &input.title, "task.title", 200);
    let assignee_id = assignee(&mut violations, &input.assignee, "task.assignee");
    let due_time = input
        .due_time
        .as_ref()
        .and_then(|t| violations.take(timestamp_from_proto(t, "task.due_time")));
    let state = match input.state {
        0 => Some(TaskState::Todo),
        other => {
            let state = convert::task_state_from_proto(other);
            if state.is_none() {
                violations.add("task.state", format!("{other} is not a task state"));
            }
            state
        }
    };
    violations.finish()?;
    let (Some(plan_id), Some(assignee_id), Some(state)) = (plan_id, assignee_id, state) else {
        return Err(GoalsError::invalid("task", "is incomplete"));
    };
    let db = api.db()?;
    let tenant = &caller.tenant;
    // Strategy adds the tasks of accepted recommendations (coaching, a refocus) for the person who
    // accepted them, after checking they lead the plan's team; services add such tasks, nothing more.
    if caller.role == Role::Service {
        let plan = readable_plan(db, &caller, &plan_id).await?;
        let owner = Owner::from_parts(&plan.owner_kind, &plan.owner_id);
        let coverage = match &owner {
            Owner::Team(team) => store::org::coverage_of(db, tenant, team).await?,
            Owner::Member(_) => PlanCoverage::default(),
        };
        let active = plan.state == PlanState::Active.as_str();
        if let Some(why) = service_task_refusal(caller.on_behalf_of.as_deref(), active, &owner, &assignee_id, &coverage)
        {
            return Err(GoalsError::denied(why));
        }
    } else {
        writable_plan(db, &caller, &plan_id).await?;
    }
    store::org::member(db, tenant, &assignee_id).await?;
    let now = lacak_runtime::convert::now();
    let id = new_id();
    let model = task::Model {
        tenant: tenant.clone(),
        plan_id: plan_id.clone(),
        id: id.clone(),
        title,
        assignee_id,
        due_time,
        state: state.as_str().to_owned(),
        create_time: now,
        update_time: now,
    };
    let name = write_once(db, tenant, "CreateTask", &req.request_id, &req, async |txn| {
        store::plans::insert_task(txn, model).await?;
        Ok(format!("actionPlans/{plan_id}/tasks/{id}"))
    })
    .await?;
    let (plan, task) = parse_task_name(&name, "name")?;
    let created = store::plans::task(db, tenant, &plan, &task).await?;
    Ok(pb::CreateTaskResponse {
        task: Some(convert::task(&created)),
    })
}

pub async fn get(api: &GoalsApi, request: Request<pb::GetTaskRequest>) -> GoalsResult<pb::GetTaskResponse> {
    let caller = principal(&request)?;
    let (plan, id) = parse_task_name(&request.get_ref().name, "name")?;
    let model = readable_task(api.db()?, &caller, &plan, &id).await?;
    Ok(pb::GetTaskResponse {
        task: Some(convert::task(&model)),
    })
}

pub async fn list(api: &GoalsApi, request: Request<pb::ListTasksRequest>) -> GoalsResult<pb::ListTasksResponse> {
    let caller = principal(&request)?;
    let req = request.into_inner();
    let mut violations = Violations::new();
    let plan = if req.parent == "actionPlans/-" {
        None
    } else {
        violations.take(parse_name(&req.parent, "actionPlans", "parent"))
    };
    let assignee_filter = if req.assignee.is_empty() {
        None
    } else {
        assignee(&mut violations, &req.assignee, "assignee")
    };
    let page = violations.take(PageRequest::parse(
        req.page_size,
        &req.page_token,
        &[&caller.tenant, &caller.subject, "ListTasks", &req.parent, &req.assignee],
    ));
    violations.finish()?;
    let page = page.ok_or_else(|| GoalsError::invalid("page_token", "is invalid"))?;
    let db = api.db()?;
    let tenant = &caller.tenant;
    let mut filter = TaskFilter {
        plan: plan.clone(),
        assignee: assignee_filter,
        ..TaskFilter::default()
    };
    match caller.visibility(db).await? {
        Visibility::Tenant => {}
        Visibility::Member(me) => {
            // A rep sees all tasks of a plan they may read, else only their own.
            let plan_readable = match &plan {
                Some(plan) => readable_plan(db, &caller, plan).await.is_ok(),
                None => false,
            };
            if !plan_readable {
                filter.visible_assignees = Some(vec![me.clone()]);
            }
        }
        Visibility::Teams { teams, members } => {
            let plans = store::plans::plan_ids_owned_by(
                db,
                tenant,
                teams.iter().cloned().collect(),
                members.iter().cloned().collect(),
            )
            .await?;
            filter.visible_plans = Some(plans);
            filter.visible_assignees = Some(members.iter().cloned().collect());
        }
    }
    let rows = store::plans::list_tasks(db, tenant, &filter, &page).await?;
    let (rows, next_page_token) = page.finish(rows, |t| format!("{}/{}", t.plan_id, t.id));
    Ok(pb::ListTasksResponse {
        tasks: rows.iter().map(convert::task).collect(),
        next_page_token,
    })
}

pub async fn update(api: &GoalsApi, request: Request<pb::UpdateTaskRequest>) -> GoalsResult<pb::UpdateTaskResponse> {
    let caller = principal(&request)?;
    let req = request.into_inner();
    let input = req.task.unwrap_or_default();
    let (plan, id) = parse_task_name(&input.name, "task.name")?;
    let paths = mask_paths(req.update_mask.as_ref(), &["title", "assignee", "due_time", "state"])?;
    let db = api.db()?;
    let mut model = readable_task(db, &caller, &plan, &id).await?;
    let own_state_only = model.assignee_id == caller.subject && paths.iter().all(|p| p == "state");
    let may_change = match caller.role {
        Role::Admin | Role::Manager => own_state_only || writable_plan(db, &caller, &plan).await.is_ok(),
        Role::Rep => own_state_only,
        Role::Service => false,
    };
    if !may_change {
        return Err(GoalsError::denied(
            "you may change only the state of your own tasks, or tasks of plans you manage",
        ));
    }
    let mut violations = Violations::new();
    for path in &paths {
        match path.as_str() {
            "title" => model.title = required_text(&mut violations, &input.title, "task.title", 200),
            "assignee" => {
                if let Some(assignee) = assignee(&mut violations, &input.assignee, "task.assignee") {
                    model.assignee_id = assignee;
                }
            }
            "due_time" => {
                model.due_time = input
                    .due_time
                    .as_ref()
                    .and_then(|t| violations.take(timestamp_from_proto(t, "task.due_time")))
            }
            "state" => match convert::task_state_from_proto(input.state) {
                Some(state) => model.state = state.as_str().to_owned(),
                None => violations.add("task.state", "is required with the `state` mask path"),
            },
            _ => {}
        }
    }
    violations.finish()?;
    if paths.iter().any(|p| p == "assignee") {
        store::org::member(db, &caller.tenant, &model.assignee_id).await?;
    }
    model.update_time = lacak_runtime::convert::now();
    let saved = store::plans::save_task(db, model).await?;
    Ok(pb::UpdateTaskResponse {
        task: Some(convert::task(&saved)),
    })
}

pub async fn delete(api: &GoalsApi, request: Request<pb::DeleteTaskRequest>) -> GoalsResult<pb::DeleteTaskResponse> {
    let caller = principal(&request)?;
    let (plan, id) = parse_task_name(&request.get_ref().name, "name")?;
    let db = api.db()?;
    readable_task(db, &caller, &plan, &id).await?;
    if caller.role == Role::Rep {
        return Err(GoalsError::denied("reps do not delete tasks"));
    }
    writable_plan(db, &caller, &plan).await?;
    store::plans::delete_task(db, &caller.tenant, &plan, &id).await?;
    Ok(pb::DeleteTaskResponse {})
}

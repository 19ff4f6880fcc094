//! Tasks: who does what for a plan, and what a rep may change of their own.

use lacak_proto::goals::task::State as TaskState;
use lacak_proto::goals::{
    DeleteActionPlanRequest, GetActionPlanRequest, GetTaskRequest, ListTasksRequest, Task, UpdateTaskRequest,
};
use tonic::Code;

use super::{create_plan, create_task, org_with_quotas, plan};
use crate::helpers::{assert_code, mask};

#[tokio::test]
async fn a_new_task_is_to_do_and_an_assignees_tasks_are_found_across_plans() -> anyhow::Result<()> {
    let (_app, mut admin, ana_quota, budi_quota) = org_with_quotas().await?;
    let first = create_plan(&mut admin, plan("First", "members/ana", &[&ana_quota]))
        .await?
        .name;
    let second = create_plan(&mut admin, plan("Second", "teams/sales", &[&ana_quota, &budi_quota]))
        .await?
        .name;
    let one = create_task(&mut admin, &first, "Prospect", "members/ana").await?;
    let two = create_task(&mut admin, &second, "Demo", "members/ana").await?;
    create_task(&mut admin, &second, "Negotiate", "members/budi").await?;

    assert!(one.name.starts_with(&format!("{first}/tasks/")), "{}", one.name);
    assert_eq!(one.state, TaskState::Todo as i32);

    let anas = admin
        .list_tasks(ListTasksRequest {
            parent: "actionPlans/-".into(),
            assignee: "members/ana".into(),
            ..Default::default()
        })
        .await?
        .into_inner()
        .tasks;
    let mut names: Vec<_> = anas.into_iter().map(|t| t.name).collect();
    names.sort();
    let mut expected = vec![one.name, two.name];
    expected.sort();
    assert_eq!(names, expected);

    let of_second = admin
        .list_tasks(ListTasksRequest {
            parent: second,
            ..Default::default()
        })
        .await?
        .into_inner()
        .tasks;
    assert_eq!(of_second.len(), 2);
    Ok(())
}

#[tokio::test]
async fn a_rep_moves_their_own_task_along_but_changes_nothing_else() -> anyhow::Result<()> {
    let (app, mut admin, ana_quota, _) = org_with_quotas().await?;
    let plan_name = create_plan(&mut admin, plan("Team push", "teams/sales", &[&ana_quota]))
        .await?
        .name;
    let hers = create_task(&mut admin, &plan_name, "Prospect", "members/ana").await?;
    let his = create_task(&mut admin, &plan_name, "Follow up", "members/budi").await?;
    let mut ana = app.rep("ana");
    let change = |task: &Task, state: TaskState, title: &str, paths: &[&str]| UpdateTaskRequest {
        task: Some(Task {
            name: task.name.clone(),
            state: state as i32,
            title: title.into(),
            ..Default::default()
        }),
        update_mask: mask(paths),
    };

    let started = ana
        .update_task(change(&hers, TaskState::InProgress, "", &["state"]))
        .await?
        .into_inner()
        .task
        .unwrap();
    assert_eq!(started.state, TaskState::InProgress as i32);
    assert_eq!(started.title, "Prospect");

    let retitled = ana
        .update_task(change(&hers, TaskState::InProgress, "Nap", &["title"]))
        .await;
    assert_code(retitled, Code::PermissionDenied);
    let others = ana.update_task(change(&his, TaskState::Done, "", &["state"])).await;
    assert_code(others, Code::PermissionDenied);

    let unchanged = admin
        .get_task(GetTaskRequest { name: his.name })
        .await?
        .into_inner()
        .task
        .unwrap();
    assert_eq!(unchanged.state, TaskState::Todo as i32);
    Ok(())
}

#[tokio::test]
async fn deleting_a_plan_deletes_its_tasks() -> anyhow::Result<()> {
    let (_app, mut admin, ana_quota, _) = org_with_quotas().await?;
    let plan_name = create_plan(&mut admin, plan("Short-lived", "members/ana", &[&ana_quota]))
        .await?
        .name;
    let task = create_task(&mut admin, &plan_name, "Prospect", "members/ana").await?;

    admin
        .delete_action_plan(DeleteActionPlanRequest {
            name: plan_name.clone(),
        })
        .await?;

    assert_code(
        admin.get_action_plan(GetActionPlanRequest { name: plan_name }).await,
        Code::NotFound,
    );
    assert_code(admin.get_task(GetTaskRequest { name: task.name }).await, Code::NotFound);
    let left = admin
        .list_tasks(ListTasksRequest {
            parent: "actionPlans/-".into(),
            assignee: "members/ana".into(),
            ..Default::default()
        })
        .await?
        .into_inner()
        .tasks;
    assert!(left.is_empty(), "tasks outlived their plan: {left:?}");
    Ok(())
}

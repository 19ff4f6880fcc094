//! Tasks: who does what for a plan, and what a rep may change of their own.

use lacak_proto::goals::action_plan::State as PlanState;
use lacak_proto::goals::task::State as TaskState;
use lacak_proto::goals::{
    DeleteActionPlanRequest, GetActionPlanRequest, GetTaskRequest, ListTasksRequest, Task, Team, UpdateTaskRequest,
    UpdateTeamRequest,
};
use tonic::Code;

use super::{create_plan, create_task, org_with_quotas, plan, set_state};
use crate::helpers::{TENANT, assert_code, mask};

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

#[tokio::test]
async fn a_service_adds_a_task_only_for_a_person_to_an_active_plan_for_someone_the_plan_covers() -> anyhow::Result<()> {
    let (app, mut admin, ana_quota, budi_quota) = org_with_quotas().await?;
    // teams/sales (led by citra) holds teams/emea (ana); budi sits in teams/apac.
    admin
        .update_team(UpdateTeamRequest {
            team: Some(Team {
                name: "teams/sales".into(),
                manager: "members/citra".into(),
                ..Default::default()
            }),
            update_mask: mask(&["manager"]),
        })
        .await?;
    let sales = create_plan(&mut admin, plan("Sales push", "teams/sales", &[&ana_quota]))
        .await?
        .name;
    let budis = create_plan(&mut admin, plan("Budi's push", "members/budi", &[&budi_quota]))
        .await?
        .name;
    let draft = create_plan(&mut admin, plan("Next quarter", "teams/sales", &[&ana_quota]))
        .await?
        .name;
    for active in [&sales, &budis] {
        admin.update_action_plan(set_state(active, PlanState::Active)).await?;
    }
    let mut strategy = app.strategy(TENANT, Some("citra"));

    // The documented cases: coaching a member the team's plan covers, a refocus for its manager.
    let coached = create_task(&mut strategy, &sales, "Coaching [recommendations/r1]", "members/ana").await?;
    assert_eq!(coached.assignee, "members/ana");
    create_task(&mut strategy, &sales, "Refocus [recommendations/r2]", "members/citra").await?;
    create_task(&mut strategy, &budis, "Coaching [recommendations/r3]", "members/budi").await?;

    // Anything else is refused, and nothing is written.
    let refused = [
        (
            "on its own account",
            app.strategy(TENANT, None),
            sales.clone(),
            "members/ana",
        ),
        (
            "a draft plan",
            app.strategy(TENANT, Some("citra")),
            draft.clone(),
            "members/ana",
        ),
        (
            "outside the team",
            app.strategy(TENANT, Some("citra")),
            sales.clone(),
            "members/budi",
        ),
        (
            "another member's plan",
            app.strategy(TENANT, Some("citra")),
            budis.clone(),
            "members/ana",
        ),
    ];
    for (case, mut service, plan, assignee) in refused {
        let answer = create_task(&mut service, &plan, "Sneaky", assignee).await;
        let status = answer
            .err()
            .and_then(|e| e.downcast::<tonic::Status>().ok())
            .unwrap_or_else(|| panic!("{case}: refused"));
        assert_eq!(status.code(), Code::PermissionDenied, "{case}: {status:?}");
    }
    let all = admin
        .list_tasks(ListTasksRequest {
            parent: "actionPlans/-".into(),
            ..Default::default()
        })
        .await?
        .into_inner()
        .tasks;
    assert_eq!(all.len(), 3, "only the documented tasks: {all:?}");
    assert!(all.iter().all(|t| t.title != "Sneaky"));
    Ok(())
}

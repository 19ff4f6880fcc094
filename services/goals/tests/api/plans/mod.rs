//! Action plans and their tasks: how a quota is going to be reached, and who does what.

mod tasks;

use lacak_proto::goals::action_plan::State as PlanState;
use lacak_proto::goals::{
    ActionPlan, CreateActionPlanRequest, CreateTaskRequest, GetActionPlanRequest, ListActionPlansRequest, Milestone,
    Task, UpdateActionPlanRequest,
};
use tonic::Code;

use crate::helpers::{
    Goals, TestApp, assert_code, assert_names_field, assert_refused, instant, mask, revenue_quota, seed_org, spawn_app,
    ts, usd,
};

fn plan(title: &str, owner: &str, quotas: &[&str]) -> ActionPlan {
    ActionPlan {
        title: title.into(),
        owner: owner.into(),
        quotas: quotas.iter().map(|q| (*q).to_owned()).collect(),
        ..Default::default()
    }
}

async fn create_plan(client: &mut Goals, plan: ActionPlan) -> anyhow::Result<ActionPlan> {
    let request = CreateActionPlanRequest {
        action_plan: Some(plan),
        request_id: String::new(),
    };
    Ok(client
        .create_action_plan(request)
        .await?
        .into_inner()
        .action_plan
        .unwrap())
}

async fn create_task(client: &mut Goals, plan: &str, title: &str, assignee: &str) -> anyhow::Result<Task> {
    let task = Task {
        title: title.into(),
        assignee: assignee.into(),
        ..Default::default()
    };
    let request = CreateTaskRequest {
        parent: plan.into(),
        task: Some(task),
        request_id: String::new(),
    };
    Ok(client.create_task(request).await?.into_inner().task.unwrap())
}

fn set_state(plan: &str, state: PlanState) -> UpdateActionPlanRequest {
    UpdateActionPlanRequest {
        action_plan: Some(ActionPlan {
            name: plan.into(),
            state: state as i32,
            ..Default::default()
        }),
        update_mask: mask(&["state"]),
    }
}

/// The seeded org with a revenue quota for ana and for budi; gives back their names.
async fn org_with_quotas() -> anyhow::Result<(TestApp, Goals, String, String)> {
    let app = spawn_app().await;
    let mut admin = app.admin();
    seed_org(&mut admin).await?;
    let ana = revenue_quota(&mut admin, "members/ana", "FY2026-Q3", "100000")
        .await?
        .name;
    let budi = revenue_quota(&mut admin, "members/budi", "FY2026-Q3", "80000")
        .await?
        .name;
    Ok((app, admin, ana, budi))
}

#[tokio::test]
async fn a_new_plan_is_a_draft_serving_its_quotas() -> anyhow::Result<()> {
    let (_app, mut admin, ana_quota, _) = org_with_quotas().await?;

    let created = create_plan(
        &mut admin,
        plan("Upsell support contracts", "members/ana", &[&ana_quota]),
    )
    .await?;

    assert!(created.name.starts_with("actionPlans/"), "{}", created.name);
    assert_eq!(created.state, PlanState::Draft as i32);
    assert_eq!(created.quotas, [ana_quota]);
    let read = admin
        .get_action_plan(GetActionPlanRequest {
            name: created.name.clone(),
        })
        .await?
        .into_inner();
    assert_eq!(read.action_plan.unwrap().title, "Upsell support contracts");
    Ok(())
}

#[tokio::test]
async fn a_plan_needs_a_title_an_owner_and_a_quota() -> anyhow::Result<()> {
    let (_app, mut admin, ana_quota, _) = org_with_quotas().await?;

    let empty = admin
        .create_action_plan(CreateActionPlanRequest {
            action_plan: Some(plan("", "", &[])),
            request_id: String::new(),
        })
        .await;
    let status = assert_code(empty, Code::InvalidArgument);
    for field in ["action_plan.title", "action_plan.owner", "action_plan.quotas"] {
        assert_names_field(&status, field);
    }

    let odd_owner = admin
        .create_action_plan(CreateActionPlanRequest {
            action_plan: Some(plan("Plan", "ana", &[&ana_quota])),
            request_id: String::new(),
        })
        .await;
    assert_names_field(&assert_code(odd_owner, Code::InvalidArgument), "action_plan.owner");

    let ghost_quota = admin
        .create_action_plan(CreateActionPlanRequest {
            action_plan: Some(plan("Plan", "members/ana", &["quotas/does-not-exist"])),
            request_id: String::new(),
        })
        .await;
    assert!(
        ghost_quota.is_err(),
        "a plan for a missing quota was accepted: {ghost_quota:?}"
    );
    Ok(())
}

#[tokio::test]
async fn a_plan_moves_only_along_its_lifecycle() -> anyhow::Result<()> {
    let (_app, mut admin, ana_quota, _) = org_with_quotas().await?;
    let followed = create_plan(&mut admin, plan("Followed", "members/ana", &[&ana_quota]))
        .await?
        .name;
    let dropped = create_plan(&mut admin, plan("Dropped", "members/ana", &[&ana_quota]))
        .await?
        .name;
    let skipped = create_plan(&mut admin, plan("Skipped", "members/ana", &[&ana_quota]))
        .await?
        .name;

    admin
        .update_action_plan(set_state(&followed, PlanState::Active))
        .await?;
    assert_code(
        admin.update_action_plan(set_state(&followed, PlanState::Draft)).await,
        Code::FailedPrecondition,
    );
    let done = admin
        .update_action_plan(set_state(&followed, PlanState::Completed))
        .await?
        .into_inner();
    assert_eq!(done.action_plan.unwrap().state, PlanState::Completed as i32);
    assert_code(
        admin.update_action_plan(set_state(&followed, PlanState::Active)).await,
        Code::FailedPrecondition,
    );

    admin
        .update_action_plan(set_state(&dropped, PlanState::Abandoned))
        .await?;
    assert_code(
        admin.update_action_plan(set_state(&dropped, PlanState::Active)).await,
        Code::FailedPrecondition,
    );

    assert_code(
        admin
            .update_action_plan(set_state(&skipped, PlanState::Completed))
            .await,
        Code::FailedPrecondition,
    );
    Ok(())
}

#[tokio::test]
async fn the_timeline_lists_milestones_tasks_and_state_changes_in_time_order() -> anyhow::Result<()> {
    let (_app, mut admin, ana_quota, _) = org_with_quotas().await?;
    let milestone = |title: &str, due: &str| Milestone {
        title: title.into(),
        due_time: Some(ts(due)),
        target: Some(usd("50000")),
        reached: false,
    };
    let mut shaped = plan("Q3 push", "members/ana", &[&ana_quota]);
    shaped.milestones = vec![
        milestone("Half the pipeline built", "2025-08-15T00:00:00Z"),
        milestone("First demos booked", "2025-07-20T00:00:00Z"),
    ];
    let created = create_plan(&mut admin, shaped).await?;
    let task = Task {
        title: "Call the top ten accounts".into(),
        assignee: "members/ana".into(),
        due_time: Some(ts("2025-07-25T00:00:00Z")),
        ..Default::default()
    };
    admin
        .create_task(CreateTaskRequest {
            parent: created.name.clone(),
            task: Some(task),
            request_id: String::new(),
        })
        .await?;
    admin
        .update_action_plan(set_state(&created.name, PlanState::Active))
        .await?;

    let timeline = admin
        .get_action_plan(GetActionPlanRequest { name: created.name })
        .await?
        .into_inner()
        .action_plan
        .unwrap()
        .timeline;

    let times: Vec<_> = timeline.iter().map(|e| instant(&e.time)).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "in time order: {timeline:?}");
    for expected in [
        "First demos booked",
        "Call the top ten accounts",
        "Half the pipeline built",
    ] {
        assert!(
            timeline.iter().any(|e| e.description.contains(expected)),
            "{expected:?} missing from {timeline:?}"
        );
    }
    let position = |text: &str| timeline.iter().position(|e| e.description.contains(text)).unwrap();
    assert!(position("First demos booked") < position("Call the top ten accounts"));
    assert!(position("Call the top ten accounts") < position("Half the pipeline built"));
    assert!(
        timeline.iter().any(|e| e.description.to_lowercase().contains("active")),
        "the move to active is on the timeline: {timeline:?}"
    );
    Ok(())
}

#[tokio::test]
async fn a_rep_sees_the_plans_they_own_or_work_on() -> anyhow::Result<()> {
    let (app, mut admin, ana_quota, budi_quota) = org_with_quotas().await?;
    let own = create_plan(&mut admin, plan("Ana's own", "members/ana", &[&ana_quota]))
        .await?
        .name;
    let helping = create_plan(&mut admin, plan("Budi's, with Ana", "members/budi", &[&budi_quota]))
        .await?
        .name;
    let foreign = create_plan(&mut admin, plan("Budi's alone", "members/budi", &[&budi_quota]))
        .await?
        .name;
    create_task(&mut admin, &helping, "Share a reference", "members/ana").await?;
    let mut ana = app.rep("ana");

    let listed = ana
        .list_action_plans(ListActionPlansRequest::default())
        .await?
        .into_inner()
        .action_plans;

    let mut names: Vec<_> = listed.into_iter().map(|p| p.name).collect();
    names.sort();
    let mut expected = vec![own, helping];
    expected.sort();
    assert_eq!(names, expected);
    assert_refused(ana.get_action_plan(GetActionPlanRequest { name: foreign }).await);
    Ok(())
}

#[tokio::test]
async fn managers_plan_only_within_their_teams_and_reps_not_at_all() -> anyhow::Result<()> {
    let (app, _admin, ana_quota, _) = org_with_quotas().await?;

    create_plan(
        &mut app.manager_of("sales"),
        plan("Sales push", "members/ana", &[&ana_quota]),
    )
    .await?;

    let outsider = app
        .manager_of("apac")
        .create_action_plan(CreateActionPlanRequest {
            action_plan: Some(plan("Meddling", "members/ana", &[&ana_quota])),
            request_id: String::new(),
        })
        .await;
    assert_code(outsider, Code::PermissionDenied);
    let rep = app
        .rep("ana")
        .create_action_plan(CreateActionPlanRequest {
            action_plan: Some(plan("My own", "members/ana", &[&ana_quota])),
            request_id: String::new(),
        })
        .await;
    assert_code(rep, Code::PermissionDenied);
    Ok(())
}

/// A page of plans reads all their tasks at once: each plan's timeline holds its own tasks only.
#[tokio::test]
async fn a_listed_page_shows_each_plans_own_tasks_on_its_timeline() -> anyhow::Result<()> {
    let (_app, mut admin, ana_quota, budi_quota) = org_with_quotas().await?;
    let mut names = Vec::new();
    for (n, (owner, quota)) in [("members/ana", &ana_quota), ("members/budi", &budi_quota)]
        .into_iter()
        .cycle()
        .take(6)
        .enumerate()
    {
        let created = create_plan(&mut admin, plan(&format!("Plan {n}"), owner, &[quota])).await?;
        for t in 0..n % 3 {
            admin
                .create_task(CreateTaskRequest {
                    parent: created.name.clone(),
                    task: Some(Task {
                        title: format!("task {t} of plan {n}"),
                        assignee: owner.into(),
                        due_time: Some(ts("2025-07-25T00:00:00Z")),
                        ..Default::default()
                    }),
                    request_id: String::new(),
                })
                .await?;
        }
        names.push(created.name);
    }
    let listed = admin
        .list_action_plans(ListActionPlansRequest {
            page_size: 4,
            ..Default::default()
        })
        .await?
        .into_inner();
    assert_eq!(listed.action_plans.len(), 4);
    assert!(!listed.next_page_token.is_empty());
    let rest = admin
        .list_action_plans(ListActionPlansRequest {
            page_size: 4,
            page_token: listed.next_page_token,
            ..Default::default()
        })
        .await?
        .into_inner();
    for plan in listed.action_plans.iter().chain(&rest.action_plans) {
        let n: usize = plan.title.trim_start_matches("Plan ").parse()?;
        let tasks: Vec<_> = plan
            .timeline
            .iter()
            .filter(|e| e.description.contains("task "))
            .collect();
        assert_eq!(tasks.len(), n % 3, "{}: {tasks:?}", plan.title);
        assert!(
            tasks.iter().all(|e| e.description.contains(&format!("of plan {n}"))),
            "{}: another plan's task: {tasks:?}",
            plan.title
        );
    }
    assert_eq!(listed.action_plans.len() + rest.action_plans.len(), names.len());
    Ok(())
}

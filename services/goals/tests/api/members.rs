//! Members: the people of the sales organisation, each in a team.

use lacak_proto::goals::{CreateMemberRequest, GetMemberRequest, ListMembersRequest, Member, UpdateMemberRequest};
use tonic::Code;

use crate::helpers::{Goals, assert_code, assert_invalid, create_member, create_team, mask, seed_org, spawn_app};

fn member(display_name: &str, team: &str) -> Option<Member> {
    Some(Member {
        display_name: display_name.into(),
        team: team.into(),
        ..Default::default()
    })
}

async fn names_in(client: &mut Goals, team: &str, include_sub_teams: bool) -> anyhow::Result<Vec<String>> {
    let page = client
        .list_members(ListMembersRequest {
            team: team.into(),
            include_sub_teams,
            ..Default::default()
        })
        .await?
        .into_inner();
    Ok(page.members.into_iter().map(|m| m.name).collect())
}

#[tokio::test]
async fn an_admin_adds_a_member_who_is_active_by_default() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let mut admin = app.admin();
    create_team(&mut admin, "emea", None).await?;

    let created = admin
        .create_member(CreateMemberRequest {
            member: member("Ana Lestari", "teams/emea"),
            member_id: "ana".into(),
            request_id: String::new(),
        })
        .await?
        .into_inner()
        .member
        .unwrap();

    assert_eq!(created.name, "members/ana");
    assert_eq!(created.team, "teams/emea");
    assert!(created.active, "a new member is active unless told otherwise");
    let read = admin
        .get_member(GetMemberRequest {
            name: "members/ana".into(),
        })
        .await?
        .into_inner()
        .member
        .unwrap();
    assert_eq!(read, created);
    Ok(())
}

#[tokio::test]
async fn malformed_and_duplicate_member_ids_are_refused() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let mut admin = app.admin();
    create_team(&mut admin, "emea", None).await?;
    for bad in ["Ana", "_ana", "ana.lestari", "-ana"] {
        let answer = admin
            .create_member(CreateMemberRequest {
                member: member("Ana", "teams/emea"),
                member_id: bad.into(),
                request_id: String::new(),
            })
            .await;
        assert_invalid(answer, "member_id");
    }

    create_member(&mut admin, "ana", "emea").await?;
    let again = admin
        .create_member(CreateMemberRequest {
            member: member("Ana again", "teams/emea"),
            member_id: "ana".into(),
            request_id: String::new(),
        })
        .await;
    assert_code(again, Code::AlreadyExists);
    Ok(())
}

#[tokio::test]
async fn a_team_lists_its_members_and_optionally_its_sub_teams_members() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let mut admin = app.admin();
    seed_org(&mut admin).await?;
    create_team(&mut admin, "emea-west", Some("emea")).await?;
    create_member(&mut admin, "dewi", "emea-west").await?;

    assert_eq!(names_in(&mut admin, "teams/sales", false).await?, ["members/citra"]);
    assert_eq!(
        names_in(&mut admin, "teams/sales", true).await?,
        ["members/ana", "members/citra", "members/dewi"],
        "sub-teams at any depth, ordered by id"
    );
    assert_eq!(
        names_in(&mut admin, "", false).await?,
        ["members/ana", "members/budi", "members/citra", "members/dewi"]
    );
    Ok(())
}

#[tokio::test]
async fn a_manager_manages_members_only_within_their_teams() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let mut admin = app.admin();
    seed_org(&mut admin).await?;
    let mut manager = app.manager_of("sales");

    create_member(&mut manager, "eko", "emea").await?;

    let elsewhere = manager
        .create_member(CreateMemberRequest {
            member: member("Fajar", "teams/apac"),
            member_id: "fajar".into(),
            request_id: String::new(),
        })
        .await;
    assert_code(elsewhere, Code::PermissionDenied);
    let rename_budi = manager
        .update_member(UpdateMemberRequest {
            member: Some(Member {
                name: "members/budi".into(),
                display_name: "Not yours".into(),
                ..Default::default()
            }),
            update_mask: mask(&["display_name"]),
        })
        .await;
    assert_code(rename_budi, Code::PermissionDenied);
    Ok(())
}

#[tokio::test]
async fn a_rep_reads_the_directory_but_cannot_change_it() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let mut admin = app.admin();
    seed_org(&mut admin).await?;
    let mut ana = app.rep("ana");

    let budi = ana
        .get_member(GetMemberRequest {
            name: "members/budi".into(),
        })
        .await?
        .into_inner()
        .member
        .unwrap();
    assert_eq!(budi.team, "teams/apac");

    let rename_self = ana
        .update_member(UpdateMemberRequest {
            member: Some(Member {
                name: "members/ana".into(),
                display_name: "Queen Ana".into(),
                ..Default::default()
            }),
            update_mask: mask(&["display_name"]),
        })
        .await;
    assert_code(rename_self, Code::PermissionDenied);
    let recruit = ana
        .create_member(CreateMemberRequest {
            member: member("Friend", "teams/emea"),
            member_id: "friend".into(),
            request_id: String::new(),
        })
        .await;
    assert_code(recruit, Code::PermissionDenied);
    Ok(())
}

#[tokio::test]
async fn a_deactivated_member_stays_in_the_directory() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let mut admin = app.admin();
    seed_org(&mut admin).await?;

    let updated = admin
        .update_member(UpdateMemberRequest {
            member: Some(Member {
                name: "members/budi".into(),
                active: false,
                ..Default::default()
            }),
            update_mask: mask(&["active"]),
        })
        .await?
        .into_inner()
        .member
        .unwrap();

    assert!(!updated.active);
    assert_eq!(updated.display_name, "Member budi", "fields outside the mask stay");
    assert!(
        names_in(&mut admin, "teams/apac", false)
            .await?
            .contains(&"members/budi".to_owned())
    );
    Ok(())
}

#[tokio::test]
async fn a_retried_member_create_answers_the_first_member() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let mut admin = app.admin();
    create_team(&mut admin, "emea", None).await?;
    let request = CreateMemberRequest {
        member: member("Gita", "teams/emea"),
        member_id: String::new(),
        request_id: "req-member-1".into(),
    };

    let first = admin.create_member(request.clone()).await?.into_inner().member.unwrap();
    let retry = admin.create_member(request).await?.into_inner().member.unwrap();

    assert_eq!(retry.name, first.name);
    assert_eq!(names_in(&mut admin, "", false).await?, [first.name]);
    Ok(())
}

#[tokio::test]
async fn another_tenant_cannot_find_a_member() -> anyhow::Result<()> {
    let app = spawn_app().await;
    seed_org(&mut app.admin()).await?;

    let foreign = app
        .other_tenant_admin()
        .get_member(GetMemberRequest {
            name: "members/ana".into(),
        })
        .await;
    assert_code(foreign, Code::NotFound);
    Ok(())
}

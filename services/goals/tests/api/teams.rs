//! Teams: the directory of the sales organisation, nested under parents.

use lacak_proto::goals::{CreateTeamRequest, GetTeamRequest, ListTeamsRequest, Team, UpdateTeamRequest};
use tonic::Code;

use crate::helpers::{Goals, assert_code, assert_invalid, create_team, mask, seed_org, spawn_app};

fn team(display_name: &str, parent: &str) -> Option<Team> {
    Some(Team {
        display_name: display_name.into(),
        parent: parent.into(),
        ..Default::default()
    })
}

async fn list_all(client: &mut Goals, parent: &str, page_size: i32) -> anyhow::Result<(Vec<String>, usize)> {
    let (mut names, mut pages, mut page_token) = (Vec::new(), 0, String::new());
    loop {
        let page = client
            .list_teams(ListTeamsRequest {
                parent: parent.into(),
                page_size,
                page_token: page_token.clone(),
            })
            .await?
            .into_inner();
        pages += 1;
        names.extend(page.teams.into_iter().map(|t| t.name));
        if page.next_page_token.is_empty() {
            return Ok((names, pages));
        }
        page_token = page.next_page_token;
    }
}

#[tokio::test]
async fn an_admin_creates_a_team_and_reads_it_back() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let mut admin = app.admin();

    let created = admin
        .create_team(CreateTeamRequest {
            team: team("EMEA Enterprise", ""),
            team_id: "emea".into(),
            request_id: String::new(),
        })
        .await?
        .into_inner()
        .team
        .unwrap();
    assert_eq!(created.name, "teams/emea");
    assert_eq!(created.display_name, "EMEA Enterprise");
    assert!(created.create_time.is_some(), "create_time is set");

    let read = admin
        .get_team(GetTeamRequest {
            name: "teams/emea".into(),
        })
        .await?
        .into_inner()
        .team
        .unwrap();
    assert_eq!(read, created);
    Ok(())
}

#[tokio::test]
async fn a_team_without_an_id_gets_a_generated_one() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let mut admin = app.admin();

    let created = admin
        .create_team(CreateTeamRequest {
            team: team("Nameless", ""),
            ..Default::default()
        })
        .await?
        .into_inner()
        .team
        .unwrap();

    let id = created.name.strip_prefix("teams/").expect("a teams/ name");
    assert!(!id.is_empty() && id.len() <= 63, "generated id {id:?}");
    let read = admin
        .get_team(GetTeamRequest {
            name: created.name.clone(),
        })
        .await?
        .into_inner()
        .team
        .unwrap();
    assert_eq!(read.display_name, "Nameless");
    Ok(())
}

#[tokio::test]
async fn malformed_team_ids_are_refused() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let mut admin = app.admin();
    let too_long = "a".repeat(64);
    for bad in ["-emea", "EMEA", "em_ea", "emea/west", "em ea", too_long.as_str()] {
        let answer = admin
            .create_team(CreateTeamRequest {
                team: team("Bad", ""),
                team_id: bad.into(),
                request_id: String::new(),
            })
            .await;
        assert_invalid(answer, "team_id");
    }
    // The longest allowed id, and one starting with a digit, are fine.
    create_team(&mut admin, &"a".repeat(63), None).await?;
    create_team(&mut admin, "9-north", None).await?;
    Ok(())
}

#[tokio::test]
async fn a_duplicate_team_id_already_exists() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let mut admin = app.admin();
    create_team(&mut admin, "emea", None).await?;

    let again = admin
        .create_team(CreateTeamRequest {
            team: team("EMEA again", ""),
            team_id: "emea".into(),
            request_id: String::new(),
        })
        .await;
    assert_code(again, Code::AlreadyExists);
    Ok(())
}

#[tokio::test]
async fn a_team_needs_a_display_name_and_a_well_formed_parent() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let mut admin = app.admin();

    let unnamed = admin
        .create_team(CreateTeamRequest {
            team: team("", ""),
            team_id: "emea".into(),
            request_id: String::new(),
        })
        .await;
    assert_invalid(unnamed, "team.display_name");

    let bad_parent = admin
        .create_team(CreateTeamRequest {
            team: team("EMEA", "sales"),
            team_id: "emea".into(),
            request_id: String::new(),
        })
        .await;
    assert_invalid(bad_parent, "team.parent");
    Ok(())
}

#[tokio::test]
async fn teams_are_listed_by_id_one_page_at_a_time() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let mut admin = app.admin();
    for id in ["delta", "alpha", "echo", "charlie", "bravo"] {
        create_team(&mut admin, id, None).await?;
    }

    let (names, pages) = list_all(&mut admin, "", 2).await?;

    assert_eq!(
        names,
        [
            "teams/alpha",
            "teams/bravo",
            "teams/charlie",
            "teams/delta",
            "teams/echo"
        ]
    );
    assert_eq!(pages, 3, "5 teams in pages of 2");
    let (all, pages) = list_all(&mut admin, "", 0).await?;
    assert_eq!((all.len(), pages), (5, 1), "page_size 0 means the default of 50");
    Ok(())
}

#[tokio::test]
async fn listing_with_a_parent_gives_its_direct_children() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let mut admin = app.admin();
    seed_org(&mut admin).await?;
    create_team(&mut admin, "emea-west", Some("emea")).await?;
    create_team(&mut admin, "americas", Some("sales")).await?;

    let (children, _) = list_all(&mut admin, "teams/sales", 0).await?;

    assert_eq!(
        children,
        ["teams/americas", "teams/emea"],
        "grandchildren are not direct children"
    );
    Ok(())
}

#[tokio::test]
async fn page_size_and_page_token_are_checked() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let mut admin = app.admin();
    seed_org(&mut admin).await?;

    let negative = admin
        .list_teams(ListTeamsRequest {
            page_size: -1,
            ..Default::default()
        })
        .await;
    assert_invalid(negative, "page_size");

    let huge = admin
        .list_teams(ListTeamsRequest {
            page_size: 5000,
            ..Default::default()
        })
        .await?
        .into_inner();
    assert_eq!(huge.teams.len(), 3, "an oversized page is clamped, not refused");
    assert!(huge.next_page_token.is_empty());

    let first = admin
        .list_teams(ListTeamsRequest {
            page_size: 1,
            ..Default::default()
        })
        .await?
        .into_inner();
    assert!(
        !first.next_page_token.is_empty(),
        "three teams do not fit a page of one"
    );
    let other_filter = admin
        .list_teams(ListTeamsRequest {
            parent: "teams/sales".into(),
            page_size: 1,
            page_token: first.next_page_token.clone(),
        })
        .await;
    assert_invalid(other_filter, "page_token");

    let garbage = admin
        .list_teams(ListTeamsRequest {
            page_token: "not-a-token".into(),
            ..Default::default()
        })
        .await;
    assert_invalid(garbage, "page_token");
    Ok(())
}

#[tokio::test]
async fn a_retried_create_answers_the_first_team() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let mut admin = app.admin();
    let request = CreateTeamRequest {
        team: team("Retry", ""),
        team_id: String::new(),
        request_id: "req-team-1".into(),
    };

    let first = admin.create_team(request.clone()).await?.into_inner().team.unwrap();
    let retry = admin.create_team(request.clone()).await?.into_inner().team.unwrap();

    assert_eq!(retry.name, first.name);
    let (names, _) = list_all(&mut admin, "", 0).await?;
    assert_eq!(names, std::slice::from_ref(&first.name), "the retry created nothing");

    let different = admin
        .create_team(CreateTeamRequest {
            team: team("Something else", ""),
            ..request
        })
        .await;
    assert_invalid(different, "request_id");
    Ok(())
}

#[tokio::test]
async fn a_manager_creates_teams_only_within_their_own() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let mut admin = app.admin();
    seed_org(&mut admin).await?;
    let mut manager = app.manager_of("sales");

    create_team(&mut manager, "sales-north", Some("sales")).await?;
    create_team(&mut manager, "emea-west", Some("emea")).await?;

    let top_level = manager
        .create_team(CreateTeamRequest {
            team: team("Rogue", ""),
            team_id: "rogue".into(),
            request_id: String::new(),
        })
        .await;
    assert_code(top_level, Code::PermissionDenied);
    let elsewhere = manager
        .create_team(CreateTeamRequest {
            team: team("APAC North", "teams/apac"),
            team_id: "apac-north".into(),
            request_id: String::new(),
        })
        .await;
    assert_code(elsewhere, Code::PermissionDenied);
    Ok(())
}

#[tokio::test]
async fn every_role_reads_the_directory_but_only_admins_and_managers_write_it() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let mut admin = app.admin();
    seed_org(&mut admin).await?;

    for (who, mut reader) in [
        ("rep", app.rep("ana")),
        ("service", app.service()),
        ("manager", app.manager_of("apac")),
    ] {
        let read = reader
            .get_team(GetTeamRequest {
                name: "teams/sales".into(),
            })
            .await;
        assert!(read.is_ok(), "{who} reads the directory: {read:?}");
        let (names, _) = list_all(&mut reader, "", 0).await?;
        assert_eq!(names.len(), 3, "{who} lists every team");
    }
    for mut writer in [app.rep("ana"), app.service()] {
        let answer = writer
            .create_team(CreateTeamRequest {
                team: team("Mine", "teams/emea"),
                team_id: "mine".into(),
                request_id: String::new(),
            })
            .await;
        assert_code(answer, Code::PermissionDenied);
    }
    Ok(())
}

#[tokio::test]
async fn renaming_a_team_changes_only_its_display_name() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let mut admin = app.admin();
    seed_org(&mut admin).await?;

    let renamed = admin
        .update_team(UpdateTeamRequest {
            team: Some(Team {
                name: "teams/emea".into(),
                display_name: "Europe".into(),
                ..Default::default()
            }),
            update_mask: mask(&["display_name"]),
        })
        .await?
        .into_inner()
        .team
        .unwrap();

    assert_eq!(renamed.display_name, "Europe");
    assert_eq!(
        renamed.parent, "teams/sales",
        "the parent is outside the mask and stays"
    );
    Ok(())
}

#[tokio::test]
async fn a_missing_team_and_another_tenants_team_look_the_same() -> anyhow::Result<()> {
    let app = spawn_app().await;
    seed_org(&mut app.admin()).await?;

    let missing = app
        .admin()
        .get_team(GetTeamRequest {
            name: "teams/nowhere".into(),
        })
        .await;
    assert_code(missing, Code::NotFound);
    let foreign = app
        .other_tenant_admin()
        .get_team(GetTeamRequest {
            name: "teams/sales".into(),
        })
        .await;
    assert_code(foreign, Code::NotFound);
    Ok(())
}

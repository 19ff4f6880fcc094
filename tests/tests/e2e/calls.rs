//! Calls between services: a deadline on every call, the caller's tenant carried in a service token.

use std::time::{Duration, Instant};

use lacak_domain::{Principal, Role};
use lacak_e2e::{authorized, spawn_suite};
use lacak_proto::goals::goals_service_client::GoalsServiceClient;
use lacak_proto::goals::{CreateTeamRequest, GetFiscalCalendarRequest, ListTeamsRequest, Team};
use lacak_runtime::CallContext;
use lacak_runtime::client::{Outgoing, all_pages, channel, retry_idempotent};
use lacak_runtime::config::ServerArgs;
use tonic::Code;

fn caller(tenant: &str, deadline: Option<Instant>) -> CallContext {
    CallContext {
        principal: Principal {
            tenant: tenant.into(),
            subject: "ana".into(),
            role: Role::Rep,
            teams: vec![],
        },
        on_behalf_of: None,
        deadline,
        token_expiry: None,
    }
}

#[tokio::test]
async fn a_service_call_acts_in_the_callers_tenant_within_the_callers_deadline() -> anyhow::Result<()> {
    let suite = spawn_suite(ServerArgs::default()).await?;
    let admin = suite.token("acme", "boss", Role::Admin);
    let mut goals = GoalsServiceClient::new(suite.channel().await?);
    let team = CreateTeamRequest {
        team_id: "emea".into(),
        team: Some(Team {
            display_name: "EMEA".into(),
            ..Team::default()
        }),
        ..CreateTeamRequest::default()
    };
    goals.create_team(authorized(&admin, team)).await?;

    let outgoing = Outgoing::new("monitoring", suite.issuer.clone(), Duration::from_secs(10));
    let context = caller("acme", Some(Instant::now() + Duration::from_secs(2)));
    let request = outgoing.request(&context, ListTeamsRequest::default())?;
    let timeout = request
        .metadata()
        .get("grpc-timeout")
        .and_then(|v| v.to_str().ok())
        .and_then(lacak_runtime::auth::parse_grpc_timeout)
        .expect("a grpc-timeout on every outgoing call");
    assert!(
        timeout <= Duration::from_secs(2),
        "{timeout:?} exceeds the caller's deadline"
    );

    let client = channel(&suite.url(), Duration::from_secs(2))?;
    let teams = GoalsServiceClient::new(client)
        .list_teams(request)
        .await?
        .into_inner()
        .teams;
    assert_eq!(teams.len(), 1, "the service sees the caller's tenant");

    let other = outgoing.request(&caller("globex", None), ListTeamsRequest::default())?;
    let client = channel(&suite.url(), Duration::from_secs(2))?;
    let teams = GoalsServiceClient::new(client)
        .list_teams(other)
        .await?
        .into_inner()
        .teams;
    assert!(teams.is_empty(), "another tenant sees nothing of acme");
    Ok(())
}

#[tokio::test]
async fn a_call_whose_caller_gave_up_is_not_made() {
    let (_, issuer) =
        lacak_runtime::auth::hs256_keys(b"0123456789abcdef0123456789abcdef", "lacak", "lacak", Duration::ZERO);
    let outgoing = Outgoing::new("monitoring", issuer, Duration::from_secs(10));
    let past = caller("acme", Some(Instant::now() - Duration::from_millis(1)));
    let status = outgoing.request(&past, GetFiscalCalendarRequest {}).unwrap_err();
    assert_eq!(status.code(), Code::DeadlineExceeded);
}

#[tokio::test]
async fn unavailable_idempotent_calls_are_retried_a_bounded_number_of_times() {
    let mut attempts = 0;
    let outcome: Result<(), tonic::Status> = retry_idempotent(3, || {
        attempts += 1;
        async { Err(tonic::Status::unavailable("down")) }
    })
    .await;
    assert_eq!(outcome.unwrap_err().code(), Code::Unavailable);
    assert_eq!(attempts, 3);

    let mut attempts = 0;
    let outcome: Result<(), tonic::Status> = retry_idempotent(3, || {
        attempts += 1;
        async { Err(tonic::Status::invalid_argument("bad")) }
    })
    .await;
    assert_eq!(outcome.unwrap_err().code(), Code::InvalidArgument);
    assert_eq!(attempts, 1, "only UNAVAILABLE is retried");
}

#[tokio::test]
async fn every_page_of_a_list_is_read_and_a_page_that_fails_once_is_asked_again() {
    let mut asked = Vec::new();
    let mut failed_once = false;
    let items = all_pages(3, |token: String| {
        asked.push(token.clone());
        let fail = token == "2" && !std::mem::replace(&mut failed_once, true);
        async move {
            match token.as_str() {
                _ if fail => Err(tonic::Status::unavailable("down for a moment")),
                "" => Ok((vec![1, 2], "2".to_owned())),
                "2" => Ok((vec![3], "3".to_owned())),
                _ => Ok((vec![4, 5], String::new())),
            }
        }
    })
    .await
    .expect("every page");
    assert_eq!(items, [1, 2, 3, 4, 5]);
    assert_eq!(asked, ["", "2", "2", "3"]);
}

#[tokio::test]
async fn calls_spread_over_every_replica_and_follow_them_as_they_go() -> anyhow::Result<()> {
    use std::sync::{Arc, Mutex};

    use lacak_proto::goals::GetTeamRequest;
    use lacak_runtime::client::balanced_channel_with;

    // Two replicas with their own databases: a team exists on the first only, so an answer tells
    // which replica served the call.
    let first = spawn_suite(ServerArgs::default()).await?;
    let second = spawn_suite(ServerArgs::default()).await?;
    let admin = first.token("acme", "boss", Role::Admin);
    let team = CreateTeamRequest {
        team_id: "emea".into(),
        team: Some(Team {
            display_name: "EMEA".into(),
            ..Team::default()
        }),
        ..CreateTeamRequest::default()
    };
    GoalsServiceClient::new(first.channel().await?)
        .create_team(authorized(&admin, team))
        .await?;

    let replicas = Arc::new(Mutex::new(vec![first.addr, second.addr]));
    let seen = replicas.clone();
    let resolve = move || {
        let addresses = seen.lock().map(|a| a.clone()).unwrap_or_default();
        async move { addresses }
    };
    let channel = balanced_channel_with("http", Duration::from_secs(2), Duration::from_millis(50), None, resolve);
    let mut goals = GoalsServiceClient::new(channel);
    let get = || GetTeamRequest {
        name: "teams/emea".into(),
    };
    tokio::time::sleep(Duration::from_millis(150)).await;
    let (mut on_first, mut on_second) = (0, 0);
    for _ in 0..40 {
        match goals.get_team(authorized(&admin, get())).await {
            Ok(_) => on_first += 1,
            Err(status) if status.code() == Code::NotFound => on_second += 1,
            Err(status) => anyhow::bail!("unexpected answer: {status:?}"),
        }
    }
    assert!(
        on_first > 0 && on_second > 0,
        "both replicas served calls: {on_first} and {on_second}"
    );

    // The second replica goes away: after the next resolution every call reaches the first.
    replicas
        .lock()
        .map_err(|_| anyhow::anyhow!("poisoned"))?
        .retain(|a| *a == first.addr);
    tokio::time::sleep(Duration::from_millis(200)).await;
    for _ in 0..20 {
        goals.get_team(authorized(&admin, get())).await?;
    }
    Ok(())
}

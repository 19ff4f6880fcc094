//! The server stack every service runs on, seen from a client.

use std::time::Duration;

use lacak_domain::Role;
use lacak_e2e::{authorized, spawn_suite};
use lacak_proto::goals::goals_service_client::GoalsServiceClient;
use lacak_proto::goals::{CreateTeamRequest, GetFiscalCalendarRequest, Team};
use lacak_runtime::config::ServerArgs;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_stream::StreamExt;
use tonic::Code;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use tonic_types::StatusExt;

const GOALS: &str = "lacak.goals.v1.GoalsService";

#[tokio::test]
async fn health_answers_without_a_token_for_the_process_and_each_service() -> anyhow::Result<()> {
    let suite = spawn_suite(ServerArgs::default()).await?;
    let mut health = HealthClient::new(suite.channel().await?);
    for service in [
        "",
        GOALS,
        "lacak.inventory.v1.InventoryService",
        "lacak.monitoring.v1.MonitoringService",
    ] {
        let status = health
            .check(HealthCheckRequest {
                service: service.to_owned(),
            })
            .await?
            .into_inner()
            .status;
        assert_eq!(status, ServingStatus::Serving as i32, "service {service:?}");
    }
    let unknown = health
        .check(HealthCheckRequest {
            service: "lacak.nothing.v1.Nothing".to_owned(),
        })
        .await
        .unwrap_err();
    assert_eq!(unknown.code(), Code::NotFound);
    Ok(())
}

#[tokio::test]
async fn reflection_lists_every_service_in_both_versions() -> anyhow::Result<()> {
    use tonic_reflection::pb::v1::ServerReflectionRequest;
    use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
    use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
    use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;
    use tonic_reflection::pb::v1alpha::server_reflection_client::ServerReflectionClient as AlphaClient;

    let suite = spawn_suite(ServerArgs::default()).await?;
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut client = ServerReflectionClient::new(suite.channel().await?);
    let mut answers = client
        .server_reflection_info(tokio_stream::iter([request]))
        .await?
        .into_inner();
    let answer = answers.next().await.expect("one answer")?;
    let Some(MessageResponse::ListServicesResponse(list)) = answer.message_response else {
        anyhow::bail!("not a service list: {answer:?}");
    };
    let names: Vec<_> = list.service.into_iter().map(|s| s.name).collect();
    assert!(names.contains(&GOALS.to_owned()), "{names:?}");
    assert!(
        names.contains(&"lacak.inventory.v1.InventoryService".to_owned()),
        "{names:?}"
    );
    assert!(
        names.contains(&"lacak.monitoring.v1.MonitoringService".to_owned()),
        "{names:?}"
    );
    assert!(names.contains(&"grpc.health.v1.Health".to_owned()), "{names:?}");

    let alpha_request = tonic_reflection::pb::v1alpha::ServerReflectionRequest {
        host: String::new(),
        message_request: Some(
            tonic_reflection::pb::v1alpha::server_reflection_request::MessageRequest::FileContainingSymbol(
                GOALS.to_owned(),
            ),
        ),
    };
    let mut alpha = AlphaClient::new(suite.channel().await?);
    let answer = alpha
        .server_reflection_info(tokio_stream::iter([alpha_request]))
        .await?
        .into_inner()
        .next()
        .await
        .expect("one answer")?;
    assert!(
        matches!(
            answer.message_response,
            Some(tonic_reflection::pb::v1alpha::server_reflection_response::MessageResponse::FileDescriptorResponse(_))
        ),
        "{answer:?}"
    );
    Ok(())
}

#[tokio::test]
async fn calls_without_a_valid_token_are_unauthenticated_with_a_reason() -> anyhow::Result<()> {
    let suite = spawn_suite(ServerArgs::default()).await?;
    let mut goals = GoalsServiceClient::new(suite.channel().await?);
    let (_, stranger) = lacak_runtime::auth::hs256_keys(
        b"another-secret-another-secret-12345",
        "lacak",
        "lacak",
        Duration::from_secs(30),
    );
    let wrongly_signed = stranger.issue(
        &lacak_domain::Principal {
            tenant: "acme".into(),
            subject: "x".into(),
            role: Role::Admin,
            teams: vec![],
        },
        Duration::from_secs(60),
        None,
    )?;
    let unsigned = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJpc3MiOiJsYWNhayIsImF1ZCI6ImxhY2FrIiwic3ViIjoieCIsImV4cCI6OTk5OTk5OTk5OSwiaWF0IjoxLCJ0ZW5hbnQiOiJhIiwicm9sZSI6ImFkbWluIn0.";
    let mut attempts = vec![tonic::Request::new(GetFiscalCalendarRequest {})];
    for token in ["garbage", wrongly_signed.as_str(), unsigned] {
        attempts.push(authorized(token, GetFiscalCalendarRequest {}));
    }
    for request in attempts {
        let status = goals.get_fiscal_calendar(request).await.unwrap_err();
        assert_eq!(status.code(), Code::Unauthenticated, "{status:?}");
        let info = status.get_error_details().error_info().cloned().expect("ErrorInfo");
        assert_eq!(info.reason, "UNAUTHENTICATED");
    }
    let token = suite.token("acme", "ana", Role::Admin);
    goals
        .get_fiscal_calendar(authorized(&token, GetFiscalCalendarRequest {}))
        .await?;
    Ok(())
}

#[tokio::test]
async fn a_browser_calls_over_grpc_web_on_http1() -> anyhow::Result<()> {
    let suite = spawn_suite(ServerArgs::default()).await?;
    let token = suite.token("acme", "ana", Role::Admin);
    // An empty GetFiscalCalendarRequest: one uncompressed frame of zero bytes.
    let body = [0u8, 0, 0, 0, 0];
    let head = format!(
        "POST /lacak.goals.v1.GoalsService/GetFiscalCalendar HTTP/1.1\r\nhost: {}\r\n\
         content-type: application/grpc-web+proto\r\nx-grpc-web: 1\r\nauthorization: Bearer {token}\r\n\
         content-length: {}\r\nconnection: close\r\n\r\n",
        suite.addr,
        body.len()
    );
    let mut stream = tokio::net::TcpStream::connect(suite.addr).await?;
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(&body).await?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await?;
    let text = String::from_utf8_lossy(&response);
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
    assert!(text.contains("application/grpc-web"), "{text}");
    // The trailers travel in the body, in a frame flagged 0x80, and say OK.
    assert!(text.contains("grpc-status:0"), "{text}");
    assert!(text.contains("fiscalCalendar"), "{text}");
    Ok(())
}

#[tokio::test]
async fn an_oversized_message_is_refused() -> anyhow::Result<()> {
    let args = ServerArgs {
        max_message_bytes: 1024,
        ..ServerArgs::default()
    };
    let suite = spawn_suite(args).await?;
    let token = suite.token("acme", "ana", Role::Admin);
    let mut goals = GoalsServiceClient::new(suite.channel().await?);
    let request = CreateTeamRequest {
        team: Some(Team {
            display_name: "x".repeat(4096),
            ..Team::default()
        }),
        ..CreateTeamRequest::default()
    };
    let status = goals.create_team(authorized(&token, request)).await.unwrap_err();
    assert_eq!(status.code(), Code::OutOfRange, "{status:?}");
    Ok(())
}

#[tokio::test]
async fn shutdown_turns_readiness_off_before_the_server_stops() -> anyhow::Result<()> {
    let mut suite = spawn_suite(ServerArgs {
        drain_timeout: Duration::from_secs(5),
        ..ServerArgs::default()
    })
    .await?;
    let mut health = HealthClient::new(suite.channel().await?);
    let mut watch = health
        .watch(HealthCheckRequest {
            service: GOALS.to_owned(),
        })
        .await?
        .into_inner();
    let first = watch.next().await.expect("an initial status")?;
    assert_eq!(first.status, ServingStatus::Serving as i32);

    suite.begin_shutdown();
    let next = tokio::time::timeout(Duration::from_secs(5), watch.next())
        .await?
        .expect("a status before the stream closes")?;
    assert_eq!(next.status, ServingStatus::NotServing as i32);
    drop(watch);
    tokio::time::timeout(Duration::from_secs(10), suite.stop()).await??;
    Ok(())
}

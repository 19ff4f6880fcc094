//! PostgreSQL going away under a running service: calls answer UNAVAILABLE at once instead of
//! waiting out their deadline, readiness says NOT_SERVING while it is gone, and both recover
//! when it returns, without a restart. Runs where `LACAK_TEST_POSTGRES_URL` names a server.

use std::time::Duration;

use lacak_proto::goals::ListTeamsRequest;
use lacak_testkit::{POSTGRES_URL_VAR, Prepared};
use tokio::net::{TcpListener, TcpStream};
use tonic::Code;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

use crate::helpers::{ADMIN, Goals, TENANT};

/// A TCP relay in front of the database that the test takes down as a stopped server goes: every
/// relayed connection cut and the port closed, so new connections are refused; then brought back
/// on the same port.
struct Relay {
    addr: std::net::SocketAddr,
    upstream: String,
    accepting: Option<tokio::task::JoinHandle<()>>,
    cut: tokio::sync::watch::Sender<u64>,
}

impl Relay {
    async fn to(upstream: String) -> Relay {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a free port");
        let addr = listener.local_addr().expect("the relay's address");
        let (cut, _) = tokio::sync::watch::channel(0u64);
        let mut relay = Relay {
            addr,
            upstream,
            accepting: None,
            cut,
        };
        relay.accept(listener);
        relay
    }

    fn accept(&mut self, listener: TcpListener) {
        let (upstream, cuts) = (self.upstream.clone(), self.cut.clone());
        self.accepting = Some(tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                let upstream = upstream.clone();
                let mut cut = cuts.subscribe();
                tokio::spawn(async move {
                    let Ok(mut server) = TcpStream::connect(&upstream).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                        _ = cut.changed() => {}
                    }
                });
            }
        }));
    }

    async fn down(&mut self) {
        if let Some(accepting) = self.accepting.take() {
            accepting.abort();
            let _ = accepting.await;
        }
        self.cut.send_modify(|n| *n += 1);
    }

    async fn back(&mut self) {
        let listener = TcpListener::bind(self.addr).await.expect("the relay's port again");
        self.accept(listener);
    }
}

/// `url` with its `host:port` replaced by `addr`.
fn through(url: &str, addr: std::net::SocketAddr) -> (String, String) {
    let start = url.find('@').map_or_else(|| url.find("://").unwrap() + 3, |at| at + 1);
    let end = start + url[start..].find('/').unwrap();
    let upstream = url[start..end].to_owned();
    (format!("{}{addr}{}", &url[..start], &url[end..]), upstream)
}

async fn readiness(health: &mut HealthClient<tonic::transport::Channel>) -> i32 {
    health
        .check(HealthCheckRequest {
            service: "lacak.goals.v1.GoalsService".into(),
        })
        .await
        .expect("health answers whatever the database does")
        .into_inner()
        .status
}

/// Polls readiness until it says `wanted`, for up to 15 s.
async fn until_readiness(health: &mut HealthClient<tonic::transport::Channel>, wanted: ServingStatus) {
    for _ in 0..150 {
        if readiness(health).await == wanted as i32 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("readiness never became {wanted:?}");
}

async fn list_teams(goals: &mut Goals) -> Result<usize, tonic::Status> {
    let mut request = tonic::Request::new(ListTeamsRequest::default());
    request.set_timeout(Duration::from_secs(5));
    Ok(goals.list_teams(request).await?.into_inner().teams.len())
}

#[tokio::test]
async fn a_database_that_goes_away_answers_unavailable_at_once_and_not_serving_until_it_returns() {
    if std::env::var(POSTGRES_URL_VAR).is_err() {
        eprintln!("skipped: {POSTGRES_URL_VAR} names no PostgreSQL server");
        return;
    }
    let mut prepared = Prepared::new("goals").await;
    let (_, upstream) = through(&prepared.url(), "127.0.0.1:1".parse().unwrap());
    let mut relay = Relay::to(upstream).await;
    let (url, _) = through(&prepared.url(), relay.addr);
    let ready = lacak_goals::mount(&mut prepared.host, &url).await;
    ready.await.expect("the service connects through the relay");
    let server = prepared.serve().await;
    let mut goals: Goals = lacak_proto::goals::goals_service_client::GoalsServiceClient::with_interceptor(
        server.channel.clone(),
        lacak_testkit::Bearer::new(&server.token(TENANT, ADMIN, lacak_domain::Role::Admin, &[])),
    );
    let mut health = HealthClient::new(server.channel.clone());
    assert_eq!(
        list_teams(&mut goals).await.expect("answers while the database is up"),
        0
    );
    assert_eq!(readiness(&mut health).await, ServingStatus::Serving as i32);

    relay.down().await;
    for attempt in 0..3 {
        let status = list_teams(&mut goals).await.expect_err("no database, no answer");
        assert_eq!(
            status.code(),
            Code::Unavailable,
            "attempt {attempt}: UNAVAILABLE before the caller's deadline, not DEADLINE_EXCEEDED: {status:?}"
        );
    }
    until_readiness(&mut health, ServingStatus::NotServing).await;
    let liveness = health
        .check(HealthCheckRequest { service: String::new() })
        .await
        .expect("liveness answers");
    assert_eq!(
        liveness.into_inner().status,
        ServingStatus::Serving as i32,
        "alive: a restart would not bring the database back"
    );

    relay.back().await;
    until_readiness(&mut health, ServingStatus::Serving).await;
    assert_eq!(
        list_teams(&mut goals).await.expect("answers again, without a restart"),
        0
    );
}

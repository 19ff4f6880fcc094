//! Services of one host calling each other in process (`lacak up`): only the edge sheds, and
//! at shutdown a call in flight still reaches the services it calls.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use tokio::sync::watch;
use tonic::server::NamedService;
use tonic::transport::Channel;
use tonic::{Code, Request, Response, Status};
use tonic_health::pb::{HealthCheckRequest, HealthCheckResponse};
use tonic_prost::ProstCodec;

use super::*;
use crate::auth::{TokenIssuer, hs256_keys};

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

const ASK: &str = "/lacak.test.v1.Relay/Ask";

/// A test service: asked for "inner" it answers at once; asked for "outer" it waits until
/// released, then asks "inner" of the host through `dependency`, as monitoring asks goals.
#[derive(Clone)]
struct Relay {
    released: watch::Receiver<bool>,
    dependency: Arc<OnceLock<Channel>>,
    token: String,
}

impl NamedService for Relay {
    const NAME: &'static str = "lacak.test.v1.Relay";
}

impl tower_service::Service<http::Request<tonic::body::Body>> for Relay {
    type Response = http::Response<tonic::body::Body>;
    type Error = Infallible;
    type Future = BoxFuture<Result<Self::Response, Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<tonic::body::Body>) -> Self::Future {
        let relay = self.clone();
        Box::pin(async move {
            let mut grpc = tonic::server::Grpc::new(ProstCodec::<HealthCheckResponse, HealthCheckRequest>::default());
            Ok(grpc.unary(Answer(relay), request).await)
        })
    }
}

struct Answer(Relay);

impl tonic::server::UnaryService<HealthCheckRequest> for Answer {
    type Response = HealthCheckResponse;
    type Future = BoxFuture<Result<Response<HealthCheckResponse>, Status>>;

    fn call(&mut self, request: Request<HealthCheckRequest>) -> Self::Future {
        let relay = self.0.clone();
        Box::pin(async move {
            if request.get_ref().service == "outer" {
                let mut released = relay.released.clone();
                let _ = released.wait_for(|r| *r).await;
                let channel = relay.dependency.get().expect("a dependency").clone();
                return ask(channel, "inner", relay.token).await;
            }
            Ok(Response::new(HealthCheckResponse { status: 1 }))
        })
    }
}

async fn ask(channel: Channel, what: &'static str, token: String) -> Result<Response<HealthCheckResponse>, Status> {
    let mut client = tonic::client::Grpc::new(channel);
    client.ready().await.map_err(|e| Status::unavailable(e.to_string()))?;
    let mut request = Request::new(HealthCheckRequest { service: what.into() });
    request
        .metadata_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    client
        .unary(
            request,
            http::uri::PathAndQuery::from_static(ASK),
            ProstCodec::default(),
        )
        .await
}

struct Running {
    public: Channel,
    release: watch::Sender<bool>,
    stop: tokio::sync::oneshot::Sender<()>,
    served: tokio::task::JoinHandle<Result<(), ServerError>>,
    draining: Draining,
    token: String,
}

/// A host with the relay behind a concurrency limit of one; the relay's dependency is the host
/// in process.
async fn running() -> Running {
    let (authenticator, issuer): (_, TokenIssuer) = hs256_keys(
        b"in-process-test-secret-0123456789abcdef",
        "lacak",
        "lacak",
        Duration::from_secs(30),
    );
    let token = issuer
        .issue(
            &lacak_domain::Principal {
                tenant: "acme".into(),
                subject: "admin".into(),
                role: lacak_domain::Role::Admin,
                teams: Vec::new(),
            },
            Duration::from_secs(300),
            None,
        )
        .unwrap();
    let args = crate::config::ServerArgs {
        max_concurrent_requests: 1,
        ..Default::default()
    };
    let mut host = ServerHost::new(args, Arc::new(authenticator)).unwrap();
    let (release, released) = watch::channel(false);
    let dependency = Arc::new(OnceLock::new());
    host.routes_mut().add_service(Relay {
        released,
        dependency: dependency.clone(),
        token: token.clone(),
    });
    let _ = dependency.set(host.in_process_channel());
    let draining = host.draining();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let public = Channel::from_shared(format!("http://{}", listener.local_addr().unwrap()))
        .unwrap()
        .connect_lazy();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let served = tokio::spawn(host.serve(listener, async move {
        let _ = stopped.await;
    }));
    Running {
        public,
        release,
        stop,
        served,
        draining,
        token,
    }
}

#[tokio::test]
async fn a_call_admitted_at_the_limit_gets_its_dependencies_answers() {
    let running = running().await;
    let outer = tokio::spawn(ask(running.public.clone(), "outer", running.token.clone()));
    tokio::time::sleep(Duration::from_millis(100)).await;

    let shed = ask(running.public.clone(), "inner", running.token.clone()).await;
    assert_eq!(
        shed.unwrap_err().code(),
        Code::ResourceExhausted,
        "the edge still sheds"
    );

    running.release.send(true).unwrap();
    let answered = outer.await.unwrap().expect("its own call to a dependency is not shed");
    assert_eq!(answered.into_inner().status, 1);
}

#[tokio::test]
async fn a_call_in_flight_at_shutdown_still_reaches_the_services_it_calls() {
    let mut running = running().await;
    let outer = tokio::spawn(ask(running.public.clone(), "outer", running.token.clone()));
    tokio::time::sleep(Duration::from_millis(100)).await;

    running.stop.send(()).unwrap();
    running.draining.started().await;
    assert!(running.draining.has_started());
    tokio::time::sleep(Duration::from_millis(100)).await;
    let refused = ask(running.public.clone(), "inner", running.token.clone()).await;
    assert!(refused.is_err(), "a draining port takes no new calls");

    running.release.send(true).unwrap();
    let answered = outer
        .await
        .unwrap()
        .expect("the dependency still answers while callers drain");
    assert_eq!(answered.into_inner().status, 1);
    running.served.await.unwrap().expect("a clean stop");
}

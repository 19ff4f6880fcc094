//! The server every service runs on: one stack assembled here, layer by layer, with the reasons.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use tokio::net::TcpListener;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tonic::service::RoutesBuilder;
use tonic_health::ServingStatus;
use tonic_health::pb::health_server::HealthServer;
use tonic_health::server::{HealthReporter, HealthService};

use crate::auth::{AuthLayer, Authenticator};
use crate::config::ServerArgs;
use crate::tls::ReloadingAcceptor;

pub mod greeting;
#[cfg(test)]
mod in_process_tests;

#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("reflection: {0}")]
    Reflection(String),
    #[error("server: {0}")]
    Transport(#[from] tonic::transport::Error),
    #[error("server task: {0}")]
    Task(String),
    #[error("TLS: {0}")]
    Tls(String),
    #[error("health port: {0}")]
    Probes(String),
}

/// A service's readiness in `grpc.health.v1`: NOT_SERVING until its database is connected and
/// migrated, SERVING after, NOT_SERVING while its database cannot be reached, and NOT_SERVING for
/// good once the server drains.
#[derive(Clone)]
pub struct Readiness {
    reporter: HealthReporter,
    name: String,
    draining: Draining,
}

impl Readiness {
    /// SERVING, unless the server is draining.
    pub async fn ready(&self) {
        if self.draining.has_started() {
            return;
        }
        self.reporter
            .set_service_status(&self.name, ServingStatus::Serving)
            .await;
        tracing::info!(service = %self.name, "ready");
    }

    pub async fn not_ready(&self) {
        self.reporter
            .set_service_status(&self.name, ServingStatus::NotServing)
            .await;
    }
}

/// Collects the services of one process and serves them behind one port.
pub struct ServerHost {
    args: ServerArgs,
    authenticator: Arc<Authenticator>,
    routes: RoutesBuilder,
    health: HealthReporter,
    health_service: HealthServer<HealthService>,
    names: Vec<String>,
    drain_notice: tokio::sync::watch::Sender<bool>,
    /// Connections of in-process callers (`in_process_channel`), when any asked.
    in_process: Option<InProcess>,
}

/// Says when the server starts to drain: long streams end then (a client reconnects elsewhere)
/// and background work stops, instead of holding the exit for the whole drain timeout.
#[derive(Clone)]
pub struct Draining(tokio::sync::watch::Receiver<bool>);

impl Draining {
    /// Completes once the server drains (at once if it already does); also when the server is gone.
    pub async fn started(&mut self) {
        let _ = self.0.wait_for(|draining| *draining).await;
    }

    pub fn has_started(&self) -> bool {
        *self.0.borrow()
    }
}

type InProcess = (
    tokio::sync::mpsc::UnboundedSender<tokio::io::DuplexStream>,
    tokio::sync::mpsc::UnboundedReceiver<tokio::io::DuplexStream>,
);

/// How much an in-process connection buffers each way before the writer waits.
const IN_PROCESS_BUFFER: usize = 256 * 1024;

impl ServerHost {
    /// Health (liveness on "") and reflection (v1 and v1alpha) are always there.
    pub fn new(args: ServerArgs, authenticator: Arc<Authenticator>) -> Result<Self, ServerError> {
        let health = HealthReporter::new();
        let health_service = HealthServer::new(HealthService::from_health_reporter(health.clone()));
        let reflection = || {
            tonic_reflection::server::Builder::configure()
                .register_encoded_file_descriptor_set(lacak_proto::FILE_DESCRIPTOR_SET)
                .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        };
        let reflection_v1 = reflection()
            .build_v1()
            .map_err(|e| ServerError::Reflection(e.to_string()))?;
        let reflection_v1alpha = reflection()
            .build_v1alpha()
            .map_err(|e| ServerError::Reflection(e.to_string()))?;
        let mut routes = RoutesBuilder::default();
        routes
            .add_service(health_service.clone())
            .add_service(reflection_v1)
            .add_service(reflection_v1alpha);
        Ok(Self {
            args,
            authenticator,
            routes,
            health,
            health_service,
            names: Vec::new(),
            drain_notice: tokio::sync::watch::Sender::new(false),
            in_process: None,
        })
    }

    /// The largest message a service should accept or send.
    pub fn max_message_bytes(&self) -> usize {
        self.args.max_message_bytes
    }

    /// Where services add their generated servers.
    pub fn routes_mut(&mut self) -> &mut RoutesBuilder {
        &mut self.routes
    }

    /// Tells when this server starts draining.
    pub fn draining(&self) -> Draining {
        Draining(self.drain_notice.subscribe())
    }

    /// A channel to the services of this very host, for services that call each other in one
    /// process (`lacak up`). Its calls never cross a socket and are served beside the public
    /// port: a call admitted there gets its dependencies' answers (only the edge sheds load), and
    /// at shutdown it is drained after the public port, so calls in flight can still reach the
    /// services they call. Tokens are checked as on the public port.
    pub fn in_process_channel(&mut self) -> tonic::transport::Channel {
        let connections = self
            .in_process
            .get_or_insert_with(|| {
                let (connections, incoming) = tokio::sync::mpsc::unbounded_channel();
                (connections, incoming)
            })
            .0
            .clone();
        tonic::transport::Endpoint::from_static("http://lacak.in-process").connect_with_connector_lazy(
            tower::service_fn(move |_: http::Uri| {
                let (client, server) = tokio::io::duplex(IN_PROCESS_BUFFER);
                let sent = connections.send(server);
                async move {
                    sent.map_err(|_| std::io::Error::new(std::io::ErrorKind::NotConnected, "the server has stopped"))?;
                    Ok::<_, std::io::Error>(hyper_util::rt::TokioIo::new(client))
                }
            }),
        )
    }

    /// Declares a named service (e.g. `lacak.goals.v1.GoalsService`), NOT_SERVING until it says so.
    pub async fn register(&mut self, name: &str) -> Readiness {
        self.health.set_service_status(name, ServingStatus::NotServing).await;
        self.names.push(name.to_owned());
        Readiness {
            reporter: self.health.clone(),
            name: name.to_owned(),
            draining: self.draining(),
        }
    }

    /// Serves until `shutdown` completes, then drains: every named service turns NOT_SERVING,
    /// no new connection is taken, in-flight calls finish within the drain timeout.
    pub async fn serve(self, listener: TcpListener, shutdown: impl Future<Output = ()>) -> Result<(), ServerError> {
        let ServerHost {
            args,
            authenticator,
            routes,
            health,
            health_service,
            names,
            drain_notice,
            in_process,
        } = self;
        // Bound before serving, so a taken probe port stops the start instead of failing probes.
        let probes = match args.health_listen {
            Some(address) => {
                let listener = TcpListener::bind(address)
                    .await
                    .map_err(|e| ServerError::Probes(format!("cannot listen on {address}: {e}")))?;
                tracing::info!(%address, "serving health checks in plaintext for probes");
                let incoming = greeting::incoming(listener, args.handshake_timeout);
                Some(tokio::spawn(
                    tonic::transport::Server::builder()
                        .max_connection_age(args.max_connection_age)
                        .http2_keepalive_interval(Some(args.keepalive_interval))
                        .http2_keepalive_timeout(Some(args.handshake_timeout))
                        .add_service(health_service)
                        .serve_with_incoming(incoming),
                ))
            }
            None => None,
        };
        // The probe port answers until the main server has drained (NOT_SERVING meanwhile).
        let _stop_probes = AbortOnDrop(probes);
        let stack = tower::ServiceBuilder::new()
            // Outermost: a span and RED metrics cover everything below, rejections included.
            .layer(lacak_telemetry::RpcTelemetryLayer::new())
            // Browsers speak gRPC-Web; translate before anything reads gRPC framing or headers.
            .layer(tonic_web::GrpcWebLayer::new())
            // Shed load instead of queueing: past the limit, answer RESOURCE_EXHAUSTED at once.
            .layer(ConcurrencyShedLayer::new(args.max_concurrent_requests))
            // Identity last, so handlers always find a CallContext.
            .layer(AuthLayer::new(authenticator.clone()));

        let routes = routes.routes();
        // In-process callers: the same services, identities and telemetry, no shedding; served
        // until the public port has drained.
        let (stop_in_process, in_process_stopped) = tokio::sync::oneshot::channel::<()>();
        let mut in_process_task = in_process.map(|(_, incoming)| {
            let stack = tower::ServiceBuilder::new()
                .layer(lacak_telemetry::RpcTelemetryLayer::new())
                .layer(AuthLayer::new(authenticator.clone()));
            let incoming = tokio_stream::StreamExt::map(
                tokio_stream::wrappers::UnboundedReceiverStream::new(incoming),
                Ok::<_, std::io::Error>,
            );
            tokio::spawn(
                tonic::transport::Server::builder()
                    .layer(stack)
                    .add_routes(routes.clone())
                    .serve_with_incoming_shutdown(incoming, async {
                        let _ = in_process_stopped.await;
                    }),
            )
        });

        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let stopped = async {
            let _ = stop_rx.await;
        };
        let router = tonic::transport::Server::builder()
            // gRPC-Web arrives over HTTP/1.1.
            .accept_http1(true)
            // Bounds every call, also when the client set no deadline (answers CANCELLED).
            .timeout(args.request_timeout)
            // Past its age a connection is asked to close (HTTP/2 GOAWAY): its calls finish, the
            // client reconnects (spreading clients over replicas), an idle one closes now.
            .max_connection_age(args.max_connection_age)
            // A peer that stops answering pings (gone, or holding the connection open without
            // speaking) is disconnected.
            .http2_keepalive_interval(Some(args.keepalive_interval))
            .http2_keepalive_timeout(Some(args.handshake_timeout))
            .tcp_nodelay(true)
            .layer(stack)
            .add_routes(routes);
        let server: Pin<Box<dyn Future<Output = Result<(), tonic::transport::Error>> + Send>> = match args.tls_files() {
            // TLS from files that may be renewed while serving; with a client CA, mutual TLS.
            Some(files) => {
                let acceptor = Arc::new(ReloadingAcceptor::new(files).map_err(|e| ServerError::Tls(e.to_string()))?);
                let incoming =
                    crate::tls::incoming(listener, acceptor, args.tls_reload_interval, args.handshake_timeout);
                Box::pin(router.serve_with_incoming_shutdown(incoming, stopped))
            }
            None => {
                let incoming = greeting::incoming(listener, args.handshake_timeout);
                Box::pin(router.serve_with_incoming_shutdown(incoming, stopped))
            }
        };
        let mut task = tokio::spawn(server);

        tokio::select! {
            ended = &mut task => {
                return ended.map_err(|e| ServerError::Task(e.to_string()))?.map_err(ServerError::from);
            }
            () = shutdown => {}
        }

        tracing::info!(drain_timeout = ?args.drain_timeout, "shutting down: draining in-flight calls");
        let deadline = tokio::time::Instant::now() + args.drain_timeout;
        drain_notice.send_replace(true);
        for name in &names {
            health.set_service_status(name, ServingStatus::NotServing).await;
        }
        // Callers first: the public port stops taking calls and drains; the calls it still runs
        // reach the services they call in process until it has.
        let _ = stop_tx.send(());
        let public = match tokio::time::timeout_at(deadline, &mut task).await {
            Ok(ended) => ended
                .map_err(|e| ServerError::Task(e.to_string()))?
                .map_err(ServerError::from),
            Err(_) => {
                tracing::warn!("drain timeout reached; abandoning the calls still running");
                task.abort();
                Ok(())
            }
        };
        let _ = stop_in_process.send(());
        if let Some(in_process) = &mut in_process_task
            && tokio::time::timeout_at(deadline, &mut *in_process).await.is_err()
        {
            in_process.abort();
        }
        public
    }
}

/// Stops a background server when the one it accompanies ends.
struct AbortOnDrop<T>(Option<tokio::task::JoinHandle<T>>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        if let Some(task) = &self.0 {
            task.abort();
        }
    }
}

/// Completes on SIGTERM (Kubernetes) or Ctrl-C.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::error!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
}

/// The gRPC health service's paths.
const HEALTH_PATH: &str = "/grpc.health.v1.Health/";

/// A global bound on calls in flight that rejects the excess instead of queueing it; health
/// checks are not counted and never refused.
#[derive(Clone)]
pub struct ConcurrencyShedLayer {
    permits: Arc<Semaphore>,
}

impl ConcurrencyShedLayer {
    pub fn new(limit: usize) -> Self {
        Self {
            permits: Arc::new(Semaphore::new(limit.max(1))),
        }
    }
}

impl<S> tower_layer::Layer<S> for ConcurrencyShedLayer {
    type Service = ConcurrencyShed<S>;
    fn layer(&self, inner: S) -> Self::Service {
        ConcurrencyShed {
            inner,
            permits: self.permits.clone(),
        }
    }
}

#[derive(Clone)]
pub struct ConcurrencyShed<S> {
    inner: S,
    permits: Arc<Semaphore>,
}

impl<S, B, RB> tower_service::Service<http::Request<B>> for ConcurrencyShed<S>
where
    S: tower_service::Service<http::Request<B>, Response = http::Response<RB>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    B: Send + 'static,
    RB: Default + Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Answer<Self::Response, Self::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        // Health checks never wait behind business traffic: a busy pod is alive, and a liveness
        // probe shed here would have it restarted.
        let admission = if request.uri().path().starts_with(HEALTH_PATH) {
            Ok(None)
        } else {
            self.permits
                .clone()
                .try_acquire_owned()
                .map(Some)
                .map_err(|_| overloaded("the server is at its concurrency limit; retry with backoff"))
        };
        admit_then_call(&mut self.inner, request, async move { admission })
    }
}

/// A call's answer, boxed.
type Answer<R, E> = Pin<Box<dyn Future<Output = Result<R, E>> + Send>>;

/// Calls `inner` with `request` once `admission` lets it in, holding what admitted it until the
/// response is ready; answers the refusal otherwise. The ready `inner` serves the call and a
/// clone takes its place (the tower idiom for services driven to readiness before `call`).
fn admit_then_call<S, B, RB>(
    inner: &mut S,
    request: http::Request<B>,
    admission: impl Future<Output = Result<Option<OwnedSemaphorePermit>, tonic::Status>> + Send + 'static,
) -> Answer<S::Response, S::Error>
where
    S: tower_service::Service<http::Request<B>, Response = http::Response<RB>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    B: Send + 'static,
    RB: Default + Send + 'static,
{
    let clone = inner.clone();
    let mut ready = std::mem::replace(inner, clone);
    Box::pin(async move {
        let permit = match admission.await {
            Ok(permit) => permit,
            Err(refusal) => return Ok(refusal.into_http()),
        };
        let response = ready.call(request).await;
        drop(permit);
        response
    })
}

fn overloaded(message: &str) -> tonic::Status {
    crate::error::with_details(
        tonic::Code::ResourceExhausted,
        message,
        "OVERLOADED",
        "server.lacak.dev",
        crate::error::Acting::retry_after(crate::error::RETRY_AFTER_UNAVAILABLE),
    )
}

/// Runs at most `limit` calls of one method of a service at once, admitted before their requests
/// are read: for methods that take large messages (batches), so the memory they take is bounded
/// by the limit, not by the number of callers. A call past it waits up to `wait` (its request
/// held back by HTTP/2 flow control, not in memory), then answers RESOURCE_EXHAUSTED.
#[derive(Clone)]
pub struct CallsAtOnce<S> {
    inner: S,
    path: String,
    permits: Arc<Semaphore>,
    wait: std::time::Duration,
}

impl<S: tonic::server::NamedService> CallsAtOnce<S> {
    pub fn new(inner: S, method: &str, limit: usize, wait: std::time::Duration) -> Self {
        Self {
            inner,
            path: format!("/{}/{method}", S::NAME),
            permits: Arc::new(Semaphore::new(limit.max(1))),
            wait,
        }
    }
}

impl<S: tonic::server::NamedService> tonic::server::NamedService for CallsAtOnce<S> {
    const NAME: &'static str = S::NAME;
}

impl<S, B, RB> tower_service::Service<http::Request<B>> for CallsAtOnce<S>
where
    S: tower_service::Service<http::Request<B>, Response = http::Response<RB>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    B: Send + 'static,
    RB: Default + Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Answer<Self::Response, Self::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        if request.uri().path() != self.path {
            return admit_then_call(&mut self.inner, request, async { Ok(None) });
        }
        let (permits, wait) = (self.permits.clone(), self.wait);
        let admission = async move {
            match tokio::time::timeout(wait, permits.acquire_owned()).await {
                Ok(Ok(permit)) => Ok(Some(permit)),
                _ => Err(overloaded("too many calls of this method at once; retry with backoff")),
            }
        };
        admit_then_call(&mut self.inner, request, admission)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use tower::{Layer, Service, ServiceExt};

    use super::*;

    /// A service behind a limit of one that holds every call but health checks until released.
    fn held_behind_a_limit_of_one() -> (
        tokio::sync::watch::Sender<bool>,
        impl Service<
            http::Request<()>,
            Response = http::Response<String>,
            Error = std::convert::Infallible,
            Future: Send + 'static,
        > + Clone,
    ) {
        let (release, released) = tokio::sync::watch::channel(false);
        let slow = tower::service_fn(move |request: http::Request<()>| {
            let mut released = released.clone();
            async move {
                if !request.uri().path().starts_with(HEALTH_PATH) {
                    let _ = released.wait_for(|r| *r).await;
                }
                Ok::<_, std::convert::Infallible>(http::Response::new(String::new()))
            }
        });
        (release, ConcurrencyShedLayer::new(1).layer(slow))
    }

    #[tokio::test]
    async fn calls_past_the_limit_are_refused_at_once_not_queued() {
        let (release, mut service) = held_behind_a_limit_of_one();
        let first = service.ready().await.unwrap().call(http::Request::new(()));
        let first = tokio::spawn(first);
        tokio::time::sleep(Duration::from_millis(20)).await;

        let refused = service
            .ready()
            .await
            .unwrap()
            .call(http::Request::new(()))
            .await
            .unwrap();
        assert_eq!(refused.headers().get("grpc-status").unwrap(), "8", "RESOURCE_EXHAUSTED");

        release.send(true).unwrap();
        let answered = first.await.unwrap().unwrap();
        assert!(answered.headers().get("grpc-status").is_none());
        let after = service
            .ready()
            .await
            .unwrap()
            .call(http::Request::new(()))
            .await
            .unwrap();
        assert!(after.headers().get("grpc-status").is_none(), "the permit came back");
    }

    #[tokio::test]
    async fn health_checks_are_answered_at_the_limit() {
        let (release, mut service) = held_behind_a_limit_of_one();
        let busy = service.ready().await.unwrap().call(http::Request::new(()));
        let busy = tokio::spawn(busy);
        tokio::time::sleep(Duration::from_millis(20)).await;
        let check = http::Request::builder()
            .uri("/grpc.health.v1.Health/Check")
            .body(())
            .unwrap();
        let health = service.ready().await.unwrap().call(check).await.unwrap();
        assert!(health.headers().get("grpc-status").is_none(), "served, not shed");
        let business = service
            .ready()
            .await
            .unwrap()
            .call(http::Request::new(()))
            .await
            .unwrap();
        assert_eq!(business.headers().get("grpc-status").unwrap(), "8", "still shed");
        release.send(true).unwrap();
        busy.await.unwrap().unwrap();
    }

    /// A service named `lacak.test.v1.Batches` that holds every call until released.
    #[derive(Clone)]
    struct Held(tokio::sync::watch::Receiver<bool>);

    impl tonic::server::NamedService for Held {
        const NAME: &'static str = "lacak.test.v1.Batches";
    }

    impl Service<http::Request<()>> for Held {
        type Response = http::Response<String>;
        type Error = std::convert::Infallible;
        type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

        fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
            Poll::Ready(Ok(()))
        }

        fn call(&mut self, _: http::Request<()>) -> Self::Future {
            let mut released = self.0.clone();
            Box::pin(async move {
                let _ = released.wait_for(|r| *r).await;
                Ok(http::Response::new(String::new()))
            })
        }
    }

    fn to(path: &str) -> http::Request<()> {
        http::Request::builder().uri(path).body(()).unwrap()
    }

    #[tokio::test]
    async fn one_method_runs_at_most_its_limit_at_once_the_others_unhindered() {
        let (release, released) = tokio::sync::watch::channel(false);
        let mut service = CallsAtOnce::new(Held(released), "Ingest", 1, Duration::from_millis(100));
        let first = tokio::spawn(service.call(to("/lacak.test.v1.Batches/Ingest")));
        tokio::time::sleep(Duration::from_millis(20)).await;

        let refused = service.call(to("/lacak.test.v1.Batches/Ingest")).await.unwrap();
        assert_eq!(
            refused.headers().get("grpc-status").unwrap(),
            "8",
            "waited, then RESOURCE_EXHAUSTED"
        );

        let other = tokio::spawn(service.call(to("/lacak.test.v1.Batches/Read")));
        let waiting = tokio::spawn(service.call(to("/lacak.test.v1.Batches/Ingest")));
        tokio::time::sleep(Duration::from_millis(20)).await;
        release.send(true).unwrap();
        for answered in [first.await, other.await, waiting.await] {
            let answered = answered.unwrap().unwrap();
            assert!(answered.headers().get("grpc-status").is_none(), "served");
        }
    }
}

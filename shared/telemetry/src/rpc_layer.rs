//! A span and RED metrics (rate, errors, duration) for every RPC a server answers, and a span for
//! every call a service makes.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use opentelemetry::KeyValue;
use opentelemetry::metrics::{Counter, Histogram};
use tracing::Instrument;
use tracing_opentelemetry::OpenTelemetrySpanExt;

#[derive(Clone)]
struct Instruments {
    requests: Counter<u64>,
    duration: Histogram<f64>,
}

impl Instruments {
    fn new() -> Self {
        let meter = opentelemetry::global::meter("lacak");
        Self {
            requests: meter
                .u64_counter("rpc.server.requests")
                .with_description("RPCs answered, by method and gRPC status code")
                .build(),
            duration: meter
                .f64_histogram("rpc.server.duration")
                .with_unit("s")
                .with_description("Time to answer an RPC, by method and gRPC status code")
                .build(),
        }
    }
}

/// The tower layer; install it outermost so the span covers every other layer.
#[derive(Clone)]
pub struct RpcTelemetryLayer {
    instruments: Instruments,
}

impl RpcTelemetryLayer {
    /// Build after [`crate::init`], so the instruments bind to the installed meter provider.
    pub fn new() -> Self {
        Self {
            instruments: Instruments::new(),
        }
    }
}

impl Default for RpcTelemetryLayer {
    fn default() -> Self {
        Self::new()
    }
}

impl<S> tower_layer::Layer<S> for RpcTelemetryLayer {
    type Service = RpcTelemetry<S>;
    fn layer(&self, inner: S) -> Self::Service {
        RpcTelemetry {
            inner,
            instruments: self.instruments.clone(),
        }
    }
}

/// The service [`RpcTelemetryLayer`] wraps around the server.
#[derive(Clone)]
pub struct RpcTelemetry<S> {
    inner: S,
    instruments: Instruments,
}

impl<S, B, RB> tower_service::Service<http::Request<B>> for RpcTelemetry<S>
where
    S: tower_service::Service<http::Request<B>, Response = http::Response<RB>>,
    S::Future: Send + 'static,
    S::Error: 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let method = request.uri().path().to_owned();
        let span = tracing::info_span!(
            "rpc",
            otel.name = %method,
            otel.kind = "server",
            rpc.system = "grpc",
            rpc.method = %method,
            rpc.grpc.status_code = tracing::field::Empty,
        );
        let _ = span.set_parent(crate::extract_context(request.headers()));
        let started = Instant::now();
        let instruments = self.instruments.clone();
        let future = self.inner.call(request);
        let record_span = span.clone();
        Box::pin(
            async move {
                let result = future.await;
                let code = status_code(&result);
                record_span.record("rpc.grpc.status_code", code);
                let attributes = [
                    KeyValue::new("rpc.method", method),
                    KeyValue::new("rpc.grpc.status_code", code),
                ];
                instruments.requests.add(1, &attributes);
                instruments
                    .duration
                    .record(started.elapsed().as_secs_f64(), &attributes);
                result
            }
            .instrument(span),
        )
    }
}

/// The gRPC status of a response already at hand: a failed call is answered "trailers-only", its
/// status in the headers; a successful one carries 0 in its trailers, counted as OK here.
fn status_code<RB, E>(result: &Result<http::Response<RB>, E>) -> i64 {
    match result {
        Ok(response) => response
            .headers()
            .get("grpc-status")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<i64>().ok())
            .unwrap_or(0),
        Err(_) => 2,
    }
}

/// A span for every call a service makes to another, a child of the span the call is made in.
/// Its context travels in the request's `traceparent`, so the callee's server span is its child
/// and a trace shows where time went between the two.
#[derive(Clone)]
pub struct ClientTelemetry<S> {
    inner: S,
}

impl<S> ClientTelemetry<S> {
    pub fn new(inner: S) -> Self {
        Self { inner }
    }
}

impl<S, B, RB> tower_service::Service<http::Request<B>> for ClientTelemetry<S>
where
    S: tower_service::Service<http::Request<B>, Response = http::Response<RB>>,
    S::Future: Send + 'static,
    S::Error: 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: http::Request<B>) -> Self::Future {
        let method = request.uri().path().to_owned();
        let span = tracing::info_span!(
            "rpc.client",
            otel.name = %method,
            otel.kind = "client",
            rpc.system = "grpc",
            rpc.method = %method,
            rpc.grpc.status_code = tracing::field::Empty,
        );
        crate::inject_context(&span.context(), request.headers_mut());
        let future = self.inner.call(request);
        let record_span = span.clone();
        Box::pin(
            async move {
                let result = future.await;
                record_span.record("rpc.grpc.status_code", status_code(&result));
                result
            }
            .instrument(span),
        )
    }
}

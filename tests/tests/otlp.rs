//! Traces and metrics reach an OTLP collector, and a caller's W3C trace context is continued.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use lacak_domain::Role;
use lacak_e2e::{authorized, spawn_suite};
use lacak_proto::goals::GetFiscalCalendarRequest;
use lacak_proto::goals::goals_service_client::GoalsServiceClient;
use lacak_proto::monitoring::GetKpisRequest;
use lacak_proto::monitoring::monitoring_service_client::MonitoringServiceClient;
use lacak_runtime::config::ServerArgs;
use lacak_telemetry::{LogFormat, TelemetryConfig};
use opentelemetry_proto::tonic::collector::metrics::v1::metrics_service_server::{
    MetricsService, MetricsServiceServer,
};
use opentelemetry_proto::tonic::collector::metrics::v1::{ExportMetricsServiceRequest, ExportMetricsServiceResponse};
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{TraceService, TraceServiceServer};
use opentelemetry_proto::tonic::collector::trace::v1::{ExportTraceServiceRequest, ExportTraceServiceResponse};
use tonic::{Request, Response, Status};

/// A received span: its name, trace id and kind (2 server, 3 client).
type SpanSeen = (String, Vec<u8>, i32);

/// A collector that keeps what it receives.
#[derive(Clone, Default)]
struct Collector {
    spans: Arc<Mutex<Vec<SpanSeen>>>,
    metrics: Arc<Mutex<Vec<String>>>,
}

#[tonic::async_trait]
impl TraceService for Collector {
    async fn export(
        &self,
        request: Request<ExportTraceServiceRequest>,
    ) -> Result<Response<ExportTraceServiceResponse>, Status> {
        let mut spans = self.spans.lock().unwrap();
        for resource in request.into_inner().resource_spans {
            for scope in resource.scope_spans {
                spans.extend(scope.spans.into_iter().map(|s| (s.name, s.trace_id, s.kind)));
            }
        }
        Ok(Response::new(ExportTraceServiceResponse::default()))
    }
}

#[tonic::async_trait]
impl MetricsService for Collector {
    async fn export(
        &self,
        request: Request<ExportMetricsServiceRequest>,
    ) -> Result<Response<ExportMetricsServiceResponse>, Status> {
        let mut metrics = self.metrics.lock().unwrap();
        for resource in request.into_inner().resource_metrics {
            for scope in resource.scope_metrics {
                metrics.extend(scope.metrics.into_iter().map(|m| m.name));
            }
        }
        Ok(Response::new(ExportMetricsServiceResponse::default()))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rpc_spans_and_red_metrics_are_exported_continuing_the_callers_trace() -> anyhow::Result<()> {
    let collector = Collector::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let endpoint = format!("http://{}", listener.local_addr()?);
    tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(TraceServiceServer::new(collector.clone()))
            .add_service(MetricsServiceServer::new(collector.clone()))
            .serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(listener)),
    );
    // SAFETY: this test binary holds this one test; nothing else reads the environment meanwhile.
    unsafe { std::env::set_var(lacak_telemetry::OTLP_ENDPOINT_VAR, &endpoint) };
    let guard = lacak_telemetry::init(&TelemetryConfig {
        service_name: "lacak-test".into(),
        log_format: LogFormat::Json,
        log_filter: "info".into(),
        trace_sample_ratio: 1.0,
    })?;

    let suite = spawn_suite(ServerArgs::default()).await?;
    let token = suite.token("acme", "ana", Role::Admin);
    let mut goals = GoalsServiceClient::new(suite.channel().await?);
    let mut request = authorized(&token, GetFiscalCalendarRequest {});
    let caller_trace = "4bf92f3577b34da6a3ce929d0e0e4736";
    request
        .metadata_mut()
        .insert("traceparent", format!("00-{caller_trace}-00f067aa0ba902b7-01").parse()?);
    goals.get_fiscal_calendar(request).await?;
    // A call that calls another service and reads its database, in a trace of its own.
    let mut monitoring = MonitoringServiceClient::new(suite.channel().await?);
    let mut request = authorized(
        &token,
        GetKpisRequest {
            owner: String::new(),
            period: "FY2026-Q1".into(),
            currency_code: "IDR".into(),
            ..Default::default()
        },
    );
    let kpis_trace = "0af7651916cd43dd8448eb211c80319c";
    request
        .metadata_mut()
        .insert("traceparent", format!("00-{kpis_trace}-b7ad6b7169203331-01").parse()?);
    monitoring.get_kpis(request).await?;
    suite.stop().await?;
    // Shutting telemetry down flushes the batch span processor and the periodic metric reader.
    tokio::task::spawn_blocking(move || drop(guard)).await?;
    tokio::time::sleep(Duration::from_millis(200)).await;

    let spans = collector.spans.lock().unwrap().clone();
    let hex = |id: &[u8]| id.iter().map(|b| format!("{b:02x}")).collect::<String>();
    let span = spans
        .iter()
        .find(|(name, trace, _)| name == "/lacak.goals.v1.GoalsService/GetFiscalCalendar" && hex(trace) == caller_trace)
        .unwrap_or_else(|| panic!("no RPC span among {spans:?}"));
    assert_eq!(span.2, 2, "a server span");
    // GetKpis's trace: its server span, the client span of its call to goals and goals' server
    // span, and spans of its database work.
    let in_kpis_trace: Vec<&SpanSeen> = spans.iter().filter(|(_, trace, _)| hex(trace) == kpis_trace).collect();
    let has = |name: &str, kind: i32| in_kpis_trace.iter().any(|(n, _, k)| n == name && *k == kind);
    assert!(
        has("/lacak.monitoring.v1.MonitoringService/GetKpis", 2),
        "{in_kpis_trace:?}"
    );
    let goals_calls: Vec<&&SpanSeen> = in_kpis_trace
        .iter()
        .filter(|(n, _, _)| n.starts_with("/lacak.goals.v1.GoalsService/"))
        .collect();
    assert!(
        goals_calls.iter().any(|s| s.2 == 3),
        "a client span for the call to goals: {in_kpis_trace:?}"
    );
    assert!(
        goals_calls.iter().any(|s| s.2 == 2),
        "goals' server span in the same trace: {in_kpis_trace:?}"
    );
    assert!(
        in_kpis_trace.iter().any(|(n, _, k)| n.starts_with("db.") && *k == 3),
        "spans for the database work: {in_kpis_trace:?}"
    );
    let metrics = collector.metrics.lock().unwrap().clone();
    assert!(metrics.contains(&"rpc.server.requests".to_owned()), "{metrics:?}");
    assert!(metrics.contains(&"rpc.server.duration".to_owned()), "{metrics:?}");
    Ok(())
}

//! Telemetry for every Lacak process: logs, OTLP traces and metrics, and trace context over gRPC.

mod propagation;
mod rpc_layer;

use std::str::FromStr;

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::metrics::SdkMeterProvider;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::{Sampler, SdkTracerProvider};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

pub use propagation::{extract_context, inject_context};
pub use rpc_layer::{ClientTelemetry, RpcTelemetry, RpcTelemetryLayer};

/// The variable that turns on OTLP export; its value is the collector's gRPC endpoint.
pub const OTLP_ENDPOINT_VAR: &str = "OTEL_EXPORTER_OTLP_ENDPOINT";

/// How log lines are written to stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogFormat {
    /// Human-readable, coloured when stderr is a terminal.
    #[default]
    Pretty,
    /// One JSON object per line, for log collectors.
    Json,
}

impl FromStr for LogFormat {
    type Err = TelemetryError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "pretty" => Ok(LogFormat::Pretty),
            "json" => Ok(LogFormat::Json),
            other => Err(TelemetryError::Config(format!(
                "log format {other:?} is neither \"pretty\" nor \"json\""
            ))),
        }
    }
}

/// What to set up.
#[derive(Debug, Clone)]
pub struct TelemetryConfig {
    /// The `service.name` of exported traces and metrics.
    pub service_name: String,
    pub log_format: LogFormat,
    /// An `EnvFilter` directive such as `info` or `lacak_goals=debug,info`.
    pub log_filter: String,
    /// The share of root traces kept, 0.0..=1.0; child spans follow their parent's decision.
    pub trace_sample_ratio: f64,
}

#[derive(Debug, thiserror::Error)]
pub enum TelemetryError {
    #[error("telemetry configuration: {0}")]
    Config(String),
    #[error("OTLP exporter: {0}")]
    Exporter(String),
    #[error("a global tracing subscriber is already installed: {0}")]
    AlreadyInstalled(String),
}

/// Flushes and stops the exporters when dropped, so the last spans of a run are not lost.
#[must_use = "dropping the guard shuts telemetry down"]
pub struct TelemetryGuard {
    tracer_provider: Option<SdkTracerProvider>,
    meter_provider: Option<SdkMeterProvider>,
}

impl Drop for TelemetryGuard {
    fn drop(&mut self) {
        if let Some(provider) = self.tracer_provider.take() {
            let _ = provider.shutdown();
        }
        if let Some(provider) = self.meter_provider.take() {
            let _ = provider.shutdown();
        }
    }
}

/// Installs the global subscriber: logs always, OTLP traces and metrics when
/// `OTEL_EXPORTER_OTLP_ENDPOINT` is set. W3C trace context is the propagator either way.
pub fn init(config: &TelemetryConfig) -> Result<TelemetryGuard, TelemetryError> {
    if !(0.0..=1.0).contains(&config.trace_sample_ratio) {
        return Err(TelemetryError::Config(format!(
            "trace sample ratio {} is outside 0..=1",
            config.trace_sample_ratio
        )));
    }
    opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
    let filter = EnvFilter::try_new(&config.log_filter)
        .map_err(|e| TelemetryError::Config(format!("log filter {:?}: {e}", config.log_filter)))?;

    let fmt_layer = match config.log_format {
        LogFormat::Pretty => tracing_subscriber::fmt::layer().with_writer(std::io::stderr).boxed(),
        LogFormat::Json => tracing_subscriber::fmt::layer()
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_writer(std::io::stderr)
            .boxed(),
    };

    let exporting = std::env::var_os(OTLP_ENDPOINT_VAR).is_some_and(|v| !v.is_empty());
    let (tracer_provider, meter_provider) = if exporting {
        let resource = Resource::builder()
            .with_service_name(config.service_name.clone())
            .build();
        let spans = opentelemetry_otlp::SpanExporter::builder()
            .with_tonic()
            .build()
            .map_err(|e| TelemetryError::Exporter(e.to_string()))?;
        let tracer_provider = SdkTracerProvider::builder()
            .with_batch_exporter(spans)
            .with_sampler(Sampler::ParentBased(Box::new(Sampler::TraceIdRatioBased(
                config.trace_sample_ratio,
            ))))
            .with_resource(resource.clone())
            .build();
        let metrics = opentelemetry_otlp::MetricExporter::builder()
            .with_tonic()
            .build()
            .map_err(|e| TelemetryError::Exporter(e.to_string()))?;
        let meter_provider = SdkMeterProvider::builder()
            .with_periodic_exporter(metrics)
            .with_resource(resource)
            .build();
        opentelemetry::global::set_tracer_provider(tracer_provider.clone());
        opentelemetry::global::set_meter_provider(meter_provider.clone());
        (Some(tracer_provider), Some(meter_provider))
    } else {
        (None, None)
    };

    let otel_layer = tracer_provider
        .as_ref()
        .map(|provider| tracing_opentelemetry::layer().with_tracer(provider.tracer("lacak")));

    tracing_subscriber::registry()
        .with(filter)
        .with(fmt_layer)
        .with(otel_layer)
        .try_init()
        .map_err(|e| TelemetryError::AlreadyInstalled(e.to_string()))?;

    Ok(TelemetryGuard {
        tracer_provider,
        meter_provider,
    })
}

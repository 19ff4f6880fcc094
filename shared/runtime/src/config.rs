//! Configuration shared by every service: flags, each with a `LACAK_*` environment equivalent.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use lacak_telemetry::{LogFormat, TelemetryConfig};

/// How the gRPC server listens and protects itself.
#[derive(clap::Args, Debug, Clone)]
pub struct ServerArgs {
    /// Address to listen on for gRPC, gRPC-Web, health and reflection.
    #[arg(long, env = "LACAK_LISTEN", default_value = "127.0.0.1:50051")]
    pub listen: SocketAddr,
    /// Longest time one request may run before it is cancelled.
    #[arg(long, env = "LACAK_REQUEST_TIMEOUT", default_value = "30s", value_parser = parse_duration)]
    pub request_timeout: Duration,
    /// Requests handled at once; more are refused at once with RESOURCE_EXHAUSTED.
    #[arg(long, env = "LACAK_MAX_CONCURRENT_REQUESTS", default_value_t = 512)]
    pub max_concurrent_requests: usize,
    /// Largest request or response message, in bytes.
    #[arg(long, env = "LACAK_MAX_MESSAGE_BYTES", default_value_t = 16 * 1024 * 1024)]
    pub max_message_bytes: usize,
    /// On SIGTERM or Ctrl-C, how long in-flight calls may take to finish.
    #[arg(long, env = "LACAK_DRAIN_TIMEOUT", default_value = "15s", value_parser = parse_duration)]
    pub drain_timeout: Duration,
    /// How long a new connection may take to open (its TLS handshake, then its first HTTP/2
    /// frames or HTTP/1 request), and a peer to answer a ping; a silent peer is disconnected.
    #[arg(long, env = "LACAK_HANDSHAKE_TIMEOUT", default_value = "10s", value_parser = parse_duration)]
    pub handshake_timeout: Duration,
    /// How often each HTTP/2 connection is pinged, so a peer that stopped answering is noticed.
    #[arg(long, env = "LACAK_KEEPALIVE_INTERVAL", default_value = "60s", value_parser = parse_duration)]
    pub keepalive_interval: Duration,
    /// After this long a connection is asked to close (HTTP/2 GOAWAY): calls in flight finish and
    /// the client reconnects; an idle connection closes then.
    #[arg(long, env = "LACAK_MAX_CONNECTION_AGE", default_value = "10m", value_parser = parse_duration)]
    pub max_connection_age: Duration,
    /// Serve TLS with this certificate chain (PEM, leaf first); plaintext when unset.
    #[arg(long, env = "LACAK_TLS_CERT_FILE", requires = "tls_key_file")]
    pub tls_cert_file: Option<PathBuf>,
    /// The private key (PEM) of the TLS certificate.
    #[arg(long, env = "LACAK_TLS_KEY_FILE", requires = "tls_cert_file")]
    pub tls_key_file: Option<PathBuf>,
    /// Require client certificates signed by this CA (PEM): mutual TLS between services.
    #[arg(long, env = "LACAK_TLS_CLIENT_CA_FILE", requires = "tls_cert_file")]
    pub tls_client_ca_file: Option<PathBuf>,
    /// How often the TLS files are checked for a renewed certificate.
    #[arg(long, env = "LACAK_TLS_RELOAD_INTERVAL", default_value = "10s", value_parser = parse_duration)]
    pub tls_reload_interval: Duration,
    /// Also serve `grpc.health.v1` alone, in plaintext, on this address: for probes (the kubelet's
    /// gRPC probes speak no TLS) when the main port requires TLS or client certificates.
    #[arg(long, env = "LACAK_HEALTH_LISTEN")]
    pub health_listen: Option<SocketAddr>,
}

impl ServerArgs {
    /// The TLS files, when TLS is on.
    pub fn tls_files(&self) -> Option<crate::tls::TlsFiles> {
        match (&self.tls_cert_file, &self.tls_key_file) {
            (Some(cert), Some(key)) => Some(crate::tls::TlsFiles {
                cert: cert.clone(),
                key: key.clone(),
                client_ca: self.tls_client_ca_file.clone(),
            }),
            _ => None,
        }
    }
}

impl Default for ServerArgs {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 50051)),
            request_timeout: Duration::from_secs(30),
            max_concurrent_requests: 512,
            max_message_bytes: 16 * 1024 * 1024,
            drain_timeout: Duration::from_secs(15),
            handshake_timeout: Duration::from_secs(10),
            keepalive_interval: Duration::from_secs(60),
            max_connection_age: Duration::from_secs(600),
            tls_cert_file: None,
            tls_key_file: None,
            tls_client_ca_file: None,
            tls_reload_interval: Duration::from_secs(10),
            health_listen: None,
        }
    }
}

/// Which algorithm signs caller tokens.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum JwtAlgorithm {
    /// A shared secret (the default; `lacak up` creates one in the data directory).
    #[default]
    #[value(name = "HS256")]
    Hs256,
    /// An RSA key pair; servers need only the public key.
    #[value(name = "RS256")]
    Rs256,
    /// An Ed25519 key pair; servers need only the public key.
    #[value(name = "EdDSA")]
    EdDsa,
}

/// How callers' tokens are checked, and how this process signs its own calls to other services.
#[derive(clap::Args, Debug, Clone)]
pub struct AuthArgs {
    /// Token signing algorithm.
    #[arg(long, env = "LACAK_JWT_ALGORITHM", value_enum, default_value = "HS256")]
    pub jwt_algorithm: JwtAlgorithm,
    /// HS256 secret file; defaults to `<data-dir>/signing-key`, created on first start.
    #[arg(long, env = "LACAK_JWT_SECRET_FILE")]
    pub jwt_secret_file: Option<PathBuf>,
    /// RS256 or EdDSA public key (PEM) that verifies callers' tokens.
    #[arg(long, env = "LACAK_JWT_PUBLIC_KEY_FILE")]
    pub jwt_public_key_file: Option<PathBuf>,
    /// RS256 or EdDSA private key (PEM) that signs this process's calls to other services.
    #[arg(long, env = "LACAK_JWT_PRIVATE_KEY_FILE")]
    pub jwt_private_key_file: Option<PathBuf>,
    /// During a key rotation, the previous HS256 secret or public key (PEM), still accepted.
    #[arg(long, env = "LACAK_JWT_PREVIOUS_KEY_FILE")]
    pub jwt_previous_key_file: Option<PathBuf>,
    /// Required `iss` claim.
    #[arg(long, env = "LACAK_JWT_ISSUER", default_value = "lacak")]
    pub jwt_issuer: String,
    /// Required `aud` claim.
    #[arg(long, env = "LACAK_JWT_AUDIENCE", default_value = "lacak")]
    pub jwt_audience: String,
    /// Clock skew tolerated on `exp` and `nbf`.
    #[arg(long, env = "LACAK_JWT_LEEWAY", default_value = "30s", value_parser = parse_duration)]
    pub jwt_leeway: Duration,
}

/// Logs, traces and metrics.
#[derive(clap::Args, Debug, Clone)]
pub struct TelemetryArgs {
    /// `pretty` for people, `json` for log collectors.
    #[arg(long, env = "LACAK_LOG_FORMAT", default_value = "pretty")]
    pub log_format: String,
    /// Log filter, e.g. `info` or `lacak_goals=debug,info`.
    #[arg(long, env = "LACAK_LOG", default_value = "info")]
    pub log_filter: String,
    /// Share of traces kept when exporting to OTEL_EXPORTER_OTLP_ENDPOINT, 0..=1.
    #[arg(long, env = "LACAK_TRACE_SAMPLE_RATIO", default_value_t = 1.0)]
    pub trace_sample_ratio: f64,
}

impl TelemetryArgs {
    pub fn to_config(&self, service_name: &str) -> Result<TelemetryConfig, lacak_telemetry::TelemetryError> {
        Ok(TelemetryConfig {
            service_name: service_name.to_owned(),
            log_format: self.log_format.parse::<LogFormat>()?,
            log_filter: self.log_filter.clone(),
            trace_sample_ratio: self.trace_sample_ratio,
        })
    }
}

/// Parses durations written as `250ms`, `30s`, `5m` or `1h`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .ok_or_else(|| format!("{text:?} has no unit; write e.g. 30s, 250ms, 5m"))?;
    let (number, unit) = text.split_at(split);
    let value: u64 = number
        .parse()
        .map_err(|_| format!("{text:?} does not start with a whole number"))?;
    match unit {
        "ms" => Ok(Duration::from_millis(value)),
        "s" => Ok(Duration::from_secs(value)),
        "m" => Ok(Duration::from_secs(value * 60)),
        "h" => Ok(Duration::from_secs(value * 3600)),
        other => Err(format!("unknown unit {other:?}; use ms, s, m or h")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_with_their_units() {
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        assert!(parse_duration("30").is_err());
        assert!(parse_duration("s").is_err());
        assert!(parse_duration("3d").is_err());
    }
}

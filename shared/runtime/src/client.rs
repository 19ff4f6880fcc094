//! Calls from one service to another: a deadline on every call (the caller's remaining one when
//! shorter), W3C trace context, and the caller's identity carried in a service token.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use lacak_domain::{Principal, Role};
use tonic::Status;
use tonic::metadata::MetadataValue;
use tonic::transport::channel::Change;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint, Identity};

use crate::auth::{CallContext, TokenIssuer};

/// How long a service token minted for one outgoing call stays valid.
const SERVICE_TOKEN_TTL: Duration = Duration::from_secs(300);

/// A lazily connected channel to another service's address, e.g. `http://goals:50051`.
pub fn channel(url: &str, connect_timeout: Duration) -> Result<Channel, tonic::transport::Error> {
    Ok(endpoint(url, connect_timeout)?.connect_lazy())
}

fn endpoint(url: &str, connect_timeout: Duration) -> Result<Endpoint, tonic::transport::Error> {
    Ok(Endpoint::from_shared(url.to_owned())?
        .connect_timeout(connect_timeout)
        .tcp_nodelay(true)
        .http2_keep_alive_interval(Duration::from_secs(30))
        .keep_alive_while_idle(true))
}

/// A channel spread over every address `url`'s host resolves to — the pods behind a headless
/// Service — re-resolved every `refresh` as pods come and go. Calls go to the least loaded of two
/// addresses picked at random (tower's power of two choices), which spreads load at least as
/// evenly as round robin and steers around a slow pod.
///
/// An `https://` URL needs `tls`: the server's certificate must name the URL's host (or
/// [`PeerTlsFiles::server_name`]) although calls go to its addresses; the files are re-read when
/// they change, so a renewed client certificate is presented without a restart.
pub fn balanced_channel(
    url: &str,
    connect_timeout: Duration,
    refresh: Duration,
    tls: Option<&PeerTlsFiles>,
) -> Result<Channel, BalanceError> {
    let uri: http::Uri = url.parse().map_err(|_| BalanceError(format!("{url:?} is not a URL")))?;
    let host = uri
        .host()
        .ok_or_else(|| BalanceError(format!("{url:?} names no host")))?
        .trim_matches(['[', ']'])
        .to_owned();
    let scheme = uri.scheme_str().unwrap_or("http").to_owned();
    let tls = match (scheme.as_str(), tls) {
        ("https", Some(files)) => {
            let mut files = files.clone();
            files.server_name.get_or_insert_with(|| host.clone());
            // Unreadable files are a configuration error: refuse to start rather than fail later.
            files.load().map_err(|e| BalanceError(e.to_string()))?;
            Some(files)
        }
        ("https", None) => {
            return Err(BalanceError(format!(
                "{url} is https: configure the CA that signed its certificate"
            )));
        }
        (_, Some(_)) => {
            return Err(BalanceError(format!(
                "TLS settings are configured but {url} is plaintext; use https://"
            )));
        }
        (_, None) => None,
    };
    let port = uri.port_u16().unwrap_or(if scheme == "https" { 443 } else { 80 });
    let resolve = move || {
        let host = host.clone();
        async move {
            match tokio::net::lookup_host((host.as_str(), port)).await {
                Ok(addresses) => addresses.collect(),
                Err(error) => {
                    tracing::warn!(%host, %error, "cannot resolve; keeping the addresses known");
                    Vec::new()
                }
            }
        }
    };
    Ok(balanced_channel_with(&scheme, connect_timeout, refresh, tls, resolve))
}

#[derive(Debug, thiserror::Error)]
#[error("balanced channel: {0}")]
pub struct BalanceError(String);

/// [`balanced_channel`] with the resolution given: what `resolve` answers is the set of addresses
/// calls are spread over. An empty answer (a failed lookup) keeps the addresses already known.
/// With `tls`, every address is dialled over TLS; when its files change, every address gets a new
/// endpoint with the new configuration (files that fail to load keep the previous one).
pub fn balanced_channel_with<F, Fut>(
    scheme: &str,
    connect_timeout: Duration,
    refresh: Duration,
    tls: Option<PeerTlsFiles>,
    resolve: F,
) -> Channel
where
    F: Fn() -> Fut + Send + 'static,
    Fut: std::future::Future<Output = Vec<SocketAddr>> + Send,
{
    let (channel, changes) = Channel::balance_channel::<SocketAddr>(64);
    let scheme = scheme.to_owned();
    tokio::spawn(async move {
        let mut known: HashSet<SocketAddr> = HashSet::new();
        let mut config: Option<(ClientTlsConfig, Vec<Option<SystemTime>>)> = None;
        let mut tick = tokio::time::interval(refresh.max(Duration::from_millis(10)));
        loop {
            tick.tick().await;
            let mut renewed = false;
            if let Some(files) = &tls {
                let stamp = files.stamp();
                if config.as_ref().is_none_or(|(_, seen)| *seen != stamp) {
                    match files.load() {
                        Ok(loaded) => {
                            renewed = config.is_some();
                            if renewed {
                                tracing::info!(ca = %files.ca.display(), "reloaded the TLS files for calls to other services");
                            }
                            config = Some((loaded, stamp));
                        }
                        Err(error) => {
                            tracing::warn!(%error, "the TLS files for calls do not load; keeping the previous ones")
                        }
                    }
                }
                if config.is_none() {
                    continue;
                }
            }
            let now: HashSet<SocketAddr> = resolve().await.into_iter().collect();
            if now.is_empty() && !renewed {
                continue;
            }
            let now = if now.is_empty() { known.clone() } else { now };
            for gone in known.difference(&now) {
                if changes.send(Change::Remove(*gone)).await.is_err() {
                    return;
                }
            }
            // A renewed configuration replaces the endpoint of every address (same key).
            let inserts: Vec<SocketAddr> = if renewed {
                now.iter().copied().collect()
            } else {
                now.difference(&known).copied().collect()
            };
            for new in inserts {
                let Ok(mut endpoint) = endpoint(&format!("{scheme}://{new}"), connect_timeout) else {
                    continue;
                };
                if let Some((tls, _)) = &config {
                    match endpoint.tls_config(tls.clone()) {
                        Ok(with_tls) => endpoint = with_tls,
                        Err(error) => {
                            tracing::warn!(%error, address = %new, "cannot configure TLS for this address");
                            continue;
                        }
                    }
                }
                if changes.send(Change::Insert(new, endpoint)).await.is_err() {
                    return;
                }
            }
            known = now;
        }
    });
    channel
}

/// The PEM files a service presents and trusts when it calls others over TLS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerTlsFiles {
    /// The CA that signed the callees' certificates.
    pub ca: PathBuf,
    /// This service's certificate and key, for callees that require client certificates.
    pub identity: Option<(PathBuf, PathBuf)>,
    /// The name the callees' certificates must carry; the URL's host when unset.
    pub server_name: Option<String>,
}

impl PeerTlsFiles {
    fn stamp(&self) -> Vec<Option<SystemTime>> {
        std::iter::once(&self.ca)
            .chain(self.identity.iter().flat_map(|(cert, key)| [cert, key]))
            .map(|path| std::fs::metadata(path).and_then(|m| m.modified()).ok())
            .collect()
    }

    fn load(&self) -> std::io::Result<ClientTlsConfig> {
        let read = |path: &Path| {
            std::fs::read(path).map_err(|e| std::io::Error::new(e.kind(), format!("{}: {e}", path.display())))
        };
        let mut config = ClientTlsConfig::new().ca_certificate(Certificate::from_pem(read(&self.ca)?));
        if let Some((cert, key)) = &self.identity {
            config = config.identity(Identity::from_pem(read(cert)?, read(key)?));
        }
        if let Some(name) = &self.server_name {
            config = config.domain_name(name.clone());
        }
        Ok(config)
    }
}

/// What a client trusts and, for mutual TLS, presents; PEM contents.
#[derive(Debug, Clone)]
pub struct ClientTls {
    /// The CA that signed the server's certificate.
    pub ca: Vec<u8>,
    /// This service's certificate and key, for servers that require client certificates.
    pub identity: Option<(Vec<u8>, Vec<u8>)>,
    /// The name the server's certificate must carry; the URL's host when unset.
    pub domain: Option<String>,
}

impl ClientTls {
    /// Reads the PEM files of a client's TLS configuration.
    pub fn from_files(ca: &Path, identity: Option<(&Path, &Path)>) -> std::io::Result<Self> {
        Ok(Self {
            ca: std::fs::read(ca)?,
            identity: match identity {
                Some((cert, key)) => Some((std::fs::read(cert)?, std::fs::read(key)?)),
                None => None,
            },
            domain: None,
        })
    }
}

/// A lazily connected TLS channel (`https://…`), presenting a client certificate when given one.
pub fn tls_channel(url: &str, connect_timeout: Duration, tls: &ClientTls) -> Result<Channel, tonic::transport::Error> {
    let mut config = ClientTlsConfig::new().ca_certificate(Certificate::from_pem(&tls.ca));
    if let Some((cert, key)) = &tls.identity {
        config = config.identity(Identity::from_pem(cert, key));
    }
    if let Some(domain) = &tls.domain {
        config = config.domain_name(domain.clone());
    }
    Ok(endpoint(url, connect_timeout)?.tls_config(config)?.connect_lazy())
}

/// Adds `authorization: Bearer <token>` to every request of a client (tools, tests, scripts).
#[derive(Clone)]
pub struct Bearer(MetadataValue<tonic::metadata::Ascii>);

impl Bearer {
    pub fn new(token: &str) -> Self {
        Self(format!("Bearer {token}").parse().expect("a token is ASCII"))
    }
}

impl tonic::service::Interceptor for Bearer {
    fn call(&mut self, mut request: tonic::Request<()>) -> Result<tonic::Request<()>, Status> {
        request.metadata_mut().insert("authorization", self.0.clone());
        Ok(request)
    }
}

/// Dresses outgoing requests. One per calling service; cheap to clone.
#[derive(Clone)]
pub struct Outgoing {
    service_name: String,
    issuer: TokenIssuer,
    default_timeout: Duration,
}

impl Outgoing {
    pub fn new(service_name: &str, issuer: TokenIssuer, default_timeout: Duration) -> Self {
        Self {
            service_name: service_name.to_owned(),
            issuer,
            default_timeout,
        }
    }

    /// A request made on behalf of `caller`: DEADLINE_EXCEEDED at once if its deadline has passed.
    pub fn request<T>(&self, caller: &CallContext, message: T) -> Result<tonic::Request<T>, Status> {
        let timeout = match caller.remaining() {
            Some(remaining) if remaining.is_zero() => {
                return Err(Status::deadline_exceeded("the caller's deadline has passed"));
            }
            Some(remaining) => remaining.min(self.default_timeout),
            None => self.default_timeout,
        };
        let identity = Principal {
            tenant: caller.principal.tenant.clone(),
            subject: self.service_name.clone(),
            role: Role::Service,
            teams: Vec::new(),
        };
        let on_behalf_of = caller.on_behalf_of.as_deref().unwrap_or(&caller.principal.subject);
        let token = self
            .issuer
            .issue(&identity, SERVICE_TOKEN_TTL, Some(on_behalf_of))
            .map_err(|e| Status::internal(format!("cannot sign a service token: {e}")))?;

        let mut request = tonic::Request::new(message);
        request.set_timeout(timeout);
        let bearer = MetadataValue::try_from(format!("Bearer {token}"))
            .map_err(|_| Status::internal("service token is not valid metadata"))?;
        request.metadata_mut().insert("authorization", bearer);
        Ok(request)
    }
}

/// A channel whose every call gets a client span (see [`lacak_telemetry::ClientTelemetry`]),
/// carrying the trace on to the service called.
pub type Traced = lacak_telemetry::ClientTelemetry<Channel>;

/// Wraps a channel so its calls are traced.
pub fn traced(channel: Channel) -> Traced {
    lacak_telemetry::ClientTelemetry::new(channel)
}

/// Every item of a paged list: `fetch(page_token)` asks for one page and answers its items and
/// the next page's token (empty after the last). Each page is retried like [`retry_idempotent`].
pub async fn all_pages<T, F, Fut>(attempts: u32, mut fetch: F) -> Result<Vec<T>, Status>
where
    F: FnMut(String) -> Fut,
    Fut: std::future::Future<Output = Result<(Vec<T>, String), Status>>,
{
    let mut items = Vec::new();
    let mut token = String::new();
    loop {
        let (page, next) = retry_idempotent(attempts, || fetch(token.clone())).await?;
        items.extend(page);
        if next.is_empty() {
            return Ok(items);
        }
        token = next;
    }
}

/// Whether a call failed for a reason a retry cures: UNAVAILABLE, or CANCELLED raised by the
/// client's own transport — the connection closed under the call, as when a server recycles a
/// connection past its age (HTTP/2 GOAWAY) while a call is on its way; tonic reports that as
/// CANCELLED "operation was canceled" and connects again for the next call. A CANCELLED the server
/// answered (its deadline) carries no transport error and is not retried.
pub fn is_transient(status: &Status) -> bool {
    use std::error::Error as _;
    match status.code() {
        tonic::Code::Unavailable => true,
        tonic::Code::Cancelled => status
            .source()
            .is_some_and(|source| source.is::<tonic::transport::Error>()),
        _ => false,
    }
}

/// Runs an idempotent call, retrying transient failures ([`is_transient`]) up to `attempts` times
/// in all with a short doubling backoff; tonic does not act on a service config's retry policy
/// itself.
pub async fn retry_idempotent<T, F, Fut>(attempts: u32, mut call: F) -> Result<T, Status>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, Status>>,
{
    let mut backoff = Duration::from_millis(50);
    let mut attempt = 1;
    loop {
        match call().await {
            Err(status) if is_transient(&status) && attempt < attempts => {
                tracing::debug!(attempt, %status, "retrying a transient failure");
                tokio::time::sleep(backoff).await;
                backoff *= 2;
                attempt += 1;
            }
            outcome => return outcome,
        }
    }
}

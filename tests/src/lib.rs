//! The whole suite in one test process: every service behind one random port, on a fresh SQLite
//! data directory, exactly as `lacak up` assembles it.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use lacak_domain::{Principal, Role};
use lacak_runtime::config::ServerArgs;
use lacak_runtime::server::ServerError;
use lacak_runtime::{ServerHost, TokenIssuer};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tonic::transport::Channel;

/// The HS256 secret every test suite signs and verifies tokens with.
pub const SECRET: &[u8] = b"lacak-e2e-secret-of-at-least-32-bytes";

/// A running suite; stop it with [`Suite::stop`] to see the drain complete.
pub struct Suite {
    pub addr: SocketAddr,
    pub issuer: TokenIssuer,
    stop: Option<oneshot::Sender<()>>,
    server: JoinHandle<Result<(), ServerError>>,
    _data: tempfile::TempDir,
}

/// Starts every service with `args` (its `listen` is ignored: the port is random) and waits
/// until their databases are migrated.
pub async fn spawn_suite(args: ServerArgs) -> anyhow::Result<Suite> {
    spawn_suite_with(args, |_| {}).await
}

/// Like [`spawn_suite`], with `extra` adding more services to the host before it serves.
pub async fn spawn_suite_with(args: ServerArgs, extra: impl FnOnce(&mut ServerHost)) -> anyhow::Result<Suite> {
    let data = tempfile::tempdir()?;
    let (authenticator, issuer) = lacak_runtime::auth::hs256_keys(SECRET, "lacak", "lacak", Duration::from_secs(30));
    let mut host = ServerHost::new(args, Arc::new(authenticator))?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let goals_url = lacak_runtime::db::database_url(None, data.path(), "goals")?;
    let goals_ready = lacak_goals::mount(&mut host, &goals_url).await;
    let inventory_url = lacak_runtime::db::database_url(None, data.path(), "inventory")?;
    let inventory_ready = lacak_inventory::mount(&mut host, &inventory_url).await;
    // Monitoring calls goals and inventory on this very listener, as in `lacak up`.
    let own = Channel::from_shared(format!("http://{addr}"))?.connect_lazy();
    let deps = lacak_monitoring::Dependencies::new(
        own.clone(),
        own,
        lacak_runtime::client::Outgoing::new(lacak_monitoring::SERVICE_NAME, issuer.clone(), Duration::from_secs(5)),
    );
    let monitoring_url = lacak_runtime::db::database_url(None, data.path(), "monitoring")?;
    let monitoring_ready = lacak_monitoring::mount(&mut host, &monitoring_url, deps).await;
    goals_ready.await?;
    inventory_ready.await?;
    monitoring_ready.await?;
    extra(&mut host);
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(host.serve(listener, async move {
        let _ = stopped.await;
    }));
    Ok(Suite {
        addr,
        issuer,
        stop: Some(stop),
        server,
        _data: data,
    })
}

impl Suite {
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub async fn channel(&self) -> anyhow::Result<Channel> {
        Ok(Channel::from_shared(self.url())?.connect().await?)
    }

    /// A plaintext channel that connects on first use (so a refused connection shows on the call).
    pub fn channel_lazy(&self) -> anyhow::Result<Channel> {
        Ok(Channel::from_shared(self.url())?.connect_lazy())
    }

    /// A token for a person or service of `tenant`.
    pub fn token(&self, tenant: &str, subject: &str, role: Role) -> String {
        let principal = Principal {
            tenant: tenant.to_owned(),
            subject: subject.to_owned(),
            role,
            teams: Vec::new(),
        };
        self.issuer
            .issue(&principal, Duration::from_secs(300), None)
            .unwrap_or_default()
    }

    /// Signals shutdown without waiting for the server to finish.
    pub fn begin_shutdown(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }

    /// Signals shutdown and waits for the drain to complete.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        self.begin_shutdown();
        (&mut self.server).await??;
        Ok(())
    }
}

/// A request carrying `authorization: Bearer <token>`.
pub fn authorized<T>(token: &str, message: T) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    if let Ok(value) = format!("Bearer {token}").parse() {
        request.metadata_mut().insert("authorization", value);
    }
    request
}

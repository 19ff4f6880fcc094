//! What every service's black-box tests share: a fresh database per test (SQLite, or PostgreSQL
//! when `LACAK_TEST_POSTGRES_URL` names a server), the service on a random port, and tokens.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use lacak_domain::{Principal, Role};
use lacak_runtime::{ServerHost, TokenIssuer};
use sea_orm::ConnectionTrait as _;
use tempfile::TempDir;
use tonic::transport::Channel;

/// The variable naming a PostgreSQL server to create test databases on.
pub const POSTGRES_URL_VAR: &str = "LACAK_TEST_POSTGRES_URL";

pub use lacak_runtime::client::Bearer;
pub use lacak_runtime::db::with_database;

const SECRET: &[u8] = b"lacak-black-box-tests-secret-0123456789abcdef";

/// One service on 127.0.0.1:0 with its own database; stopped, and its database dropped, on drop.
pub struct TestServer {
    pub channel: Channel,
    pub addr: SocketAddr,
    pub issuer: TokenIssuer,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    database: TestDatabase,
    extra: Vec<TestDatabase>,
}

/// A server host with its database, bound to 127.0.0.1:0 but not yet serving: mount services
/// first (they may call each other at [`Prepared::addr`]), then [`Prepared::serve`].
pub struct Prepared {
    pub host: ServerHost,
    database: TestDatabase,
    extra: Vec<TestDatabase>,
    issuer: TokenIssuer,
    listener: tokio::net::TcpListener,
}

impl Prepared {
    /// A host and a fresh database for `service`; mount the service on `host`, then [`Self::serve`].
    pub async fn new(service: &str) -> Self {
        let database = TestDatabase::create(service).await.expect("a fresh test database");
        let (authenticator, issuer) =
            lacak_runtime::auth::hs256_keys(SECRET, "lacak", "lacak", Duration::from_secs(30));
        let host = ServerHost::new(lacak_runtime::config::ServerArgs::default(), Arc::new(authenticator))
            .expect("a server host");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a free port");
        Self {
            host,
            database,
            extra: Vec::new(),
            issuer,
            listener,
        }
    }

    /// The database URL to mount the service on.
    pub fn url(&self) -> String {
        self.database.url()
    }

    /// Another fresh database, for a second service mounted on the same host.
    pub async fn extra_database(&mut self, service: &str) -> String {
        let database = TestDatabase::create(service).await.expect("a fresh test database");
        let url = database.url();
        self.extra.push(database);
        url
    }

    /// Where the host will serve.
    pub fn addr(&self) -> SocketAddr {
        self.listener.local_addr().expect("the bound address")
    }

    /// Signs tokens the host accepts, e.g. a service's tokens for calls to itself.
    pub fn issuer(&self) -> TokenIssuer {
        self.issuer.clone()
    }

    /// Serves on the bound address and connects a channel.
    pub async fn serve(self) -> TestServer {
        let listener = self.listener;
        let addr = listener.local_addr().expect("the bound address");
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(self.host.serve(listener, async move {
            let _ = stopped.await;
        }));
        let channel = Channel::from_shared(format!("http://{addr}"))
            .expect("a valid URI")
            .connect()
            .await
            .expect("the server accepts connections");
        TestServer {
            channel,
            addr,
            issuer: self.issuer,
            stop: Some(stop),
            database: self.database,
            extra: self.extra,
        }
    }
}

impl TestServer {
    /// A token for anyone in any tenant; `teams` matter for managers.
    pub fn token(&self, tenant: &str, subject: &str, role: Role, teams: &[&str]) -> String {
        self.issuer
            .issue(&principal(tenant, subject, role, teams), Duration::from_secs(300), None)
            .expect("a signed token")
    }

    /// Starts the server's shutdown, as SIGTERM does: it drains, then stops.
    pub fn shut_down(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }

    /// A token whose `exp` is `expires` (seconds since 1970), for tests of tokens that lapse.
    pub fn token_expiring_at(&self, tenant: &str, subject: &str, role: Role, expires: u64) -> String {
        self.issuer
            .issue_expiring(&principal(tenant, subject, role, &[]), expires, None)
            .expect("a signed token")
    }
}

fn principal(tenant: &str, subject: &str, role: Role, teams: &[&str]) -> Principal {
    Principal {
        tenant: tenant.to_owned(),
        subject: subject.to_owned(),
        role,
        teams: teams.iter().map(|t| t.to_string()).collect(),
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.database.drop_now();
        for database in &mut self.extra {
            database.drop_now();
        }
    }
}

/// SQLite in a temporary directory, or a fresh PostgreSQL database.
pub enum TestDatabase {
    Sqlite {
        dir: TempDir,
        service: String,
    },
    Postgres {
        admin_url: String,
        name: String,
        url: String,
    },
}

impl TestDatabase {
    pub async fn create(service: &str) -> anyhow::Result<Self> {
        match std::env::var(POSTGRES_URL_VAR) {
            Ok(admin_url) if !admin_url.is_empty() => {
                let name = format!("lacak_test_{}", uuid::Uuid::new_v4().simple());
                let admin = sea_orm::Database::connect(admin_url.as_str()).await?;
                admin.execute_unprepared(&format!("CREATE DATABASE {name}")).await?;
                admin.close().await?;
                let url = with_database(&admin_url, &name);
                Ok(Self::Postgres { admin_url, name, url })
            }
            _ => Ok(Self::Sqlite {
                dir: tempfile::tempdir()?,
                service: service.to_owned(),
            }),
        }
    }

    pub fn url(&self) -> String {
        match self {
            Self::Sqlite { dir, service } => {
                format!(
                    "sqlite://{}?mode=rwc",
                    dir.path().join(format!("{service}.db")).display()
                )
            }
            Self::Postgres { url, .. } => url.clone(),
        }
    }

    /// Drops a PostgreSQL database on its own thread: Drop cannot await.
    pub fn drop_now(&mut self) {
        if let Self::Postgres { admin_url, name, .. } = self {
            let (admin_url, name) = (admin_url.clone(), name.clone());
            let dropped = std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("a runtime to drop the test database");
                runtime.block_on(async move {
                    let admin = sea_orm::Database::connect(admin_url.as_str()).await?;
                    admin
                        .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .await?;
                    admin.close().await
                })
            })
            .join();
            if let Ok(Err(error)) = dropped {
                eprintln!("could not drop test database: {error}");
            }
        }
    }
}

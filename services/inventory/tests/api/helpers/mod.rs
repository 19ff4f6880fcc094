//! The black-box harness: every test gets its own server on a random port and a fresh database.

use std::sync::Arc;
use std::time::Duration;

use lacak_domain::{Principal, Role};
use lacak_proto::inventory::inventory_service_client::InventoryServiceClient;
use sea_orm::ConnectionTrait as _;
use tempfile::TempDir;
use tonic::Status;
use tonic::metadata::{Ascii, MetadataValue};
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

mod errors;
mod story;

pub use errors::*;
pub use story::*;

/// The tenant every test works in.
pub const TENANT: &str = "acme";
/// A tenant whose callers must never see `TENANT`'s data.
pub const OTHER_TENANT: &str = "globex";
/// The subject of `admin()` tokens, as recorded in `recorded_by` fields.
pub const ADMIN: &str = "admin-ayu";
/// The readiness name the service registers.
pub const SERVICE_NAME: &str = "lacak.inventory.v1.InventoryService";

const SECRET: &[u8] = b"lacak-inventory-integration-tests-secret-0123456789";

/// An inventory client that sends one bearer token with every call.
pub type Inventory = InventoryServiceClient<InterceptedService<Channel, Bearer>>;

/// Adds `authorization: Bearer <token>` to every request.
#[derive(Clone)]
pub struct Bearer(MetadataValue<Ascii>);

impl tonic::service::Interceptor for Bearer {
    fn call(&mut self, mut request: tonic::Request<()>) -> Result<tonic::Request<()>, Status> {
        request.metadata_mut().insert("authorization", self.0.clone());
        Ok(request)
    }
}

/// A running inventory service and what a test needs to talk to it.
pub struct TestApp {
    pub channel: Channel,
    issuer: lacak_runtime::TokenIssuer,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    database: TestDatabase,
}

/// Starts the service on 127.0.0.1:0 with its own database, and waits until it is ready.
pub async fn spawn_app() -> TestApp {
    let database = TestDatabase::create().await.expect("a fresh test database");
    let (authenticator, issuer) = lacak_runtime::auth::hs256_keys(SECRET, "lacak", "lacak", Duration::from_secs(30));
    let mut host =
        lacak_runtime::ServerHost::new(lacak_runtime::config::ServerArgs::default(), Arc::new(authenticator))
            .expect("a server host");
    let ready = lacak_inventory::mount(&mut host, &database.url()).await;
    ready.await.expect("the inventory service connects and migrates");

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a free port");
    let addr = listener.local_addr().expect("the bound address");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(host.serve(listener, async move {
        let _ = stopped.await;
    }));
    let channel = Channel::from_shared(format!("http://{addr}"))
        .expect("a valid URI")
        .connect()
        .await
        .expect("the server accepts connections");
    TestApp {
        channel,
        issuer,
        stop: Some(stop),
        database,
    }
}

impl TestApp {
    /// A token for anyone in any tenant.
    pub fn token(&self, tenant: &str, subject: &str, role: Role) -> String {
        let principal = Principal {
            tenant: tenant.to_owned(),
            subject: subject.to_owned(),
            role,
            teams: vec![],
        };
        self.issuer
            .issue(&principal, Duration::from_secs(300), None)
            .expect("a signed token")
    }

    /// A client presenting `token`.
    pub fn client(&self, token: &str) -> Inventory {
        let value = format!("Bearer {token}").parse().expect("an ASCII header value");
        InventoryServiceClient::with_interceptor(self.channel.clone(), Bearer(value))
    }

    /// A client sending no token at all.
    pub fn anonymous(&self) -> InventoryServiceClient<Channel> {
        InventoryServiceClient::new(self.channel.clone())
    }

    /// The tenant's administrator.
    pub fn admin(&self) -> Inventory {
        self.client(&self.token(TENANT, ADMIN, Role::Admin))
    }

    /// A sales manager of the tenant.
    pub fn manager(&self) -> Inventory {
        self.client(&self.token(TENANT, "manager-made", Role::Manager))
    }

    /// A sales rep of the tenant.
    pub fn rep(&self) -> Inventory {
        self.client(&self.token(TENANT, "rep-ana", Role::Rep))
    }

    /// Another Lacak service (e.g. the order pipeline) acting for the tenant.
    pub fn service(&self) -> Inventory {
        self.client(&self.token(TENANT, "orders", Role::Service))
    }

    /// The administrator of another tenant.
    pub fn other_tenant_admin(&self) -> Inventory {
        self.client(&self.token(OTHER_TENANT, "admin-zed", Role::Admin))
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.database.drop_now();
    }
}

/// SQLite in a temporary directory, or a fresh PostgreSQL database when
/// `LACAK_TEST_POSTGRES_URL` names a server to create it on.
enum TestDatabase {
    Sqlite(TempDir),
    Postgres {
        admin_url: String,
        name: String,
        url: String,
    },
}

impl TestDatabase {
    async fn create() -> anyhow::Result<Self> {
        match std::env::var("LACAK_TEST_POSTGRES_URL") {
            Ok(admin_url) if !admin_url.is_empty() => {
                let name = format!("lacak_test_{}", uuid::Uuid::new_v4().simple());
                let admin = sea_orm::Database::connect(admin_url.as_str()).await?;
                admin.execute_unprepared(&format!("CREATE DATABASE {name}")).await?;
                admin.close().await?;
                let url = with_database(&admin_url, &name);
                Ok(Self::Postgres { admin_url, name, url })
            }
            _ => Ok(Self::Sqlite(tempfile::tempdir()?)),
        }
    }

    fn url(&self) -> String {
        match self {
            Self::Sqlite(dir) => format!("sqlite://{}?mode=rwc", dir.path().join("inventory.db").display()),
            Self::Postgres { url, .. } => url.clone(),
        }
    }

    /// Drops a PostgreSQL database on its own thread: Drop cannot await.
    fn drop_now(&mut self) {
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

/// The admin URL with its path (the database name) replaced, its query kept.
fn with_database(admin_url: &str, name: &str) -> String {
    let (base, query) = match admin_url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (admin_url, None),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let path_start = base[authority_start..]
        .find('/')
        .map_or(base.len(), |i| authority_start + i);
    let mut url = format!("{}/{name}", &base[..path_start]);
    if let Some(query) = query {
        url.push('?');
        url.push_str(query);
    }
    url
}

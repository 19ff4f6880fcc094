//! The black-box harness: every test gets its own server on a random port and a fresh database.

use lacak_domain::Role;
use lacak_proto::inventory::inventory_service_client::InventoryServiceClient;
use lacak_testkit::{Bearer, Prepared, TestServer};
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

/// An inventory client that sends one bearer token with every call.
pub type Inventory = InventoryServiceClient<InterceptedService<Channel, Bearer>>;

/// A running inventory service and what a test needs to talk to it.
pub struct TestApp {
    server: TestServer,
    pub channel: Channel,
}

/// Starts the service on 127.0.0.1:0 with its own database, and waits until it is ready.
pub async fn spawn_app() -> TestApp {
    let mut prepared = Prepared::new("inventory").await;
    let url = prepared.url();
    let ready = lacak_inventory::mount(&mut prepared.host, &url).await;
    ready.await.expect("the service connects and migrates");
    let server = prepared.serve().await;
    TestApp {
        channel: server.channel.clone(),
        server,
    }
}

impl TestApp {
    /// A token for anyone in any tenant.
    pub fn token(&self, tenant: &str, subject: &str, role: Role) -> String {
        self.server.token(tenant, subject, role, &[])
    }

    /// A client presenting `token`.
    pub fn client(&self, token: &str) -> Inventory {
        InventoryServiceClient::with_interceptor(self.channel.clone(), Bearer::new(token))
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

    /// Strategy applying a recommendation for the manager who accepted it (`act` in its token).
    pub fn applier(&self) -> Inventory {
        let principal = lacak_domain::Principal {
            tenant: TENANT.into(),
            subject: "lacak-strategy".into(),
            role: Role::Service,
            teams: Vec::new(),
        };
        let token = self
            .server
            .issuer
            .issue(&principal, std::time::Duration::from_secs(300), Some("manager-made"))
            .expect("a signed token");
        self.client(&token)
    }

    /// The administrator of another tenant.
    pub fn other_tenant_admin(&self) -> Inventory {
        self.client(&self.token(OTHER_TENANT, "admin-zed", Role::Admin))
    }
}

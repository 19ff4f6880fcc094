//! The black-box harness: the suite of three services on a random port, and the story helpers.

use std::time::Duration;

use lacak_domain::Role;
use lacak_proto::goals::goals_service_client::GoalsServiceClient;
use lacak_proto::inventory::inventory_service_client::InventoryServiceClient;
use lacak_proto::monitoring::monitoring_service_client::MonitoringServiceClient;
use lacak_testkit::{Bearer, Prepared, TestServer};
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

mod story;

pub use story::*;

/// The tenant every test works in.
pub const TENANT: &str = "acme";
/// A tenant whose callers must never see `TENANT`'s data.
pub const OTHER_TENANT: &str = "globex";

pub type Goals = GoalsServiceClient<InterceptedService<Channel, Bearer>>;
pub type Inventory = InventoryServiceClient<InterceptedService<Channel, Bearer>>;
pub type Monitoring = MonitoringServiceClient<InterceptedService<Channel, Bearer>>;

/// Goals, inventory and monitoring on one server, monitoring calling the other two through it.
pub struct Suite {
    server: TestServer,
    /// Monitoring's database, for a second replica.
    monitoring_url: String,
}

/// How monitoring reaches inventory in a test.
pub enum InventoryAt {
    /// On the same server.
    Here,
    /// At this address, which may not be answering yet.
    Elsewhere(std::net::SocketAddr),
}

pub async fn spawn_suite() -> Suite {
    spawn_suite_with(InventoryAt::Here).await
}

pub async fn spawn_suite_with(inventory: InventoryAt) -> Suite {
    let mut prepared = Prepared::new("monitoring").await;
    let goals_url = prepared.extra_database("goals").await;
    let goals_ready = lacak_goals::mount(&mut prepared.host, &goals_url).await;
    // As in `lacak up`: the services of one host call each other in process.
    let own = prepared.host.in_process_channel();
    let inventory_channel = match inventory {
        InventoryAt::Here => {
            let url = prepared.extra_database("inventory").await;
            lacak_inventory::mount(&mut prepared.host, &url)
                .await
                .await
                .expect("inventory migrates");
            own.clone()
        }
        InventoryAt::Elsewhere(addr) => Channel::from_shared(format!("http://{addr}"))
            .expect("a URL")
            .connect_lazy(),
    };
    let deps = lacak_monitoring::Dependencies::new(
        own,
        inventory_channel,
        lacak_runtime::client::Outgoing::new(
            lacak_monitoring::SERVICE_NAME,
            prepared.issuer(),
            Duration::from_millis(1500),
        ),
    );
    let url = prepared.url();
    let ready = lacak_monitoring::mount(&mut prepared.host, &url, deps).await;
    goals_ready.await.expect("goals migrates");
    ready.await.expect("monitoring migrates");
    Suite {
        server: prepared.serve().await,
        monitoring_url: url,
    }
}

/// A second monitoring replica on its own port, on the suite's monitoring database, calling the
/// suite's goals and inventory.
pub async fn monitoring_replica(suite: &Suite) -> TestServer {
    let mut prepared = Prepared::new("monitoring-replica").await;
    let others = Channel::from_shared(format!("http://{}", suite.server.addr))
        .expect("a URL")
        .connect_lazy();
    let deps = lacak_monitoring::Dependencies::new(
        others.clone(),
        others,
        lacak_runtime::client::Outgoing::new(
            lacak_monitoring::SERVICE_NAME,
            prepared.issuer(),
            Duration::from_millis(1500),
        ),
    );
    let ready = lacak_monitoring::mount(&mut prepared.host, &suite.monitoring_url, deps).await;
    ready.await.expect("the replica connects");
    prepared.serve().await
}

/// Inventory alone on a port of its own, not yet serving: monitoring's calls to it wait and fail.
pub async fn prepare_inventory() -> Prepared {
    let mut prepared = Prepared::new("inventory").await;
    let url = prepared.url();
    lacak_inventory::mount(&mut prepared.host, &url)
        .await
        .await
        .expect("inventory migrates");
    prepared
}

impl Suite {
    /// Starts the server's shutdown, as SIGTERM does.
    pub fn shut_down(&mut self) {
        self.server.shut_down();
    }

    pub fn token(&self, tenant: &str, subject: &str, role: Role, teams: &[&str]) -> String {
        self.server.token(tenant, subject, role, teams)
    }

    /// An admin token of the suite's tenant whose `exp` is `expires` (seconds since 1970).
    pub fn admin_token_expiring_at(&self, expires: u64) -> String {
        self.server.token_expiring_at(TENANT, "ingester", Role::Admin, expires)
    }

    pub fn goals(&self, token: &str) -> Goals {
        GoalsServiceClient::with_interceptor(self.server.channel.clone(), Bearer::new(token))
    }

    pub fn inventory(&self, token: &str) -> Inventory {
        InventoryServiceClient::with_interceptor(self.server.channel.clone(), Bearer::new(token))
    }

    pub fn monitoring(&self, token: &str) -> Monitoring {
        MonitoringServiceClient::with_interceptor(self.server.channel.clone(), Bearer::new(token))
            .max_decoding_message_size(64 << 20)
    }

    pub fn admin_token(&self) -> String {
        self.token(TENANT, "admin-ayu", Role::Admin, &[])
    }

    pub fn admin(&self) -> Monitoring {
        self.monitoring(&self.admin_token())
    }

    pub fn manager(&self, teams: &[&str]) -> Monitoring {
        self.monitoring(&self.token(TENANT, "mgr-made", Role::Manager, teams))
    }

    pub fn rep(&self, member: &str) -> Monitoring {
        self.monitoring(&self.token(TENANT, member, Role::Rep, &[]))
    }

    /// A fresh connection to the suite, for clients that must not share one.
    pub async fn fresh_channel(&self) -> Channel {
        Channel::from_shared(format!("http://{}", self.server.addr))
            .expect("a URL")
            .connect()
            .await
            .expect("the suite accepts connections")
    }

    pub fn monitoring_on(&self, channel: Channel, token: &str) -> Monitoring {
        MonitoringServiceClient::with_interceptor(channel, Bearer::new(token))
    }
}

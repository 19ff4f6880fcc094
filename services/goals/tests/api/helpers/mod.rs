//! The black-box harness: every test gets its own server on a random port and a fresh database.

use lacak_domain::Role;
use std::time::Duration;

use lacak_domain::Principal;
use lacak_proto::goals::goals_service_client::GoalsServiceClient;
use lacak_runtime::auth::TokenIssuer;
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
/// The subject of `admin()` tokens, as recorded in `actor` fields.
pub const ADMIN: &str = "admin-ayu";
/// The subject of `strategy()` tokens.
pub const STRATEGY: &str = "strategy";

/// A goals client that sends one bearer token with every call.
pub type Goals = GoalsServiceClient<InterceptedService<Channel, Bearer>>;

/// A running goals service and what a test needs to talk to it.
pub struct TestApp {
    server: TestServer,
    /// Signs the tokens the testkit has no shortcut for, such as a service's calling for a person.
    issuer: TokenIssuer,
    pub channel: Channel,
}

/// Starts the service on 127.0.0.1:0 with its own database, and waits until it is ready.
pub async fn spawn_app() -> TestApp {
    let mut prepared = Prepared::new("goals").await;
    let url = prepared.url();
    let issuer = prepared.issuer();
    let ready = lacak_goals::mount(&mut prepared.host, &url).await;
    ready.await.expect("the service connects and migrates");
    let server = prepared.serve().await;
    TestApp {
        channel: server.channel.clone(),
        server,
        issuer,
    }
}

impl TestApp {
    /// A token for anyone in any tenant.
    pub fn token(&self, tenant: &str, subject: &str, role: Role, teams: &[&str]) -> String {
        self.server.token(tenant, subject, role, teams)
    }

    /// A client presenting `token`.
    pub fn client(&self, token: &str) -> Goals {
        GoalsServiceClient::with_interceptor(self.channel.clone(), Bearer::new(token))
    }

    /// A client sending no token at all.
    pub fn anonymous(&self) -> GoalsServiceClient<Channel> {
        GoalsServiceClient::new(self.channel.clone())
    }

    /// The tenant's administrator.
    pub fn admin(&self) -> Goals {
        self.client(&self.token(TENANT, ADMIN, Role::Admin, &[]))
    }

    /// The manager leading `team` (given as its id, e.g. "sales").
    pub fn manager_of(&self, team: &str) -> Goals {
        let subject = format!("lead-of-{team}");
        self.client(&self.token(TENANT, &subject, Role::Manager, &[team]))
    }

    /// The rep who is `member` (given as its id, e.g. "ana").
    pub fn rep(&self, member: &str) -> Goals {
        self.client(&self.token(TENANT, member, Role::Rep, &[]))
    }

    /// Another Lacak service reading the tenant.
    pub fn service(&self) -> Goals {
        self.client(&self.token(TENANT, "insights", Role::Service, &[]))
    }

    /// The strategy service of `tenant`, calling for `person` (its token's `act`) when given, else
    /// on its own account.
    pub fn strategy(&self, tenant: &str, person: Option<&str>) -> Goals {
        let service = Principal {
            tenant: tenant.to_owned(),
            subject: STRATEGY.to_owned(),
            role: Role::Service,
            teams: Vec::new(),
        };
        let token = self
            .issuer
            .issue(&service, Duration::from_secs(300), person)
            .expect("a signed token");
        self.client(&token)
    }

    /// The administrator of another tenant.
    pub fn other_tenant_admin(&self) -> Goals {
        self.client(&self.token(OTHER_TENANT, "admin-zed", Role::Admin, &[]))
    }
}

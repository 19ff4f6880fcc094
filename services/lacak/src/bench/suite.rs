//! The suite under test, started in this process on fresh databases.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use lacak_domain::{Principal, Role};
use lacak_runtime::ServerHost;
use sea_orm::{ConnectionTrait, Statement};

use lacak_proto::strategy::strategy_service_client::StrategyServiceClient;
use tonic::service::interceptor::InterceptedService;

use lacak_runtime::client::Bearer;

use crate::client::{Clients, clients};

use super::workload::member;
use super::{MEMBERS_PER_TEAM, TEAMS, TENANT};

pub(super) enum Backend {
    Sqlite(PathBuf),
    Postgres(String),
}

/// The suite under test, in this process.
pub(super) struct Suite {
    pub(super) clients: Clients,
    pub(super) strategy: StrategyServiceClient<InterceptedService<tonic::transport::Channel, Bearer>>,
    stop: tokio::sync::oneshot::Sender<()>,
    monitoring_db: sea_orm::DatabaseConnection,
    databases: Vec<String>,
}

impl Suite {
    pub(super) async fn start(backend: &Backend) -> anyhow::Result<Suite> {
        let stamp = Utc::now().format("%H%M%S").to_string();
        let mut urls = Vec::new();
        let mut databases = Vec::new();
        for service in ["goals", "inventory", "monitoring", "strategy"] {
            let url = match backend {
                Backend::Sqlite(dir) => format!(
                    "sqlite://{}?mode=rwc",
                    dir.join(format!("bench-{stamp}-{service}.db")).display()
                ),
                Backend::Postgres(admin) => {
                    let name = format!("lacak_bench_{stamp}_{service}");
                    let connection = sea_orm::Database::connect(admin.as_str()).await?;
                    connection
                        .execute_unprepared(&format!("CREATE DATABASE {name}"))
                        .await?;
                    connection.close().await?;
                    databases.push(name.clone());
                    lacak_runtime::db::with_database(admin, &name)
                }
            };
            urls.push(url);
        }
        let secret: [u8; 32] = std::array::from_fn(|i| (i as u8).wrapping_mul(37).wrapping_add(11));
        let (authenticator, issuer) =
            lacak_runtime::auth::hs256_keys(&secret, "lacak", "lacak", Duration::from_secs(30));
        let server_args = lacak_runtime::config::ServerArgs {
            max_concurrent_requests: 4096,
            request_timeout: Duration::from_secs(3600),
            // One client for the whole run: a connection recycled under a timed call would
            // measure the reconnection, not the service.
            max_connection_age: Duration::from_secs(24 * 3600),
            ..Default::default()
        };
        let mut host = ServerHost::new(server_args, Arc::new(authenticator))?;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let own = format!("http://{}", listener.local_addr()?);
        let goals = lacak_goals::mount(&mut host, &urls[0]).await;
        let inventory = lacak_inventory::mount(&mut host, &urls[1]).await;
        // As in `lacak up`: monitoring calls goals and inventory in process.
        let channel = host.in_process_channel();
        let deps = lacak_monitoring::Dependencies::new(
            channel.clone(),
            channel,
            lacak_runtime::client::Outgoing::new(
                lacak_monitoring::SERVICE_NAME,
                issuer.clone(),
                Duration::from_secs(10),
            ),
        );
        let monitoring = lacak_monitoring::mount(&mut host, &urls[2], deps).await;
        // Strategy as in `lacak up` too, for the team-wide forecasts and proposals.
        let channel = host.in_process_channel();
        let strategy_deps = lacak_strategy::Dependencies::new(
            channel.clone(),
            channel.clone(),
            channel,
            lacak_runtime::client::Outgoing::new(lacak_strategy::SERVICE_NAME, issuer.clone(), Duration::from_secs(60)),
        );
        let strategy =
            lacak_strategy::mount(&mut host, &urls[3], strategy_deps, lacak_strategy::Settings::default()).await;
        goals.await?;
        inventory.await?;
        monitoring.await?;
        strategy.await?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(host.serve(listener, async move {
            let _ = stopped.await;
        }));
        let token = issuer.issue(
            &Principal {
                tenant: TENANT.into(),
                subject: "bench".into(),
                role: Role::Admin,
                teams: Vec::new(),
            },
            Duration::from_secs(24 * 3600),
            None,
        )?;
        let channel = tonic::transport::Channel::from_shared(own)?.connect().await?;
        let monitoring_db = lacak_runtime::db::connect(&urls[2]).await?;
        Ok(Suite {
            strategy: StrategyServiceClient::with_interceptor(channel.clone(), Bearer::new(&token))
                .max_decoding_message_size(256 << 20),
            clients: clients(channel, &token),
            stop,
            monitoring_db,
            databases,
        })
    }

    /// The team's revenue for the period straight from the raw sale rows, as a plain SQL
    /// aggregate would compute it without rollups (every bench sale is credited to its owner alone).
    pub(super) async fn raw_team_revenue(&self) -> anyhow::Result<()> {
        let backend = self.monitoring_db.get_database_backend();
        let members: Vec<String> = (0..TEAMS * MEMBERS_PER_TEAM)
            .map(|i| format!("'{}'", member(i)))
            .collect();
        let (start, end) = ("2025-04-01T00:00:00+00:00", "2025-07-01T00:00:00+00:00");
        let (start, end) = match backend {
            sea_orm::DbBackend::Postgres => (format!("TIMESTAMPTZ '{start}'"), format!("TIMESTAMPTZ '{end}'")),
            _ => (format!("'{start}'"), format!("'{end}'")),
        };
        let sql = format!(
            "SELECT CAST(SUM(revenue_units) AS BIGINT) AS revenue FROM sales WHERE tenant = '{TENANT}' \
             AND owner IN ({}) AND book_time >= {start} AND book_time < {end}",
            members.join(",")
        );
        self.monitoring_db
            .query_one_raw(Statement::from_string(backend, sql))
            .await?;
        Ok(())
    }

    /// Refreshes PostgreSQL's planner statistics, as autovacuum would between the steps (this
    /// machine's server runs with autovacuum off). SQLite's planner needs none.
    pub(super) async fn analyze(&self) -> anyhow::Result<()> {
        if self.monitoring_db.get_database_backend() == sea_orm::DbBackend::Postgres {
            self.monitoring_db.execute_unprepared("ANALYZE").await?;
        }
        Ok(())
    }

    pub(super) async fn stop(self, backend: &Backend) {
        let _ = self.stop.send(());
        let _ = self.monitoring_db.close().await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        if let Backend::Postgres(admin) = backend
            && let Ok(connection) = sea_orm::Database::connect(admin.as_str()).await
        {
            for name in &self.databases {
                let _ = connection
                    .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .await;
            }
        }
    }
}

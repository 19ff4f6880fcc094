//! `lacak bench`: ingestion throughput (durable sale lines per second) and KPI read latency
//! (p50, p99) as history grows to 10 thousand, 1 million and 10 million sales, on SQLite and on
//! PostgreSQL in the same run, beside two yardsticks: a streaming RPC that stores nothing
//! (`validate_only`), and the same team revenue computed by a plain SQL aggregate over the raw
//! sale rows instead of the rollups.
//!
//! The bench starts its own suite in this process, on 127.0.0.1 with fresh databases, and talks to
//! it over real gRPC. Run it from a release build: `cargo run --release --bin lacak -- bench`.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::{DateTime, TimeZone, Utc};
use futures::StreamExt;
use lacak_domain::{Principal, Role};
use lacak_proto::common::{Decimal as PbDecimal, Measure, Money, measure};
use lacak_proto::goals as gpb;
use lacak_proto::inventory as ipb;
use lacak_proto::monitoring::{self as pb, IngestEvent, ingest_event::Event};
use lacak_runtime::ServerHost;
use sea_orm::{ConnectionTrait, Statement};

use crate::client::{Clients, clients};
use crate::report::status_error;

#[derive(clap::Args)]
pub struct BenchArgs {
    /// History sizes to measure at, in sales, ascending: each step ingests up to the next size.
    #[arg(long, value_delimiter = ',', default_value = "10000,1000000,10000000")]
    pub sizes: Vec<u64>,
    /// Also run on this PostgreSQL server (databases are created and dropped), e.g.
    /// postgres://postgres@127.0.0.1:5432/postgres.
    #[arg(long, env = "LACAK_BENCH_POSTGRES_URL")]
    pub postgres: Option<String>,
    /// Skip SQLite.
    #[arg(long)]
    pub no_sqlite: bool,
    /// Lines per sale.
    #[arg(long, default_value_t = 2)]
    pub lines: usize,
    /// Concurrent ingestion streams.
    #[arg(long, default_value_t = 2)]
    pub streams: usize,
    /// KPI reads per measurement.
    #[arg(long, default_value_t = 200)]
    pub reads: usize,
    /// Where SQLite databases go (a temporary directory when unset).
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// Append the results as a Markdown table to this file.
    #[arg(long)]
    pub markdown: Option<PathBuf>,
}

const TENANT: &str = "bench";
const TEAMS: usize = 4;
const MEMBERS_PER_TEAM: usize = 10;
const SKUS: usize = 20;
const BATCH: usize = 1000;
/// The quarter read: history spans FY2024 to FY2026, so it holds about a twelfth of the sales.
const PERIOD: &str = "FY2025-Q2";

/// One measured row of the results.
struct Row {
    backend: &'static str,
    sales: u64,
    lines_per_second: f64,
    kpis: (f64, f64),
    report: (f64, f64),
    raw_sql: (f64, f64),
}

pub async fn run(args: BenchArgs) -> anyhow::Result<()> {
    let dir = match &args.dir {
        Some(dir) => {
            std::fs::create_dir_all(dir)?;
            None
        }
        None => Some(tempfile::tempdir()?),
    };
    let root = args
        .dir
        .clone()
        .unwrap_or_else(|| dir.as_ref().map(|d| d.path().to_path_buf()).unwrap_or_default());
    let mut backends: Vec<(&'static str, Backend)> = Vec::new();
    if !args.no_sqlite {
        backends.push(("SQLite", Backend::Sqlite(root.clone())));
    }
    if let Some(url) = &args.postgres {
        backends.push(("PostgreSQL", Backend::Postgres(url.clone())));
    }
    println!(
        "machine: {} cores; {} lines per sale; {} streams",
        std::thread::available_parallelism()?.get(),
        args.lines,
        args.streams
    );
    let mut rows = Vec::new();
    let mut raw_rates = Vec::new();
    for (name, backend) in backends {
        let suite = Suite::start(&backend).await?;
        let result = measure(&args, name, &suite, &mut rows, &mut raw_rates).await;
        suite.stop(&backend).await;
        result?;
    }
    let table = markdown(&rows, &raw_rates);
    println!("\n{table}");
    if let Some(path) = &args.markdown {
        use std::io::Write;
        let mut file = std::fs::OpenOptions::new().create(true).append(true).open(path)?;
        writeln!(file, "{table}")?;
    }
    Ok(())
}

async fn measure(
    args: &BenchArgs,
    backend: &'static str,
    suite: &Suite,
    rows: &mut Vec<Row>,
    raw_rates: &mut Vec<(&'static str, f64)>,
) -> anyhow::Result<()> {
    let mut clients = suite.clients.clone();
    setup(&mut clients).await?;
    let raw = ingest(
        &clients,
        0,
        200_000.min(args.sizes.last().copied().unwrap_or(0)).max(20_000),
        args,
        true,
    )
    .await?;
    println!("{backend}: a streaming RPC that stores nothing takes {raw:.0} lines/s");
    raw_rates.push((backend, raw));
    let mut stored = 0;
    for &size in &args.sizes {
        let rate = ingest(&clients, stored, size - stored.min(size), args, false).await?;
        stored = stored.max(size);
        suite.analyze().await?;
        let kpis = latency(args.reads, || {
            let mut monitoring = clients.monitoring.clone();
            async move {
                monitoring
                    .get_kpis(pb::GetKpisRequest {
                        owner: "teams/sales".into(),
                        period: PERIOD.into(),
                        scope: None,
                        currency_code: "IDR".into(),
                    })
                    .await
                    .map(|_| ())
                    .map_err(status_error)
            }
        })
        .await?;
        let report = latency(args.reads, || {
            let mut monitoring = clients.monitoring.clone();
            async move {
                monitoring
                    .get_tracking_report(pb::GetTrackingReportRequest {
                        team: "teams/sales".into(),
                        period: PERIOD.into(),
                        currency_code: "IDR".into(),
                        ..Default::default()
                    })
                    .await
                    .map(|_| ())
                    .map_err(status_error)
            }
        })
        .await?;
        let raw_sql = latency(args.reads.min(20), || suite.raw_team_revenue()).await?;
        println!(
            "{backend} at {size} sales: ingest {rate:.0} lines/s; GetKpis p50 {:.2} ms p99 {:.2} ms; report p50 {:.2} ms p99 {:.2} ms; raw SQL p50 {:.2} ms p99 {:.2} ms",
            kpis.0, kpis.1, report.0, report.1, raw_sql.0, raw_sql.1
        );
        rows.push(Row {
            backend,
            sales: size,
            lines_per_second: rate,
            kpis,
            report,
            raw_sql,
        });
    }
    Ok(())
}

/// p50 and p99 of `n` sequential calls, in milliseconds.
async fn latency<F, Fut>(n: usize, mut call: F) -> anyhow::Result<(f64, f64)>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<()>>,
{
    call().await?; // warm caches and connections
    let mut samples = Vec::with_capacity(n);
    for _ in 0..n {
        let started = Instant::now();
        call().await?;
        samples.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    samples.sort_by(f64::total_cmp);
    let at = |q: f64| samples[((samples.len() as f64 - 1.0) * q).round() as usize];
    Ok((at(0.50), at(0.99)))
}

fn money(amount: i64) -> Option<Money> {
    Some(Money {
        currency_code: "IDR".into(),
        units: amount,
        nanos: 0,
    })
}

fn member(i: usize) -> String {
    format!("m{i:02}")
}

async fn setup(clients: &mut Clients) -> anyhow::Result<()> {
    let team = |id: String, parent: &str| gpb::CreateTeamRequest {
        team: Some(gpb::Team {
            display_name: id.to_uppercase(),
            parent: parent.to_owned(),
            ..Default::default()
        }),
        team_id: id.clone(),
        request_id: format!("bench-team-{id}"),
    };
    clients
        .goals
        .create_team(team("sales".into(), ""))
        .await
        .map_err(status_error)?;
    for t in 0..TEAMS {
        clients
            .goals
            .create_team(team(format!("t{t}"), "teams/sales"))
            .await
            .map_err(status_error)?;
        for m in 0..MEMBERS_PER_TEAM {
            let id = member(t * MEMBERS_PER_TEAM + m);
            clients
                .goals
                .create_member(gpb::CreateMemberRequest {
                    member: Some(gpb::Member {
                        display_name: id.clone(),
                        team: format!("teams/t{t}"),
                        active: true,
                        ..Default::default()
                    }),
                    member_id: id.clone(),
                    request_id: format!("bench-member-{id}"),
                })
                .await
                .map_err(status_error)?;
            clients
                .goals
                .create_quota(gpb::CreateQuotaRequest {
                    quota: Some(gpb::Quota {
                        owner: format!("members/{id}"),
                        metric: gpb::Metric::Revenue as i32,
                        period: PERIOD.into(),
                        target: Some(Measure {
                            kind: Some(measure::Kind::Money(money(50_000_000).unwrap_or_default())),
                        }),
                        ..Default::default()
                    }),
                    reason: "bench".into(),
                    request_id: format!("bench-quota-{id}"),
                })
                .await
                .map_err(status_error)?;
        }
    }
    for s in 0..SKUS {
        let sku = format!("SKU-{s:02}");
        clients
            .inventory
            .create_product(ipb::CreateProductRequest {
                product: Some(ipb::Product {
                    display_name: sku.clone(),
                    kind: ipb::ProductKind::Product as i32,
                    unit_of_measure: "unit".into(),
                    ..Default::default()
                }),
                sku: sku.clone(),
                request_id: format!("bench-product-{sku}"),
            })
            .await
            .map_err(status_error)?;
        clients
            .inventory
            .create_cost_breakdown(ipb::CreateCostBreakdownRequest {
                parent: format!("products/{sku}"),
                cost_breakdown: Some(ipb::CostBreakdown {
                    sourcing: money(1000 + 100 * s as i64),
                    effective_time: Some(prost_types::Timestamp {
                        seconds: Utc
                            .with_ymd_and_hms(2023, 1, 1, 0, 0, 0)
                            .single()
                            .map_or(0, |t| t.timestamp()),
                        nanos: 0,
                    }),
                    ..Default::default()
                }),
                request_id: format!("bench-cost-{sku}"),
            })
            .await
            .map_err(status_error)?;
    }
    Ok(())
}

/// Sale `n` of the bench history: deterministic. Each step of the history (sales `first` to
/// `first + count`) spans FY2024–FY2026 in booking order, as a live feed arrives, so a batch of a
/// thousand covers minutes to days depending on the step's size.
fn sale(n: u64, first: u64, count: u64, lines: usize, prefix: &str) -> IngestEvent {
    let start = Utc
        .with_ymd_and_hms(2024, 1, 1, 0, 0, 0)
        .single()
        .map_or(0, |t: DateTime<Utc>| t.timestamp());
    let span: u64 = 3 * 365 * 86_400;
    let mixed = n.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let at = start + ((n - first) as u128 * span as u128 / count.max(1) as u128) as i64;
    let owner = member((mixed >> 20) as usize % (TEAMS * MEMBERS_PER_TEAM));
    let id = format!("{prefix}{n}");
    IngestEvent {
        external_id: id.clone(),
        event: Some(Event::Sale(pb::Sale {
            owner: format!("members/{owner}"),
            lines: (0..lines)
                .map(|l| pb::SaleLine {
                    sku: format!("SKU-{:02}", (mixed >> (8 + l)) as usize % SKUS),
                    quantity: Some(PbDecimal {
                        value: (1 + (mixed >> 30) % 5).to_string(),
                    }),
                    unit_price: money(2_000 + 10 * ((mixed >> 40) % 100) as i64),
                    discount_percent: None,
                    ..Default::default()
                })
                .collect(),
            book_time: Some(prost_types::Timestamp { seconds: at, nanos: 0 }),
            external_id: id,
            ..Default::default()
        })),
    }
}

/// Sends `count` sales from `first` over the configured streams; answers sale lines per second
/// from the first batch sent to the last acknowledgement.
async fn ingest(
    clients: &Clients,
    first: u64,
    count: u64,
    args: &BenchArgs,
    validate_only: bool,
) -> anyhow::Result<f64> {
    if count == 0 {
        return Ok(0.0);
    }
    let started = Instant::now();
    let batches = count.div_ceil(BATCH as u64);
    let streams = args.streams.max(1) as u64;
    let lines = args.lines;
    let prefix = if validate_only { "dry-" } else { "s-" };
    let mut tasks = Vec::new();
    for stream in 0..streams {
        let mut monitoring = clients.monitoring.clone();
        let mine: Vec<u64> = (0..batches).filter(|b| b % streams == stream).collect();
        // Batches are made on the fly by a producer, a few ahead of the stream.
        let (sender, receiver) = tokio::sync::mpsc::channel::<pb::StreamIngestEventsRequest>(4);
        tokio::spawn(async move {
            for b in mine {
                let from = first + b * BATCH as u64;
                let to = (from + BATCH as u64).min(first + count);
                let request = pb::StreamIngestEventsRequest {
                    batch_id: format!("{prefix}{b}"),
                    events: (from..to).map(|n| sale(n, first, count, lines, prefix)).collect(),
                    validate_only,
                };
                if sender.send(request).await.is_err() {
                    return;
                }
            }
        });
        tasks.push(tokio::spawn(async move {
            let requests = tokio_stream::wrappers::ReceiverStream::new(receiver);
            let mut acks = monitoring
                .stream_ingest_events(requests)
                .await
                .map_err(status_error)?
                .into_inner();
            let mut awaiting = 0u64;
            while let Some(ack) = acks.next().await {
                awaiting += ack.map_err(status_error)?.awaiting_cost as u64;
            }
            anyhow::Ok(awaiting)
        }));
    }
    let mut awaiting = 0;
    for task in tasks {
        awaiting += task.await.context("an ingestion stream")??;
    }
    // Every line must have been costed by inventory, or the run measured the wrong path.
    anyhow::ensure!(
        awaiting == 0,
        "{awaiting} sales were taken without a cost: inventory did not answer"
    );
    let elapsed = started.elapsed().as_secs_f64();
    Ok((count as usize * lines) as f64 / elapsed)
}

enum Backend {
    Sqlite(PathBuf),
    Postgres(String),
}

/// The suite under test, in this process.
struct Suite {
    clients: Clients,
    stop: tokio::sync::oneshot::Sender<()>,
    monitoring_db: sea_orm::DatabaseConnection,
    databases: Vec<String>,
}

impl Suite {
    async fn start(backend: &Backend) -> anyhow::Result<Suite> {
        let stamp = Utc::now().format("%H%M%S").to_string();
        let mut urls = Vec::new();
        let mut databases = Vec::new();
        for service in ["goals", "inventory", "monitoring"] {
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
                    lacak_testkit_free::with_database(admin, &name)
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
            ..Default::default()
        };
        let mut host = ServerHost::new(server_args, Arc::new(authenticator))?;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let own = format!("http://{}", listener.local_addr()?);
        let goals = lacak_goals::mount(&mut host, &urls[0]).await;
        let inventory = lacak_inventory::mount(&mut host, &urls[1]).await;
        let channel = tonic::transport::Channel::from_shared(own.clone())?.connect_lazy();
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
        goals.await?;
        inventory.await?;
        monitoring.await?;
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
            clients: clients(channel, &token),
            stop,
            monitoring_db,
            databases,
        })
    }

    /// The team's revenue for the period straight from the raw sale rows, as a plain SQL
    /// aggregate would compute it without rollups (every bench sale is credited to its owner alone).
    async fn raw_team_revenue(&self) -> anyhow::Result<()> {
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
    async fn analyze(&self) -> anyhow::Result<()> {
        if self.monitoring_db.get_database_backend() == sea_orm::DbBackend::Postgres {
            self.monitoring_db.execute_unprepared("ANALYZE").await?;
        }
        Ok(())
    }

    async fn stop(self, backend: &Backend) {
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

/// The admin URL with its database name replaced.
mod lacak_testkit_free {
    pub fn with_database(admin_url: &str, name: &str) -> String {
        let (base, query) = admin_url
            .split_once('?')
            .map_or((admin_url, None), |(b, q)| (b, Some(q)));
        let authority = base.find("://").map_or(0, |i| i + 3);
        let path = base[authority..].find('/').map_or(base.len(), |i| authority + i);
        match query {
            Some(query) => format!("{}/{name}?{query}", &base[..path]),
            None => format!("{}/{name}", &base[..path]),
        }
    }
}

fn markdown(rows: &[Row], raw: &[(&'static str, f64)]) -> String {
    let mut out = String::from(
        "| backend | sales stored | ingest (sale lines/s, durable) | GetKpis team p50 / p99 (ms) | GetTrackingReport p50 / p99 (ms) | raw SQL aggregate p50 / p99 (ms) |\n|---|---:|---:|---:|---:|---:|\n",
    );
    for r in rows {
        out.push_str(&format!(
            "| {} | {} | {:.0} | {:.2} / {:.2} | {:.2} / {:.2} | {:.2} / {:.2} |\n",
            r.backend,
            r.sales,
            r.lines_per_second,
            r.kpis.0,
            r.kpis.1,
            r.report.0,
            r.report.1,
            r.raw_sql.0,
            r.raw_sql.1
        ));
    }
    for (backend, rate) in raw {
        out.push_str(&format!(
            "\nStreaming RPC storing nothing (`validate_only`), {backend} run: {rate:.0} sale lines/s\n"
        ));
    }
    out
}

//! `lacak bench`: ingestion throughput (durable sale lines per second) and KPI read latency
//! (p50, p99) as history grows to 10 thousand, 1 million and 10 million sales (with a deal for
//! every hundred sales, so the KPIs' past pipeline is read from a growing ledger), on SQLite and on
//! PostgreSQL in the same run, beside two yardsticks: a streaming RPC that stores nothing
//! (`validate_only`), and the same team revenue computed by a plain SQL aggregate over the raw
//! sale rows instead of the rollups.
//!
//! A KPI question asked again while nothing was written is answered from what the last read took
//! from the database; "after a write" measures the other case: one sale is recorded before each
//! timed read, so every read goes to the database.
//!
//! The bench starts its own suite in this process, on 127.0.0.1 with fresh databases, and talks to
//! it over real gRPC. Run it from a release build: `cargo run --release --bin lacak -- bench`.

mod forecasts;
mod memory;
mod suite;
mod workload;

use std::path::PathBuf;
use std::time::Instant;

use lacak_proto::monitoring as pb;

use crate::report::status_error;

use suite::{Backend, Suite};
use workload::{SALES_PER_DEAL, ingest, ingest_deals, setup};

#[derive(clap::Subcommand)]
pub enum BenchWhat {
    /// Forecast accuracy on public monthly series beside Holt-Winters, and a 1,000-member team's
    /// forecasts timed.
    Forecasts(forecasts::ForecastBenchArgs),
}

#[derive(clap::Args)]
pub struct BenchArgs {
    #[command(subcommand)]
    pub what: Option<BenchWhat>,
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
    /// Skip the tracking report's reads (about 2 s each at 10 million sales).
    #[arg(long)]
    pub no_report: bool,
    /// Where SQLite databases go (a temporary directory when unset).
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// Append the results as a Markdown table to this file.
    #[arg(long)]
    pub markdown: Option<PathBuf>,
    /// Measure memory instead: `lacak up` as a child process taking the largest batches at once.
    #[arg(long)]
    pub memory: bool,
    /// With --memory: IngestEvents calls sent at once.
    #[arg(long, default_value_t = 4)]
    pub memory_batches: usize,
    /// With --memory: sales per call.
    #[arg(long, default_value_t = 1000)]
    pub memory_sales: usize,
    /// With --memory: lines per sale (1000 × 20 is the most one batch may hold).
    #[arg(long, default_value_t = 20)]
    pub memory_lines: usize,
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
    kpis_after_write: (f64, f64),
    report: (f64, f64),
    raw_sql: (f64, f64),
}

pub async fn run(args: BenchArgs) -> anyhow::Result<()> {
    if let Some(BenchWhat::Forecasts(forecasts)) = &args.what {
        return forecasts::run(forecasts).await;
    }
    if args.memory {
        let summary = memory::run(&args).await?;
        if let Some(path) = &args.markdown {
            use std::io::Write;
            let mut file = std::fs::OpenOptions::new().create(true).append(true).open(path)?;
            writeln!(file, "{summary}")?;
        }
        return Ok(());
    }
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
        let deal_rate = ingest_deals(
            &clients,
            stored / SALES_PER_DEAL,
            (size - stored.min(size)) / SALES_PER_DEAL,
        )
        .await?;
        stored = stored.max(size);
        suite.analyze().await?;
        let kpis = latency(args.reads, || {
            let mut monitoring = clients.monitoring.clone();
            async move {
                monitoring
                    .get_kpis(kpi_question())
                    .await
                    .map(|_| ())
                    .map_err(status_error)
            }
        })
        .await?;
        let kpis_after_write = latency_after_write(&clients, size, args.reads).await?;
        let report = if args.no_report {
            (f64::NAN, f64::NAN)
        } else {
            latency(args.reads, || {
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
            .await?
        };
        let raw_sql = latency(args.reads.min(20), || suite.raw_team_revenue()).await?;
        println!(
            "{backend} at {size} sales, {} deals: deal events {deal_rate:.0}/s; ingest {rate:.0} lines/s; GetKpis p50 {:.2} ms p99 {:.2} ms; after a write p50 {:.2} ms p99 {:.2} ms; report p50 {:.2} ms p99 {:.2} ms; raw SQL p50 {:.2} ms p99 {:.2} ms",
            size / SALES_PER_DEAL,
            kpis.0,
            kpis.1,
            kpis_after_write.0,
            kpis_after_write.1,
            report.0,
            report.1,
            raw_sql.0,
            raw_sql.1
        );
        rows.push(Row {
            backend,
            sales: size,
            lines_per_second: rate,
            kpis,
            kpis_after_write,
            report,
            raw_sql,
        });
    }
    Ok(())
}

/// The bench's KPI question: the whole team, a past quarter (its pipeline as of the quarter's end).
fn kpi_question() -> pb::GetKpisRequest {
    pb::GetKpisRequest {
        owner: "teams/sales".into(),
        period: PERIOD.into(),
        scope: None,
        currency_code: "IDR".into(),
        as_of: None,
    }
}

/// p50 and p99 of `n` KPI reads, each right after a sale is recorded (untimed), in milliseconds.
async fn latency_after_write(clients: &crate::client::Clients, size: u64, n: usize) -> anyhow::Result<(f64, f64)> {
    let mut monitoring = clients.monitoring.clone();
    let mut samples = Vec::with_capacity(n);
    for i in 0..=n as u64 {
        monitoring
            .ingest_events(pb::IngestEventsRequest {
                events: vec![workload::sale(i, 0, n as u64 + 1, 2, &format!("w{size}-"))],
                validate_only: false,
            })
            .await
            .map_err(status_error)?;
        let started = Instant::now();
        monitoring.get_kpis(kpi_question()).await.map_err(status_error)?;
        if i > 0 {
            samples.push(started.elapsed().as_secs_f64() * 1000.0);
        }
    }
    Ok(percentiles(samples))
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
    Ok(percentiles(samples))
}

/// p50 and p99 of samples.
fn percentiles(mut samples: Vec<f64>) -> (f64, f64) {
    samples.sort_by(f64::total_cmp);
    let at = |q: f64| samples[((samples.len() as f64 - 1.0) * q).round() as usize];
    (at(0.50), at(0.99))
}

fn markdown(rows: &[Row], raw: &[(&'static str, f64)]) -> String {
    let mut out = String::from(
        "| backend | sales stored | ingest (sale lines/s, durable) | GetKpis team p50 / p99 (ms) | GetKpis after a write p50 / p99 (ms) | GetTrackingReport p50 / p99 (ms) | raw SQL aggregate p50 / p99 (ms) |\n|---|---:|---:|---:|---:|---:|---:|\n",
    );
    for r in rows {
        out.push_str(&format!(
            "| {} | {} | {:.0} | {:.2} / {:.2} | {:.2} / {:.2} | {:.2} / {:.2} | {:.2} / {:.2} |\n",
            r.backend,
            r.sales,
            r.lines_per_second,
            r.kpis.0,
            r.kpis.1,
            r.kpis_after_write.0,
            r.kpis_after_write.1,
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

//! `lacak`: runs the whole suite in one process (`up`), one service (`serve`), migrations
//! (`migrate`), and prints tokens for its signing key (`token`).

mod bench;
mod client;
mod demo;
mod report;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand, ValueEnum};
use lacak_domain::{Principal, Role};
use lacak_runtime::auth::load_keys;
use lacak_runtime::config::{AuthArgs, ServerArgs, TelemetryArgs, parse_duration};
use lacak_runtime::db::{self, DbSetupError};
use lacak_runtime::{ServerHost, TokenIssuer};
use tokio::net::TcpListener;

#[derive(Parser)]
#[command(
    name = "lacak",
    version,
    about = "Track and steer sales performance: goals, inventory, monitoring, strategy."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run every service in one process behind one port, on embedded SQLite unless told otherwise.
    Up(UpArgs),
    /// Run one service.
    Serve(ServeArgs),
    /// Apply pending database migrations and exit.
    Migrate(MigrateArgs),
    /// Print a bearer token signed with the data directory's key.
    Token(TokenArgs),
    /// Print a team's sales tracking report; optionally write it as CSV or an Excel dashboard.
    Report(report::ReportArgs),
    /// Fill a running suite with a realistic multi-year sales history, through its public APIs.
    Demo(demo::DemoArgs),
    /// Measure ingestion throughput and KPI read latency on SQLite and PostgreSQL.
    Bench(bench::BenchArgs),
}

/// The services this binary can run.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum Service {
    Goals,
    Inventory,
    Monitoring,
    Strategy,
}

impl Service {
    const ALL: [Service; 4] = [
        Service::Goals,
        Service::Inventory,
        Service::Monitoring,
        Service::Strategy,
    ];

    fn name(self) -> &'static str {
        match self {
            Service::Goals => "goals",
            Service::Inventory => "inventory",
            Service::Monitoring => "monitoring",
            Service::Strategy => "strategy",
        }
    }

    /// Adds the service to `host`; the future sets up its database and reports it ready.
    /// `peers` says how to reach the services it calls.
    async fn mount(self, host: &mut ServerHost, url: &str, peers: &Peers) -> anyhow::Result<BoxFuture> {
        Ok(match self {
            Service::Goals => Box::pin(lacak_goals::mount(host, url).await),
            Service::Inventory => Box::pin(lacak_inventory::mount(host, url).await),
            Service::Monitoring => Box::pin(lacak_monitoring::mount(host, url, peers.monitoring()?).await),
            Service::Strategy => {
                Box::pin(lacak_strategy::mount(host, url, peers.strategy()?, peers.strategy_settings()).await)
            }
        })
    }

    async fn migrate(self, url: &str) -> Result<(), DbSetupError> {
        match self {
            Service::Goals => db::migrate::<lacak_goals::Migrator>(url).await,
            Service::Inventory => db::migrate::<lacak_inventory::Migrator>(url).await,
            Service::Monitoring => db::migrate::<lacak_monitoring::Migrator>(url).await,
            Service::Strategy => db::migrate::<lacak_strategy::Migrator>(url).await,
        }
    }
}

/// Where the services a service calls are.
#[derive(clap::Args, Clone)]
struct PeerArgs {
    /// The goals service, e.g. http://goals:50051 (a headless Service's name balances over its pods).
    #[arg(long, env = "LACAK_GOALS_URL")]
    goals_url: Option<String>,
    /// The inventory service, e.g. http://inventory:50051.
    #[arg(long, env = "LACAK_INVENTORY_URL")]
    inventory_url: Option<String>,
    /// The monitoring service, e.g. http://monitoring:50051 (strategy calls it).
    #[arg(long, env = "LACAK_MONITORING_URL")]
    monitoring_url: Option<String>,
    /// Strategy: months compared before and after an applied recommendation.
    #[arg(long, env = "LACAK_VERIFICATION_MONTHS", default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=24))]
    verification_months: u32,
    /// Strategy: how often teams that asked for recommendations get fresh ones.
    #[arg(long, env = "LACAK_RECOMMENDATION_REFRESH", default_value = "24h", value_parser = parse_duration)]
    recommendation_refresh: Duration,
    /// Strategy: months of history forecasts read at most (from the origin back).
    #[arg(long, env = "LACAK_FORECAST_HISTORY_MONTHS", default_value_t = lacak_strategy::HISTORY_CAP_MONTHS, value_parser = clap::value_parser!(u32).range(13..=1200))]
    forecast_history_months: u32,
    /// The longest a call to another service may take when the caller set no shorter deadline.
    #[arg(long, env = "LACAK_CALL_TIMEOUT", default_value = "5s", value_parser = parse_duration)]
    call_timeout: Duration,
    #[command(flatten)]
    tls: PeerTlsArgs,
}

/// How a service dials the others over TLS (`https://` peer URLs), and mutual TLS's client side.
#[derive(clap::Args, Clone, Default)]
struct PeerTlsArgs {
    /// The CA (PEM) that signed the other services' certificates; https:// peer URLs need it.
    #[arg(long, env = "LACAK_PEER_TLS_CA_FILE")]
    peer_tls_ca_file: Option<PathBuf>,
    /// This service's client certificate (PEM), for peers that require client certificates.
    #[arg(long, env = "LACAK_PEER_TLS_CERT_FILE", requires_all = ["peer_tls_key_file", "peer_tls_ca_file"])]
    peer_tls_cert_file: Option<PathBuf>,
    /// The private key (PEM) of the client certificate.
    #[arg(long, env = "LACAK_PEER_TLS_KEY_FILE", requires = "peer_tls_cert_file")]
    peer_tls_key_file: Option<PathBuf>,
    /// The name the peers' certificates carry, when it is not the host of their URL.
    #[arg(long, env = "LACAK_PEER_TLS_SERVER_NAME", requires = "peer_tls_ca_file")]
    peer_tls_server_name: Option<String>,
}

impl PeerTlsArgs {
    fn files(&self) -> Option<lacak_runtime::client::PeerTlsFiles> {
        Some(lacak_runtime::client::PeerTlsFiles {
            ca: self.peer_tls_ca_file.clone()?,
            identity: self.peer_tls_cert_file.clone().zip(self.peer_tls_key_file.clone()),
            server_name: self.peer_tls_server_name.clone(),
        })
    }
}

/// Peers resolved: their URLs (or, in `up`, the suite itself in process) and the issuer of the
/// service tokens calls to them carry.
struct Peers {
    args: PeerArgs,
    in_process: Option<tonic::transport::Channel>,
    issuer: Option<TokenIssuer>,
    service: &'static str,
}

impl Peers {
    fn channel(&self, url: Option<&str>, flag: &str) -> anyhow::Result<tonic::transport::Channel> {
        if let Some(suite) = &self.in_process {
            return Ok(suite.clone());
        }
        let url = url.with_context(|| format!("{} calls other services: pass --{flag}", self.service))?;
        let tls = self.args.tls.files();
        lacak_runtime::client::balanced_channel(url, Duration::from_secs(5), Duration::from_secs(10), tls.as_ref())
            .map_err(|e| anyhow::anyhow!("--{flag} {url}: {e}"))
    }

    fn monitoring(&self) -> anyhow::Result<lacak_monitoring::Dependencies> {
        let issuer = self.issuer.clone().context(
            "monitoring signs service tokens for its calls: configure --jwt-secret-file or --jwt-private-key-file",
        )?;
        Ok(lacak_monitoring::Dependencies::new(
            self.channel(self.args.goals_url.as_deref(), "goals-url")?,
            self.channel(self.args.inventory_url.as_deref(), "inventory-url")?,
            lacak_runtime::client::Outgoing::new(lacak_monitoring::SERVICE_NAME, issuer, self.args.call_timeout),
        ))
    }
}

impl Peers {
    fn strategy(&self) -> anyhow::Result<lacak_strategy::Dependencies> {
        let issuer = self.issuer.clone().context(
            "strategy signs service tokens for its calls: configure --jwt-secret-file or --jwt-private-key-file",
        )?;
        Ok(lacak_strategy::Dependencies::new(
            self.channel(self.args.goals_url.as_deref(), "goals-url")?,
            self.channel(self.args.inventory_url.as_deref(), "inventory-url")?,
            self.channel(self.args.monitoring_url.as_deref(), "monitoring-url")?,
            lacak_runtime::client::Outgoing::new(lacak_strategy::SERVICE_NAME, issuer, self.args.call_timeout),
        ))
    }

    fn strategy_settings(&self) -> lacak_strategy::Settings {
        lacak_strategy::Settings {
            verification_months: self.args.verification_months,
            refresh_every: self.args.recommendation_refresh,
            forecast_history_months: self.args.forecast_history_months,
            clock: lacak_strategy::Clock::system(),
        }
    }
}

type BoxFuture = std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), DbSetupError>> + Send>>;

#[derive(clap::Args, Clone)]
struct DataArgs {
    /// Where SQLite databases and the generated signing key live.
    #[arg(long, env = "LACAK_DATA_DIR", default_value = "./lacak-data")]
    data_dir: PathBuf,
}

#[derive(clap::Args)]
struct UpArgs {
    #[command(flatten)]
    data: DataArgs,
    /// The goals database (default: SQLite at <data-dir>/goals.db).
    #[arg(long, env = "LACAK_GOALS_DATABASE_URL")]
    goals_database_url: Option<String>,
    /// The inventory database (default: SQLite at <data-dir>/inventory.db).
    #[arg(long, env = "LACAK_INVENTORY_DATABASE_URL")]
    inventory_database_url: Option<String>,
    /// The monitoring database (default: SQLite at <data-dir>/monitoring.db).
    #[arg(long, env = "LACAK_MONITORING_DATABASE_URL")]
    monitoring_database_url: Option<String>,
    /// The strategy database (default: SQLite at <data-dir>/strategy.db).
    #[arg(long, env = "LACAK_STRATEGY_DATABASE_URL")]
    strategy_database_url: Option<String>,
    #[command(flatten)]
    server: ServerArgs,
    #[command(flatten)]
    auth: AuthArgs,
    #[command(flatten)]
    telemetry: TelemetryArgs,
}

#[derive(clap::Args)]
struct ServeArgs {
    /// Which service to run.
    service: Service,
    #[command(flatten)]
    data: DataArgs,
    /// The service's database (default: SQLite at <data-dir>/<service>.db).
    #[arg(long, env = "LACAK_DATABASE_URL")]
    database_url: Option<String>,
    #[command(flatten)]
    peers: PeerArgs,
    #[command(flatten)]
    server: ServerArgs,
    #[command(flatten)]
    auth: AuthArgs,
    #[command(flatten)]
    telemetry: TelemetryArgs,
}

#[derive(clap::Args)]
struct MigrateArgs {
    /// Which service's database to migrate; all of them when omitted.
    service: Option<Service>,
    #[command(flatten)]
    data: DataArgs,
    /// The database (with a service named; default: SQLite at <data-dir>/<service>.db).
    #[arg(long, env = "LACAK_DATABASE_URL")]
    database_url: Option<String>,
    #[command(flatten)]
    telemetry: TelemetryArgs,
}

#[derive(clap::Args)]
struct TokenArgs {
    #[command(flatten)]
    data: DataArgs,
    /// The tenant the token acts in.
    #[arg(long)]
    tenant: String,
    /// admin, manager, rep or service.
    #[arg(long)]
    role: String,
    /// The member id (or service name) behind the token.
    #[arg(long, default_value = "cli")]
    subject: String,
    /// For a manager: the ids of the teams they lead.
    #[arg(long, num_args = 1.., value_delimiter = ',')]
    teams: Vec<String>,
    /// How long the token stays valid.
    #[arg(long, default_value = "24h", value_parser = parse_duration)]
    ttl: Duration,
    #[command(flatten)]
    auth: AuthArgs,
}

#[tokio::main]
async fn main() -> ExitCode {
    match run(Cli::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("lacak: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Up(args) => up(args).await,
        Command::Serve(args) => serve(args).await,
        Command::Migrate(args) => migrate(args).await,
        Command::Token(args) => token(args),
        Command::Report(args) => report::run(args).await,
        Command::Demo(args) => demo::run(args).await,
        Command::Bench(args) => bench::run(args).await,
    }
}

async fn up(args: UpArgs) -> anyhow::Result<()> {
    let _telemetry = lacak_telemetry::init(&args.telemetry.to_config("lacak")?)?;
    let data_dir = &args.data.data_dir;
    let (authenticator, issuer) = load_keys(&args.auth, data_dir, true)?;
    let mut host = ServerHost::new(args.server.clone(), Arc::new(authenticator))?;
    let listener = bind(&args.server).await?;
    // Monitoring and strategy call the others in process: an admitted call is never shed on its
    // way to goals, and at shutdown calls in flight drain before the services they call stop.
    let peers = Peers {
        args: PeerArgs {
            goals_url: None,
            inventory_url: None,
            monitoring_url: None,
            verification_months: 3,
            recommendation_refresh: Duration::from_secs(24 * 3600),
            forecast_history_months: lacak_strategy::HISTORY_CAP_MONTHS,
            call_timeout: Duration::from_secs(5),
            tls: PeerTlsArgs::default(),
        },
        in_process: Some(host.in_process_channel()),
        issuer,
        service: "monitoring and strategy",
    };
    let mut setups = Vec::new();
    for service in Service::ALL {
        let configured = match service {
            Service::Goals => args.goals_database_url.as_deref(),
            Service::Inventory => args.inventory_database_url.as_deref(),
            Service::Monitoring => args.monitoring_database_url.as_deref(),
            Service::Strategy => args.strategy_database_url.as_deref(),
        };
        let url = db::database_url(configured, data_dir, service.name())?;
        setups.push(service.mount(&mut host, &url, &peers).await?);
    }
    let ready: BoxFuture = Box::pin(async move {
        for setup in setups {
            setup.await?;
        }
        Ok(())
    });
    tracing::info!(
        address = %listener.local_addr()?,
        data_dir = %data_dir.display(),
        "lacak is up; get a token with: lacak token --data-dir {} --tenant demo --role admin",
        data_dir.display()
    );
    run_until_stopped(host, listener, ready).await
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let service = args.service.name();
    let _telemetry = lacak_telemetry::init(&args.telemetry.to_config(&format!("lacak-{service}"))?)?;
    let data_dir = &args.data.data_dir;
    let (authenticator, issuer) = load_keys(&args.auth, data_dir, false)?;
    let mut host = ServerHost::new(args.server.clone(), Arc::new(authenticator))?;
    let url = db::database_url(args.database_url.as_deref(), data_dir, service)?;
    let peers = Peers {
        args: args.peers.clone(),
        in_process: None,
        issuer,
        service,
    };
    let ready = args.service.mount(&mut host, &url, &peers).await?;
    let listener = bind(&args.server).await?;
    tracing::info!(address = %listener.local_addr()?, service, "serving");
    run_until_stopped(host, listener, ready).await
}

async fn bind(server: &ServerArgs) -> anyhow::Result<TcpListener> {
    TcpListener::bind(server.listen)
        .await
        .with_context(|| format!("cannot listen on {}", server.listen))
}

/// Serves while the databases are set up; a failed set-up stops the process with its error.
async fn run_until_stopped(
    host: ServerHost,
    listener: TcpListener,
    ready: impl std::future::Future<Output = Result<(), DbSetupError>>,
) -> anyhow::Result<()> {
    let serving = host.serve(listener, lacak_runtime::server::shutdown_signal());
    tokio::pin!(serving);
    tokio::select! {
        served = &mut serving => served?,
        setup = ready => {
            setup.context("database set-up failed")?;
            serving.await?;
        }
    }
    tracing::info!("stopped");
    Ok(())
}

async fn migrate(args: MigrateArgs) -> anyhow::Result<()> {
    let _telemetry = lacak_telemetry::init(&args.telemetry.to_config("lacak-migrate")?)?;
    let services = match args.service {
        Some(service) => vec![service],
        None if args.database_url.is_some() => bail!("name the service whose --database-url this is"),
        None => Service::ALL.to_vec(),
    };
    for service in services {
        let url = db::database_url(args.database_url.as_deref(), &args.data.data_dir, service.name())?;
        service.migrate(&url).await?;
        tracing::info!(service = service.name(), database = %db::redact(&url), "migrated");
    }
    Ok(())
}

fn token(args: TokenArgs) -> anyhow::Result<()> {
    let role: Role = args.role.parse()?;
    let (_, issuer) = load_keys(&args.auth, Path::new(&args.data.data_dir), false)?;
    let issuer = issuer.context("this key configuration cannot sign tokens; pass --jwt-private-key-file")?;
    let principal = Principal {
        tenant: args.tenant,
        subject: args.subject,
        role,
        teams: args.teams,
    };
    println!("{}", issuer.issue(&principal, args.ttl, None)?);
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::path::Path;

    use clap::CommandFactory;

    use super::Cli;

    fn variables(command: &clap::Command, into: &mut BTreeSet<String>) {
        for arg in command.get_arguments() {
            if let Some(env) = arg.get_env() {
                into.insert(env.to_string_lossy().into_owned());
            }
        }
        for sub in command.get_subcommands() {
            variables(sub, into);
        }
    }

    /// Every `LACAK_…` name in `text` (a name ending in `_`, like `LACAK_TLS_*`, is a family).
    fn mentioned(text: &str) -> Vec<String> {
        let mut names = Vec::new();
        let mut rest = text;
        while let Some(at) = rest.find("LACAK_") {
            let tail = &rest[at..];
            let end = tail
                .find(|c: char| !(c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'))
                .unwrap_or(tail.len());
            if !tail[..end].ends_with('_') {
                names.push(tail[..end].to_owned());
            }
            rest = &tail[end..];
        }
        names
    }

    fn yaml_files(dir: &Path, into: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("a readable folder").flatten() {
            let path = entry.path();
            if path.is_dir() {
                yaml_files(&path, into);
            } else if path.extension().is_some_and(|e| e == "yaml") {
                into.push(path);
            }
        }
    }

    /// A misspelt variable in a manifest would be ignored silently by the binary: every one the
    /// Kubernetes files and the README's configuration table set must be a flag's variable.
    #[test]
    fn every_variable_the_manifests_and_the_readme_set_is_read_by_the_binary() {
        let mut known = BTreeSet::new();
        variables(&Cli::command(), &mut known);
        assert!(known.contains("LACAK_PEER_TLS_CA_FILE") && known.contains("LACAK_DATABASE_URL"));

        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let mut files = Vec::new();
        yaml_files(&root.join("deploy/k8s"), &mut files);
        assert!(
            files.len() > 30,
            "the manifests are where they should be: {}",
            files.len()
        );
        let readme = std::fs::read_to_string(root.join("README.md")).expect("the README");
        let table: String = readme
            .lines()
            .filter(|line| line.starts_with("| `--"))
            .collect::<Vec<_>>()
            .join("\n");
        let mut unknown = BTreeSet::new();
        for file in &files {
            let text = std::fs::read_to_string(file).expect("a readable manifest");
            for name in mentioned(&text) {
                if !known.contains(&name) {
                    unknown.insert(format!("{name} in {}", file.display()));
                }
            }
        }
        for name in mentioned(&table) {
            if !known.contains(&name) {
                unknown.insert(format!("{name} in README.md"));
            }
        }
        assert!(unknown.is_empty(), "set but read by no flag: {unknown:#?}");
    }
}

//! Databases: an embedded SQLite file per service by default, PostgreSQL by URL; migrations at start.

use std::future::Future;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, DbErr, Statement};
use sea_orm_migration::MigratorTrait;
use tokio::sync::OnceCell;

use crate::error::{ErrorDomain, ServiceError};
use crate::server::Readiness;

#[derive(Debug, thiserror::Error)]
pub enum DbSetupError {
    #[error("cannot create data directory {path}: {source}")]
    DataDir { path: String, source: std::io::Error },
    #[error("unsupported database URL {0:?}: use sqlite://PATH or postgres://...")]
    Scheme(String),
    #[error("database {url}: {source}")]
    Connect { url: String, source: DbErr },
    #[error("migrating {url}: {source}")]
    Migrate { url: String, source: DbErr },
}

/// The URL of a service's database: the configured one, or `<data-dir>/<service>.db`.
pub fn database_url(configured: Option<&str>, data_dir: &Path, service: &str) -> Result<String, DbSetupError> {
    match configured.filter(|url| !url.is_empty()) {
        Some(url) => Ok(url.to_owned()),
        None => {
            std::fs::create_dir_all(data_dir).map_err(|source| DbSetupError::DataDir {
                path: data_dir.display().to_string(),
                source,
            })?;
            Ok(format!(
                "sqlite://{}?mode=rwc",
                data_dir.join(format!("{service}.db")).display()
            ))
        }
    }
}

/// A URL safe to log: the password replaced.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.find('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let credentials = &url[scheme_end + 3..at];
            match credentials.find(':') {
                Some(colon) => format!("{}{}:***{}", &url[..scheme_end + 3], &credentials[..colon], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// Local PostgreSQL links gain nothing from TLS, and sqlx's `prefer` default stalls large writes on
/// them (see PITFALLS): default such URLs to `sslmode=disable` unless one is given.
pub fn tune_postgres_url(url: &str) -> String {
    let local = ["@127.0.0.1", "@localhost", "@[::1]", "://127.0.0.1", "://localhost"]
        .iter()
        .any(|host| url.contains(host));
    if local && !url.contains("sslmode=") {
        let separator = if url.contains('?') { '&' } else { '?' };
        format!("{url}{separator}sslmode=disable")
    } else {
        url.to_owned()
    }
}

/// The admin URL with its path (the database name) replaced, its query kept.
pub fn with_database(admin_url: &str, name: &str) -> String {
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

/// How long a call waits for a PostgreSQL connection: well under common client deadlines (5 s),
/// so a database that went away answers UNAVAILABLE at once instead of every call running into
/// its deadline; a database that is merely busy for longer is overloaded, and UNAVAILABLE says so.
pub const POSTGRES_CONNECTION_WAIT: Duration = Duration::from_secs(2);
/// How long a call waits for SQLite's one connection: the file is local and never goes away, so
/// this only queues writers behind a long write.
const SQLITE_CONNECTION_WAIT: Duration = Duration::from_secs(10);

/// Opens a pool. SQLite: WAL with `synchronous=FULL` (an acknowledged commit survives power loss),
/// one connection so writers never race for the lock. PostgreSQL: a small pool.
pub async fn connect(url: &str) -> Result<DatabaseConnection, DbSetupError> {
    let (url, max_connections, wait) = if url.starts_with("sqlite:") {
        (url.to_owned(), 1, SQLITE_CONNECTION_WAIT)
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        (tune_postgres_url(url), 16, POSTGRES_CONNECTION_WAIT)
    } else {
        return Err(DbSetupError::Scheme(redact(url)));
    };
    let mut options = ConnectOptions::new(url.clone());
    options
        .max_connections(max_connections)
        .min_connections(1)
        .connect_timeout(wait)
        .acquire_timeout(wait)
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(|opts| {
            opts.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Full)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
        })
        // Prepared statements are cached per connection. A generic plan made while a table was
        // small (a seq scan) would stay as it grows; plan each execution with its values instead.
        .map_sqlx_postgres_opts(|opts| opts.options([("plan_cache_mode", "force_custom_plan")]));
    Database::connect(options)
        .await
        .map_err(|source| DbSetupError::Connect {
            url: redact(&url),
            source,
        })
}

/// Connections of a SQLite read pool: reads in WAL mode run beside the one writer and each other.
const SQLITE_READERS: u32 = 4;

/// A pool for reads that may run concurrently. SQLite: read-only connections to the same file (in
/// WAL, a read sees every transaction committed before it starts, and never waits for the writer);
/// an in-memory database has no second connection, so its reads share `main`. PostgreSQL: `main`.
pub async fn connect_reader(url: &str, main: &DatabaseConnection) -> Result<DatabaseConnection, DbSetupError> {
    if !url.starts_with("sqlite:") || url.contains(":memory:") || url.contains("mode=memory") {
        return Ok(main.clone());
    }
    let mut options = ConnectOptions::new(url.to_owned());
    // None kept open while idle: services that read nothing through it hold no connection.
    options
        .max_connections(SQLITE_READERS)
        .min_connections(0)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(10))
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(|opts| {
            opts.read_only(true)
                .journal_mode(SqliteJournalMode::Wal)
                .busy_timeout(Duration::from_secs(10))
        });
    Database::connect(options)
        .await
        .map_err(|source| DbSetupError::Connect {
            url: redact(url),
            source,
        })
}

/// Key of the PostgreSQL advisory lock that serialises migrations across replicas.
const MIGRATION_LOCK_KEY: i64 = 0x6c61_6361_6b00; // "lacak\0"

/// Runs a service's pending migrations. On PostgreSQL, replicas starting together take turns
/// under an advisory lock held on one dedicated connection.
pub async fn migrate<M: MigratorTrait>(url: &str) -> Result<(), DbSetupError> {
    let err = |source| DbSetupError::Migrate {
        url: redact(url),
        source,
    };
    let db = connect(url).await?;
    let postgres = db.get_database_backend() == DbBackend::Postgres;
    if postgres {
        // One connection: the lock belongs to the session that takes it.
        let db = single_connection(url).await?;
        db.execute_raw(Statement::from_string(
            DbBackend::Postgres,
            format!("SELECT pg_advisory_lock({MIGRATION_LOCK_KEY})"),
        ))
        .await
        .map_err(err)?;
        let outcome = M::up(&db, None).await;
        let unlock = db
            .execute_raw(Statement::from_string(
                DbBackend::Postgres,
                format!("SELECT pg_advisory_unlock({MIGRATION_LOCK_KEY})"),
            ))
            .await;
        outcome.map_err(err)?;
        unlock.map_err(err)?;
        let _ = db.close().await;
    } else {
        M::up(&db, None).await.map_err(err)?;
    }
    let _ = db.close().await;
    Ok(())
}

async fn single_connection(url: &str) -> Result<DatabaseConnection, DbSetupError> {
    let url = tune_postgres_url(url);
    let mut options = ConnectOptions::new(url.clone());
    options
        .max_connections(1)
        .min_connections(1)
        .connect_timeout(POSTGRES_CONNECTION_WAIT)
        .acquire_timeout(POSTGRES_CONNECTION_WAIT)
        .sqlx_logging(false);
    Database::connect(options)
        .await
        .map_err(|source| DbSetupError::Connect {
            url: redact(&url),
            source,
        })
}

/// Connects and migrates: what a service does before it reports ready.
pub async fn connect_and_migrate<M: MigratorTrait>(url: &str) -> Result<DatabaseConnection, DbSetupError> {
    migrate::<M>(url).await?;
    connect(url).await
}

/// The database of a service's handlers: empty until connected and migrated, so calls that come
/// earlier answer UNAVAILABLE instead of failing on a half-made schema.
#[derive(Clone, Default)]
pub struct ReadyDb(Arc<OnceCell<Pools>>);

struct Pools {
    main: DatabaseConnection,
    reader: DatabaseConnection,
}

impl ReadyDb {
    pub fn new() -> Self {
        Self::default()
    }

    /// The connection, or UNAVAILABLE while the service is starting.
    pub fn get<D: ErrorDomain>(&self) -> Result<&DatabaseConnection, ServiceError<D>> {
        self.0.get().map(|pools| &pools.main).ok_or(ServiceError::NotReady)
    }

    /// A pool for reads that can run side by side (`connect_reader`): it sees what `get` committed
    /// before the read began. Never write through it.
    pub fn reader<D: ErrorDomain>(&self) -> Result<&DatabaseConnection, ServiceError<D>> {
        self.0.get().map(|pools| &pools.reader).ok_or(ServiceError::NotReady)
    }

    /// A future that connects to and migrates `url`, hands the connection over, then reports the
    /// service ready: what a service does while its server already answers health checks.
    pub fn connect_when_ready<M: MigratorTrait + 'static>(
        &self,
        url: &str,
        readiness: Readiness,
    ) -> impl Future<Output = Result<(), DbSetupError>> + Send + 'static + use<M> {
        let cell = self.0.clone();
        let url = url.to_owned();
        async move {
            let main = connect_and_migrate::<M>(&url).await?;
            let reader = connect_reader(&url, &main).await?;
            let postgres = main.get_database_backend() == DbBackend::Postgres;
            let _ = cell.set(Pools { main, reader });
            readiness.ready().await;
            if postgres {
                tokio::spawn(watch_reachability(single_connection(&url).await?, readiness));
            }
            Ok(())
        }
    }
}

/// How often a service checks that its PostgreSQL server answers.
const REACHABILITY_CHECK_EVERY: Duration = Duration::from_secs(1);

/// Keeps readiness true to the database: NOT_SERVING while PostgreSQL does not answer (so a load
/// balancer sends calls to replicas that can serve them), SERVING again when it does. Checks on a
/// connection of its own, so a pool busy with business traffic is not mistaken for an outage.
async fn watch_reachability(probe: DatabaseConnection, readiness: Readiness) {
    let mut reachable = true;
    let mut tick = tokio::time::interval(REACHABILITY_CHECK_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let answered = tokio::time::timeout(POSTGRES_CONNECTION_WAIT, probe.ping())
            .await
            .map_err(|_| "no answer in time".to_owned())
            .and_then(|pinged| pinged.map_err(|e| e.to_string()));
        match (reachable, answered) {
            (true, Err(error)) => {
                tracing::warn!(%error, "the database cannot be reached: not serving until it can");
                readiness.not_ready().await;
                reachable = false;
            }
            (false, Ok(())) => {
                tracing::info!("the database answers again");
                readiness.ready().await;
                reachable = true;
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_database_name_replaces_the_path_and_keeps_the_query() {
        assert_eq!(
            with_database("postgres://u@h:5432/postgres?sslmode=disable", "x"),
            "postgres://u@h:5432/x?sslmode=disable"
        );
        assert_eq!(with_database("postgres://u@h", "x"), "postgres://u@h/x");
    }

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(redact("postgres://u:secret@h/db"), "postgres://u:***@h/db");
        assert_eq!(redact("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redact("sqlite://x.db"), "sqlite://x.db");
    }

    #[test]
    fn local_postgres_urls_default_to_no_tls() {
        assert_eq!(
            tune_postgres_url("postgres://postgres@127.0.0.1:5432/x"),
            "postgres://postgres@127.0.0.1:5432/x?sslmode=disable"
        );
        assert_eq!(
            tune_postgres_url("postgres://p@127.0.0.1/x?sslmode=require"),
            "postgres://p@127.0.0.1/x?sslmode=require"
        );
        assert_eq!(
            tune_postgres_url("postgres://p@db.internal/x"),
            "postgres://p@db.internal/x"
        );
    }
}

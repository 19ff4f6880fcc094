//! Replicas starting together migrate one at a time (PostgreSQL, when LACAK_TEST_POSTGRES_URL is set).

use sea_orm::{ConnectionTrait, Database};
use sea_orm_migration::MigratorTrait;

#[tokio::test]
async fn concurrent_migrations_on_postgres_apply_each_migration_once() -> anyhow::Result<()> {
    let Ok(admin_url) = std::env::var("LACAK_TEST_POSTGRES_URL") else {
        eprintln!("LACAK_TEST_POSTGRES_URL is not set: the PostgreSQL run of CI covers this test");
        return Ok(());
    };
    let name = format!("lacak_test_{}", uuid::Uuid::new_v4().simple());
    let admin = Database::connect(&admin_url).await?;
    admin.execute_unprepared(&format!("CREATE DATABASE {name}")).await?;
    let url = lacak_testkit::with_database(&admin_url, &name);

    let replicas = (0..4).map(|_| {
        let url = url.clone();
        tokio::spawn(async move { lacak_runtime::db::migrate::<lacak_goals::Migrator>(&url).await })
    });
    let outcomes = futures_join(replicas).await;
    let db = Database::connect(&url).await?;
    let applied = db
        .query_all_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            "SELECT version FROM seaql_migrations ORDER BY version",
        ))
        .await?
        .len();
    db.close().await?;
    admin
        .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .await?;
    for outcome in outcomes {
        outcome??;
    }
    assert_eq!(applied, lacak_goals::Migrator::migrations().len());
    Ok(())
}

async fn futures_join<T>(
    handles: impl Iterator<Item = tokio::task::JoinHandle<T>>,
) -> Vec<Result<T, tokio::task::JoinError>> {
    let mut results = Vec::new();
    for handle in handles.collect::<Vec<_>>() {
        results.push(handle.await);
    }
    results
}

#[tokio::test]
async fn postgres_is_reached_over_tls_when_the_url_asks_for_it() -> anyhow::Result<()> {
    let Ok(admin_url) = std::env::var("LACAK_TEST_POSTGRES_URL") else {
        eprintln!("LACAK_TEST_POSTGRES_URL is not set: the PostgreSQL run of CI covers this test");
        return Ok(());
    };
    let separator = if admin_url.contains('?') { '&' } else { '?' };
    let url = format!("{admin_url}{separator}sslmode=require");
    let db = lacak_runtime::db::connect(&url).await?;
    let row = db
        .query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
        ))
        .await?
        .expect("a row for this connection");
    let encrypted: bool = row.try_get("", "ssl")?;
    db.close().await?;
    assert!(encrypted, "sslmode=require gives an encrypted connection");
    Ok(())
}

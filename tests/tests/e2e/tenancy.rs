//! Every table is ready for a tenant-distributed PostgreSQL (Citus): it has a `tenant` column, and
//! the tenant leads its primary key and every unique index, so a distributed table's keys hold on
//! each shard. Checked on the schema the migrations make, on SQLite and (when
//! `LACAK_TEST_POSTGRES_URL` is set) on PostgreSQL.

use sea_orm::{ConnectionTrait, Database, DatabaseConnection, DbBackend, Statement};

/// Tables that are not tenant data: the migration ledger of each database.
const NOT_TENANT_DATA: [&str; 1] = ["seaql_migrations"];

/// (table, key or index, its columns in order) for every table, primary key and unique index.
async fn keys(db: &DatabaseConnection) -> anyhow::Result<Vec<(String, String, Vec<String>)>> {
    let backend = db.get_database_backend();
    let query = |sql: &str| Statement::from_string(backend, sql.to_owned());
    let mut found = Vec::new();
    match backend {
        DbBackend::Sqlite => {
            let tables = db
                .query_all_raw(query(
                    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
                ))
                .await?;
            for table in tables {
                let table: String = table.try_get("", "name")?;
                let columns = db
                    .query_all_raw(query(&format!(
                        "SELECT name, pk FROM pragma_table_info('{table}') ORDER BY cid"
                    )))
                    .await?;
                let mut all = Vec::new();
                let mut primary: Vec<(i32, String)> = Vec::new();
                for column in columns {
                    let name: String = column.try_get("", "name")?;
                    let pk: i32 = column.try_get("", "pk")?;
                    if pk > 0 {
                        primary.push((pk, name.clone()));
                    }
                    all.push(name);
                }
                primary.sort();
                found.push((table.clone(), "columns".into(), all));
                found.push((
                    table.clone(),
                    "primary key".into(),
                    primary.into_iter().map(|(_, c)| c).collect(),
                ));
                let indexes = db
                    .query_all_raw(query(&format!(
                        "SELECT name FROM pragma_index_list('{table}') WHERE \"unique\" = 1"
                    )))
                    .await?;
                for index in indexes {
                    let index: String = index.try_get("", "name")?;
                    let columns = db
                        .query_all_raw(query(&format!(
                            "SELECT name FROM pragma_index_info('{index}') ORDER BY seqno"
                        )))
                        .await?
                        .iter()
                        .map(|c| c.try_get::<String>("", "name"))
                        .collect::<Result<Vec<_>, _>>()?;
                    found.push((table.clone(), index, columns));
                }
            }
        }
        _ => {
            let tables = db
                .query_all_raw(query(
                    "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'",
                ))
                .await?;
            for table in tables {
                let table: String = table.try_get("", "table_name")?;
                let columns = db
                    .query_all_raw(query(&format!(
                        "SELECT column_name FROM information_schema.columns \
                         WHERE table_schema = 'public' AND table_name = '{table}' ORDER BY ordinal_position"
                    )))
                    .await?
                    .iter()
                    .map(|c| c.try_get::<String>("", "column_name"))
                    .collect::<Result<Vec<_>, _>>()?;
                found.push((table, "columns".into(), columns));
            }
            let indexes = db
                .query_all_raw(query(
                    "SELECT t.relname AS table_name, i.relname AS index_name, \
                            array_to_string(array(SELECT a.attname FROM unnest(x.indkey) WITH ORDINALITY AS k(num, pos) \
                                JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.num ORDER BY k.pos), ',') AS columns \
                     FROM pg_index x JOIN pg_class t ON t.oid = x.indrelid JOIN pg_class i ON i.oid = x.indexrelid \
                     JOIN pg_namespace n ON n.oid = t.relnamespace \
                     WHERE n.nspname = 'public' AND (x.indisunique OR x.indisprimary)",
                ))
                .await?;
            for index in indexes {
                let columns: String = index.try_get("", "columns")?;
                found.push((
                    index.try_get("", "table_name")?,
                    index.try_get("", "index_name")?,
                    columns.split(',').map(str::to_owned).collect(),
                ));
            }
        }
    }
    Ok(found)
}

/// The tables, keys and indexes of `database` that break the rule, and how many keys and indexes
/// were looked at.
async fn breaking_the_rule(url: &str) -> anyhow::Result<(Vec<String>, usize)> {
    let db = Database::connect(url).await?;
    let found = keys(&db).await?;
    db.close().await?;
    let looked_at = found.iter().filter(|(_, what, _)| what != "columns").count();
    let mut wrong = Vec::new();
    for (table, what, columns) in found {
        if NOT_TENANT_DATA.contains(&table.as_str()) {
            continue;
        }
        let ok = if what == "columns" {
            columns.iter().any(|c| c == "tenant")
        } else {
            columns.first().is_some_and(|c| c == "tenant")
        };
        if !ok {
            wrong.push(format!("{table}: {what} ({})", columns.join(", ")));
        }
    }
    Ok((wrong, looked_at))
}

#[tokio::test]
async fn the_tenant_leads_every_key_of_every_table_of_every_service() -> anyhow::Result<()> {
    for service in ["goals", "inventory", "monitoring", "strategy"] {
        let mut database = lacak_testkit::TestDatabase::create(service).await?;
        let url = database.url();
        match service {
            "goals" => lacak_runtime::db::migrate::<lacak_goals::Migrator>(&url).await?,
            "inventory" => lacak_runtime::db::migrate::<lacak_inventory::Migrator>(&url).await?,
            "monitoring" => lacak_runtime::db::migrate::<lacak_monitoring::Migrator>(&url).await?,
            _ => lacak_runtime::db::migrate::<lacak_strategy::Migrator>(&url).await?,
        }
        let wrong = breaking_the_rule(&url).await;
        database.drop_now();
        let (wrong, looked_at) = wrong?;
        assert!(looked_at >= 3, "{service}: its keys were read ({looked_at})");
        assert!(wrong.is_empty(), "{service}: {wrong:#?}");
    }
    Ok(())
}

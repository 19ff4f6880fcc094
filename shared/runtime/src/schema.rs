//! Small builders every service's migrations share: a table with a composite primary key,
//! indexes created only if missing, and columns added to or dropped from a table.

use sea_orm_migration::prelude::{
    ColumnDef, DbErr, Index, IndexCreateStatement, SchemaManager, Table, TableCreateStatement,
};

/// `CREATE TABLE name (columns…, PRIMARY KEY (key…))`.
pub fn table(name: &'static str, columns: Vec<ColumnDef>, key: &[&'static str]) -> TableCreateStatement {
    let mut table = Table::create();
    table.table(name);
    for mut column in columns {
        table.col(&mut column);
    }
    let mut primary = Index::create();
    for column in key {
        primary.col(*column);
    }
    table.primary_key(&mut primary);
    table.to_owned()
}

/// `CREATE INDEX IF NOT EXISTS name ON table (columns…)`.
pub fn index(name: &str, table: &'static str, columns: &[&'static str]) -> IndexCreateStatement {
    let mut index = Index::create();
    index.name(name).table(table).if_not_exists();
    for column in columns {
        index.col(*column);
    }
    index.to_owned()
}

/// `CREATE UNIQUE INDEX IF NOT EXISTS name ON table (columns…)`.
pub fn unique_index(name: &str, table: &'static str, columns: &[&'static str]) -> IndexCreateStatement {
    let mut index = index(name, table, columns);
    index.unique();
    index
}

/// `ALTER TABLE table ADD COLUMN …`, one statement a column (SQLite adds one at a time).
pub async fn add_columns(
    manager: &SchemaManager<'_>,
    table: &'static str,
    columns: Vec<ColumnDef>,
) -> Result<(), DbErr> {
    for mut column in columns {
        manager
            .alter_table(Table::alter().table(table).add_column(&mut column).to_owned())
            .await?;
    }
    Ok(())
}

/// `ALTER TABLE table DROP COLUMN …`, one statement a column.
pub async fn drop_columns(
    manager: &SchemaManager<'_>,
    table: &'static str,
    columns: &[&'static str],
) -> Result<(), DbErr> {
    for column in columns {
        manager
            .alter_table(Table::alter().table(table).drop_column(*column).to_owned())
            .await?;
    }
    Ok(())
}

//! Small builders every service's migrations share: a table with a composite primary key, and
//! indexes created only if missing.

use sea_orm_migration::prelude::{ColumnDef, Index, IndexCreateStatement, Table, TableCreateStatement};

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

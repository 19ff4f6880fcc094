//! Customers gain an owner: the member who holds the account, credited with its acquisition.

use lacak_runtime::schema::{add_columns, drop_columns};
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0003_customer_owner"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Empty for "no owner", like the other member columns; the default fills existing rows.
        add_columns(
            manager,
            "customers",
            vec![ColumnDef::new("owner").string().not_null().default("").to_owned()],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_columns(manager, "customers", &["owner"]).await
    }
}

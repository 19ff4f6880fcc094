//! Sales awaiting a cost get a schedule: when each is next offered to inventory
//! (`next_cost_attempt`, empty for "now") and how many times inventory answered without a cost
//! (`cost_attempts`), so a sale that cannot be costed yet backs off instead of being asked for
//! every pass, and replicas lease each other's picks instead of all taking the same ones.

use lacak_runtime::schema::{add_columns, drop_columns};
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0005_costing_schedule"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        add_columns(
            manager,
            "sales",
            vec![
                ColumnDef::new("next_cost_attempt")
                    .timestamp_with_time_zone()
                    .null()
                    .to_owned(),
                ColumnDef::new("cost_attempts")
                    .integer()
                    .not_null()
                    .default(0)
                    .to_owned(),
            ],
        )
        .await?;
        // The few awaiting sales only, by tenant and when they are due.
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE INDEX IF NOT EXISTS sales_cost_due ON sales (tenant, next_cost_attempt) WHERE awaiting_cost",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared("DROP INDEX IF EXISTS sales_cost_due")
            .await?;
        drop_columns(manager, "sales", &["cost_attempts", "next_cost_attempt"]).await
    }
}

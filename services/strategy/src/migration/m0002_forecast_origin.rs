//! Kept forecasts record their origin: the instant the history they were fitted on ends.

use lacak_runtime::schema::{add_columns, drop_columns};
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0002_forecast_origin"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Unknown (null) for the forecasts kept before.
        add_columns(
            manager,
            "forecasts",
            vec![
                ColumnDef::new("origin_time")
                    .timestamp_with_time_zone()
                    .null()
                    .to_owned(),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_columns(manager, "forecasts", &["origin_time"]).await
    }
}

//! Outcome rows keep the deals a member alone holds credit in as times to close and a count
//! (`won_alone`, `lost_alone`) instead of by id, which only split deals still need: a period's
//! rows shrink to a few numbers a deal. Rows written before hold every deal by id, so each
//! tenant's rows are rebuilt at its next KPI read (its build state is cleared here).

use lacak_runtime::schema::{add_columns, drop_columns};
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0006_deal_outcomes_alone"
    }
}

const TABLE: &str = "deal_outcome_rollups";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        add_columns(
            manager,
            TABLE,
            vec![
                ColumnDef::new("won_alone").text().not_null().default("[]").to_owned(),
                ColumnDef::new("lost_alone")
                    .big_integer()
                    .not_null()
                    .default(0)
                    .to_owned(),
            ],
        )
        .await?;
        manager
            .get_connection()
            .execute_unprepared("DELETE FROM deal_rollup_state")
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared("DELETE FROM deal_rollup_state")
            .await?;
        drop_columns(manager, TABLE, &["lost_alone", "won_alone"]).await
    }
}

//! Deal KPIs of a period rolled up per member and local month, as the sales are: outcomes
//! (`deal_outcome_rollups`) and stage cohorts (`stage_cohort_rollups`), and for each tenant the
//! time zone and sales pipeline its rows were built with (`deal_rollup_state`). Rows are built for
//! a tenant at its first KPI read and rebuilt when either changes, so nothing is replayed here.

use lacak_runtime::schema::table;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{big_integer, integer, string, text, timestamp_with_time_zone};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0004_deal_rollups"
    }
}

const TABLES: [&str; 3] = ["deal_outcome_rollups", "stage_cohort_rollups", "deal_rollup_state"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let tables = [
            table(
                TABLES[0],
                vec![
                    string("tenant"),
                    string("member"),
                    integer("month"),
                    string("currency"),
                    string("region"),
                    string("segment"),
                    big_integer("won"),
                    big_integer("lost"),
                    big_integer("won_amount"),
                    text("won_deals"),
                    text("lost_deals"),
                ],
                &["tenant", "member", "month", "currency", "region", "segment"],
            ),
            table(
                TABLES[1],
                vec![
                    string("tenant"),
                    string("member"),
                    integer("month"),
                    string("stage"),
                    string("region"),
                    string("segment"),
                    big_integer("entered"),
                    big_integer("advanced"),
                    big_integer("advance_seconds"),
                ],
                &["tenant", "member", "month", "stage", "region", "segment"],
            ),
            table(
                TABLES[2],
                vec![
                    string("tenant"),
                    string("time_zone"),
                    text("stages"),
                    timestamp_with_time_zone("build_time"),
                ],
                &["tenant"],
            ),
        ];
        for table in tables {
            manager.create_table(table).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for name in TABLES {
            manager.drop_table(Table::drop().table(name).to_owned()).await?;
        }
        Ok(())
    }
}

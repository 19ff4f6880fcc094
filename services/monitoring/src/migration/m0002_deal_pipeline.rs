//! Deals as the KPIs now read them: who holds credit in each deal (`deal_credits`), the pipeline's
//! history as a ledger of credited changes with running balances (`pipeline_keys`,
//! `pipeline_ledger`), the tenant's sales pipeline (`pipeline_stages`), reopenings in the stage
//! history, and the indexes the period reads use (closes, moves, and rollups by member). Existing deals are replayed into the new tables.

use lacak_runtime::schema::{index, table};
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{big_integer, integer, string, timestamp_with_time_zone};

use crate::store::backfill;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0002_deal_pipeline"
    }
}

fn add_column(table_name: &'static str, column: ColumnDef) -> TableAlterStatement {
    let mut column = column;
    Table::alter().table(table_name).add_column(&mut column).to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for alter in [
            add_column("deals", string("region").default("").to_owned()),
            add_column("deals", string("segment").default("").to_owned()),
            add_column(
                "deals",
                ColumnDef::new("pipeline_time")
                    .timestamp_with_time_zone()
                    .null()
                    .to_owned(),
            ),
            add_column("deal_stages", string("reason").default("").to_owned()),
            add_column("deal_stages", string("reopened_from").default("").to_owned()),
        ] {
            manager.alter_table(alter).await?;
        }
        let key = ["tenant", "member", "currency", "stage", "category", "region", "segment"];
        let key_columns = || key.iter().map(|c| string(*c)).collect::<Vec<_>>();
        let mut ledger_columns = key_columns();
        ledger_columns.extend([
            timestamp_with_time_zone("time"),
            big_integer("amount_delta"),
            big_integer("count_delta"),
            big_integer("amount_balance"),
            big_integer("count_balance"),
        ]);
        let mut ledger_key = key.to_vec();
        ledger_key.push("time");
        let tables = [
            table(
                "deal_credits",
                vec![string("tenant"), string("deal_id"), string("member"), string("percent")],
                &["tenant", "deal_id", "member"],
            ),
            table("pipeline_keys", key_columns(), &key),
            table("pipeline_ledger", ledger_columns, &ledger_key),
            table(
                "pipeline_stages",
                vec![
                    string("tenant"),
                    integer("position"),
                    string("stage"),
                    string("probability"),
                    timestamp_with_time_zone("update_time"),
                ],
                &["tenant", "position"],
            ),
        ];
        for table in tables {
            manager.create_table(table).await?;
        }
        for index in [
            index("deal_credits_member", "deal_credits", &["tenant", "member", "deal_id"]),
            index("deals_closed", "deals", &["tenant", "close_time"]),
            index("deal_stages_time", "deal_stages", &["tenant", "time"]),
            // Sales of a set of members in every currency (KPIs count units and deals of every
            // currency): the primary key leads with the currency, this one with the member.
            index(
                "sale_rollups_member",
                "sale_rollups",
                &["tenant", "dim", "dim_value", "grain", "member", "currency", "bucket"],
            ),
        ] {
            manager.create_index(index).await?;
        }
        backfill::deals(manager.get_connection())
            .await
            .map_err(|error| DbErr::Migration(format!("replaying deals into the pipeline ledger: {error}")))
    }
}

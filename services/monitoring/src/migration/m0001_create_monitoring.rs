//! Customers, leads, deals with their stage history, sales, the applied-event ledger that makes
//! ingestion exactly-once, and the sales rollups that KPI reads sum instead of scanning history.
//!
//! Record decimals are stored as text (exact on both databases). Rollup amounts are integers in
//! ten-thousandths (`domain::units`), so the database adds them exactly in an upsert.

use lacak_runtime::schema::{index, table, unique_index};
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{
    big_integer, boolean, integer, string, string_null, text, timestamp_with_time_zone, timestamp_with_time_zone_null,
};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0001_create_monitoring"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let tables = [
            table(
                "customers",
                vec![
                    string("tenant"),
                    string("id"),
                    string("display_name"),
                    string("segment"),
                    string("region"),
                    timestamp_with_time_zone_null("acquire_time"),
                    string("acquired_by"),
                    timestamp_with_time_zone_null("churn_time"),
                    string_null("external_id"),
                    timestamp_with_time_zone("create_time"),
                    timestamp_with_time_zone("update_time"),
                ],
                &["tenant", "id"],
            ),
            table(
                "leads",
                vec![
                    string("tenant"),
                    string("id"),
                    string("source"),
                    string("owner"),
                    string("customer"),
                    string("status"),
                    string("deal"),
                    timestamp_with_time_zone("create_time"),
                    timestamp_with_time_zone_null("convert_time"),
                    string_null("external_id"),
                    timestamp_with_time_zone("update_time"),
                ],
                &["tenant", "id"],
            ),
            table(
                "deals",
                vec![
                    string("tenant"),
                    string("id"),
                    string("owner"),
                    string("customer"),
                    string("currency"),
                    string("amount"),
                    timestamp_with_time_zone_null("expected_close_time"),
                    string("stage"),
                    string("forecast_category"),
                    string("outcome"),
                    string("outcome_reason"),
                    timestamp_with_time_zone_null("close_time"),
                    text("credit"),
                    string("lead"),
                    string_null("external_id"),
                    timestamp_with_time_zone("create_time"),
                    timestamp_with_time_zone("update_time"),
                ],
                &["tenant", "id"],
            ),
            table(
                "deal_stages",
                vec![
                    string("tenant"),
                    string("deal_id"),
                    integer("seq"),
                    string("from_stage"),
                    string("to_stage"),
                    timestamp_with_time_zone("time"),
                ],
                &["tenant", "deal_id", "seq"],
            ),
            table(
                "sales",
                vec![
                    string("tenant"),
                    string("id"),
                    string("external_id"),
                    string("customer"),
                    string("region"),
                    string("segment"),
                    string("owner"),
                    text("credit"),
                    text("members"),
                    text("lines"),
                    string("currency"),
                    big_integer("revenue_units"),
                    timestamp_with_time_zone("book_time"),
                    string("deal"),
                    boolean("awaiting_cost"),
                    timestamp_with_time_zone("create_time"),
                ],
                &["tenant", "id"],
            ),
            table(
                "applied_events",
                vec![
                    string("tenant"),
                    string("external_id"),
                    timestamp_with_time_zone("apply_time"),
                ],
                &["tenant", "external_id"],
            ),
            table(
                "sale_rollups",
                vec![
                    string("tenant"),
                    string("dim"),
                    string("dim_value"),
                    string("currency"),
                    string("member"),
                    string("grain"),
                    integer("bucket"),
                    big_integer("revenue"),
                    big_integer("costed_revenue"),
                    big_integer("cost"),
                    big_integer("units"),
                    big_integer("lines"),
                ],
                &["tenant", "dim", "dim_value", "currency", "member", "grain", "bucket"],
            ),
        ];
        for table in tables {
            manager.create_table(table).await?;
        }
        let indexes = [
            unique_index("customers_external_id", "customers", &["tenant", "external_id"]),
            index("customers_acquired", "customers", &["tenant", "acquire_time"]),
            unique_index("leads_external_id", "leads", &["tenant", "external_id"]),
            index("leads_owner_created", "leads", &["tenant", "owner", "create_time"]),
            unique_index("deals_external_id", "deals", &["tenant", "external_id"]),
            index("deals_owner_closed", "deals", &["tenant", "owner", "close_time"]),
            index("deals_owner_outcome", "deals", &["tenant", "owner", "outcome"]),
            unique_index("sales_external_id", "sales", &["tenant", "external_id"]),
            index("sales_booked", "sales", &["tenant", "book_time"]),
        ];
        for index in indexes {
            manager.create_index(index).await?;
        }
        // Only the few sales still awaiting a cost are indexed, so costed sales cost no index write.
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE INDEX IF NOT EXISTS sales_awaiting_cost ON sales (tenant, book_time) WHERE awaiting_cost",
            )
            .await?;
        Ok(())
    }
}

//! Catalogue, settings, effective-dated costs and prices, promotions, estimates and the stock ledger.
//!
//! Decimals are stored as text: exact on both SQLite and PostgreSQL.

use lacak_runtime::schema::{index, table};
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{boolean, string, string_null, text, timestamp_with_time_zone};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0001_create_inventory"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let tables = [
            table(
                "categories",
                vec![
                    string("tenant"),
                    string("id"),
                    string("display_name"),
                    string_null("parent_id"),
                    timestamp_with_time_zone("create_time"),
                ],
                &["tenant", "id"],
            ),
            table(
                "products",
                vec![
                    string("tenant"),
                    string("sku"),
                    string("display_name"),
                    string("kind"),
                    string_null("category_id"),
                    string("unit_of_measure"),
                    string("state"),
                    text("tags"),
                    text("regions"),
                    text("segments"),
                    timestamp_with_time_zone("create_time"),
                    timestamp_with_time_zone("update_time"),
                ],
                &["tenant", "sku"],
            ),
            table(
                "inventory_settings",
                vec![
                    string("tenant"),
                    boolean("reps_see_costs"),
                    string("margin_threshold_percent"),
                    boolean("allow_backorders"),
                    timestamp_with_time_zone("update_time"),
                ],
                &["tenant"],
            ),
            table(
                "cost_breakdowns",
                vec![
                    string("tenant"),
                    string("sku"),
                    string("id"),
                    string("currency"),
                    string("sourcing"),
                    string("materials"),
                    string("labour"),
                    string("shipping"),
                    string("other"),
                    string("unit_cost"),
                    string("tax_rate_percent"),
                    string("fee_rate_percent"),
                    timestamp_with_time_zone("effective_time"),
                    string("recorded_by"),
                    timestamp_with_time_zone("create_time"),
                ],
                &["tenant", "sku", "id"],
            ),
            table(
                "prices",
                vec![
                    string("tenant"),
                    string("sku"),
                    string("id"),
                    string("currency"),
                    string("list_price"),
                    timestamp_with_time_zone("effective_time"),
                    timestamp_with_time_zone("create_time"),
                ],
                &["tenant", "sku", "id"],
            ),
            table(
                "promotions",
                vec![
                    string("tenant"),
                    string("id"),
                    string("display_name"),
                    string("percent_off"),
                    string("amount_currency"),
                    string("amount_off"),
                    string("scope_kind"),
                    string("scope_ref"),
                    timestamp_with_time_zone("start_time"),
                    timestamp_with_time_zone("end_time"),
                    string("stacking"),
                    timestamp_with_time_zone("create_time"),
                ],
                &["tenant", "id"],
            ),
            table(
                "market_estimates",
                vec![
                    string("tenant"),
                    string("sku"),
                    string("id"),
                    string("region"),
                    string("segment"),
                    string("addressable_demand"),
                    string("expected_volume"),
                    text("source"),
                    timestamp_with_time_zone("estimate_time"),
                    timestamp_with_time_zone("create_time"),
                ],
                &["tenant", "sku", "id"],
            ),
            table(
                "stock_levels",
                vec![
                    string("tenant"),
                    string("sku"),
                    string("location"),
                    string("quantity"),
                    timestamp_with_time_zone("update_time"),
                ],
                &["tenant", "sku", "location"],
            ),
            table(
                "stock_movements",
                vec![
                    string("tenant"),
                    string("sku"),
                    string("id"),
                    string("location"),
                    string("kind"),
                    string("quantity"),
                    string("level_after"),
                    text("reference"),
                    timestamp_with_time_zone("time"),
                    string("recorded_by"),
                ],
                &["tenant", "sku", "id"],
            ),
        ];
        for table in tables {
            manager.create_table(table).await?;
        }
        for index in [
            index("products_by_category", "products", &["tenant", "category_id"]),
            index(
                "costs_in_force",
                "cost_breakdowns",
                &["tenant", "sku", "effective_time"],
            ),
            index(
                "prices_in_force",
                "prices",
                &["tenant", "sku", "currency", "effective_time"],
            ),
            index(
                "promotions_by_window",
                "promotions",
                &["tenant", "start_time", "end_time"],
            ),
        ] {
            manager.create_index(index).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "stock_movements",
            "stock_levels",
            "market_estimates",
            "promotions",
            "prices",
            "cost_breakdowns",
            "inventory_settings",
            "products",
            "categories",
        ] {
            manager
                .drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}

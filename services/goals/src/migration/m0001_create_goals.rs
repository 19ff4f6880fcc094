//! Org structure, fiscal calendars, quotas with their change history, action plans, tasks, reviews.
//!
//! Decimals are stored as text: exact on both SQLite and PostgreSQL.

use lacak_runtime::schema::index;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{
    boolean, integer, string, string_null, text, timestamp_with_time_zone, timestamp_with_time_zone_null,
};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0001_create_goals"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("teams")
                    .col(string("tenant"))
                    .col(string("id"))
                    .col(string("display_name"))
                    .col(string_null("parent_id"))
                    .col(string_null("manager_id"))
                    .col(timestamp_with_time_zone("create_time"))
                    .col(timestamp_with_time_zone("update_time"))
                    .primary_key(Index::create().col("tenant").col("id"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("members")
                    .col(string("tenant"))
                    .col(string("id"))
                    .col(string("display_name"))
                    .col(string("email"))
                    .col(string_null("team_id"))
                    .col(boolean("active"))
                    .col(timestamp_with_time_zone("create_time"))
                    .col(timestamp_with_time_zone("update_time"))
                    .primary_key(Index::create().col("tenant").col("id"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("members_by_team", "members", &["tenant", "team_id"]))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("fiscal_calendars")
                    .col(string("tenant").primary_key())
                    .col(integer("start_month"))
                    .col(string("time_zone"))
                    .col(timestamp_with_time_zone("update_time"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("quotas")
                    .col(string("tenant"))
                    .col(string("id"))
                    .col(string("owner_kind"))
                    .col(string("owner_id"))
                    .col(string("metric"))
                    .col(string("period"))
                    .col(string("currency"))
                    .col(string("target"))
                    .col(string("scope_product"))
                    .col(string("scope_category"))
                    .col(string("scope_region"))
                    .col(string("scope_segment"))
                    .col(text("seasonal_profile"))
                    .col(integer("revision"))
                    .col(timestamp_with_time_zone("create_time"))
                    .col(timestamp_with_time_zone("update_time"))
                    .primary_key(Index::create().col("tenant").col("id"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "quotas_by_owner",
                "quotas",
                &["tenant", "owner_kind", "owner_id"],
            ))
            .await?;
        manager
            .create_index(index("quotas_by_period", "quotas", &["tenant", "period", "metric"]))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("quota_changes")
                    .col(string("tenant"))
                    .col(string("quota_id"))
                    .col(integer("seq"))
                    .col(string_null("old_target"))
                    .col(string("new_target"))
                    .col(text("old_profile"))
                    .col(text("new_profile"))
                    .col(text("reason"))
                    .col(string("source"))
                    .col(string("source_reference"))
                    .col(string("actor"))
                    .col(timestamp_with_time_zone("change_time"))
                    .primary_key(Index::create().col("tenant").col("quota_id").col("seq"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("action_plans")
                    .col(string("tenant"))
                    .col(string("id"))
                    .col(string("title"))
                    .col(text("description"))
                    .col(string("owner_kind"))
                    .col(string("owner_id"))
                    .col(string("state"))
                    .col(text("quota_ids"))
                    .col(text("strategies"))
                    .col(text("milestones"))
                    .col(text("state_history"))
                    .col(timestamp_with_time_zone("create_time"))
                    .col(timestamp_with_time_zone("update_time"))
                    .primary_key(Index::create().col("tenant").col("id"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("tasks")
                    .col(string("tenant"))
                    .col(string("plan_id"))
                    .col(string("id"))
                    .col(string("title"))
                    .col(string("assignee_id"))
                    .col(timestamp_with_time_zone_null("due_time"))
                    .col(string("state"))
                    .col(timestamp_with_time_zone("create_time"))
                    .col(timestamp_with_time_zone("update_time"))
                    .primary_key(Index::create().col("tenant").col("plan_id").col("id"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("tasks_by_assignee", "tasks", &["tenant", "assignee_id"]))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("quota_reviews")
                    .col(string("tenant"))
                    .col(string("id"))
                    .col(string("period"))
                    .col(timestamp_with_time_zone("create_time"))
                    .primary_key(Index::create().col("tenant").col("id"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("review_items")
                    .col(string("tenant"))
                    .col(string("review_id"))
                    .col(string("quota_id"))
                    .col(string("target_at_review"))
                    .col(string("decision"))
                    .col(string_null("new_target"))
                    .col(text("reason"))
                    .col(string("decided_by"))
                    .col(timestamp_with_time_zone_null("decide_time"))
                    .primary_key(Index::create().col("tenant").col("review_id").col("quota_id"))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "review_items",
            "quota_reviews",
            "tasks",
            "action_plans",
            "quota_changes",
            "quotas",
            "fiscal_calendars",
            "members",
            "teams",
        ] {
            manager
                .drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}

//! At most one recorded change per strategy recommendation and quota, so applying a recommendation
//! again, even racing its first attempt, can never change the quota twice.

use sea_orm_migration::prelude::*;

pub struct Migration;

const INDEX: &str = "quota_changes_by_recommendation";

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0002_one_change_per_recommendation"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Partial: only a recommendation's changes are constrained; manual ones carry no reference.
        manager
            .create_index(
                Index::create()
                    .name(INDEX)
                    .table("quota_changes")
                    .col("tenant")
                    .col("quota_id")
                    .col("source_reference")
                    .unique()
                    .if_not_exists()
                    .and_where(Expr::col("source").eq("strategy_recommendation"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(Index::drop().name(INDEX).table("quota_changes").if_exists().to_owned())
            .await
    }
}

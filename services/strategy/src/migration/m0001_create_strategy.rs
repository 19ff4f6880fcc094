//! Recommendations with their decision, application and verification; kept forecasts with their
//! scores; and the teams whose recommendations are refreshed on a schedule.
//!
//! Decimals are stored as text (exact on both databases); evidence, changes and verifications as
//! JSON text, read and written only by this service.

use lacak_runtime::schema::{index, table, unique_index};
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{
    string, string_null, text, text_null, timestamp_with_time_zone, timestamp_with_time_zone_null,
};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0001_create_strategy"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let tables = [
            table(
                "recommendations",
                vec![
                    string("tenant"),
                    string("id"),
                    string("fingerprint"),
                    string("kind"),
                    string("subject"),
                    string("team"),
                    string("team_path"),
                    string("period"),
                    string("currency"),
                    text("evidence"),
                    string("expected_impact"),
                    text_null("change"),
                    string("state"),
                    string("applied_reference"),
                    text("apply_error"),
                    string("decided_by"),
                    text("decision_reason"),
                    timestamp_with_time_zone("create_time"),
                    timestamp_with_time_zone("update_time"),
                    timestamp_with_time_zone_null("apply_time"),
                    text_null("verification"),
                ],
                &["tenant", "id"],
            ),
            table(
                "forecasts",
                vec![
                    string("tenant"),
                    string("id"),
                    string("owner"),
                    string("period"),
                    string("metric"),
                    string("currency"),
                    string("point"),
                    string("lower"),
                    string("upper"),
                    string("level"),
                    string("method"),
                    timestamp_with_time_zone("create_time"),
                    string_null("actual"),
                    string_null("wape"),
                    string_null("bias"),
                    timestamp_with_time_zone_null("score_time"),
                ],
                &["tenant", "id"],
            ),
            table(
                "schedules",
                vec![
                    string("tenant"),
                    string("team"),
                    string("currency"),
                    string("requested_by"),
                    timestamp_with_time_zone("create_time"),
                    timestamp_with_time_zone_null("last_run"),
                ],
                &["tenant", "team", "currency"],
            ),
        ];
        for table in tables {
            manager.create_table(table).await?;
        }
        for index in [
            unique_index(
                "recommendations_fingerprint",
                "recommendations",
                &["tenant", "fingerprint"],
            ),
            index("recommendations_state", "recommendations", &["tenant", "state"]),
            index("forecasts_owner", "forecasts", &["tenant", "owner", "period"]),
        ] {
            manager.create_index(index).await?;
        }
        Ok(())
    }
}

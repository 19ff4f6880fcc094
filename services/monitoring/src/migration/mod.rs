//! The monitoring service's schema, one migration per change, applied in order at start.

use sea_orm_migration::prelude::*;

mod m0001_create_monitoring;
mod m0002_deal_pipeline;
mod m0003_customer_owner;
mod m0004_deal_rollups;
mod m0005_costing_schedule;
mod m0006_deal_outcomes_alone;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(lacak_runtime::idempotency::CreateIdempotencyKeys),
            Box::new(m0001_create_monitoring::Migration),
            Box::new(m0002_deal_pipeline::Migration),
            Box::new(m0003_customer_owner::Migration),
            Box::new(m0004_deal_rollups::Migration),
            Box::new(m0005_costing_schedule::Migration),
            Box::new(m0006_deal_outcomes_alone::Migration),
        ]
    }
}

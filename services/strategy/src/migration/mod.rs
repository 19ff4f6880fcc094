//! The strategy service's schema, one migration per change, applied in order at start.

use sea_orm_migration::prelude::*;

mod m0001_create_strategy;
mod m0002_forecast_origin;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(lacak_runtime::idempotency::CreateIdempotencyKeys),
            Box::new(m0001_create_strategy::Migration),
            Box::new(m0002_forecast_origin::Migration),
        ]
    }
}

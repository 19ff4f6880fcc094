//! The goals service's schema, one migration per change, applied in order at start.

use sea_orm_migration::prelude::*;

mod m0001_create_goals;
mod m0002_one_change_per_recommendation;
mod m0003_fiscal_year_naming;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(lacak_runtime::idempotency::CreateIdempotencyKeys),
            Box::new(m0001_create_goals::Migration),
            Box::new(m0002_one_change_per_recommendation::Migration),
            Box::new(m0003_fiscal_year_naming::Migration),
        ]
    }
}

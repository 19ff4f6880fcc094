//! A tenant chooses whether a fiscal year is named by the calendar year it ends or starts in.
//! Calendars stored before the choice existed keep the only naming they had: by the year it ends.

use lacak_runtime::schema::{add_columns, drop_columns};
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::string;

pub struct Migration;

const TABLE: &str = "fiscal_calendars";
const COLUMN: &str = "year_naming";

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0003_fiscal_year_naming"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // The default fills existing rows; its text is `FiscalYearNaming::EndingYear.as_str()`.
        add_columns(manager, TABLE, vec![string(COLUMN).default("ending_year").to_owned()]).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_columns(manager, TABLE, &[COLUMN]).await
    }
}

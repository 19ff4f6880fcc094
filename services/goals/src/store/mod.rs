//! Reads and writes of the goals tables. Every function takes the tenant and filters on it, so
//! another tenant's rows behave exactly like rows that do not exist.

pub mod calendar;
pub mod entities;
pub mod org;
pub mod plans;
pub mod quotas;
pub mod reviews;

use sea_orm::{DbErr, SqlErr};

/// Whether a write failed on a primary key or unique index (a duplicate, or a racing retry).
pub fn is_duplicate(error: &DbErr) -> bool {
    matches!(error.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
}

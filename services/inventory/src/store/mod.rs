//! Reads and writes of the inventory tables. Every function takes the tenant and filters on it,
//! so another tenant's rows behave exactly like rows that do not exist.

pub mod catalogue;
pub mod entities;
pub mod estimates;
pub mod pricing;
pub mod settings;
pub mod stock;

use sea_orm::{DbErr, SqlErr};

/// Whether a write failed on a primary key or unique index.
pub fn is_duplicate(error: &DbErr) -> bool {
    matches!(error.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
}

/// Reads a JSON array of strings; a damaged one reads as empty.
pub fn strings_from_json(text: &str) -> Vec<String> {
    serde_json::from_str(text).unwrap_or_default()
}

pub fn strings_to_json(items: &[String]) -> String {
    serde_json::to_string(items).unwrap_or_else(|_| "[]".to_owned())
}

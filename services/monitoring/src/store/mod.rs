//! Reads and writes of the monitoring tables. Every function takes the tenant and filters on it,
//! so another tenant's rows behave exactly like rows that do not exist.

pub mod backfill;
pub mod counts;
pub mod customers;
pub mod deal_rollups;
pub mod deals;
pub mod entities;
pub mod kpis;
pub mod leads;
pub mod pipeline;
pub mod sales;

use sea_orm::{DbErr, SqlErr};
use serde::{Deserialize, Serialize};

use crate::domain::rollup::Share;

/// Whether a write failed on a primary key or unique index.
pub fn is_duplicate(error: &DbErr) -> bool {
    matches!(error.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
}

#[derive(Serialize, Deserialize)]
struct StoredShare {
    member: String,
    percent: rust_decimal::Decimal,
}

pub fn credit_to_json(credit: &[Share]) -> String {
    let stored: Vec<StoredShare> = credit
        .iter()
        .map(|s| StoredShare {
            member: s.member.clone(),
            percent: s.percent,
        })
        .collect();
    serde_json::to_string(&stored).unwrap_or_else(|_| "[]".to_owned())
}

/// Reads stored credit strictly: a damaged value is an error.
pub fn credit_from_stored(text: &str) -> Result<Vec<Share>, serde_json::Error> {
    Ok(serde_json::from_str::<Vec<StoredShare>>(text)?
        .into_iter()
        .map(|s| Share {
            member: s.member,
            percent: s.percent,
        })
        .collect())
}

/// Reads stored credit; a damaged value reads as no split (all to the owner).
pub fn credit_from_json(text: &str) -> Vec<Share> {
    serde_json::from_str::<Vec<StoredShare>>(text)
        .unwrap_or_default()
        .into_iter()
        .map(|s| Share {
            member: s.member,
            percent: s.percent,
        })
        .collect()
}

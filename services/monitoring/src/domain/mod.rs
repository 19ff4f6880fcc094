//! The monitoring service's rules as plain functions: who sees what, how a sale is valued and
//! credited, how it lands in the rollups that KPI reads sum, how deals book into the pipeline
//! ledger, the tenant's sales pipeline, how a quota reads for part of its period, and what a
//! period in progress shows.

pub mod access;
pub mod acquisition;
pub mod categories;
pub mod deal_rollup;
pub mod pipeline;
pub mod progress;
pub mod quota_share;
pub mod rollup;
pub mod sales_pipeline;
pub mod units;

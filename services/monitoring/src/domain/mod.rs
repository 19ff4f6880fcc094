//! The monitoring service's rules as plain functions: who sees what, how a sale is valued and
//! credited, how it lands in the rollups that KPI reads sum, how deals book into the pipeline
//! ledger, and the tenant's sales pipeline.

pub mod access;
pub mod acquisition;
pub mod categories;
pub mod pipeline;
pub mod rollup;
pub mod sales_pipeline;
pub mod units;

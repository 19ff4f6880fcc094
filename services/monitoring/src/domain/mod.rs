//! The monitoring service's rules as plain functions: who sees what, how a sale is valued and
//! credited, and how it lands in the rollups that KPI reads sum.

pub mod access;
pub mod acquisition;
pub mod categories;
pub mod rollup;
pub mod units;

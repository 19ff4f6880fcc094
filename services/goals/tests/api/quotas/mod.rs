//! Quotas: targets per owner, metric and period, split into months, with their full history.

mod creating;
mod history;
mod rollup;

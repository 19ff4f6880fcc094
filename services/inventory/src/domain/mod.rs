//! The inventory service's rules as plain functions: names, promotions, profitability, portfolio, stock.

pub mod names;
pub mod portfolio;
pub mod pricing;
pub mod stock;

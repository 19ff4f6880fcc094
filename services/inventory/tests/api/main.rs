//! The inventory service seen from outside: real gRPC against a real server with a fresh database.

mod helpers;

mod access;
mod catalogue;
mod categories;
mod costs;
mod estimates;
mod portfolio;
mod prices;
mod profitability;
mod promotions;
mod settings;
mod stacking;
mod stock;
mod stock_races;
mod valuations;

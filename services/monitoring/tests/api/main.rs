//! The monitoring service seen from outside: real gRPC against goals, inventory and monitoring
//! mounted on one server, each with its own fresh database (SQLite, or PostgreSQL when
//! `LACAK_TEST_POSTGRES_URL` is set).

mod helpers;

mod access;
mod calendar;
mod contract;
mod costing;
mod fresh;
mod in_progress;
mod ingestion;
mod kpis;
mod ledger;
mod owners;
mod quota_periods;
mod records;
mod reopen_pipeline;
mod report;
mod series;
mod watch;

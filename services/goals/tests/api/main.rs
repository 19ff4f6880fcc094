//! The goals service seen from outside: real gRPC against a real server with a fresh database.

mod helpers;

mod auth;
mod calendar;
mod calendar_naming;
mod members;
mod outage;
mod plans;
mod quotas;
mod reviews;
mod teams;

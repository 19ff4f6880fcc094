//! Whole-suite checks of what every service shares: health, reflection, auth, gRPC-Web, limits,
//! graceful shutdown and calls between services.

mod calls;
mod drain;
mod migrations;
mod server;
mod service_config;
mod tenancy;
mod tls;

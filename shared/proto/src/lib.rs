//! Lacak's public contract, compiled from `proto/`: message types, server traits and clients.

/// The encoded file descriptor set of every Lacak proto, for server reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/lacak_descriptor.bin"));

pub mod lacak {
    pub mod common {
        pub mod v1 {
            tonic::include_proto!("lacak.common.v1");
        }
    }
    pub mod goals {
        pub mod v1 {
            tonic::include_proto!("lacak.goals.v1");
        }
    }
    pub mod inventory {
        pub mod v1 {
            tonic::include_proto!("lacak.inventory.v1");
        }
    }
    pub mod monitoring {
        pub mod v1 {
            tonic::include_proto!("lacak.monitoring.v1");
        }
    }
    pub mod strategy {
        pub mod v1 {
            tonic::include_proto!("lacak.strategy.v1");
        }
    }
}

pub use lacak::common::v1 as common;
pub use lacak::goals::v1 as goals;
pub use lacak::inventory::v1 as inventory;
pub use lacak::monitoring::v1 as monitoring;
pub use lacak::strategy::v1 as strategy;

//! The goals service's rules as plain functions: names, access, quotas, plans and reviews.

pub mod access;
pub mod names;
pub mod plan;
pub mod quota;
pub mod review;

//! Strategy's rules as plain functions: what to recommend, whether it worked, how a plan is
//! doing, what to propose as next period's target, and which demand moved.

pub mod evaluate;
pub mod model;
pub mod propose;
pub mod recommend;
pub mod verify;

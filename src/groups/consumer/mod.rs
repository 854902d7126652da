//! Consumer-protocol groups (KIP-848, ConsumerGroupHeartbeat): the coordinator computes the
//! assignment and reconciles members toward it with member epochs.
//!
//! - [`assignor`]: the `uniform` and `range` server-side assignors.
//! - [`member`]: one member and assignment set helpers.
//! - [`group`]: one group's epochs, target assignment and reconciliation, pure and timer-free.
//! - [`coordinator`]: all consumer-protocol groups and their session timers.

pub mod assignor;
pub mod coordinator;
pub mod group;
pub mod member;

pub use coordinator::ConsumerGroups;

//! Classic consumer groups (JoinGroup/SyncGroup/Heartbeat protocol) and committed offsets.
//!
//! - [`group`]: one group's state machine, pure and timer-free.
//! - [`coordinator`]: all groups, their timers, and the entry points handlers call.
//! - [`requests`]: JoinGroup/SyncGroup parameters and outcomes that travel through held requests.
//! - [`consumer`]: consumer-protocol groups (KIP-848, ConsumerGroupHeartbeat).
//! - [`share`]: share groups (KIP-932, ShareGroupHeartbeat, ShareFetch, ShareAcknowledge).
//! - [`offsets`]: the durable committed-offset log under `<data-dir>/__consumer_offsets/`.
//! - [`overview`]: groups as operators see them (members, assignments, offsets, lag).

pub mod consumer;
pub mod coordinator;
pub mod group;
pub mod offsets;
pub mod overview;
pub mod requests;
pub mod reset_plan;
pub mod share;
mod timer;

pub use coordinator::{GroupCoordinator, GroupDescription};

//! Share groups (KIP-932): queue-style consumption, where the members of a group read the same
//! partitions cooperatively and acknowledge each record.
//!
//! - [`group`]: one group's membership (every member gets every partition), pure.
//! - [`partition`]: one share partition's start offset and in-flight records (available,
//!   acquired, acknowledged, archived), acquisition locks and delivery counts, pure.
//! - [`config`]: per-group configs (`share.auto.offset.reset`, `share.record.lock.duration.ms`,
//!   `share.isolation.level`); [`iso_duration`] reads the `by_duration:` reset's durations.
//! - [`store`]: the durable share-partition state under `<data-dir>/__share_group_state/`.
//! - [`coordinator`]: all share groups, share sessions and partitions, behind one lock.

pub mod config;
pub mod coordinator;
pub mod group;
pub mod iso_duration;
pub mod partition;
pub mod store;

pub use coordinator::ShareGroups;

//! The on-disk partition log.
//!
//! Each partition lives in its own directory `<data-dir>/<topic>-<partition>/` holding a sequence
//! of *segments*. A segment is named after the offset of its first batch, zero-padded to 20
//! digits, and consists of three files:
//!
//! - `00000000000000000000.log` — record batches (magic 2) back to back, byte for byte as the
//!   producer sent them except for the broker-assigned `baseOffset` and `partitionLeaderEpoch`
//!   (both outside the CRC). Offsets are contiguous: each batch's `baseOffset` is the previous
//!   batch's last offset + 1, and a segment's first batch starts at the segment's base offset.
//! - `00000000000000000000.index` — sparse offset index of 8-byte big-endian entries
//!   `relative_offset: u32 | position: u32`, where `relative_offset` is the batch's base offset
//!   minus the segment base offset and `position` the byte position of the batch in the `.log`.
//!   An entry is added for a batch once more than `index.interval.bytes` have been appended since
//!   the previous entry (so the first batch of a segment is never indexed; position 0 never
//!   appears, which is how the zero-filled preallocated tail is recognised).
//! - `00000000000000000000.timeindex` — sparse time index of 12-byte big-endian entries
//!   `timestamp: i64 | relative_offset: u32`. Written together with the offset index entries (and
//!   once more when a segment is rolled), and only when the segment's running maximum timestamp
//!   has increased since the previous entry: `timestamp` is the greatest batch `maxTimestamp` of
//!   the segment so far and `relative_offset` the *last* offset of the batch that holds it. So
//!   every batch at or before that offset has a `maxTimestamp <= timestamp`.
//!
//! Index files are memory-mapped on use (the mappings of idle segments are released), sized to
//! their content — grown in steps up to [`LogConfig::max_index_bytes`] while the segment is
//! active, trimmed to their used size when the segment is rolled or the log closed — and their
//! entries in use are found from the file length, not by scanning (see [`index`]).
//! Segments are rolled before an append when the active segment would grow past
//! [`LogConfig::segment_bytes`], when a relative offset would not fit in a `u32`, or when an index
//! is full.
//!
//! On [`PartitionLog::open`] every segment's indexes are sanity-checked and the tail of every
//! segment (from its last offset-index entry; all of it if an index is missing or damaged) is
//! re-read batch by batch with full validation (length, magic, CRC-32C, contiguous offsets). At
//! the first bad or incomplete batch the `.log` is truncated and any later segments are removed,
//! with a `tracing::warn!`. Missing index entries are rebuilt from the scanned batches.
//! After an unclean shutdown ([`Recovery::Unclean`], what [`PartitionLog::open`] assumes) every
//! segment that may hold data past the partition's *recovery point* — the offset below which
//! everything was fsynced — is validated from its first byte. The recovery point is the
//! greater of the partition's `recovery-point` file (written atomically when a segment is
//! rolled and when the log is flushed explicitly) and what the broker passes in from the data
//! directory's [`checkpoint`] (one file for every partition, written at clean shutdown and
//! periodically). Opening syncs nothing: [`PartitionLog::open_with`] syncs the filesystem once
//! after an unclean open; the broker opens every log with [`PartitionLog::open_recovered`] and
//! syncs once for all of them.
//!
//! Retention ([`retention`]): the log start offset moves forward on DeleteRecords and when
//! retention removes whole closed segments (never the active one); it is kept in the file
//! `log-start-offset`, written atomically before the change becomes visible.
//!
//! Durability: `append` only writes to the OS; [`PartitionLog::sync_data`] fsyncs the active
//! segment without blocking appends (the broker's group commit builds on it).
//!
//! [`LogEngine`] is the narrow interface the broker uses; [`PartitionLog`] implements it on
//! disk and [`MemoryLog`] in memory (`--memory`, tests).
//!
//! Files: [`engine`] (the trait), [`memory`] (the in-memory engine), [`config`] (tuning), [`error`] (errors), [`batch`] (batch-header access),
//! [`index`] (offset and time index files), [`segment`] (one segment), [`recovery`] (load and
//! repair), [`retention`] (log start offset, deleting segments),
//! [`compaction`] (the cleaner), [`partition`] (the partition log).

mod batch;
mod budget;
pub mod checkpoint;
mod compaction;
pub mod config;
mod engine;
pub mod error;
mod index;
mod memory;
mod partition;
pub mod producer_state;
mod recovery;
mod retention;
mod segment;

pub use checkpoint::{
    OffsetCheckpoint, BLANK_PRODUCER_STATE_CHECKPOINT, RECOVERY_POINT_CHECKPOINT,
};
pub use compaction::{CompactionPolicy, CompactionStats, TxnBounds};
pub use config::LogConfig;
pub use engine::LogEngine;
pub use error::LogError;
pub use memory::MemoryLog;
pub use partition::{AppendInfo, PartitionLog, ReadResult};
pub use recovery::Recovery;
pub use retention::RetentionPolicy;

//! Tuning knobs of a partition log.

/// Size of one offset-index entry: `relative_offset: u32 | position: u32`.
pub const OFFSET_INDEX_ENTRY_SIZE: usize = 8;
/// Size of one time-index entry: `timestamp: i64 | relative_offset: u32`.
pub const TIME_INDEX_ENTRY_SIZE: usize = 12;

/// Configuration of a [`PartitionLog`](super::PartitionLog).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogConfig {
    /// Roll to a new segment before an append would make the active segment larger than this
    /// (Kafka's `segment.bytes`, default 1 GiB). Effectively capped at `u32::MAX` because index
    /// positions are 32-bit. A single batch larger than this still goes into an empty segment.
    pub segment_bytes: u64,
    /// Add an index entry once more than this many bytes have been appended since the previous
    /// entry (Kafka's `index.interval.bytes`, default 4096).
    pub index_interval_bytes: usize,
    /// Preallocated size of each index file of the active segment (Kafka's
    /// `segment.index.bytes`, default 10 MiB). A full index forces a roll.
    pub max_index_bytes: usize,
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig {
            segment_bytes: 1024 * 1024 * 1024,
            index_interval_bytes: 4096,
            max_index_bytes: 10 * 1024 * 1024,
        }
    }
}

impl LogConfig {
    /// The roll threshold actually used: `segment_bytes`, capped so positions fit in a `u32`.
    pub(crate) fn effective_segment_bytes(&self) -> u64 {
        self.segment_bytes.clamp(1, u64::from(u32::MAX))
    }

    /// Capacity of an offset index in entries (at least 1).
    pub(crate) fn offset_index_entries(&self) -> usize {
        (self.max_index_bytes / OFFSET_INDEX_ENTRY_SIZE).max(1)
    }

    /// Capacity of a time index in entries (at least 2, so the roll-time entry always fits).
    pub(crate) fn time_index_entries(&self) -> usize {
        (self.max_index_bytes / TIME_INDEX_ENTRY_SIZE).max(2)
    }
}

//! Errors of the partition log.

/// An error from a [`PartitionLog`](super::PartitionLog) operation.
#[derive(Debug, thiserror::Error)]
pub enum LogError {
    /// A file-system operation failed.
    #[error("log I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// A read asked for an offset outside `[start, end]` (Kafka's OFFSET_OUT_OF_RANGE).
    #[error("offset {offset} out of range [{start}, {end}]")]
    OffsetOutOfRange {
        /// The requested offset.
        offset: i64,
        /// The log start offset at the time of the request.
        start: i64,
        /// The log end offset at the time of the request.
        end: i64,
    },
    /// The batch handed to `append` is not a single well-formed magic-2 batch.
    #[error("invalid record batch: {0}")]
    InvalidBatch(String),
    /// Data on disk is inconsistent in a way that recovery did not (or could not) repair.
    #[error("corrupt log: {0}")]
    Corrupt(String),
    /// A lock was poisoned by a panic in another thread; the log state may be inconsistent.
    #[error("partition log lock poisoned")]
    Poisoned,
}

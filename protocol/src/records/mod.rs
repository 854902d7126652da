//! Record batches, magic 2 (the only format modern Kafka clients send).
//!
//! Layout of one batch (all integers big-endian):
//!
//! ```text
//! off size field
//!   0   8  base_offset             broker-assigned; outside the CRC
//!   8   4  batch_length            bytes from offset 12 to the end of the batch
//!  12   4  partition_leader_epoch  outside the CRC
//!  16   1  magic                   = 2
//!  17   4  crc                     CRC-32C of bytes [21 .. end]
//!  21   2  attributes              bits 0-2 codec, 3 timestamp type, 4 transactional, 5 control
//!  23   4  last_offset_delta
//!  27   8  base_timestamp
//!  35   8  max_timestamp
//!  43   8  producer_id
//!  51   2  producer_epoch
//!  53   4  base_sequence
//!  57   4  record_count
//!  61   …  records (one compressed blob when the codec is not `None`)
//! ```
//!
//! Modules:
//! - `header`: [`RecordBatchHeader`], [`peek_batch_size`] and the in-place patches
//!   ([`set_base_offset`], [`set_partition_leader_epoch`]).
//! - `validate`: CRC-32C, [`validate_batch`], [`set_log_append_time`].
//! - `compression`: every codec, including both snappy forms (raw and xerial framing), with a
//!   bound on decompressed size.
//! - `record`: [`Record`] / [`RecordHeader`] and their (bounded, zero-copy) decoding.
//! - `batch`: [`RecordBatch`] (a zero-copy view) and the [`batches`] splitter.
//! - `builder`: [`RecordBatchBuilder`] and transaction-marker helpers.
//! - `check`: [`check_records`], the record-by-record validation of a produced batch.
//!
//! Decoding never panics on malformed input and never allocates more than the input (or, for
//! compressed batches, the decompression limit) justifies.

mod batch;
mod builder;
mod check;
mod compression;
mod header;
mod record;
mod validate;
mod varint;

pub use batch::{batches, Batches, RecordBatch};
pub use builder::{ControlRecordType, EndTransactionMarker, RecordBatchBuilder};
pub use check::{check_records, RecordRules, RecordViolation, Violation};
pub use compression::{compress, compress_snappy_xerial, decompress};
pub use header::{peek_batch_size, set_base_offset, set_partition_leader_epoch, RecordBatchHeader};
pub use record::{Record, RecordHeader};
pub use validate::{compute_crc, set_log_append_time, validate_batch, write_crc};

/// Size of the fixed record-batch header (everything before the records region).
pub const RECORD_BATCH_OVERHEAD: usize = 61;
/// Size of the log prefix of every batch: `base_offset` (8) + `batch_length` (4).
pub const LOG_OVERHEAD: usize = 12;
/// The only supported batch format version.
pub const MAGIC: i8 = 2;
/// Default bound on the decompressed size of one batch's records region (64 MiB).
pub const MAX_DECOMPRESSED_SIZE: usize = 64 * 1024 * 1024;

/// Offset of the CRC field inside a batch.
pub const CRC_OFFSET: usize = 17;
/// Offset of the attributes field: the CRC covers `[ATTRIBUTES_OFFSET .. end]`.
pub const ATTRIBUTES_OFFSET: usize = 21;

/// Attribute bits 0-2: compression codec.
pub const COMPRESSION_CODEC_MASK: i16 = 0x07;
/// Attribute bit 3: timestamp type (set = LogAppendTime).
pub const TIMESTAMP_TYPE_MASK: i16 = 0x08;
/// Attribute bit 4: the batch belongs to a transaction.
pub const TRANSACTIONAL_FLAG_MASK: i16 = 0x10;
/// Attribute bit 5: the batch is a control batch (transaction marker).
pub const CONTROL_FLAG_MASK: i16 = 0x20;
/// Attribute bit 6: `base_timestamp` holds the delete horizon (set by the log cleaner, KIP-534).
pub const DELETE_HORIZON_FLAG_MASK: i16 = 0x40;

/// Compression codec of a batch (attribute bits 0-2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// Codec 0: records stored as is.
    None,
    /// Codec 1: one gzip (RFC 1952) stream.
    Gzip,
    /// Codec 2: snappy, either a raw block (librdkafka) or xerial framing (Java).
    Snappy,
    /// Codec 3: LZ4 frame format.
    Lz4,
    /// Codec 4: one zstd frame.
    Zstd,
}

impl Compression {
    /// The codec for attribute bits 0-2 (`id` 0..=4), or `InvalidCompression(id)`.
    pub fn from_id(id: i16) -> Result<Self, RecordsError> {
        match id {
            0 => Ok(Compression::None),
            1 => Ok(Compression::Gzip),
            2 => Ok(Compression::Snappy),
            3 => Ok(Compression::Lz4),
            4 => Ok(Compression::Zstd),
            other => Err(RecordsError::InvalidCompression(other)),
        }
    }

    /// The codec id stored in attribute bits 0-2.
    pub fn id(self) -> i16 {
        match self {
            Compression::None => 0,
            Compression::Gzip => 1,
            Compression::Snappy => 2,
            Compression::Lz4 => 3,
            Compression::Zstd => 4,
        }
    }
}

/// Timestamp type of a batch (attribute bit 3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimestampType {
    /// Record timestamps are the producer's (`base_timestamp + timestamp_delta`).
    CreateTime,
    /// The broker stamped the batch: every record's timestamp is the batch's `max_timestamp`.
    LogAppendTime,
}

/// Everything that can be wrong with a record batch.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum RecordsError {
    /// The input ends before the structure it announces.
    #[error("record batch truncated")]
    Truncated,
    /// The stored CRC-32C does not match the computed one.
    #[error("corrupt record batch: crc expected {expected:#010x}, computed {actual:#010x}")]
    CorruptCrc {
        /// CRC stored in the batch.
        expected: u32,
        /// CRC computed over bytes `[21 .. end]`.
        actual: u32,
    },
    /// Magic byte other than 2.
    #[error("unsupported record batch magic {0}")]
    InvalidMagic(i8),
    /// `batch_length` is negative, too small for a header, or inconsistent with the buffer.
    #[error("invalid record batch length {0}")]
    InvalidLength(i32),
    /// `record_count` < 1, `last_offset_delta != record_count - 1`, or the records region does
    /// not hold exactly `record_count` records.
    #[error("invalid record count")]
    InvalidRecordCount,
    /// Compression codec id (attribute bits 0-2) outside 0..=4.
    #[error("invalid compression codec {0}")]
    InvalidCompression(i16),
    /// The compressed records region could not be decompressed (or exceeds the size limit).
    #[error("decompression failed: {0}")]
    Decompress(String),
    /// A record inside the batch is malformed.
    #[error("invalid record: {0}")]
    InvalidRecord(String),
}

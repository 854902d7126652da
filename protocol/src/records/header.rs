//! The fixed 61-byte batch header and the in-place patches that leave the CRC valid.

use super::{
    Compression, RecordsError, TimestampType, COMPRESSION_CODEC_MASK, CONTROL_FLAG_MASK,
    DELETE_HORIZON_FLAG_MASK, LOG_OVERHEAD, RECORD_BATCH_OVERHEAD, TIMESTAMP_TYPE_MASK,
    TRANSACTIONAL_FLAG_MASK,
};

/// The decoded fixed header of a magic-2 record batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordBatchHeader {
    /// Offset of the first record (assigned by the broker).
    pub base_offset: i64,
    /// Bytes from offset 12 to the end of the batch.
    pub batch_length: i32,
    /// Leader epoch stamped by the broker (`-1` from producers).
    pub partition_leader_epoch: i32,
    /// Format version; 2 for every batch this module handles.
    pub magic: i8,
    /// CRC-32C of bytes `[21 .. end]`.
    pub crc: u32,
    /// Codec, timestamp type, transactional and control bits.
    pub attributes: i16,
    /// Offset of the last record minus `base_offset`.
    pub last_offset_delta: i32,
    /// Timestamp of the first record (or the delete horizon, see attribute bit 6).
    pub base_timestamp: i64,
    /// Largest record timestamp, or the LogAppendTime.
    pub max_timestamp: i64,
    /// Idempotent producer id, `-1` if none.
    pub producer_id: i64,
    /// Idempotent producer epoch, `-1` if none.
    pub producer_epoch: i16,
    /// Sequence number of the first record, `-1` if none.
    pub base_sequence: i32,
    /// Number of records in the batch.
    pub record_count: i32,
}

fn be_i64(b: &[u8], at: usize) -> i64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[at..at + 8]);
    i64::from_be_bytes(a)
}

fn be_i32(b: &[u8], at: usize) -> i32 {
    let mut a = [0u8; 4];
    a.copy_from_slice(&b[at..at + 4]);
    i32::from_be_bytes(a)
}

fn be_i16(b: &[u8], at: usize) -> i16 {
    i16::from_be_bytes([b[at], b[at + 1]])
}

impl RecordBatchHeader {
    /// Decodes the fixed header from the first 61 bytes of `buf`.
    ///
    /// Fails with `Truncated` if fewer than 61 bytes are present. Checks neither the CRC, the
    /// magic, nor the length.
    pub fn parse(buf: &[u8]) -> Result<Self, RecordsError> {
        if buf.len() < RECORD_BATCH_OVERHEAD {
            return Err(RecordsError::Truncated);
        }
        let b = &buf[..RECORD_BATCH_OVERHEAD];
        Ok(RecordBatchHeader {
            base_offset: be_i64(b, 0),
            batch_length: be_i32(b, 8),
            partition_leader_epoch: be_i32(b, 12),
            magic: b[16] as i8,
            crc: be_i32(b, 17) as u32,
            attributes: be_i16(b, 21),
            last_offset_delta: be_i32(b, 23),
            base_timestamp: be_i64(b, 27),
            max_timestamp: be_i64(b, 35),
            producer_id: be_i64(b, 43),
            producer_epoch: be_i16(b, 51),
            base_sequence: be_i32(b, 53),
            record_count: be_i32(b, 57),
        })
    }

    /// Encodes this header into 61 bytes (the stored `crc` is written as is).
    pub fn to_bytes(&self) -> [u8; RECORD_BATCH_OVERHEAD] {
        let mut b = [0u8; RECORD_BATCH_OVERHEAD];
        b[0..8].copy_from_slice(&self.base_offset.to_be_bytes());
        b[8..12].copy_from_slice(&self.batch_length.to_be_bytes());
        b[12..16].copy_from_slice(&self.partition_leader_epoch.to_be_bytes());
        b[16] = self.magic as u8;
        b[17..21].copy_from_slice(&self.crc.to_be_bytes());
        b[21..23].copy_from_slice(&self.attributes.to_be_bytes());
        b[23..27].copy_from_slice(&self.last_offset_delta.to_be_bytes());
        b[27..35].copy_from_slice(&self.base_timestamp.to_be_bytes());
        b[35..43].copy_from_slice(&self.max_timestamp.to_be_bytes());
        b[43..51].copy_from_slice(&self.producer_id.to_be_bytes());
        b[51..53].copy_from_slice(&self.producer_epoch.to_be_bytes());
        b[53..57].copy_from_slice(&self.base_sequence.to_be_bytes());
        b[57..61].copy_from_slice(&self.record_count.to_be_bytes());
        b
    }

    /// Total size of the batch on the wire: `batch_length + 12` (0 if the length is negative).
    pub fn total_size(&self) -> usize {
        usize::try_from(self.batch_length).map_or(0, |l| l + LOG_OVERHEAD)
    }

    /// Offset of the last record: `base_offset + last_offset_delta`.
    pub fn last_offset(&self) -> i64 {
        self.base_offset
            .wrapping_add(i64::from(self.last_offset_delta))
    }

    /// The offset following this batch: `last_offset + 1`.
    pub fn next_offset(&self) -> i64 {
        self.last_offset().wrapping_add(1)
    }

    /// The compression codec (attribute bits 0-2); `InvalidCompression` for ids 5-7.
    pub fn compression(&self) -> Result<Compression, RecordsError> {
        Compression::from_id(self.attributes & COMPRESSION_CODEC_MASK)
    }

    /// The timestamp type (attribute bit 3).
    pub fn timestamp_type(&self) -> TimestampType {
        if self.attributes & TIMESTAMP_TYPE_MASK != 0 {
            TimestampType::LogAppendTime
        } else {
            TimestampType::CreateTime
        }
    }

    /// Whether the batch belongs to a transaction (attribute bit 4).
    pub fn is_transactional(&self) -> bool {
        self.attributes & TRANSACTIONAL_FLAG_MASK != 0
    }

    /// Whether the batch is a control batch, i.e. a transaction marker (attribute bit 5).
    pub fn is_control(&self) -> bool {
        self.attributes & CONTROL_FLAG_MASK != 0
    }

    /// Whether `base_timestamp` holds the delete horizon (attribute bit 6, KIP-534).
    pub fn has_delete_horizon(&self) -> bool {
        self.attributes & DELETE_HORIZON_FLAG_MASK != 0
    }

    /// Whether the producer is idempotent (`producer_id >= 0`).
    pub fn has_producer_id(&self) -> bool {
        self.producer_id >= 0
    }
}

/// Size of the batch starting at `buf[0]`, read from its 12-byte log prefix.
///
/// Returns `Ok(None)` if fewer than 12 bytes are present, `Err(InvalidLength)` if the stored
/// `batch_length` is negative or too small to hold a batch header (< 49).
pub fn peek_batch_size(buf: &[u8]) -> Result<Option<usize>, RecordsError> {
    if buf.len() < LOG_OVERHEAD {
        return Ok(None);
    }
    let len = be_i32(buf, 8);
    match usize::try_from(len) {
        Ok(l) if l + LOG_OVERHEAD >= RECORD_BATCH_OVERHEAD => Ok(Some(l + LOG_OVERHEAD)),
        _ => Err(RecordsError::InvalidLength(len)),
    }
}

/// Rewrites the base offset (bytes 0..8) in place. The CRC stays valid: it does not cover them.
///
/// # Panics
/// If `buf` is shorter than 8 bytes (pass a validated batch).
pub fn set_base_offset(buf: &mut [u8], base_offset: i64) {
    buf[0..8].copy_from_slice(&base_offset.to_be_bytes());
}

/// Rewrites the partition leader epoch (bytes 12..16) in place; the CRC stays valid.
///
/// # Panics
/// If `buf` is shorter than 16 bytes (pass a validated batch).
pub fn set_partition_leader_epoch(buf: &mut [u8], epoch: i32) {
    buf[12..16].copy_from_slice(&epoch.to_be_bytes());
}

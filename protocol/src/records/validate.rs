//! CRC-32C and the broker's append-time validation.

use super::{
    peek_batch_size, RecordBatchHeader, RecordsError, ATTRIBUTES_OFFSET, CRC_OFFSET, MAGIC,
    RECORD_BATCH_OVERHEAD, TIMESTAMP_TYPE_MASK,
};

/// CRC-32C (Castagnoli) of `batch[21..]`: what the batch's CRC field must hold.
///
/// Returns 0 for buffers shorter than 21 bytes.
pub fn compute_crc(batch: &[u8]) -> u32 {
    batch.get(ATTRIBUTES_OFFSET..).map_or(0, crc32c::crc32c)
}

/// Recomputes the CRC over `batch[21..]` and stores it at bytes 17..21.
///
/// # Panics
/// If `batch` is shorter than 21 bytes.
pub fn write_crc(batch: &mut [u8]) {
    let crc = compute_crc(batch);
    batch[CRC_OFFSET..ATTRIBUTES_OFFSET].copy_from_slice(&crc.to_be_bytes());
}

/// Checks the stored CRC of `batch` (whose header is `header`) against the computed one.
pub(crate) fn check_crc(header: &RecordBatchHeader, batch: &[u8]) -> Result<(), RecordsError> {
    let actual = compute_crc(batch);
    if actual != header.crc {
        return Err(RecordsError::CorruptCrc {
            expected: header.crc,
            actual,
        });
    }
    Ok(())
}

/// Fully validates `buf` as exactly one magic-2 batch, as a broker does before appending.
///
/// Checks, in order: the length prefix is present and sane (`Truncated` / `InvalidLength`), the
/// magic is 2 (`InvalidMagic`), the batch fills `buf` exactly (`Truncated` if shorter,
/// `InvalidLength` if `buf` has trailing bytes), the CRC-32C over `[21..end]` (`CorruptCrc`),
/// `record_count >= 1` and `last_offset_delta == record_count - 1` (`InvalidRecordCount`), and
/// the codec id (`InvalidCompression`). Records themselves are not decoded.
pub fn validate_batch(buf: &[u8]) -> Result<RecordBatchHeader, RecordsError> {
    // The magic byte is checked before the length so that legacy (magic 0/1) message sets,
    // whose entries can be shorter than a v2 header, report `InvalidMagic`.
    if let Some(&magic) = buf.get(16) {
        if magic as i8 != MAGIC {
            return Err(RecordsError::InvalidMagic(magic as i8));
        }
    }
    let size = peek_batch_size(buf)?.ok_or(RecordsError::Truncated)?;
    let header = RecordBatchHeader::parse(buf)?;
    if buf.len() < size {
        return Err(RecordsError::Truncated);
    }
    if buf.len() > size {
        return Err(RecordsError::InvalidLength(header.batch_length));
    }
    check_crc(&header, buf)?;
    if header.record_count < 1 || header.last_offset_delta != header.record_count - 1 {
        return Err(RecordsError::InvalidRecordCount);
    }
    header.compression()?;
    Ok(header)
}

/// Stamps LogAppendTime on a batch: sets attribute bit 3, sets `max_timestamp` to `timestamp`
/// and recomputes the CRC.
///
/// # Panics
/// If `buf` is shorter than the 61-byte header (pass a validated batch).
pub fn set_log_append_time(buf: &mut [u8], timestamp: i64) {
    assert!(
        buf.len() >= RECORD_BATCH_OVERHEAD,
        "set_log_append_time: buffer shorter than a batch header"
    );
    let attributes = i16::from_be_bytes([buf[21], buf[22]]) | TIMESTAMP_TYPE_MASK;
    buf[21..23].copy_from_slice(&attributes.to_be_bytes());
    buf[35..43].copy_from_slice(&timestamp.to_be_bytes());
    write_crc(buf);
}

//! Batch-header access for the log, on top of `kalfka_protocol::records`.
//!
//! The log only ever looks at the fixed 61-byte header of a batch; records are never decoded.

use kalfka_protocol::records::{
    peek_batch_size, set_base_offset, set_partition_leader_epoch, validate_batch,
    RecordBatchHeader, RECORD_BATCH_OVERHEAD,
};

use super::LogError;

/// The header fields the log cares about, for one batch at a known position.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BatchInfo {
    /// Offset of the first record.
    pub base_offset: i64,
    /// Offset of the last record.
    pub last_offset: i64,
    /// The batch's `maxTimestamp`.
    pub max_timestamp: i64,
    /// Total size of the batch in bytes (log prefix included).
    pub size: usize,
}

impl BatchInfo {
    fn from_header(h: &RecordBatchHeader) -> Self {
        BatchInfo {
            base_offset: h.base_offset,
            last_offset: h.last_offset(),
            max_timestamp: h.max_timestamp,
            size: h.total_size(),
        }
    }

    /// The offset following this batch.
    pub fn next_offset(&self) -> i64 {
        self.last_offset + 1
    }
}

/// Reads the header of the batch at `buf[pos..]` without checking the CRC.
///
/// For data the log wrote or already recovered. Checks only that the header and the whole batch
/// lie inside `buf` and that offsets are sane, so a damaged file yields an error, never a panic.
pub(crate) fn header_at(buf: &[u8], pos: usize) -> Result<BatchInfo, String> {
    let rest = buf
        .get(pos..)
        .ok_or_else(|| format!("position {pos} beyond end {}", buf.len()))?;
    let header = RecordBatchHeader::parse(rest)
        .map_err(|e| format!("bad batch header at position {pos}: {e}"))?;
    let info = BatchInfo::from_header(&header);
    if header.batch_length < 0
        || info.size < RECORD_BATCH_OVERHEAD
        || info.size > rest.len()
        || header.last_offset_delta < 0
        || header.base_offset < 0
    {
        return Err(format!(
            "implausible batch at position {pos}: length {}, last offset delta {}, base offset {}",
            header.batch_length, header.last_offset_delta, header.base_offset
        ));
    }
    Ok(info)
}

/// Outcome of fully validating the bytes at one position during recovery.
pub(crate) enum Validated {
    /// A complete, valid batch.
    Batch(BatchInfo),
    /// Nothing left: `pos` is exactly the end of the data.
    End,
    /// A torn or corrupt batch; the string says why.
    Bad(String),
}

/// Fully validates the batch at `buf[pos..]`: length prefix sane and inside `buf`, magic 2,
/// CRC-32C, record count consistent.
pub(crate) fn validate_at(buf: &[u8], pos: usize) -> Validated {
    let rest = match buf.get(pos..) {
        Some([]) | None => return Validated::End,
        Some(rest) => rest,
    };
    let size = match peek_batch_size(rest) {
        Ok(Some(size)) => size,
        Ok(None) => return Validated::Bad(format!("incomplete log prefix ({} bytes)", rest.len())),
        Err(e) => return Validated::Bad(e.to_string()),
    };
    let Some(bytes) = rest.get(..size) else {
        return Validated::Bad(format!(
            "incomplete batch: {size} bytes announced, {} present",
            rest.len()
        ));
    };
    match validate_batch(bytes) {
        Ok(header) if header.base_offset >= 0 => Validated::Batch(BatchInfo::from_header(&header)),
        Ok(header) => Validated::Bad(format!("negative base offset {}", header.base_offset)),
        Err(e) => Validated::Bad(e.to_string()),
    }
}

/// Checks that `batch` is exactly one batch, assigns it `base_offset` and leader epoch 0, and
/// returns its header fields (with the new offsets). The CRC is not re-checked.
pub(crate) fn prepare_for_append(
    batch: &mut [u8],
    base_offset: i64,
) -> Result<BatchInfo, LogError> {
    let header =
        RecordBatchHeader::parse(batch).map_err(|e| LogError::InvalidBatch(e.to_string()))?;
    if header.magic != 2 {
        return Err(LogError::InvalidBatch(format!(
            "magic {} (only 2 is supported)",
            header.magic
        )));
    }
    if header.batch_length < 0 || header.total_size() != batch.len() {
        return Err(LogError::InvalidBatch(format!(
            "batch length {} does not match buffer of {} bytes",
            header.batch_length,
            batch.len()
        )));
    }
    if header.last_offset_delta < 0 {
        return Err(LogError::InvalidBatch(format!(
            "negative last offset delta {}",
            header.last_offset_delta
        )));
    }
    set_base_offset(batch, base_offset);
    set_partition_leader_epoch(batch, 0);
    let mut info = BatchInfo::from_header(&header);
    info.base_offset = base_offset;
    info.last_offset = base_offset + i64::from(header.last_offset_delta);
    Ok(info)
}

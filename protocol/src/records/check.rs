//! Record-level validation of a produced batch, as Kafka's log validator does it before an
//! append: every record is walked (decompressing into a buffer bounded by the caller's
//! limit), its structure checked, and the broker's per-record rules applied.
//!
//! Two kinds of failure, as in Kafka:
//! - the batch's structure is wrong (fewer or more records than `record_count`, an offset
//!   delta that is not the record's index, a length or varint out of bounds, a payload that
//!   does not decompress or decompresses past the limit): [`check_records`] returns `Err` and
//!   the whole batch is refused;
//! - a well-formed record breaks a rule (no key on a compacted topic, a timestamp outside the
//!   allowed window): it is listed as a [`RecordViolation`] with its index, so that the
//!   broker can answer with KIP-467 `record_errors` and the client fail only those records.
//!
//! The walk never allocates per record: keys and values are skipped by length.

use super::compression::decompress;
use super::varint::{read_varint, read_varlong};
use super::{Compression, RecordBatchHeader, RecordsError, TimestampType, RECORD_BATCH_OVERHEAD};

/// Smallest possible encoded record (seven one-byte fields).
const MIN_RECORD_SIZE: usize = 7;
/// A record timestamp meaning "none" (Kafka's `RecordBatch.NO_TIMESTAMP`).
const NO_TIMESTAMP: i64 = -1;

/// What the broker requires of each record of a batch, from the topic's settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordRules {
    /// Records without a key are refused (`cleanup.policy` includes `compact`).
    pub require_key: bool,
    /// The topic keeps producer timestamps (`message.timestamp.type=CreateTime`).
    pub create_time: bool,
    /// The broker's clock, in ms since the epoch.
    pub now_ms: i64,
    /// `message.timestamp.before.max.ms`: how far in the past a timestamp may be.
    pub before_max_ms: i64,
    /// `message.timestamp.after.max.ms`: how far in the future a timestamp may be.
    pub after_max_ms: i64,
    /// Most bytes a compressed records region may decompress to (a guard against
    /// decompression bombs; Kafka itself bounds only the compressed batch).
    pub max_decompressed: usize,
}

/// Why a well-formed record is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Violation {
    /// No key, on a topic that requires one.
    MissingKey,
    /// A CreateTime timestamp outside `[min, max]`.
    TimestampOutOfRange {
        /// The record's timestamp.
        timestamp: i64,
        /// Earliest timestamp allowed.
        min: i64,
        /// Latest timestamp allowed.
        max: i64,
    },
    /// The producer set the LogAppendTime flag, which only the broker may set.
    LogAppendTimeFromProducer,
}

impl Violation {
    /// Whether Kafka reports this as INVALID_TIMESTAMP (otherwise INVALID_RECORD).
    pub fn is_timestamp(&self) -> bool {
        !matches!(self, Violation::MissingKey)
    }
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Violation::MissingKey => f.write_str("Compacted topic cannot accept message without key"),
            Violation::TimestampOutOfRange { timestamp, min, max } => write!(
                f,
                "Timestamp {timestamp} of message is out of range. The timestamp should be within [{min}, {max}]"
            ),
            Violation::LogAppendTimeFromProducer => f.write_str(
                "Invalid timestamp type in message. Producer should not set timestamp type to LogAppendTime.",
            ),
        }
    }
}

/// A record of the batch that breaks a rule: its index in the batch and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordViolation {
    /// Index of the record in its batch (KIP-467's `batch_index`).
    pub index: i32,
    /// What is wrong with it.
    pub violation: Violation,
}

/// What the walk learned about one record.
struct RecordInfo {
    timestamp_delta: i64,
    has_key: bool,
}

/// Walks every record of `batch` (one whole batch whose header, CRC and count fields
/// [`validate_batch`](super::validate_batch) already accepted) and applies `rules`.
///
/// Returns the records that break a rule (empty when all are fine), or the structural error
/// that makes the whole batch invalid. Memory: a compressed region is decompressed into one
/// buffer of at most `rules.max_decompressed` bytes; nothing else is allocated per record.
pub fn check_records(
    batch: &[u8],
    header: &RecordBatchHeader,
    rules: &RecordRules,
) -> Result<Vec<RecordViolation>, RecordsError> {
    let region = batch
        .get(RECORD_BATCH_OVERHEAD..)
        .ok_or(RecordsError::Truncated)?;
    match header.compression()? {
        Compression::None => walk(region, header, rules),
        codec => {
            let plain = decompress(codec, region, rules.max_decompressed)?;
            walk(&plain, header, rules)
        }
    }
}

fn walk(
    region: &[u8],
    header: &RecordBatchHeader,
    rules: &RecordRules,
) -> Result<Vec<RecordViolation>, RecordsError> {
    let count =
        usize::try_from(header.record_count).map_err(|_| RecordsError::InvalidRecordCount)?;
    if count > region.len() / MIN_RECORD_SIZE {
        return Err(invalid(format!(
            "record count {count} cannot fit in {} bytes of records",
            region.len()
        )));
    }
    let log_append_time = header.timestamp_type() == TimestampType::LogAppendTime;
    let (min, max) = (
        rules.now_ms.saturating_sub(rules.before_max_ms),
        rules.now_ms.saturating_add(rules.after_max_ms),
    );
    let mut violations = Vec::new();
    let mut pos = 0;
    for index in 0..count {
        let record = walk_record(region, &mut pos, index)?;
        let index = index as i32; // count came from an i32
        let violation = if rules.require_key && !record.has_key {
            Some(Violation::MissingKey)
        } else {
            let timestamp = header.base_timestamp.wrapping_add(record.timestamp_delta);
            if rules.create_time && timestamp != NO_TIMESTAMP {
                (timestamp < min || timestamp > max).then_some(Violation::TimestampOutOfRange {
                    timestamp,
                    min,
                    max,
                })
            } else {
                log_append_time.then_some(Violation::LogAppendTimeFromProducer)
            }
        };
        if let Some(violation) = violation {
            violations.push(RecordViolation { index, violation });
        }
    }
    if pos != region.len() {
        return Err(invalid(format!(
            "{} bytes after the last of {count} records",
            region.len() - pos
        )));
    }
    Ok(violations)
}

fn invalid(msg: String) -> RecordsError {
    RecordsError::InvalidRecord(msg)
}

/// Skips a varint-length-prefixed field that may be null (-1); whether it was present.
fn skip_bytes(body: &[u8], pos: &mut usize, what: &str) -> Result<bool, RecordsError> {
    let len = read_varint(body, pos).map_err(|_| invalid(format!("{what} length is cut off")))?;
    if len == -1 {
        return Ok(false);
    }
    let len = usize::try_from(len).map_err(|_| invalid(format!("negative {what} length {len}")))?;
    if len > body.len() - *pos {
        return Err(invalid(format!("{what} length {len} exceeds the record")));
    }
    *pos += len;
    Ok(true)
}

/// Walks the record at `region[*pos]` (the `index`-th of its batch) and advances past it.
fn walk_record(region: &[u8], pos: &mut usize, index: usize) -> Result<RecordInfo, RecordsError> {
    let len = read_varint(region, pos)
        .map_err(|_| invalid(format!("record {index}: length is cut off")))?;
    let len = usize::try_from(len)
        .map_err(|_| invalid(format!("record {index}: negative length {len}")))?;
    if len > region.len() - *pos {
        return Err(invalid(format!(
            "record {index}: length {len} exceeds the records region"
        )));
    }
    let end = *pos + len;
    let body = &region[..end];
    let in_record = |e: RecordsError| match e {
        RecordsError::InvalidRecord(m) => invalid(format!("record {index}: {m}")),
        _ => invalid(format!("record {index}: shorter than its fields")),
    };
    if *pos >= end {
        return Err(invalid(format!("record {index}: empty")));
    }
    *pos += 1; // attributes
    let timestamp_delta = read_varlong(body, pos).map_err(in_record)?;
    let offset_delta = read_varint(body, pos).map_err(in_record)?;
    if usize::try_from(offset_delta).ok() != Some(index) {
        return Err(invalid(format!(
            "record {index}: offset delta {offset_delta} is not its index in the batch"
        )));
    }
    let has_key = skip_bytes(body, pos, "key").map_err(in_record)?;
    skip_bytes(body, pos, "value").map_err(in_record)?;
    let headers = read_varint(body, pos).map_err(in_record)?;
    let headers = usize::try_from(headers)
        .map_err(|_| invalid(format!("record {index}: negative header count {headers}")))?;
    if headers > (end - *pos) / 2 {
        return Err(invalid(format!(
            "record {index}: header count {headers} exceeds the record"
        )));
    }
    for _ in 0..headers {
        if !skip_bytes(body, pos, "header key").map_err(in_record)? {
            return Err(invalid(format!("record {index}: null header key")));
        }
        skip_bytes(body, pos, "header value").map_err(in_record)?;
    }
    if *pos != end {
        return Err(invalid(format!(
            "record {index}: length {len} does not match its content ({} bytes left over)",
            end - *pos
        )));
    }
    Ok(RecordInfo {
        timestamp_delta,
        has_key,
    })
}

//! Individual records inside a (decompressed) records region.
//!
//! ```text
//! length          varint   bytes of the rest of this record
//! attributes      int8
//! timestampDelta  varlong
//! offsetDelta     varint
//! keyLength       varint   -1 = null
//! key             bytes
//! valueLength     varint   -1 = null
//! value           bytes
//! headerCount     varint
//! headers[]       keyLength varint, key UTF-8, valueLength varint (-1 = null), value
//! ```

use bytes::Bytes;

use super::varint::{read_varint, read_varlong, write_varint, write_varlong};
use super::{RecordBatchHeader, RecordsError, TimestampType};

/// Smallest possible encoded record: length, attributes, timestamp delta, offset delta, key
/// length, value length and header count, one byte each.
const MIN_RECORD_SIZE: usize = 7;
/// Smallest possible encoded header: key length and value length, one byte each.
const MIN_HEADER_SIZE: usize = 2;

/// One record of a batch. `key`, `value` and header values share the batch's (or the
/// decompressed region's) buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// Record attributes (unused by Kafka, 0).
    pub attributes: i8,
    /// Timestamp minus the batch's `base_timestamp`.
    pub timestamp_delta: i64,
    /// Offset minus the batch's `base_offset`.
    pub offset_delta: i32,
    /// Key; `None` is a null key.
    pub key: Option<Bytes>,
    /// Value; `None` is a null value (tombstone).
    pub value: Option<Bytes>,
    /// Record headers, in order.
    pub headers: Vec<RecordHeader>,
}

/// One record header: a UTF-8 key (never null) and an optional value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordHeader {
    /// Header key.
    pub key: String,
    /// Header value; `None` is null.
    pub value: Option<Bytes>,
}

impl Record {
    /// Absolute offset of this record in `batch`: `base_offset + offset_delta`.
    pub fn offset(&self, batch: &RecordBatchHeader) -> i64 {
        batch.base_offset.wrapping_add(i64::from(self.offset_delta))
    }

    /// Timestamp of this record in `batch`: `base_timestamp + timestamp_delta` for CreateTime,
    /// the batch's `max_timestamp` for LogAppendTime.
    pub fn timestamp(&self, batch: &RecordBatchHeader) -> i64 {
        match batch.timestamp_type() {
            TimestampType::CreateTime => batch.base_timestamp.wrapping_add(self.timestamp_delta),
            TimestampType::LogAppendTime => batch.max_timestamp,
        }
    }
}

fn invalid(msg: impl Into<String>) -> RecordsError {
    RecordsError::InvalidRecord(msg.into())
}

/// Reads a varint length (`-1` = null) and that many bytes, as a zero-copy slice of `region`.
fn read_nullable_bytes(
    region: &Bytes,
    end: usize,
    pos: &mut usize,
    what: &str,
) -> Result<Option<Bytes>, RecordsError> {
    let len = read_varint(&region[..end], pos)?;
    if len == -1 {
        return Ok(None);
    }
    let len = usize::try_from(len).map_err(|_| invalid(format!("negative {what} length {len}")))?;
    if len > end - *pos {
        return Err(invalid(format!("{what} length {len} exceeds the record")));
    }
    let out = region.slice(*pos..*pos + len);
    *pos += len;
    Ok(Some(out))
}

/// Decodes one record whose length prefix starts at `region[*pos]`; advances `pos` past it.
fn decode_record(region: &Bytes, pos: &mut usize) -> Result<Record, RecordsError> {
    let len = read_varint(region, pos)?;
    let len = usize::try_from(len).map_err(|_| invalid(format!("negative record length {len}")))?;
    if len > region.len() - *pos {
        return Err(RecordsError::Truncated);
    }
    let end = *pos + len;
    let body = &region[..end];
    let attributes = *body.get(*pos).ok_or_else(|| invalid("empty record"))? as i8;
    *pos += 1;
    let timestamp_delta = read_varlong(body, pos).map_err(in_record)?;
    let offset_delta = read_varint(body, pos).map_err(in_record)?;
    let key = read_nullable_bytes(region, end, pos, "key").map_err(in_record)?;
    let value = read_nullable_bytes(region, end, pos, "value").map_err(in_record)?;
    let count = read_varint(body, pos).map_err(in_record)?;
    let count =
        usize::try_from(count).map_err(|_| invalid(format!("negative header count {count}")))?;
    if count > (end - *pos) / MIN_HEADER_SIZE {
        return Err(invalid(format!("header count {count} exceeds the record")));
    }
    let mut headers = Vec::with_capacity(count);
    for _ in 0..count {
        let key = read_nullable_bytes(region, end, pos, "header key")
            .map_err(in_record)?
            .ok_or_else(|| invalid("null header key"))?;
        // Kafka decodes header keys leniently (invalid UTF-8 becomes U+FFFD), so a broker
        // that accepted the record can always read it back.
        let key = String::from_utf8_lossy(&key).into_owned();
        let value = read_nullable_bytes(region, end, pos, "header value").map_err(in_record)?;
        headers.push(RecordHeader { key, value });
    }
    if *pos != end {
        return Err(invalid(format!(
            "record length {len} does not match its content ({} bytes left over)",
            end - *pos
        )));
    }
    Ok(Record {
        attributes,
        timestamp_delta,
        offset_delta,
        key,
        value,
        headers,
    })
}

/// Inside a record's declared length, running out of bytes means the record is malformed.
fn in_record(e: RecordsError) -> RecordsError {
    match e {
        RecordsError::Truncated => invalid("record shorter than its fields"),
        other => other,
    }
}

/// Decodes exactly `count` records filling `region` completely.
///
/// Allocation is bounded by the region's size: the record vector is reserved for at most
/// `region.len() / 7` entries whatever `count` claims.
pub(crate) fn decode_records(region: &Bytes, count: i32) -> Result<Vec<Record>, RecordsError> {
    let count = usize::try_from(count).map_err(|_| RecordsError::InvalidRecordCount)?;
    if count > region.len() / MIN_RECORD_SIZE {
        return Err(RecordsError::InvalidRecordCount);
    }
    let mut records = Vec::with_capacity(count);
    let mut pos = 0;
    for _ in 0..count {
        records.push(decode_record(region, &mut pos)?);
    }
    if pos != region.len() {
        return Err(invalid(format!(
            "{} bytes left after the last record",
            region.len() - pos
        )));
    }
    Ok(records)
}

fn write_nullable_bytes(out: &mut Vec<u8>, b: Option<&[u8]>) -> Result<(), RecordsError> {
    match b {
        None => write_varint(out, -1),
        Some(b) => {
            let len = i32::try_from(b.len()).map_err(|_| invalid("field longer than i32::MAX"))?;
            write_varint(out, len);
            out.extend_from_slice(b);
        }
    }
    Ok(())
}

/// Appends one encoded record (length prefix included) to `out`.
pub(crate) fn encode_record(
    out: &mut Vec<u8>,
    timestamp_delta: i64,
    offset_delta: i32,
    key: Option<&[u8]>,
    value: Option<&[u8]>,
    headers: &[(&str, Option<&[u8]>)],
) -> Result<(), RecordsError> {
    let mut body = Vec::with_capacity(
        16 + key.map_or(0, <[u8]>::len) + value.map_or(0, <[u8]>::len) + headers.len() * 8,
    );
    body.push(0); // attributes
    write_varlong(&mut body, timestamp_delta);
    write_varint(&mut body, offset_delta);
    write_nullable_bytes(&mut body, key)?;
    write_nullable_bytes(&mut body, value)?;
    let count = i32::try_from(headers.len()).map_err(|_| invalid("too many headers"))?;
    write_varint(&mut body, count);
    for (k, v) in headers {
        write_nullable_bytes(&mut body, Some(k.as_bytes()))?;
        write_nullable_bytes(&mut body, *v)?;
    }
    let len = i32::try_from(body.len()).map_err(|_| invalid("record longer than i32::MAX"))?;
    write_varint(out, len);
    out.extend_from_slice(&body);
    Ok(())
}

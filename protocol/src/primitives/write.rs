//! Writers for the fixed-width, string, bytes and array-length primitives.
//!
//! Functions taking a `compact: bool` write the COMPACT_* form when it is true (flexible versions)
//! and the classic int16/int32-prefixed form otherwise.

use bytes::BufMut;

use super::{put_unsigned_varint, EncodeError, Uuid};

/// Writes an INT8.
pub fn put_int8(out: &mut impl BufMut, v: i8) {
    out.put_i8(v);
}
/// Writes a big-endian INT16.
pub fn put_int16(out: &mut impl BufMut, v: i16) {
    out.put_i16(v);
}
/// Writes a big-endian INT32.
pub fn put_int32(out: &mut impl BufMut, v: i32) {
    out.put_i32(v);
}
/// Writes a big-endian INT64.
pub fn put_int64(out: &mut impl BufMut, v: i64) {
    out.put_i64(v);
}
/// Writes a big-endian UINT16.
pub fn put_uint16(out: &mut impl BufMut, v: u16) {
    out.put_u16(v);
}
/// Writes a big-endian UINT32.
pub fn put_uint32(out: &mut impl BufMut, v: u32) {
    out.put_u32(v);
}
/// Writes a big-endian FLOAT64.
pub fn put_float64(out: &mut impl BufMut, v: f64) {
    out.put_f64(v);
}
/// Writes a BOOLEAN as 0 or 1.
pub fn put_bool(out: &mut impl BufMut, v: bool) {
    out.put_u8(u8::from(v));
}
/// Writes a UUID as 16 raw bytes.
pub fn put_uuid(out: &mut impl BufMut, v: &Uuid) {
    out.put_slice(&v.0);
}

fn put_len(
    out: &mut impl BufMut,
    len: usize,
    compact: bool,
    max: usize,
) -> Result<(), EncodeError> {
    if len > max {
        return Err(EncodeError::TooLong(len));
    }
    if compact {
        put_unsigned_varint(out, len as u32 + 1);
    } else if max == i16::MAX as usize {
        out.put_i16(len as i16);
    } else {
        out.put_i32(len as i32);
    }
    Ok(())
}

fn put_null(out: &mut impl BufMut, compact: bool, short: bool) {
    if compact {
        out.put_u8(0);
    } else if short {
        out.put_i16(-1);
    } else {
        out.put_i32(-1);
    }
}

const MAX_STR: usize = i16::MAX as usize;
const MAX_BYTES: usize = i32::MAX as usize - 1;

/// Writes a STRING / COMPACT_STRING.
pub fn put_string(out: &mut impl BufMut, s: &str, compact: bool) -> Result<(), EncodeError> {
    put_len(out, s.len(), compact, MAX_STR)?;
    out.put_slice(s.as_bytes());
    Ok(())
}

/// Writes a NULLABLE_STRING / COMPACT_NULLABLE_STRING.
pub fn put_nullable_string(
    out: &mut impl BufMut,
    s: Option<&str>,
    compact: bool,
) -> Result<(), EncodeError> {
    match s {
        Some(s) => put_string(out, s, compact),
        None => {
            put_null(out, compact, true);
            Ok(())
        }
    }
}

/// Writes BYTES / COMPACT_BYTES.
pub fn put_bytes(out: &mut impl BufMut, b: &[u8], compact: bool) -> Result<(), EncodeError> {
    put_len(out, b.len(), compact, MAX_BYTES)?;
    out.put_slice(b);
    Ok(())
}

/// Writes NULLABLE_BYTES / COMPACT_NULLABLE_BYTES (also RECORDS).
pub fn put_nullable_bytes(
    out: &mut impl BufMut,
    b: Option<&[u8]>,
    compact: bool,
) -> Result<(), EncodeError> {
    match b {
        Some(b) => put_bytes(out, b, compact),
        None => {
            put_null(out, compact, false);
            Ok(())
        }
    }
}

/// Writes an ARRAY / COMPACT_ARRAY element count.
pub fn put_array_len(out: &mut impl BufMut, len: usize, compact: bool) -> Result<(), EncodeError> {
    put_len(out, len, compact, MAX_BYTES)
}

/// Writes a null ARRAY / COMPACT_ARRAY.
pub fn put_null_array(out: &mut impl BufMut, compact: bool) {
    put_null(out, compact, false);
}

/// Writes an empty TAG_BUFFER (a single zero byte).
pub fn put_empty_tagged_fields(out: &mut impl BufMut) {
    out.put_u8(0);
}

/// Writes one tagged field: `uvarint tag, uvarint len, data`.
pub fn put_tagged_field(out: &mut impl BufMut, tag: u32, data: &[u8]) -> Result<(), EncodeError> {
    let len = u32::try_from(data.len()).map_err(|_| EncodeError::TooLong(data.len()))?;
    put_unsigned_varint(out, tag);
    put_unsigned_varint(out, len);
    out.put_slice(data);
    Ok(())
}

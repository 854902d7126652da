//! Wire primitives: one nom parser and one [`BufMut`] writer per Kafka primitive type.
//!
//! Parsers are *complete* nom parsers over `&[u8]` whose error type is [`DecodeError`]:
//! running out of input yields [`DecodeError::Incomplete`], anything else that cannot be a valid
//! encoding yields [`DecodeError::Malformed`]. Parsers never allocate more than the bytes present
//! in their input (declared lengths are checked against the remaining input before use).
//!
//! Writers return [`EncodeError`] when a value cannot be represented (e.g. a string longer than
//! `i16::MAX` bytes).
//!
//! [`Decoder`] wraps these parsers for the generated message code: it keeps a cursor over a
//! (possibly [`Bytes`]-backed) buffer so that `bytes`/`records` fields are zero-copy slices.

use std::fmt;

use bytes::BufMut;
use nom::error::{ErrorKind, ParseError};
use nom::number::complete as num;

mod decoder;
mod write;

pub use decoder::Decoder;
pub use write::*;

/// Errors produced while decoding wire data.
///
/// [`DecodeError::Incomplete`] means "more bytes are needed"; it is only meaningful for the
/// primitive parsers and for [`crate::header::peek_api_key_version`]-style probing. Frame
/// completeness is decided by [`crate::frame::check_frame`]; once a whole frame is present, running
/// out of bytes while decoding a message body is reported as [`DecodeError::Malformed`] by
/// [`Decoder`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The input ended before the value was complete.
    #[error("incomplete input")]
    Incomplete,
    /// The input can never be a valid encoding (bad length, overlong varint, bad UTF-8, ...).
    #[error("malformed input: {0}")]
    Malformed(String),
    /// The message does not exist in the requested version.
    #[error("unsupported version {version} for api key {api_key}")]
    UnsupportedVersion {
        /// API key of the message (-1 for data structs).
        api_key: i16,
        /// The requested version.
        version: i16,
    },
    /// The API key is not one this crate knows.
    #[error("unknown api key {0}")]
    UnknownApiKey(i16),
}

impl DecodeError {
    /// Builds a [`DecodeError::Malformed`] from anything displayable.
    pub fn malformed(msg: impl fmt::Display) -> Self {
        DecodeError::Malformed(msg.to_string())
    }

    /// Converts [`DecodeError::Incomplete`] into [`DecodeError::Malformed`]: inside a complete
    /// frame, missing bytes mean the body is malformed.
    pub fn in_body(self) -> Self {
        match self {
            DecodeError::Incomplete => DecodeError::malformed("unexpected end of message body"),
            e => e,
        }
    }
}

impl<'a> ParseError<&'a [u8]> for DecodeError {
    fn from_error_kind(_input: &'a [u8], kind: ErrorKind) -> Self {
        match kind {
            ErrorKind::Eof | ErrorKind::Complete => DecodeError::Incomplete,
            k => DecodeError::malformed(k.description()),
        }
    }

    fn append(_input: &'a [u8], _kind: ErrorKind, other: Self) -> Self {
        other
    }
}

/// Errors produced while encoding.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EncodeError {
    /// The message does not exist in the requested version.
    #[error("unsupported version {version} for api key {api_key}")]
    UnsupportedVersion {
        /// API key of the message (-1 for data structs).
        api_key: i16,
        /// The requested version.
        version: i16,
    },
    /// A string, byte array or array is too long for its length prefix.
    #[error("value too long: {0} elements/bytes")]
    TooLong(usize),
    /// A field holds `None` in a version where it is not nullable.
    #[error("field {0} is null but not nullable in this version")]
    NullNotAllowed(&'static str),
}

/// Result type of every primitive parser.
pub type PResult<'a, T> = nom::IResult<&'a [u8], T, DecodeError>;

fn fail<T>(msg: &str) -> Result<T, nom::Err<DecodeError>> {
    Err(nom::Err::Error(DecodeError::malformed(msg)))
}

fn incomplete<T>() -> Result<T, nom::Err<DecodeError>> {
    Err(nom::Err::Error(DecodeError::Incomplete))
}

/// A 128-bit UUID as Kafka sends it (16 raw bytes). The all-zero UUID means "unset".
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct Uuid(pub [u8; 16]);

impl Uuid {
    /// The all-zero ("null") UUID.
    pub const ZERO: Uuid = Uuid([0; 16]);

    /// True for the all-zero UUID.
    pub fn is_zero(&self) -> bool {
        self.0 == [0; 16]
    }

    /// Kafka's textual form: URL-safe base64 without padding (22 chars), as Java's `Uuid.toString`.
    pub fn to_base64(&self) -> String {
        const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let mut out = String::with_capacity(22);
        for chunk in self.0.chunks(3) {
            let b = [
                chunk[0],
                *chunk.get(1).unwrap_or(&0),
                *chunk.get(2).unwrap_or(&0),
            ];
            let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
            let chars = chunk.len() + 1;
            for i in 0..chars {
                out.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
            }
        }
        out
    }
}

impl fmt::Debug for Uuid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Uuid({})", self.to_base64())
    }
}

impl fmt::Display for Uuid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_base64())
    }
}

impl From<[u8; 16]> for Uuid {
    fn from(b: [u8; 16]) -> Self {
        Uuid(b)
    }
}

/// Parses an INT8.
pub fn int8(i: &[u8]) -> PResult<'_, i8> {
    num::be_i8(i)
}
/// Parses a big-endian INT16.
pub fn int16(i: &[u8]) -> PResult<'_, i16> {
    num::be_i16(i)
}
/// Parses a big-endian INT32.
pub fn int32(i: &[u8]) -> PResult<'_, i32> {
    num::be_i32(i)
}
/// Parses a big-endian INT64.
pub fn int64(i: &[u8]) -> PResult<'_, i64> {
    num::be_i64(i)
}
/// Parses a big-endian UINT16.
pub fn uint16(i: &[u8]) -> PResult<'_, u16> {
    num::be_u16(i)
}
/// Parses a big-endian UINT32.
pub fn uint32(i: &[u8]) -> PResult<'_, u32> {
    num::be_u32(i)
}
/// Parses a big-endian IEEE-754 FLOAT64.
pub fn float64(i: &[u8]) -> PResult<'_, f64> {
    num::be_f64(i)
}
/// Parses a BOOLEAN (any nonzero byte is `true`).
pub fn boolean(i: &[u8]) -> PResult<'_, bool> {
    let (i, b) = num::be_u8(i)?;
    Ok((i, b != 0))
}
/// Parses a UUID (16 raw bytes).
pub fn uuid(i: &[u8]) -> PResult<'_, Uuid> {
    match i.split_first_chunk::<16>() {
        Some((b, rest)) => Ok((rest, Uuid(*b))),
        None => incomplete(),
    }
}

/// Parses an UNSIGNED_VARINT (LEB128, at most 5 bytes; overlong or >32-bit encodings are malformed).
pub fn unsigned_varint(i: &[u8]) -> PResult<'_, u32> {
    let mut v: u32 = 0;
    for idx in 0..5 {
        let Some(&b) = i.get(idx) else {
            return incomplete();
        };
        if idx == 4 && b > 0x0f {
            return fail("unsigned varint overflows 32 bits");
        }
        v |= u32::from(b & 0x7f) << (7 * idx);
        if b & 0x80 == 0 {
            return Ok((&i[idx + 1..], v));
        }
    }
    fail("unsigned varint longer than 5 bytes")
}

/// Parses an unsigned LEB128 varlong (at most 10 bytes).
pub fn unsigned_varlong(i: &[u8]) -> PResult<'_, u64> {
    let mut v: u64 = 0;
    for idx in 0..10 {
        let Some(&b) = i.get(idx) else {
            return incomplete();
        };
        if idx == 9 && b > 0x01 {
            return fail("unsigned varlong overflows 64 bits");
        }
        v |= u64::from(b & 0x7f) << (7 * idx);
        if b & 0x80 == 0 {
            return Ok((&i[idx + 1..], v));
        }
    }
    fail("unsigned varlong longer than 10 bytes")
}

/// Parses a zigzag VARINT (i32).
pub fn varint(i: &[u8]) -> PResult<'_, i32> {
    let (i, z) = unsigned_varint(i)?;
    Ok((i, ((z >> 1) as i32) ^ -((z & 1) as i32)))
}

/// Parses a zigzag VARLONG (i64).
pub fn varlong(i: &[u8]) -> PResult<'_, i64> {
    let (i, z) = unsigned_varlong(i)?;
    Ok((i, ((z >> 1) as i64) ^ -((z & 1) as i64)))
}

fn take(i: &[u8], n: usize) -> PResult<'_, &[u8]> {
    if n > i.len() {
        return incomplete();
    }
    Ok((&i[n..], &i[..n]))
}

fn utf8(b: &[u8]) -> Result<&str, nom::Err<DecodeError>> {
    std::str::from_utf8(b).map_err(|_| nom::Err::Error(DecodeError::malformed("invalid UTF-8")))
}

/// Length prefix of a nullable value: `None` = null.
fn len_i16(i: &[u8]) -> PResult<'_, Option<usize>> {
    let (i, n) = int16(i)?;
    match n {
        -1 => Ok((i, None)),
        n if n < 0 => fail("negative length"),
        n => Ok((i, Some(n as usize))),
    }
}

fn len_i32(i: &[u8]) -> PResult<'_, Option<usize>> {
    let (i, n) = int32(i)?;
    match n {
        -1 => Ok((i, None)),
        n if n < 0 => fail("negative length"),
        n => Ok((i, Some(n as usize))),
    }
}

fn len_compact(i: &[u8]) -> PResult<'_, Option<usize>> {
    let (i, n) = unsigned_varint(i)?;
    Ok((i, n.checked_sub(1).map(|n| n as usize)))
}

fn non_null<'a, T>(r: PResult<'a, Option<T>>, what: &str) -> PResult<'a, T> {
    match r? {
        (i, Some(v)) => Ok((i, v)),
        (_, None) => fail(&format!("null {what} where not nullable")),
    }
}

/// Parses a NULLABLE_STRING (int16 length, -1 = null).
pub fn nullable_string(i: &[u8]) -> PResult<'_, Option<&str>> {
    let (i, n) = len_i16(i)?;
    match n {
        None => Ok((i, None)),
        Some(n) => {
            let (i, b) = take(i, n)?;
            Ok((i, Some(utf8(b)?)))
        }
    }
}
/// Parses a STRING (int16 length; null is malformed).
pub fn string(i: &[u8]) -> PResult<'_, &str> {
    non_null(nullable_string(i), "string")
}
/// Parses a COMPACT_NULLABLE_STRING (uvarint length+1, 0 = null).
pub fn compact_nullable_string(i: &[u8]) -> PResult<'_, Option<&str>> {
    let (i, n) = len_compact(i)?;
    match n {
        None => Ok((i, None)),
        Some(n) => {
            let (i, b) = take(i, n)?;
            Ok((i, Some(utf8(b)?)))
        }
    }
}
/// Parses a COMPACT_STRING.
pub fn compact_string(i: &[u8]) -> PResult<'_, &str> {
    non_null(compact_nullable_string(i), "string")
}
/// Parses NULLABLE_BYTES (int32 length, -1 = null).
pub fn nullable_bytes(i: &[u8]) -> PResult<'_, Option<&[u8]>> {
    let (i, n) = len_i32(i)?;
    match n {
        None => Ok((i, None)),
        Some(n) => {
            let (i, b) = take(i, n)?;
            Ok((i, Some(b)))
        }
    }
}
/// Parses BYTES (int32 length; null is malformed).
pub fn bytes(i: &[u8]) -> PResult<'_, &[u8]> {
    non_null(nullable_bytes(i), "bytes")
}
/// Parses COMPACT_NULLABLE_BYTES (uvarint length+1, 0 = null).
pub fn compact_nullable_bytes(i: &[u8]) -> PResult<'_, Option<&[u8]>> {
    let (i, n) = len_compact(i)?;
    match n {
        None => Ok((i, None)),
        Some(n) => {
            let (i, b) = take(i, n)?;
            Ok((i, Some(b)))
        }
    }
}
/// Parses COMPACT_BYTES.
pub fn compact_bytes(i: &[u8]) -> PResult<'_, &[u8]> {
    non_null(compact_nullable_bytes(i), "bytes")
}

fn bounded_count(i: &[u8], n: Option<usize>) -> PResult<'_, Option<usize>> {
    match n {
        Some(n) if n > i.len() => fail(&format!(
            "array of {n} elements but only {} bytes left",
            i.len()
        )),
        n => Ok((i, n)),
    }
}

/// Parses an ARRAY count (int32, -1 = null). Counts above the remaining input length are
/// malformed, so callers can pre-allocate `count` elements safely.
pub fn array_count(i: &[u8]) -> PResult<'_, Option<usize>> {
    let (i, n) = len_i32(i)?;
    bounded_count(i, n)
}

/// Parses a COMPACT_ARRAY count (uvarint count+1, 0 = null), bounded like [`array_count`].
pub fn compact_array_count(i: &[u8]) -> PResult<'_, Option<usize>> {
    let (i, n) = len_compact(i)?;
    bounded_count(i, n)
}

/// One raw tagged field: its tag and undecoded payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawTaggedField<'a> {
    /// The field's tag.
    pub tag: u32,
    /// The field's payload bytes.
    pub data: &'a [u8],
}

/// Parses one tagged field header + payload (`uvarint tag, uvarint size, size bytes`).
pub fn tagged_field(i: &[u8]) -> PResult<'_, RawTaggedField<'_>> {
    let (i, tag) = unsigned_varint(i)?;
    let (i, size) = unsigned_varint(i)?;
    let (i, data) = take(i, size as usize)?;
    Ok((i, RawTaggedField { tag, data }))
}

/// Parses a whole TAG_BUFFER, returning its fields (tags must be strictly ascending).
pub fn tagged_fields(i: &[u8]) -> PResult<'_, Vec<RawTaggedField<'_>>> {
    let (mut i, n) = unsigned_varint(i)?;
    let n = n as usize;
    if n > i.len() {
        return fail("tag buffer count exceeds input");
    }
    let mut out = Vec::with_capacity(n);
    let mut last: Option<u32> = None;
    for _ in 0..n {
        let (rest, f) = tagged_field(i)?;
        if last.is_some_and(|l| f.tag <= l) {
            return fail("tagged fields not in ascending order");
        }
        last = Some(f.tag);
        out.push(f);
        i = rest;
    }
    Ok((i, out))
}

/// Skips a TAG_BUFFER, ignoring every field.
pub fn skip_tagged_fields(i: &[u8]) -> PResult<'_, ()> {
    let (mut i, n) = unsigned_varint(i)?;
    for _ in 0..n {
        let (rest, _) = tagged_field(i)?;
        i = rest;
    }
    Ok((i, ()))
}

/// Number of bytes [`put_unsigned_varint`] writes for `v`.
pub fn unsigned_varint_len(v: u32) -> usize {
    match v {
        0..=0x7f => 1,
        0x80..=0x3fff => 2,
        0x4000..=0x1f_ffff => 3,
        0x20_0000..=0x0fff_ffff => 4,
        _ => 5,
    }
}

/// Writes an UNSIGNED_VARINT.
pub fn put_unsigned_varint(out: &mut impl BufMut, mut v: u32) {
    while v >= 0x80 {
        out.put_u8((v as u8) | 0x80);
        v >>= 7;
    }
    out.put_u8(v as u8);
}

/// Writes an unsigned LEB128 varlong.
pub fn put_unsigned_varlong(out: &mut impl BufMut, mut v: u64) {
    while v >= 0x80 {
        out.put_u8((v as u8) | 0x80);
        v >>= 7;
    }
    out.put_u8(v as u8);
}

/// Writes a zigzag VARINT.
pub fn put_varint(out: &mut impl BufMut, v: i32) {
    put_unsigned_varint(out, ((v << 1) ^ (v >> 31)) as u32);
}

/// Writes a zigzag VARLONG.
pub fn put_varlong(out: &mut impl BufMut, v: i64) {
    put_unsigned_varlong(out, ((v << 1) ^ (v >> 63)) as u64);
}

//! Request headers (v0–v2) and response headers (v0–v1), and which header version each
//! API/version pair uses (derived from the generated flexible-version tables).

use bytes::BufMut;

use crate::messages::{request_flexible_min, response_flexible_min};
use crate::primitives::{
    self as p, put_empty_tagged_fields, put_int16, put_int32, put_nullable_string, DecodeError,
    Decoder, EncodeError,
};

/// API key of ApiVersions, whose response header is always v0.
pub const API_VERSIONS_KEY: i16 = 18;

/// A request header.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RequestHeader {
    /// The API key of the request.
    pub api_key: i16,
    /// The API version of the request.
    pub api_version: i16,
    /// Echoed back in the response header.
    pub correlation_id: i32,
    /// The client id (header v1+; int16-length nullable string even in v2). `None` for v0.
    pub client_id: Option<String>,
}

impl RequestHeader {
    /// Decodes a header of `header_version` (0, 1 or 2) at the decoder's cursor. Tagged fields in
    /// a v2 header are skipped.
    pub fn decode(d: &mut Decoder<'_>, header_version: i16) -> Result<Self, DecodeError> {
        if !(0..=2).contains(&header_version) {
            return Err(DecodeError::malformed(format!(
                "request header version {header_version}"
            )));
        }
        let api_key = d.int16()?;
        let api_version = d.int16()?;
        let correlation_id = d.int32()?;
        let client_id = if header_version >= 1 {
            d.nullable_string(false)?
        } else {
            None
        };
        if header_version >= 2 {
            d.tagged_fields(|_, _| Ok(()))?;
        }
        Ok(RequestHeader {
            api_key,
            api_version,
            correlation_id,
            client_id,
        })
    }

    /// Decodes the header at the start of `frame_body` (the frame without its 4-byte size),
    /// choosing the header version with [`request_header_version`]. Returns the header and the
    /// number of bytes it occupied; the body starts at that offset.
    pub fn parse(frame_body: &[u8]) -> Result<(Self, usize), DecodeError> {
        let (api_key, api_version, _) = peek_api_key_version(frame_body)
            .ok_or_else(|| DecodeError::malformed("request shorter than a header"))?;
        let hv = request_header_version(api_key, api_version);
        let mut d = Decoder::from_slice(frame_body);
        let h = Self::decode(&mut d, hv)?;
        Ok((h, frame_body.len() - d.remaining().len()))
    }

    /// Encodes the header as `header_version` (used by tests and clients).
    pub fn encode(&self, out: &mut impl BufMut, header_version: i16) -> Result<(), EncodeError> {
        put_int16(out, self.api_key);
        put_int16(out, self.api_version);
        put_int32(out, self.correlation_id);
        if header_version >= 1 {
            put_nullable_string(out, self.client_id.as_deref(), false)?;
        }
        if header_version >= 2 {
            put_empty_tagged_fields(out);
        }
        Ok(())
    }
}

/// A response header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ResponseHeader {
    /// The correlation id of the request being answered.
    pub correlation_id: i32,
}

impl ResponseHeader {
    /// Encodes the header as `header_version` (0: correlation id; 1: + empty tag buffer).
    pub fn encode(&self, out: &mut impl BufMut, header_version: i16) {
        put_int32(out, self.correlation_id);
        if header_version >= 1 {
            put_empty_tagged_fields(out);
        }
    }

    /// Decodes a header of `header_version` (tagged fields skipped).
    pub fn decode(d: &mut Decoder<'_>, header_version: i16) -> Result<Self, DecodeError> {
        let correlation_id = d.int32()?;
        if header_version >= 1 {
            d.tagged_fields(|_, _| Ok(()))?;
        }
        Ok(ResponseHeader { correlation_id })
    }
}

/// Request header version for `api_key`/`api_version`: 2 if the version is flexible, else 1.
/// Versions above a known API's max follow the same rule (so ApiVersions v5 → 2). Unknown API
/// keys yield 1 (the caller cannot parse their body anyway; see [`peek_api_key_version`]).
pub fn request_header_version(api_key: i16, api_version: i16) -> i16 {
    match request_flexible_min(api_key) {
        Some(Some(f)) if api_version >= f => 2,
        _ => 1,
    }
}

/// Response header version for `api_key`/`api_version`: 1 if flexible, else 0; ApiVersions
/// responses always use v0.
pub fn response_header_version(api_key: i16, api_version: i16) -> i16 {
    if api_key == API_VERSIONS_KEY {
        return 0;
    }
    match response_flexible_min(api_key) {
        Some(Some(f)) if api_version >= f => 1,
        _ => 0,
    }
}

/// Reads `(api_key, api_version, correlation_id)` from the first 8 bytes of a request frame body
/// (without the size prefix), whatever the header version. `None` if fewer than 8 bytes.
pub fn peek_api_key_version(frame_body: &[u8]) -> Option<(i16, i16, i32)> {
    let (i, key) = p::int16(frame_body).ok()?;
    let (i, ver) = p::int16(i).ok()?;
    let (_, corr) = p::int32(i).ok()?;
    Some((key, ver, corr))
}

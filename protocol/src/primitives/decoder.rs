//! [`Decoder`]: a cursor over a message body used by the generated decoders.

use bytes::Bytes;

use super::*;

/// A read cursor over a message body.
///
/// When created with [`Decoder::new`] from a [`Bytes`] buffer, `bytes` and `records` fields are
/// returned as zero-copy slices of that buffer. [`Decoder::from_slice`] copies them instead.
///
/// Every read converts [`DecodeError::Incomplete`] into [`DecodeError::Malformed`]: the decoder is
/// meant to run over a complete frame (see [`crate::frame::check_frame`]).
#[derive(Debug, Clone)]
pub struct Decoder<'a> {
    root: Option<&'a Bytes>,
    buf: &'a [u8],
}

impl<'a> Decoder<'a> {
    /// A decoder over the whole of `root`; byte fields will slice `root` (zero-copy).
    pub fn new(root: &'a Bytes) -> Self {
        Decoder {
            root: Some(root),
            buf: root.as_ref(),
        }
    }

    /// A decoder over a plain slice; byte fields are copied.
    pub fn from_slice(buf: &'a [u8]) -> Self {
        Decoder { root: None, buf }
    }

    /// The bytes not consumed yet.
    pub fn remaining(&self) -> &'a [u8] {
        self.buf
    }

    /// True when all input has been consumed.
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// Runs a primitive nom parser at the cursor, advancing on success.
    pub fn run<T>(&mut self, p: impl FnOnce(&'a [u8]) -> PResult<'a, T>) -> Result<T, DecodeError> {
        match p(self.buf) {
            Ok((rest, v)) => {
                self.buf = rest;
                Ok(v)
            }
            Err(nom::Err::Error(e) | nom::Err::Failure(e)) => Err(e.in_body()),
            Err(nom::Err::Incomplete(_)) => Err(DecodeError::Incomplete.in_body()),
        }
    }

    fn to_bytes(&self, s: &'a [u8]) -> Bytes {
        match self.root {
            Some(root) => root.slice_ref(s),
            None => Bytes::copy_from_slice(s),
        }
    }

    /// Reads an INT8.
    pub fn int8(&mut self) -> Result<i8, DecodeError> {
        self.run(int8)
    }
    /// Reads an INT16.
    pub fn int16(&mut self) -> Result<i16, DecodeError> {
        self.run(int16)
    }
    /// Reads an INT32.
    pub fn int32(&mut self) -> Result<i32, DecodeError> {
        self.run(int32)
    }
    /// Reads an INT64.
    pub fn int64(&mut self) -> Result<i64, DecodeError> {
        self.run(int64)
    }
    /// Reads a UINT16.
    pub fn uint16(&mut self) -> Result<u16, DecodeError> {
        self.run(uint16)
    }
    /// Reads a UINT32.
    pub fn uint32(&mut self) -> Result<u32, DecodeError> {
        self.run(uint32)
    }
    /// Reads a FLOAT64.
    pub fn float64(&mut self) -> Result<f64, DecodeError> {
        self.run(float64)
    }
    /// Reads a BOOLEAN.
    pub fn boolean(&mut self) -> Result<bool, DecodeError> {
        self.run(boolean)
    }
    /// Reads a UUID.
    pub fn uuid(&mut self) -> Result<Uuid, DecodeError> {
        self.run(uuid)
    }
    /// Reads an UNSIGNED_VARINT.
    pub fn unsigned_varint(&mut self) -> Result<u32, DecodeError> {
        self.run(unsigned_varint)
    }

    /// Reads a (compact) STRING.
    pub fn string(&mut self, compact: bool) -> Result<String, DecodeError> {
        let s = if compact {
            self.run(compact_string)?
        } else {
            self.run(string)?
        };
        Ok(s.to_owned())
    }

    /// Reads a (compact) NULLABLE_STRING.
    pub fn nullable_string(&mut self, compact: bool) -> Result<Option<String>, DecodeError> {
        let s = if compact {
            self.run(compact_nullable_string)?
        } else {
            self.run(nullable_string)?
        };
        Ok(s.map(str::to_owned))
    }

    /// Reads (compact) BYTES, zero-copy when the decoder is [`Bytes`]-backed.
    pub fn bytes(&mut self, compact: bool) -> Result<Bytes, DecodeError> {
        let b = if compact {
            self.run(compact_bytes)?
        } else {
            self.run(bytes)?
        };
        Ok(self.to_bytes(b))
    }

    /// Reads (compact) NULLABLE_BYTES (also RECORDS), zero-copy when [`Bytes`]-backed.
    pub fn nullable_bytes(&mut self, compact: bool) -> Result<Option<Bytes>, DecodeError> {
        let b = if compact {
            self.run(compact_nullable_bytes)?
        } else {
            self.run(nullable_bytes)?
        };
        Ok(b.map(|b| self.to_bytes(b)))
    }

    /// Reads a (compact) nullable ARRAY, decoding each element with `f`.
    pub fn nullable_array<T>(
        &mut self,
        compact: bool,
        mut f: impl FnMut(&mut Self) -> Result<T, DecodeError>,
    ) -> Result<Option<Vec<T>>, DecodeError> {
        let n = if compact {
            self.run(compact_array_count)?
        } else {
            self.run(array_count)?
        };
        let Some(n) = n else { return Ok(None) };
        // `n` is bounded by the remaining input length by `array_count`.
        let mut v = Vec::with_capacity(n);
        for _ in 0..n {
            v.push(f(self)?);
        }
        Ok(Some(v))
    }

    /// Reads a (compact) non-nullable ARRAY; a null count is malformed.
    pub fn array<T>(
        &mut self,
        compact: bool,
        f: impl FnMut(&mut Self) -> Result<T, DecodeError>,
    ) -> Result<Vec<T>, DecodeError> {
        self.nullable_array(compact, f)?
            .ok_or_else(|| DecodeError::malformed("null array where not nullable"))
    }

    /// Reads a TAG_BUFFER, calling `f(tag, decoder_over_payload)` for each field.
    /// `f` may ignore the payload (unknown tags are skipped).
    pub fn tagged_fields(
        &mut self,
        mut f: impl FnMut(u32, &mut Decoder<'a>) -> Result<(), DecodeError>,
    ) -> Result<(), DecodeError> {
        let n = self.unsigned_varint()?;
        let mut last: Option<u32> = None;
        for _ in 0..n {
            let field = self.run(tagged_field)?;
            if last.is_some_and(|l| field.tag <= l) {
                return Err(DecodeError::malformed(
                    "tagged fields not in ascending order",
                ));
            }
            last = Some(field.tag);
            let mut sub = Decoder {
                root: self.root,
                buf: field.data,
            };
            f(field.tag, &mut sub)?;
        }
        Ok(())
    }
}

//! Length-prefixed framing: `size:int32` followed by `size` bytes.
//!
//! Phase one, [`check_frame`], decides without allocating whether a whole frame is buffered.
//! Phase two parses the frame body (header + message); once a frame is complete, any shortfall
//! inside the body is a [`crate::primitives::DecodeError::Malformed`] error.

use bytes::{BufMut, BytesMut};

/// Why [`check_frame`] cannot return a frame yet (or ever).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    /// More bytes are needed; `needed` is the total frame length (prefix included) when the size
    /// prefix is known, `None` while fewer than 4 bytes are buffered.
    #[error("incomplete frame (need {needed:?} bytes)")]
    Incomplete {
        /// Total bytes (incl. the 4-byte prefix) needed, if known.
        needed: Option<usize>,
    },
    /// The declared size exceeds the configured maximum; the connection should be closed.
    #[error("frame of {0} bytes exceeds the maximum")]
    TooLarge(usize),
    /// The declared size is negative.
    #[error("negative frame length")]
    NegativeLength,
}

/// Size of the frame length prefix.
pub const FRAME_PREFIX_LEN: usize = 4;

/// Checks whether `buf` starts with a complete frame of at most `max_size` body bytes and returns
/// its total length including the 4-byte prefix. The body is `buf[4..len]`.
pub fn check_frame(buf: &[u8], max_size: usize) -> Result<usize, FrameError> {
    let Some(prefix) = buf.first_chunk::<4>() else {
        return Err(FrameError::Incomplete { needed: None });
    };
    let size = i32::from_be_bytes(*prefix);
    if size < 0 {
        return Err(FrameError::NegativeLength);
    }
    let size = size as usize;
    if size > max_size {
        return Err(FrameError::TooLarge(size));
    }
    let total = size + FRAME_PREFIX_LEN;
    if buf.len() < total {
        return Err(FrameError::Incomplete {
            needed: Some(total),
        });
    }
    Ok(total)
}

/// Appends a frame: the 4-byte big-endian length of `body`, then `body`. Returns `false` without
/// writing anything if `body` is longer than `i32::MAX` bytes.
pub fn encode_frame(out: &mut impl BufMut, body: &[u8]) -> bool {
    let Ok(len) = i32::try_from(body.len()) else {
        return false;
    };
    out.put_i32(len);
    out.put_slice(body);
    true
}

/// Reserves a 4-byte length prefix at the end of `out` and returns its offset; write the frame
/// (header + body) after it, then call [`finish_frame`] with the offset to fill in the length.
pub fn begin_frame(out: &mut BytesMut) -> usize {
    let at = out.len();
    out.put_i32(0);
    at
}

/// Fills in the length prefix reserved by [`begin_frame`] at offset `at`. Returns `false` (and
/// leaves the prefix at 0) if `at` is out of range or the frame exceeds `i32::MAX` bytes.
pub fn finish_frame(out: &mut BytesMut, at: usize) -> bool {
    let Some(len) = out.len().checked_sub(at + FRAME_PREFIX_LEN) else {
        return false;
    };
    let Ok(len) = i32::try_from(len) else {
        return false;
    };
    out[at..at + FRAME_PREFIX_LEN].copy_from_slice(&len.to_be_bytes());
    true
}

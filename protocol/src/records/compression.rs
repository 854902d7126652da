//! Compression codecs for the records region, with bounded decompression.
//!
//! Snappy comes in two forms and both are accepted: a raw snappy block (librdkafka) and
//! snappy-java's "xerial" framing (Java clients): the 8-byte magic `82 53 4E 41 50 50 59 00`,
//! int32 version, int32 minimum compatible version, then repeated `[int32 BE length][raw block]`.
//! Xerial framing is not the snappy "framing format" and is parsed here by hand.

use std::io::{Read, Write};

use super::{Compression, RecordsError};

/// Magic that starts a snappy-java (xerial) stream.
const XERIAL_MAGIC: [u8; 8] = [0x82, b'S', b'N', b'A', b'P', b'P', b'Y', 0];
/// Magic + version (1) + minimum compatible version (1).
const XERIAL_HEADER_LEN: usize = 16;
/// snappy-java's default block size.
const XERIAL_BLOCK_SIZE: usize = 32 * 1024;

fn codec_err(what: &str, e: impl std::fmt::Display) -> RecordsError {
    RecordsError::Decompress(format!("{what}: {e}"))
}

fn too_large(limit: usize) -> RecordsError {
    RecordsError::Decompress(format!("decompressed size exceeds the {limit}-byte limit"))
}

/// Reads `r` to the end, failing once more than `limit` bytes come out.
fn read_bounded<R: Read>(
    r: R,
    limit: usize,
    hint: usize,
    what: &str,
) -> Result<Vec<u8>, RecordsError> {
    // Cap the initial reservation: the hint comes from untrusted sizes.
    let mut out = Vec::with_capacity(hint.min(limit).min(1 << 20));
    let cap = u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1);
    r.take(cap)
        .read_to_end(&mut out)
        .map_err(|e| codec_err(what, e))?;
    if out.len() > limit {
        return Err(too_large(limit));
    }
    Ok(out)
}

/// Decompresses a records region compressed with `codec`, producing at most `limit` bytes
/// (more is an error, not an allocation). `Compression::None` returns a copy of `input`.
pub fn decompress(codec: Compression, input: &[u8], limit: usize) -> Result<Vec<u8>, RecordsError> {
    let hint = input.len().saturating_mul(4);
    match codec {
        Compression::None => {
            if input.len() > limit {
                return Err(too_large(limit));
            }
            Ok(input.to_vec())
        }
        Compression::Gzip => read_bounded(
            flate2::read::MultiGzDecoder::new(input),
            limit,
            hint,
            "gzip",
        ),
        Compression::Snappy => {
            if input.starts_with(&XERIAL_MAGIC) {
                decompress_xerial(input, limit)
            } else {
                let mut out = Vec::new();
                decompress_snappy_block(input, limit, &mut out)?;
                Ok(out)
            }
        }
        Compression::Lz4 => read_bounded(
            lz4_flex::frame::FrameDecoder::new(input),
            limit,
            hint,
            "lz4",
        ),
        Compression::Zstd => {
            let decoder = zstd::stream::read::Decoder::with_buffer(input)
                .map_err(|e| codec_err("zstd", e))?;
            read_bounded(decoder, limit, hint, "zstd")
        }
    }
}

/// Appends the decompression of one raw snappy block to `out`, keeping `out` within `limit`.
fn decompress_snappy_block(
    block: &[u8],
    limit: usize,
    out: &mut Vec<u8>,
) -> Result<(), RecordsError> {
    let n = snap::raw::decompress_len(block).map_err(|e| codec_err("snappy", e))?;
    if n > limit.saturating_sub(out.len()) {
        return Err(too_large(limit));
    }
    let start = out.len();
    out.resize(start + n, 0);
    let written = snap::raw::Decoder::new()
        .decompress(block, &mut out[start..])
        .map_err(|e| codec_err("snappy", e))?;
    out.truncate(start + written);
    Ok(())
}

fn decompress_xerial(input: &[u8], limit: usize) -> Result<Vec<u8>, RecordsError> {
    if input.len() < XERIAL_HEADER_LEN {
        return Err(codec_err("snappy", "truncated xerial header"));
    }
    let mut out = Vec::new();
    let mut pos = XERIAL_HEADER_LEN;
    while pos < input.len() {
        let len_bytes = input
            .get(pos..pos + 4)
            .ok_or_else(|| codec_err("snappy", "truncated xerial block length"))?;
        let len = i32::from_be_bytes([len_bytes[0], len_bytes[1], len_bytes[2], len_bytes[3]]);
        let len = usize::try_from(len)
            .map_err(|_| codec_err("snappy", format!("negative xerial block length {len}")))?;
        pos += 4;
        let block = input
            .get(pos..pos.saturating_add(len))
            .ok_or_else(|| codec_err("snappy", "truncated xerial block"))?;
        decompress_snappy_block(block, limit, &mut out)?;
        pos += len;
    }
    Ok(out)
}

/// Compresses a records region with `codec`, as the builder does: gzip stream, raw snappy
/// block, LZ4 frame (64 KiB independent blocks, like Kafka), zstd frame (level 3).
/// `Compression::None` returns a copy of `input`.
pub fn compress(codec: Compression, input: &[u8]) -> Result<Vec<u8>, RecordsError> {
    match codec {
        Compression::None => Ok(input.to_vec()),
        Compression::Gzip => {
            let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            enc.write_all(input).map_err(|e| codec_err("gzip", e))?;
            enc.finish().map_err(|e| codec_err("gzip", e))
        }
        Compression::Snappy => snap::raw::Encoder::new()
            .compress_vec(input)
            .map_err(|e| codec_err("snappy", e)),
        Compression::Lz4 => {
            let info = lz4_flex::frame::FrameInfo::new()
                .block_size(lz4_flex::frame::BlockSize::Max64KB)
                .block_mode(lz4_flex::frame::BlockMode::Independent);
            let mut enc = lz4_flex::frame::FrameEncoder::with_frame_info(info, Vec::new());
            enc.write_all(input).map_err(|e| codec_err("lz4", e))?;
            enc.finish().map_err(|e| codec_err("lz4", e))
        }
        Compression::Zstd => zstd::bulk::compress(input, 3).map_err(|e| codec_err("zstd", e)),
    }
}

/// Compresses with snappy in xerial framing (what Java producers send): header, then 32 KiB
/// chunks each as `[int32 BE length][raw snappy block]`.
pub fn compress_snappy_xerial(input: &[u8]) -> Result<Vec<u8>, RecordsError> {
    let mut out = Vec::with_capacity(XERIAL_HEADER_LEN + input.len() / 2 + 16);
    out.extend_from_slice(&XERIAL_MAGIC);
    out.extend_from_slice(&1i32.to_be_bytes());
    out.extend_from_slice(&1i32.to_be_bytes());
    let mut enc = snap::raw::Encoder::new();
    for chunk in input.chunks(XERIAL_BLOCK_SIZE) {
        let block = enc
            .compress_vec(chunk)
            .map_err(|e| codec_err("snappy", e))?;
        let len = i32::try_from(block.len()).map_err(|e| codec_err("snappy", e))?;
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(&block);
    }
    Ok(out)
}

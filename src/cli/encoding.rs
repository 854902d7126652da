//! How record keys and values are written as text: `text` (the bytes as they are), `hex` or
//! `base64` (RFC 4648, padded), and read back by `produce --encoding`.
//!
//! Invariants: `decode(encode(b)) == b` for every byte string in `hex` and `base64`; `text`
//! never alters bytes (JSON output, which must be UTF-8, replaces invalid sequences).

use clap::ValueEnum;

/// An encoding of keys and values on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum Encoding {
    /// The bytes as they are.
    #[default]
    Text,
    /// Lower-case hexadecimal.
    Hex,
    /// Standard base64 with padding.
    Base64,
}

/// Decoding failed: the input is not valid hex or base64.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("not valid {0}: {1}")]
pub struct DecodeError(pub &'static str, pub String);

const BASE64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

impl Encoding {
    /// `bytes` in this encoding.
    pub fn encode(self, bytes: &[u8]) -> Vec<u8> {
        match self {
            Encoding::Text => bytes.to_vec(),
            Encoding::Hex => bytes
                .iter()
                .flat_map(|b| {
                    let digits = b"0123456789abcdef";
                    [digits[usize::from(b >> 4)], digits[usize::from(b & 15)]]
                })
                .collect(),
            Encoding::Base64 => {
                let mut out = Vec::with_capacity(bytes.len().div_ceil(3) * 4);
                for chunk in bytes.chunks(3) {
                    let n = (u32::from(chunk[0]) << 16)
                        | (u32::from(*chunk.get(1).unwrap_or(&0)) << 8)
                        | u32::from(*chunk.get(2).unwrap_or(&0));
                    for i in 0..4 {
                        if i <= chunk.len() {
                            out.push(BASE64[((n >> (18 - 6 * i)) & 63) as usize]);
                        } else {
                            out.push(b'=');
                        }
                    }
                }
                out
            }
        }
    }

    /// `bytes` in this encoding as a string (invalid UTF-8 replaced, for JSON).
    pub fn encode_string(self, bytes: &[u8]) -> String {
        String::from_utf8_lossy(&self.encode(bytes)).into_owned()
    }

    /// The bytes `text` encodes.
    pub fn decode(self, text: &[u8]) -> Result<Vec<u8>, DecodeError> {
        match self {
            Encoding::Text => Ok(text.to_vec()),
            Encoding::Hex => {
                let bad = || DecodeError("hex", String::from_utf8_lossy(text).into_owned());
                if !text.chunks_exact(2).remainder().is_empty() {
                    return Err(bad());
                }
                text.chunks(2)
                    .map(|p| {
                        let hi = (p[0] as char).to_digit(16).ok_or_else(bad)?;
                        let lo = (p[1] as char).to_digit(16).ok_or_else(bad)?;
                        Ok((hi * 16 + lo) as u8)
                    })
                    .collect()
            }
            Encoding::Base64 => {
                let bad = || DecodeError("base64", String::from_utf8_lossy(text).into_owned());
                let trimmed: &[u8] = {
                    let mut t = text;
                    while let [rest @ .., b'='] = t {
                        t = rest;
                    }
                    t
                };
                if !text.chunks_exact(4).remainder().is_empty() || text.len() - trimmed.len() > 2 {
                    return Err(bad());
                }
                let mut out = Vec::with_capacity(trimmed.len() * 3 / 4);
                let mut acc = 0u32;
                let mut bits = 0;
                for &c in trimmed {
                    let v = BASE64.iter().position(|&b| b == c).ok_or_else(bad)? as u32;
                    acc = (acc << 6) | v;
                    bits += 6;
                    if bits >= 8 {
                        bits -= 8;
                        out.push((acc >> bits) as u8);
                        acc &= (1 << bits) - 1;
                    }
                }
                Ok(out)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_and_hex_match_rfc4648_and_round_trip() {
        for (plain, b64) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(Encoding::Base64.encode(plain.as_bytes()), b64.as_bytes());
            assert_eq!(
                Encoding::Base64.decode(b64.as_bytes()).as_deref(),
                Ok(plain.as_bytes())
            );
        }
        let all: Vec<u8> = (0..=255).collect();
        for e in [Encoding::Text, Encoding::Hex, Encoding::Base64] {
            assert_eq!(e.decode(&e.encode(&all)).as_deref(), Ok(&all[..]), "{e:?}");
        }
        assert_eq!(Encoding::Hex.encode(&[0, 0xab]), b"00ab");
        assert!(Encoding::Hex.decode(b"0g").is_err());
        assert!(Encoding::Base64.decode(b"Zm9").is_err());
        assert!(Encoding::Base64.decode(b"Z===").is_err());
    }
}

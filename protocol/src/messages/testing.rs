//! Test support (feature `testing`): random message generation and per-version normalisation.
//!
//! [`Random`] builds arbitrary values from a seeded [`TestRng`] (driven by proptest seeds in the
//! crate's tests); [`Normalize`] turns a value into the one a decoder would produce for a given
//! version (absent fields reset to default, `None` replaced where a version is not nullable).

use bytes::Bytes;

use super::Message;
use crate::primitives::{Decoder, Uuid};

/// A small deterministic xorshift64* generator.
#[derive(Debug, Clone)]
pub struct TestRng(u64);

impl TestRng {
    /// A generator seeded with `seed` (any value, including 0).
    pub fn new(seed: u64) -> Self {
        TestRng(seed ^ 0x9E37_79B9_7F4A_7C15 | 1)
    }
    /// Next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// A value in `0..n` (`n > 0`).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
}

/// Types that can produce arbitrary values.
pub trait Random {
    /// An arbitrary value.
    fn random(rng: &mut TestRng) -> Self;
}

/// Values that can be normalised to what a round trip through `version` yields.
pub trait Normalize {
    /// Normalises in place for `version`.
    fn normalize(&mut self, version: i16);
}

macro_rules! plain {
    ($($t:ty),*) => {$(
        impl Random for $t {
            fn random(rng: &mut TestRng) -> Self {
                // Bias towards small values and edge cases.
                match rng.below(4) {
                    0 => 0 as $t,
                    1 => (rng.below(3) as i64 - 1) as $t,
                    _ => rng.next_u64() as $t,
                }
            }
        }
        impl Normalize for $t {
            fn normalize(&mut self, _version: i16) {}
        }
    )*};
}
plain!(i8, i16, i32, i64, u16, u32);

impl Random for f64 {
    fn random(rng: &mut TestRng) -> Self {
        // Finite values only: NaN breaks PartialEq-based round-trip checks.
        (rng.next_u64() as i64 as f64) / 1024.0
    }
}
impl Normalize for f64 {
    fn normalize(&mut self, _version: i16) {}
}
impl Random for bool {
    fn random(rng: &mut TestRng) -> Self {
        rng.below(2) == 1
    }
}
impl Normalize for bool {
    fn normalize(&mut self, _version: i16) {}
}
impl Random for Uuid {
    fn random(rng: &mut TestRng) -> Self {
        let mut b = [0u8; 16];
        if rng.below(4) != 0 {
            b[..8].copy_from_slice(&rng.next_u64().to_be_bytes());
            b[8..].copy_from_slice(&rng.next_u64().to_be_bytes());
        }
        Uuid(b)
    }
}
impl Normalize for Uuid {
    fn normalize(&mut self, _version: i16) {}
}
impl Random for String {
    fn random(rng: &mut TestRng) -> Self {
        const CHARS: &[char] = &['a', 'b', 'z', '0', '-', '.', '_', 'é', '✓', ' '];
        let n = rng.below(12) as usize;
        (0..n)
            .map(|_| CHARS[rng.below(CHARS.len() as u64) as usize])
            .collect()
    }
}
impl Normalize for String {
    fn normalize(&mut self, _version: i16) {}
}
impl Random for Bytes {
    fn random(rng: &mut TestRng) -> Self {
        let n = rng.below(40) as usize;
        (0..n)
            .map(|_| rng.next_u64() as u8)
            .collect::<Vec<u8>>()
            .into()
    }
}
impl Normalize for Bytes {
    fn normalize(&mut self, _version: i16) {}
}
impl<T: Random> Random for Option<T> {
    fn random(rng: &mut TestRng) -> Self {
        (rng.below(4) != 0).then(|| T::random(rng))
    }
}
impl<T: Normalize> Normalize for Option<T> {
    fn normalize(&mut self, version: i16) {
        if let Some(v) = self {
            v.normalize(version);
        }
    }
}
impl<T: Random> Random for Vec<T> {
    fn random(rng: &mut TestRng) -> Self {
        let n = rng.below(4) as usize;
        (0..n).map(|_| T::random(rng)).collect()
    }
}
impl<T: Normalize> Normalize for Vec<T> {
    fn normalize(&mut self, version: i16) {
        for v in self {
            v.normalize(version);
        }
    }
}

/// Type-erased test hooks for one generated message.
#[derive(Clone, Copy)]
pub struct MessageEntry {
    /// Schema name.
    pub name: &'static str,
    /// API key (-1 for data structs).
    pub api_key: i16,
    /// Lowest version.
    pub min_version: i16,
    /// Highest version.
    pub max_version: i16,
    /// Random value → normalise → encode → decode → compare → re-encode → compare bytes.
    pub roundtrip: fn(&mut TestRng, i16) -> Result<(), String>,
    /// Decodes arbitrary bytes (must not panic): whether decoding succeeded, or what is
    /// inconsistent about a value it accepted.
    pub decode_any: fn(&[u8], i16) -> Result<bool, String>,
}

impl std::fmt::Debug for MessageEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name)
    }
}

impl MessageEntry {
    /// The hooks for message type `M`.
    pub const fn of<M>() -> Self
    where
        M: Message + Random + Normalize + PartialEq + std::fmt::Debug,
    {
        MessageEntry {
            name: M::NAME,
            api_key: M::API_KEY,
            min_version: M::MIN_VERSION,
            max_version: M::MAX_VERSION,
            roundtrip: roundtrip::<M>,
            decode_any: decode_any::<M>,
        }
    }
}

/// See [`MessageEntry::roundtrip`].
pub fn roundtrip<M>(rng: &mut TestRng, version: i16) -> Result<(), String>
where
    M: Message + Random + Normalize + PartialEq + std::fmt::Debug,
{
    let mut value = M::random(rng);
    value.normalize(version);
    let bytes = value
        .encode_to_bytes(version)
        .map_err(|e| format!("{} v{version}: encode failed: {e}", M::NAME))?;
    let decoded = M::decode_from(&bytes, version)
        .map_err(|e| format!("{} v{version}: decode failed: {e}", M::NAME))?;
    if decoded != value {
        return Err(format!(
            "{} v{version}: decoded value differs\n  expected {value:?}\n  got      {decoded:?}",
            M::NAME
        ));
    }
    let again = decoded
        .encode_to_bytes(version)
        .map_err(|e| format!("{} v{version}: re-encode failed: {e}", M::NAME))?;
    if again != bytes {
        return Err(format!("{} v{version}: re-encoded bytes differ", M::NAME));
    }
    Ok(())
}

/// See [`MessageEntry::decode_any`]. Input that decodes must describe a value that encodes
/// and decodes back to itself, and a version outside the message's range is always refused;
/// anything else is an `Err` naming what went wrong.
pub fn decode_any<M: Message + PartialEq + std::fmt::Debug>(
    data: &[u8],
    version: i16,
) -> Result<bool, String> {
    let Ok(value) = M::decode(&mut Decoder::from_slice(data), version) else {
        return Ok(false);
    };
    if !(M::MIN_VERSION..=M::MAX_VERSION).contains(&version) {
        return Err(format!(
            "{} accepted unsupported version {version}",
            M::NAME
        ));
    }
    let bytes = value.encode_to_bytes(version).map_err(|e| {
        format!(
            "{} v{version}: accepted input does not re-encode: {e}",
            M::NAME
        )
    })?;
    let again = M::decode_from(&bytes, version).map_err(|e| {
        format!(
            "{} v{version}: re-encoded input does not decode: {e}",
            M::NAME
        )
    })?;
    if again != value {
        return Err(format!(
            "{} v{version}: accepted input changes through encode/decode\n  {value:?}\n  {again:?}",
            M::NAME
        ));
    }
    Ok(true)
}

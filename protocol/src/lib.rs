//! `kalfka-protocol`: the Apache Kafka wire format, with no I/O.
//!
//! Layout:
//! - [`primitives`]: one read/write pair per wire primitive (fixed ints, varints, strings, bytes,
//!   arrays in normal/nullable/compact forms, UUIDs, tagged fields), parsing with nom.
//! - [`header`]: request header v0–v2 and response header v0–v1, and which version each API uses.
//! - [`frame`]: length-prefixed framing in two phases — "is a whole frame here?" then parse.
//! - [`messages`]: every request/response body, generated at build time from the JSON schemas in
//!   `schema/` by `build.rs`, with decode/encode for every version (flexible ones included).
//! - [`error_code`]: Kafka's numeric error codes.
//! - [`records`]: record batches (magic 2): zero-copy header view, CRC-32C, record iteration
//!   through all compression codecs, base-offset rewrite.

pub mod error_code;
pub mod frame;
pub mod header;
pub mod messages;
pub mod primitives;
pub mod records;

pub use messages::Message;
pub use primitives::{DecodeError, Decoder, EncodeError, Uuid};

//! The broker's one wall clock: milliseconds since the Unix epoch, as Kafka timestamps are.
//! State machines take `now` as a parameter; this is where request handlers and periodic
//! tasks get it.

use std::time::{SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch (0 if the clock is before it).
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

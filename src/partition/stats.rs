//! Traffic counters kept with each partition, for `/metrics`.
//!
//! Invariants: the counters only grow; they are relaxed atomics updated by the produce and
//! fetch handlers after the fact (an append that succeeded, a read that is being answered),
//! never under a lock and never allocating. They count what was served, not what is in the
//! log (offsets and sizes are read from the log at scrape time).

use std::sync::atomic::{AtomicU64, Ordering};

use kalfka_protocol::records::RecordBatchHeader;

/// Bytes and records in and out of one partition since the broker started.
#[derive(Debug, Default)]
pub struct PartitionStats {
    bytes_in: AtomicU64,
    messages_in: AtomicU64,
    bytes_out: AtomicU64,
    messages_out: AtomicU64,
}

/// A snapshot of [`PartitionStats`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TrafficSnapshot {
    /// Record batch bytes appended by produce requests.
    pub bytes_in: u64,
    /// Records appended by produce requests.
    pub messages_in: u64,
    /// Record batch bytes returned by fetch requests.
    pub bytes_out: u64,
    /// Records in the batches returned by fetch requests.
    pub messages_out: u64,
}

impl PartitionStats {
    /// Counts an append of `records` records in `bytes` bytes.
    #[inline]
    pub fn record_in(&self, bytes: usize, records: u64) {
        self.bytes_in.fetch_add(bytes as u64, Ordering::Relaxed);
        self.messages_in.fetch_add(records, Ordering::Relaxed);
    }

    /// Counts the whole record batches `batches` returned by a fetch (their record counts
    /// are read from the batch headers, not decoded).
    #[inline]
    pub fn record_out(&self, batches: &[u8]) {
        if batches.is_empty() {
            return;
        }
        self.bytes_out
            .fetch_add(batches.len() as u64, Ordering::Relaxed);
        self.messages_out
            .fetch_add(record_count(batches), Ordering::Relaxed);
    }

    /// The counters now.
    pub fn snapshot(&self) -> TrafficSnapshot {
        TrafficSnapshot {
            bytes_in: self.bytes_in.load(Ordering::Relaxed),
            messages_in: self.messages_in.load(Ordering::Relaxed),
            bytes_out: self.bytes_out.load(Ordering::Relaxed),
            messages_out: self.messages_out.load(Ordering::Relaxed),
        }
    }
}

/// Records in the whole batches at the start of `batches` (a trailing partial batch, which a
/// size-limited read may end with, is not counted).
fn record_count(batches: &[u8]) -> u64 {
    let mut pos = 0usize;
    let mut count = 0u64;
    while let Some(rest) = batches.get(pos..).filter(|r| !r.is_empty()) {
        let Ok(header) = RecordBatchHeader::parse(rest) else {
            break;
        };
        let size = header.total_size();
        if size == 0 || size > rest.len() {
            break;
        }
        count += u64::try_from(header.record_count).unwrap_or(0);
        pos += size;
    }
    count
}

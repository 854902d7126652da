//! A fixed-bucket latency histogram of relaxed atomics.
//!
//! Invariants: recording is one bucket search over a constant array plus two relaxed
//! `fetch_add`s — no lock, no allocation — so it may sit on the produce and fetch paths.
//! Buckets hold non-cumulative counts; [`AtomicHistogram::snapshot`] turns them into
//! Prometheus' cumulative `le` buckets at scrape time. A snapshot taken while others record
//! may be off by the observations in flight (each counter is exact on its own).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Upper bounds of the buckets, in seconds (100 µs to 10 s; the last bucket is `+Inf`).
pub const BOUNDS_SECONDS: [f64; 16] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
    5.0, 10.0,
];

/// The same bounds in nanoseconds, for the search on the recording path.
const BOUNDS_NANOS: [u64; 16] = [
    100_000,
    250_000,
    500_000,
    1_000_000,
    2_500_000,
    5_000_000,
    10_000_000,
    25_000_000,
    50_000_000,
    100_000_000,
    250_000_000,
    500_000_000,
    1_000_000_000,
    2_500_000_000,
    5_000_000_000,
    10_000_000_000,
];

/// A histogram of durations with the buckets of [`BOUNDS_SECONDS`] plus `+Inf`.
#[derive(Debug)]
pub struct AtomicHistogram {
    buckets: [AtomicU64; BOUNDS_NANOS.len() + 1],
    sum_nanos: AtomicU64,
}

/// A histogram as read at scrape time.
#[derive(Debug, Clone, PartialEq)]
pub struct HistogramSnapshot {
    /// Sum of the observations, in seconds.
    pub sum_seconds: f64,
    /// Number of observations.
    pub count: u64,
    /// `(upper bound in seconds, cumulative count)`, the last bound being `+Inf`.
    pub buckets: Vec<(f64, u64)>,
}

impl Default for AtomicHistogram {
    fn default() -> Self {
        Self::new()
    }
}

impl AtomicHistogram {
    /// An empty histogram (usable in a `static`).
    pub const fn new() -> Self {
        AtomicHistogram {
            buckets: [const { AtomicU64::new(0) }; BOUNDS_NANOS.len() + 1],
            sum_nanos: AtomicU64::new(0),
        }
    }

    /// Records one observation.
    #[inline]
    pub fn observe(&self, elapsed: Duration) {
        let nanos = u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX);
        let at = BOUNDS_NANOS.partition_point(|&b| b < nanos);
        if let Some(bucket) = self.buckets.get(at) {
            bucket.fetch_add(1, Ordering::Relaxed);
        }
        self.sum_nanos.fetch_add(nanos, Ordering::Relaxed);
    }

    /// Number of observations so far.
    pub fn count(&self) -> u64 {
        self.buckets.iter().map(|b| b.load(Ordering::Relaxed)).sum()
    }

    /// The cumulative view Prometheus expects.
    pub fn snapshot(&self) -> HistogramSnapshot {
        let mut cumulative = 0u64;
        let mut buckets = Vec::with_capacity(self.buckets.len());
        for (i, b) in self.buckets.iter().enumerate() {
            cumulative += b.load(Ordering::Relaxed);
            let bound = BOUNDS_SECONDS.get(i).copied().unwrap_or(f64::INFINITY);
            buckets.push((bound, cumulative));
        }
        HistogramSnapshot {
            sum_seconds: self.sum_nanos.load(Ordering::Relaxed) as f64 / 1e9,
            count: cumulative,
            buckets,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn observations_land_in_cumulative_le_buckets() {
        let h = AtomicHistogram::new();
        h.observe(Duration::from_micros(100)); // exactly on the first bound: le=0.0001
        h.observe(Duration::from_millis(3));
        h.observe(Duration::from_secs(60));
        let s = h.snapshot();
        assert_eq!(s.count, 3);
        assert_eq!(s.buckets[0], (0.0001, 1));
        assert_eq!(s.buckets[4], (0.0025, 1));
        assert_eq!(s.buckets[5], (0.005, 2));
        assert_eq!(s.buckets[15], (10.0, 2));
        assert_eq!(s.buckets[16], (f64::INFINITY, 3));
        assert!((s.sum_seconds - 60.0031).abs() < 1e-6, "{}", s.sum_seconds);
    }
}

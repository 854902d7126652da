//! Broker metrics: counters recorded where things happen, gauges computed at scrape time.
//!
//! Invariants:
//! - Recording on the request path (per-API request counts and latency, per-partition bytes
//!   and messages in/out) is a few relaxed atomic adds on memory allocated when the broker
//!   (or the partition) was created: no lock, no allocation. Only the first error of a given
//!   (API, error code) pair allocates its counter.
//! - Everything that is a state rather than an event (offsets, sizes, group state, members,
//!   lag, connections open, RSS, open files) is read when `/metrics` is scraped, never kept
//!   up to date on the hot path.
//! - With the HTTP endpoint off (`--http-listen ""`) nothing reads the metrics, and
//!   [`BrokerMetrics::enabled`] is false: request recording is skipped, so a broker without
//!   the endpoint pays one predictable branch per request.
//! - fsync latency ([`FSYNC_LOG`], [`FSYNC_STATE`]) is process-wide, like RSS: partitions and
//!   state logs fsync on threads that do not know which broker they serve.
//!
//! Names follow Kafka's JMX metric names as the Prometheus JMX exporter spells them
//! (`kafka.server:type=BrokerTopicMetrics,name=MessagesInPerSec` becomes
//! `kafka_server_brokertopicmetrics_messagesin_total`); see [`encode`] for the list.

pub mod encode;
mod encode_groups;
mod encode_topics;
pub mod histogram;
pub mod process;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use dashmap::DashMap;

pub use histogram::{AtomicHistogram, HistogramSnapshot};

/// API keys are below this (Kafka's highest is in the 80s); larger keys are not recorded.
pub const MAX_API_KEYS: usize = 128;

/// Latency of partition log fsyncs (group commits, periodic and shutdown flushes).
pub static FSYNC_LOG: AtomicHistogram = AtomicHistogram::new();
/// Latency of fsyncs of the broker's state logs (committed offsets, transactions).
pub static FSYNC_STATE: AtomicHistogram = AtomicHistogram::new();

/// Times `f` into `histogram`.
pub fn timed<T>(histogram: &AtomicHistogram, f: impl FnOnce() -> T) -> T {
    let started = std::time::Instant::now();
    let out = f();
    histogram.observe(started.elapsed());
    out
}

/// Requests of one API.
#[derive(Debug, Default)]
pub struct ApiStats {
    /// Requests handled (answered, or closed the connection).
    pub requests: AtomicU64,
    /// Time from the start of handling to the response being ready.
    pub latency: AtomicHistogram,
}

/// The broker-wide event counters (see the module docs for what is kept where).
#[derive(Debug)]
pub struct BrokerMetrics {
    enabled: AtomicBool,
    apis: Box<[ApiStats]>,
    /// Error codes answered, by (API key, error code); only codes other than NONE.
    errors: DashMap<(i16, i16), AtomicU64>,
    /// Connections accepted.
    pub connections_opened: AtomicU64,
    /// Connections closed.
    pub connections_closed: AtomicU64,
    /// Retention passes over all partitions.
    pub retention_runs: AtomicU64,
    /// Segments deleted by time or size retention.
    pub retention_segments_deleted: AtomicU64,
    /// Compaction passes that rewrote something.
    pub compaction_runs: AtomicU64,
    /// Records removed by compaction.
    pub compaction_records_removed: AtomicU64,
}

impl BrokerMetrics {
    /// Counters at zero; `enabled` says whether request metrics are recorded.
    pub fn new(enabled: bool) -> Self {
        BrokerMetrics {
            enabled: AtomicBool::new(enabled),
            apis: (0..MAX_API_KEYS).map(|_| ApiStats::default()).collect(),
            errors: DashMap::new(),
            connections_opened: AtomicU64::new(0),
            connections_closed: AtomicU64::new(0),
            retention_runs: AtomicU64::new(0),
            retention_segments_deleted: AtomicU64::new(0),
            compaction_runs: AtomicU64::new(0),
            compaction_records_removed: AtomicU64::new(0),
        }
    }

    /// Whether request and partition traffic metrics are recorded.
    #[inline]
    pub fn enabled(&self) -> bool {
        self.enabled.load(Ordering::Relaxed)
    }

    /// Records one handled request of `api_key` that took `elapsed`.
    #[inline]
    pub fn record_request(&self, api_key: i16, elapsed: Duration) {
        if let Some(api) = usize::try_from(api_key).ok().and_then(|k| self.apis.get(k)) {
            api.requests.fetch_add(1, Ordering::Relaxed);
            api.latency.observe(elapsed);
        }
    }

    /// Records an error code (other than NONE) in a response to `api_key`.
    pub fn record_error(&self, api_key: i16, code: i16) {
        if code == 0 {
            return;
        }
        if let Some(counter) = self.errors.get(&(api_key, code)) {
            counter.fetch_add(1, Ordering::Relaxed);
            return;
        }
        self.errors
            .entry((api_key, code))
            .or_insert_with(|| AtomicU64::new(0))
            .fetch_add(1, Ordering::Relaxed);
    }

    /// The stats of `api_key`, if it is recordable.
    pub fn api(&self, api_key: i16) -> Option<&ApiStats> {
        usize::try_from(api_key).ok().and_then(|k| self.apis.get(k))
    }

    /// Every recorded error count: `((api key, error code), count)`, sorted.
    pub fn errors(&self) -> Vec<((i16, i16), u64)> {
        let mut out: Vec<_> = self
            .errors
            .iter()
            .map(|e| (*e.key(), e.value().load(Ordering::Relaxed)))
            .collect();
        out.sort_unstable();
        out
    }

    /// Connections open now.
    pub fn connections_open(&self) -> u64 {
        self.connections_opened
            .load(Ordering::Relaxed)
            .saturating_sub(self.connections_closed.load(Ordering::Relaxed))
    }
}

/// Adds `n` to a counter (relaxed).
#[inline]
pub fn add(counter: &AtomicU64, n: u64) {
    counter.fetch_add(n, Ordering::Relaxed);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_and_errors_are_counted_per_api() {
        let m = BrokerMetrics::new(true);
        m.record_request(0, Duration::from_millis(1));
        m.record_request(0, Duration::from_millis(2));
        m.record_request(1000, Duration::from_millis(2));
        m.record_error(0, 3);
        m.record_error(0, 3);
        m.record_error(1, 0);
        let produce = m.api(0).expect("produce");
        assert_eq!(produce.requests.load(Ordering::Relaxed), 2);
        assert_eq!(produce.latency.count(), 2);
        assert_eq!(m.errors(), vec![((0, 3), 2)]);
    }
}

//! `/metrics`: the Prometheus (OpenMetrics) text, built at scrape time with `prometheus-client`.
//!
//! Invariants: a scrape only reads — counters recorded elsewhere, and state read through the
//! same accessors Kafka requests use (each holds its lock briefly, none does file I/O beyond
//! `/proc`) — so it may run while the broker serves; it should run on a blocking thread, as
//! its cost grows with the number of partitions and groups. Counter names get `_total`
//! appended by the encoder.
//!
//! Names, after Kafka's JMX names as the Prometheus JMX exporter writes them:
//!
//! | metric | labels | Kafka's name |
//! |---|---|---|
//! | `kafka_server_brokertopicmetrics_messagesin_total` | topic, partition | `BrokerTopicMetrics.MessagesInPerSec` |
//! | `kafka_server_brokertopicmetrics_bytesin_total` | topic, partition | `BrokerTopicMetrics.BytesInPerSec` |
//! | `kafka_server_brokertopicmetrics_bytesout_total` | topic, partition | `BrokerTopicMetrics.BytesOutPerSec` |
//! | `kafka_server_brokertopicmetrics_messagesout_total` | topic, partition | (none) |
//! | `kafka_log_log_logstartoffset`, `_logendoffset`, `_size` | topic, partition | `Log.LogStartOffset`, `LogEndOffset`, `Size` |
//! | `kalfka_log_last_stable_offset` | topic, partition | (none) |
//! | `kafka_network_requestmetrics_requests_total` | request | `RequestMetrics.RequestsPerSec` |
//! | `kafka_network_requestmetrics_errors_total` | request, error | `RequestMetrics.ErrorsPerSec` |
//! | `kafka_network_requestmetrics_totaltime_seconds` | request | `RequestMetrics.TotalTimeMs` (histogram, seconds) |
//! | `kafka_server_socketservermetrics_connection_count` | | `socket-server-metrics.connection-count` |
//! | `kafka_server_socketservermetrics_connection_creation_total`, `_close_total` | | `connection-creation-total`, `connection-close-total` |
//! | `kafka_log_logflushstats_logflush_seconds` | | `LogFlushStats.LogFlushRateAndTimeMs` (histogram, seconds) |
//! | `kalfka_state_flush_seconds` | | fsyncs of the offsets and transaction logs |
//! | `kafka_consumergroup_state`, `_members`, `_generation`, `_rebalances_total` | group (state) | as kafka_exporter |
//! | `kafka_consumergroup_current_offset`, `kafka_consumergroup_lag` | group, topic, partition | as kafka_exporter |
//! | `kalfka_log_retention_runs_total`, `..._retention_deleted_segments_total`, `..._compaction_runs_total`, `..._compaction_removed_records_total` | | |
//! | `kalfka_transaction_timeouts_total` | | |
//! | `process_resident_memory_bytes`, `process_open_fds`, `process_max_fds`, `process_cpu_seconds_total`, `process_threads`, `process_start_time_seconds` | | Prometheus' process metrics |

use std::fmt;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric, MetricEncoder, NoLabelSet};
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::Registry;

use super::histogram::{AtomicHistogram, HistogramSnapshot};
use crate::broker::Broker;

/// `Content-Type` of the text [`render`] returns.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

type Labels = Vec<(&'static str, String)>;

/// The whole `/metrics` text: process metrics always, broker metrics once `broker` is open.
/// `started_at_ms`: when the process started (ms since the epoch).
pub fn render(broker: Option<Arc<Broker>>, started_at_ms: i64) -> String {
    let mut registry = Registry::default();
    registry.register_collector(Box::new(Scrape {
        broker,
        started_at_ms,
    }));
    let mut out = String::with_capacity(16 * 1024);
    // Writing to a String cannot fail.
    let _ = prometheus_client::encoding::text::encode(&mut out, &registry);
    out
}

#[derive(Debug)]
struct Scrape {
    broker: Option<Arc<Broker>>,
    started_at_ms: i64,
}

impl Collector for Scrape {
    fn encode(&self, mut enc: DescriptorEncoder) -> fmt::Result {
        process(&mut enc, self.started_at_ms)?;
        histogram(
            &mut enc,
            "kafka_log_logflushstats_logflush_seconds",
            "fsyncs of partition logs",
            &super::FSYNC_LOG,
        )?;
        histogram(
            &mut enc,
            "kalfka_state_flush_seconds",
            "fsyncs of the committed-offsets and transaction-state logs",
            &super::FSYNC_STATE,
        )?;
        if let Some(broker) = &self.broker {
            requests(&mut enc, broker)?;
            broker_events(&mut enc, broker)?;
            super::encode_topics::topics(&mut enc, broker)?;
            super::encode_groups::groups(&mut enc, broker)?;
        }
        Ok(())
    }
}

/// Writes one metric family with one series per `(labels, value)`.
pub(super) fn family<V>(
    enc: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    kind: MetricType,
    series: impl IntoIterator<Item = (Labels, V)>,
    write: impl Fn(&mut MetricEncoder, &V) -> fmt::Result,
) -> fmt::Result {
    let mut metric = enc.encode_descriptor(name, help, None, kind)?;
    for (labels, value) in series {
        let mut s = metric.encode_family(&labels)?;
        write(&mut s, &value)?;
    }
    Ok(())
}

/// A counter family.
pub(super) fn counters(
    enc: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    series: impl IntoIterator<Item = (Labels, u64)>,
) -> fmt::Result {
    family(enc, name, help, MetricType::Counter, series, |m, v| {
        m.encode_counter::<NoLabelSet, _, u64>(v, None)
    })
}

/// A gauge family.
pub(super) fn gauges(
    enc: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    series: impl IntoIterator<Item = (Labels, i64)>,
) -> fmt::Result {
    family(enc, name, help, MetricType::Gauge, series, |m, v| {
        m.encode_gauge(v)
    })
}

/// An unlabeled counter.
pub(super) fn counter(enc: &mut DescriptorEncoder, name: &str, help: &str, v: u64) -> fmt::Result {
    let metric = enc.encode_descriptor(name, help, None, MetricType::Counter)?;
    prometheus_client::metrics::counter::ConstCounter::new(v).encode(metric)
}

/// An unlabeled gauge.
pub(super) fn gauge<V: prometheus_client::encoding::EncodeGaugeValue>(
    enc: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    v: V,
) -> fmt::Result {
    let metric = enc.encode_descriptor(name, help, None, MetricType::Gauge)?;
    prometheus_client::metrics::gauge::ConstGauge::new(v).encode(metric)
}

fn encode_snapshot(m: &mut MetricEncoder, s: &HistogramSnapshot) -> fmt::Result {
    m.encode_histogram::<NoLabelSet>(s.sum_seconds, s.count, &s.buckets, None)
}

fn histogram(
    enc: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    h: &AtomicHistogram,
) -> fmt::Result {
    let mut metric = enc.encode_descriptor(name, help, None, MetricType::Histogram)?;
    encode_snapshot(&mut metric, &h.snapshot())
}

fn process(enc: &mut DescriptorEncoder, started_at_ms: i64) -> fmt::Result {
    let p = super::process::read();
    gauge(
        enc,
        "kalfka_build_info",
        &format!("Kalfka {}", env!("CARGO_PKG_VERSION")),
        1i64,
    )?;
    gauge(
        enc,
        "process_start_time_seconds",
        "start of the process, seconds since the epoch",
        started_at_ms as f64 / 1000.0,
    )?;
    if let Some(v) = p.resident_bytes {
        gauge(enc, "process_resident_memory_bytes", "resident set size", v)?;
    }
    if let Some(v) = p.open_fds {
        gauge(enc, "process_open_fds", "open file descriptors", v)?;
    }
    if let Some(v) = p.max_fds {
        gauge(enc, "process_max_fds", "the open file descriptor limit", v)?;
    }
    if let Some(v) = p.threads {
        gauge(enc, "process_threads", "threads of the process", v)?;
    }
    if let Some(v) = p.cpu_seconds {
        let metric = enc.encode_descriptor(
            "process_cpu_seconds",
            "user and system CPU time",
            None,
            MetricType::Counter,
        )?;
        prometheus_client::metrics::counter::ConstCounter::new(v).encode(metric)?;
    }
    Ok(())
}

/// Request counts, errors and latency per API.
fn requests(enc: &mut DescriptorEncoder, broker: &Broker) -> fmt::Result {
    let m = &broker.metrics;
    let served: Vec<(&'static str, &super::ApiStats)> = crate::api::ROUTES
        .iter()
        .filter_map(|r| Some((r.name, m.api(r.api_key)?)))
        .filter(|(_, s)| s.requests.load(Ordering::Relaxed) > 0)
        .collect();
    counters(
        enc,
        "kafka_network_requestmetrics_requests",
        "requests handled, by API",
        served.iter().map(|(name, s)| {
            (
                vec![("request", (*name).to_string())],
                s.requests.load(Ordering::Relaxed),
            )
        }),
    )?;
    counters(
        enc,
        "kafka_network_requestmetrics_errors",
        "error codes (other than NONE) in responses, by API and error",
        m.errors().into_iter().map(|((key, code), n)| {
            let request = crate::api::route(key).map_or("Unknown", |r| r.name);
            let error = kalfka_protocol::error_code::ErrorCode::from_code(code)
                .map_or_else(|| code.to_string(), |c| c.name().to_string());
            (vec![("request", request.to_string()), ("error", error)], n)
        }),
    )?;
    family(
        enc,
        "kafka_network_requestmetrics_totaltime_seconds",
        "time from reading a request to its response being ready, by API",
        MetricType::Histogram,
        served
            .iter()
            .map(|(name, s)| (vec![("request", (*name).to_string())], s.latency.snapshot())),
        encode_snapshot,
    )
}

/// Connections, retention, compaction and transaction timeouts.
fn broker_events(enc: &mut DescriptorEncoder, broker: &Broker) -> fmt::Result {
    let m = &broker.metrics;
    let load = |c: &std::sync::atomic::AtomicU64| c.load(Ordering::Relaxed);
    gauge(
        enc,
        "kafka_server_socketservermetrics_connection_count",
        "client connections open",
        m.connections_open(),
    )?;
    counter(
        enc,
        "kafka_server_socketservermetrics_connection_creation",
        "client connections accepted",
        load(&m.connections_opened),
    )?;
    counter(
        enc,
        "kafka_server_socketservermetrics_connection_close",
        "client connections closed",
        load(&m.connections_closed),
    )?;
    counter(
        enc,
        "kalfka_log_retention_runs",
        "retention passes over every partition",
        load(&m.retention_runs),
    )?;
    counter(
        enc,
        "kalfka_log_retention_deleted_segments",
        "segments deleted by retention.ms / retention.bytes",
        load(&m.retention_segments_deleted),
    )?;
    counter(
        enc,
        "kalfka_log_compaction_runs",
        "compaction passes that rewrote segments",
        load(&m.compaction_runs),
    )?;
    counter(
        enc,
        "kalfka_log_compaction_removed_records",
        "records removed by compaction",
        load(&m.compaction_records_removed),
    )?;
    counter(
        enc,
        "kalfka_transaction_timeouts",
        "transactions aborted for exceeding transaction.timeout.ms",
        broker.txns.timeouts(),
    )
}

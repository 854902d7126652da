//! Per-topic and per-partition series of `/metrics` (see [`super::encode`] for the names).
//!
//! Invariant: one pass over the topic list; each partition's offsets and size are read from
//! the log's atomics at scrape time, its traffic counters from [`crate::partition::PartitionStats`].

use std::fmt;

use prometheus_client::encoding::DescriptorEncoder;

use super::encode::{counters, gauge, gauges};
use crate::broker::Broker;
use crate::partition::TrafficSnapshot;

/// A metric name, its help and how to read its value from a row.
type Series<R, V> = (&'static str, &'static str, fn(&R) -> V);

/// One partition as scraped.
struct Row {
    topic: String,
    partition: i32,
    traffic: TrafficSnapshot,
    log_start: i64,
    log_end: i64,
    last_stable: i64,
    size: u64,
}

/// Writes the topic and partition series.
pub fn topics(enc: &mut DescriptorEncoder, broker: &Broker) -> fmt::Result {
    let topics = broker.topics.list();
    let rows: Vec<Row> = topics
        .iter()
        .flat_map(|t| {
            t.partitions.iter().map(|p| {
                let offsets = p.offsets();
                Row {
                    topic: t.name.clone(),
                    partition: p.index,
                    traffic: p.stats().snapshot(),
                    log_start: offsets.log_start,
                    log_end: offsets.log_end,
                    last_stable: p.last_stable_offset().min(offsets.log_end),
                    size: p.size_bytes(),
                }
            })
        })
        .collect();
    gauge(
        enc,
        "kafka_controller_kafkacontroller_globaltopiccount",
        "topics",
        topics.len() as i64,
    )?;
    gauge(
        enc,
        "kafka_server_replicamanager_partitioncount",
        "partitions",
        rows.len() as i64,
    )?;
    let labels = |r: &Row| {
        vec![
            ("topic", r.topic.clone()),
            ("partition", r.partition.to_string()),
        ]
    };
    let counter_rows: [Series<TrafficSnapshot, u64>; 4] = [
        (
            "kafka_server_brokertopicmetrics_messagesin",
            "records appended by produce requests",
            |t| t.messages_in,
        ),
        (
            "kafka_server_brokertopicmetrics_bytesin",
            "record batch bytes appended by produce requests",
            |t| t.bytes_in,
        ),
        (
            "kafka_server_brokertopicmetrics_messagesout",
            "records in the batches returned by fetch requests",
            |t| t.messages_out,
        ),
        (
            "kafka_server_brokertopicmetrics_bytesout",
            "record batch bytes returned by fetch requests",
            |t| t.bytes_out,
        ),
    ];
    for (name, help, value) in counter_rows {
        counters(
            enc,
            name,
            help,
            rows.iter().map(|r| (labels(r), value(&r.traffic))),
        )?;
    }
    let gauge_rows: [Series<Row, i64>; 4] = [
        (
            "kafka_log_log_logstartoffset",
            "first offset in the log",
            |r| r.log_start,
        ),
        (
            "kafka_log_log_logendoffset",
            "next offset to be written (the high watermark)",
            |r| r.log_end,
        ),
        (
            "kalfka_log_last_stable_offset",
            "first offset of the earliest open transaction, else the log end",
            |r| r.last_stable,
        ),
        ("kafka_log_log_size", "bytes of record data held", |r| {
            i64::try_from(r.size).unwrap_or(i64::MAX)
        }),
    ];
    for (name, help, value) in gauge_rows {
        gauges(enc, name, help, rows.iter().map(|r| (labels(r), value(r))))?;
    }
    Ok(())
}

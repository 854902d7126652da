//! Retention and DeleteRecords at the broker level: the log start offset moves, fetches below
//! it get OFFSET_OUT_OF_RANGE, and a real client (librdkafka) with auto.offset.reset=earliest
//! resumes at the new start.

mod common;

use std::thread;
use std::time::{Duration, Instant};

use common::raw::RawClient;
use common::TestBroker;
use kalfka::config::BrokerConfig;
use kalfka_protocol::error_code::ErrorCode;
use kalfka_protocol::messages::delete_records_request::{
    DeleteRecordsPartition, DeleteRecordsTopic,
};
use kalfka_protocol::messages::list_offsets_request::{ListOffsetsPartition, ListOffsetsTopic};
use kalfka_protocol::messages::*;
use kalfka_protocol::records::{Compression, RecordBatchBuilder};
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;
use rdkafka::{Offset, TopicPartitionList};

fn broker(dir: &std::path::Path) -> TestBroker {
    TestBroker::start_with(BrokerConfig {
        retention_check_interval_ms: 50,
        ..BrokerConfig::for_tests(dir)
    })
}

fn create(c: &mut RawClient, topic: &str, configs: &[(&str, &str)]) {
    c.create_topic(topic, 1, configs);
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_millis() as i64
}

fn value(i: usize) -> Vec<u8> {
    format!("value-{i:06}-{}", "y".repeat(100)).into_bytes()
}

/// Produces records `range` one per batch with timestamp `ts`.
fn produce(c: &mut RawClient, topic: &str, range: std::ops::Range<usize>, ts: i64) {
    for i in range {
        let mut b = RecordBatchBuilder::new(Compression::None);
        b.append(ts, Some(b"k"), Some(&value(i)), &[]);
        assert_eq!(
            c.produce(topic, b.build().expect("batch"), 1),
            (0, i as i64)
        );
    }
}

/// (earliest, latest) offsets via ListOffsets.
fn offsets(c: &mut RawClient, topic: &str) -> (i64, i64) {
    let mut get = |timestamp| {
        let resp: ListOffsetsResponse = c.call(
            7,
            &ListOffsetsRequest {
                replica_id: -1,
                topics: vec![ListOffsetsTopic {
                    name: topic.into(),
                    partitions: vec![ListOffsetsPartition {
                        partition_index: 0,
                        timestamp,
                        ..Default::default()
                    }],
                }],
                ..Default::default()
            },
        );
        resp.topics[0].partitions[0].offset
    };
    (get(-2), get(-1))
}

fn fetch_error(c: &mut RawClient, topic: &str, offset: i64) -> i16 {
    c.fetch_at(topic, 0, offset, 0).error_code
}

/// librdkafka asked to start at offset 0 with auto.offset.reset=earliest: returns the offsets
/// and values it reads, expecting `expected` records (bounded wait).
fn consume_from_zero(bootstrap: &str, topic: &str, expected: usize) -> Vec<(i64, Vec<u8>)> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("group.id", "unused")
        .set("enable.auto.commit", "false")
        .set("auto.offset.reset", "earliest")
        .create()
        .expect("consumer");
    let mut tpl = TopicPartitionList::new();
    tpl.add_partition_offset(topic, 0, Offset::Offset(0))
        .expect("partition");
    consumer.assign(&tpl).expect("assign");
    let mut got = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while got.len() < expected && Instant::now() < deadline {
        if let Some(Ok(msg)) = consumer.poll(Duration::from_millis(200)) {
            got.push((msg.offset(), msg.payload().unwrap_or_default().to_vec()));
        }
    }
    got
}

/// Waits (bounded) until `cond` holds for the topic's (earliest, latest) offsets.
fn wait_offsets(c: &mut RawClient, topic: &str, cond: impl Fn(i64, i64) -> bool) -> (i64, i64) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (start, end) = offsets(c, topic);
        if cond(start, end) || Instant::now() > deadline {
            return (start, end);
        }
        thread::sleep(Duration::from_millis(50));
    }
}

/// The offsets once they stay the same for 500 ms (bounded by 30 s).
fn settled_offsets(c: &mut RawClient, topic: &str) -> (i64, i64) {
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut last = offsets(c, topic);
    loop {
        thread::sleep(Duration::from_millis(500));
        let now = offsets(c, topic);
        if now == last || Instant::now() > deadline {
            return now;
        }
        last = now;
    }
}

#[test]
fn delete_records_moves_the_start_and_consumers_resume_there() {
    let dir = tempfile::tempdir().expect("tempdir");
    let b = broker(dir.path());
    let mut c = RawClient::connect(b.addr);
    create(&mut c, "dr", &[("segment.bytes", "2000")]);
    produce(&mut c, "dr", 0..60, now_ms());
    let req = |offset| DeleteRecordsRequest {
        topics: vec![DeleteRecordsTopic {
            name: "dr".into(),
            partitions: vec![DeleteRecordsPartition {
                partition_index: 0,
                offset,
            }],
        }],
        timeout_ms: 5000,
    };
    for version in [0, 2] {
        let resp: DeleteRecordsResponse = c.call(version, &req(25));
        let p = &resp.topics[0].partitions[0];
        assert_eq!((p.error_code, p.low_watermark), (0, 25), "v{version}");
    }
    let resp: DeleteRecordsResponse = c.call(1, &req(61));
    assert_eq!(
        resp.topics[0].partitions[0].error_code,
        ErrorCode::OffsetOutOfRange.code()
    );
    assert_eq!(offsets(&mut c, "dr"), (25, 60));
    assert_eq!(
        fetch_error(&mut c, "dr", 3),
        ErrorCode::OffsetOutOfRange.code()
    );
    let got = consume_from_zero(&b.bootstrap(), "dr", 35);
    let want: Vec<_> = (25..60).map(|i| (i as i64, value(i))).collect();
    assert!(got == want, "consumer resumes at the new start");
    drop(c);
    b.stop();
    // The start offset survives a restart.
    let b = broker(dir.path());
    let mut c = RawClient::connect(b.addr);
    assert_eq!(offsets(&mut c, "dr"), (25, 60));
    // -1 means the high watermark.
    let resp: DeleteRecordsResponse = c.call(2, &req(-1));
    assert_eq!(resp.topics[0].partitions[0].low_watermark, 60);
}

#[test]
fn size_retention_deletes_old_segments() {
    let dir = tempfile::tempdir().expect("tempdir");
    let b = broker(dir.path());
    let mut c = RawClient::connect(b.addr);
    create(
        &mut c,
        "by-size",
        &[("segment.bytes", "2000"), ("retention.bytes", "3000")],
    );
    produce(&mut c, "by-size", 0..80, now_ms());
    // Retention runs while records arrive; wait for the pass after the last one, which leaves
    // less than retention.bytes plus one segment (2000 bytes, about 10 records).
    wait_offsets(&mut c, "by-size", |s, e| e == 80 && e - s <= 30);
    // Passes run every 50 ms: wait until several in a row leave the offsets as they are.
    let (start, end) = settled_offsets(&mut c, "by-size");
    assert!(start > 0 && end == 80, "retention moved the start: {start}");
    assert!(end - start <= 30, "kept {}", end - start);
    // About retention.bytes of records remain (whole segments).
    assert!(end - start >= 3000 / 200, "kept {}", end - start);
    let got = consume_from_zero(&b.bootstrap(), "by-size", (end - start) as usize);
    assert_eq!(got.first().map(|g| g.0), Some(start));
    assert_eq!(got.len() as i64, end - start);
}

#[test]
fn time_retention_deletes_expired_segments_after_segment_ms_rolls() {
    let dir = tempfile::tempdir().expect("tempdir");
    let b = broker(dir.path());
    let mut c = RawClient::connect(b.addr);
    create(
        &mut c,
        "by-time",
        &[("retention.ms", "60000"), ("segment.ms", "100")],
    );
    // Records from 1970: long expired. One segment, which only segment.ms can close.
    produce(&mut c, "by-time", 0..10, 1_000);
    let (start, end) = wait_offsets(&mut c, "by-time", |s, _| s == 10);
    assert_eq!((start, end), (10, 10), "expired records deleted");
    // Fresh records are kept: once a later pass has deleted an expired sentinel record of
    // another topic, that pass has seen these too.
    produce(&mut c, "by-time", 10..15, 32_503_680_000_000);
    create(
        &mut c,
        "sentinel",
        &[("retention.ms", "60000"), ("segment.ms", "100")],
    );
    produce(&mut c, "sentinel", 0..1, 1_000);
    assert_eq!(
        wait_offsets(&mut c, "sentinel", |s, _| s == 1),
        (1, 1),
        "a retention pass ran"
    );
    assert_eq!(offsets(&mut c, "by-time"), (10, 15));
    let got = consume_from_zero(&b.bootstrap(), "by-time", 5);
    let want: Vec<_> = (10..15).map(|i| (i as i64, value(i))).collect();
    assert!(got == want);
}

#[test]
fn compacted_topics_reject_records_without_key() {
    let dir = tempfile::tempdir().expect("tempdir");
    let b = broker(dir.path());
    let mut c = RawClient::connect(b.addr);
    create(&mut c, "compacted", &[("cleanup.policy", "compact,delete")]);
    let send = |c: &mut RawClient, key: Option<&[u8]>| {
        let mut batch = RecordBatchBuilder::new(Compression::None);
        batch.append(now_ms(), Some(b"k"), Some(b"v"), &[]);
        batch.append(now_ms(), key, Some(b"v"), &[]);
        c.produce_at(9, "compacted", 0, batch.build().expect("batch"), -1)
            .0
    };
    assert_eq!(send(&mut c, None), ErrorCode::InvalidRecord.code());
    assert_eq!(offsets(&mut c, "compacted"), (0, 0), "nothing appended");
    assert_eq!(send(&mut c, Some(b"k2")), 0);
    assert_eq!(offsets(&mut c, "compacted"), (0, 2));
}

/// Produces one keyed record (value `None` = tombstone) with acks=1; returns its offset.
fn produce_keyed(c: &mut RawClient, topic: &str, key: &str, value: Option<&str>) -> i64 {
    let mut b = RecordBatchBuilder::new(Compression::None);
    b.append(
        now_ms(),
        Some(key.as_bytes()),
        value.map(str::as_bytes),
        &[],
    );
    let (code, offset) = c.produce(topic, b.build().expect("batch"), 1);
    assert_eq!(code, 0);
    offset
}

#[test]
fn compaction_keeps_the_last_value_per_key_through_a_real_client() {
    let dir = tempfile::tempdir().expect("tempdir");
    let b = broker(dir.path());
    let mut c = RawClient::connect(b.addr);
    create(
        &mut c,
        "table",
        &[
            ("cleanup.policy", "compact"),
            ("segment.ms", "100"),
            ("delete.retention.ms", "0"),
        ],
    );
    let mut last = std::collections::BTreeMap::new();
    for i in 0..60 {
        let key = format!("key-{}", i % 6);
        let value = format!("value-{i}");
        let offset = produce_keyed(&mut c, "table", &key, Some(&value));
        last.insert(key, (offset, value));
    }
    // A tombstone for key-0 (expires at once: delete.retention.ms=0).
    produce_keyed(&mut c, "table", "key-0", None);
    last.remove("key-0");
    // Wait (bounded) for the segment to roll and be compacted: fetch from 0 until 5 records.
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut count = usize::MAX;
    while Instant::now() < deadline {
        let records = c.fetch_at("table", 0, 0, 0).records.unwrap_or_default();
        count = kalfka_protocol::records::batches(records)
            .map(|b| b.map_or(0, |b| b.header().record_count as usize))
            .sum();
        if count == last.len() {
            break;
        }
        thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(count, last.len(), "compacted to one record per live key");
    let got = consume_from_zero(&b.bootstrap(), "table", last.len());
    let want: Vec<(i64, Vec<u8>)> = {
        let mut v: Vec<_> = last
            .values()
            .map(|(o, v)| (*o, v.clone().into_bytes()))
            .collect();
        v.sort();
        v
    };
    assert_eq!(got, want, "last value per key, at its original offset");
    assert_eq!(offsets(&mut c, "table").1, 61, "offsets are kept");
}

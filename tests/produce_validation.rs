//! Produce validates every record of every batch before appending, as Kafka's log validator
//! does: forged batches (counts that lie, offset deltas out of order, payloads that do not
//! decompress, a decompression bomb) are refused with Kafka's error code and leave the log
//! unchanged; records breaking a topic rule are listed in KIP-467 `record_errors`.

mod common;

use std::io::Write;
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use common::process::vm_rss_kb;
use common::raw::RawClient;
use common::TestBroker;
use kalfka_protocol::error_code::ErrorCode;
use kalfka_protocol::messages::produce_response::PartitionProduceResponse;
use kalfka_protocol::messages::ProduceResponse;
use kalfka_protocol::records::{batches, write_crc, Compression, RecordBatchBuilder};

const INVALID_RECORD: i16 = 87;

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// A plain batch of `values` (key = value), timestamps `now`.
fn batch(values: &[&str]) -> Vec<u8> {
    batch_with(Compression::None, values.iter().map(|v| (Some(*v), *v)))
}

fn batch_with<'a>(
    codec: Compression,
    records: impl IntoIterator<Item = (Option<&'a str>, &'a str)>,
) -> Vec<u8> {
    let mut b = RecordBatchBuilder::new(codec);
    for (key, value) in records {
        b.append(
            now_ms(),
            key.map(str::as_bytes),
            Some(value.as_bytes()),
            &[],
        );
    }
    b.build().expect("batch").to_vec()
}

fn set_i32(batch: &mut [u8], at: usize, v: i32) {
    batch[at..at + 4].copy_from_slice(&v.to_be_bytes());
}

/// Replaces the records region (after the 61-byte header), fixing the length and the CRC.
fn with_region(mut batch: Vec<u8>, region: &[u8]) -> Vec<u8> {
    batch.truncate(61);
    batch.extend_from_slice(region);
    let len = (batch.len() - 12) as i32;
    set_i32(&mut batch, 8, len);
    write_crc(&mut batch);
    batch
}

/// Produces (v9, acks=all) to partition 0; the partition's answer.
fn produce(c: &mut RawClient, topic: &str, records: Vec<u8>) -> PartitionProduceResponse {
    let resp: ProduceResponse = c.call(
        9,
        &common::raw::produce_request(topic, 0, Bytes::from(records), -1),
    );
    resp.responses[0].partition_responses[0].clone()
}

/// Log end offset of partition 0 (ListOffsets latest).
fn log_end(c: &mut RawClient, topic: &str) -> i64 {
    use kalfka_protocol::messages::list_offsets_request::{ListOffsetsPartition, ListOffsetsTopic};
    use kalfka_protocol::messages::{ListOffsetsRequest, ListOffsetsResponse};
    let resp: ListOffsetsResponse = c.call(
        7,
        &ListOffsetsRequest {
            replica_id: -1,
            topics: vec![ListOffsetsTopic {
                name: topic.into(),
                partitions: vec![ListOffsetsPartition {
                    partition_index: 0,
                    timestamp: -1,
                    ..Default::default()
                }],
            }],
            ..Default::default()
        },
    );
    resp.topics[0].partitions[0].offset
}

/// Refused with `code`, and the log end did not move.
fn assert_refused(c: &mut RawClient, topic: &str, records: Vec<u8>, code: i16, what: &str) {
    let before = log_end(c, topic);
    let r = produce(c, topic, records);
    assert_eq!(r.error_code, code, "{what}: error code");
    assert_eq!(r.base_offset, -1, "{what}: no offset assigned");
    assert_eq!(log_end(c, topic), before, "{what}: the log is unchanged");
}

fn read_values(c: &mut RawClient, topic: &str) -> Vec<String> {
    c.read_records(topic, 0)
        .into_iter()
        .map(|(_, v)| String::from_utf8_lossy(&v.unwrap_or_default()).into_owned())
        .collect()
}

#[test]
fn forged_batches_are_refused_and_leave_the_log_unchanged() {
    let dir = tempfile::tempdir().expect("tempdir");
    let broker = TestBroker::start(dir.path());
    let mut c = RawClient::connect(broker.addr);
    c.create_topic("forged", 1, &[]);
    assert_eq!(produce(&mut c, "forged", batch(&["first"])).error_code, 0);

    // Count and last offset delta claim 2^31-1 records; one is there.
    let mut huge = batch(&["one"]);
    set_i32(&mut huge, 23, i32::MAX - 1);
    set_i32(&mut huge, 57, i32::MAX);
    write_crc(&mut huge);
    assert_refused(&mut c, "forged", huge, INVALID_RECORD, "count 2^31-1");

    // Declares one record, carries three.
    let three = batch(&["a", "b", "c"]);
    let mut lying = three.clone();
    set_i32(&mut lying, 23, 0);
    set_i32(&mut lying, 57, 1);
    write_crc(&mut lying);
    assert_refused(
        &mut c,
        "forged",
        lying,
        INVALID_RECORD,
        "1 declared, 3 carried",
    );

    // Declares three, carries one.
    let one = batch(&["a"]);
    let mut short = one.clone();
    set_i32(&mut short, 23, 2);
    set_i32(&mut short, 57, 3);
    write_crc(&mut short);
    assert_refused(
        &mut c,
        "forged",
        short,
        INVALID_RECORD,
        "3 declared, 1 carried",
    );

    // Offset deltas 0, 0, 0 instead of 0, 1, 2 (records of one-record batches spliced).
    let mut region = Vec::new();
    for v in ["x", "y", "z"] {
        region.extend_from_slice(&batch(&[v])[61..]);
    }
    let deltas = with_region(three.clone(), &region);
    assert_refused(
        &mut c,
        "forged",
        deltas,
        INVALID_RECORD,
        "offset deltas 0,0,0",
    );

    // 50 random bytes of "records" with a valid CRC.
    let noise: Vec<u8> = (0..50u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    assert_refused(
        &mut c,
        "forged",
        with_region(batch(&["n"]), &noise),
        INVALID_RECORD,
        "random records",
    );

    // Flagged gzip, payload is not gzip.
    let mut not_gzip = batch(&["plain"]);
    not_gzip[22] |= Compression::Gzip.id() as u8;
    write_crc(&mut not_gzip);
    assert_refused(&mut c, "forged", not_gzip, INVALID_RECORD, "bad gzip");

    // A record whose key length runs past the record.
    let mut bad_key = batch(&["k"]);
    // record: len, attrs, ts delta, offset delta, key len at region[4]
    bad_key[61 + 4] = 0x7e; // zigzag 63
    write_crc(&mut bad_key);
    assert_refused(
        &mut c,
        "forged",
        bad_key,
        INVALID_RECORD,
        "key past the record",
    );

    // Two batches for one partition in one request.
    let mut two = batch(&["p"]);
    two.extend_from_slice(&batch(&["q"]));
    assert_refused(&mut c, "forged", two, INVALID_RECORD, "two batches");

    // A producer id with a negative sequence.
    let mut b = RecordBatchBuilder::new(Compression::None);
    b.producer(7, 0, 0);
    b.append(now_ms(), Some(b"k"), Some(b"v"), &[]);
    let mut negative = b.build().expect("batch").to_vec();
    set_i32(&mut negative, 53, -5);
    write_crc(&mut negative);
    assert_refused(
        &mut c,
        "forged",
        negative,
        INVALID_RECORD,
        "negative sequence",
    );

    // Compressed batches that are well-formed still go through.
    let zipped = batch_with(Compression::Gzip, [(Some("z1"), "z1"), (Some("z2"), "z2")]);
    assert_eq!(produce(&mut c, "forged", zipped).error_code, 0);
    assert_eq!(read_values(&mut c, "forged"), ["first", "z1", "z2"]);
}

#[test]
fn a_decompression_bomb_is_refused_within_bounded_memory() {
    let dir = tempfile::tempdir().expect("tempdir");
    let broker = TestBroker::start(dir.path());
    let mut c = RawClient::connect(broker.addr);
    c.create_topic("bomb", 1, &[]);

    // 512 MiB of zeros gzipped to well under a megabyte, as the records of one batch.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..512 {
        gz.write_all(&zeros).expect("gzip");
    }
    let payload = gz.finish().expect("gzip");
    assert!(payload.len() < 1 << 20, "bomb is {} bytes", payload.len());
    let mut bomb = with_region(batch(&["b"]), &payload);
    bomb[22] |= Compression::Gzip.id() as u8;
    write_crc(&mut bomb);

    let before = vm_rss_kb();
    for _ in 0..3 {
        assert_refused(&mut c, "bomb", bomb.clone(), INVALID_RECORD, "gzip bomb");
    }
    let grown_mb = vm_rss_kb().saturating_sub(before) / 1024;
    // Decompression stops at 64 MiB (the bomb guard), and that buffer is released.
    assert!(
        grown_mb < 100,
        "RSS grew by {grown_mb} MB refusing a 512 MiB decompression bomb"
    );
}

#[test]
fn records_breaking_a_topic_rule_are_listed_in_record_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let broker = TestBroker::start(dir.path());
    let mut c = RawClient::connect(broker.addr);
    c.create_topic("compacted", 1, &[("cleanup.policy", "compact")]);
    c.create_topic(
        "recent",
        1,
        &[
            ("message.timestamp.after.max.ms", "3600000"),
            ("message.timestamp.before.max.ms", "3600000"),
        ],
    );
    c.create_topic("stamped", 1, &[("message.timestamp.type", "LogAppendTime")]);

    // Records 1 and 3 have no key.
    let keyless = batch_with(
        Compression::None,
        [(Some("a"), "a"), (None, "b"), (Some("c"), "c"), (None, "d")],
    );
    let before = log_end(&mut c, "compacted");
    let r = produce(&mut c, "compacted", keyless.clone());
    assert_eq!(r.error_code, INVALID_RECORD);
    let indexes: Vec<i32> = r.record_errors.iter().map(|e| e.batch_index).collect();
    assert_eq!(indexes, [1, 3]);
    for e in &r.record_errors {
        let msg = e.batch_index_error_message.as_deref().unwrap_or_default();
        assert!(msg.contains("without key"), "record error message: {msg}");
    }
    let message = r.error_message.unwrap_or_default();
    assert!(
        message.contains("2 record errors"),
        "error message: {message}"
    );
    assert_eq!(log_end(&mut c, "compacted"), before);
    // The same batch compressed: the same answer.
    let zipped = batch_with(
        Compression::Lz4,
        [(Some("a"), "a"), (None, "b"), (Some("c"), "c"), (None, "d")],
    );
    let r = produce(&mut c, "compacted", zipped);
    assert_eq!(r.error_code, INVALID_RECORD);
    assert_eq!(r.record_errors.len(), 2);

    // A timestamp two hours ahead and one two hours behind, among good ones.
    let now = now_ms();
    let mut b = RecordBatchBuilder::new(Compression::None);
    b.append(now, Some(b"k"), Some(b"ok"), &[]);
    b.append(now + 7_200_000, Some(b"k"), Some(b"future"), &[]);
    b.append(now - 7_200_000, Some(b"k"), Some(b"past"), &[]);
    let r = produce(&mut c, "recent", b.build().expect("batch").to_vec());
    assert_eq!(r.error_code, ErrorCode::InvalidTimestamp.code());
    let indexes: Vec<i32> = r.record_errors.iter().map(|e| e.batch_index).collect();
    assert_eq!(indexes, [1, 2]);
    assert_eq!(log_end(&mut c, "recent"), 0);
    let mut b = RecordBatchBuilder::new(Compression::None);
    b.append(now - 60_000, Some(b"k"), Some(b"ok"), &[]);
    assert_eq!(
        produce(&mut c, "recent", b.build().expect("batch").to_vec()).error_code,
        0
    );

    // LogAppendTime topics stamp the batch and say when.
    let r = produce(&mut c, "stamped", batch(&["s"]));
    assert_eq!(r.error_code, 0);
    assert!(
        (r.log_append_time_ms - now_ms()).abs() < 60_000,
        "log_append_time_ms {}",
        r.log_append_time_ms
    );
    let fetched = c.fetch_at("stamped", 0, 0, 0);
    let stored = batches(fetched.records.unwrap_or_default())
        .next()
        .expect("a batch")
        .expect("valid batch");
    assert_eq!(stored.header().max_timestamp, r.log_append_time_ms);
    assert_eq!(
        stored.header().attributes & 0x08,
        0x08,
        "LogAppendTime flag"
    );
    // Only the broker sets the LogAppendTime flag (Kafka: INVALID_TIMESTAMP).
    let mut forged = batch(&["t"]);
    forged[22] |= 0x08;
    write_crc(&mut forged);
    let r = produce(&mut c, "stamped", forged);
    assert_eq!(r.error_code, ErrorCode::InvalidTimestamp.code());
}

/// librdkafka reads `record_errors`: the keyless records of a batch to a compacted topic
/// fail with INVALID_RECORD and the broker's reason, the others of the same batch with
/// librdkafka's "invalid different record", and a later good batch is stored.
#[test]
fn librdkafka_fails_only_the_records_named_in_record_errors() {
    use rdkafka::config::ClientConfig;
    use rdkafka::error::{KafkaError, RDKafkaErrorCode};
    use rdkafka::producer::{FutureProducer, FutureRecord, Producer};
    use std::time::Duration;

    let dir = tempfile::tempdir().expect("tempdir");
    let broker = TestBroker::start(dir.path());
    let mut c = RawClient::connect(broker.addr);
    c.create_topic("rd-compacted", 1, &[("cleanup.policy", "compact")]);

    let producer: FutureProducer = ClientConfig::new()
        .set("bootstrap.servers", broker.bootstrap())
        .set("linger.ms", "500")
        .set("message.timeout.ms", "20000")
        .create()
        .expect("producer");
    let runtime = common::clients::runtime();
    let keys = [Some("k0"), None, Some("k2"), None, Some("k4")];
    let deliveries: Vec<_> = keys
        .iter()
        .enumerate()
        .map(|(i, key)| {
            let value = format!("v{i}");
            let mut record = FutureRecord::<str, str>::to("rd-compacted")
                .partition(0)
                .payload(&value);
            if let Some(k) = key {
                record = record.key(*k);
            }
            producer
                .send_result(record)
                .map_err(|(e, _)| e)
                .expect("queued")
        })
        .collect();
    // The error code of each record's delivery report (None: delivered).
    let codes: Vec<Option<RDKafkaErrorCode>> = deliveries
        .into_iter()
        .map(|d| match runtime.block_on(d).expect("delivery report") {
            Ok(_) => None,
            Err((KafkaError::MessageProduction(code), _)) => Some(code),
            Err((e, _)) => panic!("unexpected delivery error {e}"),
        })
        .collect();
    for (i, (key, code)) in keys.iter().zip(&codes).enumerate() {
        let expected = match key {
            None => RDKafkaErrorCode::InvalidRecord,
            Some(_) => RDKafkaErrorCode::InvalidDifferentRecord,
        };
        assert_eq!(*code, Some(expected), "record {i} (key {key:?})");
    }

    let good = FutureRecord::<str, str>::to("rd-compacted")
        .partition(0)
        .key("k5")
        .payload("v5");
    let delivered = runtime
        .block_on(producer.send(good, Duration::from_secs(20)))
        .expect("a good record after the bad batch is stored");
    assert_eq!(
        delivered.offset, 0,
        "nothing of the bad batch reached the log"
    );
    producer.flush(Duration::from_secs(10)).expect("flush");
}

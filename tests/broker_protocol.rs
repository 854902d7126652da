//! Broker behaviour at the wire level, with exact bytes: version negotiation, pipelining,
//! acks=0, long-poll fetches, offsets, topic administration, and bad input of every kind
//! answered with the precise Kafka error code or a closed connection — never a hang.

mod common;

use std::thread;
use std::time::Duration;

use bytes::Bytes;
use common::raw::RawClient;
use common::TestBroker;
use kalfka::config::BrokerConfig;
use kalfka_protocol::error_code::ErrorCode;
use kalfka_protocol::messages::create_topics_request::CreatableTopic;
use kalfka_protocol::messages::fetch_request::{FetchPartition, FetchTopic};
use kalfka_protocol::messages::list_offsets_request::{ListOffsetsPartition, ListOffsetsTopic};
use kalfka_protocol::messages::metadata_request::MetadataRequestTopic;
use kalfka_protocol::messages::*;
use kalfka_protocol::records::{batches, Compression, RecordBatchBuilder};

fn batch(values: &[&[u8]], base_ts: i64) -> Bytes {
    let mut b = RecordBatchBuilder::new(Compression::None);
    for (i, v) in values.iter().enumerate() {
        b.append(base_ts + i as i64, Some(b"k"), Some(v), &[]);
    }
    b.build().expect("batch")
}

/// Produces at `version` and returns (error code, base offset).
fn produce(
    c: &mut RawClient,
    version: i16,
    topic: &str,
    partition: i32,
    records: Bytes,
) -> (i16, i64) {
    c.produce_at(version, topic, partition, records, -1)
}

fn list_offset(c: &mut RawClient, topic: &str, partition: i32, timestamp: i64) -> (i16, i64, i64) {
    let resp: ListOffsetsResponse = c.call(
        7,
        &ListOffsetsRequest {
            replica_id: -1,
            topics: vec![ListOffsetsTopic {
                name: topic.into(),
                partitions: vec![ListOffsetsPartition {
                    partition_index: partition,
                    timestamp,
                    ..Default::default()
                }],
            }],
            ..Default::default()
        },
    );
    let p = &resp.topics[0].partitions[0];
    (p.error_code, p.offset, p.timestamp)
}

fn fetch_req(topic: &str, offset: i64, max_wait_ms: i32, max_bytes: i32) -> FetchRequest {
    FetchRequest {
        replica_id: -1,
        max_wait_ms,
        min_bytes: 1,
        max_bytes,
        session_epoch: -1,
        topics: vec![FetchTopic {
            topic: topic.into(),
            partitions: vec![FetchPartition {
                partition: 0,
                fetch_offset: offset,
                partition_max_bytes: max_bytes,
                ..Default::default()
            }],
            ..Default::default()
        }],
        ..Default::default()
    }
}

fn record_values(records: &Bytes) -> Vec<(i64, Vec<u8>)> {
    let mut out = vec![];
    for b in batches(records.clone()) {
        let b = b.expect("whole batches only");
        b.verify_crc().expect("crc");
        for r in b.records().expect("records") {
            out.push((
                r.offset(b.header()),
                r.value.map(|v| v.to_vec()).unwrap_or_default(),
            ));
        }
    }
    out
}

#[test]
fn api_versions_every_version_and_an_unknown_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    let broker = TestBroker::start(dir.path());
    let mut c = RawClient::connect(broker.addr);
    for v in 0..=4 {
        let resp: ApiVersionsResponse = c.call(v, &common::raw::api_versions_request());
        assert_eq!(resp.error_code, 0, "ApiVersions v{v}");
        let produce = resp
            .api_keys
            .iter()
            .find(|k| k.api_key == 0)
            .expect("Produce listed");
        assert_eq!((produce.min_version, produce.max_version), (0, 12));
        let fetch = resp
            .api_keys
            .iter()
            .find(|k| k.api_key == 1)
            .expect("Fetch listed");
        assert_eq!((fetch.min_version, fetch.max_version), (0, 17));
        assert!(
            resp.api_keys
                .iter()
                .all(|k| k.api_key != 71 && k.api_key != 72),
            "telemetry APIs are not advertised"
        );
        if v >= 3 {
            // Features (tagged fields, v3+) as a Kafka 4.0 cluster finalizes them:
            // group.version 1 (KIP-848), share.version 1 (KIP-932), transaction.version 2
            // (KIP-890 part 2).
            let finalized: Vec<(String, i16)> = resp
                .finalized_features
                .iter()
                .map(|f| (f.name.clone(), f.max_version_level))
                .collect();
            assert_eq!(
                finalized,
                [
                    ("group.version".to_string(), 1),
                    ("metadata.version".to_string(), 25),
                    ("share.version".to_string(), 1),
                    ("transaction.version".to_string(), 2)
                ]
            );
            assert!(resp.finalized_features_epoch >= 0);
            assert_eq!(resp.supported_features.len(), 4);
        }
    }
    // A version from the future: header v0 and a v0 body with UNSUPPORTED_VERSION + our table.
    let (mut frame, id) = c.frame(3, &common::raw::api_versions_request());
    frame[6..8].copy_from_slice(&9i16.to_be_bytes());
    c.send_raw(&frame);
    let body = c.recv_frame().expect("answered, not closed");
    assert_eq!(
        i32::from_be_bytes(body[..4].try_into().expect("4 bytes")),
        id
    );
    let resp = ApiVersionsResponse::decode_from(&body.slice(4..), 0).expect("v0 body");
    assert_eq!(resp.error_code, ErrorCode::UnsupportedVersion.code());
    assert!(resp
        .api_keys
        .iter()
        .any(|k| k.api_key == 18 && k.max_version == 4));
}

#[test]
fn unknown_api_key_and_bad_frames_close_the_connection() {
    let dir = tempfile::tempdir().expect("tempdir");
    let broker = TestBroker::start(dir.path());
    // Unknown API key.
    let mut c = RawClient::connect(broker.addr);
    c.send_raw(&[0, 0, 0, 10, 0x03, 0xE7, 0, 0, 0, 0, 0, 1, 0xff, 0xff]);
    assert!(c.is_closed());
    // A frame larger than the maximum.
    let mut c = RawClient::connect(broker.addr);
    c.send_raw(&(200 * 1024 * 1024i32).to_be_bytes());
    assert!(c.is_closed());
    // A negative frame length.
    let mut c = RawClient::connect(broker.addr);
    c.send_raw(&(-5i32).to_be_bytes());
    assert!(c.is_closed());
    // A version above the advertised range of a known API.
    let mut c = RawClient::connect(broker.addr);
    let (mut frame, _) = c.frame(12, &MetadataRequest::default());
    frame[6..8].copy_from_slice(&40i16.to_be_bytes());
    c.send_raw(&frame);
    assert!(c.is_closed());
    // A truncated body inside a complete frame.
    let mut c = RawClient::connect(broker.addr);
    let (frame, _) = c.frame(
        9,
        &common::raw::produce_request("t", 0, batch(&[b"x"], 0), -1),
    );
    let cut = frame.len() - 30;
    let mut short = frame[..cut].to_vec();
    short[..4].copy_from_slice(&((cut - 4) as i32).to_be_bytes());
    c.send_raw(&short);
    assert!(c.is_closed());
    // An overlong unsigned varint (compact array length) in a flexible Metadata request.
    let mut c = RawClient::connect(broker.addr);
    let (frame, _) = c.frame(9, &MetadataRequest::default());
    let header_end = frame.len() - 3; // null topics (0x00), allow_auto (1), tags (0)
    let mut bad = frame[..header_end].to_vec();
    bad.extend_from_slice(&[0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01, 1, 0]);
    let len = (bad.len() - 4) as i32;
    bad[..4].copy_from_slice(&len.to_be_bytes());
    c.send_raw(&bad);
    assert!(c.is_closed());
    // The broker is still serving.
    let mut c = RawClient::connect(broker.addr);
    let resp: ApiVersionsResponse = c.call(3, &common::raw::api_versions_request());
    assert_eq!(resp.error_code, 0);
}

#[test]
fn metadata_auto_creates_and_rejects_invalid_names() {
    let dir = tempfile::tempdir().expect("tempdir");
    let broker = TestBroker::start(dir.path());
    let mut c = RawClient::connect(broker.addr);
    let ask = |names: &[&str], allow: bool| MetadataRequest {
        topics: Some(
            names
                .iter()
                .map(|n| MetadataRequestTopic {
                    name: Some((*n).into()),
                    ..Default::default()
                })
                .collect(),
        ),
        allow_auto_topic_creation: allow,
        ..Default::default()
    };
    let resp: MetadataResponse = c.call(12, &ask(&["not-allowed"], false));
    assert_eq!(
        resp.topics[0].error_code,
        ErrorCode::UnknownTopicOrPartition.code()
    );
    let resp: MetadataResponse = c.call(12, &ask(&["auto", "bad/name"], true));
    assert_eq!(resp.topics[0].error_code, 0);
    assert_eq!(resp.topics[0].partitions.len(), 1);
    assert!(!resp.topics[0].topic_id.is_zero(), "real topic id");
    assert_eq!(
        resp.topics[1].error_code,
        ErrorCode::InvalidTopicException.code()
    );
    assert_eq!(resp.brokers.len(), 1);
    assert_eq!(resp.brokers[0].port, i32::from(broker.addr.port()));
    assert!(resp.cluster_id.is_some());
    // v0 (empty list = all topics) and v4 (null = all) both list it.
    let all_v0: MetadataResponse = c.call(
        0,
        &MetadataRequest {
            topics: Some(vec![]),
            ..Default::default()
        },
    );
    assert!(all_v0
        .topics
        .iter()
        .any(|t| t.name.as_deref() == Some("auto")));
    let all_v4: MetadataResponse = c.call(
        4,
        &MetadataRequest {
            topics: None,
            ..Default::default()
        },
    );
    assert!(all_v4
        .topics
        .iter()
        .any(|t| t.name.as_deref() == Some("auto")));
    let none: MetadataResponse = c.call(
        4,
        &MetadataRequest {
            topics: Some(vec![]),
            ..Default::default()
        },
    );
    assert!(none.topics.is_empty());
}

#[test]
fn produce_validates_before_writing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut config = BrokerConfig::for_tests(dir.path());
    config.message_max_bytes = 2048;
    let broker = TestBroker::start_with(config);
    let mut c = RawClient::connect(broker.addr);
    c.create_topic("p", 1, &[]);

    let good = batch(&[b"one", b"two"], 1000);
    assert_eq!(produce(&mut c, 9, "p", 0, good.clone()), (0, 0));
    // Wrong CRC.
    let mut corrupt = good.to_vec();
    let last = corrupt.len() - 1;
    corrupt[last] ^= 0xff;
    assert_eq!(
        produce(&mut c, 9, "p", 0, Bytes::from(corrupt)).0,
        ErrorCode::CorruptMessage.code()
    );
    // Larger than max.message.bytes.
    let big = vec![7u8; 4096];
    assert_eq!(
        produce(&mut c, 9, "p", 0, batch(&[&big], 0)).0,
        ErrorCode::MessageTooLarge.code()
    );
    // Old message format versions.
    assert_eq!(
        produce(&mut c, 2, "p", 0, good.clone()).0,
        ErrorCode::UnsupportedVersion.code()
    );
    // Unknown topic and partition (Produce never auto-creates).
    assert_eq!(
        produce(&mut c, 9, "nope", 0, good.clone()).0,
        ErrorCode::UnknownTopicOrPartition.code()
    );
    assert_eq!(
        produce(&mut c, 9, "p", 5, good.clone()).0,
        ErrorCode::UnknownTopicOrPartition.code()
    );
    // A truncated batch.
    assert_eq!(
        produce(&mut c, 9, "p", 0, good.slice(..good.len() - 3)).0,
        ErrorCode::CorruptMessage.code()
    );
    // Bad acks.
    let resp: ProduceResponse = c.call(9, &common::raw::produce_request("p", 0, good.clone(), 3));
    assert_eq!(
        resp.responses[0].partition_responses[0].error_code,
        ErrorCode::InvalidRequiredAcks.code()
    );
    // Nothing of the rejected batches reached the log.
    assert_eq!(list_offset(&mut c, "p", 0, -1), (0, 2, -1));
    assert_eq!(produce(&mut c, 3, "p", 0, good), (0, 2));
}

#[test]
fn acks_zero_gets_no_response_and_pipelined_responses_keep_order() {
    let dir = tempfile::tempdir().expect("tempdir");
    let broker = TestBroker::start(dir.path());
    let mut c = RawClient::connect(broker.addr);
    c.create_topic("q", 1, &[]);
    // Several requests written back to back, one of them acks=0.
    let (f1, id1) = c.frame(
        9,
        &common::raw::produce_request("q", 0, batch(&[b"a"], 0), 1),
    );
    let (f2, _) = c.frame(
        9,
        &common::raw::produce_request("q", 0, batch(&[b"b"], 0), 0),
    );
    let (f3, id3) = c.frame(3, &common::raw::api_versions_request());
    let (f4, id4) = c.frame(
        9,
        &common::raw::produce_request("q", 0, batch(&[b"c"], 0), -1),
    );
    c.send_raw(&[f1, f2, f3, f4].concat());
    let r1: ProduceResponse = c.recv::<ProduceRequest, _>(9, id1);
    assert_eq!(r1.responses[0].partition_responses[0].base_offset, 0);
    let r3: ApiVersionsResponse = c.recv::<ApiVersionsRequest, _>(3, id3);
    assert_eq!(r3.error_code, 0);
    let r4: ProduceResponse = c.recv::<ProduceRequest, _>(9, id4);
    assert_eq!(
        r4.responses[0].partition_responses[0].base_offset, 2,
        "the acks=0 batch took offset 1"
    );
}

#[test]
fn fetch_long_poll_is_woken_by_an_append() {
    let dir = tempfile::tempdir().expect("tempdir");
    let broker = TestBroker::start(dir.path());
    let mut c = RawClient::connect(broker.addr);
    c.create_topic("w", 1, &[]);
    let addr = broker.addr;
    let (tx, rx) = std::sync::mpsc::channel();
    thread::spawn(move || {
        let mut c = RawClient::connect(addr);
        c.set_read_timeout(Duration::from_secs(200));
        // Would wait 180 s for data at offset 0 of an empty partition: only a wake-up by
        // the append answers it within the test's 60 s.
        let resp: FetchResponse = c.call(11, &fetch_req("w", 0, 180_000, 1 << 20));
        let _ = tx.send(resp);
    });
    thread::sleep(Duration::from_millis(300));
    assert_eq!(produce(&mut c, 9, "w", 0, batch(&[b"wake"], 0)).0, 0);
    let resp = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("the append woke the parked fetch");
    let p = &resp.responses[0].partitions[0];
    assert_eq!(p.error_code, 0);
    assert_eq!(p.high_watermark, 1);
    let records = p.records.clone().expect("records");
    assert_eq!(record_values(&records), vec![(0, b"wake".to_vec())]);
}

/// A fetch naming no partition (what a consumer's close() sends to end its fetch session) is
/// answered at once, as Kafka does, not after max_wait_ms.
#[test]
fn a_fetch_for_no_partitions_is_answered_at_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let broker = TestBroker::start(dir.path());
    let mut c = RawClient::connect(broker.addr);
    c.set_read_timeout(Duration::from_secs(200));
    let mut req = fetch_req("none", 0, 180_000, 1 << 20);
    req.topics.clear();
    let (tx, rx) = std::sync::mpsc::channel();
    thread::spawn(move || {
        let resp: FetchResponse = c.call(12, &req);
        let _ = tx.send(resp);
    });
    let resp = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("answered without waiting for max_wait_ms (180 s)");
    assert_eq!(resp.error_code, 0);
    assert!(resp.responses.is_empty());
}

#[test]
fn fetch_limits_offsets_and_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let broker = TestBroker::start(dir.path());
    let mut c = RawClient::connect(broker.addr);
    c.create_topic("f", 1, &[]);
    let big = vec![1u8; 3000];
    produce(&mut c, 9, "f", 0, batch(&[&big, &big], 0)); // offsets 0-1
    produce(&mut c, 9, "f", 0, batch(&[b"x", b"y", b"z"], 0)); // offsets 2-4
                                                               // A first batch larger than max_bytes comes back whole.
    let resp: FetchResponse = c.call(11, &fetch_req("f", 0, 0, 100));
    let got = record_values(
        resp.responses[0].partitions[0]
            .records
            .as_ref()
            .expect("records"),
    );
    assert_eq!(got.iter().map(|(o, _)| *o).collect::<Vec<_>>(), vec![0, 1]);
    // An offset inside a batch returns that batch (the client skips the earlier records).
    let resp: FetchResponse = c.call(11, &fetch_req("f", 3, 0, 1 << 20));
    let got = record_values(
        resp.responses[0].partitions[0]
            .records
            .as_ref()
            .expect("records"),
    );
    assert_eq!(
        got.iter().map(|(o, _)| *o).collect::<Vec<_>>(),
        vec![2, 3, 4]
    );
    // At the log end: empty, no error; past it: OFFSET_OUT_OF_RANGE.
    let resp: FetchResponse = c.call(11, &fetch_req("f", 5, 0, 1 << 20));
    assert_eq!(resp.responses[0].partitions[0].error_code, 0);
    assert_eq!(
        resp.responses[0].partitions[0]
            .records
            .as_ref()
            .map_or(0, |r| r.len()),
        0
    );
    let resp: FetchResponse = c.call(11, &fetch_req("f", 6, 0, 1 << 20));
    assert_eq!(
        resp.responses[0].partitions[0].error_code,
        ErrorCode::OffsetOutOfRange.code()
    );
    // Unknown topic; old fetch versions.
    let resp: FetchResponse = c.call(11, &fetch_req("missing", 0, 0, 1 << 20));
    assert_eq!(
        resp.responses[0].partitions[0].error_code,
        ErrorCode::UnknownTopicOrPartition.code()
    );
    let resp: FetchResponse = c.call(3, &fetch_req("f", 0, 0, 1 << 20));
    assert_eq!(
        resp.responses[0].partitions[0].error_code,
        ErrorCode::UnsupportedVersion.code()
    );
    // Incremental fetch sessions are not created: an unknown session id is reported.
    let mut session = fetch_req("f", 0, 0, 1 << 20);
    session.session_id = 77;
    session.session_epoch = 1;
    let resp: FetchResponse = c.call(11, &session);
    assert_eq!(resp.error_code, ErrorCode::FetchSessionIdNotFound.code());
}

#[test]
fn list_offsets_by_timestamp_and_special_values() {
    let dir = tempfile::tempdir().expect("tempdir");
    let broker = TestBroker::start(dir.path());
    let mut c = RawClient::connect(broker.addr);
    c.create_topic("ts", 1, &[]);
    produce(&mut c, 9, "ts", 0, batch(&[b"a", b"b"], 1_000)); // ts 1000, 1001
    produce(&mut c, 9, "ts", 0, batch(&[b"c"], 5_000)); // ts 5000
    produce(&mut c, 9, "ts", 0, batch(&[b"d"], 3_000)); // ts 3000 (out of order)
    assert_eq!(list_offset(&mut c, "ts", 0, -2), (0, 0, -1));
    assert_eq!(list_offset(&mut c, "ts", 0, -1), (0, 4, -1));
    assert_eq!(list_offset(&mut c, "ts", 0, -3), (0, 2, 5_000));
    assert_eq!(list_offset(&mut c, "ts", 0, 0), (0, 0, 1_000));
    // Inside a batch: the record, not the batch start.
    assert_eq!(list_offset(&mut c, "ts", 0, 1_001), (0, 1, 1_001));
    assert_eq!(list_offset(&mut c, "ts", 0, 2_000), (0, 2, 5_000));
    assert_eq!(list_offset(&mut c, "ts", 0, 4_000), (0, 2, 5_000));
    assert_eq!(list_offset(&mut c, "ts", 0, 9_000), (0, -1, -1));
    assert_eq!(
        list_offset(&mut c, "nope", 0, -1).0,
        ErrorCode::UnknownTopicOrPartition.code()
    );
}

#[test]
fn create_and_delete_topics() {
    let dir = tempfile::tempdir().expect("tempdir");
    let broker = TestBroker::start(dir.path());
    let mut c = RawClient::connect(broker.addr);
    let topic = |name: &str, partitions: i32, rf: i16| CreatableTopic {
        name: name.into(),
        num_partitions: partitions,
        replication_factor: rf,
        ..Default::default()
    };
    let req = CreateTopicsRequest {
        topics: vec![
            topic("defaults", -1, -1),
            topic("three", 3, 1),
            topic("bad name", 1, 1),
            topic("zero", 0, 1),
            topic("replicated", 1, 3),
        ],
        timeout_ms: 5000,
        ..Default::default()
    };
    let resp: CreateTopicsResponse = c.call(7, &req);
    let codes: Vec<i16> = resp.topics.iter().map(|t| t.error_code).collect();
    assert_eq!(
        codes,
        vec![
            0,
            0,
            ErrorCode::InvalidTopicException.code(),
            ErrorCode::InvalidPartitions.code(),
            ErrorCode::InvalidReplicationFactor.code()
        ]
    );
    assert_eq!(resp.topics[0].num_partitions, 1);
    assert_eq!(resp.topics[1].num_partitions, 3);
    assert!(!resp.topics[1].topic_id.is_zero());
    // Again: already exists. validate_only creates nothing.
    let resp: CreateTopicsResponse = c.call(
        4,
        &CreateTopicsRequest {
            topics: vec![topic("three", 3, 1)],
            ..Default::default()
        },
    );
    assert_eq!(
        resp.topics[0].error_code,
        ErrorCode::TopicAlreadyExists.code()
    );
    let resp: CreateTopicsResponse = c.call(
        7,
        &CreateTopicsRequest {
            topics: vec![topic("dry", 2, 1)],
            validate_only: true,
            ..Default::default()
        },
    );
    assert_eq!(resp.topics[0].error_code, 0);
    let meta: MetadataResponse = c.call(
        12,
        &MetadataRequest {
            topics: None,
            ..Default::default()
        },
    );
    let names: Vec<_> = meta.topics.iter().filter_map(|t| t.name.clone()).collect();
    assert_eq!(names, vec!["defaults".to_string(), "three".to_string()]);
    // Delete by name (v4) and an unknown one.
    let resp: DeleteTopicsResponse = c.call(
        4,
        &DeleteTopicsRequest {
            topic_names: vec!["three".into(), "ghost".into()],
            timeout_ms: 5000,
            ..Default::default()
        },
    );
    assert_eq!(resp.responses[0].error_code, 0);
    assert_eq!(
        resp.responses[1].error_code,
        ErrorCode::UnknownTopicOrPartition.code()
    );
    assert!(
        !dir.path().join("three-0").exists(),
        "partition data removed"
    );
    // The topic list survives a restart.
    drop(c);
    broker.stop();
    let broker = TestBroker::start(dir.path());
    let mut c = RawClient::connect(broker.addr);
    let meta: MetadataResponse = c.call(
        12,
        &MetadataRequest {
            topics: None,
            ..Default::default()
        },
    );
    let names: Vec<_> = meta.topics.iter().filter_map(|t| t.name.clone()).collect();
    assert_eq!(names, vec!["defaults".to_string()]);
}

#[test]
fn init_producer_id_allocates_distinct_ids() {
    let dir = tempfile::tempdir().expect("tempdir");
    let broker = TestBroker::start(dir.path());
    let mut c = RawClient::connect(broker.addr);
    let req = InitProducerIdRequest {
        transactional_id: None,
        transaction_timeout_ms: 60_000,
        ..Default::default()
    };
    let a: InitProducerIdResponse = c.call(4, &req);
    let b: InitProducerIdResponse = c.call(0, &req);
    assert_eq!((a.error_code, b.error_code), (0, 0));
    assert_ne!(a.producer_id, b.producer_id);
    assert!(a.producer_id >= 0 && b.producer_id >= 0);
}

#[test]
fn pipelined_acks_all_produces_are_answered_in_order_with_offsets_in_send_order() {
    let dir = tempfile::tempdir().expect("tempdir");
    let broker = TestBroker::start(dir.path());
    let mut c = RawClient::connect(broker.addr);
    c.create_topic("pipe", 1, &[]);
    // Ten acks=all produces written back to back, then a Metadata request behind them.
    let mut frames = Vec::new();
    let mut ids = Vec::new();
    for i in 0..10u8 {
        let (f, id) = c.frame(
            9,
            &common::raw::produce_request("pipe", 0, batch(&[&[i]], 0), -1),
        );
        frames.push(f);
        ids.push(id);
    }
    let (meta, meta_id) = c.frame(
        12,
        &MetadataRequest {
            topics: None,
            ..Default::default()
        },
    );
    frames.push(meta);
    c.send_raw(&frames.concat());
    for (n, id) in ids.into_iter().enumerate() {
        let r: ProduceResponse = c.recv::<ProduceRequest, _>(9, id);
        let p = &r.responses[0].partition_responses[0];
        assert_eq!((p.error_code, p.base_offset), (0, n as i64));
    }
    let m: MetadataResponse = c.recv::<MetadataRequest, _>(12, meta_id);
    assert!(m.topics.iter().any(|t| t.name.as_deref() == Some("pipe")));
    // Every record is where its response said, in send order.
    let resp: FetchResponse = c.call(11, &fetch_req("pipe", 0, 0, 1 << 20));
    let got = record_values(
        resp.responses[0].partitions[0]
            .records
            .as_ref()
            .expect("records"),
    );
    let expected: Vec<(i64, Vec<u8>)> = (0..10u8).map(|i| (i64::from(i), vec![i])).collect();
    assert_eq!(got, expected);
}

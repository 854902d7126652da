//! A client cannot exhaust the broker: Fetch responses are capped by `fetch.max.bytes`, a
//! client that does not read is disconnected after the write timeout, a connection closed
//! while its fetch is parked is noticed at once, half-sent frames and idle connections time
//! out, CreateTopics and CreatePartitions are capped (per request as Kafka does, per broker
//! by `--max-partitions`) and a failed creation leaves nothing on disk. Also Kafka's answers to
//! colliding topic names, offsets committed for unknown partitions and SASL requests on a
//! listener without SASL.

mod common;

use std::time::{Duration, Instant};

use bytes::Bytes;
use common::process::vm_rss_kb;
use common::raw::{fetch_request, RawClient};
use common::TestBroker;
use kalfka::config::BrokerConfig;
use kalfka_protocol::error_code::ErrorCode;
use kalfka_protocol::messages::create_topics_request::CreatableTopic;
use kalfka_protocol::messages::*;
use kalfka_protocol::records::{Compression, RecordBatchBuilder};

fn config(dir: &std::path::Path) -> BrokerConfig {
    BrokerConfig::for_tests(dir)
}

/// Appends `count` batches of one `size`-byte record to partition 0 (acks=1).
fn fill(c: &mut RawClient, topic: &str, count: usize, size: usize) {
    let value = vec![7u8; size];
    for _ in 0..count {
        let mut b = RecordBatchBuilder::new(Compression::None);
        b.append(0, None, Some(&value), &[]);
        let (code, _) = c.produce_at(9, topic, 0, b.build().expect("batch"), 1);
        assert_eq!(code, 0, "fill {topic}");
    }
}

/// A fetch of partition 0 from offset 0 asking for everything.
fn greedy_fetch(topic: &str) -> FetchRequest {
    let mut req = fetch_request(topic, 0, 0, 0);
    req.max_bytes = i32::MAX;
    req.topics[0].partitions[0].partition_max_bytes = i32::MAX;
    req
}

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").map_or(0, |d| d.count())
}

fn wait_for(what: &str, within: Duration, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + within;
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn fetch_responses_are_capped_by_fetch_max_bytes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cfg = config(dir.path());
    cfg.fetch_max_bytes = 200_000;
    let broker = TestBroker::start_with(cfg);
    let mut c = RawClient::connect(broker.addr);
    c.create_topic("capped", 1, &[]);
    fill(&mut c, "capped", 20, 50_000);

    let resp: FetchResponse = c.call(11, &greedy_fetch("capped"));
    let records = resp.responses[0].partitions[0]
        .records
        .clone()
        .unwrap_or_default();
    assert!(!records.is_empty(), "some data is returned");
    assert!(
        records.len() <= 200_000,
        "a fetch asking for 2 GiB got {} bytes past fetch.max.bytes",
        records.len()
    );
}

#[test]
fn a_client_that_does_not_read_is_disconnected_after_the_write_timeout() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cfg = config(dir.path());
    cfg.write_timeout_ms = 1_000;
    let broker = TestBroker::start_with(cfg);
    let mut c = RawClient::connect(broker.addr);
    c.create_topic("unread", 1, &[]);
    // 50 MB: more than the socket buffers of both ends hold.
    fill(&mut c, "unread", 50, 1_000_000);

    let rss_before = vm_rss_kb() / 1024;
    let mut readers: Vec<RawClient> = (0..4).map(|_| RawClient::connect(broker.addr)).collect();
    for r in &mut readers {
        r.send(11, &greedy_fetch("unread"));
    }
    // Nobody reads for longer than the write timeout.
    std::thread::sleep(Duration::from_secs(3));
    for r in &mut readers {
        let (got, closed) = r.drain_until_closed(Duration::from_secs(20));
        assert!(
            closed,
            "the broker closed the connection of a client that did not read"
        );
        assert!(
            got < 50_000_000,
            "the response was cut off ({got} bytes arrived)"
        );
    }
    // The broker still serves others, and what the stalled responses held is released.
    let fine: ApiVersionsResponse = c.call(3, &common::raw::api_versions_request());
    assert_eq!(fine.error_code, 0);
    let grown = (vm_rss_kb() / 1024).saturating_sub(rss_before);
    assert!(
        grown < 100,
        "RSS grew by {grown} MB after the stalled readers were dropped"
    );
}

#[test]
fn a_connection_closed_while_its_fetch_is_parked_is_released_at_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let broker = TestBroker::start(dir.path());
    let mut c = RawClient::connect(broker.addr);
    c.create_topic("parked", 1, &[]);
    let before = open_fds();
    for _ in 0..50 {
        let mut client = RawClient::connect(broker.addr);
        // A fetch that would wait 60 s for data, and a second request behind it, in one
        // write; then the client goes away.
        let mut fetch = fetch_request("parked", 0, 0, 0);
        fetch.max_wait_ms = 60_000;
        let (mut frames, _) = client.frame(11, &fetch);
        frames.extend(client.frame(3, &common::raw::api_versions_request()).0);
        client.send_raw(&frames);
        std::thread::sleep(Duration::from_millis(5));
        drop(client);
    }
    // The broker's ends of the 50 connections are closed long before the fetches expire.
    wait_for(
        "the broker released the closed connections",
        Duration::from_secs(20),
        || open_fds() <= before + 5,
    );
}

#[test]
fn half_sent_frames_and_idle_connections_time_out() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cfg = config(dir.path());
    cfg.frame_read_timeout_ms = 500;
    cfg.connections_max_idle_ms = 1_000;
    let broker = TestBroker::start_with(cfg);

    let mut half = RawClient::connect(broker.addr);
    half.send_raw(&[0, 0, 0, 100, 1, 2, 3]);
    let (_, closed) = half.drain_until_closed(Duration::from_secs(20));
    assert!(closed, "a frame never finished closes the connection");

    let mut idle = RawClient::connect(broker.addr);
    let r: ApiVersionsResponse = idle.call(3, &common::raw::api_versions_request());
    assert_eq!(r.error_code, 0);
    let (got, closed) = idle.drain_until_closed(Duration::from_secs(20));
    assert!(closed && got == 0, "an idle connection is closed");

    // A connection in use is not idle: requests keep it open past the idle time.
    let mut busy = RawClient::connect(broker.addr);
    for _ in 0..6 {
        std::thread::sleep(Duration::from_millis(400));
        let r: ApiVersionsResponse = busy.call(3, &common::raw::api_versions_request());
        assert_eq!(r.error_code, 0);
    }
}

fn create(
    c: &mut RawClient,
    topics: Vec<CreatableTopic>,
    validate_only: bool,
) -> Vec<(i16, Option<String>)> {
    let resp: CreateTopicsResponse = c.call(
        7,
        &CreateTopicsRequest {
            topics,
            timeout_ms: 30_000,
            validate_only,
        },
    );
    resp.topics
        .into_iter()
        .map(|t| (t.error_code, t.error_message))
        .collect()
}

fn topic(name: &str, partitions: i32) -> CreatableTopic {
    CreatableTopic {
        name: name.into(),
        num_partitions: partitions,
        replication_factor: 1,
        ..Default::default()
    }
}

fn topic_dirs(dir: &std::path::Path, prefix: &str) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("data dir")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(prefix))
        .collect();
    names.sort();
    names
}

#[test]
fn partition_counts_are_capped_and_failed_creations_leave_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cfg = config(dir.path());
    cfg.max_partitions = 60;
    let broker = TestBroker::start_with(cfg);
    let mut c = RawClient::connect(broker.addr);
    let policy = ErrorCode::PolicyViolation.code();

    // A million partitions in one request: refused at once, as Kafka does, for every topic
    // of the request; nothing on disk; other clients served meanwhile.
    let mut other = RawClient::connect(broker.addr);
    let id = c.send(
        7,
        &CreateTopicsRequest {
            topics: vec![topic("huge", 1_000_000), topic("small", 1)],
            timeout_ms: 30_000,
            validate_only: false,
        },
    );
    let v: ApiVersionsResponse = other.call(3, &common::raw::api_versions_request());
    assert_eq!(v.error_code, 0);
    let resp: CreateTopicsResponse = c.recv::<CreateTopicsRequest, CreateTopicsResponse>(7, id);
    for t in &resp.topics {
        assert_eq!(t.error_code, policy, "{}", t.name);
        let message = t.error_message.as_deref().unwrap_or_default();
        assert!(
            message.contains("Excessively large number of partitions per request."),
            "{message}"
        );
    }
    assert!(topic_dirs(dir.path(), "huge").is_empty());
    assert!(topic_dirs(dir.path(), "small").is_empty());

    // The broker's own cap: 40 fit, 30 more do not (validate_only says so too).
    assert_eq!(create(&mut c, vec![topic("forty", 40)], false)[0].0, 0);
    assert_eq!(create(&mut c, vec![topic("thirty", 30)], true)[0].0, policy);
    let (code, message) = create(&mut c, vec![topic("thirty", 30)], false).remove(0);
    assert_eq!(code, policy);
    assert!(message.unwrap_or_default().contains("max-partitions"));
    assert!(topic_dirs(dir.path(), "thirty").is_empty());
    let grow: CreatePartitionsResponse = c.call(
        3,
        &CreatePartitionsRequest {
            topics: vec![create_partitions_request::CreatePartitionsTopic {
                name: "forty".into(),
                count: 70,
                assignments: None,
            }],
            timeout_ms: 30_000,
            validate_only: false,
        },
    );
    assert_eq!(grow.results[0].error_code, policy);
    assert_eq!(topic_dirs(dir.path(), "forty-").len(), 40);

    // A creation that fails half-way (a file stands where partition 3's directory goes)
    // removes the directories it made.
    std::fs::write(dir.path().join("blocked-3"), b"in the way").expect("file");
    let (code, _) = create(&mut c, vec![topic("blocked", 6)], false).remove(0);
    assert_ne!(code, 0, "creation failed");
    assert_eq!(topic_dirs(dir.path(), "blocked"), ["blocked-3"]);
    let meta: MetadataResponse = c.call(
        12,
        &MetadataRequest {
            topics: Some(vec![metadata_request::MetadataRequestTopic {
                name: Some("blocked".into()),
                ..Default::default()
            }]),
            allow_auto_topic_creation: false,
            ..Default::default()
        },
    );
    assert_eq!(
        meta.topics[0].error_code,
        ErrorCode::UnknownTopicOrPartition.code()
    );
}

#[test]
fn topic_names_colliding_on_dot_and_underscore_are_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let broker = TestBroker::start(dir.path());
    let mut c = RawClient::connect(broker.addr);
    let invalid_topic = ErrorCode::InvalidTopicException.code();
    assert_eq!(create(&mut c, vec![topic("orders.v1", 1)], false)[0].0, 0);
    let (code, message) = create(&mut c, vec![topic("orders_v1", 1)], false).remove(0);
    assert_eq!(code, invalid_topic);
    assert!(message.unwrap_or_default().contains("collides"));
    // Auto-creation refuses it too.
    let meta: MetadataResponse = c.call(
        12,
        &MetadataRequest {
            topics: Some(vec![metadata_request::MetadataRequestTopic {
                name: Some("orders_v1".into()),
                ..Default::default()
            }]),
            allow_auto_topic_creation: true,
            ..Default::default()
        },
    );
    assert_eq!(meta.topics[0].error_code, invalid_topic);
    // Existing names are unaffected; other names with dots and underscores are fine.
    assert_eq!(create(&mut c, vec![topic("orders.v2", 1)], false)[0].0, 0);
    assert_eq!(create(&mut c, vec![topic("orders_v3", 1)], false)[0].0, 0);
}

#[test]
fn offsets_for_unknown_partitions_are_refused_and_not_stored() {
    use kalfka_protocol::messages::offset_commit_request::{
        OffsetCommitRequestPartition, OffsetCommitRequestTopic,
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let broker = TestBroker::start(dir.path());
    let mut c = RawClient::connect(broker.addr);
    c.create_topic("known", 2, &[]);
    let partition = |i| OffsetCommitRequestPartition {
        partition_index: i,
        committed_offset: 5,
        ..Default::default()
    };
    let resp: OffsetCommitResponse = c.call(
        8,
        &OffsetCommitRequest {
            group_id: "g".into(),
            generation_id_or_member_epoch: -1,
            topics: vec![
                OffsetCommitRequestTopic {
                    name: "known".into(),
                    partitions: vec![partition(0), partition(7)],
                },
                OffsetCommitRequestTopic {
                    name: "never-created".into(),
                    partitions: vec![partition(0)],
                },
            ],
            ..Default::default()
        },
    );
    let codes: Vec<(String, i32, i16)> = resp
        .topics
        .iter()
        .flat_map(|t| {
            t.partitions
                .iter()
                .map(|p| (t.name.clone(), p.partition_index, p.error_code))
        })
        .collect();
    let unknown = ErrorCode::UnknownTopicOrPartition.code();
    assert_eq!(
        codes,
        [
            ("known".to_string(), 0, 0),
            ("known".to_string(), 7, unknown),
            ("never-created".to_string(), 0, unknown),
        ]
    );
    // Only the real partition's offset was stored.
    let fetched: OffsetFetchResponse = c.call(
        7,
        &OffsetFetchRequest {
            group_id: "g".into(),
            topics: None,
            ..Default::default()
        },
    );
    let stored: Vec<(String, i32, i64)> = fetched
        .topics
        .iter()
        .flat_map(|t| {
            t.partitions
                .iter()
                .map(|p| (t.name.clone(), p.partition_index, p.committed_offset))
        })
        .collect();
    assert_eq!(stored, [("known".to_string(), 0, 5)]);
}

#[test]
fn sasl_requests_on_a_plaintext_listener_get_illegal_sasl_state() {
    let dir = tempfile::tempdir().expect("tempdir");
    let broker = TestBroker::start(dir.path());
    let mut c = RawClient::connect(broker.addr);
    let hs: SaslHandshakeResponse = c.call(
        1,
        &SaslHandshakeRequest {
            mechanism: "SCRAM-SHA-256".into(),
        },
    );
    assert_eq!(hs.error_code, ErrorCode::IllegalSaslState.code());
    let auth: SaslAuthenticateResponse = c.call(
        2,
        &SaslAuthenticateRequest {
            auth_bytes: Bytes::from_static(b"\0user\0password"),
        },
    );
    assert_eq!(auth.error_code, ErrorCode::IllegalSaslState.code());
    // The connection stays usable.
    let v: ApiVersionsResponse = c.call(3, &common::raw::api_versions_request());
    assert_eq!(v.error_code, 0);
    assert!(v
        .api_keys
        .iter()
        .any(|k| k.api_key == 17 && k.max_version == 1));
    assert!(v
        .api_keys
        .iter()
        .any(|k| k.api_key == 36 && k.max_version == 2));
}

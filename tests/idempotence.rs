//! Idempotent produce: duplicates answered with their original offset and not written again,
//! sequence gaps and old epochs refused with their error codes, and deduplication holding
//! across clean and unclean restarts; plus librdkafka with `enable.idempotence=true` while the
//! broker restarts mid-stream.

mod common;

use std::collections::HashMap;
use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::time::{Duration, Instant};

use bytes::Bytes;
use common::raw::RawClient;
use common::TestBroker;
use kalfka::config::BrokerConfig;
use kalfka_protocol::messages::*;
use kalfka_protocol::records::{Compression, RecordBatchBuilder};

const TOPIC: &str = "idem";
const OUT_OF_ORDER_SEQUENCE_NUMBER: i16 = 45;
const INVALID_PRODUCER_EPOCH: i16 = 47;

fn create_topic(c: &mut RawClient, name: &str, partitions: i32) {
    c.create_topic(name, partitions, &[]);
}

fn init_producer_id(c: &mut RawClient) -> (i64, i16) {
    let resp: InitProducerIdResponse = c.call(
        4,
        &InitProducerIdRequest {
            transactional_id: None,
            transaction_timeout_ms: 60_000,
            producer_id: -1,
            producer_epoch: -1,
        },
    );
    assert_eq!(resp.error_code, 0);
    (resp.producer_id, resp.producer_epoch)
}

/// A batch of `n` records from producer `(pid, epoch)` starting at sequence `seq`.
fn batch(pid: i64, epoch: i16, seq: i32, n: usize) -> Bytes {
    let mut b = RecordBatchBuilder::new(Compression::None);
    b.producer(pid, epoch, seq);
    for i in 0..n {
        let value = format!("v{}", seq as usize + i);
        b.append(0, Some(b"k"), Some(value.as_bytes()), &[]);
    }
    b.build().expect("batch")
}

/// Produces `records` (acks=all) and returns (error code, base offset).
fn produce(c: &mut RawClient, records: Bytes) -> (i16, i64) {
    c.produce(TOPIC, records, -1)
}

/// Every record value in partition 0, in offset order.
fn read_values(c: &mut RawClient) -> Vec<(i64, String)> {
    c.read_records(TOPIC, 0)
        .into_iter()
        .map(|(offset, value)| {
            let value = value.map(|v| v.to_vec()).unwrap_or_default();
            (offset, String::from_utf8(value).expect("utf8"))
        })
        .collect()
}

#[test]
fn duplicates_gaps_and_epochs_on_the_wire() {
    let dir = tempfile::tempdir().expect("tempdir");
    let broker = TestBroker::start(dir.path());
    let mut c = RawClient::connect(broker.addr);
    create_topic(&mut c, TOPIC, 1);
    let (pid, epoch) = init_producer_id(&mut c);
    let (other, _) = init_producer_id(&mut c);
    assert_ne!(pid, other, "each InitProducerId gets a fresh id");

    assert_eq!(produce(&mut c, batch(pid, epoch, 0, 3)), (0, 0));
    assert_eq!(produce(&mut c, batch(pid, epoch, 3, 2)), (0, 3));
    // A retry of either of the last batches: the original offset, nothing written.
    assert_eq!(produce(&mut c, batch(pid, epoch, 0, 3)), (0, 0));
    assert_eq!(produce(&mut c, batch(pid, epoch, 3, 2)), (0, 3));
    // A gap.
    assert_eq!(
        produce(&mut c, batch(pid, epoch, 9, 1)).0,
        OUT_OF_ORDER_SEQUENCE_NUMBER
    );
    // Another producer is independent; a plain batch is not checked.
    assert_eq!(produce(&mut c, batch(other, 0, 0, 1)), (0, 5));
    let mut plain = RecordBatchBuilder::new(Compression::None);
    plain.append(0, Some(b"k"), Some(b"plain"), &[]);
    assert_eq!(produce(&mut c, plain.build().expect("batch")), (0, 6));
    // A new epoch starts at sequence 0; after it the old epoch is fenced.
    assert_eq!(
        produce(&mut c, batch(pid, epoch + 1, 5, 1)).0,
        OUT_OF_ORDER_SEQUENCE_NUMBER
    );
    assert_eq!(produce(&mut c, batch(pid, epoch + 1, 0, 1)), (0, 7));
    assert_eq!(
        produce(&mut c, batch(pid, epoch, 5, 1)).0,
        INVALID_PRODUCER_EPOCH
    );
    let values: Vec<String> = read_values(&mut c).into_iter().map(|(_, v)| v).collect();
    assert_eq!(values, ["v0", "v1", "v2", "v3", "v4", "v0", "plain", "v0"]);
}

/// Writes three batches, then checks after a restart that retries are still recognized.
fn dedup_survives_restart(damage: impl Fn(&Path)) {
    let dir = tempfile::tempdir().expect("tempdir");
    let (pid, epoch) = {
        let broker = TestBroker::start(dir.path());
        let mut c = RawClient::connect(broker.addr);
        create_topic(&mut c, TOPIC, 1);
        let (pid, epoch) = init_producer_id(&mut c);
        for (i, seq) in [0, 2, 4].into_iter().enumerate() {
            assert_eq!(
                produce(&mut c, batch(pid, epoch, seq, 2)),
                (0, 2 * i as i64)
            );
        }
        broker.stop();
        (pid, epoch)
    };
    damage(dir.path());
    let broker = TestBroker::start(dir.path());
    let mut c = RawClient::connect(broker.addr);
    assert_eq!(produce(&mut c, batch(pid, epoch, 2, 2)), (0, 2));
    assert_eq!(produce(&mut c, batch(pid, epoch, 4, 2)), (0, 4));
    assert_eq!(
        produce(&mut c, batch(pid, epoch, 7, 1)).0,
        OUT_OF_ORDER_SEQUENCE_NUMBER
    );
    assert_eq!(produce(&mut c, batch(pid, epoch, 6, 1)), (0, 6));
    assert_eq!(read_values(&mut c).len(), 7);
}

#[test]
fn dedup_survives_a_clean_restart_from_the_snapshot() {
    dedup_survives_restart(|dir| {
        assert!(
            dir.join(format!("{TOPIC}-0"))
                .join("producer-state.json")
                .exists(),
            "a clean shutdown snapshots the producer state"
        );
    });
}

#[test]
fn dedup_survives_a_crash_by_rescanning_the_log() {
    dedup_survives_restart(|dir| {
        // As after a crash before any snapshot: no snapshot, no clean-shutdown marker.
        std::fs::remove_file(dir.join(format!("{TOPIC}-0")).join("producer-state.json"))
            .expect("snapshot present");
        for entry in std::fs::read_dir(dir).expect("data dir").flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.contains("clean") {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    });
}

#[test]
fn expired_producers_may_restart_their_sequence() {
    let dir = tempfile::tempdir().expect("tempdir");
    let broker = TestBroker::start_with(BrokerConfig {
        producer_id_expiration_ms: 1,
        ..BrokerConfig::for_tests(dir.path())
    });
    let mut c = RawClient::connect(broker.addr);
    create_topic(&mut c, TOPIC, 1);
    let (pid, epoch) = init_producer_id(&mut c);
    assert_eq!(produce(&mut c, batch(pid, epoch, 0, 1)), (0, 0));
    std::thread::sleep(Duration::from_millis(20));
    assert_eq!(produce(&mut c, batch(pid, epoch, 40, 1)), (0, 1));
}

fn free_addr() -> SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr")
}

/// librdkafka with `enable.idempotence=true` keeps producing while the broker restarts (three
/// times): every
/// record lands exactly once, in send order.
#[test]
fn rdkafka_idempotent_producer_across_a_broker_restart() {
    use rdkafka::config::ClientConfig;
    use rdkafka::producer::{BaseRecord, Producer, ThreadedProducer};
    const RECORDS: usize = 3000;

    let dir = tempfile::tempdir().expect("tempdir");
    let addr = free_addr();
    let config = BrokerConfig {
        listen: addr,
        ..BrokerConfig::for_tests(dir.path())
    };
    let broker = TestBroker::start_with(config.clone());
    let mut c = RawClient::connect(broker.addr);
    create_topic(&mut c, TOPIC, 1);

    let producer: ThreadedProducer<rdkafka::producer::DefaultProducerContext> = ClientConfig::new()
        .set("bootstrap.servers", addr.to_string())
        .set("enable.idempotence", "true")
        .set("linger.ms", "2")
        .set("batch.num.messages", "50")
        .set("message.timeout.ms", "60000")
        .set("reconnect.backoff.ms", "50")
        .set("reconnect.backoff.max.ms", "200")
        .create()
        .expect("producer");
    let send = |i: usize| {
        let value = format!("{i:06}");
        let mut rec = BaseRecord::<(), _>::to(TOPIC).partition(0).payload(&value);
        for _ in 0..10_000 {
            match producer.send(rec) {
                Ok(()) => return,
                Err((_, back)) => {
                    rec = back;
                    std::thread::sleep(Duration::from_millis(2));
                }
            }
        }
        panic!("record {i} could not be queued");
    };
    // Three restarts mid-stream, without waiting for the queued records to be delivered.
    let mut broker = broker;
    for chunk in 0..4 {
        for i in chunk * RECORDS / 4..(chunk + 1) * RECORDS / 4 {
            send(i);
        }
        if chunk < 3 {
            broker.stop();
            broker = TestBroker::start_with(config.clone());
        }
    }
    producer.flush(Duration::from_secs(90)).expect("flush");

    let mut c = RawClient::connect(broker.addr);
    let deadline = Instant::now() + Duration::from_secs(30);
    let values = loop {
        let values = read_values(&mut c);
        if values.len() >= RECORDS || Instant::now() > deadline {
            break values;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let mut seen: HashMap<String, i64> = HashMap::new();
    for (offset, v) in &values {
        assert!(seen.insert(v.clone(), *offset).is_none(), "duplicate {v}");
    }
    let expected: Vec<String> = (0..RECORDS).map(|i| format!("{i:06}")).collect();
    let got: Vec<String> = values.into_iter().map(|(_, v)| v).collect();
    assert_eq!(got, expected, "every record exactly once, in order");
}

#[test]
fn describe_producers_lists_the_partition_producers() {
    use kalfka_protocol::messages::describe_producers_request::TopicRequest;
    let dir = tempfile::tempdir().expect("tempdir");
    let broker = TestBroker::start(dir.path());
    let mut c = RawClient::connect(broker.addr);
    create_topic(&mut c, TOPIC, 1);
    let (pid, epoch) = init_producer_id(&mut c);
    assert_eq!(produce(&mut c, batch(pid, epoch, 0, 4)), (0, 0));
    let resp: DescribeProducersResponse = c.call(
        0,
        &DescribeProducersRequest {
            topics: vec![
                TopicRequest {
                    name: TOPIC.into(),
                    partition_indexes: vec![0, 7],
                },
                TopicRequest {
                    name: "missing".into(),
                    partition_indexes: vec![0],
                },
            ],
        },
    );
    let parts = &resp.topics[0].partitions;
    assert_eq!(parts[0].error_code, 0);
    let producers = &parts[0].active_producers;
    assert_eq!(producers.len(), 1);
    assert_eq!(producers[0].producer_id, pid);
    assert_eq!(producers[0].producer_epoch, i32::from(epoch));
    assert_eq!(producers[0].last_sequence, 3);
    assert_eq!(producers[0].current_txn_start_offset, -1);
    assert_eq!(parts[1].error_code, 3, "unknown partition");
    assert_eq!(resp.topics[1].partitions[0].error_code, 3, "unknown topic");
}

//! Real-client round trip with librdkafka (the rdkafka crate): keyed records with headers over
//! a 3-partition topic come back byte for byte, in order, at the right offsets, and are still
//! there after the broker restarts.

mod common;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use common::TestBroker;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{Header, Headers, Message, OwnedHeaders};
use rdkafka::producer::{BaseRecord, Producer, ThreadedProducer};
use rdkafka::{Offset, TopicPartitionList};

const TOPIC: &str = "roundtrip";
const PARTITIONS: i32 = 3;
const RECORDS: usize = 10_000;
const KEYS: usize = 97;

/// One record as the test sent it, and where the broker said it went.
#[derive(Debug, Clone, PartialEq)]
struct Sent {
    key: Vec<u8>,
    value: Vec<u8>,
    header: Vec<u8>,
}

fn record(i: usize) -> Sent {
    Sent {
        key: format!("key-{}", i % KEYS).into_bytes(),
        // Values vary in length and include every byte value.
        value: (0..(i % 300)).map(|b| (b * 7 + i) as u8).collect(),
        header: format!("seq={i}").into_bytes(),
    }
}

fn create_topic(bootstrap: &str) {
    let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .create()
        .expect("admin client");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let results = rt
        .block_on(admin.create_topics(
            &[NewTopic::new(TOPIC, PARTITIONS, TopicReplication::Fixed(1))],
            &AdminOptions::new().operation_timeout(Some(Duration::from_secs(10))),
        ))
        .expect("create_topics request");
    for r in results {
        r.expect("topic created");
    }
}

/// Produces every record with acks=all and returns (partition, offset) for each, from the
/// delivery reports.
fn produce_all(bootstrap: &str) -> Vec<(i32, i64)> {
    let (tx, rx) = std::sync::mpsc::channel::<(usize, i32, i64)>();
    struct Reports(std::sync::Mutex<std::sync::mpsc::Sender<(usize, i32, i64)>>);
    impl rdkafka::ClientContext for Reports {}
    impl rdkafka::producer::ProducerContext for Reports {
        type DeliveryOpaque = Box<usize>;
        fn delivery(
            &self,
            result: &rdkafka::message::DeliveryResult<'_>,
            index: Self::DeliveryOpaque,
        ) {
            let m = result.as_ref().expect("record delivered");
            let _ = self
                .0
                .lock()
                .expect("sender")
                .send((*index, m.partition(), m.offset()));
        }
    }
    let producer: ThreadedProducer<Reports> = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("acks", "all")
        .set("linger.ms", "5")
        .set("compression.type", "lz4")
        .create_with_context(Reports(std::sync::Mutex::new(tx)))
        .expect("producer");
    for i in 0..RECORDS {
        let r = record(i);
        let headers = OwnedHeaders::new().insert(Header {
            key: "seq",
            value: Some(&r.header),
        });
        let mut rec = BaseRecord::with_opaque_to(TOPIC, Box::new(i))
            .key(&r.key)
            .payload(&r.value)
            .headers(headers);
        loop {
            match producer.send(rec) {
                Ok(()) => break,
                Err((e, back)) => {
                    assert!(
                        matches!(
                            e.rdkafka_error_code(),
                            Some(rdkafka::types::RDKafkaErrorCode::QueueFull)
                        ),
                        "send failed: {e}"
                    );
                    rec = back;
                    std::thread::sleep(Duration::from_millis(5));
                }
            }
        }
    }
    producer.flush(Duration::from_secs(60)).expect("flush");
    let mut placed = vec![(-1, -1); RECORDS];
    for _ in 0..RECORDS {
        let (i, p, o) = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("delivery report");
        placed[i] = (p, o);
    }
    placed
}

/// Reads every partition from the beginning until `expected` records per partition arrived.
fn consume_all(bootstrap: &str, expected: &HashMap<i32, usize>) -> HashMap<i32, Vec<(i64, Sent)>> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        // librdkafka wants a group id even for assign(); it is never sent without subscribe/commit.
        .set("group.id", "unused")
        .set("enable.auto.commit", "false")
        .create()
        .expect("consumer");
    let mut tpl = TopicPartitionList::new();
    for p in 0..PARTITIONS {
        tpl.add_partition_offset(TOPIC, p, Offset::Beginning)
            .expect("partition");
    }
    consumer.assign(&tpl).expect("assign");
    let mut got: HashMap<i32, Vec<(i64, Sent)>> = HashMap::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    let total: usize = expected.values().sum();
    while got.values().map(Vec::len).sum::<usize>() < total {
        assert!(Instant::now() < deadline, "timed out consuming");
        let Some(msg) = consumer.poll(Duration::from_millis(200)) else {
            continue;
        };
        let msg = msg.expect("consume without error");
        let headers = msg.headers().expect("record has headers");
        assert_eq!(headers.count(), 1);
        let h = headers.get(0);
        assert_eq!(h.key, "seq");
        got.entry(msg.partition()).or_default().push((
            msg.offset(),
            Sent {
                key: msg.key().expect("key").to_vec(),
                value: msg.payload().unwrap_or_default().to_vec(),
                header: h.value.expect("header value").to_vec(),
            },
        ));
    }
    got
}

fn check(placed: &[(i32, i64)], got: &HashMap<i32, Vec<(i64, Sent)>>) {
    // Same key, same partition.
    let mut key_partition: HashMap<Vec<u8>, i32> = HashMap::new();
    for (i, &(p, _)) in placed.iter().enumerate() {
        let prev = key_partition.insert(record(i).key, p);
        assert!(
            prev.is_none() || prev == Some(p),
            "key of record {i} moved partition"
        );
    }
    // Per partition: offsets 0.. dense, in send order, bytes identical.
    for p in 0..PARTITIONS {
        let mut sent: Vec<(i64, usize)> = placed
            .iter()
            .enumerate()
            .filter(|(_, &(pp, _))| pp == p)
            .map(|(i, &(_, o))| (o, i))
            .collect();
        sent.sort();
        let read = got.get(&p).cloned().unwrap_or_default();
        assert_eq!(read.len(), sent.len(), "partition {p} record count");
        for (n, ((offset, i), (read_offset, rec))) in sent.iter().zip(&read).enumerate() {
            assert_eq!(*offset, n as i64, "partition {p} offsets are dense from 0");
            assert_eq!(read_offset, offset, "partition {p} read offset");
            assert_eq!(rec, &record(*i), "partition {p} offset {offset} content");
        }
        // Order within the partition follows send order.
        let order: Vec<usize> = sent.iter().map(|&(_, i)| i).collect();
        assert!(
            order.windows(2).all(|w| w[0] < w[1]),
            "partition {p} keeps send order"
        );
    }
}

#[test]
fn keyed_records_with_headers_round_trip_and_survive_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let broker = TestBroker::start(dir.path());
    let bootstrap = broker.bootstrap();
    create_topic(&bootstrap);
    let placed = produce_all(&bootstrap);
    let mut expected: HashMap<i32, usize> = HashMap::new();
    for &(p, _) in &placed {
        *expected.entry(p).or_default() += 1;
    }
    assert_eq!(
        expected.len(),
        PARTITIONS as usize,
        "97 keys spread over all 3 partitions"
    );
    let got = consume_all(&bootstrap, &expected);
    check(&placed, &got);

    broker.stop();
    let broker = TestBroker::start(dir.path());
    let got = consume_all(&broker.bootstrap(), &expected);
    check(&placed, &got);
}

//! `--memory`: the broker keeps topics and partition logs in memory. Records round-trip through
//! librdkafka exactly as with the segment log, and nothing at all reaches the data directory:
//! no partition directories, no topic metadata, and none of the broker's own state (committed
//! offsets, transaction state, producer ids, quotas).

mod common;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use common::clients::create_topic;
use common::TestBroker;
use kalfka::config::{BrokerConfig, Cli};
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use rdkafka::{Offset, TopicPartitionList};

const TOPIC: &str = "ephemeral";
const PARTITIONS: i32 = 2;
const RECORDS: usize = 300;

#[test]
fn memory_flag_and_env_parse() {
    let on = Cli::load_from(["kalfka", "--memory"]).expect("flags");
    assert!(BrokerConfig::try_from(on).expect("config").memory);
    let off = Cli::load_from(["kalfka"]).expect("flags");
    assert!(!BrokerConfig::try_from(off).expect("config").memory);
    assert!(!BrokerConfig::for_tests("unused").memory);
}

#[test]
fn records_round_trip_in_memory_and_nothing_is_written() {
    let dir = tempfile::tempdir().expect("tempdir");
    let broker = TestBroker::start_with(BrokerConfig {
        memory: true,
        ..BrokerConfig::for_tests(dir.path())
    });
    let bootstrap = broker.addr.to_string();
    create_topic(&bootstrap, TOPIC, PARTITIONS);

    let producer: BaseProducer = ClientConfig::new()
        .set("bootstrap.servers", &bootstrap)
        .set("acks", "all")
        .set("enable.idempotence", "true")
        .set("linger.ms", "5")
        .create()
        .expect("producer");
    for i in 0..RECORDS {
        let key = format!("key-{i}");
        let value = format!("value-{i}");
        producer
            .send(BaseRecord::to(TOPIC).key(&key).payload(&value))
            .expect("enqueue");
        producer.poll(Duration::ZERO);
    }
    producer.flush(Duration::from_secs(30)).expect("flush");

    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", &bootstrap)
        .set("group.id", "memory-test")
        .set("enable.auto.commit", "false")
        .create()
        .expect("consumer");
    let mut tpl = TopicPartitionList::new();
    for p in 0..PARTITIONS {
        tpl.add_partition_offset(TOPIC, p, Offset::Beginning)
            .expect("partition");
    }
    consumer.assign(&tpl).expect("assign");
    let mut seen = BTreeSet::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while seen.len() < RECORDS {
        assert!(
            Instant::now() < deadline,
            "only {} records came back",
            seen.len()
        );
        if let Some(m) = consumer.poll(Duration::from_millis(200)) {
            let m = m.expect("message");
            let value = String::from_utf8(m.payload().expect("payload").to_vec()).expect("utf8");
            let key = String::from_utf8(m.key().expect("key").to_vec()).expect("utf8");
            assert_eq!(key.replace("key", "value"), value);
            assert!(seen.insert(value), "no duplicates");
        }
    }
    let expected: BTreeSet<String> = (0..RECORDS).map(|i| format!("value-{i}")).collect();
    assert_eq!(seen, expected);
    consumer
        .commit_consumer_state(rdkafka::consumer::CommitMode::Sync)
        .expect("offsets committed");
    drop(consumer);
    drop(producer);
    drop(broker);

    let written: Vec<String> = std::fs::read_dir(dir.path())
        .expect("data dir")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        written.is_empty(),
        "--memory wrote to the data directory: {written:?}"
    );
}

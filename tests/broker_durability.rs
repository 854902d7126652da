//! Durability modes as the broker applies them: acks=all waits for the group-commit fsync
//! (unless `--fsync-on-ack false`), acks=1 does not; `flush.messages` and `flush.ms` force
//! fsyncs. Observed through the partition's synced offset, with the broker in-process.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::raw::RawClient;
use kalfka::broker::Broker;
use kalfka::config::BrokerConfig;
use kalfka::server::Server;
use kalfka_protocol::records::{Compression, RecordBatchBuilder};

struct Running {
    addr: std::net::SocketAddr,
    broker: Arc<Broker>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.thread.take() {
            let joined = t.join();
            if !std::thread::panicking() {
                joined.expect("the broker thread panicked");
            }
        }
    }
}

fn start(config: BrokerConfig) -> Running {
    let (tx, rx) = std::sync::mpsc::channel();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let thread = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async move {
            let server = Server::bind(config).await.expect("bind");
            tx.send((server.local_addr(), server.broker()))
                .expect("report");
            server
                .run(async move {
                    let _ = stop_rx.await;
                })
                .await;
        });
    });
    let (addr, broker) = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("broker started");
    Running {
        addr,
        broker,
        stop: Some(stop_tx),
        thread: Some(thread),
    }
}

fn create(c: &mut RawClient, name: &str, configs: &[(&str, &str)]) {
    c.create_topic(name, 1, configs);
}

fn produce(c: &mut RawClient, topic: &str, acks: i16) {
    let mut b = RecordBatchBuilder::new(Compression::None);
    b.append(0, Some(b"k"), Some(b"v"), &[]);
    assert_eq!(c.produce(topic, b.build().expect("batch"), acks).0, 0);
}

fn synced(r: &Running, topic: &str) -> (i64, i64) {
    let t = r.broker.topics.get(topic).expect("topic");
    let p = t.partition(0).expect("partition");
    (p.synced_offset(), p.offsets().log_end)
}

#[test]
fn acks_all_is_answered_after_fsync_and_acks_1_before() {
    let dir = tempfile::tempdir().expect("tempdir");
    let r = start(BrokerConfig::for_tests(dir.path()));
    let mut c = RawClient::connect(r.addr);
    create(&mut c, "d", &[]);
    produce(&mut c, "d", 1);
    assert_eq!(synced(&r, "d"), (0, 1), "acks=1 does not fsync");
    produce(&mut c, "d", -1);
    assert_eq!(
        synced(&r, "d"),
        (2, 2),
        "acks=all covers everything before it"
    );
}

#[test]
fn fsync_on_ack_false_answers_acks_all_without_fsync() {
    let dir = tempfile::tempdir().expect("tempdir");
    let r = start(BrokerConfig {
        fsync_on_ack: false,
        ..BrokerConfig::for_tests(dir.path())
    });
    let mut c = RawClient::connect(r.addr);
    create(&mut c, "d", &[]);
    for _ in 0..3 {
        produce(&mut c, "d", -1);
    }
    assert_eq!(synced(&r, "d"), (0, 3));
}

#[test]
fn flush_messages_and_flush_ms_force_fsyncs() {
    let dir = tempfile::tempdir().expect("tempdir");
    let r = start(BrokerConfig {
        fsync_on_ack: false,
        ..BrokerConfig::for_tests(dir.path())
    });
    let mut c = RawClient::connect(r.addr);
    create(&mut c, "by-count", &[("flush.messages", "3")]);
    produce(&mut c, "by-count", 1);
    produce(&mut c, "by-count", 1);
    assert_eq!(synced(&r, "by-count"), (0, 2));
    produce(&mut c, "by-count", 1);
    assert_eq!(
        synced(&r, "by-count"),
        (3, 3),
        "third record triggers the flush"
    );

    create(&mut c, "by-time", &[("flush.ms", "50")]);
    produce(&mut c, "by-time", 1);
    let deadline = Instant::now() + Duration::from_secs(20);
    while synced(&r, "by-time").0 < 1 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(synced(&r, "by-time"), (1, 1), "the flusher fsynced it");
}

fn produce_code(c: &mut RawClient, topic: &str) -> i16 {
    let mut b = RecordBatchBuilder::new(Compression::None);
    b.append(0, Some(b"k"), Some(b"v"), &[]);
    c.produce(topic, b.build().expect("batch"), -1).0
}

#[cfg(target_os = "linux")]
#[test]
fn disk_full_answers_kafka_storage_error_and_the_broker_stays_up() {
    let dir = tempfile::tempdir().expect("tempdir");
    {
        let r = start(BrokerConfig::for_tests(dir.path()));
        let mut c = RawClient::connect(r.addr);
        create(&mut c, "full", &[]);
        create(&mut c, "fine", &[]);
    }
    // The segment file becomes /dev/full: every write fails with ENOSPC.
    let segment = dir.path().join("full-0").join("00000000000000000000.log");
    std::fs::remove_file(&segment).expect("remove segment");
    std::os::unix::fs::symlink("/dev/full", &segment).expect("symlink");
    let r = start(BrokerConfig::for_tests(dir.path()));
    let mut c = RawClient::connect(r.addr);
    assert_eq!(
        produce_code(&mut c, "full"),
        kalfka_protocol::error_code::ErrorCode::KafkaStorageError.code()
    );
    assert_eq!(
        produce_code(&mut c, "fine"),
        0,
        "other partitions still served"
    );
    assert_eq!(synced(&r, "full").1, 0, "nothing appended");
}

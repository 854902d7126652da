//! The real `kalfka` binary is SIGKILLed after an idempotent producer's acks=all writes; after
//! the restart, retries of the last five batches are answered with their original offsets and
//! not written again, and the sequence continues where it was.

mod common;

use std::time::Duration;

use bytes::Bytes;
use common::process::BrokerProcess;
use common::raw::RawClient;
use kalfka_protocol::messages::*;
use kalfka_protocol::records::{Compression, RecordBatchBuilder};

const TOPIC: &str = "idem-crash";

fn batch(pid: i64, seq: i32) -> Bytes {
    let mut b = RecordBatchBuilder::new(Compression::None);
    b.producer(pid, 0, seq);
    b.append(0, Some(b"k"), Some(format!("v{seq}").as_bytes()), &[]);
    b.build().expect("batch")
}

fn produce(c: &mut RawClient, records: Bytes) -> (i16, i64) {
    c.produce(TOPIC, records, -1)
}

#[test]
fn dedup_holds_after_sigkill() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut broker = BrokerProcess::start(dir.path(), &[], None);
    let mut c = RawClient::connect(broker.addr);
    c.create_topic(TOPIC, 1, &[]);
    let init: InitProducerIdResponse = c.call(
        4,
        &InitProducerIdRequest {
            transactional_id: None,
            transaction_timeout_ms: 60_000,
            producer_id: -1,
            producer_epoch: -1,
        },
    );
    assert_eq!(init.error_code, 0);
    let pid = init.producer_id;
    for seq in 0..20 {
        assert_eq!(produce(&mut c, batch(pid, seq)), (0, i64::from(seq)));
    }
    broker.kill();

    let broker = BrokerProcess::start(dir.path(), &[], None);
    let mut c = RawClient::connect(broker.addr);
    for seq in 15..20 {
        assert_eq!(
            produce(&mut c, batch(pid, seq)),
            (0, i64::from(seq)),
            "retry of sequence {seq} after the crash"
        );
    }
    assert_eq!(
        produce(&mut c, batch(pid, 21)).0,
        45,
        "a gap after the crash"
    );
    assert_eq!(produce(&mut c, batch(pid, 20)), (0, 20));
}

/// librdkafka with `enable.idempotence=true` keeps producing while the broker is SIGKILLed and
/// restarted on the same port twice: every record is stored exactly once, in send order.
///
/// Whether a kill lands between a write and its answer (so that librdkafka retries a batch
/// the log already holds) is up to timing; `dedup_holds_after_sigkill` is the deterministic
/// check of that case.
#[test]
fn rdkafka_idempotent_producer_across_sigkills() {
    use rdkafka::config::ClientConfig;
    use rdkafka::producer::{BaseRecord, DefaultProducerContext, Producer, ThreadedProducer};
    const RECORDS: usize = 6000;

    let dir = tempfile::tempdir().expect("tempdir");
    let mut broker = BrokerProcess::start(dir.path(), &[], None);
    let addr = broker.addr;
    let mut c = RawClient::connect(addr);
    c.create_topic(TOPIC, 1, &[]);
    let producer: ThreadedProducer<DefaultProducerContext> = ClientConfig::new()
        .set("bootstrap.servers", addr.to_string())
        .set("enable.idempotence", "true")
        .set("linger.ms", "1")
        .set("batch.num.messages", "20")
        .set("message.timeout.ms", "90000")
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
    for chunk in 0..3 {
        for i in chunk * RECORDS / 3..(chunk + 1) * RECORDS / 3 {
            send(i);
        }
        if chunk < 2 {
            broker.kill();
            broker = (0..50)
                .find_map(|_| {
                    let b = BrokerProcess::start_at(dir.path(), addr, &[], None);
                    if b.is_none() {
                        std::thread::sleep(Duration::from_millis(100));
                    }
                    b
                })
                .expect("broker restarts on its port");
        }
    }
    producer.flush(Duration::from_secs(120)).expect("flush");
    drop(producer);

    let mut c = RawClient::connect(broker.addr);
    let values: Vec<String> = c
        .read_records(TOPIC, 0)
        .into_iter()
        .map(|(_, v)| String::from_utf8(v.map(|v| v.to_vec()).unwrap_or_default()).expect("utf8"))
        .collect();
    let expected: Vec<String> = (0..RECORDS).map(|i| format!("{i:06}")).collect();
    assert_eq!(values.len(), expected.len(), "no duplicates, nothing lost");
    assert_eq!(values, expected, "every record exactly once, in order");
}

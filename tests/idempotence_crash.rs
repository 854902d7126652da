//! The real `kalfka` binary is SIGKILLed after an idempotent producer's acks=all writes; after
//! the restart, retries of the last five batches are answered with their original offsets and
//! not written again, and the sequence continues where it was.

mod common;

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use bytes::Bytes;
use common::raw::RawClient;
use kalfka_protocol::messages::create_topics_request::CreatableTopic;
use kalfka_protocol::messages::produce_request::{PartitionProduceData, TopicProduceData};
use kalfka_protocol::messages::*;
use kalfka_protocol::records::{Compression, RecordBatchBuilder};

const TOPIC: &str = "idem-crash";

/// A broker process we started; SIGKILLed (by its own id) when dropped.
struct BrokerProcess {
    child: Child,
    addr: SocketAddr,
}

impl BrokerProcess {
    fn start(data_dir: &Path) -> BrokerProcess {
        for _attempt in 0..5 {
            let port = TcpListener::bind("127.0.0.1:0")
                .and_then(|l| l.local_addr())
                .expect("free port")
                .port();
            let addr = SocketAddr::from(([127, 0, 0, 1], port));
            let child = Command::new(env!("CARGO_BIN_EXE_kalfka"))
                .arg("--listen")
                .arg(addr.to_string())
                .arg("--data-dir")
                .arg(data_dir)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("spawn the kalfka binary");
            let mut broker = BrokerProcess { child, addr };
            let deadline = Instant::now() + Duration::from_secs(30);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = broker.child.try_wait() {
                    break;
                }
                if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
                    return broker;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            broker.kill();
        }
        panic!("broker did not start");
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for BrokerProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

fn batch(pid: i64, seq: i32) -> Bytes {
    let mut b = RecordBatchBuilder::new(Compression::None);
    b.producer(pid, 0, seq);
    b.append(0, Some(b"k"), Some(format!("v{seq}").as_bytes()), &[]);
    b.build().expect("batch")
}

fn produce(c: &mut RawClient, records: Bytes) -> (i16, i64) {
    let resp: ProduceResponse = c.call(
        9,
        &ProduceRequest {
            acks: -1,
            timeout_ms: 5000,
            topic_data: vec![TopicProduceData {
                name: TOPIC.into(),
                partition_data: vec![PartitionProduceData {
                    index: 0,
                    records: Some(records),
                }],
            }],
            ..Default::default()
        },
    );
    let p = &resp.responses[0].partition_responses[0];
    (p.error_code, p.base_offset)
}

#[test]
fn dedup_holds_after_sigkill() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut broker = BrokerProcess::start(dir.path());
    let mut c = RawClient::connect(broker.addr);
    let resp: CreateTopicsResponse = c.call(
        7,
        &CreateTopicsRequest {
            topics: vec![CreatableTopic {
                name: TOPIC.into(),
                num_partitions: 1,
                replication_factor: 1,
                ..Default::default()
            }],
            timeout_ms: 5000,
            ..Default::default()
        },
    );
    assert_eq!(resp.topics[0].error_code, 0);
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

    let broker = BrokerProcess::start(dir.path());
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

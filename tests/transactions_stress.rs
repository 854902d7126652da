//! Transactions under concurrency: librdkafka transactional producers and wire-level ones run
//! short transactions back to back against one broker for 20 s — commits, aborts, a zombie
//! fenced by a new instance of its transactional id, and transactions left open until the
//! broker's timeout aborts them — under a watchdog that fails the test if any of them stops
//! making progress. Afterwards a read_committed consumer sees exactly the committed records,
//! each once.
//!
//! This is the load that once deadlocked the coordinator (Produce's transaction check and
//! EndTxn took the same two locks in opposite orders).

mod common;

use std::collections::BTreeMap;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use common::clients::{assigned_from_beginning, create_topic};
use common::raw::RawClient;
use common::TestBroker;
use kalfka_protocol::messages::add_partitions_to_txn_request::AddPartitionsToTxnTopic;
use kalfka_protocol::messages::*;
use kalfka_protocol::records::{Compression, RecordBatchBuilder};
use rdkafka::config::ClientConfig;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::Message;
use rdkafka::producer::{BaseRecord, DefaultProducerContext, Producer, ThreadedProducer};

const TOPIC: &str = "txn-stress";
const PARTITIONS: i32 = 3;
/// How long the producers keep starting transactions.
const RUN: Duration = Duration::from_secs(20);
/// Every worker must have finished this long after the start, or the test fails.
const WATCHDOG: Duration = Duration::from_secs(150);
/// Bound on one transactional call of a librdkafka producer.
const CALL: Duration = Duration::from_secs(30);
const CONCURRENT_TRANSACTIONS: i16 = 51;
/// What a stale epoch gets: INVALID_PRODUCER_EPOCH, or PRODUCER_FENCED (newer versions).
const FENCED: [i16; 2] = [47, 90];

/// What one worker reports: the values it saw committed, and how many of its transactions
/// were fenced by a new instance or aborted by the broker's timeout.
#[derive(Debug, Default)]
struct Report {
    committed: Vec<(i32, String)>,
    fenced: usize,
    timed_out: usize,
}

fn rdkafka_worker(bootstrap: String, worker: usize, until: Instant) -> Report {
    let txn_id = format!("stress-rd-{worker}");
    let producer: ThreadedProducer<DefaultProducerContext> = ClientConfig::new()
        .set("bootstrap.servers", &bootstrap)
        .set("transactional.id", &txn_id)
        .set("transaction.timeout.ms", "60000")
        .set("linger.ms", "2")
        .create()
        .expect("transactional producer");
    producer
        .init_transactions(CALL)
        .unwrap_or_else(|e| panic!("init_transactions {txn_id}: {e}"));
    let mut report = Report::default();
    let mut n = 0usize;
    while Instant::now() < until {
        producer
            .begin_transaction()
            .unwrap_or_else(|e| panic!("{txn_id} begin {n}: {e}"));
        let values: Vec<(i32, String)> = (0..PARTITIONS)
            .map(|p| (p, format!("rd{worker}-{n}-{p}")))
            .collect();
        for (p, v) in &values {
            let mut rec = BaseRecord::<str, str>::to(TOPIC)
                .partition(*p)
                .key(v)
                .payload(v);
            let mut queued = false;
            for _ in 0..5_000 {
                match producer.send(rec) {
                    Ok(()) => {
                        queued = true;
                        break;
                    }
                    Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), back)) => {
                        rec = back;
                        std::thread::sleep(Duration::from_millis(2));
                    }
                    Err((e, _)) => panic!("{txn_id} send {v}: {e}"),
                }
            }
            assert!(queued, "{txn_id}: {v} could not be queued");
        }
        if n % 3 == 2 {
            producer
                .abort_transaction(CALL)
                .unwrap_or_else(|e| panic!("{txn_id} abort {n}: {e}"));
        } else {
            producer
                .commit_transaction(CALL)
                .unwrap_or_else(|e| panic!("{txn_id} commit {n}: {e}"));
            report.committed.extend(values);
        }
        n += 1;
    }
    report
}

/// One instance of a transactional id over its own connection, driven request by request.
struct RawProducer {
    client: RawClient,
    txn_id: String,
    producer_id: i64,
    epoch: i16,
    sequences: [i32; PARTITIONS as usize],
}

impl RawProducer {
    /// InitProducerId for `txn_id` (retried while the coordinator answers
    /// CONCURRENT_TRANSACTIONS, as clients do).
    fn init(addr: std::net::SocketAddr, txn_id: &str, timeout_ms: i32) -> RawProducer {
        let mut client = RawClient::connect(addr);
        for _ in 0..200 {
            let r: InitProducerIdResponse = client.call(
                4,
                &InitProducerIdRequest {
                    transactional_id: Some(txn_id.into()),
                    transaction_timeout_ms: timeout_ms,
                    producer_id: -1,
                    producer_epoch: -1,
                },
            );
            match r.error_code {
                0 => {
                    return RawProducer {
                        client,
                        txn_id: txn_id.into(),
                        producer_id: r.producer_id,
                        epoch: r.producer_epoch,
                        sequences: [0; PARTITIONS as usize],
                    }
                }
                CONCURRENT_TRANSACTIONS => std::thread::sleep(Duration::from_millis(50)),
                code => panic!("InitProducerId {txn_id}: error {code}"),
            }
        }
        panic!("InitProducerId {txn_id}: still CONCURRENT_TRANSACTIONS after 200 tries");
    }

    /// AddPartitionsToTxn v3 for every partition; the partitions' error codes.
    fn add_partitions(&mut self) -> Vec<i16> {
        let r: AddPartitionsToTxnResponse = self.client.call(
            3,
            &AddPartitionsToTxnRequest {
                v3_and_below_transactional_id: self.txn_id.clone(),
                v3_and_below_producer_id: self.producer_id,
                v3_and_below_producer_epoch: self.epoch,
                v3_and_below_topics: vec![AddPartitionsToTxnTopic {
                    name: TOPIC.into(),
                    partitions: (0..PARTITIONS).collect(),
                }],
                ..Default::default()
            },
        );
        r.results_by_topic_v3_and_below
            .iter()
            .flat_map(|t| {
                t.results_by_partition
                    .iter()
                    .map(|p| p.partition_error_code)
            })
            .collect()
    }

    /// Produces one transactional record to `partition` (acks=all); the error code.
    fn produce(&mut self, partition: i32, value: &str) -> i16 {
        let seq = &mut self.sequences[partition as usize];
        let mut b = RecordBatchBuilder::new(Compression::None);
        b.producer(self.producer_id, self.epoch, *seq)
            .transactional(true);
        b.append(0, Some(value.as_bytes()), Some(value.as_bytes()), &[]);
        let batch: Bytes = b.build().expect("batch");
        let (code, _) = self.client.produce_at(9, TOPIC, partition, batch, -1);
        if code == 0 {
            *seq += 1;
        }
        code
    }

    /// EndTxn v3; the error code.
    fn end(&mut self, commit: bool) -> i16 {
        let r: EndTxnResponse = self.client.call(
            3,
            &EndTxnRequest {
                transactional_id: self.txn_id.clone(),
                producer_id: self.producer_id,
                producer_epoch: self.epoch,
                committed: commit,
            },
        );
        r.error_code
    }

    /// Begins a transaction over every partition and writes one record to each.
    fn write(&mut self, values: &[(i32, String)]) {
        let codes = self.add_partitions();
        assert!(
            codes.iter().all(|c| *c == 0),
            "{}: AddPartitionsToTxn {codes:?}",
            self.txn_id
        );
        for (p, v) in values {
            let code = self.produce(*p, v);
            assert_eq!(code, 0, "{}: produce {v}", self.txn_id);
        }
    }
}

fn values(prefix: &str, n: usize) -> Vec<(i32, String)> {
    (0..PARTITIONS)
        .map(|p| (p, format!("{prefix}-{n}-{p}")))
        .collect()
}

/// Commits two transactions in three, aborts the third.
fn raw_worker(addr: std::net::SocketAddr, worker: usize, until: Instant) -> Report {
    let prefix = format!("raw{worker}");
    let mut producer = RawProducer::init(addr, &format!("stress-raw-{worker}"), 60_000);
    let mut report = Report::default();
    let mut n = 0;
    while Instant::now() < until {
        let vs = values(&prefix, n);
        producer.write(&vs);
        let commit = n % 3 != 2;
        let code = producer.end(commit);
        assert_eq!(code, 0, "{prefix}: EndTxn {n}");
        if commit {
            report.committed.extend(vs);
        }
        n += 1;
    }
    report
}

/// Every fourth transaction, a new instance of the same transactional id starts while the
/// old one's transaction is open: the old transaction is aborted, and the old instance is
/// fenced (its EndTxn and Produce are refused). The new instance carries on.
fn zombie_worker(addr: std::net::SocketAddr, until: Instant) -> Report {
    let txn_id = "stress-zombie";
    let mut producer = RawProducer::init(addr, txn_id, 60_000);
    let mut report = Report::default();
    let mut n = 0;
    while Instant::now() < until {
        let vs = values("zombie", n);
        producer.write(&vs);
        if n % 4 == 3 {
            let successor = RawProducer::init(addr, txn_id, 60_000);
            let mut zombie = std::mem::replace(&mut producer, successor);
            let end = zombie.end(true);
            assert!(FENCED.contains(&end), "zombie EndTxn answered {end}");
            let produced = zombie.produce(0, "zombie-late");
            assert!(
                FENCED.contains(&produced),
                "zombie Produce answered {produced}"
            );
            report.fenced += 1;
        } else {
            assert_eq!(producer.end(true), 0, "zombie worker EndTxn {n}");
            report.committed.extend(vs);
        }
        n += 1;
    }
    report
}

/// Opens a transaction with a 1 s timeout, writes, and waits 2.5 s before committing: the
/// broker aborts it first (and bumps the epoch), so the commit is refused. Should the abort
/// come late, the commit succeeds and its records count as committed.
fn timeout_worker(addr: std::net::SocketAddr, until: Instant) -> Report {
    let txn_id = "stress-timeout";
    let mut report = Report::default();
    let mut n = 0;
    while Instant::now() < until {
        let mut producer = RawProducer::init(addr, txn_id, 1_000);
        let vs = values("timeout", n);
        producer.write(&vs);
        std::thread::sleep(Duration::from_millis(2_500));
        match producer.end(true) {
            0 => report.committed.extend(vs),
            code if FENCED.contains(&code) => report.timed_out += 1,
            code => panic!("timed-out transaction's EndTxn answered {code}"),
        }
        n += 1;
    }
    report
}

/// Reads every partition with read_committed until `expected` records arrived (or 60 s
/// passed), then one more second for anything extra; the values by partition, sorted.
fn read_committed(bootstrap: &str, expected: usize) -> BTreeMap<i32, Vec<String>> {
    let consumer = assigned_from_beginning(
        bootstrap,
        "stress-reader",
        TOPIC,
        PARTITIONS,
        "read_committed",
    );
    let mut seen: BTreeMap<i32, Vec<String>> = BTreeMap::new();
    let mut count = 0;
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut drain_until: Option<Instant> = None;
    loop {
        let now = Instant::now();
        if now > deadline || drain_until.is_some_and(|d| now > d) {
            break;
        }
        if drain_until.is_none() && count >= expected {
            drain_until = Some(now + Duration::from_secs(1));
        }
        match consumer.poll(Duration::from_millis(100)) {
            None => {}
            Some(Ok(m)) => {
                let value = String::from_utf8_lossy(m.payload().unwrap_or_default()).into_owned();
                seen.entry(m.partition()).or_default().push(value);
                count += 1;
            }
            Some(Err(e)) => panic!("read_committed consumer: {e}"),
        }
    }
    for values in seen.values_mut() {
        values.sort();
    }
    seen
}

#[test]
fn concurrent_transactions_commit_abort_fence_and_time_out_without_stalling() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Some(..) until a failure abandons it: a stalled broker would also stall its own
    // shutdown, so a failing run leaves it running and reports instead of hanging.
    let mut broker = Some(TestBroker::start(dir.path()));
    let (addr, bootstrap) = broker
        .as_ref()
        .map(|b| (b.addr, b.bootstrap()))
        .expect("broker");
    create_topic(&bootstrap, TOPIC, PARTITIONS);

    let start = Instant::now();
    let until = start + RUN;
    let (tx, rx) = mpsc::channel::<(String, std::thread::Result<Report>)>();
    let spawn = |name: String, work: Box<dyn FnOnce() -> Report + Send>| {
        let tx = tx.clone();
        std::thread::spawn(move || {
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(work));
            let _ = tx.send((name, result));
        });
    };
    for w in 0..5 {
        let b = bootstrap.clone();
        spawn(
            format!("rdkafka-{w}"),
            Box::new(move || rdkafka_worker(b, w, until)),
        );
    }
    for w in 0..3 {
        spawn(
            format!("raw-{w}"),
            Box::new(move || raw_worker(addr, w, until)),
        );
    }
    spawn(
        "zombie".into(),
        Box::new(move || zombie_worker(addr, until)),
    );
    spawn(
        "timeout".into(),
        Box::new(move || timeout_worker(addr, until)),
    );
    drop(tx);
    let workers = 10;

    let mut committed: BTreeMap<i32, Vec<String>> = BTreeMap::new();
    let (mut fenced, mut timed_out) = (0, 0);
    for finished in 0..workers {
        let left = WATCHDOG.saturating_sub(start.elapsed());
        let Ok((name, result)) = rx.recv_timeout(left) else {
            std::mem::forget(broker.take());
            panic!(
                "watchdog: {} of {workers} workers still running after {WATCHDOG:?} \
                 (transactions stalled)",
                workers - finished
            );
        };
        let report = match result {
            Ok(report) => report,
            Err(panic) => {
                std::mem::forget(broker.take());
                std::panic::resume_unwind(panic)
            }
        };
        assert!(
            !report.committed.is_empty() || name == "timeout",
            "{name} committed nothing in {RUN:?}"
        );
        for (p, v) in report.committed {
            committed.entry(p).or_default().push(v);
        }
        fenced += report.fenced;
        timed_out += report.timed_out;
    }
    assert!(fenced >= 1, "the zombie was never fenced");
    assert!(timed_out >= 1, "no transaction was aborted by its timeout");
    for values in committed.values_mut() {
        values.sort();
    }
    let expected: usize = committed.values().map(Vec::len).sum();
    let seen = read_committed(&bootstrap, expected);
    let got: usize = seen.values().map(Vec::len).sum();
    assert!(
        seen == committed,
        "read_committed saw {got} records, {expected} were committed; first difference: {:?}",
        first_difference(&seen, &committed)
    );
}

/// The first partition whose values differ, with a value only one side has.
fn first_difference(
    seen: &BTreeMap<i32, Vec<String>>,
    expected: &BTreeMap<i32, Vec<String>>,
) -> Option<(i32, Option<String>, Option<String>)> {
    (0..PARTITIONS).find_map(|p| {
        let a = seen.get(&p).cloned().unwrap_or_default();
        let b = expected.get(&p).cloned().unwrap_or_default();
        (a != b).then(|| {
            let extra = a.iter().find(|v| !b.contains(v)).cloned();
            let missing = b.iter().find(|v| !a.contains(v)).cloned();
            (p, extra, missing)
        })
    })
}

//! Power loss: the real broker runs under an `LD_PRELOAD` shim that records what it made
//! durable (`tests/common/power_loss.rs`); a seeded workload interleaves acks=all produces,
//! offset commits, transactions and topic changes (create, add partitions, delete); at a seeded
//! point, with one request in flight, the broker is SIGKILLed and the data directory a power
//! loss would leave — synced bytes and entries only, plus a seeded share of the rest, torn —
//! is built beside it. The broker restarts on that image and must recover, and:
//! - every acknowledged record is at its offset with its value, exactly once;
//! - every acknowledged topic change holds, every acknowledged offset commit is returned;
//! - every transaction whose commit was acknowledged is visible to read_committed in full,
//!   and no record of a transaction that was aborted or left open ever is;
//! - what was in flight at the crash either happened or did not — a transaction wholly;
//! - nothing appears that was never sent.
//!
//! `cargo test power_loss` runs 6 crashes; `KALFKA_POWER_LOSS_ROUNDS=200` a long mode,
//! `KALFKA_POWER_LOSS_SEED=<u64>` another reproducible sequence.

mod common;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use bytes::Bytes;
use common::power_loss::{build_shim, crash_image, shim_env};
use common::process::BrokerProcess;
use common::wire::{env_u64, Conn, Rng};
use kalfka_protocol::messages::add_partitions_to_txn_request::AddPartitionsToTxnTopic;
use kalfka_protocol::messages::create_partitions_request::CreatePartitionsTopic;
use kalfka_protocol::messages::create_topics_request::CreatableTopic;
use kalfka_protocol::messages::offset_commit_request::{
    OffsetCommitRequestPartition, OffsetCommitRequestTopic,
};
use kalfka_protocol::messages::offset_fetch_request::OffsetFetchRequestTopic;
use kalfka_protocol::messages::*;
use kalfka_protocol::records::{batches, Compression, RecordBatchBuilder};

const TXN_TOPIC: &str = "txn";
const TXN_ID: &str = "power-loss";
const TXN_TIMEOUT_MS: i32 = 1000;
const GROUPS: [&str; 2] = ["g0", "g1"];
const MAX_PARTITIONS: i32 = 4;
const CONCURRENT_TRANSACTIONS: i16 = 51;
const COORDINATOR_LOAD_IN_PROGRESS: i16 = 14;
/// Small segments, so that rolls (new files, directory syncs) happen within a round.
const BROKER_ARGS: &[&str] = &["--segment-bytes", "4096"];

/// How a transaction ended, as far as the client knows.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Outcome {
    Open,
    Committed,
    Aborted,
}

#[derive(Debug)]
struct Txn {
    values: Vec<String>,
    outcome: Outcome,
}

/// Values produced to a partition whose answer never came: (topic, partition, values).
type Sent = (String, i32, Vec<String>);

/// A request sent just before the crash, whose answer never came.
#[derive(Debug)]
enum InFlight {
    Produce {
        topic: String,
        partition: i32,
        values: Vec<String>,
    },
    Commit {
        key: (String, String, i32),
        offset: i64,
    },
    CreateTopic {
        name: String,
        partitions: i32,
    },
    AddPartitions {
        topic: String,
        count: i32,
    },
    DeleteTopic {
        topic: String,
    },
    /// A transactional step; only EndTxn decides anything.
    TxnStep,
    EndTxn,
}

/// The transactional producer's progress within one broker run.
#[derive(Debug)]
enum TxnState {
    NoProducer,
    Idle {
        pid: i64,
        epoch: i16,
    },
    Added {
        pid: i64,
        epoch: i16,
        parts: Vec<i32>,
    },
    Written {
        pid: i64,
        epoch: i16,
    },
}

/// What the client was told, i.e. what must survive.
#[derive(Default)]
struct Model {
    topics: BTreeMap<String, i32>,
    /// Acknowledged non-transactional records: (topic, partition) → offset → value.
    records: BTreeMap<(String, i32), BTreeMap<i64, String>>,
    /// Every value ever sent, acknowledged or not.
    sent: HashSet<String>,
    txns: Vec<Txn>,
    /// Last acknowledged commit per (group, topic, partition).
    commits: BTreeMap<(String, String, i32), i64>,
    /// Acknowledged values of deleted topics: they must never be served again.
    dead: HashSet<String>,
    /// Names of deleted topics, which a later creation may reuse.
    deleted: Vec<String>,
    next_value: u64,
    next_topic: u64,
}

impl Model {
    fn values(&mut self, round: usize, n: u64) -> Vec<String> {
        let out: Vec<String> = (0..n)
            .map(|i| format!("r{round}-v{}", self.next_value + i))
            .collect();
        self.next_value += n;
        self.sent.extend(out.iter().cloned());
        out
    }

    fn pick_partition(&self, rng: &mut Rng) -> (String, i32) {
        let topics: Vec<(&String, &i32)> = self.topics.iter().collect();
        let (t, n) = topics[rng.below(topics.len() as u64) as usize];
        (t.clone(), rng.below(*n as u64) as i32)
    }

    fn forget_topic(&mut self, topic: &str) {
        self.topics.remove(topic);
        self.deleted.push(topic.to_string());
        for ((t, _), log) in &self.records {
            if t == topic {
                self.dead.extend(log.values().cloned());
            }
        }
        self.records.retain(|(t, _), _| t != topic);
        self.commits.retain(|(_, t, _), _| t != topic);
    }
}

fn batch(values: &[String], producer: Option<(i64, i16, i32)>) -> Bytes {
    let mut b = RecordBatchBuilder::new(Compression::None);
    if let Some((pid, epoch, seq)) = producer {
        b.producer(pid, epoch, seq).transactional(true);
    }
    for v in values {
        b.append(0, Some(b"k"), Some(v.as_bytes()), &[]);
    }
    b.build().expect("batch")
}

fn produce_req(topic: &str, partition: i32, records: Bytes, txn: bool) -> ProduceRequest {
    let mut req = common::raw::produce_request(topic, partition, records, -1);
    if txn {
        req.transactional_id = Some(TXN_ID.into());
    }
    req
}

fn commit_req(key: &(String, String, i32), offset: i64) -> OffsetCommitRequest {
    OffsetCommitRequest {
        group_id: key.0.clone(),
        generation_id_or_member_epoch: -1,
        topics: vec![OffsetCommitRequestTopic {
            name: key.1.clone(),
            partitions: vec![OffsetCommitRequestPartition {
                partition_index: key.2,
                committed_offset: offset,
                ..Default::default()
            }],
        }],
        ..Default::default()
    }
}

fn create_topic_req(name: &str, partitions: i32) -> CreateTopicsRequest {
    CreateTopicsRequest {
        topics: vec![CreatableTopic {
            name: name.into(),
            num_partitions: partitions,
            replication_factor: 1,
            ..Default::default()
        }],
        timeout_ms: 5000,
        ..Default::default()
    }
}

fn add_partitions_req(topic: &str, count: i32) -> CreatePartitionsRequest {
    CreatePartitionsRequest {
        topics: vec![CreatePartitionsTopic {
            name: topic.into(),
            count,
            assignments: None,
        }],
        timeout_ms: 5000,
        validate_only: false,
    }
}

fn delete_topic_req(topic: &str) -> DeleteTopicsRequest {
    DeleteTopicsRequest {
        topic_names: vec![topic.into()],
        timeout_ms: 5000,
        ..Default::default()
    }
}

fn end_txn_req(pid: i64, epoch: i16, commit: bool) -> EndTxnRequest {
    EndTxnRequest {
        transactional_id: TXN_ID.into(),
        producer_id: pid,
        producer_epoch: epoch,
        committed: commit,
    }
}

/// One broker run's workload: a client that panics on any answer but success, except for the
/// last request, which it leaves in flight.
struct Workload<'a> {
    conn: Conn,
    model: &'a mut Model,
    rng: &'a mut Rng,
    round: usize,
    txn: TxnState,
    seqs: HashMap<i32, i32>,
}

impl Workload<'_> {
    /// Runs one operation; with `in_flight`, sends its (first) request and returns what it was.
    fn step(&mut self, in_flight: bool) -> Option<InFlight> {
        match self.rng.below(10) {
            0..=3 => self.produce(in_flight),
            4 | 5 => self.commit(in_flight),
            6 | 7 => self.txn_step(in_flight),
            8 => self.create_topic(in_flight),
            _ => self.change_topic(in_flight),
        }
    }

    fn produce(&mut self, in_flight: bool) -> Option<InFlight> {
        let (topic, partition) = self.model.pick_partition(self.rng);
        let n = 1 + self.rng.below(3);
        let values = self.model.values(self.round, n);
        let req = produce_req(&topic, partition, batch(&values, None), false);
        if in_flight {
            self.conn.send(9, &req).expect("send produce");
            return Some(InFlight::Produce {
                topic,
                partition,
                values,
            });
        }
        let resp: ProduceResponse = self.conn.call(9, &req).expect("produce");
        let p = &resp.responses[0].partition_responses[0];
        assert_eq!(p.error_code, 0, "produce to {topic}-{partition}");
        let log = self.model.records.entry((topic, partition)).or_default();
        for (i, v) in values.into_iter().enumerate() {
            log.insert(p.base_offset + i as i64, v);
        }
        None
    }

    fn commit(&mut self, in_flight: bool) -> Option<InFlight> {
        let (topic, partition) = self.model.pick_partition(self.rng);
        let group = GROUPS[self.rng.below(GROUPS.len() as u64) as usize];
        let key = (group.to_string(), topic, partition);
        let offset = self.rng.below(1000) as i64;
        if in_flight {
            self.conn
                .send(8, &commit_req(&key, offset))
                .expect("send commit");
            return Some(InFlight::Commit { key, offset });
        }
        let resp: OffsetCommitResponse = self
            .conn
            .call(8, &commit_req(&key, offset))
            .expect("commit");
        assert_eq!(resp.topics[0].partitions[0].error_code, 0, "commit {key:?}");
        self.model.commits.insert(key, offset);
        None
    }

    fn create_topic(&mut self, in_flight: bool) -> Option<InFlight> {
        let name = if !self.model.deleted.is_empty() && self.rng.one_in(3) {
            let i = self.rng.below(self.model.deleted.len() as u64) as usize;
            self.model.deleted.swap_remove(i)
        } else {
            self.model.next_topic += 1;
            format!("t{}", self.model.next_topic - 1)
        };
        let partitions = 1 + self.rng.below(2) as i32;
        let req = create_topic_req(&name, partitions);
        if in_flight {
            self.conn.send(7, &req).expect("send create");
            return Some(InFlight::CreateTopic { name, partitions });
        }
        let resp: CreateTopicsResponse = self.conn.call(7, &req).expect("create topic");
        assert_eq!(resp.topics[0].error_code, 0, "create {name}");
        self.model.topics.insert(name, partitions);
        None
    }

    /// Adds a partition to a topic, or deletes one (never the transactional topic).
    fn change_topic(&mut self, in_flight: bool) -> Option<InFlight> {
        let (topic, _) = self.model.pick_partition(self.rng);
        let count = self.model.topics[&topic];
        let delete = topic != TXN_TOPIC && (count >= MAX_PARTITIONS || self.rng.one_in(2));
        if delete {
            if in_flight {
                self.conn
                    .send(5, &delete_topic_req(&topic))
                    .expect("send delete");
                return Some(InFlight::DeleteTopic { topic });
            }
            let resp: DeleteTopicsResponse = self
                .conn
                .call(5, &delete_topic_req(&topic))
                .expect("delete topic");
            assert_eq!(resp.responses[0].error_code, 0, "delete {topic}");
            self.model.forget_topic(&topic);
            return None;
        }
        if count >= MAX_PARTITIONS {
            return self.produce(in_flight);
        }
        let req = add_partitions_req(&topic, count + 1);
        if in_flight {
            self.conn.send(3, &req).expect("send create partitions");
            return Some(InFlight::AddPartitions {
                topic,
                count: count + 1,
            });
        }
        let resp: CreatePartitionsResponse = self.conn.call(3, &req).expect("create partitions");
        assert_eq!(resp.results[0].error_code, 0, "add a partition to {topic}");
        self.model.topics.insert(topic, count + 1);
        None
    }

    /// Advances the transactional producer by one request.
    fn txn_step(&mut self, in_flight: bool) -> Option<InFlight> {
        match std::mem::replace(&mut self.txn, TxnState::NoProducer) {
            TxnState::NoProducer => {
                let req = InitProducerIdRequest {
                    transactional_id: Some(TXN_ID.into()),
                    transaction_timeout_ms: TXN_TIMEOUT_MS,
                    producer_id: -1,
                    producer_epoch: -1,
                };
                if in_flight {
                    self.conn.send(4, &req).expect("send init");
                    return Some(InFlight::TxnStep);
                }
                // An open transaction of the previous run is being aborted: retry (bounded).
                for _ in 0..300 {
                    let r: InitProducerIdResponse = self.conn.call(4, &req).expect("init");
                    match r.error_code {
                        0 => {
                            self.seqs.clear();
                            self.txn = TxnState::Idle {
                                pid: r.producer_id,
                                epoch: r.producer_epoch,
                            };
                            return None;
                        }
                        CONCURRENT_TRANSACTIONS | COORDINATOR_LOAD_IN_PROGRESS => {
                            std::thread::sleep(Duration::from_millis(50))
                        }
                        e => panic!("InitProducerId: error {e}"),
                    }
                }
                panic!("InitProducerId kept answering CONCURRENT_TRANSACTIONS for 15 s");
            }
            TxnState::Idle { pid, epoch } => {
                let n = self.model.topics[TXN_TOPIC];
                let mut parts = vec![self.rng.below(n as u64) as i32];
                if n > 1 && self.rng.one_in(2) {
                    parts.push((parts[0] + 1) % n);
                }
                let req = AddPartitionsToTxnRequest {
                    v3_and_below_transactional_id: TXN_ID.into(),
                    v3_and_below_producer_id: pid,
                    v3_and_below_producer_epoch: epoch,
                    v3_and_below_topics: vec![AddPartitionsToTxnTopic {
                        name: TXN_TOPIC.into(),
                        partitions: parts.clone(),
                    }],
                    ..Default::default()
                };
                self.model.txns.push(Txn {
                    values: Vec::new(),
                    outcome: Outcome::Open,
                });
                if in_flight {
                    self.conn.send(3, &req).expect("send add partitions");
                    return Some(InFlight::TxnStep);
                }
                let r: AddPartitionsToTxnResponse = self.conn.call(3, &req).expect("add");
                for t in &r.results_by_topic_v3_and_below {
                    for p in &t.results_by_partition {
                        assert_eq!(p.partition_error_code, 0, "AddPartitionsToTxn");
                    }
                }
                self.txn = TxnState::Added { pid, epoch, parts };
                None
            }
            TxnState::Added { pid, epoch, parts } => {
                for (i, &partition) in parts.iter().enumerate() {
                    let n = 1 + self.rng.below(3);
                    let values = self.model.values(self.round, n);
                    let seq = self.seqs.entry(partition).or_insert(0);
                    let records = batch(&values, Some((pid, epoch, *seq)));
                    *seq += n as i32;
                    let txn = self.model.txns.last_mut().expect("open txn");
                    txn.values.extend(values);
                    let req = produce_req(TXN_TOPIC, partition, records, true);
                    if in_flight && i == parts.len() - 1 {
                        self.conn.send(9, &req).expect("send txn produce");
                        return Some(InFlight::TxnStep);
                    }
                    let resp: ProduceResponse = self.conn.call(9, &req).expect("txn produce");
                    let p = &resp.responses[0].partition_responses[0];
                    assert_eq!(p.error_code, 0, "transactional produce");
                }
                self.txn = TxnState::Written { pid, epoch };
                None
            }
            TxnState::Written { pid, epoch } => {
                let commit = !self.rng.one_in(3);
                if in_flight {
                    self.conn
                        .send(3, &end_txn_req(pid, epoch, commit))
                        .expect("send end txn");
                    return Some(if commit {
                        InFlight::EndTxn
                    } else {
                        InFlight::TxnStep
                    });
                }
                let r: EndTxnResponse = self
                    .conn
                    .call(3, &end_txn_req(pid, epoch, commit))
                    .expect("end txn");
                assert_eq!(r.error_code, 0, "EndTxn");
                let txn = self.model.txns.last_mut().expect("open txn");
                txn.outcome = if commit {
                    Outcome::Committed
                } else {
                    Outcome::Aborted
                };
                self.txn = TxnState::Idle { pid, epoch };
                None
            }
        }
    }
}

/// A partition as the broker serves it now.
struct Served {
    /// offset → value of every data record (transactional or not).
    all: BTreeMap<i64, String>,
    /// Values read_committed returns.
    committed: HashSet<String>,
}

/// Reads one partition twice: read_uncommitted, then read_committed once it is stable
/// (waiting, bounded, for open transactions to be aborted by their timeout).
fn read_partition(conn: &mut Conn, topic: &str, partition: i32) -> Served {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let all = fetch_all(conn, topic, partition, 0);
        let (hw, lso) = (all.high_watermark, all.last_stable_offset);
        if hw == lso {
            let committed = fetch_all(conn, topic, partition, 1);
            assert_eq!(
                committed.high_watermark, hw,
                "{topic}-{partition}: high watermark moved while nothing was written"
            );
            return Served {
                all: all.values.into_iter().map(|(o, v, _)| (o, v)).collect(),
                committed: committed.visible,
            };
        }
        assert!(
            Instant::now() < deadline,
            "{topic}-{partition}: last stable offset {lso} stayed below the high watermark {hw} for 30 s (an open transaction was never aborted)"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

struct Fetched {
    values: Vec<(i64, String, i64)>,
    visible: HashSet<String>,
    high_watermark: i64,
    last_stable_offset: i64,
}

/// Fetches a partition from offset 0 to its end with `isolation`; `visible` applies the
/// aborted-transaction list as a read_committed client does.
fn fetch_all(conn: &mut Conn, topic: &str, partition: i32, isolation: i8) -> Fetched {
    let mut out = Fetched {
        values: Vec::new(),
        visible: HashSet::new(),
        high_watermark: 0,
        last_stable_offset: 0,
    };
    let mut offset = 0;
    let mut aborted_pids = HashSet::new();
    for _ in 0..10_000 {
        let req = common::raw::fetch_request(topic, partition, offset, isolation);
        let resp: FetchResponse = conn.call(11, &req).expect("fetch");
        let p = &resp.responses[0].partitions[0];
        assert_eq!(p.error_code, 0, "fetch {topic}-{partition} at {offset}");
        out.high_watermark = p.high_watermark;
        out.last_stable_offset = p.last_stable_offset;
        let mut aborted: Vec<(i64, i64)> = p
            .aborted_transactions
            .iter()
            .flatten()
            .map(|a| (a.first_offset, a.producer_id))
            .collect();
        aborted.sort();
        let records = p.records.clone().unwrap_or_default();
        if records.is_empty() {
            break;
        }
        for b in batches(records) {
            let b = b.expect("whole batches");
            b.verify_crc().expect("crc of a served batch");
            let h = *b.header();
            offset = h.next_offset();
            for &(first, pid) in &aborted {
                if first <= h.last_offset() {
                    aborted_pids.insert(pid);
                }
            }
            aborted.retain(|&(first, _)| first > h.last_offset());
            if h.is_control() {
                aborted_pids.remove(&h.producer_id);
                continue;
            }
            let hidden = h.is_transactional() && aborted_pids.contains(&h.producer_id);
            for r in b.records().expect("records") {
                let offset = r.offset(&h);
                let v = String::from_utf8_lossy(&r.value.unwrap_or_default()).into_owned();
                if !hidden {
                    out.visible.insert(v.clone());
                }
                out.values.push((offset, v, h.producer_id));
            }
        }
        if offset >= p.high_watermark.max(0) && (isolation == 0 || offset >= p.last_stable_offset) {
            break;
        }
    }
    out
}

fn metadata(conn: &mut Conn) -> BTreeMap<String, i32> {
    let resp: MetadataResponse = conn
        .call(
            12,
            &MetadataRequest {
                topics: None,
                ..Default::default()
            },
        )
        .expect("metadata");
    resp.topics
        .into_iter()
        .filter(|t| !t.is_internal)
        .filter_map(|t| Some((t.name?, t.partitions.len() as i32)))
        .filter(|(name, _)| !name.starts_with("__"))
        .collect()
}

fn committed_offset(conn: &mut Conn, key: &(String, String, i32)) -> i64 {
    let resp: OffsetFetchResponse = conn
        .call(
            7,
            &OffsetFetchRequest {
                group_id: key.0.clone(),
                topics: Some(vec![OffsetFetchRequestTopic {
                    name: key.1.clone(),
                    partition_indexes: vec![key.2],
                }]),
                ..Default::default()
            },
        )
        .expect("offset fetch");
    let p = &resp.topics[0].partitions[0];
    assert_eq!(p.error_code, 0, "offset fetch {key:?}");
    p.committed_offset
}

/// Checks the recovered broker against the model, resolving the request in flight at the
/// crash by what the broker shows (it happened or it did not), and closes open transactions.
fn check(addr: SocketAddr, model: &mut Model, in_flight: Option<InFlight>, mut maybe: Vec<Sent>) {
    if let Some(InFlight::Produce {
        topic,
        partition,
        values,
    }) = &in_flight
    {
        maybe.push((topic.clone(), *partition, values.clone()));
    }
    let mut conn = Conn::connect(addr, "power-loss-check").expect("connect after recovery");
    let topics = metadata(&mut conn);
    let mut expected = model.topics.clone();
    match &in_flight {
        Some(InFlight::CreateTopic { name, partitions }) if topics.contains_key(name) => {
            expected.insert(name.clone(), *partitions);
        }
        Some(InFlight::AddPartitions { topic, count }) if topics.get(topic) == Some(count) => {
            expected.insert(topic.clone(), *count);
        }
        Some(InFlight::DeleteTopic { topic }) if !topics.contains_key(topic) => {
            expected.remove(topic);
        }
        _ => {}
    }
    assert_eq!(
        topics, expected,
        "topics and partition counts after recovery"
    );
    if let Some(InFlight::DeleteTopic { topic }) = &in_flight {
        if !topics.contains_key(topic) {
            model.forget_topic(topic);
        }
    }
    model.topics = topics;

    let mut seen = HashSet::new();
    let mut committed_values = HashSet::new();
    for (topic, &n) in &model.topics.clone() {
        for partition in 0..n {
            let served = read_partition(&mut conn, topic, partition);
            for v in served.all.values() {
                assert!(
                    model.sent.contains(v),
                    "{topic}-{partition}: {v:?} was never sent"
                );
                assert!(seen.insert(v.clone()), "{v:?} is in the log twice");
            }
            let key = (topic.clone(), partition);
            for (offset, v) in model.records.get(&key).into_iter().flatten() {
                assert_eq!(
                    served.all.get(offset),
                    Some(v),
                    "acknowledged record {v:?} at {topic}-{partition} offset {offset}"
                );
            }
            for v in served.all.values() {
                assert!(
                    !model.dead.contains(v),
                    "{topic}-{partition}: {v:?} of a deleted topic is back"
                );
            }
            // Records in flight at the crash that made it are kept from now on.
            for (t, p, values) in &maybe {
                if (t, *p) == (topic, partition) {
                    let log = model.records.entry(key.clone()).or_default();
                    for (o, v) in &served.all {
                        if values.contains(v) {
                            log.insert(*o, v.clone());
                        }
                    }
                }
            }
            committed_values.extend(served.committed);
        }
    }
    let last = model.txns.len().saturating_sub(1);
    let commit_in_flight = matches!(in_flight, Some(InFlight::EndTxn));
    for (i, txn) in model.txns.iter_mut().enumerate() {
        let visible = txn
            .values
            .iter()
            .filter(|v| committed_values.contains(*v))
            .count();
        match txn.outcome {
            Outcome::Committed => assert_eq!(
                visible,
                txn.values.len(),
                "transaction {i} was committed: all its records must be visible"
            ),
            Outcome::Aborted => assert_eq!(visible, 0, "transaction {i} was aborted"),
            // Its commit was in flight: it happened wholly or not at all.
            Outcome::Open if commit_in_flight && i == last => {
                assert!(
                    visible == 0 || visible == txn.values.len(),
                    "transaction {i}: {visible} of {} records visible",
                    txn.values.len()
                );
                txn.outcome = if visible == 0 {
                    Outcome::Aborted
                } else {
                    Outcome::Committed
                };
            }
            // Never committed: aborted by its timeout after the restart, never visible.
            Outcome::Open => {
                assert_eq!(visible, 0, "transaction {i} was never committed");
                txn.outcome = Outcome::Aborted;
            }
        }
    }
    for (key, &offset) in &model.commits.clone() {
        if !model.topics.contains_key(&key.1) {
            continue;
        }
        let got = committed_offset(&mut conn, key);
        let allowed = match &in_flight {
            Some(InFlight::Commit { key: k, offset: o }) if k == key => got == offset || got == *o,
            _ => got == offset,
        };
        assert!(
            allowed,
            "committed offset of {key:?}: got {got}, acknowledged {offset}"
        );
    }
    if let Some(InFlight::Commit { key, offset }) = &in_flight {
        if model.topics.contains_key(&key.1) {
            let got = committed_offset(&mut conn, key);
            let before = model.commits.get(key).copied().unwrap_or(-1);
            assert!(
                got == before || got == *offset,
                "in-flight commit of {key:?}: got {got}"
            );
            if got == *offset {
                model.commits.insert(key.clone(), *offset);
            }
        }
    }
}

/// Keeps the run's directories when the test fails, and says where they are.
struct KeepOnPanic(Option<tempfile::TempDir>);

impl Drop for KeepOnPanic {
    fn drop(&mut self) {
        if std::thread::panicking() {
            if let Some(dir) = self.0.take() {
                eprintln!(
                    "power loss: data directories, shadows and broker logs kept in {}",
                    dir.keep().display()
                );
            }
        }
    }
}

fn start_watched(shim: &Path, data: &Path, shadow: &Path, log: &Path) -> BrokerProcess {
    let envs = shim_env(shim, data, shadow);
    let envs: Vec<(&str, &std::ffi::OsStr)> =
        envs.iter().map(|(k, v)| (*k, v.as_os_str())).collect();
    BrokerProcess::start_env(data, BROKER_ARGS, &envs, Some(log))
}

#[test]
fn power_loss_keeps_every_acknowledgement() {
    let rounds = env_u64("KALFKA_POWER_LOSS_ROUNDS", 6) as usize;
    let seed = env_u64("KALFKA_POWER_LOSS_SEED", 0x9e37_79b9);
    let shim = build_shim();
    let base = KeepOnPanic(Some(tempfile::tempdir().expect("tempdir")));
    let root: PathBuf = base.0.as_ref().expect("tempdir").path().to_path_buf();
    let mut rng = Rng::new(seed);
    let mut model = Model::default();
    let mut in_flight = None;
    let mut maybe = Vec::new();
    let mut data = root.join("r0/data");
    std::fs::create_dir_all(&data).expect("data dir");
    for round in 0..=rounds {
        let dir = root.join(format!("r{round}"));
        let log = dir.join("broker.log");
        eprintln!(
            "power loss: seed {seed}, round {round}: broker on {}",
            data.display()
        );
        let mut broker = start_watched(&shim, &data, &dir.join("shadow"), &log);
        if round == 0 {
            let mut conn = Conn::connect(broker.addr, "power-loss").expect("connect");
            for (name, partitions) in [(TXN_TOPIC, 2), ("base", 2)] {
                let r: CreateTopicsResponse = conn
                    .call(7, &create_topic_req(name, partitions))
                    .expect("create");
                assert_eq!(r.topics[0].error_code, 0, "create {name}");
                model.topics.insert(name.into(), partitions);
            }
        } else {
            check(
                broker.addr,
                &mut model,
                in_flight.take(),
                std::mem::take(&mut maybe),
            );
        }
        if round == rounds {
            break;
        }
        let ops = 5 + rng.below(40);
        let conn = Conn::connect(broker.addr, "power-loss").expect("connect");
        let mut w = Workload {
            conn,
            model: &mut model,
            rng: &mut rng,
            round,
            txn: TxnState::NoProducer,
            seqs: HashMap::new(),
        };
        for _ in 0..ops {
            w.step(false);
        }
        // A burst of produces on a second connection, then the last operation, all in flight.
        let mut side = Conn::connect(broker.addr, "power-loss-burst").expect("connect");
        for _ in 0..w.rng.below(8) {
            let (topic, partition) = w.model.pick_partition(w.rng);
            let n = 1 + w.rng.below(3);
            let values = w.model.values(round, n);
            let req = produce_req(&topic, partition, batch(&values, None), false);
            side.send(9, &req).expect("send burst produce");
            maybe.push((topic, partition, values));
        }
        in_flight = w.step(true);
        let pause = w.rng.below(20);
        std::thread::sleep(Duration::from_millis(pause));
        broker.kill();
        drop((w, side));
        let next = root.join(format!("r{}/data", round + 1));
        std::fs::create_dir_all(&next).expect("image dir");
        let stats = crash_image(&data, &dir.join("shadow"), &next, &mut rng);
        eprintln!(
            "power loss: round {round}: {ops} operations, then {} produces and {in_flight:?} in flight; image {stats:?}",
            maybe.len()
        );
        data = next;
    }
}

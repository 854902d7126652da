//! Transactions at the wire level: the error codes of every transactional API, what
//! read_committed fetches and ListOffsets see around open, committed and aborted
//! transactions, pending offsets, the admin APIs, and the state surviving a restart.

mod common;

use bytes::Bytes;
use common::raw::RawClient;
use common::TestBroker;
use kalfka_protocol::messages::add_partitions_to_txn_request::{
    AddPartitionsToTxnTopic, AddPartitionsToTxnTransaction,
};
use kalfka_protocol::messages::list_offsets_request::{ListOffsetsPartition, ListOffsetsTopic};
use kalfka_protocol::messages::offset_fetch_request::OffsetFetchRequestTopic;
use kalfka_protocol::messages::txn_offset_commit_request::{
    TxnOffsetCommitRequestPartition, TxnOffsetCommitRequestTopic,
};
use kalfka_protocol::messages::*;
use kalfka_protocol::records::{batches, Compression, RecordBatchBuilder};

const TOPIC: &str = "txn-wire";
const FENCED: i16 = 90;
const INVALID_PRODUCER_EPOCH: i16 = 47;
const INVALID_TXN_STATE: i16 = 48;
const INVALID_PRODUCER_ID_MAPPING: i16 = 49;
const INVALID_TRANSACTION_TIMEOUT: i16 = 50;
const UNKNOWN_TOPIC_OR_PARTITION: i16 = 3;
const OPERATION_NOT_ATTEMPTED: i16 = 55;
const UNSTABLE_OFFSET_COMMIT: i16 = 88;
const CONCURRENT_TRANSACTIONS: i16 = 51;
const TRANSACTIONAL_ID_NOT_FOUND: i16 = 105;

fn init(c: &mut RawClient, version: i16, txn: &str, timeout_ms: i32) -> (i16, i64, i16) {
    let r: InitProducerIdResponse = c.call(
        version,
        &InitProducerIdRequest {
            transactional_id: Some(txn.into()),
            transaction_timeout_ms: timeout_ms,
            producer_id: -1,
            producer_epoch: -1,
        },
    );
    (r.error_code, r.producer_id, r.producer_epoch)
}

fn add_partitions(
    c: &mut RawClient,
    version: i16,
    txn: &str,
    pid: i64,
    epoch: i16,
    parts: &[i32],
) -> Vec<i16> {
    let r: AddPartitionsToTxnResponse = c.call(
        version,
        &AddPartitionsToTxnRequest {
            v3_and_below_transactional_id: txn.into(),
            v3_and_below_producer_id: pid,
            v3_and_below_producer_epoch: epoch,
            v3_and_below_topics: vec![AddPartitionsToTxnTopic {
                name: TOPIC.into(),
                partitions: parts.to_vec(),
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

fn end_txn(
    c: &mut RawClient,
    version: i16,
    txn: &str,
    pid: i64,
    epoch: i16,
    commit: bool,
) -> EndTxnResponse {
    c.call(
        version,
        &EndTxnRequest {
            transactional_id: txn.into(),
            producer_id: pid,
            producer_epoch: epoch,
            committed: commit,
        },
    )
}

fn txn_batch(pid: i64, epoch: i16, seq: i32, values: &[&str]) -> Bytes {
    let mut b = RecordBatchBuilder::new(Compression::None);
    b.producer(pid, epoch, seq).transactional(true);
    for v in values {
        b.append(0, Some(b"k"), Some(v.as_bytes()), &[]);
    }
    b.build().expect("batch")
}

fn plain_batch(value: &str) -> Bytes {
    let mut b = RecordBatchBuilder::new(Compression::None);
    b.append(0, Some(b"k"), Some(value.as_bytes()), &[]);
    b.build().expect("batch")
}

/// One fetch of partition 0 from offset 0: (last stable offset, high watermark, aborted
/// transactions, record values of data batches, offsets of control batches).
struct Fetched {
    lso: i64,
    hw: i64,
    aborted: Option<Vec<(i64, i64)>>,
    values: Vec<String>,
    control_offsets: Vec<i64>,
}

fn fetch(c: &mut RawClient, isolation_level: i8) -> Fetched {
    let p = c.fetch_at(TOPIC, 0, 0, isolation_level);
    assert_eq!(p.error_code, 0);
    let mut values = Vec::new();
    let mut control_offsets = Vec::new();
    for batch in batches(p.records.clone().unwrap_or_default()) {
        let batch = batch.expect("batch");
        let header = *batch.header();
        if header.is_control() {
            control_offsets.push(header.base_offset);
            continue;
        }
        for r in batch.records().expect("records") {
            values.push(String::from_utf8(r.value.expect("value").to_vec()).expect("utf8"));
        }
    }
    Fetched {
        lso: p.last_stable_offset,
        hw: p.high_watermark,
        aborted: p
            .aborted_transactions
            .as_ref()
            .map(|a| a.iter().map(|t| (t.producer_id, t.first_offset)).collect()),
        values,
        control_offsets,
    }
}

/// A transactional producer as the coordinator knows it.
struct Txn {
    id: &'static str,
    pid: i64,
    epoch: i16,
}

/// TxnOffsetCommit (`version`) of `offset` for partition 0 of `group`; the partition's error.
fn txn_commit_offset(c: &mut RawClient, version: i16, txn: &Txn, group: &str, offset: i64) -> i16 {
    let r: TxnOffsetCommitResponse = c.call(
        version,
        &TxnOffsetCommitRequest {
            transactional_id: txn.id.into(),
            group_id: group.into(),
            producer_id: txn.pid,
            producer_epoch: txn.epoch,
            generation_id: -1,
            member_id: String::new(),
            group_instance_id: None,
            topics: vec![TxnOffsetCommitRequestTopic {
                name: TOPIC.into(),
                partitions: vec![TxnOffsetCommitRequestPartition {
                    partition_index: 0,
                    committed_offset: offset,
                    committed_leader_epoch: -1,
                    committed_metadata: None,
                }],
            }],
        },
    );
    r.topics[0].partitions[0].error_code
}

/// OffsetFetch v7 of partition 0 for `group`: (error code, committed offset).
fn committed_offset(c: &mut RawClient, group: &str, require_stable: bool) -> (i16, i64) {
    let r: OffsetFetchResponse = c.call(
        7,
        &OffsetFetchRequest {
            group_id: group.into(),
            topics: Some(vec![OffsetFetchRequestTopic {
                name: TOPIC.into(),
                partition_indexes: vec![0],
            }]),
            require_stable,
            ..Default::default()
        },
    );
    let p = &r.topics[0].partitions[0];
    (p.error_code, p.committed_offset)
}

fn latest(c: &mut RawClient, isolation_level: i8) -> i64 {
    let r: ListOffsetsResponse = c.call(
        5,
        &ListOffsetsRequest {
            replica_id: -1,
            isolation_level,
            topics: vec![ListOffsetsTopic {
                name: TOPIC.into(),
                partitions: vec![ListOffsetsPartition {
                    partition_index: 0,
                    current_leader_epoch: -1,
                    timestamp: -1,
                    ..Default::default()
                }],
            }],
            ..Default::default()
        },
    );
    r.topics[0].partitions[0].offset
}

#[test]
fn read_committed_stops_at_the_open_transaction_and_skips_aborted_ones() {
    let dir = tempfile::tempdir().expect("tempdir");
    let broker = TestBroker::start(dir.path());
    let mut c = RawClient::connect(broker.addr);
    c.create_topic(TOPIC, 2, &[]);
    let (err, pid, epoch) = init(&mut c, 4, "wire-a", 60_000);
    assert_eq!((err, epoch), (0, 0));

    // Not added yet: refused, nothing written.
    let (err, _) = c.produce(TOPIC, txn_batch(pid, epoch, 0, &["early"]), -1);
    assert_eq!(err, INVALID_TXN_STATE);

    assert_eq!(
        add_partitions(&mut c, 3, "wire-a", pid, epoch, &[0]),
        vec![0]
    );
    assert_eq!(c.produce(TOPIC, plain_batch("before"), -1), (0, 0));
    assert_eq!(
        c.produce(TOPIC, txn_batch(pid, epoch, 0, &["t1", "t2"]), -1),
        (0, 1)
    );
    assert_eq!(c.produce(TOPIC, plain_batch("during"), -1), (0, 3));

    let open = fetch(&mut c, 1);
    assert_eq!((open.lso, open.hw), (1, 4));
    assert_eq!(open.values, vec!["before"]);
    assert_eq!(open.aborted, Some(vec![]));
    assert_eq!(latest(&mut c, 1), 1);
    assert_eq!(latest(&mut c, 0), 4);
    let uncommitted = fetch(&mut c, 0);
    assert_eq!(uncommitted.values, vec!["before", "t1", "t2", "during"]);
    assert_eq!(uncommitted.aborted, None);

    let r = end_txn(&mut c, 3, "wire-a", pid, epoch, false);
    assert_eq!(r.error_code, 0);
    let aborted = fetch(&mut c, 1);
    assert_eq!((aborted.lso, aborted.hw), (5, 5));
    assert_eq!(aborted.values, vec!["before", "t1", "t2", "during"]);
    assert_eq!(aborted.control_offsets, vec![4]);
    assert_eq!(aborted.aborted, Some(vec![(pid, 1)]));
    // A retried abort is answered with success; a commit now is a state error.
    assert_eq!(
        end_txn(&mut c, 3, "wire-a", pid, epoch, false).error_code,
        0
    );
    assert_eq!(
        end_txn(&mut c, 3, "wire-a", pid, epoch, true).error_code,
        INVALID_TXN_STATE
    );

    // The next transaction commits.
    assert_eq!(
        add_partitions(&mut c, 3, "wire-a", pid, epoch, &[0]),
        vec![0]
    );
    assert_eq!(
        c.produce(TOPIC, txn_batch(pid, epoch, 2, &["t3"]), -1),
        (0, 5)
    );
    assert_eq!(fetch(&mut c, 1).lso, 5);
    assert_eq!(end_txn(&mut c, 3, "wire-a", pid, epoch, true).error_code, 0);
    let committed = fetch(&mut c, 1);
    assert_eq!((committed.lso, committed.hw), (7, 7));
    assert_eq!(committed.control_offsets, vec![4, 6]);
    assert_eq!(committed.aborted, Some(vec![(pid, 1)]));

    // The aborted-transaction list and the stable offset survive a restart.
    broker.stop();
    let broker = TestBroker::start(dir.path());
    let mut c = RawClient::connect(broker.addr);
    let again = fetch(&mut c, 1);
    assert_eq!((again.lso, again.aborted), (7, Some(vec![(pid, 1)])));
}

#[test]
fn coordinator_errors_follow_kafka() {
    let dir = tempfile::tempdir().expect("tempdir");
    let broker = TestBroker::start(dir.path());
    let mut c = RawClient::connect(broker.addr);
    c.create_topic(TOPIC, 2, &[]);

    assert_eq!(init(&mut c, 4, "wire-b", 0).0, INVALID_TRANSACTION_TIMEOUT);
    assert_eq!(
        init(&mut c, 4, "wire-b", 900_001).0,
        INVALID_TRANSACTION_TIMEOUT
    );
    let (err, pid, epoch) = init(&mut c, 4, "wire-b", 60_000);
    assert_eq!((err, epoch), (0, 0));
    assert_eq!(
        end_txn(&mut c, 3, "wire-b", pid, epoch, true).error_code,
        INVALID_TXN_STATE,
        "nothing to commit"
    );
    assert_eq!(
        add_partitions(&mut c, 3, "wire-b", pid + 100, epoch, &[0]),
        vec![INVALID_PRODUCER_ID_MAPPING]
    );
    assert_eq!(
        add_partitions(&mut c, 3, "wire-b", pid, epoch, &[0, 7]),
        vec![OPERATION_NOT_ATTEMPTED, UNKNOWN_TOPIC_OR_PARTITION]
    );
    assert_eq!(
        add_partitions(&mut c, 3, "wire-b", pid, epoch, &[0]),
        vec![0]
    );
    assert_eq!(
        c.produce(TOPIC, txn_batch(pid, epoch, 0, &["zombie"]), -1)
            .0,
        0
    );

    // A second instance fences the first and aborts its transaction. Kafka answers its first
    // InitProducerId with CONCURRENT_TRANSACTIONS while it aborts (TransactionCoordinator
    // handleInitProducerId, state Ongoing: prepareFenceProducerEpoch + abort); the retry gets
    // an epoch bumped twice, the fencing one never being handed out.
    assert_eq!(init(&mut c, 4, "wire-b", 60_000).0, CONCURRENT_TRANSACTIONS);
    let (err, pid2, epoch2) = init(&mut c, 4, "wire-b", 60_000);
    assert_eq!((err, pid2, epoch2), (0, pid, epoch + 2));
    assert_eq!(
        add_partitions(&mut c, 3, "wire-b", pid, epoch, &[1]),
        vec![FENCED]
    );
    assert_eq!(
        add_partitions(&mut c, 1, "wire-b", pid, epoch, &[1]),
        vec![INVALID_PRODUCER_EPOCH],
        "versions before PRODUCER_FENCED get INVALID_PRODUCER_EPOCH"
    );
    assert_eq!(
        end_txn(&mut c, 3, "wire-b", pid, epoch, true).error_code,
        FENCED
    );
    assert_eq!(
        c.produce(TOPIC, txn_batch(pid, epoch, 1, &["late"]), -1).0,
        INVALID_PRODUCER_EPOCH
    );
    let f = fetch(&mut c, 1);
    assert_eq!(
        f.aborted,
        Some(vec![(pid, 0)]),
        "the zombie's transaction was aborted"
    );
    assert_eq!(f.values, vec!["zombie"]);
    assert_eq!(f.lso, f.hw);

    // AddPartitionsToTxn v4 (broker form): verify_only reports partitions not in the
    // transaction.
    assert_eq!(
        add_partitions(&mut c, 3, "wire-b", pid2, epoch2, &[0]),
        vec![0]
    );
    let r: AddPartitionsToTxnResponse = c.call(
        4,
        &AddPartitionsToTxnRequest {
            transactions: vec![AddPartitionsToTxnTransaction {
                transactional_id: "wire-b".into(),
                producer_id: pid2,
                producer_epoch: epoch2,
                verify_only: true,
                topics: vec![AddPartitionsToTxnTopic {
                    name: TOPIC.into(),
                    partitions: vec![1],
                }],
            }],
            ..Default::default()
        },
    );
    let code =
        r.results_by_transaction[0].topic_results[0].results_by_partition[0].partition_error_code;
    assert_eq!(code, INVALID_TXN_STATE);

    // EndTxn v5 (KIP-890) gives the producer its next epoch.
    let r = end_txn(&mut c, 5, "wire-b", pid2, epoch2, false);
    assert_eq!(
        (r.error_code, r.producer_id, r.producer_epoch),
        (0, pid2, epoch2 + 1)
    );

    // Admin views.
    let d: DescribeTransactionsResponse = c.call(
        0,
        &DescribeTransactionsRequest {
            transactional_ids: vec!["wire-b".into(), "nobody".into()],
        },
    );
    let s = &d.transaction_states[0];
    assert_eq!(
        (s.error_code, s.transaction_state.as_str(), s.producer_epoch),
        (0, "CompleteAbort", epoch2 + 1)
    );
    assert_eq!(
        d.transaction_states[1].error_code,
        TRANSACTIONAL_ID_NOT_FOUND
    );
    let l: ListTransactionsResponse = c.call(
        1,
        &ListTransactionsRequest {
            state_filters: vec!["CompleteAbort".into(), "Bogus".into()],
            producer_id_filters: vec![],
            duration_filter: -1,
        },
    );
    assert_eq!(l.unknown_state_filters, vec!["Bogus".to_string()]);
    let ids: Vec<&str> = l
        .transaction_states
        .iter()
        .map(|t| t.transactional_id.as_str())
        .collect();
    assert_eq!(ids, vec!["wire-b"]);
}

#[test]
fn transactional_offsets_are_pending_until_commit() {
    let dir = tempfile::tempdir().expect("tempdir");
    let broker = TestBroker::start(dir.path());
    let mut c = RawClient::connect(broker.addr);
    c.create_topic(TOPIC, 1, &[]);
    let (_, pid, epoch) = init(&mut c, 4, "wire-c", 60_000);
    let txn = Txn {
        id: "wire-c",
        pid,
        epoch,
    };
    let commit_offset = |c: &mut RawClient, offset: i64| txn_commit_offset(c, 3, &txn, "g", offset);
    let committed =
        |c: &mut RawClient, require_stable: bool| committed_offset(c, "g", require_stable);
    assert_eq!(
        commit_offset(&mut c, 5),
        INVALID_TXN_STATE,
        "AddOffsetsToTxn first"
    );
    let add_offsets = |c: &mut RawClient| -> i16 {
        let r: AddOffsetsToTxnResponse = c.call(
            3,
            &AddOffsetsToTxnRequest {
                transactional_id: "wire-c".into(),
                producer_id: pid,
                producer_epoch: epoch,
                group_id: "g".into(),
            },
        );
        r.error_code
    };
    assert_eq!(add_offsets(&mut c), 0);
    assert_eq!(commit_offset(&mut c, 5), 0);
    assert_eq!(committed(&mut c, false), (0, -1));
    assert_eq!(committed(&mut c, true).0, UNSTABLE_OFFSET_COMMIT);
    assert_eq!(
        end_txn(&mut c, 3, "wire-c", pid, epoch, false).error_code,
        0
    );
    assert_eq!(committed(&mut c, true), (0, -1), "aborted: not committed");

    assert_eq!(add_offsets(&mut c), 0);
    assert_eq!(commit_offset(&mut c, 9), 0);
    assert_eq!(end_txn(&mut c, 3, "wire-c", pid, epoch, true).error_code, 0);
    assert_eq!(committed(&mut c, true), (0, 9));
}

#[test]
fn open_transactions_time_out_and_survive_restarts() {
    let dir = tempfile::tempdir().expect("tempdir");
    let broker = TestBroker::start(dir.path());
    let mut c = RawClient::connect(broker.addr);
    c.create_topic(TOPIC, 1, &[]);
    // The timeout is far longer than a stop and start, so the broker that aborts the
    // transaction is the restarted one, which knows when it started only from disk.
    let started = std::time::Instant::now();
    let (_, pid, epoch) = init(&mut c, 4, "wire-d", 10_000);
    assert_eq!(
        add_partitions(&mut c, 3, "wire-d", pid, epoch, &[0]),
        vec![0]
    );
    assert_eq!(
        c.produce(TOPIC, txn_batch(pid, epoch, 0, &["open"]), -1).0,
        0
    );
    assert_eq!(c.produce(TOPIC, plain_batch("after"), -1).0, 0);
    // A restart keeps the transaction open (in the coordinator and in the partition).
    broker.stop();
    let broker = TestBroker::start(dir.path());
    let mut c = RawClient::connect(broker.addr);
    let open_after_restart = fetch(&mut c, 1).lso;
    assert!(
        started.elapsed() < std::time::Duration::from_secs(10),
        "the restart took longer than the transaction timeout; the test proves nothing"
    );
    assert_eq!(open_after_restart, 0, "still open after the restart");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(40);
    let f = loop {
        let f = fetch(&mut c, 1);
        if f.lso == f.hw || std::time::Instant::now() > deadline {
            break f;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    assert_eq!(f.lso, f.hw, "the timed-out transaction was aborted");
    assert_eq!(f.aborted, Some(vec![(pid, 0)]));
    assert_eq!(f.values, vec!["open", "after"]);
    // The producer was fenced by the abort's new epoch.
    assert_eq!(
        end_txn(&mut c, 3, "wire-d", pid, epoch, true).error_code,
        FENCED
    );
}

#[test]
fn txn_offset_commit_v5_adds_the_group_itself() {
    let dir = tempfile::tempdir().expect("tempdir");
    let broker = TestBroker::start(dir.path());
    let mut c = RawClient::connect(broker.addr);
    c.create_topic(TOPIC, 1, &[]);
    let (_, pid, epoch) = init(&mut c, 5, "wire-e", 60_000);
    let txn = Txn {
        id: "wire-e",
        pid,
        epoch,
    };
    assert_eq!(txn_commit_offset(&mut c, 5, &txn, "g5", 3), 0);
    let r = end_txn(&mut c, 5, "wire-e", pid, epoch, true);
    assert_eq!((r.error_code, r.producer_epoch), (0, epoch + 1));
    assert_eq!(committed_offset(&mut c, "g5", true), (0, 3));
}

#[test]
fn a_transaction_decided_before_a_crash_is_finished_at_start() {
    use kalfka::txn::state::TxnState;
    use kalfka::txn::store::TxnStore;
    let dir = tempfile::tempdir().expect("tempdir");
    let broker = TestBroker::start(dir.path());
    let mut c = RawClient::connect(broker.addr);
    c.create_topic(TOPIC, 1, &[]);
    let (_, pid, epoch) = init(&mut c, 4, "wire-f", 60_000);
    assert_eq!(
        add_partitions(&mut c, 3, "wire-f", pid, epoch, &[0]),
        vec![0]
    );
    assert_eq!(
        c.produce(TOPIC, txn_batch(pid, epoch, 0, &["decided"]), -1)
            .0,
        0
    );
    broker.stop();

    // What a crash right after the commit decision leaves: PrepareCommit durable, no marker.
    {
        let (mut store, state) = TxnStore::open(Some(dir.path())).expect("open the state");
        let mut meta = state.get("wire-f").cloned().expect("the transaction");
        assert_eq!(meta.state, TxnState::Ongoing);
        meta.state = TxnState::PrepareCommit;
        store.write("wire-f", Some(&meta)).expect("write");
    }
    let broker = TestBroker::start(dir.path());
    let mut c = RawClient::connect(broker.addr);
    let f = fetch(&mut c, 1);
    assert_eq!(f.values, vec!["decided"], "committed at start");
    assert_eq!((f.lso, f.hw), (2, 2));
    assert_eq!(f.control_offsets, vec![1]);
    let d: DescribeTransactionsResponse = c.call(
        0,
        &DescribeTransactionsRequest {
            transactional_ids: vec!["wire-f".into()],
        },
    );
    assert_eq!(d.transaction_states[0].transaction_state, "CompleteCommit");
    // A retried EndTxn(commit) from the producer is answered with success.
    assert_eq!(end_txn(&mut c, 3, "wire-f", pid, epoch, true).error_code, 0);
}

fn write_marker(
    c: &mut RawClient,
    pid: i64,
    epoch: i16,
    commit: bool,
    partitions: &[i32],
) -> Vec<i16> {
    use kalfka_protocol::messages::write_txn_markers_request::{
        WritableTxnMarker, WritableTxnMarkerTopic,
    };
    let r: WriteTxnMarkersResponse = c.call(
        1,
        &WriteTxnMarkersRequest {
            markers: vec![WritableTxnMarker {
                producer_id: pid,
                producer_epoch: epoch,
                transaction_result: commit,
                topics: vec![WritableTxnMarkerTopic {
                    name: TOPIC.into(),
                    partition_indexes: partitions.to_vec(),
                }],
                coordinator_epoch: 0,
            }],
        },
    );
    r.markers[0].topics[0]
        .partitions
        .iter()
        .map(|p| p.error_code)
        .collect()
}

/// `Admin.abortTransaction` (WriteTxnMarkers, key 27) aborts a hanging transaction on a
/// partition: read_committed moves past it and sees it as aborted.
#[test]
fn write_txn_markers_aborts_a_hanging_transaction() {
    let dir = tempfile::tempdir().expect("tempdir");
    let broker = TestBroker::start(dir.path());
    let mut c = RawClient::connect(broker.addr);
    c.create_topic(TOPIC, 1, &[]);
    let (_, pid, epoch) = init(&mut c, 4, "wire-hang", 60_000);
    assert_eq!(
        add_partitions(&mut c, 3, "wire-hang", pid, epoch, &[0]),
        vec![0]
    );
    assert_eq!(
        c.produce(TOPIC, txn_batch(pid, epoch, 0, &["hanging"]), -1)
            .0,
        0
    );
    assert_eq!(c.produce(TOPIC, plain_batch("after"), -1).0, 0);
    assert_eq!(
        fetch(&mut c, 1).lso,
        0,
        "the open transaction holds the LSO"
    );

    // An older epoch is refused; an unknown partition is named.
    assert_eq!(
        write_marker(&mut c, pid, epoch - 1, false, &[0, 9]),
        vec![INVALID_PRODUCER_EPOCH, UNKNOWN_TOPIC_OR_PARTITION]
    );
    assert_eq!(fetch(&mut c, 1).lso, 0);

    assert_eq!(write_marker(&mut c, pid, epoch, false, &[0]), vec![0]);
    let f = fetch(&mut c, 1);
    assert_eq!(f.lso, f.hw, "read_committed is no longer blocked");
    assert_eq!(f.aborted, Some(vec![(pid, 0)]));
    assert_eq!(f.values, vec!["hanging", "after"]);
    // Writing it again finds nothing open: nothing more is written.
    let hw = f.hw;
    assert_eq!(write_marker(&mut c, pid, epoch, false, &[0]), vec![0]);
    assert_eq!(fetch(&mut c, 1).hw, hw);
}

/// Transaction version 2 (KIP-890 part 2): a transactional Produce v12 adds its partition to
/// the transaction itself; Produce v11 still needs AddPartitionsToTxn; EndTxn v5 commits and
/// bumps the epoch, and the old epoch is fenced from then on.
#[test]
fn produce_v12_adds_the_partition_to_the_transaction_implicitly() {
    let dir = tempfile::tempdir().expect("tempdir");
    let broker = TestBroker::start(dir.path());
    let mut c = RawClient::connect(broker.addr);
    c.create_topic(TOPIC, 1, &[]);
    let (err, pid, epoch) = init(&mut c, 5, "wire-tv2", 60_000);
    assert_eq!(err, 0);
    let produce = |c: &mut RawClient, version: i16, epoch: i16, seq: i32, value: &str| {
        let mut req =
            common::raw::produce_request(TOPIC, 0, txn_batch(pid, epoch, seq, &[value]), -1);
        req.transactional_id = Some("wire-tv2".into());
        let resp: ProduceResponse = c.call(version, &req);
        resp.responses[0].partition_responses[0].error_code
    };
    assert_eq!(
        produce(&mut c, 11, epoch, 0, "v11"),
        INVALID_TXN_STATE,
        "v11 still needs AddPartitionsToTxn"
    );
    assert_eq!(produce(&mut c, 12, epoch, 0, "first"), 0);
    assert_eq!(fetch(&mut c, 1).lso, 0, "the transaction is open");
    let ended = end_txn(&mut c, 5, "wire-tv2", pid, epoch, true);
    assert_eq!(ended.error_code, 0);
    assert_eq!(ended.producer_epoch, epoch + 1, "EndTxn v5 bumps the epoch");
    let f = fetch(&mut c, 1);
    assert_eq!(f.lso, f.hw);
    assert_eq!(f.values, vec!["first"]);
    // The next transaction at the new epoch; the old epoch is fenced.
    assert_eq!(produce(&mut c, 12, epoch + 1, 0, "second"), 0);
    assert_eq!(
        produce(&mut c, 12, epoch, 1, "zombie"),
        INVALID_PRODUCER_EPOCH
    );
    let ended = end_txn(&mut c, 5, "wire-tv2", pid, epoch + 1, false);
    assert_eq!(ended.error_code, 0);
    let f = fetch(&mut c, 1);
    assert_eq!(f.values, vec!["first", "second"]);
    assert_eq!(
        f.aborted.map(|a| a.len()),
        Some(1),
        "the second one aborted"
    );
}

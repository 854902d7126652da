//! Share groups and transactions at the wire level (`share.isolation.level`, a GROUP
//! config): a read_committed share group is delivered nothing at or past the last stable
//! offset, never a record of an aborted transaction, and no transaction marker; a
//! read_uncommitted group (the default) is delivered everything up to the log end.

mod common;

use bytes::Bytes;
use common::raw::RawClient;
use common::TestBroker;
use kalfka_protocol::messages::add_partitions_to_txn_request::AddPartitionsToTxnTopic;
use kalfka_protocol::messages::incremental_alter_configs_request::{
    AlterConfigsResource, AlterableConfig,
};
use kalfka_protocol::messages::metadata_request::MetadataRequestTopic;
use kalfka_protocol::messages::share_fetch_request::{
    AcknowledgementBatch, FetchPartition, FetchTopic,
};
use kalfka_protocol::messages::*;
use kalfka_protocol::records::{batches, Compression, RecordBatchBuilder};
use kalfka_protocol::Uuid;

const TOPIC: &str = "rc";
const GROUP_RESOURCE: i8 = 32;
const ACCEPT: i8 = 1;

fn topic_id(c: &mut RawClient) -> Uuid {
    let resp: MetadataResponse = c.call(
        12,
        &MetadataRequest {
            topics: Some(vec![MetadataRequestTopic {
                name: Some(TOPIC.into()),
                ..Default::default()
            }]),
            ..Default::default()
        },
    );
    resp.topics[0].topic_id
}

/// Sets GROUP configs; returns the error code.
fn set_group_configs(c: &mut RawClient, group: &str, configs: &[(&str, &str)]) -> i16 {
    let resp: IncrementalAlterConfigsResponse = c.call(
        1,
        &IncrementalAlterConfigsRequest {
            resources: vec![AlterConfigsResource {
                resource_type: GROUP_RESOURCE,
                resource_name: group.into(),
                configs: configs
                    .iter()
                    .map(|(n, v)| AlterableConfig {
                        name: n.to_string(),
                        config_operation: 0,
                        value: Some(v.to_string()),
                    })
                    .collect(),
            }],
            validate_only: false,
        },
    );
    resp.responses[0].error_code
}

/// A transactional producer on partition 0: (producer id, epoch).
fn begin(c: &mut RawClient, txn: &str) -> (i64, i16) {
    let r: InitProducerIdResponse = c.call(
        4,
        &InitProducerIdRequest {
            transactional_id: Some(txn.into()),
            transaction_timeout_ms: 60_000,
            producer_id: -1,
            producer_epoch: -1,
        },
    );
    assert_eq!(r.error_code, 0);
    (r.producer_id, r.producer_epoch)
}

fn add_partition(c: &mut RawClient, txn: &str, pid: i64, epoch: i16) {
    let r: AddPartitionsToTxnResponse = c.call(
        3,
        &AddPartitionsToTxnRequest {
            v3_and_below_transactional_id: txn.into(),
            v3_and_below_producer_id: pid,
            v3_and_below_producer_epoch: epoch,
            v3_and_below_topics: vec![AddPartitionsToTxnTopic {
                name: TOPIC.into(),
                partitions: vec![0],
            }],
            ..Default::default()
        },
    );
    let codes: Vec<i16> = r
        .results_by_topic_v3_and_below
        .iter()
        .flat_map(|t| {
            t.results_by_partition
                .iter()
                .map(|p| p.partition_error_code)
        })
        .collect();
    assert_eq!(codes, vec![0]);
}

fn end_txn(c: &mut RawClient, txn: &str, pid: i64, epoch: i16, commit: bool) {
    let r: EndTxnResponse = c.call(
        3,
        &EndTxnRequest {
            transactional_id: txn.into(),
            producer_id: pid,
            producer_epoch: epoch,
            committed: commit,
        },
    );
    assert_eq!(r.error_code, 0);
}

fn batch(txn: Option<(i64, i16, i32)>, values: &[&str]) -> Bytes {
    let mut b = RecordBatchBuilder::new(Compression::None);
    if let Some((pid, epoch, seq)) = txn {
        b.producer(pid, epoch, seq).transactional(true);
    }
    for v in values {
        b.append(0, None, Some(v.as_bytes()), &[]);
    }
    b.build().expect("batch")
}

/// Writes one transaction of `values` at sequence `seq` and ends it (`None`: left open).
fn transaction(c: &mut RawClient, txn: &str, seq: i32, values: &[&str], end: Option<bool>) {
    let (pid, epoch) = begin(c, txn);
    add_partition(c, txn, pid, epoch);
    assert_eq!(
        c.produce(TOPIC, batch(Some((pid, epoch, seq)), values), -1)
            .0,
        0
    );
    if let Some(commit) = end {
        end_txn(c, txn, pid, epoch, commit);
    }
}

fn join(c: &mut RawClient, group: &str, member: &str) {
    let resp: ShareGroupHeartbeatResponse = c.call(
        1,
        &ShareGroupHeartbeatRequest {
            group_id: group.into(),
            member_id: member.into(),
            member_epoch: 0,
            rack_id: None,
            subscribed_topic_names: Some(vec![TOPIC.into()]),
        },
    );
    assert_eq!(resp.error_code, 0, "{:?}", resp.error_message);
}

/// One ShareFetch of partition 0, accepting `ack` (first, last) on the way.
fn share_fetch(
    c: &mut RawClient,
    group: &str,
    epoch: i32,
    tid: Uuid,
    ack: Option<(i64, i64)>,
) -> ShareFetchResponse {
    let resp: ShareFetchResponse = c.call(
        1,
        &ShareFetchRequest {
            group_id: Some(group.into()),
            member_id: Some("m".into()),
            share_session_epoch: epoch,
            max_wait_ms: 300,
            min_bytes: 1,
            max_bytes: 1 << 20,
            max_records: 500,
            batch_size: 500,
            topics: vec![FetchTopic {
                topic_id: tid,
                partitions: vec![FetchPartition {
                    partition_index: 0,
                    acknowledgement_batches: ack
                        .map(|(first, last)| AcknowledgementBatch {
                            first_offset: first,
                            last_offset: last,
                            acknowledge_types: vec![ACCEPT],
                        })
                        .into_iter()
                        .collect(),
                    ..Default::default()
                }],
            }],
            ..Default::default()
        },
    );
    assert_eq!(resp.error_code, 0, "{:?}", resp.error_message);
    resp
}

/// What a member sees of a response: the values of the records it acquired, by offset.
fn delivered(resp: &ShareFetchResponse) -> Vec<(i64, String)> {
    let mut out = Vec::new();
    for p in resp.responses.iter().flat_map(|t| &t.partitions) {
        assert_eq!(p.acknowledge_error_code, 0);
        let mine = |o: i64| {
            p.acquired_records
                .iter()
                .any(|r| (r.first_offset..=r.last_offset).contains(&o))
        };
        let data = p.records.clone().unwrap_or_default();
        for b in batches(data) {
            let b = b.expect("batch");
            if b.header().is_control() {
                continue;
            }
            for r in b.records().expect("records") {
                let offset = b.header().base_offset + i64::from(r.offset_delta);
                if mine(offset) {
                    let v = r.value.as_deref().unwrap_or_default();
                    out.push((offset, String::from_utf8_lossy(v).into_owned()));
                }
            }
        }
    }
    out
}

/// The acquired offsets of a response.
fn acquired_offsets(resp: &ShareFetchResponse) -> Vec<i64> {
    resp.responses
        .iter()
        .flat_map(|t| &t.partitions)
        .flat_map(|p| &p.acquired_records)
        .flat_map(|r| r.first_offset..=r.last_offset)
        .collect()
}

#[test]
fn read_committed_share_groups_see_committed_records_only() {
    let dir = tempfile::tempdir().expect("tempdir");
    let broker = TestBroker::start(dir.path());
    let mut c = RawClient::connect(broker.addr);
    c.create_topic(TOPIC, 1, &[]);
    let tid = topic_id(&mut c);
    assert_eq!(
        set_group_configs(&mut c, "rc", &[("share.isolation.level", "Committed")]),
        kalfka_protocol::error_code::ErrorCode::InvalidConfig.code()
    );
    for g in ["rc", "ru"] {
        let level = if g == "rc" {
            "read_committed"
        } else {
            "read_uncommitted"
        };
        let configs = [
            ("share.auto.offset.reset", "earliest"),
            ("share.isolation.level", level),
        ];
        assert_eq!(set_group_configs(&mut c, g, &configs), 0);
    }

    // 0-1 committed (marker 2), 3-4 aborted (marker 5), 6 plain, 7 open, 8 plain.
    transaction(&mut c, "t-commit", 0, &["c1", "c2"], Some(true));
    transaction(&mut c, "t-abort", 0, &["a1", "a2"], Some(false));
    assert_eq!(c.produce(TOPIC, batch(None, &["p1"]), -1), (0, 6));
    let (pid, epoch) = begin(&mut c, "t-open");
    add_partition(&mut c, "t-open", pid, epoch);
    assert_eq!(
        c.produce(TOPIC, batch(Some((pid, epoch, 0)), &["o1"]), -1),
        (0, 7)
    );
    assert_eq!(c.produce(TOPIC, batch(None, &["p2"]), -1), (0, 8));

    // read_committed: up to the last stable offset (7), without the aborted records and
    // the markers, which are archived: the window's start moves past them once 6 is done.
    join(&mut c, "rc", "m");
    let first = share_fetch(&mut c, "rc", 0, tid, None);
    assert_eq!(
        delivered(&first),
        vec![(0, "c1".into()), (1, "c2".into()), (6, "p1".into())]
    );
    assert_eq!(acquired_offsets(&first), vec![0, 1, 6]);
    let nothing = share_fetch(&mut c, "rc", 1, tid, Some((0, 1)));
    assert!(acquired_offsets(&nothing).is_empty());
    let nothing = share_fetch(&mut c, "rc", 2, tid, Some((6, 6)));
    assert!(acquired_offsets(&nothing).is_empty());

    // The open transaction commits (marker 9): 7 and 8 are delivered, not the marker.
    end_txn(&mut c, "t-open", pid, epoch, true);
    let rest = share_fetch(&mut c, "rc", 3, tid, None);
    assert_eq!(delivered(&rest), vec![(7, "o1".into()), (8, "p2".into())]);
    assert_eq!(acquired_offsets(&rest), vec![7, 8]);
    let done = share_fetch(&mut c, "rc", 4, tid, Some((7, 8)));
    assert!(acquired_offsets(&done).is_empty());

    // read_uncommitted is unchanged: every data record, the aborted ones too.
    join(&mut c, "ru", "m");
    let all = share_fetch(&mut c, "ru", 0, tid, None);
    let values: Vec<String> = delivered(&all).into_iter().map(|(_, v)| v).collect();
    assert_eq!(values, vec!["c1", "c2", "a1", "a2", "p1", "o1", "p2"]);
}

//! Share groups (KIP-932) at the wire level: bad acknowledgements and session epochs get
//! Kafka's errors and change nothing; lock expiry redelivers; a restart loses no
//! acknowledgement and redelivers everything else.

mod common;

use bytes::Bytes;
use common::raw::RawClient;
use common::TestBroker;
use kalfka::config::BrokerConfig;
use kalfka_protocol::error_code::ErrorCode;
use kalfka_protocol::messages::metadata_request::MetadataRequestTopic;
use kalfka_protocol::messages::share_acknowledge_request::{
    AcknowledgePartition, AcknowledgeTopic, AcknowledgementBatch as AckBatch,
};
use kalfka_protocol::messages::share_fetch_request::{
    AcknowledgementBatch, FetchPartition, FetchTopic,
};
use kalfka_protocol::messages::{
    ListGroupsRequest, ListGroupsResponse, MetadataRequest, MetadataResponse,
    ShareAcknowledgeRequest, ShareAcknowledgeResponse, ShareFetchRequest, ShareFetchResponse,
    ShareGroupHeartbeatRequest, ShareGroupHeartbeatResponse,
};
use kalfka_protocol::records::{Compression, RecordBatchBuilder};
use kalfka_protocol::Uuid;

const ACCEPT: i8 = 1;
const RELEASE: i8 = 2;
const REJECT: i8 = 3;

fn start(dir: &std::path::Path, lock_ms: u64) -> TestBroker {
    let mut config = BrokerConfig::for_tests(dir);
    config.group_share_record_lock_duration_ms = lock_ms;
    TestBroker::start_with(config)
}

fn topic_id(c: &mut RawClient, topic: &str) -> Uuid {
    let resp: MetadataResponse = c.call(
        12,
        &MetadataRequest {
            topics: Some(vec![MetadataRequestTopic {
                name: Some(topic.into()),
                ..Default::default()
            }]),
            ..Default::default()
        },
    );
    resp.topics[0].topic_id
}

fn produce(c: &mut RawClient, topic: &str, n: usize) {
    let mut b = RecordBatchBuilder::new(Compression::None);
    for i in 0..n {
        b.append(0, None, Some(format!("v{i}").as_bytes()), &[]);
    }
    assert_eq!(c.produce(topic, b.build().expect("batch"), -1).0, 0);
}

fn join(c: &mut RawClient, group: &str, member: &str, topic: &str) -> i32 {
    let resp: ShareGroupHeartbeatResponse = c.call(
        1,
        &ShareGroupHeartbeatRequest {
            group_id: group.into(),
            member_id: member.into(),
            member_epoch: 0,
            rack_id: None,
            subscribed_topic_names: Some(vec![topic.into()]),
        },
    );
    assert_eq!(resp.error_code, 0, "{:?}", resp.error_message);
    let a = resp.assignment.expect("assignment on join");
    assert_eq!(a.topic_partitions[0].partitions, vec![0]);
    resp.member_epoch
}

fn fetch(
    c: &mut RawClient,
    member: &str,
    epoch: i32,
    tid: Uuid,
    acks: Vec<AcknowledgementBatch>,
    wait_ms: i32,
) -> ShareFetchResponse {
    c.call(
        1,
        &ShareFetchRequest {
            group_id: Some("g".into()),
            member_id: Some(member.into()),
            share_session_epoch: epoch,
            max_wait_ms: wait_ms,
            min_bytes: 1,
            max_bytes: 1 << 20,
            max_records: 500,
            batch_size: 500,
            topics: vec![FetchTopic {
                topic_id: tid,
                partitions: vec![FetchPartition {
                    partition_index: 0,
                    acknowledgement_batches: acks,
                    ..Default::default()
                }],
            }],
            ..Default::default()
        },
    )
}

fn acknowledge(
    c: &mut RawClient,
    member: &str,
    epoch: i32,
    tid: Uuid,
    first: i64,
    last: i64,
    types: Vec<i8>,
) -> ShareAcknowledgeResponse {
    c.call(
        1,
        &ShareAcknowledgeRequest {
            group_id: Some("g".into()),
            member_id: Some(member.into()),
            share_session_epoch: epoch,
            topics: vec![AcknowledgeTopic {
                topic_id: tid,
                partitions: vec![AcknowledgePartition {
                    partition_index: 0,
                    acknowledgement_batches: vec![AckBatch {
                        first_offset: first,
                        last_offset: last,
                        acknowledge_types: types,
                    }],
                }],
            }],
            ..Default::default()
        },
    )
}

/// (first, last, delivery count) of every acquired range of the response.
fn acquired(resp: &ShareFetchResponse) -> Vec<(i64, i64, i16)> {
    assert_eq!(resp.error_code, 0, "{:?}", resp.error_message);
    resp.responses
        .iter()
        .flat_map(|t| &t.partitions)
        .flat_map(|p| &p.acquired_records)
        .map(|r| (r.first_offset, r.last_offset, r.delivery_count))
        .collect()
}

fn ack_error(resp: &ShareAcknowledgeResponse) -> i16 {
    assert_eq!(resp.error_code, 0, "{:?}", resp.error_message);
    resp.responses[0].partitions[0].error_code
}

#[test]
fn bad_acknowledgements_and_session_epochs_get_kafkas_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let broker = start(dir.path(), 30_000);
    let mut c = RawClient::connect(broker.addr);
    c.create_topic("s", 1, &[]);
    let tid = topic_id(&mut c, "s");
    join(&mut c, "g", "m1", "s");
    join(&mut c, "g", "m2", "s");
    // Epoch 0 opens the session and starts the partition at its end (latest).
    assert!(acquired(&fetch(&mut c, "m1", 0, tid, vec![], 0)).is_empty());
    produce(&mut c, "s", 3);
    let got = fetch(&mut c, "m1", 1, tid, vec![], 5000);
    assert_eq!(acquired(&got), vec![(0, 2, 1)]);
    let records = got.responses[0].partitions[0].records.as_ref();
    assert!(records.is_some_and(|r: &Bytes| !r.is_empty()));

    // Stale and unknown sessions.
    let stale = fetch(&mut c, "m1", 1, tid, vec![], 0);
    assert_eq!(stale.error_code, ErrorCode::InvalidShareSessionEpoch.code());
    let none = fetch(&mut c, "m2", 5, tid, vec![], 0);
    assert_eq!(none.error_code, ErrorCode::ShareSessionNotFound.code());
    let zero = acknowledge(&mut c, "m1", 0, tid, 0, 0, vec![ACCEPT]);
    assert_eq!(zero.error_code, ErrorCode::InvalidShareSessionEpoch.code());
    let with_acks = fetch(
        &mut c,
        "m2",
        0,
        tid,
        vec![AcknowledgementBatch {
            first_offset: 0,
            last_offset: 0,
            acknowledge_types: vec![ACCEPT],
        }],
        0,
    );
    assert_eq!(with_acks.error_code, ErrorCode::InvalidRequest.code());

    // Offsets outside the in-flight window, records of another member, unknown types.
    let outside = acknowledge(&mut c, "m1", 2, tid, 5, 7, vec![ACCEPT]);
    assert_eq!(ack_error(&outside), ErrorCode::InvalidRecordState.code());
    assert!(acquired(&fetch(&mut c, "m2", 0, tid, vec![], 0)).is_empty());
    let not_mine = acknowledge(&mut c, "m2", 1, tid, 0, 0, vec![ACCEPT]);
    assert_eq!(ack_error(&not_mine), ErrorCode::InvalidRecordState.code());
    let bad_type = acknowledge(&mut c, "m1", 3, tid, 0, 0, vec![9]);
    assert_eq!(ack_error(&bad_type), ErrorCode::InvalidRequest.code());

    // Nothing changed: m1 still holds 0..=2 and settles them; the released one goes to m2.
    let ok = acknowledge(&mut c, "m1", 4, tid, 0, 2, vec![ACCEPT, RELEASE, REJECT]);
    assert_eq!(ack_error(&ok), 0);
    assert_eq!(
        acquired(&fetch(&mut c, "m2", 2, tid, vec![], 5000)),
        vec![(1, 1, 2)]
    );
    let twice = acknowledge(&mut c, "m1", 5, tid, 0, 0, vec![ACCEPT]);
    assert_eq!(ack_error(&twice), ErrorCode::InvalidRecordState.code());

    let listed: ListGroupsResponse = c.call(
        5,
        &ListGroupsRequest {
            types_filter: vec!["share".into()],
            ..Default::default()
        },
    );
    let g: Vec<_> = listed
        .groups
        .iter()
        .map(|g| {
            (
                g.group_id.as_str(),
                g.group_type.as_str(),
                g.group_state.as_str(),
            )
        })
        .collect();
    assert_eq!(g, vec![("g", "share", "Stable")]);
}

#[test]
fn an_expired_lock_gives_the_records_to_another_member() {
    let dir = tempfile::tempdir().expect("tempdir");
    let broker = start(dir.path(), 300);
    let mut c = RawClient::connect(broker.addr);
    c.create_topic("s", 1, &[]);
    let tid = topic_id(&mut c, "s");
    join(&mut c, "g", "m1", "s");
    join(&mut c, "g", "m2", "s");
    fetch(&mut c, "m1", 0, tid, vec![], 0);
    fetch(&mut c, "m2", 0, tid, vec![], 0);
    produce(&mut c, "s", 2);
    assert_eq!(
        acquired(&fetch(&mut c, "m1", 1, tid, vec![], 5000)),
        vec![(0, 1, 1)]
    );
    // m1 never acknowledges: after the lock duration m2 gets the records.
    assert_eq!(
        acquired(&fetch(&mut c, "m2", 1, tid, vec![], 5000)),
        vec![(0, 1, 2)]
    );
    let late = acknowledge(&mut c, "m1", 2, tid, 0, 1, vec![ACCEPT]);
    assert_eq!(ack_error(&late), ErrorCode::InvalidRecordState.code());
}

/// Start offset and lag of partition 0 of group "g", as DescribeShareGroupOffsets shows them.
fn described_offsets(c: &mut RawClient) -> Vec<(i64, i64)> {
    use kalfka_protocol::messages::describe_share_group_offsets_request::DescribeShareGroupOffsetsRequestGroup;
    use kalfka_protocol::messages::{
        DescribeShareGroupOffsetsRequest, DescribeShareGroupOffsetsResponse,
    };
    let r: DescribeShareGroupOffsetsResponse = c.call(
        1,
        &DescribeShareGroupOffsetsRequest {
            groups: vec![DescribeShareGroupOffsetsRequestGroup {
                group_id: "g".into(),
                topics: None,
            }],
        },
    );
    r.groups[0]
        .topics
        .iter()
        .flat_map(|t| &t.partitions)
        .map(|p| (p.start_offset, p.lag))
        .collect()
}

#[test]
fn locks_expire_on_a_timer_without_any_fetch() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut config = BrokerConfig::for_tests(dir.path());
    config.group_share_record_lock_duration_ms = 300;
    config.group_share_delivery_count_limit = 1;
    let broker = TestBroker::start_with(config);
    let mut c = RawClient::connect(broker.addr);
    c.create_topic("s", 1, &[]);
    let tid = topic_id(&mut c, "s");
    join(&mut c, "g", "m1", "s");
    fetch(&mut c, "m1", 0, tid, vec![], 0);
    produce(&mut c, "s", 3);
    assert_eq!(
        acquired(&fetch(&mut c, "m1", 1, tid, vec![], 5000)),
        vec![(0, 2, 1)]
    );
    assert_eq!(described_offsets(&mut c), vec![(0, 3)]);
    // Nobody fetches again: the expired locks of records out of delivery attempts archive
    // them on the broker's own timer, and the start offset moves past them.
    let started = std::time::Instant::now();
    let mut seen = described_offsets(&mut c);
    while seen != vec![(3, 0)] && started.elapsed() < std::time::Duration::from_secs(5) {
        std::thread::sleep(std::time::Duration::from_millis(50));
        seen = described_offsets(&mut c);
    }
    assert_eq!(
        seen,
        vec![(3, 0)],
        "start offset and lag after the lock expired"
    );
    assert!(started.elapsed() >= std::time::Duration::from_millis(200));
}

#[test]
fn a_restart_loses_no_acknowledgement_and_redelivers_the_rest() {
    let dir = tempfile::tempdir().expect("tempdir");
    let tid;
    {
        let broker = start(dir.path(), 30_000);
        let mut c = RawClient::connect(broker.addr);
        c.create_topic("s", 1, &[]);
        tid = topic_id(&mut c, "s");
        join(&mut c, "g", "m1", "s");
        fetch(&mut c, "m1", 0, tid, vec![], 0);
        produce(&mut c, "s", 6);
        assert_eq!(
            acquired(&fetch(&mut c, "m1", 1, tid, vec![], 5000)),
            vec![(0, 5, 1)]
        );
        let acked = acknowledge(
            &mut c,
            "m1",
            2,
            tid,
            0,
            3,
            vec![ACCEPT, REJECT, ACCEPT, RELEASE],
        );
        assert_eq!(ack_error(&acked), 0);
        broker.stop();
    }
    let broker = start(dir.path(), 30_000);
    let mut c = RawClient::connect(broker.addr);
    join(&mut c, "g", "m9", "s");
    // 0..=2 are done; 3 was released; 4 and 5 were held by m1 when the broker stopped.
    assert_eq!(
        acquired(&fetch(&mut c, "m9", 0, tid, vec![], 5000)),
        vec![(3, 5, 2)]
    );
}

#[test]
fn kill_9_loses_no_acknowledgement_piggybacked_on_share_fetch() {
    use common::process::BrokerProcess;
    let dir = tempfile::tempdir().expect("tempdir");
    let mut broker = BrokerProcess::start(dir.path(), &[], None);
    let mut c = RawClient::connect(broker.addr);
    c.create_topic("s", 1, &[]);
    let tid = topic_id(&mut c, "s");
    join(&mut c, "g", "m1", "s");
    fetch(&mut c, "m1", 0, tid, vec![], 0);
    produce(&mut c, "s", 6);
    assert_eq!(
        acquired(&fetch(&mut c, "m1", 1, tid, vec![], 5000)),
        vec![(0, 5, 1)]
    );
    // Acknowledged with the next fetch: answered means fsynced.
    let acks = vec![AcknowledgementBatch {
        first_offset: 0,
        last_offset: 3,
        acknowledge_types: vec![ACCEPT, REJECT, ACCEPT, RELEASE],
    }];
    let answered = fetch(&mut c, "m1", 2, tid, acks, 0);
    let p = &answered.responses[0].partitions[0];
    assert_eq!(
        p.acknowledge_error_code, 0,
        "{:?}",
        p.acknowledge_error_message
    );
    assert_eq!(
        acquired(&answered),
        vec![(3, 3, 2)],
        "the released record comes back"
    );
    broker.kill();
    let broker = BrokerProcess::start(dir.path(), &[], None);
    let mut c = RawClient::connect(broker.addr);
    join(&mut c, "g", "m9", "s");
    // 0..=2 are done. Acquisitions are not written (as in Kafka), so record 3's second
    // delivery is not counted: like 4 and 5 it comes back with delivery count 2.
    assert_eq!(
        acquired(&fetch(&mut c, "m9", 0, tid, vec![], 5000)),
        vec![(3, 5, 2)]
    );
}

#[test]
fn group_configs_offsets_admin_and_delete_groups_survive_a_restart() {
    use kalfka_protocol::messages::alter_share_group_offsets_request::{
        AlterShareGroupOffsetsRequestPartition, AlterShareGroupOffsetsRequestTopic,
    };
    use kalfka_protocol::messages::describe_share_group_offsets_request::DescribeShareGroupOffsetsRequestGroup;
    use kalfka_protocol::messages::incremental_alter_configs_request::{
        AlterConfigsResource, AlterableConfig,
    };
    use kalfka_protocol::messages::{
        AlterShareGroupOffsetsRequest, AlterShareGroupOffsetsResponse, DeleteGroupsRequest,
        DeleteGroupsResponse, DescribeShareGroupOffsetsRequest, DescribeShareGroupOffsetsResponse,
        IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponse,
    };
    let describe = |c: &mut RawClient| -> Vec<(i32, i64, i64)> {
        let r: DescribeShareGroupOffsetsResponse = c.call(
            1,
            &DescribeShareGroupOffsetsRequest {
                groups: vec![DescribeShareGroupOffsetsRequestGroup {
                    group_id: "g".into(),
                    topics: None,
                }],
            },
        );
        r.groups[0]
            .topics
            .iter()
            .flat_map(|t| &t.partitions)
            .map(|p| (p.partition_index, p.start_offset, p.lag))
            .collect()
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let tid;
    {
        let broker = start(dir.path(), 30_000);
        let mut c = RawClient::connect(broker.addr);
        c.create_topic("s", 1, &[]);
        tid = topic_id(&mut c, "s");
        produce(&mut c, "s", 5);
        let set: IncrementalAlterConfigsResponse = c.call(
            1,
            &IncrementalAlterConfigsRequest {
                resources: vec![AlterConfigsResource {
                    resource_type: 32,
                    resource_name: "g".into(),
                    configs: vec![AlterableConfig {
                        name: "share.auto.offset.reset".into(),
                        config_operation: 0,
                        value: Some("earliest".into()),
                    }],
                }],
                validate_only: false,
            },
        );
        assert_eq!(set.responses[0].error_code, 0);
        let altered: AlterShareGroupOffsetsResponse = c.call(
            0,
            &AlterShareGroupOffsetsRequest {
                group_id: "g".into(),
                topics: vec![AlterShareGroupOffsetsRequestTopic {
                    topic_name: "s".into(),
                    partitions: vec![AlterShareGroupOffsetsRequestPartition {
                        partition_index: 0,
                        start_offset: 2,
                    }],
                }],
            },
        );
        assert_eq!(altered.error_code, 0);
        assert_eq!(describe(&mut c), vec![(0, 2, 3)]);
        broker.stop();
    }
    let broker = start(dir.path(), 30_000);
    let mut c = RawClient::connect(broker.addr);
    assert_eq!(
        describe(&mut c),
        vec![(0, 2, 3)],
        "offsets survive a restart"
    );
    join(&mut c, "g", "m1", "s");
    assert_eq!(
        acquired(&fetch(&mut c, "m1", 0, tid, vec![], 5000)),
        vec![(2, 4, 1)]
    );
    let delete = |c: &mut RawClient| -> i16 {
        let r: DeleteGroupsResponse = c.call(
            2,
            &DeleteGroupsRequest {
                groups_names: vec!["g".into()],
            },
        );
        r.results[0].error_code
    };
    assert_eq!(delete(&mut c), ErrorCode::NonEmptyGroup.code());
    let left: ShareGroupHeartbeatResponse = c.call(
        1,
        &ShareGroupHeartbeatRequest {
            group_id: "g".into(),
            member_id: "m1".into(),
            member_epoch: -1,
            ..Default::default()
        },
    );
    assert_eq!(left.error_code, 0);
    assert_eq!(delete(&mut c), 0);
    assert!(
        describe(&mut c).is_empty(),
        "no share state after DeleteGroups"
    );
    broker.stop();
    // Deleted for good; the group config (earliest) stays, as in Kafka.
    let broker = start(dir.path(), 30_000);
    let mut c = RawClient::connect(broker.addr);
    assert!(describe(&mut c).is_empty());
    join(&mut c, "g", "m2", "s");
    assert_eq!(
        acquired(&fetch(&mut c, "m2", 0, tid, vec![], 5000)),
        vec![(0, 4, 1)]
    );
}

#[test]
fn leaving_ends_the_session_and_deleting_the_topic_drops_its_share_state() {
    use kalfka_protocol::messages::describe_share_group_offsets_request::DescribeShareGroupOffsetsRequestGroup;
    use kalfka_protocol::messages::{
        DeleteTopicsRequest, DeleteTopicsResponse, DescribeShareGroupOffsetsRequest,
        DescribeShareGroupOffsetsResponse,
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let broker = start(dir.path(), 30_000);
    let mut c = RawClient::connect(broker.addr);
    c.create_topic("s", 1, &[]);
    let tid = topic_id(&mut c, "s");
    join(&mut c, "g", "m1", "s");
    fetch(&mut c, "m1", 0, tid, vec![], 0);
    produce(&mut c, "s", 2);
    assert_eq!(
        acquired(&fetch(&mut c, "m1", 1, tid, vec![], 5000)),
        vec![(0, 1, 1)]
    );
    let left: ShareGroupHeartbeatResponse = c.call(
        1,
        &ShareGroupHeartbeatRequest {
            group_id: "g".into(),
            member_id: "m1".into(),
            member_epoch: -1,
            ..Default::default()
        },
    );
    assert_eq!(left.error_code, 0);
    let gone = fetch(&mut c, "m1", 2, tid, vec![], 0);
    assert_eq!(gone.error_code, ErrorCode::ShareSessionNotFound.code());
    // Its records were given back.
    join(&mut c, "g", "m2", "s");
    assert_eq!(
        acquired(&fetch(&mut c, "m2", 0, tid, vec![], 5000)),
        vec![(0, 1, 2)]
    );

    let deleted: DeleteTopicsResponse = c.call(
        5,
        &DeleteTopicsRequest {
            topic_names: vec!["s".into()],
            timeout_ms: 5000,
            ..Default::default()
        },
    );
    assert_eq!(deleted.responses[0].error_code, 0);
    let described: DescribeShareGroupOffsetsResponse = c.call(
        1,
        &DescribeShareGroupOffsetsRequest {
            groups: vec![DescribeShareGroupOffsetsRequestGroup {
                group_id: "g".into(),
                topics: None,
            }],
        },
    );
    assert!(described.groups[0].topics.is_empty());
    drop(c);
    broker.stop();
    let (_, loaded) =
        kalfka::groups::share::store::ShareStore::open(Some(dir.path())).expect("share state");
    assert!(loaded.partitions.is_empty(), "{:?}", loaded.partitions);
}

#[test]
fn a_full_share_session_cache_answers_share_session_limit_reached() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut config = BrokerConfig::for_tests(dir.path());
    config.group_share_max_share_sessions = 1;
    let broker = TestBroker::start_with(config);
    let mut c = RawClient::connect(broker.addr);
    c.create_topic("s", 1, &[]);
    let tid = topic_id(&mut c, "s");
    join(&mut c, "g", "m1", "s");
    join(&mut c, "g", "m2", "s");
    assert_eq!(fetch(&mut c, "m1", 0, tid, vec![], 0).error_code, 0);
    let full = fetch(&mut c, "m2", 0, tid, vec![], 0);
    assert_eq!(full.error_code, ErrorCode::ShareSessionLimitReached.code());
    assert!(full.responses.is_empty());
    // m1 re-opening its own session takes no second place; once it closes, m2 gets one.
    assert_eq!(fetch(&mut c, "m1", 0, tid, vec![], 0).error_code, 0);
    assert_eq!(fetch(&mut c, "m1", -1, tid, vec![], 0).error_code, 0);
    assert_eq!(fetch(&mut c, "m2", 0, tid, vec![], 0).error_code, 0);
}

/// IncrementalAlterConfigs SET of one config of GROUP "g"; returns the error code.
fn set_group_config(c: &mut RawClient, name: &str, value: &str) -> i16 {
    use kalfka_protocol::messages::incremental_alter_configs_request::{
        AlterConfigsResource, AlterableConfig,
    };
    use kalfka_protocol::messages::{
        IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponse,
    };
    let r: IncrementalAlterConfigsResponse = c.call(
        1,
        &IncrementalAlterConfigsRequest {
            resources: vec![AlterConfigsResource {
                resource_type: 32,
                resource_name: "g".into(),
                configs: vec![AlterableConfig {
                    name: name.into(),
                    config_operation: 0,
                    value: Some(value.into()),
                }],
            }],
            validate_only: false,
        },
    );
    r.responses[0].error_code
}

#[test]
fn auto_offset_reset_by_duration_starts_at_the_first_record_that_recent() {
    let dir = tempfile::tempdir().expect("tempdir");
    let broker = start(dir.path(), 30_000);
    let mut c = RawClient::connect(broker.addr);
    c.create_topic("s", 1, &[]);
    let tid = topic_id(&mut c, "s");
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_millis() as i64;
    for (age_ms, n) in [(2 * 3_600_000, 3), (60_000, 2)] {
        let mut b = RecordBatchBuilder::new(Compression::None);
        for i in 0..n {
            b.append(now_ms - age_ms, None, Some(format!("v{i}").as_bytes()), &[]);
        }
        assert_eq!(c.produce("s", b.build().expect("batch"), -1).0, 0);
    }
    let reset = "share.auto.offset.reset";
    for bad in [
        "by_duration:-PT1H",
        "by_duration:P1W",
        "by_duration:",
        "LATEST",
    ] {
        assert_eq!(
            set_group_config(&mut c, reset, bad),
            ErrorCode::InvalidConfig.code(),
            "{bad}"
        );
    }
    assert_eq!(set_group_config(&mut c, reset, "by_duration:PT1H"), 0);
    join(&mut c, "g", "m1", "s");
    // The two records of the last hour, not the three of two hours ago.
    assert_eq!(
        acquired(&fetch(&mut c, "m1", 0, tid, vec![], 2000)),
        vec![(3, 4, 1)]
    );
}

/// MaxRecords is met in whole batches by default (ShareAcquireMode 0, and every v1 request,
/// as Kafka's batch-optimized acquisition), exactly in record-limit mode (1); a response
/// carries only the batches holding what it acquired.
#[test]
fn max_records_rounds_up_to_whole_batches_unless_record_limit() {
    let dir = tempfile::tempdir().expect("tempdir");
    let broker = start(dir.path(), 30_000);
    let mut c = RawClient::connect(broker.addr);
    c.create_topic("s", 1, &[]);
    let tid = topic_id(&mut c, "s");
    join(&mut c, "g", "m1", "s");
    join(&mut c, "g", "m2", "s");
    fetch(&mut c, "m1", 0, tid, vec![], 0);
    fetch(&mut c, "m2", 0, tid, vec![], 0);
    for _ in 0..3 {
        produce(&mut c, "s", 10);
    }
    let fetch3 = |c: &mut RawClient, member: &str, version: i16, mode: i8| -> ShareFetchResponse {
        c.call(
            version,
            &ShareFetchRequest {
                group_id: Some("g".into()),
                member_id: Some(member.into()),
                share_session_epoch: 1,
                max_wait_ms: 5000,
                min_bytes: 1,
                max_bytes: 1 << 20,
                max_records: 3,
                batch_size: 3,
                share_acquire_mode: mode,
                topics: vec![FetchTopic {
                    topic_id: tid,
                    partitions: vec![FetchPartition {
                        partition_index: 0,
                        ..Default::default()
                    }],
                }],
                ..Default::default()
            },
        )
    };
    let whole = fetch3(&mut c, "m1", 1, 0);
    let got = acquired(&whole);
    assert_eq!(got.iter().map(|r| r.1).max(), Some(9), "{got:?}");
    assert_eq!(got.first().map(|r| r.0), Some(0), "{got:?}");
    let records = whole.responses[0].partitions[0]
        .records
        .clone()
        .expect("records");
    let only_first = kalfka_protocol::records::RecordBatchHeader::parse(&records)
        .expect("batch")
        .total_size();
    assert_eq!(records.len(), only_first, "only the batch acquired is sent");
    let exact = fetch3(&mut c, "m2", 2, 1);
    assert_eq!(acquired(&exact), vec![(10, 12, 1)]);
}

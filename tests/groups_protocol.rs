//! Consumer group APIs at the wire level: exact error codes and response shapes.

mod common;

use std::time::{Duration, Instant};

use bytes::Bytes;
use common::raw::RawClient;
use common::TestBroker;
use kalfka::config::BrokerConfig;
use kalfka_protocol::error_code::ErrorCode;
use kalfka_protocol::messages::join_group_request::JoinGroupRequestProtocol;
use kalfka_protocol::messages::leave_group_request::MemberIdentity;
use kalfka_protocol::messages::offset_commit_request::{
    OffsetCommitRequestPartition, OffsetCommitRequestTopic,
};
use kalfka_protocol::messages::offset_fetch_request::{
    OffsetFetchRequestGroup, OffsetFetchRequestTopic, OffsetFetchRequestTopics,
};
use kalfka_protocol::messages::{
    DeleteGroupsRequest, DeleteGroupsResponse, FindCoordinatorRequest, FindCoordinatorResponse,
    HeartbeatRequest, HeartbeatResponse, JoinGroupRequest, JoinGroupResponse, LeaveGroupRequest,
    LeaveGroupResponse, ListGroupsRequest, ListGroupsResponse, OffsetCommitRequest,
    OffsetCommitResponse, OffsetFetchRequest, OffsetFetchResponse, SyncGroupRequest,
    SyncGroupResponse,
};

const JOIN_V: i16 = 9;

fn code(e: ErrorCode) -> i16 {
    e.code()
}

fn join_req(group: &str, member: &str, instance: Option<&str>, session: i32) -> JoinGroupRequest {
    JoinGroupRequest {
        group_id: group.into(),
        session_timeout_ms: session,
        rebalance_timeout_ms: 10_000,
        member_id: member.into(),
        group_instance_id: instance.map(Into::into),
        protocol_type: "consumer".into(),
        protocols: vec![JoinGroupRequestProtocol {
            name: "range".into(),
            metadata: Bytes::from_static(b"\x00\x00"),
        }],
        reason: None,
    }
}

fn join(c: &mut RawClient, req: &JoinGroupRequest) -> JoinGroupResponse {
    c.call::<JoinGroupRequest, JoinGroupResponse>(JOIN_V, req)
}

/// A dynamic member through MEMBER_ID_REQUIRED, joined and synced alone: (member id, generation).
fn stable_member(c: &mut RawClient, group: &str) -> (String, i32) {
    let first = join(c, &join_req(group, "", None, 10_000));
    assert_eq!(first.error_code, code(ErrorCode::MemberIdRequired));
    assert!(!first.member_id.is_empty());
    let joined = join(c, &join_req(group, &first.member_id, None, 10_000));
    assert_eq!(joined.error_code, 0);
    assert_eq!(joined.leader, first.member_id);
    let synced: SyncGroupResponse = c.call(
        5,
        &SyncGroupRequest {
            group_id: group.into(),
            generation_id: joined.generation_id,
            member_id: joined.member_id.clone(),
            protocol_type: Some("consumer".into()),
            protocol_name: Some("range".into()),
            ..SyncGroupRequest::default()
        },
    );
    assert_eq!(synced.error_code, 0);
    (joined.member_id, joined.generation_id)
}

fn heartbeat(c: &mut RawClient, group: &str, member: &str, generation: i32) -> i16 {
    let r: HeartbeatResponse = c.call(
        4,
        &HeartbeatRequest {
            group_id: group.into(),
            generation_id: generation,
            member_id: member.into(),
            group_instance_id: None,
        },
    );
    r.error_code
}

#[test]
fn find_coordinator_v0_and_v4_shapes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let broker = TestBroker::start(dir.path());
    let mut c = RawClient::connect(broker.addr);
    let v0: FindCoordinatorResponse = c.call(
        0,
        &FindCoordinatorRequest {
            key: "g".into(),
            ..FindCoordinatorRequest::default()
        },
    );
    assert_eq!(v0.error_code, 0);
    assert_eq!(v0.node_id, 0);
    assert_eq!(v0.port, i32::from(broker.addr.port()));
    let v4: FindCoordinatorResponse = c.call(
        4,
        &FindCoordinatorRequest {
            key_type: 0,
            coordinator_keys: vec!["a".into(), "b".into()],
            ..FindCoordinatorRequest::default()
        },
    );
    let keys: Vec<&str> = v4.coordinators.iter().map(|k| k.key.as_str()).collect();
    assert_eq!(keys, ["a", "b"]);
    assert!(v4
        .coordinators
        .iter()
        .all(|k| k.error_code == 0 && k.node_id == 0));
}

#[test]
fn join_errors_member_id_required_unknown_member_and_session_timeout() {
    let dir = tempfile::tempdir().expect("tempdir");
    let broker = TestBroker::start(dir.path());
    let mut c = RawClient::connect(broker.addr);
    let bad = join(&mut c, &join_req("g", "", None, 1000));
    assert_eq!(bad.error_code, code(ErrorCode::InvalidSessionTimeout));
    let unknown = join(&mut c, &join_req("g", "who", None, 10_000));
    assert_eq!(unknown.error_code, code(ErrorCode::UnknownMemberId));
    let empty_group = join(&mut c, &join_req("", "", None, 10_000));
    assert_eq!(empty_group.error_code, code(ErrorCode::InvalidGroupId));
    // v3 (before KIP-394) joins a new member directly.
    let v3: JoinGroupResponse = c.call(3, &join_req("old", "", None, 10_000));
    assert_eq!(v3.error_code, 0);
    assert_eq!(v3.generation_id, 1);
    assert_eq!(v3.leader, v3.member_id);
}

#[test]
fn illegal_generation_unknown_member_and_rebalance_in_progress() {
    let dir = tempfile::tempdir().expect("tempdir");
    let broker = TestBroker::start(dir.path());
    let mut a = RawClient::connect(broker.addr);
    let (id, generation) = stable_member(&mut a, "g");
    assert_eq!(heartbeat(&mut a, "g", &id, generation), 0);
    assert_eq!(
        heartbeat(&mut a, "g", &id, generation + 5),
        code(ErrorCode::IllegalGeneration)
    );
    assert_eq!(
        heartbeat(&mut a, "g", "ghost", generation),
        code(ErrorCode::UnknownMemberId)
    );
    // A second member joins (its join is held on its own connection) ...
    let mut b = RawClient::connect(broker.addr);
    let first = join(&mut b, &join_req("g", "", None, 10_000));
    let held = b.send(JOIN_V, &join_req("g", &first.member_id, None, 10_000));
    // ... and the first member's heartbeat learns about the rebalance.
    let deadline = Instant::now() + Duration::from_secs(10);
    while heartbeat(&mut a, "g", &id, generation) != code(ErrorCode::RebalanceInProgress) {
        assert!(Instant::now() < deadline, "no REBALANCE_IN_PROGRESS");
    }
    let rejoined = join(&mut a, &join_req("g", &id, None, 10_000));
    assert_eq!(rejoined.error_code, 0);
    assert_eq!(rejoined.generation_id, generation + 1);
    assert_eq!(rejoined.members.len(), 2, "the leader sees both members");
    let b_joined: JoinGroupResponse = b.recv::<JoinGroupRequest, _>(JOIN_V, held);
    assert_eq!(b_joined.generation_id, generation + 1);
    assert!(b_joined.members.is_empty());
    let stale: SyncGroupResponse = b.call(
        5,
        &SyncGroupRequest {
            group_id: "g".into(),
            generation_id: generation,
            member_id: b_joined.member_id.clone(),
            ..SyncGroupRequest::default()
        },
    );
    assert_eq!(stale.error_code, code(ErrorCode::IllegalGeneration));
}

#[test]
fn three_members_join_in_one_generation() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut config = BrokerConfig::for_tests(dir.path());
    config.group_initial_rebalance_delay_ms = 100;
    let broker = TestBroker::start_with(config);
    let mut clients: Vec<RawClient> = (0..3).map(|_| RawClient::connect(broker.addr)).collect();
    let ids: Vec<String> = clients
        .iter_mut()
        .map(|c| join(c, &join_req("trio", "", None, 10_000)).member_id)
        .collect();
    let held: Vec<i32> = clients
        .iter_mut()
        .zip(&ids)
        .map(|(c, id)| c.send(JOIN_V, &join_req("trio", id, None, 10_000)))
        .collect();
    let answers: Vec<JoinGroupResponse> = clients
        .iter_mut()
        .zip(held)
        .map(|(c, h)| c.recv::<JoinGroupRequest, _>(JOIN_V, h))
        .collect();
    // How fast the join is belongs to the benchmark (group join phase), not to a test.
    assert!(answers
        .iter()
        .all(|a| a.error_code == 0 && a.generation_id == 1));
    assert_eq!(answers.iter().filter(|a| !a.members.is_empty()).count(), 1);
}

#[test]
fn static_member_duplicate_is_fenced() {
    let dir = tempfile::tempdir().expect("tempdir");
    let broker = TestBroker::start(dir.path());
    let mut c = RawClient::connect(broker.addr);
    let first = join(&mut c, &join_req("s", "", Some("inst"), 10_000));
    assert_eq!(
        first.error_code, 0,
        "static members skip MEMBER_ID_REQUIRED"
    );
    let replaced = join(&mut c, &join_req("s", "", Some("inst"), 10_000));
    assert_eq!(replaced.error_code, 0);
    assert_ne!(replaced.member_id, first.member_id);
    let stale = join(
        &mut c,
        &join_req("s", &first.member_id, Some("inst"), 10_000),
    );
    assert_eq!(stale.error_code, code(ErrorCode::FencedInstanceId));
}

#[test]
fn offsets_commit_fetch_and_non_empty_group_delete() {
    let dir = tempfile::tempdir().expect("tempdir");
    let broker = TestBroker::start(dir.path());
    let mut c = RawClient::connect(broker.addr);
    // Kafka refuses offsets for partitions that do not exist (UNKNOWN_TOPIC_OR_PARTITION).
    c.create_topic("t", 2, &[]);
    let commit = |c: &mut RawClient, group: &str, generation: i32, member: &str| {
        let r: OffsetCommitResponse = c.call(
            8,
            &OffsetCommitRequest {
                group_id: group.into(),
                generation_id_or_member_epoch: generation,
                member_id: member.into(),
                topics: vec![OffsetCommitRequestTopic {
                    name: "t".into(),
                    partitions: vec![OffsetCommitRequestPartition {
                        partition_index: 0,
                        committed_offset: 42,
                        committed_leader_epoch: 3,
                        committed_metadata: Some("meta".into()),
                        ..OffsetCommitRequestPartition::default()
                    }],
                }],
                ..OffsetCommitRequest::default()
            },
        );
        r.topics[0].partitions[0].error_code
    };
    assert_eq!(commit(&mut c, "simple", -1, ""), 0, "simple commit");
    let fetched: OffsetFetchResponse = c.call(
        7,
        &OffsetFetchRequest {
            group_id: "simple".into(),
            topics: Some(vec![OffsetFetchRequestTopic {
                name: "t".into(),
                partition_indexes: vec![0, 1],
            }]),
            ..OffsetFetchRequest::default()
        },
    );
    let parts = &fetched.topics[0].partitions;
    assert_eq!(
        (parts[0].committed_offset, parts[0].committed_leader_epoch),
        (42, 3)
    );
    assert_eq!(parts[0].metadata.as_deref(), Some("meta"));
    assert_eq!(parts[1].committed_offset, -1, "uncommitted partition");
    let v8: OffsetFetchResponse = c.call(
        8,
        &OffsetFetchRequest {
            groups: vec![
                OffsetFetchRequestGroup {
                    group_id: "simple".into(),
                    topics: None,
                    ..OffsetFetchRequestGroup::default()
                },
                OffsetFetchRequestGroup {
                    group_id: "none".into(),
                    topics: Some(vec![OffsetFetchRequestTopics {
                        name: "t".into(),
                        partition_indexes: vec![0],
                    }]),
                    ..OffsetFetchRequestGroup::default()
                },
            ],
            ..OffsetFetchRequest::default()
        },
    );
    assert_eq!(v8.groups[0].topics[0].partitions[0].committed_offset, 42);
    assert_eq!(v8.groups[1].topics[0].partitions[0].committed_offset, -1);

    let (id, generation) = stable_member(&mut c, "busy");
    assert_eq!(commit(&mut c, "busy", generation, &id), 0);
    assert_eq!(
        commit(&mut c, "busy", generation + 1, &id),
        code(ErrorCode::IllegalGeneration)
    );
    assert_eq!(
        commit(&mut c, "busy", -1, ""),
        code(ErrorCode::UnknownMemberId),
        "simple commits are refused while members are active"
    );
    let listed: ListGroupsResponse = c.call(
        4,
        &ListGroupsRequest {
            states_filter: vec!["Stable".into()],
            types_filter: vec![],
        },
    );
    let names: Vec<&str> = listed.groups.iter().map(|g| g.group_id.as_str()).collect();
    assert_eq!(names, ["busy"]);
    let delete = |c: &mut RawClient, group: &str| {
        let r: DeleteGroupsResponse = c.call(
            2,
            &DeleteGroupsRequest {
                groups_names: vec![group.into()],
            },
        );
        r.results[0].error_code
    };
    assert_eq!(delete(&mut c, "busy"), code(ErrorCode::NonEmptyGroup));
    assert_eq!(delete(&mut c, "nope"), code(ErrorCode::GroupIdNotFound));
    let left: LeaveGroupResponse = c.call(
        5,
        &LeaveGroupRequest {
            group_id: "busy".into(),
            members: vec![MemberIdentity {
                member_id: id,
                ..MemberIdentity::default()
            }],
            ..LeaveGroupRequest::default()
        },
    );
    assert_eq!(left.error_code, 0);
    assert_eq!(left.members[0].error_code, 0);
    assert_eq!(delete(&mut c, "busy"), 0);
    assert_eq!(delete(&mut c, "simple"), 0);
}

#[test]
fn a_commit_is_on_disk_when_answered() {
    let dir = tempfile::tempdir().expect("tempdir");
    let broker = TestBroker::start(dir.path());
    let mut c = RawClient::connect(broker.addr);
    // Kafka refuses offsets for partitions that do not exist (UNKNOWN_TOPIC_OR_PARTITION).
    c.create_topic("t", 2, &[]);
    let r: OffsetCommitResponse = c.call(
        2,
        &OffsetCommitRequest {
            group_id: "durable".into(),
            topics: vec![OffsetCommitRequestTopic {
                name: "t".into(),
                partitions: vec![OffsetCommitRequestPartition {
                    partition_index: 1,
                    committed_offset: 7,
                    ..OffsetCommitRequestPartition::default()
                }],
            }],
            ..OffsetCommitRequest::default()
        },
    );
    assert_eq!(r.topics[0].partitions[0].error_code, 0);
    // Copy the offsets log while the broker still runs (as a crash would leave it) and replay it.
    let copy = tempfile::tempdir().expect("tempdir");
    let from = dir.path().join("__consumer_offsets");
    let to = copy.path().join("__consumer_offsets");
    std::fs::create_dir_all(&to).expect("mkdir");
    for entry in std::fs::read_dir(&from).expect("offsets dir") {
        let entry = entry.expect("entry");
        std::fs::copy(entry.path(), to.join(entry.file_name())).expect("copy");
    }
    let store = kalfka::groups::offsets::OffsetStore::open(Some(copy.path())).expect("replay");
    let got = store
        .get("durable", &("t".into(), 1))
        .expect("committed offset");
    assert_eq!(got.offset, 7);
}

/// Kafka removes every group's offsets of a deleted topic (the coordinator's
/// `onPartitionsDeleted`, OffsetMetadataManager): a topic created again under the same name
/// starts with none — also when the broker restarts in between.
#[test]
fn deleting_a_topic_removes_its_committed_offsets() {
    let dir = tempfile::tempdir().expect("tempdir");
    let commit_and_fetch = |c: &mut RawClient, offset: Option<i64>| -> i64 {
        if let Some(offset) = offset {
            let r: OffsetCommitResponse = c.call(
                8,
                &OffsetCommitRequest {
                    group_id: "g".into(),
                    generation_id_or_member_epoch: -1,
                    topics: vec![OffsetCommitRequestTopic {
                        name: "gone".into(),
                        partitions: vec![OffsetCommitRequestPartition {
                            partition_index: 0,
                            committed_offset: offset,
                            ..OffsetCommitRequestPartition::default()
                        }],
                    }],
                    ..OffsetCommitRequest::default()
                },
            );
            assert_eq!(r.topics[0].partitions[0].error_code, 0);
        }
        let f: OffsetFetchResponse = c.call(
            7,
            &OffsetFetchRequest {
                group_id: "g".into(),
                topics: Some(vec![OffsetFetchRequestTopic {
                    name: "gone".into(),
                    partition_indexes: vec![0],
                }]),
                ..OffsetFetchRequest::default()
            },
        );
        f.topics[0].partitions[0].committed_offset
    };
    let delete = |c: &mut RawClient| {
        let r: kalfka_protocol::messages::DeleteTopicsResponse = c.call(
            5,
            &kalfka_protocol::messages::DeleteTopicsRequest {
                topic_names: vec!["gone".into()],
                timeout_ms: 5000,
                ..Default::default()
            },
        );
        assert_eq!(r.responses[0].error_code, 0);
    };
    {
        let broker = TestBroker::start(dir.path());
        let mut c = RawClient::connect(broker.addr);
        c.create_topic("gone", 1, &[]);
        assert_eq!(commit_and_fetch(&mut c, Some(5)), 5);
        delete(&mut c);
        c.create_topic("gone", 1, &[]);
        assert_eq!(
            commit_and_fetch(&mut c, None),
            -1,
            "offsets of the deleted topic"
        );
        assert_eq!(commit_and_fetch(&mut c, Some(9)), 9);
        delete(&mut c);
    }
    let broker = TestBroker::start(dir.path());
    let mut c = RawClient::connect(broker.addr);
    c.create_topic("gone", 1, &[]);
    assert_eq!(commit_and_fetch(&mut c, None), -1, "after a restart");
}

#[test]
fn describe_unknown_group_and_offset_delete_of_a_subscribed_topic() {
    use kalfka_protocol::messages::offset_delete_request::{
        OffsetDeleteRequestPartition, OffsetDeleteRequestTopic,
    };
    use kalfka_protocol::messages::{
        ConsumerProtocolSubscription, DescribeGroupsRequest, DescribeGroupsResponse, Message,
        OffsetDeleteRequest, OffsetDeleteResponse,
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let broker = TestBroker::start(dir.path());
    let mut c = RawClient::connect(broker.addr);
    // Kafka refuses offsets for partitions that do not exist (UNKNOWN_TOPIC_OR_PARTITION).
    c.create_topic("t", 2, &[]);
    let described: DescribeGroupsResponse = c.call(
        5,
        &DescribeGroupsRequest {
            groups: vec!["ghost".into()],
            include_authorized_operations: false,
        },
    );
    assert_eq!(described.groups[0].error_code, 0);
    assert_eq!(described.groups[0].group_state, "Dead");

    // A member subscribed to "t" (consumer protocol metadata v1).
    let mut metadata = bytes::BytesMut::new();
    metadata.extend_from_slice(&1i16.to_be_bytes());
    ConsumerProtocolSubscription {
        topics: vec!["t".into()],
        ..ConsumerProtocolSubscription::default()
    }
    .encode(&mut metadata, 1)
    .expect("encode subscription");
    let mut req = join_req("sub", "", Some("i"), 10_000);
    req.protocols[0].metadata = metadata.freeze();
    let joined = join(&mut c, &req);
    assert_eq!(joined.error_code, 0);
    let described: DescribeGroupsResponse = c.call(
        5,
        &DescribeGroupsRequest {
            groups: vec!["sub".into()],
            include_authorized_operations: false,
        },
    );
    let g = &described.groups[0];
    assert_eq!(g.group_state, "CompletingRebalance");
    assert_eq!(g.protocol_data, "range");
    assert_eq!(g.members[0].group_instance_id.as_deref(), Some("i"));

    let delete = |c: &mut RawClient, topic: &str| -> OffsetDeleteResponse {
        c.call(
            0,
            &OffsetDeleteRequest {
                group_id: "sub".into(),
                topics: vec![OffsetDeleteRequestTopic {
                    name: topic.into(),
                    partitions: vec![OffsetDeleteRequestPartition { partition_index: 0 }],
                }],
            },
        )
    };
    let r = delete(&mut c, "t");
    assert_eq!(
        r.topics[0].partitions[0].error_code,
        code(ErrorCode::GroupSubscribedToTopic)
    );
    let r = delete(&mut c, "other");
    assert_eq!(r.topics[0].partitions[0].error_code, 0);
}

/// As in Kafka, the first FindCoordinator creates the coordinator's internal topic
/// (`__consumer_offsets` for groups, `__transaction_state` for transactions, 50 partitions
/// each); Metadata marks them internal (`Topic.isInternal`), and clients may neither produce to
/// them nor delete their records: INVALID_TOPIC_EXCEPTION (ReplicaManager).
#[test]
fn find_coordinator_creates_the_internal_topics() {
    use kalfka_protocol::messages::delete_records_request::{
        DeleteRecordsPartition, DeleteRecordsTopic,
    };
    use kalfka_protocol::messages::{
        DeleteRecordsRequest, DeleteRecordsResponse, MetadataRequest, MetadataResponse,
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let broker = TestBroker::start(dir.path());
    let mut c = RawClient::connect(broker.addr);
    let internal = |c: &mut RawClient| -> Vec<(String, bool, usize)> {
        let all = MetadataRequest {
            topics: None,
            ..MetadataRequest::default()
        };
        let m: MetadataResponse = c.call(12, &all);
        let mut v: Vec<(String, bool, usize)> = m
            .topics
            .into_iter()
            .map(|t| {
                (
                    t.name.unwrap_or_default(),
                    t.is_internal,
                    t.partitions.len(),
                )
            })
            .collect();
        v.sort();
        v
    };
    assert_eq!(
        internal(&mut c),
        vec![],
        "none before a coordinator is looked up"
    );
    for key_type in [0, 1] {
        let r: FindCoordinatorResponse = c.call(
            4,
            &FindCoordinatorRequest {
                key_type,
                coordinator_keys: vec!["k".into()],
                ..FindCoordinatorRequest::default()
            },
        );
        assert_eq!(r.coordinators[0].error_code, 0);
    }
    assert_eq!(
        internal(&mut c),
        vec![
            ("__consumer_offsets".to_string(), true, 50),
            ("__transaction_state".to_string(), true, 50)
        ]
    );
    let mut b = kalfka_protocol::records::RecordBatchBuilder::new(
        kalfka_protocol::records::Compression::None,
    );
    b.append(0, None, Some(b"v"), &[]);
    let (code, _) = c.produce_at(9, "__consumer_offsets", 0, b.build().expect("batch"), -1);
    assert_eq!(code, code_of(ErrorCode::InvalidTopicException), "produce");
    let r: DeleteRecordsResponse = c.call(
        2,
        &DeleteRecordsRequest {
            topics: vec![DeleteRecordsTopic {
                name: "__transaction_state".into(),
                partitions: vec![DeleteRecordsPartition {
                    partition_index: 0,
                    offset: 0,
                }],
            }],
            timeout_ms: 5000,
        },
    );
    assert_eq!(
        r.topics[0].partitions[0].error_code,
        code_of(ErrorCode::InvalidTopicException),
        "delete records"
    );
}

fn code_of(e: ErrorCode) -> i16 {
    e.code()
}

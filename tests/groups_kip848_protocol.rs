//! Consumer-protocol groups (KIP-848) at the wire level: the fencing errors, member epochs in
//! OffsetCommit/OffsetFetch v9, coexistence with classic groups, the admin views, restarts.

mod common;

use bytes::Bytes;
use common::raw::RawClient;
use common::TestBroker;
use kalfka::config::BrokerConfig;
use kalfka_protocol::error_code::ErrorCode;
use kalfka_protocol::messages::join_group_request::JoinGroupRequestProtocol;
use kalfka_protocol::messages::offset_commit_request::{
    OffsetCommitRequestPartition, OffsetCommitRequestTopic,
};
use kalfka_protocol::messages::offset_delete_request::{
    OffsetDeleteRequestPartition, OffsetDeleteRequestTopic,
};
use kalfka_protocol::messages::offset_fetch_request::{
    OffsetFetchRequestGroup, OffsetFetchRequestTopics,
};
use kalfka_protocol::messages::{
    ConsumerGroupDescribeRequest, ConsumerGroupDescribeResponse, ConsumerGroupHeartbeatRequest,
    ConsumerGroupHeartbeatResponse, DescribeGroupsRequest, DescribeGroupsResponse,
    JoinGroupRequest, JoinGroupResponse, ListGroupsRequest, ListGroupsResponse,
    OffsetCommitRequest, OffsetCommitResponse, OffsetDeleteRequest, OffsetDeleteResponse,
    OffsetFetchRequest, OffsetFetchResponse,
};

fn code(e: ErrorCode) -> i16 {
    e.code()
}

fn start(dir: &std::path::Path) -> TestBroker {
    let mut config = BrokerConfig::for_tests(dir);
    config.group_consumer_heartbeat_interval_ms = 200;
    TestBroker::start_with(config)
}

fn join_req(group: &str, member: &str, topic: &str) -> ConsumerGroupHeartbeatRequest {
    ConsumerGroupHeartbeatRequest {
        group_id: group.into(),
        member_id: member.into(),
        member_epoch: 0,
        rebalance_timeout_ms: 10_000,
        subscribed_topic_names: Some(vec![topic.into()]),
        // Present and empty: Kafka refuses a join without it.
        topic_partitions: Some(Vec::new()),
        ..ConsumerGroupHeartbeatRequest::default()
    }
}

fn hb(c: &mut RawClient, req: &ConsumerGroupHeartbeatRequest) -> ConsumerGroupHeartbeatResponse {
    c.call(1, req)
}

fn beat(group: &str, member: &str, epoch: i32) -> ConsumerGroupHeartbeatRequest {
    ConsumerGroupHeartbeatRequest {
        group_id: group.into(),
        member_id: member.into(),
        member_epoch: epoch,
        ..ConsumerGroupHeartbeatRequest::default()
    }
}

fn commit(c: &mut RawClient, group: &str, member: &str, epoch: i32) -> i16 {
    let r: OffsetCommitResponse = c.call(
        9,
        &OffsetCommitRequest {
            group_id: group.into(),
            generation_id_or_member_epoch: epoch,
            member_id: member.into(),
            topics: vec![OffsetCommitRequestTopic {
                name: "t".into(),
                partitions: vec![OffsetCommitRequestPartition {
                    partition_index: 0,
                    committed_offset: 7,
                    ..OffsetCommitRequestPartition::default()
                }],
            }],
            ..OffsetCommitRequest::default()
        },
    );
    r.topics[0].partitions[0].error_code
}

fn fetch(c: &mut RawClient, group: &str, member: &str, epoch: i32) -> (i16, i64) {
    let r: OffsetFetchResponse = c.call(
        9,
        &OffsetFetchRequest {
            groups: vec![OffsetFetchRequestGroup {
                group_id: group.into(),
                member_id: Some(member.into()),
                member_epoch: epoch,
                topics: Some(vec![OffsetFetchRequestTopics {
                    name: "t".into(),
                    partition_indexes: vec![0],
                }]),
            }],
            ..OffsetFetchRequest::default()
        },
    );
    let g = &r.groups[0];
    let offset = g
        .topics
        .first()
        .and_then(|t| t.partitions.first())
        .map_or(-1, |p| p.committed_offset);
    (g.error_code, offset)
}

#[test]
fn fencing_errors_as_kafka_returns_them() {
    let dir = tempfile::tempdir().expect("tempdir");
    let broker = start(dir.path());
    let mut c = RawClient::connect(broker.addr);
    c.create_topic("t", 2, &[]);
    let a = hb(&mut c, &join_req("g", "member-a", "t"));
    assert_eq!(a.error_code, 0);
    assert!(a.member_epoch > 0);
    assert_eq!(a.heartbeat_interval_ms, 200);
    assert_eq!(
        a.assignment.expect("assignment").topic_partitions[0].partitions,
        vec![0, 1]
    );

    let fenced = hb(&mut c, &beat("g", "member-a", a.member_epoch + 1));
    assert_eq!(fenced.error_code, code(ErrorCode::FencedMemberEpoch));
    let unknown = hb(&mut c, &beat("g", "nobody", 1));
    assert_eq!(unknown.error_code, code(ErrorCode::UnknownMemberId));
    let steady = hb(&mut c, &beat("g", "member-a", a.member_epoch));
    assert_eq!(
        (steady.error_code, steady.assignment),
        (0, None),
        "unchanged: no assignment"
    );

    let s1 = ConsumerGroupHeartbeatRequest {
        instance_id: Some("instance-1".into()),
        ..join_req("g", "member-s1", "t")
    };
    assert_eq!(hb(&mut c, &s1).error_code, 0);
    let thief = ConsumerGroupHeartbeatRequest {
        member_id: "member-s2".into(),
        ..s1.clone()
    };
    assert_eq!(
        hb(&mut c, &thief).error_code,
        code(ErrorCode::UnreleasedInstanceId)
    );

    let bad_assignor = ConsumerGroupHeartbeatRequest {
        server_assignor: Some("sticky".into()),
        ..join_req("g", "member-x", "t")
    };
    assert_eq!(
        hb(&mut c, &bad_assignor).error_code,
        code(ErrorCode::UnsupportedAssignor)
    );
    // Kafka 4.4's checks of a join (GroupCoordinatorService): an owned list present and
    // empty, and a subscription.
    for (req, message) in [
        (
            ConsumerGroupHeartbeatRequest {
                topic_partitions: None,
                ..join_req("g", "member-z", "t")
            },
            "TopicPartitions must be empty when (re-)joining.",
        ),
        (
            ConsumerGroupHeartbeatRequest {
                subscribed_topic_names: None,
                ..join_req("g", "member-z", "t")
            },
            "Either SubscribedTopicNames or SubscribedTopicRegex must be non-null when (re-)joining.",
        ),
    ] {
        let r = hb(&mut c, &req);
        assert_eq!(r.error_code, code(ErrorCode::InvalidRequest), "{message}");
        let said = r.error_message.unwrap_or_default();
        assert!(said.contains(message), "{said}");
    }
    let bad_regex = ConsumerGroupHeartbeatRequest {
        subscribed_topic_names: None,
        subscribed_topic_regex: Some("(".into()),
        ..join_req("g", "member-y", "t")
    };
    assert_eq!(
        hb(&mut c, &bad_regex).error_code,
        code(ErrorCode::InvalidRegularExpression)
    );
    let no_member_id = join_req("g", "", "t");
    assert_eq!(
        hb(&mut c, &no_member_id).error_code,
        code(ErrorCode::InvalidRequest)
    );
    // v0: the broker generates the member id.
    let v0: ConsumerGroupHeartbeatResponse = c.call(0, &join_req("g0", "", "t"));
    assert_eq!(v0.error_code, 0);
    assert!(v0.member_id.is_some_and(|m| !m.is_empty()));

    let left = hb(&mut c, &beat("g", "member-a", -1));
    assert_eq!((left.error_code, left.member_epoch), (0, -1));
    assert_eq!(
        hb(&mut c, &beat("g", "member-a", a.member_epoch)).error_code,
        code(ErrorCode::UnknownMemberId)
    );
}

#[test]
fn offset_commit_and_fetch_check_member_epochs() {
    let dir = tempfile::tempdir().expect("tempdir");
    let broker = start(dir.path());
    let mut c = RawClient::connect(broker.addr);
    c.create_topic("t", 1, &[]);
    let a = hb(&mut c, &join_req("g", "member-a", "t"));
    let epoch = a.member_epoch;
    assert_eq!(
        commit(&mut c, "g", "member-a", epoch - 1),
        code(ErrorCode::StaleMemberEpoch)
    );
    assert_eq!(
        commit(&mut c, "g", "nobody", epoch),
        code(ErrorCode::UnknownMemberId)
    );
    assert_eq!(
        commit(&mut c, "g", "", -1),
        code(ErrorCode::UnknownMemberId),
        "group has members"
    );
    assert_eq!(commit(&mut c, "g", "member-a", epoch), 0);
    assert_eq!(fetch(&mut c, "g", "member-a", epoch), (0, 7));
    assert_eq!(
        fetch(&mut c, "g", "member-a", epoch + 3).0,
        code(ErrorCode::StaleMemberEpoch)
    );
    let deleted: OffsetDeleteResponse = c.call(
        0,
        &OffsetDeleteRequest {
            group_id: "g".into(),
            topics: vec![OffsetDeleteRequestTopic {
                name: "t".into(),
                partitions: vec![OffsetDeleteRequestPartition { partition_index: 0 }],
            }],
        },
    );
    assert_eq!(
        deleted.topics[0].partitions[0].error_code,
        code(ErrorCode::GroupSubscribedToTopic)
    );
}

#[test]
fn classic_and_consumer_groups_coexist_and_keep_their_type() {
    let dir = tempfile::tempdir().expect("tempdir");
    let broker = start(dir.path());
    let mut c = RawClient::connect(broker.addr);
    c.create_topic("t", 1, &[]);
    assert_eq!(hb(&mut c, &join_req("new", "member-a", "t")).error_code, 0);
    let classic_join = |c: &mut RawClient, group: &str, member: &str| -> JoinGroupResponse {
        c.call(
            9,
            &JoinGroupRequest {
                group_id: group.into(),
                session_timeout_ms: 10_000,
                rebalance_timeout_ms: 10_000,
                member_id: member.into(),
                protocol_type: "consumer".into(),
                protocols: vec![JoinGroupRequestProtocol {
                    name: "range".into(),
                    metadata: Bytes::from_static(b"\x00\x00"),
                }],
                ..JoinGroupRequest::default()
            },
        )
    };
    assert_eq!(
        classic_join(&mut c, "new", "").error_code,
        code(ErrorCode::InconsistentGroupProtocol)
    );
    // A classic group with a member (held in MEMBER_ID_REQUIRED then joined).
    let first = classic_join(&mut c, "old", "");
    assert_eq!(first.error_code, code(ErrorCode::MemberIdRequired));
    assert_eq!(classic_join(&mut c, "old", &first.member_id).error_code, 0);
    assert_eq!(
        hb(&mut c, &join_req("old", "member-b", "t")).error_code,
        code(ErrorCode::GroupIdNotFound)
    );

    let listed: ListGroupsResponse = c.call(5, &ListGroupsRequest::default());
    let mut kinds: Vec<(String, String, String)> = listed
        .groups
        .into_iter()
        .map(|g| (g.group_id, g.group_type, g.protocol_type))
        .collect();
    kinds.sort();
    assert_eq!(
        kinds,
        vec![
            ("new".into(), "consumer".into(), "consumer".into()),
            ("old".into(), "classic".into(), "consumer".into())
        ]
    );
    let only: ListGroupsResponse = c.call(
        5,
        &ListGroupsRequest {
            types_filter: vec!["consumer".into()],
            ..ListGroupsRequest::default()
        },
    );
    assert_eq!(only.groups.len(), 1);
    assert_eq!(only.groups[0].group_id, "new");

    let described: DescribeGroupsResponse = c.call(
        5,
        &DescribeGroupsRequest {
            groups: vec!["new".into()],
            ..DescribeGroupsRequest::default()
        },
    );
    assert_eq!(
        described.groups[0].group_state, "Dead",
        "not a classic group"
    );

    let cgd: ConsumerGroupDescribeResponse = c.call(
        0,
        &ConsumerGroupDescribeRequest {
            group_ids: vec!["new".into(), "old".into()],
            include_authorized_operations: false,
        },
    );
    let new = &cgd.groups[0];
    assert_eq!((new.error_code, new.group_state.as_str()), (0, "Stable"));
    assert_eq!(new.assignor_name, "uniform");
    assert_eq!(new.members.len(), 1);
    assert_eq!(new.members[0].member_id, "member-a");
    assert_eq!(
        new.members[0].assignment.topic_partitions[0].topic_name,
        "t"
    );
    assert_eq!(cgd.groups[1].error_code, code(ErrorCode::GroupIdNotFound));
}

#[test]
fn after_a_restart_members_rejoin_and_committed_offsets_stay() {
    let dir = tempfile::tempdir().expect("tempdir");
    let broker = start(dir.path());
    let mut c = RawClient::connect(broker.addr);
    c.create_topic("t", 1, &[]);
    let a = hb(&mut c, &join_req("g", "member-a", "t"));
    assert_eq!(commit(&mut c, "g", "member-a", a.member_epoch), 0);
    drop(c);
    broker.stop();
    let broker = start(dir.path());
    let mut c = RawClient::connect(broker.addr);
    let stale = hb(&mut c, &beat("g", "member-a", a.member_epoch));
    assert_eq!(
        stale.error_code,
        code(ErrorCode::UnknownMemberId),
        "member must rejoin"
    );
    let again = hb(&mut c, &join_req("g", "member-a", "t"));
    assert_eq!(again.error_code, 0);
    assert_eq!(fetch(&mut c, "g", "member-a", again.member_epoch), (0, 7));
}

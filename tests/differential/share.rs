//! Share-group cases (KIP-932) of the differential corpus: the request checks and session
//! errors a client meets before any record is delivered, and the admin side on unknown groups.
//! Member ids are fixed, so both brokers see the same requests; nothing here depends on
//! timing.

use kalfka_protocol::messages::share_acknowledge_request::{
    AcknowledgePartition, AcknowledgeTopic, AcknowledgementBatch as AckBatch,
};
use kalfka_protocol::messages::share_fetch_request::{
    AcknowledgementBatch, FetchPartition, FetchTopic,
};
use kalfka_protocol::messages::*;
use kalfka_protocol::Uuid;

use super::{exchange, Exchange};

/// The share-group cases, at the versions both brokers advertise (`versions`).
pub fn cases(versions: &dyn Fn(i16) -> Vec<i16>) -> Vec<(String, Exchange)> {
    let mut cases: Vec<(String, Exchange)> = Vec::new();
    let mut add = |name: String, e: Exchange| cases.push((name, e));

    for v in versions(ShareGroupHeartbeatRequest::API_KEY) {
        let hb = |group: &str, member: &str, epoch: i32, topics: Option<Vec<String>>| {
            exchange::<_, ShareGroupHeartbeatResponse>(
                v,
                ShareGroupHeartbeatRequest {
                    group_id: group.into(),
                    member_id: member.into(),
                    member_epoch: epoch,
                    rack_id: None,
                    subscribed_topic_names: topics,
                },
            )
        };
        let topics = || Some(vec!["diff-a".to_string()]);
        add(
            format!("ShareGroupHeartbeat v{v}: empty group id"),
            hb("", "diff-m", 0, topics()),
        );
        add(
            format!("ShareGroupHeartbeat v{v}: empty member id"),
            hb("diff-share", "", 0, topics()),
        );
        add(
            format!("ShareGroupHeartbeat v{v}: join without topics"),
            hb("diff-share", "diff-m", 0, None),
        );
        add(
            format!("ShareGroupHeartbeat v{v}: epoch -2"),
            hb("diff-share", "diff-m", -2, topics()),
        );
        add(
            format!("ShareGroupHeartbeat v{v}: unknown member of an unknown group"),
            hb("diff-share-none", "diff-m", 3, None),
        );
        let group = format!("diff-share-v{v}");
        add(
            format!("ShareGroupHeartbeat v{v}: join"),
            hb(&group, "diff-m1", 0, topics()),
        );
        add(
            format!("ShareGroupHeartbeat v{v}: unknown member of a known group"),
            hb(&group, "diff-mx", 1, None),
        );
        add(
            format!("ShareGroupHeartbeat v{v}: wrong member epoch"),
            hb(&group, "diff-m1", 7, None),
        );
        for d in versions(ShareGroupDescribeRequest::API_KEY) {
            add(
                format!("ShareGroupDescribe v{d}: the group joined with ShareGroupHeartbeat v{v}"),
                exchange::<_, ShareGroupDescribeResponse>(
                    d,
                    ShareGroupDescribeRequest {
                        group_ids: vec![group.clone()],
                        include_authorized_operations: false,
                    },
                ),
            );
        }
        add(
            format!("ShareGroupHeartbeat v{v}: leave"),
            hb(&group, "diff-m1", -1, None),
        );
        for c in versions(ConsumerGroupHeartbeatRequest::API_KEY)
            .into_iter()
            .filter(|c| *c >= 1)
        {
            add(
                format!("ConsumerGroupHeartbeat v{c}: join the share group of v{v}"),
                exchange::<_, ConsumerGroupHeartbeatResponse>(
                    c,
                    ConsumerGroupHeartbeatRequest {
                        group_id: group.clone(),
                        member_id: "diff-c1".into(),
                        member_epoch: 0,
                        rebalance_timeout_ms: 10_000,
                        subscribed_topic_names: Some(vec!["diff-a".into()]),
                        topic_partitions: Some(vec![]),
                        ..Default::default()
                    },
                ),
            );
        }
        add(
            format!("JoinGroup v9: join the share group of v{v}"),
            exchange::<_, JoinGroupResponse>(
                9,
                JoinGroupRequest {
                    group_id: group.clone(),
                    session_timeout_ms: 10_000,
                    rebalance_timeout_ms: 10_000,
                    member_id: "diff-j1".into(),
                    protocol_type: "consumer".into(),
                    protocols: vec![join_group_request::JoinGroupRequestProtocol {
                        name: "range".into(),
                        metadata: bytes::Bytes::from_static(&[0, 1, 0, 0, 0, 0]),
                    }],
                    ..Default::default()
                },
            ),
        );
    }

    // ConsumerGroupHeartbeat v0 joins with a broker-chosen member id: the newest version.
    let newest = |key: i16| versions(key).into_iter().max();
    if let (Some(c), Some(v)) = (
        newest(ConsumerGroupHeartbeatRequest::API_KEY),
        newest(ShareGroupHeartbeatRequest::API_KEY),
    ) {
        let group = format!("diff-cg-share-v{c}");
        add(
            // Setup only: Kafka's consumer group epochs on join differ from Kalfka's.
            format!("setup: ConsumerGroupHeartbeat v{c}: join a consumer group"),
            exchange::<_, ConsumerGroupHeartbeatResponse>(
                c,
                ConsumerGroupHeartbeatRequest {
                    group_id: group.clone(),
                    member_id: "diff-c1".into(),
                    member_epoch: 0,
                    rebalance_timeout_ms: 10_000,
                    subscribed_topic_names: Some(vec!["diff-missing".into()]),
                    topic_partitions: Some(vec![]),
                    ..Default::default()
                },
            ),
        );
        add(
            format!("ShareGroupHeartbeat v{v}: join the consumer group of v{c}"),
            exchange::<_, ShareGroupHeartbeatResponse>(
                v,
                ShareGroupHeartbeatRequest {
                    group_id: group,
                    member_id: "diff-s1".into(),
                    member_epoch: 0,
                    rack_id: None,
                    subscribed_topic_names: Some(vec!["diff-a".into()]),
                },
            ),
        );
    }

    for v in versions(ShareGroupDescribeRequest::API_KEY) {
        add(
            format!("ShareGroupDescribe v{v}: unknown group"),
            exchange::<_, ShareGroupDescribeResponse>(
                v,
                ShareGroupDescribeRequest {
                    group_ids: vec!["diff-share-none".into()],
                    include_authorized_operations: false,
                },
            ),
        );
    }

    for v in versions(ShareFetchRequest::API_KEY) {
        let fetch = |epoch: i32, group: Option<&str>, acks: Vec<AcknowledgementBatch>| {
            exchange::<_, ShareFetchResponse>(
                v,
                ShareFetchRequest {
                    group_id: group.map(str::to_string),
                    member_id: Some("diff-m".into()),
                    share_session_epoch: epoch,
                    max_wait_ms: 0,
                    min_bytes: 1,
                    max_bytes: 1 << 20,
                    max_records: 10,
                    batch_size: 10,
                    topics: vec![FetchTopic {
                        topic_id: Uuid([7; 16]),
                        partitions: vec![FetchPartition {
                            partition_index: 0,
                            acknowledgement_batches: acks,
                            ..Default::default()
                        }],
                    }],
                    ..Default::default()
                },
            )
        };
        let one_ack = || {
            vec![AcknowledgementBatch {
                first_offset: 0,
                last_offset: 0,
                acknowledge_types: vec![1],
            }]
        };
        add(
            format!("ShareFetch v{v}: unknown session"),
            fetch(3, Some("diff-share-none"), vec![]),
        );
        add(
            format!("ShareFetch v{v}: acknowledgements opening a session"),
            fetch(0, Some("diff-share-none"), one_ack()),
        );
        add(
            format!("ShareFetch v{v}: null group id"),
            fetch(3, None, vec![]),
        );
        add(
            format!("ShareFetch v{v}: a member that never joined opens a session"),
            fetch(0, Some("diff-share-none"), vec![]),
        );
    }

    for v in versions(ShareAcknowledgeRequest::API_KEY) {
        let ack = |epoch: i32| {
            exchange::<_, ShareAcknowledgeResponse>(
                v,
                ShareAcknowledgeRequest {
                    group_id: Some("diff-share-none".into()),
                    member_id: Some("diff-m".into()),
                    share_session_epoch: epoch,
                    topics: vec![AcknowledgeTopic {
                        topic_id: Uuid([7; 16]),
                        partitions: vec![AcknowledgePartition {
                            partition_index: 0,
                            acknowledgement_batches: vec![AckBatch {
                                first_offset: 0,
                                last_offset: 0,
                                acknowledge_types: vec![1],
                            }],
                        }],
                    }],
                    ..Default::default()
                },
            )
        };
        add(format!("ShareAcknowledge v{v}: epoch 0"), ack(0));
        add(format!("ShareAcknowledge v{v}: unknown session"), ack(4));
    }

    for v in versions(DescribeShareGroupOffsetsRequest::API_KEY) {
        use kalfka_protocol::messages::describe_share_group_offsets_request::DescribeShareGroupOffsetsRequestGroup;
        add(
            format!("DescribeShareGroupOffsets v{v}: unknown group"),
            exchange::<_, DescribeShareGroupOffsetsResponse>(
                v,
                DescribeShareGroupOffsetsRequest {
                    groups: vec![DescribeShareGroupOffsetsRequestGroup {
                        group_id: "diff-share-none".into(),
                        topics: None,
                    }],
                },
            ),
        );
    }

    for v in versions(DeleteShareGroupOffsetsRequest::API_KEY) {
        use kalfka_protocol::messages::delete_share_group_offsets_request::DeleteShareGroupOffsetsRequestTopic;
        add(
            format!("DeleteShareGroupOffsets v{v}: unknown group"),
            exchange::<_, DeleteShareGroupOffsetsResponse>(
                v,
                DeleteShareGroupOffsetsRequest {
                    group_id: "diff-share-none".into(),
                    topics: vec![DeleteShareGroupOffsetsRequestTopic {
                        topic_name: "diff-a".into(),
                    }],
                },
            ),
        );
    }

    for v in versions(IncrementalAlterConfigsRequest::API_KEY) {
        use kalfka_protocol::messages::incremental_alter_configs_request::{
            AlterConfigsResource, AlterableConfig,
        };
        let alter = |name: &str, value: &str| {
            exchange::<_, IncrementalAlterConfigsResponse>(
                v,
                IncrementalAlterConfigsRequest {
                    resources: vec![AlterConfigsResource {
                        resource_type: 32,
                        resource_name: "diff-share-cfg".into(),
                        configs: vec![AlterableConfig {
                            name: name.into(),
                            config_operation: 0,
                            value: Some(value.into()),
                        }],
                    }],
                    validate_only: true,
                },
            )
        };
        add(
            format!("IncrementalAlterConfigs v{v}: group share.auto.offset.reset earliest"),
            alter("share.auto.offset.reset", "earliest"),
        );
        add(
            format!("IncrementalAlterConfigs v{v}: group share.auto.offset.reset bad"),
            alter("share.auto.offset.reset", "sometimes"),
        );
        add(
            format!("IncrementalAlterConfigs v{v}: group share.auto.offset.reset by_duration"),
            alter("share.auto.offset.reset", "by_duration:P1DT2H30M1.5S"),
        );
        for (i, bad) in ["by_duration:-PT1H", "by_duration:P1W", "by_duration:PT"]
            .iter()
            .enumerate()
        {
            add(
                format!(
                    "IncrementalAlterConfigs v{v}: group share.auto.offset.reset bad duration {i}"
                ),
                alter("share.auto.offset.reset", bad),
            );
        }
        add(
            format!("IncrementalAlterConfigs v{v}: group share.isolation.level read_committed"),
            alter("share.isolation.level", "read_committed"),
        );
        add(
            format!("IncrementalAlterConfigs v{v}: group share.isolation.level bad"),
            alter("share.isolation.level", "READ_COMMITTED"),
        );
        add(
            format!("IncrementalAlterConfigs v{v}: group config unknown"),
            alter("share.no.such.config", "1"),
        );
    }
    cases
}

//! Consumer-protocol group APIs (KIP-848): ConsumerGroupHeartbeat (68) and
//! ConsumerGroupDescribe (69), over [`crate::groups::consumer::ConsumerGroups`].
//!
//! Topics travel by id on the wire and by name inside the coordinator; a topic deleted
//! meanwhile simply drops out of the answer.

use kalfka_protocol::error_code::ErrorCode;
use kalfka_protocol::messages::consumer_group_describe_response::{
    Assignment as DescribedAssignment, DescribedGroup, Member, TopicPartitions as DescribedTp,
};
use kalfka_protocol::messages::consumer_group_heartbeat_response::{
    Assignment as HbAssignment, TopicPartitions as HbTp,
};
use kalfka_protocol::messages::{
    ConsumerGroupDescribeRequest, ConsumerGroupDescribeResponse, ConsumerGroupHeartbeatRequest,
    ConsumerGroupHeartbeatResponse,
};

use super::share_groups::topic_view;
use super::{RequestContext, OPS_NOT_REQUESTED};
use crate::error::BrokerError;
use crate::groups::consumer::assignor::Assignment;
use crate::groups::consumer::group::{HeartbeatParams, TopicView};

/// Request checks Kafka makes before touching the group.
fn check_request(version: i16, req: &ConsumerGroupHeartbeatRequest) -> Result<(), BrokerError> {
    let invalid = |m: &str| Err(BrokerError::InvalidRequest(m.to_string()));
    if req.group_id.is_empty() {
        return invalid("GroupId can't be empty.");
    }
    if req.member_epoch != 0 && req.member_id.is_empty() {
        return invalid("MemberId can't be empty.");
    }
    if version >= 1 && req.member_id.is_empty() {
        return invalid("MemberId can't be empty.");
    }
    if req.member_epoch == 0 && req.rebalance_timeout_ms == -1 {
        return invalid("RebalanceTimeoutMs must be provided in first request.");
    }
    // Kafka 4.4 (GroupCoordinatorService): a (re-)join carries a present, empty owned list,
    // and a subscription (names or a regex, possibly empty).
    if req.member_epoch == 0 && req.topic_partitions.as_ref().is_none_or(|t| !t.is_empty()) {
        return invalid("TopicPartitions must be empty when (re-)joining.");
    }
    if req.member_epoch == 0
        && req.subscribed_topic_names.is_none()
        && req.subscribed_topic_regex.is_none()
    {
        return invalid(
            "Either SubscribedTopicNames or SubscribedTopicRegex must be non-null when (re-)joining.",
        );
    }
    if req.member_epoch == -2 && req.instance_id.is_none() {
        return invalid("InstanceId can't be null when MemberEpoch is -2.");
    }
    if req.member_epoch < -2 {
        return invalid("MemberEpoch is invalid.");
    }
    Ok(())
}

/// ConsumerGroupHeartbeat: join, leave, or keep alive and reconcile.
pub async fn heartbeat(
    ctx: &RequestContext,
    req: ConsumerGroupHeartbeatRequest,
) -> ConsumerGroupHeartbeatResponse {
    let groups = &ctx.broker.groups;
    let interval = groups.consumer.settings().heartbeat_interval.as_millis() as i32;
    let fail = |e: BrokerError| ConsumerGroupHeartbeatResponse {
        error_code: e.code_i16(),
        error_message: Some(e.to_string()),
        member_epoch: -1,
        heartbeat_interval_ms: 0,
        ..ConsumerGroupHeartbeatResponse::default()
    };
    if let Err(e) = check_request(ctx.version(), &req) {
        return fail(e);
    }
    if ctx.broker.shares.contains(&req.group_id) {
        // Kafka: GROUP_ID_NOT_FOUND ("Group G is not a consumer group."), member epoch 0.
        let e = BrokerError::GroupIdNotFound;
        return ConsumerGroupHeartbeatResponse {
            member_epoch: 0,
            ..fail(e)
        };
    }
    if let Err(e) = groups.claim_for_consumer_protocol(&req.group_id) {
        return fail(e);
    }
    let view = topic_view(ctx);
    let owned = req.topic_partitions.map(|tps| {
        let mut owned = Assignment::new();
        for tp in tps {
            if let Some(topic) = ctx.broker.topics.get_by_id(&tp.topic_id) {
                owned
                    .entry(topic.name.clone())
                    .or_default()
                    .extend(tp.partitions);
            }
        }
        owned
    });
    let params = HeartbeatParams {
        member_id: req.member_id,
        member_epoch: req.member_epoch,
        instance_id: req.instance_id,
        rack_id: req.rack_id,
        rebalance_timeout_ms: req.rebalance_timeout_ms,
        topic_names: req.subscribed_topic_names,
        regex: req.subscribed_topic_regex,
        assignor: req.server_assignor,
        owned,
        client_id: ctx.header.client_id.clone().unwrap_or_default(),
        client_host: ctx.client_host(),
    };
    match groups.consumer.heartbeat(&req.group_id, params, &view) {
        Err(e) => fail(e),
        Ok(o) => ConsumerGroupHeartbeatResponse {
            throttle_time_ms: 0,
            error_code: ErrorCode::None.code(),
            error_message: None,
            member_id: Some(o.member_id),
            member_epoch: o.member_epoch,
            heartbeat_interval_ms: interval,
            assignment: o.assignment.map(|a| HbAssignment {
                topic_partitions: by_id(&view, &a)
                    .into_iter()
                    .map(|(topic_id, _, partitions)| HbTp {
                        topic_id,
                        partitions,
                    })
                    .collect(),
            }),
        },
    }
}

/// An assignment as (topic id, topic name, partitions), skipping topics no longer known.
fn by_id(view: &TopicView, a: &Assignment) -> Vec<(kalfka_protocol::Uuid, String, Vec<i32>)> {
    a.iter()
        .filter_map(|(name, parts)| {
            view.get(name)
                .map(|(id, _)| (*id, name.clone(), parts.iter().copied().collect()))
        })
        .collect()
}

fn described(view: &TopicView, a: &Assignment) -> DescribedAssignment {
    DescribedAssignment {
        topic_partitions: by_id(view, a)
            .into_iter()
            .map(|(topic_id, topic_name, partitions)| DescribedTp {
                topic_id,
                topic_name,
                partitions,
            })
            .collect(),
    }
}

/// ConsumerGroupDescribe: GROUP_ID_NOT_FOUND for ids that are not consumer-protocol groups.
pub async fn describe(
    ctx: &RequestContext,
    req: ConsumerGroupDescribeRequest,
) -> ConsumerGroupDescribeResponse {
    let ops = if req.include_authorized_operations {
        0
    } else {
        OPS_NOT_REQUESTED
    };
    let view = topic_view(ctx);
    let groups = req
        .group_ids
        .into_iter()
        .map(|id| {
            let Some(d) = ctx.broker.groups.consumer.describe(&id) else {
                let e = if id.is_empty() {
                    BrokerError::InvalidGroupId
                } else {
                    BrokerError::GroupIdNotFound
                };
                // Kafka's wording ("Group G not found."), which the admin client shows.
                let message = match e {
                    BrokerError::GroupIdNotFound => format!("Group {id} not found."),
                    _ => format!("group {id:?}: {e}"),
                };
                return DescribedGroup {
                    error_code: e.code_i16(),
                    error_message: Some(message),
                    group_id: id,
                    group_state: "Dead".into(),
                    authorized_operations: ops,
                    ..DescribedGroup::default()
                };
            };
            DescribedGroup {
                error_code: ErrorCode::None.code(),
                error_message: None,
                group_id: d.group_id,
                group_state: d.state.into(),
                group_epoch: d.group_epoch,
                assignment_epoch: d.assignment_epoch,
                assignor_name: d.assignor,
                members: d
                    .members
                    .into_iter()
                    .map(|m| Member {
                        member_id: m.member_id,
                        instance_id: m.instance_id,
                        rack_id: m.rack_id,
                        member_epoch: m.member_epoch,
                        client_id: m.client_id,
                        client_host: m.client_host,
                        subscribed_topic_names: m.topic_names,
                        subscribed_topic_regex: m.regex,
                        assignment: described(&view, &m.assignment),
                        target_assignment: described(&view, &m.target),
                    })
                    .collect(),
                authorized_operations: ops,
            }
        })
        .collect();
    ConsumerGroupDescribeResponse {
        throttle_time_ms: 0,
        groups,
    }
}

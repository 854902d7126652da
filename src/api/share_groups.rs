//! Share-group membership APIs (KIP-932): ShareGroupHeartbeat (76) and ShareGroupDescribe
//! (77), over [`crate::groups::share::ShareGroups`].
//!
//! Topics travel by id on the wire and by name inside the group; a topic deleted meanwhile
//! drops out of the assignment. A group id is either a share group or another kind of group:
//! a heartbeat naming a consumer group gets GROUP_ID_NOT_FOUND, as from Kafka.

use std::time::Instant;

use kalfka_protocol::error_code::ErrorCode;
use kalfka_protocol::messages::share_group_describe_response::{
    Assignment as DescribedAssignment, DescribedGroup, Member, TopicPartitions as DescribedTp,
};
use kalfka_protocol::messages::share_group_heartbeat_response::{
    Assignment as HbAssignment, TopicPartitions as HbTp,
};
use kalfka_protocol::messages::{
    ShareGroupDescribeRequest, ShareGroupDescribeResponse, ShareGroupHeartbeatRequest,
    ShareGroupHeartbeatResponse,
};

use super::{RequestContext, OPS_NOT_REQUESTED};
use crate::error::BrokerError;
use crate::groups::consumer::group::TopicView;
use crate::groups::share::group::{assignment, ShareHeartbeat};

/// The assignor Kafka names for share groups.
const SHARE_ASSIGNOR: &str = "simple";

/// Existing topics by name: (id, partition count), as the consumer- and share-group
/// coordinators see them.
pub(crate) fn topic_view(ctx: &RequestContext) -> TopicView {
    ctx.broker
        .topics
        .list()
        .iter()
        .map(|t| (t.name.clone(), (t.id, t.partitions.len() as i32)))
        .collect()
}

/// Request checks Kafka makes before touching the group.
fn check_request(
    ctx: &RequestContext,
    req: &ShareGroupHeartbeatRequest,
) -> Result<(), BrokerError> {
    let invalid = |m: &str| Err(BrokerError::InvalidRequest(m.to_string()));
    if req.group_id.is_empty() {
        return invalid("GroupId can't be empty.");
    }
    if req.member_id.is_empty() {
        return invalid("MemberId can't be empty.");
    }
    if req.member_epoch < -1 {
        return invalid("MemberEpoch is invalid.");
    }
    if req.member_epoch == 0
        && req
            .subscribed_topic_names
            .as_ref()
            .is_none_or(|t| t.is_empty())
    {
        return invalid("SubscribedTopicNames must be set in first request.");
    }
    let groups = &ctx.broker.groups;
    let other_kind = groups.consumer.contains(&req.group_id)
        || groups
            .list()
            .iter()
            .any(|g| g.group_id == req.group_id && !g.members.is_empty());
    if other_kind {
        return Err(BrokerError::InvalidGroupType(req.group_id.clone()));
    }
    Ok(())
}

/// ShareGroupHeartbeat: join (epoch 0), leave (-1), or keep alive and learn the assignment.
/// Runs on the blocking pool: records of members that left are given back durably.
pub async fn heartbeat(
    ctx: &RequestContext,
    req: ShareGroupHeartbeatRequest,
) -> ShareGroupHeartbeatResponse {
    // As Kafka: member epoch 0 in errors, and no message for an empty member id.
    let no_member = req.member_id.is_empty();
    let fail = |e: BrokerError| ShareGroupHeartbeatResponse {
        error_code: e.code_i16(),
        error_message: (!no_member).then(|| e.to_string()),
        ..ShareGroupHeartbeatResponse::default()
    };
    if let Err(e) = check_request(ctx, &req) {
        return fail(e);
    }
    let view = topic_view(ctx);
    let group_id = req.group_id.clone();
    let hb = ShareHeartbeat {
        member_id: req.member_id.clone(),
        member_epoch: req.member_epoch,
        rack_id: req.rack_id,
        topics: req.subscribed_topic_names,
        client_id: ctx.header.client_id.clone().unwrap_or_default(),
        client_host: ctx.client_host(),
    };
    let view2 = view.clone();
    let outcome = super::blocking(ctx, move |ctx| {
        let shares = &ctx.broker.shares;
        let (out, syncer) = shares.heartbeat(&group_id, hb, &view2, Instant::now())?;
        if let Some(s) = syncer {
            s.sync()
                .map_err(|e| BrokerError::Storage(format!("share-group state: {e}")))?;
        }
        Ok::<_, BrokerError>(out)
    })
    .await
    .and_then(|r| r);
    let interval = ctx.broker.shares.settings().heartbeat_interval.as_millis() as i32;
    match outcome {
        Err(e) => fail(e),
        Ok(o) => ShareGroupHeartbeatResponse {
            throttle_time_ms: 0,
            error_code: ErrorCode::None.code(),
            error_message: None,
            member_id: Some(req.member_id),
            member_epoch: o.member_epoch,
            // A member that left gets no interval (as from Kafka).
            heartbeat_interval_ms: if o.member_epoch < 0 { 0 } else { interval },
            assignment: o.assignment.map(|a| HbAssignment {
                topic_partitions: a
                    .iter()
                    .filter_map(|(name, parts)| {
                        view.get(name).map(|(id, _)| HbTp {
                            topic_id: *id,
                            partitions: parts.iter().copied().collect(),
                        })
                    })
                    .collect(),
            }),
        },
    }
}

/// ShareGroupDescribe: GROUP_ID_NOT_FOUND for ids that are not share groups.
pub async fn describe(
    ctx: &RequestContext,
    req: ShareGroupDescribeRequest,
) -> ShareGroupDescribeResponse {
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
            let Some(d) = ctx.broker.shares.describe(&id) else {
                let e = if id.is_empty() {
                    BrokerError::InvalidGroupId
                } else {
                    BrokerError::GroupIdNotFound
                };
                return DescribedGroup {
                    error_code: e.code_i16(),
                    error_message: Some(format!("Group {id} not found.")),
                    group_id: id,
                    authorized_operations: ops,
                    ..DescribedGroup::default()
                };
            };
            DescribedGroup {
                error_code: ErrorCode::None.code(),
                error_message: None,
                group_id: d.group_id,
                group_state: d.state.into(),
                group_epoch: d.epoch,
                assignment_epoch: d.epoch,
                assignor_name: SHARE_ASSIGNOR.into(),
                members: d
                    .members
                    .into_iter()
                    .map(|m| Member {
                        assignment: DescribedAssignment {
                            topic_partitions: assignment(&m.topics, &view)
                                .into_iter()
                                .filter_map(|(name, parts)| {
                                    view.get(&name).map(|(id, _)| DescribedTp {
                                        topic_id: *id,
                                        topic_name: name.clone(),
                                        partitions: parts.into_iter().collect(),
                                    })
                                })
                                .collect(),
                        },
                        member_id: m.member_id,
                        rack_id: m.rack_id,
                        member_epoch: m.epoch,
                        client_id: m.client_id,
                        client_host: m.client_host,
                        subscribed_topic_names: m.topics,
                    })
                    .collect(),
                authorized_operations: ops,
            }
        })
        .collect();
    ShareGroupDescribeResponse {
        throttle_time_ms: 0,
        groups,
    }
}

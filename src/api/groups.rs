//! Group membership APIs: FindCoordinator (10), JoinGroup (11), Heartbeat (12),
//! LeaveGroup (13), SyncGroup (14), DescribeGroups (15), ListGroups (16), DeleteGroups (42).
//!
//! The handlers translate wire fields to [`crate::groups::GroupCoordinator`] calls; JoinGroup
//! and SyncGroup may be held (long poll) until the rebalance progresses.
//!
//! FindCoordinator answers with this node for every key, transactional ids included: a single
//! node is the coordinator of everything, and a client that then sends a transactional request
//! gets that API's own error rather than retrying COORDINATOR_NOT_AVAILABLE forever.

use kalfka_protocol::error_code::ErrorCode;
use kalfka_protocol::messages::delete_groups_response::DeletableGroupResult;
use kalfka_protocol::messages::describe_groups_response::{DescribedGroup, DescribedGroupMember};
use kalfka_protocol::messages::find_coordinator_response::Coordinator;
use kalfka_protocol::messages::join_group_response::JoinGroupResponseMember;
use kalfka_protocol::messages::leave_group_response::MemberResponse;
use kalfka_protocol::messages::list_groups_response::ListedGroup;
use kalfka_protocol::messages::{
    DeleteGroupsRequest, DeleteGroupsResponse, DescribeGroupsRequest, DescribeGroupsResponse,
    FindCoordinatorRequest, FindCoordinatorResponse, HeartbeatRequest, HeartbeatResponse,
    JoinGroupRequest, JoinGroupResponse, LeaveGroupRequest, LeaveGroupResponse, ListGroupsRequest,
    ListGroupsResponse, SyncGroupRequest, SyncGroupResponse,
};

use super::{RequestContext, OPS_NOT_REQUESTED};
use crate::error::BrokerError;
use crate::groups::group::{JoinOutcome, JoinParams, Pending};

/// Key types FindCoordinator accepts: 0 group, 1 transaction.
const MAX_KEY_TYPE: i8 = 1;

fn code(r: &Result<(), BrokerError>) -> i16 {
    r.as_ref()
        .err()
        .map_or(ErrorCode::None.code(), BrokerError::code_i16)
}

/// FindCoordinator: this node, for every key (v4+: per key).
pub async fn find_coordinator(
    ctx: &RequestContext,
    req: FindCoordinatorRequest,
) -> FindCoordinatorResponse {
    let b = &ctx.broker;
    let error = if (0..=MAX_KEY_TYPE).contains(&req.key_type) {
        ErrorCode::None
    } else {
        ErrorCode::InvalidRequest
    };
    let ok = error == ErrorCode::None;
    if ok {
        // Kafka creates the coordinator's internal topic at the first lookup.
        let internal = if req.key_type == 1 {
            crate::metadata::topic::TRANSACTION_STATE_TOPIC
        } else {
            crate::metadata::topic::OFFSETS_TOPIC
        };
        if ctx.broker.topics.get(internal).is_none() {
            let created =
                super::blocking(ctx, move |ctx| ctx.broker.topics.get_or_create(internal)).await;
            if let Err(e) | Ok(Err(e)) = created.map(|r| r.map(drop)) {
                tracing::warn!(topic = internal, error = %e, "cannot create the internal topic");
            }
        }
    }
    let node = |key: String| Coordinator {
        key,
        node_id: if ok { b.node_id() } else { -1 },
        host: if ok {
            b.advertised_host().to_string()
        } else {
            String::new()
        },
        port: if ok { b.advertised_port() } else { -1 },
        error_code: error.code(),
        error_message: None,
    };
    if ctx.version() >= 4 {
        return FindCoordinatorResponse {
            coordinators: req.coordinator_keys.into_iter().map(node).collect(),
            ..FindCoordinatorResponse::default()
        };
    }
    let c = node(req.key);
    FindCoordinatorResponse {
        error_code: c.error_code,
        error_message: None,
        node_id: c.node_id,
        host: c.host,
        port: c.port,
        ..FindCoordinatorResponse::default()
    }
}

/// JoinGroup: held until the rebalance completes.
pub async fn join_group(ctx: &RequestContext, req: JoinGroupRequest) -> JoinGroupResponse {
    let version = ctx.version();
    let params = JoinParams {
        member_id: req.member_id.clone(),
        instance_id: req.group_instance_id.clone(),
        client_id: ctx.header.client_id.clone().unwrap_or_default(),
        client_host: ctx.client_host(),
        session_timeout_ms: req.session_timeout_ms,
        rebalance_timeout_ms: if version == 0 {
            req.session_timeout_ms
        } else {
            req.rebalance_timeout_ms
        },
        protocol_type: req.protocol_type.clone(),
        protocols: req
            .protocols
            .into_iter()
            .map(|p| (p.name, p.metadata))
            .collect(),
        require_known_member_id: version >= 4,
    };
    if ctx.broker.shares.contains(&req.group_id) {
        // A share group's id: refused as Kafka refuses it, without a member id.
        let e = BrokerError::InconsistentGroupProtocol;
        return join_response(
            version,
            e.code_i16(),
            JoinOutcome {
                generation: -1,
                ..JoinOutcome::default()
            },
        );
    }
    let outcome = match ctx.broker.groups.join(&req.group_id, params) {
        Ok(Pending::Done(o)) => o,
        Ok(Pending::Wait(rx)) => rx.await.unwrap_or_else(|_| JoinOutcome {
            error: Some(crate::groups::group::ErrorKind::UnknownMemberId),
            generation: -1,
            member_id: req.member_id.clone(),
            ..JoinOutcome::default()
        }),
        Err(e) => {
            return join_response(
                version,
                e.code_i16(),
                JoinOutcome {
                    generation: -1,
                    member_id: req.member_id,
                    ..JoinOutcome::default()
                },
            )
        }
    };
    let error = outcome
        .error
        .map_or(ErrorCode::None.code(), |k| BrokerError::from(k).code_i16());
    join_response(version, error, outcome)
}

fn join_response(version: i16, error_code: i16, o: JoinOutcome) -> JoinGroupResponse {
    JoinGroupResponse {
        throttle_time_ms: 0,
        error_code,
        generation_id: o.generation,
        protocol_type: o.protocol_type,
        protocol_name: match o.protocol_name {
            None if version < 7 => Some(String::new()),
            other => other,
        },
        leader: o.leader,
        skip_assignment: o.skip_assignment,
        member_id: o.member_id,
        members: o
            .members
            .into_iter()
            .map(
                |(member_id, group_instance_id, metadata)| JoinGroupResponseMember {
                    member_id,
                    group_instance_id,
                    metadata,
                },
            )
            .collect(),
    }
}

/// SyncGroup: followers are held until the leader's assignment arrives.
pub async fn sync_group(ctx: &RequestContext, req: SyncGroupRequest) -> SyncGroupResponse {
    let assignments = req
        .assignments
        .into_iter()
        .map(|a| (a.member_id, a.assignment))
        .collect();
    let result = ctx.broker.groups.sync(
        &req.group_id,
        &req.member_id,
        req.group_instance_id.as_deref(),
        req.generation_id,
        assignments,
    );
    let assignment = match result {
        Ok(Pending::Done(r)) => r.map_err(BrokerError::from),
        Ok(Pending::Wait(rx)) => match rx.await {
            Ok(r) => r.map_err(BrokerError::from),
            Err(_) => Err(BrokerError::UnknownMemberId),
        },
        Err(e) => Err(e),
    };
    let (error_code, assignment) = match assignment {
        Ok(a) => (ErrorCode::None.code(), a),
        Err(e) => (e.code_i16(), Default::default()),
    };
    SyncGroupResponse {
        throttle_time_ms: 0,
        error_code,
        protocol_type: req.protocol_type,
        protocol_name: req.protocol_name,
        assignment,
    }
}

/// Heartbeat.
pub async fn heartbeat(ctx: &RequestContext, req: HeartbeatRequest) -> HeartbeatResponse {
    let r = ctx.broker.groups.heartbeat(
        &req.group_id,
        &req.member_id,
        req.group_instance_id.as_deref(),
        req.generation_id,
    );
    HeartbeatResponse {
        throttle_time_ms: 0,
        error_code: code(&r),
    }
}

/// LeaveGroup (v3+: several members).
pub async fn leave_group(ctx: &RequestContext, req: LeaveGroupRequest) -> LeaveGroupResponse {
    let members: Vec<(String, Option<String>)> = if ctx.version() >= 3 {
        req.members
            .iter()
            .map(|m| (m.member_id.clone(), m.group_instance_id.clone()))
            .collect()
    } else {
        vec![(req.member_id.clone(), None)]
    };
    match ctx.broker.groups.leave(&req.group_id, &members) {
        Err(e) => LeaveGroupResponse {
            error_code: e.code_i16(),
            ..LeaveGroupResponse::default()
        },
        Ok(results) if ctx.version() < 3 => LeaveGroupResponse {
            error_code: results.first().map_or(0, code),
            ..LeaveGroupResponse::default()
        },
        Ok(results) => LeaveGroupResponse {
            throttle_time_ms: 0,
            error_code: ErrorCode::None.code(),
            members: members
                .into_iter()
                .zip(&results)
                .map(|((member_id, group_instance_id), r)| MemberResponse {
                    member_id,
                    group_instance_id,
                    error_code: code(r),
                })
                .collect(),
        },
    }
}

/// First DescribeGroups version answering an unknown group with GROUP_ID_NOT_FOUND.
const FIRST_GROUP_NOT_FOUND_VERSION: i16 = 6;

/// DescribeGroups: unknown groups are described as "Dead" with no error (v0-5), or get
/// GROUP_ID_NOT_FOUND (v6, KIP-1043).
pub async fn describe_groups(
    ctx: &RequestContext,
    req: DescribeGroupsRequest,
) -> DescribeGroupsResponse {
    let version = ctx.version();
    let ops = if req.include_authorized_operations {
        0
    } else {
        OPS_NOT_REQUESTED
    };
    let groups = req
        .groups
        .into_iter()
        .map(|id| {
            if id.is_empty() {
                return DescribedGroup {
                    error_code: ErrorCode::InvalidGroupId.code(),
                    group_id: id,
                    authorized_operations: ops,
                    ..DescribedGroup::default()
                };
            }
            match ctx.broker.groups.describe(&id) {
                // v6 (KIP-1043): an unknown group is GROUP_ID_NOT_FOUND, with Kafka's message.
                None if version >= FIRST_GROUP_NOT_FOUND_VERSION => DescribedGroup {
                    error_code: ErrorCode::GroupIdNotFound.code(),
                    error_message: Some(format!("Group {id} not found.")),
                    group_id: id,
                    group_state: "Dead".into(),
                    authorized_operations: ops,
                    ..DescribedGroup::default()
                },
                None => DescribedGroup {
                    error_code: ErrorCode::None.code(),
                    group_id: id,
                    group_state: "Dead".into(),
                    authorized_operations: ops,
                    ..DescribedGroup::default()
                },
                Some(d) => DescribedGroup {
                    error_code: ErrorCode::None.code(),
                    group_id: d.group_id,
                    group_state: d.state.name().into(),
                    protocol_type: d.protocol_type,
                    protocol_data: d.protocol,
                    members: d
                        .members
                        .into_iter()
                        .map(|m| DescribedGroupMember {
                            member_id: m.member_id,
                            group_instance_id: m.instance_id,
                            client_id: m.client_id,
                            client_host: m.client_host,
                            member_metadata: m.metadata,
                            member_assignment: m.assignment,
                        })
                        .collect(),
                    authorized_operations: ops,
                    error_message: None,
                },
            }
        })
        .collect();
    DescribeGroupsResponse {
        throttle_time_ms: 0,
        groups,
    }
}

/// ListGroups with optional state (v4+) and type (v5+) filters.
pub async fn list_groups(ctx: &RequestContext, req: ListGroupsRequest) -> ListGroupsResponse {
    let groups = ctx
        .broker
        .groups
        .list()
        .into_iter()
        .filter(|g| {
            req.states_filter.is_empty()
                || req
                    .states_filter
                    .iter()
                    .any(|s| s.eq_ignore_ascii_case(g.state.name()))
        })
        .filter(|_| {
            req.types_filter.is_empty()
                || req
                    .types_filter
                    .iter()
                    .any(|t| t.eq_ignore_ascii_case("classic"))
        })
        .map(|g| ListedGroup {
            group_id: g.group_id,
            protocol_type: g.protocol_type,
            group_state: g.state.name().into(),
            group_type: "classic".into(),
        })
        .chain(consumer_protocol_groups(ctx, &req))
        .chain(share_groups(ctx, &req))
        .collect();
    ListGroupsResponse {
        throttle_time_ms: 0,
        error_code: ErrorCode::None.code(),
        groups,
    }
}

/// Consumer-protocol (KIP-848) groups as ListGroups shows them: type "consumer", protocol
/// type "consumer".
fn consumer_protocol_groups(ctx: &RequestContext, req: &ListGroupsRequest) -> Vec<ListedGroup> {
    let wanted = |s: &str, filter: &[String]| {
        filter.is_empty() || filter.iter().any(|f| f.eq_ignore_ascii_case(s))
    };
    ctx.broker
        .groups
        .consumer
        .list()
        .into_iter()
        .filter(|g| wanted(g.state, &req.states_filter) && wanted("consumer", &req.types_filter))
        .map(|g| ListedGroup {
            group_id: g.group_id,
            protocol_type: "consumer".into(),
            group_state: g.state.into(),
            group_type: "consumer".into(),
        })
        .collect()
}

/// Share groups (KIP-932) as ListGroups shows them: type "share", protocol type "share".
fn share_groups(ctx: &RequestContext, req: &ListGroupsRequest) -> Vec<ListedGroup> {
    let wanted = |s: &str, filter: &[String]| {
        filter.is_empty() || filter.iter().any(|f| f.eq_ignore_ascii_case(s))
    };
    ctx.broker
        .shares
        .list()
        .into_iter()
        .filter(|g| wanted(g.state, &req.states_filter) && wanted("share", &req.types_filter))
        .map(|g| ListedGroup {
            group_id: g.group_id,
            protocol_type: "share".into(),
            group_state: g.state.into(),
            group_type: "share".into(),
        })
        .collect()
}

/// DeleteGroups: NON_EMPTY_GROUP while members remain, GROUP_ID_NOT_FOUND for unknown ids.
/// A share group's share state goes with it. Runs on the blocking pool: deleting writes and
/// fsyncs the offsets log (or the share-state log).
pub async fn delete_groups(ctx: &RequestContext, req: DeleteGroupsRequest) -> DeleteGroupsResponse {
    let names = req.groups_names.clone();
    let results = super::blocking(ctx, move |ctx| {
        req.groups_names
            .into_iter()
            .map(|group_id| {
                let r = match ctx.broker.shares.delete_group(&group_id) {
                    Some(Ok(syncer)) => syncer
                        .sync()
                        .map_err(|e| BrokerError::Storage(format!("share-group state: {e}"))),
                    Some(Err(e)) => Err(e),
                    None => ctx.broker.groups.delete_group(&group_id),
                };
                DeletableGroupResult {
                    group_id,
                    error_code: code(&r),
                }
            })
            .collect()
    })
    .await
    .unwrap_or_else(|e| {
        names
            .into_iter()
            .map(|group_id| DeletableGroupResult {
                group_id,
                error_code: e.code_i16(),
            })
            .collect()
    });
    DeleteGroupsResponse {
        throttle_time_ms: 0,
        results,
    }
}

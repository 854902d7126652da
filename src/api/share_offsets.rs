//! Share-group offsets admin APIs (KIP-932): DescribeShareGroupOffsets (90),
//! AlterShareGroupOffsets (91) and DeleteShareGroupOffsets (92).
//!
//! The offsets of a share group are its share-partition start offsets. Altering or deleting
//! them needs an empty group (NON_EMPTY_GROUP otherwise); altering creates the group. A
//! partition that has no share state yet (of any group, known or not) is described with start
//! offset -1, as Kafka does.
//! Alter and delete run on the blocking pool: they write and fsync the share-state log.

use kalfka_protocol::error_code::ErrorCode;
use kalfka_protocol::messages::alter_share_group_offsets_response::{
    AlterShareGroupOffsetsResponsePartition, AlterShareGroupOffsetsResponseTopic,
};
use kalfka_protocol::messages::delete_share_group_offsets_response::DeleteShareGroupOffsetsResponseTopic;
use kalfka_protocol::messages::describe_share_group_offsets_request::DescribeShareGroupOffsetsRequestGroup;
use kalfka_protocol::messages::describe_share_group_offsets_response::{
    DescribeShareGroupOffsetsResponseGroup, DescribeShareGroupOffsetsResponsePartition,
    DescribeShareGroupOffsetsResponseTopic,
};
use kalfka_protocol::messages::{
    AlterShareGroupOffsetsRequest, AlterShareGroupOffsetsResponse, DeleteShareGroupOffsetsRequest,
    DeleteShareGroupOffsetsResponse, DescribeShareGroupOffsetsRequest,
    DescribeShareGroupOffsetsResponse,
};
use kalfka_protocol::Uuid;

use super::metadata::LEADER_EPOCH;
use super::RequestContext;
use crate::error::BrokerError;

fn storage(e: std::io::Error) -> BrokerError {
    BrokerError::Storage(format!("share-group state: {e}"))
}

/// DescribeShareGroupOffsets: start offset and lag of the named partitions, or of every
/// partition with share state when the topics are null.
pub async fn describe(
    ctx: &RequestContext,
    req: DescribeShareGroupOffsetsRequest,
) -> DescribeShareGroupOffsetsResponse {
    DescribeShareGroupOffsetsResponse {
        throttle_time_ms: 0,
        groups: req
            .groups
            .into_iter()
            .map(|g| describe_group(ctx, g))
            .collect(),
    }
}

fn describe_group(
    ctx: &RequestContext,
    g: DescribeShareGroupOffsetsRequestGroup,
) -> DescribeShareGroupOffsetsResponseGroup {
    let shares = &ctx.broker.shares;
    let fail = |e: BrokerError, group_id: String| DescribeShareGroupOffsetsResponseGroup {
        group_id,
        topics: vec![],
        error_code: e.code_i16(),
        error_message: Some(e.to_string()),
    };
    if g.group_id.is_empty() {
        return fail(BrokerError::InvalidGroupId, g.group_id);
    }
    // An unknown group is described as one without share state, as Kafka does.
    let with_state = shares.group_partitions(&g.group_id).unwrap_or_default();
    // (topic name, topic id, partitions) to describe.
    let wanted: Vec<(String, Uuid, Vec<i32>)> = match g.topics {
        Some(topics) => topics
            .into_iter()
            .map(|t| {
                let id = ctx
                    .broker
                    .topics
                    .get(&t.topic_name)
                    .map_or(Uuid::ZERO, |t| t.id);
                (t.topic_name, id, t.partitions)
            })
            .collect(),
        None => {
            let mut out: Vec<(String, Uuid, Vec<i32>)> = Vec::new();
            for (id, index) in with_state {
                let Some(topic) = ctx.broker.topics.get_by_id(&id) else {
                    continue;
                };
                match out.last_mut() {
                    Some(last) if last.1 == id => last.2.push(index),
                    _ => out.push((topic.name.clone(), id, vec![index])),
                }
            }
            out
        }
    };
    let topics = wanted
        .into_iter()
        .map(|(topic_name, topic_id, partitions)| {
            let topic = ctx.broker.topics.get_by_id(&topic_id);
            DescribeShareGroupOffsetsResponseTopic {
                topic_name,
                topic_id,
                partitions: partitions
                    .into_iter()
                    .map(|index| {
                        let part = topic.as_ref().and_then(|t| t.partition(index).cloned());
                        let Some(part) = part else {
                            let e = BrokerError::UnknownTopicOrPartition;
                            return DescribeShareGroupOffsetsResponsePartition {
                                partition_index: index,
                                start_offset: -1,
                                leader_epoch: -1,
                                lag: -1,
                                error_code: e.code_i16(),
                                error_message: Some(e.to_string()),
                            };
                        };
                        let log_end = part.offsets().log_end;
                        let (start_offset, lag) = shares
                            .partition_offsets(&g.group_id, (topic_id, index), log_end)
                            .unwrap_or((-1, -1));
                        DescribeShareGroupOffsetsResponsePartition {
                            partition_index: index,
                            start_offset,
                            leader_epoch: LEADER_EPOCH,
                            lag,
                            error_code: ErrorCode::None.code(),
                            error_message: None,
                        }
                    })
                    .collect(),
            }
        })
        .collect();
    DescribeShareGroupOffsetsResponseGroup {
        group_id: g.group_id,
        topics,
        error_code: ErrorCode::None.code(),
        error_message: None,
    }
}

/// AlterShareGroupOffsets: sets start offsets of an empty share group (created if needed).
pub async fn alter(
    ctx: &RequestContext,
    req: AlterShareGroupOffsetsRequest,
) -> AlterShareGroupOffsetsResponse {
    let fail = |e: BrokerError| AlterShareGroupOffsetsResponse {
        error_code: e.code_i16(),
        error_message: Some(e.to_string()),
        ..AlterShareGroupOffsetsResponse::default()
    };
    if req.group_id.is_empty() {
        return fail(BrokerError::InvalidGroupId);
    }
    let mut starts = Vec::new();
    let mut responses = Vec::new();
    for t in &req.topics {
        let topic = ctx.broker.topics.get(&t.topic_name);
        let mut partitions = Vec::new();
        for p in &t.partitions {
            let known = topic.as_ref().and_then(|t| t.partition(p.partition_index));
            let error = match known {
                None => Some(BrokerError::UnknownTopicOrPartition),
                Some(_) if p.start_offset < 0 => Some(BrokerError::InvalidRequest(format!(
                    "start offset {} is negative",
                    p.start_offset
                ))),
                Some(_) => None,
            };
            if let (Some(topic), None) = (&topic, &error) {
                starts.push(((topic.id, p.partition_index), p.start_offset));
            }
            partitions.push(AlterShareGroupOffsetsResponsePartition {
                partition_index: p.partition_index,
                error_code: error.as_ref().map_or(0, BrokerError::code_i16),
                error_message: error.map(|e| e.to_string()),
            });
        }
        responses.push(AlterShareGroupOffsetsResponseTopic {
            topic_name: t.topic_name.clone(),
            topic_id: topic.map_or(Uuid::ZERO, |t| t.id),
            partitions,
        });
    }
    let group = req.group_id.clone();
    let done = super::blocking(ctx, move |ctx| {
        if let Some(s) = ctx.broker.shares.alter_offsets(&group, &starts)? {
            s.sync().map_err(storage)?;
        }
        Ok::<_, BrokerError>(())
    })
    .await
    .and_then(|r| r);
    match done {
        Err(e) => fail(e),
        Ok(()) => AlterShareGroupOffsetsResponse {
            throttle_time_ms: 0,
            error_code: ErrorCode::None.code(),
            error_message: None,
            responses,
        },
    }
}

/// DeleteShareGroupOffsets: forgets the share state of topics of an empty share group.
pub async fn delete(
    ctx: &RequestContext,
    req: DeleteShareGroupOffsetsRequest,
) -> DeleteShareGroupOffsetsResponse {
    let fail = |e: BrokerError| DeleteShareGroupOffsetsResponse {
        error_code: e.code_i16(),
        error_message: Some(e.to_string()),
        ..DeleteShareGroupOffsetsResponse::default()
    };
    if req.group_id.is_empty() {
        return fail(BrokerError::InvalidGroupId);
    }
    let group = req.group_id.clone();
    let topics: Vec<(String, Option<Uuid>)> = req
        .topics
        .iter()
        .map(|t| {
            let id = ctx.broker.topics.get(&t.topic_name).map(|t| t.id);
            (t.topic_name.clone(), id)
        })
        .collect();
    let done = super::blocking(ctx, move |ctx| {
        let mut out = Vec::new();
        for (topic_name, id) in topics {
            let r = match id {
                None => Err(BrokerError::UnknownTopicOrPartition),
                Some(id) => match ctx.broker.shares.delete_offsets(&group, id) {
                    Ok(s) => s.sync().map_err(storage),
                    // A group-level failure fails the whole request.
                    Err(e @ (BrokerError::GroupIdNotFound | BrokerError::NonEmptyGroup)) => {
                        return Err(e)
                    }
                    Err(e) => Err(e),
                },
            };
            out.push(DeleteShareGroupOffsetsResponseTopic {
                topic_name,
                topic_id: id.unwrap_or(Uuid::ZERO),
                error_code: r.as_ref().err().map_or(0, BrokerError::code_i16),
                error_message: r.err().map(|e| e.to_string()),
            });
        }
        Ok(out)
    })
    .await
    .and_then(|r| r);
    match done {
        Err(e) => fail(e),
        Ok(responses) => DeleteShareGroupOffsetsResponse {
            throttle_time_ms: 0,
            error_code: ErrorCode::None.code(),
            error_message: None,
            responses,
        },
    }
}

//! DescribeTopicPartitions (key 75, KIP-966): topic and partition metadata, paged with a
//! cursor so that clients can walk topics with very many partitions.

use kalfka_protocol::error_code::ErrorCode;
use kalfka_protocol::messages::describe_topic_partitions_response::{
    Cursor, DescribeTopicPartitionsResponsePartition, DescribeTopicPartitionsResponseTopic,
};
use kalfka_protocol::messages::{DescribeTopicPartitionsRequest, DescribeTopicPartitionsResponse};
use kalfka_protocol::Uuid;

use super::metadata::LEADER_EPOCH;
use super::{RequestContext, OPS_NOT_REQUESTED};

/// Partitions per response when the client asks for none or more than this (Kafka's
/// `max.request.partition.size.limit`).
const MAX_PARTITIONS_PER_RESPONSE: i32 = 2000;

/// Describes the requested topics (all, when none are named) from the cursor on, at most
/// `response_partition_limit` partitions, with the cursor to continue from.
pub async fn handle(
    ctx: &RequestContext,
    req: DescribeTopicPartitionsRequest,
) -> DescribeTopicPartitionsResponse {
    let registry = &ctx.broker.topics;
    let node = ctx.broker.node_id();
    let mut names: Vec<String> = if req.topics.is_empty() {
        registry.list().iter().map(|t| t.name.clone()).collect()
    } else {
        req.topics.into_iter().map(|t| t.name).collect()
    };
    names.sort();
    names.dedup();
    let (start_topic, start_partition) = match &req.cursor {
        Some(c) => (Some(c.topic_name.clone()), c.partition_index.max(0)),
        None => (None, 0),
    };
    let mut budget = match req.response_partition_limit {
        n if n <= 0 || n > MAX_PARTITIONS_PER_RESPONSE => MAX_PARTITIONS_PER_RESPONSE,
        n => n,
    } as usize;
    let mut topics = Vec::new();
    let mut next_cursor = None;
    let remaining = names
        .iter()
        .filter(|n| start_topic.as_ref().is_none_or(|s| *n >= s));
    for name in remaining {
        let Some(topic) = registry.get(name) else {
            topics.push(DescribeTopicPartitionsResponseTopic {
                error_code: ErrorCode::UnknownTopicOrPartition.code(),
                name: Some(name.clone()),
                topic_id: Uuid::default(),
                is_internal: crate::metadata::is_internal_topic(name),
                partitions: Vec::new(),
                topic_authorized_operations: OPS_NOT_REQUESTED,
            });
            continue;
        };
        if budget == 0 {
            next_cursor = Some(Cursor {
                topic_name: name.clone(),
                partition_index: 0,
            });
            break;
        }
        let first = if start_topic.as_deref() == Some(name.as_str()) {
            start_partition as usize
        } else {
            0
        };
        let total = topic.partitions.len();
        let end = total.min(first.saturating_add(budget));
        let partitions = (first..end)
            .map(|p| DescribeTopicPartitionsResponsePartition {
                error_code: ErrorCode::None.code(),
                partition_index: p as i32,
                leader_id: node,
                leader_epoch: LEADER_EPOCH,
                replica_nodes: vec![node],
                isr_nodes: vec![node],
                eligible_leader_replicas: Some(Vec::new()),
                last_known_elr: Some(Vec::new()),
                offline_replicas: Vec::new(),
            })
            .collect::<Vec<_>>();
        budget -= partitions.len();
        topics.push(DescribeTopicPartitionsResponseTopic {
            error_code: ErrorCode::None.code(),
            name: Some(topic.name.clone()),
            topic_id: topic.id,
            is_internal: crate::metadata::is_internal_topic(&topic.name),
            partitions,
            topic_authorized_operations: OPS_NOT_REQUESTED,
        });
        if end < total {
            next_cursor = Some(Cursor {
                topic_name: topic.name.clone(),
                partition_index: end as i32,
            });
            break;
        }
    }
    DescribeTopicPartitionsResponse {
        throttle_time_ms: 0,
        topics,
        next_cursor,
    }
}

//! Committed offsets: OffsetCommit (8), OffsetFetch (9, v8+ several groups) and
//! OffsetDelete (47), backed by the coordinator's durable offset store.

use std::collections::HashMap;

use kalfka_protocol::error_code::ErrorCode;
use kalfka_protocol::messages::offset_commit_response::{
    OffsetCommitResponsePartition, OffsetCommitResponseTopic,
};
use kalfka_protocol::messages::offset_delete_response::{
    OffsetDeleteResponsePartition, OffsetDeleteResponseTopic,
};
use kalfka_protocol::messages::offset_fetch_response::{
    OffsetFetchResponseGroup, OffsetFetchResponsePartition, OffsetFetchResponsePartitions,
    OffsetFetchResponseTopic, OffsetFetchResponseTopics,
};
use kalfka_protocol::messages::{
    OffsetCommitRequest, OffsetCommitResponse, OffsetDeleteRequest, OffsetDeleteResponse,
    OffsetFetchRequest, OffsetFetchResponse,
};

use super::RequestContext;
use crate::error::BrokerError;
use crate::groups::coordinator::{now_ms, FetchedTopic};
use crate::groups::offsets::CommittedOffset;

/// First OffsetFetch version that batches groups.
const FIRST_MULTI_GROUP_VERSION: i16 = 8;

/// OffsetCommit: acknowledged only once the offsets are fsynced. Offsets for a partition
/// that does not exist are refused with UNKNOWN_TOPIC_OR_PARTITION and not stored, as Kafka
/// does.
pub async fn commit(ctx: &RequestContext, req: OffsetCommitRequest) -> OffsetCommitResponse {
    let version = ctx.version();
    let now = now_ms();
    let exists = |topic: &str, partition: i32| {
        ctx.broker
            .topics
            .get(topic)
            .is_some_and(|t| t.partition(partition).is_some())
    };
    let commits: Vec<_> = req
        .topics
        .iter()
        .flat_map(|t| {
            t.partitions
                .iter()
                .filter(|p| exists(&t.name, p.partition_index))
                .map(move |p| {
                    let ts = if version == 1 && p.commit_timestamp >= 0 {
                        p.commit_timestamp
                    } else {
                        now
                    };
                    (
                        (t.name.clone(), p.partition_index),
                        CommittedOffset {
                            offset: p.committed_offset,
                            leader_epoch: p.committed_leader_epoch,
                            metadata: p.committed_metadata.clone(),
                            commit_timestamp_ms: ts,
                        },
                    )
                })
        })
        .collect();
    let result = ctx
        .broker
        .groups
        .commit(
            &req.group_id,
            req.generation_id_or_member_epoch,
            &req.member_id,
            req.group_instance_id.as_deref(),
            commits,
        )
        .await;
    let per_partition: HashMap<(&str, i32), i16> = match &result {
        Ok(per) => per
            .iter()
            .filter_map(|(tp, r)| {
                r.as_ref()
                    .err()
                    .map(|e| ((tp.0.as_str(), tp.1), e.code_i16()))
            })
            .collect(),
        Err(_) => HashMap::new(),
    };
    let topics = req
        .topics
        .iter()
        .map(|t| OffsetCommitResponseTopic {
            name: t.name.clone(),
            partitions: t
                .partitions
                .iter()
                .map(|p| {
                    let error_code = if !exists(&t.name, p.partition_index) {
                        ErrorCode::UnknownTopicOrPartition.code()
                    } else {
                        match &result {
                            Err(e) => e.code_i16(),
                            Ok(_) => per_partition
                                .get(&(t.name.as_str(), p.partition_index))
                                .copied()
                                .unwrap_or(ErrorCode::None.code()),
                        }
                    };
                    OffsetCommitResponsePartition {
                        partition_index: p.partition_index,
                        error_code,
                    }
                })
                .collect(),
        })
        .collect();
    OffsetCommitResponse {
        throttle_time_ms: 0,
        topics,
    }
}

fn fetched(
    ctx: &RequestContext,
    group_id: &str,
    topics: Option<Vec<(String, Vec<i32>)>>,
) -> Result<Vec<FetchedTopic>, BrokerError> {
    if group_id.is_empty() {
        return Err(BrokerError::InvalidGroupId);
    }
    Ok(ctx.broker.groups.fetch_offsets(group_id, topics))
}

/// (offset, leader epoch, metadata) as answered: -1 / -1 / "" when nothing is committed.
fn answer(c: Option<CommittedOffset>) -> (i64, i32, Option<String>) {
    match c {
        Some(c) => (
            c.offset,
            c.leader_epoch,
            Some(c.metadata.unwrap_or_default()),
        ),
        None => (-1, -1, Some(String::new())),
    }
}

/// Whether an open transaction holds offsets of the group's partition.
fn unstable(ctx: &RequestContext, group: &str, topic: &str, partition: i32) -> bool {
    ctx.broker.txns.has_pending_offsets(group, topic, partition)
}

/// UNSTABLE_OFFSET_COMMIT (retriable) for a partition with pending transactional offsets.
fn stable_code(unstable: bool) -> i16 {
    if unstable {
        ErrorCode::UnstableOffsetCommit.code()
    } else {
        ErrorCode::None.code()
    }
}

/// OffsetFetch: uncommitted partitions answer offset -1 with no error; with
/// `require_stable` (v7+), partitions whose offsets an open transaction is about to commit
/// answer UNSTABLE_OFFSET_COMMIT, which the client retries.
pub async fn fetch(ctx: &RequestContext, req: OffsetFetchRequest) -> OffsetFetchResponse {
    if ctx.version() >= FIRST_MULTI_GROUP_VERSION {
        let groups = req
            .groups
            .into_iter()
            .map(|g| {
                let topics = g.topics.map(|ts| {
                    ts.into_iter()
                        .map(|t| (t.name, t.partition_indexes))
                        .collect()
                });
                let member = g.member_id.as_deref().filter(|m| !m.is_empty());
                let checked = match member {
                    Some(m) => ctx
                        .broker
                        .groups
                        .consumer
                        .validate_offset_request(&g.group_id, m, g.member_epoch)
                        .unwrap_or(Ok(())),
                    None => Ok(()),
                };
                match checked.and_then(|()| fetched(ctx, &g.group_id, topics)) {
                    Err(e) => OffsetFetchResponseGroup {
                        group_id: g.group_id,
                        error_code: e.code_i16(),
                        ..OffsetFetchResponseGroup::default()
                    },
                    Ok(topics) => OffsetFetchResponseGroup {
                        group_id: g.group_id.clone(),
                        error_code: ErrorCode::None.code(),
                        topics: topics
                            .into_iter()
                            .map(|(name, parts)| OffsetFetchResponseTopics {
                                partitions: parts
                                    .into_iter()
                                    .map(|(p, c)| {
                                        let unstable = req.require_stable
                                            && unstable(ctx, &g.group_id, &name, p);
                                        let (offset, epoch, metadata) =
                                            answer(c.filter(|_| !unstable));
                                        OffsetFetchResponsePartitions {
                                            partition_index: p,
                                            committed_offset: offset,
                                            committed_leader_epoch: epoch,
                                            metadata,
                                            error_code: stable_code(unstable),
                                        }
                                    })
                                    .collect(),
                                name,
                            })
                            .collect(),
                    },
                }
            })
            .collect();
        return OffsetFetchResponse {
            groups,
            ..OffsetFetchResponse::default()
        };
    }
    let topics = req.topics.map(|ts| {
        ts.into_iter()
            .map(|t| (t.name, t.partition_indexes))
            .collect()
    });
    match fetched(ctx, &req.group_id, topics) {
        Err(e) => OffsetFetchResponse {
            error_code: e.code_i16(),
            ..OffsetFetchResponse::default()
        },
        Ok(topics) => OffsetFetchResponse {
            throttle_time_ms: 0,
            error_code: ErrorCode::None.code(),
            topics: topics
                .into_iter()
                .map(|(name, parts)| OffsetFetchResponseTopic {
                    partitions: parts
                        .into_iter()
                        .map(|(p, c)| {
                            let unstable =
                                req.require_stable && unstable(ctx, &req.group_id, &name, p);
                            let (offset, epoch, metadata) = answer(c.filter(|_| !unstable));
                            OffsetFetchResponsePartition {
                                partition_index: p,
                                committed_offset: offset,
                                committed_leader_epoch: epoch,
                                metadata,
                                error_code: stable_code(unstable),
                            }
                        })
                        .collect(),
                    name,
                })
                .collect(),
            groups: Vec::new(),
        },
    }
}

/// OffsetDelete: removes committed offsets of partitions the group no longer subscribes to.
pub async fn delete(ctx: &RequestContext, req: OffsetDeleteRequest) -> OffsetDeleteResponse {
    let tps: Vec<(String, i32)> = req
        .topics
        .iter()
        .flat_map(|t| {
            t.partitions
                .iter()
                .map(|p| (t.name.clone(), p.partition_index))
        })
        .collect();
    if req.group_id.is_empty() {
        return OffsetDeleteResponse {
            error_code: ErrorCode::InvalidGroupId.code(),
            ..OffsetDeleteResponse::default()
        };
    }
    let group_id = req.group_id.clone();
    let deleted = super::blocking(ctx, move |ctx| {
        ctx.broker.groups.delete_offsets(&group_id, tps)
    })
    .await
    .and_then(|r| r);
    match deleted {
        Err(e) => OffsetDeleteResponse {
            error_code: e.code_i16(),
            ..OffsetDeleteResponse::default()
        },
        Ok(results) => OffsetDeleteResponse {
            error_code: ErrorCode::None.code(),
            throttle_time_ms: 0,
            topics: req
                .topics
                .iter()
                .map(|t| OffsetDeleteResponseTopic {
                    name: t.name.clone(),
                    partitions: t
                        .partitions
                        .iter()
                        .map(|p| OffsetDeleteResponsePartition {
                            partition_index: p.partition_index,
                            error_code: results
                                .iter()
                                .find(|(tp, _)| tp.0 == t.name && tp.1 == p.partition_index)
                                .and_then(|(_, r)| r.as_ref().err())
                                .map_or(ErrorCode::None.code(), BrokerError::code_i16),
                        })
                        .collect(),
                })
                .collect(),
        },
    }
}

//! CreatePartitions (key 37) and ElectLeaders (key 43).
//!
//! A single node leads every partition, so leader elections have nothing to change: existing
//! partitions get ELECTION_NOT_NEEDED (as Kafka answers when the preferred leader already
//! leads), unknown ones UNKNOWN_TOPIC_OR_PARTITION.

use kalfka_protocol::error_code::ErrorCode;
use kalfka_protocol::messages::create_partitions_request::CreatePartitionsTopic;
use kalfka_protocol::messages::create_partitions_response::CreatePartitionsTopicResult;
use kalfka_protocol::messages::elect_leaders_response::{PartitionResult, ReplicaElectionResult};
use kalfka_protocol::messages::{
    CreatePartitionsRequest, CreatePartitionsResponse, ElectLeadersRequest, ElectLeadersResponse,
};

use super::RequestContext;
use crate::error::BrokerError;

/// Grows topics to a new partition count (or only validates that they could grow), on the
/// blocking pool (it creates directories).
pub async fn create(
    ctx: &RequestContext,
    req: CreatePartitionsRequest,
) -> CreatePartitionsResponse {
    let names: Vec<String> = req.topics.iter().map(|t| t.name.clone()).collect();
    match super::blocking(ctx, move |ctx| create_all(ctx, req)).await {
        Ok(response) => response,
        Err(e) => CreatePartitionsResponse {
            throttle_time_ms: 0,
            results: names
                .into_iter()
                .map(|name| CreatePartitionsTopicResult {
                    name,
                    error_code: e.code_i16(),
                    error_message: Some(e.to_string()),
                })
                .collect(),
        },
    }
}

fn create_all(ctx: &RequestContext, req: CreatePartitionsRequest) -> CreatePartitionsResponse {
    let duplicates = super::repeated_names(req.topics.iter().map(|t| t.name.as_str()));
    // As for CreateTopics, Kafka refuses a request that adds too many partitions at once.
    let added: u64 = req
        .topics
        .iter()
        .map(|t| {
            let have = ctx
                .broker
                .topics
                .get(&t.name)
                .map_or(0, |topic| topic.partitions.len());
            u64::try_from(t.count)
                .unwrap_or(0)
                .saturating_sub(have as u64)
        })
        .sum();
    let too_many = added > super::MAX_PARTITIONS_PER_REQUEST;
    let results = req
        .topics
        .iter()
        .map(|t| {
            let result = if too_many {
                Err(BrokerError::PolicyViolation(
                    "Excessively large number of partitions per request.".into(),
                ))
            } else if duplicates.contains(&t.name) {
                Err(BrokerError::InvalidRequest(format!(
                    "topic {} is listed more than once in the request",
                    t.name
                )))
            } else {
                create_one(ctx, t, req.validate_only)
            };
            let (error_code, error_message) = match result {
                Ok(()) => (ErrorCode::None.code(), None),
                // Kafka carries no message with an unknown topic.
                Err(BrokerError::UnknownTopicOrPartition) => {
                    (ErrorCode::UnknownTopicOrPartition.code(), None)
                }
                Err(e) => (e.code_i16(), Some(e.to_string())),
            };
            CreatePartitionsTopicResult {
                name: t.name.clone(),
                error_code,
                error_message,
            }
        })
        .collect();
    CreatePartitionsResponse {
        throttle_time_ms: 0,
        results,
    }
}

fn create_one(
    ctx: &RequestContext,
    t: &CreatePartitionsTopic,
    validate_only: bool,
) -> Result<(), BrokerError> {
    let registry = &ctx.broker.topics;
    let topic = registry.check_add_partitions(&t.name, t.count)?;
    if let Some(assignments) = &t.assignments {
        let new = t.count as usize - topic.partitions.len();
        // Kafka (ReplicationControlManager): INVALID_REPLICA_ASSIGNMENT for both.
        if assignments.len() != new {
            return Err(BrokerError::InvalidReplicaAssignment(format!(
                "Attempted to add {new} additional partitions, but only {} assignments were specified.",
                assignments.len()
            )));
        }
        let node = ctx.broker.node_id();
        if let Some(other) = assignments
            .iter()
            .flat_map(|a| a.broker_ids.iter())
            .find(|b| **b != node)
        {
            return Err(BrokerError::InvalidReplicaAssignment(format!(
                "The manual partition assignment includes broker {other}, but no such broker is registered."
            )));
        }
    }
    if !validate_only {
        registry.add_partitions(&t.name, t.count)?;
    }
    Ok(())
}

/// Answers leader elections: on one node every existing partition already has its preferred
/// leader, so Kafka's answer for each is ELECTION_NOT_NEEDED; asked for every partition (null
/// list), nothing needs an election and the result is empty.
pub async fn elect_leaders(ctx: &RequestContext, req: ElectLeadersRequest) -> ElectLeadersResponse {
    let registry = &ctx.broker.topics;
    let requested: Vec<(String, Vec<i32>)> = match req.topic_partitions {
        Some(list) => list.into_iter().map(|t| (t.topic, t.partitions)).collect(),
        None => Vec::new(),
    };
    let replica_election_results = requested
        .into_iter()
        .map(|(topic, partitions)| {
            let found = registry.get(&topic);
            let partition_result = partitions
                .into_iter()
                .map(|p| {
                    let exists = found.as_ref().is_some_and(|t| t.partition(p).is_some());
                    let (error_code, error_message) = if exists {
                        (
                            ErrorCode::ElectionNotNeeded.code(),
                            Some(format!(
                                "Leader election not needed for topic partition {topic}-{p}"
                            )),
                        )
                    } else {
                        let e = BrokerError::UnknownTopicOrPartition;
                        (e.code_i16(), Some(e.to_string()))
                    };
                    PartitionResult {
                        partition_id: p,
                        error_code,
                        error_message,
                    }
                })
                .collect();
            ReplicaElectionResult {
                topic,
                partition_result,
            }
        })
        .collect();
    ElectLeadersResponse {
        throttle_time_ms: 0,
        error_code: ErrorCode::None.code(),
        replica_election_results,
    }
}

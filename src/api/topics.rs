//! CreateTopics (key 19) and DeleteTopics (key 20).

use kalfka_protocol::error_code::ErrorCode;
use kalfka_protocol::messages::create_topics_request::CreatableTopic;
use kalfka_protocol::messages::create_topics_response::{
    CreatableTopicConfigs, CreatableTopicResult,
};
use kalfka_protocol::messages::delete_topics_response::DeletableTopicResult;
use kalfka_protocol::messages::{
    CreateTopicsRequest, CreateTopicsResponse, DeleteTopicsRequest, DeleteTopicsResponse,
};
use kalfka_protocol::Uuid;

use super::RequestContext;
use crate::error::BrokerError;
use crate::metadata::{topic_config, TopicConfigs};

/// Creates topics (or only validates them, with `validate_only`), on the blocking pool: a
/// creation writes directories and metadata and must not hold up other requests.
pub async fn create(ctx: &RequestContext, req: CreateTopicsRequest) -> CreateTopicsResponse {
    let names: Vec<String> = req.topics.iter().map(|t| t.name.clone()).collect();
    match super::blocking(ctx, move |ctx| create_all(ctx, req)).await {
        Ok(response) => response,
        Err(e) => CreateTopicsResponse {
            throttle_time_ms: 0,
            topics: names.iter().map(|n| failed(n, &e)).collect(),
        },
    }
}

fn create_all(ctx: &RequestContext, req: CreateTopicsRequest) -> CreateTopicsResponse {
    let duplicates = super::repeated_names(req.topics.iter().map(|t| t.name.as_str()));
    // Kafka refuses the whole request when it asks for too many partitions at once.
    let default_partitions = ctx.broker.topics.defaults().num_partitions;
    let requested: u64 = req
        .topics
        .iter()
        .map(|t| match (t.assignments.len(), t.num_partitions) {
            (0, -1) => u64::try_from(default_partitions).unwrap_or(0),
            (0, n) => u64::try_from(n).unwrap_or(0),
            (n, _) => n as u64,
        })
        .sum();
    let too_many = (requested > super::MAX_PARTITIONS_PER_REQUEST).then(|| {
        tracing::warn!(
            partitions = requested,
            "refused a CreateTopics request for too many partitions"
        );
        BrokerError::PolicyViolation("Excessively large number of partitions per request.".into())
    });
    // A name listed twice gets one answer, as in Kafka (its results are keyed by name).
    let mut answered = std::collections::HashSet::new();
    let topics = req
        .topics
        .into_iter()
        .filter(|t| answered.insert(t.name.clone()))
        .map(|t| {
            if let Some(e) = &too_many {
                return failed(&t.name, e);
            }
            if duplicates.contains(&t.name) {
                let e = BrokerError::InvalidRequest(format!(
                    "topic {} is listed more than once in the request",
                    t.name
                ));
                return failed(&t.name, &e);
            }
            match create_one(ctx, &t, req.validate_only) {
                Ok(result) => result,
                Err(e) => failed(&t.name, &e),
            }
        })
        .collect();
    CreateTopicsResponse {
        throttle_time_ms: 0,
        topics,
    }
}

fn create_one(
    ctx: &RequestContext,
    t: &CreatableTopic,
    validate_only: bool,
) -> Result<CreatableTopicResult, BrokerError> {
    if !matches!(t.replication_factor, -1 | 1) && t.assignments.is_empty() {
        return Err(BrokerError::InvalidReplicationFactor(t.replication_factor));
    }
    let mut partitions = t.num_partitions;
    if !t.assignments.is_empty() {
        if t.num_partitions != -1 || t.replication_factor != -1 {
            return Err(BrokerError::InvalidRequest(
                "both manual assignments and a partition count or replication factor were given"
                    .into(),
            ));
        }
        // Kafka (ReplicationControlManager.validateManualPartitionAssignment):
        // INVALID_REPLICA_ASSIGNMENT for gaps, unknown brokers and duplicate replicas.
        let node = ctx.broker.node_id();
        for (i, a) in t.assignments.iter().enumerate() {
            if a.partition_index != i as i32 {
                return Err(BrokerError::InvalidReplicaAssignment(
                    "partitions should be a consecutive 0-based integer sequence".into(),
                ));
            }
            if let Some(other) = a.broker_ids.iter().find(|b| **b != node) {
                return Err(BrokerError::InvalidReplicaAssignment(format!(
                    "The manual partition assignment includes broker {other}, but no such broker is registered."
                )));
            }
            if a.broker_ids.len() != 1 {
                return Err(BrokerError::InvalidReplicaAssignment(format!(
                    "The manual partition assignment includes the partition {i} with duplicate replicas or none."
                )));
            }
        }
        partitions = t.assignments.len() as i32;
    }
    let mut configs = TopicConfigs::new();
    for c in &t.configs {
        match &c.value {
            Some(v) => {
                configs.insert(c.name.clone(), v.clone());
            }
            None => {
                return Err(BrokerError::InvalidConfig(format!(
                    "null value for configuration {}",
                    c.name
                )))
            }
        }
    }
    let registry = &ctx.broker.topics;
    let (id, partitions) = if validate_only {
        (
            Uuid::default(),
            registry.check_new_topic(&t.name, partitions, &configs)?,
        )
    } else {
        let topic = registry.create(&t.name, partitions, configs.clone())?;
        (topic.id, topic.partitions.len() as i32)
    };
    Ok(CreatableTopicResult {
        name: t.name.clone(),
        topic_id: id,
        error_code: ErrorCode::None.code(),
        error_message: None,
        num_partitions: partitions,
        replication_factor: 1,
        // v5+: every config of the new topic with its effective value and source, as Kafka
        // answers (clients such as kafka-topics print them).
        configs: Some(
            topic_config::effective(&configs, registry.defaults())
                .into_iter()
                .map(|e| CreatableTopicConfigs {
                    name: e.def.name.to_string(),
                    value: Some(e.value),
                    read_only: false,
                    config_source: e.source as i8,
                    is_sensitive: false,
                })
                .collect(),
        ),
        ..Default::default()
    })
}

fn failed(name: &str, e: &BrokerError) -> CreatableTopicResult {
    CreatableTopicResult {
        name: name.to_string(),
        error_code: e.code_i16(),
        error_message: Some(e.to_string()),
        num_partitions: -1,
        replication_factor: -1,
        // Kafka answers an empty list (v5+), not null.
        configs: Some(Vec::new()),
        ..Default::default()
    }
}

/// Deletes topics by name (v0-5) or by name or id (v6+), on the blocking pool (it removes
/// directories).
pub async fn delete(ctx: &RequestContext, req: DeleteTopicsRequest) -> DeleteTopicsResponse {
    let version = ctx.version();
    match super::blocking(ctx, move |ctx| delete_all(ctx, req, version)).await {
        Ok(response) => response,
        Err(e) => {
            tracing::error!(error = %e, "DeleteTopics failed");
            DeleteTopicsResponse::default()
        }
    }
}

fn delete_all(
    ctx: &RequestContext,
    req: DeleteTopicsRequest,
    version: i16,
) -> DeleteTopicsResponse {
    let registry = &ctx.broker.topics;
    let requested: Vec<(Option<String>, Uuid)> = if version >= 6 {
        req.topics
            .into_iter()
            .map(|t| (t.name, t.topic_id))
            .collect()
    } else {
        req.topic_names
            .into_iter()
            .map(|n| (Some(n), Uuid::default()))
            .collect()
    };
    let responses = requested
        .into_iter()
        .map(|(name, id)| {
            let name = match name {
                Some(n) => Some(n),
                None => registry.get_by_id(&id).map(|t| t.name.clone()),
            };
            let result = match &name {
                Some(n) => registry.delete(n).and_then(|t| {
                    // As Kafka's coordinator does when partitions are deleted.
                    ctx.broker.groups.forget_topic_offsets(|topic| topic == n)?;
                    // And share groups their share state of it (KIP-932).
                    let (_, syncer) = ctx.broker.shares.forget_topics(|id| *id == t.id)?;
                    if let Some(s) = syncer {
                        s.sync()
                            .map_err(|e| BrokerError::Storage(format!("share-group state: {e}")))?;
                    }
                    Ok(t.id)
                }),
                None => Err(BrokerError::UnknownTopicId),
            };
            match result {
                Ok(deleted_id) => DeletableTopicResult {
                    name,
                    topic_id: deleted_id,
                    error_code: ErrorCode::None.code(),
                    error_message: None,
                },
                Err(e) => DeletableTopicResult {
                    name,
                    topic_id: id,
                    error_code: e.code_i16(),
                    error_message: Some(e.to_string()),
                },
            }
        })
        .collect();
    DeleteTopicsResponse {
        throttle_time_ms: 0,
        responses,
    }
}

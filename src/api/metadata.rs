//! Metadata (key 3): the broker, the topics asked for, and auto-creation of unknown topics.

use std::sync::Arc;

use kalfka_protocol::error_code::ErrorCode;
use kalfka_protocol::messages::metadata_response::{
    MetadataResponseBroker, MetadataResponsePartition, MetadataResponseTopic,
};
use kalfka_protocol::messages::{MetadataRequest, MetadataResponse};
use kalfka_protocol::Uuid;

use super::{RequestContext, OPS_NOT_REQUESTED};
use crate::error::BrokerError;
use crate::metadata::{is_internal_topic, validate_topic_name, Topic};

/// Leader epoch reported for every partition; Fetch and ListOffsets check against it.
pub const LEADER_EPOCH: i32 = 0;

/// Answers Metadata, creating requested topics that don't exist when both the client and the
/// broker allow it.
pub async fn handle(ctx: &RequestContext, req: MetadataRequest) -> MetadataResponse {
    let broker = &ctx.broker;
    let version = ctx.version();
    let node = broker.node_id();
    // v0: an empty list means "all topics"; v1+: null means all, empty means none.
    let all_topics = match &req.topics {
        None => true,
        Some(list) => version == 0 && list.is_empty(),
    };
    let allow_create =
        broker.config.auto_create_topics && (version < 4 || req.allow_auto_topic_creation);
    let topics = if all_topics {
        broker
            .topics
            .list()
            .iter()
            .map(|t| describe(t, node))
            .collect()
    } else {
        let requested = req.topics.unwrap_or_default();
        // Creating a topic writes files: then the lookups run on the blocking pool.
        let creates = allow_create
            && requested.iter().any(|t| {
                t.name
                    .as_deref()
                    .is_some_and(|n| !n.is_empty() && broker.topics.get(n).is_none())
            });
        if creates {
            let names: Vec<Option<String>> = requested.iter().map(|t| t.name.clone()).collect();
            super::blocking(ctx, move |ctx| lookup_all(ctx, requested, allow_create))
                .await
                .unwrap_or_else(|e| {
                    tracing::error!(error = %e, "auto-creation failed");
                    names
                        .into_iter()
                        .map(|n| error_topic(n.as_deref(), Uuid::default(), e.code()))
                        .collect()
                })
        } else {
            lookup_all(ctx, requested, allow_create)
        }
    };
    MetadataResponse {
        throttle_time_ms: 0,
        brokers: vec![MetadataResponseBroker {
            node_id: broker.node_id(),
            host: broker.advertised_host().to_string(),
            port: broker.advertised_port(),
            rack: None,
        }],
        cluster_id: Some(broker.topics.cluster_id().to_string()),
        controller_id: broker.node_id(),
        topics,
        cluster_authorized_operations: OPS_NOT_REQUESTED,
    }
}

fn lookup_all(
    ctx: &RequestContext,
    requested: Vec<kalfka_protocol::messages::metadata_request::MetadataRequestTopic>,
    allow_create: bool,
) -> Vec<MetadataResponseTopic> {
    let node = ctx.broker.node_id();
    requested
        .into_iter()
        .map(|t| match t.name {
            Some(name) if !name.is_empty() || t.topic_id.0 == [0; 16] => {
                lookup_by_name(ctx, &name, allow_create)
            }
            _ => match ctx.broker.topics.get_by_id(&t.topic_id) {
                Some(topic) => describe(&topic, node),
                None => error_topic(None, t.topic_id, ErrorCode::UnknownTopicId),
            },
        })
        .collect()
}

fn lookup_by_name(ctx: &RequestContext, name: &str, allow_create: bool) -> MetadataResponseTopic {
    let registry = &ctx.broker.topics;
    let node = ctx.broker.node_id();
    if let Some(topic) = registry.get(name) {
        return describe(&topic, node);
    }
    if let Err(e) = validate_topic_name(name) {
        return error_topic(Some(name), Uuid::default(), e.code());
    }
    if !allow_create {
        return error_topic(
            Some(name),
            Uuid::default(),
            ErrorCode::UnknownTopicOrPartition,
        );
    }
    match registry.get_or_create(name) {
        Ok(topic) => describe(&topic, node),
        Err(e @ BrokerError::Storage(_)) => {
            tracing::error!(topic = name, error = %e, "auto-creation failed");
            error_topic(Some(name), Uuid::default(), e.code())
        }
        Err(e) => error_topic(Some(name), Uuid::default(), e.code()),
    }
}

fn describe(topic: &Arc<Topic>, node: i32) -> MetadataResponseTopic {
    MetadataResponseTopic {
        error_code: ErrorCode::None.code(),
        name: Some(topic.name.clone()),
        topic_id: topic.id,
        is_internal: is_internal_topic(&topic.name),
        partitions: topic
            .partitions
            .iter()
            .map(|p| MetadataResponsePartition {
                error_code: ErrorCode::None.code(),
                partition_index: p.index,
                leader_id: node,
                leader_epoch: LEADER_EPOCH,
                replica_nodes: vec![node],
                isr_nodes: vec![node],
                offline_replicas: vec![],
            })
            .collect(),
        topic_authorized_operations: OPS_NOT_REQUESTED,
    }
}

fn error_topic(name: Option<&str>, id: Uuid, error: ErrorCode) -> MetadataResponseTopic {
    MetadataResponseTopic {
        error_code: error.code(),
        name: name.map(str::to_string),
        topic_id: id,
        is_internal: name.is_some_and(is_internal_topic),
        partitions: vec![],
        topic_authorized_operations: OPS_NOT_REQUESTED,
    }
}

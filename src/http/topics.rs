//! Topic administration for the console: create, delete, add partitions, edit configs.
//!
//! Routes: `POST /api/v1/topics` (`{"name", "partitions"?, "configs"?: {name: value}}`),
//! `DELETE /api/v1/topics/{name}`, `POST /api/v1/topics/{name}/partitions` (`{"count"}`, the
//! new total), `PUT /api/v1/topics/{name}/configs` (`{"set"?: {name: value}, "delete"?:
//! [name], "validate_only"?: bool}`).
//!
//! Invariant: each is exactly one CreateTopics, DeleteTopics, CreatePartitions or
//! IncrementalAlterConfigs request handled by the broker's Kafka handler (see [`super::kafka`]),
//! so names, counts and config values are validated as the Kafka API validates them and a
//! refusal carries the broker's own error code and message.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::Json;
use kalfka_protocol::messages::create_partitions_request::CreatePartitionsTopic;
use kalfka_protocol::messages::create_topics_request::{CreatableTopic, CreatableTopicConfig};
use kalfka_protocol::messages::incremental_alter_configs_request::{
    AlterConfigsResource, AlterableConfig,
};
use kalfka_protocol::messages::{
    CreatePartitionsRequest, CreateTopicsRequest, DeleteTopicsRequest,
    IncrementalAlterConfigsRequest,
};
use serde::Deserialize;
use serde_json::{json, Value};

use super::error::{parse_body, ApiError};
use super::kafka::context;
use super::HttpState;
use crate::api;

/// How long the console lets a topic change take (the request's `timeout_ms`).
const TIMEOUT_MS: i32 = 30_000;
/// DescribeConfigs / IncrementalAlterConfigs resource type of a topic.
const RESOURCE_TOPIC: i8 = 2;
/// IncrementalAlterConfigs operations.
const OP_SET: i8 = 0;
const OP_DELETE: i8 = 1;

/// `POST /api/v1/topics` body.
#[derive(Debug, Deserialize)]
struct CreateTopic {
    name: String,
    /// Partition count; the broker's default when absent.
    partitions: Option<i32>,
    #[serde(default)]
    configs: BTreeMap<String, String>,
}

/// `POST /api/v1/topics`: creates a topic through CreateTopics.
pub async fn create(
    State(state): State<Arc<HttpState>>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let req: CreateTopic = parse_body(&body)?;
    let ctx = context::<CreateTopicsRequest>(&state, 7)?;
    let request = CreateTopicsRequest {
        topics: vec![CreatableTopic {
            name: req.name.clone(),
            num_partitions: req.partitions.unwrap_or(-1),
            replication_factor: -1,
            configs: req
                .configs
                .into_iter()
                .map(|(name, value)| CreatableTopicConfig {
                    name,
                    value: Some(value),
                })
                .collect(),
            ..Default::default()
        }],
        timeout_ms: TIMEOUT_MS,
        ..Default::default()
    };
    let resp = api::topics::create(&ctx, request).await;
    let t = resp
        .topics
        .into_iter()
        .next()
        .ok_or_else(|| ApiError::Internal("empty CreateTopics response".into()))?;
    ApiError::check(
        t.error_code,
        t.error_message,
        &format!("create topic {}", req.name),
    )?;
    Ok(Json(
        json!({ "name": t.name, "topic_id": t.topic_id.to_string(), "partitions": t.num_partitions }),
    ))
}

/// `DELETE /api/v1/topics/{name}`: deletes a topic through DeleteTopics.
pub async fn delete(
    State(state): State<Arc<HttpState>>,
    Path(name): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let ctx = context::<DeleteTopicsRequest>(&state, 5)?;
    let request = DeleteTopicsRequest {
        topic_names: vec![name.clone()],
        timeout_ms: TIMEOUT_MS,
        ..Default::default()
    };
    let resp = api::topics::delete(&ctx, request).await;
    let r = resp
        .responses
        .into_iter()
        .next()
        .ok_or_else(|| ApiError::Internal("empty DeleteTopics response".into()))?;
    ApiError::check(
        r.error_code,
        r.error_message,
        &format!("delete topic {name}"),
    )?;
    Ok(Json(json!({ "deleted": name })))
}

/// `POST /api/v1/topics/{name}/partitions` body.
#[derive(Debug, Deserialize)]
struct AddPartitions {
    /// The new partition count (larger than the current one).
    count: i32,
}

/// `POST /api/v1/topics/{name}/partitions`: raises the partition count through
/// CreatePartitions.
pub async fn add_partitions(
    State(state): State<Arc<HttpState>>,
    Path(name): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let req: AddPartitions = parse_body(&body)?;
    let ctx = context::<CreatePartitionsRequest>(&state, 3)?;
    let request = CreatePartitionsRequest {
        topics: vec![CreatePartitionsTopic {
            name: name.clone(),
            count: req.count,
            assignments: None,
        }],
        timeout_ms: TIMEOUT_MS,
        validate_only: false,
    };
    let resp = api::partitions::create(&ctx, request).await;
    let r = resp
        .results
        .into_iter()
        .next()
        .ok_or_else(|| ApiError::Internal("empty CreatePartitions response".into()))?;
    ApiError::check(
        r.error_code,
        r.error_message,
        &format!("add partitions to {name}"),
    )?;
    Ok(Json(json!({ "name": name, "partitions": req.count })))
}

/// `PUT /api/v1/topics/{name}/configs` body.
#[derive(Debug, Deserialize)]
struct AlterConfigs {
    /// Configs to set on the topic.
    #[serde(default)]
    set: BTreeMap<String, String>,
    /// Topic overrides to remove (back to the broker's value or Kafka's default).
    #[serde(default)]
    delete: Vec<String>,
    /// Validate without changing anything.
    #[serde(default)]
    validate_only: bool,
}

/// `PUT /api/v1/topics/{name}/configs`: sets or removes topic configs through
/// IncrementalAlterConfigs.
pub async fn alter_configs(
    State(state): State<Arc<HttpState>>,
    Path(name): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let req: AlterConfigs = parse_body(&body)?;
    if req.set.is_empty() && req.delete.is_empty() {
        return Err(ApiError::BadRequest("nothing to change".into()));
    }
    let ctx = context::<IncrementalAlterConfigsRequest>(&state, 1)?;
    let mut configs: Vec<AlterableConfig> = req
        .set
        .into_iter()
        .map(|(name, value)| AlterableConfig {
            name,
            config_operation: OP_SET,
            value: Some(value),
        })
        .collect();
    configs.extend(req.delete.into_iter().map(|name| AlterableConfig {
        name,
        config_operation: OP_DELETE,
        value: None,
    }));
    let request = IncrementalAlterConfigsRequest {
        resources: vec![AlterConfigsResource {
            resource_type: RESOURCE_TOPIC,
            resource_name: name.clone(),
            configs,
        }],
        validate_only: req.validate_only,
    };
    let resp = api::configs::incremental_alter(&ctx, request).await;
    let r = resp
        .responses
        .into_iter()
        .next()
        .ok_or_else(|| ApiError::Internal("empty IncrementalAlterConfigs response".into()))?;
    ApiError::check(
        r.error_code,
        r.error_message,
        &format!("alter configs of {name}"),
    )?;
    Ok(Json(
        json!({ "name": name, "validated_only": req.validate_only }),
    ))
}

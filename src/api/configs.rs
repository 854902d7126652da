//! DescribeConfigs (key 32), AlterConfigs (key 33) and IncrementalAlterConfigs (key 44).
//!
//! Topic configs come from the one table in [`crate::metadata::topic_config`]: every config is
//! described with its effective value and source, not only the overrides. Broker configs are
//! static (file, environment, flags): they can be described but not altered. Group configs
//! are the share-group ones of [`crate::groups::share::config`], stored with the share state.

use std::collections::{BTreeMap, HashSet};

use kalfka_protocol::error_code::ErrorCode;
use kalfka_protocol::messages::describe_configs_request::DescribeConfigsResource;
use kalfka_protocol::messages::describe_configs_response::{
    DescribeConfigsResourceResult, DescribeConfigsResult, DescribeConfigsSynonym,
};
use kalfka_protocol::messages::{
    alter_configs_response, incremental_alter_configs_request, incremental_alter_configs_response,
    AlterConfigsRequest, AlterConfigsResponse, DescribeConfigsRequest, DescribeConfigsResponse,
    IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponse,
};

use super::RequestContext;
use crate::broker::Broker;
use crate::error::BrokerError;
use crate::groups::share::config as share_config;
use crate::metadata::topic_config::{self, ConfigSource, ConfigType};
use crate::metadata::TopicConfigs;

/// Config resource type of a topic.
pub const RESOURCE_TOPIC: i8 = 2;
/// Config resource type of a broker.
pub const RESOURCE_BROKER: i8 = 4;
/// Config resource type of a group (share-group configs, KIP-932).
pub const RESOURCE_GROUP: i8 = 32;

/// IncrementalAlterConfigs operation: set a value.
const OP_SET: i8 = 0;
/// IncrementalAlterConfigs operation: remove the override.
const OP_DELETE: i8 = 1;
/// IncrementalAlterConfigs operation: add items to a list config.
const OP_APPEND: i8 = 2;
/// IncrementalAlterConfigs operation: remove items from a list config.
const OP_SUBTRACT: i8 = 3;

/// Options of one DescribeConfigs request.
struct DescribeOptions {
    version: i16,
    synonyms: bool,
    documentation: bool,
}

/// Describes topic and broker configs.
pub async fn describe(
    ctx: &RequestContext,
    req: DescribeConfigsRequest,
) -> DescribeConfigsResponse {
    let opts = DescribeOptions {
        version: ctx.version(),
        synonyms: ctx.version() >= 1 && req.include_synonyms,
        documentation: ctx.version() >= 3 && req.include_documentation,
    };
    let results = req
        .resources
        .into_iter()
        .map(|r| match describe_one(&ctx.broker, &r, &opts) {
            Ok(configs) => DescribeConfigsResult {
                error_code: ErrorCode::None.code(),
                error_message: None,
                resource_type: r.resource_type,
                resource_name: r.resource_name,
                configs,
            },
            Err(e) => DescribeConfigsResult {
                error_code: e.code_i16(),
                error_message: Some(e.to_string()),
                resource_type: r.resource_type,
                resource_name: r.resource_name,
                configs: Vec::new(),
            },
        })
        .collect();
    DescribeConfigsResponse {
        throttle_time_ms: 0,
        results,
    }
}

fn describe_one(
    broker: &Broker,
    r: &DescribeConfigsResource,
    opts: &DescribeOptions,
) -> Result<Vec<DescribeConfigsResourceResult>, BrokerError> {
    let wanted: Option<HashSet<&str>> = r
        .configuration_keys
        .as_ref()
        .filter(|k| !k.is_empty())
        .map(|k| k.iter().map(String::as_str).collect());
    let keep = |name: &str| wanted.as_ref().is_none_or(|w| w.contains(name));
    match r.resource_type {
        RESOURCE_TOPIC => {
            let topic = broker
                .topics
                .get(&r.resource_name)
                .ok_or(BrokerError::UnknownTopicOrPartition)?;
            let defaults = broker.topics.defaults();
            Ok(topic_config::effective(&topic.configs, defaults)
                .into_iter()
                .filter(|e| keep(e.def.name))
                .map(|e| {
                    let mut synonyms = Vec::new();
                    if opts.synonyms {
                        if e.source == ConfigSource::Topic {
                            synonyms.push(synonym(e.def.name, &e.value, ConfigSource::Topic));
                        }
                        if let Some(broker_name) = e.def.broker_synonym {
                            if let Some(b) = &e.broker_value {
                                synonyms.push(synonym(broker_name, b, ConfigSource::StaticBroker));
                            }
                            synonyms.push(synonym(
                                broker_name,
                                e.def.default,
                                ConfigSource::Default,
                            ));
                        }
                    }
                    entry(
                        opts, e.def.name, e.value, e.source, e.def.kind, synonyms, e.def.doc, false,
                    )
                })
                .collect())
        }
        RESOURCE_BROKER => {
            let own = broker.node_id().to_string();
            if !r.resource_name.is_empty() && r.resource_name != own {
                return Err(BrokerError::InvalidRequest(format!(
                    "this is broker {own}, not broker {:?}",
                    r.resource_name
                )));
            }
            Ok(broker_configs(broker)
                .into_iter()
                .filter(|c| keep(c.name))
                .map(|c| {
                    let source = if c.value == c.default {
                        ConfigSource::Default
                    } else {
                        ConfigSource::StaticBroker
                    };
                    let synonyms = if opts.synonyms {
                        vec![synonym(c.name, &c.value, source)]
                    } else {
                        Vec::new()
                    };
                    entry(opts, c.name, c.value, source, c.kind, synonyms, c.doc, true)
                })
                .collect())
        }
        RESOURCE_GROUP => {
            let overrides = broker.shares.group_configs(&r.resource_name);
            let broker_lock = broker.shares.settings().limits.lock_duration;
            Ok(share_config::NAMES
                .iter()
                .filter(|n| keep(n))
                .filter_map(|n| {
                    let value = share_config::effective(&overrides, n, broker_lock)?;
                    let source = if overrides.contains_key(*n) {
                        ConfigSource::Group
                    } else {
                        ConfigSource::Default
                    };
                    let kind = if *n == share_config::RECORD_LOCK_DURATION_MS {
                        ConfigType::Int
                    } else {
                        ConfigType::String
                    };
                    let synonyms = if opts.synonyms {
                        vec![synonym(n, &value, source)]
                    } else {
                        Vec::new()
                    };
                    Some(entry(opts, n, value, source, kind, synonyms, "", false))
                })
                .collect())
        }
        other => Err(BrokerError::InvalidRequest(format!(
            "resource type {other} has no configs on this broker"
        ))),
    }
}

/// Applies a new override set to a share group's configs (durable before returning).
fn alter_group(
    broker: &Broker,
    group: &str,
    validate_only: bool,
    change: impl FnOnce(&TopicConfigs) -> Result<TopicConfigs, BrokerError>,
) -> Result<(), BrokerError> {
    let current: TopicConfigs = broker.shares.group_configs(group).into_iter().collect();
    let next = change(&current)?;
    let next: share_config::GroupConfigs = next.into_iter().collect();
    if let Some(s) = broker
        .shares
        .set_group_configs(group, next, validate_only)?
    {
        s.sync()
            .map_err(|e| BrokerError::Storage(format!("share-group configs: {e}")))?;
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn entry(
    opts: &DescribeOptions,
    name: &str,
    value: String,
    source: ConfigSource,
    kind: ConfigType,
    synonyms: Vec<DescribeConfigsSynonym>,
    doc: &str,
    read_only: bool,
) -> DescribeConfigsResourceResult {
    DescribeConfigsResourceResult {
        name: name.to_string(),
        value: Some(value),
        read_only,
        is_default: opts.version == 0 && source == ConfigSource::Default,
        config_source: source as i8,
        is_sensitive: false,
        synonyms,
        config_type: kind as i8,
        documentation: opts.documentation.then(|| doc.to_string()),
    }
}

fn synonym(name: &str, value: &str, source: ConfigSource) -> DescribeConfigsSynonym {
    DescribeConfigsSynonym {
        name: name.to_string(),
        value: Some(value.to_string()),
        source: source as i8,
    }
}

/// One broker config as described.
struct BrokerConfigEntry {
    name: &'static str,
    value: String,
    default: String,
    kind: ConfigType,
    doc: &'static str,
}

fn broker_configs(broker: &Broker) -> Vec<BrokerConfigEntry> {
    use crate::config::{
        DEFAULT_CONNECTIONS_MAX_IDLE_MS, DEFAULT_FETCH_MAX_BYTES,
        DEFAULT_GROUP_INITIAL_REBALANCE_DELAY_MS, DEFAULT_MAX_FRAME_BYTES,
        DEFAULT_MESSAGE_MAX_BYTES, DEFAULT_SEGMENT_BYTES,
    };
    let c = &broker.config;
    let e = |name, value: String, default: String, kind, doc| BrokerConfigEntry {
        name,
        value,
        default,
        kind,
        doc,
    };
    let advertised = format!(
        "PLAINTEXT://{}:{}",
        broker.advertised_host(),
        broker.advertised_port()
    );
    let mut entries = vec![
        e(
            "advertised.listeners",
            advertised.clone(),
            advertised,
            ConfigType::List,
            "Listeners published to clients in Metadata.",
        ),
        e(
            "auto.create.topics.enable",
            c.auto_create_topics.to_string(),
            "true".into(),
            ConfigType::Boolean,
            "Whether Metadata requests may create unknown topics.",
        ),
        e(
            "broker.id",
            c.node_id.to_string(),
            "0".into(),
            ConfigType::Int,
            "This broker's id.",
        ),
        e(
            "default.replication.factor",
            "1".into(),
            "1".into(),
            ConfigType::Int,
            "Replication factor of auto-created topics (single node: 1).",
        ),
        e(
            "listeners",
            format!("PLAINTEXT://{}", c.listen),
            "PLAINTEXT://127.0.0.1:9092".into(),
            ConfigType::List,
            "Addresses the broker listens on.",
        ),
        e(
            "log.dirs",
            c.data_dir.display().to_string(),
            "./data".into(),
            ConfigType::String,
            "Directory holding topic metadata and partition logs.",
        ),
        e(
            "log.segment.bytes",
            c.segment_bytes.to_string(),
            DEFAULT_SEGMENT_BYTES.to_string(),
            ConfigType::Int,
            "Segment size of topics without segment.bytes.",
        ),
        e(
            "message.max.bytes",
            c.message_max_bytes.to_string(),
            DEFAULT_MESSAGE_MAX_BYTES.to_string(),
            ConfigType::Int,
            "Largest record batch of topics without max.message.bytes.",
        ),
        e(
            "node.id",
            c.node_id.to_string(),
            "0".into(),
            ConfigType::Int,
            "This broker's id.",
        ),
        e(
            "num.partitions",
            c.num_partitions.to_string(),
            "1".into(),
            ConfigType::Int,
            "Partitions of auto-created topics.",
        ),
        e(
            "socket.request.max.bytes",
            c.max_frame_bytes.to_string(),
            DEFAULT_MAX_FRAME_BYTES.to_string(),
            ConfigType::Int,
            "Largest request accepted.",
        ),
        e(
            "connections.max.idle.ms",
            c.connections_max_idle_ms.to_string(),
            DEFAULT_CONNECTIONS_MAX_IDLE_MS.to_string(),
            ConfigType::Long,
            "Idle connections are closed after this many ms.",
        ),
        e(
            "fetch.max.bytes",
            c.fetch_max_bytes.to_string(),
            DEFAULT_FETCH_MAX_BYTES.to_string(),
            ConfigType::Int,
            "Largest Fetch response, whatever the client asks for.",
        ),
        e(
            "group.consumer.heartbeat.interval.ms",
            c.group_consumer_heartbeat_interval_ms.to_string(),
            "5000".into(),
            ConfigType::Int,
            "Heartbeat interval of consumer-protocol (KIP-848) group members.",
        ),
        e(
            "group.consumer.session.timeout.ms",
            c.group_consumer_session_timeout_ms.to_string(),
            "45000".into(),
            ConfigType::Int,
            "Session timeout of consumer-protocol (KIP-848) group members.",
        ),
        e(
            "group.initial.rebalance.delay.ms",
            c.group_initial_rebalance_delay_ms.to_string(),
            DEFAULT_GROUP_INITIAL_REBALANCE_DELAY_MS.to_string(),
            ConfigType::Int,
            "How long the first rebalance of an empty group waits for more members.",
        ),
        e(
            "log.retention.bytes",
            c.retention_bytes.to_string(),
            "-1".into(),
            ConfigType::Long,
            "Size retention of topics without retention.bytes (-1: unlimited).",
        ),
        e(
            "log.retention.check.interval.ms",
            c.retention_check_interval_ms.to_string(),
            "300000".into(),
            ConfigType::Long,
            "How often retention is checked.",
        ),
        e(
            "log.retention.hours",
            if c.retention_ms < 0 {
                "-1".to_string()
            } else {
                (c.retention_ms / 3_600_000).to_string()
            },
            "168".into(),
            ConfigType::Int,
            "Time retention of topics without retention.ms, in hours.",
        ),
        e(
            "producer.id.expiration.ms",
            c.producer_id_expiration_ms.to_string(),
            "86400000".into(),
            ConfigType::Int,
            "How long a partition remembers an idle idempotent producer.",
        ),
        e(
            "transaction.max.timeout.ms",
            c.transaction_max_timeout_ms.to_string(),
            "900000".into(),
            ConfigType::Int,
            "Largest transaction timeout a producer may ask for.",
        ),
        e(
            "transactional.id.expiration.ms",
            c.transactional_id_expiration_ms.to_string(),
            "604800000".into(),
            ConfigType::Int,
            "How long an idle transactional id is remembered.",
        ),
    ];
    entries.sort_by_key(|e| e.name);
    entries
}

/// Replaces whole topic override sets (or only validates them).
pub async fn alter(ctx: &RequestContext, req: AlterConfigsRequest) -> AlterConfigsResponse {
    let responses = req
        .resources
        .into_iter()
        .map(|r| {
            let configs = r
                .configs
                .iter()
                .map(|c| (c.name.clone(), c.value.clone()))
                .collect::<Vec<_>>();
            let result = collect_full_set(configs).and_then(|set| {
                apply(
                    &ctx.broker,
                    r.resource_type,
                    &r.resource_name,
                    req.validate_only,
                    |_| Ok(set),
                )
            });
            alter_result(r.resource_type, r.resource_name, result)
        })
        .collect();
    AlterConfigsResponse {
        throttle_time_ms: 0,
        responses,
    }
}

fn collect_full_set(configs: Vec<(String, Option<String>)>) -> Result<TopicConfigs, BrokerError> {
    let mut set = BTreeMap::new();
    for (name, value) in configs {
        let value = value.ok_or_else(|| {
            BrokerError::InvalidConfig(format!("null value for configuration {name}"))
        })?;
        if set.insert(name.clone(), value).is_some() {
            return Err(BrokerError::InvalidRequest(format!(
                "configuration {name} is listed more than once"
            )));
        }
    }
    Ok(set)
}

/// Applies SET, DELETE, APPEND and SUBTRACT operations to topic override sets.
pub async fn incremental_alter(
    ctx: &RequestContext,
    req: IncrementalAlterConfigsRequest,
) -> IncrementalAlterConfigsResponse {
    let responses = req
        .resources
        .into_iter()
        .map(|r| {
            let result = apply(
                &ctx.broker,
                r.resource_type,
                &r.resource_name,
                req.validate_only,
                |current| {
                    if r.resource_type == RESOURCE_GROUP {
                        apply_group_ops(current, &r.configs)
                    } else {
                        apply_ops(current, &r.configs, ctx.broker.topics.defaults())
                    }
                },
            );
            let out = alter_result(r.resource_type, r.resource_name, result);
            incremental_alter_configs_response::AlterConfigsResourceResponse {
                error_code: out.error_code,
                error_message: out.error_message,
                resource_type: out.resource_type,
                resource_name: out.resource_name,
            }
        })
        .collect();
    IncrementalAlterConfigsResponse {
        throttle_time_ms: 0,
        responses,
    }
}

fn apply_ops(
    current: &TopicConfigs,
    ops: &[incremental_alter_configs_request::AlterableConfig],
    defaults: &crate::metadata::TopicDefaults,
) -> Result<TopicConfigs, BrokerError> {
    let mut seen = HashSet::new();
    if let Some(dup) = ops.iter().find(|o| !seen.insert(o.name.as_str())) {
        return Err(BrokerError::InvalidRequest(format!(
            "configuration {} is listed more than once",
            dup.name
        )));
    }
    let mut next = current.clone();
    for op in ops {
        let def = topic_config::lookup(&op.name).ok_or_else(|| {
            BrokerError::InvalidConfig(format!("unknown topic config name: {}", op.name))
        })?;
        let value = || {
            op.value.clone().ok_or_else(|| {
                BrokerError::InvalidConfig(format!("null value for configuration {}", op.name))
            })
        };
        match op.config_operation {
            OP_SET => {
                next.insert(op.name.clone(), value()?);
            }
            OP_DELETE => {
                next.remove(&op.name);
            }
            OP_APPEND | OP_SUBTRACT => {
                if def.kind != ConfigType::List {
                    return Err(BrokerError::InvalidConfig(format!(
                        "APPEND and SUBTRACT apply to list configs only; {} is not a list",
                        op.name
                    )));
                }
                let base = match next.get(&op.name) {
                    Some(v) => v.clone(),
                    None => topic_config::broker_value(def, defaults)
                        .unwrap_or_else(|| def.default.to_string()),
                };
                let mut items = topic_config::split_list(&base);
                let given = topic_config::split_list(&value()?);
                if op.config_operation == OP_APPEND {
                    for g in given {
                        if !items.contains(&g) {
                            items.push(g);
                        }
                    }
                } else {
                    items.retain(|i| !given.contains(i));
                }
                next.insert(op.name.clone(), items.join(","));
            }
            other => {
                return Err(BrokerError::InvalidRequest(format!(
                    "unknown config operation {other}"
                )))
            }
        }
    }
    Ok(next)
}

/// SET and DELETE on a group's overrides (no group config is a list); the values are
/// validated when stored.
fn apply_group_ops(
    current: &TopicConfigs,
    ops: &[incremental_alter_configs_request::AlterableConfig],
) -> Result<TopicConfigs, BrokerError> {
    let mut seen = HashSet::new();
    let mut next = current.clone();
    for op in ops {
        if !seen.insert(op.name.as_str()) {
            return Err(BrokerError::InvalidRequest(format!(
                "configuration {} is listed more than once",
                op.name
            )));
        }
        match (op.config_operation, &op.value) {
            (OP_SET, Some(v)) => {
                next.insert(op.name.clone(), v.clone());
            }
            (OP_DELETE, _) => {
                share_config::validate(&op.name, share_config::effective_default(&op.name))?;
                next.remove(&op.name);
            }
            (OP_SET, None) => {
                return Err(BrokerError::InvalidConfig(format!(
                    "null value for configuration {}",
                    op.name
                )))
            }
            _ => {
                return Err(BrokerError::InvalidConfig(format!(
                    "APPEND and SUBTRACT apply to list configs only; {} is not a list",
                    op.name
                )))
            }
        }
    }
    Ok(next)
}

/// Computes a topic's new override set with `change` and stores it unless `validate_only`.
fn apply(
    broker: &Broker,
    resource_type: i8,
    name: &str,
    validate_only: bool,
    change: impl FnOnce(&TopicConfigs) -> Result<TopicConfigs, BrokerError>,
) -> Result<(), BrokerError> {
    match resource_type {
        RESOURCE_TOPIC => {}
        RESOURCE_GROUP => return alter_group(broker, name, validate_only, change),
        // Kafka answers INVALID_REQUEST for a broker config it cannot update dynamically
        // ("Cannot update these configs dynamically"; checked against Kafka 4.4 by
        // tests/differential.rs). Every Kalfka broker config is static.
        RESOURCE_BROKER => {
            return Err(BrokerError::InvalidRequest(
                "broker configs are static: set them in the config file, environment or flags"
                    .into(),
            ))
        }
        other => {
            return Err(BrokerError::InvalidRequest(format!(
                "resource type {other} has no configs on this broker"
            )))
        }
    }
    if validate_only {
        let topic = broker
            .topics
            .get(name)
            .ok_or(BrokerError::UnknownTopicOrPartition)?;
        topic_config::validate_all(&change(&topic.configs)?)
    } else {
        broker.topics.update_configs(name, change).map(|_| ())
    }
}

fn alter_result(
    resource_type: i8,
    resource_name: String,
    result: Result<(), BrokerError>,
) -> alter_configs_response::AlterConfigsResourceResponse {
    let (error_code, error_message) = match result {
        Ok(()) => (ErrorCode::None.code(), None),
        Err(e) => (e.code_i16(), Some(e.to_string())),
    };
    alter_configs_response::AlterConfigsResourceResponse {
        error_code,
        error_message,
        resource_type,
        resource_name,
    }
}

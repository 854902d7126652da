//! `kalfka topic create|list|describe|delete|alter`.

use clap::Subcommand;
use kalfka_protocol::messages::create_partitions_request::CreatePartitionsTopic;
use kalfka_protocol::messages::create_topics_request::{CreatableTopic, CreatableTopicConfig};
use kalfka_protocol::messages::delete_topics_request::DeleteTopicState;
use kalfka_protocol::messages::describe_configs_request::DescribeConfigsResource;
use kalfka_protocol::messages::incremental_alter_configs_request::{
    AlterConfigsResource, AlterableConfig,
};
use kalfka_protocol::messages::metadata_request::MetadataRequestTopic;
use kalfka_protocol::messages::*;
use serde_json::json;

use super::client::{CliError, Client};
use super::output::{done, emit, Table};
use super::suggest::{config_hint, topic_hint};

/// Config resource type of a topic.
const RESOURCE_TOPIC: i8 = 2;

/// Topic subcommands.
#[derive(Debug, Subcommand)]
pub enum TopicCommand {
    /// Create a topic.
    Create {
        /// Topic name.
        name: String,
        /// Partition count (-1: the broker's default).
        #[arg(long, default_value_t = -1)]
        partitions: i32,
        /// Topic config, repeatable: --config retention.ms=60000.
        #[arg(long = "config", value_parser = super::key_value)]
        configs: Vec<(String, String)>,
    },
    /// List topics.
    List,
    /// List the topic configs Kalfka knows, with type, default and documentation (offline).
    Configs,
    /// Show a topic's partitions and configs.
    Describe {
        /// Topic name.
        name: String,
    },
    /// Delete a topic.
    Delete {
        /// Topic name.
        name: String,
    },
    /// Change a topic's configs or grow its partition count.
    Alter {
        /// Topic name.
        name: String,
        /// Set a config, repeatable: --set retention.ms=60000.
        #[arg(long = "set", value_parser = super::key_value)]
        set: Vec<(String, String)>,
        /// Remove a config override (back to the default), repeatable.
        #[arg(long = "delete")]
        delete: Vec<String>,
        /// New (larger) partition count.
        #[arg(long)]
        partitions: Option<i32>,
    },
}

/// Runs a topic subcommand.
pub async fn run(client: &mut Client, cmd: TopicCommand, json: bool) -> Result<(), CliError> {
    match cmd {
        TopicCommand::Create {
            name,
            partitions,
            configs,
        } => {
            let names: Vec<String> = configs.iter().map(|(k, _)| k.clone()).collect();
            let names: Vec<&str> = names.iter().map(String::as_str).collect();
            config_hint(
                &names,
                create(client, &name, partitions, configs, json).await,
            )
        }
        TopicCommand::List => list(client, json).await,
        TopicCommand::Configs => {
            known_configs(json);
            Ok(())
        }
        TopicCommand::Describe { name } => {
            let result = describe(client, &name, json).await;
            topic_hint(client, &name, result).await
        }
        TopicCommand::Delete { name } => {
            let result = delete(client, &name, json).await;
            topic_hint(client, &name, result).await
        }
        TopicCommand::Alter {
            name,
            set,
            delete,
            partitions,
        } => {
            let mut names: Vec<String> = set.iter().map(|(k, _)| k.clone()).collect();
            names.extend(delete.iter().cloned());
            let names: Vec<&str> = names.iter().map(String::as_str).collect();
            let result = alter(client, &name, set.clone(), delete.clone(), partitions, json).await;
            let result = topic_hint(client, &name, result).await;
            config_hint(&names, result)
        }
    }
}

async fn create(
    client: &mut Client,
    name: &str,
    partitions: i32,
    configs: Vec<(String, String)>,
    json: bool,
) -> Result<(), CliError> {
    let req = CreateTopicsRequest {
        topics: vec![CreatableTopic {
            name: name.to_string(),
            num_partitions: partitions,
            replication_factor: -1,
            configs: configs
                .into_iter()
                .map(|(name, value)| CreatableTopicConfig {
                    name,
                    value: Some(value),
                })
                .collect(),
            ..Default::default()
        }],
        timeout_ms: 30_000,
        ..Default::default()
    };
    let (_, resp): (_, CreateTopicsResponse) = client.call("CreateTopics", 7, &req).await?;
    let t = resp
        .topics
        .into_iter()
        .next()
        .ok_or_else(|| CliError::Protocol("empty CreateTopics response".into()))?;
    CliError::check(
        format!("create topic {name}"),
        t.error_code,
        t.error_message,
    )?;
    done(json, &format!("created topic {name}"));
    Ok(())
}

/// Metadata of the named topics (all topics when `names` is `None`).
pub async fn metadata(
    client: &mut Client,
    names: Option<&[&str]>,
) -> Result<MetadataResponse, CliError> {
    let req = MetadataRequest {
        topics: names.map(|n| {
            n.iter()
                .map(|t| MetadataRequestTopic {
                    name: Some(t.to_string()),
                    ..Default::default()
                })
                .collect()
        }),
        allow_auto_topic_creation: false,
        ..Default::default()
    };
    let (_, resp) = client.call("Metadata", 12, &req).await?;
    Ok(resp)
}

async fn list(client: &mut Client, json: bool) -> Result<(), CliError> {
    let mut resp = metadata(client, None).await?;
    resp.topics.sort_by(|a, b| a.name.cmp(&b.name));
    let mut table = Table::new(&["TOPIC", "PARTITIONS"]);
    for t in resp.topics {
        table.row(vec![
            json!(t.name.unwrap_or_default()),
            json!(t.partitions.len()),
        ]);
    }
    table.print(json);
    Ok(())
}

async fn describe(client: &mut Client, name: &str, json: bool) -> Result<(), CliError> {
    let resp = metadata(client, Some(&[name])).await?;
    let t = resp
        .topics
        .into_iter()
        .next()
        .ok_or_else(|| CliError::Protocol("empty Metadata response".into()))?;
    CliError::check(format!("topic {name}"), t.error_code, None)?;
    let mut parts = Table::new(&["PARTITION", "LEADER", "REPLICAS", "ISR"]);
    let mut partitions = t.partitions;
    partitions.sort_by_key(|p| p.partition_index);
    for p in &partitions {
        parts.row(vec![
            json!(p.partition_index),
            json!(p.leader_id),
            json!(p.replica_nodes),
            json!(p.isr_nodes),
        ]);
    }
    let req = DescribeConfigsRequest {
        resources: vec![DescribeConfigsResource {
            resource_type: RESOURCE_TOPIC,
            resource_name: name.to_string(),
            configuration_keys: None,
        }],
        include_synonyms: false,
        include_documentation: false,
    };
    let (version, resp): (_, DescribeConfigsResponse) =
        client.call("DescribeConfigs", 4, &req).await?;
    let r = resp
        .results
        .into_iter()
        .next()
        .ok_or_else(|| CliError::Protocol("empty DescribeConfigs response".into()))?;
    CliError::check(
        format!("describe configs of {name}"),
        r.error_code,
        r.error_message,
    )?;
    let mut configs = Table::new(&["CONFIG", "VALUE", "SOURCE"]);
    for c in r.configs {
        let source = if version == 0 {
            if c.is_default {
                "default"
            } else {
                "topic"
            }
        } else {
            source_name(c.config_source)
        };
        configs.row(vec![json!(c.name), json!(c.value), json!(source)]);
    }
    if json {
        emit(&format!(
            "{}",
            json!({ "topic": name, "partitions": parts.to_json(), "configs": configs.to_json() })
        ));
    } else {
        emit(&format!(
            "Topic: {name}  Partitions: {}\n",
            partitions.len()
        ));
        emit(&format!("{}\n\n{}", parts.render(), configs.render()));
    }
    Ok(())
}

/// Prints the topic-config table the broker validates against.
pub fn known_configs(json: bool) {
    let mut table = Table::new(&["CONFIG", "TYPE", "DEFAULT", "DOCUMENTATION"]);
    for d in crate::metadata::topic_config::TOPIC_CONFIGS {
        table.row(vec![
            json!(d.name),
            json!(format!("{:?}", d.kind).to_ascii_lowercase()),
            json!(d.default),
            json!(d.doc),
        ]);
    }
    table.print(json);
}

fn source_name(source: i8) -> &'static str {
    match source {
        1 => "topic",
        2 => "dynamic-broker",
        3 => "dynamic-default-broker",
        4 => "static-broker",
        5 => "default",
        6 => "dynamic-broker-logger",
        _ => "unknown",
    }
}

async fn delete(client: &mut Client, name: &str, json: bool) -> Result<(), CliError> {
    let req = DeleteTopicsRequest {
        topics: vec![DeleteTopicState {
            name: Some(name.to_string()),
            ..Default::default()
        }],
        topic_names: vec![name.to_string()],
        timeout_ms: 30_000,
    };
    let (_, resp): (_, DeleteTopicsResponse) = client.call("DeleteTopics", 6, &req).await?;
    let r = resp
        .responses
        .into_iter()
        .next()
        .ok_or_else(|| CliError::Protocol("empty DeleteTopics response".into()))?;
    CliError::check(
        format!("delete topic {name}"),
        r.error_code,
        r.error_message,
    )?;
    done(json, &format!("deleted topic {name}"));
    Ok(())
}

async fn alter(
    client: &mut Client,
    name: &str,
    set: Vec<(String, String)>,
    delete: Vec<String>,
    partitions: Option<i32>,
    json: bool,
) -> Result<(), CliError> {
    if set.is_empty() && delete.is_empty() && partitions.is_none() {
        return Err(CliError::Usage(
            "nothing to alter: give --set, --delete or --partitions".into(),
        ));
    }
    if !set.is_empty() || !delete.is_empty() {
        let configs = set
            .into_iter()
            .map(|(name, value)| AlterableConfig {
                name,
                config_operation: 0,
                value: Some(value),
            })
            .chain(delete.into_iter().map(|name| AlterableConfig {
                name,
                config_operation: 1,
                value: None,
            }))
            .collect();
        let req = IncrementalAlterConfigsRequest {
            resources: vec![AlterConfigsResource {
                resource_type: RESOURCE_TOPIC,
                resource_name: name.to_string(),
                configs,
            }],
            validate_only: false,
        };
        let (_, resp): (_, IncrementalAlterConfigsResponse) =
            client.call("IncrementalAlterConfigs", 1, &req).await?;
        let r =
            resp.responses.into_iter().next().ok_or_else(|| {
                CliError::Protocol("empty IncrementalAlterConfigs response".into())
            })?;
        CliError::check(
            format!("alter configs of {name}"),
            r.error_code,
            r.error_message,
        )?;
    }
    if let Some(count) = partitions {
        let req = CreatePartitionsRequest {
            topics: vec![CreatePartitionsTopic {
                name: name.to_string(),
                count,
                assignments: None,
            }],
            timeout_ms: 30_000,
            validate_only: false,
        };
        let (_, resp): (_, CreatePartitionsResponse) =
            client.call("CreatePartitions", 3, &req).await?;
        let r = resp
            .results
            .into_iter()
            .next()
            .ok_or_else(|| CliError::Protocol("empty CreatePartitions response".into()))?;
        CliError::check(
            format!("add partitions to {name}"),
            r.error_code,
            r.error_message,
        )?;
    }
    done(json, &format!("altered topic {name}"));
    Ok(())
}

//! Everything the broker knows about topic configs: names, types, defaults, the broker config
//! each one falls back to, documentation and value validation.
//!
//! CreateTopics, DescribeConfigs, AlterConfigs and IncrementalAlterConfigs all read this one
//! table, so a config cannot be accepted by one API and unknown to another.

use crate::error::BrokerError;
use crate::metadata::{TopicConfigs, TopicDefaults};

/// The type of a config's value, with Kafka's DescribeConfigs v3+ type codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigType {
    /// `true` / `false`.
    Boolean = 1,
    /// Free text, or one of a fixed set of words.
    String = 2,
    /// 32-bit integer.
    Int = 3,
    /// 64-bit integer.
    Long = 5,
    /// Floating point number.
    Double = 6,
    /// Comma-separated list.
    List = 7,
}

/// One topic config.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TopicConfigDef {
    /// Kafka's topic-level name.
    pub name: &'static str,
    /// The value's type.
    pub kind: ConfigType,
    /// The default when neither the topic nor the broker overrides it.
    pub default: &'static str,
    /// The broker-level config this one falls back to, if any.
    pub broker_synonym: Option<&'static str>,
    /// Smallest legal value of numeric configs.
    pub min: Option<i64>,
    /// Legal words of enumerated string and list configs (empty: any).
    pub allowed: &'static [&'static str],
    /// One-line documentation.
    pub doc: &'static str,
}

const fn def(
    name: &'static str,
    kind: ConfigType,
    default: &'static str,
    broker_synonym: Option<&'static str>,
    min: Option<i64>,
    doc: &'static str,
) -> TopicConfigDef {
    TopicConfigDef {
        name,
        kind,
        default,
        broker_synonym,
        min,
        allowed: &[],
        doc,
    }
}

use ConfigType::{Boolean, Double, Int, List, Long};

/// Every topic config Kafka knows, sorted by name; anything else is INVALID_CONFIG.
pub static TOPIC_CONFIGS: &[TopicConfigDef] = &[
    TopicConfigDef {
        allowed: &["delete", "compact"],
        ..def(
            "cleanup.policy",
            List,
            "delete",
            Some("log.cleanup.policy"),
            None,
            "Retention policy of old log segments: delete, compact, or both.",
        )
    },
    TopicConfigDef {
        allowed: &["uncompressed", "zstd", "lz4", "snappy", "gzip", "producer"],
        ..def(
            "compression.type",
            ConfigType::String,
            "producer",
            Some("compression.type"),
            None,
            "Final compression type for the topic; producer keeps the producer's codec.",
        )
    },
    def(
        "delete.retention.ms",
        Long,
        "86400000",
        Some("log.cleaner.delete.retention.ms"),
        Some(0),
        "How long delete tombstones are kept for compacted topics.",
    ),
    def(
        "file.delete.delay.ms",
        Long,
        "60000",
        Some("log.segment.delete.delay.ms"),
        Some(0),
        "Time to wait before deleting a file from the filesystem.",
    ),
    def(
        "flush.messages",
        Long,
        "9223372036854775807",
        Some("log.flush.interval.messages"),
        Some(1),
        "Number of messages after which the log is fsynced.",
    ),
    def(
        "flush.ms",
        Long,
        "9223372036854775807",
        Some("log.flush.interval.ms"),
        Some(0),
        "Time after which the log is fsynced.",
    ),
    def(
        "follower.replication.throttled.replicas",
        List,
        "",
        None,
        None,
        "Replicas whose log replication is throttled on the follower side.",
    ),
    def(
        "index.interval.bytes",
        Int,
        "4096",
        Some("log.index.interval.bytes"),
        Some(0),
        "How often an entry is added to the offset index.",
    ),
    def(
        "leader.replication.throttled.replicas",
        List,
        "",
        None,
        None,
        "Replicas whose log replication is throttled on the leader side.",
    ),
    def(
        "local.retention.bytes",
        Long,
        "-2",
        Some("log.local.retention.bytes"),
        Some(-2),
        "Local bytes kept before deletion when tiered storage is enabled.",
    ),
    def(
        "local.retention.ms",
        Long,
        "-2",
        Some("log.local.retention.ms"),
        Some(-2),
        "Local time kept before deletion when tiered storage is enabled.",
    ),
    def(
        "max.compaction.lag.ms",
        Long,
        "9223372036854775807",
        Some("log.cleaner.max.compaction.lag.ms"),
        Some(1),
        "Longest time a message stays ineligible for compaction.",
    ),
    def(
        "max.message.bytes",
        Int,
        "1048588",
        Some("message.max.bytes"),
        Some(0),
        "Largest record batch size allowed by the topic.",
    ),
    def(
        "message.downconversion.enable",
        Boolean,
        "true",
        Some("log.message.downconversion.enable"),
        None,
        "Whether down-conversion of message formats is enabled for consume requests.",
    ),
    def(
        "message.format.version",
        ConfigType::String,
        "3.0-IV1",
        Some("log.message.format.version"),
        None,
        "Deprecated message format version.",
    ),
    def(
        "message.timestamp.after.max.ms",
        Long,
        "9223372036854775807",
        Some("log.message.timestamp.after.max.ms"),
        Some(0),
        "Largest allowed amount a message timestamp may be ahead of the broker's clock.",
    ),
    def(
        "message.timestamp.before.max.ms",
        Long,
        "9223372036854775807",
        Some("log.message.timestamp.before.max.ms"),
        Some(0),
        "Largest allowed amount a message timestamp may be behind the broker's clock.",
    ),
    def(
        "message.timestamp.difference.max.ms",
        Long,
        "9223372036854775807",
        Some("log.message.timestamp.difference.max.ms"),
        Some(0),
        "Deprecated: largest allowed difference between message and broker timestamps.",
    ),
    TopicConfigDef {
        allowed: &["CreateTime", "LogAppendTime"],
        ..def(
            "message.timestamp.type",
            ConfigType::String,
            "CreateTime",
            Some("log.message.timestamp.type"),
            None,
            "Whether record timestamps are the producer's CreateTime or the LogAppendTime.",
        )
    },
    def(
        "min.cleanable.dirty.ratio",
        Double,
        "0.5",
        Some("log.cleaner.min.cleanable.ratio"),
        None,
        "Dirty ratio of the log above which it is compacted.",
    ),
    def(
        "min.compaction.lag.ms",
        Long,
        "0",
        Some("log.cleaner.min.compaction.lag.ms"),
        Some(0),
        "Shortest time a message stays uncompacted.",
    ),
    def(
        "min.insync.replicas",
        Int,
        "1",
        Some("min.insync.replicas"),
        Some(1),
        "Minimum replicas that must acknowledge a write with acks=all.",
    ),
    def(
        "preallocate",
        Boolean,
        "false",
        Some("log.preallocate"),
        None,
        "Whether segment files are preallocated.",
    ),
    def(
        "remote.storage.enable",
        Boolean,
        "false",
        None,
        None,
        "Whether tiered storage is enabled for the topic.",
    ),
    def(
        "retention.bytes",
        Long,
        "-1",
        Some("log.retention.bytes"),
        Some(-1),
        "Largest size a partition grows to before old segments are discarded (-1: unlimited).",
    ),
    def(
        "retention.ms",
        Long,
        "604800000",
        Some("log.retention.ms"),
        Some(-1),
        "Longest time a segment is kept before it is discarded (-1: forever).",
    ),
    def(
        "segment.bytes",
        Int,
        "1073741824",
        Some("log.segment.bytes"),
        Some(14),
        "Segment file size of the log.",
    ),
    def(
        "segment.index.bytes",
        Int,
        "10485760",
        Some("log.index.size.max.bytes"),
        Some(4),
        "Size of the index that maps offsets to file positions.",
    ),
    def(
        "segment.jitter.ms",
        Long,
        "0",
        Some("log.roll.jitter.ms"),
        Some(0),
        "Largest random jitter subtracted from segment.ms.",
    ),
    def(
        "segment.ms",
        Long,
        "604800000",
        Some("log.roll.ms"),
        Some(1),
        "Time after which the active segment rolls even if not full.",
    ),
    def(
        "unclean.leader.election.enable",
        Boolean,
        "false",
        Some("unclean.leader.election.enable"),
        None,
        "Whether out-of-sync replicas may be elected leader.",
    ),
];

/// The definition of topic config `name`.
pub fn lookup(name: &str) -> Option<&'static TopicConfigDef> {
    TOPIC_CONFIGS.iter().find(|d| d.name == name)
}

/// Where a config's effective value comes from (DescribeConfigs `config_source`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigSource {
    /// Set on the topic.
    Topic = 1,
    /// Set in the broker's static configuration (file, environment or flag).
    StaticBroker = 4,
    /// Kafka's built-in default.
    Default = 5,
    /// Set on a group (DYNAMIC_GROUP_CONFIG: share-group configs).
    Group = 8,
}

/// A config's effective value for one topic, with where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EffectiveConfig {
    /// The definition.
    pub def: &'static TopicConfigDef,
    /// The value in force.
    pub value: String,
    /// Where the value comes from.
    pub source: ConfigSource,
    /// The broker-level value this falls back to, if the broker sets it explicitly.
    pub broker_value: Option<String>,
}

/// The broker-level value of `def`, when the broker configuration sets it (rather than
/// Kafka's default applying).
pub fn broker_value(def: &TopicConfigDef, defaults: &TopicDefaults) -> Option<String> {
    let value = match def.name {
        "max.message.bytes" => defaults.message_max_bytes.to_string(),
        "segment.bytes" => defaults.segment_bytes.to_string(),
        _ => return None,
    };
    (value != def.default).then_some(value)
}

/// The effective value of every topic config for a topic with `overrides`.
pub fn effective(overrides: &TopicConfigs, defaults: &TopicDefaults) -> Vec<EffectiveConfig> {
    TOPIC_CONFIGS
        .iter()
        .map(|def| {
            let broker = broker_value(def, defaults);
            let (value, source) = match (overrides.get(def.name), &broker) {
                (Some(v), _) => (v.clone(), ConfigSource::Topic),
                (None, Some(b)) => (b.clone(), ConfigSource::StaticBroker),
                (None, None) => (def.default.to_string(), ConfigSource::Default),
            };
            EffectiveConfig {
                def,
                value,
                source,
                broker_value: broker,
            }
        })
        .collect()
}

/// Checks one config name and value.
pub fn validate(name: &str, value: &str) -> Result<(), BrokerError> {
    let def = lookup(name)
        .ok_or_else(|| BrokerError::InvalidConfig(format!("unknown topic config name: {name}")))?;
    let bad = |why: &str| {
        Err(BrokerError::InvalidConfig(format!(
            "invalid value {value:?} for configuration {name}: {why}"
        )))
    };
    match def.kind {
        Int | Long => {
            let Ok(n) = value.trim().parse::<i64>() else {
                return bad("not a number");
            };
            if def.kind == Int && i32::try_from(n).is_err() {
                return bad("out of range for a 32-bit integer");
            }
            if let Some(min) = def.min {
                if n < min {
                    return bad(&format!("must be at least {min}"));
                }
            }
        }
        Double => {
            if value.trim().parse::<f64>().map_or(true, |v| !v.is_finite()) {
                return bad("not a number");
            }
        }
        Boolean => {
            if !matches!(value.trim().to_ascii_lowercase().as_str(), "true" | "false") {
                return bad("expected true or false");
            }
        }
        ConfigType::String => {
            if !def.allowed.is_empty() && !def.allowed.contains(&value.trim()) {
                return bad(&format!("must be one of {}", def.allowed.join(", ")));
            }
        }
        List => {
            if !def.allowed.is_empty() {
                let items = split_list(value);
                if items.is_empty() || items.iter().any(|i| !def.allowed.contains(&i.as_str())) {
                    return bad(&format!("items must be among {}", def.allowed.join(", ")));
                }
            }
        }
    }
    Ok(())
}

/// Validates a whole override set.
pub fn validate_all(configs: &TopicConfigs) -> Result<(), BrokerError> {
    configs.iter().try_for_each(|(n, v)| validate(n, v))
}

/// The items of a comma-separated list value, trimmed, empty items dropped.
pub fn split_list(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn defaults() -> TopicDefaults {
        TopicDefaults {
            num_partitions: 1,
            message_max_bytes: 1_048_588,
            segment_bytes: 1024,
            max_partitions: 1_000,
        }
    }

    #[test]
    fn table_is_sorted_and_unique() {
        assert!(TOPIC_CONFIGS.windows(2).all(|w| w[0].name < w[1].name));
    }

    #[test]
    fn values_are_checked_by_type() {
        assert!(validate("retention.ms", "1000").is_ok());
        assert!(validate("retention.ms", "soon").is_err());
        assert!(validate("segment.bytes", "0").is_err());
        assert!(validate("cleanup.policy", "compact,delete").is_ok());
        assert!(validate("cleanup.policy", "shred").is_err());
        assert!(validate("preallocate", "maybe").is_err());
        assert!(validate("no.such.config", "1").is_err());
    }

    #[test]
    fn effective_values_name_their_source() {
        let mut o = TopicConfigs::new();
        o.insert("retention.ms".into(), "5".into());
        let all = effective(&o, &defaults());
        let get = |n: &str| all.iter().find(|e| e.def.name == n).cloned();
        let r = get("retention.ms").expect("present");
        assert_eq!((r.value.as_str(), r.source), ("5", ConfigSource::Topic));
        let s = get("segment.bytes").expect("present");
        assert_eq!(
            (s.value.as_str(), s.source),
            ("1024", ConfigSource::StaticBroker)
        );
        let c = get("cleanup.policy").expect("present");
        assert_eq!(c.source, ConfigSource::Default);
    }
}

//! One topic: its name, id, partitions and configs, plus Kafka's topic naming rules.

use std::collections::BTreeMap;
use std::sync::Arc;

use kalfka_protocol::Uuid;

use crate::error::BrokerError;
use crate::metadata::TopicDefaults;
use crate::partition::{Partition, TopicSettings};

/// The topic Kafka keeps committed offsets in; Kalfka creates it (empty: its offsets live in
/// `<data-dir>/__consumer_offsets/`) at the first group FindCoordinator, as Kafka does, so
/// clients see it in Metadata as internal.
pub const OFFSETS_TOPIC: &str = "__consumer_offsets";
/// The topic Kafka keeps transaction state in; created at the first transaction
/// FindCoordinator, like [`OFFSETS_TOPIC`].
pub const TRANSACTION_STATE_TOPIC: &str = "__transaction_state";
/// Partitions of the internal topics (`offsets.topic.num.partitions`,
/// `transaction.state.log.num.partitions`).
pub const INTERNAL_TOPIC_PARTITIONS: i32 = 50;

/// Whether `name` is one of Kafka's internal topics (`Topic.isInternal`): Metadata marks them,
/// and clients may not produce to them or delete their records.
pub fn is_internal_topic(name: &str) -> bool {
    matches!(
        name,
        OFFSETS_TOPIC | TRANSACTION_STATE_TOPIC | "__share_group_state"
    )
}

/// The config overrides Kafka creates an internal topic with.
pub fn internal_topic_configs() -> TopicConfigs {
    [
        ("cleanup.policy", "compact"),
        ("compression.type", "producer"),
        ("segment.bytes", "104857600"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

/// Longest legal topic name (Kafka's limit).
pub const MAX_TOPIC_NAME_LEN: usize = 249;

/// A topic and its open partitions.
#[derive(Debug)]
pub struct Topic {
    /// The topic's name.
    pub name: String,
    /// Stable random id, returned by Metadata v10+ and used by Fetch v13+.
    pub id: Uuid,
    /// Partitions, indexed by partition number.
    pub partitions: Vec<Arc<Partition>>,
    /// Topic-level config overrides, by Kafka's config names.
    pub configs: TopicConfigs,
    /// The configs in force (overrides, else broker settings, else Kafka's defaults), parsed.
    pub settings: TopicSettings,
}

impl Topic {
    /// A topic with config overrides `configs` on a broker with `defaults`.
    pub fn new(
        name: String,
        id: Uuid,
        partitions: Vec<Arc<Partition>>,
        configs: TopicConfigs,
        defaults: &TopicDefaults,
    ) -> Topic {
        let settings = TopicSettings::from_configs(&configs, defaults);
        Topic {
            name,
            id,
            partitions,
            configs,
            settings,
        }
    }

    /// The partition with this index, if the topic has it.
    pub fn partition(&self, index: i32) -> Option<&Arc<Partition>> {
        usize::try_from(index)
            .ok()
            .and_then(|i| self.partitions.get(i))
    }
}

/// Checks a topic name against Kafka's rules: 1–249 characters from `[a-zA-Z0-9._-]`, and not
/// `.` or `..`.
pub fn validate_topic_name(name: &str) -> Result<(), BrokerError> {
    if name.is_empty() {
        return Err(BrokerError::InvalidTopic(
            "the empty string is not allowed".into(),
        ));
    }
    if name == "." || name == ".." {
        return Err(BrokerError::InvalidTopic(format!(
            "'{name}' is not allowed"
        )));
    }
    if name.len() > MAX_TOPIC_NAME_LEN {
        return Err(BrokerError::InvalidTopic(format!(
            "name is longer than {MAX_TOPIC_NAME_LEN} characters"
        )));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')))
    {
        return Err(BrokerError::InvalidTopic(format!(
            "'{name}' contains {c:?}; legal characters are ASCII letters, digits, '.', '_' and '-'"
        )));
    }
    Ok(())
}

/// Topic config names Kafka knows; anything else is rejected with INVALID_CONFIG.
pub const KNOWN_TOPIC_CONFIGS: &[&str] = &[
    "cleanup.policy",
    "compression.type",
    "delete.retention.ms",
    "file.delete.delay.ms",
    "flush.messages",
    "flush.ms",
    "follower.replication.throttled.replicas",
    "index.interval.bytes",
    "leader.replication.throttled.replicas",
    "local.retention.bytes",
    "local.retention.ms",
    "max.compaction.lag.ms",
    "max.message.bytes",
    "message.downconversion.enable",
    "message.format.version",
    "message.timestamp.after.max.ms",
    "message.timestamp.before.max.ms",
    "message.timestamp.difference.max.ms",
    "message.timestamp.type",
    "min.cleanable.dirty.ratio",
    "min.compaction.lag.ms",
    "min.insync.replicas",
    "preallocate",
    "remote.storage.enable",
    "retention.bytes",
    "retention.ms",
    "segment.bytes",
    "segment.index.bytes",
    "segment.jitter.ms",
    "segment.ms",
    "unclean.leader.election.enable",
];

/// A topic's config overrides (only what was set explicitly; defaults come from the broker).
pub type TopicConfigs = BTreeMap<String, String>;

/// Validates config overrides: known names and values of the right type and range (see
/// [`crate::metadata::topic_config`], the one table of topic configs).
pub fn validate_topic_configs(configs: &TopicConfigs) -> Result<(), BrokerError> {
    crate::metadata::topic_config::validate_all(configs)
}

/// What changed from `old` to `new` overrides, for the log: `name=value` for each set or
/// changed config, `-name` for each removed one (`none` when nothing changed).
pub fn describe_change(old: &TopicConfigs, new: &TopicConfigs) -> String {
    let set = new
        .iter()
        .filter(|(k, v)| old.get(*k) != Some(*v))
        .map(|(k, v)| format!("{k}={v}"));
    let removed = old
        .keys()
        .filter(|k| !new.contains_key(*k))
        .map(|k| format!("-{k}"));
    let all: Vec<String> = set.chain(removed).collect();
    if all.is_empty() {
        "none".to_string()
    } else {
        all.join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topic_names_follow_kafka_rules() {
        assert!(validate_topic_name("orders.v1_final-2").is_ok());
        assert!(validate_topic_name("").is_err());
        assert!(validate_topic_name(".").is_err());
        assert!(validate_topic_name("..").is_err());
        assert!(validate_topic_name("has space").is_err());
        assert!(validate_topic_name("slash/name").is_err());
        assert!(validate_topic_name(&"a".repeat(249)).is_ok());
        assert!(validate_topic_name(&"a".repeat(250)).is_err());
    }

    #[test]
    fn topic_configs_are_checked_by_name_and_value() {
        let mut c = TopicConfigs::new();
        c.insert("retention.ms".into(), "1000".into());
        assert!(validate_topic_configs(&c).is_ok());
        c.insert("retention.ms".into(), "soon".into());
        assert!(validate_topic_configs(&c).is_err());
        let mut c = TopicConfigs::new();
        c.insert("no.such.config".into(), "1".into());
        assert!(validate_topic_configs(&c).is_err());
        let mut c = TopicConfigs::new();
        c.insert("cleanup.policy".into(), "compact,delete".into());
        assert!(validate_topic_configs(&c).is_ok());
    }

    #[test]
    fn known_names_match_the_config_table() {
        let table: Vec<&str> = crate::metadata::topic_config::TOPIC_CONFIGS
            .iter()
            .map(|d| d.name)
            .collect();
        assert_eq!(table, KNOWN_TOPIC_CONFIGS);
    }

    #[test]
    fn changes_name_what_was_set_and_removed() {
        let old: TopicConfigs = [("a", "1"), ("b", "2")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let new: TopicConfigs = [("b", "3"), ("c", "4")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        assert_eq!(describe_change(&old, &new), "b=3 c=4 -a");
        assert_eq!(describe_change(&old, &old), "none");
    }
}

//! [`TopicSettings`]: a topic's configs parsed once, when the topic is opened or its configs
//! change, into the typed values the data path uses — produce validation, flushing,
//! retention and compaction — so no request parses a config string.
//!
//! Every value is the topic's override if it has one, else the broker's setting (for the
//! configs the broker sets), else Kafka's default from [`crate::metadata::topic_config`].
//! Overrides were validated when they were set; a value that still does not parse (written
//! by an older version) falls back to the default.

use std::time::Duration;

use kalfka_protocol::records::{RecordRules, MAX_DECOMPRESSED_SIZE};

use crate::log::CompactionPolicy;
use crate::metadata::topic_config::{broker_value, lookup, split_list};
use crate::metadata::{TopicConfigs, TopicDefaults};

/// The typed configs of one topic.
#[derive(Debug, Clone, PartialEq)]
pub struct TopicSettings {
    /// `max.message.bytes`: the largest batch accepted (as sent; its records may decompress
    /// to more, up to 64 MiB or this, whichever is larger).
    pub max_message_bytes: usize,
    /// `cleanup.policy` includes `compact`: records need keys, the cleaner compacts.
    pub compact: bool,
    /// `cleanup.policy` includes `delete`: retention deletes old segments.
    pub delete: bool,
    /// `message.timestamp.type=LogAppendTime`: the broker stamps every batch.
    pub log_append_time: bool,
    /// `message.timestamp.before.max.ms`.
    pub timestamp_before_max_ms: i64,
    /// `message.timestamp.after.max.ms`.
    pub timestamp_after_max_ms: i64,
    /// `flush.messages`: fsync once this many records are unsynced (`None`: never forced).
    pub flush_messages: Option<i64>,
    /// `flush.ms`: fsync once the oldest unsynced data is this old (`None`: never forced).
    pub flush_ms: Option<Duration>,
    /// `retention.ms` set on the topic (`None`: the broker's `log.retention.*` applies).
    pub retention_ms: Option<i64>,
    /// `retention.bytes` set on the topic (`None`: the broker's `log.retention.bytes`).
    pub retention_bytes: Option<i64>,
    /// `segment.ms`.
    pub segment_ms: u64,
    /// What the cleaner follows on compacted topics.
    pub compaction: CompactionPolicy,
}

/// Kafka's default `flush.messages` / `flush.ms`: `Long.MAX_VALUE`, i.e. never forced.
const NEVER: i64 = i64::MAX;

impl TopicSettings {
    /// The settings of a topic with `overrides`, on a broker with `defaults`.
    pub fn from_configs(overrides: &TopicConfigs, defaults: &TopicDefaults) -> TopicSettings {
        let value = |name: &str| -> Option<String> {
            if let Some(v) = overrides.get(name) {
                return Some(v.trim().to_string());
            }
            let def = lookup(name)?;
            Some(broker_value(def, defaults).unwrap_or_else(|| def.default.to_string()))
        };
        let long = |name: &str, fallback: i64| -> i64 {
            value(name).and_then(|v| v.parse().ok()).unwrap_or(fallback)
        };
        let cleanup = value("cleanup.policy")
            .map(|v| split_list(&v))
            .unwrap_or_default();
        let has = |p: &str| cleanup.iter().any(|c| c == p);
        let compaction_default = CompactionPolicy::default();
        let overridden =
            |name: &str| -> Option<i64> { overrides.get(name).and_then(|v| v.trim().parse().ok()) };
        TopicSettings {
            max_message_bytes: usize::try_from(long(
                "max.message.bytes",
                defaults.message_max_bytes as i64,
            ))
            .unwrap_or(defaults.message_max_bytes),
            compact: has("compact"),
            delete: has("delete"),
            log_append_time: value("message.timestamp.type").as_deref() == Some("LogAppendTime"),
            timestamp_before_max_ms: long("message.timestamp.before.max.ms", NEVER),
            timestamp_after_max_ms: long("message.timestamp.after.max.ms", NEVER),
            flush_messages: Some(long("flush.messages", NEVER))
                .filter(|n| *n != NEVER)
                .map(|n| n.max(1)),
            flush_ms: u64::try_from(long("flush.ms", NEVER))
                .ok()
                .filter(|ms| *ms != NEVER as u64)
                .map(Duration::from_millis),
            retention_ms: overridden("retention.ms"),
            retention_bytes: overridden("retention.bytes"),
            segment_ms: u64::try_from(long("segment.ms", 7 * 24 * 3_600_000)).unwrap_or(u64::MAX),
            compaction: CompactionPolicy {
                delete_retention_ms: long(
                    "delete.retention.ms",
                    compaction_default.delete_retention_ms,
                ),
                min_cleanable_dirty_ratio: value("min.cleanable.dirty.ratio")
                    .and_then(|v| v.parse::<f64>().ok())
                    .filter(|r| r.is_finite())
                    .unwrap_or(compaction_default.min_cleanable_dirty_ratio),
                min_compaction_lag_ms: long(
                    "min.compaction.lag.ms",
                    compaction_default.min_compaction_lag_ms,
                ),
                max_compaction_lag_ms: long(
                    "max.compaction.lag.ms",
                    compaction_default.max_compaction_lag_ms,
                ),
            },
        }
    }

    /// The rules every produced record of this topic must follow, at `now_ms`.
    pub fn record_rules(&self, now_ms: i64) -> RecordRules {
        RecordRules {
            require_key: self.compact,
            create_time: !self.log_append_time,
            now_ms,
            before_max_ms: self.timestamp_before_max_ms,
            after_max_ms: self.timestamp_after_max_ms,
            // Kafka bounds the batch as sent, not what it decompresses to (a 3 MiB batch of
            // zeros gzipped to a few KB is accepted under the 1 MB default): the bound here
            // only stops decompression bombs.
            max_decompressed: self.max_message_bytes.max(MAX_DECOMPRESSED_SIZE),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn defaults() -> TopicDefaults {
        TopicDefaults {
            num_partitions: 1,
            message_max_bytes: 1_048_588,
            segment_bytes: 1 << 30,
            max_partitions: 1_000,
        }
    }

    fn settings(pairs: &[(&str, &str)]) -> TopicSettings {
        let configs: TopicConfigs = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        TopicSettings::from_configs(&configs, &defaults())
    }

    #[test]
    fn defaults_are_kafkas() {
        let s = settings(&[]);
        assert_eq!(s.max_message_bytes, 1_048_588);
        assert!(s.delete && !s.compact && !s.log_append_time);
        assert_eq!(s.flush_messages, None);
        assert_eq!(s.flush_ms, None);
        assert_eq!((s.retention_ms, s.retention_bytes), (None, None));
        assert_eq!(s.segment_ms, 7 * 24 * 3_600_000);
        assert_eq!(s.compaction, CompactionPolicy::default());
    }

    #[test]
    fn overrides_are_parsed_once() {
        let s = settings(&[
            ("cleanup.policy", "compact, delete"),
            ("max.message.bytes", "2048"),
            ("message.timestamp.type", "LogAppendTime"),
            ("message.timestamp.after.max.ms", "3600000"),
            ("flush.messages", "10"),
            ("flush.ms", "250"),
            ("retention.ms", "-1"),
            ("min.cleanable.dirty.ratio", "0.1"),
        ]);
        assert!(s.compact && s.delete && s.log_append_time);
        assert_eq!(s.max_message_bytes, 2048);
        assert_eq!(s.timestamp_after_max_ms, 3_600_000);
        assert_eq!(s.flush_messages, Some(10));
        assert_eq!(s.flush_ms, Some(Duration::from_millis(250)));
        assert_eq!(s.retention_ms, Some(-1));
        assert_eq!(s.compaction.min_cleanable_dirty_ratio, 0.1);
        let rules = s.record_rules(1_000);
        assert!(rules.require_key && !rules.create_time);
        assert_eq!(rules.max_decompressed, MAX_DECOMPRESSED_SIZE);
    }

    #[test]
    fn compact_only_topics_are_not_deleted_by_retention() {
        let s = settings(&[("cleanup.policy", "compact")]);
        assert!(s.compact && !s.delete);
    }
}

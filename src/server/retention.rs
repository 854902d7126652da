//! The retention task: every `--log-retention-check-interval-ms` it rolls active segments
//! older than the topic's `segment.ms`, compacts the closed segments of topics whose
//! `cleanup.policy` includes `compact` (as `delete.retention.ms`, `min.cleanable.dirty.ratio`,
//! `min.compaction.lag.ms` and `max.compaction.lag.ms` say; see [`compaction_policy`]),
//! and applies `retention.ms` / `retention.bytes` (topic config, else the broker default) to
//! topics whose `cleanup.policy` includes `delete`. (Idle files are released by
//! [`super::idle`].)

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::sync::watch;

use crate::broker::Broker;
use crate::log::{CompactionPolicy, RetentionPolicy};
use crate::metadata::TopicConfigs;

/// Whether the topic's `cleanup.policy` includes `compact`.
pub fn is_compacted(configs: &TopicConfigs) -> bool {
    configs
        .get("cleanup.policy")
        .is_some_and(|p| p.split(',').any(|p| p.trim() == "compact"))
}

/// Kafka's default `segment.ms`: 7 days.
pub const DEFAULT_SEGMENT_MS: u64 = 7 * 24 * 3_600_000;

fn config_i64(configs: &TopicConfigs, name: &str) -> Option<i64> {
    configs.get(name).and_then(|v| v.trim().parse().ok())
}

/// The compaction policy of a topic from its configs (Kafka's defaults for those unset or
/// unparsable).
pub fn compaction_policy(configs: &TopicConfigs) -> CompactionPolicy {
    let default = CompactionPolicy::default();
    CompactionPolicy {
        delete_retention_ms: config_i64(configs, "delete.retention.ms")
            .unwrap_or(default.delete_retention_ms),
        min_cleanable_dirty_ratio: configs
            .get("min.cleanable.dirty.ratio")
            .and_then(|v| v.trim().parse::<f64>().ok())
            .filter(|r| r.is_finite())
            .unwrap_or(default.min_cleanable_dirty_ratio),
        min_compaction_lag_ms: config_i64(configs, "min.compaction.lag.ms")
            .unwrap_or(default.min_compaction_lag_ms),
        max_compaction_lag_ms: config_i64(configs, "max.compaction.lag.ms")
            .unwrap_or(default.max_compaction_lag_ms),
    }
}

/// The delete-retention policy of a topic, or `None` if its `cleanup.policy` has no `delete`.
pub fn policy_for(configs: &TopicConfigs, broker: &Broker) -> Option<RetentionPolicy> {
    let cleanup = configs
        .get("cleanup.policy")
        .map_or("delete", String::as_str);
    if !cleanup.split(',').any(|p| p.trim() == "delete") {
        return None;
    }
    let ms = config_i64(configs, "retention.ms").unwrap_or(broker.config.retention_ms);
    let bytes = config_i64(configs, "retention.bytes").unwrap_or(broker.config.retention_bytes);
    Some(RetentionPolicy {
        retention_ms: (ms >= 0).then_some(ms),
        retention_bytes: u64::try_from(bytes).ok(),
    })
}

/// One pass over every partition (blocking: it deletes files).
pub fn check_all(broker: &Broker) {
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
    for topic in broker.topics.list() {
        let policy = policy_for(&topic.configs, broker);
        let segment_ms = config_i64(&topic.configs, "segment.ms")
            .and_then(|v| u64::try_from(v).ok())
            .unwrap_or(DEFAULT_SEGMENT_MS);
        let compact = is_compacted(&topic.configs).then(|| compaction_policy(&topic.configs));
        for p in &topic.partitions {
            if let Some(compaction) = &compact {
                if let Err(e) = p.compact(now_ms, compaction) {
                    tracing::warn!(topic = %topic.name, partition = p.index, error = %e, "compaction failed");
                }
            }
            if let Err(e) = p.enforce_retention(now_ms, Duration::from_millis(segment_ms), policy) {
                tracing::warn!(topic = %topic.name, partition = p.index, error = %e, "retention check failed");
            }
        }
    }
}

/// Runs until `stop` turns true.
pub async fn run(broker: Arc<Broker>, mut stop: watch::Receiver<bool>) {
    let interval = Duration::from_millis(broker.config.retention_check_interval_ms.max(1));
    loop {
        tokio::select! {
            _ = tokio::time::sleep(interval) => {},
            _ = stop.changed() => return,
        }
        if *stop.borrow() {
            return;
        }
        let b = Arc::clone(&broker);
        if let Err(e) = tokio::task::spawn_blocking(move || check_all(&b)).await {
            tracing::warn!(error = %e, "retention task failed");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compaction_policy_reads_the_topic_configs_with_kafka_defaults() {
        assert_eq!(
            compaction_policy(&TopicConfigs::new()),
            CompactionPolicy::default()
        );
        let configs: TopicConfigs = [
            ("delete.retention.ms", "10"),
            ("min.cleanable.dirty.ratio", "0.1"),
            ("min.compaction.lag.ms", "2000"),
            ("max.compaction.lag.ms", "3000"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        assert_eq!(
            compaction_policy(&configs),
            CompactionPolicy {
                delete_retention_ms: 10,
                min_cleanable_dirty_ratio: 0.1,
                min_compaction_lag_ms: 2000,
                max_compaction_lag_ms: 3000,
            }
        );
    }
}

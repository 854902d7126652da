//! The retention task: every `--log-retention-check-interval-ms` it rolls active segments
//! older than the topic's `segment.ms`, compacts the closed segments of topics whose
//! `cleanup.policy` includes `compact` (tombstones kept `delete.retention.ms`, default 1 day),
//! and applies `retention.ms` / `retention.bytes` (topic config, else the broker default) to
//! topics whose `cleanup.policy` includes `delete`. It also closes the files of segments idle
//! for [`IDLE_FILE_TIMEOUT`], so thousands of partitions hold descriptors only while in use.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::sync::watch;

use crate::broker::Broker;
use crate::log::RetentionPolicy;
use crate::metadata::TopicConfigs;

/// Kafka's default `delete.retention.ms`: 1 day.
pub const DEFAULT_DELETE_RETENTION_MS: i64 = 24 * 3_600_000;

/// Whether the topic's `cleanup.policy` includes `compact`.
pub fn is_compacted(configs: &TopicConfigs) -> bool {
    configs
        .get("cleanup.policy")
        .is_some_and(|p| p.split(',').any(|p| p.trim() == "compact"))
}

/// Segment files unused for this long are closed by the retention task (reopened on use).
pub const IDLE_FILE_TIMEOUT: Duration = Duration::from_secs(60);

/// Kafka's default `segment.ms`: 7 days.
pub const DEFAULT_SEGMENT_MS: u64 = 7 * 24 * 3_600_000;

fn config_i64(configs: &TopicConfigs, name: &str) -> Option<i64> {
    configs.get(name).and_then(|v| v.trim().parse().ok())
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
        let compact = is_compacted(&topic.configs).then(|| {
            config_i64(&topic.configs, "delete.retention.ms").unwrap_or(DEFAULT_DELETE_RETENTION_MS)
        });
        for p in &topic.partitions {
            if let Some(delete_retention_ms) = compact {
                if let Err(e) = p.compact(now_ms, delete_retention_ms) {
                    tracing::warn!(topic = %topic.name, partition = p.index, error = %e, "compaction failed");
                }
            }
            if let Err(e) = p.enforce_retention(now_ms, Duration::from_millis(segment_ms), policy) {
                tracing::warn!(topic = %topic.name, partition = p.index, error = %e, "retention check failed");
            }
            p.close_idle_files(IDLE_FILE_TIMEOUT);
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

//! The retention task: every `--log-retention-check-interval-ms` it rolls active segments
//! older than the topic's `segment.ms`, compacts the closed segments of topics whose
//! `cleanup.policy` includes `compact` (as `delete.retention.ms`, `min.cleanable.dirty.ratio`,
//! `min.compaction.lag.ms` and `max.compaction.lag.ms` say, parsed into [`TopicSettings`]),
//! and applies `retention.ms` / `retention.bytes` (topic config, else the broker default) to
//! topics whose `cleanup.policy` includes `delete`. (Idle files are released by
//! [`super::idle`].)

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use crate::broker::Broker;
use crate::log::RetentionPolicy;
use crate::metrics::add;
use crate::partition::TopicSettings;

/// The delete-retention policy of a topic, or `None` if its `cleanup.policy` has no `delete`:
/// the topic's `retention.ms` / `retention.bytes`, else the broker's.
pub fn policy_for(settings: &TopicSettings, broker: &Broker) -> Option<RetentionPolicy> {
    if !settings.delete {
        return None;
    }
    let ms = settings.retention_ms.unwrap_or(broker.config.retention_ms);
    let bytes = settings
        .retention_bytes
        .unwrap_or(broker.config.retention_bytes);
    Some(RetentionPolicy {
        retention_ms: (ms >= 0).then_some(ms),
        retention_bytes: u64::try_from(bytes).ok(),
    })
}

/// One pass over every partition (blocking: it deletes files).
pub fn check_all(broker: &Broker) {
    let now_ms = crate::clock::now_ms();
    let m = &broker.metrics;
    for topic in broker.topics.list() {
        let settings = &topic.settings;
        let policy = policy_for(settings, broker);
        let segment_ms = Duration::from_millis(settings.segment_ms);
        for p in &topic.partitions {
            if settings.compact {
                match p.compact(now_ms, &settings.compaction) {
                    Ok(stats) if stats.segments_rewritten > 0 => {
                        add(&m.compaction_runs, 1);
                        add(&m.compaction_records_removed, stats.records_removed);
                    }
                    Ok(_) => {}
                    Err(e) => {
                        tracing::warn!(topic = %topic.name, partition = p.index, error = %e, "compaction failed")
                    }
                }
            }
            match p.enforce_retention(now_ms, segment_ms, policy) {
                // The log logs what it deleted (src/log/retention.rs).
                Ok(deleted) => add(&m.retention_segments_deleted, deleted as u64),
                Err(e) => {
                    tracing::warn!(topic = %topic.name, partition = p.index, error = %e, "retention check failed")
                }
            }
        }
    }
    add(&m.retention_runs, 1);
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

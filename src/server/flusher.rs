//! The periodic flusher: honours the topic config `flush.ms` (fsync a partition once its oldest
//! unsynced data is that old), as Kafka's log flusher does.
//!
//! It wakes every [`TICK`] (or `flush.ms`, if smaller), so `flush.ms` is honoured to within a
//! tick. Topics without `flush.ms` are left to the OS and to acks=all's fsync.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use crate::broker::Broker;

/// Longest sleep between two checks.
pub const TICK: Duration = Duration::from_millis(100);

/// Runs until `stop` turns true.
pub async fn run(broker: Arc<Broker>, mut stop: watch::Receiver<bool>) {
    let mut seen: Option<(u64, Vec<Arc<crate::metadata::Topic>>)> = None;
    loop {
        // Only the topics with `flush.ms`, found again only when topics change: looking at
        // every topic each tick costs CPU in proportion to the topic count on an idle broker.
        let generation = broker.topics.generation();
        if seen.as_ref().is_none_or(|(g, _)| *g != generation) {
            let with_flush_ms = broker.topics.filtered(|t| t.settings.flush_ms.is_some());
            seen = Some((generation, with_flush_ms));
        }
        let topics = seen.as_ref().map(|(_, t)| t.clone()).unwrap_or_default();
        let tick = topics
            .iter()
            .filter_map(|t| t.settings.flush_ms)
            .min()
            .unwrap_or(TICK)
            .clamp(Duration::from_millis(1), TICK);
        for topic in &topics {
            let Some(interval) = topic.settings.flush_ms else {
                continue;
            };
            for p in &topic.partitions {
                if p.unsynced_records() > 0 && p.since_last_sync() >= interval {
                    let end = p.offsets().log_end;
                    if let Err(e) = p.sync_to(end).await {
                        tracing::warn!(topic = %topic.name, partition = p.index, error = %e, "periodic flush failed");
                    }
                }
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(tick) => {},
            _ = stop.changed() => return,
        }
        if *stop.borrow() {
            return;
        }
    }
}

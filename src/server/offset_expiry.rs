//! The periodic task that expires committed offsets of empty groups (Kafka's
//! `offsets.retention.ms`, checked every `offsets.retention.check.interval.ms`).

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use crate::broker::Broker;
use crate::clock::now_ms;

/// Kafka's `offsets.retention.check.interval.ms` default.
pub const CHECK_INTERVAL: Duration = Duration::from_secs(600);

/// Runs until `stop` turns true.
pub async fn run(broker: Arc<Broker>, mut stop: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            _ = tokio::time::sleep(CHECK_INTERVAL) => {},
            _ = stop.changed() => return,
        }
        if *stop.borrow() {
            return;
        }
        let b = Arc::clone(&broker);
        // It writes the offsets log: off the runtime's workers.
        if let Err(e) = tokio::task::spawn_blocking(move || b.groups.expire_offsets(now_ms())).await
        {
            tracing::warn!(error = %e, "offset expiry task failed");
        }
    }
}

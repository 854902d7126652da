//! The periodic recovery-point checkpoint (Kafka's `log.flush.offset.checkpoint.interval.ms`):
//! every [`CHECKPOINT_INTERVAL`] the data directory's checkpoint is rewritten if some
//! partition's recovery point moved, so an unclean start validates only the data written
//! since. One file write per interval, whatever the number of partitions.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use crate::broker::Broker;

/// How often the recovery-point checkpoint is refreshed.
pub const CHECKPOINT_INTERVAL: Duration = Duration::from_secs(60);

/// Runs until `stop` turns true (the shutdown writes the last checkpoint itself).
pub async fn run(broker: Arc<Broker>, mut stop: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            _ = tokio::time::sleep(CHECKPOINT_INTERVAL) => {},
            _ = stop.changed() => return,
        }
        if *stop.borrow() {
            return;
        }
        let b = Arc::clone(&broker);
        let written = tokio::task::spawn_blocking(move || b.topics.write_recovery_checkpoint());
        if let Ok(Err(e)) = written.await {
            tracing::warn!(error = %e, "cannot write the recovery-point checkpoint");
        }
    }
}

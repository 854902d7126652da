//! The periodic task that applies share-group timeouts without waiting for a request:
//! acquisition locks that expired give their records back (available, or archived at the
//! delivery-count limit) and members whose session expired leave, every [`TICK`].

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::watch;

use crate::broker::Broker;

/// How often expired locks and sessions are looked for: the latest a record whose lock
/// expired becomes available to the next fetcher and shows in DescribeShareGroupOffsets.
pub const TICK: Duration = Duration::from_millis(200);

/// Runs until `stop` turns true.
pub async fn run(broker: Arc<Broker>, mut stop: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            _ = tokio::time::sleep(TICK) => {},
            _ = stop.changed() => return,
        }
        if *stop.borrow() {
            return;
        }
        let b = Arc::clone(&broker);
        // It writes and syncs the share-state log: off the runtime's workers, and the sync
        // after the coordinator's locks are released.
        let ticked = tokio::task::spawn_blocking(move || {
            let (changed, syncer) = b.shares.expire(Instant::now())?;
            if let Some(s) = syncer {
                s.sync().map_err(|e| {
                    crate::error::BrokerError::Storage(format!("share-group state: {e}"))
                })?;
            }
            Ok::<_, crate::error::BrokerError>(changed)
        })
        .await;
        match ticked {
            Ok(Ok(0)) => {}
            Ok(Ok(n)) => tracing::debug!(records = n, "share-group acquisition locks expired"),
            Ok(Err(e)) => tracing::warn!(error = %e, "share-group expiry failed"),
            Err(e) => tracing::warn!(error = %e, "share-group expiry task failed"),
        }
    }
}

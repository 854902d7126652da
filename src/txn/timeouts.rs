//! The loop that aborts transactions exceeding `transaction.timeout.ms` (and forgets expired
//! transactional ids). It sleeps until the next open transaction's deadline, or until a
//! transaction starts; with no transaction open it wakes once a minute for expiration.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use crate::broker::Broker;
use crate::partition::now_ms;

/// Longest sleep between two passes.
const IDLE_TICK: Duration = Duration::from_secs(60);

/// Runs until `stop` turns true.
pub async fn run(broker: Arc<Broker>, mut stop: watch::Receiver<bool>) {
    loop {
        let b = Arc::clone(&broker);
        let next = tokio::task::spawn_blocking(move || b.txns.tick(b.txn_deps(), now_ms()))
            .await
            .ok()
            .flatten();
        let sleep = next.map_or(IDLE_TICK, |deadline| {
            let ms = deadline
                .saturating_sub(now_ms())
                .clamp(1, IDLE_TICK.as_millis() as i64);
            Duration::from_millis(ms as u64)
        });
        tokio::select! {
            _ = tokio::time::sleep(sleep) => {},
            _ = broker.txns.wake.notified() => {},
            _ = stop.changed() => return,
        }
        if *stop.borrow() {
            return;
        }
    }
}

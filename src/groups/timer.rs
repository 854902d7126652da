//! The per-group timer both coordinators run: sleep until the group's next deadline (session
//! expiry, rebalance timeout, ...) or until the group changes, then let the group act on the
//! time. An idle group with no deadline costs nothing but a parked task.

use std::sync::Arc;

use tokio::sync::Notify;
use tokio::time::Instant;

/// Runs a group's timer until the group is gone.
///
/// `next_deadline` returns `None` once the group no longer exists (the task ends), else the
/// group's next deadline, if any; `tick` lets the group act on the current time and returns
/// `false` once the group no longer exists. `wake` is notified whenever the group changes.
pub(crate) async fn run_group_timer(
    wake: Arc<Notify>,
    mut next_deadline: impl FnMut() -> Option<Option<Instant>>,
    mut tick: impl FnMut() -> bool,
) {
    loop {
        let Some(next) = next_deadline() else { return };
        match next {
            Some(at) => {
                tokio::select! {
                    _ = tokio::time::sleep_until(at) => {}
                    _ = wake.notified() => {}
                }
            }
            None => wake.notified().await,
        }
        if !tick() {
            return;
        }
    }
}

//! Group commit: the per-partition flusher thread that makes appends durable for acks=all.
//!
//! A caller of [`Partition::sync_to`](super::Partition::sync_to) raises the partition's
//! *requested* offset and parks on a [`watch`] of the synced offset. One OS thread per
//! partition with pending syncs loops `fdatasync` of the active segment
//! ([`LogEngine::sync_data`](crate::log::LogEngine::sync_data)) for as long as some requested
//! offset is not yet covered, publishing each new synced offset to every waiter at once. So
//! back-to-back produces keep the disk busy with one fsync after another, with no thread-pool
//! hop or lock hand-over between them, and every fsync covers everything appended before it
//! started. The thread exits after [`LINGER`] without requests and is started again by the
//! next one.

use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use tokio::sync::watch;

use super::Partition;
use crate::error::BrokerError;

/// How long an idle flusher thread waits for a new request before it exits.
pub const LINGER: Duration = Duration::from_millis(20);

/// Stack of a flusher thread: it only loops over fsync calls and logging.
const FLUSHER_STACK_BYTES: usize = 256 * 1024;

/// What waiters watch: the synced offset and the failures so far.
#[derive(Debug, Clone, Default)]
pub(super) struct SyncStatus {
    /// Every offset below this is fsynced.
    pub(super) synced: i64,
    /// fsync failures so far; a waiter fails if this grows before its offset is covered.
    failures: u64,
    /// The most recent failure.
    last_error: Option<Arc<str>>,
}

/// The group-commit state of one partition.
#[derive(Debug)]
pub(super) struct GroupCommit {
    /// The requests the flusher serves.
    queue: Mutex<Queue>,
    /// Signalled when `queue.requested` grows.
    wake: Condvar,
    /// The synced offset (and failures), published to waiters.
    status: watch::Sender<SyncStatus>,
}

#[derive(Debug, Default)]
struct Queue {
    /// The greatest offset a waiter needs synced.
    requested: i64,
    /// Whether a flusher thread is running for this partition.
    running: bool,
}

impl GroupCommit {
    /// Group commit for a log already synced below `synced`.
    pub(super) fn new(synced: i64) -> Self {
        GroupCommit {
            queue: Mutex::new(Queue {
                requested: synced,
                running: false,
            }),
            wake: Condvar::new(),
            status: watch::Sender::new(SyncStatus {
                synced,
                ..SyncStatus::default()
            }),
        }
    }

    /// Publishes that everything below `end` is synced.
    pub(super) fn publish_synced(&self, end: i64) {
        self.status.send_if_modified(|s| {
            let advanced = end > s.synced;
            s.synced = s.synced.max(end);
            advanced
        });
    }

    fn queue(&self) -> std::sync::MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Waits until every offset below `end` of `partition` is fsynced (see the module docs).
pub(super) async fn sync_to(partition: &Arc<Partition>, end: i64) -> Result<(), BrokerError> {
    let commit = &partition.commit;
    let mut status = commit.status.subscribe();
    let seen_failures = {
        let s = status.borrow_and_update();
        if s.synced >= end {
            return Ok(());
        }
        s.failures
    };
    {
        let mut queue = commit.queue();
        queue.requested = queue.requested.max(end);
        if queue.running {
            commit.wake.notify_one();
        } else {
            let p = Arc::clone(partition);
            std::thread::Builder::new()
                .name(format!("kalfka-fsync-{}", partition.index))
                .stack_size(FLUSHER_STACK_BYTES)
                .spawn(move || flusher(&p))
                .map_err(|e| BrokerError::Storage(format!("cannot start the fsync thread: {e}")))?;
            queue.running = true;
        }
    }
    let outcome = status
        .wait_for(|s| s.synced >= end || s.failures > seen_failures)
        .await
        .map_err(|_| BrokerError::Storage("fsync state dropped".into()))?;
    if outcome.synced >= end {
        Ok(())
    } else {
        let reason = outcome.last_error.as_deref().unwrap_or("unknown error");
        Err(BrokerError::Storage(format!("fsync failed: {reason}")))
    }
}

/// The flusher thread: fsyncs while some requested offset is not yet synced, then lingers.
fn flusher(partition: &Partition) {
    let commit = &partition.commit;
    loop {
        {
            let mut queue = commit.queue();
            while queue.requested <= partition.synced_offset() {
                let (guard, wait) = commit
                    .wake
                    .wait_timeout(queue, LINGER)
                    .unwrap_or_else(|p| p.into_inner());
                queue = guard;
                if wait.timed_out() && queue.requested <= partition.synced_offset() {
                    queue.running = false;
                    return;
                }
            }
        }
        match crate::metrics::timed(&crate::metrics::FSYNC_LOG, || partition.log.sync_data()) {
            Ok(end) => {
                partition.count_group_commit();
                partition.mark_synced(end);
            }
            Err(e) => {
                tracing::warn!(partition = partition.index, error = %e, "fsync failed");
                // Fail the waiters so far (they see the failure count grow); later requests
                // try again.
                let mut queue = commit.queue();
                queue.requested = partition.synced_offset();
                commit.status.send_modify(|s| {
                    s.failures += 1;
                    s.last_error = Some(e.to_string().into());
                });
            }
        }
    }
}

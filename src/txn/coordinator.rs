//! [`TransactionCoordinator`]: owns every transactional id's [`TransactionMetadata`], makes
//! each change durable ([`TxnStore`]) and writes the COMMIT/ABORT markers.
//!
//! Every operation is blocking (fsyncs, marker appends) and is run by the API handlers on the
//! blocking pool. Operations on one transactional id are serialized by that id's lock; ids
//! are independent. Ending a transaction is synchronous: the decision (`Prepare*`) is made
//! durable, the markers are appended to every partition of the transaction and fsynced, the
//! transaction's offsets are committed to its groups, then the completion is recorded. A crash
//! in between leaves a `Prepare*` state that [`TransactionCoordinator::recover`] finishes at
//! the next start (markers are only written where the producer still has a transaction open,
//! so finishing twice writes nothing twice).
//!
//! A read-only [`Published`] view of each id (producer id, epoch, partitions of the open
//! transaction, groups with pending offsets) is kept beside the locks so that Produce and
//! OffsetFetch can check against it without waiting for a transaction to finish.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::Notify;

use super::state::{FenceError, PendingOffset, TransactionMetadata, TxnState};
use super::store::TxnStore;
use crate::error::BrokerError;
use crate::groups::offsets::CommittedOffset;
use crate::groups::GroupCoordinator;
use crate::metadata::TopicRegistry;
use crate::partition::now_ms;
use crate::producer_ids::ProducerIdAllocator;

/// Broker settings the coordinator follows.
#[derive(Debug, Clone, Copy)]
pub struct TxnSettings {
    /// `transaction.max.timeout.ms`: the largest timeout a producer may ask for.
    pub max_timeout_ms: i32,
    /// `transactional.id.expiration.ms`: an id idle this long without an open transaction is
    /// forgotten.
    pub id_expiration_ms: i64,
}

impl Default for TxnSettings {
    fn default() -> Self {
        TxnSettings {
            max_timeout_ms: 900_000,
            id_expiration_ms: 7 * 24 * 3_600_000,
        }
    }
}

/// What the coordinator needs from the rest of the broker.
#[derive(Clone, Copy)]
pub struct TxnDeps<'a> {
    /// Where markers go.
    pub topics: &'a TopicRegistry,
    /// Where committed transactional offsets go.
    pub groups: &'a GroupCoordinator,
    /// New producer ids.
    pub producer_ids: &'a ProducerIdAllocator,
}

/// What Produce and OffsetFetch see of one transactional id.
#[derive(Debug, Clone, Default)]
struct Published {
    producer_id: i64,
    epoch: i16,
    /// Partitions of the open transaction (empty when none is open).
    partitions: BTreeSet<(String, i32)>,
    /// `(group, topic, partition)` with offsets waiting for the transaction to commit.
    pending: BTreeSet<(String, String, i32)>,
}

/// The published views of every id, and which id each producer id belongs to: one value
/// behind one lock, so Produce's check and a coordinator update never take two locks.
#[derive(Debug, Default)]
struct PublishedView {
    by_id: HashMap<String, Published>,
    by_producer: HashMap<i64, String>,
}

type Slot = Arc<Mutex<Option<TransactionMetadata>>>;

/// The transaction coordinator of this (single-node) cluster.
///
/// Lock order: a transactional id's slot, then `store`, then `published`; `slots` (the map)
/// is only held to look a slot up and never while waiting for another lock.
pub struct TransactionCoordinator {
    settings: TxnSettings,
    store: Mutex<TxnStore>,
    slots: Mutex<HashMap<String, Slot>>,
    published: Mutex<PublishedView>,
    /// Wakes the timeout loop when a transaction starts.
    pub(super) wake: Notify,
    /// Transactions aborted for exceeding their timeout (for `/metrics`).
    timeouts: std::sync::atomic::AtomicU64,
}

impl std::fmt::Debug for TransactionCoordinator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TransactionCoordinator")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn storage(e: std::io::Error) -> BrokerError {
    BrokerError::Storage(format!("transaction state: {e}"))
}

impl TransactionCoordinator {
    /// Transactions aborted for exceeding their timeout since the broker started.
    pub fn timeouts(&self) -> u64 {
        self.timeouts.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Opens the transaction state under `data_dir`. Transactions left half-finished by a
    /// crash are completed by [`recover`](Self::recover).
    /// With no `data_dir` (`--memory`) the state lives in memory only.
    pub fn open(
        data_dir: Option<&std::path::Path>,
        settings: TxnSettings,
    ) -> Result<Self, BrokerError> {
        let (store, state) = TxnStore::open(data_dir).map_err(storage)?;
        let coordinator = TransactionCoordinator {
            settings,
            store: Mutex::new(store),
            slots: Mutex::new(HashMap::new()),
            published: Mutex::new(PublishedView::default()),
            wake: Notify::new(),
            timeouts: std::sync::atomic::AtomicU64::new(0),
        };
        for (id, meta) in state {
            coordinator.publish(&id, Some(&meta));
            lock(&coordinator.slots).insert(id, Arc::new(Mutex::new(Some(meta))));
        }
        Ok(coordinator)
    }

    /// Finishes every transaction whose outcome was decided before a crash.
    pub fn recover(&self, deps: TxnDeps<'_>) {
        for (id, slot) in self.all_slots() {
            let mut guard = lock(&slot);
            if let Some(meta) = guard.as_mut().filter(|m| m.is_preparing()) {
                let epoch = meta.producer_epoch;
                match self.finish(deps, &id, meta, epoch, false) {
                    Ok(()) => {
                        tracing::info!(transactional_id = %id, state = meta.state.name(), "completed a transaction decided before the restart")
                    }
                    Err(e) => {
                        tracing::warn!(transactional_id = %id, error = %e, "cannot complete a decided transaction yet")
                    }
                }
            }
        }
    }

    fn slot(&self, id: &str) -> Slot {
        Arc::clone(lock(&self.slots).entry(id.to_string()).or_default())
    }

    fn all_slots(&self) -> Vec<(String, Slot)> {
        lock(&self.slots)
            .iter()
            .map(|(id, s)| (id.clone(), Arc::clone(s)))
            .collect()
    }

    /// Makes `meta` (`None`: removed) the durable and published state of `id`.
    fn save(&self, id: &str, meta: Option<&TransactionMetadata>) -> Result<(), BrokerError> {
        lock(&self.store).write(id, meta).map_err(storage)?;
        self.publish(id, meta);
        Ok(())
    }

    fn publish(&self, id: &str, meta: Option<&TransactionMetadata>) {
        let mut guard = lock(&self.published);
        let view = &mut *guard;
        if let Some(old) = view.by_id.remove(id) {
            view.by_producer.remove(&old.producer_id);
        }
        let Some(meta) = meta else {
            return;
        };
        let ongoing = meta.state == TxnState::Ongoing;
        view.by_id.insert(
            id.to_string(),
            Published {
                producer_id: meta.producer_id,
                epoch: meta.producer_epoch,
                partitions: if ongoing {
                    meta.partitions.clone()
                } else {
                    BTreeSet::new()
                },
                pending: meta
                    .pending_offsets
                    .iter()
                    .map(|p| (p.group.clone(), p.topic.clone(), p.partition))
                    .collect(),
            },
        );
        view.by_producer.insert(meta.producer_id, id.to_string());
    }

    /// InitProducerId with a transactional id: the producer id bound to `id` with a new epoch
    /// (fencing earlier instances). A transaction the previous instance left open is aborted
    /// first and CONCURRENT_TRANSACTIONS answered; the client's retry gets the new epoch.
    /// `expected` is the producer id and epoch the client says it has (v3+), if any.
    pub fn init_producer_id(
        &self,
        deps: TxnDeps<'_>,
        id: &str,
        timeout_ms: i32,
        expected: Option<(i64, i16)>,
        fence: FenceError,
    ) -> Result<(i64, i16), BrokerError> {
        if timeout_ms <= 0 || timeout_ms > self.settings.max_timeout_ms {
            return Err(BrokerError::InvalidTransactionTimeout(timeout_ms));
        }
        let now = now_ms();
        let slot = self.slot(id);
        let mut guard = lock(&slot);
        let Some(meta) = guard.as_mut() else {
            let meta = TransactionMetadata::new(deps.producer_ids.allocate()?, timeout_ms, now);
            self.save(id, Some(&meta))?;
            let out = (meta.producer_id, meta.producer_epoch);
            *guard = Some(meta);
            return Ok(out);
        };
        if let Some((pid, epoch)) = expected {
            meta.check_producer(pid, epoch, fence)?;
        }
        if meta.is_preparing() {
            let epoch = meta.producer_epoch;
            self.finish(deps, id, meta, epoch, false)
                .map_err(|_| BrokerError::ConcurrentTransactions)?;
        }
        if meta.state == TxnState::Ongoing {
            // The previous instance's transaction: abort it under a new epoch (fencing that
            // instance) and answer CONCURRENT_TRANSACTIONS, as Kafka does; the client retries
            // and its retry bumps the epoch a second time, so the fencing epoch is never
            // handed out (or a new producer id is, when the epochs run out).
            self.bump_epoch(deps, meta)?;
            meta.state = TxnState::PrepareAbort;
            let epoch = meta.producer_epoch;
            self.finish(deps, id, meta, epoch, false)?;
            return Err(BrokerError::ConcurrentTransactions);
        }
        self.bump_epoch(deps, meta)?;
        meta.state = TxnState::Empty;
        meta.timeout_ms = timeout_ms;
        meta.last_update_ms = now;
        self.save(id, Some(meta))?;
        Ok((meta.producer_id, meta.producer_epoch))
    }

    /// A new epoch, or a new producer id when the epochs are used up.
    fn bump_epoch(
        &self,
        deps: TxnDeps<'_>,
        meta: &mut TransactionMetadata,
    ) -> Result<(), BrokerError> {
        if meta.can_bump_epoch() {
            meta.producer_epoch += 1;
        } else {
            meta.producer_id = deps.producer_ids.allocate()?;
            meta.producer_epoch = 0;
        }
        Ok(())
    }

    /// Runs `f` on the existing state of `id` after checking the producer; saves it after.
    fn update(
        &self,
        id: &str,
        producer: (i64, i16),
        fence: FenceError,
        f: impl FnOnce(&mut TransactionMetadata, i64) -> Result<(), BrokerError>,
    ) -> Result<(), BrokerError> {
        let slot = self.slot(id);
        let mut guard = lock(&slot);
        let Some(meta) = guard.as_mut() else {
            return Err(BrokerError::InvalidProducerIdMapping);
        };
        meta.check_producer(producer.0, producer.1, fence)?;
        let mut next = meta.clone();
        f(&mut next, now_ms())?;
        if next != *meta {
            let starts = meta.state != TxnState::Ongoing && next.state == TxnState::Ongoing;
            self.save(id, Some(&next))?;
            *meta = next;
            if starts {
                self.wake.notify_one();
            }
        }
        Ok(())
    }

    /// AddPartitionsToTxn: adds partitions (already known to exist) to the transaction.
    pub fn add_partitions(
        &self,
        id: &str,
        producer: (i64, i16),
        partitions: Vec<(String, i32)>,
        fence: FenceError,
    ) -> Result<(), BrokerError> {
        self.update(id, producer, fence, |m, now| m.add(partitions, None, now))
    }

    /// AddPartitionsToTxn v4+ `verify_only`: whether every partition is in the open transaction.
    pub fn verify_partitions(
        &self,
        id: &str,
        producer: (i64, i16),
        partitions: &[(String, i32)],
    ) -> Result<(), BrokerError> {
        let view = lock(&self.published);
        let p = view
            .by_id
            .get(id)
            .ok_or(BrokerError::InvalidProducerIdMapping)?;
        if p.producer_id != producer.0 {
            return Err(BrokerError::InvalidProducerIdMapping);
        }
        if p.epoch != producer.1 {
            return Err(BrokerError::ProducerFenced(format!(
                "epoch {} is not the current epoch {}",
                producer.1, p.epoch
            )));
        }
        match partitions.iter().all(|tp| p.partitions.contains(tp)) {
            true => Ok(()),
            false => Err(BrokerError::InvalidTxnState(
                "partition not added to the transaction".into(),
            )),
        }
    }

    /// AddOffsetsToTxn: the transaction will commit offsets of `group`.
    pub fn add_offsets(
        &self,
        id: &str,
        producer: (i64, i16),
        group: &str,
        fence: FenceError,
    ) -> Result<(), BrokerError> {
        self.update(id, producer, fence, |m, now| m.add([], Some(group), now))
    }

    /// TxnOffsetCommit: offsets committed when the transaction commits. With `implicit_group`
    /// (v5, transaction version 2) the group joins the transaction without AddOffsetsToTxn.
    pub fn txn_offset_commit(
        &self,
        id: &str,
        producer: (i64, i16),
        offsets: Vec<PendingOffset>,
        implicit_group: bool,
    ) -> Result<(), BrokerError> {
        self.update(id, producer, FenceError::InvalidProducerEpoch, |m, now| {
            if implicit_group {
                let groups: BTreeSet<String> = offsets.iter().map(|o| o.group.clone()).collect();
                for group in &groups {
                    m.add([], Some(group), now)?;
                }
            }
            m.add_pending_offsets(offsets, now)
        })
    }

    /// EndTxn: commits or aborts the open transaction. `bump_epoch` (EndTxn v5, KIP-890)
    /// gives the producer a new epoch afterwards. Returns the producer id and epoch.
    pub fn end_txn(
        &self,
        deps: TxnDeps<'_>,
        id: &str,
        producer: (i64, i16),
        commit: bool,
        bump_epoch: bool,
        fence: FenceError,
    ) -> Result<(i64, i16), BrokerError> {
        let slot = self.slot(id);
        let mut guard = lock(&slot);
        let Some(meta) = guard.as_mut() else {
            return Err(BrokerError::InvalidProducerIdMapping);
        };
        meta.check_producer(producer.0, producer.1, fence)?;
        // Transaction version 2 (EndTxn v5): a client that began a transaction but added
        // nothing (no produce, no offsets) still ends it; with nothing open there is nothing
        // to end, and Kafka answers success (franz-go's GroupTransactSession relies on it).
        if bump_epoch
            && matches!(
                meta.state,
                TxnState::Empty | TxnState::CompleteCommit | TxnState::CompleteAbort
            )
        {
            return Ok((meta.producer_id, meta.producer_epoch));
        }
        let Some(target) = meta.prepare_end(commit)? else {
            return Ok((meta.producer_id, meta.producer_epoch));
        };
        meta.state = target;
        let epoch = meta.producer_epoch;
        self.finish(deps, id, meta, epoch, bump_epoch)?;
        Ok((meta.producer_id, meta.producer_epoch))
    }

    /// Completes a transaction whose state is `Prepare*`: records the decision, writes the
    /// markers (at `marker_epoch`) and fsyncs them, commits its offsets, records completion.
    fn finish(
        &self,
        deps: TxnDeps<'_>,
        id: &str,
        meta: &mut TransactionMetadata,
        marker_epoch: i16,
        bump_epoch: bool,
    ) -> Result<(), BrokerError> {
        let commit = meta.state == TxnState::PrepareCommit;
        self.save(id, Some(meta))?;
        for (topic, index) in &meta.partitions {
            let Some(partition) = deps
                .topics
                .get(topic)
                .and_then(|t| t.partition(*index).cloned())
            else {
                continue; // deleted meanwhile
            };
            if let Some(end) =
                partition.write_txn_marker(meta.producer_id, marker_epoch, commit, 0)?
            {
                partition.sync_blocking(end)?;
            }
        }
        if commit {
            let now = now_ms();
            let mut by_group: HashMap<&str, Vec<_>> = HashMap::new();
            for p in &meta.pending_offsets {
                by_group.entry(&p.group).or_default().push((
                    (p.topic.clone(), p.partition),
                    CommittedOffset {
                        offset: p.offset,
                        leader_epoch: p.leader_epoch,
                        metadata: p.metadata.clone(),
                        commit_timestamp_ms: now,
                    },
                ));
            }
            for (group, commits) in by_group {
                deps.groups.commit_offsets_blocking(group, commits)?;
            }
        }
        meta.complete(now_ms());
        if bump_epoch {
            self.bump_epoch(deps, meta)?;
        }
        self.save(id, Some(meta))
    }

    /// Produce v12+ of a transactional batch (transaction.version 2, KIP-890 part 2): the
    /// partition joins the producer's transaction implicitly, as AddPartitionsToTxn would add
    /// it, unless it is already in it. Blocking (the change is made durable).
    pub fn add_partition_implicitly(
        &self,
        transactional_id: &str,
        producer: (i64, i16),
        topic: &str,
        partition: i32,
    ) -> Result<(), BrokerError> {
        if self
            .check_produce(producer.0, producer.1, topic, partition)
            .is_ok()
        {
            return Ok(());
        }
        // A stale epoch answers INVALID_PRODUCER_EPOCH: Kafka turns the coordinator's
        // PRODUCER_FENCED into it for Produce responses.
        self.add_partitions(
            transactional_id,
            producer,
            vec![(topic.to_string(), partition)],
            FenceError::InvalidProducerEpoch,
        )
    }

    /// Produce of a transactional batch: the partition must be in the producer's open
    /// transaction, at the current epoch.
    pub fn check_produce(
        &self,
        producer_id: i64,
        epoch: i16,
        topic: &str,
        partition: i32,
    ) -> Result<(), BrokerError> {
        let view = lock(&self.published);
        let Some(p) = view
            .by_producer
            .get(&producer_id)
            .and_then(|id| view.by_id.get(id))
        else {
            return Err(BrokerError::InvalidTxnState(format!(
                "producer {producer_id} has no transaction"
            )));
        };
        if epoch < p.epoch {
            return Err(BrokerError::InvalidProducerEpoch(format!(
                "producer {producer_id} epoch {epoch} is older than {}",
                p.epoch
            )));
        }
        if epoch == p.epoch && p.partitions.contains(&(topic.to_string(), partition)) {
            return Ok(());
        }
        Err(BrokerError::InvalidTxnState(format!(
            "{topic}-{partition} was not added to the transaction of producer {producer_id}"
        )))
    }

    /// Whether an open transaction holds offsets for the group's partition (OffsetFetch with
    /// `require_stable` then answers UNSTABLE_OFFSET_COMMIT).
    pub fn has_pending_offsets(&self, group: &str, topic: &str, partition: i32) -> bool {
        let key = (group.to_string(), topic.to_string(), partition);
        lock(&self.published)
            .by_id
            .values()
            .any(|p| p.pending.contains(&key))
    }

    /// The state of `id`, if it exists.
    pub fn describe(&self, id: &str) -> Option<TransactionMetadata> {
        let slot = lock(&self.slots).get(id).cloned()?;
        let meta = lock(&slot).clone();
        meta
    }

    /// Every transactional id with its state, by id.
    pub fn list(&self) -> Vec<(String, TransactionMetadata)> {
        let mut out: Vec<_> = self
            .all_slots()
            .into_iter()
            .filter_map(|(id, slot)| lock(&slot).clone().map(|m| (id, m)))
            .collect();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }

    /// One pass of the timeout loop at `now`: aborts transactions open longer than their
    /// timeout (under a new epoch, which fences the producer), retries decided ones, forgets
    /// ids idle past `transactional.id.expiration.ms`. Returns when the next open transaction
    /// times out. Ids busy in a request are skipped until the next pass.
    pub fn tick(&self, deps: TxnDeps<'_>, now: i64) -> Option<i64> {
        let mut next: Option<i64> = None;
        let mut wake_at = |at: i64| next = Some(next.map_or(at, |n: i64| n.min(at)));
        for (id, slot) in self.all_slots() {
            let Ok(mut guard) = slot.try_lock() else {
                wake_at(now + 100);
                continue;
            };
            let Some(meta) = guard.as_mut() else {
                continue;
            };
            if meta.timed_out(now) {
                tracing::info!(transactional_id = %id, producer_id = meta.producer_id, timeout_ms = meta.timeout_ms, "aborting a transaction that exceeded its timeout");
                self.timeouts
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let aborted = self.bump_epoch(deps, meta).and_then(|()| {
                    meta.state = TxnState::PrepareAbort;
                    let epoch = meta.producer_epoch;
                    self.finish(deps, &id, meta, epoch, false)
                });
                if let Err(e) = aborted {
                    tracing::warn!(transactional_id = %id, error = %e, "cannot abort a timed-out transaction yet");
                }
            } else if meta.is_preparing() {
                let epoch = meta.producer_epoch;
                if let Err(e) = self.finish(deps, &id, meta, epoch, false) {
                    tracing::warn!(transactional_id = %id, error = %e, "cannot complete a decided transaction yet");
                }
            } else if meta.state != TxnState::Ongoing
                && now.saturating_sub(meta.last_update_ms) > self.settings.id_expiration_ms
            {
                if self.save(&id, None).is_ok() {
                    *guard = None;
                    drop(guard);
                    lock(&self.slots).remove(&id);
                }
                continue;
            }
            if let Some(m) = guard.as_ref() {
                if m.is_preparing() {
                    wake_at(now + 1_000);
                }
                if m.state == TxnState::Ongoing {
                    wake_at(m.txn_start_ms + i64::from(m.timeout_ms) + 1);
                }
            }
        }
        next
    }
}

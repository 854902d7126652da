//! A partition as the broker serves it: its log plus the fetches waiting for new data, and the
//! group commit that makes appends durable.
//!
//! # Group commit
//!
//! [`Partition::sync_to`] waits until everything below an offset is fsynced. A flusher thread
//! per busy partition fsyncs the active segment file (see [`LogEngine::sync_data`]) over and
//! over while callers wait, each fsync covering every append published before it started, and
//! wakes all the callers it covered at once ([`group_commit`]). Appends are not blocked while
//! an fsync runs.
//!
//! # Transactions
//!
//! The partition tracks each producer's open transaction (see
//! [`crate::log::producer_state`]). The *last stable offset* is the first offset of the
//! earliest open transaction (the log end when none is open): read_committed fetches stop
//! there. It is published through an atomic that is lowered *before* a transactional batch is
//! appended, so a reader that sees the batch in the log always sees the bound too.
//! [`Partition::write_txn_marker`] appends the coordinator's COMMIT/ABORT marker.

mod group_commit;
mod replay;
mod settings;
mod stats;
mod validated;

pub use settings::TopicSettings;
pub use stats::{PartitionStats, TrafficSnapshot};
pub use validated::{Rejected, ValidatedBatch};

use std::path::Path;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use bytes::Bytes;
use tokio::sync::Notify;

use kalfka_protocol::records::{batches, ControlRecordType, EndTransactionMarker};

use crate::error::BrokerError;
use crate::log::producer_state::{ProducerBatch, ProducerStates, SequenceCheck};
use crate::log::{
    CompactionPolicy, CompactionStats, LogConfig, LogEngine, MemoryLog, PartitionLog, Recovery,
    RetentionPolicy, TxnBounds,
};
use replay::rebuild_producer_state;

/// One partition of a topic.
#[derive(Debug)]
pub struct Partition {
    /// Partition number within its topic.
    pub index: i32,
    log: Box<dyn LogEngine>,
    waiters: Mutex<Vec<Arc<Notify>>>,
    /// Every offset below this is known to be fsynced.
    synced: AtomicI64,
    /// The group-commit flusher's queue and the synced offset waiters watch.
    commit: group_commit::GroupCommit,
    /// When the last fsync finished (for `flush.ms`).
    last_sync: Mutex<Instant>,
    /// fsyncs done by [`sync_to`](Self::sync_to) (group commits).
    sync_count: std::sync::atomic::AtomicU64,
    /// Idempotent-producer state; held across check and append, so it also serializes appends.
    producers: Mutex<ProducerStates>,
    /// First offset of the earliest open transaction (`i64::MAX`: none); see the module docs.
    first_open_txn: AtomicI64,
    /// The log end offset the producer-state snapshot on disk covers (-1: none or unknown),
    /// so a shutdown rewrites only the snapshots of partitions appended to since.
    snapshot_covers: AtomicI64,
    /// Bytes and records produced and fetched (for `/metrics`).
    stats: PartitionStats,
}

/// What [`Partition::append_checked`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppendOutcome {
    /// The batches were written at these offsets.
    Appended(std::ops::Range<i64>),
    /// A retried batch that is already in the log at these offsets; nothing was written.
    Duplicate(std::ops::Range<i64>),
}

/// One producer as DescribeProducers reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ActiveProducer {
    /// Producer id.
    pub producer_id: i64,
    /// Its current epoch.
    pub epoch: i16,
    /// Sequence of its last record (-1: none).
    pub last_sequence: i32,
    /// When it last appended, ms since the epoch.
    pub last_update_ms: i64,
    /// First offset of its open transaction, if any.
    pub txn_first_offset: Option<i64>,
    /// Coordinator epoch of its last transaction marker here (-1: none yet).
    pub coordinator_epoch: i32,
}

/// Where a partition's log stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Offsets {
    /// First offset still in the log.
    pub log_start: i64,
    /// Next offset to be written (the high watermark on a single node).
    pub log_end: i64,
}

/// What a read returned: whole batches, and the log's offsets at the time.
#[derive(Debug, Clone)]
pub struct PartitionRead {
    /// Whole record batches, served from the mapped segment.
    pub records: Bytes,
    /// Log offsets when the read was made.
    pub offsets: Offsets,
}

impl Partition {
    /// Opens (recovering if needed) the log of partition `index` in `dir`.
    /// `recovery` says how the previous run ended (see [`Recovery`]).
    pub fn open(
        index: i32,
        dir: &Path,
        config: LogConfig,
        recovery: Recovery,
    ) -> Result<Self, BrokerError> {
        let log = PartitionLog::open_with(dir, config, recovery)?;
        Self::with_engine(index, Box::new(log))
    }

    /// Opens the log of partition `index` in `dir` as the broker does at start: recovering
    /// from `recovery_point` (the data directory's checkpoint) without syncing anything; the
    /// caller syncs the filesystem once for every partition (see
    /// [`PartitionLog::open_recovered`]). `blank_producers_upto`: the producer state is known
    /// to be empty at this offset (from the last clean shutdown), so it is rebuilt from there.
    pub fn open_recovered(
        index: i32,
        dir: &Path,
        config: LogConfig,
        recovery: Recovery,
        recovery_point: Option<i64>,
        blank_producers_upto: Option<i64>,
    ) -> Result<Self, BrokerError> {
        let log = PartitionLog::open_recovered(dir, config, recovery, recovery_point)?;
        Self::with_engine_from(index, Box::new(log), blank_producers_upto)
    }

    /// A partition whose log lives only in memory ([`MemoryLog`]): nothing is written to disk
    /// and everything is lost when the broker stops (`--memory`).
    pub fn in_memory(index: i32) -> Self {
        Partition::new(index, Box::new(MemoryLog::new()), ProducerStates::default())
    }

    /// A partition served from an already-open `log`; the producer state is rebuilt from the
    /// log (and its snapshot, for an engine with a directory).
    pub fn with_engine(index: i32, log: Box<dyn LogEngine>) -> Result<Self, BrokerError> {
        Self::with_engine_from(index, log, None)
    }

    fn with_engine_from(
        index: i32,
        log: Box<dyn LogEngine>,
        blank_producers_upto: Option<i64>,
    ) -> Result<Self, BrokerError> {
        let (producers, snapshot_covers) =
            rebuild_producer_state(log.as_ref(), blank_producers_upto)?;
        // Reading the log mapped it: release that until it is used (no map per idle partition).
        log.close_idle_files(std::time::Duration::ZERO);
        let partition = Partition::new(index, log, producers);
        partition
            .snapshot_covers
            .store(snapshot_covers, Ordering::Relaxed);
        Ok(partition)
    }

    fn new(index: i32, log: Box<dyn LogEngine>, producers: ProducerStates) -> Self {
        // What recovery found is what the next start would find: count it as synced.
        let end = log.log_end_offset();
        let first_open_txn = AtomicI64::new(producers.first_open_txn_offset().unwrap_or(i64::MAX));
        Partition {
            first_open_txn,
            index,
            log,
            waiters: Mutex::new(Vec::new()),
            synced: AtomicI64::new(end),
            commit: group_commit::GroupCommit::new(end),
            last_sync: Mutex::new(Instant::now()),
            sync_count: std::sync::atomic::AtomicU64::new(0),
            producers: Mutex::new(producers),
            snapshot_covers: AtomicI64::new(-1),
            stats: PartitionStats::default(),
        }
    }

    /// The log start and end offsets.
    pub fn offsets(&self) -> Offsets {
        Offsets {
            log_start: self.log.log_start_offset(),
            log_end: self.log.log_end_offset(),
        }
    }

    /// Appends already-validated batches (each one whole batch, in order), assigning offsets.
    /// Returns the offsets the batches got (`base..next`). Wakes fetches waiting on this
    /// partition. Nothing is fsynced here (see [`sync_to`](Self::sync_to)).
    pub fn append(&self, batches: &mut [Vec<u8>]) -> Result<std::ops::Range<i64>, BrokerError> {
        let mut batches = batches
            .iter_mut()
            .map(|b| ValidatedBatch::trusted(std::mem::take(b)))
            .collect::<Result<Vec<_>, _>>()?;
        match self.append_checked(&mut batches, now_ms(), i64::MAX)? {
            AppendOutcome::Appended(range) | AppendOutcome::Duplicate(range) => Ok(range),
        }
    }

    /// Like [`append`](Self::append), but first checks the producer id, epoch and sequence of
    /// every batch (see [`crate::log::producer_state`]): a retried batch already in the log is
    /// reported as [`AppendOutcome::Duplicate`] and not written again; an old epoch or a
    /// sequence gap fails the whole append. Producers idle for `expiration_ms` are forgotten.
    pub fn append_checked(
        &self,
        batches: &mut [ValidatedBatch],
        now_ms: i64,
        expiration_ms: i64,
    ) -> Result<AppendOutcome, BrokerError> {
        let mut producers = self.producers.lock().unwrap_or_else(|p| p.into_inner());
        producers.maybe_remove_expired(now_ms, expiration_ms);
        let mut staged: Vec<Option<ProducerBatch>> = Vec::with_capacity(batches.len());
        // Later batches of one request are checked against the earlier ones (placeholder
        // offsets: only sequences matter for the check).
        let mut scratch: Option<ProducerStates> = None;
        for batch in batches.iter() {
            let Some(pb) = ProducerBatch::from_header(batch.header()) else {
                staged.push(None);
                continue;
            };
            let states = scratch.as_ref().unwrap_or(&producers);
            match states.check(&pb, now_ms, expiration_ms)? {
                SequenceCheck::Duplicate(dup) => {
                    tracing::debug!(
                        partition = self.index,
                        producer_id = pb.producer_id,
                        first_seq = pb.first_seq,
                        "duplicate batch; answering its original offset"
                    );
                    return Ok(AppendOutcome::Duplicate(
                        dup.base_offset..dup.last_offset + 1,
                    ));
                }
                SequenceCheck::Append => {}
            }
            if batches.len() > 1 {
                scratch
                    .get_or_insert_with(|| producers.entries_only())
                    .record(&pb, 0, 0, now_ms);
            }
            staged.push(Some(pb));
        }
        let opens_txn = staged
            .iter()
            .flatten()
            .any(|pb| pb.transactional && !producers.has_open_txn(pb.producer_id));
        if opens_txn {
            // Bound the last stable offset before the batch becomes readable.
            self.first_open_txn
                .fetch_min(self.log.log_end_offset(), Ordering::SeqCst);
        }
        let appended = batches
            .iter_mut()
            .map(|b| self.log.append(b.bytes_mut()))
            .collect::<Result<Vec<_>, _>>();
        let appended = match appended {
            Ok(appended) => appended,
            Err(e) => {
                self.publish_first_open_txn(&producers);
                return Err(e.into());
            }
        };
        for (info, pb) in appended.iter().zip(&staged) {
            if let Some(pb) = pb {
                producers.record(pb, info.base_offset, info.last_offset, now_ms);
            }
        }
        if opens_txn {
            self.publish_first_open_txn(&producers);
        }
        drop(producers);
        let end = self.log.log_end_offset();
        let base = appended.first().map_or(end, |a| a.base_offset);
        let next = appended.last().map_or(end, |a| a.last_offset + 1);
        self.wake_waiters();
        Ok(AppendOutcome::Appended(base..next))
    }

    fn publish_first_open_txn(&self, producers: &ProducerStates) {
        let first = producers.first_open_txn_offset().unwrap_or(i64::MAX);
        self.first_open_txn.store(first, Ordering::SeqCst);
    }

    /// Appends the transaction coordinator's COMMIT or ABORT marker for `producer_id` (at
    /// `epoch`) if the producer has a transaction open here, and returns the offset after it
    /// (to fsync up to); `None` when nothing was open (nothing to write). Wakes fetches: a
    /// marker may move the last stable offset.
    pub fn write_txn_marker(
        &self,
        producer_id: i64,
        epoch: i16,
        commit: bool,
        coordinator_epoch: i32,
    ) -> Result<Option<i64>, BrokerError> {
        let now = now_ms();
        let mut producers = self.producers.lock().unwrap_or_else(|p| p.into_inner());
        if !producers.has_open_txn(producer_id) {
            return Ok(None);
        }
        let marker = EndTransactionMarker {
            kind: if commit {
                ControlRecordType::Commit
            } else {
                ControlRecordType::Abort
            },
            coordinator_epoch,
        };
        let mut batch = marker.build_batch(producer_id, epoch, now)?.to_vec();
        let info = self.log.append(&mut batch)?;
        producers.end_txn(
            producer_id,
            epoch,
            info.base_offset,
            commit,
            coordinator_epoch,
            now,
        );
        self.publish_first_open_txn(&producers);
        drop(producers);
        self.wake_waiters();
        Ok(Some(info.last_offset + 1))
    }

    /// The epoch this partition last saw from `producer_id`, if it remembers the producer.
    pub fn producer_epoch(&self, producer_id: i64) -> Option<i16> {
        self.producers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .epoch_of(producer_id)
    }

    /// The last stable offset: where read_committed fetches stop (see the module docs).
    pub fn last_stable_offset(&self) -> i64 {
        // The log end first: a transactional batch it covers has already lowered the bound.
        let end = self.log.log_end_offset();
        self.first_open_txn.load(Ordering::SeqCst).min(end)
    }

    /// Aborted transactions overlapping `from..upto`, as `(producer id, first offset)`.
    pub fn aborted_txns(&self, from: i64, upto: i64) -> Vec<(i64, i64)> {
        self.producers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .aborted_between(from, upto)
    }

    /// Aborted transactions overlapping `from..upto`, as `(producer id, first offset, marker
    /// offset)`: a transactional batch of the producer between the two was aborted.
    pub fn aborted_txn_ranges(&self, from: i64, upto: i64) -> Vec<(i64, i64, i64)> {
        self.producers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .aborted()
            .iter()
            .filter(|a| a.last_offset >= from && a.first_offset < upto)
            .map(|a| (a.producer_id, a.first_offset, a.last_offset))
            .collect()
    }

    /// The producers this partition remembers and that have not expired, by id.
    pub fn active_producers(&self, now_ms: i64, expiration_ms: i64) -> Vec<ActiveProducer> {
        let producers = self.producers.lock().unwrap_or_else(|p| p.into_inner());
        producers
            .live(now_ms, expiration_ms)
            .into_iter()
            .map(|(id, e)| ActiveProducer {
                producer_id: id,
                epoch: e.epoch,
                last_sequence: e.batches.back().map_or(-1, |b| b.last_seq),
                last_update_ms: e.last_update_ms,
                txn_first_offset: e.txn_first_offset,
                coordinator_epoch: e.coordinator_epoch,
            })
            .collect()
    }

    /// How many producers this partition remembers (expired ones until the next snapshot).
    pub fn producer_count(&self) -> usize {
        self.producers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .len()
    }

    /// Reads whole batches from the one containing `offset`, up to about `max_bytes` (the first
    /// batch is returned whole even when larger).
    pub fn read(&self, offset: i64, max_bytes: usize) -> Result<PartitionRead, BrokerError> {
        let read = self.log.read(offset, max_bytes)?;
        Ok(PartitionRead {
            records: read.bytes,
            offsets: Offsets {
                log_start: read.log_start_offset,
                log_end: read.high_watermark,
            },
        })
    }

    /// The first record (in offset order) whose timestamp is at or after `timestamp`: its offset
    /// and timestamp. The time index finds the batch; the batch's records pick the record.
    pub fn offset_for_timestamp(&self, timestamp: i64) -> Result<Option<(i64, i64)>, BrokerError> {
        let Some((base_offset, _)) = self.log.offset_for_timestamp(timestamp)? else {
            return Ok(None);
        };
        self.first_record_in_batch_at(base_offset, |ts| ts >= timestamp)
    }

    /// Offset and timestamp of the first record carrying the largest timestamp in the log.
    pub fn max_timestamp(&self) -> Result<Option<(i64, i64)>, BrokerError> {
        let Some((offset_in_batch, max_ts)) = self.log.max_timestamp() else {
            return Ok(None);
        };
        self.first_record_in_batch_at(offset_in_batch, |ts| ts == max_ts)
    }

    /// Decodes the batch holding `offset` and returns the first record matching `pred` on its
    /// timestamp.
    fn first_record_in_batch_at(
        &self,
        offset: i64,
        pred: impl Fn(i64) -> bool,
    ) -> Result<Option<(i64, i64)>, BrokerError> {
        let read = self.log.read(offset, 1)?;
        let Some(batch) = batches(read.bytes).next() else {
            return Ok(None);
        };
        let batch = batch?;
        let header = batch.header();
        Ok(batch
            .records()?
            .iter()
            .map(|r| (r.offset(header), r.timestamp(header)))
            .find(|&(_, ts)| pred(ts)))
    }

    /// Fsyncs the log (data and indexes).
    /// Also snapshots the producer state (covering the flushed offsets) so that the next
    /// start rebuilds it from the snapshot instead of scanning the whole log.
    pub fn flush(&self) -> Result<(), BrokerError> {
        let (states, covered) = {
            let mut producers = self.producers.lock().unwrap_or_else(|p| p.into_inner());
            producers.trim_aborted_below(self.log.log_start_offset());
            (producers.clone(), self.log.log_end_offset())
        };
        let end = self.log.log_end_offset();
        crate::metrics::timed(&crate::metrics::FSYNC_LOG, || self.log.flush())?;
        self.mark_synced(end);
        if let (false, Some(dir)) = (states.is_empty(), self.log.dir()) {
            states
                .write_snapshot(dir, covered)
                .map_err(|e| BrokerError::Storage(format!("producer-state snapshot: {e}")))?;
            self.snapshot_covers.store(covered, Ordering::Relaxed);
        }
        Ok(())
    }

    /// Shutdown: writes the producer-state snapshot if producers are known and the log grew
    /// since the last one, *without* fsyncing it (the caller syncs the filesystem once
    /// afterwards; a snapshot torn by a crash before that is unreadable and ignored).
    /// Returns whether a snapshot was written.
    pub fn snapshot_producers_for_shutdown(&self) -> Result<bool, BrokerError> {
        let Some(dir) = self.log.dir() else {
            return Ok(false);
        };
        let covered = self.log.log_end_offset();
        if self.snapshot_covers.load(Ordering::Relaxed) == covered {
            return Ok(false);
        }
        let states = {
            let mut producers = self.producers.lock().unwrap_or_else(|p| p.into_inner());
            producers.trim_aborted_below(self.log.log_start_offset());
            producers.clone()
        };
        if states.is_empty() {
            return Ok(false);
        }
        states
            .write_snapshot_unsynced(dir, covered)
            .map_err(|e| BrokerError::Storage(format!("producer-state snapshot: {e}")))?;
        self.snapshot_covers.store(covered, Ordering::Relaxed);
        Ok(true)
    }

    /// The log end offset if the partition has no producer state at all there (see
    /// [`ProducerStates::is_blank`]); read under the producer lock, which every append holds,
    /// so no batch slips in between.
    pub fn blank_producer_state_end(&self) -> Option<i64> {
        let producers = self.producers.lock().unwrap_or_else(|p| p.into_inner());
        producers.is_blank().then(|| self.log.log_end_offset())
    }

    /// Every offset below this is known to be fsynced, as a recovery-point checkpoint records.
    pub fn recovery_point(&self) -> i64 {
        self.log.recovery_point()
    }

    /// Records that everything below `end` was made durable by a filesystem-wide sync.
    pub fn note_synced(&self, end: i64) {
        self.log.note_synced(end);
        self.mark_synced(end);
    }

    /// Offsets below this are fsynced.
    pub fn synced_offset(&self) -> i64 {
        self.synced.load(Ordering::Acquire)
    }

    /// Appended records not yet fsynced.
    pub fn unsynced_records(&self) -> i64 {
        (self.log.log_end_offset() - self.synced_offset()).max(0)
    }

    /// Time since the last fsync finished.
    pub fn since_last_sync(&self) -> std::time::Duration {
        self.last_sync
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .elapsed()
    }

    fn mark_synced(&self, end: i64) {
        self.synced.fetch_max(end, Ordering::AcqRel);
        *self.last_sync.lock().unwrap_or_else(|p| p.into_inner()) = Instant::now();
        self.commit.publish_synced(end);
    }

    fn count_group_commit(&self) {
        self.sync_count.fetch_add(1, Ordering::Relaxed);
    }

    /// Waits until every offset below `end` is fsynced, sharing each fsync with every caller
    /// waiting meanwhile (see the [module docs](self)). The fsyncs run on the partition's
    /// flusher thread; a log without files (in memory) is "synced" at once.
    pub async fn sync_to(self: &Arc<Self>, end: i64) -> Result<(), BrokerError> {
        if self.synced_offset() >= end {
            return Ok(());
        }
        if self.log.dir().is_none() {
            let synced = self.log.sync_data()?;
            self.mark_synced(synced);
            return Ok(());
        }
        group_commit::sync_to(self, end).await
    }

    /// [`sync_to`](Self::sync_to) for a caller already on a blocking thread (the transaction
    /// coordinator writing markers): fsyncs unless `end` is already covered.
    pub fn sync_blocking(&self, end: i64) -> Result<(), BrokerError> {
        if self.synced_offset() >= end {
            return Ok(());
        }
        let synced = crate::metrics::timed(&crate::metrics::FSYNC_LOG, || self.log.sync_data())?;
        self.mark_synced(synced);
        Ok(())
    }

    /// How many group-commit fsyncs [`sync_to`](Self::sync_to) has done.
    pub fn sync_count(&self) -> u64 {
        self.sync_count.load(Ordering::Relaxed)
    }

    /// Closes the log's files not used for `max_idle` (reopened on the next use); returns how
    /// many segments closed something.
    pub fn close_idle_files(&self, max_idle: std::time::Duration) -> usize {
        self.log.close_idle_files(max_idle)
    }

    /// The partition's traffic counters.
    pub fn stats(&self) -> &PartitionStats {
        &self.stats
    }

    /// Segments of the partition's log (1 for a log in memory).
    pub fn segment_count(&self) -> usize {
        self.log.segment_count()
    }

    /// Bytes of record data the partition's log holds.
    pub fn size_bytes(&self) -> u64 {
        self.log.size_bytes()
    }

    /// DeleteRecords: moves the log start offset to `offset` (-1: the high watermark) and
    /// deletes the closed segments wholly below it. Returns the new log start offset.
    pub fn delete_records_before(&self, offset: i64) -> Result<i64, BrokerError> {
        let offset = if offset == -1 {
            self.log.log_end_offset()
        } else {
            offset
        };
        Ok(self.log.delete_records_before(offset)?)
    }

    /// Retention check: rolls the active segment if older than `segment_ms`, then applies
    /// `policy` (if any) at wall-clock `now_ms`. Returns how many segments were deleted.
    pub fn enforce_retention(
        &self,
        now_ms: i64,
        segment_ms: std::time::Duration,
        policy: Option<RetentionPolicy>,
    ) -> Result<usize, BrokerError> {
        self.log.roll_if_older_than(segment_ms)?;
        match policy {
            Some(policy) => Ok(self.log.apply_retention(now_ms, policy)?),
            None => Ok(0),
        }
    }

    /// One compaction pass over the closed segments (`cleanup.policy=compact`), if `policy`
    /// says one is due: keeps the newest record per key, drops expired tombstones and the
    /// records of aborted transactions, and leaves everything from the last stable offset on.
    pub fn compact(
        &self,
        now_ms: i64,
        policy: &CompactionPolicy,
    ) -> Result<CompactionStats, BrokerError> {
        let txns = TxnBounds {
            last_stable_offset: self.last_stable_offset(),
            aborted: self
                .producers
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .aborted()
                .to_vec(),
        };
        Ok(self.log.compact(now_ms, policy, &txns)?)
    }

    /// Registers `notify` to be woken by the next append to this partition.
    pub fn register_waiter(&self, notify: &Arc<Notify>) {
        let mut waiters = self.waiters.lock().unwrap_or_else(|p| p.into_inner());
        waiters.retain(|w| Arc::strong_count(w) > 1);
        waiters.push(Arc::clone(notify));
    }

    fn wake_waiters(&self) {
        let waiters = std::mem::take(&mut *self.waiters.lock().unwrap_or_else(|p| p.into_inner()));
        for w in waiters {
            w.notify_one();
        }
    }
}

pub use crate::clock::now_ms;

#[cfg(test)]
mod tests {
    use super::*;
    use kalfka_protocol::records::{Compression, RecordBatchBuilder};

    fn batch(i: usize) -> Vec<u8> {
        let mut b = RecordBatchBuilder::new(Compression::None);
        let key = format!("k{i}");
        b.append(0, Some(key.as_bytes()), Some(b"v"), &[]);
        b.build().expect("batch").to_vec()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_syncs_share_fsyncs_and_cover_every_append() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = Arc::new(
            Partition::open(0, dir.path(), LogConfig::default(), Recovery::Unclean).expect("open"),
        );
        assert_eq!(p.synced_offset(), 0);
        let tasks: Vec<_> = (0..64)
            .map(|i| {
                let p = Arc::clone(&p);
                tokio::spawn(async move {
                    let range = p.append(&mut [batch(i)]).expect("append");
                    p.sync_to(range.end).await.expect("sync");
                    assert!(p.synced_offset() >= range.end);
                    range.end
                })
            })
            .collect();
        let mut max_end = 0;
        for t in tasks {
            max_end = max_end.max(t.await.expect("task"));
        }
        assert_eq!(max_end, 64);
        assert_eq!(p.synced_offset(), 64);
        assert_eq!(p.unsynced_records(), 0);
        assert!(p.sync_count() >= 1 && p.sync_count() <= 64);
        // Already covered: no further fsync.
        let before = p.sync_count();
        p.sync_to(10).await.expect("sync");
        assert_eq!(p.sync_count(), before);
    }

    #[tokio::test]
    async fn syncs_after_the_flusher_went_idle_still_complete() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = Arc::new(
            Partition::open(0, dir.path(), LogConfig::default(), Recovery::Unclean).expect("open"),
        );
        for i in 0..3 {
            let range = p.append(&mut [batch(i)]).expect("append");
            p.sync_to(range.end).await.expect("sync");
            assert_eq!(p.synced_offset(), range.end);
            // Let the flusher thread exit; the next sync starts a new one.
            tokio::time::sleep(group_commit::LINGER * 3).await;
        }
        assert_eq!(p.sync_count(), 3);
    }
}

//! Idempotent-producer state of one partition: per producer id, its epoch and the sequence
//! ranges and offsets of its last [`CACHED_BATCHES`] batches (Kafka's `ProducerStateManager`).
//!
//! The rules, as in Kafka:
//! - a batch without a producer id is not checked;
//! - an unknown (or expired) producer may start at any sequence;
//! - an epoch older than the producer's is INVALID_PRODUCER_EPOCH;
//! - a newer epoch must start at sequence 0;
//! - with the same epoch, a batch whose sequence range matches one of the cached batches is a
//!   duplicate (answered with the original offset, not written again), and any other batch
//!   must start right after the last sequence (wrapping at `i32::MAX`), else
//!   OUT_OF_ORDER_SEQUENCE_NUMBER.
//!
//! Transactions: a producer's first transactional batch opens its transaction on this
//! partition (its offset is remembered, it bounds the last stable offset); the COMMIT or
//! ABORT marker the transaction coordinator writes closes it, and an aborted one is added
//! to the partition's aborted-transaction list, which read_committed fetches return.
//!
//! The state is rebuilt from batch headers when a log is opened, starting from a snapshot
//! (`producer-state.json`, written atomically with the offset it covers) when one matches the
//! log, so deduplication survives restarts and crashes. A producer whose last append is older
//! than `producer.id.expiration.ms` is forgotten.

use std::collections::{HashMap, VecDeque};
use std::path::Path;

use kalfka_protocol::records::RecordBatchHeader;
use serde::{Deserialize, Serialize};

/// How many batches per producer are remembered for duplicate detection (as in Kafka).
pub const CACHED_BATCHES: usize = 5;
/// File name of the snapshot in the partition directory.
pub const SNAPSHOT_FILE: &str = "producer-state.json";

/// Where one remembered batch sits in the sequence space and in the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchMetadata {
    /// Sequence of the batch's first record.
    pub first_seq: i32,
    /// Sequence of the batch's last record.
    pub last_seq: i32,
    /// Offset the batch was written at.
    pub base_offset: i64,
    /// Offset of its last record.
    pub last_offset: i64,
}

/// What the partition knows about one producer id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProducerEntry {
    /// The producer's current epoch.
    pub epoch: i16,
    /// The last batches written, oldest first (at most [`CACHED_BATCHES`]).
    pub batches: VecDeque<BatchMetadata>,
    /// When it last appended (ms since the epoch), for expiration.
    pub last_update_ms: i64,
    /// First offset of the producer's open transaction on this partition, if one is open.
    #[serde(default)]
    pub txn_first_offset: Option<i64>,
    /// Coordinator epoch of the last transaction marker written for the producer here (-1:
    /// none yet), as DescribeProducers reports it.
    #[serde(default = "no_coordinator_epoch")]
    pub coordinator_epoch: i32,
}

fn no_coordinator_epoch() -> i32 {
    -1
}

/// One aborted transaction of a partition: read_committed consumers drop the producer's
/// records from `first_offset` up to its ABORT marker at `last_offset`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AbortedTxn {
    /// The producer whose transaction was aborted.
    pub producer_id: i64,
    /// Offset of its first record in the transaction.
    pub first_offset: i64,
    /// Offset of the ABORT marker.
    pub last_offset: i64,
}

/// The producer fields of one incoming batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProducerBatch {
    /// Producer id (-1: none).
    pub producer_id: i64,
    /// Producer epoch.
    pub epoch: i16,
    /// Sequence of the first record.
    pub first_seq: i32,
    /// Sequence of the last record.
    pub last_seq: i32,
    /// Whether the batch belongs to a transaction.
    pub transactional: bool,
}

impl ProducerBatch {
    /// The producer fields of `header`; `None` for a batch without a producer id or sequence.
    pub fn from_header(header: &RecordBatchHeader) -> Option<Self> {
        if header.producer_id < 0 || header.base_sequence < 0 {
            return None;
        }
        Some(ProducerBatch {
            producer_id: header.producer_id,
            epoch: header.producer_epoch,
            first_seq: header.base_sequence,
            last_seq: add_seq(header.base_sequence, header.last_offset_delta.max(0)),
            transactional: header.is_transactional(),
        })
    }
}

/// `seq + n` in the sequence space, which wraps from `i32::MAX` to 0.
fn add_seq(seq: i32, n: i32) -> i32 {
    let sum = i64::from(seq) + i64::from(n);
    let space = i64::from(i32::MAX) + 1;
    (sum % space) as i32
}

/// Whether `e` has appended within `expiration_ms` or still has a transaction open.
fn is_live(e: &ProducerEntry, now_ms: i64, expiration_ms: i64) -> bool {
    e.txn_first_offset.is_some() || now_ms.saturating_sub(e.last_update_ms) < expiration_ms
}

/// Outcome of checking one batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SequenceCheck {
    /// Write it.
    Append,
    /// Already written: answer with this batch's offsets.
    Duplicate(BatchMetadata),
}

/// Why a batch is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SequenceError {
    /// The batch's epoch is older than the producer's.
    #[error("producer {producer_id}: epoch {got} is older than the current epoch {current}")]
    InvalidProducerEpoch {
        /// Producer id.
        producer_id: i64,
        /// Epoch in the batch.
        got: i16,
        /// Epoch the partition knows.
        current: i16,
    },
    /// The batch does not continue the producer's sequence.
    #[error("producer {producer_id}: sequence {got} does not follow {expected_after}")]
    OutOfOrderSequence {
        /// Producer id.
        producer_id: i64,
        /// First sequence of the batch.
        got: i32,
        /// Last sequence written (-1 after a new epoch).
        expected_after: i32,
    },
}

/// Producer states of one partition.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProducerStates {
    producers: HashMap<i64, ProducerEntry>,
    /// Aborted transactions, in marker order.
    #[serde(default)]
    aborted: Vec<AbortedTxn>,
    /// When expired producers were last removed (not persisted).
    #[serde(skip)]
    last_expiry_ms: i64,
}

/// How often [`ProducerStates::maybe_remove_expired`] actually scans.
const EXPIRY_SCAN_INTERVAL_MS: i64 = 60_000;

/// The snapshot file's content.
#[derive(Debug, Serialize, Deserialize)]
struct Snapshot {
    /// Every batch below this offset is reflected in `states`.
    offset: i64,
    states: ProducerStates,
}

impl ProducerStates {
    /// Number of producers known (expired ones included until the next snapshot).
    pub fn len(&self) -> usize {
        self.producers.len()
    }

    /// Whether no producer is known.
    pub fn is_empty(&self) -> bool {
        self.producers.is_empty()
    }

    /// Whether there is nothing at all: no producer and no aborted transaction (the state of
    /// a log no idempotent or transactional producer wrote to).
    pub fn is_blank(&self) -> bool {
        self.producers.is_empty() && self.aborted.is_empty()
    }

    /// A copy of the producer entries alone (no aborted-transaction list), for checking the
    /// later batches of one request against the earlier ones.
    pub fn entries_only(&self) -> ProducerStates {
        ProducerStates {
            producers: self.producers.clone(),
            aborted: Vec::new(),
            last_expiry_ms: self.last_expiry_ms,
        }
    }

    /// The live entry of `producer_id`, if any.
    pub fn get(&self, producer_id: i64, now_ms: i64, expiration_ms: i64) -> Option<&ProducerEntry> {
        self.producers
            .get(&producer_id)
            .filter(|e| is_live(e, now_ms, expiration_ms))
    }

    /// The live producers, by id: `(producer id, entry)`.
    pub fn live(&self, now_ms: i64, expiration_ms: i64) -> Vec<(i64, &ProducerEntry)> {
        let mut out: Vec<(i64, &ProducerEntry)> = self
            .producers
            .iter()
            .filter(|(_, e)| is_live(e, now_ms, expiration_ms))
            .map(|(id, e)| (*id, e))
            .collect();
        out.sort_by_key(|(id, _)| *id);
        out
    }

    /// Checks `batch` against the producer's state (see the [module docs](self)).
    pub fn check(
        &self,
        batch: &ProducerBatch,
        now_ms: i64,
        expiration_ms: i64,
    ) -> Result<SequenceCheck, SequenceError> {
        let Some(entry) = self.get(batch.producer_id, now_ms, expiration_ms) else {
            return Ok(SequenceCheck::Append);
        };
        if batch.epoch < entry.epoch {
            return Err(SequenceError::InvalidProducerEpoch {
                producer_id: batch.producer_id,
                got: batch.epoch,
                current: entry.epoch,
            });
        }
        if batch.epoch > entry.epoch {
            return if batch.first_seq == 0 {
                Ok(SequenceCheck::Append)
            } else {
                Err(SequenceError::OutOfOrderSequence {
                    producer_id: batch.producer_id,
                    got: batch.first_seq,
                    expected_after: -1,
                })
            };
        }
        if let Some(dup) = entry
            .batches
            .iter()
            .find(|b| b.first_seq == batch.first_seq && b.last_seq == batch.last_seq)
        {
            return Ok(SequenceCheck::Duplicate(*dup));
        }
        let last = entry.batches.back().map_or(-1, |b| b.last_seq);
        let in_sequence = if last < 0 {
            batch.first_seq == 0
        } else {
            batch.first_seq == add_seq(last, 1)
        };
        if in_sequence {
            Ok(SequenceCheck::Append)
        } else {
            Err(SequenceError::OutOfOrderSequence {
                producer_id: batch.producer_id,
                got: batch.first_seq,
                expected_after: last,
            })
        }
    }

    /// Records that `batch` was written at `base_offset..=last_offset` at `now_ms`.
    pub fn record(
        &mut self,
        batch: &ProducerBatch,
        base_offset: i64,
        last_offset: i64,
        now_ms: i64,
    ) {
        let entry = self
            .producers
            .entry(batch.producer_id)
            .or_insert_with(|| ProducerEntry {
                epoch: batch.epoch,
                batches: VecDeque::new(),
                last_update_ms: now_ms,
                txn_first_offset: None,
                coordinator_epoch: -1,
            });
        if batch.epoch != entry.epoch {
            entry.epoch = batch.epoch;
            entry.batches.clear();
        }
        entry.batches.push_back(BatchMetadata {
            first_seq: batch.first_seq,
            last_seq: batch.last_seq,
            base_offset,
            last_offset,
        });
        while entry.batches.len() > CACHED_BATCHES {
            entry.batches.pop_front();
        }
        if batch.transactional && entry.txn_first_offset.is_none() {
            entry.txn_first_offset = Some(base_offset);
        }
        entry.last_update_ms = entry.last_update_ms.max(now_ms);
    }

    /// The epoch last seen from `producer_id`, if it is remembered.
    pub fn epoch_of(&self, producer_id: i64) -> Option<i16> {
        self.producers.get(&producer_id).map(|e| e.epoch)
    }

    /// Whether `producer_id` has a transaction open on this partition.
    pub fn has_open_txn(&self, producer_id: i64) -> bool {
        self.producers
            .get(&producer_id)
            .is_some_and(|e| e.txn_first_offset.is_some())
    }

    /// Records the transaction marker of `producer_id` (epoch `epoch`) written at
    /// `marker_offset`: closes its open transaction and, for an abort, adds it to the aborted
    /// list. A marker with a newer epoch also moves the producer to that epoch (fencing
    /// batches of the older one). Returns whether a transaction was open.
    pub fn end_txn(
        &mut self,
        producer_id: i64,
        epoch: i16,
        marker_offset: i64,
        commit: bool,
        coordinator_epoch: i32,
        now_ms: i64,
    ) -> bool {
        let entry = self
            .producers
            .entry(producer_id)
            .or_insert_with(|| ProducerEntry {
                epoch,
                batches: VecDeque::new(),
                last_update_ms: now_ms,
                txn_first_offset: None,
                coordinator_epoch: -1,
            });
        if epoch > entry.epoch {
            entry.epoch = epoch;
            entry.batches.clear();
        }
        entry.last_update_ms = entry.last_update_ms.max(now_ms);
        entry.coordinator_epoch = coordinator_epoch;
        let Some(first_offset) = entry.txn_first_offset.take() else {
            return false;
        };
        if !commit {
            self.aborted.push(AbortedTxn {
                producer_id,
                first_offset,
                last_offset: marker_offset,
            });
        }
        true
    }

    /// The first offset of the earliest transaction still open on this partition.
    pub fn first_open_txn_offset(&self) -> Option<i64> {
        self.producers
            .values()
            .filter_map(|e| e.txn_first_offset)
            .min()
    }

    /// The aborted transactions a read_committed fetch of `from..upto` must be told about
    /// (`(producer id, first offset)`): those whose marker is at or after `from` and that
    /// started before `upto`.
    pub fn aborted_between(&self, from: i64, upto: i64) -> Vec<(i64, i64)> {
        self.aborted
            .iter()
            .filter(|a| a.last_offset >= from && a.first_offset < upto)
            .map(|a| (a.producer_id, a.first_offset))
            .collect()
    }

    /// Every aborted transaction remembered, in marker order.
    pub fn aborted(&self) -> &[AbortedTxn] {
        &self.aborted
    }

    /// Forgets aborted transactions that ended below `log_start` (deleted by retention).
    pub fn trim_aborted_below(&mut self, log_start: i64) {
        self.aborted.retain(|a| a.last_offset >= log_start);
    }

    /// Updates the state with a batch read back from the log (recovery). `now_ms` (the time of
    /// the rebuild) stands in for the time of the append: client timestamps may be anything,
    /// so a restart never expires a producer early (it may extend its life by one period).
    /// Transaction markers are replayed with [`end_txn`](Self::end_txn).
    pub fn replay(&mut self, header: &RecordBatchHeader, now_ms: i64) {
        if header.is_control() {
            return;
        }
        if let Some(batch) = ProducerBatch::from_header(header) {
            let base = header.base_offset;
            self.record(&batch, base, header.last_offset(), now_ms);
        }
    }

    /// Forgets producers that have not appended for `expiration_ms`.
    pub fn remove_expired(&mut self, now_ms: i64, expiration_ms: i64) {
        self.producers.retain(|_, e| {
            e.txn_first_offset.is_some() || now_ms.saturating_sub(e.last_update_ms) < expiration_ms
        });
    }

    /// [`remove_expired`](Self::remove_expired), at most once per minute (called on appends,
    /// so that idle producers do not accumulate).
    pub fn maybe_remove_expired(&mut self, now_ms: i64, expiration_ms: i64) {
        if now_ms.saturating_sub(self.last_expiry_ms) >= EXPIRY_SCAN_INTERVAL_MS {
            self.last_expiry_ms = now_ms;
            self.remove_expired(now_ms, expiration_ms);
        }
    }

    /// Loads the snapshot in `dir`: the states and the offset they cover. `None` when there is
    /// none or it cannot be read (the caller then rebuilds from the whole log).
    pub fn load_snapshot(dir: &Path) -> Option<(ProducerStates, i64)> {
        let bytes = std::fs::read(dir.join(SNAPSHOT_FILE)).ok()?;
        match serde_json::from_slice::<Snapshot>(&bytes) {
            Ok(s) => Some((s.states, s.offset)),
            Err(e) => {
                tracing::warn!(dir = %dir.display(), error = %e, "ignoring an unreadable producer-state snapshot");
                None
            }
        }
    }

    /// Writes the snapshot (atomically) saying these states cover every batch below `offset`.
    pub fn write_snapshot(&self, dir: &Path, offset: i64) -> std::io::Result<()> {
        let json = serde_json::to_vec(&Snapshot {
            offset,
            states: self.clone(),
        })
        .map_err(std::io::Error::other)?;
        crate::fsutil::write_atomic(&dir.join(SNAPSHOT_FILE), &json)
    }

    /// [`write_snapshot`](Self::write_snapshot) without fsyncs: durable only once the caller
    /// syncs the filesystem (a torn snapshot fails to parse and is ignored at load).
    pub fn write_snapshot_unsynced(&self, dir: &Path, offset: i64) -> std::io::Result<()> {
        let json = serde_json::to_vec(&Snapshot {
            offset,
            states: self.clone(),
        })
        .map_err(std::io::Error::other)?;
        crate::fsutil::write_replace(&dir.join(SNAPSHOT_FILE), &json)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 86_400_000;

    fn b(pid: i64, epoch: i16, first: i32, last: i32) -> ProducerBatch {
        ProducerBatch {
            producer_id: pid,
            epoch,
            first_seq: first,
            last_seq: last,
            transactional: false,
        }
    }

    #[test]
    fn sequences_duplicates_gaps_and_epochs() {
        let mut s = ProducerStates::default();
        assert_eq!(s.check(&b(1, 0, 7, 9), 0, DAY), Ok(SequenceCheck::Append));
        s.record(&b(1, 0, 0, 2), 0, 2, 0);
        s.record(&b(1, 0, 3, 3), 3, 3, 0);
        assert_eq!(
            s.check(&b(1, 0, 0, 2), 0, DAY),
            Ok(SequenceCheck::Duplicate(BatchMetadata {
                first_seq: 0,
                last_seq: 2,
                base_offset: 0,
                last_offset: 2
            }))
        );
        assert_eq!(s.check(&b(1, 0, 4, 5), 0, DAY), Ok(SequenceCheck::Append));
        assert!(matches!(
            s.check(&b(1, 0, 6, 6), 0, DAY),
            Err(SequenceError::OutOfOrderSequence { .. })
        ));
        assert!(matches!(
            s.check(&b(1, 1, 4, 4), 0, DAY),
            Err(SequenceError::OutOfOrderSequence { .. })
        ));
        assert_eq!(s.check(&b(1, 1, 0, 0), 0, DAY), Ok(SequenceCheck::Append));
        s.record(&b(1, 1, 0, 0), 4, 4, 0);
        assert!(matches!(
            s.check(&b(1, 0, 4, 4), 0, DAY),
            Err(SequenceError::InvalidProducerEpoch { .. })
        ));
        // Expired: any sequence again.
        assert_eq!(
            s.check(&b(1, 0, 50, 50), DAY, DAY),
            Ok(SequenceCheck::Append)
        );
    }

    #[test]
    fn only_five_batches_are_remembered_and_sequences_wrap() {
        let mut s = ProducerStates::default();
        for i in 0..7 {
            s.record(&b(1, 0, i, i), i64::from(i), i64::from(i), 0);
        }
        assert_eq!(
            s.get(1, 0, DAY).map(|e| e.batches.len()),
            Some(CACHED_BATCHES)
        );
        assert!(matches!(
            s.check(&b(1, 0, 0, 0), 0, DAY),
            Err(SequenceError::OutOfOrderSequence { .. })
        ));
        assert_eq!(add_seq(i32::MAX, 1), 0);
        s.record(&b(2, 0, i32::MAX - 1, i32::MAX), 10, 11, 0);
        assert_eq!(s.check(&b(2, 0, 0, 3), 0, DAY), Ok(SequenceCheck::Append));
    }

    #[test]
    fn idle_producers_are_removed() {
        let mut s = ProducerStates::default();
        s.record(&b(1, 0, 0, 0), 0, 0, 1_000);
        s.record(&b(2, 0, 0, 0), 1, 1, 100_000);
        s.maybe_remove_expired(120_000, 60_000);
        assert_eq!(s.len(), 1);
        assert!(s.get(2, 120_000, 60_000).is_some());
    }

    #[test]
    fn transactions_open_close_and_abort() {
        let mut s = ProducerStates::default();
        let txn = ProducerBatch {
            transactional: true,
            ..b(7, 0, 0, 1)
        };
        s.record(&txn, 10, 11, 0);
        s.record(&b(8, 0, 0, 0), 12, 12, 0);
        let txn2 = ProducerBatch {
            transactional: true,
            ..b(7, 0, 2, 2)
        };
        s.record(&txn2, 13, 13, 0);
        assert_eq!(s.first_open_txn_offset(), Some(10));
        assert!(s.has_open_txn(7));
        // Open transactions never expire.
        s.remove_expired(10 * DAY, DAY);
        assert!(s.has_open_txn(7));
        assert!(s.end_txn(7, 1, 14, false, 0, 0));
        assert_eq!(s.first_open_txn_offset(), None);
        assert_eq!(s.aborted_between(0, 100), vec![(7, 10)]);
        assert_eq!(s.aborted_between(15, 100), vec![]);
        assert_eq!(s.aborted_between(0, 10), vec![]);
        // The marker's newer epoch fences the old one.
        assert!(matches!(
            s.check(&b(7, 0, 3, 3), 0, DAY),
            Err(SequenceError::InvalidProducerEpoch { .. })
        ));
        // A second marker for a closed transaction changes nothing.
        assert!(!s.end_txn(7, 1, 15, false, 0, 0));
        assert_eq!(s.aborted_between(0, 100).len(), 1);
        s.trim_aborted_below(15);
        assert_eq!(s.aborted_between(0, 100), vec![]);
    }

    #[test]
    fn snapshot_round_trips() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut s = ProducerStates::default();
        s.record(&b(3, 2, 0, 4), 10, 14, 5);
        s.write_snapshot(dir.path(), 15).expect("write");
        let (loaded, offset) = ProducerStates::load_snapshot(dir.path()).expect("load");
        assert_eq!((loaded, offset), (s, 15));
    }
}

//! Log compaction (`cleanup.policy=compact`): keep only the newest record of each key in the
//! closed segments, with its offset; drop tombstones (null value) once older than
//! `delete.retention.ms`.
//!
//! When ([`CompactionPolicy`], the topic's configs, as Kafka's cleaner decides):
//! - only *cleanable* segments take part: the closed segments before the first one holding a
//!   record newer than `min.compaction.lag.ms` (the active segment never);
//! - the log remembers (in memory) the offset up to which it was last compacted; segments past
//!   it are *dirty*. A pass runs when the dirty share of the cleanable bytes exceeds
//!   `min.cleanable.dirty.ratio`, when the oldest dirty segment starts with a record older than
//!   `max.compaction.lag.ms`, or when a tombstone kept by the previous pass has since expired.
//!   After a restart the whole log counts as dirty.
//!
//! One pass ([`PartitionLog::compact`]):
//! 1. snapshot the cleanable segments (zero-copy slices of their mappings; records after them
//!    do not count as "newer");
//! 2. build a map key → newest offset over them (keys only are copied to the heap);
//! 3. for each of them that loses a record, write the kept records to
//!    `<base>.log.cleaned`, one single-record batch each (base offset = the record's offset,
//!    uncompressed, timestamp, key, value and headers kept), and fsync it;
//! 4. under the append lock, if the segment is still there unchanged: rename the cleaned file
//!    over the `.log`, rebuild its indexes, and swap it in (readers holding older bytes keep
//!    their mapping). A segment left empty is removed.
//!
//! Transactions ([`TxnBounds`]): segments reaching the last stable offset are not cleaned (an
//! open transaction there may still abort); records of aborted transactions are dropped and
//! never count as a key's newest value; records of committed ones are kept as plain records;
//! transaction markers are kept as they are.
//!
//! The result has gaps in offsets, which reads and recovery accept. A crash between the rename
//! and the index rebuild is repaired by recovery (the stale index fails its checks).

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufWriter, Write};

use bytes::Bytes;
use kalfka_protocol::records::{batches, Compression, RecordBatchBuilder, RecordBatchHeader};

use super::partition::PartitionLog;
use super::producer_state::AbortedTxn;
use super::recovery::{delete_segment_files, open_rewritten_segment};
use super::segment::file_name;
use super::LogError;

/// What one compaction pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CompactionStats {
    /// Segments rewritten (or removed because nothing in them was kept).
    pub segments_rewritten: usize,
    /// Records removed.
    pub records_removed: u64,
}

/// When and how a compacted log is cleaned: the topic configs of the same names.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CompactionPolicy {
    /// `delete.retention.ms`: how long a tombstone (null value) is kept.
    pub delete_retention_ms: i64,
    /// `min.cleanable.dirty.ratio`: a pass runs once the dirty share of the cleanable bytes
    /// exceeds this.
    pub min_cleanable_dirty_ratio: f64,
    /// `min.compaction.lag.ms`: records newer than this are not compacted.
    pub min_compaction_lag_ms: i64,
    /// `max.compaction.lag.ms`: dirty records older than this are compacted whatever the
    /// dirty ratio.
    pub max_compaction_lag_ms: i64,
}

impl Default for CompactionPolicy {
    /// Kafka's defaults: tombstones kept 1 day, ratio 0.5, no minimum lag, no maximum lag.
    fn default() -> Self {
        CompactionPolicy {
            delete_retention_ms: 24 * 3_600_000,
            min_cleanable_dirty_ratio: 0.5,
            min_compaction_lag_ms: 0,
            max_compaction_lag_ms: i64::MAX,
        }
    }
}

/// What compaction must respect of transactions (filled in by the partition, which tracks
/// them): nothing at or beyond the last stable offset is cleaned, since an open transaction's
/// records may still be aborted; records of aborted transactions are removed and never count
/// as a key's newest value.
#[derive(Debug, Clone)]
pub struct TxnBounds {
    /// Segments reaching this offset or beyond are left alone.
    pub last_stable_offset: i64,
    /// The partition's aborted transactions.
    pub aborted: Vec<AbortedTxn>,
}

impl Default for TxnBounds {
    /// No transactions: everything closed may be cleaned.
    fn default() -> Self {
        TxnBounds {
            last_stable_offset: i64::MAX,
            aborted: Vec::new(),
        }
    }
}

impl TxnBounds {
    /// Whether the record at `offset` of a transactional batch of `producer_id` belongs to an
    /// aborted transaction.
    fn is_aborted(&self, producer_id: i64, offset: i64) -> bool {
        self.aborted.iter().any(|a| {
            a.producer_id == producer_id && a.first_offset <= offset && offset <= a.last_offset
        })
    }

    /// Whether the records of a batch with `header` from `offset` on are aborted ones.
    fn drops(&self, header: &RecordBatchHeader, offset: i64) -> bool {
        header.is_transactional() && self.is_aborted(header.producer_id, offset)
    }
}

/// What the log remembers between passes (in memory).
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct CleanerState {
    /// Offsets below this were compacted by a previous pass (the start of the dirty part).
    first_dirty: i64,
    /// When the earliest tombstone the previous pass kept expires.
    tombstone_due_ms: Option<i64>,
}

fn corrupt(e: impl std::fmt::Display) -> LogError {
    LogError::Corrupt(e.to_string())
}

/// One closed segment as seen at snapshot time.
struct Snapshot {
    base: i64,
    size: u64,
    next_offset: i64,
    bytes: Bytes,
}

/// Whether a pass over `cleanable` is due under `policy` (see the [module docs](self)).
fn pass_due(
    cleanable: &[Snapshot],
    state: CleanerState,
    policy: &CompactionPolicy,
    now_ms: i64,
) -> bool {
    if state.tombstone_due_ms.is_some_and(|due| now_ms >= due) {
        return true;
    }
    let dirty: Vec<&Snapshot> = cleanable
        .iter()
        .filter(|s| s.next_offset > state.first_dirty && s.size > 0)
        .collect();
    let dirty_bytes: u64 = dirty.iter().map(|s| s.size).sum();
    if dirty_bytes == 0 {
        return false;
    }
    let total: u64 = cleanable.iter().map(|s| s.size).sum();
    let ratio = dirty_bytes as f64 / total.max(1) as f64;
    let overdue = dirty
        .first()
        .and_then(|s| batches(s.bytes.clone()).next())
        .and_then(Result::ok)
        .is_some_and(|b| {
            now_ms.saturating_sub(b.header().base_timestamp) > policy.max_compaction_lag_ms
        });
    ratio > policy.min_cleanable_dirty_ratio || overdue
}

impl PartitionLog {
    /// Runs one compaction pass at wall-clock `now_ms` if `policy` says one is due (see the
    /// [module docs](self)).
    pub fn compact(
        &self,
        now_ms: i64,
        policy: &CompactionPolicy,
    ) -> Result<CompactionStats, LogError> {
        self.compact_within(now_ms, policy, &TxnBounds::default())
    }

    /// [`compact`](Self::compact) of a log with transactions (see [`TxnBounds`]).
    pub fn compact_within(
        &self,
        now_ms: i64,
        policy: &CompactionPolicy,
        txns: &TxnBounds,
    ) -> Result<CompactionStats, LogError> {
        let lag_cutoff = now_ms.saturating_sub(policy.min_compaction_lag_ms.max(0));
        let snapshot: Vec<Snapshot> = {
            let s = self.read_state()?;
            let closed = s.segments.len().saturating_sub(1);
            let mut v = Vec::with_capacity(closed);
            for seg in &s.segments[..closed] {
                let max_timestamp = seg.max_timestamp().map(|(ts, _)| ts);
                if max_timestamp.is_some_and(|ts| ts > lag_cutoff) {
                    break; // this segment and all later ones are too recent
                }
                if seg.next_offset() > txns.last_stable_offset {
                    break; // an open transaction may still abort records from here on
                }
                let bytes = seg.read(seg.base_offset(), usize::MAX)?.unwrap_or_default();
                v.push(Snapshot {
                    base: seg.base_offset(),
                    size: seg.size(),
                    next_offset: seg.next_offset(),
                    bytes,
                });
            }
            v
        };
        let state = *self.cleaner.lock().map_err(|_| LogError::Poisoned)?;
        if !pass_due(&snapshot, state, policy, now_ms) {
            return Ok(CompactionStats::default());
        }
        let delete_retention_ms = policy.delete_retention_ms;

        let mut newest: HashMap<Bytes, i64> = HashMap::new();
        for snap in &snapshot {
            for batch in batches(snap.bytes.clone()) {
                let batch = batch.map_err(corrupt)?;
                let header = batch.header();
                if header.is_control() {
                    continue;
                }
                for r in batch.records().map_err(corrupt)? {
                    let offset = r.offset(header);
                    if let (Some(key), false) = (r.key, txns.drops(header, offset)) {
                        newest.insert(key, offset);
                    }
                }
            }
        }

        let mut stats = CompactionStats::default();
        let mut tombstone_due_ms: Option<i64> = None;
        for snap in &snapshot {
            let cleaned_path = self
                .dir
                .join(format!("{}.cleaned", file_name(snap.base, "log")));
            let mut out = BufWriter::new(File::create(&cleaned_path)?);
            let mut removed = 0u64;
            for batch in batches(snap.bytes.clone()) {
                let batch = batch.map_err(corrupt)?;
                let header = batch.header();
                if header.is_control() {
                    out.write_all(batch.as_bytes())?;
                    continue;
                }
                for r in batch.records().map_err(corrupt)? {
                    let offset = r.offset(header);
                    let timestamp = r.timestamp(header);
                    let keep = match &r.key {
                        _ if txns.drops(header, offset) => false,
                        None => true,
                        Some(key) if newest.get(key) != Some(&offset) => false,
                        Some(_) if r.value.is_none() => {
                            let live = now_ms.saturating_sub(timestamp) <= delete_retention_ms;
                            if live {
                                let due = timestamp
                                    .saturating_add(delete_retention_ms)
                                    .saturating_add(1);
                                tombstone_due_ms =
                                    Some(tombstone_due_ms.map_or(due, |d| d.min(due)));
                            }
                            live
                        }
                        Some(_) => true,
                    };
                    if !keep {
                        removed += 1;
                        continue;
                    }
                    let headers: Vec<(&str, Option<&[u8]>)> = r
                        .headers
                        .iter()
                        .map(|h| (h.key.as_str(), h.value.as_deref()))
                        .collect();
                    let mut b = RecordBatchBuilder::new(Compression::None);
                    b.base_offset(offset);
                    b.append(timestamp, r.key.as_deref(), r.value.as_deref(), &headers);
                    out.write_all(&b.build().map_err(corrupt)?)?;
                }
            }
            let file = out.into_inner().map_err(|e| e.into_error())?;
            if removed == 0 {
                drop(file);
                std::fs::remove_file(&cleaned_path)?;
                continue;
            }
            file.sync_all()?;
            drop(file);
            if self.swap_in_cleaned(snap)? {
                stats.segments_rewritten += 1;
                stats.records_removed += removed;
            } else {
                let _ = std::fs::remove_file(&cleaned_path);
            }
        }
        *self.cleaner.lock().map_err(|_| LogError::Poisoned)? = CleanerState {
            first_dirty: snapshot.last().map_or(state.first_dirty, |s| s.next_offset),
            tombstone_due_ms,
        };
        if stats.segments_rewritten > 0 {
            tracing::info!(dir = %self.dir.display(), ?stats, "compacted log");
        }
        Ok(stats)
    }

    /// Replaces the closed segment `snap.base` by its cleaned file, if it is still there and
    /// unchanged. Returns whether it did.
    fn swap_in_cleaned(&self, snap: &Snapshot) -> Result<bool, LogError> {
        let _append = self.append_lock.lock().map_err(|_| LogError::Poisoned)?;
        let index = {
            let s = self.read_state()?;
            let closed = s.segments.len().saturating_sub(1);
            s.segments[..closed]
                .iter()
                .position(|seg| seg.base_offset() == snap.base && seg.size() == snap.size)
        };
        let Some(index) = index else {
            return Ok(false);
        };
        let log_path = self.dir.join(file_name(snap.base, "log"));
        let cleaned_path = self
            .dir
            .join(format!("{}.cleaned", file_name(snap.base, "log")));
        std::fs::rename(&cleaned_path, &log_path)?;
        for ext in ["index", "timeindex"] {
            match std::fs::remove_file(self.dir.join(file_name(snap.base, ext))) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e.into()),
                _ => {}
            }
        }
        crate::fsutil::sync_dir(&self.dir)?;
        let rewritten = open_rewritten_segment(&self.dir, snap.base, &self.config)?;
        let mut s = self.write_state()?;
        match rewritten {
            Some(segment) => s.segments[index] = segment,
            None => {
                drop(s.segments.remove(index));
                drop(s);
                delete_segment_files(&self.dir, snap.base)?;
            }
        }
        Ok(true)
    }
}
